package io.sluice.servicelb;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * An IPv4 {@link EndpointSlice} whose endpoints are held packed, one {@code long} each: the address, which of the
 * condition combinations it has, and its {@code nodeName} and {@code zone} as indexes into a per-slice table. Made
 * by {@link Packer} for endpoints of the common shape only: one address written as a plain dotted quad, and nothing
 * but conditions, node name and zone besides.
 *
 * <p>Why: a fabric8 endpoint is an {@link Endpoint}, a one-element address list, a {@code String} and its bytes,
 * four objects and ~130 bytes; at 10,000 slices of 10 endpoints that was a third of the agent's live objects,
 * copied by every young collection of the start. {@link EndpointSliceReader} reads the packed form directly.
 *
 * <p>Everything else sees exactly the EndpointSlice it holds: {@link #getEndpoints()} makes the fabric8 endpoints
 * on each call (immutable, each condition combination one shared instance), and fabric8's equals, hashCode,
 * toString, builders and Jackson's serialisation all go through the getters. {@link #equals} compares two packed
 * slices without making endpoints. {@link #setEndpoints} drops the packed form.
 */
public final class PackedEndpointSlice extends EndpointSlice {
    static final String IPV4 = "IPv4";
    private static final int CONDITIONS_SHIFT = 32;
    private static final int NODE_SHIFT = 37;
    private static final int ZONE_SHIFT = 50;
    private static final int CONDITIONS_MASK = 0x1F;
    private static final int NAME_MASK = 0x1FFF;
    /** Most distinct node names and zones one slice may hold packed (index 0 means none). */
    private static final int MAX_NAMES = NAME_MASK;
    /** Code 0: no conditions; else 1 + 9 * ready + 3 * serving + terminating, each 0 (null), 1 (true), 2 (false). */
    private static final int CONDITION_CODES = 28;
    private static final String[] NO_NAMES = new String[0];
    /**
     * Per condition code, the first {@link EndpointConditions} instance packed with it: a binder that shares equal
     * conditions (the agent's do) gets its shared instance back from {@link #getEndpoints()}.
     */
    private static final AtomicReferenceArray<EndpointConditions> CONDITIONS =
            new AtomicReferenceArray<>(CONDITION_CODES);

    private long[] packed;
    private String[] names;

    private PackedEndpointSlice(String addressType, String apiVersion, String kind, ObjectMeta metadata,
                                List<EndpointPort> ports, long[] packed, String[] names) {
        super(addressType, apiVersion, null, kind, metadata, ports);
        setAdditionalProperties(Map.of());
        this.packed = packed;
        this.names = names;
    }

    /** The endpoints, made anew on each call while packed (an immutable list). */
    @Override
    public List<Endpoint> getEndpoints() {
        long[] endpoints = packed;
        if (endpoints == null) {
            return super.getEndpoints();
        }
        Endpoint[] result = new Endpoint[endpoints.length];
        for (int k = 0; k < endpoints.length; k++) {
            Endpoint endpoint = new Endpoint(List.of(IpAddress.ipv4Text(address(k))), conditionsOf(endpoints[k]), Map.of(),
                    null, null, nodeName(k), null, zone(k));
            endpoint.setAdditionalProperties(Map.of());
            result[k] = endpoint;
        }
        return List.of(result);
    }

    /** Replaces the endpoints; the slice is no longer packed. */
    @Override
    public void setEndpoints(List<Endpoint> endpoints) {
        packed = null;
        names = null;
        super.setEndpoints(endpoints);
    }

    @Override
    public boolean equals(Object o) {
        if (o instanceof PackedEndpointSlice other && packed != null && other.packed != null) {
            // Packing is deterministic: equal endpoint lists are equal arrays and tables, and only those.
            return Arrays.equals(packed, other.packed) && Arrays.equals(names, other.names)
                    && Objects.equals(getAddressType(), other.getAddressType())
                    && Objects.equals(getApiVersion(), other.getApiVersion())
                    && Objects.equals(getKind(), other.getKind())
                    && Objects.equals(getMetadata(), other.getMetadata())
                    && Objects.equals(getPorts(), other.getPorts())
                    && Objects.equals(getAdditionalProperties(), other.getAdditionalProperties());
        }
        return super.equals(o);
    }

    /** fabric8's, over the endpoints {@link #getEndpoints()} makes: equal to an unpacked equal slice's. */
    @Override
    public int hashCode() {
        return super.hashCode();
    }

    // ---- read by EndpointSliceReader ---------------------------------------------------------------------------

    /** Whether the endpoints are still held packed (nobody has set others). */
    boolean isPacked() {
        return packed != null;
    }

    int endpointCount() {
        return packed.length;
    }

    /** Endpoint {@code k}'s IPv4 address, most significant byte first. */
    int address(int k) {
        return (int) packed[k];
    }

    /** Endpoint {@code k}'s conditions code (see {@link #CONDITION_CODES}). */
    int conditions(int k) {
        return (int) (packed[k] >>> CONDITIONS_SHIFT) & CONDITIONS_MASK;
    }

    String nodeName(int k) {
        return name((int) (packed[k] >>> NODE_SHIFT) & NAME_MASK);
    }

    String zone(int k) {
        return name((int) (packed[k] >>> ZONE_SHIFT) & NAME_MASK);
    }

    /** The conditions of {@code code} with the API's defaults for absent ones: ready and serving, not terminating. */
    static boolean ready(int code) {
        return condition(code == 0 ? 0 : (code - 1) / 9, true);
    }

    static boolean serving(int code) {
        return condition(code == 0 ? 0 : (code - 1) / 3 % 3, true);
    }

    static boolean terminating(int code) {
        return condition(code == 0 ? 0 : (code - 1) % 3, false);
    }

    private static boolean condition(int part, boolean absent) {
        return part == 0 ? absent : part == 1;
    }

    private String name(int index) {
        return index == 0 ? null : names[index - 1];
    }

    private static EndpointConditions conditionsOf(long endpoint) {
        int code = (int) (endpoint >>> CONDITIONS_SHIFT) & CONDITIONS_MASK;
        return code == 0 ? null : CONDITIONS.get(code);
    }

    // ---- packing -----------------------------------------------------------------------------------------------

    /**
     * The address {@code text} writes when it is a dotted quad exactly as {@link IpAddress#ipv4Text} writes it (no leading
     * zeros, no sign, nothing around), as a long in [0, 2^32); -1 for any other text, which keeps its own string.
     */
    static long parseCanonical(String text) {
        int length = text.length();
        if (length < 7 || length > 15) {
            return -1;
        }
        long value = 0;
        int i = 0;
        for (int part = 0; part < 4; part++) {
            int start = i;
            int octet = 0;
            while (i < length && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
                octet = octet * 10 + (text.charAt(i) - '0');
                i++;
            }
            int digits = i - start;
            if (digits == 0 || digits > 3 || octet > 255 || digits > 1 && text.charAt(start) == '0') {
                return -1;
            }
            value = value << 8 | octet;
            if (part < 3) {
                if (i >= length || text.charAt(i) != '.') {
                    return -1;
                }
                i++;
            }
        }
        return i == length ? value : -1;
    }

    private static int conditionCode(EndpointConditions conditions) {
        if (conditions == null) {
            return 0;
        }
        if (conditions.getAdditionalProperties() == null || !conditions.getAdditionalProperties().isEmpty()) {
            return -1;
        }
        int code = 1 + 9 * part(conditions.getReady()) + 3 * part(conditions.getServing())
                + part(conditions.getTerminating());
        EndpointConditions known = CONDITIONS.get(code);
        if (known == null) {
            CONDITIONS.compareAndSet(code, null, conditions);
        }
        return code;
    }

    private static int part(Boolean condition) {
        return condition == null ? 0 : condition ? 1 : 2;
    }

    /**
     * Collects the endpoints of one IPv4 slice as they are read, while every one has the packed shape; then makes the
     * slice. Not thread-safe: one per slice being read.
     */
    public static final class Packer {
        private long[] packed = new long[16];
        private int count;
        private final List<String> names = new ArrayList<>();
        private final Map<String, Integer> indexes = new HashMap<>();

        /**
         * Adds the next endpoint if it has the packed shape: {@code address} a dotted quad as fabric8 would write
         * it back, {@code conditions} with no additional properties and no more distinct node names and zones than
         * a slice holds packed. An endpoint with other fields (hostname, hints, targetRef, deprecatedTopology) or
         * another number of addresses must not be offered.
         *
         * @param conditions the endpoint's conditions, null if it has none; shared, never changed afterwards
         * @return whether it was added; when not, this packer is no longer of use
         */
        public boolean add(String address, EndpointConditions conditions, String nodeName, String zone) {
            long value = address == null ? -1 : parseCanonical(address);
            int code = value < 0 ? -1 : conditionCode(conditions);
            int node = code < 0 ? -1 : indexOf(nodeName);
            int zoneIndex = node < 0 ? -1 : indexOf(zone);
            if (zoneIndex < 0) {
                return false;
            }
            if (count == packed.length) {
                packed = Arrays.copyOf(packed, 2 * count);
            }
            packed[count++] = value | (long) code << CONDITIONS_SHIFT | (long) node << NODE_SHIFT
                    | (long) zoneIndex << ZONE_SHIFT;
            return true;
        }

        /** Whether a slice of {@code addressType} may be packed: only IPv4 slices are. */
        public static boolean packs(String addressType) {
            return IPV4.equals(addressType);
        }

        /** How many endpoints were added. */
        public int count() {
            return count;
        }

        /** The endpoints added, as fabric8 endpoints (for a slice that turns out not to be packable after all). */
        public List<Endpoint> endpoints() {
            return slice(IPV4, null, null, null, List.of()).getEndpoints();
        }

        /**
         * The slice of the endpoints added.
         *
         * @param addressType {@code IPv4} (the caller's instance of it: it may share its strings)
         * @throws IllegalArgumentException for another address type: only IPv4 endpoints are packed
         */
        public PackedEndpointSlice slice(String addressType, String apiVersion, String kind, ObjectMeta metadata,
                                         List<EndpointPort> ports) {
            if (!packs(addressType)) {
                throw new IllegalArgumentException("only IPv4 slices are packed, not " + addressType);
            }
            return new PackedEndpointSlice(addressType, apiVersion, kind, metadata, ports,
                    Arrays.copyOf(packed, count), names.isEmpty() ? NO_NAMES : names.toArray(NO_NAMES));
        }

        /** 1 + the index of {@code name} in the table, added if new; 0 for null; -1 when the table is full. */
        private int indexOf(String name) {
            if (name == null) {
                return 0;
            }
            Integer index = indexes.get(name);
            if (index != null) {
                return index;
            }
            if (names.size() == MAX_NAMES) {
                return -1;
            }
            names.add(name);
            indexes.put(name, names.size());
            return names.size();
        }
    }
}

package io.sluice.servicelb;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * An IPv4 {@link EndpointSlice} whose endpoints are held packed, one {@code long} each: the address, which of the
 * condition combinations it has, and its {@code nodeName} and {@code zone} as indexes into a per-slice table. Made
 * by {@link Packer} for endpoints of the common shape only: one address written as a plain dotted quad, and nothing
 * but conditions, node name, zone and a Pod {@code targetRef} besides.
 *
 * <p>A {@code targetRef} as kube-controller-manager's endpointslice controller writes it ({@code kind: Pod}, a
 * namespace, a name and a uid, nothing else) is held in two per-slice fields: {@code podNames}, the namespace every
 * such reference of the slice shares followed by each one's name, all joined by {@code /} (which no Kubernetes name
 * holds) in one Latin-1 string; and {@code podUids}, each uid, a lowercase hex UUID, as two longs. A uid as text
 * is a 36-character String, a name a String of its own: ~80 and ~55 bytes an endpoint against 16 and its length.
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
    /** The bit of an endpoint with a Pod targetRef (its name and uid the next in podNames and podUids). */
    private static final long POD_REF = 1L << 63;
    private static final String POD = "Pod";
    private static final char POD_NAME_SEPARATOR = '/';
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
    /** The Pod targetRefs' namespace, then each one's name, joined by '/'; null when no endpoint has one. */
    private String podNames;
    /** The Pod targetRefs' uids, most significant long first; null when no endpoint has one. */
    private long[] podUids;

    private PackedEndpointSlice(String addressType, String apiVersion, String kind, ObjectMeta metadata,
                                List<EndpointPort> ports, long[] packed, String[] names, String podNames,
                                long[] podUids) {
        super(addressType, apiVersion, null, kind, metadata, ports);
        setAdditionalProperties(Map.of());
        this.packed = packed;
        this.names = names;
        this.podNames = podNames;
        this.podUids = podUids;
    }

    /** The endpoints, made anew on each call while packed (an immutable list). */
    @Override
    public List<Endpoint> getEndpoints() {
        long[] endpoints = packed;
        if (endpoints == null) {
            return super.getEndpoints();
        }
        Endpoint[] result = new Endpoint[endpoints.length];
        String pods = podNames;
        String namespace = null;
        int nameStart = 0; // of the next Pod's name in pods
        int ref = 0; // the next Pod's index in podUids
        if (pods != null) {
            nameStart = pods.indexOf(POD_NAME_SEPARATOR) + 1;
            namespace = pods.substring(0, nameStart - 1);
        }
        for (int k = 0; k < endpoints.length; k++) {
            ObjectReference targetRef = null;
            if ((endpoints[k] & POD_REF) != 0) {
                int nameEnd = pods.indexOf(POD_NAME_SEPARATOR, nameStart);
                String name = pods.substring(nameStart, nameEnd < 0 ? pods.length() : nameEnd);
                nameStart = nameEnd + 1;
                targetRef = podReference(namespace, name, podUids[2 * ref], podUids[2 * ref + 1]);
                ref++;
            }
            Endpoint endpoint = new Endpoint(List.of(IpAddress.ipv4Text(address(k))), conditionsOf(endpoints[k]), Map.of(),
                    null, null, nodeName(k), targetRef, zone(k));
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
        podNames = null;
        podUids = null;
        super.setEndpoints(endpoints);
    }

    @Override
    public boolean equals(Object o) {
        if (o instanceof PackedEndpointSlice other && packed != null && other.packed != null) {
            // Packing is deterministic: equal endpoint lists are equal arrays and tables, and only those.
            return Arrays.equals(packed, other.packed) && Arrays.equals(names, other.names)
                    && Objects.equals(podNames, other.podNames) && Arrays.equals(podUids, other.podUids)
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

    /** The targetRef the endpointslice controller writes for a Pod, as fabric8's parse of it reads it. */
    private static ObjectReference podReference(String namespace, String name, long uidHigh, long uidLow) {
        ObjectReference reference = new ObjectReference();
        reference.setKind(POD);
        reference.setNamespace(namespace);
        reference.setName(name);
        reference.setUid(new UUID(uidHigh, uidLow).toString());
        reference.setAdditionalProperties(Map.of());
        return reference;
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
    static long parseCanonical(CharSequence text) {
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

    /**
     * Whether {@code uid} is a UUID as {@link UUID#toString} writes it (lowercase hex, dashes at 8, 13, 18 and 23),
     * which is all it takes for two longs to give the same text back; if so, puts them in {@code into[at]} and
     * {@code into[at + 1]}, most significant first.
     */
    private static boolean parseCanonicalUuid(CharSequence uid, long[] into, int at) {
        if (uid == null || uid.length() != 36) {
            return false;
        }
        long high = 0;
        long low = 0;
        for (int i = 0; i < 36; i++) {
            char c = uid.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') {
                    return false;
                }
                continue;
            }
            int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (digit < 0) {
                return false;
            }
            if (i < 18) {
                high = high << 4 | digit;
            } else {
                low = low << 4 | digit;
            }
        }
        into[at] = high;
        into[at + 1] = low;
        return true;
    }

    /** Whether {@code name} may be one of podNames' parts: a name of something, without the separator. */
    private static boolean isPodNamePart(CharSequence name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) == POD_NAME_SEPARATOR) {
                return false;
            }
        }
        return true;
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
     * slice. Not thread-safe: one slice at a time; {@link #reset} starts the next, reusing what the last one grew
     * (the slice copies what it keeps), so that a binder reading thousands of slices does not grow new arrays for each.
     */
    public static final class Packer {
        /** Up to this many distinct names are looked up by a scan of {@link #names}, without {@link #indexes}. */
        private static final int SCANNED_NAMES = 8;
        private long[] packed = new long[16];
        private int count;
        private String[] names = new String[SCANNED_NAMES];
        private int nameCount;
        /** Each name's 1-based index, once there are more than {@link #SCANNED_NAMES}; else null. */
        private Map<String, Integer> indexes;
        /** podNames as it grows: the namespace first (set by the first Pod reference), then the names. */
        private final StringBuilder podNames = new StringBuilder();
        /** The Pod references' namespace, null before the first. */
        private String podNamespace;
        private long[] podUids = new long[32];
        private int podCount;

        /** Forgets the endpoints added, for the next slice. */
        public void reset() {
            count = 0;
            Arrays.fill(names, 0, nameCount, null);
            nameCount = 0;
            indexes = null;
            podNames.setLength(0);
            podNamespace = null;
            podCount = 0;
        }

        /**
         * As {@link #add(String, EndpointConditions, String, String, ObjectReference)} for an endpoint without a
         * targetRef.
         */
        public boolean add(String address, EndpointConditions conditions, String nodeName, String zone) {
            return add(address, conditions, nodeName, zone, null);
        }

        /**
         * Adds the next endpoint if it has the packed shape: {@code address} a dotted quad as fabric8 would write
         * it back, {@code conditions} with no additional properties, no more distinct node names and zones than
         * a slice holds packed, and {@code targetRef} null or a Pod's as the endpointslice controller writes it: kind
         * {@code Pod}, the namespace of the slice's other Pod references, a name, a lowercase hex UUID as uid, no
         * other field and no additional properties. An endpoint with other fields (hostname, hints,
         * deprecatedTopology) or another number of addresses must not be offered.
         *
         * @param conditions the endpoint's conditions, null if it has none; shared, never changed afterwards
         * @return whether it was added; when not, nothing of it was kept and {@link #endpoints} still returns those
         *     added before, for a caller that goes on with fabric8's endpoints (and offers this packer no more)
         */
        public boolean add(String address, EndpointConditions conditions, String nodeName, String zone,
                           ObjectReference targetRef) {
            if (targetRef == null) {
                return add(address, conditions, nodeName, zone, null, null, null);
            }
            if (!POD.equals(targetRef.getKind()) || targetRef.getApiVersion() != null
                    || targetRef.getResourceVersion() != null || targetRef.getFieldPath() != null
                    || targetRef.getAdditionalProperties() == null || !targetRef.getAdditionalProperties().isEmpty()
                    || targetRef.getNamespace() == null) {
                return false;
            }
            return add(address, conditions, nodeName, zone, targetRef.getNamespace(), targetRef.getName(),
                    targetRef.getUid());
        }

        /**
         * As {@link #add(String, EndpointConditions, String, String, ObjectReference)}, for a binder that has the
         * address, and a Pod targetRef's name and uid, as text it has not made Strings of: an endpoint whose
         * targetRef, if any, is of kind {@code Pod} with no other field than those three and its namespace.
         *
         * @param podNamespace the Pod targetRef's namespace; null for an endpoint without a targetRef (then
         *     {@code podName} and {@code podUid} are not read)
         * @param podName the Pod's name, read only during the call
         * @param podUid the Pod's uid, read only during the call
         * @return whether it was added; when not, nothing of it was kept
         */
        public boolean add(CharSequence address, EndpointConditions conditions, String nodeName, String zone,
                           String podNamespace, CharSequence podName, CharSequence podUid) {
            long value = address == null ? -1 : parseCanonical(address);
            int code = value < 0 ? -1 : conditionCode(conditions);
            if (code < 0 || podNamespace != null && !podFits(podNamespace, podName, podUid)) {
                return false;
            }
            int names = nameCount;
            int node = indexOf(nodeName);
            int zoneIndex = node < 0 ? -1 : indexOf(zone);
            if (zoneIndex < 0) {
                forgetNamesAfter(names);
                return false;
            }
            if (count == packed.length) {
                packed = Arrays.copyOf(packed, 2 * count);
            }
            if (podNamespace != null) {
                if (this.podNamespace == null) {
                    this.podNamespace = podNamespace;
                    podNames.append(podNamespace);
                }
                podNames.append(POD_NAME_SEPARATOR).append(podName);
                podCount++; // its uid's longs were parsed into place by podFits
            }
            packed[count++] = value | (long) code << CONDITIONS_SHIFT | (long) node << NODE_SHIFT
                    | (long) zoneIndex << ZONE_SHIFT | (podNamespace == null ? 0 : POD_REF);
            return true;
        }

        /**
         * Whether a Pod reference of these parts has the packed shape; if so its uid's longs are in place for the
         * next reference, to be kept by counting it.
         */
        private boolean podFits(String namespace, CharSequence name, CharSequence uid) {
            if (!isPodNamePart(name) || !isPodNamePart(namespace)
                    || podNamespace != null && !podNamespace.equals(namespace)) {
                return false;
            }
            if (2 * podCount == podUids.length) {
                podUids = Arrays.copyOf(podUids, 4 * podCount);
            }
            return parseCanonicalUuid(uid, podUids, 2 * podCount);
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
                    Arrays.copyOf(packed, count), nameCount == 0 ? NO_NAMES : Arrays.copyOf(names, nameCount),
                    podCount == 0 ? null : podNames.toString(),
                    podCount == 0 ? null : Arrays.copyOf(podUids, 2 * podCount));
        }

        /** 1 + the index of {@code name} in the table, added if new; 0 for null; -1 when the table is full. */
        private int indexOf(String name) {
            if (name == null) {
                return 0;
            }
            if (indexes == null) {
                for (int i = 0; i < nameCount; i++) {
                    if (names[i].equals(name)) {
                        return i + 1;
                    }
                }
            } else {
                Integer index = indexes.get(name);
                if (index != null) {
                    return index;
                }
            }
            if (nameCount == MAX_NAMES) {
                return -1;
            }
            if (nameCount == names.length) {
                names = Arrays.copyOf(names, 2 * nameCount);
            }
            names[nameCount++] = name;
            if (indexes != null) {
                indexes.put(name, nameCount);
            } else if (nameCount > SCANNED_NAMES) {
                indexes = new HashMap<>();
                for (int i = 0; i < nameCount; i++) {
                    indexes.put(names[i], i + 1);
                }
            }
            return nameCount;
        }

        /** Drops the names added after the first {@code kept} (those of an endpoint that was refused). */
        private void forgetNamesAfter(int kept) {
            for (int i = kept; i < nameCount; i++) {
                if (indexes != null) {
                    indexes.remove(names[i]);
                }
                names[i] = null;
            }
            nameCount = kept;
        }
    }
}

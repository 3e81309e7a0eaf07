package io.sluice.agent.writer;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The latest known version of every watched object, by (kind, namespace, name), plus an index of EndpointSlices by
 * the Service they belong to. Owned by the writer thread: only the writer changes it, and reconcilers read it from
 * their callbacks on that thread. Not thread-safe.
 *
 * <p>Lookups take the strings the objects already carry (kind → namespace → name), so applying an event to an
 * existing key allocates nothing.
 *
 * <p>The objects are shared with the sources (an informer's cache, the manifest reader): treat them as immutable.
 */
public final class Store {
    /** The label that ties an EndpointSlice to its Service. */
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    /** One key's slot: its latest object, or null while a deletion waits to be processed. */
    static final class Entry {
        final ObjectKey key;
        HasMetadata object;
        boolean dirty;
        long firstEventNanos;
        long resyncEpoch;
        String indexedService;

        Entry(ObjectKey key) {
            this.key = key;
        }
    }

    private final EnumMap<ResourceKind, Map<String, Map<String, Entry>>> byKind = new EnumMap<>(ResourceKind.class);
    private final int[] liveObjects = new int[ResourceKind.values().length];
    /**
     * Per namespace and Service, its slices' entries: an immutable list, replaced when a slice comes or goes (a
     * Service has one slice or a few; a {@code LinkedHashSet} per Service was five objects and 200 bytes).
     */
    private final Map<String, Map<String, List<Entry>>> slicesByService = new HashMap<>();

    Store() {
        for (ResourceKind kind : ResourceKind.values()) {
            byKind.put(kind, new HashMap<>());
        }
    }

    /** The object under {@code key}, or null when there is none. */
    public HasMetadata get(ObjectKey key) {
        Entry e = find(key.kind(), key.namespace(), key.name());
        return e == null ? null : e.object;
    }

    /** The object under {@code key} as {@code type}, or null when there is none. */
    public <T extends HasMetadata> T get(ObjectKey key, Class<T> type) {
        return type.cast(get(key));
    }

    /** The object of {@code kind} named {@code namespace}/{@code name} ("" namespace for cluster-scoped), or null. */
    public <T extends HasMetadata> T get(ResourceKind kind, String namespace, String name, Class<T> type) {
        Entry e = find(kind, namespace, name);
        return e == null ? null : type.cast(e.object);
    }

    /** Calls {@code action} with every object of {@code kind}. */
    public void forEach(ResourceKind kind, Consumer<? super HasMetadata> action) {
        for (Map<String, Entry> names : byKind.get(kind).values()) {
            for (Entry e : names.values()) {
                if (e.object != null) {
                    action.accept(e.object);
                }
            }
        }
    }

    /** Every object of {@code kind}, in no particular order. */
    public List<HasMetadata> list(ResourceKind kind) {
        List<HasMetadata> all = new ArrayList<>(liveObjects[kind.ordinal()]);
        forEach(kind, all::add);
        return all;
    }

    /**
     * The EndpointSlices of the Service {@code namespace}/{@code serviceName} (by their service-name label), in no
     * particular order: whoever builds a table from them sorts by a node-independent key.
     */
    public List<EndpointSlice> endpointSlicesOf(String namespace, String serviceName) {
        List<Entry> slices = slicesByService.getOrDefault(namespace, Map.of()).get(serviceName);
        if (slices == null) {
            return List.of();
        }
        List<EndpointSlice> result = new ArrayList<>(slices.size());
        for (Entry e : slices) {
            if (e.object != null) {
                result.add((EndpointSlice) e.object);
            }
        }
        return Collections.unmodifiableList(result);
    }

    /** Whether the Service {@code namespace}/{@code serviceName} has an EndpointSlice (by its service-name label). */
    public boolean hasEndpointSlices(String namespace, String serviceName) {
        Map<String, List<Entry>> services = slicesByService.get(namespace);
        return services != null && services.containsKey(serviceName);
    }

    /** How many objects of {@code kind} the store holds. */
    public int size(ResourceKind kind) {
        return liveObjects[kind.ordinal()];
    }

    Entry find(ResourceKind kind, String namespace, String name) {
        Map<String, Entry> names = byKind.get(kind).get(namespace);
        return names == null ? null : names.get(name);
    }

    Entry findOrCreate(ResourceKind kind, String namespace, String name) {
        Map<String, Entry> names = byKind.get(kind).computeIfAbsent(namespace, ns -> new HashMap<>());
        Entry e = names.get(name);
        if (e == null) {
            e = new Entry(new ObjectKey(kind, namespace, name));
            names.put(name, e);
        }
        return e;
    }

    /**
     * Makes {@code object} the latest version under {@code e}.
     *
     * @return false when it is the version already held (same non-null resourceVersion): a resync or relist no-op
     */
    boolean upsert(Entry e, HasMetadata object) {
        HasMetadata old = e.object;
        if (old != null) {
            String oldVersion = old.getMetadata().getResourceVersion();
            if (oldVersion != null && oldVersion.equals(object.getMetadata().getResourceVersion())) {
                return false;
            }
        } else {
            liveObjects[e.key.kind().ordinal()]++;
        }
        e.object = object;
        if (e.key.kind() == ResourceKind.ENDPOINT_SLICE) {
            reindexSlice(e, serviceNameOf(object));
        }
        return true;
    }

    /** Marks {@code e} deleted; it stays until {@link #remove} so the writer can tell reconcilers. */
    boolean delete(Entry e) {
        if (e.object == null) {
            return false;
        }
        e.object = null;
        liveObjects[e.key.kind().ordinal()]--;
        if (e.key.kind() == ResourceKind.ENDPOINT_SLICE) {
            reindexSlice(e, null);
        }
        return true;
    }

    /** Forgets a deleted entry once reconcilers have seen its deletion. */
    void remove(Entry e) {
        if (e.object != null) {
            return;
        }
        Map<String, Map<String, Entry>> namespaces = byKind.get(e.key.kind());
        Map<String, Entry> names = namespaces.get(e.key.namespace());
        if (names != null && names.get(e.key.name()) == e) {
            names.remove(e.key.name());
            if (names.isEmpty()) {
                namespaces.remove(e.key.namespace());
            }
        }
    }

    /** Calls {@code action} with every entry of {@code kind}, deleted ones included. */
    void forEachEntry(ResourceKind kind, Consumer<Entry> action) {
        for (Map<String, Entry> names : byKind.get(kind).values()) {
            for (Entry e : names.values()) {
                action.accept(e);
            }
        }
    }

    private void reindexSlice(Entry e, String service) {
        if (Objects.equals(e.indexedService, service)) {
            return;
        }
        String ns = e.key.namespace();
        if (e.indexedService != null) {
            Map<String, List<Entry>> services = slicesByService.get(ns);
            List<Entry> others = without(services.get(e.indexedService), e);
            if (others.isEmpty()) {
                services.remove(e.indexedService);
                if (services.isEmpty()) {
                    slicesByService.remove(ns);
                }
            } else {
                services.put(e.indexedService, others);
            }
        }
        if (service != null) {
            slicesByService.computeIfAbsent(ns, n -> new HashMap<>()).merge(service, List.of(e), Store::with);
        }
        e.indexedService = service;
    }

    /** {@code entries} and then {@code added} (one entry), as a new immutable list. */
    private static List<Entry> with(List<Entry> entries, List<Entry> added) {
        Entry[] all = entries.toArray(new Entry[entries.size() + 1]);
        all[entries.size()] = added.getFirst();
        return List.of(all);
    }

    /** {@code entries} without {@code e} (an entry is indexed once), as a new immutable list. */
    private static List<Entry> without(List<Entry> entries, Entry e) {
        List<Entry> others = new ArrayList<>(entries.size());
        for (Entry other : entries) {
            if (other != e) {
                others.add(other);
            }
        }
        return List.copyOf(others);
    }

    private static String serviceNameOf(HasMetadata slice) {
        Map<String, String> labels = slice.getMetadata().getLabels();
        return labels == null ? null : labels.get(SERVICE_NAME_LABEL);
    }
}

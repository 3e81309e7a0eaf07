package io.sluice.maps;

import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The flow state of the data path: conntrack ({@code ct4_entries}) and session affinity ({@code lb4_affinity}).
 *
 * <p>When a backend leaves a service, new flows stop picking it as soon as the slots change, but state
 * recorded earlier still points at it: a UDP flow's conntrack entry keeps sending datagrams to it for as long as
 * the client keeps sending (kube-proxy's stale-UDP problem), and an affinity entry keeps sending the client's new
 * connections to it. The data path drops that state itself only when the backend id is gone from
 * {@code lb4_backends}; a backend shared with another service keeps its id. So the writer, after writing the
 * service's new slots, flushes that (service, backend) pair with {@link #flushServiceBackend}, or everything of a
 * backend it is about to remove with {@link #flushBackend}. Established TCP flows of the backend go too, as
 * they would when the endpoint is gone; flows to other backends are untouched.
 *
 * <p>Finding a backend's entries means reading both maps whole (262,144 buckets each, read in batches even when
 * empty: about 0.4-1 ms here), so a writer with many leavers at once hands them all to {@link #flushAll}, which
 * reads each map once for all of them.
 *
 * <p>Used by one thread at a time (the agent's writer).
 */
public final class ConntrackMaps implements AutoCloseable {
    private final TypedMap<Ct4Key, Ct4Entry> conntrack;
    private final TypedMap<Lb4AffinityKey, Lb4AffinityValue> affinity;

    /** How many entries a flush removed. */
    public record Flushed(int conntrackEntries, int affinityEntries) {
    }

    /** The maps of a loaded object that declares both (sluice_pod; sluice_sock has the affinity map only). */
    public static ConntrackMaps of(BpfObject object) {
        return new ConntrackMaps(object.map(MapName.CT4_ENTRIES.cName()), object.map(MapName.LB4_AFFINITY.cName()));
    }

    /** The maps opened some other way (e.g. from their pins); refuses maps whose sizes differ from the layouts. */
    public ConntrackMaps(BpfMap conntrack, BpfMap affinity) {
        this.conntrack = new TypedMap<>(conntrack, Ct4Key.CODEC, Ct4Entry.CODEC);
        this.affinity = new TypedMap<>(affinity, Lb4AffinityKey.CODEC, Lb4AffinityValue.CODEC);
    }

    /** A backend that left one service: the flows of that service to it go, its flows of other services stay. */
    public record ServiceBackend(int serviceId, int backendId) {
    }

    /** Removes every flow (forward and reply entries) and every affinity entry that points at {@code backendId}. */
    public Flushed flushBackend(int backendId) {
        return flushAll(Set.of(), Set.of(backendId));
    }

    /**
     * Removes the flows and affinity entries of service {@code serviceId} that point at {@code backendId}; the
     * backend's flows of other services stay.
     */
    public Flushed flushServiceBackend(int serviceId, int backendId) {
        return flushAll(Set.of(new ServiceBackend(serviceId, backendId)), Set.of());
    }

    /**
     * What {@link #flushServiceBackend} does for each of {@code leavers} and {@link #flushBackend} for each of
     * {@code backends}, reading each map once.
     */
    public Flushed flushAll(Set<ServiceBackend> leavers, Set<Integer> backends) {
        if (leavers.isEmpty() && backends.isEmpty()) {
            return new Flushed(0, 0);
        }
        List<Ct4Key> flows = new ArrayList<>();
        for (Map.Entry<Ct4Key, Ct4Entry> e : conntrack.entries().entrySet()) {
            Ct4Entry flow = e.getValue();
            if (backends.contains(flow.backendId())
                    || leavers.contains(new ServiceBackend(flow.serviceId(), flow.backendId()))) {
                flows.add(e.getKey());
            }
        }
        List<Lb4AffinityKey> clients = new ArrayList<>();
        for (Map.Entry<Lb4AffinityKey, Lb4AffinityValue> e : affinity.entries().entrySet()) {
            int backendId = e.getValue().backendId();
            if (backends.contains(backendId) || leavers.contains(new ServiceBackend(e.getKey().serviceId(), backendId))) {
                clients.add(e.getKey());
            }
        }
        return new Flushed(conntrack.removeAll(flows), affinity.removeAll(clients));
    }

    /** Every conntrack entry, read with batch syscalls. */
    public Map<Ct4Key, Ct4Entry> conntrackEntries() {
        return conntrack.entries();
    }

    /** Every affinity entry, read with batch syscalls. */
    public Map<Lb4AffinityKey, Lb4AffinityValue> affinityEntries() {
        return affinity.entries();
    }

    /** The underlying typed conntrack map (tests and tools read single entries through it). */
    public TypedMap<Ct4Key, Ct4Entry> conntrack() {
        return conntrack;
    }

    /** The underlying typed affinity map. */
    public TypedMap<Lb4AffinityKey, Lb4AffinityValue> affinity() {
        return affinity;
    }

    @Override
    public void close() {
        conntrack.close();
        affinity.close();
    }
}

package io.sluice.maps;

import io.sluice.loader.BpfIterator;
import io.sluice.loader.BpfObject;
import io.sluice.loader.NetworkNamespace;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Destroys connected UDP sockets that the socket programs sent to a backend which has since left the frontend
 * (object {@code sluice_sock_destroy}: map {@code lb_sock_destroy} and the {@code iter/udp} program
 * {@code sock_destroy_udp}). The socket programs choose a connected socket's backend once, at connect(); without
 * this, such a socket keeps talking to a removed backend for as long as the application keeps it (kube-proxy's
 * stale-UDP problem in its socket form). A destroyed socket's next recv() fails with ECONNABORTED and the socket
 * is disconnected, so the application connects again and gets a backend that exists. Only sockets whose reverse
 * entry (written by the socket programs at connect) names that frontend and backend are touched.
 *
 * <p>A socket iterator walks one network namespace, so {@link #destroy} runs it in each namespace it is given.
 * Used by one thread at a time (the agent's writer).
 */
public final class SocketDestroyer implements AutoCloseable {
    /** The iterator program's name. */
    public static final String PROGRAM = "sock_destroy_udp";
    /** The destroy set's map name (not in {@link MapName}: it holds nothing between runs). */
    public static final String MAP = "lb_sock_destroy";

    private final TypedMap<SockDestroyKey, Integer> destroySet;
    private final BpfIterator iterator;

    private SocketDestroyer(TypedMap<SockDestroyKey, Integer> destroySet, BpfIterator iterator) {
        this.destroySet = destroySet;
        this.iterator = iterator;
    }

    /**
     * Attaches the iterator of a loaded {@code sluice_sock_destroy} object, whose service maps must be the ones the
     * socket programs write (shared through their pins). Empties the destroy set a previous owner may have left.
     */
    public static SocketDestroyer of(BpfObject object) {
        TypedMap<SockDestroyKey, Integer> set = new TypedMap<>(object.map(MAP), SockDestroyKey.CODEC, Codec.UINT32);
        try {
            set.removeAll(set.keys());
            return new SocketDestroyer(set, object.program(PROGRAM).attachIterator());
        } catch (RuntimeException e) {
            set.close();
            throw e;
        }
    }

    /**
     * Destroys, in each of {@code namespaces}, the connected UDP sockets sent from a frontend to a backend that
     * left it: {@code removed} maps each (frontend, backend) pair to the backend's id. Runs the iterator once per
     * namespace and per {@code max_entries} pairs; the destroy set is empty again afterwards, also on failure.
     *
     * @return how many sockets were destroyed, by backend id
     */
    public Map<Integer, Integer> destroy(Map<SockDestroyKey, Integer> removed, Collection<NetworkNamespace> namespaces) {
        Map<Integer, Integer> destroyed = new LinkedHashMap<>();
        if (removed.isEmpty() || namespaces.isEmpty()) {
            return destroyed;
        }
        int chunk = destroySet.map().maxEntries();
        List<Map.Entry<SockDestroyKey, Integer>> pairs = new ArrayList<>(removed.entrySet());
        for (int start = 0; start < pairs.size(); start += chunk) {
            Map<SockDestroyKey, Integer> batch = new LinkedHashMap<>();
            for (Map.Entry<SockDestroyKey, Integer> e : pairs.subList(start, Math.min(pairs.size(), start + chunk))) {
                batch.put(e.getKey(), e.getValue());
            }
            destroySet.putAll(batch);
            try {
                for (NetworkNamespace ns : namespaces) {
                    countBackendIds(iterator.run(ns), destroyed);
                }
            } finally {
                destroySet.removeAll(batch.keySet());
            }
        }
        return destroyed;
    }

    /** The iterator writes one native-order {@code __u32} backend id per socket it destroyed. */
    private static void countBackendIds(byte[] output, Map<Integer, Integer> destroyed) {
        if (output.length % Integer.BYTES != 0) {
            throw new IllegalStateException(PROGRAM + " wrote " + output.length + " bytes, not whole 4-byte backend ids");
        }
        ByteBuffer ids = ByteBuffer.wrap(output).order(ByteOrder.nativeOrder());
        while (ids.hasRemaining()) {
            destroyed.merge(ids.getInt(), 1, Integer::sum);
        }
    }

    /** The destroy set (empty between runs). */
    public TypedMap<SockDestroyKey, Integer> destroySet() {
        return destroySet;
    }

    /** Detaches the iterator and releases the map's buffers; the object stays the caller's. */
    @Override
    public void close() {
        try (TypedMap<SockDestroyKey, Integer> set = destroySet) {
            iterator.close();
        }
    }
}

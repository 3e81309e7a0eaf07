package io.sluice.maps;

import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;

/**
 * The single-entry array {@code node4_config}: this node's addresses for SNAT and hairpin flows. The agent
 * writes it before it attaches the per-packet programs, and again when the node's address changes.
 *
 * <p>Used by one thread at a time (the agent's writer).
 */
public final class NodeConfigMap implements AutoCloseable {
    private final TypedMap<Integer, Node4Config> map;

    /** The map of a loaded object that declares it (sluice_pod). */
    public static NodeConfigMap of(BpfObject object) {
        return new NodeConfigMap(object.map(MapName.NODE4_CONFIG.cName()));
    }

    /** The map opened some other way (e.g. from its pin). */
    public NodeConfigMap(BpfMap map) {
        this.map = new TypedMap<>(map, Codec.UINT32, Node4Config.CODEC);
    }

    /** Replaces the configuration. */
    public void put(Node4Config config) {
        map.put(0, config);
    }

    /** The configuration; all zero until written. */
    public Node4Config get() {
        return map.get(0).orElseThrow(() -> new IllegalStateException("array map '" + map.map().name()
                + "' has no entry 0"));
    }

    @Override
    public void close() {
        map.close();
    }
}

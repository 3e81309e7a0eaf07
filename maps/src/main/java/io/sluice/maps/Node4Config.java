package io.sluice.maps;

import static io.sluice.maps.Layouts.BE32;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * This node's addresses as the data path uses them: C {@code struct node4_config}, the single entry of
 * {@code node4_config}. {@code 0.0.0.0} means unset: flows that would need that address are dropped and counted
 * ({@code CNT_DROP_SNAT}).
 *
 * @param nodeAddress    the source of external flows sent to a backend on another node
 *                       ({@code externalTrafficPolicy: Cluster}), so the reply comes back through this node
 * @param hairpinAddress the source of a pod's flow to itself through a service; must not be an address of the
 *                       node (the kernel refuses a local address as the source of a packet it receives)
 */
public record Node4Config(Ipv4 nodeAddress, Ipv4 hairpinAddress) {

    /** The codec of {@code struct node4_config}. */
    public static final StructCodec<Node4Config> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                BE32.withName("node_address"),
                BE32.withName("hairpin_address"));
        private final VarHandle nodeAddress = Layouts.field(layout, "node_address");
        private final VarHandle hairpinAddress = Layouts.field(layout, "hairpin_address");

        @Override
        public String cName() {
            return "node4_config";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Node4Config value, MemorySegment segment) {
            nodeAddress.set(segment, 0L, value.nodeAddress().bits());
            hairpinAddress.set(segment, 0L, value.hairpinAddress().bits());
        }

        @Override
        public Node4Config decode(MemorySegment segment) {
            return new Node4Config(new Ipv4((int) nodeAddress.get(segment, 0L)), new Ipv4((int) hairpinAddress.get(segment, 0L)));
        }
    };
}

package io.sluice.cli;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfObject;
import io.sluice.maps.Codec;
import io.sluice.maps.ConntrackMaps;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.Lb4SlotKey;
import io.sluice.maps.MapName;
import io.sluice.maps.PolicyMaps;
import io.sluice.maps.ServiceMaps;
import io.sluice.maps.TypedMap;
import io.sluice.testnet.Topology;
import java.nio.file.Path;

/**
 * A node's maps as the agent leaves them: the pod programs' object loaded with every map pinned under
 * {@code <pinDir>/maps} of a bpffs folder of the test's own (removed with the topology), and the typed maps to fill
 * them. Nothing is attached.
 */
final class PinnedNode implements AutoCloseable {
    final Topology topology;
    final Path pinDir;
    final BpfObject pod;
    final ServiceMaps services;
    final PolicyMaps policy;
    final ConntrackMaps conntrack;
    final DatapathCounters counters;
    final TypedMap<Lb4SlotKey, Integer> slots;

    PinnedNode(Topology topology) {
        this.topology = topology;
        this.pinDir = topology.bpfDirectory("cli");
        this.pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName());
        try {
            pod.pinMapsUnder(pinDir.resolve("maps"));
            pod.load();
        } catch (RuntimeException e) {
            pod.close();
            throw e;
        }
        this.services = ServiceMaps.of(pod);
        this.policy = PolicyMaps.of(pod);
        this.conntrack = ConntrackMaps.of(pod);
        this.counters = DatapathCounters.of(pod);
        this.slots = new TypedMap<>(pod.map(MapName.LB4_SLOTS.cName()), Lb4SlotKey.CODEC, Codec.UINT32);
    }

    /** {@code --pin-dir} for the commands. */
    String pinDirArg() {
        return pinDir.toString();
    }

    @Override
    public void close() {
        // The pins go with the topology's bpffs folder.
        CloseAll.inOrder(slots, counters, conntrack, policy, services, pod);
    }
}

package io.sluice.netpol;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfObject;
import io.sluice.loader.BpfProgram;
import io.sluice.loader.NetworkNamespace;
import io.sluice.loader.RingBufferConsumer;
import io.sluice.loader.TestRunResult;
import io.sluice.maps.DatapathCounter;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.DropEvent;
import io.sluice.maps.MapName;
import io.sluice.maps.PolicyMaps;
import io.sluice.maps.ServiceMaps;
import io.sluice.testnet.Netns;
import io.sluice.testnet.Topology;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The pod programs loaded (not attached) with their maps, for {@code BPF_PROG_TEST_RUN}: test runs happen inside a
 * namespace of the test's own with three veth pairs, so the context can name real interfaces as the veth the
 * program runs on ({@code ifindex}) and the one the packet arrived on ({@code ingress_ifindex}).
 */
final class PolicyTestBed implements AutoCloseable {
    static final int TC_ACT_OK = 0;
    static final int TC_ACT_SHOT = 2;
    /** Size of struct __sk_buff; ingress_ifindex and ifindex sit at 36 and 40. */
    private static final int SKB_CONTEXT_SIZE = 192;

    final Topology topology = new Topology();
    final Netns netns;
    final NetworkNamespace inside;
    final BpfObject pod;
    final PolicyMaps policy;
    final ServiceMaps services;
    final DatapathCounters counters;
    final BpfProgram fromPod;
    final BpfProgram toPod;
    private final RingBufferConsumer events;
    private final List<DropEvent> received = new ArrayList<>();

    PolicyTestBed() {
        try {
            netns = topology.namespace("testrun");
            for (int i = 1; i <= 3; i++) {
                topology.veth(netns, "lxc" + i, netns, "peer" + i);
            }
            inside = NetworkNamespace.named(netns.name());
            pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName());
            pod.load();
            policy = PolicyMaps.of(pod);
            services = ServiceMaps.of(pod);
            counters = DatapathCounters.of(pod);
            fromPod = pod.program("from_pod");
            toPod = pod.program("to_pod");
            events = RingBufferConsumer.open(pod.map(MapName.SLUICE_EVENTS.cName()),
                    e -> received.add(DropEvent.CODEC.decode(e)));
        } catch (RuntimeException e) {
            topology.close();
            throw e;
        }
    }

    /** The index of host-side veth {@code lxc<n>} (1..3). */
    int veth(int n) {
        return inside.interfaceIndex("lxc" + n);
    }

    /** Runs {@code program} once on {@code frame} as if on interface {@code ifindex}, arrived on {@code ingressIfindex} (0: sent by the node). */
    TestRunResult run(BpfProgram program, byte[] frame, int ifindex, int ingressIfindex) {
        return run(program, frame, ifindex, ingressIfindex, 1);
    }

    TestRunResult run(BpfProgram program, byte[] frame, int ifindex, int ingressIfindex, int repeat) {
        byte[] context = ByteBuffer.allocate(SKB_CONTEXT_SIZE).order(ByteOrder.nativeOrder())
                .putInt(36, ingressIfindex).putInt(40, ifindex).array();
        return inside.call(() -> program.testRun(frame, context, repeat));
    }

    long counter(DatapathCounter counter) {
        return counters.read(counter);
    }

    /** The drop events reported since the last call. */
    List<DropEvent> drainEvents() {
        events.consume();
        List<DropEvent> out = List.copyOf(received);
        received.clear();
        return out;
    }

    @Override
    public void close() {
        try (Topology t = topology; NetworkNamespace n = inside; BpfObject p = pod; PolicyMaps m = policy;
             ServiceMaps s = services; DatapathCounters c = counters; RingBufferConsumer r = events) {
            // closed in reverse order
        }
    }
}

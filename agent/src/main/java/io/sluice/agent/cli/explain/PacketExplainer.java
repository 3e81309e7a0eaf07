package io.sluice.agent.cli.explain;

import io.sluice.agent.cli.CliException;
import io.sluice.agent.cli.DatapathText;
import io.sluice.agent.cli.PinnedMaps;
import io.sluice.agent.cli.explain.Explanation.BackendChoice;
import io.sluice.agent.cli.explain.Explanation.Cleanup;
import io.sluice.agent.cli.explain.Explanation.FrontendMatch;
import io.sluice.agent.cli.explain.Explanation.Outcome;
import io.sluice.agent.cli.explain.Explanation.Party;
import io.sluice.agent.cli.explain.Explanation.Probe;
import io.sluice.agent.cli.explain.Explanation.Stage;
import io.sluice.loader.BpfException;
import io.sluice.loader.BpfProgram;
import io.sluice.loader.Errno;
import io.sluice.loader.TestRunResult;
import io.sluice.maps.Ct4Entry;
import io.sluice.maps.Ct4Key;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.Ep4Info;
import io.sluice.maps.Ep4Key;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4AffinityKey;
import io.sluice.maps.Lb4AffinityValue;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.LbScope;
import io.sluice.maps.Pct4Entry;
import io.sluice.maps.Pct4Key;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.PolicyConstants;
import io.sluice.maps.PolicyDirection;
import io.sluice.maps.TypedMap;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Answers "what would the data path do with this packet now" by running the loaded pod programs on a crafted first
 * packet with {@code BPF_PROG_TEST_RUN}, against the live maps:
 * <ol>
 *   <li>a source that is a pod of this node: {@code from_pod} as on its veth (anti-spoofing, service translation,
 *       egress policy); its return value says whether the packet goes on, is answered (a frontend without
 *       backends) or is dropped;</li>
 *   <li>a destination (after translation) that is a pod of this node: {@code to_pod} as on its veth (ingress
 *       policy), with the interface the packet came in on: the source's veth, 0 for a packet the node itself sent
 *       (an address the ipcache gives the HOST identity), else another interface of the node.</li>
 * </ol>
 * The outcome comes from those return values only. Beside them, the frontend and backend are read from the maps
 * and from the conntrack entry the run created, and the policy lookups are replayed in Java ({@link PolicyReplay})
 * to name the entry that decided.
 *
 * <p>No trace: a test run changes the maps as a real packet would (service and policy conntrack entries, a
 * session-affinity entry). Every entry the probe can touch is snapshotted first and afterwards removed (created by
 * the probe) or written back (changed by it). The per-CPU counters do count the probe's packets, and a policy drop
 * is reported on the event ring buffer like any other ({@code sluice monitor} shows it).
 *
 * <p>Runs in the network namespace of the node's interfaces (the ifindexes the maps name must exist in it).
 * Single use, on one thread.
 */
public final class PacketExplainer {
    /** The first source port tried when none is given. */
    public static final int FIRST_PROBE_PORT = 50000;
    /** {@code sizeof(struct __sk_buff)}; {@code ingress_ifindex} and {@code ifindex} sit at 36 and 40. */
    private static final int SKB_CONTEXT_SIZE = 192;
    private static final int CTX_INGRESS_IFINDEX = 36;
    private static final int CTX_IFINDEX = 40;
    private static final int TC_ACT_OK = 0;
    private static final int TC_ACT_SHOT = 2;
    private static final int TC_ACT_REDIRECT = 7;
    /**
     * {@code ingress_ifindex} of a packet from another node: the programs only tell 0 (the node itself) and the
     * pod's own veth from any other interface, so loopback stands for the node's uplink.
     */
    private static final int ANOTHER_INTERFACE = 1;

    private final PinnedMaps maps;
    private final BpfProgram fromPod;
    private final BpfProgram toPod;
    private final Map<Integer, String> interfaceNames;
    private final PolicyReplay replay;
    private final Set<Ct4Key> conntrackKeys = new LinkedHashSet<>();
    private final Set<Pct4Key> policyConntrackKeys = new LinkedHashSet<>();
    private final List<String> notes = new ArrayList<>();

    /**
     * @param fromPod        the loaded {@code from_pod}, sharing the pinned maps
     * @param toPod          the loaded {@code to_pod}, sharing the pinned maps
     * @param interfaceNames the names of this namespace's interfaces by ifindex (for the output)
     */
    public PacketExplainer(PinnedMaps maps, BpfProgram fromPod, BpfProgram toPod, Map<Integer, String> interfaceNames) {
        this.maps = maps;
        this.fromPod = fromPod;
        this.toPod = toPod;
        this.interfaceNames = Map.copyOf(interfaceNames);
        this.replay = new PolicyReplay(maps);
    }

    /**
     * Explains the first packet of a flow from {@code source} to {@code destination}:{@code destinationPort}.
     *
     * @param sourcePort the source port, or null to pick one no tracked flow of {@code source} uses
     */
    public Explanation explain(Ipv4 source, Integer sourcePort, Ipv4 destination, int destinationPort, IpProtocol protocol) {
        Map<Ct4Key, Ct4Entry> conntrackBefore = PinnedMaps.readAll(maps.conntrack());
        Map<Pct4Key, Pct4Entry> policyConntrackBefore = PinnedMaps.readAll(maps.policyConntrack());
        int port = sourcePort != null ? sourcePort : freePort(source, conntrackBefore, policyConntrackBefore);
        Probe probe = new Probe(source, port, destination, destinationPort, protocol, sourcePort == null);
        Party from = party(source);
        Optional<FrontendMatch> frontend = frontendFor(destination, destinationPort, protocol);
        Lb4AffinityKey affinityKey = frontend
                .filter(f -> (f.service().flags() & DatapathConstants.LB_F_AFFINITY) != 0)
                .map(f -> Lb4AffinityKey.ofAddress(source, f.service().serviceId()))
                .orElse(null);
        Optional<Lb4AffinityValue> affinityBefore = affinityKey == null ? Optional.empty() : maps.affinity().get(affinityKey);

        Ct4Key forward = new Ct4Key(source, destination, port, destinationPort, protocol);
        trackConntrack(forward, conntrackBefore);
        trackPolicyConntrack(source, port, destination, destinationPort, protocol.number());
        if (sourcePort != null && (conntrackBefore.containsKey(forward) || conntrackBefore.containsKey(reverse(forward)))) {
            notes.add("source port " + sourcePort + " belongs to a tracked flow: the programs took the probe for that"
                    + " flow's next packet; its entries were written back as they were");
        }
        Result result = null;
        Cleanup cleanup;
        try {
            result = run(probe, from, frontend, forward, conntrackBefore);
        } finally {
            cleanup = restore(forward, conntrackBefore, policyConntrackBefore, affinityKey, affinityBefore);
        }
        return new Explanation(probe, from, frontend.orElse(null), result.backend, List.copyOf(result.stages),
                result.destination, result.outcome, result.reason, cleanup, List.copyOf(notes));
    }

    /** What the runs found; filled as the stages go. */
    private static final class Result {
        final List<Stage> stages = new ArrayList<>();
        BackendChoice backend;
        Party destination;
        Outcome outcome;
        String reason;
    }

    private Result run(Probe probe, Party from, Optional<FrontendMatch> frontend, Ct4Key forward,
                       Map<Ct4Key, Ct4Entry> conntrackBefore) {
        Result result = new Result();
        byte[] frame = ProbeFrame.build(probe.source(), probe.sourcePort(), probe.destination(), probe.destinationPort(),
                probe.protocol());
        byte[] next = frame;
        ProbeFrame.Packet nextPacket = ProbeFrame.parse(frame);
        int sourceVeth = 0;
        boolean hairpin = false;
        if (from.endpoint() != null) {
            sourceVeth = vethOf(from);
            TestRunResult run = testRun(fromPod, frame, sourceVeth, sourceVeth, from);
            ProbeFrame.Packet out = ProbeFrame.parse(run.packetOut());
            Optional<Ct4Entry> flow = maps.conntrack().get(forward).filter(e -> e.has(DatapathConstants.CT_F_SERVICE));
            flow.ifPresent(e -> {
                result.backend = new BackendChoice(e.backendId(), maps.backends().get(e.backendId()).orElse(null),
                        !conntrackBefore.containsKey(forward));
                conntrackKeys.add(replyKeyOf(forward, e));
            });
            hairpin = flow.map(e -> e.has(DatapathConstants.CT_F_HAIRPIN)).orElse(false);
            trackPolicyConntrack(out.source(), out.sourcePort(), out.destination(), out.destinationPort(), out.protocol());
            trackPolicyConntrack(probe.source(), probe.sourcePort(), out.destination(), out.destinationPort(), out.protocol());
            PolicyReplay.Decision egress = out.destination().equals(probe.source())
                    ? replay.notChecked(PolicyDirection.EGRESS, probe.source(), from.endpoint(),
                            "the packet was turned back to the pod itself (hairpin or refusal): not checked")
                    : replay.decide(PolicyDirection.EGRESS, probe.source(), out.destination(), false, out.protocol(),
                            out.destinationPort());
            result.stages.add(new Stage("from_pod", sourceVeth, interfaceNames.get(sourceVeth), sourceVeth, run.verdict(),
                    out, egress));
            disagreement(run.verdict(), egress);
            if (run.verdict() == TC_ACT_SHOT) {
                result.destination = party(out.destination());
                result.outcome = Outcome.DROPPED;
                result.reason = sourceDropReason(from, sourceVeth, frontend, flow.isPresent(), egress);
                return result;
            }
            if (run.verdict() == TC_ACT_REDIRECT && !hairpin) {
                result.destination = party(out.destination());
                if (out.destination().equals(probe.source()) && (out.isReset() || out.isPortUnreachable())) {
                    result.outcome = Outcome.REFUSED;
                    result.reason = frontend.map(f -> "frontend " + DatapathText.frontend(f.key()) + " has no backends: ")
                            .orElse("") + "from_pod answered with " + out.describe();
                } else {
                    result.outcome = Outcome.REDIRECTED;
                    result.reason = "from_pod redirected " + out.describe() + " to the next hop the kernel's FIB names";
                }
                return result;
            }
            if (run.verdict() != TC_ACT_OK && run.verdict() != TC_ACT_REDIRECT) {
                result.destination = party(out.destination());
                result.outcome = Outcome.DROPPED;
                result.reason = "from_pod returned " + result.stages.getLast().verdictName();
                return result;
            }
            next = run.packetOut();
            nextPacket = out;
        } else {
            notes.add(probe.source() + " is not an endpoint of this node: no program here sees the packet before"
                    + " routing" + (frontend.isPresent() ? "; a service address is translated where the client runs"
                    + " (its node's pod programs, or the socket programs): explain the backend's address to see this"
                    + " node's part" : ""));
        }
        result.destination = party(nextPacket.destination());
        Party to = result.destination;
        if (to.endpoint() == null) {
            result.outcome = Outcome.LEAVES_NODE;
            result.reason = nextPacket.destination() + " is not an endpoint of this node: the kernel routes "
                    + nextPacket.describe() + " on, and the destination's node applies its ingress policy";
            return result;
        }
        int destinationVeth = vethOf(to);
        int ingress = hairpin || from.endpoint() != null ? sourceVeth
                : from.identity() == PolicyConstants.IDENTITY_HOST ? 0 : ANOTHER_INTERFACE;
        TestRunResult run = testRun(toPod, next, destinationVeth, ingress, to);
        ProbeFrame.Packet out = ProbeFrame.parse(run.packetOut());
        trackPolicyConntrack(nextPacket.source(), nextPacket.sourcePort(), nextPacket.destination(),
                nextPacket.destinationPort(), nextPacket.protocol());
        PolicyReplay.Decision decision = ingress == destinationVeth
                ? replay.notChecked(PolicyDirection.INGRESS, to.address(), to.endpoint(),
                        "the pod's own packet, turned back on its veth: not checked")
                : replay.decide(PolicyDirection.INGRESS, to.address(), nextPacket.source(), ingress == 0,
                        nextPacket.protocol(), nextPacket.destinationPort());
        result.stages.add(new Stage("to_pod", destinationVeth, interfaceNames.get(destinationVeth), ingress, run.verdict(),
                out, decision));
        disagreement(run.verdict(), decision);
        if (run.verdict() == TC_ACT_OK) {
            result.outcome = Outcome.DELIVERED;
            result.reason = "the packet reaches " + to.address() + (out.hasPorts() ? ":" + out.destinationPort() : "")
                    + " (endpoint " + to.endpoint().endpointId() + ")" + (hairpin ? ", the pod that sent it" : "");
        } else {
            result.outcome = Outcome.DROPPED;
            result.reason = decision.checked() && !decision.allowed()
                    ? denial(decision) : "to_pod returned " + result.stages.getLast().verdictName();
        }
        return result;
    }

    private void disagreement(int verdict, PolicyReplay.Decision decision) {
        if (verdict != TC_ACT_SHOT && decision.checked() && !decision.allowed()) {
            notes.add("the replayed " + direction(decision) + " lookup denies what the program let through: a verdict"
                    + " cached in policy4_ct for this flow, or the maps changed between the two");
        }
    }

    private static String direction(PolicyReplay.Decision d) {
        return d.direction().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Why the policy denied: the endpoint, the peer's identity, the protocol and port no entry covers. */
    static String denial(PolicyReplay.Decision d) {
        return direction(d) + " policy of endpoint " + d.endpoint().endpointId() + " (" + d.endpointAddress()
                + ") denies it: no policy4 entry allows peer identity " + DatapathText.identity(d.peerIdentity())
                + " or any peer";
    }

    private String sourceDropReason(Party from, int veth, Optional<FrontendMatch> frontend, boolean flowCreated,
                                    PolicyReplay.Decision egress) {
        Optional<Ep4Key> owner = maps.interfaces().get(veth);
        if (owner.isPresent() && !owner.get().address().equals(from.address())) {
            return "anti-spoofing: veth ifindex " + veth + " belongs to " + owner.get().address() + ", not to " + from.address();
        }
        if (egress.checked() && !egress.allowed()) {
            return denial(egress);
        }
        if (frontend.isPresent() && !flowCreated) {
            String name = DatapathText.frontend(frontend.get().key());
            if (frontend.get().service().backendCount() == 0) {
                return "frontend " + name + " has no backends, and no answer could be sent";
            }
            return "frontend " + name + ": no backend could be chosen (a slot or its backend is missing), or the flow"
                    + " needed a source address (node4_config) or port that was not available";
        }
        return "from_pod dropped it (sluice metrics shows which drop counter moved)";
    }

    /** Runs {@code program} once on {@code frame} as on interface {@code ifindex}, arrived on {@code ingressIfindex}. */
    private TestRunResult testRun(BpfProgram program, byte[] frame, int ifindex, int ingressIfindex, Party on) {
        byte[] context = ByteBuffer.allocate(SKB_CONTEXT_SIZE).order(ByteOrder.nativeOrder())
                .putInt(CTX_INGRESS_IFINDEX, ingressIfindex).putInt(CTX_IFINDEX, ifindex).array();
        try {
            return program.testRun(frame, context, 1);
        } catch (BpfException e) {
            if (e.errno() == Errno.ENODEV) {
                throw new CliException("the veth of endpoint " + on.address() + " (ifindex " + ifindex + ") is not in this"
                        + " network namespace: run explain in the node's namespace (--netns NAME)", e);
            }
            throw e;
        }
    }

    /** The address's identity, its ipcache prefix, and the endpoint there. */
    private Party party(Ipv4 address) {
        Ep4Info endpoint = replay.endpoint(address).orElse(null);
        String name = null;
        if (endpoint != null) {
            name = interfaceNames.get(endpoint.ifindex() != 0 ? endpoint.ifindex() : vethIndex(address).orElse(0));
        }
        return new Party(address, replay.identityOf(address), replay.prefixOf(address).orElse(null), endpoint, name);
    }

    /** The veth the programs run on for an endpoint: its {@code ep4_info.ifindex}, else the one ep4_by_ifindex maps to it. */
    private int vethOf(Party p) {
        if (p.endpoint().ifindex() != 0) {
            return p.endpoint().ifindex();
        }
        return vethIndex(p.address()).orElseThrow(() -> new CliException("endpoint " + p.address()
                + " has no veth in endpoints4 or ep4_by_ifindex: its programs cannot be run as on its interface"));
    }

    private Optional<Integer> vethIndex(Ipv4 address) {
        return PinnedMaps.readAll(maps.interfaces()).entrySet().stream()
                .filter(e -> e.getValue().address().equals(address))
                .map(Map.Entry::getKey)
                .sorted(Integer::compareUnsigned)
                .findFirst();
    }

    /** The frontend a pod's packet to that address matches: internal first, then external (as lb4_lookup_for_local_client). */
    private Optional<FrontendMatch> frontendFor(Ipv4 address, int port, IpProtocol protocol) {
        for (LbScope scope : List.of(LbScope.INTERNAL, LbScope.EXTERNAL)) {
            Lb4Key key = new Lb4Key(address, port, protocol, scope);
            Optional<FrontendMatch> found = maps.services().get(key).map(s -> new FrontendMatch(key, s));
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /** The lowest port from {@link #FIRST_PROBE_PORT} that no tracked flow of {@code source} uses, at either end. */
    private static int freePort(Ipv4 source, Map<Ct4Key, Ct4Entry> conntrack, Map<Pct4Key, Pct4Entry> policyConntrack) {
        Set<Integer> used = new HashSet<>();
        conntrack.keySet().forEach(k -> {
            if (k.source().equals(source)) {
                used.add(k.sourcePort());
            }
            if (k.destination().equals(source)) {
                used.add(k.destinationPort());
            }
        });
        conntrack.values().forEach(e -> {
            if (e.peerAddress().equals(source)) {
                used.add(e.peerPort());
            }
        });
        policyConntrack.keySet().forEach(k -> {
            if (k.source().equals(source)) {
                used.add(k.sourcePort());
            }
            if (k.destination().equals(source)) {
                used.add(k.destinationPort());
            }
        });
        for (int port = FIRST_PROBE_PORT; port <= 65535; port++) {
            if (!used.contains(port)) {
                return port;
            }
        }
        throw new CliException("every source port from " + FIRST_PROBE_PORT + " of " + source
                + " is in a tracked flow: give one with SRC:PORT");
    }

    private static Ct4Key reverse(Ct4Key k) {
        return new Ct4Key(k.destination(), k.source(), k.destinationPort(), k.sourcePort(), k.protocol());
    }

    /** The key of the reply entry that belongs to forward entry {@code e} at key {@code forward} (ct4_reply_of in C). */
    private static Ct4Key replyKeyOf(Ct4Key forward, Ct4Entry e) {
        boolean snat = e.has(DatapathConstants.CT_F_SNAT);
        return new Ct4Key(e.natAddress(), snat ? e.peerAddress() : forward.source(), e.natPort(),
                snat ? e.peerPort() : forward.sourcePort(), forward.protocol());
    }

    /** The forward key that reply entry {@code e} at {@code reply} belongs to, for a client at {@code client}. */
    private static Ct4Key forwardKeyOf(Ct4Key reply, Ct4Entry e, Ct4Key client) {
        boolean snat = e.has(DatapathConstants.CT_F_SNAT);
        return new Ct4Key(snat ? e.peerAddress() : client.source(), e.natAddress(), snat ? e.peerPort() : client.sourcePort(),
                e.natPort(), reply.protocol());
    }

    /** The forward and reversed tuple of the probe, and the entries the ones already there point at. */
    private void trackConntrack(Ct4Key forward, Map<Ct4Key, Ct4Entry> before) {
        Ct4Key reversed = reverse(forward);
        conntrackKeys.add(forward);
        conntrackKeys.add(reversed);
        Ct4Entry known = before.get(forward);
        if (known != null && known.has(DatapathConstants.CT_F_SERVICE)) {
            conntrackKeys.add(replyKeyOf(forward, known));
        }
        Ct4Entry stale = before.get(reversed);
        if (stale != null && stale.has(DatapathConstants.CT_F_REPLY)) {
            conntrackKeys.add(forwardKeyOf(reversed, stale, forward));
        }
    }

    /** A tuple the policy programs may key a flow by, and its reverse (replies look that up and may update it). */
    private void trackPolicyConntrack(Ipv4 source, int sourcePort, Ipv4 destination, int destinationPort, int protocol) {
        policyConntrackKeys.add(new Pct4Key(source, destination, sourcePort, destinationPort, protocol));
        policyConntrackKeys.add(new Pct4Key(destination, source, destinationPort, sourcePort, protocol));
    }

    private Cleanup restore(Ct4Key forward, Map<Ct4Key, Ct4Entry> conntrackBefore, Map<Pct4Key, Pct4Entry> policyBefore,
                            Lb4AffinityKey affinityKey, Optional<Lb4AffinityValue> affinityBefore) {
        maps.conntrack().get(forward).filter(e -> e.has(DatapathConstants.CT_F_SERVICE))
                .ifPresent(e -> conntrackKeys.add(replyKeyOf(forward, e)));
        int[] ct = restore(maps.conntrack(), conntrackKeys, conntrackBefore);
        int[] pct = restore(maps.policyConntrack(), policyConntrackKeys, policyBefore);
        int[] affinity = {0, 0};
        if (affinityKey != null) {
            affinity = restore(maps.affinity(), Set.of(affinityKey),
                    affinityBefore.map(v -> Map.of(affinityKey, v)).orElse(Map.of()));
        }
        return new Cleanup(ct[0], ct[1], pct[0], pct[1], affinity[0], affinity[1]);
    }

    /** Puts {@code keys} back as {@code before} had them; returns {removed, written back}. */
    private static <K, V> int[] restore(TypedMap<K, V> map, Set<K> keys, Map<K, V> before) {
        int removed = 0;
        int restored = 0;
        for (K key : keys) {
            V was = before.get(key);
            Optional<V> now = map.get(key);
            if (was == null && now.isPresent()) {
                if (map.remove(key)) {
                    removed++;
                }
            } else if (was != null && !Objects.equals(now.orElse(null), was)) {
                map.put(key, was);
                restored++;
            }
        }
        return new int[] {removed, restored};
    }

    /** The policy4 entry that allowed a flow, as the listing spells it: {@code peer 257 TCP 8080}. */
    static String entryText(Policy4Key k) {
        return "endpoint " + k.endpointId() + " " + k.direction().name().toLowerCase(java.util.Locale.ROOT) + " peer "
                + DatapathText.identity(k.identity()) + " " + DatapathText.policyProtocol(k) + " " + DatapathText.policyPorts(k);
    }
}

package io.sluice.agent.cli.explain;

import io.sluice.maps.Ep4Info;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipcache4Key;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import java.util.List;

/**
 * What {@code sluice explain} found: the probe, the addresses' identities and endpoints, the frontend and backend,
 * each program run with its return value and output packet and the policy check replayed beside it, the outcome
 * (from the programs' return values) and what was cleaned up afterwards.
 *
 * @param notes things the operator should know about this answer (e.g. what no program on this node sees)
 */
public record Explanation(Probe probe, Party source, FrontendMatch frontend, BackendChoice backend, List<Stage> stages,
                          Party destination, Outcome outcome, String reason, Cleanup cleanup, List<String> notes) {

    /** The crafted packet: the first packet of a flow. {@code portChosen}: the source port was picked, not given. */
    public record Probe(Ipv4 source, int sourcePort, Ipv4 destination, int destinationPort, IpProtocol protocol,
                        boolean portChosen) {
    }

    /**
     * An address as the node sees it: its identity (with the ipcache prefix that gave it, null when none covers
     * it), and the local endpoint at it (null when none) with its veth.
     */
    public record Party(Ipv4 address, int identity, Ipcache4Key identityPrefix, Ep4Info endpoint, String interfaceName) {
    }

    /** The frontend a packet to the destination matched. */
    public record FrontendMatch(Lb4Key key, Lb4Service service) {
    }

    /** The backend the data path chose ({@code backend} null when the id names no backend). */
    public record BackendChoice(int id, Lb4Backend backend, boolean newFlow) {
    }

    /**
     * One program run: where (its veth and the interface the packet came in on, 0: the node), its return value,
     * the packet it left, and the policy check of that hook replayed on the maps (null where the program checks
     * none).
     */
    public record Stage(String program, int ifindex, String interfaceName, int ingressIfindex, int returnCode,
                        ProbeFrame.Packet output, PolicyReplay.Decision policy) {

        /** The tc action's name. */
        public String verdictName() {
            return switch (returnCode) {
                case -1 -> "TC_ACT_UNSPEC";
                case 0 -> "TC_ACT_OK";
                case 1 -> "TC_ACT_RECLASSIFY";
                case 2 -> "TC_ACT_SHOT";
                case 3 -> "TC_ACT_PIPE";
                case 4 -> "TC_ACT_STOLEN";
                case 7 -> "TC_ACT_REDIRECT";
                default -> "TC_ACT(" + returnCode + ")";
            };
        }
    }

    /** Where the packet ends, by the programs' return values. */
    public enum Outcome {
        /** Passed the destination endpoint's program. */
        DELIVERED,
        /** A program returned TC_ACT_SHOT. */
        DROPPED,
        /** A frontend without backends answered with a TCP RST or ICMP port unreachable. */
        REFUSED,
        /** Passed; the destination is not an endpoint of this node, so the kernel routes it on. */
        LEAVES_NODE,
        /** Redirected by the program to an interface of its choice (FIB lookup). */
        REDIRECTED;

        /** {@code delivered}, {@code leaves-node}, ... */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** The entries the probe created (removed) or changed (written back as they were), per map. */
    public record Cleanup(int conntrackRemoved, int conntrackRestored, int policyConntrackRemoved,
                          int policyConntrackRestored, int affinityRemoved, int affinityRestored) {
    }
}

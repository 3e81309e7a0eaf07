package io.sluice.agent.cli.explain;

import io.sluice.agent.cli.PinnedMaps;
import io.sluice.maps.Ep4Info;
import io.sluice.maps.Ep4Key;
import io.sluice.maps.Ipcache4Key;
import io.sluice.maps.Ipcache4Value;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Ipcache4HostKey;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.Policy4Peer;
import io.sluice.maps.Policy4PeerKey;
import io.sluice.maps.Policy4Value;
import io.sluice.maps.PolicyConstants;
import io.sluice.maps.PolicyDirection;
import io.sluice.maps.TypedMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The policy programs' lookup order replayed in Java on the same maps, to say which entry decided: the endpoint
 * ({@code endpoints4}), whether it enforces the direction, the peer's identity ({@code ipcache4_hosts}, else the
 * kernel's own LPM lookup in {@code ipcache4}; HOST for a packet the node sent), then the policy with that identity
 * and, failing that, with {@link PolicyConstants#IDENTITY_ANY}: the peer's summary in {@code policy4_peers}, then
 * {@code policy4_allow} once per port bits it lists, longest first. Each lookup is the kernel's
 * ({@code BPF_MAP_LOOKUP_ELEM}); the entry that answered is the first probe that found one.
 *
 * <p>It explains; it does not decide. The verdict of {@code sluice explain} is the program's return value; this
 * replay ignores a verdict cached in {@code policy4_ct} for an already tracked flow.
 */
public final class PolicyReplay {
    private final PinnedMaps maps;

    PolicyReplay(PinnedMaps maps) {
        this.maps = maps;
    }

    /** One policy4 lookup: the identity asked with, and the entry that answered (null: none). */
    public record Lookup(int identity, Policy4Key entry) {
    }

    /**
     * The check of one endpoint in one direction for a flow's first packet.
     *
     * @param checked     false when the programs do not look up policy for this packet (then {@code why} says so)
     * @param peerPrefix  the ipcache prefix that gave the peer its identity (null: none covers it, or HOST)
     * @param allowed     the replay's verdict
     */
    public record Decision(PolicyDirection direction, Ipv4 endpointAddress, Ep4Info endpoint, boolean checked, String why,
                    Ipv4 peer, int peerIdentity, Ipcache4Key peerPrefix, List<Lookup> lookups, boolean allowed) {

        /** The entry that allowed the flow, if any. */
        public Optional<Policy4Key> decidingEntry() {
            return lookups.stream().map(Lookup::entry).filter(e -> e != null).findFirst();
        }
    }

    /** The identity the ipcache gives {@code address} (WORLD when no entry covers it), as the programs look it up. */
    int identityOf(Ipv4 address) {
        return maps.ipcacheHosts().get(new Ipcache4HostKey(address))
                .or(() -> maps.ipcache().get(Ipcache4Key.host(address)))
                .map(Ipcache4Value::identity).orElse(PolicyConstants.IDENTITY_WORLD);
    }

    /** The ipcache prefix that gives {@code address} its identity (its /32 in the hosts map, else the longest), if any. */
    Optional<Ipcache4Key> prefixOf(Ipv4 address) {
        if (maps.ipcacheHosts().get(new Ipcache4HostKey(address)).isPresent()) {
            return Optional.of(Ipcache4Key.host(address));
        }
        Ipcache4Key best = null;
        for (Ipcache4Key prefix : maps.ipcache().keys()) {
            if (prefix.contains(address) && (best == null || prefix.prefixLength() > best.prefixLength())) {
                best = prefix;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The local endpoint with address {@code address}, if any. */
    Optional<Ep4Info> endpoint(Ipv4 address) {
        return maps.endpoints().get(new Ep4Key(address));
    }

    /** A decision for a packet the programs let through without a policy lookup. */
    Decision notChecked(PolicyDirection direction, Ipv4 endpointAddress, Ep4Info endpoint, String why) {
        return new Decision(direction, endpointAddress, endpoint, false, why, null, 0, null, List.of(), true);
    }

    /**
     * The check of the endpoint at {@code endpointAddress} in {@code direction} against {@code peer}, for a flow of
     * {@code protocol} to destination port {@code port}.
     *
     * @param peerIsHost the packet was sent by the node itself (ingress only): the peer is HOST whatever its address
     */
    Decision decide(PolicyDirection direction, Ipv4 endpointAddress, Ipv4 peer, boolean peerIsHost, int protocol, int port) {
        Optional<Ep4Info> found = endpoint(endpointAddress);
        if (found.isEmpty()) {
            return notChecked(direction, endpointAddress, null, endpointAddress + " is not an endpoint of this node");
        }
        Ep4Info ep = found.get();
        if (!ep.enforces(direction)) {
            return notChecked(direction, endpointAddress, ep, "endpoint " + ep.endpointId() + " does not enforce "
                    + direction.name().toLowerCase(java.util.Locale.ROOT)
                    + " (no NetworkPolicy isolates it in that direction): allowed without a lookup");
        }
        int identity = peerIsHost ? PolicyConstants.IDENTITY_HOST : identityOf(peer);
        Ipcache4Key prefix = peerIsHost ? null : prefixOf(peer).orElse(null);
        List<Lookup> lookups = new ArrayList<>();
        boolean allowed = lookup(ep, direction, identity, protocol, port, lookups);
        if (!allowed && identity != PolicyConstants.IDENTITY_ANY) {
            allowed = lookup(ep, direction, PolicyConstants.IDENTITY_ANY, protocol, port, lookups);
        }
        return new Decision(direction, endpointAddress, ep, true, null, peer, identity, prefix, List.copyOf(lookups), allowed);
    }

    private boolean lookup(Ep4Info ep, PolicyDirection direction, int identity, int protocol, int port, List<Lookup> out) {
        Policy4Key answered = null;
        Optional<Policy4Peer> peer = maps.policyPeers().get(new Policy4PeerKey(ep.endpointId(), direction, identity));
        if (peer.isPresent()) {
            List<Policy4Key> probes = new ArrayList<>();
            if ((peer.get().flags() & PolicyConstants.POLICY4_PEER_F_ANY_PROTOCOL) != 0) {
                probes.add(Policy4Key.anyProtocol(ep.endpointId(), direction, identity));
            }
            int lengths = switch (protocol) {
                case 6 -> peer.get().tcpPortBits();
                case 17 -> peer.get().udpPortBits();
                case 132 -> peer.get().sctpPortBits();
                default -> 0;
            };
            for (int bits = 16; bits >= 0; bits--) {
                if ((lengths & 1 << bits) != 0) {
                    int block = bits == 0 ? 0 : port & (0xffff << (16 - bits)) & 0xffff;
                    probes.add(Policy4Key.portBlock(ep.endpointId(), direction, identity, protocol, block, bits));
                }
            }
            TypedMap<Policy4Key, Policy4Value> entries = maps.policyEntries();
            for (Policy4Key probe : probes) {
                if (probe.isAnyProtocol() || entries.get(probe)
                        .filter(v -> v.verdict() == PolicyConstants.POLICY_VERDICT_ALLOW).isPresent()) {
                    answered = probe;
                    break;
                }
            }
        }
        out.add(new Lookup(identity, answered));
        return answered != null;
    }
}

package io.sluice.maps;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The {@code policy4_peers} summaries that the {@code policy4_v2} entries present need: per peer, which bits of
 * {@link Policy4Peer#bits()} some entry has. Entries are counted per (peer, bit), so a bit goes when the last entry
 * that needs it goes. Also remembers what was last written for each peer, so a write that failed is retried by the
 * next {@link #changed()} whatever happened to the entries meanwhile.
 *
 * <p>Confined to the thread of the {@link PolicyMaps} that owns it.
 */
final class PolicyPeerIndex {
    private final Set<Policy4Key> present = new HashSet<>();
    /** (peer, bit) → how many present entries need that bit; keyed by {@link #slot}. */
    private final Map<Long, Integer> counts = new HashMap<>();
    private final Map<Policy4PeerKey, Long> wanted = new HashMap<>();
    private final Map<Policy4PeerKey, Long> written = new HashMap<>();
    private final Set<Policy4PeerKey> dirty = new HashSet<>();

    /** Records entries found in (or written to) the map; entries already recorded are ignored. */
    void added(Collection<Policy4Key> entries) {
        for (Policy4Key entry : entries) {
            int bit = Policy4Peer.bitOf(entry);
            if (present.add(entry) && counts.merge(slot(entry, bit), 1, Integer::sum) == 1) {
                Policy4PeerKey peer = Policy4PeerKey.of(entry);
                wanted.merge(peer, 1L << bit, (a, b) -> a | b);
                dirty.add(peer);
            }
        }
    }

    /** Records entries removed from the map; entries not recorded are ignored. */
    void removed(Collection<Policy4Key> entries) {
        for (Policy4Key entry : entries) {
            if (!present.remove(entry)) {
                continue;
            }
            int bit = Policy4Peer.bitOf(entry);
            long slot = slot(entry, bit);
            if (counts.merge(slot, -1, Integer::sum) == 0) {
                counts.remove(slot);
                Policy4PeerKey peer = Policy4PeerKey.of(entry);
                long left = wanted.getOrDefault(peer, 0L) & ~(1L << bit);
                if (left == 0) {
                    wanted.remove(peer);
                } else {
                    wanted.put(peer, left);
                }
                dirty.add(peer);
            }
        }
    }

    /** Records what {@code policy4_peers} holds (found at open); peers that differ from what is wanted become dirty. */
    void found(Map<Policy4PeerKey, Policy4Peer> peers) {
        peers.forEach((peer, summary) -> {
            written.put(peer, summary.bits());
            dirty.add(peer);
        });
    }

    /**
     * The summaries to write for the peers whose wanted summary differs from the one written: a value to put, or
     * null to delete the peer.
     */
    Map<Policy4PeerKey, Policy4Peer> changed() {
        Map<Policy4PeerKey, Policy4Peer> out = new LinkedHashMap<>();
        for (Policy4PeerKey peer : dirty) {
            Long want = wanted.get(peer);
            if (!Objects.equals(want, written.get(peer))) {
                out.put(peer, want == null ? null : Policy4Peer.ofBits(want));
            }
        }
        return out;
    }

    /** Records that {@code summaries} (from {@link #changed()}) are written; clears the dirty marks. */
    void wrote(Map<Policy4PeerKey, Policy4Peer> summaries) {
        summaries.forEach((peer, summary) -> {
            if (summary == null) {
                written.remove(peer);
            } else {
                written.put(peer, summary.bits());
            }
        });
        dirty.clear();
    }

    /** The summary every peer should have now (tests). */
    Map<Policy4PeerKey, Policy4Peer> wanted() {
        Map<Policy4PeerKey, Policy4Peer> out = new HashMap<>();
        wanted.forEach((peer, bits) -> out.put(peer, Policy4Peer.ofBits(bits)));
        return out;
    }

    private static long slot(Policy4Key entry, int bit) {
        return ((long) entry.endpointId() << 33 | (long) entry.direction().value() << 32
                | (entry.identity() & 0xffffffffL)) << 6 | bit;
    }
}

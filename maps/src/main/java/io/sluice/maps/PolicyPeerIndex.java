package io.sluice.maps;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code policy4_peers} summaries that the {@code policy4_allow} entries present need: per peer, which bits of
 * {@link Policy4Peer#bits()} some entry has. Entries are counted per (peer, bit), so a bit goes when the last entry
 * that needs it goes. Also remembers what was last written for each peer, so a write that failed is retried by the
 * next {@link #changed()} whatever happened to the entries meanwhile.
 *
 * <p>Confined to the thread of the {@link PolicyMaps} that owns it.
 */
final class PolicyPeerIndex {
    /** {@link Peer#written} of a peer that {@code policy4_peers} does not hold. */
    private static final long ABSENT = -1L;

    private final Set<Policy4Key> present = new HashSet<>();
    private final Map<Policy4PeerKey, Peer> peers = new HashMap<>();
    private final Set<Policy4PeerKey> dirty = new HashSet<>();

    /** One peer: the bits its entries need, with a count per bit, and the summary last written. */
    private static final class Peer {
        long wanted;
        long written = ABSENT;
        /** Parallel arrays: bit number, number of present entries needing it; a peer rarely has more than a few. */
        byte[] bits = new byte[2];
        int[] counts = new int[2];
        int used;

        /** Adds {@code delta} to the count of {@code bit}; returns the new count. */
        int count(int bit, int delta) {
            for (int i = 0; i < used; i++) {
                if (bits[i] == bit) {
                    int count = counts[i] += delta;
                    if (count == 0) {
                        used--;
                        bits[i] = bits[used];
                        counts[i] = counts[used];
                    }
                    return count;
                }
            }
            if (used == bits.length) {
                bits = Arrays.copyOf(bits, used * 2);
                counts = Arrays.copyOf(counts, used * 2);
            }
            bits[used] = (byte) bit;
            counts[used] = delta;
            used++;
            return delta;
        }
    }

    /** Records entries found in (or written to) the map; entries already recorded are ignored. */
    void added(Collection<Policy4Key> entries) {
        for (Policy4Key entry : entries) {
            int bit = Policy4Peer.bitOf(entry);
            if (!present.add(entry)) {
                continue;
            }
            Policy4PeerKey key = Policy4PeerKey.of(entry);
            Peer peer = peers.computeIfAbsent(key, k -> new Peer());
            if (peer.count(bit, 1) == 1) {
                peer.wanted |= 1L << bit;
                dirty.add(key);
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
            Policy4PeerKey key = Policy4PeerKey.of(entry);
            Peer peer = peers.get(key);
            if (peer.count(bit, -1) == 0) {
                peer.wanted &= ~(1L << bit);
                dirty.add(key);
            }
        }
    }

    /** Records what {@code policy4_peers} holds (found at open); peers that differ from what is wanted become dirty. */
    void found(Map<Policy4PeerKey, Policy4Peer> summaries) {
        summaries.forEach((key, summary) -> {
            peers.computeIfAbsent(key, k -> new Peer()).written = summary.bits();
            dirty.add(key);
        });
    }

    /**
     * The summaries to write for the peers whose wanted summary differs from the one written: a value to put, or
     * null to delete the peer.
     */
    Map<Policy4PeerKey, Policy4Peer> changed() {
        Map<Policy4PeerKey, Policy4Peer> out = new LinkedHashMap<>();
        for (Policy4PeerKey key : dirty) {
            Peer peer = peers.get(key);
            long want = peer.wanted == 0 ? ABSENT : peer.wanted;
            if (want != peer.written) {
                out.put(key, want == ABSENT ? null : Policy4Peer.ofBits(want));
            }
        }
        return out;
    }

    /** Records that {@code summaries} (from {@link #changed()}) are written; clears the dirty marks. */
    void wrote(Map<Policy4PeerKey, Policy4Peer> summaries) {
        summaries.forEach((key, summary) -> peers.get(key).written = summary == null ? ABSENT : summary.bits());
        for (Policy4PeerKey key : dirty) {
            Peer peer = peers.get(key);
            if (peer.wanted == 0 && peer.written == ABSENT) {
                peers.remove(key);
            }
        }
        dirty.clear();
    }

    /** The summary every peer should have now (tests). */
    Map<Policy4PeerKey, Policy4Peer> wanted() {
        Map<Policy4PeerKey, Policy4Peer> out = new HashMap<>();
        peers.forEach((key, peer) -> {
            if (peer.wanted != 0) {
                out.put(key, Policy4Peer.ofBits(peer.wanted));
            }
        });
        return out;
    }
}

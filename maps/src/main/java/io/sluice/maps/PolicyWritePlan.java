package io.sluice.maps;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The writes that take the policy maps from one {@link PolicyDatapathState} to another, in an order that never
 * drops a packet both states allow (a packet the new state denies may pass until the last step; one the old state
 * denies may pass in between). Every step is idempotent, so a plan that failed half-way can be computed again from
 * the same old state and replayed.
 *
 * <ol>
 *   <li>Relax endpoints: delete removed endpoints and interfaces (and interfaces whose pod changes); write an
 *       endpoint that keeps its id with only the enforcement flags both states share (flags are cleared first);
 *       one whose id changes, with none.</li>
 *   <li>Add the new policy entries (allow-only: adding never denies).</li>
 *   <li>Write ipcache prefixes that are new or change identity, longest prefix first, then</li>
 *   <li>delete ipcache prefixes, shortest first: with these two orders every address resolves, at each step, to
 *       its identity in the old state or in the new one, and the entries of both are present.</li>
 *   <li>Write endpoints as the new state has them (flags set last) and new interfaces.</li>
 *   <li>Delete the policy entries the new state does not have.</li>
 *   <li>Bump {@code policy4_state.revision}, so flows admitted under any earlier step are checked again.</li>
 * </ol>
 */
public record PolicyWritePlan(List<Step> steps) {

    public PolicyWritePlan {
        steps = List.copyOf(steps);
    }

    /** One map write. */
    public sealed interface Step {
        /** The key of the map entry this step writes; two steps of one kind with equal keys write the same entry. */
        Object mapKey();
    }

    /** Delete an endpoint ({@code endpoints4}). */
    public record RemoveEndpoint(Ipv4 address) implements Step {
        @Override
        public Object mapKey() {
            return address;
        }
    }

    /** Write an endpoint ({@code endpoints4}). */
    public record PutEndpoint(Ipv4 address, Ep4Info info) implements Step {
        @Override
        public Object mapKey() {
            return address;
        }
    }

    /** Delete a pod interface ({@code ep4_by_ifindex}). */
    public record RemoveInterface(int ifindex) implements Step {
        @Override
        public Object mapKey() {
            return ifindex;
        }
    }

    /** Write a pod interface ({@code ep4_by_ifindex}). */
    public record PutInterface(int ifindex, Ipv4 address) implements Step {
        @Override
        public Object mapKey() {
            return ifindex;
        }
    }

    /** Add a policy entry ({@code policy4}). */
    public record PutEntry(Policy4Key key) implements Step {
        @Override
        public Object mapKey() {
            return key;
        }
    }

    /** Delete a policy entry ({@code policy4}). */
    public record RemoveEntry(Policy4Key key) implements Step {
        @Override
        public Object mapKey() {
            return key;
        }
    }

    /** Write an ipcache prefix ({@code ipcache4}). */
    public record PutIpcache(Ipcache4Key prefix, int identity) implements Step {
        @Override
        public Object mapKey() {
            return prefix;
        }
    }

    /** Delete an ipcache prefix ({@code ipcache4}). */
    public record RemoveIpcache(Ipcache4Key prefix) implements Step {
        @Override
        public Object mapKey() {
            return prefix;
        }
    }

    /** Increment {@code policy4_state.revision}. */
    public record BumpRevision() implements Step {
        @Override
        public Object mapKey() {
            return this;
        }
    }

    /** Whether there is nothing to write. */
    public boolean isEmpty() {
        return steps.isEmpty();
    }

    /** The plan from {@code before} to {@code after}. */
    public static PolicyWritePlan between(PolicyDatapathState before, PolicyDatapathState after) {
        List<Step> steps = new ArrayList<>();
        Map<Ipv4, Ep4Info> current = new HashMap<>(before.endpoints());

        // 1. relax
        for (Map.Entry<Integer, Ipv4> e : sorted(before.interfaces())) {
            if (!e.getValue().equals(after.interfaces().get(e.getKey()))) {
                steps.add(new RemoveInterface(e.getKey()));
            }
        }
        for (Map.Entry<Ipv4, Ep4Info> e : sorted(before.endpoints())) {
            Ep4Info old = e.getValue();
            Ep4Info next = after.endpoints().get(e.getKey());
            if (next == null) {
                steps.add(new RemoveEndpoint(e.getKey()));
                current.remove(e.getKey());
                continue;
            }
            int relaxed = old.endpointId() == next.endpointId() ? old.flags() & next.flags() : 0;
            if (relaxed != old.flags()) {
                Ep4Info step = old.withFlags(relaxed);
                steps.add(new PutEndpoint(e.getKey(), step));
                current.put(e.getKey(), step);
            }
        }
        // 2. grant
        after.entries().stream().filter(k -> !before.entries().contains(k)).sorted(ENTRY_ORDER)
                .forEach(k -> steps.add(new PutEntry(k)));
        // 3. ipcache upserts, longest prefix first
        after.ipcache().entrySet().stream()
                .filter(e -> !Objects.equals(before.ipcache().get(e.getKey()), e.getValue()))
                .sorted(Comparator.comparing((Map.Entry<Ipcache4Key, Integer> e) -> -e.getKey().prefixLength())
                        .thenComparing(Map.Entry::getKey))
                .forEach(e -> steps.add(new PutIpcache(e.getKey(), e.getValue())));
        // 4. ipcache deletions, shortest prefix first
        before.ipcache().keySet().stream().filter(k -> !after.ipcache().containsKey(k))
                .sorted(Comparator.comparingInt(Ipcache4Key::prefixLength).thenComparing(Comparator.naturalOrder()))
                .forEach(k -> steps.add(new RemoveIpcache(k)));
        // 5. endpoints as wanted, then their interfaces
        for (Map.Entry<Ipv4, Ep4Info> e : sorted(after.endpoints())) {
            if (!e.getValue().equals(current.get(e.getKey()))) {
                steps.add(new PutEndpoint(e.getKey(), e.getValue()));
            }
        }
        for (Map.Entry<Integer, Ipv4> e : sorted(after.interfaces())) {
            if (!e.getValue().equals(before.interfaces().get(e.getKey()))) {
                steps.add(new PutInterface(e.getKey(), e.getValue()));
            }
        }
        // 6. revoke
        before.entries().stream().filter(k -> !after.entries().contains(k)).sorted(ENTRY_ORDER)
                .forEach(k -> steps.add(new RemoveEntry(k)));
        // 7. re-check tracked flows
        if (!steps.isEmpty()) {
            steps.add(new BumpRevision());
        }
        return new PolicyWritePlan(steps);
    }

    /** The state {@code before} becomes once the steps are applied (the revision aside). */
    public PolicyDatapathState applyTo(PolicyDatapathState before) {
        return applyTo(before, steps.size());
    }

    /** The state after the first {@code count} steps, as the programs would see it then. */
    public PolicyDatapathState applyTo(PolicyDatapathState before, int count) {
        Map<Ipcache4Key, Integer> ipcache = new HashMap<>(before.ipcache());
        Map<Ipv4, Ep4Info> endpoints = new HashMap<>(before.endpoints());
        Map<Integer, Ipv4> interfaces = new HashMap<>(before.interfaces());
        java.util.Set<Policy4Key> entries = new java.util.HashSet<>(before.entries());
        for (Step step : steps.subList(0, count)) {
            switch (step) {
                case RemoveEndpoint s -> endpoints.remove(s.address());
                case PutEndpoint s -> endpoints.put(s.address(), s.info());
                case RemoveInterface s -> interfaces.remove(s.ifindex());
                case PutInterface s -> interfaces.put(s.ifindex(), s.address());
                case PutEntry s -> entries.add(s.key());
                case RemoveEntry s -> entries.remove(s.key());
                case PutIpcache s -> ipcache.put(s.prefix(), s.identity());
                case RemoveIpcache s -> ipcache.remove(s.prefix());
                case BumpRevision s -> { }
            }
        }
        return new PolicyDatapathState(ipcache, endpoints, interfaces, entries);
    }

    /** Endpoint, direction, identity, protocol, port, prefix length (written out: plans sort thousands of keys). */
    private static final Comparator<Policy4Key> ENTRY_ORDER = (a, b) -> {
        int c = Integer.compare(a.endpointId(), b.endpointId());
        if (c == 0) c = a.direction().compareTo(b.direction());
        if (c == 0) c = Integer.compare(a.identity(), b.identity());
        if (c == 0) c = Integer.compare(a.protocol(), b.protocol());
        if (c == 0) c = Integer.compare(a.port(), b.port());
        return c != 0 ? c : Integer.compare(a.prefixLength(), b.prefixLength());
    };

    private static <K extends Comparable<K>, V> List<Map.Entry<K, V>> sorted(Map<K, V> map) {
        return map.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList();
    }
}

package io.sluice.policy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * For every selector in use, the set of live identities it selects, kept current as identities come
 * and go, so that compiling a rule reads a set instead of matching labels. A new identity is matched
 * only against the selectors that could select it (selectors pinned to one namespace are indexed by
 * that namespace); a freed identity is removed through a reverse index. Each call reports every
 * (selector, identity) added or removed, in order, so the engine updates exactly the entries that derive
 * from them.
 *
 * <p>Not thread-safe: owned by the {@link PolicyEngine}'s thread.
 */
public final class SelectorCache {

    private static final class Entry {
        final Set<Integer> selected = new HashSet<>();
        final Set<Integer> view = Collections.unmodifiableSet(selected);
        int users;
    }

    private final Map<PeerSelector, Entry> entries = new HashMap<>();
    /** Label selectors pinned to one namespace name, by that name. */
    private final Map<String, Set<PeerSelector.Labels>> byNamespace = new HashMap<>();
    /** Label selectors that may select pods of several namespaces. */
    private final Set<PeerSelector.Labels> crossNamespace = new HashSet<>();
    private final Set<PeerSelector.Cidr> cidrSelectors = new HashSet<>();
    private final Map<Integer, SecurityLabels> podIdentities = new HashMap<>();
    private final Map<Integer, IpPrefix> cidrIdentities = new HashMap<>();
    private final Map<Integer, List<PeerSelector>> selectorsOf = new HashMap<>();

    /**
     * Takes a reference on {@code selector}, computing its selection from every live identity when it is
     * new, and returns its (live, read-only) selection.
     */
    public Set<Integer> acquire(PeerSelector selector) {
        Entry e = entries.get(selector);
        if (e == null) {
            e = new Entry();
            entries.put(selector, e);
            switch (selector) {
                case PeerSelector.Labels l -> {
                    String ns = pinnedNamespace(l);
                    if (ns != null) {
                        byNamespace.computeIfAbsent(ns, k -> new HashSet<>()).add(l);
                    } else {
                        crossNamespace.add(l);
                    }
                    for (Map.Entry<Integer, SecurityLabels> id : podIdentities.entrySet()) {
                        if (l.matches(id.getValue())) select(e, selector, id.getKey());
                    }
                }
                case PeerSelector.Cidr c -> {
                    cidrSelectors.add(c);
                    for (Map.Entry<Integer, IpPrefix> id : cidrIdentities.entrySet()) {
                        if (c.matches(id.getValue())) select(e, selector, id.getKey());
                    }
                }
            }
        }
        e.users++;
        return e.view;
    }

    /** Drops a reference; the selector is forgotten with its last user. */
    public void release(PeerSelector selector) {
        Entry e = entries.get(selector);
        if (e == null) {
            throw new IllegalStateException("release of unknown selector " + selector);
        }
        if (--e.users > 0) {
            return;
        }
        entries.remove(selector);
        for (Integer id : e.selected) {
            List<PeerSelector> list = selectorsOf.get(id);
            list.remove(selector);
            if (list.isEmpty()) selectorsOf.remove(id);
        }
        switch (selector) {
            case PeerSelector.Labels l -> {
                String ns = pinnedNamespace(l);
                if (ns != null) {
                    Set<PeerSelector.Labels> set = byNamespace.get(ns);
                    set.remove(l);
                    if (set.isEmpty()) byNamespace.remove(ns);
                } else {
                    crossNamespace.remove(l);
                }
            }
            case PeerSelector.Cidr c -> cidrSelectors.remove(c);
        }
    }

    /** The live selection of an acquired selector (read-only view; do not keep across updates). */
    public Set<Integer> selections(PeerSelector selector) {
        Entry e = entries.get(selector);
        if (e == null) {
            throw new IllegalStateException("selector not in cache: " + selector);
        }
        return e.view;
    }

    /**
     * One change to a selection.
     *
     * @param selector the selector
     * @param identity the identity that entered or left its selection
     * @param added true when it entered
     */
    public record Delta(PeerSelector selector, int identity, boolean added) {
    }

    /** Adds a new pod identity to every selector that selects it, reporting each addition. */
    public void addPodIdentity(int id, SecurityLabels labels, Collection<Delta> changed) {
        podIdentities.put(id, labels);
        Set<PeerSelector.Labels> pinned = byNamespace.getOrDefault(labels.namespace(), Set.of());
        for (PeerSelector.Labels l : pinned) {
            if (l.matches(labels)) select(entries.get(l), l, id, changed);
        }
        for (PeerSelector.Labels l : crossNamespace) {
            if (l.matches(labels)) select(entries.get(l), l, id, changed);
        }
    }

    /** Adds a new CIDR identity to every ipBlock selector that selects it, reporting each addition. */
    public void addCidrIdentity(int id, IpPrefix prefix, Collection<Delta> changed) {
        cidrIdentities.put(id, prefix);
        for (PeerSelector.Cidr c : cidrSelectors) {
            if (c.matches(prefix)) select(entries.get(c), c, id, changed);
        }
    }

    /** Removes a freed identity from every selection holding it, reporting each removal. */
    public void removeIdentity(int id, Collection<Delta> changed) {
        podIdentities.remove(id);
        cidrIdentities.remove(id);
        List<PeerSelector> holders = selectorsOf.remove(id);
        if (holders == null) {
            return;
        }
        for (PeerSelector s : holders) {
            entries.get(s).selected.remove(id);
            changed.add(new Delta(s, id, false));
        }
    }

    /** Number of selectors in use. */
    public int size() {
        return entries.size();
    }

    private void select(Entry e, PeerSelector selector, int id) {
        e.selected.add(id);
        selectorsOf.computeIfAbsent(id, k -> new ArrayList<>(4)).add(selector);
    }

    private void select(Entry e, PeerSelector selector, int id, Collection<Delta> changed) {
        select(e, selector, id);
        changed.add(new Delta(selector, id, true));
    }

    /** The namespace a selector is confined to by a {@code kubernetes.io/metadata.name In (one)} requirement. */
    private static String pinnedNamespace(PeerSelector.Labels l) {
        for (LabelSelectorMatcher.Requirement r : l.namespaces().requirements()) {
            if (r.key().equals(SecurityLabels.NAMESPACE_NAME_LABEL) && r.operator() == LabelSelectorMatcher.Operator.IN
                    && r.values().size() == 1) {
                return r.values().first();
            }
        }
        return null;
    }
}

package io.sluice.policy;

import java.util.List;

/**
 * What one NetworkPolicy peer (or a policy's own podSelector) selects, normalised so that equal
 * selections are equal objects and share one {@link SelectorCache} entry. A selector selects
 * identities: {@link Labels} selects pod identities, {@link Cidr} selects CIDR identities.
 */
public sealed interface PeerSelector {

    /**
     * Pods whose namespace labels match {@code namespaces} and whose labels match {@code pods}. A peer with
     * only a podSelector becomes {@code namespaces = {kubernetes.io/metadata.name=<policy namespace>}};
     * one with only a namespaceSelector becomes {@code pods = {}}.
     *
     * @param namespaces selector over the namespace's labels
     * @param pods selector over the pod's labels
     */
    record Labels(LabelSelectorMatcher namespaces, LabelSelectorMatcher pods) implements PeerSelector {

        /** Pods of one namespace matching {@code pods}. */
        public static Labels inNamespace(String namespace, LabelSelectorMatcher pods) {
            return new Labels(LabelSelectorMatcher.equalTo(SecurityLabels.NAMESPACE_NAME_LABEL, namespace), pods);
        }

        /** Whether a pod with these labels is selected. */
        public boolean matches(SecurityLabels labels) {
            return namespaces.matches(labels.namespaceLabels()) && pods.matches(labels.podLabels());
        }

        @Override
        public String toString() {
            return "ns" + namespaces + " pods" + pods;
        }
    }

    /**
     * An ipBlock: addresses in {@code cidr} but in none of {@code except}. Selects the CIDR identity of a
     * prefix P when P lies inside {@code cidr} and inside no except entry; see {@link IpCache} for why
     * that gives the ipBlock's verdict to every address.
     *
     * @param cidr the block
     * @param except sorted, distinct excluded sub-blocks
     */
    record Cidr(IpPrefix cidr, List<IpPrefix> except) implements PeerSelector {

        public Cidr {
            except = except.stream().distinct().sorted().toList();
        }

        /** Whether the CIDR identity of {@code prefix} is selected. */
        public boolean matches(IpPrefix prefix) {
            if (!cidr.contains(prefix)) {
                return false;
            }
            for (IpPrefix e : except) {
                if (e.contains(prefix)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            return except.isEmpty() ? "cidr " + cidr : "cidr " + cidr + " except " + except;
        }
    }
}

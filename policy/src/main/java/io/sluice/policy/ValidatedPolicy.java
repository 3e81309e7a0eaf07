package io.sluice.policy;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;

import java.util.ArrayList;
import java.util.List;

/**
 * A NetworkPolicy checked field by field and reduced to what enforcement needs.
 *
 * <p>Semantics carried over from networking.k8s.io/v1:
 * <ul>
 *   <li>{@code policyTypes} omitted: Ingress always, Egress only if the policy has egress rules. Rules of a
 *       direction not in {@code policyTypes} are ignored (they are still validated).</li>
 *   <li>A policy in force for a direction isolates the pods it selects in that direction, even with no
 *       rules (default deny); its rules only add allowed traffic.</li>
 *   <li>A peer with only {@code podSelector} selects pods of the policy's namespace; only
 *       {@code namespaceSelector}: all pods of the selected namespaces; both: pods matching the pod selector
 *       in the selected namespaces (AND inside one peer, OR between peers).</li>
 *   <li>A port without {@code protocol} is TCP; without {@code port} it is every port of the protocol.</li>
 * </ul>
 * Anything the API server would reject is refused here with the field's path: unknown operators and
 * protocols, ports out of 1..65535, {@code endPort} without a numeric {@code port} or before it, bad CIDRs,
 * except entries outside their cidr, peers with nothing or with ipBlock plus a selector.
 *
 * @param ref namespace/name
 * @param subjects the pods the policy applies to (its podSelector in its namespace)
 * @param ingress whether the policy is in force for ingress
 * @param egress whether the policy is in force for egress
 * @param ingressRules rules that allow ingress (empty when {@code ingress} is false)
 * @param egressRules rules that allow egress (empty when {@code egress} is false)
 */
public record ValidatedPolicy(PolicyRef ref, PeerSelector.Labels subjects, boolean ingress, boolean egress,
                              List<PolicyRule> ingressRules, List<PolicyRule> egressRules) {

    public ValidatedPolicy {
        ingressRules = List.copyOf(ingressRules);
        egressRules = List.copyOf(egressRules);
    }

    /** Rules in force for a direction. */
    public List<PolicyRule> rules(Direction direction) {
        return direction == Direction.INGRESS ? ingressRules : egressRules;
    }

    /** Whether the policy is in force for a direction. */
    public boolean enforces(Direction direction) {
        return direction == Direction.INGRESS ? ingress : egress;
    }

    /**
     * Validates {@code policy}.
     *
     * @throws InvalidFieldException for the first invalid field found, with its path
     */
    public static ValidatedPolicy from(NetworkPolicy policy) throws InvalidFieldException {
        if (policy.getMetadata() == null || isBlank(policy.getMetadata().getName())) {
            throw new InvalidFieldException("metadata.name", RefusalReason.MISSING_METADATA, "name is missing");
        }
        if (isBlank(policy.getMetadata().getNamespace())) {
            throw new InvalidFieldException("metadata.namespace", RefusalReason.MISSING_METADATA, "namespace is missing");
        }
        String namespace = policy.getMetadata().getNamespace();
        PolicyRef ref = new PolicyRef(namespace, policy.getMetadata().getName());
        NetworkPolicySpec spec = policy.getSpec() == null ? new NetworkPolicySpec() : policy.getSpec();

        PeerSelector.Labels subjects = PeerSelector.Labels.inNamespace(namespace,
                LabelSelectorMatcher.from(spec.getPodSelector(), "spec.podSelector"));

        List<NetworkPolicyIngressRule> ingress = spec.getIngress() == null ? List.of() : spec.getIngress();
        List<NetworkPolicyEgressRule> egress = spec.getEgress() == null ? List.of() : spec.getEgress();
        List<PolicyRule> ingressRules = new ArrayList<>();
        for (int i = 0; i < ingress.size(); i++) {
            NetworkPolicyIngressRule r = ingress.get(i);
            String field = "spec.ingress[" + i + "]";
            ingressRules.add(r == null ? new PolicyRule(List.of(), List.of())
                    : rule(namespace, r.getFrom(), field + ".from", r.getPorts(), field + ".ports"));
        }
        List<PolicyRule> egressRules = new ArrayList<>();
        for (int i = 0; i < egress.size(); i++) {
            NetworkPolicyEgressRule r = egress.get(i);
            String field = "spec.egress[" + i + "]";
            egressRules.add(r == null ? new PolicyRule(List.of(), List.of())
                    : rule(namespace, r.getTo(), field + ".to", r.getPorts(), field + ".ports"));
        }

        boolean inForIngress;
        boolean inForEgress;
        List<String> types = spec.getPolicyTypes();
        if (types == null || types.isEmpty()) {
            inForIngress = true;
            inForEgress = !egressRules.isEmpty();
        } else {
            inForIngress = false;
            inForEgress = false;
            for (int i = 0; i < types.size(); i++) {
                String t = types.get(i);
                if ("Ingress".equals(t)) {
                    inForIngress = true;
                } else if ("Egress".equals(t)) {
                    inForEgress = true;
                } else {
                    throw new InvalidFieldException("spec.policyTypes[" + i + "]", RefusalReason.UNKNOWN_POLICY_TYPE,
                            "\"" + t + "\" is neither Ingress nor Egress");
                }
            }
        }
        return new ValidatedPolicy(ref, subjects, inForIngress, inForEgress,
                inForIngress ? ingressRules : List.of(), inForEgress ? egressRules : List.of());
    }

    private static PolicyRule rule(String namespace, List<NetworkPolicyPeer> peers, String peersField,
                                   List<NetworkPolicyPort> ports, String portsField) throws InvalidFieldException {
        List<PeerSelector> selectors = new ArrayList<>();
        if (peers != null) {
            for (int i = 0; i < peers.size(); i++) {
                selectors.add(peer(namespace, peers.get(i), peersField + "[" + i + "]"));
            }
        }
        List<PortSpec> specs = new ArrayList<>();
        if (ports != null) {
            for (int i = 0; i < ports.size(); i++) {
                specs.add(port(ports.get(i), portsField + "[" + i + "]"));
            }
        }
        return new PolicyRule(selectors.stream().distinct().toList(), specs.stream().distinct().toList());
    }

    private static PeerSelector peer(String namespace, NetworkPolicyPeer peer, String field) throws InvalidFieldException {
        if (peer == null || (peer.getIpBlock() == null && peer.getPodSelector() == null && peer.getNamespaceSelector() == null)) {
            throw new InvalidFieldException(field, RefusalReason.EMPTY_PEER,
                    "must specify podSelector, namespaceSelector or ipBlock");
        }
        if (peer.getIpBlock() != null) {
            if (peer.getPodSelector() != null || peer.getNamespaceSelector() != null) {
                throw new InvalidFieldException(field, RefusalReason.IPBLOCK_WITH_SELECTOR,
                        "ipBlock may not be combined with podSelector or namespaceSelector");
            }
            return ipBlock(peer.getIpBlock(), field + ".ipBlock");
        }
        LabelSelectorMatcher pods = LabelSelectorMatcher.from(peer.getPodSelector(), field + ".podSelector");
        if (peer.getNamespaceSelector() == null) {
            return PeerSelector.Labels.inNamespace(namespace, pods);
        }
        return new PeerSelector.Labels(LabelSelectorMatcher.from(peer.getNamespaceSelector(), field + ".namespaceSelector"), pods);
    }

    private static PeerSelector ipBlock(IPBlock block, String field) throws InvalidFieldException {
        IpPrefix cidr = cidr(block.getCidr(), field + ".cidr");
        List<IpPrefix> except = new ArrayList<>();
        List<String> texts = block.getExcept() == null ? List.of() : block.getExcept();
        for (int i = 0; i < texts.size(); i++) {
            String exceptField = field + ".except[" + i + "]";
            IpPrefix e = cidr(texts.get(i), exceptField);
            if (!cidr.contains(e) || e.length() == cidr.length()) {
                throw new InvalidFieldException(exceptField, RefusalReason.EXCEPT_OUTSIDE_CIDR,
                        e + " is not a strict subset of " + cidr);
            }
            except.add(e);
        }
        return new PeerSelector.Cidr(cidr, except);
    }

    private static IpPrefix cidr(String text, String field) throws InvalidFieldException {
        try {
            return IpPrefix.parseCidr(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidFieldException(field, RefusalReason.INVALID_CIDR, e.getMessage());
        }
    }

    private static PortSpec port(NetworkPolicyPort port, String field) throws InvalidFieldException {
        if (port == null) {
            return PortSpec.Range.all(Protocol.TCP);
        }
        Protocol protocol = Protocol.TCP;
        if (port.getProtocol() != null) {
            protocol = Protocol.fromKubernetesName(port.getProtocol()).orElseThrow(() -> new InvalidFieldException(
                    field + ".protocol", RefusalReason.UNKNOWN_PROTOCOL,
                    "\"" + port.getProtocol() + "\" is not TCP, UDP or SCTP"));
        }
        IntOrString value = port.getPort();
        Integer endPort = port.getEndPort();
        if (value == null || (value.getIntVal() == null && value.getStrVal() == null)) {
            if (endPort != null) {
                throw new InvalidFieldException(field + ".endPort", RefusalReason.END_PORT_WITHOUT_PORT,
                        "endPort requires a numeric port");
            }
            return PortSpec.Range.all(protocol);
        }
        if (value.getIntVal() == null) {
            String name = value.getStrVal();
            if (endPort != null) {
                throw new InvalidFieldException(field + ".endPort", RefusalReason.END_PORT_WITH_NAMED_PORT,
                        "endPort may not be used with named port \"" + name + "\"");
            }
            if (!isPortName(name)) {
                throw new InvalidFieldException(field + ".port", RefusalReason.INVALID_PORT_NAME,
                        "\"" + name + "\" is not a port number or an IANA service name");
            }
            return new PortSpec.Named(protocol, name);
        }
        int first = value.getIntVal();
        if (first < 1 || first > 0xFFFF) {
            throw new InvalidFieldException(field + ".port", RefusalReason.PORT_OUT_OF_RANGE, first + " is not in 1..65535");
        }
        if (endPort == null) {
            return new PortSpec.Range(protocol, first, first);
        }
        if (endPort < 1 || endPort > 0xFFFF) {
            throw new InvalidFieldException(field + ".endPort", RefusalReason.PORT_OUT_OF_RANGE, endPort + " is not in 1..65535");
        }
        if (endPort < first) {
            throw new InvalidFieldException(field + ".endPort", RefusalReason.END_PORT_BEFORE_PORT,
                    endPort + " is smaller than port " + first);
        }
        return new PortSpec.Range(protocol, first, endPort);
    }

    /** IANA_SVC_NAME as Kubernetes validates it: 1-15 of [a-z0-9-], a letter, no edge or double hyphen. */
    static boolean isPortName(String name) {
        if (name == null || name.isEmpty() || name.length() > 15) {
            return false;
        }
        if (name.startsWith("-") || name.endsWith("-") || name.contains("--")) {
            return false;
        }
        boolean letter = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 'a' && c <= 'z') {
                letter = true;
            } else if (!(c >= '0' && c <= '9') && c != '-') {
                return false;
            }
        }
        return letter;
    }

    private static boolean isBlank(String s) {
        return s == null || s.isEmpty();
    }
}

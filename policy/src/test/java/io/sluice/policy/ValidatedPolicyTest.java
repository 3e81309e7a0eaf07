package io.sluice.policy;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ValidatedPolicyTest {

    static NetworkPolicyBuilder policy() {
        return new NetworkPolicyBuilder().withNewMetadata().withNamespace("shop").withName("web").endMetadata()
                .withNewSpec().withPodSelector(new LabelSelectorBuilder().addToMatchLabels("app", "web").build()).endSpec();
    }

    static NetworkPolicy ingressPorts(NetworkPolicyPort... ports) {
        return policy().editSpec().withIngress(new NetworkPolicyIngressRule(null, List.of(ports))).endSpec().build();
    }

    static NetworkPolicyPort port(Object port, Integer endPort, String protocol) {
        return new NetworkPolicyPort(endPort, port == null ? null : new IntOrString(port), protocol);
    }

    static Stream<Arguments> invalidPolicies() {
        NetworkPolicyPeer ok = new NetworkPolicyPeer(null, null, new LabelSelector());
        return Stream.of(
                Arguments.of(ingressPorts(port(80, null, "TCP"), port(8080, 8000, "TCP")),
                        "spec.ingress[0].ports[1].endPort", RefusalReason.END_PORT_BEFORE_PORT),
                Arguments.of(ingressPorts(port(0, null, null)), "spec.ingress[0].ports[0].port", RefusalReason.PORT_OUT_OF_RANGE),
                Arguments.of(ingressPorts(port(70000, null, null)), "spec.ingress[0].ports[0].port", RefusalReason.PORT_OUT_OF_RANGE),
                Arguments.of(ingressPorts(port(80, 70000, null)), "spec.ingress[0].ports[0].endPort", RefusalReason.PORT_OUT_OF_RANGE),
                Arguments.of(ingressPorts(port("http", 90, null)), "spec.ingress[0].ports[0].endPort", RefusalReason.END_PORT_WITH_NAMED_PORT),
                Arguments.of(ingressPorts(port(null, 90, null)), "spec.ingress[0].ports[0].endPort", RefusalReason.END_PORT_WITHOUT_PORT),
                Arguments.of(ingressPorts(port(80, null, "ICMP")), "spec.ingress[0].ports[0].protocol", RefusalReason.UNKNOWN_PROTOCOL),
                Arguments.of(ingressPorts(port(80, null, "tcp")), "spec.ingress[0].ports[0].protocol", RefusalReason.UNKNOWN_PROTOCOL),
                Arguments.of(ingressPorts(port("Http_Port", null, null)), "spec.ingress[0].ports[0].port", RefusalReason.INVALID_PORT_NAME),
                Arguments.of(ingressPorts(port("8080", null, null)), "spec.ingress[0].ports[0].port", RefusalReason.INVALID_PORT_NAME),
                Arguments.of(policy().editSpec().withEgress(new NetworkPolicyEgressRule(null, List.of(ok,
                                new NetworkPolicyPeer(new IPBlock("10.0.0.0/33", null), null, null)))).endSpec().build(),
                        "spec.egress[0].to[1].ipBlock.cidr", RefusalReason.INVALID_CIDR),
                Arguments.of(policy().editSpec().withEgress(new NetworkPolicyEgressRule(null, List.of(
                                new NetworkPolicyPeer(new IPBlock("10.0.0.0/8", List.of("10.1.0.0/16", "11.0.0.0/16")), null, null)))).endSpec().build(),
                        "spec.egress[0].to[0].ipBlock.except[1]", RefusalReason.EXCEPT_OUTSIDE_CIDR),
                Arguments.of(policy().editSpec().withEgress(new NetworkPolicyEgressRule(null, List.of(
                                new NetworkPolicyPeer(new IPBlock("10.0.0.0/8", List.of("10.0.0.0/8")), null, null)))).endSpec().build(),
                        "spec.egress[0].to[0].ipBlock.except[0]", RefusalReason.EXCEPT_OUTSIDE_CIDR),
                Arguments.of(policy().editSpec().withEgress(new NetworkPolicyEgressRule(null, List.of(
                                new NetworkPolicyPeer(new IPBlock("10.0.0.0/8", null), null, new LabelSelector())))).endSpec().build(),
                        "spec.egress[0].to[0]", RefusalReason.IPBLOCK_WITH_SELECTOR),
                Arguments.of(policy().editSpec().withIngress(new NetworkPolicyIngressRule(List.of(new NetworkPolicyPeer()), null)).endSpec().build(),
                        "spec.ingress[0].from[0]", RefusalReason.EMPTY_PEER),
                Arguments.of(policy().editSpec().withPolicyTypes("Ingress", "Sideways").endSpec().build(),
                        "spec.policyTypes[1]", RefusalReason.UNKNOWN_POLICY_TYPE),
                Arguments.of(policy().editSpec().withIngress(new NetworkPolicyIngressRule(List.of(new NetworkPolicyPeer(null,
                                        new LabelSelectorBuilder().addNewMatchExpression().withKey("team").withOperator("Exists")
                                                .withValues("x").endMatchExpression().build(), null)), null)).endSpec().build(),
                        "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values", RefusalReason.INVALID_SELECTOR_VALUES),
                Arguments.of(new NetworkPolicyBuilder().withNewMetadata().withName("x").endMetadata().build(),
                        "metadata.namespace", RefusalReason.MISSING_METADATA));
    }

    @ParameterizedTest
    @MethodSource("invalidPolicies")
    void invalidFieldsAreRefusedWithTheirPath(NetworkPolicy policy, String field, RefusalReason reason) {
        assertThatThrownBy(() -> ValidatedPolicy.from(policy))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> {
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.reason()).isEqualTo(reason);
                });
    }

    @Test
    void policyTypesDefaultToIngressAndToEgressOnlyWithEgressRules() throws Exception {
        ValidatedPolicy ingressOnly = ValidatedPolicy.from(policy().build());
        assertThat(ingressOnly.ingress()).isTrue();
        assertThat(ingressOnly.egress()).isFalse();

        ValidatedPolicy both = ValidatedPolicy.from(policy().editSpec()
                .withEgress(new NetworkPolicyEgressRule(null, null)).endSpec().build());
        assertThat(both.ingress()).isTrue();
        assertThat(both.egress()).isTrue();

        ValidatedPolicy egressOnly = ValidatedPolicy.from(policy().editSpec().withPolicyTypes("Egress")
                .withIngress(new NetworkPolicyIngressRule(null, null)).endSpec().build());
        assertThat(egressOnly.ingress()).isFalse();
        assertThat(egressOnly.ingressRules()).as("rules of a direction not in policyTypes are ignored").isEmpty();
        assertThat(egressOnly.egress()).isTrue();
        assertThat(egressOnly.egressRules()).as("Egress with no rules: deny all egress").isEmpty();
    }

    @Test
    void peersNormaliseToNamespaceAndPodSelectors() throws Exception {
        LabelSelector db = new LabelSelectorBuilder().addToMatchLabels("app", "db").build();
        LabelSelector prod = new LabelSelectorBuilder().addToMatchLabels("env", "prod").build();
        ValidatedPolicy p = ValidatedPolicy.from(policy().editSpec().withIngress(new NetworkPolicyIngressRule(List.of(
                new NetworkPolicyPeer(null, null, db),
                new NetworkPolicyPeer(null, prod, null),
                new NetworkPolicyPeer(null, prod, db)), List.of(port(null, null, null)))).endSpec().build());
        List<PeerSelector> peers = p.ingressRules().getFirst().peers();
        LabelSelectorMatcher dbM = LabelSelectorMatcher.from(db, "x");
        LabelSelectorMatcher prodM = LabelSelectorMatcher.from(prod, "x");
        assertThat(peers).containsExactly(
                PeerSelector.Labels.inNamespace("shop", dbM),
                new PeerSelector.Labels(prodM, LabelSelectorMatcher.ALL),
                new PeerSelector.Labels(prodM, dbM));
        assertThat(p.ingressRules().getFirst().ports()).containsExactly(PortSpec.Range.all(Protocol.TCP));
        assertThat(p.subjects()).isEqualTo(PeerSelector.Labels.inNamespace("shop", LabelSelectorMatcher.equalTo("app", "web")));
    }
}

package io.sluice.policy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LabelSelectorMatcherTest {

    private static LabelSelectorMatcher of(LabelSelector s) throws InvalidFieldException {
        return LabelSelectorMatcher.from(s, "spec.podSelector");
    }

    private static LabelSelector expr(String key, String op, String... values) {
        return new LabelSelectorBuilder().addToMatchExpressions(
                new LabelSelectorRequirement(key, op, values.length == 0 ? null : List.of(values))).build();
    }

    @Test
    void emptyAndMissingSelectorsMatchEverything() throws Exception {
        assertThat(of(null).matches(Map.of("a", "b"))).isTrue();
        assertThat(of(new LabelSelector()).matches(Map.of())).isTrue();
        assertThat(of(new LabelSelector()).matchesAll()).isTrue();
    }

    @Test
    void operatorsFollowKubernetesSemantics() throws Exception {
        Map<String, String> web = Map.of("app", "web", "tier", "front");
        Map<String, String> bare = Map.of();
        assertThat(of(expr("app", "In", "web", "db")).matches(web)).isTrue();
        assertThat(of(expr("app", "In", "db")).matches(web)).isFalse();
        assertThat(of(expr("app", "In", "web")).matches(bare)).isFalse();
        assertThat(of(expr("app", "NotIn", "web")).matches(web)).isFalse();
        assertThat(of(expr("app", "NotIn", "web")).matches(bare)).as("NotIn holds without the key").isTrue();
        assertThat(of(expr("app", "Exists")).matches(web)).isTrue();
        assertThat(of(expr("app", "Exists")).matches(bare)).isFalse();
        assertThat(of(expr("app", "DoesNotExist")).matches(bare)).isTrue();
        assertThat(of(expr("app", "DoesNotExist")).matches(web)).isFalse();
    }

    @Test
    void matchLabelsAndExpressionsMustAllHold() throws Exception {
        LabelSelector s = new LabelSelectorBuilder().addToMatchLabels("app", "web")
                .addToMatchExpressions(new LabelSelectorRequirement("tier", "In", List.of("front"))).build();
        assertThat(of(s).matches(Map.of("app", "web", "tier", "front"))).isTrue();
        assertThat(of(s).matches(Map.of("app", "web", "tier", "back"))).isFalse();
        assertThat(of(s).matches(Map.of("tier", "front"))).isFalse();
    }

    @Test
    void equivalentSelectorsAreEqual() throws Exception {
        LabelSelector a = new LabelSelectorBuilder().addToMatchLabels("app", "web").addToMatchLabels("tier", "x").build();
        LabelSelector b = new LabelSelectorBuilder()
                .addToMatchExpressions(new LabelSelectorRequirement("tier", "In", List.of("x")))
                .addToMatchExpressions(new LabelSelectorRequirement("app", "In", List.of("web", "web"))).build();
        assertThat(of(a)).isEqualTo(of(b));
        assertThat(of(a).hashCode()).isEqualTo(of(b).hashCode());
    }

    @Test
    void invalidRequirementsNameTheField() {
        assertThatThrownBy(() -> of(expr("app", "Like", "web")))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> {
                    assertThat(e.field()).isEqualTo("spec.podSelector.matchExpressions[0].operator");
                    assertThat(e.reason()).isEqualTo(RefusalReason.INVALID_SELECTOR_OPERATOR);
                });
        assertThatThrownBy(() -> of(expr("app", "In")))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> {
                    assertThat(e.field()).isEqualTo("spec.podSelector.matchExpressions[0].values");
                    assertThat(e.reason()).isEqualTo(RefusalReason.INVALID_SELECTOR_VALUES);
                });
        assertThatThrownBy(() -> of(expr("app", "Exists", "x")))
                .isInstanceOfSatisfying(InvalidFieldException.class,
                        e -> assertThat(e.reason()).isEqualTo(RefusalReason.INVALID_SELECTOR_VALUES));
        assertThatThrownBy(() -> of(expr("", "Exists")))
                .isInstanceOfSatisfying(InvalidFieldException.class,
                        e -> assertThat(e.field()).isEqualTo("spec.podSelector.matchExpressions[0].key"));
    }
}

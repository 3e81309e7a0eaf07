package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.LinkedHashMap;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * The informers' cache holds labels, annotations and a Service's selector as immutable copies
 * ({@link KubernetesSource#freezeStringMaps}): equal to what was parsed, and a Service built from the object still
 * has maps it can change.
 */
class KubernetesSourceStringMapsTest {
    @Property
    void labelsAnnotationsAndSelectorBecomeEqualImmutableCopies(@ForAll @Size(max = 8) Map<String, String> labels,
                                                               @ForAll @Size(max = 3) Map<String, String> annotations,
                                                               @ForAll @Size(max = 4) Map<String, String> selector) {
        Service service = new ServiceBuilder().withNewMetadata().withName("web").withNamespace("default")
                .withLabels(new LinkedHashMap<>(labels)).withAnnotations(new LinkedHashMap<>(annotations)).endMetadata()
                .withNewSpec().withSelector(new LinkedHashMap<>(selector)).endSpec().build();

        Service frozen = KubernetesSource.freezeStringMaps(service);

        assertThat(frozen).isSameAs(service);
        assertThat(frozen.getMetadata().getLabels()).isEqualTo(labels).isUnmodifiable();
        assertThat(frozen.getMetadata().getAnnotations()).isEqualTo(annotations).isUnmodifiable();
        assertThat(frozen.getSpec().getSelector()).isEqualTo(selector).isUnmodifiable();
        Service rebuilt = new ServiceBuilder(frozen).editMetadata().addToLabels("added", "yes").endMetadata().build();
        assertThat(rebuilt.getMetadata().getLabels()).containsEntry("added", "yes").hasSize(labels.size() + (labels.containsKey("added") ? 0 : 1));
    }

    @Test
    void aMapWithANullValueStaysAsParsed() {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app", null);
        Service service = new ServiceBuilder().withNewMetadata().withName("web").withLabels(labels).endMetadata().build();
        Map<String, String> parsed = service.getMetadata().getLabels();

        assertThat(KubernetesSource.freezeStringMaps(service).getMetadata().getLabels()).isSameAs(parsed).containsEntry("app", null);
    }
}

package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Example;
import tools.jackson.core.JacksonException;

/**
 * The binder's direct path for watched kinds gives exactly the objects fabric8's generic {@code unmarshal} gives,
 * for the YAML fabric8 writes and for hand-written flow-style YAML; other kinds and lists behave as the source's
 * rules say.
 */
class ManifestDocumentBinderTest {
    private final KubernetesSerialization fabric8 = new KubernetesSerialization();
    private final ManifestDocumentBinder binder = new ManifestDocumentBinder();

    @Property(tries = 200)
    void aServiceBindsToWhatFabric8sGenericPathGives(@ForAll("services") Service service) {
        String yaml = fabric8.asYaml(service);
        assertThat(bound(yaml)).containsExactly(fabric8.<Object>unmarshal(yaml));
    }

    @Property(tries = 200)
    void anEndpointSliceBindsToWhatFabric8sGenericPathGives(@ForAll("slices") EndpointSlice slice) {
        String yaml = fabric8.asYaml(slice);
        assertThat(bound(yaml)).containsExactly(fabric8.<Object>unmarshal(yaml));
        String json = fabric8.asJson(slice);
        assertThat(bound(json)).as("JSON is YAML too").containsExactly(fabric8.<Object>unmarshal(json));
    }

    @Property(tries = 100)
    void topLevelFieldsInAnyOrderBindLikeFabric8(@ForAll("services") Service service, @ForAll long seed) {
        Map<String, Object> fields = fabric8.convertValue(service, Map.class);
        List<String> order = new ArrayList<>(fields.keySet());
        Collections.shuffle(order, new Random(seed));
        Map<String, Object> shuffled = new LinkedHashMap<>();
        order.forEach(name -> shuffled.put(name, fields.get(name)));
        String yaml = fabric8.asYaml(shuffled);
        assertThat(bound(yaml)).as(yaml).containsExactly(fabric8.<Object>unmarshal(yaml));
    }

    @Example
    void handWrittenFlowStyleYamlBindsLikeFabric8() {
        String yaml = """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: web-1
                  namespace: shop
                  labels: {kubernetes.io/service-name: web, "tier": 2}
                addressType: IPv4
                ports: [{name: http, port: 8080, protocol: TCP}]
                endpoints:
                - {addresses: [10.0.0.1], conditions: {ready: true}, nodeName: node-1, zone: null}
                - {addresses: ["10.0.0.2"], conditions: {ready: false, serving: "true"}}
                """;
        assertThat(bound(yaml)).containsExactly(fabric8.<Object>unmarshal(yaml));
    }

    @Example
    void aYaml11BooleanIsRefusedAsFabric8RefusesIt() {
        String yaml = """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: web-1}
                addressType: IPv4
                endpoints: [{addresses: [10.0.0.1], conditions: {ready: yes}}]
                """;
        assertThatThrownBy(() -> fabric8.unmarshal(yaml)).hasMessageContaining("\"yes\"");
        assertThatThrownBy(() -> binder.objectsOf(yaml)).hasMessageContaining("\"yes\"");
    }

    @Example
    void aKindTheAgentDoesNotWatchIsNotBound() {
        String deployment = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec: {replicas: 2}
                """;
        assertThat(bound(deployment)).isEmpty();
        assertThat(bound("# only a comment\n")).isEmpty();
    }

    @Example
    void listsTakeFabric8sGenericPath() {
        String list = """
                apiVersion: v1
                kind: List
                items:
                - {apiVersion: v1, kind: Namespace, metadata: {name: shop}}
                - {apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {a: b}}
                """;
        assertThat(bound(list)).hasSize(2)
                .hasExactlyElementsOfTypes(Namespace.class, ConfigMap.class)
                .containsExactlyElementsOf(List.copyOf(fabric8.<KubernetesList>unmarshal(list).getItems()));
    }

    @Example
    void aValueThatDoesNotFitTheModelNamesItsField() {
        String yaml = """
                apiVersion: v1
                kind: Service
                metadata: {name: web}
                spec:
                  ports: [{name: http, port: eighty}]
                """;
        assertThatThrownBy(() -> binder.objectsOf(yaml))
                .satisfies(e -> assertThat(jacksonCause(e).getPath()).extracting(JacksonException.Reference::getPropertyName)
                        .containsExactly("spec", "ports", null, "port"));
    }

    @Example
    void aSyntaxErrorInAWatchedKindHasNoFieldPath() {
        String yaml = """
                apiVersion: v1
                kind: Service
                metadata: {name: web
                spec:
                  ports: [{name: http, port: 80}]
                """;
        // With a field path the source would report a field; a syntax error is reported with its own line.
        assertThatThrownBy(() -> binder.objectsOf(yaml))
                .satisfies(e -> assertThat(jacksonCause(e).getPath()).isEmpty());
    }

    @Example
    void aSyntaxErrorInAKindTheAgentDoesNotWatchIsStillAnError() {
        String yaml = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec: {replicas: 2
                """;
        assertThatThrownBy(() -> binder.objectsOf(yaml)).isInstanceOf(JacksonException.class);
    }

    private List<Object> bound(String document) {
        return List.copyOf(binder.objectsOf(document));
    }

    private static JacksonException jacksonCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JacksonException j) {
                return j;
            }
        }
        throw new AssertionError("no Jackson exception in " + e, e);
    }

    @Provide
    Arbitrary<Service> services() {
        return ModelArbitraries.services();
    }

    @Provide
    Arbitrary<EndpointSlice> slices() {
        return ModelArbitraries.slices();
    }
}

package io.sluice.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.sluice.policy.EndpointPolicy;
import io.sluice.policy.IpPrefix;
import io.sluice.policy.PodRef;
import io.sluice.policy.PolicyEngine;
import java.nio.file.Path;
import java.util.Map;
import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy engine's identities and endpoint ids survive a restart through the store; bad files are refused by name. */
class ChronicleIdentityStoreTest {
    @TempDir
    Path stateDir;

    private Path file() {
        return stateDir.resolve("policy-ids.dat");
    }

    @Test
    void recordsSurviveReopenAndRemovalsToo() {
        try (ChronicleIdentityStore store = ChronicleIdentityStore.open(file())) {
            store.put("identity:a", 256);
            store.put("endpoint:shop/web-0", 3);
            store.put("cidr-identity:10.0.0.0/8", 1 << 24);
            store.remove("identity:a");
        }
        try (ChronicleIdentityStore store = ChronicleIdentityStore.open(file())) {
            assertThat(store.loadAll()).containsExactlyInAnyOrderEntriesOf(
                    Map.of("endpoint:shop/web-0", 3, "cidr-identity:10.0.0.0/8", 1 << 24));
        }
    }

    @Test
    void aFreshStoreLoadsNothingAndThenWhatWasPut() {
        try (ChronicleIdentityStore store = ChronicleIdentityStore.open(file())) {
            assertThat(store.loadAll()).isEmpty();
            store.put("identity:a", 256);
            assertThat(store.loadAll()).containsExactlyEntriesOf(Map.of("identity:a", 256));
            store.remove("identity:a");
            assertThat(store.loadAll()).isEmpty();
        }
        try (ChronicleIdentityStore store = ChronicleIdentityStore.open(file())) {
            assertThat(store.loadAll()).isEmpty();
            store.put("endpoint:shop/web-0", 3);
        }
        try (ChronicleIdentityStore store = ChronicleIdentityStore.open(file())) {
            assertThat(store.loadAll()).containsExactlyEntriesOf(Map.of("endpoint:shop/web-0", 3));
        }
    }

    @Test
    void aRestartedEngineGivesTheSamePodTheSameIdentityAndEndpointId() {
        int identity;
        int endpointId;
        try (ChronicleIdentityStore store = ChronicleIdentityStore.open(file())) {
            PolicyEngine engine = new PolicyEngine("node-1", store);
            engine.upsertNamespace(namespace("shop"));
            engine.upsertPod(pod("shop", "other", "db", "10.0.0.9"));
            engine.upsertPod(pod("shop", "web-0", "web", "10.0.0.5"));
            identity = engine.ipcache().lookup(IpPrefix.parseAddress("10.0.0.5"));
            endpointId = engine.endpointPolicies().get(new PodRef("shop", "web-0")).endpointId();
        }
        try (ChronicleIdentityStore store = ChronicleIdentityStore.open(file())) {
            PolicyEngine engine = new PolicyEngine("node-1", store);
            engine.upsertNamespace(namespace("shop"));
            engine.upsertPod(pod("shop", "web-0", "web", "10.0.0.5")); // first this time: would get the first numbers
            EndpointPolicy web = engine.endpointPolicies().get(new PodRef("shop", "web-0"));
            assertThat(engine.ipcache().lookup(IpPrefix.parseAddress("10.0.0.5"))).isEqualTo(identity);
            assertThat(web.endpointId()).isEqualTo(endpointId);
        }
    }

    @Test
    void aSecondOpenIsRefusedWhileTheFirstHoldsTheLock() {
        try (ChronicleIdentityStore first = ChronicleIdentityStore.open(file())) {
            assertThatThrownBy(() -> ChronicleIdentityStore.open(file()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(file().toString()).hasMessageContaining("in use by another agent");
        }
    }

    @Test
    void aFileOfAnotherFormatVersionIsRefusedNamingIt() {
        try (ChronicleMap<CharSequence, Integer> other = ChronicleMap.of(CharSequence.class, Integer.class)
                .name("sluice-policy-ids").averageKeySize(120).entries(ChronicleIdentityStore.ENTRIES).maxBloatFactor(4)
                .createPersistedTo(file().toFile())) {
            other.put(ChronicleIdentityStore.VERSION_KEY, 99);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        assertThatThrownBy(() -> ChronicleIdentityStore.open(file()))
                .hasMessageContaining(file().toString()).hasMessageContaining("format version 99");
    }

    @Test
    void keysWithNulAreRefused() {
        try (ChronicleIdentityStore store = ChronicleIdentityStore.open(file())) {
            assertThatThrownBy(() -> store.put("identity:\0x", 300)).hasMessageContaining("NUL");
        }
    }

    private static Namespace namespace(String name) {
        return new NamespaceBuilder().withNewMetadata().withName(name)
                .addToLabels("kubernetes.io/metadata.name", name).endMetadata().build();
    }

    private static Pod pod(String namespace, String name, String app, String ip) {
        return new PodBuilder().withNewMetadata().withNamespace(namespace).withName(name).addToLabels("app", app)
                .endMetadata().withNewSpec().withNodeName("node-1").endSpec()
                .withNewStatus().withPhase("Running").withPodIP(ip).addNewPodIP(ip).endStatus().build();
    }
}

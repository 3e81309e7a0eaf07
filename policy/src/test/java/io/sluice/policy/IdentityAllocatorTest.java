package io.sluice.policy;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class IdentityAllocatorTest {

    private static SecurityLabels labels(String ns, Map<String, String> nsLabels, Map<String, String> podLabels) {
        return SecurityLabels.of(ns, nsLabels, podLabels);
    }

    @Test
    void equalLabelSetsShareOneIdentityAndDifferentOnesDoNot() {
        IdentityAllocator a = new IdentityAllocator(new InMemoryIdentityStore());
        IdentityAllocator.Allocation web1 = a.acquire(labels("shop", Map.of("team", "x"), Map.of("app", "web")));
        IdentityAllocator.Allocation web2 = a.acquire(labels("shop", Map.of("team", "x"), Map.of("app", "web")));
        IdentityAllocator.Allocation otherNs = a.acquire(labels("blog", Map.of("team", "x"), Map.of("app", "web")));
        IdentityAllocator.Allocation otherNsLabels = a.acquire(labels("shop", Map.of("team", "y"), Map.of("app", "web")));
        assertThat(web1.created()).isTrue();
        assertThat(web2.created()).isFalse();
        assertThat(web2.id()).isEqualTo(web1.id());
        assertThat(otherNs.id()).isNotEqualTo(web1.id());
        assertThat(otherNsLabels.id()).isNotIn(web1.id(), otherNs.id());
        assertThat(Identities.isPod(web1.id())).isTrue();
    }

    @Test
    void identityIsFreedWithItsLastReference() {
        IdentityAllocator a = new IdentityAllocator(new InMemoryIdentityStore());
        SecurityLabels l = labels("shop", Map.of(), Map.of("app", "web"));
        int id = a.acquire(l).id();
        a.acquire(l);
        assertThat(a.release(l)).isFalse();
        assertThat(a.idOf(l)).isEqualTo(id);
        assertThat(a.release(l)).isTrue();
        assertThat(a.idOf(l)).isEqualTo(-1);
        assertThat(a.labelsOf(id)).isNull();
        assertThat(a.acquire(labels("shop", Map.of(), Map.of("app", "db"))).id())
                .as("a freed number is not handed out again at once").isNotEqualTo(id);
    }

    @Test
    void cidrIdentitiesComeFromTheirOwnRange() {
        IdentityAllocator a = new IdentityAllocator(new InMemoryIdentityStore());
        int id = a.acquire(IpPrefix.parseCidr("10.0.0.0/8")).id();
        assertThat(Identities.isCidr(id)).isTrue();
        assertThat(id).isGreaterThanOrEqualTo(16_777_216);
        assertThat(a.prefixOf(id)).isEqualTo(IpPrefix.parseCidr("10.0.0.0/8"));
        assertThat(a.acquire(IpPrefix.parseCidr("10.0.0.0/8")).id()).isEqualTo(id);
    }

    @Test
    void aNewAllocatorOverTheSameStoreRestoresTheNumbers() {
        IdentityStore store = new InMemoryIdentityStore();
        IdentityAllocator before = new IdentityAllocator(store);
        SecurityLabels web = labels("shop", Map.of("team", "x"), Map.of("app", "web"));
        SecurityLabels db = labels("shop", Map.of("team", "x"), Map.of("app", "db"));
        SecurityLabels gone = labels("shop", Map.of(), Map.of("app", "old"));
        int webId = before.acquire(web).id();
        int dbId = before.acquire(db).id();
        int goneId = before.acquire(gone).id();
        int cidrId = before.acquire(IpPrefix.parseCidr("192.168.0.0/16")).id();

        IdentityAllocator after = new IdentityAllocator(store); // agent restart
        assertThat(after.acquire(db).id()).isEqualTo(dbId);
        assertThat(after.acquire(web).id()).isEqualTo(webId);
        assertThat(after.acquire(IpPrefix.parseCidr("192.168.0.0/16")).id()).isEqualTo(cidrId);
        int fresh = after.acquire(labels("shop", Map.of(), Map.of("app", "new"))).id();
        assertThat(fresh).as("restored numbers are reserved").isNotIn(webId, dbId, goneId);

        assertThat(after.releaseUnreferenced()).as("the one nobody claimed after sync").isEqualTo(1);
        assertThat(store.loadAll()).doesNotContainValue(goneId).containsValues(webId, dbId, cidrId, fresh);
    }

    @Test
    void corruptRecordsAreDroppedNotTrusted() {
        IdentityStore store = new InMemoryIdentityStore();
        SecurityLabels web = labels("shop", Map.of(), Map.of("app", "web"));
        store.put("identity:" + web.storeKey(), 5); // below the pod range
        IdentityAllocator a = new IdentityAllocator(store);
        assertThat(Identities.isPod(a.acquire(web).id())).isTrue();
    }

    @Test
    void storeKeysDistinguishLabelSetsThatConcatenateAlike() {
        assertThat(labels("a", Map.of(), Map.of("x", "1,y=2")).storeKey())
                .isNotEqualTo(labels("a", Map.of(), Map.of("x", "1", "y", "2")).storeKey());
        assertThat(labels("a", Map.of("k", "v"), Map.of()).storeKey())
                .isNotEqualTo(labels("a", Map.of(), Map.of("k", "v")).storeKey());
    }
}

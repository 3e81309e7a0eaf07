package io.sluice.loader;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PinnedMapTest {
    private static final String SELFTEST = "/io/sluice/bpf/test/selftest.bpf.o";

    @BeforeEach
    void kernel() {
        Kernel.require();
    }

    @Test
    void aPinnedMapOutlivesItsObjectAndIsAdoptedWithItsContents() throws Exception {
        try (Kernel.BpffsDir dir = new Kernel.BpffsDir(); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            key.set(JAVA_INT, 0, 42);
            MemorySegment value = arena.allocate(JAVA_LONG);
            value.set(JAVA_LONG, 0, 4242);
            int firstId;
            try (BpfObject first = BpfObject.openResource(SELFTEST)) {
                first.pinMapsUnder(dir.path);
                first.load();
                BpfMap pinned = first.map("selftest_pinned");
                assertThat(pinned.isPinnedByLoad()).isTrue();
                pinned.update(key, value, UpdateFlag.ANY);
                firstId = pinned.id();
            }
            Path pin = dir.path.resolve("selftest_pinned");
            assertThat(pin).exists();
            assertThat(dir.path.resolve("selftest_counts")).exists();

            MemorySegment out = arena.allocate(JAVA_LONG);
            try (BpfMap standalone = BpfMap.openPinned(pin)) {
                assertThat(standalone.id()).isEqualTo(firstId);
                assertThat(standalone.name()).isEqualTo("selftest_pinned");
                assertThat(standalone.type()).isEqualTo(MapType.HASH);
                assertThat(standalone.keySize()).isEqualTo(4);
                assertThat(standalone.valueSize()).isEqualTo(8);
                assertThat(standalone.maxEntries()).isEqualTo(64);
                assertThat(standalone.lookup(key, out)).isTrue();
                assertThat(out.get(JAVA_LONG, 0)).isEqualTo(4242);
            }

            try (BpfObject second = BpfObject.openResource(SELFTEST)) {
                second.pinMapsUnder(dir.path);
                second.load();
                BpfMap adopted = second.map("selftest_pinned");

                assertThat(adopted.id()).isEqualTo(firstId);
                out.set(JAVA_LONG, 0, 0);
                assertThat(adopted.lookup(key, out)).isTrue();
                assertThat(out.get(JAVA_LONG, 0)).isEqualTo(4242);
            }
        }
    }

    @Test
    void aPinOfAnotherSizeIsAdoptedAtItsSizeWithItsContents() throws Exception {
        try (Kernel.BpffsDir dir = new Kernel.BpffsDir(); Arena arena = Arena.ofConfined();
             BpfObject first = BpfObject.openResource(SELFTEST)) {
            first.load();
            // selftest_hash (a hash of 1024 entries) pinned where selftest_pinned (the same hash, 64 entries) will look.
            BpfMap larger = first.map("selftest_hash");
            larger.pin(dir.path.resolve("selftest_pinned"));
            MemorySegment key = arena.allocate(JAVA_INT);
            key.set(JAVA_INT, 0, 7);
            MemorySegment value = arena.allocate(JAVA_LONG);
            value.set(JAVA_LONG, 0, 77);
            larger.update(key, value, UpdateFlag.ANY);

            try (BpfObject second = BpfObject.openResource(SELFTEST)) {
                second.setMaxEntries("selftest_pinned", 128); // the pin's size wins
                second.pinMapsUnder(dir.path);
                assertThat(second.map("selftest_pinned").maxEntries()).isEqualTo(1024);
                second.load();
                BpfMap adopted = second.map("selftest_pinned");

                assertThat(adopted.id()).isEqualTo(larger.id());
                MemorySegment out = arena.allocate(JAVA_LONG);
                assertThat(adopted.lookup(key, out)).isTrue();
                assertThat(out.get(JAVA_LONG, 0)).isEqualTo(77);
            }
        }
    }

    @Test
    void aMapIsCreatedAtTheSizeSetBeforeLoad() throws Exception {
        try (Kernel.BpffsDir dir = new Kernel.BpffsDir(); BpfObject object = BpfObject.openResource(SELFTEST)) {
            object.setMaxEntries("selftest_pinned", 128);
            object.pinMapsUnder(dir.path);
            object.load();

            assertThat(object.map("selftest_pinned").maxEntries()).isEqualTo(128);
            try (BpfMap pinned = BpfMap.openPinned(dir.path.resolve("selftest_pinned"))) {
                assertThat(pinned.maxEntries()).as("the kernel's map").isEqualTo(128);
            }
            assertThatThrownBy(() -> object.setMaxEntries("selftest_pinned", 256))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("before load()");
        }
        try (BpfObject object = BpfObject.openResource(SELFTEST)) {
            assertThatThrownBy(() -> object.setMaxEntries("selftest_missing", 128))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("selftest_pinned");
            assertThatThrownBy(() -> object.setMaxEntries("selftest_pinned", 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_entries 0 is not positive");
        }
    }

    @Test
    void aPinWithAnotherDefinitionFailsTheLoadNamingThePin() throws Exception {
        try (Kernel.BpffsDir dir = new Kernel.BpffsDir(); BpfObject first = BpfObject.openResource(SELFTEST)) {
            first.load();
            // selftest_counts (an array) pinned where selftest_pinned (a hash) will look.
            first.map("selftest_counts").pin(dir.path.resolve("selftest_pinned"));

            try (BpfObject second = BpfObject.openResource(SELFTEST)) {
                second.pinMapsUnder(dir.path);

                assertThatThrownBy(second::load).isInstanceOfSatisfying(BpfException.class, e -> {
                    assertThat(e.errnoName()).isEqualTo("EINVAL");
                    assertThat(e.getMessage()).contains("selftest_pinned").contains("reuse");
                });
            }
        }
    }

    @Test
    void pinAndUnpinAMap() throws Exception {
        try (Kernel.BpffsDir dir = new Kernel.BpffsDir(); BpfObject object = BpfObject.openResource(SELFTEST)) {
            object.load();
            BpfMap hash = object.map("selftest_hash");
            Path pin = dir.path.resolve("hash");

            hash.pin(pin);
            assertThat(pin).exists();
            assertThatThrownBy(() -> object.map("selftest_counts").unpin(pin))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("selftest_hash");
            hash.unpin(pin);

            assertThat(Files.exists(pin)).isFalse();
        }
    }

    @Test
    void pinFoldersMustBeOnBpffsAndPinsMustBeMaps() throws Exception {
        Path notBpffs = Files.createTempDirectory("sluice-not-bpffs");
        try (Kernel.BpffsDir dir = new Kernel.BpffsDir(); BpfObject object = BpfObject.openResource(SELFTEST)) {
            assertThatThrownBy(() -> object.pinMapsUnder(notBpffs))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not on a BPF file system");
            assertThatThrownBy(() -> BpfMap.openPinned(dir.path.resolve("absent")))
                    .isInstanceOfSatisfying(BpfException.class, e -> {
                        assertThat(e.errnoName()).isEqualTo("ENOENT");
                        assertThat(e.getMessage()).contains("absent");
                    });
        } finally {
            Files.delete(notBpffs);
        }
    }
}

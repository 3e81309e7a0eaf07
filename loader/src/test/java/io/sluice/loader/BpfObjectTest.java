package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Opening objects needs no privileges (nothing reaches the kernel before load). */
class BpfObjectTest {
    @Test
    void listsProgramsWithSectionsAndMaps() {
        try (BpfObject object = BpfObject.openResource("/io/sluice/bpf/test/selftest.bpf.o")) {
            assertThat(object.name()).isEqualTo("selftest");
            assertThat(object.isLoaded()).isFalse();
            assertThat(object.programs()).extracting(BpfProgram::name, BpfProgram::sectionName).contains(
                    org.assertj.core.groups.Tuple.tuple("selftest_xdp", "xdp"),
                    org.assertj.core.groups.Tuple.tuple("selftest_tc", "tc"),
                    org.assertj.core.groups.Tuple.tuple("selftest_connect4", "cgroup/connect4"));
            assertThat(object.map("selftest_percpu").valueSize()).isEqualTo(8);
            assertThat(object.map("selftest_percpu").valueBufferSize()).isEqualTo(8L * LibBpf.possibleCpus());
        }
    }

    @Test
    void opensFromAFileAndFromBytesUnderTheGivenName() throws Exception {
        byte[] elf;
        try (InputStream in = BpfObjectTest.class.getResourceAsStream("/io/sluice/bpf/xdp_pass.bpf.o")) {
            elf = in.readAllBytes();
        }
        Path file = Files.createTempFile("xdp_pass", ".bpf.o");
        try {
            Files.write(file, elf);
            try (BpfObject fromFile = BpfObject.open(file); BpfObject fromBytes = BpfObject.open(elf, "renamed")) {
                assertThat(fromFile.program("xdp_pass").sectionName()).isEqualTo("xdp");
                assertThat(fromBytes.name()).isEqualTo("renamed");
                assertThat(fromBytes.program("xdp_pass").sectionName()).isEqualTo("xdp");
            }
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void unknownProgramsMapsAndFilesAreNamedInTheError() {
        try (BpfObject object = BpfObject.openResource("/io/sluice/bpf/test/selftest.bpf.o")) {
            assertThatThrownBy(() -> object.program("nope"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nope'").hasMessageContaining("selftest_xdp");
            assertThatThrownBy(() -> object.map("nope"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nope'").hasMessageContaining("selftest_hash");
        }
        assertThatThrownBy(() -> BpfObject.open(Path.of("/nonexistent/x.bpf.o")))
                .isInstanceOfSatisfying(BpfException.class, e -> {
                    assertThat(e.call()).isEqualTo("bpf_object__open_file");
                    assertThat(e.errnoName()).isEqualTo("ENOENT");
                    assertThat(e.getMessage()).contains("/nonexistent/x.bpf.o").contains("ENOENT");
                });
        assertThatThrownBy(() -> BpfObject.open(new byte[] {1, 2, 3}, "garbage"))
                .isInstanceOf(BpfException.class).hasMessageContaining("bpf_object__open_mem").hasMessageContaining("garbage");
        assertThatThrownBy(() -> BpfObject.openResource("/io/sluice/bpf/missing.bpf.o"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing.bpf.o");
    }

    @Test
    void closeIsIdempotentAndEndsUse() {
        BpfObject object = BpfObject.openResource("/io/sluice/bpf/xdp_pass.bpf.o");
        object.close();
        object.close();

        assertThatThrownBy(() -> object.program("xdp_pass"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}

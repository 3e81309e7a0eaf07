package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LibbpfLogTest {
    private static final int WARN = 0;
    private static final int INFO = 1;
    private static final int DEBUG = 2;

    @Test
    void takesTheVerifierLogOutOfOneMessage() {
        try (LibbpfLog.LoadCapture capture = LibbpfLog.capture()) {
            String rest = capture.accept(WARN, "libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n0: R1=ctx()\ninvalid access\n"
                    + "-- END PROG LOAD LOG --\n");

            assertThat(capture.verifierLog()).isEqualTo("0: R1=ctx()\ninvalid access\n");
            assertThat(rest).isEmpty();
        }
    }

    @Test
    void takesTheVerifierLogOutOfMessagesThatSplitIt() {
        try (LibbpfLog.LoadCapture capture = LibbpfLog.capture()) {
            capture.accept(WARN, "libbpf: prog 'p': BPF program load failed: Permission denied\n");
            capture.accept(WARN, "libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n0: R1=ctx()\n");
            capture.accept(WARN, "1: (71) r2 = *(u8 *)(r1 +20)\n");
            capture.accept(WARN, "-- END PROG LOAD LOG --\n");
            capture.accept(DEBUG, "libbpf: debug chatter\n");
            capture.accept(WARN, "libbpf: failed to load object 'o'\n");

            assertThat(capture.verifierLog()).isEqualTo("0: R1=ctx()\n1: (71) r2 = *(u8 *)(r1 +20)\n");
            assertThat(capture.warnings()).contains("Permission denied").contains("failed to load object 'o'")
                    .doesNotContain("R1=ctx").doesNotContain("debug chatter");
        }
    }

    @Test
    void aCaptureReadsWarningsAndAnOpenVerifierLogButNotDebugChatter() {
        try (LibbpfLog.LoadCapture capture = LibbpfLog.capture()) {
            assertThat(capture.reads(WARN)).isTrue();
            assertThat(capture.reads(INFO)).isFalse();
            assertThat(capture.reads(DEBUG)).isFalse();

            capture.accept(WARN, "libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n0: R1=ctx()\n");
            assertThat(capture.reads(DEBUG)).as("a verifier log split over messages is read to its end").isTrue();

            capture.accept(DEBUG, "1: (71) r2 = *(u8 *)(r1 +20)\n-- END PROG LOAD LOG --\n");
            assertThat(capture.reads(DEBUG)).isFalse();
            assertThat(capture.verifierLog()).isEqualTo("0: R1=ctx()\n1: (71) r2 = *(u8 *)(r1 +20)\n");
        }
    }
}

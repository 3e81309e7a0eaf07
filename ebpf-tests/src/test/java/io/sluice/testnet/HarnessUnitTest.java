package io.sluice.testnet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The harness's decisions that need no kernel. */
class HarnessUnitTest {

    @Test
    void missingRequirementsFailUnderCiAndSkipElsewhere() {
        List<String> missing = List.of("root (effective uid is 1000)", "a bpf filesystem");

        assertThatThrownBy(() -> KernelTestExtension.enforce(missing, true))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("root (effective uid is 1000); a bpf filesystem")
                .hasMessageContaining("CI=true");
        assertThatThrownBy(() -> KernelTestExtension.enforce(missing, false))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("root (effective uid is 1000); a bpf filesystem");
    }

    @Test
    void nothingMissingLetsTheTestRun() {
        assertThatCode(() -> KernelTestExtension.enforce(List.of(), true)).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @CsvSource({
            "198.18.0.0/15, 198.18.0.1, true",
            "198.18.0.0/15, 198.19.255.255, true",
            "198.18.0.0/15, 198.20.0.0, false",
            "198.18.0.0/15, 198.17.255.255, false",
            "10.0.0.0/8, 10.255.0.1, true",
            "0.0.0.0/0, 8.8.8.8, true",
            "2001:2::/48, 2001:2:0:ffff::1, true",
            "2001:2::/48, 2001:3::1, false",
            "198.18.0.0/15, ::ffff:198.18.0.1, true",
    })
    void prefixContainment(String cidr, String candidate, boolean expected) {
        assertThat(Cidr.parse("test", cidr).contains(InetAddress.ofLiteral(candidate))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({
            "198.18.0.1, true",
            "198.19.7.7, true",
            "10.200.0.1, false",
            "192.168.1.1, false",
            "2001:2::5, true",
            "fd00::1, false",
    })
    void onlyBenchmarkingRangesAreTestAddresses(String address, boolean expected) {
        assertThat(Cidr.inTestRanges(InetAddress.ofLiteral(address))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "198.18.0.1/33 | prefix length of '198.18.0.1/33' must be 0..32",
            "198.18.0.1 | not in address/prefix-length form",
            "example.com/24 | 'example.com' is not an IP address literal",
            "198.18.0.1/x | is not a number",
    })
    void badPrefixesAreRefusedNamingTheField(String text, String message) {
        assertThatThrownBy(() -> Cidr.parse("Topology.address of eth0", text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Topology.address of eth0: ")
                .hasMessageContaining(message);
    }

    @Test
    void namesCarryThisJvmsPidAndAreRecognisedBySweeper() {
        String ns = TestNames.netns("client");
        String cgroup = TestNames.cgroup("client");
        String pins = TestNames.bpfDir("client");

        assertThat(TestNames.ownerPid(TestNames.NETNS, ns)).hasValue(ProcessHandle.current().pid());
        assertThat(TestNames.ownerPid(TestNames.CGROUP, cgroup)).hasValue(ProcessHandle.current().pid());
        assertThat(TestNames.ownerPid(TestNames.BPF_DIR, pins)).hasValue(ProcessHandle.current().pid());
        assertThat(TestNames.netns("client")).isNotEqualTo(ns);
        assertThat(TestNames.ownerPid(TestNames.NETNS, "cni-1234")).isEmpty();
        assertThat(TestNames.ownerPid(TestNames.NETNS, "slc12x")).isEmpty();
        assertThat(Sweeper.ownerIsDead(TestNames.NETNS, ns)).isFalse();
        assertThat(Sweeper.ownerIsDead(TestNames.NETNS, "my-own-namespace")).isFalse();
        assertThat(Sweeper.ownerIsDead(TestNames.NETNS, "slc" + ProcessHandle.current().pid() + "x999999-old"))
                .as("this JVM's PID on a name it never handed out: an earlier process had the PID")
                .isTrue();
    }

    @Test
    void logicalNamesAreChecked() {
        assertThatThrownBy(() -> TestNames.requireLogical("Topology.namespace", "a b"))
                .hasMessageStartingWith("Topology.namespace: logical name 'a b'");
        assertThatThrownBy(() -> TestNames.requireLogical("Topology.namespace", "x".repeat(33)))
                .hasMessageContaining("1 to 32 characters");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "2026/11/29 08:00:18 socat[4877] E connect(5, AF=2 198.18.0.2:8081, 16): Connection refused | Refused",
            "2026/11/29 08:00:19 socat[4879] E connecting to AF=2 198.18.0.9:8081: Connection timed out | TimedOut",
            "2026/11/29 08:00:23 socat[4880] E connect(5, AF=2 198.18.0.10:8081, 16): No route to host | Unreachable",
            "2026/11/29 08:00:23 socat[4899] E connect(5, AF=2 198.51.100.1:8081, 16): Network is unreachable | Unreachable",
            "2026/11/29 08:00:23 socat[4899] E connect(5, AF=2 198.18.0.2:80, 16): Operation not permitted | Denied",
            "2026/11/29 08:00:23 socat[4899] E read(5, 0x1, 8192): Connection reset by peer | Failed",
    })
    void socatErrorsAreClassified(String stderr, String kind) {
        RequestOutcome outcome = Traffic.classify(1, stderr + "\n");

        assertThat(outcome.getClass().getSimpleName()).isEqualTo(kind);
        assertThat(outcome.toString()).doesNotContain("socat[");
    }
}

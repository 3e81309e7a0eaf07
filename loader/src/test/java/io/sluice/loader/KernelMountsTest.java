package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelMountsTest {
    private static final List<String> HYBRID_MACHINE = List.of(
            "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
            "tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0",
            "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0",
            "cgroup2 /sys/fs/cgroup/my\\040unified cgroup2 rw,nosuid,nodev,noexec,relatime 0 0",
            "cgroup2 /other cgroup2 rw 0 0",
            "bpf /mnt/bpf\\011tab\\134slash bpf rw,relatime 0 0",
            "bpf /sys/fs/bpf bpf rw,relatime 0 0");

    @Test
    void theFirstMountOfEachTypeIsFoundWithItsEscapesUndone() {
        assertThat(KernelMounts.firstOfType(HYBRID_MACHINE, "cgroup2")).contains(Path.of("/sys/fs/cgroup/my unified"));
        assertThat(KernelMounts.firstOfType(HYBRID_MACHINE, "bpf")).contains(Path.of("/mnt/bpf\ttab\\slash"));
        assertThat(KernelMounts.firstOfType(HYBRID_MACHINE, "cgroup")).contains(Path.of("/sys/fs/cgroup/cpu"));
    }

    @Test
    void anEscapeAtTheEndOfThePathIsUndoneAndABackslashWithoutDigitsIsKept() {
        List<String> mounts = List.of("bpf /mnt/trailing\\040 bpf rw 0 0", "cgroup2 /odd\\x12 cgroup2 rw 0 0");

        assertThat(KernelMounts.firstOfType(mounts, "bpf")).contains(Path.of("/mnt/trailing "));
        assertThat(KernelMounts.firstOfType(mounts, "cgroup2")).contains(Path.of("/odd\\x12"));
    }

    @Test
    void aTypeThatIsNotMountedIsAbsentAndShortLinesAreIgnored() {
        assertThat(KernelMounts.firstOfType(HYBRID_MACHINE, "debugfs")).isEmpty();
        assertThat(KernelMounts.firstOfType(List.of("", "bpf", "none /x"), "bpf")).isEmpty();
    }

    @Test
    void theMachinesMountsAreACgroupRootAndABpfFileSystem() throws Exception {
        Path cgroup2 = KernelMounts.cgroup2().orElseThrow();
        Path bpffs = KernelMounts.bpffs().orElseThrow();

        assertThat(Files.exists(cgroup2.resolve("cgroup.procs"))).isTrue();
        assertThat(bpffs).isDirectory();
        assertThat(Files.readAllLines(Path.of("/proc/mounts")))
                .anyMatch(line -> line.split(" ")[1].equals(bpffs.toString()) && line.split(" ")[2].equals("bpf"));
    }
}

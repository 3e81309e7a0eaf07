package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CgroupsTest {
    @Test
    void findsTheFirstCgroup2MountAndDecodesEscapes() {
        List<String> mounts = List.of(
                "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
                "tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0",
                "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0",
                "cgroup2 /sys/fs/cgroup/my\\040unified cgroup2 rw,nosuid,nodev,noexec,relatime 0 0",
                "cgroup2 /other cgroup2 rw 0 0");

        assertThat(Cgroups.v2Mount(mounts)).contains(Path.of("/sys/fs/cgroup/my unified"));
        assertThat(Cgroups.v2Mount(List.of("proc /proc proc rw 0 0"))).isEmpty();
    }

    @Test
    void theMachinesCgroup2MountIsACgroupRoot() {
        Path mount = Cgroups.v2Mount();

        assertThat(mount).isDirectory();
        assertThat(Files.exists(mount.resolve("cgroup.procs"))).isTrue();
    }
}

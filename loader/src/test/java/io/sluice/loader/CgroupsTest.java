package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CgroupsTest {
    @Test
    void theMachinesCgroup2MountIsACgroupRoot() {
        Path mount = Cgroups.v2Mount();

        assertThat(mount).isDirectory();
        assertThat(Files.exists(mount.resolve("cgroup.procs"))).isTrue();
    }

    @Test
    void theOwnCgroupIsTheV2LineOfProcSelfCgroupUnderTheMount() {
        List<String> selfCgroup = List.of("12:cpu,cpuacct:/user.slice", "1:name=systemd:/init.scope", "0::/user.slice/session-3.scope");

        assertThat(Cgroups.ownCgroup(Path.of("/sys/fs/cgroup/unified"), selfCgroup))
                .contains(Path.of("/sys/fs/cgroup/unified/user.slice/session-3.scope"));
        assertThat(Cgroups.ownCgroup(Path.of("/sys/fs/cgroup"), List.of("0::/"))).contains(Path.of("/sys/fs/cgroup"));
        assertThat(Cgroups.ownCgroup(Path.of("/sys/fs/cgroup"), List.of("4:memory:/a"))).isEmpty();
    }

    @Test
    void thisJvmsOwnCgroupListsThisJvm() throws Exception {
        Path own = Cgroups.ownCgroup().orElseThrow();

        assertThat(Files.readAllLines(own.resolve("cgroup.procs"))).contains(Long.toString(ProcessHandle.current().pid()));
    }
}

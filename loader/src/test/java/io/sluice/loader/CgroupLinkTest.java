package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CgroupLinkTest {
    private static final String SELFTEST = "/io/sluice/bpf/test/selftest.bpf.o";

    @BeforeEach
    void kernel() {
        Kernel.require();
    }

    @Test
    void aPinnedCgroupLinkStaysAttachedAfterCloseAndIsTakenOverFromItsPin() throws Exception {
        try (Kernel.TestCgroup cgroup = new Kernel.TestCgroup(); Kernel.BpffsDir dir = new Kernel.BpffsDir()) {
            Path pin = dir.path.resolve("connect4_link");
            int firstProgramId;
            try (BpfObject object = BpfObject.openResource(SELFTEST)) {
                object.load();
                BpfProgram connect4 = object.program("selftest_connect4");
                assertThat(connect4.cgroupHook()).contains(CgroupHook.INET4_CONNECT);
                firstProgramId = connect4.id();

                try (BpfLink link = connect4.attachCgroup(cgroup.path)) {
                    BpfLink.Info info = link.info();
                    assertThat(info.type()).isEqualTo(BpfLink.Info.TYPE_CGROUP);
                    assertThat(info.programId()).isEqualTo(firstProgramId);
                    assertThat(info.attachType()).isEqualTo(CgroupHook.INET4_CONNECT.attachType());
                    assertThat(info.target()).isEqualTo(Files.getAttribute(cgroup.path, "unix:ino"));
                    link.pin(pin);
                }
            }
            // Link and object closed: the pin alone keeps the program attached.
            assertThat(Cgroups.attachedProgramIds(cgroup.path, CgroupHook.INET4_CONNECT)).containsExactly(firstProgramId);

            try (BpfObject newer = BpfObject.openResource(SELFTEST); BpfLink link = BpfLink.openPinned(pin)) {
                newer.load();
                assertThat(link.pinPath()).contains(pin);
                assertThat(link.info().programId()).isEqualTo(firstProgramId);
                int newerId = newer.program("selftest_connect4").id();

                link.update(newer.program("selftest_connect4"));

                assertThat(link.info().programId()).isEqualTo(newerId);
                assertThat(Cgroups.attachedProgramIds(cgroup.path, CgroupHook.INET4_CONNECT)).containsExactly(newerId);
                link.unpin();
            }
            // Unpinned and every descriptor closed: detached.
            assertThat(Files.exists(pin)).isFalse();
            assertThat(Cgroups.attachedProgramIds(cgroup.path, CgroupHook.INET4_CONNECT)).isEmpty();
        }
    }

    @Test
    void anUnpinnedCgroupLinkDetachesOnClose() throws Exception {
        try (Kernel.TestCgroup cgroup = new Kernel.TestCgroup(); BpfObject object = BpfObject.openResource(SELFTEST)) {
            object.load();
            BpfProgram connect4 = object.program("selftest_connect4");

            try (BpfLink link = connect4.attachCgroup(cgroup.path)) {
                assertThat(link.fd()).isPositive();
                assertThat(Cgroups.attachedProgramIds(cgroup.path, CgroupHook.INET4_CONNECT)).containsExactly(connect4.id());
            }

            assertThat(Cgroups.attachedProgramIds(cgroup.path, CgroupHook.INET4_CONNECT)).isEmpty();
        }
    }

    @Test
    void onlyCgroupProgramsAttachToCgroupsAndOnlyLinksOpenFromPins() throws Exception {
        try (Kernel.TestCgroup cgroup = new Kernel.TestCgroup(); Kernel.BpffsDir dir = new Kernel.BpffsDir();
             BpfObject object = BpfObject.openResource(SELFTEST)) {
            object.load();

            assertThatThrownBy(() -> object.program("selftest_xdp").attachCgroup(cgroup.path))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("selftest_xdp").hasMessageContaining("not a cgroup program");
            assertThatThrownBy(() -> object.program("selftest_connect4").attachCgroup(cgroup.path.resolve("absent")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("absent");
            Path mapPin = dir.path.resolve("a_map");
            object.map("selftest_hash").pin(mapPin);
            assertThatThrownBy(() -> BpfLink.openPinned(mapPin))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a link");
        }
    }
}

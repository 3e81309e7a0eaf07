package io.sluice.agent.ids;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import net.openhft.chronicle.hash.impl.util.jna.PosixFallocate;
import net.openhft.posix.MSyncFlag;
import net.openhft.posix.PosixAPI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chronicle makes its POSIX calls through {@link ChroniclePosixCalls} once the agent builds a map (not through
 * jnr-ffi), and those calls reach the kernel: fallocate reserves a file's space, msync answers as msync(2) does.
 */
class ChroniclePosixCallsTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void chronicleMakesItsPosixCallsThroughTheLinkerOnceTheAgentBuildsAMap() {
        LockedChronicleFile.mapOf(Integer.class, Long.class);
        assertThat(PosixAPI.posix()).isInstanceOf(ChroniclePosixCalls.class);
    }

    @Test
    void chroniclesFallocateReservesTheSpaceItAsksFor() throws Exception {
        LockedChronicleFile.mapOf(Integer.class, Long.class);
        Path file = dir.resolve("reserved");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            // Chronicle Map's own call when a map file grows (mode 0 also extends the file's length).
            PosixFallocate.fallocate(raf.getFD(), 0, MIB);
        }
        assertThat(Files.size(file)).as("fallocate(2) extended the file").isEqualTo(MIB);
    }

    @Test
    void msyncSyncsAMappedFileAndRefusesAnAddressOffAPage() throws Exception {
        LockedChronicleFile.mapOf(Integer.class, Long.class);
        Path file = dir.resolve("mapped");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE); Arena arena = Arena.ofConfined()) {
            channel.truncate(MIB);
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, MIB, arena);
            mapped.set(ValueLayout.JAVA_LONG, 0, 42L);
            PosixAPI posix = PosixAPI.posix();
            assertThat(posix.msync(mapped.address(), MIB, MSyncFlag.MS_SYNC)).isZero();
            assertThat(posix.msync(mapped.address() + 1, MIB - 1, MSyncFlag.MS_SYNC))
                    .as("EINVAL: msync(2) needs a page-aligned address").isEqualTo(-1);
        }
    }
}

package io.sluice.loader;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A BPF link: the kernel object that keeps a program attached (XDP on an interface, a program on a cgroup hook).
 * The program stays attached while any descriptor of the link is open or the link is pinned on bpffs, so a
 * {@linkplain #pin pinned} link survives {@link #close()} and the exit of this process, and a new agent takes it
 * over with {@link #openPinned} and swaps the program atomically with {@link #update}. Holds one file descriptor
 * of its own; works on descriptors directly (bpf_link_create, bpf_obj_pin, bpf_obj_get, bpf_link_update), which
 * is what libbpf's {@code bpf_link__*} functions do for these links.
 *
 * <p>Thread safety: not thread-safe; one owner thread, or external synchronisation.
 */
public final class BpfLink implements AutoCloseable {
    /**
     * The kernel's view of a link ({@code struct bpf_link_info}). {@code target} is the cgroup id (the inode
     * of its folder) for a cgroup link and the interface index for an XDP link; {@code attachType} is the cgroup
     * attach type, or -1.
     */
    public record Info(int type, int id, int programId, long target, int attachType) {
        /** {@code BPF_LINK_TYPE_CGROUP}. */
        public static final int TYPE_CGROUP = 3;
        /** {@code BPF_LINK_TYPE_XDP}. */
        public static final int TYPE_XDP = 6;

    }

    private final String description;
    private int fd;
    private Path pinPath;

    BpfLink(int fd, String description) {
        this.fd = fd;
        this.description = description;
    }

    /**
     * Opens the link pinned at {@code path} (bpf_obj_get). Closing it releases only this descriptor.
     *
     * @throws IllegalArgumentException if the pinned object is not a link
     */
    public static BpfLink openPinned(Path path) {
        int fd = ObjectInfo.openPinned(path, "BPF link");
        if (ObjectInfo.kind(fd) != ObjectInfo.Kind.LINK) {
            LibC.close(fd, "BPF object pinned at " + path);
            throw new IllegalArgumentException("the BPF object pinned at " + path + " is not a link");
        }
        BpfLink link = new BpfLink(fd, "BPF link pinned at " + path);
        link.pinPath = path;
        return link;
    }

    /** The link's file descriptor, owned by this object. */
    public int fd() {
        ensureOpen();
        return fd;
    }

    /** What the link attaches, e.g. {@code program 'x' ... on cgroup /sys/fs/cgroup/...}. */
    public String description() {
        return description;
    }

    /** The kernel's info: link type and id, the attached program's id, and the target. */
    public Info info() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = ObjectInfo.read(arena, fd(), LibBpf.LINK_INFO_SIZE, description);
            int type = info.get(JAVA_INT, LibBpf.LINK_INFO_TYPE);
            long target;
            int attachType = -1;
            if (type == Info.TYPE_CGROUP) {
                target = info.get(JAVA_LONG, LibBpf.LINK_INFO_UNION);
                attachType = info.get(JAVA_INT, LibBpf.LINK_INFO_UNION + 8);
            } else {
                target = Integer.toUnsignedLong(info.get(JAVA_INT, LibBpf.LINK_INFO_UNION));
            }
            return new Info(type, info.get(JAVA_INT, LibBpf.LINK_INFO_ID), info.get(JAVA_INT, LibBpf.LINK_INFO_PROG_ID),
                    target, attachType);
        }
    }

    /** Pins the link at {@code path} on bpffs: it then stays attached after close and after this process exits. */
    public void pin(Path path) {
        ObjectInfo.pin(fd(), path, description);
        pinPath = path;
    }

    /**
     * Removes the pin made by {@link #pin} or found by {@link #openPinned}; the program then stays attached only
     * as long as a descriptor (this one) is open.
     */
    public void unpin() {
        if (pinPath == null) {
            throw new IllegalStateException(description + " is not pinned");
        }
        try {
            Files.delete(pinPath);
        } catch (IOException e) {
            throw new UncheckedIOException("unpinning " + description + " at " + pinPath, e);
        }
        pinPath = null;
    }

    /** Where the link is pinned, if this object pinned it or was opened from the pin. */
    public Optional<Path> pinPath() {
        return Optional.ofNullable(pinPath);
    }

    /** Replaces the attached program atomically (bpf_link_update); packets see the old or the new one. */
    public void update(BpfProgram program) {
        int linkFd = fd();
        int progFd = program.fd();
        try {
            int rc = (int) LibBpf.bpf_link_update.HANDLE.invokeExact(linkFd, progFd, MemorySegment.NULL);
            if (rc < 0) {
                throw new BpfException("bpf_link_update", description + " to " + program.describe(), rc);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private void ensureOpen() {
        if (fd < 0) {
            throw new IllegalStateException(description + " is closed");
        }
    }

    /** Releases this descriptor; an unpinned link with no other descriptor detaches its program. Idempotent. */
    @Override
    public void close() {
        if (fd >= 0) {
            int closing = fd;
            fd = -1;
            LibC.close(closing, description);
        }
    }

    @Override
    public String toString() {
        return "BpfLink[" + description + (pinPath != null ? ", pinned at " + pinPath : "") + "]";
    }
}

package io.sluice.loader;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/** bpf_obj_get_info_by_fd, and which kind of BPF object a descriptor refers to. Stateless. */
final class ObjectInfo {
    /** What a BPF descriptor refers to, from its anonymous inode's name ({@code anon_inode:bpf-map}). */
    enum Kind { MAP, PROG, LINK, OTHER }

    private ObjectInfo() {
    }

    /** The kernel's info struct of the object behind {@code fd}, {@code size} bytes, zero-filled beyond it. */
    static MemorySegment read(Arena arena, int fd, int size, String what) {
        MemorySegment info = arena.allocate(size, 8);
        MemorySegment length = arena.allocate(JAVA_INT);
        length.set(JAVA_INT, 0, size);
        try {
            int rc = (int) LibBpf.bpf_obj_get_info_by_fd.HANDLE.invokeExact(fd, info, length);
            if (rc < 0) {
                throw new BpfException("bpf_obj_get_info_by_fd", what, rc);
            }
            return info;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static Kind kind(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return switch (target) {
                case "anon_inode:bpf-map" -> Kind.MAP;
                case "anon_inode:bpf-prog" -> Kind.PROG;
                case "anon_inode:bpf_link", "anon_inode:bpf-link" -> Kind.LINK;
                default -> Kind.OTHER;
            };
        } catch (IOException e) {
            return Kind.OTHER;
        }
    }

    /** bpf_obj_get: the descriptor of the object pinned at {@code path}. */
    static int openPinned(Path path, String what) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) LibBpf.bpf_obj_get.HANDLE.invokeExact(arena.allocateFrom(path.toString()));
            if (fd < 0) {
                throw new BpfException("bpf_obj_get", what + " pinned at " + path, fd);
            }
            return fd;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** bpf_obj_pin: pins the object behind {@code fd} at {@code path} (its folder must be on bpffs). */
    static void pin(int fd, Path path, String what) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) LibBpf.bpf_obj_pin.HANDLE.invokeExact(fd, arena.allocateFrom(path.toString()));
            if (rc < 0) {
                throw new BpfException("bpf_obj_pin", what + " at " + path, rc);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}

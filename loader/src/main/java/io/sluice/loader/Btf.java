package io.sluice.loader;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The BTF type information of a compiled BPF object (btf__parse_elf), to read the layout of its C structs:
 * {@link #struct(String)} gives a struct's size and each member's offset and size, so Java layouts can be proven
 * equal to the C structs. Owns the libbpf {@code struct btf}; close frees it.
 *
 * <p>Thread confinement: one thread at a time.
 */
@SuppressWarnings("restricted") // native memory of libbpf and upcalls: the point of this class
public final class Btf implements AutoCloseable {
    private static final int BTF_KIND_STRUCT = 4;
    private static final int BTF_KIND_UNION = 5;
    private static final long BTF_TYPE_SIZE = 12;
    private static final long BTF_MEMBER_SIZE = 12;

    /**
     * One member of a struct or union: name (empty for an anonymous member), offset from the start in bits,
     * bitfield width in bits (0 if not a bitfield) and the size of its type in bytes.
     */
    public record Member(String name, long offsetBits, int bitfieldBits, long sizeBytes) {
        /** The offset in whole bytes (for a bitfield, of the byte holding its first bit). */
        public long offsetBytes() {
            return offsetBits / 8;
        }
    }

    /** A struct's (or union's) name, total size in bytes and members in declaration order. */
    public record StructInfo(String name, long sizeBytes, List<Member> members) {
        public StructInfo {
            members = List.copyOf(members);
        }

        /** The member named {@code memberName}. */
        public Member member(String memberName) {
            return members.stream().filter(m -> m.name().equals(memberName)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("struct " + name + " has no member '" + memberName
                            + "'; it has " + members.stream().map(Member::name).toList()));
        }
    }

    private final MemorySegment btf;
    private final String source;
    private boolean closed;

    private Btf(MemorySegment btf, String source) {
        this.btf = btf;
        this.source = source;
    }

    /** Reads the {@code .BTF} section of the ELF object at {@code file}. */
    public static Btf parseElf(Path file) {
        return new Btf(parse(file), file.toString());
    }

    private static MemorySegment parse(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment btf = (MemorySegment) LibBpf.btf__parse_elf.HANDLE.invokeExact(Native.capture(),
                    arena.allocateFrom(file.toString()), MemorySegment.NULL);
            if (btf.equals(MemorySegment.NULL)) {
                throw new BpfException("btf__parse_elf", "BPF object " + file, Native.errno());
            }
            return btf;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Reads the BTF of an ELF object given as bytes (through a temporary file that is removed again). */
    public static Btf parseElf(byte[] elf, String objectName) {
        Path file = null;
        try {
            file = Files.createTempFile("sluice-btf-", ".bpf.o");
            Files.write(file, elf);
            return new Btf(parse(file), objectName);
        } catch (IOException e) {
            throw new UncheckedIOException("writing BPF object '" + objectName + "' to a temporary file", e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    file.toFile().deleteOnExit();
                }
            }
        }
    }

    /** Reads the BTF of an object on the class path, e.g. {@code /io/sluice/bpf/sluice_pod.bpf.o}. */
    public static Btf fromResource(String classpathResource) {
        String resource = classpathResource.startsWith("/") ? classpathResource : "/" + classpathResource;
        try (InputStream in = BpfObject.openStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("BPF object " + resource + " is not on the class path");
            }
            return parseElf(in.readAllBytes(), resource);
        } catch (IOException e) {
            throw new UncheckedIOException("reading BPF object " + resource, e);
        }
    }

    /**
     * The layout of {@code struct name} (or {@code union name}).
     *
     * @throws IllegalArgumentException if the object's BTF has no struct or union of that name
     */
    public StructInfo struct(String name) {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cName = arena.allocateFrom(name);
            int id = (int) LibBpf.btf__find_by_name_kind.HANDLE.invokeExact(btf, cName, BTF_KIND_STRUCT);
            if (id < 0) {
                id = (int) LibBpf.btf__find_by_name_kind.HANDLE.invokeExact(btf, cName, BTF_KIND_UNION);
            }
            if (id < 0) {
                throw new IllegalArgumentException("BTF of " + source + " has no struct or union '" + name + "'");
            }
            MemorySegment type = (MemorySegment) LibBpf.btf__type_by_id.HANDLE.invokeExact(btf, id);
            type = type.reinterpret(BTF_TYPE_SIZE);
            int info = type.get(JAVA_INT, 4);
            int vlen = info & 0xFFFF;
            boolean kindFlag = (info >>> 31) != 0;
            long size = Integer.toUnsignedLong(type.get(JAVA_INT, 8));
            MemorySegment members = type.reinterpret(BTF_TYPE_SIZE + vlen * BTF_MEMBER_SIZE).asSlice(BTF_TYPE_SIZE);
            List<Member> list = new ArrayList<>(vlen);
            for (int i = 0; i < vlen; i++) {
                long base = i * BTF_MEMBER_SIZE;
                int nameOff = members.get(JAVA_INT, base);
                int memberType = members.get(JAVA_INT, base + 4);
                int offset = members.get(JAVA_INT, base + 8);
                long offsetBits = kindFlag ? offset & 0xFFFFFF : Integer.toUnsignedLong(offset);
                int bitfieldBits = kindFlag ? offset >>> 24 : 0;
                String memberName = Native.string((MemorySegment) LibBpf.btf__name_by_offset.HANDLE.invokeExact(btf, nameOff));
                long memberSize = (long) LibBpf.btf__resolve_size.HANDLE.invokeExact(btf, memberType);
                if (memberSize < 0) {
                    throw new BpfException("btf__resolve_size", "member '" + memberName + "' of struct " + name, (int) memberSize);
                }
                list.add(new Member(memberName == null ? "" : memberName, offsetBits, bitfieldBits, memberSize));
            }
            return new StructInfo(name, size, list);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("BTF of " + source + " is closed");
        }
    }

    /** Frees the BTF (btf__free). Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                LibBpf.btf__free.HANDLE.invokeExact(btf);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
        }
    }
}

package io.sluice.loader;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A BPF iterator program attached as an iterator link ({@code bpf_program__attach_iter}), e.g. {@code iter/udp}:
 * each {@link #run} creates one iterator ({@code bpf_iter_create} on the link), reads it to the end, which runs the
 * program once per object the kernel walks, and returns what the program wrote ({@code bpf_seq_write}). Socket
 * iterators walk the sockets of the network namespace the iterator is created in, so {@link #run(NetworkNamespace)}
 * creates it inside the given namespace. Closing the link ({@code bpf_link__destroy}) ends the attachment; an
 * iterator link is never pinned here.
 *
 * <p>Thread safety: {@link #run} may be called from any thread, concurrently (each run has its own iterator);
 * {@link #close} must not race with a run.
 */
public final class BpfIterator implements AutoCloseable {
    private static final int READ_CHUNK = 4096;

    private final BpfProgram program;
    private MemorySegment link;
    private final int linkFd;

    private BpfIterator(BpfProgram program, MemorySegment link, int linkFd) {
        this.program = program;
        this.link = link;
        this.linkFd = linkFd;
    }

    static BpfIterator attach(BpfProgram program) {
        if (!program.sectionName().startsWith("iter/") && !program.sectionName().startsWith("iter.s/")) {
            throw new IllegalArgumentException(program.describe() + " in section '" + program.sectionName()
                    + "' is not an iterator program (section iter/...)");
        }
        program.fd(); // fails clearly if the object is not loaded
        try {
            MemorySegment link = (MemorySegment) LibBpf.bpf_program__attach_iter.HANDLE.invokeExact(Native.capture(),
                    program.handle(), MemorySegment.NULL);
            if (link.equals(MemorySegment.NULL)) {
                throw new BpfException("bpf_program__attach_iter", program.describe(), Native.errno());
            }
            int fd = (int) LibBpf.bpf_link__fd.HANDLE.invokeExact(link);
            return new BpfIterator(program, link, fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** The attached program. */
    public BpfProgram program() {
        return program;
    }

    /** Runs the iterator in the calling thread's network namespace; returns the program's output. */
    public byte[] run() {
        ensureOpen();
        int iterFd;
        try {
            iterFd = (int) LibBpf.bpf_iter_create.HANDLE.invokeExact(linkFd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (iterFd < 0) {
            throw new BpfException("bpf_iter_create", program.describe(), iterFd);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(READ_CHUNK);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int n;
            while ((n = LibC.read(iterFd, buffer, "iterator of " + program.describe())) > 0) {
                out.write(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), 0, n);
            }
            return out.toByteArray();
        } finally {
            LibC.close(iterFd, "iterator of " + program.describe());
        }
    }

    /** Runs the iterator inside {@code ns} (socket iterators see that namespace's sockets); returns the output. */
    public byte[] run(NetworkNamespace ns) {
        ensureOpen();
        return ns.call(this::run);
    }

    private void ensureOpen() {
        if (link == null) {
            throw new IllegalStateException("iterator link of " + program.describe() + " is closed");
        }
    }

    /** Detaches the iterator (bpf_link__destroy). Idempotent. */
    @Override
    public void close() {
        if (link != null) {
            MemorySegment closing = link;
            link = null;
            try {
                int rc = (int) LibBpf.bpf_link__destroy.HANDLE.invokeExact(closing);
                if (rc < 0) {
                    throw new BpfException("bpf_link__destroy", "iterator link of " + program.describe(), rc);
                }
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
        }
    }

    @Override
    public String toString() {
        return "BpfIterator[" + program.name() + ", " + program.sectionName() + "]";
    }
}

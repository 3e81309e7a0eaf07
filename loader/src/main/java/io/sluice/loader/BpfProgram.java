package io.sluice.loader;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One program of a {@link BpfObject} (libbpf's {@code struct bpf_program}): its name, section and, once loaded,
 * its file descriptor; test runs through {@code BPF_PROG_TEST_RUN}; attachment to XDP, tc and cgroup hooks.
 * Owned by its object: unusable after the object is closed.
 *
 * <p>Thread safety: after load, every method may be called from any thread; the kernel serialises attachments.
 */
public final class BpfProgram {
    /** Room for a program that grows the packet (bpf_xdp_adjust_head/tail): XDP allows up to a page. */
    private static final int PACKET_GROWTH = 4096;

    private final BpfObject owner;
    private final MemorySegment handle;
    private final String name;
    private final String section;

    BpfProgram(BpfObject owner, MemorySegment handle) throws Throwable {
        this.owner = owner;
        this.handle = handle;
        this.name = Native.string((MemorySegment) LibBpf.bpf_program__name.HANDLE.invokeExact(handle));
        this.section = Native.string((MemorySegment) LibBpf.bpf_program__section_name.HANDLE.invokeExact(handle));
    }

    /** The C function's name. */
    public String name() {
        return name;
    }

    /** The ELF section, e.g. {@code xdp}, {@code tc}, {@code cgroup/connect4}. */
    public String sectionName() {
        return section;
    }

    /** The object this program belongs to. */
    public BpfObject object() {
        return owner;
    }

    /** The program's file descriptor; owned by the object, valid until it is closed. */
    public int fd() {
        owner.ensureLoaded("program '" + name + "'");
        try {
            return (int) LibBpf.bpf_program__fd.HANDLE.invokeExact(handle);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** The kernel's id of the loaded program (as listed by bpf_prog_query and in link info). */
    public int id() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = ObjectInfo.read(arena, fd(), LibBpf.PROG_INFO_SIZE, describe());
            return info.get(JAVA_INT, LibBpf.PROG_INFO_ID);
        }
    }

    /** The cgroup hook of this program's section, if it is a cgroup program. */
    public Optional<CgroupHook> cgroupHook() {
        return CgroupHook.of(expectedAttachType()).filter(hook -> section.startsWith("cgroup"));
    }

    private int expectedAttachType() {
        try {
            return (int) LibBpf.bpf_program__expected_attach_type.HANDLE.invokeExact(handle);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Runs the program once per repeat on {@code packet} in the kernel (bpf_prog_test_run_opts). */
    public TestRunResult testRun(byte[] packet, int repeat) {
        return testRun(packet, null, repeat);
    }

    /**
     * Runs the program on {@code packet} with an input context ({@code struct xdp_md} or {@code struct __sk_buff}
     * bytes, or null for none). The result's {@code nsPerRun} is the kernel's average over the repeats.
     *
     * @param repeat how many runs, at least 1
     */
    public TestRunResult testRun(byte[] packet, byte[] context, int repeat) {
        if (packet == null || packet.length == 0) {
            throw new IllegalArgumentException("test run of program '" + name + "': packet is empty");
        }
        if (repeat < 1) {
            throw new IllegalArgumentException("test run of program '" + name + "': repeat must be at least 1, got " + repeat);
        }
        int progFd = fd();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opts = arena.allocate(LibBpf.TEST_RUN_OPTS_SIZE, 8);
            opts.set(JAVA_LONG, 0, LibBpf.TEST_RUN_OPTS_SIZE);
            MemorySegment dataIn = arena.allocateFrom(JAVA_BYTE, packet);
            MemorySegment dataOut = arena.allocate(packet.length + PACKET_GROWTH);
            opts.set(ADDRESS, LibBpf.TEST_RUN_DATA_IN, dataIn);
            opts.set(JAVA_INT, LibBpf.TEST_RUN_DATA_SIZE_IN, packet.length);
            opts.set(ADDRESS, LibBpf.TEST_RUN_DATA_OUT, dataOut);
            opts.set(JAVA_INT, LibBpf.TEST_RUN_DATA_SIZE_OUT, (int) dataOut.byteSize());
            MemorySegment contextOut = MemorySegment.NULL;
            if (context != null && context.length > 0) {
                contextOut = arena.allocate(context.length);
                opts.set(ADDRESS, LibBpf.TEST_RUN_CTX_IN, arena.allocateFrom(JAVA_BYTE, context));
                opts.set(JAVA_INT, LibBpf.TEST_RUN_CTX_SIZE_IN, context.length);
                opts.set(ADDRESS, LibBpf.TEST_RUN_CTX_OUT, contextOut);
                opts.set(JAVA_INT, LibBpf.TEST_RUN_CTX_SIZE_OUT, context.length);
            }
            opts.set(JAVA_INT, LibBpf.TEST_RUN_REPEAT, repeat);
            int rc = (int) LibBpf.bpf_prog_test_run_opts.HANDLE.invokeExact(progFd, opts);
            if (rc < 0) {
                throw new BpfException("bpf_prog_test_run_opts", describe() + " on a " + packet.length + "-byte packet", rc);
            }
            int outSize = opts.get(JAVA_INT, LibBpf.TEST_RUN_DATA_SIZE_OUT);
            byte[] out = dataOut.asSlice(0, Math.min(outSize, dataOut.byteSize())).toArray(JAVA_BYTE);
            byte[] ctxOut = contextOut.equals(MemorySegment.NULL) ? new byte[0]
                    : contextOut.asSlice(0, Math.min(opts.get(JAVA_INT, LibBpf.TEST_RUN_CTX_SIZE_OUT), context.length))
                    .toArray(JAVA_BYTE);
            return new TestRunResult(opts.get(JAVA_INT, LibBpf.TEST_RUN_RETVAL), out,
                    Integer.toUnsignedLong(opts.get(JAVA_INT, LibBpf.TEST_RUN_DURATION)), ctxOut);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Attaches this XDP program to {@code ifname} in {@code ns} through a BPF link (BPF_LINK_CREATE with the mode's
     * flags), so it can be pinned and atomically updated. Closing the returned link detaches the program unless
     * the link is pinned.
     *
     * @throws IllegalArgumentException naming the interface and namespace if the interface does not exist
     */
    public BpfLink attachXdp(NetworkNamespace ns, String ifname, XdpMode mode) {
        int progFd = fd();
        String what = describe() + " on interface '" + ifname + "' in " + ns.description() + " (" + mode + ")";
        return ns.call(() -> {
            int ifindex = LibC.ifNameToIndex(ifname);
            if (ifindex == 0) {
                throw new IllegalArgumentException("cannot attach " + describe() + ": no interface '" + ifname + "' in "
                        + ns.description());
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment opts = MemorySegment.NULL;
                if (mode.flags() != 0) {
                    opts = arena.allocate(LibBpf.LINK_CREATE_OPTS_SIZE, 8);
                    opts.set(JAVA_LONG, 0, LibBpf.LINK_CREATE_OPTS_SIZE);
                    opts.set(JAVA_INT, LibBpf.LINK_CREATE_OPTS_FLAGS, mode.flags());
                }
                int linkFd = (int) LibBpf.bpf_link_create.HANDLE.invokeExact(progFd, ifindex, LibBpf.BPF_XDP, opts);
                if (linkFd < 0) {
                    throw new BpfException("bpf_link_create(BPF_XDP)", what, linkFd);
                }
                return new BpfLink(linkFd, what);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
        });
    }

    /**
     * Attaches this tc program to the clsact hook of {@code ifname} in {@code ns}; the kernel chooses handle and
     * priority. Creates the clsact qdisc if missing (an existing one is fine).
     *
     * @throws IllegalArgumentException naming the interface and namespace if the interface does not exist
     */
    public TcFilter attachTc(NetworkNamespace ns, String ifname, TcDirection direction) {
        return TcFilter.attach(this, ns, ifname, direction, 0, 0, false);
    }

    /**
     * Attaches this tc program at a fixed handle and priority, replacing the program of a filter already there
     * (so an agent that restarts takes over its own filters atomically), or creating the filter.
     */
    public TcFilter attachTc(NetworkNamespace ns, String ifname, TcDirection direction, int handle, int priority) {
        if (handle <= 0) {
            throw new IllegalArgumentException("tc filter handle must be positive, got " + handle);
        }
        if (priority <= 0 || priority > 0xFFFF) {
            throw new IllegalArgumentException("tc filter priority must be in 1..65535, got " + priority);
        }
        return TcFilter.attach(this, ns, ifname, direction, handle, priority, true);
    }

    /**
     * Attaches this cgroup program to the cgroup v2 folder {@code cgroupDir} through a BPF link (BPF_LINK_CREATE
     * with the attach type of the program's section, as bpf_program__attach_cgroup does). Closing the link
     * detaches the program unless the link is pinned.
     */
    public BpfLink attachCgroup(Path cgroupDir) {
        int progFd = fd();
        CgroupHook hook = cgroupHook().orElseThrow(() -> new IllegalArgumentException(
                describe() + " in section '" + section + "' is not a cgroup program Sluice knows"));
        if (!Files.isDirectory(cgroupDir)) {
            throw new IllegalArgumentException("cannot attach " + describe() + ": cgroup " + cgroupDir + " is not a folder");
        }
        String what = describe() + " on cgroup " + cgroupDir + " (" + hook.section() + ")";
        int cgroupFd = LibC.open(cgroupDir.toString(), LibC.O_RDONLY | LibC.O_DIRECTORY, "cgroup");
        try {
            int linkFd = (int) LibBpf.bpf_link_create.HANDLE.invokeExact(progFd, cgroupFd, hook.attachType(), MemorySegment.NULL);
            if (linkFd < 0) {
                throw new BpfException("bpf_link_create(" + hook.section() + ")", what, linkFd);
            }
            return new BpfLink(linkFd, what);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            LibC.close(cgroupFd, "cgroup " + cgroupDir);
        }
    }

    /**
     * Attaches this iterator program (section {@code iter/...}, e.g. {@code iter/udp}) as an iterator link; each
     * {@link BpfIterator#run} then walks the kernel's objects once. Closing the iterator detaches it.
     *
     * @throws IllegalArgumentException if the program is not an iterator program
     */
    public BpfIterator attachIterator() {
        return BpfIterator.attach(this);
    }

    MemorySegment handle() {
        return handle;
    }

    String describe() {
        return "program '" + name + "' of BPF object '" + owner.name() + "'";
    }

    @Override
    public String toString() {
        return "BpfProgram[" + name + ", " + section + "]";
    }
}

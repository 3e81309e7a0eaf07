package io.sluice.loader;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.OptionalInt;

/**
 * A BPF program attached as a direct-action tc filter on the clsact hook of an interface (bpf_tc_attach), known
 * by interface, direction, handle and priority. tc filters are not links: they stay until detached, also after
 * this process exits. {@link #close()} detaches (bpf_tc_detach); {@link #disown()} leaves the filter attached on
 * purpose, for an agent that restarts and takes its filters over with
 * {@link BpfProgram#attachTc(NetworkNamespace, String, TcDirection, int, int)}. Every netlink call runs in the
 * filter's network namespace (on a namespace thread, see {@link NetworkNamespace#call}); the filter keeps its own
 * handle on that namespace until closed or disowned.
 *
 * <p>Thread safety: not thread-safe; one owner thread, or external synchronisation.
 */
public final class TcFilter implements AutoCloseable {
    private final NetworkNamespace ns;
    private final String ifname;
    private final int ifindex;
    private final TcDirection direction;
    private final int handle;
    private final int priority;
    private String description;
    private boolean released;

    private TcFilter(NetworkNamespace ns, String ifname, int ifindex, TcDirection direction, int handle, int priority,
                     String programDescription) {
        this.ns = ns;
        this.ifname = ifname;
        this.ifindex = ifindex;
        this.direction = direction;
        this.handle = handle;
        this.priority = priority;
        this.description = describe(programDescription);
    }

    static TcFilter attach(BpfProgram program, NetworkNamespace ns, String ifname, TcDirection direction, int handle,
                           int priority, boolean replace) {
        int progFd = program.fd();
        String what = program.describe() + " on tc " + direction.name().toLowerCase() + " of interface '" + ifname + "' in "
                + ns.description();
        NetworkNamespace own = ns.duplicate();
        try {
            int[] placed = own.call(() -> {
                int ifindex = LibC.ifNameToIndex(ifname);
                if (ifindex == 0) {
                    throw new IllegalArgumentException("cannot attach " + program.describe() + ": no interface '" + ifname
                            + "' in " + ns.description());
                }
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment hook = hook(arena, ifindex, LibBpf.BPF_TC_INGRESS | LibBpf.BPF_TC_EGRESS);
                    // The qdisc often exists already (the other direction, or a restarted agent): EEXIST is fine.
                    int rc = LibbpfLog.expectingFailure(() -> (int) LibBpf.bpf_tc_hook_create.HANDLE.invokeExact(hook));
                    if (rc < 0 && rc != -Errno.EEXIST) {
                        throw new BpfException("bpf_tc_hook_create", "clsact qdisc of interface '" + ifname + "' in "
                                + ns.description(), rc);
                    }
                    hook.set(JAVA_INT, LibBpf.TC_HOOK_ATTACH_POINT, direction.attachPoint());
                    MemorySegment opts = opts(arena, handle, priority);
                    opts.set(JAVA_INT, LibBpf.TC_OPTS_PROG_FD, progFd);
                    opts.set(JAVA_INT, LibBpf.TC_OPTS_FLAGS, replace ? LibBpf.BPF_TC_F_REPLACE : 0);
                    rc = (int) LibBpf.bpf_tc_attach.HANDLE.invokeExact(hook, opts);
                    if (rc < 0) {
                        throw new BpfException("bpf_tc_attach", what, rc);
                    }
                    return new int[] {ifindex, opts.get(JAVA_INT, LibBpf.TC_OPTS_HANDLE),
                            opts.get(JAVA_INT, LibBpf.TC_OPTS_PRIORITY)};
                } catch (Throwable t) {
                    throw Native.rethrow(t);
                }
            });
            return new TcFilter(own, ifname, placed[0], direction, placed[1], placed[2], program.describe());
        } catch (RuntimeException | Error e) {
            own.close();
            throw e;
        }
    }

    /**
     * Swaps the filter's program atomically (bpf_tc_attach with BPF_TC_F_REPLACE at the same handle and priority):
     * each packet sees the old or the new program.
     */
    public void replace(BpfProgram program) {
        ensureHeld();
        int progFd = program.fd();
        ns.run(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment hook = hook(arena, ifindex, direction.attachPoint());
                MemorySegment opts = opts(arena, handle, priority);
                opts.set(JAVA_INT, LibBpf.TC_OPTS_PROG_FD, progFd);
                opts.set(JAVA_INT, LibBpf.TC_OPTS_FLAGS, LibBpf.BPF_TC_F_REPLACE);
                int rc = (int) LibBpf.bpf_tc_attach.HANDLE.invokeExact(hook, opts);
                if (rc < 0) {
                    throw new BpfException("bpf_tc_attach(BPF_TC_F_REPLACE)", description + " with " + program.describe(), rc);
                }
                return null;
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
        });
        description = describe(program.describe());
    }

    /** The id of the program the filter runs now (bpf_tc_query), or empty if the filter is gone. */
    public OptionalInt programId() {
        ensureHeld();
        return ns.call(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment opts = opts(arena, handle, priority);
                int rc = (int) LibBpf.bpf_tc_query.HANDLE.invokeExact(hook(arena, ifindex, direction.attachPoint()), opts);
                if (rc == -Errno.ENOENT) {
                    return OptionalInt.empty();
                }
                if (rc < 0) {
                    throw new BpfException("bpf_tc_query", description, rc);
                }
                return OptionalInt.of(opts.get(JAVA_INT, LibBpf.TC_OPTS_PROG_ID));
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
        });
    }

    /** The filter's handle. */
    public int handle() {
        return handle;
    }

    /** The filter's priority. */
    public int priority() {
        return priority;
    }

    /** The interface's name. */
    public String interfaceName() {
        return ifname;
    }

    /** The interface's index in the filter's namespace. */
    public int interfaceIndex() {
        return ifindex;
    }

    /** Ingress or egress. */
    public TcDirection direction() {
        return direction;
    }

    /** Leaves the filter attached and lets go of it: {@link #close()} then does nothing. Idempotent. */
    public void disown() {
        if (!released) {
            released = true;
            ns.close();
        }
    }

    /**
     * Detaches the filter (bpf_tc_detach with only handle and priority set, as libbpf requires). A filter already
     * gone (ENOENT) counts as detached. Does nothing after {@link #disown()}. Idempotent. The clsact qdisc stays:
     * other filters may use it.
     */
    @Override
    public void close() {
        if (released) {
            return;
        }
        released = true;
        try {
            ns.run(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    int rc = (int) LibBpf.bpf_tc_detach.HANDLE.invokeExact(hook(arena, ifindex, direction.attachPoint()),
                            opts(arena, handle, priority));
                    if (rc < 0 && rc != -Errno.ENOENT) {
                        throw new BpfException("bpf_tc_detach", description, rc);
                    }
                    return null;
                } catch (Throwable t) {
                    throw Native.rethrow(t);
                }
            });
        } finally {
            ns.close();
        }
    }

    private void ensureHeld() {
        if (released) {
            throw new IllegalStateException(description + " was closed or disowned");
        }
    }

    private String describe(String program) {
        return "tc filter " + direction.name().toLowerCase() + " handle " + handle + " priority " + priority + " ("
                + program + ") on interface '" + ifname + "' in " + ns.description();
    }

    private static MemorySegment hook(Arena arena, int ifindex, int attachPoint) {
        MemorySegment hook = arena.allocate(LibBpf.TC_HOOK_SIZE, 8);
        hook.set(JAVA_LONG, 0, LibBpf.TC_HOOK_SIZE);
        hook.set(JAVA_INT, LibBpf.TC_HOOK_IFINDEX, ifindex);
        hook.set(JAVA_INT, LibBpf.TC_HOOK_ATTACH_POINT, attachPoint);
        return hook;
    }

    private static MemorySegment opts(Arena arena, int handle, int priority) {
        MemorySegment opts = arena.allocate(LibBpf.TC_OPTS_SIZE, 8);
        opts.set(JAVA_LONG, 0, LibBpf.TC_OPTS_SIZE);
        opts.set(JAVA_INT, LibBpf.TC_OPTS_HANDLE, handle);
        opts.set(JAVA_INT, LibBpf.TC_OPTS_PRIORITY, priority);
        return opts;
    }

    @Override
    public String toString() {
        return "TcFilter[" + description + (released ? ", released" : "") + "]";
    }
}

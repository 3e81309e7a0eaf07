package io.sluice.loader;

/**
 * A libbpf or kernel call on behalf of the loader failed. Names the call ({@code bpf_map_update_elem}), the object
 * it was made for (a map, program, interface or path), errno by number and symbolic name, and libbpf's text for
 * it; for a failed {@link BpfObject#load()} it also carries the verifier's log, which the message includes.
 * Immutable.
 */
public class BpfException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final String object;
    private final int errno;
    private final String verifierLog;

    /** {@code errno} may be given with either sign; it is kept positive. */
    public BpfException(String call, String object, int errno) {
        this(call, object, errno, null, "");
    }

    /**
     * @param detail      extra context for the message (libbpf's warnings, a hint), or null
     * @param verifierLog the verifier's log for a program load, or empty
     */
    public BpfException(String call, String object, int errno, String detail, String verifierLog) {
        super(message(call, object, Math.abs(errno), detail, verifierLog));
        this.call = call;
        this.object = object;
        this.errno = Math.abs(errno);
        this.verifierLog = verifierLog == null ? "" : verifierLog;
    }

    private static String message(String call, String object, int errno, String detail, String verifierLog) {
        StringBuilder sb = new StringBuilder()
                .append(call).append(" failed for ").append(object).append(": ")
                .append(Errno.name(errno)).append(" (").append(errno).append(", ").append(LibBpf.strerror(errno)).append(')');
        if (detail != null && !detail.isBlank()) {
            sb.append("; ").append(detail.strip());
        }
        if (verifierLog != null && !verifierLog.isBlank()) {
            sb.append("\nverifier log:\n").append(verifierLog.stripTrailing());
        }
        return sb.toString();
    }

    /** The C function that failed, e.g. {@code bpf_object__load}. */
    public String call() {
        return call;
    }

    /** What the call was made for, e.g. {@code map 'lb4_services'} or {@code interface 'eth0' in netns 'x'}. */
    public String object() {
        return object;
    }

    /** The positive errno value, e.g. 2 for ENOENT. */
    public int errno() {
        return errno;
    }

    /** The symbolic errno name, e.g. {@code ENOENT}. */
    public String errnoName() {
        return Errno.name(errno);
    }

    /** The verifier's log of a rejected program load; empty for every other failure. */
    public String verifierLog() {
        return verifierLog;
    }
}

package io.sluice.loader;

import java.util.Optional;

/**
 * The cgroup hooks Sluice uses, by kernel attach type ({@code enum bpf_attach_type}) and libbpf section name.
 * A program's hook comes from its section ({@code SEC("cgroup/connect4")}).
 */
public enum CgroupHook {
    INET_INGRESS(0, "cgroup_skb/ingress"),
    INET_EGRESS(1, "cgroup_skb/egress"),
    INET4_CONNECT(10, "cgroup/connect4"),
    INET6_CONNECT(11, "cgroup/connect6"),
    UDP4_SENDMSG(14, "cgroup/sendmsg4"),
    UDP6_SENDMSG(15, "cgroup/sendmsg6"),
    UDP4_RECVMSG(19, "cgroup/recvmsg4"),
    UDP6_RECVMSG(20, "cgroup/recvmsg6"),
    INET4_GETPEERNAME(29, "cgroup/getpeername4"),
    INET6_GETPEERNAME(30, "cgroup/getpeername6"),
    INET4_GETSOCKNAME(31, "cgroup/getsockname4"),
    INET6_GETSOCKNAME(32, "cgroup/getsockname6");

    private final int attachType;
    private final String section;

    CgroupHook(int attachType, String section) {
        this.attachType = attachType;
        this.section = section;
    }

    /** The kernel's attach type number. */
    public int attachType() {
        return attachType;
    }

    /** libbpf's section name for programs on this hook. */
    public String section() {
        return section;
    }

    /** The hook of a kernel attach type, if it is one of these. */
    public static Optional<CgroupHook> of(int attachType) {
        for (CgroupHook hook : values()) {
            if (hook.attachType == attachType) {
                return Optional.of(hook);
            }
        }
        return Optional.empty();
    }
}

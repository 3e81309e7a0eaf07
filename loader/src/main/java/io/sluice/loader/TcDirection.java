package io.sluice.loader;

/** The clsact hook a tc program attaches to ({@code BPF_TC_INGRESS}, {@code BPF_TC_EGRESS}). */
public enum TcDirection {
    INGRESS(LibBpf.BPF_TC_INGRESS),
    EGRESS(LibBpf.BPF_TC_EGRESS);

    private final int attachPoint;

    TcDirection(int attachPoint) {
        this.attachPoint = attachPoint;
    }

    int attachPoint() {
        return attachPoint;
    }
}

package io.sluice.loader;

/** Where an XDP program runs on an interface ({@code XDP_FLAGS_*_MODE}). */
public enum XdpMode {
    /** The kernel chooses: native if the driver supports it, else generic. */
    DEFAULT(0),
    /** Generic XDP in the network stack after the skb is built ({@code XDP_FLAGS_SKB_MODE}); works everywhere. */
    GENERIC(2),
    /** Native XDP in the driver ({@code XDP_FLAGS_DRV_MODE}); veth supports it. */
    NATIVE(4),
    /** Offloaded to the NIC ({@code XDP_FLAGS_HW_MODE}). */
    OFFLOAD(8);

    private final int flags;

    XdpMode(int flags) {
        this.flags = flags;
    }

    /** The kernel's flag value. */
    public int flags() {
        return flags;
    }
}

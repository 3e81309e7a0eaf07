package io.sluice.loader;

/** How {@link BpfMap#update} treats an existing key ({@code BPF_ANY}, {@code BPF_NOEXIST}, {@code BPF_EXIST}). */
public enum UpdateFlag {
    /** Create or replace. */
    ANY(0),
    /** Create only; an existing key fails with EEXIST. */
    NOEXIST(1),
    /** Replace only; a missing key fails with ENOENT. */
    EXIST(2);

    private final long value;

    UpdateFlag(long value) {
        this.value = value;
    }

    /** The kernel's flag value. */
    public long value() {
        return value;
    }
}

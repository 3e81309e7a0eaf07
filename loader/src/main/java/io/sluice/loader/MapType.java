package io.sluice.loader;

/**
 * BPF map types by their kernel number ({@code enum bpf_map_type}; the ordinal is the number).
 * {@link #UNKNOWN} stands for a type newer than this list.
 */
public enum MapType {
    UNSPEC, HASH, ARRAY, PROG_ARRAY, PERF_EVENT_ARRAY, PERCPU_HASH, PERCPU_ARRAY, STACK_TRACE, CGROUP_ARRAY,
    LRU_HASH, LRU_PERCPU_HASH, LPM_TRIE, ARRAY_OF_MAPS, HASH_OF_MAPS, DEVMAP, SOCKMAP, CPUMAP, XSKMAP, SOCKHASH,
    CGROUP_STORAGE, REUSEPORT_SOCKARRAY, PERCPU_CGROUP_STORAGE, QUEUE, STACK, SK_STORAGE, DEVMAP_HASH, STRUCT_OPS,
    RINGBUF, INODE_STORAGE, TASK_STORAGE, BLOOM_FILTER, USER_RINGBUF, CGRP_STORAGE, ARENA,
    /** A type number this enum does not know. */
    UNKNOWN;

    private static final MapType[] BY_NUMBER = values();

    /** The type for a kernel type number. */
    public static MapType of(int kernelNumber) {
        return kernelNumber >= 0 && kernelNumber < UNKNOWN.ordinal() ? BY_NUMBER[kernelNumber] : UNKNOWN;
    }

    /** Per-CPU maps hold one value per possible CPU, each rounded up to 8 bytes. */
    public boolean isPerCpu() {
        return this == PERCPU_HASH || this == PERCPU_ARRAY || this == LRU_PERCPU_HASH || this == PERCPU_CGROUP_STORAGE;
    }
}

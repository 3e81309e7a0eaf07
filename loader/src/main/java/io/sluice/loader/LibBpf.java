package io.sluice.loader;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Downcall handles into libbpf 1.1.2 ({@code libbpf.so.1}), one per C function, with exactly the C signature
 * (see {@code /usr/include/bpf/libbpf.h}, {@code bpf.h}, {@code btf.h}). Handles marked "errno" report failure as
 * NULL and errno, so they take a leading capture segment; every int-returning call gives {@code -errno} itself.
 * Also the struct sizes and offsets this package writes, as verified for 1.1.2.
 *
 * <p>Each handle is a {@code static final HANDLE} in a holder class named after its C function (jextract's shape), so
 * it is bound when first used: binding one costs the FFM linker a generated class per distinct descriptor (~5 ms of
 * CPU each at start), and a run uses only some of these functions (the agent's start leaves the BTF, test-run, query,
 * map-create and link-update calls unbound). A symbol libbpf lacks is reported by name, as an
 * {@link UnsatisfiedLinkError}, by the first call of that function. Using any holder initialises this class first,
 * which installs libbpf's print callback before libbpf is called.
 */
final class LibBpf {
    private LibBpf() {
    }

    /** The downcall handle of libbpf's {@code name}; initialises this class, and so the print callback, first. */
    static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return Native.libbpf(name, descriptor, options);
    }

    // --- common -----------------------------------------------------------------------------------------------
    static final class libbpf_set_print {
        static final MethodHandle HANDLE = bind("libbpf_set_print", FunctionDescriptor.of(ADDRESS, ADDRESS));
    }

    static final class libbpf_strerror {
        static final MethodHandle HANDLE =
                bind("libbpf_strerror", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
    }

    static final class libbpf_num_possible_cpus {
        static final MethodHandle HANDLE = bind("libbpf_num_possible_cpus", FunctionDescriptor.of(JAVA_INT));
    }

    // --- bpf_object (errno for the two opens) -----------------------------------------------------------------
    static final class bpf_object__open_file {
        static final MethodHandle HANDLE =
                bind("bpf_object__open_file", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS), Native.CAPTURE_ERRNO);
    }

    static final class bpf_object__open_mem {
        static final MethodHandle HANDLE =
                bind("bpf_object__open_mem", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), Native.CAPTURE_ERRNO);
    }

    static final class bpf_object__load {
        static final MethodHandle HANDLE = bind("bpf_object__load", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class bpf_object__close {
        static final MethodHandle HANDLE = bind("bpf_object__close", FunctionDescriptor.ofVoid(ADDRESS));
    }

    static final class bpf_object__name {
        static final MethodHandle HANDLE = bind("bpf_object__name", FunctionDescriptor.of(ADDRESS, ADDRESS));
    }

    static final class bpf_object__next_program {
        static final MethodHandle HANDLE =
                bind("bpf_object__next_program", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    }

    static final class bpf_object__next_map {
        static final MethodHandle HANDLE =
                bind("bpf_object__next_map", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    }

    // --- bpf_program ------------------------------------------------------------------------------------------
    static final class bpf_program__name {
        static final MethodHandle HANDLE = bind("bpf_program__name", FunctionDescriptor.of(ADDRESS, ADDRESS));
    }

    static final class bpf_program__section_name {
        static final MethodHandle HANDLE = bind("bpf_program__section_name", FunctionDescriptor.of(ADDRESS, ADDRESS));
    }

    static final class bpf_program__fd {
        static final MethodHandle HANDLE = bind("bpf_program__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class bpf_program__type {
        static final MethodHandle HANDLE = bind("bpf_program__type", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class bpf_program__expected_attach_type {
        static final MethodHandle HANDLE =
                bind("bpf_program__expected_attach_type", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    // --- bpf_map (libbpf object side) -------------------------------------------------------------------------
    static final class bpf_map__name {
        static final MethodHandle HANDLE = bind("bpf_map__name", FunctionDescriptor.of(ADDRESS, ADDRESS));
    }

    static final class bpf_map__fd {
        static final MethodHandle HANDLE = bind("bpf_map__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class bpf_map__type {
        static final MethodHandle HANDLE = bind("bpf_map__type", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class bpf_map__key_size {
        static final MethodHandle HANDLE = bind("bpf_map__key_size", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class bpf_map__value_size {
        static final MethodHandle HANDLE = bind("bpf_map__value_size", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class bpf_map__max_entries {
        static final MethodHandle HANDLE = bind("bpf_map__max_entries", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class bpf_map__set_max_entries {
        static final MethodHandle HANDLE =
                bind("bpf_map__set_max_entries", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    static final class bpf_map__map_flags {
        static final MethodHandle HANDLE = bind("bpf_map__map_flags", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class bpf_map__is_internal {
        static final MethodHandle HANDLE = bind("bpf_map__is_internal", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
    }

    static final class bpf_map__set_pin_path {
        static final MethodHandle HANDLE =
                bind("bpf_map__set_pin_path", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    static final class bpf_map__is_pinned {
        static final MethodHandle HANDLE = bind("bpf_map__is_pinned", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
    }

    // --- map syscalls (hot path: no errno capture, the return value is -errno) --------------------------------
    static final class bpf_map_lookup_elem {
        static final MethodHandle HANDLE =
                bind("bpf_map_lookup_elem", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    static final class bpf_map_update_elem {
        static final MethodHandle HANDLE =
                bind("bpf_map_update_elem", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    }

    static final class bpf_map_delete_elem {
        static final MethodHandle HANDLE =
                bind("bpf_map_delete_elem", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    static final class bpf_map_get_next_key {
        static final MethodHandle HANDLE =
                bind("bpf_map_get_next_key", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    static final class bpf_map_update_batch {
        static final MethodHandle HANDLE =
                bind("bpf_map_update_batch", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    }

    static final class bpf_map_lookup_batch {
        static final MethodHandle HANDLE =
                bind("bpf_map_lookup_batch", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    }

    static final class bpf_map_delete_batch {
        static final MethodHandle HANDLE =
                bind("bpf_map_delete_batch", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    }

    // --- objects, pins, links, programs -----------------------------------------------------------------------
    static final class bpf_obj_pin {
        static final MethodHandle HANDLE = bind("bpf_obj_pin", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    static final class bpf_obj_get {
        static final MethodHandle HANDLE = bind("bpf_obj_get", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class bpf_map_create {
        static final MethodHandle HANDLE =
                bind("bpf_map_create", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    }

    static final class bpf_map_get_fd_by_id {
        static final MethodHandle HANDLE = bind("bpf_map_get_fd_by_id", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    static final class bpf_obj_get_info_by_fd {
        static final MethodHandle HANDLE =
                bind("bpf_obj_get_info_by_fd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    static final class bpf_prog_test_run_opts {
        static final MethodHandle HANDLE =
                bind("bpf_prog_test_run_opts", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    static final class bpf_prog_query {
        static final MethodHandle HANDLE =
                bind("bpf_prog_query", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    }

    static final class bpf_link_create {
        static final MethodHandle HANDLE =
                bind("bpf_link_create", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    }

    static final class bpf_link_update {
        static final MethodHandle HANDLE =
                bind("bpf_link_update", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    }

    // --- iterators (errno for attach_iter) ----------------------------------------------------------------------
    static final class bpf_program__attach_iter {
        static final MethodHandle HANDLE =
                bind("bpf_program__attach_iter", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS), Native.CAPTURE_ERRNO);
    }

    static final class bpf_link__fd {
        static final MethodHandle HANDLE = bind("bpf_link__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class bpf_link__destroy {
        static final MethodHandle HANDLE = bind("bpf_link__destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class bpf_iter_create {
        static final MethodHandle HANDLE = bind("bpf_iter_create", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    // --- tc (netlink; runs in the caller thread's network namespace) ------------------------------------------
    static final class bpf_tc_hook_create {
        static final MethodHandle HANDLE = bind("bpf_tc_hook_create", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class bpf_tc_attach {
        static final MethodHandle HANDLE = bind("bpf_tc_attach", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    static final class bpf_tc_detach {
        static final MethodHandle HANDLE = bind("bpf_tc_detach", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    static final class bpf_tc_query {
        static final MethodHandle HANDLE = bind("bpf_tc_query", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    // --- ring buffer (errno for new) --------------------------------------------------------------------------
    static final class ring_buffer__new {
        static final MethodHandle HANDLE =
                bind("ring_buffer__new", FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS), Native.CAPTURE_ERRNO);
    }

    static final class ring_buffer__add {
        static final MethodHandle HANDLE =
                bind("ring_buffer__add", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
    }

    static final class ring_buffer__poll {
        static final MethodHandle HANDLE =
                bind("ring_buffer__poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    static final class ring_buffer__consume {
        static final MethodHandle HANDLE = bind("ring_buffer__consume", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static final class ring_buffer__free {
        static final MethodHandle HANDLE = bind("ring_buffer__free", FunctionDescriptor.ofVoid(ADDRESS));
    }

    // --- BTF (errno for parse) --------------------------------------------------------------------------------
    static final class btf__parse_elf {
        static final MethodHandle HANDLE =
                bind("btf__parse_elf", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS), Native.CAPTURE_ERRNO);
    }

    static final class btf__free {
        static final MethodHandle HANDLE = bind("btf__free", FunctionDescriptor.ofVoid(ADDRESS));
    }

    static final class btf__find_by_name_kind {
        static final MethodHandle HANDLE =
                bind("btf__find_by_name_kind", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    }

    static final class btf__type_by_id {
        static final MethodHandle HANDLE = bind("btf__type_by_id", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
    }

    static final class btf__name_by_offset {
        static final MethodHandle HANDLE =
                bind("btf__name_by_offset", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
    }

    static final class btf__resolve_size {
        static final MethodHandle HANDLE =
                bind("btf__resolve_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT));
    }

    // --- constants (linux/bpf.h, libbpf.h) --------------------------------------------------------------------
    static final int BPF_XDP = 37;
    static final int BPF_TC_INGRESS = 1;
    static final int BPF_TC_EGRESS = 2;
    static final int BPF_TC_F_REPLACE = 1;

    // --- struct sizes and offsets in libbpf 1.1.2 (each opts struct starts with size_t sz) ----------------------
    static final long TEST_RUN_OPTS_SIZE = 80;
    static final long TEST_RUN_DATA_IN = 8;
    static final long TEST_RUN_DATA_OUT = 16;
    static final long TEST_RUN_DATA_SIZE_IN = 24;
    static final long TEST_RUN_DATA_SIZE_OUT = 28;
    static final long TEST_RUN_CTX_IN = 32;
    static final long TEST_RUN_CTX_OUT = 40;
    static final long TEST_RUN_CTX_SIZE_IN = 48;
    static final long TEST_RUN_CTX_SIZE_OUT = 52;
    static final long TEST_RUN_RETVAL = 56;
    static final long TEST_RUN_REPEAT = 60;
    static final long TEST_RUN_DURATION = 64;

    static final long TC_HOOK_SIZE = 24;
    static final long TC_HOOK_IFINDEX = 8;
    static final long TC_HOOK_ATTACH_POINT = 12;
    static final long TC_OPTS_SIZE = 32;
    static final long TC_OPTS_PROG_FD = 8;
    static final long TC_OPTS_FLAGS = 12;
    static final long TC_OPTS_PROG_ID = 16;
    static final long TC_OPTS_HANDLE = 20;
    static final long TC_OPTS_PRIORITY = 24;

    static final long MAP_BATCH_OPTS_SIZE = 24;
    static final long MAP_BATCH_OPTS_ELEM_FLAGS = 8;

    /** struct bpf_link_create_opts: sz, flags@8, then fields this package leaves zero. */
    static final long LINK_CREATE_OPTS_SIZE = 64;
    static final long LINK_CREATE_OPTS_FLAGS = 8;

    /** struct bpf_map_create_opts (libbpf 1.1.2 bpf.h): sz, btf ids, inner_map_fd@24, map_flags@28, ...; 48 bytes. */
    static final long MAP_CREATE_OPTS_SIZE = 48;
    static final long MAP_CREATE_OPTS_MAP_FLAGS = 28;

    /** struct bpf_map_info (linux/bpf.h): type, id, key_size, value_size, max_entries, map_flags, name[16]. */
    static final int MAP_INFO_SIZE = 88;
    static final long MAP_INFO_TYPE = 0;
    static final long MAP_INFO_ID = 4;
    static final long MAP_INFO_KEY_SIZE = 8;
    static final long MAP_INFO_VALUE_SIZE = 12;
    static final long MAP_INFO_MAX_ENTRIES = 16;
    static final long MAP_INFO_MAP_FLAGS = 20;
    static final long MAP_INFO_NAME = 24;
    static final int OBJ_NAME_LEN = 16;

    /** struct bpf_prog_info: type, id, tag[8], ... name[16]@64; only the head is read. */
    static final int PROG_INFO_SIZE = 80;
    static final long PROG_INFO_ID = 4;

    /** struct bpf_link_info: type, id, prog_id, then a union at 16 (cgroup: cgroup_id@16, attach_type@24; xdp: ifindex@16). */
    static final int LINK_INFO_SIZE = 32;
    static final long LINK_INFO_TYPE = 0;
    static final long LINK_INFO_ID = 4;
    static final long LINK_INFO_PROG_ID = 8;
    static final long LINK_INFO_UNION = 16;

    /** libbpf_strerror's text for an errno value (sign ignored). */
    static String strerror(int errno) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            int rc = (int) libbpf_strerror.HANDLE.invokeExact(Math.abs(errno), buf, buf.byteSize());
            String text = buf.getString(0);
            return rc < 0 && text.isEmpty() ? "unknown error" : text;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** The number of possible CPUs, which sizes the values of per-CPU maps. */
    static int possibleCpus() {
        return PossibleCpus.COUNT;
    }

    /** Asked of libbpf once, when first needed. */
    private static final class PossibleCpus {
        static final int COUNT = numPossibleCpus();
    }

    private static int numPossibleCpus() {
        try {
            int n = (int) libbpf_num_possible_cpus.HANDLE.invokeExact();
            if (n <= 0) {
                throw new BpfException("libbpf_num_possible_cpus", "/sys/devices/system/cpu/possible", -n);
            }
            return n;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static {
        // Before any libbpf call: every handle's holder initialises this class first.
        LibbpfLog.install();
    }
}

package io.sluice.loader;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Downcall handles into libbpf 1.1.2 ({@code libbpf.so.1}), one per C function, with exactly the C signature
 * (see {@code /usr/include/bpf/libbpf.h}, {@code bpf.h}, {@code btf.h}). Handles marked "errno" report failure as
 * NULL and errno, so they take a leading capture segment; every int-returning call gives {@code -errno} itself.
 * Also the struct sizes and offsets this package writes, as verified for 1.1.2.
 */
final class LibBpf {
    private LibBpf() {
    }

    // --- common -----------------------------------------------------------------------------------------------
    static final MethodHandle LIBBPF_SET_PRINT = Native.libbpf("libbpf_set_print", FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MethodHandle LIBBPF_STRERROR =
            Native.libbpf("libbpf_strerror", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
    static final MethodHandle LIBBPF_NUM_POSSIBLE_CPUS =
            Native.libbpf("libbpf_num_possible_cpus", FunctionDescriptor.of(JAVA_INT));

    // --- bpf_object (errno for the two opens) -----------------------------------------------------------------
    static final MethodHandle BPF_OBJECT__OPEN_FILE = Native.libbpf("bpf_object__open_file",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS), Native.CAPTURE_ERRNO);
    static final MethodHandle BPF_OBJECT__OPEN_MEM = Native.libbpf("bpf_object__open_mem",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), Native.CAPTURE_ERRNO);
    static final MethodHandle BPF_OBJECT__LOAD = Native.libbpf("bpf_object__load", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BPF_OBJECT__CLOSE = Native.libbpf("bpf_object__close", FunctionDescriptor.ofVoid(ADDRESS));
    static final MethodHandle BPF_OBJECT__NAME = Native.libbpf("bpf_object__name", FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MethodHandle BPF_OBJECT__NEXT_PROGRAM =
            Native.libbpf("bpf_object__next_program", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle BPF_OBJECT__NEXT_MAP =
            Native.libbpf("bpf_object__next_map", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));

    // --- bpf_program ------------------------------------------------------------------------------------------
    static final MethodHandle BPF_PROGRAM__NAME = Native.libbpf("bpf_program__name", FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MethodHandle BPF_PROGRAM__SECTION_NAME =
            Native.libbpf("bpf_program__section_name", FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MethodHandle BPF_PROGRAM__FD = Native.libbpf("bpf_program__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BPF_PROGRAM__TYPE = Native.libbpf("bpf_program__type", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BPF_PROGRAM__EXPECTED_ATTACH_TYPE =
            Native.libbpf("bpf_program__expected_attach_type", FunctionDescriptor.of(JAVA_INT, ADDRESS));

    // --- bpf_map (libbpf object side) -------------------------------------------------------------------------
    static final MethodHandle BPF_MAP__NAME = Native.libbpf("bpf_map__name", FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MethodHandle BPF_MAP__FD = Native.libbpf("bpf_map__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BPF_MAP__TYPE = Native.libbpf("bpf_map__type", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BPF_MAP__KEY_SIZE = Native.libbpf("bpf_map__key_size", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BPF_MAP__VALUE_SIZE = Native.libbpf("bpf_map__value_size", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BPF_MAP__MAX_ENTRIES =
            Native.libbpf("bpf_map__max_entries", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BPF_MAP__SET_MAX_ENTRIES =
            Native.libbpf("bpf_map__set_max_entries", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle BPF_MAP__MAP_FLAGS = Native.libbpf("bpf_map__map_flags", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BPF_MAP__IS_INTERNAL =
            Native.libbpf("bpf_map__is_internal", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
    static final MethodHandle BPF_MAP__SET_PIN_PATH =
            Native.libbpf("bpf_map__set_pin_path", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle BPF_MAP__IS_PINNED = Native.libbpf("bpf_map__is_pinned", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));

    // --- map syscalls (hot path: no errno capture, the return value is -errno) --------------------------------
    static final MethodHandle BPF_MAP_LOOKUP_ELEM =
            Native.libbpf("bpf_map_lookup_elem", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle BPF_MAP_UPDATE_ELEM =
            Native.libbpf("bpf_map_update_elem", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    static final MethodHandle BPF_MAP_DELETE_ELEM =
            Native.libbpf("bpf_map_delete_elem", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    static final MethodHandle BPF_MAP_GET_NEXT_KEY =
            Native.libbpf("bpf_map_get_next_key", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle BPF_MAP_UPDATE_BATCH = Native.libbpf("bpf_map_update_batch",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle BPF_MAP_LOOKUP_BATCH = Native.libbpf("bpf_map_lookup_batch",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle BPF_MAP_DELETE_BATCH = Native.libbpf("bpf_map_delete_batch",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));

    // --- objects, pins, links, programs -----------------------------------------------------------------------
    static final MethodHandle BPF_OBJ_PIN = Native.libbpf("bpf_obj_pin", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    static final MethodHandle BPF_OBJ_GET = Native.libbpf("bpf_obj_get", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BPF_MAP_CREATE = Native.libbpf("bpf_map_create",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    static final MethodHandle BPF_MAP_GET_FD_BY_ID = Native.libbpf("bpf_map_get_fd_by_id", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    static final MethodHandle BPF_OBJ_GET_INFO_BY_FD =
            Native.libbpf("bpf_obj_get_info_by_fd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle BPF_PROG_TEST_RUN_OPTS =
            Native.libbpf("bpf_prog_test_run_opts", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    static final MethodHandle BPF_PROG_QUERY = Native.libbpf("bpf_prog_query",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle BPF_LINK_CREATE =
            Native.libbpf("bpf_link_create", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    static final MethodHandle BPF_LINK_UPDATE =
            Native.libbpf("bpf_link_update", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));

    // --- iterators (errno for attach_iter) ----------------------------------------------------------------------
    static final MethodHandle BPF_PROGRAM__ATTACH_ITER = Native.libbpf("bpf_program__attach_iter",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS), Native.CAPTURE_ERRNO);
    static final MethodHandle BPF_LINK__FD = Native.libbpf("bpf_link__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BPF_LINK__DESTROY = Native.libbpf("bpf_link__destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BPF_ITER_CREATE = Native.libbpf("bpf_iter_create", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    // --- tc (netlink; runs in the caller thread's network namespace) ------------------------------------------
    static final MethodHandle BPF_TC_HOOK_CREATE = Native.libbpf("bpf_tc_hook_create", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BPF_TC_ATTACH = Native.libbpf("bpf_tc_attach", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle BPF_TC_DETACH = Native.libbpf("bpf_tc_detach", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle BPF_TC_QUERY = Native.libbpf("bpf_tc_query", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

    // --- ring buffer (errno for new) --------------------------------------------------------------------------
    static final MethodHandle RING_BUFFER__NEW = Native.libbpf("ring_buffer__new",
            FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS), Native.CAPTURE_ERRNO);
    static final MethodHandle RING_BUFFER__ADD =
            Native.libbpf("ring_buffer__add", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle RING_BUFFER__POLL = Native.libbpf("ring_buffer__poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle RING_BUFFER__CONSUME = Native.libbpf("ring_buffer__consume", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle RING_BUFFER__FREE = Native.libbpf("ring_buffer__free", FunctionDescriptor.ofVoid(ADDRESS));

    // --- BTF (errno for parse) --------------------------------------------------------------------------------
    static final MethodHandle BTF__PARSE_ELF =
            Native.libbpf("btf__parse_elf", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS), Native.CAPTURE_ERRNO);
    static final MethodHandle BTF__FREE = Native.libbpf("btf__free", FunctionDescriptor.ofVoid(ADDRESS));
    static final MethodHandle BTF__FIND_BY_NAME_KIND =
            Native.libbpf("btf__find_by_name_kind", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    static final MethodHandle BTF__TYPE_BY_ID = Native.libbpf("btf__type_by_id", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
    static final MethodHandle BTF__NAME_BY_OFFSET =
            Native.libbpf("btf__name_by_offset", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
    static final MethodHandle BTF__RESOLVE_SIZE = Native.libbpf("btf__resolve_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT));

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
            int rc = (int) LIBBPF_STRERROR.invokeExact(Math.abs(errno), buf, buf.byteSize());
            String text = buf.getString(0);
            return rc < 0 && text.isEmpty() ? "unknown error" : text;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static final int NUM_POSSIBLE_CPUS = numPossibleCpus();

    /** The number of possible CPUs, which sizes the values of per-CPU maps. */
    static int possibleCpus() {
        return NUM_POSSIBLE_CPUS;
    }

    private static int numPossibleCpus() {
        try {
            int n = (int) LIBBPF_NUM_POSSIBLE_CPUS.invokeExact();
            if (n <= 0) {
                throw new BpfException("libbpf_num_possible_cpus", "/sys/devices/system/cpu/possible", -n);
            }
            return n;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static {
        // Last in the initialiser: the callback uses the handles above.
        LibbpfLog.install();
    }
}

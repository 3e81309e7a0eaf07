package io.sluice.loader;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;

/** The lazily bound libbpf handles: bound at their first use, and a missing symbol named when it is used. */
class LibBpfTest {

    /** A holder like LibBpf's, for a function libbpf does not have. */
    static final class sluice_no_such_function {
        static final MethodHandle HANDLE = LibBpf.bind("sluice_no_such_function", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    @Test
    void aFunctionLibbpfLacksIsReportedByNameAtItsFirstUseAndAfter() {
        assertThatThrownBy(() -> {
            int unused = (int) sluice_no_such_function.HANDLE.invokeExact(MemorySegment.NULL);
        }).isInstanceOf(UnsatisfiedLinkError.class)
                .hasMessage("symbol sluice_no_such_function not found in libbpf.so.1");
        // Later uses fail too (the holder stays uninitialised), with the first failure as the cause.
        assertThatThrownBy(() -> {
            int unused = (int) sluice_no_such_function.HANDLE.invokeExact(MemorySegment.NULL);
        }).isInstanceOf(NoClassDefFoundError.class)
                .hasStackTraceContaining("symbol sluice_no_such_function not found in libbpf.so.1");
    }

    @Test
    void handlesBoundAtTheirFirstUseCallLibbpf() {
        assertThat(LibBpf.strerror(-2)).isEqualTo("No such file or directory");
        assertThat(LibBpf.possibleCpus()).isEqualTo(LibBpf.possibleCpus()).isPositive();
    }
}

package io.sluice.loader;

import java.util.Arrays;

/**
 * The outcome of {@link BpfProgram#testRun}: the program's return value (an XDP or tc verdict), the packet as
 * the program left it, the kernel's average run time over the repeats, and the context as the program left it
 * (empty when no context was passed in). Immutable; the arrays are copies.
 */
public record TestRunResult(int verdict, byte[] packetOut, long nsPerRun, byte[] contextOut) {
    public TestRunResult {
        packetOut = packetOut.clone();
        contextOut = contextOut.clone();
    }

    /** A result without a context. */
    public TestRunResult(int verdict, byte[] packetOut, long nsPerRun) {
        this(verdict, packetOut, nsPerRun, new byte[0]);
    }

    @Override
    public byte[] packetOut() {
        return packetOut.clone();
    }

    @Override
    public byte[] contextOut() {
        return contextOut.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TestRunResult r && verdict == r.verdict && nsPerRun == r.nsPerRun
                && Arrays.equals(packetOut, r.packetOut) && Arrays.equals(contextOut, r.contextOut);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Integer.hashCode(verdict) + Arrays.hashCode(packetOut)) + Arrays.hashCode(contextOut);
    }

    @Override
    public String toString() {
        return "TestRunResult[verdict=" + verdict + ", packetOut=" + packetOut.length + " bytes, nsPerRun=" + nsPerRun
                + ", contextOut=" + contextOut.length + " bytes]";
    }
}

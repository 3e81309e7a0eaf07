package io.sluice.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Runs {@code sluice lab exec}'s command. On a terminal it gets the terminal; otherwise its output is copied to
 * the command's writers (so callers that capture them, scripts and tests, get it). Stdin is passed through.
 */
final class LabExec {
    private LabExec() {
    }

    /** Runs {@code command}; returns its exit code, or 127 when it cannot start. */
    static int run(List<String> command, PrintWriter out, PrintWriter err, boolean terminal) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.INHERIT);
        if (terminal) {
            pb.redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT);
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            err.println("sluice lab exec: cannot run " + command.getFirst() + ": " + e.getMessage());
            err.flush();
            return 127;
        }
        Thread copyOut = terminal ? null : Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
        Thread copyErr = terminal ? null : Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
        try {
            int code = p.waitFor();
            if (copyOut != null) {
                copyOut.join();
                copyErr.join();
            }
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroy();
            return 130;
        }
    }

    private static void copy(InputStream in, PrintWriter to) {
        try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            char[] buffer = new char[8192];
            int n;
            while ((n = r.read(buffer)) > 0) {
                synchronized (to) {
                    to.write(buffer, 0, n);
                    to.flush();
                }
            }
        } catch (IOException ignored) {
            // the command closed its output
        }
    }
}

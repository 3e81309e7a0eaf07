package io.sluice.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs short host commands ({@code ip}, {@code sysctl}) and turns a failure into a message naming the command. */
final class HostCommand {
    private static final long TIMEOUT_SECONDS = 20;

    /** What a command printed and how it ended. */
    record Result(int exitCode, String output) {
        boolean succeeded() {
            return exitCode == 0;
        }
    }

    private HostCommand() {
    }

    /**
     * Runs {@code command} and returns its output.
     *
     * @throws LabOperationException naming the command, its exit code and output when it fails
     */
    static String run(String... command) {
        Result result = attempt(command);
        if (!result.succeeded()) {
            throw new LabOperationException(String.join(" ", command) + " failed (exit " + result.exitCode() + "): "
                    + result.output().strip());
        }
        return result.output();
    }

    /** Runs {@code command}; a command that cannot start counts as exit code 127. */
    static Result attempt(String... command) {
        return attempt(List.of(command));
    }

    static Result attempt(List<String> command) {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
                    new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            return new Result(127, command.getFirst() + ": cannot run: " + e.getMessage()
                    + " (bin/setup installs what the lab needs)");
        }
        CompletableFuture<String> output = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                output.complete(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                output.complete("");
            }
        });
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(124, "timed out after " + TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), output.get(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return new Result(130, "interrupted");
        } catch (Exception e) {
            return new Result(p.exitValue(), "");
        }
    }

    /** Whether {@code program} can be found on the PATH (or is an executable path). */
    static boolean available(String program) {
        if (program.contains("/")) {
            return java.nio.file.Files.isExecutable(java.nio.file.Path.of(program));
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}

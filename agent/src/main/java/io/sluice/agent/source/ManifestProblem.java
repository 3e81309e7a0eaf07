package io.sluice.agent.source;

import java.nio.file.Path;

/**
 * Why (part of) a manifest file was not applied.
 *
 * @param file   the file
 * @param line   1-based line where the problem is, or 0 when it concerns the whole file
 * @param reason what is wrong, in words
 */
public record ManifestProblem(Path file, int line, String reason) {

    /** {@code file:line: reason}, the form editors and compilers use. */
    @Override
    public String toString() {
        return file + (line > 0 ? ":" + line : "") + ": " + reason;
    }
}

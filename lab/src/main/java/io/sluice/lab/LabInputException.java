package io.sluice.lab;

import java.util.List;

/** Manifests or options the lab refuses; each problem names the file or object and the field. */
public final class LabInputException extends RuntimeException {
    private final List<String> problems;

    public LabInputException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public LabInputException(String problem) {
        this(List.of(problem));
    }

    public List<String> problems() {
        return problems;
    }
}

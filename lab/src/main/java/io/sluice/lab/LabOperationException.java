package io.sluice.lab;

/** A step of building, running or removing the lab failed; the message names the step and what to do. */
public final class LabOperationException extends RuntimeException {
    public LabOperationException(String message) {
        super(message);
    }

    public LabOperationException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.sluice.testnet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Drains a child's output stream on a virtual thread so the child never blocks on a full pipe, keeping
 * the first {@value #LIMIT} bytes. Output is piped, never inherited: a child writing to the JVM's own
 * stdout corrupts surefire's channel.
 */
final class OutputCapture {
    static final int LIMIT = 1 << 20;

    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final Thread drainer;

    private OutputCapture(InputStream stream, String label) {
        this.drainer = Thread.ofVirtual().name("drain-" + label).start(() -> drain(stream));
    }

    static OutputCapture of(InputStream stream, String label) {
        return new OutputCapture(stream, label);
    }

    private void drain(InputStream stream) {
        byte[] buffer = new byte[8192];
        try (stream) {
            int n;
            while ((n = stream.read(buffer)) >= 0) {
                synchronized (kept) {
                    int room = LIMIT - kept.size();
                    if (room > 0) {
                        kept.write(buffer, 0, Math.min(n, room));
                    }
                }
            }
        } catch (IOException closed) {
            // The stream is closed when the process is killed: what was read so far is the output.
        }
    }

    /** Waits up to {@code bound} for the stream to reach its end (a killed grandchild may hold it open longer). */
    void await(Duration bound) {
        try {
            drainer.join(bound);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String text() {
        synchronized (kept) {
            return kept.toString(StandardCharsets.UTF_8);
        }
    }
}

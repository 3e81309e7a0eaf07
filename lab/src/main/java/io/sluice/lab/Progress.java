package io.sluice.lab;

import java.io.PrintWriter;

/**
 * Progress of {@code up}: numbered steps with their duration; on a terminal the current detail (which pod, how many
 * agents are healthy) updates in place on the step's line.
 */
final class Progress {
    private final PrintWriter out;
    private final boolean ansi;
    private final int steps;
    private int step;
    private String title;
    private long started;

    Progress(PrintWriter out, boolean ansi, int steps) {
        this.out = out;
        this.ansi = ansi;
        this.steps = steps;
    }

    void step(String text) {
        finish();
        step++;
        title = "[" + step + "/" + steps + "] " + text;
        started = System.nanoTime();
        if (ansi) {
            out.print(title + " ...");
            out.flush();
        }
    }

    /** What the current step is doing now; shown on a terminal only. */
    void detail(String text) {
        if (ansi && title != null) {
            out.print("\r\u001b[K" + title + " ... " + text);
            out.flush();
        }
    }

    /** Ends the current step's line with its duration. */
    void finish() {
        if (title == null) {
            return;
        }
        String line = title + " done (" + String.format("%.1f", (System.nanoTime() - started) / 1e9) + " s)";
        out.println(ansi ? "\r\u001b[K" + line : line);
        out.flush();
        title = null;
    }

    /** Ends the current step's line with a failure. */
    void fail() {
        if (title != null) {
            out.println(ansi ? "\r\u001b[K" + title + " FAILED" : title + " FAILED");
            out.flush();
            title = null;
        }
    }
}

package io.sluice.agent.testsupport;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4) for tests: every line must be a
 * HELP, TYPE or sample line; every sample must belong to a family whose TYPE came before it.
 */
public final class PrometheusText {
    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final String VALUE = "([-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?|[-+]?Inf|NaN)";
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") .*");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(" + "[a-zA-Z_][a-zA-Z0-9_]*=\"(\\\\.|[^\"\\\\])*\""
            + "(,[a-zA-Z_][a-zA-Z0-9_]*=\"(\\\\.|[^\"\\\\])*\")*,?)?\\})? " + VALUE + "( -?\\d+)?");
    private static final List<String> SUFFIXES = List.of("", "_total", "_created", "_bucket", "_sum", "_count", "_info");

    private PrometheusText() {
    }

    /**
     * Parses {@code text}.
     *
     * @return the names of every sample line, in order of first appearance
     * @throws AssertionError naming the first line that is not valid
     */
    public static Set<String> sampleNames(String text) {
        Set<String> families = new HashSet<>();
        Set<String> samples = new LinkedHashSet<>();
        int number = 0;
        for (String line : text.split("\n", -1)) {
            number++;
            if (line.isEmpty()) {
                continue;
            }
            Matcher m;
            if ((m = TYPE.matcher(line)).matches()) {
                families.add(m.group(1));
            } else if (HELP.matcher(line).matches()) {
                continue;
            } else if ((m = SAMPLE.matcher(line)).matches()) {
                String name = m.group(1);
                boolean declared = SUFFIXES.stream().anyMatch(s -> name.endsWith(s)
                        && families.contains(name.substring(0, name.length() - s.length())));
                if (!declared) {
                    throw new AssertionError("line " + number + ": sample of an undeclared family: " + line);
                }
                samples.add(name);
            } else {
                throw new AssertionError("line " + number + " is not Prometheus text format: " + line);
            }
        }
        if (!text.endsWith("\n")) {
            throw new AssertionError("the exposition does not end with a newline");
        }
        return samples;
    }
}

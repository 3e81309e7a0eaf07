package io.sluice.testnet;

import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of the objects the harness creates. Each carries this JVM's PID and a per-JVM counter, so two JVMs (or
 * two topologies in one) never collide, and the {@link Sweeper} can tell from a name whether its owner is dead:
 * <ul>
 *   <li>network namespace: {@code slc<pid>x<n>-<logical>}</li>
 *   <li>cgroup: {@code <cgroup2 mount>/sluice-test/<pid>-<n>-<logical>}</li>
 *   <li>bpffs folder: {@code <bpffs>/sluice-test-<pid>-<n>-<logical>}</li>
 * </ul>
 */
final class TestNames {
    static final long PID = ProcessHandle.current().pid();
    static final String CGROUP_PARENT = "sluice-test";

    static final Pattern NETNS = Pattern.compile("slc(\\d+)x\\d+(?:-[A-Za-z0-9_-]+)?");
    static final Pattern CGROUP = Pattern.compile("(\\d+)-\\d+(?:-[A-Za-z0-9_-]+)?");
    static final Pattern BPF_DIR = Pattern.compile("sluice-test-(\\d+)-\\d+(?:-[A-Za-z0-9_-]+)?");

    private static final Pattern LOGICAL = Pattern.compile("[A-Za-z0-9_-]{1,32}");
    private static final AtomicLong COUNTER = new AtomicLong();
    /** Every name this JVM handed out: a name with this JVM's PID that is not here was left by an earlier process with the same PID. */
    private static final Set<String> ISSUED = ConcurrentHashMap.newKeySet();

    private TestNames() {
    }

    static String netns(String logicalName) {
        return issue("slc" + PID + "x" + COUNTER.incrementAndGet() + "-" + logicalName);
    }

    static String cgroup(String logicalName) {
        return issue(PID + "-" + COUNTER.incrementAndGet() + "-" + logicalName);
    }

    static String bpfDir(String logicalName) {
        return issue("sluice-test-" + PID + "-" + COUNTER.incrementAndGet() + "-" + logicalName);
    }

    private static String issue(String name) {
        ISSUED.add(name);
        return name;
    }

    /** Whether this JVM handed out the name. */
    static boolean issuedHere(String name) {
        return ISSUED.contains(name);
    }

    /** Checks a logical name given by a test: 1 to 32 of letters, digits, '_' and '-'. */
    static String requireLogical(String what, String logicalName) {
        if (logicalName == null || !LOGICAL.matcher(logicalName).matches()) {
            throw new IllegalArgumentException(what + ": logical name '" + logicalName
                    + "' must be 1 to 32 characters of letters, digits, '_' and '-'");
        }
        return logicalName;
    }

    /** The PID embedded in a name of the given pattern, if the name is one of ours. */
    static OptionalLong ownerPid(Pattern pattern, String name) {
        Matcher m = pattern.matcher(name);
        return m.matches() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
    }
}

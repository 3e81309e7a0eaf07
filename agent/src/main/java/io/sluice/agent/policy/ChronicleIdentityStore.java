package io.sluice.agent.policy;

import io.sluice.agent.ids.LockedChronicleFile;
import io.sluice.policy.IdentityStore;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * The policy engine's {@link IdentityStore} in a Chronicle Map file under the agent's state directory: security
 * identities ({@code identity:LABELS}, {@code cidr-identity:CIDR}) and endpoint ids ({@code endpoint:NS/NAME}) keep
 * their numbers across restarts, so the pinned ipcache and policy maps stay valid and a restarted agent rewrites
 * nothing that did not change.
 *
 * <p>The file carries a format version, checked at open; it is a {@link LockedChronicleFile}: one agent at a time,
 * recovered at open after a killed agent.
 *
 * <p>Owned by the writer thread (the policy engine's); not thread-safe.
 */
public final class ChronicleIdentityStore implements IdentityStore, AutoCloseable {
    /** The version of the file's content; bump it when the meaning of keys or numbers changes. */
    public static final int FORMAT_VERSION = 1;
    /** Where the version lives: keys of the policy engine never contain NUL. */
    static final String VERSION_KEY = "\u0000sluice-policy-ids-format-version";
    /** Capacity planned for: distinct label sets + CIDRs + local endpoints (Chronicle grows past it, to 4x). */
    static final long ENTRIES = 65_536;
    private static final double AVERAGE_KEY_SIZE = 120;

    private final Path file;
    private final LockedChronicleFile<CharSequence, Integer> locked;
    private final ChronicleMap<CharSequence, Integer> map;
    private boolean closed;

    private ChronicleIdentityStore(Path file, LockedChronicleFile<CharSequence, Integer> locked) {
        this.file = file;
        this.locked = locked;
        this.map = locked.map();
    }

    /**
     * Opens (or creates) the store at {@code file}.
     *
     * @throws IllegalStateException naming the file when it is locked by another agent, of another format version,
     *                               or not a policy id file
     */
    public static ChronicleIdentityStore open(Path file) {
        LockedChronicleFile<CharSequence, Integer> locked = LockedChronicleFile.open(file, "Sluice policy id file",
                LockedChronicleFile.mapOf(CharSequence.class, Integer.class)
                        .name("sluice-policy-ids")
                        .averageKeySize(AVERAGE_KEY_SIZE)
                        .entries(ENTRIES)
                        .maxBloatFactor(4));
        try {
            checkVersion(file, locked.map(), locked.existed());
            return new ChronicleIdentityStore(file, locked);
        } catch (RuntimeException e) {
            locked.close();
            throw e;
        }
    }

    private static void checkVersion(Path file, ChronicleMap<CharSequence, Integer> map, boolean existed) {
        Integer version;
        try {
            version = map.get(VERSION_KEY);
        } catch (RuntimeException e) {
            throw new IllegalStateException(file + ": not a Sluice policy id file (" + e + ")", e);
        }
        if (!existed && version == null) {
            map.put(VERSION_KEY, FORMAT_VERSION);
            return;
        }
        if (!Integer.valueOf(FORMAT_VERSION).equals(version)) {
            throw new IllegalStateException(file + ": policy id file format version " + (version == null ? "missing" : version)
                    + ", this agent reads version " + FORMAT_VERSION + "; move the file away to start with fresh identities"
                    + " (the policy maps are then rewritten)");
        }
    }

    @Override
    public Map<String, Integer> loadAll() {
        requireOpen();
        Map<String, Integer> all = new HashMap<>();
        // The version is always there (checked or written at open): alone, nothing to load. A fresh node's file
        // skips the walk over every segment's slots (~20 ms of the start, still interpreted then).
        if (map.size() == 1) {
            return all;
        }
        map.forEach((k, v) -> {
            String key = k.toString();
            if (!key.equals(VERSION_KEY)) {
                all.put(key, v);
            }
        });
        return all;
    }

    @Override
    public void put(String key, int id) {
        requireOpen();
        if (key.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("policy id key contains NUL: \"" + key.replace('\0', '?') + "\"");
        }
        map.put(key, id);
    }

    @Override
    public void remove(String key) {
        requireOpen();
        map.remove(key);
    }

    /** The persisted file. */
    public Path file() {
        return file;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(file + ": policy id store is closed");
        }
    }

    /** Closes the file; the records stay for the next {@link #open}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        locked.close();
    }
}

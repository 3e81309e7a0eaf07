package io.sluice.agent.ids;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/**
 * The id file of format 1, as agents before {@link StableIdAllocator}'s format 2 wrote it: a Chronicle Map of string
 * keys to ids, its version under a key no caller could use. Read only for migrating it; afterwards its name holds a
 * {@link #guard}, so that an older agent does not start over the ids of format 2.
 */
final class FormatOneIdFile {
    static final int FORMAT_VERSION = 1;
    /**
     * The version a guard holds: an agent of format 1 refuses any version but 1 by the file's name ("id file format
     * version 2, this agent reads version 1"). Without the guard it would find no file at its name, start with fresh
     * ids (it does not restore them from the pinned maps) and hand ids the maps hold to other objects: flows and
     * slots would silently point at other backends.
     */
    static final int GUARD_VERSION = StableIdAllocator.FORMAT_VERSION;
    static final String VERSION_KEY = "\u0000sluice-id-format-version";
    /** The builder settings format 1 created its files with. */
    static final double AVERAGE_KEY_SIZE = 48;
    /** A guard holds one entry; an older agent recovers it with the size stored in the file. */
    private static final int GUARD_ENTRIES = 16;

    private FormatOneIdFile() {
    }

    /**
     * The ids of {@code file}: the packed key of each id, indexed by id (0: free).
     *
     * @throws IllegalStateException naming the file when it is in use, of another version, not an id file, holds an id
     *                               outside {@code 1..maxId} or a key {@code keys} cannot read
     */
    static long[] read(Path file, int maxId, IdKeyFormat keys) {
        try (LockedChronicleFile<CharSequence, Integer> formatOne = open(file, maxId)) {
            ChronicleMap<CharSequence, Integer> map = formatOne.map();
            Object version = map.get(VERSION_KEY);
            if (!Integer.valueOf(FORMAT_VERSION).equals(version)) {
                throw new IllegalStateException(file + ": id file format version " + (version == null ? "missing" : version)
                        + ", expected " + FORMAT_VERSION + " to migrate it");
            }
            long[] keyOfId = new long[1];
            for (var e : map.entrySet()) {
                String key = e.getKey().toString();
                if (key.equals(VERSION_KEY)) {
                    continue;
                }
                Integer id = e.getValue();
                if (id == null || id < 1 || id > maxId) {
                    throw new IllegalStateException(file + ": key \"" + key + "\" has id " + id + ", outside 1.." + maxId);
                }
                long packed;
                try {
                    packed = keys.fromFormatOne(key);
                } catch (IllegalArgumentException bad) {
                    throw new IllegalStateException(file + ": key \"" + key + "\": " + bad.getMessage(), bad);
                }
                if (id >= keyOfId.length) {
                    keyOfId = Arrays.copyOf(keyOfId, Math.max(id + 1, Math.min(maxId + 1, keyOfId.length * 2)));
                }
                if (keyOfId[id] != 0) {
                    throw new IllegalStateException(file + ": id " + id + " is held by two keys, one is \"" + key + "\"");
                }
                keyOfId[id] = packed;
            }
            return keyOfId;
        }
    }

    /**
     * The version {@code file} (present) holds: {@link #FORMAT_VERSION} for a format-1 file, {@link #GUARD_VERSION}
     * for a guard, null when it holds none.
     *
     * @throws IllegalStateException naming the file when it is in use or not a format-1 map
     */
    static Integer versionOf(Path file, int maxId) {
        try (LockedChronicleFile<CharSequence, Integer> formatOne = open(file, maxId)) {
            return formatOne.map().get(VERSION_KEY);
        }
    }

    /**
     * Puts a guard at {@code file} (a format-1 map holding only {@link #GUARD_VERSION}), replacing what is there:
     * written beside it, then renamed into place, so the name always holds a whole file.
     */
    static void guard(Path file) throws IOException {
        Path partial = file.resolveSibling(file.getFileName() + ".guard");
        Files.deleteIfExists(partial);
        try (ChronicleMap<CharSequence, Integer> guard = builder(file).entries(GUARD_ENTRIES)
                .createPersistedTo(partial.toFile())) {
            guard.put(VERSION_KEY, GUARD_VERSION);
        }
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static LockedChronicleFile<CharSequence, Integer> open(Path file, int maxId) {
        return LockedChronicleFile.open(file, "Sluice id file of format 1", builder(file).entries(maxId + 1L));
    }

    private static ChronicleMapBuilder<CharSequence, Integer> builder(Path file) {
        return LockedChronicleFile.mapOf(CharSequence.class, Integer.class).name("sluice-ids-" + file.getFileName())
                .averageKeySize(AVERAGE_KEY_SIZE);
    }
}

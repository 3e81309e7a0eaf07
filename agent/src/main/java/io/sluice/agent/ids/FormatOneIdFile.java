package io.sluice.agent.ids;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * Reads an id file of format 1, as agents before {@link StableIdAllocator}'s format 2 wrote it: a Chronicle Map of
 * string keys to ids, its version under a key no caller could use. Only for migrating it.
 */
final class FormatOneIdFile {
    static final int FORMAT_VERSION = 1;
    static final String VERSION_KEY = "\u0000sluice-id-format-version";
    /** The builder settings format 1 created its files with. */
    static final double AVERAGE_KEY_SIZE = 48;

    private FormatOneIdFile() {
    }

    /**
     * The ids of {@code file}: the packed key of each id, indexed by id (0: free).
     *
     * @throws IllegalStateException naming the file when it is in use, of another version, not an id file, holds an id
     *                               outside {@code 1..maxId} or a key {@code keys} cannot read
     */
    static long[] read(Path file, int maxId, IdKeyFormat keys) {
        try (LockedChronicleFile<CharSequence, Integer> formatOne = LockedChronicleFile.open(file,
                "Sluice id file of format 1", ChronicleMap.of(CharSequence.class, Integer.class)
                        .name("sluice-ids-" + file.getFileName())
                        .averageKeySize(AVERAGE_KEY_SIZE)
                        .entries(maxId + 1L))) {
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

    /** Removes a migrated format-1 file and its lock file. */
    static void delete(Path file) throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(LockedChronicleFile.lockFileOf(file));
    }
}

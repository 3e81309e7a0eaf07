package io.sluice.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** Reads and atomically replaces a lab's state file. */
public final class LabStateFile {
    static final JsonMapper JSON = JsonMapper.builder()
            .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private final Path file;

    public LabStateFile(Path file) {
        this.file = file;
    }

    public Path path() {
        return file;
    }

    /**
     * The state, or empty when there is no lab.
     *
     * @throws IllegalStateException naming the file when it cannot be read, does not parse, or is of another version
     */
    public Optional<LabState> read() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            JsonNode tree = JSON.readTree(Files.readString(file));
            int version = tree.path("version").asInt(-1);
            if (version != LabState.VERSION) {
                throw new IllegalStateException(file + " is a lab state of version " + version + ", this sluice reads "
                        + "version " + LabState.VERSION + ": remove that lab with the sluice that made it");
            }
            return Optional.of(JSON.treeToValue(tree, LabState.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the lab state " + file, e);
        } catch (JacksonException e) {
            throw new IllegalStateException(file + " is not a lab state file: " + e.getOriginalMessage(), e);
        }
    }

    /** Replaces the state file: written beside it, then renamed over it, so readers never see half a file. */
    public void write(LabState state) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
            Files.writeString(tmp, JSON.writeValueAsString(state));
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the lab state " + file, e);
        }
    }

    public void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the lab state " + file, e);
        }
    }
}

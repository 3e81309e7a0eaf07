package io.sluice.loader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One compiled BPF ELF object (libbpf's {@code struct bpf_object}): open it, optionally
 * {@linkplain #pinMapsUnder pin its maps}, {@link #load()} it into the kernel, then use its {@link #program programs}
 * and {@link #map maps}. {@link #close()} frees the libbpf object and all native memory of this object (its
 * {@link Arena}); programs and maps of a closed object must not be used, and links, tc filters and pins made from
 * them keep the kernel objects alive on their own.
 *
 * <p>Thread confinement: open, pin, load and close belong to one thread at a time (the owner); after load,
 * the programs and maps may be used from any thread as their own Javadoc says.
 */
public final class BpfObject implements AutoCloseable {
    private final Arena arena;
    private final MemorySegment handle;
    private final String name;
    private final Map<String, BpfProgram> programs = new LinkedHashMap<>();
    private final Map<String, BpfMap> maps = new LinkedHashMap<>();
    private Path pinDirectory;
    private boolean loaded;
    private boolean closed;

    private BpfObject(Arena arena, MemorySegment handle) throws Throwable {
        this.arena = arena;
        this.handle = handle;
        this.name = Native.string((MemorySegment) LibBpf.bpf_object__name.HANDLE.invokeExact(handle));
        MemorySegment program = (MemorySegment) LibBpf.bpf_object__next_program.HANDLE.invokeExact(handle, MemorySegment.NULL);
        while (!program.equals(MemorySegment.NULL)) {
            BpfProgram p = new BpfProgram(this, program);
            programs.put(p.name(), p);
            program = (MemorySegment) LibBpf.bpf_object__next_program.HANDLE.invokeExact(handle, program);
        }
        MemorySegment map = (MemorySegment) LibBpf.bpf_object__next_map.HANDLE.invokeExact(handle, MemorySegment.NULL);
        while (!map.equals(MemorySegment.NULL)) {
            BpfMap m = BpfMap.ofObject(this, map);
            maps.put(m.name(), m);
            map = (MemorySegment) LibBpf.bpf_object__next_map.HANDLE.invokeExact(handle, map);
        }
    }

    /** Wraps a freshly opened libbpf object; on failure frees it and the arena. */
    private static BpfObject wrap(Arena arena, MemorySegment handle) throws Throwable {
        try {
            return new BpfObject(arena, handle);
        } catch (Throwable t) {
            LibBpf.bpf_object__close.HANDLE.invokeExact(handle);
            throw t;
        }
    }

    /** Opens an object file (bpf_object__open_file); nothing reaches the kernel before {@link #load()}. */
    public static BpfObject open(Path file) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment handle = (MemorySegment) LibBpf.bpf_object__open_file.HANDLE.invokeExact(
                    Native.capture(), arena.allocateFrom(file.toString()), MemorySegment.NULL);
            if (handle.equals(MemorySegment.NULL)) {
                throw new BpfException("bpf_object__open_file", "BPF object " + file, Native.errno());
            }
            return wrap(arena, handle);
        } catch (Throwable t) {
            arena.close();
            throw Native.rethrow(t);
        }
    }

    /**
     * Opens an object from its ELF bytes (bpf_object__open_mem). The bytes are copied into this object's arena,
     * which libbpf reads until close.
     *
     * @param objectName the object's name, which also prefixes its internal maps ({@code NAME.rodata})
     */
    public static BpfObject open(byte[] elf, String objectName) {
        if (elf == null || elf.length == 0) {
            throw new IllegalArgumentException("BPF object '" + objectName + "': ELF bytes are empty");
        }
        if (objectName == null || objectName.isBlank()) {
            throw new IllegalArgumentException("BPF object name must not be blank");
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment buffer = arena.allocate(elf.length, 8);
            MemorySegment.copy(elf, 0, buffer, ValueLayout.JAVA_BYTE, 0, elf.length);
            // struct bpf_object_open_opts: sz, object_name@8; the rest zero.
            MemorySegment opts = arena.allocate(OPEN_OPTS_SIZE, 8);
            opts.set(ValueLayout.JAVA_LONG, 0, OPEN_OPTS_SIZE);
            opts.set(ValueLayout.ADDRESS, 8, arena.allocateFrom(objectName));
            MemorySegment handle = (MemorySegment) LibBpf.bpf_object__open_mem.HANDLE.invokeExact(
                    Native.capture(), buffer, (long) elf.length, opts);
            if (handle.equals(MemorySegment.NULL)) {
                throw new BpfException("bpf_object__open_mem", "BPF object '" + objectName + "'", Native.errno());
            }
            return wrap(arena, handle);
        } catch (Throwable t) {
            arena.close();
            throw Native.rethrow(t);
        }
    }

    /** sizeof(struct bpf_object_open_opts) in libbpf 1.1.2. */
    private static final long OPEN_OPTS_SIZE = 80;

    /**
     * Opens an object from the class path, e.g. {@code /io/sluice/bpf/xdp_pass.bpf.o}; the object is named after
     * the file up to its first dot ({@code xdp_pass}), as libbpf names objects opened from files.
     */
    public static BpfObject openResource(String classpathResource) {
        String resource = classpathResource.startsWith("/") ? classpathResource : "/" + classpathResource;
        byte[] elf;
        try (InputStream in = openStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("BPF object " + resource + " is not on the class path");
            }
            elf = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading BPF object " + resource, e);
        }
        String file = resource.substring(resource.lastIndexOf('/') + 1);
        int dot = file.indexOf('.');
        return open(elf, dot > 0 ? file.substring(0, dot) : file);
    }

    /** A class-path resource by absolute name, through this library's class loader, else the thread's. */
    static InputStream openStream(String resource) {
        InputStream in = BpfObject.class.getResourceAsStream(resource);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (in == null && context != null) {
            in = context.getResourceAsStream(resource.substring(1));
        }
        return in;
    }

    /**
     * Before {@link #load()}: gives every map of this object (except libbpf's internal {@code .data},
     * {@code .bss}, {@code .rodata} maps, which belong to one program version) the pin path {@code dir/MAPNAME}
     * (bpf_map__set_pin_path). At load, libbpf then adopts a map already pinned there, with its contents, and
     * pins each map it creates. A map already pinned is adopted at the size it has: this object's map takes the
     * pinned map's max_entries (a capacity chosen when the pin was made, see {@link #setMaxEntries}), which libbpf
     * would otherwise refuse. An existing pin whose type, key size, value size or flags differ makes
     * {@code load()} fail with EINVAL (libbpf's warning, "couldn't reuse pinned map", is in the message).
     *
     * @param dir a folder on a BPF file system (bpffs); created if missing
     */
    public void pinMapsUnder(Path dir) {
        ensureOpen();
        if (loaded) {
            throw new IllegalStateException("BPF object '" + name + "' is already loaded: pin paths are set before load()");
        }
        try {
            Files.createDirectories(dir);
            String type = Files.getFileStore(dir).type();
            if (!"bpf".equals(type)) {
                throw new IllegalArgumentException("pin folder " + dir + " is not on a BPF file system (it is on " + type + ")");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("creating pin folder " + dir + " for BPF object '" + name + "'", e);
        }
        for (BpfMap map : List.copyOf(maps.values())) {
            if (!map.isInternal()) {
                Path pin = dir.resolve(map.name());
                map.setPinPath(pin);
                adoptPinnedSize(map, pin);
            }
        }
        pinDirectory = dir;
    }

    /** Gives {@code map} the max_entries of the map pinned at {@code pin}, if there is one; else leaves it. */
    private void adoptPinnedSize(BpfMap map, Path pin) {
        if (!Files.exists(pin)) {
            return;
        }
        int pinnedSize;
        try (BpfMap pinned = BpfMap.openPinned(pin)) {
            pinnedSize = pinned.maxEntries();
        } catch (RuntimeException e) {
            return; // not a map, or unreadable: load() reports it with libbpf's reason
        }
        if (pinnedSize != map.maxEntries()) {
            setMaxEntries(map.name(), pinnedSize);
        }
    }

    /**
     * Before {@link #load()}: the capacity of the map named {@code mapName} (bpf_map__set_max_entries), instead of
     * the {@code max_entries} compiled into the object. A map that {@link #pinMapsUnder} finds pinned keeps the
     * pinned map's size whatever is set here, so call this before {@code pinMapsUnder} to size only the maps this
     * load creates.
     *
     * @throws IllegalArgumentException if {@code entries} is not positive or the object has no such map
     */
    public void setMaxEntries(String mapName, int entries) {
        ensureOpen();
        if (loaded) {
            throw new IllegalStateException("BPF object '" + name + "' is already loaded: map sizes are set before load()");
        }
        if (entries <= 0) {
            throw new IllegalArgumentException("BPF object '" + name + "', map '" + mapName + "': max_entries "
                    + entries + " is not positive");
        }
        MemorySegment libbpfMap = map(mapName).handle(); // names the object's maps when there is no such map
        try {
            int rc = (int) LibBpf.bpf_map__set_max_entries.HANDLE.invokeExact(libbpfMap, entries);
            if (rc < 0) {
                throw new BpfException("bpf_map__set_max_entries", "map '" + mapName + "' of BPF object '" + name
                        + "' (" + entries + " entries)", rc);
            }
            maps.put(mapName, BpfMap.ofObject(this, libbpfMap)); // the wrapper holds the sizes it was made with
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Loads every program and creates (or, with {@link #pinMapsUnder}, adopts) every map (bpf_object__load).
     *
     * @throws BpfException naming the object; for a rejected program it carries the verifier's log
     */
    public void load() {
        ensureOpen();
        if (loaded) {
            throw new IllegalStateException("BPF object '" + name + "' is already loaded");
        }
        int rc;
        String verifierLog;
        String warnings;
        try (LibbpfLog.LoadCapture capture = LibbpfLog.capture()) {
            rc = (int) LibBpf.bpf_object__load.HANDLE.invokeExact(handle);
            verifierLog = capture.verifierLog();
            warnings = capture.warnings();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            String detail = warnings.isBlank() ? null : "libbpf said: " + warnings.strip().replace("\n", "; ");
            throw new BpfException("bpf_object__load", "BPF object '" + name + "'", rc, detail, verifierLog);
        }
        loaded = true;
        for (BpfMap map : maps.values()) {
            map.loaded();
        }
    }

    /** The program named {@code name} (the C function's name). */
    public BpfProgram program(String name) {
        ensureOpen();
        BpfProgram program = programs.get(name);
        if (program == null) {
            throw new IllegalArgumentException("BPF object '" + this.name + "' has no program '" + name + "'; it has "
                    + programs.keySet());
        }
        return program;
    }

    /** The map named {@code name} (as declared in C). */
    public BpfMap map(String name) {
        ensureOpen();
        BpfMap map = maps.get(name);
        if (map == null) {
            throw new IllegalArgumentException("BPF object '" + this.name + "' has no map '" + name + "'; it has " + maps.keySet());
        }
        return map;
    }

    /** All programs, in the order of the object file. */
    public List<BpfProgram> programs() {
        return Collections.unmodifiableList(new ArrayList<>(programs.values()));
    }

    /** All maps, including libbpf's internal ones, in the order of the object file. */
    public List<BpfMap> maps() {
        return Collections.unmodifiableList(new ArrayList<>(maps.values()));
    }

    /** The object's name (file name up to the first dot, or the name given to {@link #open(byte[], String)}). */
    public String name() {
        return name;
    }

    /** Whether {@link #load()} succeeded. */
    public boolean isLoaded() {
        return loaded;
    }

    /** The folder given to {@link #pinMapsUnder}, or null. */
    public Path pinDirectory() {
        return pinDirectory;
    }

    MemorySegment handle() {
        return handle;
    }

    Arena arena() {
        return arena;
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("BPF object '" + name + "' is closed");
        }
    }

    void ensureLoaded(String what) {
        ensureOpen();
        if (!loaded) {
            throw new IllegalStateException(what + " of BPF object '" + name + "' is not loaded: call load() first");
        }
    }

    /**
     * Frees the libbpf object (bpf_object__close: closes its program and map descriptors) and this object's native
     * memory. Pinned maps and links stay in the kernel. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (BpfMap map : maps.values()) {
            map.ownerClosed();
        }
        try {
            LibBpf.bpf_object__close.HANDLE.invokeExact(handle);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "BpfObject[" + name + (loaded ? ", loaded" : "") + (closed ? ", closed" : "") + "]";
    }
}

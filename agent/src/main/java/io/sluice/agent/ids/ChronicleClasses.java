package io.sluice.agent.ids;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chronicle Map's classes loaded and initialised ahead of the agent's first id file, on a thread of their own.
 *
 * <p>Chronicle's first use in a JVM loads ~750 classes and runs their static initialisers (its {@code Jvm} class and
 * what that probes): ~0.45 s of CPU before a file is opened. The agent opens its id files while the manifest parse
 * keeps both cores busy; started as soon as the command line says {@code agent}, that work runs on the core the
 * command line's parsing leaves idle instead. Every Chronicle map the agent builds goes through
 * {@link LockedChronicleFile#mapOf}, which waits for a loading under way first, so the loading thread and an opener
 * never initialise Chronicle's classes at the same time (cyclic static initialisers on two threads can deadlock); a
 * map built without {@link #loadInBackground()} pays the same cost where it always did.
 */
public final class ChronicleClasses {
    private static final Logger LOG = LoggerFactory.getLogger(ChronicleClasses.class);
    private static FutureTask<Void> loading;

    private ChronicleClasses() {
    }

    /** Starts loading Chronicle Map's classes on a daemon thread, once per JVM; later calls do nothing. Any thread. */
    public static synchronized void loadInBackground() {
        if (loading == null) {
            loading = new FutureTask<>(ChronicleClasses::load);
            Thread.ofPlatform().daemon().name("sluice-chronicle-classes").start(loading);
        }
    }

    /** Returns once a loading started by {@link #loadInBackground()} has ended (at once if none was started). */
    static void awaitLoaded() {
        FutureTask<Void> started;
        synchronized (ChronicleClasses.class) {
            started = loading;
        }
        if (started == null) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                started.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the caller is opening a file: finish waiting, keep the interrupt for it
            } catch (ExecutionException e) {
                // Only time was to be saved: the map's own build meets the same failure and reports it with its file.
                LOG.debug("loading Chronicle Map's classes ahead failed: {}", e.getCause().toString());
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Initialises LockedChronicleFile (it sets Chronicle's POSIX calls first), then Chronicle's map builder. */
    private static Void load() throws ClassNotFoundException {
        ClassLoader loader = ChronicleClasses.class.getClassLoader();
        Class.forName(LockedChronicleFile.class.getName(), true, loader);
        Class.forName(ChronicleMapBuilder.class.getName(), true, loader);
        return null;
    }
}

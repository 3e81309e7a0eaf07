package io.sluice.agent.datapath;

import io.sluice.loader.NetworkNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The network namespaces whose sockets the socket programs may have translated: the agent's own and that of every
 * process in the socket cgroup's subtree (each pod has its own), each once. A socket iterator sees only the
 * namespace it runs in, so destroying stale sockets walks each of these. Stateless.
 */
public final class CgroupNetworkNamespaces {
    private CgroupNetworkNamespaces() {
    }

    /**
     * Opens the calling thread's namespace and the distinct namespaces of the processes in {@code cgroup} and its
     * descendants. A process that exits meanwhile is skipped. The caller closes every namespace returned.
     */
    public static List<NetworkNamespace> open(Path cgroup) {
        List<NetworkNamespace> namespaces = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        try {
            NetworkNamespace own = NetworkNamespace.current();
            namespaces.add(own);
            seen.add(own.inode());
            for (long pid : pidsUnder(cgroup)) {
                Long inode = namespaceInode(pid);
                if (inode == null || seen.contains(inode)) {
                    continue;
                }
                NetworkNamespace ns;
                try {
                    ns = NetworkNamespace.ofProcess(pid);
                } catch (RuntimeException exited) {
                    continue;
                }
                if (seen.add(ns.inode())) {
                    namespaces.add(ns);
                } else {
                    ns.close();
                }
            }
            return namespaces;
        } catch (RuntimeException e) {
            namespaces.forEach(NetworkNamespace::close);
            throw e;
        }
    }

    /** The PIDs in {@code cgroup.procs} of {@code cgroup} and every cgroup below it. */
    static List<Long> pidsUnder(Path cgroup) {
        if (!Files.isDirectory(cgroup)) {
            throw new IllegalArgumentException("socket cgroup " + cgroup + " is not a folder");
        }
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> dirs = Files.walk(cgroup)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                for (String line : readProcs(dir)) {
                    if (!line.isBlank()) {
                        pids.add(Long.parseLong(line.strip()));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("listing the cgroups under " + cgroup, e);
        }
        return pids;
    }

    private static List<String> readProcs(Path dir) throws IOException {
        try {
            return Files.readAllLines(dir.resolve("cgroup.procs"));
        } catch (NoSuchFileException removedMeanwhile) {
            return List.of();
        }
    }

    /** The inode of {@code /proc/PID/ns/net}, or null once the process is gone. */
    private static Long namespaceInode(long pid) {
        try {
            return (Long) Files.getAttribute(Path.of("/proc", Long.toString(pid), "ns", "net"), "unix:ino");
        } catch (IOException gone) {
            return null;
        }
    }
}

package io.sluice.datapath;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfLink;
import io.sluice.loader.BpfObject;
import java.nio.file.Path;

/**
 * Run as a separate JVM by {@link PinnedStateTest}: loads the socket programs with their maps pinned under a
 * folder, attaches connect4 to a cgroup through a link, pins the link, and exits — as an agent that restarts.
 * Arguments: the bpffs folder and the cgroup folder.
 */
public final class PinnedAttachProcess {
    static final String LINK_PIN = "sock_connect4_link";
    static final String MAPS_FOLDER = "maps";

    public static void main(String[] args) {
        Path pins = Path.of(args[0]);
        Path cgroup = Path.of(args[1]);
        try (BpfObject sock = BpfObject.open(BpfObjectFile.SOCK.bytes(), BpfObjectFile.SOCK.baseName())) {
            sock.pinMapsUnder(pins.resolve(MAPS_FOLDER));
            sock.load();
            try (BpfLink link = sock.program("sock_connect4").attachCgroup(cgroup)) {
                link.pin(pins.resolve(LINK_PIN));
            }
        }
        System.out.println("attached and pinned");
    }
}

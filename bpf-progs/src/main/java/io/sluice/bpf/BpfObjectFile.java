package io.sluice.bpf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The compiled BPF objects that ship in this jar, so the agent loads them from its class path and never from
 * a path the user must know. Each constant names one {@code src/main/bpf/NAME.bpf.c}.
 */
public enum BpfObjectFile {
    /** Programs on a pod's host-side veth: {@code from_pod} (tc ingress) and {@code to_pod} (tc egress). */
    POD("sluice_pod"),
    /** Socket-level load balancing: {@code sock_connect4}, {@code sock_sendmsg4}, {@code sock_recvmsg4}, {@code sock_getpeername4}. */
    SOCK("sluice_sock"),
    /**
     * Destroying stale sockets: {@code sock_destroy_udp} (iter/udp) aborts connected UDP sockets the socket programs
     * sent to a backend that has since left the frontend. Shares the service maps through their pins; needs Linux 6.5.
     */
    SOCK_DESTROY("sluice_sock_destroy"),
    /** The per-packet floor: {@code xdp_pass}. */
    XDP_PASS("xdp_pass");

    private final String baseName;

    BpfObjectFile(String baseName) {
        this.baseName = baseName;
    }

    /** The object's name without folder or suffix, e.g. {@code sluice_pod}. */
    public String baseName() {
        return baseName;
    }

    /** The class-path resource of the object, e.g. {@code /io/sluice/bpf/sluice_pod.bpf.o}. */
    public String resource() {
        return "/io/sluice/bpf/" + baseName + ".bpf.o";
    }

    /** The object's ELF bytes. */
    public byte[] bytes() {
        try (InputStream in = BpfObjectFile.class.getResourceAsStream(resource())) {
            if (in == null) {
                throw new IllegalStateException("BPF object " + resource() + " is not on the class path: was bpf-progs built with clang?");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading BPF object " + resource(), e);
        }
    }
}

package io.sluice.agent.demo;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfObject;
import io.sluice.loader.NetworkNamespace;
import io.sluice.loader.TcDirection;
import io.sluice.loader.TcFilter;
import io.sluice.maps.DatapathCounter;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.LbScope;
import io.sluice.maps.ServiceMaps;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice demo}: the data path end to end on this machine, in a network of its own. A client pod
 * connects to a ClusterIP; the pod programs on its veth balance each connection over two backend pods. Prints
 * the service, who answered, and the kernel's counters, then removes everything it created.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the data path on a throw-away network of namespaces: one ClusterIP, two backends, real connections.")
public final class DemoCommand implements Callable<Integer> {
    private static final String SERVICE_IP = "198.18.100.10";
    private static final int SERVICE_PORT = 80;
    private static final int BACKEND_PORT = 8080;

    @Option(names = "--connections", defaultValue = "20", description = "Connections to make through the service (default: ${DEFAULT-VALUE}).")
    int connections;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (connections < 1 || connections > 10_000) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--connections must be between 1 and 10000, got " + connections);
        }
        if (ProcessHandle.current().info().user().map(u -> !u.equals("root")).orElse(true)) {
            spec.commandLine().getErr().println("sluice demo needs root (it creates network namespaces and loads BPF programs): run it with sudo");
            return 1;
        }
        out.println("Building a network of namespaces: client pod, node, backend pods a and b ...");
        try (DemoNetwork net = new DemoNetwork()) {
            String client = net.pod("client", "lxc-client", "198.18.1.2", "198.18.1.1");
            String a = net.pod("backend-a", "lxc-a", "198.18.2.2", "198.18.2.1");
            String b = net.pod("backend-b", "lxc-b", "198.18.3.2", "198.18.3.1");
            net.route(client, "198.18.0.0/16", "198.18.1.1");
            net.route(a, "198.18.0.0/16", "198.18.2.1");
            net.route(b, "198.18.0.0/16", "198.18.3.1");
            net.listener(a, BACKEND_PORT, "backend-a");
            net.listener(b, BACKEND_PORT, "backend-b");

            out.println("Loading the pod programs and attaching them to the client's veth (tc ingress and egress) ...");
            try (BpfObject pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName())) {
                pod.load();
                try (NetworkNamespace nodeNs = NetworkNamespace.named(net.node);
                     TcFilter fromPod = pod.program("from_pod").attachTc(nodeNs, "lxc-client", TcDirection.INGRESS);
                     TcFilter toPod = pod.program("to_pod").attachTc(nodeNs, "lxc-client", TcDirection.EGRESS);
                     ServiceMaps services = ServiceMaps.of(pod);
                     DatapathCounters counters = DatapathCounters.of(pod)) {
                    services.putBackend(1, new Lb4Backend(Ipv4.parse("198.18.2.2"), BACKEND_PORT, IpProtocol.TCP, 0));
                    services.putBackend(2, new Lb4Backend(Ipv4.parse("198.18.3.2"), BACKEND_PORT, IpProtocol.TCP, 0));
                    services.putService(new Lb4Key(Ipv4.parse(SERVICE_IP), SERVICE_PORT, IpProtocol.TCP, LbScope.INTERNAL),
                            new Lb4Service(1, 2, 0, 0), List.of(1, 2), 0);
                    out.printf("%nSERVICE               PROTO  BACKENDS%n%-21s TCP    198.18.2.2:%d (backend-a), 198.18.3.2:%d (backend-b)%n%n",
                            SERVICE_IP + ":" + SERVICE_PORT, BACKEND_PORT, BACKEND_PORT);

                    Map<String, Integer> answers = new TreeMap<>();
                    for (int i = 0; i < connections; i++) {
                        String answer = net.request(client, SERVICE_IP, SERVICE_PORT);
                        answers.merge(answer.isEmpty() ? "(no answer)" : answer, 1, Integer::sum);
                    }
                    out.printf("%d connections from the client pod to %s:%d were answered by:%n", connections, SERVICE_IP, SERVICE_PORT);
                    answers.forEach((who, n) -> out.printf("  %-12s %4d  %s%n", who, n, "#".repeat(Math.min(n, 60))));
                    out.printf("%nKernel counters (sluice_counters, summed over CPUs):%n");
                    counters.readAll().forEach((counter, value) -> out.printf("  %-22s %d%n", counter.cName(), value));
                    out.flush();
                    boolean allAnswered = !answers.containsKey("(no answer)");
                    out.printf("%n%s%n", allAnswered ? "Every connection reached a backend." : "Some connections were not answered.");
                    out.println("Removing the demo network ...");
                    return allAnswered && counters.read(DatapathCounter.SERVICE_NEW) == connections ? 0 : 1;
                }
            }
        }
    }
}

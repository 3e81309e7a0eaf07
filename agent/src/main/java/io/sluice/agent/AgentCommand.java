package io.sluice.agent;

import io.sluice.agent.config.AgentConfig;
import io.sluice.agent.config.ConfigurationException;
import io.sluice.loader.BpfException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sluice agent}: runs the node agent until SIGTERM. Settings come from {@code --config FILE} and are
 * overridden by flags; everything is validated once by {@link AgentConfig#conclude()}, and an invalid setting ends
 * the command with exit code 2 and a message naming it.
 */
@Command(name = "agent", mixinStandardHelpOptions = true, versionProvider = SluiceCli.Version.class,
        description = "Run the node agent: watch Kubernetes (or a manifest directory) and program the BPF maps.")
public final class AgentCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file; flags override it.")
    private Path configFile;

    @Option(names = "--node-name", paramLabel = "NAME", description = "This node's name (default: $NODE_NAME, else the host name).")
    private String nodeName;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Use the Kubernetes API through this kubeconfig.")
    private Path kubeconfig;

    @Option(names = "--in-cluster", description = "Use the Kubernetes API with the pod's service account.")
    private Boolean inCluster;

    @Option(names = "--manifests", paramLabel = "DIR", description = "Read objects from a directory of YAML instead of an API server.")
    private Path manifests;

    @Option(names = "--metrics-address", paramLabel = "ADDR:PORT",
            description = "Where /metrics, /healthz and /readyz are served (default " + AgentConfig.DEFAULT_METRICS_ADDRESS + ").")
    private String metricsAddress;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Persisted state (default /var/lib/sluice).")
    private Path stateDir;

    @Option(names = "--bpffs-dir", paramLabel = "DIR", description = "The agent's bpffs folder for pins (default /sys/fs/bpf/sluice).")
    private Path bpffsPinDir;

    @Option(names = "--node-port-addresses", paramLabel = "CIDR", split = ",",
            description = "Node addresses NodePorts answer on (default: all).")
    private List<String> nodePortAddresses;

    @Option(names = "--maglev-table-size", paramLabel = "PRIME", description = "Maglev lookup table size (default 16381).")
    private Integer maglevTableSize;

    @Option(names = "--socket-cgroup", paramLabel = "DIR", description = "cgroup v2 folder whose processes get socket-level balancing (default: the cgroup2 mount).")
    private Path socketCgroup;

    @Option(names = "--pod-interface-prefix", paramLabel = "PREFIX", description = "Interfaces starting with it are pod veths (default lxc).")
    private String podInterfacePrefix;

    @Option(names = "--node-addresses", paramLabel = "IP", split = ",", description = "This node's addresses (NodePort frontends).")
    private List<String> nodeAddresses;

    @Option(names = "--external-interfaces", paramLabel = "IF", split = ",", description = "The node's interfaces where NodePort/ExternalIP traffic arrives.")
    private List<String> externalInterfaces;

    @Option(names = "--lru-map-entries", paramLabel = "MAP=N", split = ",",
            description = "max_entries of LRU maps, e.g. ct4_entries=262144,lb4_affinity=65536 (maps: ct4_entries, "
                    + "policy4_ct, lb4_sock_rev, lb6_sock_rev, lb4_affinity; default: conntrack 32768 per CPU, at least"
                    + " 131072). A map already pinned keeps its size until its pin is removed.")
    private Map<String, Integer> lruMapEntries;

    private final ReconcilerFactory reconcilers;

    /** The command with no reconcilers; the CLI registers it with the map-writing ones. */
    public AgentCommand() {
        this(ReconcilerFactory.NONE);
    }

    public AgentCommand(ReconcilerFactory reconcilers) {
        this.reconcilers = reconcilers;
    }

    /**
     * The configuration from the file and the flags, concluded.
     *
     * @throws ParameterException naming the invalid setting
     */
    AgentConfig config() {
        try {
            AgentConfig config = configFile != null ? AgentConfig.fromYaml(configFile) : new AgentConfig();
            if (nodeName != null) {
                config.nodeName(nodeName);
            }
            if (kubeconfig != null) {
                config.kubeconfig(kubeconfig);
            }
            if (inCluster != null) {
                config.inCluster(inCluster);
            }
            if (manifests != null) {
                config.manifests(manifests);
            }
            if (metricsAddress != null) {
                config.metricsAddress(metricsAddress);
            }
            if (stateDir != null) {
                config.stateDir(stateDir);
            }
            if (bpffsPinDir != null) {
                config.bpffsPinDir(bpffsPinDir);
            }
            if (nodePortAddresses != null) {
                config.nodePortAddresses(nodePortAddresses);
            }
            if (maglevTableSize != null) {
                config.maglevTableSize(maglevTableSize);
            }
            if (socketCgroup != null) {
                config.socketCgroup(socketCgroup);
            }
            if (podInterfacePrefix != null) {
                config.podInterfacePrefix(podInterfacePrefix);
            }
            if (nodeAddresses != null) {
                config.nodeAddresses(nodeAddresses);
            }
            if (externalInterfaces != null) {
                config.externalInterfaces(externalInterfaces);
            }
            if (lruMapEntries != null) {
                config.lruMapEntries(lruMapEntries);
            }
            return config.conclude();
        } catch (ConfigurationException e) {
            throw new ParameterException(spec.commandLine(), "invalid configuration: " + e.getMessage(), e);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        AgentConfig config = config();
        AgentDaemon daemon;
        try {
            daemon = AgentDaemon.start(config, reconcilers);
        } catch (IllegalStateException | BpfException | UncheckedIOException e) {
            // What the environment refused (a kubeconfig, a BPF object the kernel does not load, a pin folder): one
            // line naming it, exit code 1; the source that had started reading is stopped by then.
            String cause = e instanceof UncheckedIOException io ? ": " + io.getCause().getMessage() : "";
            spec.commandLine().getErr().println("sluice agent: " + e.getMessage() + cause);
            return 1;
        }
        // SIGTERM and SIGINT run shutdown hooks: stop cleanly, leaving the pinned maps to the next agent.
        Thread hook = Thread.ofPlatform().name("sluice-shutdown").unstarted(daemon::close);
        Runtime.getRuntime().addShutdownHook(hook);
        daemon.awaitClose();
        return 0;
    }
}

package io.sluice.agent.config;

import io.sluice.loader.Cgroups;
import io.sluice.maps.DatapathConstants;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The agent's configuration: settings from a YAML file, then command-line overrides, then {@link #conclude()}
 * which fills defaults and validates everything once, failing with a {@link ConfigurationException} that names
 * the setting. After {@code conclude()} the object is read-only.
 *
 * <p>YAML keys are the setter names: {@code nodeName}, {@code stateDir}, {@code bpffsPinDir},
 * {@code metricsAddress} ({@code host:port}, IPv6 as {@code [::1]:9964}), {@code kubeconfig}, {@code inCluster},
 * {@code manifests}, {@code nodePortAddresses} (list of CIDRs), {@code maglevTableSize},
 * {@code informerStartTimeout} and {@code manifestPollInterval} (durations like {@code 30s}, {@code 500ms}),
 * {@code eventQueueCapacity}, {@code lruMapEntries} (a mapping of LRU map name to max_entries, e.g.
 * {@code {ct4_entries: 262144}}; see {@link LruMapSizes} for the maps and their per-node defaults). Unknown keys are
 * refused so that a typo does not silently fall back to a default.
 *
 * <p>Exactly one source of objects: {@code manifests}, or the Kubernetes API through {@code kubeconfig} or
 * {@code inCluster}; with none of them set, the agent is in-cluster when {@code KUBERNETES_SERVICE_HOST} is set.
 */
public final class AgentConfig {
    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/sluice");
    public static final Path DEFAULT_BPFFS_PIN_DIR = Path.of("/sys/fs/bpf/sluice");
    public static final String DEFAULT_METRICS_ADDRESS = "127.0.0.1:9964";
    /** Prime, as Maglev needs; the size Cilium uses by default. */
    public static final int DEFAULT_MAGLEV_TABLE_SIZE = 16381;
    public static final String DEFAULT_POD_INTERFACE_PREFIX = "lxc";
    public static final String DEFAULT_HAIRPIN_ADDRESS = "169.254.42.1";
    public static final int MIN_MAGLEV_TABLE_SIZE = 251;
    /** The largest Maglev table the data path is built for ({@code LB_MAGLEV_TABLE_SIZE_MAX} in sluice_consts.h). */
    public static final int MAX_MAGLEV_TABLE_SIZE = DatapathConstants.LB_MAGLEV_TABLE_SIZE_MAX;
    public static final Duration DEFAULT_INFORMER_START_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_MANIFEST_POLL_INTERVAL = Duration.ofSeconds(2);
    public static final int DEFAULT_EVENT_QUEUE_CAPACITY = 1 << 16;

    /** Where the agent's objects come from. */
    public enum SourceMode { KUBECONFIG, IN_CLUSTER, MANIFESTS }

    private static final Set<String> KNOWN_SETTINGS = Set.of("nodeName", "stateDir", "bpffsPinDir",
            "metricsAddress", "kubeconfig", "inCluster", "manifests", "nodePortAddresses", "maglevTableSize",
            "informerStartTimeout", "manifestPollInterval", "eventQueueCapacity", "socketCgroup", "podInterfacePrefix",
            "nodeAddresses", "externalInterfaces", "hairpinAddress", "lruMapEntries");
    /** RFC 1123 subdomain, what Kubernetes requires of a Node's name. */
    private static final Pattern DNS_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

    private boolean concluded;
    private String nodeName;
    private Path stateDir;
    private Path bpffsPinDir;
    private String metricsAddress;
    private InetSocketAddress metricsBindAddress;
    private Path kubeconfig;
    private boolean inCluster;
    private Path manifests;
    private SourceMode sourceMode;
    private List<String> nodePortAddresses = List.of();
    private List<Cidr> nodePortCidrs = List.of();
    private Integer maglevTableSize;
    private Duration informerStartTimeout;
    private Duration manifestPollInterval;
    private Integer eventQueueCapacity;
    private Path socketCgroup;
    private String podInterfacePrefix;
    private List<String> nodeAddresses = List.of();
    private List<String> externalInterfaces = List.of();
    private String hairpinAddress;
    private Map<String, Integer> lruMapEntries = Map.of();
    private LruMapSizes lruMapSizes;

    /**
     * Reads the settings of a YAML file; call {@link #conclude()} afterwards.
     *
     * @throws ConfigurationException naming the file and line for a syntax error, or the setting for a bad value
     */
    public static AgentConfig fromYaml(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigurationException("config", file + ": cannot be read: " + e, e);
        }
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(text);
        } catch (JacksonException e) {
            int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
            throw new ConfigurationException("config", file + (line > 0 ? ":" + line : "") + ": not valid YAML: "
                    + e.getOriginalMessage(), e);
        }
        AgentConfig config = new AgentConfig();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return config;
        }
        if (!root.isObject()) {
            throw new ConfigurationException("config", file + ": must be a YAML mapping of settings");
        }
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            config.set(e.getKey(), e.getValue(), file);
        }
        return config;
    }

    private void set(String key, JsonNode value, Path file) {
        if (!KNOWN_SETTINGS.contains(key)) {
            throw new ConfigurationException(key, "unknown setting in " + file + " (known: "
                    + String.join(", ", KNOWN_SETTINGS.stream().sorted().toList()) + ")");
        }
        if (value.isNull()) {
            return;
        }
        switch (key) {
            case "nodeName" -> nodeName(string(key, value));
            case "stateDir" -> stateDir(Path.of(string(key, value)));
            case "bpffsPinDir" -> bpffsPinDir(Path.of(string(key, value)));
            case "metricsAddress" -> metricsAddress(string(key, value));
            case "kubeconfig" -> kubeconfig(Path.of(string(key, value)));
            case "inCluster" -> {
                if (!value.isBoolean()) {
                    throw new ConfigurationException(key, "must be true or false, got " + value);
                }
                inCluster(value.asBoolean());
            }
            case "manifests" -> manifests(Path.of(string(key, value)));
            case "nodePortAddresses" -> {
                if (!value.isArray()) {
                    throw new ConfigurationException(key, "must be a list of CIDRs, got " + value);
                }
                List<String> cidrs = new ArrayList<>();
                for (int i = 0; i < value.size(); i++) {
                    cidrs.add(string(key + "[" + i + "]", value.get(i)));
                }
                nodePortAddresses(cidrs);
            }
            case "maglevTableSize" -> maglevTableSize(integer(key, value));
            case "informerStartTimeout" -> informerStartTimeout(duration(key, string(key, value)));
            case "manifestPollInterval" -> manifestPollInterval(duration(key, string(key, value)));
            case "eventQueueCapacity" -> eventQueueCapacity(integer(key, value));
            case "socketCgroup" -> socketCgroup(Path.of(string(key, value)));
            case "podInterfacePrefix" -> podInterfacePrefix(string(key, value));
            case "hairpinAddress" -> hairpinAddress(string(key, value));
            case "externalInterfaces" -> {
                if (!value.isArray()) {
                    throw new ConfigurationException(key, "must be a list of interface names, got " + value);
                }
                List<String> names = new ArrayList<>();
                for (int i = 0; i < value.size(); i++) {
                    names.add(string(key + "[" + i + "]", value.get(i)));
                }
                externalInterfaces(names);
            }
            case "lruMapEntries" -> {
                if (!value.isObject()) {
                    throw new ConfigurationException(key, "must be a mapping of LRU map name to entries (e.g. "
                            + "ct4_entries: 262144), got " + value);
                }
                Map<String, Integer> sizes = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> e : value.properties()) {
                    sizes.put(e.getKey(), integer(key + "." + e.getKey(), e.getValue()));
                }
                lruMapEntries(sizes);
            }
            case "nodeAddresses" -> {
                if (!value.isArray()) {
                    throw new ConfigurationException(key, "must be a list of IP addresses, got " + value);
                }
                List<String> addresses = new ArrayList<>();
                for (int i = 0; i < value.size(); i++) {
                    addresses.add(string(key + "[" + i + "]", value.get(i)));
                }
                nodeAddresses(addresses);
            }
            default -> throw new IllegalStateException("setting " + key + " is known but not handled");
        }
    }

    private static String string(String key, JsonNode value) {
        if (!value.isValueNode() || value.isBinary()) {
            throw new ConfigurationException(key, "must be a single value, got " + value);
        }
        return value.asString();
    }

    private static int integer(String key, JsonNode value) {
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new ConfigurationException(key, "must be an integer, got " + value);
        }
        return value.asInt();
    }

    /**
     * Parses a duration such as {@code 500ms}, {@code 30s}, {@code 2m} or {@code 1h}.
     *
     * @throws ConfigurationException naming {@code setting} when {@code text} is not such a duration
     */
    public static Duration duration(String setting, String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new ConfigurationException(setting, "\"" + text + "\" is not a duration like 500ms, 30s, 2m or 1h");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    /** Fills defaults from {@link System#getenv()} and validates; see {@link #conclude(Map)}. */
    public AgentConfig conclude() {
        return conclude(System.getenv());
    }

    /**
     * Fills defaults and validates every setting once. {@code environment} supplies {@code NODE_NAME} (the default
     * node name, as a DaemonSet passes it through the downward API) and {@code KUBERNETES_SERVICE_HOST}
     * (whether the agent runs in a pod).
     *
     * @throws ConfigurationException naming the first invalid setting
     */
    public AgentConfig conclude(Map<String, String> environment) {
        requireOpen();
        concludeNodeName(environment);
        stateDir = absolute("stateDir", stateDir == null ? DEFAULT_STATE_DIR : stateDir);
        bpffsPinDir = absolute("bpffsPinDir", bpffsPinDir == null ? DEFAULT_BPFFS_PIN_DIR : bpffsPinDir);
        metricsBindAddress = parseHostPort("metricsAddress",
                metricsAddress == null ? DEFAULT_METRICS_ADDRESS : metricsAddress);
        concludeSource(environment);
        List<Cidr> cidrs = new ArrayList<>();
        for (int i = 0; i < nodePortAddresses.size(); i++) {
            try {
                cidrs.add(Cidr.parse(nodePortAddresses.get(i).trim()));
            } catch (IllegalArgumentException e) {
                throw new ConfigurationException("nodePortAddresses[" + i + "]", e.getMessage());
            }
        }
        nodePortCidrs = List.copyOf(cidrs);
        int maglev = maglevTableSize == null ? DEFAULT_MAGLEV_TABLE_SIZE : maglevTableSize;
        if (maglev < MIN_MAGLEV_TABLE_SIZE || maglev > MAX_MAGLEV_TABLE_SIZE || !isPrime(maglev)) {
            throw new ConfigurationException("maglevTableSize", maglev + " is not a prime between "
                    + MIN_MAGLEV_TABLE_SIZE + " and " + MAX_MAGLEV_TABLE_SIZE + " (e.g. 251, 1021, 4093, 16381, 65521)");
        }
        maglevTableSize = maglev;
        informerStartTimeout = positive("informerStartTimeout",
                informerStartTimeout == null ? DEFAULT_INFORMER_START_TIMEOUT : informerStartTimeout);
        manifestPollInterval = positive("manifestPollInterval",
                manifestPollInterval == null ? DEFAULT_MANIFEST_POLL_INTERVAL : manifestPollInterval);
        int capacity = eventQueueCapacity == null ? DEFAULT_EVENT_QUEUE_CAPACITY : eventQueueCapacity;
        if (capacity < 1024 || capacity > (1 << 24)) {
            throw new ConfigurationException("eventQueueCapacity", capacity + " is outside 1024.." + (1 << 24));
        }
        eventQueueCapacity = capacity;
        lruMapSizes = LruMapSizes.forThisNode().with("lruMapEntries", lruMapEntries);
        socketCgroup = absolute("socketCgroup", socketCgroup == null ? cgroup2Root() : socketCgroup);
        podInterfacePrefix = podInterfacePrefix == null ? DEFAULT_POD_INTERFACE_PREFIX : podInterfacePrefix.trim();
        if (podInterfacePrefix.isEmpty() || podInterfacePrefix.length() > 15) {
            throw new ConfigurationException("podInterfacePrefix", "\"" + podInterfacePrefix
                    + "\" must be 1 to 15 characters (an interface name prefix)");
        }
        for (int i = 0; i < externalInterfaces.size(); i++) {
            String name = externalInterfaces.get(i).trim();
            if (name.isEmpty() || name.length() > 15 || name.contains("/") || name.contains(" ")) {
                throw new ConfigurationException("externalInterfaces[" + i + "]", "\"" + name + "\" is not an interface name");
            }
        }
        hairpinAddress = hairpinAddress == null ? DEFAULT_HAIRPIN_ADDRESS : hairpinAddress.trim();
        if (!(Cidr.parseLiteral(hairpinAddress) instanceof java.net.Inet4Address)) {
            throw new ConfigurationException("hairpinAddress", "\"" + hairpinAddress + "\" is not an IPv4 address");
        }
        for (int i = 0; i < nodeAddresses.size(); i++) {
            if (Cidr.parseLiteral(nodeAddresses.get(i).trim()) == null) {
                throw new ConfigurationException("nodeAddresses[" + i + "]", "\"" + nodeAddresses.get(i) + "\" is not an IP address");
            }
        }
        concluded = true;
        return this;
    }

    private void concludeNodeName(Map<String, String> environment) {
        String name = nodeName;
        if (name == null || name.isBlank()) {
            name = environment.get("NODE_NAME");
        }
        if (name == null || name.isBlank()) {
            name = hostname();
        }
        if (name == null || name.isBlank()) {
            throw new ConfigurationException("nodeName", "not set, NODE_NAME is empty and the host name is unknown");
        }
        name = name.trim();
        if (name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches()) {
            throw new ConfigurationException("nodeName", "\"" + name + "\" is not a Kubernetes node name "
                    + "(lowercase RFC 1123 subdomain, at most 253 characters)");
        }
        nodeName = name;
    }

    private static String hostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim().toLowerCase(Locale.ROOT);
        } catch (IOException e) {
            return null;
        }
    }

    private void concludeSource(Map<String, String> environment) {
        boolean inPod = environment.get("KUBERNETES_SERVICE_HOST") != null;
        if (manifests != null && (kubeconfig != null || inCluster)) {
            throw new ConfigurationException("manifests", "cannot be combined with "
                    + (kubeconfig != null ? "kubeconfig" : "inCluster")
                    + ": the agent takes its objects from exactly one source");
        }
        if (kubeconfig != null && inCluster) {
            throw new ConfigurationException("kubeconfig", "cannot be combined with inCluster: choose one");
        }
        if (manifests != null) {
            if (!Files.isDirectory(manifests)) {
                throw new ConfigurationException("manifests", manifests + " is not a directory");
            }
            sourceMode = SourceMode.MANIFESTS;
        } else if (kubeconfig != null) {
            if (!Files.isRegularFile(kubeconfig) || !Files.isReadable(kubeconfig)) {
                throw new ConfigurationException("kubeconfig", kubeconfig + " is not a readable file");
            }
            sourceMode = SourceMode.KUBECONFIG;
        } else if (inCluster || inPod) {
            if (!inPod) {
                throw new ConfigurationException("inCluster", "KUBERNETES_SERVICE_HOST is not set: not running in a pod");
            }
            inCluster = true;
            sourceMode = SourceMode.IN_CLUSTER;
        } else {
            throw new ConfigurationException("kubeconfig", "no source of objects: set kubeconfig, inCluster "
                    + "(inside a pod) or manifests (a directory of Kubernetes YAML)");
        }
    }

    /** The cgroup v2 mount, from /proc/mounts: socket balancing applies to the whole node by default. */
    private static Path cgroup2Root() {
        try {
            return Cgroups.v2Mount();
        } catch (IllegalStateException | UncheckedIOException e) {
            throw new ConfigurationException("socketCgroup", "not set and " + e.getMessage(), e);
        }
    }

    private static Path absolute(String setting, Path path) {
        if (!path.isAbsolute()) {
            throw new ConfigurationException(setting, path + " is not an absolute path");
        }
        return path.normalize();
    }

    private static Duration positive(String setting, Duration d) {
        if (d.isZero() || d.isNegative()) {
            throw new ConfigurationException(setting, "must be positive, got " + d);
        }
        return d;
    }

    /** Parses {@code host:port} or {@code [v6]:port} where host is an IP literal; port 0 picks a free port. */
    static InetSocketAddress parseHostPort(String setting, String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new ConfigurationException(setting, "\"" + text + "\" is not address:port (e.g. 127.0.0.1:9964)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new ConfigurationException(setting, "\"" + text + "\": write an IPv6 address in brackets, [::1]:9964");
        }
        InetAddress address = Cidr.parseLiteral(host);
        if (address == null) {
            throw new ConfigurationException(setting, "\"" + host + "\" is not an IP address");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigurationException(setting, "\"" + text.substring(colon + 1) + "\" is not a port number");
        }
        if (port < 0 || port > 65535) {
            throw new ConfigurationException(setting, "port " + port + " is outside 0..65535");
        }
        return new InetSocketAddress(address, port);
    }

    private static boolean isPrime(int n) {
        if (n < 2 || n % 2 == 0) {
            return n == 2;
        }
        for (int d = 3; (long) d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }

    private void requireOpen() {
        if (concluded) {
            throw new IllegalStateException("AgentConfig is read-only after conclude()");
        }
    }

    private void requireConcluded() {
        if (!concluded) {
            throw new IllegalStateException("AgentConfig.conclude() has not been called");
        }
    }

    // Setters: before conclude() only. Null leaves a setting to its default.

    public AgentConfig socketCgroup(Path value) {
        requireOpen();
        socketCgroup = value;
        return this;
    }

    public AgentConfig podInterfacePrefix(String value) {
        requireOpen();
        podInterfacePrefix = value;
        return this;
    }

    public AgentConfig externalInterfaces(List<String> value) {
        requireOpen();
        externalInterfaces = value == null ? List.of() : List.copyOf(value);
        return this;
    }

    public AgentConfig hairpinAddress(String value) {
        requireOpen();
        hairpinAddress = value;
        return this;
    }

    /** The node's interfaces toward other nodes and clients, where NodePort/ExternalIP traffic arrives (default none). */
    public List<String> externalInterfaces() {
        requireConcluded();
        return externalInterfaces;
    }

    /** Source address of a pod's flow to itself through a service (default 169.254.42.1): never a node address. */
    public String hairpinAddress() {
        requireConcluded();
        return hairpinAddress;
    }

    /**
     * Sizes of LRU maps to use instead of this node's defaults ({@link LruMapSizes}), by map name; each map named
     * replaces the size set for it earlier (a flag overrides the file map by map). Null changes nothing.
     */
    public AgentConfig lruMapEntries(Map<String, Integer> value) {
        requireOpen();
        if (value != null) {
            Map<String, Integer> merged = new LinkedHashMap<>(lruMapEntries);
            merged.putAll(value);
            lruMapEntries = merged;
        }
        return this;
    }

    /** The LRU maps' sizes: this node's defaults with the configured ones in their place. */
    public LruMapSizes lruMapSizes() {
        requireConcluded();
        return lruMapSizes;
    }

    public AgentConfig nodeAddresses(List<String> value) {
        requireOpen();
        nodeAddresses = value == null ? List.of() : List.copyOf(value);
        return this;
    }

    /** The cgroup v2 folder whose processes get socket-level balancing (default: the cgroup2 mount, the whole node). */
    public Path socketCgroup() {
        requireConcluded();
        return socketCgroup;
    }

    /** Interfaces of the agent's network namespace starting with this are pod veths (default {@code lxc}). */
    public String podInterfacePrefix() {
        requireConcluded();
        return podInterfacePrefix;
    }

    /** This node's addresses: where NodePort frontends listen. */
    public List<String> nodeAddresses() {
        requireConcluded();
        return nodeAddresses;
    }

    public AgentConfig nodeName(String value) {
        requireOpen();
        nodeName = value;
        return this;
    }

    public AgentConfig stateDir(Path value) {
        requireOpen();
        stateDir = value;
        return this;
    }

    public AgentConfig bpffsPinDir(Path value) {
        requireOpen();
        bpffsPinDir = value;
        return this;
    }

    public AgentConfig metricsAddress(String value) {
        requireOpen();
        metricsAddress = value;
        return this;
    }

    public AgentConfig kubeconfig(Path value) {
        requireOpen();
        kubeconfig = value;
        return this;
    }

    public AgentConfig inCluster(boolean value) {
        requireOpen();
        inCluster = value;
        return this;
    }

    public AgentConfig manifests(Path value) {
        requireOpen();
        manifests = value;
        return this;
    }

    public AgentConfig nodePortAddresses(List<String> value) {
        requireOpen();
        nodePortAddresses = List.copyOf(value);
        return this;
    }

    public AgentConfig maglevTableSize(Integer value) {
        requireOpen();
        maglevTableSize = value;
        return this;
    }

    public AgentConfig informerStartTimeout(Duration value) {
        requireOpen();
        informerStartTimeout = value;
        return this;
    }

    public AgentConfig manifestPollInterval(Duration value) {
        requireOpen();
        manifestPollInterval = value;
        return this;
    }

    public AgentConfig eventQueueCapacity(Integer value) {
        requireOpen();
        eventQueueCapacity = value;
        return this;
    }

    // Getters: after conclude() only, so nobody reads a setting that was not validated.

    /** The name of the Node this agent runs on. */
    public String nodeName() {
        requireConcluded();
        return nodeName;
    }

    /** Where persisted state (stable ids) lives. */
    public Path stateDir() {
        requireConcluded();
        return stateDir;
    }

    /** The agent's own folder on bpffs where maps and links are pinned. */
    public Path bpffsPinDir() {
        requireConcluded();
        return bpffsPinDir;
    }

    /** Address and port of the /metrics, /healthz and /readyz server. */
    public InetSocketAddress metricsBindAddress() {
        requireConcluded();
        return metricsBindAddress;
    }

    /** Where objects come from. */
    public SourceMode sourceMode() {
        requireConcluded();
        return sourceMode;
    }

    /** The kubeconfig file when {@link #sourceMode()} is {@code KUBECONFIG}, else null. */
    public Path kubeconfig() {
        requireConcluded();
        return kubeconfig;
    }

    /** The manifest directory when {@link #sourceMode()} is {@code MANIFESTS}, else null. */
    public Path manifests() {
        requireConcluded();
        return manifests;
    }

    /** Node addresses NodePorts answer on; empty means every address of the node (kube-proxy's default). */
    public List<Cidr> nodePortAddresses() {
        requireConcluded();
        return nodePortCidrs;
    }

    /** Entries per Maglev lookup table, a prime. */
    public int maglevTableSize() {
        requireConcluded();
        return maglevTableSize;
    }

    /** How long start-up waits for the Kubernetes informers' first list before going on unready. */
    public Duration informerStartTimeout() {
        requireConcluded();
        return informerStartTimeout;
    }

    /** How often the manifest directory is rescanned when no change notification arrives. */
    public Duration manifestPollInterval() {
        requireConcluded();
        return manifestPollInterval;
    }

    /** Capacity of the event queue between sources and the writer. */
    public int eventQueueCapacity() {
        requireConcluded();
        return eventQueueCapacity;
    }
}

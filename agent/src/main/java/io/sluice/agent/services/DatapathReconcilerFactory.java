package io.sluice.agent.services;

import io.sluice.agent.ReconcilerFactory;
import io.sluice.agent.config.AgentConfig;
import io.sluice.agent.datapath.Datapath;
import io.sluice.agent.ids.ServiceIds;
import io.sluice.agent.ids.StableIdAllocator;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.policy.PolicyReconciler;
import io.sluice.agent.writer.Reconciler;
import io.sluice.maps.ConntrackMaps;
import io.sluice.maps.Ipv4;
import io.sluice.maps.ServiceMaps;
import io.sluice.servicelb.NodeContext;
import io.sluice.servicelb.ServiceLbConfig;
import io.sluice.servicelb.ServiceTranslator;
import java.time.Duration;
import java.util.List;

/**
 * The agent's map writers on the real kernel: loads and attaches the data path ({@link Datapath}) and returns the
 * service reconciler, which owns the data path, its maps and the persisted id allocators, and the policy reconciler
 * ({@link PolicyReconciler}), which owns the policy maps it opens from their pins.
 */
public final class DatapathReconcilerFactory implements ReconcilerFactory {
    /** How often new pod interfaces are looked for. */
    static final Duration POD_INTERFACE_SCAN = Duration.ofSeconds(1);

    @Override
    public List<Reconciler> create(AgentConfig config, AgentMetrics metrics) {
        Datapath datapath = Datapath.start(config.bpffsPinDir(), config.socketCgroup(), config.podInterfacePrefix(),
                config.externalInterfaces());
        ServiceMaps maps = null;
        StableIdAllocator frontendIds = null;
        StableIdAllocator backendIds = null;
        PolicyReconciler policy = null;
        try {
            datapath.configureNode(firstIpv4(config.nodeAddresses()), Ipv4.parse(config.hairpinAddress()));
            maps = datapath.serviceMaps();
            policy = PolicyReconciler.open(config, metrics);
            frontendIds = ServiceIds.openFrontendIds(config.stateDir());
            backendIds = ServiceIds.openBackendIds(config.stateDir());
            ServiceTranslator translator = new ServiceTranslator(
                    new ServiceLbConfig(config.maglevTableSize(), ServiceLbConfig.DEFAULT_MAX_BACKENDS_PER_SERVICE),
                    NodeContext.parse(config.nodeName(), config.nodeAddresses(),
                            config.nodePortAddresses().stream().map(Object::toString).toList()));
            ConntrackMaps conntrack = datapath.conntrackMaps();
            ServiceReconciler services = new ServiceReconciler(translator, maps, frontendIds, backendIds, metrics)
                    .flushingConntrack(conntrack)
                    .owning(datapath).owning(maps).owning(conntrack).owning(frontendIds).owning(backendIds);
            datapath.staleSocketDestroyer().ifPresent(services::destroyingStaleSockets);
            datapath.watchPodInterfaces(POD_INTERFACE_SCAN);
            return List.of(services, policy);
        } catch (RuntimeException e) {
            for (AutoCloseable c : new AutoCloseable[] {policy, backendIds, frontendIds, maps, datapath}) {
                if (c != null) {
                    try {
                        c.close();
                    } catch (Exception suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
            }
            throw e;
        }
    }

    /** The first IPv4 node address, or 0.0.0.0 (unset: the data path then drops flows that would need SNAT). */
    static Ipv4 firstIpv4(List<String> addresses) {
        return addresses.stream().map(String::trim).filter(a -> a.indexOf(':') < 0).findFirst().map(Ipv4::parse)
                .orElse(new Ipv4(0));
    }
}

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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

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
        // The id files open on a thread of their own while this one loads the data path: they do not depend on each
        // other, and Chronicle Map's first open (loading and linking its classes) takes about as long as the verifier.
        FutureTask<StableIdAllocator[]> ids = new FutureTask<>(() -> openIds(config));
        Thread.ofPlatform().daemon().name("sluice-open-ids").start(ids);
        Datapath datapath;
        try {
            datapath = Datapath.start(config.bpffsPinDir(), config.socketCgroup(), config.podInterfacePrefix(),
                    config.externalInterfaces(), config.lruMapSizes());
        } catch (RuntimeException e) {
            closeOnceOpened(ids, e);
            throw e;
        }
        ServiceMaps maps = null;
        StableIdAllocator frontendIds = null;
        StableIdAllocator backendIds = null;
        PolicyReconciler policy = null;
        try {
            datapath.configureNode(firstIpv4(config.nodeAddresses()), Ipv4.parse(config.hairpinAddress()));
            maps = datapath.serviceMaps();
            policy = PolicyReconciler.open(config, metrics);
            StableIdAllocator[] opened = await(ids);
            frontendIds = opened[0];
            backendIds = opened[1];
            ServiceTranslator translator = serviceTranslator(config);
            ConntrackMaps conntrack = datapath.conntrackMaps();
            ServiceReconciler services = new ServiceReconciler(translator, maps, frontendIds, backendIds, metrics)
                    .flushingConntrack(conntrack)
                    .owning(datapath).owning(maps).owning(conntrack).owning(frontendIds).owning(backendIds);
            services.destroyingStaleSockets(datapath.staleSocketDestroyer());
            datapath.watchPodInterfaces(POD_INTERFACE_SCAN);
            return List.of(services, policy);
        } catch (RuntimeException e) {
            if (frontendIds == null) {
                closeOnceOpened(ids, e);
            }
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

    /** The frontend and backend id allocators, opened from the state folder; neither left open when one fails. */
    private static StableIdAllocator[] openIds(AgentConfig config) {
        StableIdAllocator frontendIds = ServiceIds.openFrontendIds(config.stateDir());
        try {
            return new StableIdAllocator[] {frontendIds, ServiceIds.openBackendIds(config.stateDir())};
        } catch (RuntimeException e) {
            frontendIds.close();
            throw e;
        }
    }

    /** What {@code ids} opened; its failure is rethrown as it was thrown (it names the file). */
    private static StableIdAllocator[] await(FutureTask<StableIdAllocator[]> ids) {
        try {
            return ids.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("opening the id files: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening the id files", e);
        }
    }

    /** Waits for {@code ids} after {@code failure} and closes what it opened, so no id file stays locked. */
    private static void closeOnceOpened(FutureTask<StableIdAllocator[]> ids, RuntimeException failure) {
        try {
            for (StableIdAllocator allocator : await(ids)) {
                allocator.close();
            }
        } catch (RuntimeException | Error e) {
            failure.addSuppressed(e);
        }
    }

    /** The first IPv4 node address, or 0.0.0.0 (unset: the data path then drops flows that would need SNAT). */
    static Ipv4 firstIpv4(List<String> addresses) {
        return addresses.stream().map(String::trim).filter(a -> a.indexOf(':') < 0).findFirst().map(Ipv4::parse)
                .orElse(new Ipv4(0));
    }

    /** The service translation {@code config} asks for: its Maglev table size, this node's name and addresses. */
    public static ServiceTranslator serviceTranslator(AgentConfig config) {
        return new ServiceTranslator(
                new ServiceLbConfig(config.maglevTableSize(), ServiceLbConfig.DEFAULT_MAX_BACKENDS_PER_SERVICE),
                NodeContext.parse(config.nodeName(), config.nodeAddresses(),
                        config.nodePortAddresses().stream().map(Object::toString).toList()));
    }
}

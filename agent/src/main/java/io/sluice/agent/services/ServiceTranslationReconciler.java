package io.sluice.agent.services;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.sluice.agent.ids.ServiceIds;
import io.sluice.agent.ids.StableIdAllocator;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.writer.Reconciler;
import io.sluice.agent.writer.Store;
import io.sluice.maps.Codec;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.servicelb.DesiredFrontend;
import io.sluice.servicelb.DesiredService;
import io.sluice.servicelb.ServiceKey;
import io.sluice.servicelb.ServiceTranslator;
import io.sluice.servicelb.TrafficScope;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * {@link ServiceReconciler}'s way from the store to map entries, without the maps: each changed Service is
 * translated (service-lb), its frontends and backends get their stable ids from the persisted allocators, and each
 * entry is encoded into native memory as a map write would encode it; nothing reaches the kernel. What
 * {@code sluice aot-train} runs, where no BPF map can be created (an image build), so that the translation, the id
 * stores and the codecs are trained as a real start uses them.
 *
 * <p>Owned by the writer thread; closes the allocators it was given.
 */
public final class ServiceTranslationReconciler implements Reconciler, AutoCloseable {
    private final ServiceTranslator translator;
    private final StableIdAllocator frontendIds;
    private final StableIdAllocator backendIds;
    private final Set<ServiceKey> dirty = new LinkedHashSet<>();
    /** Where entries are encoded; freed by the collector (the writer thread uses it, another thread closes this). */
    private final MemorySegment scratch = Arena.ofAuto().allocate(64);
    private Store store;

    public ServiceTranslationReconciler(ServiceTranslator translator, StableIdAllocator frontendIds,
                                        StableIdAllocator backendIds) {
        this.translator = translator;
        this.frontendIds = frontendIds;
        this.backendIds = backendIds;
    }

    @Override
    public String name() {
        return "services";
    }

    @Override
    public void onChange(ObjectKey key, Store store) {
        this.store = store;
        if (key.kind() == ResourceKind.SERVICE) {
            dirty.add(new ServiceKey(key.namespace(), key.name()));
        } else if (key.kind() == ResourceKind.ENDPOINT_SLICE) {
            EndpointSlice slice = store.get(key, EndpointSlice.class);
            String service = slice == null ? null : ServiceReconciler.serviceNameOf(slice);
            if (service != null) {
                dirty.add(new ServiceKey(key.namespace(), service));
            }
        }
    }

    @Override
    public int flush() {
        int entries = 0;
        for (ServiceKey key : dirty) {
            Service service = store.get(ResourceKind.SERVICE, key.namespace(), key.name(), Service.class);
            if (service == null) {
                continue;
            }
            DesiredService desired = translator.translate(service, store.endpointSlicesOf(key.namespace(), key.name()))
                    .services().get(key);
            if (desired == null) {
                continue;
            }
            for (DesiredFrontend frontend : desired.frontends()) {
                if (frontend.address().ip().isIpv4()) {
                    entries += encode(frontend);
                }
            }
        }
        dirty.clear();
        frontendIds.persist();
        backendIds.persist();
        return entries;
    }

    /** Ids and native encoding of one frontend's entry and its backends; returns how many entries. */
    private int encode(DesiredFrontend frontend) {
        ServiceReconciler.DesiredEntry entry = ServiceReconciler.DesiredEntry.of(frontend);
        for (Lb4Backend backend : entry.backends()) {
            backendIds.idOf(ServiceIds.backendKey(backend));
            Lb4Backend.CODEC.encode(backend, scratch);
        }
        Lb4Key key = ServiceReconciler.lb4Key(frontend.frontend(), frontend.frontend().scope());
        int serviceId = frontendIds.idOf(ServiceIds.frontendKey(key));
        Lb4Key.CODEC.encode(key, scratch);
        Lb4Service.CODEC.encode(new Lb4Service(serviceId, entry.backends().size(), entry.flags(), entry.affinityTimeout()), scratch);
        Codec.UINT32.encode(serviceId, scratch);
        if (frontend.frontend().scope() == TrafficScope.EXTERNAL) {
            frontendIds.idOf(ServiceIds.frontendKey(ServiceReconciler.lb4Key(frontend.frontend(), TrafficScope.INTERNAL)));
        }
        return 1 + entry.backends().size();
    }

    @Override
    public void close() {
        backendIds.close();
        frontendIds.close();
    }
}

/**
 * Service load balancing, pure Java: turns a Kubernetes {@code Service} and its {@code EndpointSlice}s into the
 * frontends and backends that the agent writes into the BPF service maps, with kube-proxy's semantics.
 *
 * <p>Entry point: {@link io.sluice.servicelb.ServiceTranslator}. Its output ({@link io.sluice.servicelb.DesiredService},
 * {@link io.sluice.servicelb.DesiredFrontend}, {@link io.sluice.servicelb.ServiceFrontend},
 * {@link io.sluice.servicelb.ServiceBackend}, {@link io.sluice.servicelb.MaglevTable}) is immutable, has value
 * equality and a stable (sorted) order, so the agent can keep the previous result and write only the difference.
 * Invalid input never throws: it becomes a {@link io.sluice.servicelb.Refusal} that names the object and the field,
 * and the rest of the input still goes through.
 *
 * <p>Nothing here touches the kernel, the network or a clock.
 */
package io.sluice.servicelb;

package io.sluice.policy;

import io.fabric8.kubernetes.api.model.Pod;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compiled data path (ipcache LPM, then the endpoint's entries with exact identity, then identity 0,
 * port prefixes, default-deny flags), simulated per node, gives the reference evaluator's verdict for every
 * source, destination, protocol and interesting port of random clusters.
 */
class CompiledMatchesReferenceTest {

    @Provide
    Arbitrary<Cluster> consistentClusters() {
        return ClusterArbitraries.clusters(false);
    }

    @Provide
    Arbitrary<Cluster> anyClusters() {
        return ClusterArbitraries.clusters(true);
    }

    /**
     * Pods with equal labels agree on their named ports (replicas): compiled == API semantics exactly,
     * per direction, and end to end for every pair of pods and nodes (egress on the source's node, ingress
     * on the destination's).
     */
    @Property(tries = 100)
    void compiledVerdictsEqualTheSpec(@ForAll("consistentClusters") Cluster cluster) {
        ReferenceEvaluator reference = new ReferenceEvaluator(cluster, ReferenceEvaluator.NamedPorts.BY_POD);
        Datapath datapath = new Datapath(cluster);
        assertThat(mismatches(cluster, reference, datapath)).as("verdicts differing from the reference").isEmpty();

        List<ReferenceEvaluator.Peer> peers = new ArrayList<>();
        cluster.pods().forEach(p -> peers.add(new ReferenceEvaluator.Peer.OfPod(p)));
        cluster.nodeAddresses().values().forEach(a -> a.forEach(ip -> peers.add(new ReferenceEvaluator.Peer.Address(ip))));
        List<Integer> ports = ClusterArbitraries.probePorts(cluster);
        List<String> endToEnd = new ArrayList<>();
        for (ReferenceEvaluator.Peer src : peers) {
            for (ReferenceEvaluator.Peer dst : peers) {
                for (Protocol protocol : Protocol.values()) {
                    for (int port : ports) {
                        boolean expected = reference.allowed(src, dst, protocol, port);
                        if (datapath.allowed(src, dst, protocol, port) != expected && endToEnd.size() < 10) {
                            endToEnd.add(src + " -> " + dst + " " + protocol + "/" + port + " expected " + expected);
                        }
                    }
                }
            }
        }
        assertThat(endToEnd).as("end-to-end verdicts differing from the reference").isEmpty();
    }

    /**
     * Pods with equal labels may disagree on named ports: compiled == the documented egress named-port
     * resolution by identity, and never denies what the spec allows.
     */
    @Property(tries = 60)
    void compiledVerdictsEqualTheSpecUpToNamedPortsByIdentity(@ForAll("anyClusters") Cluster cluster) {
        assertThat(mismatches(cluster, new ReferenceEvaluator(cluster, ReferenceEvaluator.NamedPorts.BY_LABELS)))
                .as("verdicts differing from the by-labels reference").isEmpty();
        Datapath datapath = new Datapath(cluster);
        ReferenceEvaluator spec = new ReferenceEvaluator(cluster, ReferenceEvaluator.NamedPorts.BY_POD);
        List<Integer> ports = ClusterArbitraries.probePorts(cluster);
        for (Pod src : cluster.pods()) {
            for (Pod dst : cluster.pods()) {
                for (Protocol protocol : Protocol.values()) {
                    for (int port : ports) {
                        if (spec.egressAllowed(src, new ReferenceEvaluator.Peer.OfPod(dst), protocol, port)) {
                            assertThat(datapath.egressAllowed(src, dst.getStatus().getPodIP(), protocol, port))
                                    .as("egress %s -> %s %s/%d allowed by the spec", name(src), name(dst), protocol, port)
                                    .isTrue();
                        }
                    }
                }
            }
        }
    }

    static List<String> mismatches(Cluster cluster, ReferenceEvaluator reference) {
        return mismatches(cluster, reference, new Datapath(cluster));
    }

    static List<String> mismatches(Cluster cluster, ReferenceEvaluator reference, Datapath datapath) {
        List<Integer> ports = ClusterArbitraries.probePorts(cluster);
        List<String> sources = new ArrayList<>(ClusterArbitraries.EXTERNAL_ADDRESSES);
        cluster.pods().forEach(p -> sources.add(p.getStatus().getPodIP()));
        List<String> out = new ArrayList<>();
        for (Protocol protocol : Protocol.values()) {
            for (int port : ports) {
                for (Pod dst : cluster.pods()) {
                    for (String src : sources) {
                        boolean expected = reference.ingressAllowed(new ReferenceEvaluator.Peer.Address(src), dst, protocol, port);
                        boolean actual = datapath.ingressAllowed(src, dst, protocol, port);
                        if (expected != actual && out.size() < 10) {
                            out.add("ingress " + src + " -> " + name(dst) + " " + protocol + "/" + port
                                    + " expected " + expected + " got " + actual);
                        }
                    }
                }
                for (Pod src : cluster.pods()) {
                    for (String dst : sources) {
                        boolean expected = reference.egressAllowed(src, new ReferenceEvaluator.Peer.Address(dst), protocol, port);
                        boolean actual = datapath.egressAllowed(src, dst, protocol, port);
                        if (expected != actual && out.size() < 10) {
                            out.add("egress " + name(src) + " -> " + dst + " " + protocol + "/" + port
                                    + " expected " + expected + " got " + actual);
                        }
                    }
                }
            }
        }
        return out;
    }

    static String name(Pod pod) {
        return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName() + pod.getMetadata().getLabels();
    }
}

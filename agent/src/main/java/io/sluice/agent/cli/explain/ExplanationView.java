package io.sluice.agent.cli.explain;

import io.sluice.agent.cli.CliJson;
import io.sluice.agent.cli.DatapathText;
import io.sluice.agent.cli.explain.Explanation.Party;
import io.sluice.agent.cli.explain.Explanation.Stage;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.Policy4Key;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@link Explanation} as text (one labelled line per fact, kubectl-describe style) or JSON. */
public final class ExplanationView {
    private ExplanationView() {
    }

    /** Labelled lines, values aligned. */
    public static String text(Explanation e) {
        List<String[]> lines = new ArrayList<>();
        Explanation.Probe p = e.probe();
        lines.add(new String[] {"Probe:", p.protocol() + " " + p.source() + ":" + p.sourcePort() + " > " + p.destination()
                + ":" + p.destinationPort() + (p.portChosen() ? " (source port chosen: no tracked flow uses it)" : "")});
        lines.add(new String[] {"Source:", party(e.source())});
        lines.add(new String[] {"Frontend:", e.frontend() == null ? "none: " + p.destination() + ":" + p.destinationPort() + "/"
                + p.protocol() + " is no service address, no translation" : frontend(e)});
        if (e.backend() != null) {
            lines.add(new String[] {"Backend:", backend(e)});
        }
        for (Stage s : e.stages()) {
            lines.add(new String[] {s.program() + ":", s.verdictName() + " on " + where(s.interfaceName(), s.ifindex())
                    + ", came in on " + ingress(s) + "; out: " + s.output().describe()});
            if (s.policy() != null) {
                lines.add(new String[] {"  " + s.policy().direction().name().toLowerCase(Locale.ROOT) + ":", policy(s.policy())});
            }
        }
        lines.add(new String[] {"Destination:", party(e.destination())});
        lines.add(new String[] {"Verdict:", e.outcome().label() + ": " + e.reason()});
        lines.add(new String[] {"Cleanup:", cleanup(e.cleanup())});
        for (String note : e.notes()) {
            lines.add(new String[] {"Note:", note});
        }
        int width = lines.stream().mapToInt(l -> l[0].length()).max().orElse(0) + 2;
        StringBuilder out = new StringBuilder();
        for (String[] l : lines) {
            out.append(l[0]).append(" ".repeat(width - l[0].length())).append(l[1]).append('\n');
        }
        return out.toString();
    }

    private static String where(String name, int ifindex) {
        return name == null ? "ifindex " + ifindex : name + " (ifindex " + ifindex + ")";
    }

    private static String ingress(Stage s) {
        if (s.ingressIfindex() == 0) {
            return "none (sent by the node)";
        }
        return s.ingressIfindex() == s.ifindex() ? "the same veth" : "ifindex " + s.ingressIfindex();
    }

    private static String party(Party p) {
        String identity = "identity " + DatapathText.identity(p.identity())
                + (p.identityPrefix() == null ? " (no ipcache prefix covers it)" : " (ipcache " + p.identityPrefix() + ")");
        if (p.endpoint() == null) {
            return p.address() + ", " + identity + ", not an endpoint of this node";
        }
        List<String> enforced = new ArrayList<>();
        if (p.endpoint().enforces(io.sluice.maps.PolicyDirection.INGRESS)) {
            enforced.add("ingress");
        }
        if (p.endpoint().enforces(io.sluice.maps.PolicyDirection.EGRESS)) {
            enforced.add("egress");
        }
        return p.address() + ", " + identity + ", endpoint " + p.endpoint().endpointId() + " on "
                + where(p.interfaceName(), p.endpoint().ifindex()) + ", enforces "
                + (enforced.isEmpty() ? "nothing" : String.join(" and ", enforced));
    }

    private static String frontend(Explanation e) {
        var s = e.frontend().service();
        List<String> flags = DatapathText.serviceFlags(s.flags());
        return DatapathText.frontend(e.frontend().key()) + " " + DatapathText.scope(e.frontend().key().scope())
                + ", service id " + Integer.toUnsignedString(s.serviceId()) + ", "
                // A Maglev frontend's backend_count counts the distinct backends of its table, not slots.
                + ((s.flags() & DatapathConstants.LB_F_MAGLEV) != 0 ? count(s.backendCount(), "backend", "backends")
                        : count(s.backendCount(), "slot", "slots"))
                + (flags.isEmpty() ? "" : ", " + String.join(",", flags));
    }

    private static String backend(Explanation e) {
        var b = e.backend();
        String address = b.backend() == null ? "missing from lb4_backends" : DatapathText.endpoint(b.backend().address(), b.backend().port());
        return "id " + Integer.toUnsignedString(b.id()) + ", " + address + (b.newFlow() ? " (chosen by from_pod for this new flow)"
                : " (of the tracked flow)");
    }

    private static String policy(PolicyReplay.Decision d) {
        if (!d.checked()) {
            return d.why();
        }
        String peer = "peer " + d.peer() + " is identity " + DatapathText.identity(d.peerIdentity())
                + (d.peerPrefix() == null ? "" : " (ipcache " + d.peerPrefix() + ")");
        String verdict = d.decidingEntry().map(k -> "allowed by " + PacketExplainer.entryText(k))
                .orElse(d.allowed() ? "allowed" : "no entry allows it (default deny)");
        return "endpoint " + d.endpoint().endpointId() + " enforces it; " + peer + "; " + verdict;
    }

    private static String cleanup(Explanation.Cleanup c) {
        List<String> parts = new ArrayList<>();
        add(parts, c.conntrackRemoved(), "conntrack", "removed");
        add(parts, c.conntrackRestored(), "conntrack", "written back");
        add(parts, c.policyConntrackRemoved(), "policy conntrack", "removed");
        add(parts, c.policyConntrackRestored(), "policy conntrack", "written back");
        add(parts, c.affinityRemoved(), "affinity", "removed");
        add(parts, c.affinityRestored(), "affinity", "written back");
        return parts.isEmpty() ? "the probe left no map entry to remove" : String.join(", ", parts);
    }

    private static void add(List<String> parts, int n, String map, String done) {
        if (n > 0) {
            parts.add(count(n, map + " entry", map + " entries") + " " + done);
        }
    }

    private static String count(int n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    /** The explanation as JSON. */
    public static String json(Explanation e) {
        ObjectNode root = CliJson.object();
        Explanation.Probe p = e.probe();
        ObjectNode probe = root.putObject("probe");
        probe.put("protocol", p.protocol().name());
        probe.put("source", p.source().toString());
        probe.put("sourcePort", p.sourcePort());
        probe.put("destination", p.destination().toString());
        probe.put("destinationPort", p.destinationPort());
        probe.put("sourcePortChosen", p.portChosen());
        party(root.putObject("source"), e.source());
        if (e.frontend() == null) {
            root.putNull("frontend");
        } else {
            ObjectNode f = root.putObject("frontend");
            f.put("frontend", DatapathText.frontend(e.frontend().key()));
            f.put("scope", DatapathText.scope(e.frontend().key().scope()));
            f.put("serviceId", Integer.toUnsignedLong(e.frontend().service().serviceId()));
            f.put("slots", e.frontend().service().backendCount());
            ArrayNode flags = f.putArray("flags");
            DatapathText.serviceFlags(e.frontend().service().flags()).forEach(flags::add);
        }
        if (e.backend() == null) {
            root.putNull("backend");
        } else {
            ObjectNode b = root.putObject("backend");
            b.put("id", Integer.toUnsignedLong(e.backend().id()));
            if (e.backend().backend() == null) {
                b.put("missing", true);
            } else {
                b.put("address", e.backend().backend().address().toString());
                b.put("port", e.backend().backend().port());
            }
            b.put("newFlow", e.backend().newFlow());
        }
        ArrayNode stages = root.putArray("stages");
        for (Stage s : e.stages()) {
            ObjectNode o = stages.addObject();
            o.put("program", s.program());
            o.put("ifindex", s.ifindex());
            o.put("interface", s.interfaceName());
            o.put("ingressIfindex", s.ingressIfindex());
            o.put("returnCode", s.returnCode());
            o.put("verdict", s.verdictName());
            ObjectNode out = o.putObject("output");
            out.put("protocol", DatapathText.protocol(s.output().protocol()));
            out.put("source", s.output().source().toString());
            out.put("sourcePort", s.output().sourcePort());
            out.put("destination", s.output().destination().toString());
            out.put("destinationPort", s.output().destinationPort());
            out.put("text", s.output().describe());
            if (s.policy() != null) {
                policy(o.putObject("policy"), s.policy());
            }
        }
        party(root.putObject("destination"), e.destination());
        root.put("verdict", e.outcome().label());
        root.put("reason", e.reason());
        ObjectNode c = root.putObject("cleanup");
        c.put("conntrackRemoved", e.cleanup().conntrackRemoved());
        c.put("conntrackRestored", e.cleanup().conntrackRestored());
        c.put("policyConntrackRemoved", e.cleanup().policyConntrackRemoved());
        c.put("policyConntrackRestored", e.cleanup().policyConntrackRestored());
        c.put("affinityRemoved", e.cleanup().affinityRemoved());
        c.put("affinityRestored", e.cleanup().affinityRestored());
        ArrayNode notes = root.putArray("notes");
        e.notes().forEach(notes::add);
        return CliJson.render(root);
    }

    private static void party(ObjectNode o, Party p) {
        o.put("address", p.address().toString());
        o.put("identity", Integer.toUnsignedLong(p.identity()));
        o.put("identityPrefix", p.identityPrefix() == null ? null : p.identityPrefix().toString());
        if (p.endpoint() == null) {
            o.putNull("endpoint");
        } else {
            ObjectNode ep = o.putObject("endpoint");
            ep.put("endpointId", p.endpoint().endpointId());
            ep.put("ifindex", Integer.toUnsignedLong(p.endpoint().ifindex()));
            ep.put("interface", p.interfaceName());
            ep.put("ingressEnforced", p.endpoint().enforces(io.sluice.maps.PolicyDirection.INGRESS));
            ep.put("egressEnforced", p.endpoint().enforces(io.sluice.maps.PolicyDirection.EGRESS));
        }
    }

    private static void policy(ObjectNode o, PolicyReplay.Decision d) {
        o.put("direction", d.direction().name().toLowerCase(Locale.ROOT));
        o.put("endpoint", d.endpointAddress().toString());
        o.put("checked", d.checked());
        if (!d.checked()) {
            o.put("why", d.why());
            return;
        }
        o.put("endpointId", d.endpoint().endpointId());
        o.put("peer", d.peer().toString());
        o.put("peerIdentity", Integer.toUnsignedLong(d.peerIdentity()));
        o.put("peerPrefix", d.peerPrefix() == null ? null : d.peerPrefix().toString());
        ArrayNode lookups = o.putArray("lookups");
        for (PolicyReplay.Lookup l : d.lookups()) {
            ObjectNode lo = lookups.addObject();
            lo.put("identity", Integer.toUnsignedLong(l.identity()));
            Policy4Key k = l.entry();
            if (k == null) {
                lo.putNull("entry");
            } else {
                ObjectNode entry = lo.putObject("entry");
                entry.put("peerIdentity", Integer.toUnsignedLong(k.identity()));
                entry.put("protocol", DatapathText.policyProtocol(k));
                int[] ports = DatapathText.policyPortRange(k);
                entry.put("firstPort", ports[0]);
                entry.put("lastPort", ports[1]);
                entry.put("prefixLength", k.prefixLength());
            }
        }
        o.put("allowed", d.allowed());
    }
}

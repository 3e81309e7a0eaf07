package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.maps.Ct4Entry;
import io.sluice.maps.Ct4Key;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.Ep4Info;
import io.sluice.maps.Ipcache4Key;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.Lb4SlotKey;
import io.sluice.maps.LbScope;
import io.sluice.maps.Pct4Entry;
import io.sluice.maps.Pct4Key;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.Policy4State;
import io.sluice.maps.PolicyConstants;
import io.sluice.maps.PolicyDatapathState;
import io.sluice.maps.PolicyDirection;
import io.sluice.maps.PolicyWritePlan;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Topology;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The read-only commands ({@code service list}, {@code backend list}, {@code ct list}, {@code policy list},
 * {@code identity list}) on maps pinned as the agent pins them and filled through the typed maps: table and JSON
 * output against golden files, filters, and the errors an operator meets (no pins, a wrong format).
 */
@KernelTest
class MapListCommandsTest {
    private static final int ID_A = 256;
    private static final int ID_B = 257;
    private static final int ID_CIDR = 1 << 24;
    private static final int EP_A = 11;
    private static final int EP_B = 12;
    private static final int EP_C = 13;

    private static Topology topology;
    private static PinnedNode node;

    @BeforeAll
    static void pinAndFillTheMaps() {
        topology = new Topology();
        node = new PinnedNode(topology);
        fillServices();
        fillConntrack();
        fillPolicy();
    }

    @AfterAll
    static void removeEverything() {
        if (node != null) {
            node.close();
        }
        if (topology != null) {
            topology.close();
        }
    }

    private static Ipv4 ip(String text) {
        return Ipv4.parse(text);
    }

    private static void fillServices() {
        var s = node.services;
        s.putBackend(1, new Lb4Backend(ip("10.0.2.2"), 8080, IpProtocol.TCP, DatapathConstants.LB_BACKEND_F_LOCAL));
        s.putBackend(2, new Lb4Backend(ip("10.0.3.2"), 8080, IpProtocol.TCP, 0));
        s.putBackend(3, new Lb4Backend(ip("10.0.2.2"), 53, IpProtocol.UDP, DatapathConstants.LB_BACKEND_F_LOCAL));
        s.putBackend(4, new Lb4Backend(ip("10.0.9.9"), 9000, IpProtocol.TCP, 0));
        s.putService(new Lb4Key(ip("10.96.0.10"), 80, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(1, 2, 0, 0),
                List.of(1, 2), 0);
        s.putService(new Lb4Key(ip("10.96.0.11"), 53, IpProtocol.UDP, LbScope.INTERNAL),
                new Lb4Service(2, 1, DatapathConstants.LB_F_AFFINITY, 10800), List.of(3), 0);
        s.putMaglevService(new Lb4Key(ip("192.168.50.10"), 30080, IpProtocol.TCP, LbScope.EXTERNAL),
                new Lb4Service(3, 2, DatapathConstants.LB_F_SNAT_REMOTE | DatapathConstants.LB_F_MAGLEV, 0),
                new int[] {1, 2, 1, 2, 1, 1, 2}, 0);
        s.putService(new Lb4Key(ip("192.168.50.10"), 30080, IpProtocol.TCP, LbScope.INTERNAL),
                new Lb4Service(4, 2, 0, 0), List.of(1, 2), 0);
        s.putService(new Lb4Key(ip("10.96.0.12"), 443, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(5, 0, 0, 0),
                List.of(), 0);
        // Half-written by hand: slot 1 names a backend that is gone, slot 2 is missing.
        s.putService(new Lb4Key(ip("10.96.0.13"), 80, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(6, 3, 0, 0),
                List.of(1, 99, 2), 0);
        node.slots.remove(new Lb4SlotKey(6, 2));
    }

    private static void fillConntrack() {
        var ct = node.conntrack.conntrack();
        ct.put(new Ct4Key(ip("10.0.1.2"), ip("10.96.0.10"), 40000, 80, IpProtocol.TCP),
                new Ct4Entry(ip("10.0.2.2"), 8080, DatapathConstants.CT_F_SERVICE, 1, 1));
        ct.put(new Ct4Key(ip("10.0.2.2"), ip("10.0.1.2"), 8080, 40000, IpProtocol.TCP),
                new Ct4Entry(ip("10.96.0.10"), 80, DatapathConstants.CT_F_REPLY, 1, 1));
        int external = DatapathConstants.CT_F_EXTERNAL | DatapathConstants.CT_F_SNAT;
        ct.put(new Ct4Key(ip("203.0.113.5"), ip("192.168.50.10"), 5000, 30080, IpProtocol.TCP),
                new Ct4Entry(ip("10.0.3.2"), 8080, DatapathConstants.CT_F_SERVICE | external, 2, 3, ip("192.168.50.10"), 61000));
        ct.put(new Ct4Key(ip("10.0.3.2"), ip("192.168.50.10"), 8080, 61000, IpProtocol.TCP),
                new Ct4Entry(ip("192.168.50.10"), 30080, DatapathConstants.CT_F_REPLY | external, 2, 3, ip("203.0.113.5"), 5000));
        var pct = node.policy.conntrack();
        pct.put(new Pct4Key(ip("10.0.1.2"), ip("10.0.2.2"), 40000, 8080, 6), new Pct4Entry(3, 3, 0));
        pct.put(new Pct4Key(ip("192.168.50.10"), ip("10.0.2.2"), 41000, 8080, 6), new Pct4Entry(0, 2, PolicyConstants.PCT_F_FROM_HOST));
        pct.put(new Pct4Key(ip("10.0.3.2"), ip("10.0.9.9"), 7, 0, 1), new Pct4Entry(3, 0, 0));
    }

    private static void fillPolicy() {
        Ipv4 a = ip("10.0.1.2");
        Ipv4 b = ip("10.0.2.2");
        Ipv4 c = ip("10.0.3.2");
        Map<Ipcache4Key, Integer> ipcache = Map.of(Ipcache4Key.host(a), ID_A, Ipcache4Key.host(b), ID_B,
                Ipcache4Key.host(c), ID_B, Ipcache4Key.host(ip("192.168.50.10")), PolicyConstants.IDENTITY_HOST,
                new Ipcache4Key(ip("203.0.113.0"), 24), ID_CIDR);
        Map<Ipv4, Ep4Info> endpoints = Map.of(a, new Ep4Info(ID_A, 5, EP_A, PolicyConstants.EP_F_EGRESS_ENFORCED),
                b, new Ep4Info(ID_B, 6, EP_B, PolicyConstants.EP_F_INGRESS_ENFORCED),
                c, new Ep4Info(ID_B, 7, EP_C, 0));
        Set<Policy4Key> entries = Set.of(
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, ID_A, 6, 8080, 16),
                Policy4Key.anyProtocol(EP_B, PolicyDirection.INGRESS, PolicyConstants.IDENTITY_HOST),
                Policy4Key.portBlock(EP_A, PolicyDirection.EGRESS, ID_B, 6, 8080, 16),
                Policy4Key.portBlock(EP_A, PolicyDirection.EGRESS, PolicyConstants.IDENTITY_ANY, 17, 53, 16),
                Policy4Key.portBlock(EP_A, PolicyDirection.EGRESS, ID_CIDR, 6, 8000, 10),
                Policy4Key.anyProtocol(99, PolicyDirection.INGRESS, ID_A));
        PolicyDatapathState state = new PolicyDatapathState(ipcache, endpoints, Map.of(5, a, 6, b, 7, c), entries);
        node.policy.apply(PolicyWritePlan.between(PolicyDatapathState.empty(), state));
        node.policy.setRevision(new Policy4State(3));
    }

    @ParameterizedTest(name = "{1} -o {2}")
    @CsvSource({
            "service-list.txt,     service list,        table",
            "service-list.json,    service list,        json",
            "backend-list.txt,     backend list,        table",
            "backend-list.json,    backend list,        json",
            "ct-list.txt,          ct list,             table",
            "ct-list.json,         ct list,             json",
            "ct-list-policy.txt,   ct list --policy,    table",
            "ct-list-policy.json,  ct list --policy,    json",
            "policy-list.txt,      policy list,         table",
            "policy-list.json,     policy list,         json",
            "identity-list.txt,    identity list,       table",
            "identity-list.json,   identity list,       json"})
    void printsWhatTheMapsHold(String golden, String command, String format) {
        List<String> args = new java.util.ArrayList<>(List.of(command.split(" ")));
        args.addAll(List.of("--pin-dir", node.pinDirArg(), "-o", format));
        CliRunner.Result result = CliRunner.run(args.toArray(String[]::new));

        assertThat(result.err()).isEmpty();
        assertThat(result.exitCode()).isZero();
        Golden.assertMatches(golden, result.out());
    }

    @Test
    void tableIsTheDefaultFormat() {
        assertThat(CliRunner.run("service", "list", "--pin-dir", node.pinDirArg()).out())
                .isEqualTo(CliRunner.run("service", "list", "--pin-dir", node.pinDirArg(), "-o", "TABLE").out())
                .startsWith("FRONTEND ");
    }

    @Test
    void filtersFlowsByAddressAndPolicyByEndpoint() {
        String flows = CliRunner.run("ct", "list", "--pin-dir", node.pinDirArg(), "--address", "203.0.113.5").out();
        assertThat(flows.lines()).hasSize(2).element(1).asString().startsWith("203.0.113.5:5000");

        String byAddress = CliRunner.run("policy", "list", "--pin-dir", node.pinDirArg(), "--endpoint", "10.0.2.2").out();
        String byId = CliRunner.run("policy", "list", "--pin-dir", node.pinDirArg(), "--endpoint", "12").out();
        assertThat(byAddress).isEqualTo(byId);
        assertThat(byAddress.lines().skip(1)).allMatch(l -> l.startsWith("12 ")).hasSize(3);
    }

    @Test
    void aFolderWithoutPinsIsNamedWithWhatToCheck() {
        Path empty = node.pinDir.resolve("not-an-agent");
        CliRunner.Result result = CliRunner.run("service", "list", "--pin-dir", empty.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).isEqualTo("error: no folder " + empty + ": is the agent running with --bpffs-dir "
                + empty + "? (give the agent's folder with --pin-dir)\n");
    }

    @Test
    void aMissingMapIsNamedByItsPin() {
        Path folder = topology.bpfDirectory("nomaps");
        CliRunner.Result result = CliRunner.run("backend", "list", "--pin-dir", folder.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("error: no map pinned at " + folder.resolve("maps/lb4_services")
                + ": is the agent running with --bpffs-dir " + folder + "?");
    }

    @Test
    void badArgumentsAreUsageErrorsNamingTheOption() {
        CliRunner.Result format = CliRunner.run("ct", "list", "--pin-dir", node.pinDirArg(), "-o", "yaml");
        assertThat(format.exitCode()).isEqualTo(2);
        assertThat(format.err()).contains("-o/--output: 'yaml' is neither table nor json");

        CliRunner.Result address = CliRunner.run("ct", "list", "--pin-dir", node.pinDirArg(), "--address", "10.0.0.300");
        assertThat(address.exitCode()).isEqualTo(1);
        assertThat(address.err()).isEqualTo("error: --address: not an IPv4 address: '10.0.0.300' (octet 300 > 255)\n");

        CliRunner.Result group = CliRunner.run("service");
        assertThat(group.exitCode()).isEqualTo(2);
        assertThat(group.err()).contains("'sluice service' needs a subcommand: list");
    }
}

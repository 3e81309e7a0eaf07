package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfLink;
import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;
import io.sluice.loader.CgroupHook;
import io.sluice.loader.Cgroups;
import io.sluice.maps.Codec;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.Lb4SlotKey;
import io.sluice.maps.LbScope;
import io.sluice.maps.MapName;
import io.sluice.maps.ServiceMaps;
import io.sluice.maps.TypedMap;
import io.sluice.testnet.Cgroup;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Netns;
import io.sluice.testnet.RequestOutcome;
import io.sluice.testnet.Topology;
import io.sluice.testnet.Traffic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What restarts rely on: a link pinned by a process keeps its program attached after that process has exited,
 * and maps pinned by it are adopted, contents and all, by the next load.
 */
@KernelTest
class PinnedStateTest {
    private static final String VIP = "198.18.201.10";
    private static final String BACKEND_IP = "198.18.4.2";

    @Test
    void aPinnedLinkKeepsBalancingAfterItsProcessExitedAndTheNextLoadAdoptsThePinnedMaps() throws Exception {
        try (Topology topology = new Topology()) {
            Netns client = topology.namespace("client");
            Netns server = topology.namespace("server");
            topology.veth(client, "eth0", server, "eth0");
            topology.address(client, "eth0", "198.18.4.1/24");
            topology.address(server, "eth0", BACKEND_IP + "/24");
            Cgroup cgroup = topology.cgroup("pods");
            Path pins = topology.bpfDirectory("pins");
            Traffic.tcpListener(server, 8080, "backend");

            Process child = startAttachProcess(pins, cgroup.path());
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("attach process ends").isTrue();
            String output = new String(child.getInputStream().readAllBytes());
            assertThat(child.exitValue()).as("attach process exit code; output:%n%s", output).isZero();
            assertThat(child.isAlive()).isFalse();

            Path linkPin = pins.resolve(PinnedAttachProcess.LINK_PIN);
            try (BpfLink link = BpfLink.openPinned(linkPin)) {
                assertThat(Cgroups.attachedProgramIds(cgroup.path(), CgroupHook.INET4_CONNECT))
                        .as("connect4 programs on the cgroup after the process exited").contains(link.info().programId());
            }

            // Program the service through the pinned maps alone, as a restarted agent would.
            Path maps = pins.resolve(PinnedAttachProcess.MAPS_FOLDER);
            try (BpfMap servicesMap = BpfMap.openPinned(maps.resolve(MapName.LB4_SERVICES.cName()));
                 BpfMap slotsMap = BpfMap.openPinned(maps.resolve(MapName.LB4_SLOTS.cName()));
                 BpfMap backendsMap = BpfMap.openPinned(maps.resolve(MapName.LB4_BACKENDS.cName()));
                 TypedMap<Integer, Lb4Backend> backends = new TypedMap<>(backendsMap, Codec.UINT32, Lb4Backend.CODEC);
                 TypedMap<Lb4SlotKey, Integer> slots = new TypedMap<>(slotsMap, Lb4SlotKey.CODEC, Codec.UINT32);
                 TypedMap<Lb4Key, Lb4Service> services = new TypedMap<>(servicesMap, Lb4Key.CODEC, Lb4Service.CODEC)) {
                backends.put(4, new Lb4Backend(Ipv4.parse(BACKEND_IP), 8080, IpProtocol.TCP, 0));
                slots.put(new Lb4SlotKey(3, 0), 4);
                services.put(new Lb4Key(Ipv4.parse(VIP), 80, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(3, 1, 0, 0));
            }
            assertThat(Traffic.tcpRequest(client.inCgroup(cgroup), VIP, 80, Traffic.DEFAULT_TIMEOUT))
                    .as("connect through the program of a process that is gone")
                    .isEqualTo(new RequestOutcome.Answered("backend"));

            try (BpfObject next = BpfObject.open(BpfObjectFile.SOCK.bytes(), BpfObjectFile.SOCK.baseName())) {
                next.pinMapsUnder(maps);
                next.load();
                try (ServiceMaps adopted = ServiceMaps.of(next)) {
                    assertThat(adopted.service(new Lb4Key(Ipv4.parse(VIP), 80, IpProtocol.TCP, LbScope.INTERNAL)))
                            .as("service written before the reload").contains(new Lb4Service(3, 1, 0, 0));
                    assertThat(adopted.backend(4)).isPresent();
                }
            }
            Files.delete(linkPin);
        }
    }

    private static Process startAttachProcess(Path pins, Path cgroup) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(PinnedAttachProcess.class.getName());
        command.add(pins.toString());
        command.add(cgroup.toString());
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }
}

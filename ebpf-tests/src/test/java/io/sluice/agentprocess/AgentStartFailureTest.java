package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The agent reads its manifest folder while it loads the data path: a data path the kernel refuses must still end
 * the agent process promptly, with one clear error naming the object, not leave it running on the source's threads.
 */
@KernelTest
class AgentStartFailureTest {

    @Test
    void aBpfObjectThatDoesNotLoadEndsTheAgentWithAnErrorNamingIt() throws Exception {
        Path objects = Files.createTempDirectory("sluice-bad-objects-");
        Path log = Files.createTempFile("sluice-agent-", ".log");
        try (AgentNode net = new AgentNode()) {
            for (BpfObjectFile file : List.of(BpfObjectFile.SOCK, BpfObjectFile.POD, BpfObjectFile.SOCK_DESTROY)) {
                Files.writeString(objects.resolve(file.baseName() + ".bpf.o"), "not an ELF file");
            }
            // Enough manifests that the source is still parsing when the load fails.
            for (int s = 0; s < 500; s++) {
                Files.writeString(net.manifests.resolve("svc-%03d.yaml".formatted(s)), AgentServiceTrafficTest.service()
                        .replace("name: web", "name: web-" + s));
            }
            List<String> command = AgentNode.agentCommand(AgentNode.ROOT.resolve("bin/sluice"), net.node, net.state,
                    net.pins, net.cgroup);
            command.addAll(List.of("--manifests", net.manifests.toString()));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().put("SLUICE_JAVA_OPTS", "-Dsluice.bpf.objectDir=" + objects);
            Process agent = builder.start();
            try {
                assertThat(agent.waitFor(60, TimeUnit.SECONDS)).as("the agent exits").isTrue();
                String output = Files.readString(log);
                assertThat(agent.exitValue()).as(output).isEqualTo(1);
                assertThat(output).containsPattern("sluice agent: bpf_object__open_mem failed for BPF object 'sluice_[a-z_]+'")
                        .doesNotContain("\tat ");
                try (Stream<Path> links = Files.list(net.pins.resolve("links"))) {
                    assertThat(links).as("nothing attached").isEmpty();
                }
            } finally {
                agent.destroyForcibly();
                agent.waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            Topology.deleteTree(objects);
            Files.deleteIfExists(log);
        }
    }
}

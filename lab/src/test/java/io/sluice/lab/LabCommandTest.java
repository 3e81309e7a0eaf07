package io.sluice.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What the commands do with bad options, bad manifests and no lab: no root needed, nothing is created. */
class LabCommandTest {
    private static final String NAME = "labcmd" + ProcessHandle.current().pid();

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    private static Run lab(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new LabCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    @Test
    void badManifestsStopUpBeforeAnythingIsBuilt() throws IOException {
        Files.writeString(dir.resolve("pods.yaml"), Manifests.pod("x", "a", "web", "nodeName: lab-5", ""));
        Run run = lab("up", "--name", NAME, "--manifests", dir.toString(), "--nodes", "2", "--agent-command", "true");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("have problems", "pods.yaml:1", "Pod x/a", "spec.nodeName", "lab-5");
        assertThat(LabLayout.of(NAME).runDir()).doesNotExist();
        assertThat(HostCommand.attempt("ip", "netns", "list").output()).doesNotContain(NAME);
    }

    @Test
    void badOptionsAreUsageErrorsNamingTheOption() {
        Run nodes = lab("up", "--name", NAME, "--nodes", "0", "--manifests", dir.toString(), "--agent-command", "true");
        assertThat(nodes.code()).isEqualTo(2);
        assertThat(nodes.err()).contains("--nodes 0");
        Run name = lab("status", "--name", "Not_A_Name");
        assertThat(name.code()).isEqualTo(2);
        assertThat(name.err()).contains("--name Not_A_Name");
        Run format = lab("probe", "--name", NAME, "-o", "yaml");
        assertThat(format.code()).isEqualTo(2);
        assertThat(format.err()).contains("-o yaml");
    }

    @Test
    void commandsOnALabThatDoesNotRunSaySoAndDownIsANoOp() {
        for (String command : new String[] {"status", "probe"}) {
            Run run = lab(command, "--name", NAME);
            assertThat(run.code()).isEqualTo(1);
            assertThat(run.err()).contains("no lab named " + NAME + " is running", "sluice lab up --name " + NAME);
        }
        Run exec = lab("exec", "--name", NAME, "x/a", "--", "true");
        assertThat(exec.code()).isEqualTo(1);
        Run down = lab("down", "--name", NAME);
        assertThat(down.code()).isZero();
        assertThat(down.out()).contains("nothing to remove");
    }
}

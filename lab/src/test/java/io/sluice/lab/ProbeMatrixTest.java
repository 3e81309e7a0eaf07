package io.sluice.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProbeMatrixTest {
    private static final PodPort TCP80 = new PodPort("TCP", 80);
    private static final PodPort UDP80 = new PodPort("UDP", 80);

    private static ProbeMatrix matrix() {
        ProbeMatrix m = new ProbeMatrix(List.of("x/b", "x/a"), List.of(UDP80, TCP80));
        for (PodPort port : List.of(TCP80, UDP80)) {
            for (String from : List.of("x/a", "x/b")) {
                for (String to : List.of("x/a", "x/b")) {
                    m.set(port, from, to, !(port.equals(UDP80) && to.equals("x/b")));
                }
            }
        }
        return m;
    }

    @Test
    void jsonIsOneLineKeyedByPortThenSourceThenDestination() {
        assertThat(matrix().toJson()).isEqualTo("{\"TCP/80\": {\"x/a\": {\"x/a\": true, \"x/b\": true}, "
                + "\"x/b\": {\"x/a\": true, \"x/b\": true}}, \"UDP/80\": {\"x/a\": {\"x/a\": true, \"x/b\": false}, "
                + "\"x/b\": {\"x/a\": true, \"x/b\": false}}}");
    }

    @Test
    void textIsTheUpstreamTruthTable() {
        assertThat(matrix().toText()).isEqualTo("""
                TCP/80
                -\tx/a\tx/b
                x/a\t.\t.
                x/b\t.\t.

                UDP/80
                -\tx/a\tx/b
                x/a\t.\tX
                x/b\t.\tX

                """);
        assertThat(matrix().allReached()).isFalse();
    }

    @Test
    void unprobedCellsShowAsQuestionMarksAndAreLeftOutOfJson() {
        ProbeMatrix m = new ProbeMatrix(List.of("x/a"), List.of(TCP80));
        assertThat(m.toText()).contains("x/a\t?");
        assertThat(m.toJson()).isEqualTo("{\"TCP/80\": {\"x/a\": {}}}");
        assertThat(m.allReached()).isFalse();
        m.set(TCP80, "x/a", "x/a", true);
        assertThat(m.allReached()).isTrue();
        assertThatThrownBy(() -> m.set(UDP80, "x/a", "x/a", true)).hasMessageContaining("UDP/80");
    }

    @Test
    void portsParseAndRefuseOtherText() {
        assertThat(PodPort.parse("UDP/53")).isEqualTo(new PodPort("UDP", 53));
        assertThatThrownBy(() -> PodPort.parse("TCP80")).hasMessageContaining("TCP80");
        assertThatThrownBy(() -> PodPort.parse("SCTP/80")).hasMessageContaining("SCTP");
    }
}

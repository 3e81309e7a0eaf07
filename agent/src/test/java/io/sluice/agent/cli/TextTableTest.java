package io.sluice.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.maps.DatapathConstants;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.PolicyConstants;
import io.sluice.maps.PolicyDirection;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The text conventions of the commands: table layout, formats, and how data path values are spelled. */
class TextTableTest {

    @Test
    void columnsAreAsWideAsTheirWidestCellWithoutTrailingBlanks() {
        String table = new TextTable("ID", "ADDRESS", "FLAGS")
                .row(1, "10.0.0.1:80", null)
                .row(12345, "1.1.1.1:5", "local")
                .render();
        assertThat(table).isEqualTo("""
                ID     ADDRESS      FLAGS
                1      10.0.0.1:80  -
                12345  1.1.1.1:5    local
                """);
    }

    @Test
    void aRowWithTheWrongNumberOfCellsIsRefused() {
        assertThatThrownBy(() -> new TextTable("A", "B").row(1)).hasMessage("table row has 1 cells for 2 columns");
    }

    @Test
    void formatsAreReadInAnyCaseAndOthersRefusedNamingTheOption() {
        OutputFormat.Converter converter = new OutputFormat.Converter();
        assertThat(converter.convert("JSON")).isEqualTo(OutputFormat.JSON);
        assertThat(converter.convert(" table")).isEqualTo(OutputFormat.TABLE);
        assertThatThrownBy(() -> converter.convert("yaml")).isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessage("-o/--output: 'yaml' is neither table nor json");
    }

    @Test
    void policyEntriesAreSpelledAsPortRanges() {
        Policy4Key block = Policy4Key.portBlock(1, PolicyDirection.INGRESS, 256, 6, 8000, 10);
        assertThat(DatapathText.policyPorts(block)).isEqualTo("8000-8063");
        assertThat(DatapathText.policyPorts(Policy4Key.portBlock(1, PolicyDirection.INGRESS, 256, 17, 53, 16))).isEqualTo("53");
        assertThat(DatapathText.policyPorts(Policy4Key.portBlock(1, PolicyDirection.INGRESS, 256, 6, 0, 0))).isEqualTo("any");
        Policy4Key any = Policy4Key.anyProtocol(1, PolicyDirection.EGRESS, PolicyConstants.IDENTITY_WORLD);
        assertThat(DatapathText.policyProtocol(any)).isEqualTo("any");
        assertThat(DatapathText.policyPortRange(block)).containsExactly(8000, 8063);
    }

    @Test
    void identitiesAndFlagsAreNamed() {
        assertThat(DatapathText.identity(1)).isEqualTo("1 (host)");
        assertThat(DatapathText.identity(0)).isEqualTo("0 (any)");
        assertThat(DatapathText.identity(256)).isEqualTo("256");
        assertThat(DatapathText.identityKind(1 << 24)).isEqualTo("cidr");
        assertThat(DatapathText.identityKind(7)).isEqualTo("reserved");
        assertThat(DatapathText.serviceFlags(DatapathConstants.LB_F_AFFINITY | DatapathConstants.LB_F_MAGLEV | 0x40))
                .containsExactly("affinity", "maglev", "0x40");
        assertThat(DatapathText.conntrackFlags(DatapathConstants.CT_F_REPLY | DatapathConstants.CT_F_HAIRPIN))
                .containsExactly("hairpin");
        assertThat(DatapathText.joined(java.util.List.of())).isEqualTo("-");
    }
}

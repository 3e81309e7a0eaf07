package io.sluice.bpf;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BpfObjectFileTest {

    /** Every object the agent names is in the jar as a 64-bit little-endian ELF for the BPF machine. */
    @ParameterizedTest
    @EnumSource(BpfObjectFile.class)
    void everyObjectIsABpfElf(BpfObjectFile object) {
        byte[] elf = object.bytes();
        assertThat(elf).startsWith(0x7f, 'E', 'L', 'F');
        assertThat(elf[4]).as("ELFCLASS64").isEqualTo((byte) 2);
        assertThat(elf[5]).as("little endian").isEqualTo((byte) 1);
        int machine = (elf[18] & 0xff) | (elf[19] & 0xff) << 8;
        assertThat(machine).as("e_machine EM_BPF").isEqualTo(247);
    }
}

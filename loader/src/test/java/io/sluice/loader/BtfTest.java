package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** BTF parsing needs no privileges: these tests run everywhere. */
class BtfTest {
    @Test
    void structWithArraysAnonymousUnionsAndMixedWidthsFromTheClassPath() {
        try (Btf btf = Btf.fromResource("/io/sluice/bpf/test/selftest.bpf.o")) {
            // struct __sk_buff (linux/bpf.h), the context of selftest_tc.
            Btf.StructInfo skb = btf.struct("__sk_buff");

            assertThat(skb.sizeBytes()).isEqualTo(192);
            assertThat(skb.members()).hasSize(34);
            assertThat(skb.members().getFirst()).isEqualTo(new Btf.Member("len", 0, 0, 4));
            assertThat(skb.member("mark").offsetBytes()).isEqualTo(8);
            assertThat(skb.member("cb")).isEqualTo(new Btf.Member("cb", 48 * 8, 0, 20));
            assertThat(skb.member("remote_ip6")).isEqualTo(new Btf.Member("remote_ip6", 100 * 8, 0, 16));
            // __bpf_md_ptr(struct bpf_flow_keys *, flow_keys): an anonymous 8-byte union.
            assertThat(skb.members().get(26)).isEqualTo(new Btf.Member("", 144 * 8, 0, 8));
            assertThat(skb.member("tstamp")).isEqualTo(new Btf.Member("tstamp", 152 * 8, 0, 8));
            assertThat(skb.member("tstamp_type")).isEqualTo(new Btf.Member("tstamp_type", 180 * 8, 0, 1));
            assertThat(skb.members().getLast()).isEqualTo(new Btf.Member("hwtstamp", 184 * 8, 0, 8));
        }
    }

    @Test
    void kernelStructUsedByAProgramWithEveryMemberOffset() throws Exception {
        Path file = Files.createTempFile("xdp_pass", ".bpf.o");
        try (InputStream in = BtfTest.class.getResourceAsStream("/io/sluice/bpf/xdp_pass.bpf.o")) {
            Files.write(file, in.readAllBytes());
            try (Btf btf = Btf.parseElf(file)) {
                // struct xdp_md (linux/bpf.h): six __u32 fields.
                Btf.StructInfo xdpMd = btf.struct("xdp_md");

                assertThat(xdpMd.sizeBytes()).isEqualTo(24);
                assertThat(xdpMd.members()).extracting(Btf.Member::name)
                        .containsExactly("data", "data_end", "data_meta", "ingress_ifindex", "rx_queue_index", "egress_ifindex");
                for (int i = 0; i < 6; i++) {
                    Btf.Member member = xdpMd.members().get(i);
                    assertThat(member.offsetBits()).isEqualTo(32L * i);
                    assertThat(member.offsetBytes()).isEqualTo(4L * i);
                    assertThat(member.sizeBytes()).isEqualTo(4);
                    assertThat(member.bitfieldBits()).isZero();
                }
                assertThat(xdpMd.member("egress_ifindex").offsetBytes()).isEqualTo(20);
            }
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void unknownNamesAreRefusedNamingTheObject() {
        try (Btf btf = Btf.fromResource("/io/sluice/bpf/test/selftest.bpf.o")) {
            assertThatThrownBy(() -> btf.struct("no_such_struct"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no_such_struct").hasMessageContaining("selftest");
            assertThatThrownBy(() -> btf.struct("xdp_md").member("nope"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope").hasMessageContaining("data_end");
        }
    }

    @Test
    void aFileThatIsNotAnElfObjectIsRefusedNamingIt() throws Exception {
        Path file = Files.createTempFile("not-elf", ".o");
        try {
            Files.writeString(file, "not an ELF file");

            assertThatThrownBy(() -> Btf.parseElf(file))
                    .isInstanceOf(BpfException.class).hasMessageContaining("btf__parse_elf").hasMessageContaining(file.toString());
        } finally {
            Files.delete(file);
        }
    }
}

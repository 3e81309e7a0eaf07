package io.sluice.maps;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The policy constants typed once in C (policy_consts.h) are the ones user space uses, in both directions. */
class PolicyConstantsTest {
    private static final Path HEADER = Path.of(System.getenv().getOrDefault("SLUICE_REPO_ROOT", ".."),
            "bpf-progs/src/main/bpf/include/policy_consts.h");

    @Test
    void everyJavaConstantEqualsTheHeadersDefineAndEveryDefineHasOne() throws IOException {
        Map<String, Long> defines = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^#define\\s+(\\w+)\\s+(0x[0-9a-fA-F]+|\\d+)").matcher(Files.readString(HEADER));
        while (m.find()) {
            defines.put(m.group(1), Long.decode(m.group(2)));
        }
        Set<String> java = new HashSet<>();
        for (Field f : PolicyConstants.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                assertThat(defines).as("policy_consts.h defines " + f.getName()).containsKey(f.getName());
                try {
                    assertThat((long) f.getInt(null)).as(f.getName()).isEqualTo(defines.get(f.getName()));
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
                java.add(f.getName());
            }
        }
        assertThat(java).as("Java constants mirroring policy_consts.h").containsExactlyInAnyOrderElementsOf(defines.keySet());
    }

    @Test
    void enumsUseTheHeadersValues() {
        assertThat(PolicyDirection.INGRESS.value()).isEqualTo(PolicyConstants.POLICY_INGRESS);
        assertThat(PolicyDirection.EGRESS.value()).isEqualTo(PolicyConstants.POLICY_EGRESS);
        for (DropReason reason : DropReason.values()) {
            assertThat(DropReason.of(reason.value())).isEqualTo(reason);
        }
        assertThat(DropReason.values()).extracting(DropReason::value).containsExactly(
                PolicyConstants.DROP_REASON_POLICY, PolicyConstants.DROP_REASON_SPOOFED,
                PolicyConstants.DROP_REASON_FRAGMENT, PolicyConstants.DROP_REASON_UNSUPPORTED_L3);
    }
}

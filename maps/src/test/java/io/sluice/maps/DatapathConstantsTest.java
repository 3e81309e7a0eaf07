package io.sluice.maps;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The constants typed once in C are the ones user space uses: this test reads the header itself. */
class DatapathConstantsTest {
    private static final Path HEADER = Path.of(System.getenv().getOrDefault("SLUICE_REPO_ROOT", "..")
            , "bpf-progs/src/main/bpf/include/sluice_consts.h");

    @Test
    void everyJavaConstantEqualsTheHeadersDefine() throws Exception {
        Map<String, Long> defines = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^#define\\s+(\\w+)\\s+(0x[0-9a-fA-F]+|\\d+)").matcher(header());
        while (m.find()) {
            defines.put(m.group(1), Long.decode(m.group(2)));
        }
        int checked = 0;
        for (Field f : DatapathConstants.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                assertThat(defines).as("sluice_consts.h defines " + f.getName()).containsKey(f.getName());
                assertThat((long) f.getInt(null)).as(f.getName()).isEqualTo(defines.get(f.getName()));
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(11);
    }

    @Test
    void counterSlotsFollowTheCEnumOrder() throws IOException {
        String header = header();
        String body = header.substring(header.indexOf("enum sluice_counter {"), header.indexOf("CNT_MAX"));
        List<String> cNames = new ArrayList<>();
        Matcher m = Pattern.compile("\\b(CNT_\\w+)").matcher(body);
        while (m.find()) {
            cNames.add(m.group(1));
        }
        assertThat(cNames).containsExactly(java.util.Arrays.stream(DatapathCounter.values())
                .map(DatapathCounter::cName).toArray(String[]::new));
        assertThat(body).contains("CNT_PACKETS = 0");
    }

    private static String header() throws IOException {
        return Files.readString(HEADER);
    }
}

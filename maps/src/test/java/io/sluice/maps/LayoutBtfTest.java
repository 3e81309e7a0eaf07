package io.sluice.maps;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;
import io.sluice.loader.Btf;
import java.lang.foreign.MemoryLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Every Java layout has the size, member names and member offsets of its C struct as the compiled objects'
 * BTF records them, so the two sides cannot drift. Also: every named map exists with the codecs' sizes.
 */
class LayoutBtfTest {
    static final List<StructCodec<?>> STRUCTS = DatapathStructs.ALL;

    @ParameterizedTest(name = "struct {0}")
    @FieldSource("STRUCTS")
    void javaLayoutEqualsTheCompiledStruct(StructCodec<?> codec) {
        Btf.StructInfo c = findStruct(codec.cName());

        assertThat(codec.layout().byteSize()).as("sizeof(struct %s)", codec.cName()).isEqualTo(c.sizeBytes());
        List<String> javaMembers = new ArrayList<>();
        long offset = 0;
        for (MemoryLayout member : codec.layout().memberLayouts()) {
            String name = member.name().orElseThrow(() -> new AssertionError("unnamed member in " + codec.cName()));
            javaMembers.add(name + "@" + offset + ":" + member.byteSize());
            offset += member.byteSize();
        }
        List<String> cMembers = c.members().stream()
                .map(m -> m.name() + "@" + m.offsetBytes() + ":" + m.sizeBytes()).toList();
        assertThat(javaMembers).as("members of struct %s (name@offset:size)", codec.cName())
                .containsExactlyElementsOf(cMembers);
    }

    @Test
    void everyStructOfTheDataPathHasAJavaLayout() {
        assertThat(STRUCTS.stream().map(StructCodec::cName))
                .containsExactlyInAnyOrder("lb4_key", "lb4_service", "lb4_slot_key", "lb4_backend",
                        "lb4_sock_rev_key", "lb4_sock_rev_value", "lb4_affinity_key", "lb4_affinity_value",
                        "ct4_key", "ct4_entry", "node4_config");
    }

    @Test
    void everyNamedMapExistsWithTheCodecsSizes() {
        Map<MapName, long[]> expected = Map.of(
                MapName.LB4_SERVICES, sizes(Lb4Key.CODEC, Lb4Service.CODEC),
                MapName.LB4_SLOTS, sizes(Lb4SlotKey.CODEC, Codec.UINT32),
                MapName.LB4_BACKENDS, sizes(Codec.UINT32, Lb4Backend.CODEC),
                MapName.LB4_SOCK_REV, sizes(Lb4SockRevKey.CODEC, Lb4SockRevValue.CODEC),
                MapName.LB4_AFFINITY, sizes(Lb4AffinityKey.CODEC, Lb4AffinityValue.CODEC),
                MapName.CT4_ENTRIES, sizes(Ct4Key.CODEC, Ct4Entry.CODEC),
                MapName.NODE4_CONFIG, sizes(Codec.UINT32, Node4Config.CODEC),
                MapName.SLUICE_COUNTERS, sizes(Codec.UINT32, Codec.UINT64));
        assertThat(expected).containsOnlyKeys(MapName.values());
        for (MapName name : MapName.values()) {
            Optional<BpfMap> map = findMap(name.cName());
            assertThat(map).as("map %s in some object", name.cName()).isPresent();
            assertThat(new long[] {map.get().keySize(), map.get().valueSize()})
                    .as("key and value size of %s", name.cName()).containsExactly(expected.get(name));
        }
    }

    private static long[] sizes(Codec<?> key, Codec<?> value) {
        return new long[] {key.layout().byteSize(), value.layout().byteSize()};
    }

    private static Btf.StructInfo findStruct(String name) {
        for (BpfObjectFile object : BpfObjectFile.values()) {
            try (Btf btf = Btf.fromResource(object.resource())) {
                return btf.struct(name);
            } catch (IllegalArgumentException absentHere) {
                // look in the next object
            }
        }
        throw new AssertionError("no object has struct " + name);
    }

    private static Optional<BpfMap> findMap(String name) {
        for (BpfObjectFile object : BpfObjectFile.values()) {
            try (BpfObject obj = BpfObject.open(object.bytes(), object.baseName())) {
                Optional<BpfMap> map = obj.maps().stream().filter(m -> m.name().equals(name)).findFirst();
                if (map.isPresent()) {
                    return map;
                }
            }
        }
        return Optional.empty();
    }
}

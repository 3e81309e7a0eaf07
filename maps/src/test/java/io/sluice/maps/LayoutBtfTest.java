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
                        "ct4_key", "ct4_entry", "node4_config",
                        "lb6_key", "lb6_backend", "lb6_sock_rev_key", "lb6_sock_rev_value",
                        "ipcache4_key", "ipcache4_value", "ipcache4_host_key", "ep4_key", "ep4_info", "policy4_key",
                        "policy4_value", "policy4_peer_key", "policy4_peer",
                        "policy4_state", "pct4_key", "pct4_entry", "frag4_key", "frag4_ports", "drop_event",
                        "sock_destroy_key");
    }

    @Test
    void everyNamedMapExistsWithTheCodecsSizes() {
        Map<MapName, long[]> expected = Map.ofEntries(
                Map.entry(MapName.LB4_SERVICES, sizes(Lb4Key.CODEC, Lb4Service.CODEC)),
                Map.entry(MapName.LB4_SLOTS, sizes(Lb4SlotKey.CODEC, Codec.UINT32)),
                Map.entry(MapName.LB4_BACKENDS, sizes(Codec.UINT32, Lb4Backend.CODEC)),
                Map.entry(MapName.LB4_SOCK_REV, sizes(Lb4SockRevKey.CODEC, Lb4SockRevValue.CODEC)),
                Map.entry(MapName.LB4_AFFINITY, sizes(Lb4AffinityKey.CODEC, Lb4AffinityValue.CODEC)),
                Map.entry(MapName.LB6_SERVICES, sizes(Lb6Key.CODEC, Lb4Service.CODEC)),
                Map.entry(MapName.LB6_SLOTS, sizes(Lb4SlotKey.CODEC, Codec.UINT32)),
                Map.entry(MapName.LB6_BACKENDS, sizes(Codec.UINT32, Lb6Backend.CODEC)),
                Map.entry(MapName.LB6_SOCK_REV, sizes(Lb6SockRevKey.CODEC, Lb6SockRevValue.CODEC)),
                Map.entry(MapName.LB_MAGLEV, sizes(Codec.UINT32, Codec.UINT32)), // value: the inner map's fd / id
                Map.entry(MapName.CT4_ENTRIES, sizes(Ct4Key.CODEC, Ct4Entry.CODEC)),
                Map.entry(MapName.NODE4_CONFIG, sizes(Codec.UINT32, Node4Config.CODEC)),
                Map.entry(MapName.SLUICE_COUNTERS, sizes(Codec.UINT32, Codec.UINT64)),
                Map.entry(MapName.IPCACHE4, sizes(Ipcache4Key.CODEC, Ipcache4Value.CODEC)),
                Map.entry(MapName.IPCACHE4_HOSTS, sizes(Ipcache4HostKey.CODEC, Ipcache4Value.CODEC)),
                Map.entry(MapName.ENDPOINTS4, sizes(Ep4Key.CODEC, Ep4Info.CODEC)),
                Map.entry(MapName.EP4_BY_IFINDEX, sizes(Codec.UINT32, Ep4Key.CODEC)),
                Map.entry(MapName.POLICY4_ALLOW, sizes(Policy4Key.CODEC, Policy4Value.CODEC)),
                Map.entry(MapName.POLICY4_PEERS, sizes(Policy4PeerKey.CODEC, Policy4Peer.CODEC)),
                Map.entry(MapName.POLICY4_STATE, sizes(Codec.UINT32, Policy4State.CODEC)),
                Map.entry(MapName.POLICY4_CT, sizes(Pct4Key.CODEC, Pct4Entry.CODEC)),
                Map.entry(MapName.FRAG4_PORTS, sizes(Frag4Key.CODEC, Frag4Ports.CODEC)),
                Map.entry(MapName.SLUICE_EVENTS, new long[] {0, 0}));
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

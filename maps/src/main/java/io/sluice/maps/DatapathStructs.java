package io.sluice.maps;

import java.util.List;

/** Every struct shared with the data path, for the checks that run over all of them. */
public final class DatapathStructs {
    /** One codec per C struct used as a map key or value. */
    public static final List<StructCodec<?>> ALL = List.of(
            Lb4Key.CODEC, Lb4Service.CODEC, Lb4SlotKey.CODEC, Lb4Backend.CODEC,
            Lb4SockRevKey.CODEC, Lb4SockRevValue.CODEC, Lb4AffinityKey.CODEC, Lb4AffinityValue.CODEC,
            Ct4Key.CODEC, Ct4Entry.CODEC, Node4Config.CODEC);

    private DatapathStructs() {
    }
}

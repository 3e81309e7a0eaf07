package io.sluice.maps;

import java.util.List;

/** Every struct shared with the data path, for the checks that run over all of them. */
public final class DatapathStructs {
    /** One codec per C struct used as a map key or value. */
    public static final List<StructCodec<?>> ALL = List.of(
            Lb4Key.CODEC, Lb4Service.CODEC, Lb4SlotKey.CODEC, Lb4Backend.CODEC,
            Lb4SockRevKey.CODEC, Lb4SockRevValue.CODEC, Lb4AffinityKey.CODEC, Lb4AffinityValue.CODEC,
            Ct4Key.CODEC, Ct4Entry.CODEC, Node4Config.CODEC,
            Lb6Key.CODEC, Lb6Backend.CODEC, Lb6SockRevKey.CODEC, Lb6SockRevValue.CODEC,
            Ipcache4Key.CODEC, Ipcache4Value.CODEC, Ipcache4HostKey.CODEC, Ep4Key.CODEC, Ep4Info.CODEC,
            Policy4Key.CODEC, Policy4Value.CODEC, Policy4PeerKey.CODEC, Policy4Peer.CODEC, Policy4State.CODEC,
            Pct4Key.CODEC, Pct4Entry.CODEC, Frag4Key.CODEC, Frag4Ports.CODEC, DropEvent.CODEC, SockDestroyKey.CODEC);

    private DatapathStructs() {
    }
}

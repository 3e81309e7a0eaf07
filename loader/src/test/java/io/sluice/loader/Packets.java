package io.sluice.loader;

import java.nio.ByteBuffer;

/** Packets for test runs. */
final class Packets {
    private Packets() {
    }

    /** A 54-byte Ethernet/IPv4/TCP SYN from 10.0.0.1:40000 to 10.0.0.2:80 (checksums left zero: no program here checks them). */
    static byte[] tcpSyn() {
        ByteBuffer b = ByteBuffer.allocate(54);
        b.put(new byte[] {2, 0, 0, 0, 0, 2}).put(new byte[] {2, 0, 0, 0, 0, 1}).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) 40).putShort((short) 1).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 6).putShort((short) 0)
                .put(new byte[] {10, 0, 0, 1}).put(new byte[] {10, 0, 0, 2});
        b.putShort((short) 40000).putShort((short) 80).putInt(1).putInt(0)
                .put((byte) 0x50).put((byte) 0x02).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        return b.array();
    }
}

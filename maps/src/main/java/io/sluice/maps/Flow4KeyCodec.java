package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.BE32;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.util.function.ToIntFunction;

/**
 * The codec of an IPv4 flow key: {@code struct ct4_key} (service conntrack) and {@code struct pct4_key} (policy
 * conntrack) share this layout, each in its own map and with its own record.
 * <pre>
 *  0       4       8       10      12    13    16
 *  +-------+-------+-------+-------+-----+-----+
 *  | saddr | daddr | sport | dport |proto| pad |
 *  +-------+-------+-------+-------+-----+-----+
 * </pre>
 *
 * @param <K> the record of the key
 */
final class Flow4KeyCodec<K extends Flow4KeyCodec.Flow> implements StructCodec<K> {

    /** The address and port fields of a flow key. */
    interface Flow {
        Ipv4 source();

        Ipv4 destination();

        int sourcePort();

        int destinationPort();
    }

    /** Makes a key of the decoded fields (ports and protocol unsigned). */
    interface Factory<K> {
        K of(Ipv4 source, Ipv4 destination, int sourcePort, int destinationPort, int protocol);
    }

    private final StructLayout layout = MemoryLayout.structLayout(
            BE32.withName("saddr"),
            BE32.withName("daddr"),
            BE16.withName("sport"),
            BE16.withName("dport"),
            U8.withName("proto"),
            Layouts.padding("pad", 3));
    private final VarHandle saddr = Layouts.field(layout, "saddr");
    private final VarHandle daddr = Layouts.field(layout, "daddr");
    private final VarHandle sport = Layouts.field(layout, "sport");
    private final VarHandle dport = Layouts.field(layout, "dport");
    private final VarHandle proto = Layouts.field(layout, "proto");
    private final String cName;
    private final ToIntFunction<K> protocol;
    private final Factory<K> factory;

    /**
     * @param cName    the C struct's name
     * @param protocol the IANA protocol number of a key
     * @param factory  the key of decoded fields
     */
    Flow4KeyCodec(String cName, ToIntFunction<K> protocol, Factory<K> factory) {
        this.cName = cName;
        this.protocol = protocol;
        this.factory = factory;
    }

    @Override
    public String cName() {
        return cName;
    }

    @Override
    public StructLayout layout() {
        return layout;
    }

    @Override
    public void encode(K value, MemorySegment segment) {
        Layouts.zero(segment, layout);
        saddr.set(segment, 0L, value.source().bits());
        daddr.set(segment, 0L, value.destination().bits());
        sport.set(segment, 0L, (short) value.sourcePort());
        dport.set(segment, 0L, (short) value.destinationPort());
        proto.set(segment, 0L, (byte) protocol.applyAsInt(value));
    }

    @Override
    public K decode(MemorySegment segment) {
        return factory.of(new Ipv4((int) saddr.get(segment, 0L)), new Ipv4((int) daddr.get(segment, 0L)),
                Layouts.u16((short) sport.get(segment, 0L)), Layouts.u16((short) dport.get(segment, 0L)),
                Layouts.u8((byte) proto.get(segment, 0L)));
    }
}

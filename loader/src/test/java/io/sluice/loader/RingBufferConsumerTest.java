package io.sluice.loader;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RingBufferConsumerTest {
    @BeforeEach
    void kernel() {
        Kernel.require();
    }

    @Test
    void everyEventArrivesInOrderAndNoneIsLost() {
        int runs = 10_000;
        try (BpfObject object = BpfObject.openResource("/io/sluice/bpf/test/selftest.bpf.o")) {
            object.load();
            List<Long> sequence = new ArrayList<>(runs);
            List<Long> sizes = new ArrayList<>();
            try (RingBufferConsumer consumer = RingBufferConsumer.open(object.map("selftest_events"), event -> {
                sizes.add(event.byteSize());
                sequence.add(event.get(JAVA_LONG, 0));
            })) {
                // One test run per packet, 10,000 times, each reserving one event with the counter's new value.
                object.program("selftest_xdp").testRun(Packets.tcpSyn(), runs);

                int consumed = 0;
                while (consumed < runs) {
                    int n = consumer.poll(1000);
                    assertThat(n).as("events after %d of %d", consumed, runs).isPositive();
                    consumed += n;
                }
                assertThat(consumer.consume()).isZero();
            }

            assertThat(sequence).containsExactlyElementsOf(LongStream.rangeClosed(1, runs).boxed().toList());
            assertThat(sizes).containsOnly(8L);
        }
    }

    @Test
    void aFailingHandlerStopsThePollAndItsExceptionReachesTheCaller() {
        try (BpfObject object = BpfObject.openResource("/io/sluice/bpf/test/selftest.bpf.o")) {
            object.load();
            List<Long> seen = new ArrayList<>();
            try (RingBufferConsumer consumer = RingBufferConsumer.open(object.map("selftest_events"), event -> {
                long seq = event.get(JAVA_LONG, 0);
                if (seq == 2) {
                    throw new IllegalStateException("handler refused event " + seq);
                }
                seen.add(seq);
            })) {
                object.program("selftest_xdp").testRun(Packets.tcpSyn(), 3);

                assertThatThrownBy(consumer::consume).isInstanceOf(IllegalStateException.class)
                        .hasMessage("handler refused event 2");
                assertThat(consumer.consume()).isEqualTo(1);
            }
            // The failed event counts as consumed; the one after it arrives on the next call.
            assertThat(seen).containsExactly(1L, 3L);
        }
    }

    @Test
    void onlyRingBufferMapsAreAccepted() {
        try (BpfObject object = BpfObject.openResource("/io/sluice/bpf/test/selftest.bpf.o")) {
            object.load();

            assertThatThrownBy(() -> RingBufferConsumer.open(object.map("selftest_hash"), event -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("selftest_hash").hasMessageContaining("RINGBUF");
        }
    }
}

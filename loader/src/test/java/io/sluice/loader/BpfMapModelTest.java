package io.sluice.loader;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** A kernel hash map behaves like a java.util.Map under any sequence of element and batch operations. */
class BpfMapModelTest {
    private static BpfObject object;
    private static BpfMap hash;

    enum Kind { PUT, PUT_NEW, REPLACE, DELETE, GET }

    record Op(Kind kind, int key, long value) {
    }

    @BeforeContainer
    static void load() {
        Kernel.require();
        object = BpfObject.openResource("/io/sluice/bpf/test/selftest.bpf.o");
        object.load();
        hash = object.map("selftest_hash");
    }

    @AfterContainer
    static void close() {
        if (object != null) {
            object.close();
        }
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.of(Kind.class), Arbitraries.integers().between(0, 40), Arbitraries.longs())
                .as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(80);
    }

    @Property(tries = 200)
    void elementOperationsMatchAMapModel(@ForAll("ops") List<Op> ops) {
        clear();
        Map<Integer, Long> model = new HashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            MemorySegment value = arena.allocate(JAVA_LONG);
            for (Op op : ops) {
                key.set(JAVA_INT, 0, op.key());
                value.set(JAVA_LONG, 0, op.value());
                switch (op.kind()) {
                    case PUT -> {
                        hash.update(key, value, UpdateFlag.ANY);
                        model.put(op.key(), op.value());
                    }
                    case PUT_NEW -> assertThat(succeeds(() -> hash.update(key, value, UpdateFlag.NOEXIST), Errno.EEXIST))
                            .isEqualTo(model.putIfAbsent(op.key(), op.value()) == null);
                    case REPLACE -> assertThat(succeeds(() -> hash.update(key, value, UpdateFlag.EXIST), Errno.ENOENT))
                            .isEqualTo(model.replace(op.key(), op.value()) != null);
                    case DELETE -> assertThat(hash.delete(key)).isEqualTo(model.remove(op.key()) != null);
                    case GET -> {
                        boolean found = hash.lookup(key, value);
                        assertThat(found).isEqualTo(model.containsKey(op.key()));
                        if (found) {
                            assertThat(value.get(JAVA_LONG, 0)).isEqualTo(model.get(op.key()));
                        }
                    }
                }
            }
            assertThat(readAllInBatches(arena, 7)).isEqualTo(model);
        }
    }

    /** Runs an update; true if it succeeded, false if it failed with {@code expectedErrno}. */
    private static boolean succeeds(Runnable update, int expectedErrno) {
        try {
            update.run();
            return true;
        } catch (BpfException e) {
            assertThat(e.errno()).isEqualTo(expectedErrno);
            return false;
        }
    }

    private static Map<Integer, Long> readAllInBatches(Arena arena, int batch) {
        MemorySegment keys = arena.allocate(JAVA_INT, batch);
        MemorySegment values = arena.allocate(JAVA_LONG, batch);
        Map<Integer, Long> read = new HashMap<>();
        BpfMap.BatchCursor cursor = hash.batchCursor();
        while (!cursor.isDone()) {
            int n = hash.lookupBatch(cursor, keys, values, batch);
            for (int i = 0; i < n; i++) {
                assertThat(read.put(keys.getAtIndex(JAVA_INT, i), values.getAtIndex(JAVA_LONG, i))).isNull();
            }
        }
        return read;
    }

    private static void clear() {
        List<Integer> keys = new ArrayList<>();
        hash.forEachKey(k -> keys.add(k.get(JAVA_INT, 0)));
        if (keys.isEmpty()) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment all = arena.allocate(JAVA_INT, keys.size());
            for (int i = 0; i < keys.size(); i++) {
                all.setAtIndex(JAVA_INT, i, keys.get(i));
            }
            assertThat(hash.deleteBatch(all, keys.size())).isEqualTo(keys.size());
        }
    }
}

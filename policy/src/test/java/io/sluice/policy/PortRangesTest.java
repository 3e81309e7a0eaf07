package io.sluice.policy;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PortRangesTest {

    @Property(tries = 1000)
    void blocksAreDisjointCoverExactlyTheRangeAndAreFewest(@ForAll @IntRange(min = 0, max = 65535) int a,
                                                          @ForAll @IntRange(min = 0, max = 65535) int b) {
        int first = Math.min(a, b);
        int last = Math.max(a, b);
        List<PortBlock> blocks = PortRanges.split(first, last);

        // In order, each starting right after the previous: disjoint, no gaps, union == [first, last].
        int next = first;
        for (PortBlock block : blocks) {
            assertThat(block.first()).isEqualTo(next);
            next = block.last() + 1;
        }
        assertThat(next - 1).isEqualTo(last);
        // Each block is maximal: its parent block sticks out of the range, so no two blocks merge and the
        // cover is the minimal one.
        for (PortBlock block : blocks) {
            if (block.prefixLength() == 0) continue;
            PortBlock parent = new PortBlock(block.port() & ~((1 << (17 - block.prefixLength())) - 1) & 0xFFFF,
                    block.prefixLength() - 1);
            assertThat(parent.first() < first || parent.last() > last).as("parent %s of %s inside range", parent, block).isTrue();
        }
        assertThat(blocks.size()).isLessThanOrEqualTo(PortRanges.MAX_BLOCKS);
    }

    @Property(tries = 300)
    void blockMembershipIsThePrefixTest(@ForAll @IntRange(min = 0, max = 65535) int first,
                                        @ForAll @IntRange(min = 0, max = 2000) int width,
                                        @ForAll @IntRange(min = 0, max = 65535) int probe) {
        int last = Math.min(65535, first + width);
        boolean inSomeBlock = PortRanges.split(first, last).stream().anyMatch(b -> b.contains(probe));
        assertThat(inSomeBlock).isEqualTo(probe >= first && probe <= last);
    }

    @Example
    void knownSplits() {
        assertThat(PortRanges.split(0, 65535)).containsExactly(PortBlock.ALL);
        assertThat(PortRanges.split(8080, 8080)).containsExactly(PortBlock.single(8080));
        assertThat(PortRanges.split(1024, 2047)).containsExactly(new PortBlock(1024, 6));
        assertThat(PortRanges.split(80, 443)).containsExactly(new PortBlock(80, 12), new PortBlock(96, 11),
                new PortBlock(128, 9), new PortBlock(256, 9), new PortBlock(384, 11), new PortBlock(416, 12),
                new PortBlock(432, 13), new PortBlock(440, 14));
        // The worst case: both ends one off a power-of-two boundary.
        assertThat(PortRanges.split(1, 65534)).hasSize(PortRanges.MAX_BLOCKS);
    }

    @Example
    void refusesRangesOutsideThePortSpace() {
        assertThatThrownBy(() -> PortRanges.split(10, 9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PortRanges.split(0, 65536)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PortBlock(3, 15)).hasMessageContaining("bits set below");
    }
}

package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Negative;
import org.junit.jupiter.api.Test;

/** The list page size from system property {@value KubernetesSource#LIST_PAGE_SIZE_PROPERTY}: default, 0, refusals. */
class KubernetesSourceListPageSizeTest {
    @Test
    void unsetOrBlankGivesTheDefaultPageSize() {
        assertThat(KubernetesSource.listPageSize(null)).isEqualTo(KubernetesSource.DEFAULT_LIST_PAGE_SIZE);
        assertThat(KubernetesSource.listPageSize(" ")).isEqualTo(KubernetesSource.DEFAULT_LIST_PAGE_SIZE);
    }

    @Property
    void aWholeNumberOfZeroOrMoreIsThePageSize(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long size) {
        assertThat(KubernetesSource.listPageSize(" " + size + " ")).isEqualTo(size);
    }

    @Property
    void aNegativeNumberIsRefusedNamingTheProperty(@ForAll @Negative long size) {
        assertThatThrownBy(() -> KubernetesSource.listPageSize(Long.toString(size)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(KubernetesSource.LIST_PAGE_SIZE_PROPERTY).hasMessageContaining("'" + size + "'");
    }

    @Test
    void somethingElseThanAWholeNumberIsRefusedNamingTheProperty() {
        for (String value : new String[] {"abc", "1.5", "500k", "99999999999999999999"}) {
            assertThatThrownBy(() -> KubernetesSource.listPageSize(value)).as(value)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(KubernetesSource.LIST_PAGE_SIZE_PROPERTY).hasMessageContaining("'" + value + "'");
        }
    }
}

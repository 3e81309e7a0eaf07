package io.sluice.servicelb;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServiceLbConfigTest {

    @Test
    void defaultsAreValid() {
        assertThat(ServiceLbConfig.DEFAULTS.maglevTableSize()).isEqualTo(16_381);
        assertThat(ServiceLbConfig.DEFAULTS.maxBackendsPerService()).isEqualTo(1024);
    }

    @Test
    void maglevTableSizeMustBePrime() {
        assertThatThrownBy(() -> new ServiceLbConfig(16_383, 100))
                .hasMessage("maglevTableSize: 16383 is not prime");
        assertThat(new ServiceLbConfig(65_521, 100).maglevTableSize()).isEqualTo(65_521);
    }

    @Test
    void maxBackendsPerServiceMustLeaveEveryBackendASlot() {
        assertThatThrownBy(() -> new ServiceLbConfig(251, 251)).hasMessageStartingWith("maxBackendsPerService:");
        assertThatThrownBy(() -> new ServiceLbConfig(251, 0)).hasMessageStartingWith("maxBackendsPerService:");
        assertThat(new ServiceLbConfig(251, 250).maxBackendsPerService()).isEqualTo(250);
    }
}

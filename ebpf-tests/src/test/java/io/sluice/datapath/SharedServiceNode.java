package io.sluice.datapath;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of the test classes whose tests share one {@link ServiceNode}: it is made before the subclass's
 * {@code @BeforeAll} fills it, its flows (conntrack and affinity) are forgotten before each test, and it is removed
 * after the last one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SharedServiceNode {
    ServiceNode net;

    @BeforeAll
    final void makeTheNode() {
        net = new ServiceNode();
    }

    @BeforeEach
    final void forgetEarlierFlows() {
        net.forgetFlows();
    }

    @AfterAll
    final void removeTheNode() {
        if (net != null) {
            net.close();
        }
    }
}

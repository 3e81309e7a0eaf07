package io.sluice.testnet;

import io.sluice.testnet.RequestOutcome.Answered;
import io.sluice.testnet.Traffic.Protocol;
import io.sluice.testnet.Traffic.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

@KernelTest
class TwoNamespaceTrafficTest {
    private static final Duration SHORT = Duration.ofSeconds(1);

    private Topology topo;
    private Netns client;
    private Netns server;

    @BeforeEach
    void twoNamespacesOnAVeth() {
        topo = new Topology();
        client = topo.namespace("client");
        server = topo.namespace("server");
        topo.veth(client, "eth0", server, "eth0");
        topo.address(client, "eth0", "198.18.0.1/24");
        topo.address(server, "eth0", "198.18.0.2/24");
    }

    @AfterEach
    void tearDown() {
        topo.close();
    }

    @Test
    void tcpRequestReceivesTheListenersLine() {
        Traffic.tcpListener(server, 8080, "server-a");

        assertThat(Traffic.tcpRequest(client, "198.18.0.2", 8080, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new Answered("server-a"));
    }

    @Test
    void eachTcpConnectionIsAnswered() {
        Traffic.tcpListener(server, 8080, "server-a");

        for (int i = 0; i < 3; i++) {
            assertThat(Traffic.tcpRequest(client, "198.18.0.2", 8080, Traffic.DEFAULT_TIMEOUT))
                    .isEqualTo(new Answered("server-a"));
        }
    }

    @Test
    void udpRequestReceivesTheRespondersLine() {
        Traffic.udpResponder(server, 5353, "dns-b");

        assertThat(Traffic.udpRequest(client, "198.18.0.2", 5353, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new Answered("dns-b"));
    }

    @Test
    void listenerCanAnswerWithThePeerAddressItSaw() {
        Traffic.listener(server, Protocol.TCP, 8080, "server-a", Reply.NAME_AND_PEER);
        Traffic.listener(server, Protocol.UDP, 5353, "dns-b", Reply.NAME_AND_PEER);

        assertThat(Traffic.tcpRequest(client, "198.18.0.2", 8080, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new Answered("server-a 198.18.0.1"));
        assertThat(Traffic.udpRequest(client, "198.18.0.2", 5353, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new Answered("dns-b 198.18.0.1"));
    }

    @Test
    void tcpToAPortWithoutListenerIsRefused() {
        Traffic.tcpListener(server, 8080, "server-a");

        assertThat(Traffic.tcpRequest(client, "198.18.0.2", 8081, Traffic.DEFAULT_TIMEOUT))
                .isInstanceOf(RequestOutcome.Refused.class);
    }

    @Test
    void udpToAPortWithoutResponderIsRefused() {
        assertThat(Traffic.udpRequest(client, "198.18.0.2", 5354, Traffic.DEFAULT_TIMEOUT))
                .isInstanceOf(RequestOutcome.Refused.class);
    }

    @Test
    void tcpToAnAddressWhoseFramesAreDroppedTimesOutRatherThanBeingRefused() {
        // The neighbour entry sends frames for .9 to a MAC nobody has: the SYN is dropped without an answer.
        topo.neighbor(client, "eth0", "198.18.0.9", "02:00:00:00:00:99");
        Traffic.tcpListener(server, 8080, "server-a");

        assertThat(Traffic.tcpRequest(client, "198.18.0.9", 8080, SHORT))
                .isInstanceOf(RequestOutcome.TimedOut.class);
        assertThat(Traffic.udpRequest(client, "198.18.0.9", 5353, SHORT))
                .isInstanceOf(RequestOutcome.TimedOut.class);
    }

    @Test
    void requestWithoutARouteIsUnreachable() {
        assertThat(Traffic.tcpRequest(client, "198.19.0.1", 8080, SHORT))
                .isInstanceOf(RequestOutcome.Unreachable.class);
    }

    @Test
    void listenerOnAPortAlreadyTakenFailsWithSocatsReason() {
        Traffic.tcpListener(server, 8080, "first");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Traffic.tcpListener(server, 8080, "second"))
                .hasMessageContaining("port 8080")
                .hasMessageContaining("Address already in use");
    }
}

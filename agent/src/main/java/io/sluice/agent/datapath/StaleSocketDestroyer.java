package io.sluice.agent.datapath;

import io.sluice.maps.SockDestroyKey;
import java.util.Map;

/**
 * Destroys the connected UDP sockets that the socket programs sent from a frontend to a backend which has since
 * left it, wherever such sockets may live (the agent's network namespace and those of the socket cgroup's
 * processes). Called by the writer thread after the frontend's new slots are written, so a socket that connects
 * again cannot get the removed backend.
 */
@FunctionalInterface
public interface StaleSocketDestroyer {
    /**
     * @param removed each (frontend, backend that left it) pair with the backend's id
     * @return the number of sockets destroyed, by backend id
     */
    Map<Integer, Integer> destroy(Map<SockDestroyKey, Integer> removed);
}

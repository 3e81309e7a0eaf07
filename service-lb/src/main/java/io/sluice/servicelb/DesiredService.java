package io.sluice.servicelb;

import java.util.List;
import java.util.Objects;

/**
 * Everything one Service asks of this node's data path: its frontends, sorted by address, each with its
 * backends. The agent keeps a {@code Map<ServiceKey, DesiredService>}, compares it with the next one by
 * {@link #equals(Object)}, and rewrites only the Services that changed.
 *
 * @param key       the Service
 * @param frontends its frontends, sorted by address, unique by address
 */
public record DesiredService(ServiceKey key, List<DesiredFrontend> frontends) {

    public DesiredService {
        Objects.requireNonNull(key, "key");
        frontends = Sorting.sortedCopy(frontends);
        for (int i = 0; i < frontends.size(); i++) {
            DesiredFrontend frontend = frontends.get(i);
            if (!frontend.frontend().servicePort().service().equals(key)) {
                throw new IllegalArgumentException(frontend.address() + " belongs to "
                        + frontend.frontend().servicePort().service() + ", not " + key);
            }
            if (i > 0 && frontend.address().equals(frontends.get(i - 1).address())) {
                throw new IllegalArgumentException(key + ": frontend " + frontend.address() + " appears twice");
            }
        }
    }
}

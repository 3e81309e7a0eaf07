package io.sluice.policy;

import java.util.HashMap;
import java.util.Map;

/** An {@link IdentityStore} in a plain map: survives an engine being rebuilt, not a process restart. */
public final class InMemoryIdentityStore implements IdentityStore {

    private final Map<String, Integer> records = new HashMap<>();

    @Override
    public Map<String, Integer> loadAll() {
        return Map.copyOf(records);
    }

    @Override
    public void put(String key, int id) {
        records.put(key, id);
    }

    @Override
    public void remove(String key) {
        records.remove(key);
    }
}

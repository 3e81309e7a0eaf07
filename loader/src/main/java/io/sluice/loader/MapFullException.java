package io.sluice.loader;

/**
 * An update was refused because the map has no room: {@code E2BIG} (hash maps at max_entries) or {@code ENOSPC}.
 * Its own type so callers can count and report a full map apart from other failures. Immutable.
 */
public class MapFullException extends BpfException {
    private static final long serialVersionUID = 1L;

    public MapFullException(String call, String object, int errno, String detail) {
        super(call, object, errno, detail, "");
    }
}

package io.sluice.agent.source;

import java.io.Reader;

/**
 * A watch event's text without its object's {@code metadata.managedFields} member, read in place (nothing copied).
 *
 * <p>Why: a JSON parser reads every property name it meets through its table of known names, even inside a value it
 * is only skipping, and {@code managedFields} is full of names that occur once ({@code k:{"uid":"..."}} for an
 * EndpointSlice's owner, a Pod's {@code k:{"ip":"..."}}, ...). Jackson's table only grows when a document adds
 * two or more names, so at one new name per event it stays at 256 slots and every name goes on collision chains up
 * to a hundred long (8,400 of 8,700 names after 20,000 updates of 10,000 slices): the watch parse took 38-48 µs of
 * CPU per slice event against 18-22 µs with the same names in every event. Cut out before parsing, those names are
 * never read (20-22 µs).
 *
 * <p>Only the API server's compact form is cut: {@code "managedFields":[...]} as a member of the event's
 * {@code object.metadata}, right after a {@code {} or {@code ,}; anything else is left in the text, where the
 * parse reads past it as before ({@link KubernetesSource#serialization()}).
 *
 * <p>Not thread-safe: one reader per parse.
 */
final class ManagedFieldsCut extends Reader {
    private static final String MEMBER = "\"managedFields\":[";

    private final String text;
    private final int cutFrom;
    private final int cutTo;
    private int position;

    private ManagedFieldsCut(String text, int cutFrom, int cutTo) {
        this.text = text;
        this.cutFrom = cutFrom;
        this.cutTo = cutTo;
    }

    /**
     * {@code event} (a watch event's JSON) without its object's {@code metadata.managedFields} member, or null when
     * it has none in the API server's compact form there.
     */
    static ManagedFieldsCut of(String event) {
        int member = event.indexOf(MEMBER);
        if (member < 1 || !isObjectsMetadataMember(event, member)) {
            return null;
        }
        int end = endOfArray(event, member + MEMBER.length());
        if (end < 0 || end >= event.length()) {
            return null;
        }
        char before = event.charAt(member - 1);
        char after = event.charAt(end);
        if (before == ',' && (after == ',' || after == '}')) {
            return new ManagedFieldsCut(event, member - 1, end);
        } else if (before == '{' && after == ',') {
            return new ManagedFieldsCut(event, member, end + 1);
        } else if (before == '{' && after == '}') {
            return new ManagedFieldsCut(event, member, end);
        }
        return null;
    }

    /**
     * Whether the property name starting at {@code member} is a member of {@code object.metadata}: depth 3, in the
     * object that the event's {@code object} opens and its {@code metadata} opens in turn, and not inside a string.
     */
    private static boolean isObjectsMetadataMember(String event, int member) {
        int depth = 0;
        boolean inObject = false;
        boolean inMetadata = false;
        int keyFrom = -1;
        int keyTo = -1;
        int keyDepth = -1;
        int i = 0;
        while (i < member) {
            char c = event.charAt(i);
            if (c == '"') {
                int close = closingQuote(event, i);
                if (close < 0 || close >= member) {
                    return false; // the match is inside a string
                }
                int next = close + 1;
                while (next < member && Character.isWhitespace(event.charAt(next))) {
                    next++;
                }
                if (next < member && event.charAt(next) == ':') {
                    keyFrom = i + 1;
                    keyTo = close;
                    keyDepth = depth;
                }
                i = close + 1;
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
                boolean openedByKey = c == '{' && keyDepth == depth - 1;
                if (depth == 2) {
                    inObject = openedByKey && named(event, keyFrom, keyTo, "object");
                } else if (depth == 3) {
                    inMetadata = inObject && openedByKey && named(event, keyFrom, keyTo, "metadata");
                }
                keyDepth = -1; // a key names the value right after it only
            } else if (c == '}' || c == ']') {
                depth--;
            }
            i++;
        }
        return depth == 3 && inMetadata && event.charAt(0) == '{';
    }

    private static boolean named(String event, int from, int to, String name) {
        return to - from == name.length() && event.startsWith(name, from);
    }

    /** The index of the quote that closes the string opening at {@code open}, or -1. */
    private static int closingQuote(String text, int open) {
        int from = open + 1;
        while (true) {
            int quote = text.indexOf('"', from);
            if (quote < 0) {
                return -1;
            }
            int backslashes = 0;
            while (text.charAt(quote - 1 - backslashes) == '\\') {
                backslashes++;
            }
            if (backslashes % 2 == 0) {
                return quote;
            }
            from = quote + 1;
        }
    }

    /** The index after the {@code ]} that closes the array whose first element starts at {@code from}, or -1. */
    private static int endOfArray(String text, int from) {
        int depth = 1;
        int i = from;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '"') {
                int close = closingQuote(text, i);
                if (close < 0) {
                    return -1;
                }
                i = close + 1;
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
                if (depth == 0) {
                    return c == ']' ? i + 1 : -1;
                }
            }
            i++;
        }
        return -1;
    }

    @Override
    public int read(char[] buffer, int offset, int length) {
        if (length == 0) {
            return 0;
        }
        if (position == cutFrom) {
            position = cutTo;
        }
        int end = position < cutFrom ? cutFrom : text.length();
        if (position >= end) {
            return -1;
        }
        int n = Math.min(length, end - position);
        text.getChars(position, position + n, buffer, offset);
        position += n;
        return n;
    }

    @Override
    public void close() {
        // Nothing held: the text is the caller's.
    }
}

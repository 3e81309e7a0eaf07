package io.sluice.agent.source;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * LibYAML's events for one document, read one at a time straight from LibYAML's {@code yaml_event_t} (the handles,
 * layouts and constants of {@link LibYamlParser}): its type, whether it carries an anchor or a tag, a scalar's style
 * and text. No event objects: a binder that knows the shape it wants reads only what it needs, and a String is made
 * only for a scalar it keeps.
 *
 * <p>Not thread-safe: one cursor per document, used by one thread (its native memory is a confined arena). Close it.
 */
final class LibYamlEvents implements CompactServiceBinder.Events, AutoCloseable {
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment parser;
    private final MemorySegment event;
    private boolean holdsEvent;
    /** The current event's type, while {@link #holdsEvent}. */
    private int type;
    private boolean freed;
    private byte[] scratch = new byte[64];
    /** The current scalar's text as chars, for {@link #scalarChars}. */
    private char[] chars = new char[64];
    private int charCount;

    /** A cursor before the first event of {@code utf8} (LibYAML must be {@linkplain LibYamlParser#available() available}). */
    LibYamlEvents(byte[] utf8) {
        this(utf8, 0, utf8.length);
    }

    /** A cursor before the first event of the UTF-8 text {@code utf8[from, to)}, copied to native memory. */
    LibYamlEvents(byte[] utf8, int from, int to) {
        int length = to - from;
        parser = arena.allocate(LibYamlParser.PARSER_SIZE, 8);
        event = arena.allocate(LibYamlParser.EVENT_SIZE, 8);
        MemorySegment input = arena.allocate(length + 1L);
        MemorySegment.copy(utf8, from, input, JAVA_BYTE, 0, length);
        try {
            if ((int) LibYaml.INITIALIZE.invokeExact(parser) == 0) {
                arena.close();
                freed = true;
                throw new LibYamlParser.LibYamlException("yaml_parser_initialize failed (out of memory)");
            }
            LibYaml.SET_INPUT_STRING.invokeExact(parser, input, (long) length);
        } catch (LibYamlParser.LibYamlException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("libyaml", t);
        }
    }

    @Override
    public int next() {
        try {
            release();
            if ((int) LibYaml.PARSE.invokeExact(parser, event) == 0) {
                throw new LibYamlParser.LibYamlException("libyaml: not valid YAML");
            }
            holdsEvent = true;
            type = event.get(JAVA_INT, LibYamlParser.EVENT_TYPE);
            return type;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("libyaml", t);
        }
    }

    @Override
    public boolean decorated() {
        return event.get(JAVA_LONG, LibYamlParser.EVENT_ANCHOR) != 0 || event.get(JAVA_LONG, LibYamlParser.EVENT_TAG) != 0;
    }

    @Override
    public int scalarStyle() {
        return event.get(JAVA_INT, LibYamlParser.SCALAR_STYLE);
    }

    @Override
    public String scalar() {
        int n = Math.toIntExact(event.get(JAVA_LONG, LibYamlParser.SCALAR_LENGTH));
        if (n == 0) {
            return "";
        }
        if (scratch.length < n) {
            scratch = new byte[Math.max(n, 2 * scratch.length)];
        }
        MemorySegment.copy(LibYaml.NATIVE, JAVA_BYTE, event.get(JAVA_LONG, LibYamlParser.SCALAR_VALUE), scratch, 0, n);
        return new String(scratch, 0, n, StandardCharsets.UTF_8);
    }

    /** The current scalar's text, decoded into a buffer of this cursor's (valid until the next event). */
    @Override
    public char[] scalarChars() {
        int n = Math.toIntExact(event.get(JAVA_LONG, LibYamlParser.SCALAR_LENGTH));
        if (chars.length < n) {
            chars = new char[Math.max(n, 2 * chars.length)];
        }
        long at = event.get(JAVA_LONG, LibYamlParser.SCALAR_VALUE);
        int i = 0;
        for (; i < n; i++) {
            byte b = LibYaml.NATIVE.get(JAVA_BYTE, at + i);
            if (b < 0) {
                break; // not ASCII: decoded as UTF-8 below
            }
            chars[i] = (char) b;
        }
        if (i < n) {
            String text = scalar();
            if (chars.length < text.length()) {
                chars = new char[text.length()];
            }
            text.getChars(0, text.length(), chars, 0);
            n = text.length();
        }
        charCount = n;
        return chars;
    }

    @Override
    public int scalarOffset() {
        return 0;
    }

    /** The length of the text {@link #scalarChars} decoded last. */
    @Override
    public int scalarLength() {
        return charCount;
    }

    private void release() throws Throwable {
        if (holdsEvent) {
            holdsEvent = false;
            if (ownsMemory(type, event)) {
                LibYaml.EVENT_DELETE.invokeExact(event);
            }
        }
    }

    /**
     * Whether {@code event}, of type {@code type}, holds memory of LibYAML's that {@code yaml_event_delete} frees: a
     * scalar (its text), an alias, a document start, a collection start with an anchor or a tag. A collection's end, a
     * stream's start or end and a document's end hold none, and {@code yaml_parser_parse} clears the event it fills:
     * no downcall for them (about a third of a manifest's events).
     */
    static boolean ownsMemory(int type, MemorySegment event) {
        return switch (type) {
            case LibYamlParser.MAPPING_START, LibYamlParser.SEQUENCE_START -> event.get(JAVA_LONG, LibYamlParser.EVENT_ANCHOR) != 0
                    || event.get(JAVA_LONG, LibYamlParser.EVENT_TAG) != 0;
            case LibYamlParser.MAPPING_END, LibYamlParser.SEQUENCE_END, LibYamlParser.STREAM_START,
                 LibYamlParser.STREAM_END, LibYamlParser.DOCUMENT_END -> false;
            default -> true;
        };
    }

    @Override
    public void close() {
        if (!freed) {
            freed = true;
            try {
                release();
                LibYaml.DELETE.invokeExact(parser);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("libyaml", t);
            } finally {
                arena.close();
            }
        }
    }
}

package io.sluice.agent.source;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LibYAML's parser functions ({@code libyaml-0.so.2}), bound through FFM; the layouts and constants are
 * {@link LibYamlParser}'s. A class of their own so that reading LibYAML's events directly ({@link LibYamlEvents})
 * loads none of Jackson's parser classes, which {@link LibYamlParser} extends.
 */
final class LibYaml {
    private static final Logger LOG = LoggerFactory.getLogger(LibYaml.class);

    /** All of memory, to read the strings LibYAML's events point to by their address. */
    static final MemorySegment NATIVE = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    static final MethodHandle INITIALIZE;
    static final MethodHandle SET_INPUT_STRING;
    static final MethodHandle PARSE;
    static final MethodHandle EVENT_DELETE;
    static final MethodHandle DELETE;
    /** Why LibYAML cannot be used (library not found), or null. */
    private static final String UNAVAILABLE;

    static {
        MethodHandle initialize = null;
        MethodHandle setInput = null;
        MethodHandle parse = null;
        MethodHandle eventDelete = null;
        MethodHandle delete = null;
        String unavailable = null;
        try {
            SymbolLookup lib = SymbolLookup.libraryLookup("libyaml-0.so.2", Arena.global());
            Linker linker = Linker.nativeLinker();
            // Short calls that never block or call back: no thread-state transition.
            Linker.Option critical = Linker.Option.critical(false);
            initialize = linker.downcallHandle(lib.findOrThrow("yaml_parser_initialize"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS), critical);
            setInput = linker.downcallHandle(lib.findOrThrow("yaml_parser_set_input_string"),
                    FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG), critical);
            parse = linker.downcallHandle(lib.findOrThrow("yaml_parser_parse"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), critical);
            eventDelete = linker.downcallHandle(lib.findOrThrow("yaml_event_delete"),
                    FunctionDescriptor.ofVoid(ADDRESS), critical);
            delete = linker.downcallHandle(lib.findOrThrow("yaml_parser_delete"),
                    FunctionDescriptor.ofVoid(ADDRESS), critical);
        } catch (IllegalArgumentException | java.util.NoSuchElementException | UnsupportedOperationException
                 | IllegalCallerException e) {
            unavailable = e.toString();
        }
        INITIALIZE = initialize;
        SET_INPUT_STRING = setInput;
        PARSE = parse;
        EVENT_DELETE = eventDelete;
        DELETE = delete;
        UNAVAILABLE = unavailable;
        if (unavailable != null) {
            LOG.info("LibYAML (libyaml-0.so.2) not usable ({}); manifests are parsed with snakeyaml-engine alone",
                    unavailable);
        }
    }

    private LibYaml() {
    }

    /** Whether LibYAML was found; without it the manifest source parses with snakeyaml-engine alone. */
    static boolean available() {
        return UNAVAILABLE == null;
    }

    /** Why LibYAML cannot be used, or null. */
    static String whyUnavailable() {
        return UNAVAILABLE;
    }
}

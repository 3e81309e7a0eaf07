package io.sluice.agent.source;

import static java.util.Objects.requireNonNullElse;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListMeta;
import io.fabric8.kubernetes.api.model.ServiceList;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceList;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.model.ResourceKind;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectReader;

/**
 * fabric8's serialization, reading a watch event of a kind the agent watches in one pass, and a list page of Services
 * or EndpointSlices straight to the compact objects the informers' store keeps.
 *
 * <p>Why: fabric8 reads each watch event's {@code object} as a JSON tree, finds its class by {@code apiVersion} and
 * {@code kind}, then binds the tree. A real API server's objects carry {@code metadata.managedFields}, a tree as large
 * as the object (one key per endpoint of a slice): at 1,000 EndpointSlice updates a second those trees were most of
 * the agent's allocation, and the collector's pauses held the watch behind by 80-400 ms. Here the object's fields are
 * read until {@code apiVersion} and {@code kind} are known (the API server writes them first), then the rest of the
 * same parser is bound to the model class by fabric8's own configured mapper (with the fields read replayed in front
 * of it when anything else came before those two), which reads past {@code managedFields}
 * ({@link KubernetesSource#serialization()}); in the API server's compact form they are cut out of the text before
 * the parse even reads their names ({@link ManagedFieldsCut}). Anything else - another kind, an ERROR event's
 * {@code Status}, a field other than {@code type} and {@code object}, a document that fails here - is left to
 * fabric8's own parse, so what it accepts, refuses and reports is unchanged. A Service or EndpointSlice is bound compact
 * as a list's items are (below), or, when the compact binder does not take it, the event is read again as above.
 *
 * <p>A list of Services or EndpointSlices (an informer's list page) is read item by item straight to the compact
 * objects the informer's store keeps ({@link CompactServiceBinder#bindListItem}, an IPv4 slice of the common shape
 * packed), without fabric8's bean deserializers, its {@code managedFields}, or the store's reflective compaction
 * ({@link ModelCompactor}) of what they built: those were most of the vert.x event loop's CPU in the agent's start,
 * and their garbage outgrew the young generation. Any page with something it does not bind (another field, an
 * unusual item, a document that fails here) is read again from its start by fabric8's parse, as a whole. A page that
 * {@link ArrivingListPages} kept as it arrived comes as a token naming it ({@link ArrivingPage#claim}), and is read
 * from where it was kept; a body read whole that ends in such a token is claimed by every parse of a stream, whatever
 * type it is parsed as.
 *
 * <p>Thread-safe: mappers and readers are.
 */
final class WatchEventSerialization extends KubernetesSerialization {
    /**
     * fabric8's configured mapper, captured while the superclass constructor configures it. Deliberately without an
     * initializer: one would run after that constructor and erase it.
     */
    private ObjectMapper configured;
    /** {@link #objectOf}'s answer for an object the compact binder does not take: the event is read again. */
    private static final KubernetesResource DECLINED = new GenericKubernetesResource();
    /** The answer of a read that the compact binder declined: read again without it. */
    private static final WatchEvent NOT_COMPACT = new WatchEvent();
    private final ObjectReader[] readers = new ObjectReader[ResourceKind.values().length];
    private final ObjectReader listMetaReader;

    WatchEventSerialization(ObjectMapper base) {
        super(base, false);
        for (ResourceKind kind : ResourceKind.values()) {
            readers[kind.ordinal()] = configured.readerFor(kind.type());
        }
        listMetaReader = configured.readerFor(ListMeta.class);
    }

    @Override
    protected ObjectMapper configureMapper(ObjectMapper base) {
        ObjectMapper mapper = super.configureMapper(base);
        configured = mapper;
        return mapper;
    }

    @Override
    public <T> T unmarshal(String str, Class<T> type) {
        if (type == WatchEvent.class) {
            WatchEvent event = watchEventOf(str);
            if (event != null) {
                return type.cast(event);
            }
        }
        return super.unmarshal(str, type);
    }

    /**
     * Also fabric8's {@code unmarshal(InputStream)} and {@code unmarshal(InputStream, Class)}, which come here. A kept
     * list page's token is claimed whatever the type asked for (a generic list of Services, say): only a list of the
     * page's kind is read compact, any other type by fabric8's parse of the page's bytes.
     */
    @Override
    public <T> T unmarshal(InputStream in, TypeReference<T> type) {
        ResourceKind kind = type.getType() == ServiceList.class ? ResourceKind.SERVICE
                : type.getType() == EndpointSliceList.class ? ResourceKind.ENDPOINT_SLICE : null;
        ArrivingPage page = null;
        if (in instanceof ByteArrayInputStream bytes) { // fabric8's body read whole
            try {
                page = ArrivingPage.claim(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException("reading a list page", e);
            }
        }
        if (page != null) {
            return page.list(bytes -> kind != null ? listOf(bytes, kind, type) : super.unmarshal(bytes, type));
        }
        return kind != null && in.markSupported() ? listOf(in, kind, type) : super.unmarshal(in, type);
    }

    /**
     * The list page of {@code kind} (Services or EndpointSlices, {@code type}'s) in {@code in}, which supports mark: each
     * item compact, or, when the compact binder declines anything in it, as fabric8's parse reads it from the start.
     */
    private <T> T listOf(InputStream in, ResourceKind kind, TypeReference<T> type) {
        in.mark(Integer.MAX_VALUE);
        KubernetesResourceList<?> list = compactListOf(in, kind);
        if (list != null) {
            @SuppressWarnings("unchecked") // the list class type names
            T typed = (T) list;
            return typed;
        }
        try {
            in.reset();
        } catch (IOException e) {
            throw new UncheckedIOException("rereading a list page", e);
        }
        return super.unmarshal(in, type);
    }

    /**
     * The list of {@code kind} (Services or EndpointSlices) in {@code in}, each item compact, or null when anything in
     * it is left to fabric8's parse.
     */
    private KubernetesResourceList<?> compactListOf(InputStream in, ResourceKind kind) {
        try (JsonParser parser = configured.createParser(new Unclosed(in))) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String apiVersion = null;
            String listKind = null;
            ListMeta meta = null;
            List<HasMetadata> items = null;
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (name.equals("apiVersion") && value == JsonToken.VALUE_STRING && apiVersion == null) {
                    apiVersion = parser.getString();
                } else if (name.equals("kind") && value == JsonToken.VALUE_STRING && listKind == null) {
                    listKind = parser.getString();
                } else if (name.equals("metadata") && value == JsonToken.START_OBJECT && meta == null) {
                    meta = listMetaReader.readValue(parser);
                } else if (name.equals("items") && value == JsonToken.START_ARRAY && items == null) {
                    items = new ArrayList<>();
                    while (parser.nextToken() == JsonToken.START_OBJECT) {
                        HasMetadata item = CompactServiceBinder.bindListItem(parser, kind);
                        if (item == null) {
                            return null;
                        }
                        items.add(item);
                    }
                    if (parser.currentToken() != JsonToken.END_ARRAY) {
                        return null;
                    }
                } else {
                    return null;
                }
            }
            if (parser.currentToken() != JsonToken.END_OBJECT || parser.nextToken() != null || items == null) {
                return null;
            }
            // As fabric8's parse leaves a list: the fields the page had, the others as the list's constructor sets them.
            if (kind == ResourceKind.SERVICE) {
                ServiceList defaults = new ServiceList();
                return new ServiceList(requireNonNullElse(apiVersion, defaults.getApiVersion()), itemsOf(items),
                        requireNonNullElse(listKind, defaults.getKind()), meta);
            }
            EndpointSliceList defaults = new EndpointSliceList();
            return new EndpointSliceList(requireNonNullElse(apiVersion, defaults.getApiVersion()), itemsOf(items),
                    requireNonNullElse(listKind, defaults.getKind()), meta);
        } catch (JacksonException e) {
            return null; // fabric8's parse decides and reports
        }
    }

    @SuppressWarnings("unchecked") // each item is of the list's kind (CompactServiceBinder.bindListItem checked it)
    private static <T> List<T> itemsOf(List<HasMetadata> items) {
        return (List<T>) (List<?>) items;
    }

    /** A list page's stream, left open by the parse, so that fabric8's parse can read it again from its mark. */
    private static final class Unclosed extends FilterInputStream {
        Unclosed(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
            // the caller's
        }
    }

    /** The watch event in {@code message} when it is {@code type} and an object of a watched kind, else null. */
    WatchEvent watchEventOf(String message) {
        WatchEvent event = watchEventOf(message, true);
        return event != NOT_COMPACT ? event : watchEventOf(message, false);
    }

    /**
     * As {@link #watchEventOf(String)}, a Service or EndpointSlice bound compact when {@code compact}; else, and for
     * one the compact binder does not take ({@link #NOT_COMPACT}), by fabric8's bean deserializers.
     */
    private WatchEvent watchEventOf(String message, boolean compact) {
        ManagedFieldsCut withoutManagedFields = ManagedFieldsCut.of(message);
        try (JsonParser parser = withoutManagedFields == null ? configured.createParser(message)
                : configured.createParser(withoutManagedFields)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String type = null;
            KubernetesResource object = null;
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (name.equals("type") && value == JsonToken.VALUE_STRING && type == null) {
                    type = parser.getString();
                } else if (name.equals("object") && value == JsonToken.START_OBJECT && object == null) {
                    object = objectOf(parser, compact);
                    if (object == null || object == DECLINED) {
                        return object == null ? null : NOT_COMPACT;
                    }
                } else {
                    return null;
                }
            }
            return type != null && object != null && parser.nextToken() == null ? new WatchEvent(object, type) : null;
        } catch (JacksonException e) {
            return null; // fabric8's parse decides and reports
        }
    }

    /**
     * The object that starts at {@code parser}'s current START_OBJECT, bound, or null when it is not a watched kind or
     * is left to fabric8's parse.
     */
    private KubernetesResource objectOf(JsonParser parser, boolean compact) {
        ObjectHeader header = ObjectHeader.read(parser);
        ResourceKind kind = header == null ? null : ResourceKind.of(header.apiVersion(), header.kind());
        if (kind == null) {
            return null;
        }
        ObjectReader reader = readers[kind.ordinal()];
        if (!header.identityFirst()) {
            return (KubernetesResource) reader.readValue(header.whole(parser));
        }
        // The rest straight from the parser: a replay puts every token of the object through a delegating parser,
        // which reads property names without the parser's own matching (a third of the parse's CPU, and code the
        // list's parse has not compiled). The model's apiVersion and kind are its class's own, those read.
        if (parser.nextToken() != JsonToken.PROPERTY_NAME) {
            return null;
        }
        if (compact && (kind == ResourceKind.SERVICE || kind == ResourceKind.ENDPOINT_SLICE)) {
            // Compact as the informer's store keeps it, a slice packed: the store then shares what did not change
            // with the version it holds, which came compact from the list.
            HasMetadata bound = CompactServiceBinder.bindRestOf(parser, kind);
            return bound != null ? bound : DECLINED;
        }
        Object object = reader.readValue(parser);
        return object instanceof HasMetadata bound && header.apiVersion().equals(bound.getApiVersion())
                && header.kind().equals(bound.getKind()) ? bound : null;
    }
}

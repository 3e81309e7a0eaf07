package io.sluice.agent.source;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.sluice.servicelb.PackedEndpointSlice;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Shrinks parsed fabric8 model objects in place: every empty {@code Map} or {@code List} field (fabric8 gives each
 * object an {@code additionalProperties} map and empty collections for absent fields) becomes the shared immutable
 * empty one, and other lists become immutable copies (an endpoint's one address: no {@code ArrayList} and array
 * of its own). At 10,000 Services with 10 endpoints each that was 475,000 empty {@code LinkedHashMap}s, 30 MB or a
 * quarter of the agent's live heap.
 *
 * <p>A map of one String to a String (a Service's selector, an EndpointSlice's service-name label: most labels,
 * annotations and selectors) becomes {@code Map.of(key, value)}, 24 bytes against ~170 for fabric8's
 * {@code LinkedHashMap}, its key shared; with one entry there is no order to lose, so its YAML stays the same.
 *
 * <p>Values that thousands of objects repeat are shared: the strings of the fields in {@link #REPEATED_STRINGS}
 * ({@code apiVersion}, {@code kind}, namespaces, protocols, port names, ...) and the small leaf objects of
 * {@link #REPEATED_LEAVES} (every ready endpoint's conditions, a slice's ports), each equal value held once. The
 * tables that share them are bounded ({@link #MAX_SHARED}), so unusual input cannot grow them without limit.
 *
 * <p>Only for objects the agent reads and never changes afterwards: a compacted object's empty collections are
 * immutable (fabric8's builders copy them, so {@code new ServiceBuilder(service)} still works). Equality and hash
 * codes do not change: an empty map equals any other empty map.
 *
 * <p>Thread-safe for distinct objects: the per-class field tables are built once per class ({@link ClassValue}).
 */
final class ModelCompactor {
    /** fabric8's model classes: only these are walked, so the compactor never wanders into other objects. */
    private static final String MODEL_PACKAGE = "io.fabric8.kubernetes.api.model";
    /** String fields whose values repeat across objects, by field name (names, addresses and uids do not). */
    private static final Set<String> REPEATED_STRINGS = Set.of("apiVersion", "kind", "namespace", "protocol",
            "appProtocol", "addressType", "type", "sessionAffinity", "ipFamilyPolicy", "internalTrafficPolicy",
            "externalTrafficPolicy", "nodeName", "zone", "portName");
    /** Leaf classes (scalar fields only) that nothing changes once parsed: equal instances are shared. */
    private static final Set<String> REPEATED_LEAVES = Set.of(
            MODEL_PACKAGE + ".discovery.v1.EndpointConditions", MODEL_PACKAGE + ".discovery.v1.EndpointPort");
    /** Most distinct values each sharing table holds; later new values are kept as parsed. */
    static final int MAX_SHARED = 4096;
    /** The agent's shared strings: of {@link #compact} and of the binders that build compact objects. */
    private static final SharedStrings STRINGS = new SharedStrings(MAX_SHARED);
    private static final ConcurrentHashMap<Object, Object> SHARED_LEAVES = new ConcurrentHashMap<>();

    /** Per model class, its String fields whose values repeat (see {@link #REPEATED_STRINGS}). */
    private static final ClassValue<Field[]> REPEATED_STRING_FIELDS = fieldTable(
            type -> type == String.class, name -> REPEATED_STRINGS.contains(name));
    /** Per model class, the fields that may hold collections or model objects. */
    private static final ClassValue<Field[]> FIELDS = fieldTable(
            type -> !type.isPrimitive() && type != String.class && !type.isEnum(), name -> true);
    /** Per model class, every field that holds a reference (strings included). */
    private static final ClassValue<Field[]> REFERENCE_FIELDS = fieldTable(type -> !type.isPrimitive(), name -> true);

    /** The shared empty map {@link #compact} puts where an empty map was. */
    private static final Map<?, ?> EMPTY_MAP = Map.of();

    private ModelCompactor() {
    }

    /** Compacts {@code object} and everything of fabric8's model reachable from it. Returns {@code object}. */
    static <T> T compact(T object) {
        visit(object, 0);
        return object;
    }

    /**
     * Whether {@code object} is compact already, as {@link #compact} or a binder of compact objects
     * ({@link CompactServiceBinder}) leaves it, so that compacting it again would only cost a walk and new copies of
     * its immutable lists: its metadata's additional properties are the shared empty map those leave, where fabric8's
     * parse gives every {@code ObjectMeta} a map of its own.
     */
    static boolean isCompact(HasMetadata object) {
        ObjectMeta meta = object.getMetadata();
        return meta != null && meta.getAdditionalProperties() == EMPTY_MAP;
    }

    /**
     * The instance {@link #compact} leaves in a field whose values repeat (see {@link #REPEATED_STRINGS}) or as a
     * one-entry map's key, for binders that build objects already compact; null stays null.
     */
    static String sharedString(String value) {
        return value == null ? null : STRINGS.of(value);
    }

    /**
     * As {@link #sharedString(String)} for the text {@code chars[from, from + length)}, making no String when the same
     * text was shared lately (the namespaces, kinds, node names and protocols that every object of a list repeats).
     */
    static String sharedString(char[] chars, int from, int length) {
        return STRINGS.of(chars, from, length);
    }

    /**
     * Equal strings held once: the first {@code capacity} distinct ones looked up are held, any later new one is given
     * back as it is, so that unusual input cannot grow the table without limit. The agent has one
     * ({@link #sharedString}); a test makes its own to know what it holds.
     */
    static final class SharedStrings {
        /** Slots of {@link #recent}: a power of two. */
        private static final int RECENT_SLOTS = 256;

        private final int capacity;
        private final ConcurrentHashMap<String, String> table = new ConcurrentHashMap<>();
        /**
         * Strings {@link #of(char[], int, int)} gave lately, by a hash of their text (one per slot, the last one
         * wins): a binder's repeated text finds its String without one being made to look it up. Racy on purpose: a
         * String is immutable and safely published through its final fields, and a lost write is only a miss.
         */
        private final String[] recent = new String[RECENT_SLOTS];

        SharedStrings(int capacity) {
            this.capacity = capacity;
        }

        /** The held string equal to {@code value}; {@code value} itself when it is the first or the table is full. */
        String of(String value) {
            return shared(table, capacity, value);
        }

        /** As {@link #of(String)} for the text {@code chars[from, from + length)}. */
        String of(char[] chars, int from, int length) {
            int hash = 0;
            for (int i = from; i < from + length; i++) {
                hash = 31 * hash + chars[i];
            }
            int slot = (hash ^ hash >>> 16) & RECENT_SLOTS - 1;
            String lately = recent[slot];
            if (lately != null && lately.length() == length && hash == lately.hashCode()
                    && sameText(lately, chars, from)) {
                return lately;
            }
            String shared = of(new String(chars, from, length));
            recent[slot] = shared;
            return shared;
        }

        private static boolean sameText(String text, char[] chars, int from) {
            for (int i = 0; i < text.length(); i++) {
                if (text.charAt(i) != chars[from + i]) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * The instance {@link #compact} leaves for {@code leaf}, an already compact object of one of the
     * {@link #REPEATED_LEAVES} classes (an EndpointSlice's port, an endpoint's conditions), for binders that build
     * objects already compact.
     */
    static <T> T sharedLeafOf(T leaf) {
        if (!REPEATED_LEAVES.contains(leaf.getClass().getName())) {
            throw new IllegalArgumentException(leaf.getClass().getName() + " is not a shared leaf class");
        }
        @SuppressWarnings("unchecked") // an equal instance of the same class: equals of fabric8's model checks it
        T known = (T) shared(SHARED_LEAVES, MAX_SHARED, leaf);
        return known;
    }

    /**
     * Makes {@code fresh}, a new version of {@code previous} that nobody else holds yet (just parsed and compacted),
     * refer to {@code previous}'s instances wherever a value is equal: strings, lists, maps and model objects, list
     * elements matched by equality wherever they are in the list. An EndpointSlice whose one endpoint moved then
     * holds its other endpoints as the previous version did, so the objects this version parsed for them die young
     * instead of being carried into the old generation with the version that is kept until the next change (~3 KB
     * per 10-endpoint slice, 3 MB/s under 1,000 changes/s).
     *
     * <p>Nothing is changed in {@code previous}, and {@code fresh} stays equal to what it was (equal values only are
     * swapped in). An {@code ObjectMeta} is never taken whole, only its parts: sources set a new version's
     * {@code resourceVersion} in place. Returns {@code fresh}.
     */
    static <T> T shareUnchanged(T fresh, Object previous) {
        share(fresh, previous, 0);
        return fresh;
    }

    private static void share(Object fresh, Object previous, int depth) {
        if (fresh == null || previous == null || fresh == previous || fresh.getClass() != previous.getClass()
                || depth > 32 || !isModel(fresh.getClass()) || REPEATED_LEAVES.contains(fresh.getClass().getName())) {
            return; // a shared leaf is other objects' too: never written to
        }
        for (Field field : REFERENCE_FIELDS.get(fresh.getClass())) {
            Object mine = get(field, fresh);
            Object theirs = get(field, previous);
            if (mine == null || theirs == null || mine == theirs) {
                continue;
            }
            if (!(mine instanceof ObjectMeta) && mine.equals(theirs)) {
                set(field, fresh, theirs);
            } else if (mine instanceof List<?> list && theirs instanceof List<?> before) {
                set(field, fresh, sharedElements(list, before, depth));
            } else {
                share(mine, theirs, depth + 1);
            }
        }
    }

    /**
     * {@code list} with each element equal to one of {@code before} replaced by that one (each of {@code before}'s
     * used once) and the others sharing what they can with {@code before}'s element at their index; {@code list}
     * itself when nothing was replaced or it holds a null.
     */
    private static List<?> sharedElements(List<?> list, List<?> before, int depth) {
        Map<Object, Object> previous = new HashMap<>(before.size() * 2);
        for (Object element : before) {
            if (element != null) {
                previous.putIfAbsent(element, element);
            }
        }
        Object[] elements = list.toArray();
        boolean replaced = false;
        for (int i = 0; i < elements.length; i++) {
            if (elements[i] == null) {
                return list;
            }
            Object same = previous.remove(elements[i]);
            if (same != null) {
                replaced |= same != elements[i];
                elements[i] = same;
            } else if (i < before.size()) {
                share(elements[i], before.get(i), depth + 1);
            }
        }
        return replaced ? List.of(elements) : list;
    }

    private static void visit(Object object, int depth) {
        if (object == null || depth > 32 || !isModel(object.getClass())) {
            return;
        }
        for (Field field : REPEATED_STRING_FIELDS.get(object.getClass())) {
            if (get(field, object) instanceof String value) {
                set(field, object, STRINGS.of(value));
            }
        }
        for (Field field : FIELDS.get(object.getClass())) {
            Object value = get(field, object);
            if (value instanceof Map<?, ?> map) {
                if (map.isEmpty()) {
                    set(field, object, Map.of());
                } else if (map.size() == 1 && map.entrySet().iterator().next() instanceof Map.Entry<?, ?> only
                        && only.getKey() instanceof String key && only.getValue() instanceof String text) {
                    set(field, object, Map.of(STRINGS.of(key), text));
                } else {
                    for (Object v : map.values()) {
                        visit(v, depth + 1);
                    }
                }
            } else if (value instanceof List<?> list) {
                if (list.isEmpty()) {
                    set(field, object, List.of());
                } else {
                    visitAll(list, depth);
                    set(field, object, immutableCopy(list));
                }
            } else if (value instanceof Collection<?> collection) {
                visitAll(collection, depth);
            } else if (value != null) {
                visit(value, depth + 1);
                set(field, object, sharedLeaf(value));
            }
        }
    }

    /**
     * A per-class table of the instance fields, declared or inherited, that are neither static nor final and whose type
     * and name pass the tests; a field we may not make accessible stays as fabric8 made it.
     */
    private static ClassValue<Field[]> fieldTable(Predicate<Class<?>> type, Predicate<String> name) {
        return new ClassValue<>() {
            @Override
            protected Field[] computeValue(Class<?> model) {
                List<Field> fields = new ArrayList<>();
                for (Class<?> c = model; c != null && c != Object.class; c = c.getSuperclass()) {
                    for (Field f : c.getDeclaredFields()) {
                        int m = f.getModifiers();
                        if (!Modifier.isStatic(m) && !Modifier.isFinal(m) && type.test(f.getType())
                                && name.test(f.getName()) && f.trySetAccessible()) {
                            fields.add(f);
                        }
                    }
                }
                return fields.toArray(new Field[0]);
            }
        };
    }

    private static Object get(Field field, Object object) {
        try {
            return field.get(object);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("field " + field + " was made accessible", e);
        }
    }

    private static void set(Field field, Object object, Object value) {
        if (!field.getType().isInstance(value)) {
            return; // a field declared as LinkedHashMap or ArrayList keeps its own (empty) instance
        }
        try {
            field.set(object, value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("field " + field + " was made accessible", e);
        }
    }

    /** {@code list} as an immutable list of shared leaves; {@code list} itself when it holds a null (List.of cannot). */
    private static List<?> immutableCopy(List<?> list) {
        Object[] elements = list.toArray();
        for (int i = 0; i < elements.length; i++) {
            if (elements[i] == null) {
                return list;
            }
            elements[i] = sharedLeaf(elements[i]);
        }
        return List.of(elements);
    }

    /** The shared instance equal to {@code value} when it is of a leaf class in {@link #REPEATED_LEAVES}. */
    private static Object sharedLeaf(Object value) {
        return REPEATED_LEAVES.contains(value.getClass().getName()) ? shared(SHARED_LEAVES, MAX_SHARED, value) : value;
    }

    private static <T> T shared(ConcurrentHashMap<T, T> table, int capacity, T value) {
        T known = table.get(value);
        if (known != null) {
            return known;
        }
        if (table.size() >= capacity) {
            return value;
        }
        known = table.putIfAbsent(value, value);
        return known == null ? value : known;
    }

    private static void visitAll(Collection<?> values, int depth) {
        for (Object v : values) {
            visit(v, depth + 1);
        }
    }

    /** fabric8's model classes, and the packed slice, which is one of them held otherwise. */
    private static boolean isModel(Class<?> type) {
        return type.getName().startsWith(MODEL_PACKAGE) || type == PackedEndpointSlice.class;
    }
}

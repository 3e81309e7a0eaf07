package io.sluice.agent.source;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Shrinks parsed fabric8 model objects in place: every empty {@code Map} or {@code List} field (fabric8 gives each
 * object an {@code additionalProperties} map and empty collections for absent fields) becomes the shared immutable
 * empty one, and lists are trimmed to their size. At 10,000 Services with 10 endpoints each that was 475,000 empty
 * {@code LinkedHashMap}s, 30 MB or a quarter of the agent's live heap.
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

    private static final ClassValue<Field[]> FIELDS = new ClassValue<>() {
        @Override
        protected Field[] computeValue(Class<?> type) {
            List<Field> fields = new ArrayList<>();
            for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    int m = f.getModifiers();
                    if (Modifier.isStatic(m) || Modifier.isFinal(m) || f.getType().isPrimitive()
                            || f.getType() == String.class || f.getType().isEnum()) {
                        continue;
                    }
                    if (f.trySetAccessible()) { // one we may not touch stays as fabric8 made it
                        fields.add(f);
                    }
                }
            }
            return fields.toArray(new Field[0]);
        }
    };

    private ModelCompactor() {
    }

    /** Compacts {@code object} and everything of fabric8's model reachable from it. Returns {@code object}. */
    static <T> T compact(T object) {
        visit(object, 0);
        return object;
    }

    private static void visit(Object object, int depth) {
        if (object == null || depth > 32 || !isModel(object.getClass())) {
            return;
        }
        for (Field field : FIELDS.get(object.getClass())) {
            Object value = get(field, object);
            if (value instanceof Map<?, ?> map) {
                if (map.isEmpty()) {
                    set(field, object, Map.of());
                } else {
                    for (Object v : map.values()) {
                        visit(v, depth + 1);
                    }
                }
            } else if (value instanceof List<?> list) {
                if (list.isEmpty()) {
                    set(field, object, List.of());
                } else {
                    if (list instanceof ArrayList<?> arrayList) {
                        arrayList.trimToSize();
                    }
                    visitAll(list, depth);
                }
            } else if (value instanceof Collection<?> collection) {
                visitAll(collection, depth);
            } else if (value != null) {
                visit(value, depth + 1);
            }
        }
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

    private static void visitAll(Collection<?> values, int depth) {
        for (Object v : values) {
            visit(v, depth + 1);
        }
    }

    private static boolean isModel(Class<?> type) {
        return type.getName().startsWith(MODEL_PACKAGE);
    }
}

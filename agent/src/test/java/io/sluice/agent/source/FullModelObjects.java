package io.sluice.agent.source;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * fabric8 model objects with every property of their tree set (through the model's setters, found by reflection):
 * strings, numbers, booleans, {@link IntOrString} and {@link Quantity}, one element in each list and one entry in each
 * map, nested objects built the same way. A class already being filled higher up the tree (a recursive model) is left
 * unset there. {@code variant} varies the values, so that two objects of one class differ.
 */
final class FullModelObjects {
    private final int variant;
    private final Deque<Class<?>> filling = new ArrayDeque<>();
    /** How many properties were set, for a test to check that its object is not nearly empty. */
    private int propertiesSet;

    private FullModelObjects(int variant) {
        this.variant = variant;
    }

    /** An instance of {@code type} with every property of its tree set. */
    static <T> T of(Class<T> type, int variant) {
        return type.cast(new FullModelObjects(variant).object(type));
    }

    /** How many properties {@link #of} sets in an object of {@code type}. */
    static int propertiesOf(Class<?> type) {
        FullModelObjects objects = new FullModelObjects(0);
        objects.object(type);
        return objects.propertiesSet;
    }

    private Object object(Class<?> type) {
        filling.push(type);
        try {
            Constructor<?> constructor = type.getConstructor();
            Object object = constructor.newInstance();
            for (Method setter : type.getMethods()) {
                if (!setter.getName().startsWith("set") || setter.getParameterCount() != 1
                        || Modifier.isStatic(setter.getModifiers()) || setter.getName().startsWith("setAdditionalPropert")) {
                    continue;
                }
                Object value = value(setter.getGenericParameterTypes()[0], setter.getName().substring(3));
                if (value != null) {
                    setter.invoke(object, value);
                    propertiesSet++;
                }
            }
            return object;
        } catch (NoSuchMethodException | InstantiationException | IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot fill " + type.getName() + ": " + e, e);
        } finally {
            filling.pop();
        }
    }

    /** A value of {@code type} for property {@code name}, or null to leave it unset. */
    private Object value(Type type, String name) {
        if (type instanceof ParameterizedType parameterized && parameterized.getRawType() instanceof Class<?> raw) {
            Type[] arguments = parameterized.getActualTypeArguments();
            if (List.class.isAssignableFrom(raw)) {
                Object element = value(arguments[0], name);
                return element == null ? null : new ArrayList<>(List.of(element));
            }
            if (Map.class.isAssignableFrom(raw) && arguments[0] == String.class) {
                Object entry = value(arguments[1], name);
                if (entry == null) {
                    return null;
                }
                Map<String, Object> map = new LinkedHashMap<>();
                map.put("key-" + variant, entry);
                return map;
            }
            return null;
        }
        if (!(type instanceof Class<?> c)) {
            return null;
        }
        if (c == String.class) {
            return name + "-" + variant;
        }
        if (c == Integer.class || c == int.class) {
            return 3 + variant;
        }
        if (c == Long.class || c == long.class) {
            return 5L + variant;
        }
        if (c == Boolean.class || c == boolean.class) {
            return variant % 2 == 0;
        }
        if (c == Double.class || c == double.class) {
            return 1.5 + variant;
        }
        if (c == IntOrString.class) {
            return variant % 2 == 0 ? new IntOrString(8080 + variant) : new IntOrString("http-" + variant);
        }
        if (c == Quantity.class) {
            return new Quantity((100 + variant) + "m");
        }
        if (c.getName().startsWith("io.fabric8.kubernetes.api.model.") && !c.isInterface()
                && !Modifier.isAbstract(c.getModifiers()) && !c.isEnum() && !filling.contains(c)) {
            return object(c);
        }
        return null;
    }
}

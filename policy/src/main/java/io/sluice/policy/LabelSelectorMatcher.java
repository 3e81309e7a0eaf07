package io.sluice.policy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A validated Kubernetes label selector in normal form: {@code matchLabels} become {@code In}
 * requirements with one value, requirements are sorted and values deduplicated, so two selectors that
 * select the same way are {@code equals} and share one entry in the {@link SelectorCache}.
 * All requirements must hold (AND); the empty selector matches every label set.
 *
 * @param requirements sorted requirements, all of which must match
 */
public record LabelSelectorMatcher(List<Requirement> requirements) {

    /** The selector that matches everything ({@code {}}). */
    public static final LabelSelectorMatcher ALL = new LabelSelectorMatcher(List.of());

    public LabelSelectorMatcher {
        requirements = List.copyOf(requirements);
    }

    /** Set-based selector operators of the Kubernetes API. */
    public enum Operator {
        IN("In"), NOT_IN("NotIn"), EXISTS("Exists"), DOES_NOT_EXIST("DoesNotExist");

        private final String apiName;

        Operator(String apiName) {
            this.apiName = apiName;
        }

        /** Spelling in the Kubernetes API. */
        public String apiName() {
            return apiName;
        }
    }

    /**
     * One requirement: {@code key In (values)}, {@code key NotIn (values)}, {@code key} exists, or not.
     *
     * @param key label key
     * @param operator the operator
     * @param values sorted values; empty for Exists and DoesNotExist
     */
    public record Requirement(String key, Operator operator, SortedSet<String> values) {
        public Requirement {
            values = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(values));
        }

        /** Whether the label set satisfies this requirement (NotIn holds when the key is absent, as upstream). */
        public boolean matches(Map<String, String> labels) {
            String value = labels.get(key);
            return switch (operator) {
                case IN -> value != null && values.contains(value);
                case NOT_IN -> value == null || !values.contains(value);
                case EXISTS -> value != null;
                case DOES_NOT_EXIST -> value == null;
            };
        }
    }

    private static final Comparator<Requirement> ORDER = Comparator.comparing(Requirement::key)
            .thenComparing(Requirement::operator)
            .thenComparing(r -> String.join("\u0000", r.values()));

    /** Whether {@code labels} satisfy every requirement. */
    public boolean matches(Map<String, String> labels) {
        for (Requirement r : requirements) {
            if (!r.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    /** Whether this is the empty selector. */
    public boolean matchesAll() {
        return requirements.isEmpty();
    }

    /** Selector requiring exactly {@code key=value}. */
    public static LabelSelectorMatcher equalTo(String key, String value) {
        return new LabelSelectorMatcher(List.of(new Requirement(key, Operator.IN, new TreeSet<>(List.of(value)))));
    }

    /**
     * Validates and normalises a fabric8 selector; {@code null} is treated as the empty selector.
     *
     * @param field the field path of the selector in its object, for error messages
     * @throws InvalidFieldException naming the field of an unknown operator, missing key, or values that do
     *         not fit the operator
     */
    public static LabelSelectorMatcher from(LabelSelector selector, String field) throws InvalidFieldException {
        if (selector == null) {
            return ALL;
        }
        List<Requirement> out = new ArrayList<>();
        if (selector.getMatchLabels() != null) {
            for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
                if (e.getKey() == null || e.getKey().isEmpty()) {
                    throw new InvalidFieldException(field + ".matchLabels", RefusalReason.INVALID_SELECTOR, "empty label key");
                }
                if (e.getValue() == null) {
                    throw new InvalidFieldException(field + ".matchLabels[" + e.getKey() + "]", RefusalReason.INVALID_SELECTOR, "missing value");
                }
                out.add(new Requirement(e.getKey(), Operator.IN, new TreeSet<>(List.of(e.getValue()))));
            }
        }
        List<LabelSelectorRequirement> expressions = selector.getMatchExpressions();
        if (expressions != null) {
            for (int i = 0; i < expressions.size(); i++) {
                out.add(requirement(expressions.get(i), field + ".matchExpressions[" + i + "]"));
            }
        }
        out.sort(ORDER);
        return new LabelSelectorMatcher(out);
    }

    private static Requirement requirement(LabelSelectorRequirement r, String field) throws InvalidFieldException {
        if (r == null) {
            throw new InvalidFieldException(field, RefusalReason.INVALID_SELECTOR, "empty requirement");
        }
        if (r.getKey() == null || r.getKey().isEmpty()) {
            throw new InvalidFieldException(field + ".key", RefusalReason.INVALID_SELECTOR, "label key is missing");
        }
        Operator operator = null;
        for (Operator o : Operator.values()) {
            if (o.apiName.equals(r.getOperator())) {
                operator = o;
            }
        }
        if (operator == null) {
            throw new InvalidFieldException(field + ".operator", RefusalReason.INVALID_SELECTOR_OPERATOR,
                    "unknown operator \"" + r.getOperator() + "\" (In, NotIn, Exists, DoesNotExist)");
        }
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        if (values.stream().anyMatch(v -> v == null)) {
            throw new InvalidFieldException(field + ".values", RefusalReason.INVALID_SELECTOR_VALUES, "null value");
        }
        boolean needsValues = operator == Operator.IN || operator == Operator.NOT_IN;
        if (needsValues && values.isEmpty()) {
            throw new InvalidFieldException(field + ".values", RefusalReason.INVALID_SELECTOR_VALUES,
                    "must be non-empty when operator is " + operator.apiName);
        }
        if (!needsValues && !values.isEmpty()) {
            throw new InvalidFieldException(field + ".values", RefusalReason.INVALID_SELECTOR_VALUES,
                    "must be empty when operator is " + operator.apiName);
        }
        return new Requirement(r.getKey(), operator, new TreeSet<>(values));
    }

    @Override
    public String toString() {
        if (requirements.isEmpty()) {
            return "{}";
        }
        StringBuilder sb = new StringBuilder("{");
        for (Requirement r : requirements) {
            if (sb.length() > 1) sb.append(", ");
            switch (r.operator()) {
                case IN -> sb.append(r.key()).append(r.values().size() == 1 ? "=" + r.values().first() : " in " + r.values());
                case NOT_IN -> sb.append(r.key()).append(" notin ").append(r.values());
                case EXISTS -> sb.append(r.key());
                case DOES_NOT_EXIST -> sb.append('!').append(r.key());
            }
        }
        return sb.append('}').toString();
    }
}

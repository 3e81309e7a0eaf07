package io.sluice.servicelb;

/** The name syntaxes of the Kubernetes API that the translator checks. */
final class KubernetesNames {

    private KubernetesNames() {
    }

    /** RFC 1123 label, as {@code spec.ports[].name} must be: 1..63 of [a-z0-9-], alphanumeric at both ends. */
    static boolean isDnsLabel(String name) {
        if (name.isEmpty() || name.length() > 63) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            if (!alnum && (c != '-' || i == 0 || i == name.length() - 1)) {
                return false;
            }
        }
        return true;
    }

    /**
     * IANA service name, as a named {@code targetPort} must be: 1..15 of [a-z0-9-], at least one letter, no
     * hyphen at either end and no two hyphens in a row.
     */
    static boolean isIanaServiceName(String name) {
        if (name.isEmpty() || name.length() > 15 || name.startsWith("-") || name.endsWith("-")
                || name.contains("--")) {
            return false;
        }
        boolean letter = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 'a' && c <= 'z') {
                letter = true;
            } else if (!(c >= '0' && c <= '9') && c != '-') {
                return false;
            }
        }
        return letter;
    }
}

package io.sluice.netpol;

/**
 * One pod of the truth table: namespace x, y or z, name a, b or c; its address is 198.18.(10+index).2 behind the
 * node's veth {@code lxc-<ns><name>} (gateway .1).
 */
record NetpolPod(String namespace, String name, int index) {
    static final String[] NAMESPACES = {"x", "y", "z"};
    static final String[] NAMES = {"a", "b", "c"};

    /** The nine pods in matrix order: x/a, x/b, x/c, y/a, ... */
    static final java.util.List<NetpolPod> ALL = java.util.stream.IntStream.range(0, 9)
            .mapToObj(i -> new NetpolPod(NAMESPACES[i / 3], NAMES[i % 3], i)).toList();

    static NetpolPod of(String qualified) {
        return ALL.stream().filter(p -> p.toString().equals(qualified)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no pod " + qualified));
    }

    String ip() {
        return "198.18." + (10 + index) + ".2";
    }

    String gateway() {
        return "198.18." + (10 + index) + ".1";
    }

    String hostVeth() {
        return "lxc-" + namespace + name;
    }

    boolean in(String ns) {
        return namespace.equals(ns);
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}

package io.sluice.servicelb;

/** Port number rules shared by the records and the translator. */
final class Ports {

    static final int MIN = 1;
    static final int MAX = 65_535;

    private Ports() {
    }

    static boolean isValid(long port) {
        return port >= MIN && port <= MAX;
    }

    static void requireValid(int port, String what) {
        if (!isValid(port)) {
            throw new IllegalArgumentException(what + " " + port + " is out of range " + MIN + ".." + MAX);
        }
    }

    static String hostPort(IpAddress ip, int port) {
        return ip.isIpv4() ? ip + ":" + port : "[" + ip + "]:" + port;
    }
}

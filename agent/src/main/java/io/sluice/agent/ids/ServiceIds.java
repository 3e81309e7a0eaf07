package io.sluice.agent.ids;

import io.sluice.maps.DatapathConstants;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.LbScope;
import java.nio.file.Path;

/**
 * The two id spaces of the service maps and their keys: frontends ({@code lb4_service.service_id}, keyed by the
 * {@code struct lb4_key} they serve) and backends ({@code lb4_backends} keys, keyed by address, port and protocol).
 * A key is the struct's 8 bytes in one {@code long}, as {@link Lb4Backend#packed()} lays them out (a backend's flags
 * byte left 0: its flags may change under the same id); never 0, as no protocol is 0.
 */
public final class ServiceIds {
    /** The frontend ids' file under the state directory, and the format-1 file it replaces. */
    public static final String FRONTEND_FILE = "frontend-ids.v2.dat";
    public static final String FRONTEND_FORMAT_ONE_FILE = "frontend-ids.dat";
    /** The backend ids' file under the state directory, and the format-1 file it replaces. */
    public static final String BACKEND_FILE = "backend-ids.v2.dat";
    public static final String BACKEND_FORMAT_ONE_FILE = "backend-ids.dat";

    private ServiceIds() {
    }

    /** Opens (migrating a format-1 file) the frontend ids under {@code stateDir}, up to {@code LB4_SERVICES_MAX}. */
    public static StableIdAllocator openFrontendIds(Path stateDir) {
        return StableIdAllocator.open(stateDir.resolve(FRONTEND_FILE), DatapathConstants.LB4_SERVICES_MAX, FRONTENDS,
                stateDir.resolve(FRONTEND_FORMAT_ONE_FILE));
    }

    /** Opens (migrating a format-1 file) the backend ids under {@code stateDir}, up to {@code LB4_BACKENDS_MAX}. */
    public static StableIdAllocator openBackendIds(Path stateDir) {
        return StableIdAllocator.open(stateDir.resolve(BACKEND_FILE), DatapathConstants.LB4_BACKENDS_MAX, BACKENDS,
                stateDir.resolve(BACKEND_FORMAT_ONE_FILE));
    }

    /** The id key of frontend {@code key}: address, port, protocol and scope. */
    public static long frontendKey(Lb4Key key) {
        return (long) key.address().bits() << 32 | (long) key.port() << 16 | (long) key.protocol().number() << 8
                | key.scope().value();
    }

    /** The id key of {@code backend}: address, port and protocol (not its flags). */
    public static long backendKey(Lb4Backend backend) {
        return backend.packed() & ~0xffL;
    }

    /** Frontend keys: read as {@code frontend 10.96.0.10:80/TCP/INTERNAL}, in format 1 as {@code frontend:10.96.0.10:80/TCP/INTERNAL}. */
    public static final IdKeyFormat FRONTENDS = new IdKeyFormat() {
        @Override
        public String describe(long key) {
            return "frontend " + endpoint(key) + "/" + scopeName((int) key & 0xff);
        }

        @Override
        public long fromFormatOne(String key) {
            String[] parts = split(key, "frontend:", 3);
            LbScope scope = LbScope.valueOf(parts[2]);
            return frontendKey(new Lb4Key(Ipv4.parse(parts[0].substring(0, parts[0].lastIndexOf(':'))), port(parts[0]),
                    IpProtocol.valueOf(parts[1]), scope));
        }
    };

    /** Backend keys: read as {@code backend 10.0.0.5:8080/TCP}, in format 1 as {@code backend:10.0.0.5:8080/TCP}. */
    public static final IdKeyFormat BACKENDS = new IdKeyFormat() {
        @Override
        public String describe(long key) {
            return "backend " + endpoint(key);
        }

        @Override
        public long fromFormatOne(String key) {
            String[] parts = split(key, "backend:", 2);
            return backendKey(new Lb4Backend(Ipv4.parse(parts[0].substring(0, parts[0].lastIndexOf(':'))), port(parts[0]),
                    IpProtocol.valueOf(parts[1]), 0));
        }
    };

    /** {@code ADDRESS:PORT/PROTOCOL} of a packed key. */
    private static String endpoint(long key) {
        int proto = (int) (key >>> 8) & 0xff;
        String protocol = Integer.toString(proto);
        for (IpProtocol p : IpProtocol.values()) {
            if (p.number() == proto) {
                protocol = p.name();
            }
        }
        return new Ipv4((int) (key >>> 32)) + ":" + ((key >>> 16) & 0xffff) + "/" + protocol;
    }

    private static String scopeName(int value) {
        for (LbScope s : LbScope.values()) {
            if (s.value() == value) {
                return s.name();
            }
        }
        return Integer.toString(value);
    }

    /** {@code key} without {@code prefix}, split at '/' into {@code parts} parts; the first is ADDRESS:PORT. */
    private static String[] split(String key, String prefix, int parts) {
        if (!key.startsWith(prefix)) {
            throw new IllegalArgumentException("does not start with '" + prefix + "'");
        }
        String[] split = key.substring(prefix.length()).split("/", -1);
        if (split.length != parts || split[0].lastIndexOf(':') < 0) {
            throw new IllegalArgumentException("expected " + prefix + "ADDRESS:PORT/PROTOCOL" + (parts == 3 ? "/SCOPE" : ""));
        }
        return split;
    }

    private static int port(String addressAndPort) {
        String port = addressAndPort.substring(addressAndPort.lastIndexOf(':') + 1);
        try {
            return Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + port + "' is not a number");
        }
    }
}

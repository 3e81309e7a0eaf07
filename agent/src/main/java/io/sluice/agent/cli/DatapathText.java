package io.sluice.agent.cli;

import io.sluice.maps.DatapathConstants;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.LbScope;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.PolicyConstants;
import io.sluice.policy.Identities;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How the commands spell the data path's values: addresses, protocols, flags, identities, port blocks. */
public final class DatapathText {
    private DatapathText() {
    }

    /** {@code 10.96.0.10:80/TCP}. */
    public static String frontend(Lb4Key key) {
        return key.address() + ":" + key.port() + "/" + key.protocol();
    }

    /** {@code internal} or {@code external}. */
    public static String scope(LbScope scope) {
        return scope.name().toLowerCase(Locale.ROOT);
    }

    /** {@code ADDRESS:PORT}. */
    public static String endpoint(Ipv4 address, int port) {
        return address + ":" + port;
    }

    /** The name of an IP protocol number ({@code TCP}, {@code UDP}, {@code ICMP}, {@code SCTP}), else the number. */
    public static String protocol(int number) {
        return switch (number) {
            case 1 -> "ICMP";
            case 6 -> "TCP";
            case 17 -> "UDP";
            case 132 -> "SCTP";
            default -> Integer.toString(number);
        };
    }

    /** The {@code LB_F_*} bits of a frontend, by name; unknown bits in hex. */
    public static List<String> serviceFlags(int flags) {
        return names(flags, new int[] {DatapathConstants.LB_F_AFFINITY, DatapathConstants.LB_F_LOCAL_ONLY,
                DatapathConstants.LB_F_SNAT_REMOTE, DatapathConstants.LB_F_MAGLEV},
                new String[] {"affinity", "local-only", "snat-remote", "maglev"});
    }

    /** The {@code LB_BACKEND_F_*} bits of a backend. */
    public static List<String> backendFlags(int flags) {
        return names(flags, new int[] {DatapathConstants.LB_BACKEND_F_LOCAL}, new String[] {"local"});
    }

    /** The {@code CT_F_*} bits of a conntrack entry other than the entry's type (service or reply). */
    public static List<String> conntrackFlags(int flags) {
        return names(flags & ~(DatapathConstants.CT_F_SERVICE | DatapathConstants.CT_F_REPLY),
                new int[] {DatapathConstants.CT_F_SNAT, DatapathConstants.CT_F_EXTERNAL, DatapathConstants.CT_F_HAIRPIN},
                new String[] {"snat", "external", "hairpin"});
    }

    /** The {@code PCT_F_*} bits of a policy conntrack entry. */
    public static List<String> policyConntrackFlags(int flags) {
        return names(flags, new int[] {PolicyConstants.PCT_F_FROM_HOST}, new String[] {"from-host"});
    }

    private static List<String> names(int flags, int[] bits, String[] names) {
        List<String> out = new ArrayList<>();
        int rest = flags;
        for (int i = 0; i < bits.length; i++) {
            if ((flags & bits[i]) != 0) {
                out.add(names[i]);
                rest &= ~bits[i];
            }
        }
        if (rest != 0) {
            out.add("0x" + Integer.toHexString(rest));
        }
        return out;
    }

    /** Flag names joined by commas, or {@code -} for none. */
    public static String joined(List<String> names) {
        return names.isEmpty() ? "-" : String.join(",", names);
    }

    /** What kind of identity a number is: {@code any}, {@code host}, {@code world}, {@code pod}, {@code cidr} or {@code reserved}. */
    public static String identityKind(int identity) {
        return switch (identity) {
            case PolicyConstants.IDENTITY_ANY -> "any";
            case PolicyConstants.IDENTITY_HOST -> "host";
            case PolicyConstants.IDENTITY_WORLD -> "world";
            default -> Identities.isPod(identity) ? "pod" : Identities.isCidr(identity) ? "cidr" : "reserved";
        };
    }

    /** An identity with the name of a reserved one: {@code 256}, {@code 1 (host)}, {@code 0 (any)}. */
    public static String identity(int identity) {
        String number = Integer.toUnsignedString(identity);
        String kind = identityKind(identity);
        return kind.equals("pod") || kind.equals("cidr") ? number : number + " (" + kind + ")";
    }

    /** The protocol of a policy entry: its name, or {@code any} for an entry of every protocol. */
    public static String policyProtocol(Policy4Key key) {
        return key.isAnyProtocol() ? "any" : protocol(key.protocol());
    }

    /** The ports of a policy entry: {@code any}, one port, or {@code FIRST-LAST} of its block. */
    public static String policyPorts(Policy4Key key) {
        int bits = key.portPrefixLength();
        if (key.isAnyProtocol() || bits == 0) {
            return "any";
        }
        int last = key.port() + (1 << (16 - bits)) - 1;
        return bits == 16 ? Integer.toString(key.port()) : key.port() + "-" + last;
    }

    /** The first and last port of a policy entry ({@code 0..65535} for any). */
    public static int[] policyPortRange(Policy4Key key) {
        int bits = key.portPrefixLength();
        if (key.isAnyProtocol() || bits == 0) {
            return new int[] {0, 65535};
        }
        return new int[] {key.port(), key.port() + (1 << (16 - bits)) - 1};
    }
}

package io.sluice.policy;

import java.util.Locale;

/**
 * Why an object (mostly a NetworkPolicy) was refused. The set is closed and small so that
 * {@link #metricLabel()} can be a Prometheus label value.
 */
public enum RefusalReason {
    /** Object has no name or namespace. */
    MISSING_METADATA,
    /** A label selector requirement without a key, or a matchLabels entry without a value. */
    INVALID_SELECTOR,
    /** A label selector operator other than In, NotIn, Exists, DoesNotExist. */
    INVALID_SELECTOR_OPERATOR,
    /** Values present for Exists/DoesNotExist, or absent for In/NotIn. */
    INVALID_SELECTOR_VALUES,
    /** A policyTypes entry other than Ingress or Egress. */
    UNKNOWN_POLICY_TYPE,
    /** A peer with none of podSelector, namespaceSelector, ipBlock. */
    EMPTY_PEER,
    /** A peer with ipBlock and a selector. */
    IPBLOCK_WITH_SELECTOR,
    /** An ipBlock cidr or except that is not a CIDR. */
    INVALID_CIDR,
    /** An except entry that is not a strict subset of the ipBlock's cidr. */
    EXCEPT_OUTSIDE_CIDR,
    /** A protocol other than TCP, UDP, SCTP. */
    UNKNOWN_PROTOCOL,
    /** A numeric port or endPort outside 1..65535. */
    PORT_OUT_OF_RANGE,
    /** A named port that is not a valid IANA service name. */
    INVALID_PORT_NAME,
    /** endPort smaller than port. */
    END_PORT_BEFORE_PORT,
    /** endPort together with a named port. */
    END_PORT_WITH_NAMED_PORT,
    /** endPort without port. */
    END_PORT_WITHOUT_PORT,
    /** A pod IP in the pod's status that is not an IP address. */
    INVALID_POD_IP;

    /** Lower-case snake form for metrics, e.g. {@code end_port_before_port}. */
    public String metricLabel() {
        return name().toLowerCase(Locale.ROOT);
    }
}

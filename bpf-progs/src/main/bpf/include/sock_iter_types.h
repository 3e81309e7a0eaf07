/* The kernel types a UDP socket iterator reads, only the fields Sluice's programs read: CO-RE relocates each
 * against the running kernel's BTF, so no generated vmlinux.h is needed (and the UAPI headers stay usable).
 * A program that never reads a field gets no relocation for it. */
#ifndef SLUICE_SOCK_ITER_TYPES_H
#define SLUICE_SOCK_ITER_TYPES_H

#include <linux/types.h>

struct in6_addr___sluice {
	union {
		__u32 u6_addr32[4];
	} in6_u;
} __attribute__((preserve_access_index));

struct sock_common {
	__be32 skc_daddr;
	__be16 skc_dport;
	__u16 skc_num;			/* local port, host order */
	unsigned short skc_family;
	struct in6_addr___sluice skc_v6_daddr;
} __attribute__((preserve_access_index));

struct udp_sock;
struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
} __attribute__((preserve_access_index));

struct bpf_iter__udp {
	struct bpf_iter_meta *meta;
	struct udp_sock *udp_sk;
} __attribute__((preserve_access_index));

#endif

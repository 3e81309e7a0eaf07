/* Flow hashing for Maglev slot selection: Bob Jenkins' lookup3 mixing (public domain) over 32-bit words,
 * written here for fixed word counts so the verifier sees straight-line code. */
#ifndef SLUICE_HASH_H
#define SLUICE_HASH_H

#include <linux/types.h>
#include "sluice_consts.h"

#define HASH_INIT	0xdeadbeef

static __always_inline __u32 hash_rol32(__u32 word, unsigned int shift)
{
	return (word << shift) | (word >> (32 - shift));
}

/* Reversibly mixes three words; between blocks of input. */
static __always_inline void hash_mix(__u32 *a, __u32 *b, __u32 *c)
{
	*a -= *c; *a ^= hash_rol32(*c, 4);  *c += *b;
	*b -= *a; *b ^= hash_rol32(*a, 6);  *a += *c;
	*c -= *b; *c ^= hash_rol32(*b, 8);  *b += *a;
	*a -= *c; *a ^= hash_rol32(*c, 16); *c += *b;
	*b -= *a; *b ^= hash_rol32(*a, 19); *a += *c;
	*c -= *b; *c ^= hash_rol32(*b, 4);  *b += *a;
}

/* Final avalanche of three words into c. */
static __always_inline void hash_final(__u32 *a, __u32 *b, __u32 *c)
{
	*c ^= *b; *c -= hash_rol32(*b, 14);
	*a ^= *c; *a -= hash_rol32(*c, 11);
	*b ^= *a; *b -= hash_rol32(*a, 25);
	*c ^= *b; *c -= hash_rol32(*b, 16);
	*a ^= *c; *a -= hash_rol32(*c, 4);
	*b ^= *a; *b -= hash_rol32(*a, 14);
	*c ^= *b; *c -= hash_rol32(*b, 24);
}

/* Hash of four words. */
static __always_inline __u32 hash_words4(__u32 w0, __u32 w1, __u32 w2, __u32 w3, __u32 seed)
{
	__u32 a, b, c;

	a = b = c = HASH_INIT + (4 << 2) + seed;
	a += w0;
	b += w1;
	c += w2;
	hash_mix(&a, &b, &c);
	a += w3;
	hash_final(&a, &b, &c);
	return c;
}

/* The hash of an IPv4 flow as the client sent it (addresses and ports in network order, as on the wire). */
static __always_inline __u32 hash_flow4(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport, __u8 proto)
{
	return hash_words4(saddr, daddr, ((__u32)sport << 16) | dport, proto, LB_HASH_SEED);
}

/* The hash of a socket: its network namespace and its own cookie. */
static __always_inline __u32 hash_socket(__u64 netns_cookie, __u64 socket_cookie)
{
	return hash_words4((__u32)netns_cookie, (__u32)(netns_cookie >> 32), (__u32)socket_cookie,
			   (__u32)(socket_cookie >> 32), LB_HASH_SEED);
}

#endif

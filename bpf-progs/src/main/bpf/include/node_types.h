/* This node's addresses as the data path needs them: the contract with io.sluice.maps.Node4Config. */
#ifndef SLUICE_NODE_TYPES_H
#define SLUICE_NODE_TYPES_H

#include <linux/types.h>

struct node4_config {
	__be32 node_address;	/* source of external flows sent to a remote backend (LB_F_SNAT_REMOTE); 0: unset */
	__be32 hairpin_address;	/* source of a pod's flow to itself through a service; not an address of the
				 * node (the stack would refuse it as a martian source); 0: unset */
};

#endif

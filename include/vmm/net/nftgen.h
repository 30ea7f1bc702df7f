/* SPDX-License-Identifier: MIT */
/* nftgen.h: the nf_tables ruleset's generation id, asked over netlink without libnftables */
#ifndef VMM_NET_NFTGEN_H
#define VMM_NET_NFTGEN_H

#include <stdint.h>

/*
 * The generation id of the current network namespace's nf_tables ruleset (NFT_MSG_GETGEN): every
 * change to any table, by any tool (nft, iptables-nft, firewalld, Docker, vmm), commits a new one.
 * One netlink round trip; libnftables is not loaded. 0 and *gen, or -1 with the error slot set
 * (no nf_tables in this kernel, no netlink).
 */
int nftgen_get(uint32_t *gen);

#endif

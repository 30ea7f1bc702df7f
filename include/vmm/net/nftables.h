/* SPDX-License-Identifier: MIT */
/* nftables.h: the nftables firewall backend (libnftables): fw_nft_ops, and its pure parts */
#ifndef VMM_NFTABLES_H
#define VMM_NFTABLES_H

#include "vmm/net/fw_config.h"

/* The backend's face to firewall.c. */
extern const struct fw_ops fw_nft_ops;

#define FW_NFT_TABLE "vmm"       /* table inet vmm */
#define FW_NFT_PRIO (-10)        /* vmm's forward chain: priority filter - 10 */

/* What vmm needs to know of a ruleset (parsed from `nft -j list ruleset`). */
struct fw_nft_state;

/* Parse the JSON listing for config c (pure). *out is malloc'd: free with fw_nft_state_free. */
int fw_nft_parse(const char *json, const struct fw_config *c, struct fw_nft_state **out);
void fw_nft_state_free(struct fw_nft_state *s);
/* 1 when the ruleset holds a table other than vmm's own, else 0. */
int fw_nft_foreign_tables(const struct fw_nft_state *s);
/* Fill the nftables part of st for c from s (pure). */
void fw_nft_fill_status(const struct fw_config *c, const struct fw_nft_state *s,
			struct fw_status *st);
/* The transaction (nft -f syntax) that makes s what c wants (remove: what net down wants);
 * "" when nothing is to be done. notes gets one announcement per opening added, n_notes their
 * count (may be NULL). Pure. *batch is malloc'd. */
int fw_nft_diff(const struct fw_config *c, const struct fw_nft_state *s, bool remove, char **batch,
		char ***notes, size_t *n_notes);

/* Live: read the ruleset (in-process), apply, remove, status. */
int fw_nft_read(const struct fw_config *c, struct fw_nft_state **out);
int fw_nft_apply(const struct fw_config *c, char ***notes, size_t *n_notes);
int fw_nft_remove(const struct fw_config *c);
int fw_nft_status(const struct fw_config *c, struct fw_status *st);
int fw_nft_plan(const struct fw_config *c, char **text);
/* Run one batch of nft commands as one transaction (counted as a commit). */
int fw_nft_run(const char *batch);
unsigned fw_nft_commits(void);

#endif

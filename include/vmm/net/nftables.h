/* SPDX-License-Identifier: MIT */
/* nftables.h: the nftables firewall backend (libnftables): fw_nft_ops and its live part (the pure part: nftables_rules.h) */
#ifndef VMM_NFTABLES_H
#define VMM_NFTABLES_H

#include "vmm/net/fw_config.h"

/* The backend's face to firewall.c. */
extern const struct fw_ops fw_nft_ops;

#include "vmm/net/nftables_rules.h"

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

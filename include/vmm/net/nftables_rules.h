/* SPDX-License-Identifier: MIT */
/* nftables_rules.h: the nftables backend's pure part (src/net/nftables_rules.c): the ruleset as
 * vmm reads it and the helpers the live part (src/net/nftables.c) shares. No function
 * here touches the kernel. */
#ifndef VMM_NFTABLES_RULES_H
#define VMM_NFTABLES_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "vmm/net/fw_config.h"

/* vmm's base chains in table inet vmm. */
enum nftr_chain { NFTR_CH_FORWARD, NFTR_CH_POSTROUTING, NFTR_CH_PREROUTING, NFTR_CH_OUTPUT,
		  NFTR_CH_N };

/* A rule in table inet vmm. */
struct nftr_rule {
	char chain[16];
	char comment[128];
	unsigned long long handle;
};

/* A rule commented "vmm" in another table. */
struct nftr_opening {
	char family[8], table[64], chain[64];
	unsigned long long handle;
	unsigned long long mark; /* the mark it matches, 0 when not a mark match */
	bool owned;              /* its table is owned by another process: untouchable */
};

/* What vmm needs to know of a ruleset (fw_nft_parse). */
struct fw_nft_state {
	bool have_table;        /* table inet vmm */
	bool base[NFTR_CH_N];   /* vmm's base chains, as vmm defines them */
	bool other_tables;      /* any table but inet vmm */
	struct nftr_rule *vr;
	size_t n_vr;
	struct nftr_opening *op;
	size_t n_op;
	struct fw_hook_chain chains[FW_MAX_CHAINS];
	size_t n_chains;
};

/* The mark c's rules set (c->mark, or FW_MARK_DEFAULT). */
uint32_t nftr_mark(const struct fw_config *c);
/* o's member key when it is a string, else "" (never NULL). */
const char *nftr_jstr(json_object *o, const char *key);
/* o's member key, or NULL. */
json_object *nftr_jget(json_object *o, const char *key);
/* A name vmm may write into a command: a letter or '_', then letters, digits, '_', '-', '.'
 * (every name Docker, ufw, firewalld and the usual nftables.conf use). Anything else (quotes,
 * spaces, newlines) is never spliced into the command text. */
bool nftr_plain_name(const char *s);

/* The entry points the live part and the tests use. */
#define FW_NFT_TABLE "vmm"       /* table inet vmm */
#define FW_NFT_PRIO (-10)        /* vmm's forward chain: priority filter - 10 */

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

#endif

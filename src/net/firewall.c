// SPDX-License-Identifier: MIT
/* firewall.c: the firewall interface: picks a backend (nftables or iptables-legacy) and calls it
 * through its struct fw_ops */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <net/if.h>

#include "vmm/sys/error.h"
#include "vmm/net/firewall.h"
#include "vmm/net/iptables.h"
#include "vmm/net/nftables.h"
#include "vmm/sys/util.h"

static const char *const legacy_names[FW_NRULES] = {
	[FW_JUMP_FORWARD] = "filter: jump from FORWARD to " FW_CHAIN_FILTER " (first rule)",
	[FW_JUMP_POSTROUTING] = "nat: jump from POSTROUTING to " FW_CHAIN_NAT " (first rule)",
	[FW_ACCEPT_OUT] = "filter: accept forwarding in from the bridge (the subnet's sources)",
	[FW_ACCEPT_BRIDGED] = "filter: accept what is bridged (in and out by the bridge)",
	[FW_DROP_OUT] = "filter: drop the rest from the bridge (sources outside the subnet)",
	[FW_DROP_IN] = "filter: drop the rest to the bridge (new connections from outside)",
	[FW_ACCEPT_BACK] = "filter: accept RELATED,ESTABLISHED back to the bridge",
	[FW_MASQ] = "nat: masquerade the subnet when not leaving through the bridge",
	[FW_ACCEPT_DNAT] = "filter: accept port-forwarded connections to the bridge",
	[FW_DNAT] = "nat: DNAT of the host port forwards",
};

static const char *const nft_names[FW_NRULES] = {
	[FW_JUMP_FORWARD] = "inet vmm: chain forward (hook forward, priority filter - 10)",
	[FW_JUMP_POSTROUTING] = "inet vmm: chain postrouting (nat, hook postrouting)",
	[FW_ACCEPT_OUT] = "forward: mark and accept forwarding in from the bridge (the subnet's sources)",
	[FW_ACCEPT_BRIDGED] = "forward: mark and accept what is bridged (in and out by the bridge)",
	[FW_DROP_OUT] = "forward: drop the rest from the bridge (sources outside the subnet)",
	[FW_DROP_IN] = "forward: drop the rest to the bridge (new connections from outside)",
	[FW_ACCEPT_BACK] = "forward: mark and accept replies back to the bridge",
	[FW_MASQ] = "postrouting: masquerade the subnet when not leaving through the bridge",
	[FW_ACCEPT_DNAT] = "forward: mark and accept port-forwarded connections to the bridge",
	[FW_DNAT] = "prerouting, output: DNAT of the host port forwards",
};

const char *fw_rule_name(enum fw_backend b, enum fw_rule_id id)
{
	if ((unsigned)id >= FW_NRULES)
		return NULL;
	return b == FW_NFTABLES ? nft_names[id] : legacy_names[id];
}

const char *fw_backend_name(enum fw_backend b)
{
	switch (b) {
	case FW_NFTABLES: return "nftables";
	case FW_IPTABLES_LEGACY: return "iptables-legacy";
	default: return "auto";
	}
}

/* Where the iptables command points: "legacy", "nft" or "" (not found, or neither). The link
 * target only (Debian's alternatives, Fedora's /usr/sbin/iptables), no process. */
static const char *iptables_variant(char *target, size_t len)
{
	static const char *const paths[] = { "/etc/alternatives/iptables", "/usr/sbin/iptables",
					     "/sbin/iptables", "/usr/bin/iptables", NULL };
	char real[PATH_MAX];
	target[0] = '\0';
	for (size_t i = 0; paths[i]; i++) {
		if (access(paths[i], F_OK) != 0 || !realpath(paths[i], real))
			continue;
		snprintf(target, len, "%s", real);
		const char *base = strrchr(real, '/');
		base = base ? base + 1 : real;
		if (strstr(base, "legacy"))
			return "legacy";
		if (strstr(base, "nft"))
			return "nft";
	}
	return "";
}

enum fw_backend fw_backend_resolve(const struct fw_config *c, char *why, size_t len)
{
	char target[PATH_MAX], scratch[8];
	if (!why) {
		why = scratch;
		len = sizeof(scratch);
	}
	if (c->backend == FW_NFTABLES || c->backend == FW_IPTABLES_LEGACY) {
		snprintf(why, len, "net.cfg firewall = \"%s\"", fw_backend_name(c->backend));
		return c->backend;
	}
	const char *v = iptables_variant(target, sizeof(target));
	if (!strcmp(v, "legacy")) {
		snprintf(why, len, "auto: iptables is the legacy variant (%s)", target);
		return FW_IPTABLES_LEGACY;
	}
	if (fw_legacy_ops.in_use(c) == 1) {
		int foreign = fw_nft_ops.in_use(c);
		vmm_error_clear();
		if (foreign != 1) {
			snprintf(why, len, "auto: the legacy iptables tables hold rules and nf_tables "
					   "holds none");
			return FW_IPTABLES_LEGACY;
		}
	}
	if (*v)
		snprintf(why, len, "auto: iptables is the nf_tables variant (%s)", target);
	else
		snprintf(why, len, "auto: no legacy iptables in use");
	return FW_NFTABLES;
}

/* ---- announcements of the last apply ---- */

static char **notes;
static size_t n_notes;

static void notes_clear(void)
{
	for (size_t i = 0; i < n_notes; i++)
		free(notes[i]);
	free(notes);
	notes = NULL;
	n_notes = 0;
}

const char *fw_announcement(size_t i)
{
	return i < n_notes ? notes[i] : NULL;
}

/* ---- the interface ---- */

/* The backends, in the order fw_remove's auto tries them. */
static const struct fw_ops *const backends[] = { &fw_legacy_ops, &fw_nft_ops };
#define N_BACKENDS (sizeof(backends) / sizeof(backends[0]))

static const struct fw_ops *ops_of(enum fw_backend b)
{
	for (size_t i = 0; i < N_BACKENDS; i++)
		if (backends[i]->id == b)
			return backends[i];
	return &fw_nft_ops;
}

int fw_apply(const struct fw_config *c)
{
	notes_clear();
	if (fw_config_check(c) < 0)
		return -1;
	int rc = ops_of(fw_backend_resolve(c, NULL, 0))->apply(c, &notes, &n_notes);
	for (size_t i = 0; rc == 0 && i < n_notes; i++)
		vmm_notice("firewall: %s", notes[i]);
	return rc;
}

int fw_remove(const struct fw_config *c)
{
	if (fw_config_check(c) < 0)
		return -1;
	if (c->backend != FW_AUTO)
		return ops_of(c->backend)->remove(c);
	/* auto: whatever vmm left in either (a record of net up does not say which) */
	int rc = 0;
	for (size_t i = 0; i < N_BACKENDS; i++)
		if (backends[i]->remove(c) < 0)
			rc = -1;
	return rc;
}

static int status(const struct fw_config *c, struct fw_status *st, bool probes)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->forward_policy, sizeof(st->forward_policy), "ACCEPT");
	if (fw_config_check(c) < 0)
		return -1;
	st->backend = fw_backend_resolve(c, st->backend_why, sizeof(st->backend_why));
	return ops_of(st->backend)->status(c, st, probes);
}

int fw_status(const struct fw_config *c, struct fw_status *st)
{
	return status(c, st, true);
}

int fw_status_rules(const struct fw_config *c, struct fw_status *st)
{
	return status(c, st, false);
}

bool fw_status_complete(const struct fw_config *c, const struct fw_status *st)
{
	for (int i = 0; i < FW_NRULES; i++)
		if (st->wanted[i] && !st->present[i])
			return false;
	if (!st->chains_present || st->n_stale)
		return false;
	return st->backend != FW_NFTABLES || c->foreign == FW_FOREIGN_LEAVE ||
	       st->n_missing_openings == 0;
}

int fw_plan(const struct fw_config *c, char **text)
{
	*text = NULL;
	if (fw_config_check(c) < 0)
		return -1;
	return ops_of(fw_backend_resolve(c, NULL, 0))->plan(c, text);
}

unsigned fw_commit_count(void)
{
	unsigned n = 0;
	for (size_t i = 0; i < N_BACKENDS; i++)
		n += backends[i]->commits();
	return n;
}

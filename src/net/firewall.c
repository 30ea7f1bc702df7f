// SPDX-License-Identifier: MIT
/* firewall.c: the firewall interface: picks a backend (nftables or iptables-legacy) and calls it */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <net/if.h>

#include "vmm/sys/error.h"
#include "vmm/net/firewall.h"
#include "vmm/net/fw_backend.h"
#include "vmm/sys/util.h"

static const char *const legacy_names[FW_NRULES] = {
	[FW_JUMP_FORWARD] = "filter: jump from FORWARD to " FW_CHAIN_FILTER " (first rule)",
	[FW_JUMP_POSTROUTING] = "nat: jump from POSTROUTING to " FW_CHAIN_NAT " (first rule)",
	[FW_ACCEPT_OUT] = "filter: accept forwarding in from the bridge (the subnet's sources)",
	[FW_ACCEPT_BACK] = "filter: accept RELATED,ESTABLISHED back to the bridge",
	[FW_MASQ] = "nat: masquerade the subnet when not leaving through the bridge",
	[FW_ACCEPT_DNAT] = "filter: accept port-forwarded connections to the bridge",
	[FW_DNAT] = "nat: DNAT of the host port forwards",
	[FW_ACCEPT_BRIDGED] = "filter: accept what is bridged (in and out by the bridge)",
	[FW_DROP_OUT] = "filter: drop the rest from the bridge (sources outside the subnet)",
	[FW_DROP_IN] = "filter: drop the rest to the bridge (new connections from outside)",
};

static const char *const nft_names[FW_NRULES] = {
	[FW_JUMP_FORWARD] = "inet vmm: chain forward (hook forward, priority filter - 10)",
	[FW_JUMP_POSTROUTING] = "inet vmm: chain postrouting (nat, hook postrouting)",
	[FW_ACCEPT_OUT] = "forward: mark and accept forwarding in from the bridge (the subnet's sources)",
	[FW_ACCEPT_BACK] = "forward: mark and accept replies back to the bridge",
	[FW_MASQ] = "postrouting: masquerade the subnet when not leaving through the bridge",
	[FW_ACCEPT_DNAT] = "forward: mark and accept port-forwarded connections to the bridge",
	[FW_DNAT] = "prerouting, output: DNAT of the host port forwards",
	[FW_ACCEPT_BRIDGED] = "forward: mark and accept what is bridged (in and out by the bridge)",
	[FW_DROP_OUT] = "forward: drop the rest from the bridge (sources outside the subnet)",
	[FW_DROP_IN] = "forward: drop the rest to the bridge (new connections from outside)",
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

int fw_config_check(const struct fw_config *c)
{
	if (!c || !c->bridge || !*c->bridge)
		return vmm_invalid("firewall: no bridge name");
	size_t n = strlen(c->bridge);
	if (n >= IFNAMSIZ)
		return vmm_invalid("firewall: bridge %s: name longer than %d characters", c->bridge,
				   IFNAMSIZ - 1);
	for (size_t i = 0; i < n; i++) {
		char ch = c->bridge[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_' || ch == '.'))
			return vmm_invalid("firewall: bridge %s: only letters, digits, '-', '_' and '.' "
					   "are allowed in its name", c->bridge);
	}
	if (c->prefix < 1 || c->prefix > 32)
		return vmm_invalid("firewall: prefix /%u: must be 1 to 32", c->prefix);
	if (c->network & ~util_prefix_mask(c->prefix)) {
		char a[16];
		util_format_ipv4(c->network, a);
		return vmm_invalid("firewall: network %s/%u: host bits set", a, c->prefix);
	}
	if (c->mark & (c->mark - 1))
		return vmm_invalid("firewall: mark 0x%x: must be a single bit", c->mark);
	for (size_t i = 0; i < c->n_forwards; i++) {
		const struct fw_forward *f = &c->forwards[i];
		if ((f->proto != 6 && f->proto != 17) || !f->host_port || !f->guest_port)
			return vmm_invalid("firewall: forward %zu of %s: needs tcp or udp and two ports",
					   i + 1, f->guest);
		if ((f->guest_ip & util_prefix_mask(c->prefix)) != c->network) {
			char a[16], nw[16];
			util_format_ipv4(f->guest_ip, a);
			util_format_ipv4(c->network, nw);
			return vmm_invalid("firewall: forward %zu of %s: guest address %s outside %s/%u",
					   i + 1, f->guest, a, nw, c->prefix);
		}
		uint32_t lo = f->host_ip >> 24;
		if (f->host_ip && (lo == 127 || lo == 0 || lo >= 224))
			return vmm_invalid("firewall: forward %zu of %s: host address not usable "
					   "(loopback, 0.0.0.0/8 or multicast)", i + 1, f->guest);
		for (size_t j = 0; j < i; j++)
			if (c->forwards[j].proto == f->proto && c->forwards[j].host_port == f->host_port &&
			    (!f->host_ip || !c->forwards[j].host_ip || f->host_ip == c->forwards[j].host_ip))
				return vmm_invalid("firewall: host port %s/%u forwarded twice (%s, %s)",
						   f->proto == 6 ? "tcp" : "udp", f->host_port,
						   c->forwards[j].guest, f->guest);
	}
	return 0;
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
	if (fw_legacy_in_use() == 1) {
		struct fw_nft_state *s = NULL;
		int foreign = fw_nft_read(c, &s) == 0 ? fw_nft_foreign_tables(s) : 0;
		fw_nft_state_free(s);
		vmm_error_clear();
		if (!foreign) {
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

int fw_apply(const struct fw_config *c)
{
	notes_clear();
	if (fw_config_check(c) < 0)
		return -1;
	if (fw_backend_resolve(c, NULL, 0) != FW_NFTABLES)
		return fw_legacy_apply(c);
	int rc = fw_nft_apply(c, &notes, &n_notes);
	for (size_t i = 0; rc == 0 && i < n_notes; i++)
		vmm_notice("firewall: %s", notes[i]);
	return rc;
}

int fw_remove(const struct fw_config *c)
{
	if (fw_config_check(c) < 0)
		return -1;
	switch (c->backend) {
	case FW_NFTABLES: return fw_nft_remove(c);
	case FW_IPTABLES_LEGACY: return fw_legacy_remove(c);
	default: break;
	}
	/* auto: whatever vmm left in either (a record of net up does not say which) */
	int rc = fw_legacy_remove(c);
	if (fw_nft_remove(c) < 0)
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
	if (st->backend == FW_NFTABLES)
		return fw_nft_status(c, st);
	if (fw_legacy_status_rules(c, st) < 0)
		return -1;
	if (probes)
		fw_legacy_probes(st);
	return 0;
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
	if (fw_backend_resolve(c, NULL, 0) == FW_NFTABLES)
		return fw_nft_plan(c, text);
	return fw_legacy_plan(c, text);
}

unsigned fw_commit_count(void)
{
	return fw_legacy_commits() + fw_nft_commits();
}

// SPDX-License-Identifier: MIT
/* cmd/net.c: vmm net up|down|status: the host network from the command line */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/net/firewall.h"
#include "vmm/net/hostnet.h"
#include "vmm/net/netmode.h"
#include "vmm/net/report.h"
#include "vmm/net/userns.h"
#include "vmm/config/profile.h"
#include "vmm/config/store.h"
#include "vmm/sys/util.h"

static const struct cmd_sub net_subs[] = {
	{ "up", "bridge with its address, a tap per guest, forwarding, firewall rules, dnsmasq" },
	{ "down", "remove exactly what net up added (refused while guests run)" },
	{ "status", "what exists, what is missing, the firewall, dnsmasq and its leases, host "
		    "problems (--json too)" },
	{ NULL, NULL },
};

struct net_args {
	bool force;
};

static const struct cmd_option net_options[] = {
	OPT_FLAG('f', "force", struct net_args, force, "down: remove the bridge even while guests run"),
	OPT_END,
};

const struct cmd_spec cmd_net_spec = {
	.name = "net",
	.args = "up|down|status",
	.summary = "set up, take down or inspect the host network: bridge, taps, forwarding, NAT rules",
	.options = net_options,
	.subs = net_subs,
	.notes = "With --json, status prints one JSON object; with --dry-run, up and down print the\n"
		 "planned changes and change nothing.\n"
		 "The firewall backend is net.cfg's firewall (auto, nftables, iptables-legacy). With\n"
		 "nftables, vmm's rules are in `nft list table inet vmm`, and up opens the bridge's\n"
		 "traffic in other tools' forward chains that would drop it (Docker, ufw, firewalld,\n"
		 "nftables.conf) unless net.cfg says foreign = \"leave\"; status lists the forward\n"
		 "hook's chains in the order the kernel runs them.\n"
		 "With net.cfg dhcp (the default), up also runs dnsmasq on the bridge: DHCP with one\n"
		 "reservation per profile (and dhcp_pool for other MACs), the guests' names as\n"
		 "NAME.vmm, router advertisements with ipv6; it is started again when it died, and\n"
		 "down stops it. With ipv6, up gives the bridge PREFIX::1, turns IPv6 forwarding on\n"
		 "(accept_ra = 2 on an uplink that had 1) and masquerades the /64 unless nat6 = false;\n"
		 "down puts every sysctl back.\n",
};

struct net_opts {
	bool force, json, dry_run;
};

typedef int (*net_fn)(struct vmm_ctx *ctx, const struct net_opts *o, const struct vmm_netcfg *n,
		      const struct vmm_profile *g, size_t ng);

/* --dry-run of up (down false) and down: the planned changes on stdout */
static int print_plan(struct vmm_ctx *ctx, const struct vmm_netcfg *n, const struct vmm_profile *g,
		      size_t ng, bool down)
{
	char *plan = NULL;
	if (netmode_current()->plan(&ctx->home, n, g, ng, down, &plan) < 0)
		return cmd_report();
	fputs(plan, stdout);
	free(plan);
	return 0;
}

static int net_up(struct vmm_ctx *ctx, const struct net_opts *o, const struct vmm_netcfg *n,
		  const struct vmm_profile *g, size_t ng)
{
	const struct netmode *nm = netmode_current();
	if (o->dry_run)
		return print_plan(ctx, n, g, ng, false);
	if (nm->up(&ctx->home, n, g, ng) < 0)
		return cmd_report();
	size_t taps = 0;
	for (size_t i = 0; i < ng; i++)
		taps += g[i].tap[0] != '\0';
	cmd_note(ctx, "net up: %sbridge %s with %s, %zu tap%s, forwarding on, firewall rules in "
		      "place%s",
		 nm->rootless ? "in a network namespace of your own (without root): " : "",
		 n->bridge, n->address, taps, taps == 1 ? "" : "s",
		 nm->rootless ? ", pasta for the uplink and the forwards" : "");
	return 0;
}

static int net_down(struct vmm_ctx *ctx, const struct net_opts *o, const struct vmm_netcfg *n,
		    const struct vmm_profile *g, size_t ng)
{
	bool nothing = false;
	if (o->dry_run)
		return print_plan(ctx, n, g, ng, true);
	const struct netmode *nm = netmode_current();
	if (nm->down(&ctx->home, n, g, ng, o->force, &nothing) < 0)
		return cmd_report();
	if (nothing)
		cmd_note(ctx, "net down: nothing is up");
	else if (nm->rootless)
		cmd_note(ctx, "net down: removed %s and its namespace (pasta and the holder stopped)",
			 n->bridge);
	else
		cmd_note(ctx, "net down: removed what vmm had set up for %s", n->bridge);
	return 0;
}

/* The rules status lists: the five every config has (some "not used"), the forwards' when any,
 * and the bridged accept and the two drops (wanted by every config). */
static bool rule_listed(const struct report_status *st, int i)
{
	return i <= FW_MASQ || st->fw.wanted[i] || st->fw.present[i];
}

static const char *rule_state(const struct report_status *st, int i)
{
	if (!st->fw.wanted[i])
		return st->fw.present[i] ? "present (not needed)" : "not used";
	return st->fw.present[i] ? "present" : "missing";
}

/* What a forward-hook chain means for the guests, e.g. "policy drop: would drop guest traffic;
 * vmm's opening in DOCKER-USER: present". */
static void chain_state(const struct vmm_netcfg *n, const struct fw_hook_chain *c, char *buf,
			size_t len)
{
	if (c->vmm) {
		snprintf(buf, len, "vmm's: marks and accepts %s's traffic", n->bridge);
		return;
	}
	if (!c->drops) {
		snprintf(buf, len, "%s", !strcmp(c->family, "ip6") ? "IPv6 only: not the guests' traffic"
								   : "lets guest traffic through");
		return;
	}
	const char *why = c->policy_drop ? "policy drop" : "ends in drop/reject";
	if (c->odd_name && !c->owned && !c->early)
		snprintf(buf, len, "%s: drops guest traffic; its name cannot be written in nft's "
				   "syntax, so vmm cannot open it (see the problems below)",
			 why);
	else if (c->owned && !c->early)
		snprintf(buf, len, "%s: drops guest traffic; its table is owned by another process "
				   "(flag owner), so vmm cannot open it (see the problems below)",
			 why);
	else if (c->early)
		snprintf(buf, len, "%s: would drop guest traffic; runs before vmm's chain, so vmm "
				   "cannot open it: accept %s's traffic there yourself",
			 why, n->bridge);
	else if (c->opened)
		snprintf(buf, len, "%s: would drop guest traffic; vmm's opening in %s: present", why,
			 c->open_in);
	else if (!strcmp(n->foreign, "leave"))
		snprintf(buf, len, "%s: drops guest traffic; left alone (foreign = \"leave\"); "
				   "foreign = \"open\" or `nft insert rule %s %s %s meta mark & 0x%x == "
				   "0x%x accept` would open it",
			 why, c->family, c->table, c->open_in, n->firewall_mark, n->firewall_mark);
	else
		snprintf(buf, len, "%s: drops guest traffic; vmm's opening in %s: missing (`vmm net "
				   "up` puts it back)", why, c->open_in);
}

/* The port forwards' rules are exactly the profiles' (both backends). */
static bool forwards_in_place(const struct report_status *st)
{
	return !st->fw.forwards_stale && (!st->fw.wanted[FW_DNAT] || st->fw.present[FW_DNAT]) &&
	       (!st->fw.wanted[FW_ACCEPT_DNAT] || st->fw.present[FW_ACCEPT_DNAT]);
}

static json_object *bridge_json(const struct vmm_netcfg *n, const struct report_status *st)
{
	json_object *b = json_object_new_object();
	json_object_object_add(b, "name", json_object_new_string(n->bridge));
	json_object_object_add(b, "exists", json_object_new_boolean(st->bridge_exists));
	json_object_object_add(b, "is_bridge", json_object_new_boolean(st->bridge_is_bridge));
	if (st->bridge_exists)
		json_object_object_add(b, "kind", json_object_new_string(st->bridge_kind));
	json_object_object_add(b, "up", json_object_new_boolean(st->bridge_up));
	json_object_object_add(b, "address", json_object_new_string(n->address));
	json_object_object_add(b, "address_present", json_object_new_boolean(st->address_present));
	return b;
}

static json_object *taps_json(const struct report_status *st)
{
	json_object *taps = json_object_new_array();
	for (size_t i = 0; i < st->n_taps; i++) {
		const struct report_tap *t = &st->taps[i];
		json_object *x = json_object_new_object();
		json_object_object_add(x, "name", json_object_new_string(t->name));
		json_object_object_add(x, "guest", t->guest[0] ? json_object_new_string(t->guest) : NULL);
		json_object_object_add(x, "exists", json_object_new_boolean(t->exists));
		json_object_object_add(x, "enslaved", json_object_new_boolean(t->enslaved));
		json_object_object_add(x, "up", json_object_new_boolean(t->up));
		json_object_object_add(x, "in_use", t->in_use < 0 ? NULL
						 : json_object_new_boolean(t->in_use == 1));
		json_object_array_add(taps, x);
	}
	return taps;
}

/* One chain on the forward hook, as `net status --json` shows it under forward_hook. */
static json_object *hook_chain_json(const struct vmm_netcfg *n, const struct fw_hook_chain *c)
{
	json_object *x = json_object_new_object();
	char what[512];
	chain_state(n, c, what, sizeof(what));
	json_object_object_add(x, "family", json_object_new_string(c->family));
	json_object_object_add(x, "table", json_object_new_string(c->table));
	json_object_object_add(x, "chain", json_object_new_string(c->name));
	json_object_object_add(x, "priority", json_object_new_int(c->prio));
	json_object_object_add(x, "owner", json_object_new_string(c->owner));
	json_object_object_add(x, "vmm", json_object_new_boolean(c->vmm));
	json_object_object_add(x, "drops_guest_traffic", json_object_new_boolean(c->drops));
	json_object_object_add(x, "table_owned", json_object_new_boolean(c->owned));
	json_object_object_add(x, "opening_chain",
			       c->drops ? json_object_new_string(c->open_in) : NULL);
	json_object_object_add(x, "opening",
			       c->drops && !c->early && !c->owned && !c->odd_name
				       ? json_object_new_string(c->opened ? "present" : "missing")
				       : NULL);
	json_object_object_add(x, "state", json_object_new_string(what));
	return x;
}

static json_object *firewall_json(const struct vmm_netcfg *n, const struct report_status *st)
{
	json_object *fw = json_object_new_object();
	json_object_object_add(fw, "known", json_object_new_boolean(st->fw_known));
	if (!st->fw_known) {
		json_object_object_add(fw, "error", json_object_new_string(st->fw_error));
		return fw;
	}
	json_object_object_add(fw, "backend",
			       json_object_new_string(fw_backend_name(st->fw.backend)));
	json_object_object_add(fw, "backend_why", json_object_new_string(st->fw.backend_why));
	json_object *rules = json_object_new_array();
	for (int i = 0; i < FW_NRULES; i++) {
		if (!rule_listed(st, i))
			continue;
		json_object *r = json_object_new_object();
		json_object_object_add(r, "rule", json_object_new_string(fw_rule_name(
							  st->fw.backend, (enum fw_rule_id)i)));
		json_object_object_add(r, "state", json_object_new_string(rule_state(st, i)));
		json_object_array_add(rules, r);
	}
	json_object_object_add(fw, "rules", rules);
	json_object_object_add(fw, "chains_present",
			       json_object_new_boolean(st->fw.chains_present));
	json_object_object_add(fw, "forward_policy", json_object_new_string(st->fw.forward_policy));
	json_object_object_add(fw, "iptables_is_nft",
			       json_object_new_boolean(st->fw.iptables_is_nft));
	json_object_object_add(fw, "nft_forward_drop",
			       json_object_new_boolean(st->fw.nft_forward_drop));
	json_object_object_add(fw, "forwards", json_object_new_int((int)st->n_forwards));
	json_object_object_add(fw, "forwards_in_place",
			       json_object_new_boolean(forwards_in_place(st)));
	json_object *hook = json_object_new_array();
	for (size_t i = 0; i < st->fw.n_chains; i++)
		json_object_array_add(hook, hook_chain_json(n, &st->fw.chains[i]));
	json_object_object_add(fw, "forward_hook", hook);
	return fw;
}

static json_object *strings_json(char *const *v, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* The bridge's services: the IPv6 address, dnsmasq and its leases. */
static void services_text(const struct report_status *st)
{
	if (st->ipv6[0])
		printf("address %s: %s\n", st->ipv6, st->ipv6_present ? "present" : "missing");
	if (!st->dhcp)
		printf("dnsmasq: off (net.cfg dhcp = false)\n");
	else if (st->dnsmasq_pid)
		printf("dnsmasq: running (pid %d)\n", st->dnsmasq_pid);
	else
		printf("dnsmasq: not running (vmm net up starts it)\n");
	for (size_t i = 0; i < st->n_leases; i++) {
		const struct dnsmasq_lease *l = &st->leases[i];
		printf("lease %s %s%s%s", l->addr, strcmp(l->name, "*") ? l->name : "-",
		       l->mac[0] ? " " : "", l->mac);
		if (l->expiry)
			printf(" until %lld", l->expiry);
		printf("\n");
	}
}

static json_object *services_json(const struct report_status *st)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	json_object_object_add(o, "dhcp", json_object_new_boolean(st->dhcp));
	json_object_object_add(o, "pid", st->dnsmasq_pid ? json_object_new_int(st->dnsmasq_pid)
							: NULL);
	for (size_t i = 0; i < st->n_leases; i++) {
		const struct dnsmasq_lease *l = &st->leases[i];
		json_object *x = json_object_new_object();
		json_object_object_add(x, "address", json_object_new_string(l->addr));
		json_object_object_add(x, "mac", l->mac[0] ? json_object_new_string(l->mac) : NULL);
		json_object_object_add(x, "name", strcmp(l->name, "*") ? json_object_new_string(l->name)
								 : NULL);
		json_object_object_add(x, "expiry", json_object_new_int64(l->expiry));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "leases", a);
	json_object_object_add(o, "ipv6", st->ipv6[0] ? json_object_new_string(st->ipv6) : NULL);
	json_object_object_add(o, "ipv6_present", json_object_new_boolean(st->ipv6_present));
	return o;
}

static json_object *status_json(const struct vmm_netcfg *n, const struct report_status *st)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "bridge", bridge_json(n, st));
	json_object_object_add(o, "taps", taps_json(st));
	json_object_object_add(o, "forwarding", st->forwarding < 0 ? NULL
					 : json_object_new_boolean(st->forwarding == 1));
	json_object_object_add(o, "forwarding_by_vmm", json_object_new_boolean(st->forwarding_by_vmm));
	json_object_object_add(o, "uplink", st->uplink[0] ? json_object_new_string(st->uplink) : NULL);
	json_object_object_add(o, "dnsmasq", services_json(st));
	json_object_object_add(o, "firewall", firewall_json(n, st));
	json_object_object_add(o, "dns", strings_json(st->dns, st->n_dns));
	if (st->dns_error[0])
		json_object_object_add(o, "dns_error", json_object_new_string(st->dns_error));
	json_object_object_add(o, "problems", strings_json(st->problems, st->n_problems));
	json_object_object_add(o, "notes", strings_json(st->notes, st->n_notes));
	return o;
}

static void status_text(const struct vmm_netcfg *n, const struct report_status *st)
{
	if (!st->bridge_exists)
		printf("bridge %s: missing\n", n->bridge);
	else if (!st->bridge_is_bridge)
		printf("bridge %s: not a bridge (%s)\n", n->bridge, st->bridge_kind);
	else
		printf("bridge %s: present, %s\n", n->bridge, st->bridge_up ? "up" : "down");
	printf("address %s: %s\n", n->address, st->address_present ? "present" : "missing");
	for (size_t i = 0; i < st->n_taps; i++) {
		const struct report_tap *t = &st->taps[i];
		printf("tap %s", t->name);
		if (t->guest[0])
			printf(" (guest %s)", t->guest);
		if (!t->exists)
			printf(": missing\n");
		else
			printf(": present, %s, %s, %s\n", t->enslaved ? "enslaved" : "not enslaved",
			       t->up ? "up" : "down",
			       t->in_use == 1 ? "in use" : t->in_use == 0 ? "not in use" : "use unknown");
	}
	if (st->forwarding < 0)
		printf("forwarding: unknown\n");
	else
		printf("forwarding: %s%s\n", st->forwarding == 1 ? "on" : "off",
		       st->forwarding_by_vmm ? " (turned on by vmm)" : "");
	printf("uplink: %s\n", st->uplink[0] ? st->uplink : "none");
	services_text(st);
	if (st->fw_known) {
		printf("firewall: %s (%s)\n", fw_backend_name(st->fw.backend), st->fw.backend_why);
		for (int i = 0; i < FW_NRULES; i++)
			if (rule_listed(st, i))
				printf("firewall %s: %s\n",
				       fw_rule_name(st->fw.backend, (enum fw_rule_id)i), rule_state(st, i));
		if (st->fw.backend == FW_IPTABLES_LEGACY)
			printf("firewall FORWARD policy: %s\n", st->fw.forward_policy);
		if (st->fw.n_chains)
			printf("forward hook, in the order the kernel runs its chains:\n");
		for (size_t i = 0; i < st->fw.n_chains; i++) {
			const struct fw_hook_chain *c = &st->fw.chains[i];
			char what[512];
			chain_state(n, c, what, sizeof(what));
			printf("  %4d %s %s %s (%s): %s\n", c->prio, c->family, c->table, c->name,
			       c->owner, what);
		}
		if (st->n_forwards || st->fw.forwards_stale)
			printf("firewall port forwards (%zu, see vmm forward): %s\n", st->n_forwards,
			       forwards_in_place(st) ? "present"
						     : "not as the profiles say (vmm net up fixes it)");
	} else {
		printf("firewall: unknown (%s)\n", st->fw_error);
	}
	if (st->n_dns) {
		printf("dns:");
		for (size_t i = 0; i < st->n_dns; i++)
			printf(" %s", st->dns[i]);
		printf("\n");
	} else {
		printf("dns: none\n");
	}
	for (size_t i = 0; i < st->n_problems; i++)
		printf("problem: %s\n", st->problems[i]);
	for (size_t i = 0; i < st->n_notes; i++)
		printf("note: %s\n", st->notes[i]);
}

/* Without root: the namespace, its holder and pasta (what runs while guests run). */
struct ns_view {
	struct userns_info u;
	char **notes;
	size_t n_notes;
};

static json_object *ns_json(const struct ns_view *v)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "holder_pid", v->u.holder ? json_object_new_int(v->u.holder) : NULL);
	json_object_object_add(o, "pasta_pid", v->u.pasta ? json_object_new_int(v->u.pasta) : NULL);
	json_object_object_add(o, "forwarded_tcp", v->u.pasta ? json_object_new_string(v->u.tcp) : NULL);
	json_object_object_add(o, "forwarded_udp", v->u.pasta ? json_object_new_string(v->u.udp) : NULL);
	json_object_object_add(o, "notes", strings_json(v->notes, v->n_notes));
	return o;
}

static void ns_text(const struct ns_view *v)
{
	if (!v->u.holder)
		printf("namespace: none (vmm net up makes one of your own, without root)\n");
	else
		printf("namespace: your own, held by pid %ld (" USERNS_HOLDER_NAME ")\n",
		       (long)v->u.holder);
	if (v->u.holder && v->u.pasta)
		printf("pasta: pid %ld, the uplink; forwards from the host: tcp %s, udp %s\n",
		       (long)v->u.pasta, v->u.tcp, v->u.udp);
	else if (v->u.holder)
		printf("pasta: not running (no uplink; vmm net up starts it)\n");
}

static void print_status(const struct net_opts *o, const struct vmm_netcfg *n,
			 const struct report_status *st, const struct ns_view *v)
{
	if (o->json) {
		json_object *j = st ? status_json(n, st) : json_object_new_object();
		json_object_object_add(j, "mode", json_object_new_string(v ? "user namespace"
									     : "host"));
		if (v)
			json_object_object_add(j, "namespace", ns_json(v));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
		return;
	}
	if (v)
		ns_text(v);
	if (st)
		status_text(n, st);
	for (size_t i = 0; v && i < v->n_notes; i++)
		printf("note: %s\n", v->notes[i]);
}

static int net_status(struct vmm_ctx *ctx, const struct net_opts *o, const struct vmm_netcfg *n,
		      const struct vmm_profile *g, size_t ng)
{
	struct report_status st;
	struct ns_view v = { 0 };
	bool rootless = netmode_current()->rootless, have = false;
	int rc = 0;
	/* the host's side first (its sysctls), then the state inside the namespace */
	if (rootless && (userns_info(&ctx->home, &v.u) < 0 ||
			 userns_notes(&v.notes, &v.n_notes) < 0))
		return cmd_report();
	struct vmm_netcfg m = *n; /* (a shallow copy: its strings stay n's) */
	m.dhcp = m.dhcp && !rootless; /* no dnsmasq in the user's namespace (netmode.c) */
	if (!rootless || v.u.holder) {
		if ((rootless && userns_enter(&ctx->home) < 0) ||
		    report_status(&ctx->home, &m, g, ng, &st) < 0)
			rc = cmd_report();
		have = rc == 0;
	}
	if (rc == 0)
		print_status(o, &m, have ? &st : NULL, rootless ? &v : NULL);
	if (have)
		report_status_free(&st);
	for (size_t i = 0; i < v.n_notes; i++)
		free(v.notes[i]);
	free(v.notes);
	return rc;
}

/* What each of net_subs does, in the same order. */
static const struct {
	net_fn fn;
	bool needs_admin;
} net_cmds[] = {
	{ net_up, true },
	{ net_down, true },
	{ net_status, false },
};
_Static_assert(ARRAY_SIZE(net_cmds) == ARRAY_SIZE(net_subs) - 1,
	       "net_cmds and net_subs list the same subcommands");

int cmd_net(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct net_args a = { 0 };
	struct vmm_netcfg n;
	struct vmm_profile *guests = NULL;
	size_t ng = 0;
	int rc = cmd_parse(&cmd_net_spec, argc, argv, &a);
	if (rc)
		return rc;
	if (optind >= argc)
		return cmd_usage_error("net", "missing subcommand: up, down or status");
	const char *sub = argv[optind++];
	if (optind < argc)
		return cmd_usage_error("net", "unexpected argument \"%s\"", argv[optind]);
	struct net_opts o = { .force = a.force, .json = ctx->json, .dry_run = ctx->dry_run };
	size_t k = 0;
	while (net_subs[k].name && strcmp(net_subs[k].name, sub))
		k++;
	if (!net_subs[k].name)
		return cmd_usage_error("net", "unknown subcommand \"%s\" (up, down or status)", sub);
	if (o.force && strcmp(sub, "down") != 0)
		return cmd_usage_error("net", "--force is for \"net down\"");
	/* without root the network is the user's own namespace; as root it needs CAP_NET_ADMIN */
	if (net_cmds[k].needs_admin && !o.dry_run && !netmode_current()->rootless &&
	    !hostnet_can_admin())
		return cmd_error(VMM_EFAIL, "net %s: needs root (CAP_NET_ADMIN)", sub);

	struct store_invalid *bad = NULL;
	size_t n_bad = 0;
	if (store_load_net(&ctx->home, &n) < 0 ||
	    store_load_all(&ctx->home, &guests, &ng, &bad, &n_bad) < 0) {
		netcfg_free(&n);
		return cmd_report();
	}
	/* a profile that does not load is one broken guest: the others still get their network */
	if (strcmp(sub, "status") != 0)
		for (size_t i = 0; i < n_bad; i++)
			cmd_note(ctx, "vmm: net %s: skipped %s: %s", sub, bad[i].name, bad[i].reason);
	store_free_invalid(bad, n_bad);
	/* ipv6 = "auto" becomes this host's prefix once, in net.cfg */
	if (!strcmp(sub, "up") && !o.dry_run && store_net_resolve(&ctx->home, &n) < 0)
		rc = cmd_report();
	else
		rc = net_cmds[k].fn(ctx, &o, &n, guests, ng);
	store_free_all(guests, ng);
	netcfg_free(&n);
	return rc;
}

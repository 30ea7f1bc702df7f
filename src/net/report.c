// SPDX-License-Identifier: MIT
/* report.c: `vmm net status`: the state of vmm's network pieces and the sentences on host problems */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "vmm/sys/error.h"
#include "vmm/config/dns.h"
#include "vmm/net/forward.h"
#include "vmm/net/hostnet.h"
#include "vmm/net/journal.h"
#include "vmm/net/link.h"
#include "vmm/net/report.h"
#include "vmm/net/tap.h"
#include "vmm/sys/util.h"

static void push_str(char ***v, size_t *n, char *s /* owned */)
{
	char **g = realloc(*v, (*n + 1) * sizeof(**v));
	if (!g)
		abort();
	*v = g;
	g[(*n)++] = s;
}

#define PROBLEM(st, ...) push_str(&(st)->problems, &(st)->n_problems, util_fmt(__VA_ARGS__))
#define NOTE(st, ...) push_str(&(st)->notes, &(st)->n_notes, util_fmt(__VA_ARGS__))

static void add_tap(struct nl_sock *sk, struct report_status *st, const struct hostnet_probe *pb,
		    const char *tap, const char *guest)
{
	for (size_t j = 0; j < st->n_taps; j++)
		if (!strcmp(st->taps[j].name, tap))
			return;
	struct report_tap *g = realloc(st->taps, (st->n_taps + 1) * sizeof(*g));
	if (!g)
		abort();
	st->taps = g;
	struct report_tap *t = &g[st->n_taps++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", tap);
	snprintf(t->guest, sizeof(t->guest), "%s", guest ? guest : "");
	struct rtnl_link *l = NULL;
	t->in_use = -1;
	if (link_get(sk, tap, &l) == 0 && l) {
		const char *kind = rtnl_link_get_type(l);
		t->exists = kind && !strcmp(kind, "tun");
		t->up = rtnl_link_get_flags(l) & IFF_UP;
		t->enslaved = pb->ifindex > 0 && rtnl_link_get_master(l) == pb->ifindex;
		rtnl_link_put(l);
		if (t->exists)
			t->in_use = tap_in_use(tap);
	}
	vmm_error_clear();
}

/* Taps of the guests, then journaled taps no guest names any more. */
static void taps_of(struct nl_sock *sk, struct report_status *st, const struct hostnet_probe *pb,
		    const struct vmm_profile *guests, size_t n_guests, const struct journal *j)
{
	for (size_t i = 0; i < n_guests; i++)
		if (guests[i].tap[0])
			add_tap(sk, st, pb, guests[i].tap, guests[i].name);
	for (size_t i = 0; i < j->n; i++)
		if (j->v[i].kind == J_TAP && j->v[i].name[0])
			add_tap(sk, st, pb, j->v[i].name, NULL);
}

static void firewall_of(struct report_status *st, const struct vmm_netcfg *n,
			const struct vmm_profile *guests, size_t n_guests)
{
	struct fw_config fc;
	struct fw_forward *fwd = NULL;
	hostnet_fw_config(n, &fc);
	forward_list(guests, n_guests, false, &fwd, &fc.n_forwards);
	fc.forwards = fwd;
	st->n_forwards = fc.n_forwards;
	/* the forwards net up leaves out: they would take a host port from the host */
	for (size_t i = 0; i < n_guests; i++)
		for (size_t j = 0; guests[i].address && j < guests[i].n_forwards; j++) {
			char line[320];
			if (forward_left_out(&guests[i].forwards[j], guests[i].name, line,
					     sizeof(line)))
				PROBLEM(st, "%s", line);
		}
	for (int i = 0; i < FW_NRULES; i++)
		st->fw_relevant[i] = fc.nat || (i != FW_MASQ && i != FW_JUMP_POSTROUTING);
	if (fw_status(&fc, &st->fw) == 0) {
		st->fw_known = true;
	} else {
		snprintf(st->fw_error, sizeof(st->fw_error), "%s", vmm_errmsg());
		vmm_error_clear();
	}
	free(fwd);
}

/* The guests' DNS servers; true when the host has only a loopback resolver. */
static bool dns_of(struct report_status *st, const struct vmm_netcfg *n)
{
	bool loopback_only = false;
	if (n->n_dns == 0 || (n->n_dns == 1 && !strcmp(n->dns[0], "auto"))) {
		if (dns_host_servers(&st->dns, &st->n_dns, &loopback_only) < 0)
			snprintf(st->dns_error, sizeof(st->dns_error), "%s", vmm_errmsg());
	} else if (dns_servers(n, &st->dns, &st->n_dns) < 0) {
		snprintf(st->dns_error, sizeof(st->dns_error), "%s", vmm_errmsg());
	}
	vmm_error_clear();
	return loopback_only;
}

static void firewall_problems(struct report_status *st, const struct vmm_netcfg *n)
{
	if (!st->fw_known)
		return;
	bool accept = st->fw.present[FW_JUMP_FORWARD] && st->fw.present[FW_ACCEPT_OUT] &&
		      st->fw.present[FW_ACCEPT_BACK];
	if (!strcmp(st->fw.forward_policy, "DROP") || !strcmp(st->fw.forward_policy, "REJECT"))
		PROBLEM(st, "the FORWARD policy is %s (iptables-legacy)%s", st->fw.forward_policy,
			accept ? "; vmm's accept rules let the guests through"
			       : " and vmm's accept rules are missing: guests cannot reach the "
				 "network until `vmm net up`");
	if (st->fw.nft_forward_drop)
		PROBLEM(st, "an nf_tables forward chain drops by default (iptables-nft or nft): "
			    "vmm's legacy rules cannot override it; accept traffic from and back to "
			    "%s there", n->bridge);
	bool leave = n->foreign && !strcmp(n->foreign, "leave");
	for (size_t i = 0; i < st->fw.n_chains; i++) {
		const struct fw_hook_chain *c = &st->fw.chains[i];
		if (!c->drops || (c->opened && !c->early))
			continue;
		if (c->owned && !c->early && !strcmp(c->owner, "firewalld"))
			PROBLEM(st, "%s %s %s (firewalld) drops guest traffic and its table is owned by "
				    "firewalld (flag owner): vmm cannot open it; `firewall-cmd --permanent "
				    "--zone=trusted --add-interface=%s && firewall-cmd --reload` would",
				c->family, c->table, c->name, n->bridge);
		else if (c->odd_name && !c->owned && !c->early)
			PROBLEM(st, "%s %s %s (%s) drops guest traffic and its name cannot be written in "
				    "nft's syntax: vmm cannot open it; accept traffic from and back to %s "
				    "there",
				c->family, c->table, c->name, c->owner, n->bridge);
		else if (c->owned && !c->early)
			PROBLEM(st, "%s %s %s (%s) drops guest traffic and its table is owned by another "
				    "process (flag owner): vmm cannot open it; that tool must accept "
				    "traffic from and back to %s",
				c->family, c->table, c->name, c->owner, n->bridge);
		else if (c->early)
			PROBLEM(st, "%s %s %s (%s) drops guest traffic and runs before vmm's chain: "
				    "accept traffic from and back to %s there",
				c->family, c->table, c->name, c->owner, n->bridge);
		else if (leave)
			PROBLEM(st, "%s %s %s (%s) drops guest traffic; left alone (foreign = \"leave\")",
				c->family, c->table, c->name, c->owner);
		else
			PROBLEM(st, "%s %s %s (%s) drops guest traffic and vmm's opening in %s is "
				    "missing: `vmm net up` puts it back",
				c->family, c->table, c->name, c->owner, c->open_in);
	}
	if (st->fw.backend == FW_NFTABLES)
		NOTE(st, "vmm's rules: `nft list table inet vmm`");
	if (st->fw.iptables_is_nft)
		NOTE(st, "iptables here is the nf_tables variant: vmm's rules are visible with "
			 "`iptables-legacy -S` and `iptables-legacy -t nat -S`, not `iptables -S`");
}

static void host_problems(struct report_status *st, const struct vmm_netcfg *n,
			  const struct hostnet_probe *pb, bool loopback_only)
{
	char a[16];
	util_format_ipv4(n->addr, a);
	if (pb->bridge_exists && !pb->is_bridge)
		PROBLEM(st, "an interface named %s exists and is not a bridge (it is a %s)",
			n->bridge, pb->kind);
	if (*pb->addr_elsewhere) {
		PROBLEM(st, "the bridge address %s is already on %s", a, pb->addr_elsewhere);
	} else if (*pb->overlap) {
		char net[16];
		util_format_ipv4(netcfg_network(n), net);
		PROBLEM(st, "the subnet %s/%u overlaps %s", net, n->prefix, pb->overlap);
	}
	firewall_problems(st, n);
	if (util_read_int(HOSTNET_BR_NF_CALL) == 1)
		PROBLEM(st, "br_netfilter is loaded with bridge-nf-call-iptables = 1: bridged "
			    "traffic between guests goes through the iptables FORWARD chain");
	if (loopback_only)
		PROBLEM(st, "only a loopback resolver: %s", st->dns_error);
	else if (*st->dns_error)
		PROBLEM(st, "%s", st->dns_error);
	if (st->forwarding == 0 && pb->bridge_exists)
		PROBLEM(st, "IPv4 forwarding is off: guests cannot reach beyond the host");
	bool named = n->uplink && strcmp(n->uplink, "auto") != 0;
	if (!st->uplink_exists && named)
		PROBLEM(st, "uplink %s does not exist", n->uplink);
	else if (!st->uplink_exists)
		PROBLEM(st, "no default route: no uplink");
}

/* dnsmasq, its leases, and the bridge's IPv6 address. */
static void services_of(struct report_status *st, const struct vmm_home *h,
			const struct vmm_netcfg *n)
{
	struct dnsmasq_conf c;
	st->dhcp = n->dhcp;
	dnsmasq_conf_init(&c, n, h, hostnet_dnsmasq_pub());
	st->dnsmasq_pid = (int)dnsmasq_running(&c);
	if (dnsmasq_leases(&c, &st->leases, &st->n_leases) < 0)
		vmm_error_clear();
	dnsmasq_conf_free(&c);
	if (!n->has_ipv6)
		return;
	char ip[IPV6_TEXT_MAX];
	ipv6_host(n->ipv6_prefix, 1, ip);
	snprintf(st->ipv6, sizeof(st->ipv6), "%s/64", ip);
	/* /proc/net/if_inet6: "ADDR32HEX IFINDEX PLEN SCOPE FLAGS NAME" */
	uint8_t a[16];
	char hex[33];
	if (inet_pton(AF_INET6, ip, a) != 1)
		return;
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", a[i]);
	char *t = util_read_file("/proc/net/if_inet6", NULL);
	vmm_error_clear();
	for (char *l = t; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		char ah[33] = "", dev[IF_NAMESIZE] = "";
		if (sscanf(l, "%32s %*x %*x %*x %*x %15s", ah, dev) == 2 && !strcmp(ah, hex) &&
		    !strcmp(dev, n->bridge))
			st->ipv6_present = true;
	}
	free(t);
}

int report_status(const struct vmm_home *h, const struct vmm_netcfg *n,
		  const struct vmm_profile *guests, size_t n_guests, struct report_status *st)
{
	struct nl_sock *sk = NULL;
	struct hostnet_probe pb;
	struct journal j = { 0 };
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (!(sk = link_nl_open(NULL)) || hostnet_probe(sk, n, &pb) < 0)
		goto out;
	st->bridge_exists = pb.bridge_exists;
	st->bridge_is_bridge = pb.is_bridge;
	snprintf(st->bridge_kind, sizeof(st->bridge_kind), "%s", pb.kind);
	st->bridge_up = pb.up;
	st->address_present = pb.addr_on_bridge;
	st->forwarding = util_read_int(HOSTNET_IP_FORWARD);
	if (journal_load(h, &j) == 0) {
		st->state_recorded = j.n > 0;
		for (size_t i = 0; i < j.n; i++)
			st->forwarding_by_vmm |= j.v[i].kind == J_FORWARDING;
	}
	vmm_error_clear();
	taps_of(sk, st, &pb, guests, n_guests, &j);
	if (n->uplink && strcmp(n->uplink, "auto") != 0) {
		snprintf(st->uplink, sizeof(st->uplink), "%s", n->uplink);
		st->uplink_exists = if_nametoindex(n->uplink) != 0;
	} else {
		link_default_uplink(sk, st->uplink);
		st->uplink_exists = st->uplink[0] != '\0';
	}
	firewall_of(st, n, guests, n_guests);
	services_of(st, h, n);
	bool loopback_only = dns_of(st, n);
	host_problems(st, n, &pb, loopback_only);
	rc = 0;
out:
	if (sk)
		nl_socket_free(sk);
	journal_free(&j);
	if (rc < 0)
		report_status_free(st);
	return rc;
}

void report_status_free(struct report_status *st)
{
	free(st->taps);
	free(st->leases);
	dns_free(st->dns, st->n_dns);
	for (size_t i = 0; i < st->n_problems; i++)
		free(st->problems[i]);
	free(st->problems);
	for (size_t i = 0; i < st->n_notes; i++)
		free(st->notes[i]);
	free(st->notes);
	memset(st, 0, sizeof(*st));
}

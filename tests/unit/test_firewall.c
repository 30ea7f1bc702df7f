// SPDX-License-Identifier: MIT
/* test_firewall.c: firewall rule text and validation (no root); with --ns, the real libiptc cases
 * inside a network namespace (tests/net/firewall.sh); with --do, a tiny driver for that script */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <netinet/in.h>

#include "golden.h"
#include "vmm/sys/error.h"
#include "vmm/net/firewall.h"
#include "vmm/net/iptables.h"
#include "vmm/net/nftables.h"
#include "vmm/sys/util.h"

#define NET166 ((192u << 24) | (168u << 16) | (166u << 8))
#define NET167 ((192u << 24) | (168u << 16) | (167u << 8))

static const struct fw_config tut = { .bridge = "br0", .network = NET166, .prefix = 24, .nat = true, .backend = FW_IPTABLES_LEGACY };

/* The bridge's own rules and jumps (not the forwards'): fw_rule_line prints them. */
static bool fixed_id(int i)
{
	return i <= FW_MASQ || i == FW_ACCEPT_BRIDGED || i == FW_DROP_OUT || i == FW_DROP_IN;
}

/* ---- pure cases ---- */

static void test_rule_names(void **state)
{
	static const enum fw_backend b[] = { FW_IPTABLES_LEGACY, FW_NFTABLES };
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < FW_NRULES; i++) {
			assert_non_null(fw_rule_name(b[k], (enum fw_rule_id)i));
			for (int j = 0; j < i; j++)
				assert_string_not_equal(fw_rule_name(b[k], (enum fw_rule_id)i),
							fw_rule_name(b[k], (enum fw_rule_id)j));
		}
	assert_null(fw_rule_name(FW_IPTABLES_LEGACY, FW_NRULES));
	assert_null(fw_rule_name(FW_IPTABLES_LEGACY, (enum fw_rule_id)-1));
}

static const char plan_tut[] =
	"*filter\n"
	":VMM-FORWARD - [0:0]\n"
	"-I FORWARD -m comment --comment vmm -j VMM-FORWARD\n"
	"-A VMM-FORWARD -i br0 -o br0 -m comment --comment \"vmm br0\" -j ACCEPT\n"
	"-A VMM-FORWARD -s 192.168.166.0/24 -i br0 -m comment --comment \"vmm br0\" -j ACCEPT\n"
	"-A VMM-FORWARD -o br0 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment \"vmm br0\" -j ACCEPT\n"
	"-A VMM-FORWARD -i br0 -m comment --comment \"vmm br0\" -j DROP\n"
	"-A VMM-FORWARD -o br0 -m comment --comment \"vmm br0\" -j DROP\n"
	"COMMIT\n"
	"*nat\n"
	":VMM-POSTROUTING - [0:0]\n"
	"-I POSTROUTING -m comment --comment vmm -j VMM-POSTROUTING\n"
	"-A VMM-POSTROUTING -s 192.168.166.0/24 ! -o br0 -m comment --comment \"vmm br0\" -j MASQUERADE\n"
	"COMMIT\n";

static void test_plan(void **state)
{
	char *text = NULL;
	assert_int_equal(fw_plan(&tut, &text), 0);
	assert_non_null(text);
	assert_string_equal(text, plan_tut);
	free(text);

	struct fw_config c = { .bridge = "vmbr-1", .network = NET167, .prefix = 25, .nat = false, .backend = FW_IPTABLES_LEGACY };
	c.network = NET167 | 128;
	assert_int_equal(fw_plan(&c, &text), 0);
	assert_string_equal(text,
			    "*filter\n"
			    ":VMM-FORWARD - [0:0]\n"
			    "-I FORWARD -m comment --comment vmm -j VMM-FORWARD\n"
			    "-A VMM-FORWARD -i vmbr-1 -o vmbr-1 -m comment --comment \"vmm vmbr-1\" -j ACCEPT\n"
			    "-A VMM-FORWARD -s 192.168.167.128/25 -i vmbr-1 -m comment --comment \"vmm vmbr-1\" -j ACCEPT\n"
			    "-A VMM-FORWARD -o vmbr-1 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment \"vmm vmbr-1\" -j ACCEPT\n"
			    "-A VMM-FORWARD -i vmbr-1 -m comment --comment \"vmm vmbr-1\" -j DROP\n"
			    "-A VMM-FORWARD -o vmbr-1 -m comment --comment \"vmm vmbr-1\" -j DROP\n"
			    "COMMIT\n");
	free(text);
}

static void test_rule_line(void **state)
{
	char buf[512];
	struct fw_config c = { .bridge = "br.0", .network = NET166 | 7, .prefix = 32, .nat = true, .backend = FW_IPTABLES_LEGACY };
	assert_int_equal(fw_rule_line(&c, FW_MASQ, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "-A VMM-POSTROUTING -s 192.168.166.7/32 ! -o br.0 -m comment --comment \"vmm br.0\" -j MASQUERADE");
	assert_int_equal(fw_rule_line(&c, FW_JUMP_POSTROUTING, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "-A POSTROUTING -m comment --comment vmm -j VMM-POSTROUTING");
	assert_int_equal(fw_rule_line(&c, FW_ACCEPT_OUT, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "-A VMM-FORWARD -s 192.168.166.7/32 -i br.0 -m comment --comment \"vmm br.0\" -j ACCEPT");
	assert_int_equal(fw_rule_line(&c, FW_ACCEPT_BRIDGED, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "-A VMM-FORWARD -i br.0 -o br.0 -m comment --comment \"vmm br.0\" -j ACCEPT");
	assert_int_equal(fw_rule_line(&c, FW_DROP_OUT, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "-A VMM-FORWARD -i br.0 -m comment --comment \"vmm br.0\" -j DROP");
	assert_int_equal(fw_rule_line(&c, FW_DROP_IN, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "-A VMM-FORWARD -o br.0 -m comment --comment \"vmm br.0\" -j DROP");
	assert_int_equal(fw_rule_line(&c, FW_DNAT, buf, sizeof(buf)), -1); /* a forward's: no line */
	assert_int_equal(fw_rule_line(&c, FW_NRULES, buf, sizeof(buf)), -1);
	assert_int_equal(fw_rule_line(&c, FW_MASQ, buf, 20), -1); /* too small: refused, not cut */
}

static const struct fw_forward fwd_web[] = {
	{ IPPROTO_TCP, 8080, 80, NET166 | 100, "web", 0, false, { 0 } },
	{ IPPROTO_UDP, 5353, 53, NET166 | 100, "web", 0, false, { 0 } },
	{ IPPROTO_TCP, 2222, 22, NET166 | 101, "db-1", 0, false, { 0 } },
};

/* Port forwards: the lines are byte-identical to what iptables-legacy-save prints for the entries
 * (tests/net/firewall.sh checks that against the kernel); the nat table comes with forwards
 * even when nat is off. */
static void test_plan_forwards(void **state)
{
	struct fw_config c = tut;
	char *text = NULL;
	c.forwards = fwd_web;
	c.n_forwards = 3;
	assert_int_equal(fw_plan(&c, &text), 0);
	assert_string_equal(text,
		"*filter\n"
		":VMM-FORWARD - [0:0]\n"
		"-I FORWARD -m comment --comment vmm -j VMM-FORWARD\n"
		"-A VMM-FORWARD -i br0 -o br0 -m comment --comment \"vmm br0\" -j ACCEPT\n"
		"-A VMM-FORWARD -s 192.168.166.0/24 -i br0 -m comment --comment \"vmm br0\" -j ACCEPT\n"
		"-A VMM-FORWARD -o br0 -m conntrack --ctstate RELATED,ESTABLISHED "
		"-m comment --comment \"vmm br0\" -j ACCEPT\n"
		"-A VMM-FORWARD -d 192.168.166.100/32 -o br0 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -m comment --comment \"vmm br0 web\" -j ACCEPT\n"
		"-A VMM-FORWARD -d 192.168.166.100/32 -o br0 -p udp -m udp --dport 53 -m conntrack --ctstate DNAT -m comment --comment \"vmm br0 web\" -j ACCEPT\n"
		"-A VMM-FORWARD -d 192.168.166.101/32 -o br0 -p tcp -m tcp --dport 22 -m conntrack --ctstate DNAT -m comment --comment \"vmm br0 db-1\" -j ACCEPT\n"
		"-A VMM-FORWARD -i br0 -m comment --comment \"vmm br0\" -j DROP\n"
		"-A VMM-FORWARD -o br0 -m comment --comment \"vmm br0\" -j DROP\n"
		"COMMIT\n"
		"*nat\n"
		":VMM-POSTROUTING - [0:0]\n"
		":VMM-PREROUTING - [0:0]\n"
		":VMM-OUTPUT - [0:0]\n"
		"-I POSTROUTING -m comment --comment vmm -j VMM-POSTROUTING\n"
		"-A VMM-POSTROUTING -s 192.168.166.0/24 ! -o br0 -m comment --comment \"vmm br0\" -j MASQUERADE\n"
		"-I PREROUTING -m comment --comment vmm -j VMM-PREROUTING\n"
		"-A VMM-PREROUTING -p tcp -m tcp --dport 8080 -m addrtype --dst-type LOCAL -m comment --comment \"vmm br0 web\" -j DNAT --to-destination 192.168.166.100:80\n"
		"-A VMM-PREROUTING -p udp -m udp --dport 5353 -m addrtype --dst-type LOCAL -m comment --comment \"vmm br0 web\" -j DNAT --to-destination 192.168.166.100:53\n"
		"-A VMM-PREROUTING -p tcp -m tcp --dport 2222 -m addrtype --dst-type LOCAL -m comment --comment \"vmm br0 db-1\" -j DNAT --to-destination 192.168.166.101:22\n"
		"-I OUTPUT -m comment --comment vmm -j VMM-OUTPUT\n"
		"-A VMM-OUTPUT ! -d 127.0.0.0/8 -p tcp -m tcp --dport 8080 -m addrtype --dst-type LOCAL -m comment --comment \"vmm br0 web\" -j DNAT --to-destination 192.168.166.100:80\n"
		"-A VMM-OUTPUT ! -d 127.0.0.0/8 -p udp -m udp --dport 5353 -m addrtype --dst-type LOCAL -m comment --comment \"vmm br0 web\" -j DNAT --to-destination 192.168.166.100:53\n"
		"-A VMM-OUTPUT ! -d 127.0.0.0/8 -p tcp -m tcp --dport 2222 -m addrtype --dst-type LOCAL -m comment --comment \"vmm br0 db-1\" -j DNAT --to-destination 192.168.166.101:22\n"
		"COMMIT\n");
	free(text);

	/* a forward bound to one address: its DNAT rules match that destination only */
	struct fw_forward bound = fwd_web[0];
	bound.host_ip = (192u << 24) | (168u << 16) | (1u << 8) | 184u;
	c.forwards = &bound;
	c.n_forwards = 1;
	assert_int_equal(fw_plan(&c, &text), 0);
	assert_non_null(strstr(text, "\n-A VMM-PREROUTING -d 192.168.1.184/32 -p tcp -m tcp --dport 8080 -m addrtype --dst-type LOCAL -m comment --comment \"vmm br0 web\" -j DNAT --to-destination 192.168.166.100:80\n"));
	assert_non_null(strstr(text, "\n-A VMM-OUTPUT -d 192.168.1.184/32 -p tcp -m tcp --dport 8080 -m addrtype --dst-type LOCAL -m comment --comment \"vmm br0 web\" -j DNAT --to-destination 192.168.166.100:80\n"));
	free(text);
	bound.host_ip = (127u << 24) | 1;
	assert_int_equal(fw_plan(&c, &text), -1);
	assert_string_equal(vmm_errmsg(), "firewall: forward 1 of web: host address not usable (loopback, 0.0.0.0/8 or multicast)");

	c.forwards = fwd_web;
	c.nat = false;
	c.n_forwards = 1;
	assert_int_equal(fw_plan(&c, &text), 0);
	assert_non_null(strstr(text, "COMMIT\n*nat\n:VMM-PREROUTING - [0:0]\n:VMM-OUTPUT - [0:0]\n"
				     "-I PREROUTING -m comment --comment vmm -j VMM-PREROUTING\n"));
	assert_null(strstr(text, "POSTROUTING"));
	free(text);
}

/* ---- IPv6 (ip6tables through libip6tc) ---- */

/* fd00:1234:5678:9abc::/64, the /64 of tests/net/firewall.sh's home */
static const struct fw_config tut6 = { .bridge = "br0", .network = NET166, .prefix = 24,
	.nat = true, .backend = FW_IPTABLES_LEGACY, .ipv6 = true,
	.prefix6 = { 0xfd, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc }, .nat6 = true };

/* the forwards of firewall.sh's two guests, in the order vmm lists them (by profile name) */
static const struct fw_forward fwd_mac[] = {
	{ IPPROTO_TCP, 2222, 22, NET166 | 101, "db-1", 0, true, { 0x52, 0x54, 0, 0, 0, 0x11 } },
	{ IPPROTO_TCP, 8080, 80, NET166 | 100, "web", 0, true, { 0x52, 0x54, 0, 0, 0, 0x10 } },
	{ IPPROTO_UDP, 5353, 53, NET166 | 100, "web", 0, true, { 0x52, 0x54, 0, 0, 0, 0x10 } },
};

#define MARK6 "# ip6tables-legacy-restore --noflush\n"

/* The plan's IPv6 part (from its marker line on; NULL when there is none), checked to come once
 * and after the whole IPv4 part: the IPv4 part is byte for byte the plan without ipv6. */
static const char *v6_part(const struct fw_config *c, const char *text)
{
	struct fw_config v4 = *c;
	char *plain = NULL;
	const char *m = strstr(text, MARK6);
	v4.ipv6 = false;
	assert_int_equal(fw_plan(&v4, &plain), 0);
	if (!m) {
		assert_string_equal(text, plain);
		free(plain);
		return NULL;
	}
	assert_null(strstr(m + 1, MARK6));
	assert_int_equal((size_t)(m - text), strlen(plain));
	assert_memory_equal(text, plain, strlen(plain));
	free(plain);
	return m + strlen(MARK6);
}

/* The whole plan with the IPv6 rules (ip6 filter: the accepts, the forwards' accepts to the
 * guests' SLAAC addresses, the drops last; ip6 nat: masquerade of the /64, the forwards' DNAT
 * with ::1 left alone) against tests/unit/golden/fw_legacy_ipv6.plan, which tests/net/firewall.sh
 * also holds `vmm net up --dry-run`'s firewall part to. */
static void test_plan_v6_golden(void **state)
{
	struct fw_config c = tut6;
	char *text = NULL;
	c.forwards = fwd_mac;
	c.n_forwards = 3;
	assert_int_equal(fw_plan(&c, &text), 0);
	golden_check("fw_legacy_ipv6.plan", text, strlen(text), "fw_plan's text");
	assert_non_null(v6_part(&c, text));
	free(text);
}

/* Which IPv6 rules come with which settings. */
static void test_plan_v6_cases(void **state)
{
	struct fw_config c = tut6;
	struct fw_forward f[3] = { fwd_mac[0], fwd_mac[1], fwd_mac[2] };
	char *text = NULL;
	const char *p;
	static const char filter6[] =
		"*filter\n"
		":VMM-FORWARD - [0:0]\n"
		"-I FORWARD -m comment --comment vmm -j VMM-FORWARD\n"
		"-A VMM-FORWARD -i br0 -o br0 -m comment --comment \"vmm br0\" -j ACCEPT\n"
		"-A VMM-FORWARD -s fd00:1234:5678:9abc::/64 -i br0 "
		"-m comment --comment \"vmm br0\" -j ACCEPT\n"
		"-A VMM-FORWARD -o br0 -m conntrack --ctstate RELATED,ESTABLISHED "
		"-m comment --comment \"vmm br0\" -j ACCEPT\n"
		"-A VMM-FORWARD -i br0 -m comment --comment \"vmm br0\" -j DROP\n"
		"-A VMM-FORWARD -o br0 -m comment --comment \"vmm br0\" -j DROP\n"
		"COMMIT\n";
	static const char masq6[] =
		"*nat\n"
		":VMM-POSTROUTING - [0:0]\n"
		"-I POSTROUTING -m comment --comment vmm -j VMM-POSTROUTING\n"
		"-A VMM-POSTROUTING -s fd00:1234:5678:9abc::/64 ! -o br0 "
		"-m comment --comment \"vmm br0\" -j MASQUERADE\n"
		"COMMIT\n";

	/* no forwards: ip6 filter, then the NAT66 masquerade */
	assert_int_equal(fw_plan(&c, &text), 0);
	p = v6_part(&c, text);
	assert_non_null(p);
	assert_int_equal(strncmp(p, filter6, strlen(filter6)), 0);
	assert_string_equal(p + strlen(filter6), masq6);
	free(text);

	/* nat6 = false: routed, no ip6 nat table at all; IPv4 still masqueraded */
	c.nat6 = false;
	assert_int_equal(fw_plan(&c, &text), 0);
	assert_string_equal(v6_part(&c, text), filter6);
	free(text);

	/* nat = false, nat6 = true: the masquerade only in ip6 nat */
	c.nat = false;
	c.nat6 = true;
	assert_int_equal(fw_plan(&c, &text), 0);
	p = v6_part(&c, text);
	assert_string_equal(p + strlen(filter6), masq6);
	assert_null(strstr(text, "192.168.166.0/24 ! -o br0")); /* no IPv4 masquerade */
	free(text);

	/* nat6 = false with forwards: the forwards' DNAT, no POSTROUTING */
	c = tut6;
	c.nat6 = false;
	c.forwards = f;
	c.n_forwards = 1;
	assert_int_equal(fw_plan(&c, &text), 0);
	p = v6_part(&c, text);
	assert_null(strstr(p, "POSTROUTING"));
	assert_non_null(strstr(p, "COMMIT\n*nat\n:VMM-PREROUTING - [0:0]\n:VMM-OUTPUT - [0:0]\n"));
	assert_non_null(strstr(p, "\n-A VMM-OUTPUT ! -d ::1/128 -p tcp -m tcp --dport 2222 "
		"-m addrtype --dst-type LOCAL -m comment --comment \"vmm br0 db-1\" "
		"-j DNAT --to-destination [fd00:1234:5678:9abc:5054:ff:fe00:11]:22\n"));
	free(text);

	/* IPv4 only: a forward bound to an IPv4 address, one without the guest's MAC; both
	 * such forwards leave ip6 nat unmade and the ip6 filter without their accepts */
	c = tut6;
	c.nat6 = false;
	f[0].host_ip = (192u << 24) | (168u << 16) | (1u << 8) | 184u;
	f[1].has_mac = false;
	c.forwards = f;
	c.n_forwards = 2;
	assert_int_equal(fw_plan(&c, &text), 0);
	assert_string_equal(v6_part(&c, text), filter6);
	assert_non_null(strstr(text, "--to-destination 192.168.166.101:22\n"));
	assert_non_null(strstr(text, "--to-destination 192.168.166.100:80\n"));
	free(text);

	/* ipv6 off: no IPv6 part, whatever nat6 and the MACs say */
	c = tut6;
	c.ipv6 = false;
	c.forwards = fwd_mac;
	c.n_forwards = 3;
	assert_int_equal(fw_plan(&c, &text), 0);
	assert_null(v6_part(&c, text));
	assert_null(strstr(text, "fd00:"));
	free(text);
}

static void expect_invalid(const struct fw_config *c, const char *msg)
{
	char *text = NULL;
	struct fw_status st;
	unsigned commits = fw_commit_count();
	vmm_error_clear();
	assert_int_equal(fw_plan(c, &text), -1);
	assert_null(text);
	assert_int_equal(vmm_errcode(), VMM_EINVAL);
	assert_string_equal(vmm_errmsg(), msg);
	/* refused before touching anything, root or not */
	assert_int_equal(fw_apply(c), -1);
	assert_string_equal(vmm_errmsg(), msg);
	assert_int_equal(fw_remove(c), -1);
	assert_int_equal(fw_status(c, &st), -1);
	assert_int_equal(fw_commit_count(), commits);
}

static void test_invalid(void **state)
{
	struct fw_config c = tut;
	c.prefix = 0;
	expect_invalid(&c, "firewall: prefix /0: must be 1 to 32");
	c.prefix = 33;
	expect_invalid(&c, "firewall: prefix /33: must be 1 to 32");
	c.prefix = 16;
	expect_invalid(&c, "firewall: network 192.168.166.0/16: host bits set");
	c = tut;
	c.bridge = NULL;
	expect_invalid(&c, "firewall: no bridge name");
	c.bridge = "";
	expect_invalid(&c, "firewall: no bridge name");
	c.bridge = "abcdefghijklmnop";
	expect_invalid(&c, "firewall: bridge abcdefghijklmnop: name longer than 15 characters");
	c.bridge = "br+";
	expect_invalid(&c, "firewall: bridge br+: only letters, digits, '-', '_' and '.' are allowed in its name");
	c.bridge = "br 0";
	expect_invalid(&c, "firewall: bridge br 0: only letters, digits, '-', '_' and '.' are allowed in its name");
	/* forwards: outside the subnet, twice the same host port, port 0 or another protocol */
	struct fw_forward f[2] = { fwd_web[0], fwd_web[0] };
	c = tut;
	c.forwards = f;
	c.n_forwards = 1;
	f[0].guest_ip = NET167 | 100;
	expect_invalid(&c, "firewall: forward 1 of web: guest address 192.168.167.100 outside 192.168.166.0/24");
	f[0] = fwd_web[0];
	f[1].guest_port = 81;
	snprintf(f[1].guest, sizeof(f[1].guest), "db");
	c.n_forwards = 2;
	expect_invalid(&c, "firewall: host port tcp/8080 forwarded twice (web, db)");
	f[1].proto = IPPROTO_UDP;
	f[1].host_port = 0;
	expect_invalid(&c, "firewall: forward 2 of db: needs tcp or udp and two ports");
	f[1].host_port = 1;
	f[1].proto = IPPROTO_SCTP;
	expect_invalid(&c, "firewall: forward 2 of db: needs tcp or udp and two ports");
}

static void test_not_root(void **state)
{
	if (geteuid() == 0) {
		skip();
		return;
	}
	assert_int_equal(fw_apply(&tut), -1);
	assert_non_null(strstr(vmm_errmsg(), "needs root or CAP_NET_ADMIN"));
	assert_int_equal(vmm_errcode(), VMM_EFAIL);
}

/* ---- root cases, in a namespace made by tests/net/firewall.sh ---- */

static char *run_out(const char *a0, const char *a1, const char *a2, const char *a3)
{
	char *argv[] = { (char *)a0, (char *)a1, (char *)a2, (char *)a3, NULL };
	char *out = NULL, *err = NULL;
	int rc = util_run(argv, &out, &err);
	if (rc != 0)
		fail_msg("%s %s: exit %d: %s", a0, a1 ? a1 : "", rc, err ? err : vmm_errmsg());
	free(err);
	return out;
}

/* iptables-legacy-save without the date comments and counters */
static char *save(void)
{
	char *s = run_out("iptables-legacy-save", NULL, NULL, NULL);
	char *o = malloc(strlen(s) + 1), *w = o;
	for (char *l = s; *l;) {
		char *e = strchrnul(l, '\n');
		if (*l != '#') {
			memcpy(w, l, (size_t)(e - l));
			w += e - l;
			*w++ = '\n';
		}
		l = *e ? e + 1 : e;
	}
	*w = 0;
	free(s);
	return o;
}

static int count_lines(const char *text, const char *line)
{
	int n = 0;
	size_t l = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p += l)
		if ((p == text || p[-1] == '\n') && (p[l] == '\n' || !p[l]))
			n++;
	return n;
}

/* the first "-A CHAIN " line of a save output, or "" */
static void first_rule(const char *text, const char *chain, char *buf, size_t len)
{
	char pfx[64];
	snprintf(pfx, sizeof(pfx), "-A %s ", chain);
	*buf = 0;
	for (const char *p = text; *p;) {
		const char *e = strchrnul(p, '\n');
		if (!strncmp(p, pfx, strlen(pfx))) {
			snprintf(buf, len, "%.*s", (int)(e - p), p);
			return;
		}
		p = *e ? e + 1 : e;
	}
}

static void expect_rules(const char *text, const struct fw_config *c, int times)
{
	char line[512];
	for (int i = 0; i < FW_NRULES; i++) {
		int want = times;
		if (!fixed_id(i))
			continue;
		if (!c->nat && (i == FW_JUMP_POSTROUTING || i == FW_MASQ))
			want = 0;
		assert_int_equal(fw_rule_line(c, (enum fw_rule_id)i, line, sizeof(line)), 0);
		if (count_lines(text, line) != want)
			fail_msg("%d times, wanted %d: %s\nin:\n%s", count_lines(text, line), want, line, text);
	}
}

static void reset_tables(void)
{
	free(run_out("iptables-legacy", "-F", NULL, NULL));
	free(run_out("iptables-legacy", "-X", NULL, NULL));
	free(run_out("iptables-legacy", "-P", "FORWARD", "ACCEPT"));
	free(run_out("iptables-legacy", "-t", "nat", "-F"));
	free(run_out("iptables-legacy", "-t", "nat", "-X"));
}

static int ns_setup(void **state)
{
	reset_tables();
	return 0;
}

static void test_ns_apply(void **state)
{
	struct fw_status st;
	char first[512], line[512];
	unsigned c0 = fw_commit_count();

	assert_int_equal(fw_status(&tut, &st), 0);
	for (int i = 0; i < FW_NRULES; i++)
		assert_false(st.present[i]);
	assert_false(st.chains_present);

	assert_int_equal(fw_apply(&tut), 0);
	assert_int_equal(fw_commit_count(), c0 + 2); /* one per table */
	char *once = save();
	expect_rules(once, &tut, 1);
	first_rule(once, "FORWARD", first, sizeof(first));
	fw_rule_line(&tut, FW_JUMP_FORWARD, line, sizeof(line));
	assert_string_equal(first, line);
	first_rule(once, "POSTROUTING", first, sizeof(first));
	fw_rule_line(&tut, FW_JUMP_POSTROUTING, line, sizeof(line));
	assert_string_equal(first, line);

	assert_int_equal(fw_status(&tut, &st), 0);
	for (int i = 0; i < FW_NRULES; i++)
		if (fixed_id(i) && !st.present[i])
			fail_msg("missing after apply: %s", fw_rule_name(FW_IPTABLES_LEGACY, (enum fw_rule_id)i));
	assert_true(st.chains_present);
	assert_string_equal(st.forward_policy, "ACCEPT");
	struct fw_status q;
	memset(&q, 0x55, sizeof(q));
	assert_int_equal(fw_status_rules(&tut, &q), 0); /* same answer, no host probes */
	assert_memory_equal(q.present, st.present, sizeof(q.present));
	assert_true(q.chains_present);
	assert_string_equal(q.forward_policy, "ACCEPT");
	assert_false(q.iptables_is_nft);
	assert_false(q.nft_forward_drop);

	/* twice, ten times: no commit at all, identical tables */
	for (int i = 0; i < 10; i++) {
		assert_int_equal(fw_apply(&tut), 0);
		assert_int_equal(fw_commit_count(), c0 + 2);
	}
	char *again = save();
	assert_string_equal(again, once);
	free(again);

	/* iptables itself parses our hand-built entries into the same text */
	char *s = run_out("iptables-legacy", "-S", "VMM-FORWARD", NULL);
	fw_rule_line(&tut, FW_ACCEPT_BACK, line, sizeof(line));
	assert_int_equal(count_lines(s, line), 1);
	free(s);

	assert_int_equal(fw_remove(&tut), 0);
	char *after = save();
	assert_null(strstr(after, "vmm"));
	assert_null(strstr(after, "VMM-"));
	free(after);
	assert_int_equal(fw_status(&tut, &st), 0);
	for (int i = 0; i < FW_NRULES; i++)
		assert_false(st.present[i]);
	assert_false(st.chains_present);
	unsigned c1 = fw_commit_count();
	assert_int_equal(fw_remove(&tut), 0); /* nothing there: success, no commit */
	assert_int_equal(fw_commit_count(), c1);
	free(once);
}

static void test_ns_converge(void **state)
{
	struct fw_config c = tut;
	struct fw_status st;
	assert_int_equal(fw_apply(&tut), 0);
	/* another subnet on the same bridge: the old masquerade and source accept go, the new
	 * ones come */
	c.network = NET167;
	assert_int_equal(fw_status(&c, &st), 0);
	assert_false(st.present[FW_MASQ]);
	assert_false(st.present[FW_ACCEPT_OUT]);
	assert_true(st.present[FW_ACCEPT_BACK]);
	assert_true(st.present[FW_DROP_IN]);
	assert_int_equal(fw_apply(&c), 0);
	char *s = save();
	expect_rules(s, &c, 1);
	assert_null(strstr(s, "192.168.166.0/24"));
	free(s);
	/* nat turned off: the nat chain and its jump go */
	c.nat = false;
	assert_int_equal(fw_apply(&c), 0);
	s = save();
	expect_rules(s, &c, 1);
	assert_null(strstr(s, "VMM-POSTROUTING"));
	free(s);
	assert_int_equal(fw_status(&c, &st), 0);
	assert_true(st.chains_present); /* nat chain not needed */
	assert_false(st.present[FW_MASQ]);
	/* a duplicate added by hand and a foreign rule pushed above the jump */
	char line[512];
	fw_rule_line(&c, FW_ACCEPT_OUT, line, sizeof(line));
	char *argv[] = { "iptables-legacy", "-A", "VMM-FORWARD", "-s", "192.168.167.0/24", "-i", "br0",
			 "-m", "comment", "--comment", "vmm br0", "-j", "ACCEPT", NULL };
	assert_int_equal(util_run(argv, NULL, NULL), 0);
	char *argv2[] = { "iptables-legacy", "-I", "FORWARD", "-s", "10.9.9.9", "-j", "DROP", NULL };
	assert_int_equal(util_run(argv2, NULL, NULL), 0);
	s = save();
	assert_int_equal(count_lines(s, line), 2);
	free(s);
	assert_int_equal(fw_apply(&c), 0);
	s = save();
	expect_rules(s, &c, 1);
	char first[512];
	first_rule(s, "FORWARD", first, sizeof(first));
	fw_rule_line(&c, FW_JUMP_FORWARD, line, sizeof(line));
	assert_string_equal(first, line);
	assert_int_equal(count_lines(s, "-A FORWARD -s 10.9.9.9/32 -j DROP"), 1);
	free(s);
	assert_int_equal(fw_remove(&c), 0);
	s = save();
	assert_null(strstr(s, "VMM-"));
	assert_int_equal(count_lines(s, "-A FORWARD -s 10.9.9.9/32 -j DROP"), 1);
	free(s);
}

static void test_ns_two_bridges(void **state)
{
	struct fw_config b1 = { .bridge = "br1", .network = NET167, .prefix = 24, .nat = true, .backend = FW_IPTABLES_LEGACY };
	struct fw_status st;
	assert_int_equal(fw_apply(&tut), 0);
	assert_int_equal(fw_apply(&b1), 0);
	char *s = save();
	expect_rules(s, &tut, 1);
	assert_int_equal(count_lines(s, "-A FORWARD -m comment --comment vmm -j VMM-FORWARD"), 1);
	char line[512];
	fw_rule_line(&b1, FW_MASQ, line, sizeof(line));
	assert_int_equal(count_lines(s, line), 1);
	free(s);
	/* removing br0's leaves br1's (and the jumps) */
	assert_int_equal(fw_remove(&tut), 0);
	assert_int_equal(fw_status(&b1, &st), 0);
	for (int i = 0; i < FW_NRULES; i++)
		assert_true(!fixed_id(i) || st.present[i]);
	assert_int_equal(fw_status(&tut, &st), 0);
	assert_false(st.present[FW_ACCEPT_OUT]);
	assert_false(st.present[FW_MASQ]);
	assert_int_equal(fw_remove(&b1), 0);
	s = save();
	assert_null(strstr(s, "VMM-"));
	free(s);
}

static void test_ns_policy_and_nft(void **state)
{
	struct fw_status st;
	free(run_out("iptables-legacy", "-P", "FORWARD", "DROP"));
	assert_int_equal(fw_status(&tut, &st), 0);
	assert_string_equal(st.forward_policy, "DROP");
	assert_int_equal(fw_apply(&tut), 0);
	assert_int_equal(fw_remove(&tut), 0);
	assert_int_equal(fw_status(&tut, &st), 0);
	assert_string_equal(st.forward_policy, "DROP"); /* never changed */
	assert_false(st.nft_forward_drop);
	char *nft = util_which("nft");
	if (nft) {
		char *a1[] = { nft, "add", "table", "ip", "vmmtest", NULL };
		char *a2[] = { nft, "add", "chain", "ip", "vmmtest", "vmmfwd",
			       "{ type filter hook forward priority 0; policy drop; }", NULL };
		char *a3[] = { nft, "delete", "table", "ip", "vmmtest", NULL };
		assert_int_equal(util_run(a1, NULL, NULL), 0);
		assert_int_equal(util_run(a2, NULL, NULL), 0);
		assert_int_equal(fw_status(&tut, &st), 0);
		assert_true(st.nft_forward_drop);
		assert_int_equal(util_run(a3, NULL, NULL), 0);
		assert_int_equal(fw_status(&tut, &st), 0);
		assert_false(st.nft_forward_drop);
		free(nft);
	}
}

/* The "-A VMM-FORWARD" lines of a save output, in order, one per line. */
static char *forward_lines(const char *text)
{
	char *out = calloc(1, strlen(text) + 1);
	for (const char *p = text; *p;) {
		const char *e = strchrnul(p, '\n');
		if (!strncmp(p, "-A VMM-FORWARD ", 15)) {
			strncat(out, p, (size_t)(e - p));
			strcat(out, "\n");
		}
		p = *e ? e + 1 : e;
	}
	return out;
}

/* The bridge's rules keep their order (the drops last): an accept put after the drops by hand,
 * and the rules an older vmm wrote (accept everything from the bridge), are seen and put back
 * in order in one commit. */
static void test_ns_order(void **state)
{
	struct fw_status st;
	char line[512], *plan = NULL;
	assert_int_equal(fw_plan(&tut, &plan), 0);
	char *want = forward_lines(plan);
	assert_int_equal(fw_apply(&tut), 0);
	char *s = save(), *got = forward_lines(s);
	assert_string_equal(got, want);
	free(s);
	free(got);
	/* the bridged accept moved after the drops */
	fw_rule_line(&tut, FW_ACCEPT_BRIDGED, line, sizeof(line));
	char *del[] = { "iptables-legacy", "-D", "VMM-FORWARD", "1", NULL };
	char *add[] = { "iptables-legacy", "-A", "VMM-FORWARD", "-i", "br0", "-o", "br0", "-m",
			"comment", "--comment", "vmm br0", "-j", "ACCEPT", NULL };
	assert_int_equal(util_run(del, NULL, NULL), 0);
	assert_int_equal(util_run(add, NULL, NULL), 0);
	assert_int_equal(fw_status(&tut, &st), 0);
	assert_true(st.present[FW_ACCEPT_BRIDGED]);
	assert_int_equal(st.n_stale, 1);
	assert_false(fw_status_complete(&tut, &st));
	unsigned c0 = fw_commit_count();
	assert_int_equal(fw_apply(&tut), 0);
	assert_int_equal(fw_commit_count(), c0 + 1); /* filter only */
	s = save();
	got = forward_lines(s);
	assert_string_equal(got, want);
	free(s);
	free(got);
	assert_int_equal(fw_status(&tut, &st), 0);
	assert_int_equal(st.n_stale, 0);
	assert_true(fw_status_complete(&tut, &st));
	/* an older vmm's rules: everything from the bridge accepted, replies back */
	reset_tables();
	char *old1[] = { "iptables-legacy", "-N", "VMM-FORWARD", NULL };
	char *old2[] = { "iptables-legacy", "-A", "VMM-FORWARD", "-i", "br0", "-m", "comment",
			 "--comment", "vmm br0", "-j", "ACCEPT", NULL };
	char *old3[] = { "iptables-legacy", "-I", "FORWARD", "-m", "comment", "--comment", "vmm",
			 "-j", "VMM-FORWARD", NULL };
	assert_int_equal(util_run(old1, NULL, NULL), 0);
	assert_int_equal(util_run(old2, NULL, NULL), 0);
	assert_int_equal(util_run(old3, NULL, NULL), 0);
	assert_int_equal(fw_status(&tut, &st), 0);
	assert_false(fw_status_complete(&tut, &st));
	assert_int_equal(fw_apply(&tut), 0);
	s = save();
	got = forward_lines(s);
	assert_string_equal(got, want);
	assert_int_equal(count_lines(s, "-A VMM-FORWARD -i br0 -m comment --comment \"vmm br0\" -j ACCEPT"), 0);
	free(s);
	free(got);
	free(want);
	free(plan);
}

static void test_ns_referenced_chain(void **state)
{
	/* someone else's rule jumps to vmm's chain: remove takes vmm's rules and jump, keeps the
	 * (empty) chain and the foreign rule, and succeeds */
	assert_int_equal(fw_apply(&tut), 0);
	char *argv[] = { "iptables-legacy", "-A", "INPUT", "-j", "VMM-FORWARD", NULL };
	assert_int_equal(util_run(argv, NULL, NULL), 0);
	assert_int_equal(fw_remove(&tut), 0);
	char *s = save();
	assert_int_equal(count_lines(s, "-A INPUT -j VMM-FORWARD"), 1);
	assert_int_equal(count_lines(s, ":VMM-FORWARD - [0:0]"), 1);
	assert_null(strstr(s, "vmm"));
	free(s);
}

/* ---- the driver for tests/net/firewall.sh ---- */

static int driver(int argc, char **argv)
{
	struct fw_config c = { 0 };
	struct fw_forward fwd[16];
	uint32_t a;
	unsigned p;
	if (argc < 6 || argc > 6 + 16) {
		fprintf(stderr, "usage: test_firewall --do apply|apply-broken|remove|status|plan BRIDGE "
				"NET/PREFIX nat|nonat [tcp|udp:HOSTPORT:GUESTIP:GUESTPORT[:GUEST]...]\n"
				"(VMM_TEST_FW=nftables|iptables-legacy|auto picks the backend; "
				"default iptables-legacy)\n");
		return 2;
	}
	c.bridge = argv[3];
	const char *be = getenv("VMM_TEST_FW");
	c.backend = !be || !strcmp(be, "iptables-legacy") ? FW_IPTABLES_LEGACY
		    : !strcmp(be, "nftables")             ? FW_NFTABLES
							  : FW_AUTO;
	if (getenv("VMM_TEST_FW_LEAVE"))
		c.foreign = FW_FOREIGN_LEAVE;
	for (int i = 6; i < argc; i++) {
		struct fw_forward *f = &fwd[i - 6];
		char proto[8], ip[16];
		unsigned hp, gp;
		memset(f, 0, sizeof(*f));
		int got = sscanf(argv[i], "%7[a-z]:%u:%15[0-9.]:%u:%32s", proto, &hp, ip, &gp, f->guest);
		if (got < 4 || util_parse_ipv4("forward", ip, &f->guest_ip) < 0) {
			fprintf(stderr, "forward %s: expected tcp|udp:HOSTPORT:GUESTIP:GUESTPORT[:GUEST]\n",
				argv[i]);
			return 2;
		}
		f->proto = !strcmp(proto, "udp") ? IPPROTO_UDP : IPPROTO_TCP;
		f->host_port = (uint16_t)hp;
		f->guest_port = (uint16_t)gp;
		if (got == 4)
			snprintf(f->guest, sizeof(f->guest), "g%d", i - 6);
	}
	c.forwards = fwd;
	c.n_forwards = (size_t)(argc - 6);
	if (util_parse_cidr("network", argv[4], &a, &p) < 0) {
		fprintf(stderr, "%s\n", vmm_errmsg());
		return 2;
	}
	c.network = a;
	c.prefix = p;
	c.nat = !strcmp(argv[5], "nat");
	int rc = -1;
	const char *op = argv[2];
	if (!strcmp(op, "apply")) {
		rc = fw_apply(&c);
		for (size_t i = 0; fw_announcement(i); i++)
			printf("announce %s\n", fw_announcement(i));
	} else if (!strcmp(op, "apply-broken")) {
		/* nftables: the real transaction with one failing command at its end: one
		 * transaction, so nothing of it may stay */
		struct fw_nft_state *s = NULL;
		char *batch = NULL, *bad = NULL;
		if ((rc = fw_nft_read(&c, &s)) == 0 &&
		    (rc = fw_nft_diff(&c, s, false, &batch, NULL, NULL)) == 0) {
			bad = util_fmt("%sadd rule ip nosuchtable nosuchchain accept\n", batch);
			rc = fw_nft_run(bad);
		}
		fw_nft_state_free(s);
		free(batch);
		free(bad);
	} else if (!strcmp(op, "remove")) {
		rc = fw_remove(&c);
	} else if (!strcmp(op, "plan")) {
		char *t = NULL;
		if ((rc = fw_plan(&c, &t)) == 0)
			fputs(t, stdout);
		free(t);
	} else if (!strcmp(op, "status")) {
		struct fw_status st;
		if ((rc = fw_status(&c, &st)) == 0) {
			printf("backend %s\n", fw_backend_name(st.backend));
			for (int i = 0; i < FW_NRULES; i++)
				if (st.wanted[i] || st.present[i])
					printf("rule %d %s: %s\n", i,
					       st.present[i] ? "present" : "missing",
					       fw_rule_name(st.backend, (enum fw_rule_id)i));
			printf("complete %d\nmissing_openings %zu\nstale %zu\n",
			       fw_status_complete(&c, &st), st.n_missing_openings, st.n_stale);
			printf("chains %s\nforward_policy %s\niptables_is_nft %d\nnft_forward_drop %d\n"
			       "forwards_stale %d\n",
			       st.chains_present ? "present" : "missing", st.forward_policy,
			       st.iptables_is_nft, st.nft_forward_drop, st.forwards_stale);
		}
	} else {
		fprintf(stderr, "unknown operation %s\n", op);
		return 2;
	}
	if (rc < 0) {
		fprintf(stderr, "vmm: %s\n", vmm_errmsg());
		return 1;
	}
	if (strcmp(op, "plan"))
		printf("commits %u\n", fw_commit_count());
	return 0;
}

/* Refuse to touch the firewall of the caller's network namespace: the parent (the test script,
 * or a shell running `unshare -n` / `ip netns exec`, which exec us) must be in another one. */
static bool in_own_netns(void)
{
	struct stat self, parent;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)getppid());
	if (stat("/proc/self/ns/net", &self) < 0 || stat(path, &parent) < 0)
		return false;
	return self.st_ino != parent.st_ino || self.st_dev != parent.st_dev;
}

int main(int argc, char **argv)
{
	bool ns = argc > 1 && !strcmp(argv[1], "--ns");
	bool drv = argc > 1 && !strcmp(argv[1], "--do");
	if (ns || drv) {
		/* (as non-root, --do only proves the refusal: nothing can change) */
		bool pure = drv && argc > 2 && !strcmp(argv[2], "plan");
		if (!pure && ((ns && geteuid() != 0) || (geteuid() == 0 && !in_own_netns()))) {
			fprintf(stderr, "test_firewall %s: needs root inside a network namespace that is "
					"not the default one (use tests/net/firewall.sh)\n", argv[1]);
			return 77;
		}
		if (drv)
			return driver(argc, argv);
		const struct CMUnitTest ns_tests[] = {
			cmocka_unit_test_setup(test_ns_apply, ns_setup),
			cmocka_unit_test_setup(test_ns_converge, ns_setup),
			cmocka_unit_test_setup(test_ns_two_bridges, ns_setup),
			cmocka_unit_test_setup(test_ns_order, ns_setup),
			cmocka_unit_test_setup(test_ns_policy_and_nft, ns_setup),
			cmocka_unit_test_setup(test_ns_referenced_chain, ns_setup),
		};
		return cmocka_run_group_tests_name("firewall (namespace)", ns_tests, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_names),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_plan_forwards),
		cmocka_unit_test(test_plan_v6_golden),
		cmocka_unit_test(test_plan_v6_cases),
		cmocka_unit_test(test_rule_line),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_not_root),
	};
	return cmocka_run_group_tests_name("firewall", tests, NULL, NULL);
}

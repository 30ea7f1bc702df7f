// SPDX-License-Identifier: MIT
/* test_nftables.c: the nftables backend's pure parts: the ruleset JSON reader (which forward
 * chains would drop the guests' traffic, vmm's rules and openings) and the transaction text */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/sys/error.h"
#include "vmm/net/firewall.h"
#include "vmm/net/nftables.h"
#include "vmm/sys/util.h"

#define NET166 ((192u << 24) | (168u << 16) | (166u << 8))

static const struct fw_forward fwds[] = {
	{ .proto = 6, .host_port = 8080, .guest_port = 80, .guest_ip = NET166 | 100, .guest = "ubuntu" },
	{ .proto = 17, .host_port = 5353, .guest_port = 53, .guest_ip = NET166 | 100, .guest = "ubuntu" },
};

static const struct fw_config tut = {
	.bridge = "br0", .network = NET166, .prefix = 24, .nat = true, .backend = FW_NFTABLES,
};

/* What `vmm net up` commits on an empty ruleset, with two forwards. */
static const char plan_empty[] =
	"add table inet vmm\n"
	"add chain inet vmm forward { type filter hook forward priority filter - 10; policy accept; }\n"
	"add chain inet vmm postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
	"add chain inet vmm prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
	"add chain inet vmm output { type nat hook output priority -100; policy accept; }\n"
	"add rule inet vmm forward iifname \"br0\" oifname \"br0\" meta mark set meta mark | 0x00002000 accept comment \"vmm br0 25754c72\"\n"
	"add rule inet vmm forward iifname \"br0\" ip saddr 192.168.166.0/24 meta mark set meta mark | 0x00002000 accept comment \"vmm br0 7d677189\"\n"
	"add rule inet vmm forward oifname \"br0\" ct state established,related meta mark set meta mark | 0x00002000 accept comment \"vmm br0 2ab36820\"\n"
	"add rule inet vmm forward oifname \"br0\" ct status dnat meta mark set meta mark | 0x00002000 accept comment \"vmm br0 0cb2f5c1\"\n"
	"add rule inet vmm forward iifname \"br0\" drop comment \"vmm br0 ccae2566\"\n"
	"add rule inet vmm forward oifname \"br0\" drop comment \"vmm br0 f9a7a148\"\n"
	"add rule inet vmm postrouting ip saddr 192.168.166.0/24 oifname != \"br0\" masquerade comment \"vmm br0 df32202c\"\n"
	"add rule inet vmm prerouting meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 192.168.166.100:80 comment \"vmm br0 ae637d59\"\n"
	"add rule inet vmm output meta nfproto ipv4 ip daddr != 127.0.0.0/8 fib daddr type local tcp dport 8080 dnat ip to 192.168.166.100:80 comment \"vmm br0 f9cb5858\"\n"
	"add rule inet vmm prerouting meta nfproto ipv4 fib daddr type local udp dport 5353 dnat ip to 192.168.166.100:53 comment \"vmm br0 8d01a561\"\n"
	"add rule inet vmm output meta nfproto ipv4 ip daddr != 127.0.0.0/8 fib daddr type local udp dport 5353 dnat ip to 192.168.166.100:53 comment \"vmm br0 f71783d8\"\n";

/*
 * A host with everything at once, in the shape `nft -j -a list ruleset` prints:
 *  - ip filter FORWARD (iptables-nft, Docker): policy drop, jumps to DOCKER-USER, where vmm's
 *    opening already is;
 *  - ip6 filter FORWARD: policy drop, but IPv6 only;
 *  - inet firewalld filter_FORWARD (priority filter + 10): ends in reject, not opened yet; an old
 *    opening with another mark (0x100) sits there;
 *  - inet early forward (priority -150): policy drop, runs before vmm's chain;
 *  - inet vmm: the forward chain with br0's in-rule (the subnet's sources), a stale br0 rule
 *    (old hash), br1's rule.
 */
static const char ruleset[] =
	"{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"json_schema_version\": 1}},"
	"{\"table\": {\"family\": \"ip\", \"name\": \"filter\", \"handle\": 1}},"
	"{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"FORWARD\", \"handle\": 1,"
	" \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0, \"policy\": \"drop\"}},"
	"{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"DOCKER-USER\", \"handle\": 2}},"
	"{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"DOCKER\", \"handle\": 3}},"
	"{\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"FORWARD\", \"handle\": 4,"
	" \"expr\": [{\"counter\": {\"packets\": 0, \"bytes\": 0}}, {\"jump\": {\"target\": \"DOCKER-USER\"}}]}},"
	"{\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"DOCKER-USER\", \"handle\": 9,"
	" \"comment\": \"vmm\", \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"&\": [{\"meta\":"
	" {\"key\": \"mark\"}}, 8192]}, \"right\": 8192}}, {\"counter\": {\"packets\": 0, \"bytes\": 0}},"
	" {\"accept\": null}]}},"
	"{\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"DOCKER-USER\", \"handle\": 5,"
	" \"expr\": [{\"counter\": {\"packets\": 0, \"bytes\": 0}}, {\"return\": null}]}},"
	"{\"table\": {\"family\": \"ip6\", \"name\": \"filter\", \"handle\": 2}},"
	"{\"chain\": {\"family\": \"ip6\", \"table\": \"filter\", \"name\": \"FORWARD\", \"handle\": 1,"
	" \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0, \"policy\": \"drop\"}},"
	"{\"table\": {\"family\": \"inet\", \"name\": \"firewalld\", \"handle\": 3}},"
	"{\"chain\": {\"family\": \"inet\", \"table\": \"firewalld\", \"name\": \"filter_FORWARD\","
	" \"handle\": 1, \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 10, \"policy\": \"accept\"}},"
	"{\"rule\": {\"family\": \"inet\", \"table\": \"firewalld\", \"chain\": \"filter_FORWARD\", \"handle\": 7,"
	" \"comment\": \"vmm\", \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"&\": [{\"meta\":"
	" {\"key\": \"mark\"}}, 256]}, \"right\": 256}}, {\"counter\": null}, {\"accept\": null}]}},"
	"{\"rule\": {\"family\": \"inet\", \"table\": \"firewalld\", \"chain\": \"filter_FORWARD\", \"handle\": 2,"
	" \"expr\": [{\"match\": {\"op\": \"in\", \"left\": {\"ct\": {\"key\": \"state\"}}, \"right\":"
	" [\"established\", \"related\"]}}, {\"accept\": null}]}},"
	"{\"rule\": {\"family\": \"inet\", \"table\": \"firewalld\", \"chain\": \"filter_FORWARD\", \"handle\": 3,"
	" \"expr\": [{\"reject\": {\"type\": \"icmpx\", \"expr\": \"admin-prohibited\"}}]}},"
	"{\"table\": {\"family\": \"inet\", \"name\": \"early\", \"handle\": 4}},"
	"{\"chain\": {\"family\": \"inet\", \"table\": \"early\", \"name\": \"fwd\", \"handle\": 1,"
	" \"type\": \"filter\", \"hook\": \"forward\", \"prio\": -150, \"policy\": \"drop\"}},"
	"{\"table\": {\"family\": \"inet\", \"name\": \"vmm\", \"handle\": 5}},"
	"{\"chain\": {\"family\": \"inet\", \"table\": \"vmm\", \"name\": \"forward\", \"handle\": 1,"
	" \"type\": \"filter\", \"hook\": \"forward\", \"prio\": -10, \"policy\": \"accept\"}},"
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vmm\", \"chain\": \"forward\", \"handle\": 2,"
	" \"comment\": \"vmm br0 7d677189\", \"expr\": []}},"
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vmm\", \"chain\": \"forward\", \"handle\": 3,"
	" \"comment\": \"vmm br0 0badc0de\", \"expr\": []}},"
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vmm\", \"chain\": \"forward\", \"handle\": 4,"
	" \"comment\": \"vmm br1 12345678\", \"expr\": []}}"
	"]}";

static struct fw_nft_state *parse(const char *json, const struct fw_config *c)
{
	struct fw_nft_state *s = NULL;
	if (fw_nft_parse(json, c, &s) < 0)
		fail_msg("parse: %s", vmm_errmsg());
	return s;
}

static void test_empty_plan(void **state)
{
	struct fw_config c = tut;
	struct fw_nft_state *s = parse("", &c);
	char *batch = NULL, **notes = NULL;
	size_t n_notes = 0;
	c.forwards = fwds;
	c.n_forwards = 2;
	assert_int_equal(fw_nft_diff(&c, s, false, &batch, &notes, &n_notes), 0);
	assert_string_equal(batch, plan_empty);
	assert_int_equal(n_notes, 0);
	free(batch);
	/* nothing of vmm's there: removing is nothing */
	assert_int_equal(fw_nft_diff(&c, s, true, &batch, NULL, NULL), 0);
	assert_string_equal(batch, "");
	free(batch);
	struct fw_status st;
	memset(&st, 0, sizeof(st));
	st.backend = FW_NFTABLES;
	fw_nft_fill_status(&c, s, &st);
	assert_false(fw_status_complete(&c, &st));
	assert_true(st.wanted[FW_DNAT] && st.wanted[FW_ACCEPT_DNAT] && st.wanted[FW_MASQ]);
	assert_false(st.present[FW_ACCEPT_OUT]);
	assert_int_equal(fw_nft_foreign_tables(s), 0);
	fw_nft_state_free(s);
}

static void test_chains(void **state)
{
	struct fw_nft_state *s = parse(ruleset, &tut);
	struct fw_status st;
	memset(&st, 0, sizeof(st));
	st.backend = FW_NFTABLES;
	fw_nft_fill_status(&tut, s, &st);
	assert_int_equal(fw_nft_foreign_tables(s), 1);
	/* in the order the kernel runs them */
	assert_int_equal(st.n_chains, 5);
	const struct fw_hook_chain *c = st.chains;
	assert_string_equal(c[0].table, "early");
	assert_int_equal(c[0].prio, -150);
	assert_true(c[0].drops && c[0].early && c[0].policy_drop);
	assert_string_equal(c[1].table, "vmm");
	assert_true(c[1].vmm && !c[1].drops);
	assert_string_equal(c[1].owner, "vmm");
	assert_string_equal(c[2].family, "ip");
	assert_string_equal(c[2].name, "FORWARD");
	assert_string_equal(c[2].owner, "Docker");
	assert_string_equal(c[2].open_in, "DOCKER-USER");
	assert_true(c[2].drops && c[2].opened && !c[2].early);
	assert_string_equal(c[3].family, "ip6");
	assert_true(c[3].policy_drop && !c[3].drops); /* IPv6 only */
	assert_string_equal(c[4].table, "firewalld");
	assert_string_equal(c[4].owner, "firewalld");
	assert_int_equal(c[4].prio, 10);
	assert_true(c[4].ends_drop && !c[4].policy_drop && c[4].drops);
	assert_false(c[4].opened); /* the 0x100 opening is not ours any more */
	assert_int_equal(st.n_missing_openings, 1);
	assert_int_equal(st.n_stale, 2); /* br0's old-hash rule, the 0x100 opening */
	assert_true(st.present[FW_JUMP_FORWARD]);
	assert_false(st.present[FW_JUMP_POSTROUTING]);
	assert_true(st.present[FW_ACCEPT_OUT]);
	assert_false(st.present[FW_ACCEPT_BACK]);
	assert_false(st.wanted[FW_DNAT]);
	assert_false(st.chains_present);
	assert_false(fw_status_complete(&tut, &st));
	struct fw_config leave = tut;
	leave.foreign = FW_FOREIGN_LEAVE;
	assert_false(fw_status_complete(&leave, &st)); /* rules missing all the same */
	fw_nft_state_free(s);

	/* another mark: the Docker opening no longer counts */
	struct fw_config other = tut;
	other.mark = 0x100;
	s = parse(ruleset, &other);
	fw_nft_fill_status(&other, s, &st);
	assert_false(st.chains[2].opened);
	assert_true(st.chains[4].opened);
	fw_nft_state_free(s);
}

static void test_converge(void **state)
{
	struct fw_nft_state *s = parse(ruleset, &tut);
	char *batch = NULL, **notes = NULL;
	size_t n_notes = 0;
	assert_int_equal(fw_nft_diff(&tut, s, false, &batch, &notes, &n_notes), 0);
	assert_string_equal(
		batch,
		"add chain inet vmm postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
		/* the in-rule is there, but the bridged accept must come before it: all in order */
		"delete rule inet vmm forward handle 2\n"
		"delete rule inet vmm forward handle 3\n"
		"add rule inet vmm forward iifname \"br0\" oifname \"br0\" meta mark set meta mark | 0x00002000 accept comment \"vmm br0 25754c72\"\n"
		"add rule inet vmm forward iifname \"br0\" ip saddr 192.168.166.0/24 meta mark set meta mark | 0x00002000 accept comment \"vmm br0 7d677189\"\n"
		"add rule inet vmm forward oifname \"br0\" ct state established,related meta mark set meta mark | 0x00002000 accept comment \"vmm br0 2ab36820\"\n"
		"add rule inet vmm forward iifname \"br0\" drop comment \"vmm br0 ccae2566\"\n"
		"add rule inet vmm forward oifname \"br0\" drop comment \"vmm br0 f9a7a148\"\n"
		"add rule inet vmm postrouting ip saddr 192.168.166.0/24 oifname != \"br0\" masquerade comment \"vmm br0 df32202c\"\n"
		"delete rule inet firewalld filter_FORWARD handle 7\n"
		"insert rule inet firewalld filter_FORWARD meta mark & 0x00002000 == 0x00002000 counter accept comment \"vmm\"\n");
	assert_int_equal(n_notes, 1);
	assert_string_equal(notes[0], "accepted br0 in inet firewalld filter_FORWARD (firewalld)");
	free(notes[0]);
	free(notes);
	free(batch);

	/* foreign = leave: vmm's openings go, none comes */
	struct fw_config leave = tut;
	leave.foreign = FW_FOREIGN_LEAVE;
	notes = NULL;
	n_notes = 0;
	assert_int_equal(fw_nft_diff(&leave, s, false, &batch, &notes, &n_notes), 0);
	assert_non_null(strstr(batch, "delete rule ip filter DOCKER-USER handle 9\n"));
	assert_non_null(strstr(batch, "delete rule inet firewalld filter_FORWARD handle 7\n"));
	assert_null(strstr(batch, "insert rule"));
	assert_int_equal(n_notes, 0);
	free(batch);

	/* net down of br0: only br0's rules (br1 still has one), openings stay for br1 */
	assert_int_equal(fw_nft_diff(&tut, s, true, &batch, NULL, NULL), 0);
	assert_string_equal(batch, "delete rule inet vmm forward handle 2\n"
				   "delete rule inet vmm forward handle 3\n");
	free(batch);
	fw_nft_state_free(s);
	/* net down of the last bridge: the table and every opening of vmm's */
	struct fw_config br1 = tut;
	br1.bridge = "br1";
	const char *only = strstr(ruleset, "\"vmm br1");
	assert_non_null(only);
	char *js = util_strdup(ruleset);
	/* make br0's two rules br1's: then br1 is the last bridge */
	for (char *p = js; (p = strstr(p, "vmm br0")); p += 7)
		p[6] = '1';
	s = parse(js, &br1);
	assert_int_equal(fw_nft_diff(&br1, s, true, &batch, NULL, NULL), 0);
	assert_string_equal(batch, "delete table inet vmm\n"
				   "delete rule ip filter DOCKER-USER handle 9\n"
				   "delete rule inet firewalld filter_FORWARD handle 7\n");
	free(batch);
	free(js);
	fw_nft_state_free(s);
}

/* firewalld 2.x: its table has flag owner (as fw_nft_read gives it: from the text listing) */
static const char owned[] =
	"{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"json_schema_version\": 1}},"
	"{\"table\": {\"family\": \"inet\", \"name\": \"firewalld\", \"handle\": 3,"
	" \"flags\": \"owner\"}},"
	"{\"chain\": {\"family\": \"inet\", \"table\": \"firewalld\", \"name\": \"filter_FORWARD\","
	" \"handle\": 1, \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 10, \"policy\": \"accept\"}},"
	"{\"rule\": {\"family\": \"inet\", \"table\": \"firewalld\", \"chain\": \"filter_FORWARD\", \"handle\": 7,"
	" \"comment\": \"vmm\", \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"&\": [{\"meta\":"
	" {\"key\": \"mark\"}}, 256]}, \"right\": 256}}, {\"accept\": null}]}},"
	"{\"rule\": {\"family\": \"inet\", \"table\": \"firewalld\", \"chain\": \"filter_FORWARD\", \"handle\": 3,"
	" \"expr\": [{\"reject\": null}]}},"
	"{\"table\": {\"family\": \"inet\", \"name\": \"quiet\", \"handle\": 4, \"flags\": \"dormant\"}},"
	"{\"chain\": {\"family\": \"inet\", \"table\": \"quiet\", \"name\": \"f\", \"handle\": 1,"
	" \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0, \"policy\": \"drop\"}}"
	"]}";

static void test_owned_table(void **state)
{
	struct fw_nft_state *s = parse(owned, &tut);
	struct fw_status st;
	char *batch = NULL, **notes = NULL;
	size_t n_notes = 0;
	memset(&st, 0, sizeof(st));
	fw_nft_fill_status(&tut, s, &st);
	assert_int_equal(st.n_chains, 2);
	assert_string_equal(st.chains[1].table, "firewalld");
	assert_true(st.chains[1].drops && st.chains[1].owned && !st.chains[1].opened);
	assert_true(st.chains[0].drops && !st.chains[0].owned); /* dormant is not owner */
	assert_int_equal(st.n_missing_openings, 1);  /* the dormant one only */
	assert_int_equal(st.n_stale, 0);             /* the 0x100 opening cannot be touched */
	/* the kernel would refuse any change in the owned table: none is made, one note says so */
	assert_int_equal(fw_nft_diff(&tut, s, false, &batch, &notes, &n_notes), 0);
	assert_null(strstr(batch, "firewalld"));
	assert_non_null(strstr(batch, "insert rule inet quiet f "));
	assert_int_equal(n_notes, 2);
	assert_string_equal(notes[0], "accepted br0 in inet quiet f (nftables)");
	assert_string_equal(notes[1], "inet firewalld filter_FORWARD (firewalld) drops br0's traffic and its "
				      "table is owned by another process: vmm cannot open it (see `vmm net status`)");
	for (size_t i = 0; i < n_notes; i++)
		free(notes[i]);
	free(notes);
	free(batch);
	assert_int_equal(fw_nft_diff(&tut, s, true, &batch, NULL, NULL), 0);
	assert_string_equal(batch, "");
	free(batch);
	fw_nft_state_free(s);
}

/* The comments of the forward chain's rules a plan adds, in order (at most 8). */
static size_t forward_comments(const char *plan, char out[8][32])
{
	size_t n = 0;
	for (const char *p = plan; (p = strstr(p, "add rule inet vmm forward ")) && n < 8; p++) {
		const char *c = strstr(p, "comment \"");
		const char *e = c ? strchr(c + 9, '"') : NULL;
		if (!e)
			break;
		snprintf(out[n++], 32, "%.*s", (int)(e - c - 9), c + 9);
	}
	return n;
}

/* A ruleset with table inet vmm's forward chain holding rules of these comments, in order. */
static char *vmm_forward_ruleset(char com[][32], const int *order, size_t n)
{
	char *js = util_strdup(
		"{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"vmm\", \"handle\": 5}},"
		"{\"chain\": {\"family\": \"inet\", \"table\": \"vmm\", \"name\": \"forward\", \"handle\": 1,"
		" \"type\": \"filter\", \"hook\": \"forward\", \"prio\": -10, \"policy\": \"accept\"}}");
	for (size_t i = 0; i < n; i++) {
		char *x = util_fmt("%s,{\"rule\": {\"family\": \"inet\", \"table\": \"vmm\", \"chain\":"
				   " \"forward\", \"handle\": %zu, \"comment\": \"%s\", \"expr\": []}}",
				   js, 10 + i, com[order[i]]);
		free(js);
		js = x;
	}
	char *x = util_fmt("%s]}", js);
	free(js);
	return x;
}

/* The forward chain keeps its order, the drops last: the first forward added while the network
 * is up (its accept would otherwise land after the drops), and an accept found after the drops,
 * make the diff take br0's rules of the chain out and put them back in order. */
static void test_order(void **state)
{
	struct fw_config c = tut;
	c.nat = false;
	c.forwards = fwds;
	c.n_forwards = 1;
	struct fw_nft_state *s = parse("", &c);
	char *plan = NULL, *batch = NULL, com[8][32];
	assert_int_equal(fw_nft_diff(&c, s, false, &plan, NULL, NULL), 0);
	fw_nft_state_free(s);
	/* bridged, out, back, dnat, drop out, drop in */
	assert_int_equal(forward_comments(plan, com), 6);
	const char *rules = strstr(plan, "add rule inet vmm forward ");
	/* in place without the forward: the dnat accept is missing before the drops */
	static const int no_fwd[] = { 0, 1, 2, 4, 5 };
	char *js = vmm_forward_ruleset(com, no_fwd, 5);
	s = parse(js, &c);
	struct fw_status st;
	memset(&st, 0, sizeof(st));
	fw_nft_fill_status(&c, s, &st);
	assert_int_equal(st.n_stale, 0);
	assert_false(st.present[FW_ACCEPT_DNAT]);
	assert_int_equal(fw_nft_diff(&c, s, false, &batch, NULL, NULL), 0);
	for (int h = 10; h < 15; h++) {
		char del[64];
		snprintf(del, sizeof(del), "delete rule inet vmm forward handle %d\n", h);
		assert_non_null(strstr(batch, del));
	}
	/* the chain's rules again, exactly as on an empty ruleset */
	char *rest = strstr(batch, "add rule inet vmm forward ");
	assert_non_null(rest);
	assert_memory_equal(rest, rules, strlen(rules) - strlen(strstr(rules, "add rule inet vmm prerouting")));
	free(batch);
	fw_nft_state_free(s);
	free(js);
	/* the dnat accept after the drops: out of order, and put back */
	forward_comments(plan, com);
	static const int late[] = { 0, 1, 2, 4, 5, 3 };
	js = vmm_forward_ruleset(com, late, 6);
	s = parse(js, &c);
	fw_nft_fill_status(&c, s, &st);
	assert_int_equal(st.n_stale, 1);
	assert_false(fw_status_complete(&c, &st));
	assert_int_equal(fw_nft_diff(&c, s, false, &batch, NULL, NULL), 0);
	for (int h = 10; h < 16; h++) {
		char del[64];
		snprintf(del, sizeof(del), "delete rule inet vmm forward handle %d\n", h);
		assert_non_null(strstr(batch, del));
	}
	char got[8][32];
	assert_int_equal(forward_comments(batch, got), 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(got[i], com[i]);
	free(batch);
	fw_nft_state_free(s);
	free(js);
	/* in order: nothing to do */
	static const int right[] = { 0, 1, 2, 3, 4, 5 };
	js = vmm_forward_ruleset(com, right, 6);
	s = parse(js, &c);
	fw_nft_fill_status(&c, s, &st);
	assert_int_equal(st.n_stale, 0);
	assert_int_equal(fw_nft_diff(&c, s, false, &batch, NULL, NULL), 0);
	assert_null(strstr(batch, "forward"));
	free(batch);
	fw_nft_state_free(s);
	free(js);
	free(plan);
}

static void test_bad_json(void **state)
{
	struct fw_nft_state *s = NULL;
	assert_int_equal(fw_nft_parse("{\"tables\": 1}", &tut, &s), -1);
	assert_null(s);
	assert_string_equal(vmm_errmsg(),
			    "firewall: nftables: the ruleset listing is not the JSON nft prints");
	assert_int_equal(fw_nft_parse("not json", &tut, &s), -1);
	/* a bridge name that would break out of the rule text is refused before any text is made */
	struct fw_config c = tut;
	c.bridge = "br0\" accept";
	s = parse("", &tut);
	char *batch = NULL;
	assert_int_equal(fw_nft_diff(&c, s, false, &batch, NULL, NULL), -1);
	assert_null(batch);
	fw_nft_state_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_plan),
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_converge),
		cmocka_unit_test(test_owned_table),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_bad_json),
	};
	return cmocka_run_group_tests_name("nftables", tests, NULL, NULL);
}

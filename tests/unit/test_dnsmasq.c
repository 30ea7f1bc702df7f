// SPDX-License-Identifier: MIT
/* test_dnsmasq.c: the bridge's services as data: dnsmasq's argv, hosts files, leases; the IPv6
 * prefix (ULA from a machine id, SLAAC from a MAC); net.cfg's dhcp, dhcp_pool, domain, ipv6 keys */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/config/ipv6.h"
#include "vmm/config/netcfg.h"
#include "vmm/config/profile.h"
#include "vmm/net/dnsmasq.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

static void test_prefix(void **state)
{
	uint8_t p[8];
	char out[IPV6_TEXT_MAX + 4];
	assert_int_equal(ipv6_parse_prefix64("ipv6", "fd12:3456:789a:1::/64", p), 0);
	ipv6_format_prefix64(p, out);
	assert_string_equal(out, "fd12:3456:789a:1::/64");
	/* host bits dropped */
	assert_int_equal(ipv6_parse_prefix64("ipv6", "fd12:3456:789a:1::5/64", p), 0);
	ipv6_format_prefix64(p, out);
	assert_string_equal(out, "fd12:3456:789a:1::/64");
	assert_int_equal(ipv6_parse_prefix64("ipv6", "fd12::/48", p), -1);
	assert_string_equal(vmm_errmsg(), "ipv6 \"fd12::/48\": the prefix must be /64 (SLAAC needs it)");
	assert_int_equal(vmm_errcode(), VMM_EINVAL);
	assert_int_equal(ipv6_parse_prefix64("ipv6", "fd12::", p), -1);
	assert_int_equal(ipv6_parse_prefix64("ipv6", "fe80::/64", p), -1);
	assert_int_equal(ipv6_parse_prefix64("ipv6", "ff02::/64", p), -1);
	assert_int_equal(ipv6_parse_prefix64("ipv6", "::/64", p), -1);
	assert_int_equal(ipv6_parse_prefix64("ipv6", "192.168.1.0/64", p), -1);
}

static void test_ula_and_slaac(void **state)
{
	char a[IPV6_TEXT_MAX + 4], b[IPV6_TEXT_MAX + 4], c[IPV6_TEXT_MAX + 4];
	ipv6_ula_from_id("0123456789abcdef0123456789abcdef", a);
	ipv6_ula_from_id("0123456789abcdef0123456789abcdef", b);
	ipv6_ula_from_id("fedcba9876543210fedcba9876543210", c);
	assert_string_equal(a, b);                /* stable */
	assert_string_not_equal(a, c);            /* per host */
	assert_int_equal(strncmp(a, "fd", 2), 0); /* RFC 4193 */
	assert_int_equal(strcmp(a + strlen(a) - 5, "::/64"), 0); /* subnet 0 */
	uint8_t p[8];
	assert_int_equal(ipv6_parse_prefix64("ipv6", a, p), 0);

	uint8_t q[8], mac[6] = { 0x52, 0x54, 0x00, 0x7d, 0x62, 0x12 };
	char s[IPV6_TEXT_MAX];
	assert_int_equal(ipv6_parse_prefix64("ipv6", "fd12:3456:789a:1::/64", q), 0);
	ipv6_eui64(q, mac, s);
	assert_string_equal(s, "fd12:3456:789a:1:5054:ff:fe7d:6212"); /* as the kernel's SLAAC */
	ipv6_host(q, 1, s);
	assert_string_equal(s, "fd12:3456:789a:1::1");
}

static void test_netcfg_keys(void **state)
{
	struct vmm_netcfg n;
	assert_int_equal(netcfg_parse("", "net.cfg", &n), 0);
	assert_true(n.dhcp);
	assert_true(n.nat6);
	assert_false(n.has_ipv6);
	assert_string_equal(netcfg_domain(&n), "vmm");
	assert_int_equal(n.pool_lo, 0);
	char *text = netcfg_format(&n);
	assert_null(strstr(text, "dhcp")); /* defaults are not written */
	assert_null(strstr(text, "ipv6"));
	free(text);
	netcfg_free(&n);

	assert_int_equal(netcfg_parse("dhcp = false; dhcp_pool = \"192.168.166.200-192.168.166.250\";"
				      "domain = \"lab.example\"; ipv6 = \"fd00:1:2:3::/64\";"
				      "nat6 = false;", "net.cfg", &n), 0);
	assert_false(n.dhcp);
	assert_false(n.nat6);
	assert_true(n.has_ipv6);
	assert_int_equal(n.pool_lo, 0xc0a8a6c8);
	assert_int_equal(n.pool_hi, 0xc0a8a6fa);
	text = netcfg_format(&n);
	assert_non_null(strstr(text, "dhcp = false;\n"));
	assert_non_null(strstr(text, "nat6 = false;\n"));
	assert_non_null(strstr(text, "dhcp_pool = \"192.168.166.200-192.168.166.250\";\n"));
	assert_non_null(strstr(text, "ipv6 = \"fd00:1:2:3::/64\";\n"));
	struct vmm_netcfg m;
	assert_int_equal(netcfg_parse(text, "net.cfg", &m), 0); /* round trip */
	assert_string_equal(m.domain, "lab.example");
	netcfg_free(&m);
	free(text);
	netcfg_free(&n);

	static const struct { const char *text, *msg; } bad[] = {
		{ "dhcp_pool = \"192.168.167.2-192.168.167.9\";",
		  "net.cfg: dhcp_pool \"192.168.167.2-192.168.167.9\": not a range inside "
		  "192.168.166.1/24" },
		{ "dhcp_pool = \"192.168.166.9-192.168.166.2\";",
		  "net.cfg: dhcp_pool \"192.168.166.9-192.168.166.2\": not a range inside "
		  "192.168.166.1/24" },
		{ "dhcp_pool = \"192.168.166.1-192.168.166.9\";",
		  "net.cfg: dhcp_pool \"192.168.166.1-192.168.166.9\": holds the bridge's address" },
		{ "dhcp_pool = \"192.168.166.200\";",
		  "net.cfg: dhcp_pool \"192.168.166.200\": expected FIRST-LAST, e.g. "
		  "192.168.166.200-192.168.166.250" },
		{ "domain = \"Vmm\";", "net.cfg: domain \"Vmm\": use lowercase labels of letters, "
				       "digits and '-' separated by dots" },
		{ "domain = \"a..b\";", "net.cfg: domain \"a..b\": use lowercase labels of letters, "
					"digits and '-' separated by dots" },
		{ "ipv6 = \"fd00::/56\";",
		  "net.cfg: ipv6 \"fd00::/56\": the prefix must be /64 (SLAAC needs it)" },
		{ "ipv6 = \"yes\";", "net.cfg: ipv6 \"yes\": expected an IPv6 prefix such as "
				     "fd00:1:2:3::/64" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(netcfg_parse(bad[i].text, "net.cfg", &n), -1);
		assert_string_equal(vmm_errmsg(), bad[i].msg);
		assert_int_equal(vmm_errcode(), VMM_EINVAL);
		netcfg_free(&n);
	}
	/* auto stays auto until resolved; resolving gives a /64 */
	assert_int_equal(netcfg_parse("ipv6 = \"auto\";", "net.cfg", &n), 0);
	assert_false(n.has_ipv6);
	netcfg_free(&n);
}

/* Two guests (one without an address: no reservation) and the conf of the tutorial's bridge. */
static void fixture(struct vmm_netcfg *n, struct vmm_profile g[3], struct dnsmasq_conf *c)
{
	struct vmm_home h = { .run = "/home/x/run" };
	assert_int_equal(netcfg_parse("dhcp_pool = \"192.168.166.200-192.168.166.250\";"
				      "ipv6 = \"fd12:3456:789a:1::/64\";", "net.cfg", n), 0);
	for (int i = 0; i < 3; i++)
		profile_init(&g[i]);
	snprintf(g[0].name, sizeof(g[0].name), "web");
	snprintf(g[0].mac, sizeof(g[0].mac), "52:54:00:7D:62:12");
	g[0].address = strdup("192.168.166.100/24");
	snprintf(g[1].name, sizeof(g[1].name), "db");
	snprintf(g[1].mac, sizeof(g[1].mac), "52:54:00:00:00:02");
	snprintf(g[2].name, sizeof(g[2].name), "app");
	snprintf(g[2].mac, sizeof(g[2].mac), "52:54:00:00:00:03");
	g[2].address = strdup("192.168.166.103/24");
	dnsmasq_conf_init(c, n, &h, "/run/vmm-dnsmasq");
}

static void test_files(void **state)
{
	struct vmm_netcfg n;
	struct vmm_profile g[3];
	struct dnsmasq_conf c;
	struct dnsmasq_host *v;
	size_t nv;
	fixture(&n, g, &c);
	assert_string_equal(c.dir, "/home/x/run/dnsmasq-br0");
	assert_string_equal(c.pub, "/run/vmm-dnsmasq/fbf8170c-br0"); /* FNV-1a of the run path */
	struct dnsmasq_conf self;
	dnsmasq_conf_at(&self, "/home/x/run", "br0", NULL); /* no drop: one folder */
	assert_string_equal(self.pub, "/home/x/run/dnsmasq-br0");
	dnsmasq_conf_free(&self);
	dnsmasq_hosts(&c, g, 3, &v, &nv);
	assert_int_equal(nv, 2);
	char *t = dnsmasq_dhcp_hosts_text(v, nv);
	assert_string_equal(t, "52:54:00:7d:62:12,192.168.166.100,web\n"
			       "52:54:00:00:00:03,192.168.166.103,app\n");
	free(t);
	t = dnsmasq_names_text(&c, v, nv);
	assert_string_equal(t, "192.168.166.100 web.vmm web\n"
			       "fd12:3456:789a:1:5054:ff:fe7d:6212 web.vmm web\n"
			       "192.168.166.103 app.vmm app\n"
			       "fd12:3456:789a:1:5054:ff:fe00:3 app.vmm app\n");
	free(t);
	free(v);
	for (int i = 0; i < 3; i++)
		profile_free(&g[i]);
	dnsmasq_conf_free(&c);
	netcfg_free(&n);
}

/* Is the argument in argv? */
static int has(char **argv, const char *a)
{
	for (size_t i = 0; argv[i]; i++)
		if (!strcmp(argv[i], a))
			return 1;
	return 0;
}

static void test_argv(void **state)
{
	struct vmm_netcfg n;
	struct vmm_profile g[3];
	struct dnsmasq_conf c;
	char *up[] = { "192.168.1.191" };
	fixture(&n, g, &c);
	c.upstream = up;
	c.n_upstream = 1;
	c.user = "nobody";
	char **argv = dnsmasq_argv(&c);
	assert_string_equal(argv[0], "dnsmasq");
	static const char *const want[] = {
		"--conf-file=/dev/null", "--pid-file=/home/x/run/dnsmasq-br0/dnsmasq.pid",
		"--dhcp-leasefile=/home/x/run/dnsmasq-br0/leases", "--user=nobody",
		"--interface=br0", "--except-interface=lo", "--bind-dynamic", "--no-hosts",
		"--no-resolv", "--server=192.168.1.191", "--domain=vmm", "--local=/vmm/",
		"--addn-hosts=/run/vmm-dnsmasq/fbf8170c-br0/names",
		"--dhcp-hostsfile=/run/vmm-dnsmasq/fbf8170c-br0/dhcp-hosts", "--dhcp-authoritative",
		"--dhcp-range=192.168.166.0,static,255.255.255.0,1h",
		"--dhcp-range=192.168.166.200,192.168.166.250,255.255.255.0,1h", "--enable-ra",
		"--dhcp-range=::,constructor:br0,ra-stateless,64,1h",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!has(argv, want[i]))
			fail_msg("missing %s", want[i]);
	assert_false(has(argv, "--keep-in-foreground")); /* it reports start-up errors by exit */
	util_argv_free(argv);
	/* no pool, no IPv6, no user (rootless): none of their options */
	c.pool_lo = c.pool_hi = 0;
	c.has_ipv6 = false;
	c.user = NULL;
	argv = dnsmasq_argv(&c);
	for (size_t i = 0; argv[i]; i++) {
		assert_null(strstr(argv[i], "--user"));
		assert_null(strstr(argv[i], "ra-stateless"));
		assert_null(strstr(argv[i], "enable-ra"));
		assert_null(strstr(argv[i], ".200,"));
	}
	util_argv_free(argv);
	for (int i = 0; i < 3; i++)
		profile_free(&g[i]);
	dnsmasq_conf_free(&c);
	netcfg_free(&n);
}

static void test_leases(void **state)
{
	struct dnsmasq_lease *l;
	size_t n;
	dnsmasq_leases_parse("1733340000 52:54:00:7d:62:12 192.168.166.100 web 01:52:54:00:7d:62:12\n"
			     "0 52:54:00:aa:bb:cc 192.168.166.200 * *\n"
			     "garbage line\n"
			     "12 zz:54:00:aa:bb:cc 192.168.166.201 x *\n"
			     "duid 00:01:00:01:2c:3d:4e:5f:52:54:00:00:00:01\n"
			     "1733340000 1234 fd12::5 web 00:01:00:01\n",
			     &l, &n);
	assert_int_equal(n, 3);
	assert_int_equal(l[0].expiry, 1733340000LL);
	assert_string_equal(l[0].mac, "52:54:00:7d:62:12");
	assert_string_equal(l[0].addr, "192.168.166.100");
	assert_string_equal(l[0].name, "web");
	assert_string_equal(l[1].name, "*");
	assert_string_equal(l[2].mac, ""); /* DHCPv6: no MAC */
	assert_string_equal(l[2].addr, "fd12::5");
	free(l);
	dnsmasq_leases_parse("", &l, &n);
	assert_int_equal(n, 0);
	assert_null(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_ula_and_slaac),
		cmocka_unit_test(test_netcfg_keys),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_leases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

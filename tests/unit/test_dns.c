// SPDX-License-Identifier: MIT
/* test_dns.c: resolv.conf parsing and the DNS servers guests get (files fed through env) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/config/dns.h"
#include "vmm/sys/error.h"

static char dir[] = "/tmp/vmm-test-dns.XXXXXX";
static char resolv[256], resolved[256];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_parse(void **state)
{
	char **s = NULL;
	size_t n = 0;
	assert_int_equal(dns_parse_resolv("# comment\n"
					  "search example.org\n"
					  "nameserver 192.168.1.191\n"
					  "  nameserver\t10.0.0.2 # trailing comment\n"
					  "nameserver 192.168.1.191\n"   /* duplicate dropped */
					  "nameserver not-an-address\n"  /* skipped */
					  "nameserver 999.1.1.1\n"       /* skipped */
					  "nameserver\n"                 /* skipped */
					  "; nameserver 1.1.1.1\n"       /* commented out */
					  "options edns0\n"
					  "nameserver 2001:db8::1\n"
					  "nameserver 127.0.0.53", /* no final newline */
					  &s, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(s[0], "192.168.1.191");
	assert_string_equal(s[1], "10.0.0.2");
	assert_string_equal(s[2], "2001:db8::1");
	assert_string_equal(s[3], "127.0.0.53");
	dns_free(s, n);

	assert_int_equal(dns_parse_resolv("", &s, &n), 0);
	assert_int_equal(n, 0);
	dns_free(s, n);
	assert_int_equal(dns_parse_resolv(NULL, &s, &n), 0);
	assert_int_equal(n, 0);
	dns_free(s, n);

	/* A very long line is one line, not several. */
	char big[2000];
	memset(big, 'x', sizeof(big));
	memcpy(big, "search ", 7);
	memcpy(big + 1000, " nameserver 1.2.3.4", 19);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(dns_parse_resolv(big, &s, &n), 0);
	assert_int_equal(n, 0);
	dns_free(s, n);
}

static void test_loopback(void **state)
{
	assert_true(dns_is_loopback("127.0.0.53"));
	assert_true(dns_is_loopback("127.0.0.1"));
	assert_true(dns_is_loopback("127.255.0.1"));
	assert_true(dns_is_loopback("::1"));
	assert_false(dns_is_loopback("128.0.0.1"));
	assert_false(dns_is_loopback("192.168.1.191"));
	assert_false(dns_is_loopback("2001:db8::1"));
	assert_false(dns_is_loopback("junk"));
}

static struct vmm_netcfg cfg(char **dns, size_t n)
{
	struct vmm_netcfg c;
	memset(&c, 0, sizeof(c));
	c.dns = dns;
	c.n_dns = n;
	return c;
}

static void test_auto_plain(void **state)
{
	char *autos[] = { "auto" };
	struct vmm_netcfg c = cfg(autos, 1);
	char **s = NULL;
	size_t n = 0;
	put(resolv, "nameserver 192.168.1.191\nnameserver 2001:db8::1\nnameserver 10.1.1.1\n");
	unlink(resolved);
	assert_int_equal(dns_servers(&c, &s, &n), 0);
	assert_int_equal(n, 2); /* IPv4 only: guests get no IPv6 route */
	assert_string_equal(s[0], "192.168.1.191");
	assert_string_equal(s[1], "10.1.1.1");
	dns_free(s, n);

	/* An empty list means auto too. */
	c = cfg(NULL, 0);
	assert_int_equal(dns_servers(&c, &s, &n), 0);
	assert_int_equal(n, 2);
	dns_free(s, n);
}

static void test_auto_resolved_stub(void **state)
{
	char *autos[] = { "auto" };
	struct vmm_netcfg c = cfg(autos, 1);
	char **s = NULL;
	size_t n = 0;
	put(resolv, "# systemd-resolved stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\n");
	put(resolved, "nameserver 192.168.1.1\nnameserver 127.0.0.1\nnameserver 9.9.9.9\n");
	assert_int_equal(dns_servers(&c, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(s[0], "192.168.1.1");
	assert_string_equal(s[1], "9.9.9.9");
	dns_free(s, n);

	/* The stub alone, no upstream file: a clear failure, not an empty list. */
	unlink(resolved);
	bool lo = false;
	assert_int_equal(dns_host_servers(&s, &n, &lo), -1);
	assert_true(lo);
	assert_non_null(strstr(vmm_errmsg(), "only lists a loopback resolver"));
	assert_non_null(strstr(vmm_errmsg(), resolved));
	assert_int_equal(dns_servers(&c, &s, &n), -1);
	assert_null(s);
	assert_int_equal(n, 0);

	/* The upstream file only has loopbacks too. */
	put(resolved, "nameserver 127.0.0.1\n");
	assert_int_equal(dns_servers(&c, &s, &n), -1);
	assert_non_null(strstr(vmm_errmsg(), "has no usable upstream"));
}

static void test_explicit(void **state)
{
	char *list[] = { "192.168.1.191", "auto", "192.168.1.191", "2001:db8::53" };
	struct vmm_netcfg c = cfg(list, 4);
	char **s = NULL;
	size_t n = 0;
	put(resolv, "nameserver 10.0.0.1\nnameserver 192.168.1.191\n");
	assert_int_equal(dns_servers(&c, &s, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(s[0], "192.168.1.191");
	assert_string_equal(s[1], "10.0.0.1");
	assert_string_equal(s[2], "2001:db8::53");
	dns_free(s, n);

	/* Explicit servers need no resolv.conf at all. */
	char *only[] = { "8.8.8.8" };
	c = cfg(only, 1);
	unlink(resolv);
	assert_int_equal(dns_servers(&c, &s, &n), 0);
	assert_int_equal(n, 1);
	dns_free(s, n);

	/* ...but auto does. */
	char *autos[] = { "auto" };
	c = cfg(autos, 1);
	assert_int_equal(dns_servers(&c, &s, &n), -1);
	assert_non_null(strstr(vmm_errmsg(), "cannot read"));

	char *bad[] = { "dns.example" };
	c = cfg(bad, 1);
	assert_int_equal(dns_servers(&c, &s, &n), -1);
	assert_int_equal(vmm_errcode(), VMM_EINVAL);
	assert_non_null(strstr(vmm_errmsg(), "not an address or \"auto\""));

	char *lo[] = { "127.0.0.53" };
	c = cfg(lo, 1);
	assert_int_equal(dns_servers(&c, &s, &n), -1);
	assert_int_equal(vmm_errcode(), VMM_EINVAL);
	assert_non_null(strstr(vmm_errmsg(), "loopback"));
}

static void test_no_nameserver(void **state)
{
	char **s = NULL;
	size_t n = 0;
	put(resolv, "search example.org\n");
	assert_int_equal(dns_host_servers(&s, &n, NULL), -1);
	assert_non_null(strstr(vmm_errmsg(), "no usable nameserver"));
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(resolv, sizeof(resolv), "%s/resolv.conf", dir);
	snprintf(resolved, sizeof(resolved), "%s/resolved.conf", dir);
	setenv("VMM_RESOLV_CONF", resolv, 1);
	setenv("VMM_RESOLVED_CONF", resolved, 1);
	return 0;
}

static int teardown(void **state)
{
	unlink(resolv);
	unlink(resolved);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_auto_plain),
		cmocka_unit_test(test_auto_resolved_stub),
		cmocka_unit_test(test_explicit),
		cmocka_unit_test(test_no_nameserver),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

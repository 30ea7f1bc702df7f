// SPDX-License-Identifier: MIT
/* test_profile.c: the profile and net.cfg parsers, validators and allocators on byte buffers */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/sys/error.h"
#include "vmm/config/profile.h"
#include "vmm/config/forward_spec.h"
#include "vmm/config/alloc.h"
#include "vmm/config/validate.h"
#include "vmm/sys/util.h"

static const char tutorial[] =
	"memory = 2048;\ncpus = 1;\n"
	"disk = { path = \"ubuntu.qcow2\"; size = \"40G\"; };\n"
	"iso = \"/srv/iso/ubuntu.iso\";\n"
	"net = { mac = \"52:54:00:12:34:10\"; address = \"192.168.166.100/24\"; };\n"
	"vnc = { display = 19; listen = \"127.0.0.1\"; };\n";

static void parse_ok(const char *text, struct vmm_profile *p)
{
	int rc = profile_parse(text, "t.cfg", "ubuntu", p);
	if (rc != 0)
		fail_msg("parse failed: %s", vmm_errmsg());
}

static void expect_invalid(int rc, const char *msg)
{
	assert_int_equal(rc, -1);
	assert_int_equal(vmm_errcode(), VMM_EINVAL);
	assert_string_equal(vmm_errmsg(), msg);
}

static void test_parse_tutorial(void **state)
{
	struct vmm_profile p;
	parse_ok(tutorial, &p);
	assert_int_equal(p.memory, 2048);
	assert_int_equal(p.cpus, 1);
	assert_string_equal(p.disk_path, "ubuntu.qcow2");
	assert_string_equal(p.disk_size, "40G");
	assert_string_equal(p.iso, "/srv/iso/ubuntu.iso");
	assert_string_equal(p.mac, "52:54:00:12:34:10");
	assert_string_equal(p.address, "192.168.166.100/24");
	assert_int_equal(p.vnc_display, 19);
	assert_string_equal(p.vnc_listen, "127.0.0.1");
	assert_string_equal(p.tap, "vmm-ubuntu"); /* filled in like create would */
	profile_free(&p);
}

static void test_roundtrip(void **state)
{
	struct vmm_profile p, q;
	parse_ok(tutorial, &p);
	profile_set_key(&p, "append", "console=ttyS0 \"quoted\" back\\slash");
	profile_set_key(&p, "runcmd", "ping -c1 192.168.166.101");
	profile_set_key(&p, "dns", "192.168.1.191, 9.9.9.9");
	char *text = profile_format(&p);
	parse_ok(text, &q);
	char *again = profile_format(&q);
	assert_string_equal(text, again);
	assert_string_equal(q.append, "console=ttyS0 \"quoted\" back\\slash");
	assert_int_equal(q.n_dns, 2);
	assert_string_equal(q.dns[1], "9.9.9.9");
	assert_int_equal(q.n_runcmd, 1);
	free(text);
	free(again);
	profile_free(&p);
	profile_free(&q);
}

static void test_parse_errors(void **state)
{
	struct vmm_profile p;
	expect_invalid(profile_parse("memory = ;\n", "t.cfg", "g", &p), "t.cfg:1: syntax error");
	expect_invalid(profile_parse("memory = 1;\n\ncolour = 2;\n", "t.cfg", "g", &p),
		       "t.cfg:1: memory: out of range (16 to 1048576 MiB)");
	expect_invalid(profile_parse("\n\ncolour = 2;\nvnc = { display = 1; };\n", "t.cfg", "g", &p),
		       "t.cfg:3: unknown key \"colour\"");
	expect_invalid(profile_parse("vnc = { display = 1; x = 1; };\n", "t.cfg", "g", &p),
		       "t.cfg:1: unknown key \"vnc.x\"");
	expect_invalid(profile_parse("vnc = { display = 59636; };\n", "t.cfg", "g", &p),
		       "t.cfg:1: display: out of range (0 to 59635)");
	expect_invalid(profile_parse("vnc = \"off\";\n", "t.cfg", "g", &p),
		       "t.cfg:1: vnc: want \"socket\", \"none\" or a group { display = N; }");
	expect_invalid(profile_parse("vnc = 5;\n", "t.cfg", "g", &p),
		       "t.cfg:1: vnc: expected a group { ... }");
	expect_invalid(profile_parse("net = { mac = \"01:02:03:04:05:06\"; };\n", "t.cfg", "g", &p),
		       "t.cfg:1: mac 01:02:03:04:05:06: multicast MAC address (first octet must be even)");
	expect_invalid(profile_parse("memory = 64;\n", "t.cfg", "g", &p),
		       "t.cfg: vnc.display: missing (or vnc = \"socket\" or \"none\")");
	expect_invalid(profile_parse("", "t.cfg", "Bad", &p),
		       "name \"Bad\": use 1 to 32 characters a-z, 0-9 and '-', starting with a letter or digit");
}

static void test_names(void **state)
{
	assert_int_equal(profile_check_name("ubuntu2"), 0);
	assert_int_equal(profile_check_name("0-a"), 0);
	assert_int_equal(profile_check_name("abcdefghijabcdefghijabcdefghijab"), 0); /* 32 */
	assert_int_equal(profile_check_name("abcdefghijabcdefghijabcdefghijabc"), -1);
	assert_int_equal(profile_check_name("-a"), -1);
	assert_int_equal(profile_check_name("a_b"), -1);
	assert_int_equal(profile_check_name("a.b"), -1);
	assert_int_equal(profile_check_name("../x"), -1);
	assert_int_equal(profile_check_name(""), -1);
	assert_int_equal(profile_check_name(NULL), -1);
}

static void test_sizes(void **state)
{
	uint64_t b;
	assert_int_equal(util_parse_size("size", "40G", &b), 0);
	assert_true(b == 40ULL << 30);
	assert_int_equal(util_parse_size("size", "512M", &b), 0);
	assert_true(b == 512ULL << 20);
	assert_int_equal(util_parse_size("size", "1TiB", &b), 0);
	assert_true(b == 1ULL << 40);
	assert_int_equal(util_parse_size("size", "4096", &b), 0);
	assert_true(b == 4096);
	expect_invalid(util_parse_size("size", "0", &b), "size 0: must be greater than zero");
	expect_invalid(util_parse_size("size", "-1", &b),
		       "size -1: not a size (use a number with K, M, G or T)");
	expect_invalid(util_parse_size("size", "40Q", &b), "size 40Q: unknown unit (use K, M, G or T)");
	expect_invalid(util_parse_size("size", "99999999999T", &b), "size 99999999999T: too large (at most 1P)");
	expect_invalid(util_parse_size("size", "99999999999999999999999", &b),
		       "size 99999999999999999999999: too large");
	expect_invalid(util_parse_size("size", "", &b), "size: empty size");
	expect_invalid(util_parse_size("size", "4 G", &b), "size 4 G: unknown unit (use K, M, G or T)");
}

static void test_mac(void **state)
{
	uint8_t m[6];
	char buf[18];
	assert_int_equal(util_parse_mac("mac", "52:54:00:AB:cd:ef", m), 0);
	util_format_mac(m, buf);
	assert_string_equal(buf, "52:54:00:ab:cd:ef");
	expect_invalid(util_parse_mac("mac", "52:54:00:ab:cd", m),
		       "mac 52:54:00:ab:cd: not a MAC address (want xx:xx:xx:xx:xx:xx)");
	expect_invalid(util_parse_mac("mac", "52-54-00-ab-cd-ef", m),
		       "mac 52-54-00-ab-cd-ef: not a MAC address (want xx:xx:xx:xx:xx:xx)");
	expect_invalid(util_parse_mac("mac", "52:54:00:ab:cd:+f", m),
		       "mac 52:54:00:ab:cd:+f: not a MAC address (want xx:xx:xx:xx:xx:xx)");
	expect_invalid(util_parse_mac("mac", "ff:ff:ff:ff:ff:ff", m),
		       "mac ff:ff:ff:ff:ff:ff: multicast MAC address (first octet must be even)");
	expect_invalid(util_parse_mac("mac", "00:00:00:00:00:00", m), "mac 00:00:00:00:00:00: all-zero MAC address");
	char a[18], b[18];
	profile_default_mac("ubuntu", a);
	profile_default_mac("ubuntu", b);
	assert_string_equal(a, b);
	assert_memory_equal(a, "52:54:00:", 9);
	profile_default_mac("ubuntu2", b);
	assert_string_not_equal(a, b);
}

static void test_cidr(void **state)
{
	uint32_t a;
	unsigned pre;
	char buf[16];
	assert_int_equal(util_parse_cidr("address", "192.168.166.100/24", &a, &pre), 0);
	util_format_ipv4(a, buf);
	assert_string_equal(buf, "192.168.166.100");
	assert_int_equal(pre, 24);
	expect_invalid(util_parse_cidr("address", "192.168.166.100", &a, &pre),
		       "address 192.168.166.100: want ADDRESS/PREFIX (e.g. 192.168.166.100/24)");
	expect_invalid(util_parse_cidr("address", "192.168.166.100/33", &a, &pre),
		       "address 192.168.166.100/33: prefix must be 0 to 32");
	expect_invalid(util_parse_cidr("address", "192.168.0166.1/24", &a, &pre),
		       "address 192.168.0166.1/24: not an IPv4 address");
	expect_invalid(util_parse_cidr("address", "1.2.3/24", &a, &pre), "address 1.2.3/24: not an IPv4 address");
	expect_invalid(util_parse_cidr("address", "1.2.3.4./24", &a, &pre), "address 1.2.3.4./24: not an IPv4 address");
	expect_invalid(util_parse_ipv4("dns", "1.2.3.256", &a), "dns 1.2.3.256: not an IPv4 address");
}

static void make(struct vmm_profile *p, const char *name, const char *mac, const char *addr, int vnc,
		 const char *tap)
{
	profile_init(p);
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->mac, sizeof(p->mac), "%s", mac);
	p->address = addr ? strdup(addr) : NULL;
	p->vnc_display = vnc;
	snprintf(p->tap, sizeof(p->tap), "%s", tap);
	p->disk_path = strdup("x.qcow2");
	p->vnc_listen = strdup("127.0.0.1");
}

static void test_validate(void **state)
{
	struct vmm_netcfg n;
	struct vmm_profile p, others[2];
	netcfg_defaults(&n);
	make(&others[0], "ubuntu", "52:54:00:00:00:01", "192.168.166.100/24", 19, "vmm-ubuntu");
	make(&others[1], "ubuntu2", "52:54:00:00:00:02", "192.168.166.101/24", 29, "vmm-ubuntu2");
	make(&p, "g", "52:54:00:00:00:03", "192.169.166.100/24", 3, "vmm-g");
	expect_invalid(profile_validate(&p, &n),
		       "address 192.169.166.100/24: outside the bridge subnet 192.168.166.0/24");
	free(p.address);
	p.address = strdup("192.168.166.101/24");
	assert_int_equal(profile_validate(&p, &n), 0);
	expect_invalid(profile_check_conflicts(&p, others, 2), "address 192.168.166.101/24: already used by ubuntu2");
	free(p.address);
	p.address = strdup("192.168.166.102/24");
	p.vnc_display = 19;
	expect_invalid(profile_check_conflicts(&p, others, 2), "vnc :19: already used by ubuntu");
	p.vnc_display = 3;
	snprintf(p.mac, sizeof(p.mac), "52:54:00:00:00:02");
	expect_invalid(profile_check_conflicts(&p, others, 2), "mac 52:54:00:00:00:02: already used by ubuntu2");
	snprintf(p.mac, sizeof(p.mac), "52:54:00:00:00:03");
	snprintf(p.tap, sizeof(p.tap), "vmm-ubuntu");
	expect_invalid(profile_check_conflicts(&p, others, 2), "tap vmm-ubuntu: already used by ubuntu");
	snprintf(p.tap, sizeof(p.tap), "vmm-g");
	assert_int_equal(profile_check_conflicts(&p, others, 2), 0);
	/* guests on their private sockets never collide */
	p.vnc_display = others[1].vnc_display = VMM_VNC_SOCKET;
	assert_int_equal(profile_check_conflicts(&p, others, 2), 0);
	others[1].vnc_display = 29;
	p.vnc_display = 3;
	/* the profile itself (same name) does not conflict with its stored copy */
	assert_int_equal(profile_check_conflicts(&others[0], others, 2), 0);

	char *addr = NULL;
	assert_int_equal(profile_pick_address(&n, others, 2, &addr), 0);
	assert_string_equal(addr, "192.168.166.102/24");
	free(addr);
	int d;
	assert_int_equal(profile_pick_vnc(others, 2, &d), 0);
	assert_int_equal(d, 0);
	profile_free(&p);
	profile_free(&others[0]);
	profile_free(&others[1]);
	netcfg_free(&n);
}

static void test_pick_tap(void **state)
{
	struct vmm_profile others[2];
	char tap[16];
	make(&others[0], "averyveryverylongname", "52:54:00:00:00:01", NULL, 1, "vmm-averyveryve");
	make(&others[1], "averyveryverylongname2", "52:54:00:00:00:02", NULL, 2, "vmm-averyvery-1");
	profile_pick_tap("short", others, 2, tap);
	assert_string_equal(tap, "vmm-short");
	profile_pick_tap("averyveryverylongname3", others, 2, tap);
	assert_string_equal(tap, "vmm-averyvery-2");
	assert_true(strlen(tap) <= 15);
	profile_free(&others[0]);
	profile_free(&others[1]);
}

static void test_pick_address_small_subnet(void **state)
{
	struct vmm_netcfg n;
	struct vmm_profile o[2];
	assert_int_equal(netcfg_parse("address = \"10.0.0.1/30\";", "net.cfg", &n), 0);
	make(&o[0], "a", "52:54:00:00:00:01", "10.0.0.2/30", 1, "vmm-a");
	char *addr = NULL;
	vmm_error_clear();
	assert_int_equal(profile_pick_address(&n, o, 1, &addr), -1);
	assert_string_equal(vmm_errmsg(), "address: no free address left in 10.0.0.1/30");
	profile_free(&o[0]);
	netcfg_free(&n);
}

static void test_netcfg(void **state)
{
	struct vmm_netcfg n;
	assert_int_equal(netcfg_parse("bridge = \"vmbr1\";\naddress = \"10.10.0.1/16\";\nnat = false;\n"
				      "dns = [\"1.1.1.1\", \"auto\"];\n",
				      "net.cfg", &n),
			 0);
	assert_string_equal(n.bridge, "vmbr1");
	assert_int_equal(n.prefix, 16);
	assert_false(n.nat);
	assert_int_equal(n.n_dns, 2);
	char buf[16];
	util_format_ipv4(netcfg_network(&n), buf);
	assert_string_equal(buf, "10.10.0.0");
	util_format_ipv4(netcfg_broadcast(&n), buf);
	assert_string_equal(buf, "10.10.255.255");
	char *text = netcfg_format(&n);
	struct vmm_netcfg m;
	assert_int_equal(netcfg_parse(text, "again", &m), 0);
	assert_string_equal(m.address, "10.10.0.1/16");
	free(text);
	netcfg_free(&n);
	netcfg_free(&m);
	expect_invalid(netcfg_parse("bridge = \"br0\";\nmtu = 1500;\n", "net.cfg", &n),
		       "net.cfg:2: unknown key \"mtu\"");
	netcfg_free(&n);
	expect_invalid(netcfg_parse("address = \"192.168.166.0/24\";\n", "net.cfg", &n),
		       "net.cfg: address 192.168.166.0/24: is the network or broadcast address");
	netcfg_free(&n);
	expect_invalid(netcfg_parse("bridge = \"this-is-far-too-long\";\n", "net.cfg", &n),
		       "net.cfg:1: bridge: at most 15 characters");
	netcfg_free(&n);
	expect_invalid(netcfg_parse("dns = [\"8.8.8\"];\n", "net.cfg", &n), "dns 8.8.8: not an IPv4 address");
	netcfg_free(&n);
	/* the firewall keys: defaults, round trip, refusals */
	assert_int_equal(netcfg_parse("", "net.cfg", &n), 0);
	assert_string_equal(n.firewall, "auto");
	assert_string_equal(n.foreign, "open");
	assert_int_equal(n.firewall_mark, 0x2000);
	netcfg_free(&n);
	assert_int_equal(netcfg_parse("firewall = \"iptables-legacy\";\nforeign = \"leave\";\n"
				      "firewall_mark = 0x100000;\n",
				      "net.cfg", &n),
			 0);
	text = netcfg_format(&n);
	assert_non_null(strstr(text, "firewall = \"iptables-legacy\";\nforeign = \"leave\";\n"
				     "firewall_mark = 0x100000;\n"));
	assert_int_equal(netcfg_parse(text, "again", &m), 0);
	assert_string_equal(m.firewall, "iptables-legacy");
	assert_string_equal(m.foreign, "leave");
	assert_int_equal(m.firewall_mark, 0x100000);
	free(text);
	netcfg_free(&n);
	netcfg_free(&m);
	expect_invalid(netcfg_parse("firewall = \"nft\";\n", "net.cfg", &n),
		       "net.cfg: firewall \"nft\": use \"auto\", \"nftables\" or \"iptables-legacy\"");
	netcfg_free(&n);
	expect_invalid(netcfg_parse("foreign = \"close\";\n", "net.cfg", &n),
		       "net.cfg: foreign \"close\": use \"open\" or \"leave\"");
	netcfg_free(&n);
	expect_invalid(netcfg_parse("firewall_mark = 0x3000;\n", "net.cfg", &n),
		       "net.cfg: firewall_mark 0x3000: must be a single bit, e.g. 0x2000");
	netcfg_free(&n);
}

static void test_set_key(void **state)
{
	struct vmm_profile p;
	parse_ok(tutorial, &p);
	assert_int_equal(profile_set_key(&p, "ram", "4G"), 0);
	assert_int_equal(p.memory, 4096);
	assert_int_equal(profile_set_key(&p, "memory", "512"), 0);
	assert_int_equal(p.memory, 512);
	expect_invalid(profile_set_key(&p, "memory", "1500K"), "memory 1500K: not a whole number of MiB");
	expect_invalid(profile_set_key(&p, "cpus", "0"), "cpus 0: out of range (1 to 255)");
	assert_int_equal(profile_set_key(&p, "vnc", ":5"), 0);
	assert_int_equal(p.vnc_display, 5);
	expect_invalid(profile_set_key(&p, "vnc", ":-1"),
		       "vnc :-1: want a display :N with N from 0 to 59635 (port 5900+N), socket or "
		       "none");
	/* the private socket (issue 17, item 7): no port, so it takes no display number */
	assert_int_equal(profile_set_key(&p, "vnc", "socket"), 0);
	assert_int_equal(p.vnc_display, VMM_VNC_SOCKET);
	assert_false(profile_vnc_tcp(&p));
	assert_int_equal(profile_vnc_port(&p), 0);
	char *text = profile_format(&p);
	assert_non_null(strstr(text, "vnc = \"socket\";"));
	struct vmm_profile q;
	parse_ok(text, &q);
	assert_int_equal(q.vnc_display, VMM_VNC_SOCKET);
	profile_free(&q);
	free(text);
	/* loopback or not: a TCP display elsewhere gets a password */
	assert_int_equal(profile_set_key(&p, "vnc", ":5"), 0);
	assert_true(profile_vnc_tcp(&p) && profile_vnc_loopback(&p));
	assert_int_equal(profile_set_key(&p, "vnc.listen", "127.0.0.2"), 0);
	assert_true(profile_vnc_loopback(&p));
	assert_int_equal(profile_set_key(&p, "vnc.listen", "0.0.0.0"), 0);
	assert_false(profile_vnc_loopback(&p));
	assert_int_equal(profile_set_key(&p, "vnc.listen", "192.168.1.184"), 0);
	assert_false(profile_vnc_loopback(&p));
	expect_invalid(profile_set_key(&p, "iso", "/nonexistent.iso"),
		       "iso /nonexistent.iso: no such file or directory");
	expect_invalid(profile_set_key(&p, "tap", "a/b"), "tap \"a/b\": use letters, digits, '-', '_' or '.'");
	assert_int_equal(profile_set_key(&p, "iso", ""), 0);
	assert_null(p.iso);
	profile_free(&p);
}

/* forward specs: accepted forms, canonical text, every refusal with its exact message */
static void test_forward_spec(void **state)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "tcp:8080:80", "tcp:8080:80" }, { "8080:80", "tcp:8080:80" },
		{ "udp:5353:53", "udp:5353:53" }, { "UDP:1:65535", "udp:1:65535" },
		{ "65535:1", "tcp:65535:1" },     { "tcp:00080:080", "tcp:80:80" },
		{ "22:22!", "tcp:22:22!" },
		{ "192.168.1.184:8080:80", "tcp:192.168.1.184:8080:80" },
		{ "udp:10.0.0.1:53:53!", "udp:10.0.0.1:53:53!" },
	};
	static const struct { const char *in, *msg; } bad[] = {
		{ "tcp:0:80", "forward \"tcp:0:80\": host port 0: out of range (1 to 65535)" },
		{ "80:0", "forward \"80:0\": guest port 0: out of range (1 to 65535)" },
		{ "65536:80", "forward \"65536:80\": host port 65536: out of range (1 to 65535)" },
		{ "80:99999999999999999999", "forward \"80:99999999999999999999\": guest port "
					     "99999999999999999999: out of range (1 to 65535)" },
		{ "sctp:80:80", "forward \"sctp:80:80\": protocol \"sctp\": use tcp or udp" },
		{ ":80:80", "forward \":80:80\": protocol \"\": use tcp or udp" },
		{ "tcp:x:80", "forward \"tcp:x:80\": host port \"x\": not a number" },
		{ "80:-1", "forward \"80:-1\": guest port \"-1\": not a number" },
		{ "80: 81", "forward \"80: 81\": guest port \" 81\": not a number" },
		{ "garbage", "forward \"garbage\": want [tcp:|udp:][ADDR:]HOSTPORT:GUESTPORT[!]" },
		{ "80", "forward \"80\": want [tcp:|udp:][ADDR:]HOSTPORT:GUESTPORT[!]" },
		{ "80:", "forward \"80:\": want [tcp:|udp:][ADDR:]HOSTPORT:GUESTPORT[!]" },
		{ "tcp:80:", "forward \"tcp:80:\": want [tcp:|udp:][ADDR:]HOSTPORT:GUESTPORT[!]" },
		{ "tcp:1:2:3", "forward \"tcp:1:2:3\": address \"1\": not an IPv4 address" },
		{ "tcp:1.2.3:80:80", "forward \"tcp:1.2.3:80:80\": address \"1.2.3\": not an IPv4 address" },
		{ "1.2.3.4:80", "forward \"1.2.3.4:80\": host port \"1.2.3.4\": not a number" },
		{ "127.0.0.1:80:80", "forward \"127.0.0.1:80:80\": address 127.0.0.1: not one a forward "
				     "can be bound to (loopback, 0.0.0.0/8, multicast); leave it out for "
				     "every address" },
		{ "0.0.0.0:80:80", "forward \"0.0.0.0:80:80\": address 0.0.0.0: not one a forward "
				   "can be bound to (loopback, 0.0.0.0/8, multicast); leave it out for "
				   "every address" },
		{ "x:1.2.3.4:80:80", "forward \"x:1.2.3.4:80:80\": protocol \"x\": use tcp or udp" },
		{ "tcp:1.2.3.4:1:2:3", "forward \"tcp:1.2.3.4:1:2:3\": want [tcp:|udp:][ADDR:]HOSTPORT:GUESTPORT[!]" },
		{ "80:80!!", "forward \"80:80!!\": guest port \"80!\": not a number" },
		{ "!", "forward \"!\": want [tcp:|udp:][ADDR:]HOSTPORT:GUESTPORT[!]" },
		{ "", "forward \"\": want [tcp:|udp:][ADDR:]HOSTPORT:GUESTPORT[!]" },
	};
	struct vmm_forward f;
	char buf[PROFILE_FORWARD_LEN];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (profile_parse_forward(ok[i].in, &f) != 0)
			fail_msg("%s: %s", ok[i].in, vmm_errmsg());
		profile_format_forward(&f, buf);
		assert_string_equal(buf, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_invalid(profile_parse_forward(bad[i].in, &f), bad[i].msg);
	/* the longest text fits */
	f = (struct vmm_forward){ .proto = 17, .host_port = 65535, .guest_port = 65535,
				  .addr = 0xdffffffe, .force = true };
	profile_format_forward(&f, buf);
	assert_string_equal(buf, "udp:223.255.255.254:65535:65535!");
	/* the same port clashes on every address and on one address, not on two addresses */
	struct vmm_forward a, b;
	assert_int_equal(profile_parse_forward("10.0.0.1:80:80", &a), 0);
	assert_int_equal(profile_parse_forward("10.0.0.2:80:81", &b), 0);
	assert_false(profile_forwards_clash(&a, &b));
	assert_int_equal(profile_parse_forward("80:82!", &b), 0);
	assert_true(profile_forwards_clash(&a, &b));
	assert_int_equal(profile_parse_forward("10.0.0.1:80:83", &b), 0);
	assert_true(profile_forwards_clash(&a, &b));
	assert_int_equal(profile_parse_forward("udp:10.0.0.1:80:83", &b), 0);
	assert_false(profile_forwards_clash(&a, &b));
}

/* the profile key: parse, format, round trip, duplicates, set, conflicts with other guests */
static void test_forward_key(void **state)
{
	struct vmm_profile p, q, other;
	char *text = util_fmt("%sforward = [ \"8080:80\", \"udp:5353:53\" ];\n", tutorial);
	parse_ok(text, &p);
	free(text);
	assert_int_equal(p.n_forwards, 2);
	assert_int_equal(p.forwards[0].proto, 6);
	assert_int_equal(p.forwards[0].host_port, 8080);
	assert_int_equal(p.forwards[0].guest_port, 80);
	assert_int_equal(p.forwards[1].proto, 17);
	text = profile_format(&p);
	assert_non_null(strstr(text, "\nforward = [ \"tcp:8080:80\", \"udp:5353:53\" ];\n"));
	parse_ok(text, &q);
	assert_int_equal(q.n_forwards, 2);
	assert_memory_equal(q.forwards, p.forwards, 2 * sizeof(*p.forwards));
	free(text);
	profile_free(&q);

	/* errors name the file and line */
	text = util_fmt("%sforward = [ \"tcp:80:80\",\n \"udp:0:1\" ];\n", tutorial);
	expect_invalid(profile_parse(text, "t.cfg", "ubuntu", &q),
		       "t.cfg:7: forward \"udp:0:1\": host port 0: out of range (1 to 65535)");
	free(text);
	text = util_fmt("%sforward = [ \"80:80\", \"tcp:80:81\" ];\n", tutorial);
	expect_invalid(profile_parse(text, "t.cfg", "ubuntu", &q),
		       "t.cfg:7: forward \"tcp:80:81\": tcp host port 80 is listed twice");
	free(text);
	text = util_fmt("%sforward = 80;\n", tutorial);
	expect_invalid(profile_parse(text, "t.cfg", "ubuntu", &q),
		       "t.cfg:7: forward: expected a list of strings");
	free(text);
	/* the same port number in tcp and udp is two forwards */
	assert_int_equal(profile_set_key(&p, "forward", "53:53, udp:53:53 "), 0);
	assert_int_equal(p.n_forwards, 2);
	/* set replaces the whole list; a bad spec changes nothing */
	expect_invalid(profile_set_key(&p, "forward", "1:1,x"),
		       "forward \"x\": want [tcp:|udp:][ADDR:]HOSTPORT:GUESTPORT[!]");
	assert_int_equal(p.n_forwards, 2);
	assert_int_equal(p.forwards[0].host_port, 53);
	assert_int_equal(profile_set_key(&p, "forward", "tcp:2222:22"), 0);
	assert_int_equal(p.n_forwards, 1);
	/* create's --forward adds one at a time: no list, no host port twice, nothing changed on
	 * error */
	assert_int_equal(profile_add_forward(&p, "udp:2222:22"), 0);
	assert_int_equal(p.n_forwards, 2);
	assert_int_equal(p.forwards[1].proto, 17);
	expect_invalid(profile_add_forward(&p, "2222:80"),
		       "forward \"2222:80\": tcp host port 2222 is listed twice");
	expect_invalid(profile_add_forward(&p, "1:1,2"),
		       "forward \"1:1,2\": guest port \"1,2\": not a number");
	assert_int_equal(p.n_forwards, 2);
	assert_int_equal(profile_set_key(&p, "forward", "tcp:2222:22"), 0);
	assert_int_equal(p.n_forwards, 1);

	/* another guest forwarding the same host port (same protocol) is a conflict */
	parse_ok("vnc = { display = 3; };\nnet = { address = \"192.168.166.101/24\"; "
		 "mac = \"52:54:00:00:00:01\"; tap = \"vmm-web\"; };\n"
		 "forward = [ \"udp:2222:22\", \"tcp:2222:23\" ];\n", &other);
	snprintf(other.name, sizeof(other.name), "web");
	expect_invalid(profile_check_conflicts(&p, &other, 1),
		       "forward \"tcp:2222:22\": tcp host port 2222 is already forwarded to web");
	assert_int_equal(profile_set_key(&other, "forward", "udp:2222:22"), 0);
	assert_int_equal(profile_check_conflicts(&p, &other, 1), 0);
	profile_free(&other);

	/* a forward needs the guest's address */
	struct vmm_netcfg n;
	netcfg_defaults(&n);
	assert_int_equal(profile_validate(&p, &n), 0);
	free(p.address);
	p.address = NULL;
	expect_invalid(profile_validate(&p, &n), "forward \"tcp:2222:22\": the guest has no address");
	/* an empty value removes every forward, and the key leaves the file */
	assert_int_equal(profile_set_key(&p, "forward", ""), 0);
	assert_int_equal(p.n_forwards, 0);
	assert_null(p.forwards);
	text = profile_format(&p);
	assert_null(strstr(text, "forward"));
	free(text);
	netcfg_free(&n);
	profile_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_tutorial), cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_parse_errors),   cmocka_unit_test(test_names),
		cmocka_unit_test(test_sizes),          cmocka_unit_test(test_mac),
		cmocka_unit_test(test_cidr),           cmocka_unit_test(test_validate),
		cmocka_unit_test(test_pick_tap),       cmocka_unit_test(test_pick_address_small_subnet),
		cmocka_unit_test(test_netcfg),         cmocka_unit_test(test_set_key),
		cmocka_unit_test(test_forward_spec),   cmocka_unit_test(test_forward_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

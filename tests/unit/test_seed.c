// SPDX-License-Identifier: MIT
/* test_seed.c: the NoCloud seed: exact file texts, instance-id rules, the ISO's label and names */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/sys/error.h"
#include "vmm/config/profile.h"
#include "vmm/storage/seed.h"
#include "vmm/config/store.h"
#include "vmm/sys/util.h"

static const char net_text[] = "bridge = \"br0\";\n"
			       "address = \"192.168.166.1/24\";\n"
			       "uplink = \"auto\";\n"
			       "nat = true;\n"
			       "dns = [ \"192.168.1.191\" ];\n"
			       "dhcp = false;\n"; /* the seeds of a bridge without dnsmasq */

static const char guest_text[] =
	"memory = 2048;\n"
	"cpus = 1;\n"
	"disk = { path = \"ubuntu.qcow2\"; size = \"40G\"; };\n"
	"net = { mac = \"52:54:00:12:34:10\"; address = \"192.168.166.100/24\"; };\n"
	"vnc = { display = 19; listen = \"127.0.0.1\"; };\n"
	"ssh_keys = [ \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0x user@host\" ];\n";

static char *dns1[] = { "192.168.1.191" };
static char *dns2[] = { "192.168.1.191", "10.0.0.53" };

static void load(struct vmm_profile *p, struct vmm_netcfg *n, const char *extra)
{
	char *text = util_fmt("%s%s", guest_text, extra ? extra : "");
	assert_int_equal(netcfg_parse(net_text, "net.cfg", n), 0);
	profile_init(p);
	if (profile_parse(text, "ubuntu.cfg", "ubuntu", p) != 0)
		fail_msg("profile_parse: %s", vmm_errmsg());
	free(text);
}

static void test_render_exact(void **state)
{
	struct vmm_profile p;
	struct vmm_netcfg n;
	struct seed_files f;
	char *runcmd[] = { "ping -c1 192.168.166.101", "echo \"quoted\" \\ back: slash" };
	load(&p, &n, NULL);
	assert_int_equal(seed_render(&p, &n, dns1, 1, runcmd, 2, NULL, &f), 0);

	assert_string_equal(f.meta_data, "instance-id: vmm-ubuntu-3ce1fae8\n"
					 "local-hostname: ubuntu\n");
	assert_string_equal(f.user_data,
			    "#cloud-config\n"
			    "hostname: ubuntu\n"
			    "ssh_authorized_keys:\n"
			    "  - \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0x user@host\"\n"
			    "runcmd:\n"
			    "  - \"ping -c1 192.168.166.101\"\n"
			    "  - \"echo \\\"quoted\\\" \\\\ back: slash\"\n");
	assert_string_equal(f.network_config,
			    "version: 2\n"
			    "ethernets:\n"
			    "  eth0:\n"
			    "    match:\n"
			    "      macaddress: \"52:54:00:12:34:10\"\n"
			    "    addresses:\n"
			    "      - 192.168.166.100/24\n"
			    "    routes:\n"
			    "      - to: 0.0.0.0/0\n"
			    "        via: 192.168.166.1\n"
			    "    nameservers:\n"
			    "      addresses:\n"
			    "        - 192.168.1.191\n"
			    "    accept-ra: false\n");
	/* never the form Debian 12's cloud-init crashes on */
	assert_null(strstr(f.network_config, "default"));
	seed_files_free(&f);
	assert_null(f.meta_data);
	profile_free(&p);
	netcfg_free(&n);
}

/* With the bridge's services: the bridge as DNS with the guests' domain to search, and with
 * IPv6 the SLAAC address of the MAC and the route via the bridge's ::1. */
static void test_render_services(void **state)
{
	struct vmm_profile p;
	struct vmm_netcfg n;
	struct seed_files f;
	char *bridge[] = { "192.168.166.1" };
	load(&p, &n, NULL);
	netcfg_free(&n);
	assert_int_equal(netcfg_parse("domain = \"lab\"; ipv6 = \"fd12:3456:789a:1::/64\";",
				      "net.cfg", &n), 0);
	assert_int_equal(seed_render(&p, &n, bridge, 1, NULL, 0, NULL, &f), 0);
	assert_string_equal(f.network_config,
			    "version: 2\n"
			    "ethernets:\n"
			    "  eth0:\n"
			    "    match:\n"
			    "      macaddress: \"52:54:00:12:34:10\"\n"
			    "    addresses:\n"
			    "      - 192.168.166.100/24\n"
			    "      - fd12:3456:789a:1:5054:ff:fe12:3410/64\n"
			    "    routes:\n"
			    "      - to: 0.0.0.0/0\n"
			    "        via: 192.168.166.1\n"
			    "      - to: ::/0\n"
			    "        via: fd12:3456:789a:1::1\n"
			    "    nameservers:\n"
			    "      addresses:\n"
			    "        - 192.168.166.1\n"
			    "      search:\n"
			    "        - lab\n"
			    "    accept-ra: false\n");
	/* another prefix is another instance: cloud-init applies the network again */
	char *id = util_strdup(f.meta_data);
	seed_files_free(&f);
	netcfg_free(&n);
	assert_int_equal(netcfg_parse("ipv6 = \"fd12:3456:789a:2::/64\";", "net.cfg", &n), 0);
	assert_int_equal(seed_render(&p, &n, bridge, 1, NULL, 0, NULL, &f), 0);
	assert_string_not_equal(id, f.meta_data);
	free(id);
	seed_files_free(&f);
	profile_free(&p);
	netcfg_free(&n);
}

static void test_render_minimal(void **state)
{
	struct vmm_profile p;
	struct vmm_netcfg n;
	struct seed_files f;
	load(&p, &n, "hostname = \"web-1\";\n");
	p.n_ssh_keys = 0; /* keys stay owned by p; only hidden from the renderer */
	assert_int_equal(seed_render(&p, &n, NULL, 0, NULL, 0, NULL, &f), 0);
	assert_string_equal(f.user_data, "#cloud-config\nhostname: web-1\n");
	assert_non_null(strstr(f.meta_data, "\nlocal-hostname: web-1\n"));
	assert_null(strstr(f.network_config, "nameservers"));
	seed_files_free(&f);
	p.n_ssh_keys = 1;
	profile_free(&p);
	netcfg_free(&n);
}

/* network = "user": DHCP and router advertisements from the guest's own passt; no address,
 * route or DNS of the bridge's; another instance than the bridged one */
static void test_render_user_network(void **state)
{
	struct vmm_profile p;
	struct vmm_netcfg n;
	struct seed_files f, b;
	load(&p, &n, NULL);
	assert_int_equal(seed_render(&p, &n, dns1, 1, NULL, 0, NULL, &b), 0);
	profile_free(&p);
	netcfg_free(&n);
	load(&p, &n, "network = \"user\";\n");
	assert_int_equal(seed_render(&p, &n, dns1, 1, NULL, 0, NULL, &f), 0);
	assert_string_equal(f.network_config,
			    "version: 2\n"
			    "ethernets:\n"
			    "  eth0:\n"
			    "    match:\n"
			    "      macaddress: \"52:54:00:12:34:10\"\n"
			    "    dhcp4: true\n"
			    "    accept-ra: true\n");
	assert_string_not_equal(f.meta_data, b.meta_data);
	seed_files_free(&f);
	seed_files_free(&b);
	profile_free(&p);
	netcfg_free(&n);
}

/* The instance-id part of meta-data (malloc'd). */
static char *iid(const struct vmm_profile *p, const struct vmm_netcfg *n, char **dns, size_t nd)
{
	struct seed_files f;
	assert_int_equal(seed_render(p, n, dns, nd, NULL, 0, NULL, &f), 0);
	char *nl = strchr(f.meta_data, '\n');
	assert_non_null(nl);
	char *id = strndup(f.meta_data, (size_t)(nl - f.meta_data));
	seed_files_free(&f);
	return id;
}

static void test_instance_id(void **state)
{
	struct vmm_profile p;
	struct vmm_netcfg n;
	load(&p, &n, NULL);
	char *base = iid(&p, &n, dns1, 1);
	assert_true(!strncmp(base, "instance-id: vmm-ubuntu-", 24));

	/* memory, cpus, VNC, disk: not network settings, same instance */
	p.memory = 512;
	p.cpus = 4;
	p.vnc_display = 3;
	char *same = iid(&p, &n, dns1, 1);
	assert_string_equal(same, base);
	free(same);

	/* the address changes it, and changing it back restores it */
	free(p.address);
	p.address = util_strdup("192.168.166.120/24");
	char *other = iid(&p, &n, dns1, 1);
	assert_string_not_equal(other, base);
	free(p.address);
	p.address = util_strdup("192.168.166.100/24");
	same = iid(&p, &n, dns1, 1);
	assert_string_equal(same, base);
	free(same);
	free(other);

	/* so do the MAC, the DNS servers and the gateway (bridge address) */
	strcpy(p.mac, "52:54:00:12:34:11");
	other = iid(&p, &n, dns1, 1);
	assert_string_not_equal(other, base);
	free(other);
	strcpy(p.mac, "52:54:00:12:34:10");
	other = iid(&p, &n, dns2, 2);
	assert_string_not_equal(other, base);
	free(other);
	free(n.address);
	n.address = util_strdup("192.168.166.254/24");
	other = iid(&p, &n, dns1, 1);
	assert_string_not_equal(other, base);
	assert_non_null(strstr(other, "vmm-ubuntu-"));
	free(other);

	free(base);
	profile_free(&p);
	netcfg_free(&n);
}

static void test_render_no_address(void **state)
{
	struct vmm_profile p;
	struct vmm_netcfg n;
	struct seed_files f;
	load(&p, &n, NULL);
	free(p.address);
	p.address = NULL;
	vmm_error_clear();
	assert_int_equal(seed_render(&p, &n, dns1, 1, NULL, 0, NULL, &f), -1);
	assert_int_equal(vmm_errcode(), VMM_EINVAL);
	assert_string_equal(vmm_errmsg(), "ubuntu: no address in the profile");
	assert_null(f.meta_data);
	profile_free(&p);
	netcfg_free(&n);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	char *d = util_read_file(path, len);
	assert_non_null(d);
	return (unsigned char *)d;
}

static bool has(const unsigned char *d, size_t len, const void *needle, size_t nlen)
{
	return memmem(d, len, needle, nlen) != NULL;
}

static void test_iso(void **state)
{
	char dir[] = "/tmp/vmm-test-seed.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *a = util_fmt("%s/a.iso", dir), *b = util_fmt("%s/b.iso", dir);
	struct seed_files f = {
		.meta_data = util_strdup("instance-id: x\nlocal-hostname: h\n"),
		.user_data = util_strdup("#cloud-config\nhostname: h\n"),
		.network_config = util_strdup("version: 2\n"),
	};
	assert_int_equal(seed_iso_write(a, &f), 0);
	assert_int_equal(seed_iso_write(b, &f), 0);
	size_t la, lb;
	unsigned char *da = slurp(a, &la), *db = slurp(b, &lb);
	/* the same files give the same bytes (fixed timestamps) */
	assert_int_equal(la, lb);
	assert_memory_equal(da, db, la);
	assert_int_equal(la % 2048, 0);
	/* primary volume descriptor: type 1, "CD001", volume id "cidata" padded with spaces */
	assert_true(la > 32768 + 2048 * 3);
	assert_int_equal(da[32768], 1);
	assert_memory_equal(da + 32769, "CD001", 5);
	assert_memory_equal(da + 32808, "cidata                          ", 32);
	/* Joliet: a supplementary descriptor (type 2) with a UCS-2 escape sequence */
	bool joliet = false;
	for (size_t s = 17; s < 32 && !joliet; s++) {
		const unsigned char *vd = da + s * 2048;
		if (vd[0] == 255)
			break;
		joliet = vd[0] == 2 && !memcmp(vd + 88, "%/", 2);
	}
	assert_true(joliet);
	/* Rock Ridge: "NM" entries carry the exact names, Joliet the UCS-2 ones */
	static const char *names[] = { "meta-data", "user-data", "network-config" };
	for (size_t i = 0; i < 3; i++) {
		unsigned char ucs[64];
		size_t l = strlen(names[i]);
		assert_true(has(da, la, names[i], l));
		for (size_t j = 0; j < l; j++) {
			ucs[2 * j] = 0;
			ucs[2 * j + 1] = (unsigned char)names[i][j];
		}
		assert_true(has(da, la, ucs, 2 * l));
	}
	assert_true(has(da, la, "SP", 2) && (has(da, la, "RRIP_1991A", 10) || has(da, la, "IEEE_1282", 9)));
	assert_true(has(da, la, f.user_data, strlen(f.user_data)));
	assert_true(has(da, la, f.meta_data, strlen(f.meta_data)));
	/* a folder that does not exist: error set, nothing printed */
	char *bad = util_fmt("%s/no/such/dir/x.iso", dir);
	vmm_error_clear();
	assert_int_equal(seed_iso_write(bad, &f), -1);
	assert_true(vmm_errmsg()[0] != '\0');
	free(bad);
	free(da);
	free(db);
	seed_files_free(&f);
	unlink(a);
	unlink(b);
	free(a);
	free(b);
	assert_int_equal(util_rm_rf(dir), 0);
}

static void test_ensure(void **state)
{
	char dir[] = "/tmp/vmm-test-seed.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct vmm_home h = { 0 };
	assert_int_equal(store_open(&h, dir), 0);
	struct vmm_profile p;
	struct vmm_netcfg n;
	load(&p, &n, "runcmd = [ \"echo hi\" ];\n");
	char *path = NULL;
	if (seed_ensure(&h, &p, &n, &path) != 0)
		fail_msg("seed_ensure: %s", vmm_errmsg());
	char *want = util_fmt("%s/ubuntu-seed.iso", h.images);
	assert_string_equal(path, want);
	struct stat s1, s2;
	assert_int_equal(stat(path, &s1), 0);
	size_t len;
	unsigned char *d = slurp(path, &len);
	assert_true(has(d, len, "runcmd:\n  - \"echo hi\"\n", 21));
	assert_true(has(d, len, "        - 192.168.1.191\n", 24));
	free(d);
	free(path);

	/* unchanged settings (memory is not in the seed): the file is not rewritten */
	p.memory = 4096;
	assert_int_equal(seed_ensure(&h, &p, &n, &path), 0);
	assert_int_equal(stat(path, &s2), 0);
	assert_int_equal(s1.st_ino, s2.st_ino);
	free(path);

	/* the profile's own dns replaces net.cfg's, and the seed is rewritten */
	char *pdns[] = { "10.9.8.7" };
	p.dns = pdns;
	p.n_dns = 1;
	assert_int_equal(seed_ensure(&h, &p, &n, &path), 0);
	p.dns = NULL;
	p.n_dns = 0;
	assert_int_equal(stat(path, &s2), 0);
	assert_true(s1.st_ino != s2.st_ino);
	d = slurp(path, &len);
	assert_true(has(d, len, "        - 10.9.8.7\n", 19));
	assert_false(has(d, len, "192.168.1.191", 13));
	free(d);
	free(path);

	free(want);
	profile_free(&p);
	netcfg_free(&n);
	store_close(&h);
	assert_int_equal(util_rm_rf(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_exact),
		cmocka_unit_test(test_render_services),
		cmocka_unit_test(test_render_minimal),
		cmocka_unit_test(test_render_user_network),
		cmocka_unit_test(test_instance_id),
		cmocka_unit_test(test_render_no_address),
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_ensure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

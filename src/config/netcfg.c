// SPDX-License-Identifier: MIT
/* netcfg.c: net.cfg's keys, one row each: defaults, reader, checks and writer from the table */
#include <ctype.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config/cfgtext.h"
#include "vmm/config/ipv6.h"
#include "vmm/config/netcfg.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

uint32_t netcfg_network(const struct vmm_netcfg *n)
{
	return n->addr & util_prefix_mask(n->prefix);
}

uint32_t netcfg_broadcast(const struct vmm_netcfg *n)
{
	return netcfg_network(n) | ~util_prefix_mask(n->prefix);
}

int netcfg_check_ifname(const char *what, const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > VMM_IFNAME_MAX)
		return vmm_invalid("%s \"%s\": interface names are 1 to %d characters", what, name,
				   VMM_IFNAME_MAX);
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
			return vmm_invalid("%s \"%s\": use letters, digits, '-', '_' or '.'", what,
					   name);
	return 0;
}

/* ---- the checks once the whole file is read ---- */

static int check_bridge(struct vmm_netcfg *n, const char *file)
{
	(void)file;
	return netcfg_check_ifname("bridge", n->bridge);
}

/* The address also gives addr and prefix. */
static int check_address(struct vmm_netcfg *n, const char *file)
{
	if (util_parse_cidr("address", n->address, &n->addr, &n->prefix) < 0)
		return -1;
	if (n->prefix < 8 || n->prefix > 30)
		return vmm_invalid("%s: address %s: prefix must be 8 to 30", file, n->address);
	if (n->addr == netcfg_network(n) || n->addr == netcfg_broadcast(n))
		return vmm_invalid("%s: address %s: is the network or broadcast address", file,
				   n->address);
	return 0;
}

static int check_dns(struct vmm_netcfg *n, const char *file)
{
	(void)file;
	for (size_t i = 0; i < n->n_dns; i++) {
		uint32_t a;
		if (strcmp(n->dns[i], "auto") && util_parse_ipv4("dns", n->dns[i], &a) < 0)
			return -1;
	}
	return 0;
}

static int check_mark(struct vmm_netcfg *n, const char *file)
{
	if (n->firewall_mark == 0 || (n->firewall_mark & (n->firewall_mark - 1)))
		return vmm_invalid("%s: firewall_mark 0x%x: must be a single bit, e.g. 0x2000",
				   file, n->firewall_mark);
	return 0;
}

/* The mark: a positive 32-bit number (one bit: check_mark), written in hex. */
static int read_mark(const struct cfg_reader *r, const config_setting_t *s, struct vmm_netcfg *n)
{
	long long v;
	if (cfg_get_int(r, s, &v) < 0)
		return -1;
	if (v <= 0 || v > 0xffffffffLL)
		return cfg_invalid(r, s, "expected a single bit, e.g. 0x2000");
	n->firewall_mark = (uint32_t)v;
	return 0;
}

static void write_mark(struct cfg_buf *b, const struct vmm_netcfg *n)
{
	cfg_add(b, "0x%x", n->firewall_mark);
}

/* "FIRST-LAST": both inside the subnet, neither the bridge, network or broadcast address. */
static int check_pool(struct vmm_netcfg *n, const char *file)
{
	n->pool_lo = n->pool_hi = 0;
	if (!n->dhcp_pool || !*n->dhcp_pool)
		return 0;
	char lo[16] = "", hi[16] = "";
	const char *dash = strchr(n->dhcp_pool, '-');
	size_t l = dash ? (size_t)(dash - n->dhcp_pool) : 0;
	if (!dash || l == 0 || l >= sizeof(lo) || strlen(dash + 1) >= sizeof(hi))
		return vmm_invalid("%s: dhcp_pool \"%s\": expected FIRST-LAST, e.g. "
				   "192.168.166.200-192.168.166.250", file, n->dhcp_pool);
	memcpy(lo, n->dhcp_pool, l);
	snprintf(hi, sizeof(hi), "%s", dash + 1);
	if (util_parse_ipv4("dhcp_pool", lo, &n->pool_lo) < 0 ||
	    util_parse_ipv4("dhcp_pool", hi, &n->pool_hi) < 0)
		return vmm_error_prefix("%s", file);
	uint32_t net = netcfg_network(n), bc = netcfg_broadcast(n), m = util_prefix_mask(n->prefix);
	if ((n->pool_lo & m) != net || (n->pool_hi & m) != net || n->pool_lo == net ||
	    n->pool_hi == bc || n->pool_lo > n->pool_hi)
		return vmm_invalid("%s: dhcp_pool \"%s\": not a range inside %s", file,
				   n->dhcp_pool, n->address);
	if (n->addr >= n->pool_lo && n->addr <= n->pool_hi)
		return vmm_invalid("%s: dhcp_pool \"%s\": holds the bridge's address", file,
				   n->dhcp_pool);
	return 0;
}

/* Lowercase DNS labels separated by dots. */
static int check_domain(struct vmm_netcfg *n, const char *file)
{
	const char *d = n->domain ? n->domain : "vmm";
	size_t label = 0, len = strlen(d);
	bool ok = len > 0 && len < 200 && d[0] != '.' && d[len - 1] != '.' && d[0] != '-';
	for (const char *c = d; ok && *c; c++) {
		label = *c == '.' ? 0 : label + 1;
		ok = (islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-' ||
		      *c == '.') && label <= 63 && !(*c == '.' && c[1] == '.');
	}
	if (!ok)
		return vmm_invalid("%s: domain \"%s\": use lowercase labels of letters, digits "
				   "and '-' separated by dots", file, d);
	return 0;
}

static int check_ipv6(struct vmm_netcfg *n, const char *file)
{
	n->has_ipv6 = false;
	const char *v = n->ipv6 ? n->ipv6 : IPV6_NONE;
	if (!strcmp(v, IPV6_NONE) || !strcmp(v, IPV6_AUTO))
		return 0;
	if (ipv6_parse_prefix64("ipv6", v, n->ipv6_prefix) < 0)
		return vmm_error_prefix("%s", file);
	n->has_ipv6 = true;
	return 0;
}

int netcfg_ipv6_resolve(struct vmm_netcfg *n)
{
	char p[IPV6_TEXT_MAX + 4];
	if (!n->ipv6 || strcmp(n->ipv6, IPV6_AUTO))
		return 0;
	if (ipv6_ula_host(p) < 0)
		return -1;
	cfg_set_str(&n->ipv6, p);
	return check_ipv6(n, "net.cfg") < 0 ? -1 : 1;
}

const char *netcfg_domain(const struct vmm_netcfg *n)
{
	return n->domain && *n->domain ? n->domain : "vmm";
}

/* ---- the table ---- */

#define N struct vmm_netcfg
const struct netcfg_key netcfg_keys[] = {
	{ .name = "bridge", .field = CFG_F_CHARS(N, bridge), .dflt = "br0", .check = check_bridge,
	  .help = "the bridge the guests share (created by vmm net up)" },
	{ .name = "address", .field = CFG_F_STRING(N, address), .dflt = "192.168.166.1/24",
	  .check = check_address,
	  .help = "the bridge's address; its subnet (prefix 8 to 30) is the guests'" },
	{ .name = "uplink", .field = CFG_F_STRING(N, uplink), .dflt = "auto",
	  .help = "the interface NAT leaves through: auto (the default route's) or a name" },
	{ .name = "nat", .field = CFG_F_BOOL(N, nat), .dflt = "true",
	  .help = "masquerade the guests' subnet when it leaves through another interface" },
	{ .name = "dns", .field = CFG_F_LIST(N, dns, n_dns), .dflt = "auto", .check = check_dns,
	  .help = "the DNS servers guests get: addresses, or auto (the host's resolvers, loopback "
		  "stubs replaced by their upstreams)" },
	{ .name = "firewall", .field = CFG_F_STRING(N, firewall), .dflt = "auto",
	  .omit_default = true, .choices = "auto|nftables|iptables-legacy",
	  .help = "the firewall backend; auto takes iptables-legacy when the host's iptables is "
		  "the legacy one, else nftables" },
	{ .name = "foreign", .field = CFG_F_STRING(N, foreign), .dflt = "open",
	  .omit_default = true, .choices = "open|leave",
	  .help = "other tools' forward chains that would drop guest traffic: open (one accept "
		  "rule for vmm's marked packets) or leave (only reported by vmm net status)" },
	{ .name = "firewall_mark", .field = CFG_F_UINT(N, firewall_mark, 1, 0xffffffffLL, NULL),
	  .dflt = "0x2000", .omit_default = true, .check = check_mark, .read = read_mark,
	  .write = write_mark, .help = "the one mark bit vmm's openings match (nftables)" },
	{ .name = "image_mirror", .field = CFG_F_STRING(N, image_mirror), .metavar = "\"URL\"",
	  .help = "replaces the image catalog's base URLs (as VMM_IMAGE_MIRROR)" },
	{ .name = "dhcp", .field = CFG_F_BOOL(N, dhcp), .dflt = "true", .omit_default = true,
	  .help = "run dnsmasq on the bridge while the network is up: DHCP with one reservation "
		  "per profile, the guests' names, router advertisements" },
	{ .name = "dhcp_pool", .field = CFG_F_STRING(N, dhcp_pool), .check = check_pool,
	  .metavar = "\"FIRST-LAST\"",
	  .help = "addresses DHCP lends to MACs no profile has (off when unset or empty)" },
	{ .name = "domain", .field = CFG_F_STRING(N, domain), .dflt = "vmm", .omit_default = true,
	  .check = check_domain, .help = "the DNS domain of the guests' names (NAME.vmm)" },
	{ .name = "ipv6", .field = CFG_F_STRING(N, ipv6), .dflt = "none", .omit_default = true,
	  .check = check_ipv6,
	  .help = "the guests' IPv6 /64: none, auto (a unique local prefix from the host's "
		  "machine id, written here once picked) or PREFIX/64" },
	{ .name = "nat6", .field = CFG_F_BOOL(N, nat6), .dflt = "true", .omit_default = true,
	  .help = "masquerade the IPv6 /64 to the uplink (false: routed)" },
};
#undef N
const size_t netcfg_n_keys = ARRAY_SIZE(netcfg_keys);

static void *key_field(const struct netcfg_key *k, struct vmm_netcfg *n)
{
	return (char *)n + k->field.off;
}

/* Store the row's default (dflt as text) in n. */
static void key_default(const struct netcfg_key *k, struct vmm_netcfg *n)
{
	void *v = key_field(k, n);
	if (!k->dflt)
		return;
	switch (k->field.type) {
	case CFG_UINT:
		*(unsigned *)v = (unsigned)strtoul(k->dflt, NULL, 0);
		break;
	case CFG_BOOL:
		*(bool *)v = !strcmp(k->dflt, "true");
		break;
	case CFG_STRING:
		cfg_set_str(v, k->dflt);
		break;
	case CFG_CHARS:
		snprintf(v, k->field.size, "%s", k->dflt);
		break;
	case CFG_LIST:
		cfg_strv_push(v, (size_t *)((char *)n + k->field.count_off), util_strdup(k->dflt));
		break;
	case CFG_INT:
	case CFG_CUSTOM:
		break;
	}
}

void netcfg_defaults(struct vmm_netcfg *n)
{
	memset(n, 0, sizeof(*n));
	for (size_t i = 0; i < netcfg_n_keys; i++)
		key_default(&netcfg_keys[i], n);
	util_parse_cidr("address", n->address, &n->addr, &n->prefix);
}

void netcfg_free(struct vmm_netcfg *n)
{
	for (size_t i = 0; i < netcfg_n_keys; i++)
		cfg_field_free(&netcfg_keys[i].field, n);
	memset(n, 0, sizeof(*n));
}

static const struct netcfg_key *find_key(const char *name)
{
	for (size_t i = 0; i < netcfg_n_keys; i++)
		if (!strcmp(netcfg_keys[i].name, name))
			return &netcfg_keys[i];
	return NULL;
}

/* `FILE: KEY "VALUE": use "a", "b" or "c"` unless the value is one of k->choices. */
static int check_choice(const struct netcfg_key *k, struct vmm_netcfg *n, const char *file)
{
	const char *v = *(char **)key_field(k, n);
	if (cfg_choice_ok(k->choices, v))
		return 0;
	struct cfg_buf b = { 0 };
	cfg_choice_words(&b, k->choices, true);
	int rc = vmm_invalid("%s: %s \"%s\": use %s", file, k->name, v, b.s);
	free(b.s);
	return rc;
}

/* Every key's check, in table order. */
static int netcfg_check(struct vmm_netcfg *n, const char *file)
{
	for (size_t i = 0; i < netcfg_n_keys; i++) {
		const struct netcfg_key *k = &netcfg_keys[i];
		if (k->choices && check_choice(k, n, file) < 0)
			return -1;
		if (k->check && k->check(n, file) < 0)
			return -1;
	}
	return 0;
}

int netcfg_parse(const char *text, const char *filename, struct vmm_netcfg *n)
{
	struct cfg_reader r;
	netcfg_defaults(n);
	if (cfg_open(&r, text, filename) < 0)
		return -1;
	int rc = 0;
	config_setting_t *root = config_root_setting(&r.cfg);
	for (int i = 0; rc == 0 && i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const struct netcfg_key *k = find_key(config_setting_name(s));
		if (!k)
			rc = cfg_unknown(&r, s, NULL);
		else if (k->read)
			rc = k->read(&r, s, n);
		else
			rc = cfg_read_field(&r, s, &k->field, n);
	}
	if (rc == 0)
		rc = netcfg_check(n, filename);
	cfg_close(&r);
	if (rc < 0) {
		netcfg_free(n);
		netcfg_defaults(n);
	}
	return rc;
}

int netcfg_load(const char *path, struct vmm_netcfg *n)
{
	if (!util_exists(path)) {
		netcfg_defaults(n);
		return 0;
	}
	char *text = util_read_file(path, NULL);
	if (!text) {
		netcfg_defaults(n);
		return -1;
	}
	int rc = netcfg_parse(text, path, n);
	free(text);
	return rc;
}

/* Does the key hold its default (or nothing)? For the keys written only when they differ. */
static bool at_default(const struct netcfg_key *k, const struct vmm_netcfg *n)
{
	const void *v = (const char *)n + k->field.off;
	if (k->field.type == CFG_BOOL) /* false is a value, not an absence */
		return *(const bool *)v == !strcmp(k->dflt, "true");
	if (!cfg_field_set(&k->field, n, false))
		return true;
	if (k->field.type == CFG_UINT)
		return *(const unsigned *)v == (unsigned)strtoul(k->dflt, NULL, 0);
	if (k->field.type == CFG_STRING)
		return !strcmp(*(char *const *)v, k->dflt);
	return false;
}

/* "VALUE" of one key; a string left NULL is written as its default. */
static void write_value(struct cfg_buf *b, const struct netcfg_key *k, const struct vmm_netcfg *n)
{
	if (k->write)
		k->write(b, n);
	else if (k->field.type == CFG_STRING && !cfg_field_set(&k->field, n, false))
		cfg_quoted(b, k->dflt);
	else
		cfg_write_field(b, &k->field, n);
}

char *netcfg_format(const struct vmm_netcfg *n)
{
	struct cfg_buf b = { 0 };
	cfg_add(&b, "# vmm network: the bridge guests share, its address, NAT and DNS\n");
	for (size_t i = 0; i < netcfg_n_keys; i++) {
		const struct netcfg_key *k = &netcfg_keys[i];
		if (k->omit_default && at_default(k, n))
			continue;
		if (!k->dflt && !cfg_field_set(&k->field, n, false))
			continue;
		cfg_add(&b, "%s = ", k->name);
		write_value(&b, k, n);
		cfg_add(&b, ";\n");
	}
	return b.s;
}

char *netcfg_key_default(const struct netcfg_key *k)
{
	if (!k->dflt)
		return NULL;
	struct vmm_netcfg n;
	struct cfg_buf b = { 0 };
	netcfg_defaults(&n);
	write_value(&b, k, &n);
	netcfg_free(&n);
	return b.s;
}

// SPDX-License-Identifier: MIT
/* profile.c: guest profiles and net.cfg as libconfig text: parse, validate, allocate, format */
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <strings.h>
#include <libconfig.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/sys/error.h"
#include "vmm/config/profile.h"
#include "vmm/sys/util.h"

#define MEMORY_MIN 16u
#define MEMORY_MAX (1024u * 1024u) /* 1 TiB in MiB */
#define CPUS_MAX 255u
#define VNC_MAX VMM_VNC_MAX

/* ---- small helpers ---- */

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = util_strdup(v);
}

/* Append a libconfig string literal (with escapes) to a growing buffer. */
struct buf {
	char *s;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *piece = NULL;
	if (vasprintf(&piece, fmt, ap) < 0)
		abort();
	va_end(ap);
	size_t n = strlen(piece);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	memcpy(b->s + b->len, piece, n + 1);
	b->len += n;
	free(piece);
}

static void buf_quoted(struct buf *b, const char *s)
{
	buf_add(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			buf_add(b, "\\%c", c);
		else if (c == '\n')
			buf_add(b, "\\n");
		else if (c == '\t')
			buf_add(b, "\\t");
		else if (c < 0x20)
			buf_add(b, "\\x%02x", c);
		else
			buf_add(b, "%c", c);
	}
	buf_add(b, "\"");
}

/* ---- reading libconfig ---- */

struct reader {
	const char *file;
	config_t cfg;
};

/* "FILE:LINE: KEY: REASON" */
static int where_invalid(const struct reader *r, const config_setting_t *s, const char *reason)
{
	return vmm_invalid("%s:%u: %s: %s", r->file, config_setting_source_line(s),
			   config_setting_name(s), reason);
}

static int get_string(const struct reader *r, const config_setting_t *s, char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return where_invalid(r, s, "expected a string");
	set_str(out, config_setting_get_string(s));
	return 0;
}

static int get_int(const struct reader *r, const config_setting_t *s, long long *out)
{
	int t = config_setting_type(s);
	if (t == CONFIG_TYPE_INT)
		*out = config_setting_get_int(s);
	else if (t == CONFIG_TYPE_INT64)
		*out = config_setting_get_int64(s);
	else
		return where_invalid(r, s, "expected an integer");
	return 0;
}

static int get_strv(const struct reader *r, const config_setting_t *s, char ***out, size_t *n)
{
	int t = config_setting_type(s);
	if (t == CONFIG_TYPE_STRING) {
		strv_free(*out, *n);
		*out = calloc(2, sizeof(char *));
		if (!*out)
			abort();
		(*out)[0] = util_strdup(config_setting_get_string(s));
		*n = 1;
		return 0;
	}
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
		return where_invalid(r, s, "expected a list of strings");
	int len = config_setting_length(s);
	char **v = calloc((size_t)len + 1, sizeof(char *));
	if (!v)
		abort();
	for (int i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			strv_free(v, (size_t)i);
			return where_invalid(r, s, "expected a list of strings");
		}
		v[i] = util_strdup(config_setting_get_string(e));
	}
	strv_free(*out, *n);
	*out = v;
	*n = (size_t)len;
	return 0;
}

static int get_bool(const struct reader *r, const config_setting_t *s, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return where_invalid(r, s, "expected true or false");
	*out = config_setting_get_bool(s);
	return 0;
}

static int reader_open(struct reader *r, const char *text, const char *file)
{
	r->file = file;
	config_init(&r->cfg);
	if (config_read_string(&r->cfg, text) != CONFIG_TRUE) {
		int rc = vmm_invalid("%s:%d: %s", file, config_error_line(&r->cfg),
				     config_error_text(&r->cfg));
		config_destroy(&r->cfg);
		return rc;
	}
	return 0;
}

static int unknown_key(const struct reader *r, const config_setting_t *s, const char *parent)
{
	if (parent)
		return vmm_invalid("%s:%u: unknown key \"%s.%s\"", r->file,
				   config_setting_source_line(s), parent, config_setting_name(s));
	return vmm_invalid("%s:%u: unknown key \"%s\"", r->file, config_setting_source_line(s),
			   config_setting_name(s));
}

static int want_group(const struct reader *r, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return where_invalid(r, s, "expected a group { ... }");
	return 0;
}

/* ---- net.cfg ---- */

void netcfg_defaults(struct vmm_netcfg *n)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->bridge, sizeof(n->bridge), "br0");
	n->address = util_strdup("192.168.166.1/24");
	n->addr = (192u << 24) | (168u << 16) | (166u << 8) | 1u;
	n->prefix = 24;
	n->uplink = util_strdup("auto");
	n->nat = true;
	n->dns = calloc(2, sizeof(char *));
	if (!n->dns)
		abort();
	n->dns[0] = util_strdup("auto");
	n->n_dns = 1;
	n->firewall = util_strdup("auto");
	n->foreign = util_strdup("open");
	n->firewall_mark = 0x2000u;
}

void netcfg_free(struct vmm_netcfg *n)
{
	free(n->address);
	free(n->uplink);
	strv_free(n->dns, n->n_dns);
	free(n->firewall);
	free(n->foreign);
	free(n->image_mirror);
	memset(n, 0, sizeof(*n));
}

uint32_t netcfg_network(const struct vmm_netcfg *n)
{
	return n->addr & util_prefix_mask(n->prefix);
}

uint32_t netcfg_broadcast(const struct vmm_netcfg *n)
{
	return netcfg_network(n) | ~util_prefix_mask(n->prefix);
}

static int check_ifname(const char *what, const char *name)
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

int profile_check_user(const char *user)
{
	size_t len = strlen(user);
	bool ok = len >= 1 && len <= 32 && (islower((unsigned char)user[0]) || user[0] == '_');
	for (size_t i = 1; ok && i < len; i++)
		ok = islower((unsigned char)user[i]) || isdigit((unsigned char)user[i]) ||
		     user[i] == '_' || user[i] == '-';
	if (!ok)
		return vmm_invalid("user \"%s\": use 1 to 32 characters a-z, 0-9, '_' and '-', "
				   "starting with a letter or '_'",
				   user);
	return 0;
}

static int netcfg_check(struct vmm_netcfg *n, const char *file)
{
	if (check_ifname("bridge", n->bridge) < 0)
		return -1;
	if (util_parse_cidr("address", n->address, &n->addr, &n->prefix) < 0)
		return -1;
	if (n->prefix < 8 || n->prefix > 30)
		return vmm_invalid("%s: address %s: prefix must be 8 to 30", file, n->address);
	if (n->addr == netcfg_network(n) || n->addr == netcfg_broadcast(n))
		return vmm_invalid("%s: address %s: is the network or broadcast address", file,
				   n->address);
	for (size_t i = 0; i < n->n_dns; i++) {
		uint32_t a;
		if (strcmp(n->dns[i], "auto") && util_parse_ipv4("dns", n->dns[i], &a) < 0)
			return -1;
	}
	if (strcmp(n->firewall, "auto") && strcmp(n->firewall, "nftables") &&
	    strcmp(n->firewall, "iptables-legacy"))
		return vmm_invalid("%s: firewall \"%s\": use \"auto\", \"nftables\" or "
				   "\"iptables-legacy\"", file, n->firewall);
	if (strcmp(n->foreign, "open") && strcmp(n->foreign, "leave"))
		return vmm_invalid("%s: foreign \"%s\": use \"open\" or \"leave\"", file,
				   n->foreign);
	if (n->firewall_mark == 0 || (n->firewall_mark & (n->firewall_mark - 1)))
		return vmm_invalid("%s: firewall_mark 0x%x: must be a single bit, e.g. 0x2000", file,
				   n->firewall_mark);
	return 0;
}

int netcfg_parse(const char *text, const char *filename, struct vmm_netcfg *n)
{
	struct reader r;
	netcfg_defaults(n);
	if (reader_open(&r, text, filename) < 0)
		return -1;
	int rc = -1;
	config_setting_t *root = config_root_setting(&r.cfg);
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *k = config_setting_name(s);
		char *tmp = NULL;
		if (!strcmp(k, "bridge")) {
			if (get_string(&r, s, &tmp) < 0)
				goto out;
			if (strlen(tmp) > VMM_IFNAME_MAX) {
				free(tmp);
				where_invalid(&r, s, "at most 15 characters");
				goto out;
			}
			snprintf(n->bridge, sizeof(n->bridge), "%s", tmp);
			free(tmp);
		} else if (!strcmp(k, "address")) {
			if (get_string(&r, s, &n->address) < 0)
				goto out;
		} else if (!strcmp(k, "uplink")) {
			if (get_string(&r, s, &n->uplink) < 0)
				goto out;
		} else if (!strcmp(k, "nat")) {
			if (get_bool(&r, s, &n->nat) < 0)
				goto out;
		} else if (!strcmp(k, "dns")) {
			if (get_strv(&r, s, &n->dns, &n->n_dns) < 0)
				goto out;
		} else if (!strcmp(k, "firewall")) {
			if (get_string(&r, s, &n->firewall) < 0)
				goto out;
		} else if (!strcmp(k, "foreign")) {
			if (get_string(&r, s, &n->foreign) < 0)
				goto out;
		} else if (!strcmp(k, "firewall_mark")) {
			long long v;
			if (get_int(&r, s, &v) < 0)
				goto out;
			if (v <= 0 || v > 0xffffffffLL) {
				where_invalid(&r, s, "expected a single bit, e.g. 0x2000");
				goto out;
			}
			n->firewall_mark = (uint32_t)v;
		} else if (!strcmp(k, "image_mirror")) {
			if (get_string(&r, s, &n->image_mirror) < 0)
				goto out;
		} else {
			unknown_key(&r, s, NULL);
			goto out;
		}
	}
	rc = netcfg_check(n, filename);
out:
	config_destroy(&r.cfg);
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

static void fmt_strv(struct buf *b, const char *key, char *const *v, size_t n)
{
	buf_add(b, "%s = [", key);
	for (size_t i = 0; i < n; i++) {
		buf_add(b, i ? ", " : " ");
		buf_quoted(b, v[i]);
	}
	buf_add(b, n ? " ];\n" : "];\n");
}

char *netcfg_format(const struct vmm_netcfg *n)
{
	struct buf b = { 0 };
	buf_add(&b, "# vmm network: the bridge guests share, its address, NAT and DNS\n");
	buf_add(&b, "bridge = ");
	buf_quoted(&b, n->bridge);
	buf_add(&b, ";\naddress = ");
	buf_quoted(&b, n->address);
	buf_add(&b, ";\nuplink = ");
	buf_quoted(&b, n->uplink ? n->uplink : "auto");
	buf_add(&b, ";\nnat = %s;\n", n->nat ? "true" : "false");
	fmt_strv(&b, "dns", n->dns, n->n_dns);
	/* The firewall keys only when they differ from the defaults (older files stay as they are). */
	if (n->firewall && strcmp(n->firewall, "auto")) {
		buf_add(&b, "firewall = ");
		buf_quoted(&b, n->firewall);
		buf_add(&b, ";\n");
	}
	if (n->foreign && strcmp(n->foreign, "open")) {
		buf_add(&b, "foreign = ");
		buf_quoted(&b, n->foreign);
		buf_add(&b, ";\n");
	}
	if (n->firewall_mark && n->firewall_mark != 0x2000u)
		buf_add(&b, "firewall_mark = 0x%x;\n", n->firewall_mark);
	if (n->image_mirror) {
		buf_add(&b, "image_mirror = ");
		buf_quoted(&b, n->image_mirror);
		buf_add(&b, ";\n");
	}
	return b.s;
}

/* ---- profiles ---- */

void profile_init(struct vmm_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->memory = 1024;
	p->cpus = 1;
	p->vnc_display = -1;
}

void profile_free(struct vmm_profile *p)
{
	free(p->disk_path);
	free(p->disk_size);
	free(p->backing);
	free(p->iso);
	free(p->address);
	free(p->vnc_listen);
	free(p->vnc_password_file);
	free(p->kernel);
	free(p->initrd);
	free(p->append);
	strv_free(p->ssh_keys, p->n_ssh_keys);
	free(p->hostname);
	strv_free(p->dns, p->n_dns);
	strv_free(p->runcmd, p->n_runcmd);
	free(p->backend);
	free(p->uri);
	free(p->forwards);
	free(p->user);
	free(p->ssh_identity);
	profile_init(p);
}

int profile_check_name(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	bool ok = len >= 1 && len <= VMM_NAME_MAX &&
		  (islower((unsigned char)name[0]) || isdigit((unsigned char)name[0]));
	for (size_t i = 0; ok && i < len; i++)
		ok = islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) ||
		     name[i] == '-';
	if (!ok)
		return vmm_invalid("name \"%s\": use 1 to %d characters a-z, 0-9 and '-', "
				   "starting with a letter or digit",
				   name ? name : "", VMM_NAME_MAX);
	return 0;
}

/* Top-level keys holding one string, in the order profile_format writes them after "iso". */
static const char *const string_keys[] = { "iso", "kernel", "initrd", "append", "hostname",
					   "backend", "uri", "user", "ssh_identity" };

static char **string_key(struct vmm_profile *p, const char *k)
{
	char **fields[] = { &p->iso, &p->kernel, &p->initrd, &p->append,
			    &p->hostname, &p->backend, &p->uri, &p->user, &p->ssh_identity };
	for (size_t i = 0; i < ARRAY_SIZE(string_keys); i++)
		if (!strcmp(k, string_keys[i]))
			return fields[i];
	return NULL;
}

/* Top-level keys holding a list of strings. */
static char ***strv_key(struct vmm_profile *p, const char *k, size_t **count)
{
	if (!strcmp(k, "ssh_keys"))
		return *count = &p->n_ssh_keys, &p->ssh_keys;
	if (!strcmp(k, "dns"))
		return *count = &p->n_dns, &p->dns;
	if (!strcmp(k, "runcmd"))
		return *count = &p->n_runcmd, &p->runcmd;
	return NULL;
}

/* ---- host port forwards ---- */

const char *profile_forward_proto(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

void profile_format_forward(const struct vmm_forward *f, char *buf)
{
	char a[16] = "";
	if (f->addr)
		util_format_ipv4(f->addr, a);
	snprintf(buf, PROFILE_FORWARD_LEN, "%s:%s%s%u:%u%s", profile_forward_proto(f->proto), a,
		 f->addr ? ":" : "", (unsigned)f->host_port, (unsigned)f->guest_port,
		 f->force ? "!" : "");
}

bool profile_forwards_clash(const struct vmm_forward *a, const struct vmm_forward *b)
{
	return a->proto == b->proto && a->host_port == b->host_port &&
	       (!a->addr || !b->addr || a->addr == b->addr);
}

#define FORWARD_WANT "want [tcp:|udp:][ADDR:]HOSTPORT:GUESTPORT[!]"

static int forward_port(const char *spec, const char *which, const char *s, size_t len,
			uint16_t *out)
{
	unsigned long v = 0;
	if (len == 0)
		return vmm_invalid("forward \"%s\": " FORWARD_WANT, spec);
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return vmm_invalid("forward \"%s\": %s port \"%.*s\": not a number", spec,
					   which, (int)len, s);
		if (v <= 65535)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return vmm_invalid("forward \"%s\": %s port %.*s: out of range (1 to 65535)", spec,
				   which, (int)len, s);
	*out = (uint16_t)v;
	return 0;
}

/* The host address a forward is bound to: an IPv4 address a LAN client can reach the host on. */
static int forward_addr(const char *spec, const char *s, size_t len, uint32_t *out)
{
	char a[16];
	if (len == 0 || len >= sizeof(a))
		return vmm_invalid("forward \"%s\": address \"%.*s\": not an IPv4 address", spec,
				   (int)len, s);
	memcpy(a, s, len);
	a[len] = '\0';
	if (util_parse_ipv4("address", a, out) < 0)
		return vmm_invalid("forward \"%s\": address \"%s\": not an IPv4 address", spec, a);
	unsigned hi = *out >> 24;
	if (hi == 127 || hi == 0 || hi >= 224)
		return vmm_invalid("forward \"%s\": address %s: not one a forward can be bound to "
				   "(loopback, 0.0.0.0/8, multicast); leave it out for every address",
				   spec, a);
	return 0;
}

int profile_parse_forward(const char *spec, struct vmm_forward *f)
{
	const char *part[5];
	size_t len[5], n = 0, l = strlen(spec);
	struct vmm_forward x;
	memset(&x, 0, sizeof(x));
	x.proto = IPPROTO_TCP;
	if (l && spec[l - 1] == '!') {
		x.force = true;
		l--;
	}
	for (const char *p = spec; n < 5;) { /* split spec[0..l) at ':' */
		const char *c = memchr(p, ':', (size_t)(spec + l - p));
		part[n] = p;
		len[n++] = c ? (size_t)(c - p) : (size_t)(spec + l - p);
		if (!c)
			break;
		p = c + 1;
	}
	if (n < 2 || n > 4)
		return vmm_invalid("forward \"%s\": " FORWARD_WANT, spec);
	size_t k = 0;
	bool has_addr = n == 4 || (n == 3 && memchr(part[0], '.', len[0]));
	if (n == 4 || (n == 3 && !has_addr)) {
		if (len[0] == 3 && !strncasecmp(part[0], "tcp", 3))
			x.proto = IPPROTO_TCP;
		else if (len[0] == 3 && !strncasecmp(part[0], "udp", 3))
			x.proto = IPPROTO_UDP;
		else
			return vmm_invalid("forward \"%s\": protocol \"%.*s\": use tcp or udp", spec,
					   (int)len[0], part[0]);
		k++;
	}
	if (has_addr && forward_addr(spec, part[k], len[k], &x.addr) < 0)
		return -1;
	k += has_addr;
	if (forward_port(spec, "host", part[k], len[k], &x.host_port) < 0 ||
	    forward_port(spec, "guest", part[k + 1], len[k + 1], &x.guest_port) < 0)
		return -1;
	*f = x;
	return 0;
}

/* The forwards of a list of specs, each host port (per protocol) once. */
static int forwards_from(char *const *specs, size_t n, struct vmm_forward **out, size_t *n_out)
{
	struct vmm_forward *v = n ? calloc(n, sizeof(*v)) : NULL;
	if (n && !v)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (profile_parse_forward(specs[i], &v[i]) < 0)
			goto fail;
		for (size_t j = 0; j < i; j++)
			if (profile_forwards_clash(&v[j], &v[i])) {
				vmm_invalid("forward \"%s\": %s host port %u is listed twice", specs[i],
					    profile_forward_proto(v[i].proto), (unsigned)v[i].host_port);
				goto fail;
			}
	}
	*out = v;
	*n_out = n;
	return 0;
fail:
	free(v);
	return -1;
}

static void set_forwards(struct vmm_profile *p, struct vmm_forward *v /* owned */, size_t n)
{
	free(p->forwards);
	p->forwards = v;
	p->n_forwards = n;
}

static int split_list(const char *value, char ***out, size_t *n);

int profile_set_forwards(struct vmm_profile *p, const char *list)
{
	char **specs = NULL;
	size_t n = 0;
	struct vmm_forward *v = NULL;
	size_t nv = 0;
	split_list(list, &specs, &n);
	int rc = forwards_from(specs, n, &v, &nv);
	strv_free(specs, n);
	if (rc < 0)
		return -1;
	set_forwards(p, v, nv);
	return 0;
}

int profile_add_forward(struct vmm_profile *p, const char *spec)
{
	struct vmm_forward f;
	if (profile_parse_forward(spec, &f) < 0)
		return -1;
	for (size_t i = 0; i < p->n_forwards; i++)
		if (profile_forwards_clash(&p->forwards[i], &f))
			return vmm_invalid("forward \"%s\": %s host port %u is listed twice", spec,
					   profile_forward_proto(f.proto), (unsigned)f.host_port);
	struct vmm_forward *v = realloc(p->forwards, (p->n_forwards + 1) * sizeof(*v));
	if (!v)
		abort();
	v[p->n_forwards] = f;
	p->forwards = v;
	p->n_forwards++;
	return 0;
}

static int read_forwards(const struct reader *r, const config_setting_t *s, struct vmm_profile *p)
{
	char **specs = NULL;
	size_t n = 0;
	struct vmm_forward *v = NULL;
	size_t nv = 0;
	if (get_strv(r, s, &specs, &n) < 0)
		return -1;
	int rc = forwards_from(specs, n, &v, &nv);
	strv_free(specs, n);
	if (rc < 0)
		return vmm_invalid("%s:%u: %s", r->file, config_setting_source_line(s), vmm_errmsg());
	set_forwards(p, v, nv);
	return 0;
}

static int read_group(struct reader *r, config_setting_t *g, struct vmm_profile *p)
{
	const char *gname = config_setting_name(g);
	if (want_group(r, g) < 0)
		return -1;
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *k = config_setting_name(s);
		char *tmp = NULL;
		long long v = 0;
		int rc = 0;
		if (!strcmp(gname, "disk") && !strcmp(k, "path"))
			rc = get_string(r, s, &p->disk_path);
		else if (!strcmp(gname, "disk") && !strcmp(k, "size"))
			rc = get_string(r, s, &p->disk_size);
		else if (!strcmp(gname, "disk") && !strcmp(k, "backing"))
			rc = get_string(r, s, &p->backing);
		else if (!strcmp(gname, "net") && !strcmp(k, "mac")) {
			uint8_t m[6];
			rc = get_string(r, s, &tmp);
			if (!rc && util_parse_mac("mac", tmp, m) < 0)
				rc = vmm_invalid("%s:%u: %s", r->file, config_setting_source_line(s),
						 vmm_errmsg());
			if (!rc)
				util_format_mac(m, p->mac);
			free(tmp);
		} else if (!strcmp(gname, "net") && !strcmp(k, "address"))
			rc = get_string(r, s, &p->address);
		else if (!strcmp(gname, "net") && !strcmp(k, "tap")) {
			rc = get_string(r, s, &tmp);
			if (!rc && strlen(tmp) > VMM_IFNAME_MAX)
				rc = where_invalid(r, s, "at most 15 characters");
			if (!rc)
				snprintf(p->tap, sizeof(p->tap), "%s", tmp);
			free(tmp);
		} else if (!strcmp(gname, "vnc") && !strcmp(k, "display")) {
			rc = get_int(r, s, &v);
			if (!rc && (v < 0 || v > VNC_MAX))
				rc = where_invalid(r, s, "out of range (0 to " VMM_VNC_MAX_STR ")");
			if (!rc)
				p->vnc_display = (int)v;
		} else if (!strcmp(gname, "vnc") && !strcmp(k, "listen"))
			rc = get_string(r, s, &p->vnc_listen);
		else if (!strcmp(gname, "vnc") && !strcmp(k, "password_file"))
			rc = get_string(r, s, &p->vnc_password_file);
		else
			rc = unknown_key(r, s, gname);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int profile_parse(const char *text, const char *filename, const char *name, struct vmm_profile *p)
{
	struct reader r;
	profile_init(p);
	if (profile_check_name(name) < 0)
		return -1;
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (reader_open(&r, text, filename) < 0)
		return -1;
	int rc = -1;
	config_setting_t *root = config_root_setting(&r.cfg);
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *k = config_setting_name(s);
		long long v = 0;
		char **str, ***strv;
		size_t *count;
		int e = 0;
		if (!strcmp(k, "memory")) {
			e = get_int(&r, s, &v);
			if (!e && (v < MEMORY_MIN || v > MEMORY_MAX))
				e = where_invalid(&r, s, "out of range (16 to 1048576 MiB)");
			if (!e)
				p->memory = (unsigned)v;
		} else if (!strcmp(k, "cpus")) {
			e = get_int(&r, s, &v);
			if (!e && (v < 1 || v > CPUS_MAX))
				e = where_invalid(&r, s, "out of range (1 to 255)");
			if (!e)
				p->cpus = (unsigned)v;
		} else if (!strcmp(k, "vnc") && config_setting_type(s) == CONFIG_TYPE_STRING) {
			/* vnc = "none": a headless guest (serial console only) */
			if (strcmp(config_setting_get_string(s), "none"))
				e = where_invalid(&r, s, "want \"none\" or a group { display = N; }");
			else
				p->vnc_display = VMM_VNC_NONE;
		} else if (!strcmp(k, "autostart")) {
			e = get_bool(&r, s, &p->autostart);
		} else if (!strcmp(k, "stop_timeout")) {
			e = get_int(&r, s, &v);
			if (!e && (v < 1 || v > 86400))
				e = where_invalid(&r, s, "out of range (1 to 86400 seconds)");
			if (!e)
				p->stop_timeout = (unsigned)v;
		} else if (!strcmp(k, "disk") || !strcmp(k, "net") || !strcmp(k, "vnc"))
			e = read_group(&r, s, p);
		else if ((str = string_key(p, k)))
			e = get_string(&r, s, str);
		else if ((strv = strv_key(p, k, &count)))
			e = get_strv(&r, s, strv, count);
		else if (!strcmp(k, "forward"))
			e = read_forwards(&r, s, p);
		else
			e = unknown_key(&r, s, NULL);
		if (e < 0)
			goto out;
	}
	/* what create would have chosen for values a hand-written profile leaves out */
	if (!p->disk_path)
		p->disk_path = util_fmt("%s.qcow2", p->name);
	if (!p->vnc_listen)
		p->vnc_listen = util_strdup(VNC_DEFAULT_LISTEN);
	if (!p->mac[0])
		profile_default_mac(p->name, p->mac);
	if (!p->tap[0])
		snprintf(p->tap, sizeof(p->tap), "vmm-%.*s", VMM_IFNAME_MAX - 4, p->name);
	if (p->vnc_display == -1) {
		vmm_invalid("%s: vnc.display: missing (or vnc = \"none\")", filename);
		goto out;
	}
	rc = 0;
out:
	config_destroy(&r.cfg);
	if (rc < 0) {
		char keep[1024];
		snprintf(keep, sizeof(keep), "%s", vmm_errmsg());
		profile_free(p);
		vmm_invalid("%s", keep);
	}
	return rc;
}

int profile_load(const char *path, const char *name, struct vmm_profile *p)
{
	char *text = util_read_file(path, NULL);
	if (!text) {
		profile_init(p);
		return -1;
	}
	int rc = profile_parse(text, path, name, p);
	free(text);
	return rc;
}

char *profile_format(const struct vmm_profile *p)
{
	struct buf b = { 0 };
	buf_add(&b, "# vmm profile for guest \"%s\"\n", p->name);
	buf_add(&b, "memory = %u;  # MiB\ncpus = %u;\n", p->memory, p->cpus);
	buf_add(&b, "disk = { path = ");
	buf_quoted(&b, p->disk_path ? p->disk_path : "");
	if (p->disk_size) {
		buf_add(&b, "; size = ");
		buf_quoted(&b, p->disk_size);
	}
	if (p->backing) {
		buf_add(&b, "; backing = ");
		buf_quoted(&b, p->backing);
	}
	buf_add(&b, "; };\n");
	if (p->iso) {
		buf_add(&b, "iso = ");
		buf_quoted(&b, p->iso);
		buf_add(&b, ";\n");
	}
	buf_add(&b, "net = { mac = ");
	buf_quoted(&b, p->mac);
	if (p->address) {
		buf_add(&b, "; address = ");
		buf_quoted(&b, p->address);
	}
	if (p->tap[0]) {
		buf_add(&b, "; tap = ");
		buf_quoted(&b, p->tap);
	}
	buf_add(&b, "; };\n");
	if (p->vnc_display == VMM_VNC_NONE) {
		buf_add(&b, "vnc = \"none\";  # no display: serial console only\n");
	} else {
		buf_add(&b, "vnc = { display = %d; listen = ", p->vnc_display);
		buf_quoted(&b, profile_vnc_listen(p));
		if (p->vnc_password_file) {
			buf_add(&b, "; password_file = ");
			buf_quoted(&b, p->vnc_password_file);
		}
		buf_add(&b, "; };\n");
	}
	if (p->autostart)
		buf_add(&b, "autostart = true;\n");
	if (p->stop_timeout)
		buf_add(&b, "stop_timeout = %u;  # seconds to power off before QEMU is quit\n",
			p->stop_timeout);
	/* "iso" is written above, before the network */
	for (size_t i = 1; i < ARRAY_SIZE(string_keys); i++) {
		const char *val = *string_key((struct vmm_profile *)p, string_keys[i]);
		if (val) {
			buf_add(&b, "%s = ", string_keys[i]);
			buf_quoted(&b, val);
			buf_add(&b, ";\n");
		}
	}
	if (p->n_ssh_keys)
		fmt_strv(&b, "ssh_keys", p->ssh_keys, p->n_ssh_keys);
	if (p->dns)
		fmt_strv(&b, "dns", p->dns, p->n_dns);
	if (p->n_runcmd)
		fmt_strv(&b, "runcmd", p->runcmd, p->n_runcmd);
	if (p->n_forwards) {
		buf_add(&b, "forward = [");
		for (size_t i = 0; i < p->n_forwards; i++) {
			char spec[PROFILE_FORWARD_LEN];
			profile_format_forward(&p->forwards[i], spec);
			buf_add(&b, "%s\"%s\"", i ? ", " : " ", spec);
		}
		buf_add(&b, " ];\n");
	}
	return b.s;
}

/* ---- validation ---- */

int profile_ip(const struct vmm_profile *p, char buf[16])
{
	uint32_t a;
	unsigned pre;
	if (!p->address || util_parse_cidr("address", p->address, &a, &pre) < 0)
		return -1;
	util_format_ipv4(a, buf);
	return 0;
}

static int check_address(const char *address, const struct vmm_netcfg *n)
{
	uint32_t a;
	unsigned pre;
	char net[16];
	if (util_parse_cidr("address", address, &a, &pre) < 0)
		return -1;
	util_format_ipv4(netcfg_network(n), net);
	if ((a & util_prefix_mask(n->prefix)) != netcfg_network(n))
		return vmm_invalid("address %s: outside the bridge subnet %s/%u", address, net,
				   n->prefix);
	if (pre != n->prefix)
		return vmm_invalid("address %s: prefix /%u differs from the bridge subnet %s/%u",
				   address, pre, net, n->prefix);
	if (a == netcfg_network(n))
		return vmm_invalid("address %s: is the network address of %s/%u", address, net,
				   n->prefix);
	if (a == netcfg_broadcast(n))
		return vmm_invalid("address %s: is the broadcast address of %s/%u", address, net,
				   n->prefix);
	if (a == n->addr)
		return vmm_invalid("address %s: is the bridge address", address);
	return 0;
}

int profile_validate(const struct vmm_profile *p, const struct vmm_netcfg *n)
{
	uint8_t mac[6];
	if (profile_check_name(p->name) < 0)
		return -1;
	if (p->memory < MEMORY_MIN || p->memory > MEMORY_MAX)
		return vmm_invalid("memory %u: out of range (16 to 1048576 MiB)", p->memory);
	if (p->cpus < 1 || p->cpus > CPUS_MAX)
		return vmm_invalid("cpus %u: out of range (1 to 255)", p->cpus);
	if (util_parse_mac("mac", p->mac, mac) < 0)
		return -1;
	if (p->address && check_address(p->address, n) < 0)
		return -1;
	if (p->vnc_display != VMM_VNC_NONE && (p->vnc_display < 0 || p->vnc_display > VNC_MAX))
		return vmm_invalid("vnc :%d: out of range (0 to " VMM_VNC_MAX_STR ")",
				   p->vnc_display);
	if (p->vnc_listen) {
		uint32_t a;
		if (util_parse_ipv4("vnc listen", p->vnc_listen, &a) < 0)
			return -1;
	}
	if (p->tap[0] && check_ifname("tap", p->tap) < 0)
		return -1;
	if (p->user && profile_check_user(p->user) < 0)
		return -1;
	if (p->ssh_identity && p->ssh_identity[0] != '/')
		return vmm_invalid("ssh_identity %s: want an absolute path", p->ssh_identity);
	if (p->disk_size) {
		uint64_t bytes;
		if (util_parse_size("size", p->disk_size, &bytes) < 0)
			return -1;
	}
	if (!p->disk_path || !*p->disk_path)
		return vmm_invalid("disk: no path");
	if ((p->initrd || p->append) && !p->kernel)
		return vmm_invalid("%s: initrd and append need a kernel", p->name);
	for (size_t i = 0; i < p->n_dns; i++) {
		uint32_t a;
		if (util_parse_ipv4("dns", p->dns[i], &a) < 0)
			return -1;
	}
	if (p->backend && strcmp(p->backend, "qemu") && strcmp(p->backend, "libvirt"))
		return vmm_invalid("backend \"%s\": use qemu or libvirt", p->backend);
	if (p->uri && (!p->backend || strcmp(p->backend, "libvirt")))
		return vmm_invalid("uri %s: only with backend libvirt", p->uri);
	if (p->hostname) {
		size_t len = strlen(p->hostname);
		bool ok = len > 0 && len <= 63;
		for (size_t i = 0; ok && i < len; i++)
			ok = isalnum((unsigned char)p->hostname[i]) || p->hostname[i] == '-';
		if (!ok)
			return vmm_invalid("hostname \"%s\": use 1 to 63 letters, digits and '-'",
					   p->hostname);
	}
	for (size_t i = 0; i < p->n_forwards; i++) {
		char spec[PROFILE_FORWARD_LEN];
		profile_format_forward(&p->forwards[i], spec);
		if (!p->address)
			return vmm_invalid("forward \"%s\": the guest has no address", spec);
		if (p->forwards[i].host_port == 0 || p->forwards[i].guest_port == 0 ||
		    (p->forwards[i].proto != IPPROTO_TCP && p->forwards[i].proto != IPPROTO_UDP))
			return vmm_invalid("forward \"%s\": not a valid forward", spec);
		for (size_t j = 0; j < i; j++)
			if (profile_forwards_clash(&p->forwards[j], &p->forwards[i]))
				return vmm_invalid("forward \"%s\": %s host port %u is listed twice",
						   spec, profile_forward_proto(p->forwards[i].proto),
						   (unsigned)p->forwards[i].host_port);
	}
	return 0;
}

int profile_check_conflicts(const struct vmm_profile *p, const struct vmm_profile *others,
			    size_t n_others)
{
	uint32_t mine = 0, theirs;
	unsigned pre;
	bool have = p->address && util_parse_cidr("address", p->address, &mine, &pre) == 0;
	for (size_t i = 0; i < n_others; i++) {
		const struct vmm_profile *o = &others[i];
		if (!strcmp(o->name, p->name))
			continue;
		if (!strcasecmp(o->mac, p->mac))
			return vmm_invalid("mac %s: already used by %s", p->mac, o->name);
		if (have && o->address && util_parse_cidr("address", o->address, &theirs, &pre) == 0 &&
		    theirs == mine)
			return vmm_invalid("address %s: already used by %s", p->address, o->name);
		if (p->vnc_display != VMM_VNC_NONE && o->vnc_display == p->vnc_display)
			return vmm_invalid("vnc :%d: already used by %s", p->vnc_display, o->name);
		if (p->tap[0] && !strcmp(o->tap, p->tap))
			return vmm_invalid("tap %s: already used by %s", p->tap, o->name);
		for (size_t f = 0; f < p->n_forwards; f++)
			for (size_t g = 0; g < o->n_forwards; g++) {
				const struct vmm_forward *a = &p->forwards[f], *b = &o->forwards[g];
				if (!profile_forwards_clash(a, b))
					continue;
				char spec[PROFILE_FORWARD_LEN];
				profile_format_forward(a, spec);
				return vmm_invalid("forward \"%s\": %s host port %u is already "
						   "forwarded to %s", spec, profile_forward_proto(a->proto),
						   (unsigned)a->host_port, o->name);
			}
	}
	vmm_error_clear();
	return 0;
}

void profile_default_mac(const char *name, char mac[18])
{
	uint32_t h = util_hash(UTIL_HASH_INIT, name); /* a name always gets the same MAC */
	uint8_t m[6] = { 0x52, 0x54, 0x00, (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h };
	util_format_mac(m, mac);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int profile_pick_address(const struct vmm_netcfg *n, const struct vmm_profile *others,
			 size_t n_others, char **address)
{
	uint32_t net = netcfg_network(n), bcast = netcfg_broadcast(n);
	/* the others' addresses, parsed once and sorted: a thousand guests stay quick */
	uint32_t *used = calloc(n_others + 1, sizeof(*used));
	size_t n_used = 0;
	if (!used)
		abort();
	for (size_t i = 0; i < n_others; i++) {
		unsigned pre;
		if (others[i].address &&
		    util_parse_cidr("address", others[i].address, &used[n_used], &pre) == 0)
			n_used++;
	}
	vmm_error_clear();
	qsort(used, n_used, sizeof(*used), cmp_u32);
	/* Like the tutorial: guests from .100 up when the subnet is large enough, else from .2 */
	uint32_t first = (bcast - net > 200) ? net + 100 : net + 1;
	for (int pass = 0; pass < 2; pass++) {
		uint32_t lo = pass == 0 ? first : net + 1, hi = pass == 0 ? bcast : first;
		for (uint32_t a = lo; a < hi; a++) {
			if (a == n->addr || bsearch(&a, used, n_used, sizeof(*used), cmp_u32))
				continue;
			char ip[16];
			util_format_ipv4(a, ip);
			*address = util_fmt("%s/%u", ip, n->prefix);
			free(used);
			return 0;
		}
	}
	free(used);
	return vmm_fail("address: no free address left in %s", n->address);
}

int profile_pick_vnc(const struct vmm_profile *others, size_t n_others, int *display)
{
	/* one bit per display: linear in the number of guests */
	static unsigned char used[VNC_MAX / 8 + 1];
	memset(used, 0, sizeof(used));
	for (size_t i = 0; i < n_others; i++) {
		int d = others[i].vnc_display;
		if (d >= 0 && d <= VNC_MAX)
			used[d / 8] |= (unsigned char)(1u << (d % 8));
	}
	for (int d = 0; d <= VNC_MAX; d++) {
		if (!(used[d / 8] & (1u << (d % 8)))) {
			*display = d;
			return 0;
		}
	}
	return vmm_fail("vnc: no free display left (0 to " VMM_VNC_MAX_STR "; vnc = \"none\" "
			"needs none)");
}

static bool tap_used(const char *tap, const struct vmm_profile *others, size_t n_others)
{
	for (size_t i = 0; i < n_others; i++)
		if (!strcmp(others[i].tap, tap))
			return true;
	return false;
}

void profile_pick_tap(const char *name, const struct vmm_profile *others, size_t n_others,
		      char tap[VMM_IFNAME_MAX + 1])
{
	snprintf(tap, VMM_IFNAME_MAX + 1, "vmm-%s", name);
	for (unsigned k = 1; tap_used(tap, others, n_others) && k < 100000; k++) {
		char suffix[8];
		int sl = snprintf(suffix, sizeof(suffix), "-%u", k);
		snprintf(tap, VMM_IFNAME_MAX + 1, "vmm-%.*s%s", VMM_IFNAME_MAX - 4 - sl, name,
			 suffix);
	}
}

static int read_key_file(const char *path, char **line)
{
	if (util_check_readable("ssh key", path) < 0)
		return -1;
	char *text = util_read_file(path, NULL);
	if (!text)
		return vmm_invalid("%s", vmm_errmsg());
	size_t len = strlen(text);
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (strncmp(text, "ssh-", 4) && strncmp(text, "ecdsa-", 6) && strncmp(text, "sk-", 3)) {
		free(text);
		return vmm_invalid("ssh key %s: not an OpenSSH public key", path);
	}
	if (strchr(text, '\n')) {
		free(text);
		return vmm_invalid("ssh key %s: want one key per file", path);
	}
	*line = text;
	return 0;
}

static int split_list(const char *value, char ***out, size_t *n)
{
	char *copy = util_strdup(value), *save = NULL;
	size_t cap = 4, cnt = 0;
	char **v = calloc(cap, sizeof(char *));
	if (!v)
		abort();
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		for (size_t l = strlen(t); l && t[l - 1] == ' '; l--)
			t[l - 1] = '\0';
		if (!*t)
			continue;
		if (cnt + 2 > cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(char *));
			if (!v)
				abort();
		}
		v[cnt++] = util_strdup(t);
		v[cnt] = NULL;
	}
	free(copy);
	*out = v;
	*n = cnt;
	return 0;
}

/* ---- profile_set_key: one setter per key, found through one table ---- */

static int set_memory(struct vmm_profile *p, const char *key, const char *value)
{
	unsigned long v;
	uint64_t bytes;
	const char *last = value + strlen(value);
	(void)key;
	if (!(last > value && isalpha((unsigned char)last[-1]))) {
		if (util_parse_uint("memory", value, MEMORY_MIN, MEMORY_MAX, &v) < 0)
			return -1;
		p->memory = (unsigned)v;
		return 0;
	}
	if (util_parse_size("memory", value, &bytes) < 0)
		return -1;
	if (bytes % (1024 * 1024))
		return vmm_invalid("memory %s: not a whole number of MiB", value);
	if (bytes / (1024 * 1024) > MEMORY_MAX || bytes / (1024 * 1024) < MEMORY_MIN)
		return vmm_invalid("memory %s: out of range (16 to 1048576 MiB)", value);
	p->memory = (unsigned)(bytes / (1024 * 1024));
	return 0;
}

static int set_cpus(struct vmm_profile *p, const char *key, const char *value)
{
	unsigned long v;
	(void)key;
	if (util_parse_uint("cpus", value, 1, CPUS_MAX, &v) < 0)
		return -1;
	p->cpus = (unsigned)v;
	return 0;
}

static int set_mac(struct vmm_profile *p, const char *key, const char *value)
{
	uint8_t m[6];
	(void)key;
	if (util_parse_mac("mac", value, m) < 0)
		return -1;
	util_format_mac(m, p->mac);
	return 0;
}

static int set_address(struct vmm_profile *p, const char *key, const char *value)
{
	uint32_t a;
	unsigned pre;
	(void)key;
	if (util_parse_cidr("address", value, &a, &pre) < 0)
		return -1;
	set_str(&p->address, value);
	return 0;
}

static int set_vnc(struct vmm_profile *p, const char *key, const char *value)
{
	unsigned long v;
	const char *d = value[0] == ':' ? value + 1 : value;
	(void)key;
	if (!strcmp(value, "none")) {
		p->vnc_display = VMM_VNC_NONE;
		return 0;
	}
	if (util_parse_uint("vnc", d, 0, VNC_MAX, &v) < 0)
		return vmm_invalid("vnc %s: want a display :N with N from 0 to " VMM_VNC_MAX_STR
				   " (port 5900+N), or none", value);
	p->vnc_display = (int)v;
	return 0;
}

static int set_vnc_listen(struct vmm_profile *p, const char *key, const char *value)
{
	uint32_t a;
	(void)key;
	if (util_parse_ipv4("vnc listen", value, &a) < 0)
		return -1;
	set_str(&p->vnc_listen, value);
	return 0;
}

/* The field a key with a plain string value sets. */
static char **str_field(struct vmm_profile *p, const char *key)
{
	static const struct {
		const char *key;
		size_t off;
	} fields[] = {
		{ "vnc_password_file", offsetof(struct vmm_profile, vnc_password_file) },
		{ "vnc.password_file", offsetof(struct vmm_profile, vnc_password_file) },
		{ "iso", offsetof(struct vmm_profile, iso) },
		{ "kernel", offsetof(struct vmm_profile, kernel) },
		{ "initrd", offsetof(struct vmm_profile, initrd) },
		{ "append", offsetof(struct vmm_profile, append) },
		{ "hostname", offsetof(struct vmm_profile, hostname) },
		{ "uri", offsetof(struct vmm_profile, uri) },
		{ "user", offsetof(struct vmm_profile, user) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (!strcmp(key, fields[i].key))
			return (char **)((char *)p + fields[i].off);
	return &p->ssh_identity;
}

/* A string key; an empty value clears it. Files must be readable, users valid, the identity an
 * absolute path. */
static int set_string(struct vmm_profile *p, const char *key, const char *value)
{
	if (*value) {
		if (!strcmp(key, "vnc_password_file") || !strcmp(key, "vnc.password_file")) {
			if (util_check_readable("vnc password file", value) < 0)
				return -1;
		} else if (!strcmp(key, "iso") || !strcmp(key, "kernel") || !strcmp(key, "initrd")) {
			if (util_check_readable(key, value) < 0)
				return -1;
		} else if (!strcmp(key, "user")) {
			if (profile_check_user(value) < 0)
				return -1;
		} else if (!strcmp(key, "ssh_identity") && value[0] != '/') {
			return vmm_invalid("ssh_identity %s: want an absolute path", value);
		}
	}
	set_str(str_field(p, key), *value ? value : NULL);
	return 0;
}

static int set_backend(struct vmm_profile *p, const char *key, const char *value)
{
	(void)key;
	if (strcmp(value, "qemu") && strcmp(value, "libvirt"))
		return vmm_invalid("backend \"%s\": use qemu or libvirt", value);
	set_str(&p->backend, value);
	return 0;
}

static int set_dns(struct vmm_profile *p, const char *key, const char *value)
{
	char **list;
	size_t n;
	(void)key;
	split_list(value, &list, &n);
	for (size_t i = 0; i < n; i++) {
		uint32_t a;
		if (util_parse_ipv4("dns", list[i], &a) < 0) {
			strv_free(list, n);
			return -1;
		}
	}
	strv_free(p->dns, p->n_dns);
	p->dns = n ? list : NULL;
	p->n_dns = n;
	if (!n)
		strv_free(list, 0);
	return 0;
}

/* Append one string to a NULL-terminated list (the string is owned by the list). */
static void strv_push(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (!nv)
		abort();
	*v = nv;
	nv[(*n)++] = s;
	nv[*n] = NULL;
}

static int add_ssh_key(struct vmm_profile *p, const char *key, const char *value)
{
	char *line = NULL;
	(void)key;
	if (read_key_file(value, &line) < 0)
		return -1;
	strv_push(&p->ssh_keys, &p->n_ssh_keys, line);
	return 0;
}

static int add_runcmd(struct vmm_profile *p, const char *key, const char *value)
{
	(void)key;
	strv_push(&p->runcmd, &p->n_runcmd, util_strdup(value));
	return 0;
}

static int set_forward(struct vmm_profile *p, const char *key, const char *value)
{
	(void)key;
	return profile_set_forwards(p, value);
}

static int set_stop_timeout(struct vmm_profile *p, const char *key, const char *value)
{
	unsigned long v;
	(void)key;
	if (util_parse_uint("stop_timeout", value, 1, 86400, &v) < 0)
		return -1;
	p->stop_timeout = (unsigned)v;
	return 0;
}

static int set_autostart(struct vmm_profile *p, const char *key, const char *value)
{
	(void)key;
	if (!strcmp(value, "on") || !strcmp(value, "true") || !strcmp(value, "yes"))
		p->autostart = true;
	else if (!strcmp(value, "off") || !strcmp(value, "false") || !strcmp(value, "no"))
		p->autostart = false;
	else
		return vmm_invalid("autostart %s: want on or off", value);
	return 0;
}

static int set_tap(struct vmm_profile *p, const char *key, const char *value)
{
	(void)key;
	if (check_ifname("tap", value) < 0)
		return -1;
	snprintf(p->tap, sizeof(p->tap), "%s", value);
	return 0;
}

static int set_fixed(struct vmm_profile *p, const char *key, const char *value)
{
	(void)p;
	(void)value;
	return vmm_invalid("%s: cannot be changed after create (use qemu-img resize or a new guest)",
			   key);
}

static const struct {
	const char *names[3];
	int (*set)(struct vmm_profile *p, const char *key, const char *value);
} setters[] = {
	{ { "memory", "ram" }, set_memory },
	{ { "cpus" }, set_cpus },
	{ { "mac" }, set_mac },
	{ { "address", "ip" }, set_address },
	{ { "vnc" }, set_vnc },
	{ { "vnc_listen", "vnc.listen" }, set_vnc_listen },
	{ { "vnc_password_file", "vnc.password_file" }, set_string },
	{ { "iso", "kernel", "initrd" }, set_string },
	{ { "append", "hostname", "uri" }, set_string },
	{ { "user", "ssh_identity" }, set_string },
	{ { "backend" }, set_backend },
	{ { "dns" }, set_dns },
	{ { "ssh_key", "ssh-key" }, add_ssh_key },
	{ { "runcmd" }, add_runcmd },
	{ { "forward" }, set_forward },
	{ { "stop_timeout" }, set_stop_timeout },
	{ { "autostart" }, set_autostart },
	{ { "tap" }, set_tap },
	{ { "size", "disk", "image" }, set_fixed },
	{ { "backing" }, set_fixed },
};

int profile_set_key(struct vmm_profile *p, const char *key, const char *value)
{
	for (size_t i = 0; i < ARRAY_SIZE(setters); i++)
		for (size_t k = 0; k < ARRAY_SIZE(setters[i].names) && setters[i].names[k]; k++)
			if (!strcmp(key, setters[i].names[k]))
				return setters[i].set(p, key, value);
	return vmm_invalid("key \"%s\": unknown (see vmm help set)", key);
}

const char *profile_vnc_listen(const struct vmm_profile *p)
{
	return p->vnc_listen && *p->vnc_listen ? p->vnc_listen : VNC_DEFAULT_LISTEN;
}

int profile_vnc_port(const struct vmm_profile *p)
{
	return p->vnc_display == VMM_VNC_NONE ? 0 : VNC_BASE_PORT + p->vnc_display;
}

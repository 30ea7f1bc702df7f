// SPDX-License-Identifier: MIT
/* seed.c: cloud-init NoCloud seed ISOs: the three YAML files, and the ISO written with libisofs */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "vmm/config/dns.h"
#include "vmm/config/ipv6.h"
#include "vmm/config/share.h"
#include "vmm/sys/dl_isofs.h"
#include "vmm/sys/error.h"
#include "vmm/storage/seed.h"
#include "vmm/sys/util.h"
#include "vmm/config/validate.h"

/* Every timestamp in the image: fixed, so that the same files give the same bytes. */
#define SEED_TIME 1577836800 /* 2020-01-01 00:00:00 UTC */
#define SEED_UUID "2020010100000000"
#define SEED_VOLID "cidata"

/* ---- a growing string ---- */

struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *ns = realloc(b->s, cap);
		if (!ns)
			abort(); /* like util_fmt: out of memory is not recoverable here */
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = util_vfmt(fmt, ap);
	va_end(ap);
	sb_puts(b, s);
	free(s);
}

/* A YAML double-quoted scalar: any text (commands, keys) stays one string whatever it holds. */
static void sb_yaml_str(struct sbuf *b, const char *s)
{
	sb_puts(b, "\"");
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			sb_printf(b, "\\%c", *c);
		else if (*c == '\t')
			sb_puts(b, "\\t");
		else if (*c == '\n')
			sb_puts(b, "\\n");
		else if (*c < 0x20 || *c == 0x7f)
			sb_printf(b, "\\x%02x", *c);
		else
			sb_add(b, (const char *)c, 1);
	}
	sb_puts(b, "\"");
}

/*
 * The shared folders and runcmd. Debian 12's cloud-init (22.4) drops a virtiofs or 9p tag from
 * `mounts:` ("Ignoring nonexistent named mount"), so each share is an fstab line appended by
 * write_files (nofail: a guest without the device still boots; later boots mount it through
 * systemd's fstab generator) and mounted by runcmd, before the profile's own commands.
 */
static int render_shares(struct sbuf *user, const struct vmm_profile *p, char *const *runcmd,
			 size_t n_runcmd)
{
	struct vmm_share *v = NULL;
	if (share_parse_all(p->shares, p->n_shares, &v) < 0)
		return vmm_error_prefix("%s", p->name);
	if (p->n_shares)
		sb_puts(user, "write_files:\n");
	for (size_t i = 0; i < p->n_shares; i++) {
		char *line = share_kind_here(&v[i]) == SHARE_VIRTIOFS
				     ? util_fmt("%s " SHARE_MOUNT_DIR "/%s virtiofs nofail 0 0\n",
						v[i].tag, v[i].tag)
				     : util_fmt("%s " SHARE_MOUNT_DIR "/%s 9p trans=virtio,version="
						"9p2000.L%s,nofail 0 0\n",
						v[i].tag, v[i].tag, v[i].ro ? ",ro" : "");
		sb_puts(user, "  - path: /etc/fstab\n    append: true\n    content: ");
		sb_yaml_str(user, line);
		sb_puts(user, "\n");
		free(line);
	}
	if (p->n_shares + n_runcmd)
		sb_puts(user, "runcmd:\n");
	for (size_t i = 0; i < p->n_shares; i++)
		sb_printf(user, "  - \"mkdir -p " SHARE_MOUNT_DIR "/%s && mount " SHARE_MOUNT_DIR
				"/%s\"\n", v[i].tag, v[i].tag);
	free(v);
	for (size_t i = 0; i < n_runcmd; i++) {
		sb_puts(user, "  - ");
		sb_yaml_str(user, runcmd[i]);
		sb_puts(user, "\n");
	}
	return 0;
}

/* One field of the guest's network identity into the hash, with a separator after it. */
static uint32_t fnv1a(uint32_t h, const char *s)
{
	h = util_hash(h, s);
	return (h ^ 0xff) * 16777619u; /* field separator */
}

/* network-config's opening: version 2, eth0 matched by its MAC (no set-name needed). */
static void net_head(struct sbuf *net, const char *mac)
{
	sb_printf(net,
		  "version: 2\n"
		  "ethernets:\n"
		  "  eth0:\n"
		  "    match:\n"
		  "      macaddress: \"%s\"\n",
		  mac);
}

/* network-config (version 2) for the guest's NIC: address ip/prefix, route via gw, dns. */
static void render_net(struct sbuf *net, const struct vmm_profile *p, const struct vmm_netcfg *n,
		       const char *ip, unsigned prefix, const char *gw, char *const *dns,
		       size_t n_dns)
{
	/* Matched by MAC only (no set-name); the default route as 0.0.0.0/0, since Debian 12's
	 * cloud-init 22.4 crashes on "to: default". With IPv6 the seed states the SLAAC address
	 * (EUI-64 of the MAC: the one the router advertisements would give) and the route via the
	 * bridge's ::1 itself, so networkd need not wait for advertisements either way. */
	char ip6[IPV6_TEXT_MAX] = "", gw6[IPV6_TEXT_MAX] = "";
	uint8_t mac[6];
	if (profile_net_user(p)) {
		/* network = "user": passt answers DHCP (the host's address, routes and DNS) and
		 * router advertisements */
		net_head(net, p->mac);
		sb_puts(net, "    dhcp4: true\n    accept-ra: true\n");
		return;
	}
	if (n->has_ipv6 && util_parse_mac("mac", p->mac, mac) == 0) {
		ipv6_eui64(n->ipv6_prefix, mac, ip6);
		ipv6_host(n->ipv6_prefix, 1, gw6);
	}
	vmm_error_clear();
	net_head(net, p->mac);
	sb_printf(net, "    addresses:\n      - %s/%u\n", ip, prefix);
	if (*ip6)
		sb_printf(net, "      - %s/64\n", ip6);
	sb_printf(net, "    routes:\n      - to: 0.0.0.0/0\n        via: %s\n", gw);
	if (*ip6)
		sb_printf(net, "      - to: ::/0\n        via: %s\n", gw6);
	if (n_dns) {
		sb_puts(net, "    nameservers:\n      addresses:\n");
		for (size_t i = 0; i < n_dns; i++)
			sb_printf(net, "        - %s\n", dns[i]);
		if (n->dhcp) /* the bridge's dnsmasq answers NAME.domain */
			sb_printf(net, "      search:\n        - %s\n", netcfg_domain(n));
	}
	sb_puts(net, "    accept-ra: false\n");
}

int seed_render(const struct vmm_profile *p, const struct vmm_netcfg *n, char *const *dns,
		size_t n_dns, char *const *runcmd, size_t n_runcmd,
		const struct sshkey_host *hostkeys, struct seed_files *out)
{
	struct sbuf meta = { 0 }, user = { 0 }, net = { 0 };
	uint32_t addr, gw;
	unsigned prefix, gw_prefix;
	char ip[16], gwbuf[16];

	memset(out, 0, sizeof(*out));
	if (!p->address)
		return vmm_invalid("%s: no address in the profile", p->name);
	if (util_parse_cidr(p->name, p->address, &addr, &prefix) < 0)
		return -1;
	if (n->address) {
		if (util_parse_cidr("net.cfg address", n->address, &gw, &gw_prefix) < 0)
			return -1;
	} else {
		gw = n->addr;
	}
	util_format_ipv4(addr, ip);
	util_format_ipv4(gw, gwbuf);
	const char *host = p->hostname && *p->hostname ? p->hostname : p->name;

	bool dhcp = profile_net_user(p); /* behind passt: its DHCP (and SLAAC) */
	uint32_t h = UTIL_HASH_INIT;
	h = fnv1a(h, p->mac);
	h = fnv1a(h, dhcp ? "dhcp" : p->address);
	h = fnv1a(h, gwbuf);
	if (n->has_ipv6)
		h = fnv1a(h, n->ipv6);
	for (size_t i = 0; i < n_dns; i++)
		h = fnv1a(h, dns[i]);
	/* new host keys are a new instance: cloud-init installs them again */
	for (int i = 0; hostkeys && i < SSHKEY_HOST_TYPES; i++)
		h = fnv1a(h, hostkeys->pub[i]);

	sb_printf(&meta, "instance-id: vmm-%s-%08x\nlocal-hostname: %s\n", p->name, h, host);

	sb_printf(&user, "#cloud-config\nhostname: %s\n", host);
	if (p->n_ssh_keys) {
		sb_puts(&user, "ssh_authorized_keys:\n");
		for (size_t i = 0; i < p->n_ssh_keys; i++) {
			sb_puts(&user, "  - ");
			sb_yaml_str(&user, p->ssh_keys[i]);
			sb_puts(&user, "\n");
		}
	}
	if (hostkeys) {
		/* the image's own host keys (if any) are deleted; these are the only ones */
		sb_puts(&user, "ssh_deletekeys: true\nssh_keys:\n");
		for (int i = 0; i < SSHKEY_HOST_TYPES; i++) {
			sb_printf(&user, "  %s_private: ", sshkey_host_types[i]);
			sb_yaml_str(&user, hostkeys->priv[i]);
			sb_printf(&user, "\n  %s_public: ", sshkey_host_types[i]);
			sb_yaml_str(&user, hostkeys->pub[i]);
			sb_puts(&user, "\n");
		}
	}
	if (render_shares(&user, p, runcmd, n_runcmd) < 0) {
		free(meta.s);
		free(user.s);
		return -1;
	}

	render_net(&net, p, n, ip, prefix, gwbuf, dns, n_dns);

	/* out now owns the three buffers */
	out->meta_data = meta.s;
	out->user_data = user.s;
	out->network_config = net.s;
	return 0;
}

void seed_files_free(struct seed_files *f)
{
	if (!f)
		return;
	free(f->meta_data);
	free(f->user_data);
	free(f->network_config);
	memset(f, 0, sizeof(*f));
}

/* ---- the ISO ---- */

static int iso_err(const char *what, int ret)
{
	return vmm_fail("seed iso: %s: %s", what, iso_error_to_msg(ret));
}

static int add_file(IsoDir *root, const char *name, const char *text)
{
	size_t len = strlen(text);
	unsigned char *buf = malloc(len ? len : 1);
	IsoStream *stream = NULL;
	IsoFile *file = NULL;
	int ret;

	if (!buf)
		return vmm_fail("seed iso: out of memory");
	memcpy(buf, text, len);
	ret = iso_memory_stream_new(buf, len, &stream);
	if (ret < 0) {
		free(buf);
		return iso_err(name, ret);
	}
	/* stream now owns buf */
	ret = iso_tree_add_new_file(root, name, stream, &file);
	if (ret < 0) {
		iso_stream_unref(stream);
		return iso_err(name, ret);
	}
	/* the tree holds the file (and the stream) now */
	iso_node_set_permissions((IsoNode *)file, 0444);
	iso_node_set_uid((IsoNode *)file, 0);
	iso_node_set_gid((IsoNode *)file, 0);
	iso_node_set_mtime((IsoNode *)file, SEED_TIME);
	iso_node_set_atime((IsoNode *)file, SEED_TIME);
	iso_node_set_ctime((IsoNode *)file, SEED_TIME);
	return 0;
}

/*
 * The seed's fingerprint, which the ISO carries as its application id: a hash of everything that
 * goes into the image (the three files, and the layout's version, SEED_LAYOUT, to be changed with
 * the options below). A start whose rendered files give the id the ISO already carries leaves it
 * alone without building it again: libisofs is not even loaded.
 */
#define SEED_LAYOUT "vmm seed layout 1"
#define SEED_APPID_AT (16 * 2048 + 574) /* in the primary volume descriptor (ISO 9660) */
#define SEED_APPID_LEN 128

static uint64_t fnv64(uint64_t h, const char *s)
{
	for (size_t i = 0, n = strlen(s) + 1; i < n; i++) /* the NUL separates the fields */
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static void seed_fingerprint(const struct seed_files *f, char id[32])
{
	uint64_t h = fnv64(14695981039346656037ULL, SEED_LAYOUT);
	h = fnv64(fnv64(fnv64(h, f->meta_data), f->user_data), f->network_config);
	/* uppercase: ISO 9660 a-characters, as libisofs writes it */
	snprintf(id, 32, "VMM SEED %016llX", (unsigned long long)h);
}

/* Does the ISO at path carry the application id id (padded with spaces)? */
static bool seed_iso_has(const char *path, const char *id)
{
	char buf[SEED_APPID_LEN];
	size_t n = strlen(id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t r = pread(fd, buf, sizeof(buf), SEED_APPID_AT);
	close(fd);
	if (r != (ssize_t)sizeof(buf) || memcmp(buf, id, n))
		return false;
	for (size_t i = n; i < sizeof(buf); i++)
		if (buf[i] != ' ')
			return false;
	return true;
}

/* The ISO image of f in memory (*data malloc'd). */
static int seed_iso_build(const struct seed_files *f, unsigned char **data, size_t *size)
{
	IsoImage *image = NULL;
	IsoWriteOpts *opts = NULL;
	struct burn_source *src = NULL;
	struct sbuf out = { 0 };
	int ret, rc = -1;
	bool inited = false;

	*data = NULL;
	*size = 0;
	if (!f->meta_data || !f->user_data || !f->network_config)
		return vmm_fail("seed iso: missing file content");
	if (dynlib_load(&dl_isofs) < 0)
		return -1;
	ret = iso_init();
	if (ret < 0)
		return iso_err("init", ret);
	inited = true;
	/* libisofs prints its messages on stderr by default: keep them all to ourselves */
	iso_set_msgs_severities("NEVER", "NEVER", "vmm");

	ret = iso_image_new(SEED_VOLID, &image);
	if (ret < 0) {
		iso_err("image", ret);
		goto out;
	}
	char id[32];
	seed_fingerprint(f, id);
	iso_image_set_application_id(image, id);
	IsoDir *root = iso_image_get_root(image);
	iso_node_set_permissions((IsoNode *)root, 0555);
	iso_node_set_mtime((IsoNode *)root, SEED_TIME);
	iso_node_set_atime((IsoNode *)root, SEED_TIME);
	iso_node_set_ctime((IsoNode *)root, SEED_TIME);
	if (add_file(root, "meta-data", f->meta_data) < 0 ||
	    add_file(root, "user-data", f->user_data) < 0 ||
	    add_file(root, "network-config", f->network_config) < 0)
		goto out;

	ret = iso_write_opts_new(&opts, 0);
	if (ret < 0) {
		iso_err("options", ret);
		goto out;
	}
	/* Rock Ridge and Joliet: without them "user-data" becomes a mangled 8.3 name */
	iso_write_opts_set_rockridge(opts, 1);
	iso_write_opts_set_joliet(opts, 1);
	/* the label stays "cidata" (lowercase) in the primary volume descriptor too */
	iso_write_opts_set_relaxed_vol_atts(opts, 1);
	/* Joliet names exactly as given (no ";1", no forced "."), as genisoimage writes them */
	iso_write_opts_set_omit_version_numbers(opts, 2);
	iso_write_opts_set_no_force_dots(opts, 2);
	iso_write_opts_set_always_gmt(opts, 1);
	iso_write_opts_set_replace_mode(opts, 2, 2, 2, 2);
	iso_write_opts_set_default_dir_mode(opts, 0555);
	iso_write_opts_set_default_file_mode(opts, 0444);
	iso_write_opts_set_default_uid(opts, 0);
	iso_write_opts_set_default_gid(opts, 0);
	iso_write_opts_set_replace_timestamps(opts, 2);
	iso_write_opts_set_default_timestamp(opts, SEED_TIME);
	iso_write_opts_set_dir_rec_mtime(opts, 7);
	iso_write_opts_set_pvd_times(opts, SEED_TIME, SEED_TIME, 0, 0, (char *)SEED_UUID);

	ret = iso_image_create_burn_source(image, opts, &src);
	if (ret < 0) {
		iso_err("write", ret);
		goto out;
	}
	unsigned char block[2048];
	for (;;) {
		int r = src->read_xt(src, block, sizeof(block));
		if (r < 0) {
			vmm_fail("seed iso: writing the image failed");
			goto out;
		}
		if (r == 0)
			break;
		sb_add(&out, (const char *)block, (size_t)r);
	}
	*data = (unsigned char *)out.s; /* caller owns it now */
	*size = out.len;
	out.s = NULL;
	rc = 0;
out:
	if (src) {
		src->free_data(src);
		free(src);
	}
	if (opts)
		iso_write_opts_free(opts);
	if (image)
		iso_image_unref(image);
	free(out.s);
	if (inited)
		iso_finish();
	return rc;
}

int seed_iso_write(const char *path, const struct seed_files *f)
{
	unsigned char *data = NULL;
	size_t size = 0;
	if (seed_iso_build(f, &data, &size) < 0)
		return -1;
	int rc = util_write_file(path, data, size, 0600);
	free(data);
	return rc;
}

int seed_dns(const struct vmm_profile *p, const struct vmm_netcfg *n, char ***dns,
	     size_t *n_dns)
{
	struct vmm_netcfg nc = *n;
	*dns = NULL;
	*n_dns = 0;
	if (p->n_dns) { /* the profile's own dns list replaces net.cfg's */
		nc.dns = p->dns;
		nc.n_dns = p->n_dns;
	} else if (n->dhcp) {
		/* the bridge's dnsmasq: the guests' names, the rest forwarded to net.cfg's dns */
		char gw[16];
		util_format_ipv4(n->addr, gw);
		if (!(*dns = calloc(1, sizeof(**dns))))
			abort();
		(*dns)[0] = util_strdup(gw);
		*n_dns = 1;
		return 0;
	}
	return dns_servers(&nc, dns, n_dns);
}

int seed_ensure(const struct vmm_home *h, const struct vmm_profile *p, const struct vmm_netcfg *n,
		char **path_out)
{
	char **dns = NULL;
	size_t n_dns = 0;
	struct seed_files f = { 0 };
	unsigned char *data = NULL;
	size_t size = 0;
	char *path = store_seed_path(h, p->name);
	struct sshkey_host hk = { 0 };
	bool have_hk = false;
	char id[32];
	int rc = -1;

	*path_out = NULL;
	if (!path)
		return vmm_fail("%s: no seed path", p->name);
	/* no seed yet: libisofs first, so that a host without it gets no host keys made for
	 * nothing (an existing seed may well be up to date, and then it is not needed) */
	if (!util_exists(path) && dynlib_load(&dl_isofs) < 0)
		goto out;
	if (seed_dns(p, n, &dns, &n_dns) < 0)
		goto out;
	if (p->n_ssh_keys) {
		char ip[16];
		if (sshkey_host_ensure(h, p->name, &hk) < 0 || profile_ip(p, ip) < 0 ||
		    sshkey_known_hosts_write(h, p->name, ip, &hk) < 0)
			goto out;
		have_hk = true;
	}
	if (seed_render(p, n, dns, n_dns, p->runcmd, p->n_runcmd, have_hk ? &hk : NULL, &f) < 0)
		goto out;
	/* the same content: the ISO stays as it is (not even rewritten) */
	seed_fingerprint(&f, id);
	if (!seed_iso_has(path, id)) {
		/* user data (SSH keys, runcmd, host keys): private like the disk */
		if (seed_iso_build(&f, &data, &size) < 0 ||
		    util_write_file(path, data, size, 0600) < 0)
			goto out;
	}
	*path_out = path; /* caller owns path */
	path = NULL;
	rc = 0;
out:
	free(path);
	free(data);
	seed_files_free(&f);
	dns_free(dns, n_dns);
	sshkey_host_free(&hk);
	return rc;
}

// SPDX-License-Identifier: MIT
/* profile.c: the profile keys, one row each, and the reader, writer and `vmm set` they drive */
#include <ctype.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config/cfgtext.h"
#include "vmm/config/profile.h"
#include "vmm/config/forward_spec.h"
#include "vmm/config/alloc.h"
#include "vmm/config/share.h"
#include "vmm/config/validate.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

/* ---- checks of a value before `vmm set` stores it ---- */

static int check_ipv4(const char *what, const char *value)
{
	uint32_t a;
	return util_parse_ipv4(what, value, &a);
}

static int check_cidr(const char *what, const char *value)
{
	uint32_t a;
	unsigned pre;
	return util_parse_cidr(what, value, &a, &pre);
}

static int check_ifname(const char *what, const char *value)
{
	return netcfg_check_ifname(what, value);
}

static int check_user(const char *what, const char *value)
{
	(void)what;
	return profile_check_user(value);
}

static int check_absolute(const char *what, const char *value)
{
	if (value[0] != '/')
		return vmm_invalid("%s %s: want an absolute path", what, value);
	return 0;
}

/* ---- keys set their own way ---- */

/* MiB, or a size with a unit ("2G") that is a whole number of MiB. */
static int set_memory(struct vmm_profile *p, const char *key, const char *value)
{
	unsigned long v;
	uint64_t bytes;
	const char *last = value + strlen(value);
	(void)key;
	if (!(last > value && isalpha((unsigned char)last[-1]))) {
		if (util_parse_uint("memory", value, VMM_MEMORY_MIN, VMM_MEMORY_MAX, &v) < 0)
			return -1;
		p->memory = (unsigned)v;
		return 0;
	}
	if (util_parse_size("memory", value, &bytes) < 0)
		return -1;
	if (bytes % (1024 * 1024))
		return vmm_invalid("memory %s: not a whole number of MiB", value);
	if (bytes / (1024 * 1024) > VMM_MEMORY_MAX || bytes / (1024 * 1024) < VMM_MEMORY_MIN)
		return vmm_invalid("memory %s: out of range (16 to 1048576 MiB)", value);
	p->memory = (unsigned)(bytes / (1024 * 1024));
	return 0;
}

static int set_mac(struct vmm_profile *p, const char *key, const char *value)
{
	uint8_t m[6];
	(void)key;
	if (util_parse_mac("mac", value, m) < 0)
		return -1;
	util_format_mac(m, p->mac); /* one spelling: lower case */
	return 0;
}

/* ":N", "N", "socket" or "none". */
static int set_vnc(struct vmm_profile *p, const char *key, const char *value)
{
	unsigned long v;
	const char *d = value[0] == ':' ? value + 1 : value;
	(void)key;
	if (!strcmp(value, "none") || !strcmp(value, "socket")) {
		p->vnc_display = value[0] == 'n' ? VMM_VNC_NONE : VMM_VNC_SOCKET;
		return 0;
	}
	if (util_parse_uint("vnc", d, 0, VMM_VNC_MAX, &v) < 0)
		return vmm_invalid("vnc %s: want a display :N with N from 0 to " VMM_VNC_MAX_STR
				   " (port 5900+N), socket or none", value);
	p->vnc_display = (int)v;
	return 0;
}

/* One OpenSSH public key line from a file. */
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

static int add_ssh_key(struct vmm_profile *p, const char *key, const char *value)
{
	char *line = NULL;
	(void)key;
	if (read_key_file(value, &line) < 0)
		return -1;
	cfg_strv_push(&p->ssh_keys, &p->n_ssh_keys, line);
	return 0;
}

static int set_forward(struct vmm_profile *p, const char *key, const char *value)
{
	(void)key;
	return profile_set_forwards(p, value);
}

/* One shared folder more (its folder must exist, its tag be new); "" removes them all. */
static int set_share(struct vmm_profile *p, const char *key, const char *value)
{
	struct vmm_share s, old;
	(void)key;
	if (!*value) {
		cfg_strv_free(p->shares, p->n_shares);
		p->shares = NULL;
		p->n_shares = 0;
		return 0;
	}
	if (share_parse(value, &s) < 0 || share_check_dir(&s) < 0)
		return -1;
	for (size_t i = 0; i < p->n_shares; i++)
		if (share_parse(p->shares[i], &old) == 0 && !strcmp(old.tag, s.tag))
			return vmm_invalid("share \"%s\": tag \"%s\" is already used by \"%s\"",
					   value, s.tag, p->shares[i]);
	vmm_error_clear();
	/* the kind is chosen now, once, and kept: the guest's seed mounts what QEMU will offer */
	s.kind = share_kind_here(&s);
	cfg_strv_push(&p->shares, &p->n_shares, share_format(&s));
	return 0;
}

/* ---- keys read and written their own way ---- */

/* shares = [ "DIR:TAG", ... ]: each spec well formed, no tag twice (the folders are checked at
 * start: one may come and go). */
static int read_shares(const struct cfg_reader *r, const config_setting_t *s,
		       struct vmm_profile *p)
{
	struct vmm_share *v = NULL;
	if (cfg_get_strv(r, s, &p->shares, &p->n_shares) < 0)
		return -1;
	if (share_parse_all(p->shares, p->n_shares, &v) < 0)
		return cfg_invalid_here(r, s);
	free(v);
	return 0;
}

/* A TCP display: the vnc group. Else vnc is a word: "socket" or "none". */
static bool has_display(const struct vmm_profile *p)
{
	return p->vnc_display >= 0; /* (profile_vnc_tcp, without reaching into validate.c) */
}

static bool no_display(const struct vmm_profile *p)
{
	return !has_display(p);
}

static bool has_forwards(const struct vmm_profile *p)
{
	return p->n_forwards > 0;
}

static int read_mac(const struct cfg_reader *r, const config_setting_t *s, struct vmm_profile *p)
{
	char *text = NULL;
	int rc = cfg_get_string(r, s, &text);
	if (rc == 0 && set_mac(p, "mac", text) < 0)
		rc = cfg_invalid_here(r, s);
	free(text);
	return rc;
}

/* vnc = "socket": the screen on a unix socket in the guest's private run folder (what create
 * writes); vnc = "none": a headless guest (serial console only); else vnc is a group. */
static int read_vnc_word(const struct cfg_reader *r, const config_setting_t *s,
			 struct vmm_profile *p)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_invalid(r, s, "expected a group { ... }");
	const char *w = config_setting_get_string(s);
	if (!strcmp(w, "none"))
		p->vnc_display = VMM_VNC_NONE;
	else if (!strcmp(w, "socket"))
		p->vnc_display = VMM_VNC_SOCKET;
	else
		return cfg_invalid(r, s, "want \"socket\", \"none\" or a group { display = N; }");
	return 0;
}

static void write_vnc_word(struct cfg_buf *b, const struct vmm_profile *p)
{
	cfg_quoted(b, p->vnc_display == VMM_VNC_NONE ? "none" : "socket");
}

static void write_vnc_listen(struct cfg_buf *b, const struct vmm_profile *p)
{
	cfg_quoted(b, profile_vnc_listen(p));
}

static int read_forwards(const struct cfg_reader *r, const config_setting_t *s,
			 struct vmm_profile *p)
{
	char **specs = NULL;
	size_t n = 0;
	if (cfg_get_strv(r, s, &specs, &n) < 0)
		return -1;
	int rc = profile_set_forward_list(p, specs, n);
	cfg_strv_free(specs, n);
	return rc < 0 ? cfg_invalid_here(r, s) : 0;
}

static void write_forwards(struct cfg_buf *b, const struct vmm_profile *p)
{
	char **specs = calloc(p->n_forwards + 1, sizeof(char *));
	if (!specs)
		abort();
	for (size_t i = 0; i < p->n_forwards; i++) {
		specs[i] = malloc(PROFILE_FORWARD_LEN);
		if (!specs[i])
			abort();
		profile_format_forward(&p->forwards[i], specs[i]);
	}
	cfg_list(b, specs, p->n_forwards);
	cfg_strv_free(specs, p->n_forwards);
}

/* ---- the table: file order is write order ---- */

#define P struct vmm_profile
#define OPT PROFILE_KEY_OPTIONAL
#define CLR PROFILE_KEY_CLEAR
#define FILE_ PROFILE_KEY_FILE
#define FIXED PROFILE_KEY_FIXED
const struct profile_key profile_keys[] = {
	{ .name = "memory", .field = CFG_F_UINT(P, memory, VMM_MEMORY_MIN, VMM_MEMORY_MAX, " MiB"),
	  .comment = "  # MiB", .set = "memory", .set_alias = "ram", .set_fn = set_memory,
	  .create = "ram", .create_alias = "memory", .metavar = "MIB",
	  .help = "memory in MiB, or with a unit: 2G (default 1024)" },
	{ .name = "cpus", .field = CFG_F_UINT(P, cpus, 1, VMM_CPUS_MAX, NULL), .set = "cpus",
	  .create = "cpus", .metavar = "N", .help = "virtual CPUs (default 1)" },
	{ .group = "disk", .name = "path", .field = CFG_F_STRING(P, disk_path), .flags = FIXED,
	  .set = "disk", .set_alias = "image", .metavar = "FILE",
	  .help = "the disk image, under images/ when relative (fixed at create)" },
	{ .group = "disk", .name = "size", .field = CFG_F_STRING(P, disk_size),
	  .flags = OPT | FIXED, .set = "size", .metavar = "SIZE",
	  .help = "the disk's virtual size (fixed at create)" },
	{ .group = "disk", .name = "backing", .field = CFG_F_STRING(P, backing),
	  .flags = OPT | FIXED, .set = "backing", .metavar = "FILE",
	  .help = "the image an overlay disk is based on (fixed at create)" },
	{ .name = "iso", .field = CFG_F_STRING(P, iso), .flags = OPT | CLR | FILE_, .set = "iso",
	  .create = "iso", .metavar = "FILE",
	  .help = "install ISO (boot it with \"vmm start NAME --install\")" },
	{ .group = "net", .name = "mac", .field = CFG_F_CHARS(P, mac), .read = read_mac,
	  .set = "mac", .set_fn = set_mac, .create = "mac", .metavar = "MAC",
	  .help = "MAC address (default: derived from the name, 52:54:00 prefix)" },
	{ .group = "net", .name = "address", .field = CFG_F_STRING(P, address), .flags = OPT,
	  .set = "address", .set_alias = "ip", .check = check_cidr, .create = "ip",
	  .create_alias = "address", .metavar = "ADDR/PREFIX",
	  .help = "address on the bridge (default: the next free one in net.cfg's subnet)" },
	{ .group = "net", .name = "tap", .field = CFG_F_CHARS(P, tap), .flags = OPT, .set = "tap",
	  .check = check_ifname, .create = "tap", .metavar = "NAME",
	  .help = "tap interface name (default vmm-NAME, cut to 15 characters)" },
	{ .name = "vnc", .field = CFG_F_CUSTOM,
	  .comment = "  # \"socket\": the screen for vmm vnc only; \"none\": serial console only",
	  .present = no_display, .read = read_vnc_word, .write = write_vnc_word },
	{ .group = "vnc", .name = "display",
	  .field = CFG_F_INT(P, vnc_display, 0, VMM_VNC_MAX, NULL),
	  .present = has_display, .set = "vnc", .set_fn = set_vnc, .create = "vnc",
	  .metavar = ":N|socket|none",
	  .help = "the screen: socket (the default: a unix socket in the guest's private run "
		  "folder, for vmm vnc), :N a TCP display on port 5900+N (N up to "
		  VMM_VNC_MAX_STR "), or none: a headless guest, serial console only" },
	{ .group = "vnc", .name = "listen", .field = CFG_F_STRING(P, vnc_listen),
	  .present = has_display, .write = write_vnc_listen, .set = "vnc.listen",
	  .set_alias = "vnc_listen", .what = "vnc listen", .check = check_ipv4,
	  .create = "vnc-listen", .metavar = "ADDR",
	  .help = "address a TCP display listens on (default " VNC_DEFAULT_LISTEN
		  "; elsewhere it gets a password)" },
	{ .group = "vnc", .name = "password_file", .field = CFG_F_STRING(P, vnc_password_file),
	  .flags = OPT | CLR | FILE_, .present = has_display, .set = "vnc.password_file",
	  .set_alias = "vnc_password_file", .what = "vnc password file",
	  .create = "vnc-password-file", .metavar = "FILE",
	  .help = "require this VNC password on a TCP display (the file's first line); else a "
		  "display off loopback gets one vmm makes (vmm vnc NAME --password)" },
	{ .name = "autostart", .field = CFG_F_BOOL(P, autostart), .flags = OPT, .set = "autostart",
	  .metavar = "on|off", .help = "start the guest at boot (as vmm autostart does)" },
	{ .name = "stop_timeout",
	  .field = CFG_F_UINT(P, stop_timeout, 1, VMM_STOP_TIMEOUT_MAX, " seconds"), .flags = OPT,
	  .comment = "  # seconds to power off before QEMU is quit", .set = "stop_timeout",
	  .metavar = "SECS", .help = "seconds the guest gets to power off before QEMU is quit "
				     "(default 30)" },
	{ .name = "kernel", .field = CFG_F_STRING(P, kernel), .flags = OPT | CLR | FILE_,
	  .set = "kernel", .create = "kernel", .metavar = "FILE",
	  .help = "boot this kernel directly (with initrd and append)" },
	{ .name = "initrd", .field = CFG_F_STRING(P, initrd), .flags = OPT | CLR | FILE_,
	  .set = "initrd", .create = "initrd", .metavar = "FILE",
	  .help = "initramfs for the kernel" },
	{ .name = "append", .field = CFG_F_STRING(P, append), .flags = OPT | CLR, .set = "append",
	  .create = "append", .metavar = "STR", .help = "the kernel's command line" },
	{ .name = "hostname", .field = CFG_F_STRING(P, hostname), .flags = OPT | CLR,
	  .set = "hostname", .create = "hostname", .metavar = "NAME",
	  .help = "guest host name (default: the guest name)" },
	{ .name = "backend", .field = CFG_F_STRING(P, backend), .flags = OPT, .set = "backend",
	  .create = "backend", .metavar = "B", .choices = "qemu|libvirt",
	  .help = "qemu (default) or libvirt" },
	{ .name = "network", .field = CFG_F_STRING(P, network), .flags = OPT, .set = "network",
	  .create = "network", .metavar = "bridge|user", .choices = "bridge|user",
	  .help = "bridge (default): on net.cfg's bridge (the host's as root, a namespace of your "
		  "own without root); user: the guest alone behind its own passt (DHCP, DNS, IPv6 "
		  "from passt, forwards as passt's ports, no net up; libvirt: qemu:///session)" },
	{ .name = "uri", .field = CFG_F_STRING(P, uri), .flags = OPT | CLR, .set = "uri",
	  .create = "uri", .metavar = "URI",
	  .help = "libvirt connection URI (default qemu:///system)" },
	{ .name = "user", .field = CFG_F_STRING(P, user), .flags = OPT | CLR, .set = "user",
	  .check = check_user, .metavar = "USER",
	  .help = "the login vmm ssh uses (the image's default user)" },
	{ .name = "ssh_identity", .field = CFG_F_STRING(P, ssh_identity), .flags = OPT | CLR,
	  .set = "ssh_identity", .check = check_absolute, .metavar = "FILE",
	  .help = "the private key vmm ssh uses (an absolute path)" },
	{ .name = "ssh_keys", .field = CFG_F_LIST(P, ssh_keys, n_ssh_keys),
	  .flags = OPT | FILE_ | PROFILE_KEY_ADD, .set = "ssh_key", .set_alias = "ssh-key",
	  .set_fn = add_ssh_key, .create = "ssh-key", .metavar = "FILE",
	  .help = "add this OpenSSH public key to the guest's (repeatable)" },
	{ .name = "dns", .field = CFG_F_LIST(P, dns, n_dns),
	  .flags = OPT | PROFILE_KEY_KEEP_EMPTY | CLR, .set = "dns", .check = check_ipv4,
	  .create = "dns", .metavar = "LIST",
	  .help = "DNS servers for this guest, comma separated (default: net.cfg's)" },
	{ .name = "runcmd", .field = CFG_F_LIST(P, runcmd, n_runcmd),
	  .flags = OPT | PROFILE_KEY_ADD,
	  .set = "runcmd", .create = "runcmd", .metavar = "CMD",
	  .help = "add a command cloud-init runs at first boot (repeatable)" },
	{ .name = "forward", .field = CFG_F_CUSTOM, .flags = CLR, .present = has_forwards,
	  .read = read_forwards, .write = write_forwards, .set = "forward", .set_fn = set_forward,
	  .create = "forward", .metavar = "[PROTO:][ADDR:]HOSTPORT:GUESTPORT[!]",
	  .help = "forward a host port to the guest: tcp (default) or udp, from every host address "
		  "or ADDR only; a port a host process listens on, or below 1024, only with a "
		  "trailing '!' (create: repeatable; set: the whole list, comma separated; see "
		  "vmm forward)" },
	{ .name = "shares", .field = CFG_F_LIST(P, shares, n_shares),
	  .flags = OPT | CLR | PROFILE_KEY_ADD, .read = read_shares, .set = "share",
	  .set_fn = set_share, .create = "share", .metavar = "HOSTDIR[:TAG][:ro]",
	  .help = "share a host folder, mounted in the guest at /mnt/TAG (TAG: the folder's name "
		  "by default): virtiofs as root, 9p with :ro, :9p or without root (repeatable; "
		  "set: adds one, share= removes all)" },
	{ .name = "firmware", .field = CFG_F_STRING(P, firmware), .flags = OPT | CLR,
	  .set = "firmware", .create = "firmware", .metavar = "KIND",
	  .choices = "bios|uefi|uefi-secure",
	  .help = "bios (default), uefi (OVMF on q35, the guest's own variables) or uefi-secure "
		  "(Secure Boot on, Microsoft's keys enrolled)" },
	{ .name = "tpm", .field = CFG_F_BOOL(P, tpm), .flags = OPT, .set = "tpm", .create = "tpm",
	  .metavar = "on|off",
	  .help = "a TPM 2.0 (swtpm, its state kept with the guest); a bare --tpm is on" },
};
#undef FIXED
#undef FILE_
#undef CLR
#undef OPT
#undef P
const size_t profile_n_keys = ARRAY_SIZE(profile_keys);

const struct profile_key *profile_key_find(const char *set_name)
{
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		if (k->set && (!strcmp(set_name, k->set) ||
			       (k->set_alias && !strcmp(set_name, k->set_alias))))
			return k;
	}
	return NULL;
}

bool profile_key_settable(const struct profile_key *k)
{
	return k->set && !(k->flags & PROFILE_KEY_FIXED);
}

const char *profile_key_what(const struct profile_key *k)
{
	return k->what ? k->what : k->set;
}

int profile_key_choice(const struct profile_key *k, const char *value)
{
	if (cfg_choice_ok(k->choices, value))
		return 0;
	struct cfg_buf b = { 0 };
	cfg_choice_words(&b, k->choices, false);
	int rc = vmm_invalid("%s \"%s\": use %s", profile_key_what(k), value, b.s);
	free(b.s);
	return rc;
}

/* ---- `vmm set` ---- */

/* A list key: add one value (PROFILE_KEY_ADD), or replace the list with a comma separated one,
 * each item checked ("" or no items: none). */
static int set_list(const struct profile_key *k, struct vmm_profile *p, const char *value)
{
	char ***list = (char ***)((char *)p + k->field.off);
	size_t *n = (size_t *)((char *)p + k->field.count_off);
	char **v = NULL;
	size_t nv = 0;
	if (k->flags & PROFILE_KEY_ADD) {
		cfg_strv_push(list, n, util_strdup(value));
		return 0;
	}
	cfg_split_list(value, &v, &nv);
	for (size_t i = 0; i < nv; i++)
		if (k->check && k->check(profile_key_what(k), v[i]) < 0) {
			cfg_strv_free(v, nv);
			return -1;
		}
	cfg_strv_free(*list, *n);
	*list = nv ? v : NULL;
	*n = nv;
	if (!nv)
		cfg_strv_free(v, 0);
	return 0;
}

/* A key without set_fn: check the value, then store it by the field's type. */
static int set_by_type(const struct profile_key *k, struct vmm_profile *p, const char *value)
{
	const char *what = profile_key_what(k);
	void *field = (char *)p + k->field.off;
	bool clear = !*value && (k->flags & PROFILE_KEY_CLEAR);
	unsigned long v;
	if (k->field.type == CFG_LIST)
		return set_list(k, p, value);
	if (!clear && ((k->check && k->check(what, value) < 0) ||
		       (k->choices && profile_key_choice(k, value) < 0) ||
		       ((k->flags & PROFILE_KEY_FILE) && util_check_readable(what, value) < 0)))
		return -1;
	switch (k->field.type) {
	case CFG_UINT:
		if (util_parse_uint(what, value, (unsigned long)k->field.min,
				    (unsigned long)k->field.max, &v) < 0)
			return -1;
		*(unsigned *)field = (unsigned)v;
		return 0;
	case CFG_BOOL:
		if (!strcmp(value, "on") || !strcmp(value, "true") || !strcmp(value, "yes"))
			*(bool *)field = true;
		else if (!strcmp(value, "off") || !strcmp(value, "false") || !strcmp(value, "no"))
			*(bool *)field = false;
		else
			return vmm_invalid("%s %s: want on or off", what, value);
		return 0;
	case CFG_STRING:
		cfg_set_str(field, clear ? NULL : value);
		return 0;
	case CFG_CHARS:
		if (strlen(value) >= k->field.size)
			return vmm_invalid("%s %s: at most %zu characters", what, value,
					   k->field.size - 1);
		snprintf(field, k->field.size, "%s", value);
		return 0;
	case CFG_INT:
	case CFG_LIST:
	case CFG_CUSTOM:
		break;
	}
	return vmm_fail("%s: no setter for this key", k->set);
}

int profile_set_key(struct vmm_profile *p, const char *key, const char *value)
{
	const struct profile_key *k = profile_key_find(key);
	if (!k)
		return vmm_invalid("key \"%s\": unknown (see vmm help set)", key);
	if (k->flags & PROFILE_KEY_FIXED)
		return vmm_invalid("%s: cannot be changed after create (use qemu-img resize or a "
				   "new guest)", key);
	if (k->set_fn)
		return k->set_fn(p, key, value);
	return set_by_type(k, p, value);
}

/* ---- init, free ---- */

void profile_init(struct vmm_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->memory = 1024;
	p->cpus = 1;
	p->vnc_display = -1;
}

void profile_free(struct vmm_profile *p)
{
	for (size_t i = 0; i < profile_n_keys; i++)
		cfg_field_free(&profile_keys[i].field, p);
	free(p->forwards);
	profile_init(p);
}

/* ---- reading ---- */

/* The row of a key in the file: in group (NULL: the top level). */
static const struct profile_key *file_key(const char *group, const char *name)
{
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		if ((group ? k->group && !strcmp(group, k->group) : !k->group) &&
		    !strcmp(name, k->name))
			return k;
	}
	return NULL;
}

static bool is_group(const char *name)
{
	for (size_t i = 0; i < profile_n_keys; i++)
		if (profile_keys[i].group && !strcmp(profile_keys[i].group, name))
			return true;
	return false;
}

/* One key from the file: its value, then (a string with choices) one of them. */
static int read_key(const struct profile_key *k, const struct cfg_reader *r,
		    const config_setting_t *s, struct vmm_profile *p)
{
	if (k->read)
		return k->read(r, s, p);
	if (cfg_read_field(r, s, &k->field, p) < 0)
		return -1;
	const char *v = k->field.type == CFG_STRING ? *(char **)((char *)p + k->field.off) : NULL;
	if (k->choices && v && profile_key_choice(k, v) < 0)
		return cfg_invalid_here(r, s);
	return 0;
}

static int read_group(const struct cfg_reader *r, const config_setting_t *g,
		      struct vmm_profile *p)
{
	const char *gname = config_setting_name(g);
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const struct profile_key *k = file_key(gname, config_setting_name(s));
		if ((k ? read_key(k, r, s, p) : cfg_unknown(r, s, gname)) < 0)
			return -1;
	}
	return 0;
}

/* One top-level setting: a group of keys, a key (vnc = "none" beside the vnc group), or not
 * known. */
static int read_setting(const struct cfg_reader *r, const config_setting_t *s,
			struct vmm_profile *p)
{
	const char *name = config_setting_name(s);
	const struct profile_key *k = NULL;
	if (config_setting_type(s) == CONFIG_TYPE_GROUP && is_group(name))
		return read_group(r, s, p);
	if ((k = file_key(NULL, name)))
		return read_key(k, r, s, p);
	if (is_group(name))
		return cfg_want_group(r, s);
	return cfg_unknown(r, s, NULL);
}

/* What create would have chosen for values a hand-written profile leaves out. */
static int fill_defaults(struct vmm_profile *p, const char *filename)
{
	if (!p->disk_path)
		p->disk_path = util_fmt("%s.qcow2", p->name);
	if (!p->vnc_listen)
		p->vnc_listen = util_strdup(VNC_DEFAULT_LISTEN);
	if (!p->mac[0])
		profile_default_mac(p->name, p->mac);
	if (!p->tap[0])
		snprintf(p->tap, sizeof(p->tap), "vmm-%.*s", VMM_IFNAME_MAX - 4, p->name);
	if (p->vnc_display == -1)
		return vmm_invalid("%s: vnc.display: missing (or vnc = \"socket\" or \"none\")",
				   filename);
	return 0;
}

int profile_parse(const char *text, const char *filename, const char *name, struct vmm_profile *p)
{
	struct cfg_reader r;
	profile_init(p);
	if (profile_check_name(name) < 0)
		return -1;
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (cfg_open(&r, text, filename) < 0)
		return -1;
	int rc = 0;
	config_setting_t *root = config_root_setting(&r.cfg);
	for (int i = 0; rc == 0 && i < config_setting_length(root); i++)
		rc = read_setting(&r, config_setting_get_elem(root, (unsigned)i), p);
	if (rc == 0)
		rc = fill_defaults(p, filename);
	cfg_close(&r);
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

/* ---- writing ---- */

static bool written(const struct profile_key *k, const struct vmm_profile *p)
{
	if (k->present && !k->present(p))
		return false;
	if (k->flags & PROFILE_KEY_OPTIONAL)
		return cfg_field_set(&k->field, p, k->flags & PROFILE_KEY_KEEP_EMPTY);
	return true;
}

/* Top-level keys as "KEY = VALUE;COMMENT\n", a group's as "GROUP = { KEY = VALUE; ... };\n". */
char *profile_format(const struct vmm_profile *p)
{
	struct cfg_buf b = { 0 };
	const char *open = NULL; /* the group being written */
	cfg_add(&b, "# vmm profile for guest \"%s\"\n", p->name);
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		if (!written(k, p))
			continue;
		if (open && k->group && !strcmp(open, k->group)) {
			cfg_add(&b, "; ");
		} else {
			if (open)
				cfg_add(&b, "; };\n");
			open = k->group;
			if (open)
				cfg_add(&b, "%s = { ", open);
		}
		cfg_add(&b, "%s = ", k->name);
		if (k->write)
			k->write(&b, p);
		else
			cfg_write_field(&b, &k->field, p);
		if (!open)
			cfg_add(&b, ";%s\n", k->comment ? k->comment : "");
	}
	if (open)
		cfg_add(&b, "; };\n");
	return b.s;
}

// SPDX-License-Identifier: MIT
/* cmd/profile.c: vmm create, list, show, set and delete: the profile store from the command line */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vmm/lifecycle.h"
#include "vmm/cmd.h"
#include "vmm/disk.h"
#include "vmm/error.h"
#include "vmm/image.h"
#include "vmm/profile.h"
#include "vmm/sshkey.h"
#include "vmm/store.h"
#include "vmm/util.h"

#define DEFAULT_SIZE "20G"

const char cmd_create_usage[] = "create NAME [options]";
const char cmd_create_summary[] =
	"create a guest: write its profile and a new qcow2 disk (never overwriting one)";
const char cmd_create_help[] =
	"  --iso FILE       install ISO (boot it with \"vmm start NAME --install\")\n"
	"  --image NAME|FILE  base the disk on this image (a qcow2 overlay): an image NAME from\n"
	"                   \"vmm image list\" (pulled and verified when not cached yet; the profile\n"
	"                   gets its default user) or a FILE (a path, or an existing file)\n"
	"  --size SIZE      virtual disk size: 40G, 512M, 1T (default 20G, or the image's size)\n"
	"  --ram MIB        memory in MiB, or with a unit: 2G (default 1024)\n"
	"  --cpus N         virtual CPUs (default 1)\n"
	"  --mac MAC        MAC address (default: derived from the name, 52:54:00 prefix)\n"
	"  --ip ADDR/PREFIX  address on the bridge (default: the next free one in net.cfg's subnet)\n"
	"  --vnc :N         VNC display, port 5900+N on 127.0.0.1 (default: the lowest free one)\n"
	"  --vnc-listen ADDR  address VNC listens on (default 127.0.0.1)\n"
	"  --vnc-password-file FILE  require this VNC password (the file's first line)\n"
	"  --ssh-key FILE   OpenSSH public key for the guest (repeatable); default: ~/.ssh/\n"
	"                   id_ed25519.pub, id_ecdsa.pub or id_rsa.pub, else a key pair vmm makes\n"
	"                   once for the home (HOME/images/ssh/id_ed25519)\n"
	"  --kernel FILE    boot this kernel directly (with --initrd FILE and --append STR)\n"
	"  --initrd FILE    initramfs for --kernel\n"
	"  --append STR     kernel command line for --kernel\n"
	"  --hostname NAME  guest host name (default: the guest name)\n"
	"  --dns LIST       DNS servers for this guest, comma separated (default: net.cfg's)\n"
	"  --runcmd CMD     a command cloud-init runs at first boot (repeatable)\n"
	"  --tap NAME       tap interface name (default vmm-NAME, cut to 15 characters)\n"
	"  --backend B      qemu (default) or libvirt\n"
	"  --uri URI        libvirt connection URI (default qemu:///system)\n"
	"  --reuse-disk     adopt an existing disk image at the disk path instead of refusing\n";

const char cmd_list_usage[] = "list";
const char cmd_list_summary[] = "list guests: NAME STATE RAM CPUS DISK IP MAC VNC BACKEND";
const char cmd_list_help[] = "  --json           print a JSON array\n";

const char cmd_show_usage[] = "show NAME";
const char cmd_show_summary[] = "show a guest's profile, paths and state";
const char cmd_show_help[] = "  --json           print a JSON object\n";

const char cmd_set_usage[] = "set NAME KEY=VALUE...";
const char cmd_set_summary[] = "change profile values, validated like create";
const char cmd_set_help[] =
	"keys: memory (or ram), cpus, mac, address (or ip), vnc, vnc.listen, vnc.password_file,\n"
	"iso, kernel, initrd, append, hostname, dns, ssh_key (adds a key file), runcmd (adds one),\n"
	"tap, backend, uri, user (the login of vmm ssh), ssh_identity (its private key); an empty\n"
	"value clears iso, kernel, initrd, append, hostname, uri, dns, user, ssh_identity.\n"
	"Changes apply at the next start.\n";

const char cmd_delete_usage[] = "delete NAME [--purge]";
const char cmd_delete_summary[] =
	"delete a guest's profile (the disk is kept unless --purge); refused while it runs";
const char cmd_delete_help[] =
	"  --purge          also remove the disk, the seed ISO and the guest's SSH host keys\n";

/* ---- shared bits ---- */

/* The state as the guest's backend sees it; stopped when it cannot tell. */
static void guest_status(const struct vmm_home *h, const struct vmm_profile *p,
			 struct vmm_status *st)
{
	lifecycle_status_any(h, p, st);
}

static const char *backend_name(const struct vmm_profile *p)
{
	return p->backend ? p->backend : "qemu";
}

static json_object *profile_json(const struct vmm_home *h, const struct vmm_profile *p,
				 const struct vmm_status *st)
{
	json_object *o = json_object_new_object();
	char *disk = store_disk_path(h, p);
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "state", json_object_new_string(store_state_name(st->state)));
	if (st->pid > 0)
		json_object_object_add(o, "pid", json_object_new_int(st->pid));
	json_object_object_add(o, "memory_mib", json_object_new_int((int)p->memory));
	json_object_object_add(o, "cpus", json_object_new_int((int)p->cpus));
	json_object_object_add(o, "disk", json_object_new_string(disk));
	if (p->disk_size)
		json_object_object_add(o, "disk_size", json_object_new_string(p->disk_size));
	if (p->backing)
		json_object_object_add(o, "backing", json_object_new_string(p->backing));
	if (p->iso)
		json_object_object_add(o, "iso", json_object_new_string(p->iso));
	json_object_object_add(o, "mac", json_object_new_string(p->mac));
	if (p->address)
		json_object_object_add(o, "address", json_object_new_string(p->address));
	json_object_object_add(o, "tap", json_object_new_string(p->tap));
	json_object_object_add(o, "vnc_display", json_object_new_int(p->vnc_display));
	char vnc[96];
	snprintf(vnc, sizeof(vnc), "%s:%d", p->vnc_listen, 5900 + p->vnc_display);
	json_object_object_add(o, "vnc", json_object_new_string(vnc));
	if (p->kernel)
		json_object_object_add(o, "kernel", json_object_new_string(p->kernel));
	if (p->initrd)
		json_object_object_add(o, "initrd", json_object_new_string(p->initrd));
	if (p->append)
		json_object_object_add(o, "append", json_object_new_string(p->append));
	json_object_object_add(o, "backend", json_object_new_string(backend_name(p)));
	if (p->uri)
		json_object_object_add(o, "uri", json_object_new_string(p->uri));
	json_object_object_add(o, "host", json_object_new_string(st->host[0] ? st->host : "local"));
	free(disk);
	return o;
}

static int print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return cmd_flush();
}

/* Exactly one positional NAME after the options. */
static int one_name(const char *cmd, int argc, char **argv, const char **name)
{
	if (optind >= argc)
		return cmd_usage_error(cmd, "missing NAME");
	if (optind + 1 < argc)
		return cmd_usage_error(cmd, "unexpected argument \"%s\"", argv[optind + 1]);
	*name = argv[optind];
	if (profile_check_name(*name) < 0)
		return cmd_report();
	return 0;
}

/* ---- create ---- */

struct create_opts {
	const char *iso, *image, *size, *kernel, *initrd;
	bool reuse_disk;
	char *image_path;   /* --image NAME: the cached copy (pulled before the lock) */
	char *image_user;   /* its default user */
	char *identity;     /* the private half of the guest's SSH key, when known */
	char *default_pub;  /* the default public key file, when no --ssh-key was given */
};

enum {
	O_ISO = 256, O_IMAGE, O_SIZE, O_RAM, O_CPUS, O_MAC, O_IP, O_VNC, O_VNC_LISTEN, O_VNC_PW,
	O_SSH, O_KERNEL, O_INITRD, O_APPEND, O_HOSTNAME, O_DNS, O_RUNCMD, O_TAP, O_BACKEND, O_URI,
	O_REUSE, O_PURGE,
};

static const struct option create_longopts[] = {
	{ "iso", required_argument, NULL, O_ISO },
	{ "image", required_argument, NULL, O_IMAGE },
	{ "size", required_argument, NULL, O_SIZE },
	{ "ram", required_argument, NULL, O_RAM },
	{ "memory", required_argument, NULL, O_RAM },
	{ "cpus", required_argument, NULL, O_CPUS },
	{ "mac", required_argument, NULL, O_MAC },
	{ "ip", required_argument, NULL, O_IP },
	{ "address", required_argument, NULL, O_IP },
	{ "vnc", required_argument, NULL, O_VNC },
	{ "vnc-listen", required_argument, NULL, O_VNC_LISTEN },
	{ "vnc-password-file", required_argument, NULL, O_VNC_PW },
	{ "ssh-key", required_argument, NULL, O_SSH },
	{ "kernel", required_argument, NULL, O_KERNEL },
	{ "initrd", required_argument, NULL, O_INITRD },
	{ "append", required_argument, NULL, O_APPEND },
	{ "hostname", required_argument, NULL, O_HOSTNAME },
	{ "dns", required_argument, NULL, O_DNS },
	{ "runcmd", required_argument, NULL, O_RUNCMD },
	{ "tap", required_argument, NULL, O_TAP },
	{ "backend", required_argument, NULL, O_BACKEND },
	{ "uri", required_argument, NULL, O_URI },
	{ "reuse-disk", no_argument, NULL, O_REUSE },
	{ NULL, 0, NULL, 0 },
};

/* KEY=VALUE pairs gathered from the options, applied through profile_set_key like `vmm set`. */
struct kv {
	const char *key, *value;
};

static int absolute(const char *what, const char *path, char **out)
{
	char *abs = realpath(path, NULL);
	if (!abs)
		return vmm_invalid("%s %s: %s", what, path, util_strerror(errno));
	*out = abs;
	return 0;
}

static int create_resolve(const char *name, struct kv *kvs, size_t nkv,
			  const struct create_opts *o, const struct vmm_netcfg *net,
			  const struct vmm_profile *others, size_t n_others, struct vmm_profile *p)
{
	profile_init(p);
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->vnc_listen = util_strdup("127.0.0.1");
	for (size_t i = 0; i < nkv; i++) {
		const char *v = kvs[i].value;
		char *abs = NULL;
		if (!strcmp(kvs[i].key, "address") && !strchr(v, '/')) {
			/* a bare address takes the bridge's prefix */
			abs = util_fmt("%s/%u", v, net->prefix);
			v = abs;
		} else if (!strcmp(kvs[i].key, "iso") || !strcmp(kvs[i].key, "kernel") ||
			   !strcmp(kvs[i].key, "initrd") ||
			   !strcmp(kvs[i].key, "vnc.password_file")) {
			if (util_check_readable(!strcmp(kvs[i].key, "vnc.password_file")
							? "vnc password file"
							: kvs[i].key,
						v) < 0 ||
			    absolute(kvs[i].key, v, &abs) < 0)
				return -1;
			v = abs;
		}
		int rc = profile_set_key(p, kvs[i].key, v);
		free(abs);
		if (rc < 0)
			return -1;
	}
	if (o->image_path) {
		p->backing = util_strdup(o->image_path);
	} else if (o->image) {
		if (util_check_readable("image", o->image) < 0 ||
		    absolute("image", o->image, &p->backing) < 0)
			return -1;
	}
	if (o->image_user && !p->user)
		p->user = util_strdup(o->image_user);
	if (o->identity)
		p->ssh_identity = util_strdup(o->identity);
	if (o->size) {
		uint64_t bytes;
		if (util_parse_size("size", o->size, &bytes) < 0)
			return -1;
		p->disk_size = util_strdup(o->size);
	} else if (!o->image && !o->reuse_disk)
		p->disk_size = util_strdup(DEFAULT_SIZE);
	p->disk_path = util_fmt("%s.qcow2", name);
	if (!p->mac[0]) {
		profile_default_mac(name, p->mac);
		/* a hash collision with another guest: step the last octets until free */
		for (unsigned k = 1; k < 65536; k++) {
			bool clash = false;
			for (size_t i = 0; i < n_others && !clash; i++)
				clash = !strcasecmp(others[i].mac, p->mac);
			if (!clash)
				break;
			char salted[VMM_NAME_MAX + 16];
			snprintf(salted, sizeof(salted), "%s#%u", name, k);
			profile_default_mac(salted, p->mac);
		}
	}
	if (!p->address && profile_pick_address(net, others, n_others, &p->address) < 0)
		return -1;
	if (p->vnc_display < 0 && profile_pick_vnc(others, n_others, &p->vnc_display) < 0)
		return -1;
	if (!p->tap[0])
		profile_pick_tap(name, others, n_others, p->tap);
	if (profile_validate(p, net) < 0 || profile_check_conflicts(p, others, n_others) < 0)
		return -1;
	return 0;
}

static void create_opts_free(struct create_opts *o)
{
	free(o->image_path);
	free(o->image_user);
	free(o->identity);
	free(o->default_pub);
}

/* Is --image a name from the catalog (not a path, not an existing file)? */
static bool image_is_name(const char *image)
{
	return !strchr(image, '/') && !util_exists(image);
}

/* --image NAME: the cached copy, pulled first when there is none. Returns 0 or the exit code. */
static int create_image(struct vmm_ctx *ctx, struct create_opts *o)
{
	if (!o->image || !image_is_name(o->image))
		return 0;
	/* the name must be known (catalog or home) even when a copy is cached */
	struct image_catalog c;
	if (image_catalog_load(&ctx->home, NULL, &c) < 0)
		return cmd_report();
	const struct image_entry *e = image_find(&c, o->image);
	if (e)
		o->image_user = util_strdup(e->user);
	image_catalog_free(&c);
	if (!e)
		return cmd_error(VMM_EINVAL, "image %s: no such file, and no image of that name (see "
				 "vmm image list)", o->image);
	/* a copy already cached is used as it is (no network); else it is pulled */
	struct image_cached *cl = NULL;
	size_t n = 0;
	if (image_cached_list(&ctx->home, o->image, &cl, &n) < 0)
		return cmd_report();
	if (n)
		o->image_path = util_strdup(cl[0].path);
	image_cached_free(cl, n);
	if (n)
		return 0;
	if (ctx->dry_run) {
		o->image_path = util_fmt("%s/cache/%s-DIGEST.img", ctx->home.images, o->image);
		printf("# would pull image %s\n", o->image);
		return 0;
	}
	if (cmd_image_fetch(ctx, o->image, &o->image_path, NULL) < 0)
		return cmd_report();
	return 0;
}

/* Before the home lock (both can take long): the image by name, pulled into the cache when
 * needed, then the default SSH key when none is given. Returns 0 or the exit code. */
static int create_keys_and_image(struct vmm_ctx *ctx, struct create_opts *o, struct kv *kvs,
				 size_t *nkv, size_t max)
{
	int rc = create_image(ctx, o);
	if (rc)
		return rc;
	const char *first_key = NULL;
	for (size_t i = 0; i < *nkv; i++)
		if (!strcmp(kvs[i].key, "ssh_key") && !first_key)
			first_key = kvs[i].value;
	if (first_key) {
		/* the private half beside FILE.pub is what vmm ssh uses */
		size_t l = strlen(first_key);
		if (l > 4 && !strcmp(first_key + l - 4, ".pub")) {
			char *k = util_fmt("%.*s", (int)(l - 4), first_key);
			if (util_exists(k) && absolute("ssh key", k, &o->identity) < 0)
				vmm_error_clear();
			free(k);
		}
	} else {
		char *pub = NULL, *priv = NULL;
		bool made = false;
		int r = sshkey_default_identity(&ctx->home, !ctx->dry_run, &pub, &priv, &made);
		if (r < 0)
			return cmd_report();
		if (r > 0) {
			cmd_note(ctx, "# would make an SSH key pair for this home (%s/ssh/id_ed25519)",
				 ctx->home.images);
		} else {
			if (made)
				cmd_note(ctx, "vmm: made an SSH key pair for this home: %s (vmm ssh uses it)",
					 priv);
			if (*nkv == max) {
				free(pub);
				free(priv);
				return cmd_usage_error("create", "too many options");
			}
			/* kvs points at pub; o owns it (default_pub) */
			kvs[*nkv].key = "ssh_key";
			kvs[(*nkv)++].value = pub;
			o->default_pub = pub;
			o->identity = priv;
		}
	}
	return 0;
}

int cmd_create(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct create_opts o = { 0 };
	struct kv kvs[64];
	size_t nkv = 0;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", create_longopts, NULL)) != -1) {
		const char *key = NULL;
		switch (c) {
		case O_ISO: key = "iso"; o.iso = optarg; break;
		case O_IMAGE: o.image = optarg; break;
		case O_SIZE: o.size = optarg; break;
		case O_RAM: key = "memory"; break;
		case O_CPUS: key = "cpus"; break;
		case O_MAC: key = "mac"; break;
		case O_IP: key = "address"; break;
		case O_VNC: key = "vnc"; break;
		case O_VNC_LISTEN: key = "vnc.listen"; break;
		case O_VNC_PW: key = "vnc.password_file"; break;
		case O_SSH: key = "ssh_key"; break;
		case O_KERNEL: key = "kernel"; o.kernel = optarg; break;
		case O_INITRD: key = "initrd"; o.initrd = optarg; break;
		case O_APPEND: key = "append"; break;
		case O_HOSTNAME: key = "hostname"; break;
		case O_DNS: key = "dns"; break;
		case O_RUNCMD: key = "runcmd"; break;
		case O_TAP: key = "tap"; break;
		case O_BACKEND: key = "backend"; break;
		case O_URI: key = "uri"; break;
		case O_REUSE: o.reuse_disk = true; break;
		case ':': return cmd_usage_error("create", "%s needs a value", argv[optind - 1]);
		default: return cmd_usage_error("create", "unknown option \"%s\"", argv[optind - 1]);
		}
		if (key) {
			if (nkv == sizeof(kvs) / sizeof(kvs[0]))
				return cmd_usage_error("create", "too many options");
			kvs[nkv].key = key;
			kvs[nkv++].value = optarg;
		}
	}
	const char *name;
	int rc = one_name("create", argc, argv, &name);
	if (rc)
		return rc;
	if (o.image && o.reuse_disk)
		return cmd_usage_error("create", "--image and --reuse-disk exclude each other");
	if (store_exists(&ctx->home, name))
		return cmd_error(VMM_EINVAL, "%s: already exists (see vmm show %s)", name, name);
	rc = create_keys_and_image(ctx, &o, kvs, &nkv, sizeof(kvs) / sizeof(kvs[0]));
	if (rc) {
		create_opts_free(&o);
		return rc;
	}

	struct vmm_netcfg net;
	struct vmm_profile p, *others = NULL;
	size_t n_others = 0;
	char *disk = NULL, *cfg = NULL, *text = NULL;
	bool made_disk = false;
	int lock = -1;
	profile_init(&p);
	rc = VMM_EFAIL;
	if (store_load_net(&ctx->home, &net) < 0) {
		rc = cmd_report();
		goto out_net;
	}
	lock = store_lock(&ctx->home);
	if (lock < 0 || store_load_all(&ctx->home, &others, &n_others) < 0) {
		rc = cmd_report();
		goto out;
	}
	if (store_exists(&ctx->home, name)) {
		rc = cmd_error(VMM_EINVAL, "%s: already exists (see vmm show %s)", name, name);
		goto out;
	}
	if (create_resolve(name, kvs, nkv, &o, &net, others, n_others, &p) < 0) {
		rc = cmd_report();
		goto out;
	}
	disk = store_disk_path(&ctx->home, &p);
	cfg = store_profile_path(&ctx->home, name);
	if (o.reuse_disk) {
		if (util_check_readable("disk", disk) < 0) {
			rc = cmd_report();
			goto out;
		}
		char *fmt = NULL;
		if (disk_info(disk, &fmt, NULL) < 0) {
			rc = cmd_report();
			goto out;
		}
		free(fmt);
	} else if (access(disk, F_OK) == 0) {
		rc = cmd_error(VMM_EINVAL,
			       "disk %s: already exists (not overwriting; use --reuse-disk to adopt it)",
			       disk);
		goto out;
	}
	text = profile_format(&p);
	if (ctx->dry_run) {
		printf("# would write %s\n%s", cfg, text);
		if (!o.reuse_disk) {
			uint64_t bytes = 0;
			if (p.disk_size)
				util_parse_size("size", p.disk_size, &bytes);
			if (p.backing)
				printf("# would run: qemu-img create -q -f qcow2 -F <format of %s> -b %s %s %" PRIu64 "\n",
				       p.backing, p.backing, disk, bytes);
			else
				printf("# would run: qemu-img create -q -f qcow2 %s %" PRIu64 "\n", disk,
				       bytes);
		}
		rc = cmd_flush();
		goto out;
	}
	/* net.cfg is written once so that the user can see and edit the defaults */
	char *netpath = store_net_path(&ctx->home);
	if (!util_exists(netpath)) {
		char *nt = netcfg_format(&net);
		int w = util_write_file(netpath, nt, strlen(nt), 0644);
		free(nt);
		if (w < 0) {
			free(netpath);
			rc = cmd_report();
			goto out;
		}
	}
	free(netpath);
	if (!o.reuse_disk) {
		uint64_t bytes = 0;
		if (p.disk_size && util_parse_size("size", p.disk_size, &bytes) < 0) {
			rc = cmd_report();
			goto out;
		}
		int d = p.backing ? disk_create_overlay(disk, p.backing, bytes)
				  : disk_create(disk, bytes);
		if (d < 0) {
			rc = cmd_report();
			goto out;
		}
		made_disk = true;
	}
	if (util_write_file(cfg, text, strlen(text), 0644) < 0) {
		rc = cmd_report();
		goto out;
	}
	made_disk = false; /* the profile now owns the disk */
	if (ctx->json) {
		struct vmm_status st = { .state = VMM_STOPPED, .host = "local" };
		rc = print_json(profile_json(&ctx->home, &p, &st));
	} else {
		cmd_note(ctx, "created %s: %s, %u MiB, %u cpu%s, mac %s, address %s, vnc %s:%d, tap %s",
			 name, disk, p.memory, p.cpus, p.cpus == 1 ? "" : "s", p.mac, p.address,
			 p.vnc_listen, p.vnc_display, p.tap);
		rc = 0;
	}
out:
	if (made_disk)
		unlink(disk);
	if (lock >= 0)
		close(lock);
	store_free_all(others, n_others);
	netcfg_free(&net);
out_net:
	profile_free(&p);
	free(text);
	free(disk);
	free(cfg);
	create_opts_free(&o);
	return rc;
}

/* ---- list / show ---- */

static const struct option json_only[] = { { NULL, 0, NULL, 0 } };

static int no_options(const char *cmd, int argc, char **argv)
{
	optind = 0;
	opterr = 0;
	if (getopt_long(argc, argv, ":", json_only, NULL) != -1)
		return cmd_usage_error(cmd, "unknown option \"%s\"", argv[optind - 1]);
	return 0;
}

int cmd_list(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct vmm_profile *ps = NULL;
	size_t n = 0;
	int rc = no_options("list", argc, argv);
	if (rc)
		return rc;
	if (optind < argc)
		return cmd_usage_error("list", "unexpected argument \"%s\"", argv[optind]);
	if (store_load_all(&ctx->home, &ps, &n) < 0)
		return cmd_report();
	json_object *arr = ctx->json ? json_object_new_array() : NULL;
	if (!arr)
		printf("%-16s %-8s %6s %4s %6s %-18s %-17s %-15s %s\n", "NAME", "STATE", "RAM",
		       "CPUS", "DISK", "IP", "MAC", "VNC", "BACKEND");
	for (size_t i = 0; i < n; i++) {
		struct vmm_status st;
		guest_status(&ctx->home, &ps[i], &st);
		if (arr) {
			json_object_array_add(arr, profile_json(&ctx->home, &ps[i], &st));
			continue;
		}
		char ram[16], vnc[80], backend[96];
		if (ps[i].memory % 1024 == 0)
			snprintf(ram, sizeof(ram), "%uG", ps[i].memory / 1024);
		else
			snprintf(ram, sizeof(ram), "%uM", ps[i].memory);
		snprintf(vnc, sizeof(vnc), "%s:%d", ps[i].vnc_listen, ps[i].vnc_display);
		if (st.host[0] && strcmp(st.host, "local"))
			snprintf(backend, sizeof(backend), "%s@%s", backend_name(&ps[i]), st.host);
		else
			snprintf(backend, sizeof(backend), "%s", backend_name(&ps[i]));
		printf("%-16s %-8s %6s %4u %6s %-18s %-17s %-15s %s\n", ps[i].name,
		       store_state_name(st.state), ram, ps[i].cpus,
		       ps[i].disk_size ? ps[i].disk_size : (ps[i].backing ? "overlay" : "-"),
		       ps[i].address ? ps[i].address : "-", ps[i].mac, vnc, backend);
	}
	store_free_all(ps, n);
	return arr ? print_json(arr) : cmd_flush();
}

int cmd_show(struct vmm_ctx *ctx, int argc, char **argv)
{
	const char *name;
	int rc = no_options("show", argc, argv);
	if (rc || (rc = one_name("show", argc, argv, &name)))
		return rc;
	struct vmm_profile p;
	if (store_load(&ctx->home, name, &p) < 0)
		return cmd_report();
	struct vmm_status st;
	guest_status(&ctx->home, &p, &st);
	if (ctx->json) {
		json_object *o = profile_json(&ctx->home, &p, &st);
		char *cfg = store_profile_path(&ctx->home, name);
		json_object_object_add(o, "profile", json_object_new_string(cfg));
		free(cfg);
		profile_free(&p);
		return print_json(o);
	}
	char *cfg = store_profile_path(&ctx->home, name);
	char *disk = store_disk_path(&ctx->home, &p);
	char *seed = store_seed_path(&ctx->home, name);
	char *text = profile_format(&p);
	printf("name:     %s\nstate:    %s", p.name, store_state_name(st.state));
	if (st.pid > 0)
		printf(" (pid %ld)", (long)st.pid);
	printf("\nprofile:  %s\ndisk:     %s%s\nseed:     %s%s\nbackend:  %s%s%s\n\n%s", cfg, disk,
	       util_exists(disk) ? "" : " (missing)", seed, util_exists(seed) ? "" : " (not built yet)",
	       backend_name(&p), p.uri ? " " : "", p.uri ? p.uri : "", text);
	free(text);
	free(seed);
	free(disk);
	free(cfg);
	profile_free(&p);
	return cmd_flush();
}

/* ---- set ---- */

int cmd_set(struct vmm_ctx *ctx, int argc, char **argv)
{
	int rc = no_options("set", argc, argv);
	if (rc)
		return rc;
	if (optind >= argc)
		return cmd_usage_error("set", "missing NAME");
	const char *name = argv[optind++];
	if (profile_check_name(name) < 0)
		return cmd_report();
	if (optind >= argc)
		return cmd_usage_error("set", "missing KEY=VALUE");
	for (int i = optind; i < argc; i++)
		if (!strchr(argv[i], '=') || argv[i][0] == '=')
			return cmd_usage_error("set", "\"%s\": want KEY=VALUE", argv[i]);

	struct vmm_netcfg net;
	struct vmm_profile p, *others = NULL;
	size_t n_others = 0;
	int lock = -1;
	profile_init(&p);
	if (store_load_net(&ctx->home, &net) < 0)
		return cmd_report();
	rc = VMM_EFAIL;
	lock = store_lock(&ctx->home);
	if (lock < 0 || store_load(&ctx->home, name, &p) < 0 ||
	    store_load_all(&ctx->home, &others, &n_others) < 0) {
		rc = cmd_report();
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		char *key = util_strdup(argv[i]);
		char *value = strchr(key, '=');
		*value++ = '\0';
		char *full = NULL;
		if ((!strcmp(key, "address") || !strcmp(key, "ip")) && !strchr(value, '/'))
			value = full = util_fmt("%s/%u", value, net.prefix);
		int e = profile_set_key(&p, key, value);
		free(full);
		free(key);
		if (e < 0) {
			rc = cmd_report();
			goto out;
		}
	}
	if (profile_validate(&p, &net) < 0 || profile_check_conflicts(&p, others, n_others) < 0) {
		rc = cmd_report();
		goto out;
	}
	if (ctx->dry_run) {
		char *text = profile_format(&p);
		fputs(text, stdout);
		free(text);
		rc = cmd_flush();
		goto out;
	}
	if (store_save(&ctx->home, &p) < 0) {
		rc = cmd_report();
		goto out;
	}
	if (store_state(&ctx->home, name, NULL) == VMM_RUNNING)
		cmd_note(ctx, "%s is running: the change applies at its next start", name);
	rc = 0;
out:
	if (lock >= 0)
		close(lock);
	store_free_all(others, n_others);
	profile_free(&p);
	netcfg_free(&net);
	return rc;
}

/* ---- delete ---- */

static const struct option delete_longopts[] = {
	{ "purge", no_argument, NULL, O_PURGE },
	{ NULL, 0, NULL, 0 },
};

int cmd_delete(struct vmm_ctx *ctx, int argc, char **argv)
{
	bool purge = false;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", delete_longopts, NULL)) != -1) {
		if (c == O_PURGE)
			purge = true;
		else
			return cmd_usage_error("delete", "unknown option \"%s\"", argv[optind - 1]);
	}
	const char *name;
	int rc = one_name("delete", argc, argv, &name);
	if (rc)
		return rc;
	struct vmm_profile p;
	int lock = store_lock(&ctx->home);
	if (lock < 0)
		return cmd_report();
	if (store_load(&ctx->home, name, &p) < 0) {
		close(lock);
		return cmd_report();
	}
	struct vmm_status st;
	guest_status(&ctx->home, &p, &st);
	char *cfg = store_profile_path(&ctx->home, name);
	char *disk = store_disk_path(&ctx->home, &p);
	char *seed = store_seed_path(&ctx->home, name);
	char *run = store_run_dir(&ctx->home, name);
	char *keys = sshkey_guest_dir(&ctx->home, name);
	rc = 0;
	if (st.state == VMM_RUNNING) {
		rc = cmd_error(VMM_EFAIL, "%s: is running (stop it first: vmm stop %s)", name, name);
		goto out;
	}
	if (ctx->dry_run) {
		printf("would remove %s\n", cfg);
		if (purge)
			printf("would remove %s\nwould remove %s\nwould remove %s\n", disk, seed, keys);
		rc = cmd_flush();
		goto out;
	}
	if (unlink(cfg) < 0) {
		rc = cmd_error(VMM_EFAIL, "%s: %s", cfg, util_strerror(errno));
		goto out;
	}
	util_rm_rf(run);
	if (purge) {
		if (unlink(seed) < 0 && errno != ENOENT)
			rc = cmd_error(VMM_EFAIL, "%s: %s", seed, util_strerror(errno));
		if (unlink(disk) < 0 && errno != ENOENT)
			rc = cmd_error(VMM_EFAIL, "%s: %s", disk, util_strerror(errno));
		/* a new guest of this name gets new host keys */
		if (util_rm_rf(keys) < 0)
			rc = cmd_report();
	} else if (util_exists(disk)) {
		cmd_note(ctx, "deleted %s; its disk %s is kept (--purge removes it)", name, disk);
	}
out:
	close(lock);
	free(cfg);
	free(disk);
	free(seed);
	free(run);
	free(keys);
	profile_free(&p);
	return rc;
}

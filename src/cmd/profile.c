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
#include "vmm/guest_create.h"
#include "vmm/image.h"
#include "vmm/profile.h"
#include "vmm/sshkey.h"
#include "vmm/store.h"
#include "vmm/util.h"

/* ---- create's options ---- */

struct create_args {
	struct cmd_kvs kvs; /* profile keys, applied in order through profile_set_key like `vmm set` */
	const char *image, *size;
	bool reuse_disk;
};

#define A struct create_args
static const struct cmd_option create_options[] = {
	OPT_KEY_FILE(0, "iso", A, kvs, "iso", "FILE",
		     "install ISO (boot it with \"vmm start NAME --install\")"),
	OPT_FILE(0, "image", A, image, "NAME|FILE",
		 "base the disk on this image (a qcow2 overlay, grown to --size): an image NAME from "
		 "\"vmm image list\" (pulled and verified when not cached yet; the profile gets its "
		 "default user) or a FILE (a path, or an existing file)"),
	OPT_STRING(0, "size", A, size, "SIZE",
		   "virtual disk size: 40G, 512M, 1T (default 20G, or the image's size)"),
	OPT_KEY(0, "ram", A, kvs, "memory", "MIB", "memory in MiB, or with a unit: 2G (default 1024)"),
	OPT_KEY(0, "memory", A, kvs, "memory", "MIB", NULL),
	OPT_KEY(0, "cpus", A, kvs, "cpus", "N", "virtual CPUs (default 1)"),
	OPT_KEY(0, "mac", A, kvs, "mac", "MAC", "MAC address (default: derived from the name, 52:54:00 prefix)"),
	OPT_KEY(0, "ip", A, kvs, "address", "ADDR/PREFIX",
		"address on the bridge (default: the next free one in net.cfg's subnet)"),
	OPT_KEY(0, "address", A, kvs, "address", "ADDR/PREFIX", NULL),
	OPT_KEY(0, "vnc", A, kvs, "vnc", ":N",
		"VNC display, port 5900+N on 127.0.0.1 (default: the lowest free one)"),
	OPT_KEY(0, "vnc-listen", A, kvs, "vnc.listen", "ADDR", "address VNC listens on (default 127.0.0.1)"),
	OPT_KEY_FILE(0, "vnc-password-file", A, kvs, "vnc.password_file", "FILE",
		     "require this VNC password (the file's first line)"),
	OPT_KEY_FILE(0, "ssh-key", A, kvs, "ssh_key", "FILE",
		     "OpenSSH public key for the guest (repeatable); default: ~/.ssh/id_ed25519.pub, "
		     "id_ecdsa.pub or id_rsa.pub, else a key pair vmm makes once for the home "
		     "(HOME/images/ssh/id_ed25519)"),
	OPT_KEY_FILE(0, "kernel", A, kvs, "kernel", "FILE",
		     "boot this kernel directly (with --initrd FILE and --append STR)"),
	OPT_KEY_FILE(0, "initrd", A, kvs, "initrd", "FILE", "initramfs for --kernel"),
	OPT_KEY(0, "append", A, kvs, "append", "STR", "kernel command line for --kernel"),
	OPT_KEY(0, "hostname", A, kvs, "hostname", "NAME", "guest host name (default: the guest name)"),
	OPT_KEY(0, "dns", A, kvs, "dns", "LIST",
		"DNS servers for this guest, comma separated (default: net.cfg's)"),
	OPT_KEY(0, "runcmd", A, kvs, "runcmd", "CMD", "a command cloud-init runs at first boot (repeatable)"),
	OPT_KEY(0, "tap", A, kvs, "tap", "NAME", "tap interface name (default vmm-NAME, cut to 15 characters)"),
	OPT_KEY_CHOICE(0, "backend", A, kvs, "backend", "qemu|libvirt", "B", "qemu (default) or libvirt"),
	OPT_KEY(0, "uri", A, kvs, "uri", "URI", "libvirt connection URI (default qemu:///system)"),
	OPT_FLAG(0, "reuse-disk", A, reuse_disk,
		 "adopt an existing disk image at the disk path instead of refusing"),
	OPT_END,
};
#undef A

const struct cmd_spec cmd_create_spec = {
	.name = "create",
	.args = "NAME",
	.summary = "create a guest: write its profile and a new qcow2 disk (never overwriting one)",
	.options = create_options,
};

/* ---- list, show, set, delete ---- */

struct list_args {
	bool names;
};

static const struct cmd_option list_options[] = {
	OPT_FLAG(0, "names", struct list_args, names,
		 "print only the names, one per line (what the bash completion uses)"),
	OPT_END,
};

const struct cmd_spec cmd_list_spec = {
	.name = "list",
	.summary = "list guests: NAME STATE RAM CPUS DISK IP MAC VNC BACKEND",
	.options = list_options,
	.notes = "With --json, a JSON array of objects.\n",
};

const struct cmd_spec cmd_show_spec = {
	.name = "show",
	.args = "NAME",
	.summary = "show a guest's profile, paths and state",
	.notes = "With --json, one JSON object.\n",
	.complete = CMD_COMPLETE_PROFILE,
};

const struct cmd_spec cmd_set_spec = {
	.name = "set",
	.args = "NAME KEY=VALUE...",
	.summary = "change profile values, validated like create",
	.notes = "keys: memory (or ram), cpus, mac, address (or ip), vnc, vnc.listen, vnc.password_file,\n"
		 "iso, kernel, initrd, append, hostname, dns, ssh_key (adds a key file), runcmd (adds one),\n"
		 "tap, backend, uri, user (the login of vmm ssh), ssh_identity (its private key); an empty\n"
		 "value clears iso, kernel, initrd, append, hostname, uri, dns, user, ssh_identity.\n"
		 "Changes apply at the next start.\n",
	.complete = CMD_COMPLETE_PROFILE,
};

struct delete_args {
	bool purge;
};

static const struct cmd_option delete_options[] = {
	OPT_FLAG(0, "purge", struct delete_args, purge,
		 "also remove the disk, the seed ISO and the guest's SSH host keys"),
	OPT_END,
};

const struct cmd_spec cmd_delete_spec = {
	.name = "delete",
	.args = "NAME",
	.summary = "delete a guest's profile (the disk is kept unless --purge); refused while it runs",
	.options = delete_options,
	.complete = CMD_COMPLETE_PROFILE,
};

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

/* ---- create ---- */

/* What create adds to the command line's values: the image by name, the default SSH key. */
struct create_extra {
	const char *image;  /* --image as given */
	char *image_path;   /* --image NAME: the cached copy (pulled before the lock) */
	bool image_pending; /* dry run: not pulled, image_path is where it would go */
	char *image_user;   /* its default user */
	char *identity;     /* the private half of the guest's SSH key, when known */
	char *default_pub;  /* the default public key file, when no --ssh-key was given */
};

static void create_extra_free(struct create_extra *o)
{
	free(o->image_path);
	free(o->image_user);
	free(o->identity);
	free(o->default_pub);
}

/* realpath with the error slot set. */
static int absolute(const char *what, const char *path, char **out)
{
	char *abs = realpath(path, NULL);
	if (!abs)
		return vmm_invalid("%s %s: %s", what, path, util_strerror(errno));
	*out = abs;
	return 0;
}

/* Is --image a name from the catalog (not a path, not an existing file)? */
static bool image_is_name(const char *image)
{
	return !strchr(image, '/') && !util_exists(image);
}

/* --image NAME: the cached copy, pulled first when there is none. Returns 0 or the exit code. */
static int create_image(struct vmm_ctx *ctx, struct create_extra *o)
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
		o->image_pending = true;
		printf("# would pull image %s\n", o->image);
		return 0;
	}
	if (cmd_image_fetch(ctx, o->image, &o->image_path, NULL) < 0)
		return cmd_report();
	return 0;
}

/* Before the home lock (both can take long): the image by name, pulled into the cache when
 * needed, then the default SSH key when none is given. Returns 0 or the exit code. */
static int create_keys_and_image(struct vmm_ctx *ctx, struct create_extra *o,
				 struct cmd_kvs *kvs)
{
	int rc = create_image(ctx, o);
	if (rc)
		return rc;
	const char *first_key = NULL;
	for (size_t i = 0; i < kvs->n; i++)
		if (!strcmp(kvs->kv[i].key, "ssh_key") && !first_key)
			first_key = kvs->kv[i].value;
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
			if (kvs->n == CMD_KVS_MAX) {
				free(pub);
				free(priv);
				return cmd_usage_error("create", "too many options");
			}
			/* kvs points at pub; o owns it (default_pub) */
			kvs->kv[kvs->n].key = "ssh_key";
			kvs->kv[kvs->n++].value = pub;
			o->default_pub = pub;
			o->identity = priv;
		}
	}
	return 0;
}

int cmd_create(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct create_args o = { 0 };
	const char *name = NULL;
	int rc = cmd_parse(&cmd_create_spec, argc, argv, &o);
	if (rc || (rc = cmd_one_name("create", argc, argv, &name)))
		return rc;
	if (o.image && o.reuse_disk)
		return cmd_usage_error("create", "--image and --reuse-disk exclude each other");
	if (store_exists(&ctx->home, name))
		return cmd_error(VMM_EINVAL, "%s: already exists (see vmm show %s)", name, name);
	struct create_extra x = { .image = o.image };
	rc = create_keys_and_image(ctx, &x, &o.kvs);
	/* the profile records the image's user and the private key vmm ssh uses */
	if (!rc && x.image_user && o.kvs.n < CMD_KVS_MAX)
		o.kvs.kv[o.kvs.n++] = (struct profile_kv){ .key = "user", .value = x.image_user };
	if (!rc && x.identity && o.kvs.n < CMD_KVS_MAX)
		o.kvs.kv[o.kvs.n++] = (struct profile_kv){ .key = "ssh_identity", .value = x.identity };
	if (rc) {
		create_extra_free(&x);
		return rc;
	}
	struct guest_create_req req = {
		.name = name,
		.kvs = o.kvs.kv,
		.n_kvs = o.kvs.n,
		.image = x.image_path ? x.image_path : o.image,
		.image_pending = x.image_pending,
		.size = o.size,
		.reuse_disk = o.reuse_disk,
		.dry_run = ctx->dry_run,
	};
	struct guest_create_result r;
	const struct vmm_profile *p = &r.profile;
	if (guest_create(&ctx->home, &req, &r) < 0) {
		rc = cmd_report();
	} else if (ctx->dry_run) {
		fputs(r.plan, stdout);
		rc = cmd_flush();
	} else if (ctx->json) {
		struct vmm_status st = { .state = VMM_STOPPED, .host = "local" };
		rc = print_json(profile_json(&ctx->home, p, &st));
	} else {
		cmd_note(ctx, "created %s: %s, %u MiB, %u cpu%s, mac %s, address %s, vnc %s:%d, tap %s",
			 name, r.disk, p->memory, p->cpus, p->cpus == 1 ? "" : "s", p->mac, p->address,
			 p->vnc_listen, p->vnc_display, p->tap);
	}
	guest_create_result_free(&r);
	create_extra_free(&x);
	return rc;
}

/* ---- list / show ---- */

/* Commands without options of their own. */
static int no_options(const struct cmd_spec *spec, int argc, char **argv)
{
	return cmd_parse(spec, argc, argv, NULL);
}

int cmd_list(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct vmm_profile *ps = NULL;
	size_t n = 0;
	struct list_args a = { 0 };
	int rc = cmd_parse(&cmd_list_spec, argc, argv, &a);
	if (rc)
		return rc;
	if (optind < argc)
		return cmd_usage_error("list", "unexpected argument \"%s\"", argv[optind]);
	if (store_load_all(&ctx->home, &ps, &n) < 0)
		return cmd_report();
	if (a.names) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", ps[i].name);
		store_free_all(ps, n);
		return cmd_flush();
	}
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
	const char *name = NULL;
	int rc = no_options(&cmd_show_spec, argc, argv);
	if (rc || (rc = cmd_one_name("show", argc, argv, &name)))
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
	int rc = no_options(&cmd_set_spec, argc, argv);
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
	rc = VMM_EFAIL;
	if (store_load_net(&ctx->home, &net) < 0 || (lock = store_lock(&ctx->home)) < 0 ||
	    store_load(&ctx->home, name, &p) < 0 ||
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

int cmd_delete(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct delete_args a = { 0 };
	const char *name = NULL;
	int rc = cmd_parse(&cmd_delete_spec, argc, argv, &a);
	if (rc || (rc = cmd_one_name("delete", argc, argv, &name)))
		return rc;
	bool purge = a.purge;
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

// SPDX-License-Identifier: MIT
/* cmd/profile.c: vmm create, list, show, set and delete: parse, call the guest layer, print */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vmm/config/ipv6.h"
#include "vmm/guest/lifecycle.h"
#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/guest/create.h"
#include "vmm/guest/edit.h"
#include "vmm/storage/image.h"
#include "vmm/config/profile.h"
#include "vmm/config/forward_spec.h"
#include "vmm/config/validate.h"
#include "vmm/config/store.h"
#include "vmm/net/forward.h"
#include "vmm/storage/sshkey.h"
#include "vmm/sys/util.h"

/* ---- create's options ---- */

struct create_args {
	struct cmd_kvs kvs; /* profile keys, applied in order through profile_set_key like `vmm set` */
	const char *image, *size;
	bool reuse_disk;
};

/* The options that are not profile keys; the keys' (--ram, --ip, ...) come from the key table. */
#define A struct create_args
static const struct cmd_option create_fixed[] = {
	OPT_FILE(0, "image", A, image, "NAME|FILE",
		 "base the disk on this image (a qcow2 overlay, grown to --size): an image NAME from "
		 "\"vmm image list\" (pulled and verified when not cached yet; the profile gets its "
		 "default user) or a FILE (a path, or an existing file)"),
	OPT_STRING(0, "size", A, size, "SIZE",
		   "virtual disk size: 40G, 512M, 1T (default 20G, or the image's size)"),
	OPT_FLAG(0, "reuse-disk", A, reuse_disk,
		 "adopt an existing disk image at the disk path instead of refusing"),
	OPT_END,
};

static const struct cmd_option *create_options(void)
{
	static struct cmd_option all[CMD_OPTIONS_MAX];
	if (!all[0].name)
		cmd_keys_table(all, ARRAY_SIZE(all), create_fixed, offsetof(A, kvs), true);
	return all;
}
#undef A

const struct cmd_spec cmd_create_spec = {
	.name = "create",
	.args = "NAME",
	.summary = "create a guest: write its profile and a new qcow2 disk (never overwriting one)",
	.options_fn = create_options,
	.notes = "Without --ssh-key the guest gets ~/.ssh/id_ed25519.pub, id_ecdsa.pub or\n"
		 "id_rsa.pub, else a key pair vmm makes once for the home\n"
		 "(HOME/images/ssh/id_ed25519).\n",
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
	.summary = "list guests: NAME STATE RAM CPUS DISK IP MAC VNC AUTO BACKEND",
	.options = list_options,
	.notes = "With --json, a JSON array of objects. AUTO yes: started at boot (vmm autostart).\n"
		 "STATE invalid: the profile does not load; the rest of the line (JSON: \"reason\") says\n"
		 "FILE:LINE: why. The other guests work as usual.\n",
};

const struct cmd_spec cmd_show_spec = {
	.name = "show",
	.args = "NAME",
	.summary = "show a guest's profile, paths and state",
	.notes = "With --json, one JSON object.\n",
	.complete = CMD_COMPLETE_PROFILE,
};

/* set's KEY=VALUE list: the settable rows of the key table */
static const struct cmd_option *set_keys(void)
{
	static struct cmd_option all[CMD_OPTIONS_MAX];
	if (!all[0].name)
		cmd_keys_table(all, ARRAY_SIZE(all), NULL, 0, false);
	return all;
}

const struct cmd_spec cmd_set_spec = {
	.name = "set",
	.args = "NAME KEY=VALUE...",
	.summary = "change profile values, validated like create",
	.keys_fn = set_keys,
	.notes = "KEY=[VALUE]: an empty value clears the key. Changes apply at the next start;\n"
		 "forwards at once when the network is up.\n",
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

/* The guest's IPv6 (SLAAC) address when net.cfg has an IPv6 /64, else "". */
static void ip6_of(const struct vmm_netcfg *n, const struct vmm_profile *p, char *out)
{
	uint8_t mac[6];
	*out = '\0';
	if (n && n->has_ipv6 && util_parse_mac("mac", p->mac, mac) == 0)
		ipv6_eui64(n->ipv6_prefix, mac, out);
	vmm_error_clear();
}

/* net.cfg for the IPv6 column: NULL when it does not load (no IPv6 shown then). */
static struct vmm_netcfg *net_for_list(const struct vmm_home *h, struct vmm_netcfg *n)
{
	if (store_load_net(h, n) == 0)
		return n;
	vmm_error_clear();
	netcfg_free(n);
	return NULL;
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
	struct vmm_netcfg nb, *n = net_for_list(h, &nb);
	char ip6[IPV6_TEXT_MAX];
	ip6_of(n, p, ip6);
	if (*ip6)
		json_object_object_add(o, "address6", json_object_new_string(ip6));
	if (n)
		netcfg_free(n);
	json_object_object_add(o, "tap", json_object_new_string(p->tap));
	if (!profile_vnc_tcp(p)) {
		json_object_object_add(o, "vnc_display", NULL);
		json_object_object_add(o, "vnc", json_object_new_string(
			p->vnc_display == VMM_VNC_NONE ? "none" : "socket"));
	} else {
		json_object_object_add(o, "vnc_display", json_object_new_int(p->vnc_display));
		char vnc[96];
		snprintf(vnc, sizeof(vnc), "%s:%d", profile_vnc_listen(p), profile_vnc_port(p));
		json_object_object_add(o, "vnc", json_object_new_string(vnc));
	}
	json_object_object_add(o, "autostart", json_object_new_boolean(p->autostart));
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
	if (p->n_forwards) {
		json_object *fw = json_object_new_array();
		for (size_t i = 0; i < p->n_forwards; i++) {
			char spec[PROFILE_FORWARD_LEN];
			profile_format_forward(&p->forwards[i], spec);
			json_object_array_add(fw, json_object_new_string(spec));
		}
		json_object_object_add(o, "forward", fw);
	}
	free(disk);
	return o;
}

static int print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
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
	if (image_catalog_load(&ctx->home, NULL, false, &c) < 0)
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

/* Everything create checks, before anything (an image pull, the home's key pair) is made: the
 * same resolution as the real run, as a dry run. Returns 0 or the exit code. */
static int create_validate(struct vmm_ctx *ctx, const char *name, const struct create_args *o)
{
	/* key files are read once, by the real run (one may be a pipe: --ssh-key <(...)) */
	struct profile_kv kv[CMD_KVS_MAX];
	size_t n = 0;
	for (size_t i = 0; i < o->kvs.n; i++)
		if (strcmp(o->kvs.kv[i].key, "ssh_key") != 0)
			kv[n++] = o->kvs.kv[i];
	struct guest_create_req req = {
		.name = name,
		.kvs = kv,
		.n_kvs = n,
		.image = o->image,
		.size = o->size,
		.reuse_disk = o->reuse_disk,
		.dry_run = true,
	};
	if (o->image && image_is_name(o->image)) { /* pulled (or found cached) right after */
		req.image = "(image)";
		req.image_pending = true;
	}
	struct guest_create_result r;
	int rc = guest_create(&ctx->home, &req, &r) < 0 ? cmd_report() : 0;
	guest_create_result_free(&r);
	return rc;
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
	if (!ctx->dry_run && (rc = create_validate(ctx, name, &o)))
		return rc;
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
		rc = 0;
	} else if (ctx->json) {
		struct vmm_status st = { .state = VMM_STOPPED, .host = "local" };
		rc = print_json(profile_json(&ctx->home, p, &st));
	} else {
		char vnc[96];
		profile_vnc_describe(p, vnc, sizeof(vnc));
		cmd_note(ctx, "created %s: %s, %u MiB, %u cpu%s, mac %s, address %s, vnc %s, tap %s",
			 name, r.disk, p->memory, p->cpus, p->cpus == 1 ? "" : "s", p->mac, p->address,
			 vnc, p->tap);
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

/* A profile that does not load: its row says why. */
static json_object *invalid_json(const struct vmm_home *h, const struct store_invalid *b)
{
	json_object *o = json_object_new_object();
	char *cfg = store_profile_path(h, b->name);
	json_object_object_add(o, "name", json_object_new_string(b->name));
	json_object_object_add(o, "state", json_object_new_string("invalid"));
	json_object_object_add(o, "reason", json_object_new_string(b->reason));
	json_object_object_add(o, "profile", json_object_new_string(cfg));
	free(cfg);
	return o;
}

int cmd_list(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct vmm_profile *ps = NULL;
	struct store_invalid *bad = NULL;
	size_t n = 0, nb = 0;
	struct list_args a = { 0 };
	int rc = cmd_parse(&cmd_list_spec, argc, argv, &a);
	if (rc)
		return rc;
	if (optind < argc)
		return cmd_usage_error("list", "unexpected argument \"%s\"", argv[optind]);
	if (store_load_all(&ctx->home, &ps, &n, &bad, &nb) < 0)
		return cmd_report();
	json_object *arr = ctx->json && !a.names ? json_object_new_array() : NULL;
	struct vmm_netcfg netb, *net = net_for_list(&ctx->home, &netb);
	bool v6 = net && net->has_ipv6; /* the IPV6 column only when the network has IPv6 */
	if (!arr && !a.names)
		printf("%-16s %-8s %6s %4s %6s %-18s %-17s %-15s %-4s %s%s\n", "NAME", "STATE", "RAM",
		       "CPUS", "DISK", "IP", "MAC", "VNC", "AUTO", v6 ? "BACKEND          " : "BACKEND",
		       v6 ? "IPV6" : "");
	/* both lists are sorted by name: merge them */
	for (size_t i = 0, j = 0; i < n || j < nb;) {
		if (j < nb && (i == n || strcmp(bad[j].name, ps[i].name) < 0)) {
			if (a.names)
				printf("%s\n", bad[j].name);
			else if (arr)
				json_object_array_add(arr, invalid_json(&ctx->home, &bad[j]));
			else
				printf("%-16s %-8s %s\n", bad[j].name, "invalid", bad[j].reason);
			j++;
			continue;
		}
		const struct vmm_profile *g = &ps[i++];
		if (a.names) {
			printf("%s\n", g->name);
			continue;
		}
		struct vmm_status st;
		guest_status(&ctx->home, g, &st);
		if (arr) {
			json_object_array_add(arr, profile_json(&ctx->home, g, &st));
			continue;
		}
		char ram[16], vnc[80], backend[96];
		if (g->memory % 1024 == 0)
			snprintf(ram, sizeof(ram), "%uG", g->memory / 1024);
		else
			snprintf(ram, sizeof(ram), "%uM", g->memory);
		profile_vnc_describe(g, vnc, sizeof(vnc));
		if (st.host[0] && strcmp(st.host, "local"))
			snprintf(backend, sizeof(backend), "%s@%s", backend_name(g), st.host);
		else
			snprintf(backend, sizeof(backend), "%s", backend_name(g));
		char ip6[IPV6_TEXT_MAX];
		ip6_of(net, g, ip6);
		printf("%-16s %-8s %6s %4u %6s %-18s %-17s %-15s %-4s %-*s%s\n", g->name,
		       store_state_name(st.state), ram, g->cpus,
		       g->disk_size ? g->disk_size : (g->backing ? "overlay" : "-"),
		       g->address ? g->address : "-", g->mac, vnc, g->autostart ? "yes" : "-",
		       v6 ? 17 : 0, backend, ip6);
	}
	if (net)
		netcfg_free(net);
	store_free_all(ps, n);
	store_free_invalid(bad, nb);
	return arr ? print_json(arr) : 0;
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
		cmd_show_devices_json(&ctx->home, &p, o);
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
	struct vmm_netcfg netb, *net = net_for_list(&ctx->home, &netb);
	char ip6[IPV6_TEXT_MAX];
	ip6_of(net, &p, ip6);
	if (*ip6)
		printf("\nipv6:     %s/64", ip6);
	if (net)
		netcfg_free(net);
	printf("\nprofile:  %s\ndisk:     %s%s\nseed:     %s%s\nbackend:  %s%s%s\n", cfg, disk,
	       util_exists(disk) ? "" : " (missing)", seed, util_exists(seed) ? "" : " (not built yet)",
	       backend_name(&p), p.uri ? " " : "", p.uri ? p.uri : "");
	cmd_show_devices(&ctx->home, &p);
	printf("\n%s", text);
	free(text);
	free(seed);
	free(disk);
	free(cfg);
	profile_free(&p);
	return 0;
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
	size_t n = (size_t)(argc - optind);
	struct profile_kv *kv = calloc(n, sizeof(*kv));
	char **keys = calloc(n, sizeof(*keys));
	bool only_forward = true;
	if (!kv || !keys)
		abort();
	for (size_t i = 0; i < n; i++) {
		const char *arg = argv[optind + (int)i], *eq = strchr(arg, '=');
		keys[i] = util_fmt("%.*s", (int)(eq - arg), arg);
		kv[i] = (struct profile_kv){ .key = keys[i], .value = eq + 1 };
		only_forward &= !strcmp(keys[i], "forward");
	}
	struct guest_set_result r;
	if (guest_set(&ctx->home, name, kv, n, ctx->dry_run, &r) < 0) {
		rc = cmd_report();
	} else if (ctx->dry_run) {
		fputs(r.plan, stdout);
	} else {
		if (!only_forward && r.running)
			cmd_note(ctx, "%s is running: the change applies at its next start", name);
	}
	guest_set_result_free(&r);
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(kv);
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
	struct guest_delete_result r;
	if (guest_delete(&ctx->home, name, a.purge, ctx->dry_run, &r) < 0) {
		rc = cmd_report();
	} else if (ctx->dry_run) {
		printf("would remove %s\n", r.profile);
		if (a.purge && r.disk)
			printf("would remove %s\n", r.disk);
		if (a.purge)
			printf("would remove %s\nwould remove %s\n", r.seed, r.keys);
		for (int i = 0; a.purge && r.state[i]; i++)
			printf("would remove %s\n", r.state[i]);
	} else if (r.invalid) {
		cmd_note(ctx, "deleted %s (its profile did not load, so its disk, if any, is kept)",
			 name);
	} else if (r.disk_kept) {
		cmd_note(ctx, "deleted %s; its disk %s is kept (--purge removes it)", name, r.disk);
	}
	guest_delete_result_free(&r);
	return rc;
}

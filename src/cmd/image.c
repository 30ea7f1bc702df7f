// SPDX-License-Identifier: MIT
/* cmd/image.c: vmm image list|pull|add|rm: cloud images by name, downloaded and verified once */
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/storage/image.h"
#include "vmm/sys/util.h"

static const struct cmd_sub image_subs[] = {
	{ "list", "the catalog and the home's entries, and what is cached (--json too)" },
	{ "pull", "NAME: download it (resuming a cut-off download), check its digest, print its path" },
	{ "add", "NAME URL: add an image to this home, with --checksums, --sha256 or --sha512" },
	{ "rm", "NAME: remove its cached copies (and its entry if added here); not while in use" },
	{ NULL, NULL },
};

struct image_args {
	const char *checksums, *sha256, *sha512, *user;
	bool insecure_http;
};

#define A struct image_args
static const struct cmd_option image_options[] = {
	OPT_STRING(0, "checksums", A, checksums, "URL",
		   "add: a SHA256SUMS/SHA512SUMS-style file that names the image's file"),
	OPT_STRING(0, "sha256", A, sha256, "HEX", "add: the image's SHA-256 digest"),
	OPT_STRING(0, "sha512", A, sha512, "HEX", "add: the image's SHA-512 digest"),
	OPT_STRING(0, "user", A, user, "USER", "add: the image's default user (vmm ssh logs in as it)"),
	OPT_FLAG(0, "insecure-http", A, insecure_http,
		 "add: allow plain http:// URLs (anyone on the way could swap the image)"),
	OPT_END,
};
#undef A

const struct cmd_spec cmd_image_spec = {
	.name = "image",
	.args = "list|pull NAME|add NAME URL|rm NAME",
	.summary = "list, download (verified), add or remove cloud images by name",
	.options = image_options,
	.subs = image_subs,
	.notes = "The catalog is PREFIX/share/vmm/images.cfg (VMM_IMAGE_CATALOG overrides); the cache\n"
		 "is HOME/images/cache. VMM_IMAGE_MIRROR (or image_mirror in net.cfg) replaces the\n"
		 "catalog's base URLs. Downloads check certificates against the system's CA\n"
		 "store. URLs are https:// or file://; plain http:// only with --insecure-http\n"
		 "(image add) or VMM_IMAGE_MIRROR_INSECURE=1 (a mirror). A download larger than\n"
		 "VMM_IMAGE_MAX_SIZE (default 16G) is stopped and removed.\n",
};

/* ---- progress bar ---- */

struct bar {
	const char *name;
	uint64_t start_ms, last_ms;
	bool shown;
};

static void human(char *buf, size_t len, double bytes)
{
	const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;
	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

static void on_progress(void *arg, uint64_t now, uint64_t total, uint64_t resumed)
{
	struct bar *b = arg;
	uint64_t t = util_now_ms();
	if (!b->start_ms)
		b->start_ms = t;
	if (b->shown && t - b->last_ms < 100 && (!total || now < total))
		return;
	b->last_ms = t;
	b->shown = true;
	double secs = (double)(t - b->start_ms) / 1000.0;
	double rate = secs > 0 ? (double)(now - resumed) / secs : 0;
	char got[32], all[32], rs[32], eta[32] = "--:--";
	human(got, sizeof(got), (double)now);
	human(rs, sizeof(rs), rate);
	if (total) {
		human(all, sizeof(all), (double)total);
		if (rate > 0 && total >= now) {
			unsigned long left = (unsigned long)((double)(total - now) / rate);
			snprintf(eta, sizeof(eta), "%lu:%02lu", left / 60, left % 60);
		}
		int pct = (int)(now * 100 / total);
		int fill = pct / 5;
		fprintf(stderr, "\r\033[K%s [%.*s%*s] %3d%% %s / %s  %s/s  ETA %s", b->name, fill,
			"####################", 20 - fill, "", pct, got, all, rs, eta);
	} else {
		fprintf(stderr, "\r\033[K%s %s  %s/s", b->name, got, rs);
	}
}

static void bar_end(struct bar *b)
{
	if (b->shown)
		fputs("\r\033[K", stderr);
}

/* The mirror: VMM_IMAGE_MIRROR, else net.cfg's image_mirror (malloc'd or NULL). */
static char *mirror(struct vmm_ctx *ctx)
{
	const char *env = getenv("VMM_IMAGE_MIRROR");
	if (env && *env)
		return util_strdup(env);
	struct vmm_netcfg n;
	if (store_load_net(&ctx->home, &n) < 0) {
		vmm_error_clear();
		return NULL;
	}
	char *m = util_strdup(n.image_mirror);
	netcfg_free(&n);
	return m;
}

/* VMM_IMAGE_MIRROR_INSECURE=1: a plain http mirror is asked for. */
static bool mirror_insecure(void)
{
	const char *v = getenv("VMM_IMAGE_MIRROR_INSECURE");
	return v && !strcmp(v, "1");
}

static int load_catalog(struct vmm_ctx *ctx, struct image_catalog *c)
{
	char *m = mirror(ctx);
	int rc = image_catalog_load(&ctx->home, m, mirror_insecure(), c);
	free(m);
	return rc;
}

/* The download limit: VMM_IMAGE_MAX_SIZE (a size, "16G"), else 0 (the default). */
static int max_size(uint64_t *limit)
{
	const char *v = getenv("VMM_IMAGE_MAX_SIZE");
	*limit = 0;
	if (!v || !*v)
		return 0;
	if (util_parse_size("VMM_IMAGE_MAX_SIZE", v, limit) < 0)
		return -1;
	if (*limit == 0)
		return vmm_invalid("VMM_IMAGE_MAX_SIZE %s: want more than 0 bytes", v);
	return 0;
}

int cmd_image_fetch(struct vmm_ctx *ctx, const char *name, char **path, char **user)
{
	struct image_catalog c;
	uint64_t limit;
	if (max_size(&limit) < 0 || load_catalog(ctx, &c) < 0)
		return -1;
	const struct image_entry *e = image_find(&c, name);
	int rc = -1;
	if (!e) {
		vmm_invalid("image %s: unknown (see vmm image list)", name);
		goto out;
	}
	struct bar b = { .name = e->name };
	bool show = util_isatty(2) && ctx->verbose >= 0;
	bool downloaded = false;
	rc = image_pull(&ctx->home, e, limit, show ? on_progress : NULL, &b, path, &downloaded);
	bar_end(&b);
	if (rc == 0 && downloaded)
		cmd_note(ctx, "vmm: image %s: downloaded and verified: %s", e->name, *path);
	if (rc == 0 && user)
		*user = util_strdup(e->user);
out:
	image_catalog_free(&c);
	return rc;
}

/* ---- subcommands ---- */

static int image_list(struct vmm_ctx *ctx)
{
	struct image_catalog c;
	if (load_catalog(ctx, &c) < 0)
		return cmd_report();
	json_object *arr = ctx->json ? json_object_new_array() : NULL;
	int rc = 0;
	if (!arr)
		printf("%-16s %-10s %-8s %8s %-20s %-16s %s\n", "NAME", "USER", "SOURCE", "SIZE",
		       "DIGEST", "DATE", "URL");
	for (size_t i = 0; i < c.n; i++) {
		const struct image_entry *e = &c.e[i];
		struct image_cached *cl = NULL;
		size_t ncl = 0;
		if (image_cached_list(&ctx->home, e->name, &cl, &ncl) < 0) {
			rc = cmd_report();
			break;
		}
		if (arr) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "name", json_object_new_string(e->name));
			json_object_object_add(o, "source",
					       json_object_new_string(e->home ? "home" : "catalog"));
			json_object_object_add(o, "url", json_object_new_string(e->url));
			if (e->checksums)
				json_object_object_add(o, "checksums",
						       json_object_new_string(e->checksums));
			if (e->digest)
				json_object_object_add(o, e->alg, json_object_new_string(e->digest));
			if (e->user)
				json_object_object_add(o, "user", json_object_new_string(e->user));
			if (e->description)
				json_object_object_add(o, "description",
						       json_object_new_string(e->description));
			json_object *cached = json_object_new_array();
			for (size_t k = 0; k < ncl; k++) {
				json_object *x = json_object_new_object();
				char date[32];
				strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&cl[k].date));
				json_object_object_add(x, "path", json_object_new_string(cl[k].path));
				json_object_object_add(x, "size", json_object_new_int64((int64_t)cl[k].size));
				json_object_object_add(x, "algorithm", json_object_new_string(cl[k].alg));
				json_object_object_add(x, "digest", json_object_new_string(cl[k].digest));
				json_object_object_add(x, "date", json_object_new_string(date));
				json_object_array_add(cached, x);
			}
			json_object_object_add(o, "cached", cached);
			json_object_array_add(arr, o);
		} else {
			char size[32] = "-", digest[32] = "-", date[32] = "-";
			if (ncl) {
				human(size, sizeof(size), (double)cl[0].size);
				snprintf(digest, sizeof(digest), "%s:%.12s", cl[0].alg, cl[0].digest);
				strftime(date, sizeof(date), "%Y-%m-%d %H:%M", localtime(&cl[0].date));
			}
			printf("%-16s %-10s %-8s %8s %-20s %-16s %s\n", e->name,
			       e->user ? e->user : "-", e->home ? "home" : "catalog", size, digest,
			       date, e->url);
		}
		image_cached_free(cl, ncl);
	}
	if (arr) {
		if (rc == 0) {
			puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
									 JSON_C_TO_STRING_NOSLASHESCAPE));
		}
		json_object_put(arr);
	}
	if (rc == 0 && !c.catalog_path && !ctx->json)
		cmd_note(ctx, "vmm: no image catalog found (install vmm, or set VMM_IMAGE_CATALOG)");
	image_catalog_free(&c);
	return rc;
}

static int image_pull_cmd(struct vmm_ctx *ctx, const char *name)
{
	char *path = NULL;
	if (cmd_image_fetch(ctx, name, &path, NULL) < 0)
		return cmd_report();
	printf("%s\n", path);
	free(path);
	return 0;
}

static int image_rm(struct vmm_ctx *ctx, const char *name)
{
	struct image_catalog c;
	struct image_cached *cl = NULL;
	struct vmm_profile *ps = NULL;
	struct store_invalid *bad = NULL; /* profiles that do not load: their disks are unknown */
	size_t ncl = 0, nps = 0, n_bad = 0;
	int rc = 0;
	if (load_catalog(ctx, &c) < 0)
		return cmd_report();
	if (image_cached_list(&ctx->home, name, &cl, &ncl) < 0 ||
	    store_load_all(&ctx->home, &ps, &nps, &bad, &n_bad) < 0) {
		rc = cmd_report();
		goto out;
	}
	for (size_t i = 0; i < nps; i++)
		for (size_t k = 0; k < ncl; k++)
			if (ps[i].backing && !strcmp(ps[i].backing, cl[k].path)) {
				rc = cmd_error(VMM_EFAIL,
					       "image %s: guest %s's disk is based on %s (delete the "
					       "guest first)",
					       name, ps[i].name, cl[k].path);
				goto out;
			}
	if (ctx->dry_run) {
		for (size_t k = 0; k < ncl; k++)
			printf("would remove %s\n", cl[k].path);
		rc = 0;
		goto out;
	}
	if (image_remove(&ctx->home, &c, name) < 0)
		rc = cmd_report();
	else
		cmd_note(ctx, "vmm: image %s: removed %zu cached download%s", name, ncl,
			 ncl == 1 ? "" : "s");
out:
	store_free_all(ps, nps);
	store_free_invalid(bad, n_bad);
	image_cached_free(cl, ncl);
	image_catalog_free(&c);
	return rc;
}

static int image_add_cmd(struct vmm_ctx *ctx, const struct image_args *a, const char *name,
			 const char *url)
{
	struct image_entry e = { .home = true, .name = (char *)name, .url = (char *)url,
				 .checksums = (char *)a->checksums, .user = (char *)a->user,
				 .insecure_http = a->insecure_http };
	int given = !!a->checksums + !!a->sha256 + !!a->sha512;
	if (given != 1)
		return cmd_usage_error("image", "add needs one of --checksums, --sha256, --sha512");
	char *digest = NULL;
	if (a->sha256 || a->sha512) {
		e.alg = a->sha256 ? "sha256" : "sha512";
		digest = util_strdup(a->sha256 ? a->sha256 : a->sha512);
		for (char *d = digest; *d; d++)
			*d = (char)(*d >= 'A' && *d <= 'F' ? *d - 'A' + 'a' : *d);
		e.digest = digest;
	}
	int rc;
	if (ctx->dry_run) {
		rc = image_entry_check(&e) < 0 ? cmd_report() : 0;
		if (!rc) {
			printf("would add image %s: %s\n", e.name, e.url);
			rc = 0;
		}
	} else if (image_add(&ctx->home, &e) < 0) {
		rc = cmd_report();
	} else {
		cmd_note(ctx, "vmm: image %s added (vmm image pull %s downloads it)", e.name, e.name);
		rc = 0;
	}
	free(digest);
	return rc;
}

int cmd_image(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct image_args a = { 0 };
	int rc = cmd_parse(&cmd_image_spec, argc, argv, &a);
	if (rc)
		return rc;
	if (optind >= argc)
		return cmd_usage_error("image", "missing subcommand: list, pull, add or rm");
	const char *sub = argv[optind++];
	int rest = argc - optind;
	bool add = !strcmp(sub, "add");
	if (!add && (a.checksums || a.sha256 || a.sha512 || a.user || a.insecure_http))
		return cmd_usage_error("image", "--checksums, --sha256, --sha512, --user and "
				       "--insecure-http are for \"image add\"");
	if (!strcmp(sub, "list")) {
		if (rest)
			return cmd_usage_error("image", "unexpected argument \"%s\"", argv[optind]);
		return image_list(ctx);
	}
	if (add) {
		if (rest != 2)
			return cmd_usage_error("image", "add needs NAME and URL");
		return image_add_cmd(ctx, &a, argv[optind], argv[optind + 1]);
	}
	if (strcmp(sub, "pull") && strcmp(sub, "rm"))
		return cmd_usage_error("image", "unknown subcommand \"%s\" (list, pull, add or rm)",
				       sub);
	if (rest != 1)
		return cmd_usage_error("image", "%s needs exactly one NAME", sub);
	return !strcmp(sub, "pull") ? image_pull_cmd(ctx, argv[optind])
				    : image_rm(ctx, argv[optind]);
}

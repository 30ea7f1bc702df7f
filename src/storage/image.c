// SPDX-License-Identifier: MIT
/* image.c: cloud images by name: catalog and home entries (libconfig), verified download cache
 * (libcurl with the system CA store, resume with HTTP Range, digests with OpenSSL EVP) */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/sys/dl_crypto.h"
#include "vmm/sys/dl_curl.h"
#include "vmm/sys/error.h"
#include "vmm/storage/image.h"
#include "vmm/config/profile.h"
#include "vmm/config/validate.h"
#include "vmm/sys/util.h"

#ifndef VMM_DATADIR
#define VMM_DATADIR "/usr/local/share/vmm"
#endif

#define CHECKSUMS_MAX (4u << 20) /* a checksums file larger than this is not one */
#define NAME_MAX_LEN 64

/* ---- names, URLs, digests ---- */

static int check_image_name(const char *name)
{
	size_t len = strlen(name);
	bool ok = len >= 1 && len <= NAME_MAX_LEN && (islower((unsigned char)name[0]) ||
						      isdigit((unsigned char)name[0]));
	for (size_t i = 1; ok && i < len; i++)
		ok = islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) ||
		     name[i] == '-' || name[i] == '.' || name[i] == '_';
	if (!ok)
		return vmm_invalid("image name \"%s\": use 1 to %d characters a-z, 0-9, '-', '.' and "
				   "'_', starting with a letter or digit",
				   name, NAME_MAX_LEN);
	return 0;
}

static bool is_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static bool is_plain_http(const char *url)
{
	return url && !strncmp(url, "http://", 7);
}

static int check_url(const char *what, const char *url)
{
	if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7) && strncmp(url, "file://", 7))
		return vmm_invalid("%s %s: want an https://, http:// or file:// URL", what, url);
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return vmm_invalid("%s %s: spaces or control characters in the URL", what,
					   url);
	return 0;
}

char *image_url_file(const char *url)
{
	size_t end = strcspn(url, "?#");
	const char *start = url;
	for (size_t i = 0; i < end; i++)
		if (url[i] == '/')
			start = url + i + 1;
	return util_fmt("%.*s", (int)(end - (size_t)(start - url)), start);
}

/* Join a base URL and a relative path with exactly one '/'. */
static char *url_join(const char *base, const char *rel)
{
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	while (*rel == '/')
		rel++;
	return util_fmt("%.*s/%s", (int)bl, base, rel);
}

int image_checksum_find(const char *text, const char *file, char alg[8], char digest[129])
{
	const char *line = text;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[1024];
		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			if (len && buf[len - 1] == '\r')
				buf[--len] = '\0';
			char *hex = NULL, *name = NULL, tag[16] = "";
			size_t hl = 0;
			/* BSD: "SHA256 (FILE) = HEX" */
			char *open = strstr(buf, " (");
			char *close = strstr(buf, ") = ");
			if (open && close && close > open && (size_t)(open - buf) < sizeof(tag)) {
				snprintf(tag, sizeof(tag), "%.*s", (int)(open - buf), buf);
				*close = '\0';
				name = open + 2;
				hex = close + 4;
				hl = strcspn(hex, " \t");
				hex[hl] = '\0';
			} else {
				/* GNU: "HEX  FILE" or "HEX *FILE" */
				hl = strcspn(buf, " \t");
				if (buf[hl] == ' ' || buf[hl] == '\t') {
					hex = buf;
					name = buf + hl;
					*name++ = '\0';
					while (*name == ' ' || *name == '\t')
						name++;
					if (*name == '*')
						name++;
				}
			}
			if (hex && name && !strcmp(name, file) && is_hex(hex, hl) &&
			    (hl == 64 || hl == 128)) {
				lower(tag);
				const char *a = hl == 64 ? "sha256" : "sha512";
				if (tag[0] && strcmp(tag, a))
					return vmm_fail("checksums: %s: %s digest of %zu hex digits", file,
							tag, hl);
				snprintf(alg, 8, "%s", a);
				memcpy(digest, hex, hl);
				digest[hl] = '\0';
				lower(digest);
				return 0;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return vmm_fail("checksums: no SHA-256 or SHA-512 digest for %s", file);
}

int image_file_digest(const char *path, const char *alg, char digest[129])
{
	if (dynlib_load(&dl_crypto) < 0)
		return -1;
	const EVP_MD *md = !strcmp(alg, "sha256")   ? EVP_sha256()
			   : !strcmp(alg, "sha512") ? EVP_sha512()
						    : NULL;
	if (!md)
		return vmm_fail("digest %s: unknown algorithm", alg);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vmm_fail("%s: %s", path, util_strerror(errno));
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(1 << 20);
	int rc = -1;
	if (!ctx || !buf || EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		vmm_fail("digest %s: cannot initialise", alg);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf, 1 << 20);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			vmm_fail("%s: %s", path, util_strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1) {
			vmm_fail("digest %s: update failed", alg);
			goto out;
		}
	}
	unsigned char md_out[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (EVP_DigestFinal_ex(ctx, md_out, &md_len) != 1) {
		vmm_fail("digest %s: final failed", alg);
		goto out;
	}
	for (unsigned i = 0; i < md_len; i++)
		snprintf(digest + 2 * i, 3, "%02x", md_out[i]);
	rc = 0;
out:
	free(buf);
	EVP_MD_CTX_free(ctx);
	close(fd);
	return rc;
}

/* ---- catalog and home entries ---- */

static void entry_free(struct image_entry *e)
{
	free(e->name);
	free(e->url);
	free(e->checksums);
	free(e->alg);
	free(e->digest);
	free(e->user);
	free(e->description);
	memset(e, 0, sizeof(*e));
}

void image_catalog_free(struct image_catalog *c)
{
	for (size_t i = 0; i < c->n; i++)
		entry_free(&c->e[i]);
	free(c->e);
	free(c->catalog_path);
	memset(c, 0, sizeof(*c));
}

const struct image_entry *image_find(const struct image_catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].name, name))
			return &c->e[i];
	return NULL;
}

/* Plain http only when asked for: anyone on the way could swap the image and, from the same
 * source, its checksums (issue 17, item 8). */
static int check_plain_http(const struct image_entry *e)
{
	const char *url = is_plain_http(e->url) ? e->url : e->checksums;
	if (e->insecure_http || !is_plain_http(url))
		return 0;
	return vmm_invalid("image %s: %s: plain http, anyone on the way could swap the image and "
			   "its checksums (use https:// or file://, or add it with "
			   "--insecure-http)", e->name, url);
}

int image_entry_check(const struct image_entry *e)
{
	if (check_image_name(e->name) < 0 || check_url("url", e->url) < 0)
		return -1;
	if (e->checksums && check_url("checksums", e->checksums) < 0)
		return -1;
	if (e->digest) {
		size_t want = !strcmp(e->alg, "sha256") ? 64 : 128;
		if (strlen(e->digest) != want || !is_hex(e->digest, want))
			return vmm_invalid("%s %s: want %zu hex digits", e->alg, e->digest, want);
	}
	if (!e->digest && !e->checksums)
		return vmm_invalid("image %s: no checksum (give --checksums URL, --sha256 HEX or "
				   "--sha512 HEX)",
				   e->name);
	if (e->digest && e->checksums)
		return vmm_invalid("image %s: give either a checksums URL or a digest, not both",
				   e->name);
	if (e->user && profile_check_user(e->user) < 0)
		return -1;
	char *file = image_url_file(e->url);
	bool empty = !*file;
	free(file);
	if (empty)
		return vmm_invalid("url %s: names no file", e->url);
	return check_plain_http(e);
}

static const char *cfg_str(config_setting_t *g, const char *key)
{
	const char *v = NULL;
	return config_setting_lookup_string(g, key, &v) == CONFIG_TRUE ? v : NULL;
}

/* An entry's keys are all known ones. */
static int check_keys(config_setting_t *g, const char *path, unsigned line)
{
	static const char *const known[] = {
		"name", "url", "base", "file", "checksums", "sha256", "sha512",
		"user", "description", "insecure_http",
	};
	for (int k = 0; k < config_setting_length(g); k++) {
		const char *key = config_setting_name(config_setting_get_elem(g, (unsigned)k));
		bool ok = false;
		for (size_t j = 0; j < sizeof(known) / sizeof(known[0]); j++)
			ok = ok || !strcmp(key, known[j]);
		if (!ok)
			return vmm_invalid("%s:%u: %s: unknown key", path, line, key);
	}
	return 0;
}

/* Read PATH's "images" list into c (home entries replace catalog entries of the same name). */
static int read_entries(const char *path, bool home, const char *mirror, bool mirror_insecure,
			struct image_catalog *c)
{
	config_t cfg;
	config_init(&cfg);
	int rc = -1;
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			vmm_fail("%s: cannot read", path);
		else
			vmm_invalid("%s:%d: %s", path, config_error_line(&cfg), config_error_text(&cfg));
		goto out;
	}
	config_setting_t *list = config_lookup(&cfg, "images");
	if (!list) {
		rc = 0; /* no entries */
		goto out;
	}
	if (!config_setting_is_list(list) && !config_setting_is_array(list)) {
		vmm_invalid("%s:%u: images: want a list ( {...}, ... )", path,
			    config_setting_source_line(list));
		goto out;
	}
	for (int i = 0; i < config_setting_length(list); i++) {
		config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		unsigned line = config_setting_source_line(g);
		if (!config_setting_is_group(g)) {
			vmm_invalid("%s:%u: want { name = ...; url = ...; }", path, line);
			goto out;
		}
		struct image_entry e = { .home = home };
		const char *name = cfg_str(g, "name"), *url = cfg_str(g, "url");
		const char *base = cfg_str(g, "base"), *file = cfg_str(g, "file");
		const char *sums = cfg_str(g, "checksums");
		const char *s256 = cfg_str(g, "sha256"), *s512 = cfg_str(g, "sha512");
		if (!name || (!url && !(base && file))) {
			vmm_invalid("%s:%u: an image needs name and url (or base and file)", path,
				    line);
			goto out;
		}
		if (check_keys(g, path, line) < 0)
			goto out;
		e.name = util_strdup(name);
		if (url) {
			e.url = util_strdup(url);
			e.checksums = util_strdup(sums);
		} else {
			const char *b = mirror && *mirror ? mirror : base;
			e.url = url_join(b, file);
			e.checksums = sums ? url_join(b, sums) : NULL;
			e.insecure_http = mirror && *mirror && mirror_insecure;
		}
		int insecure = 0;
		if (config_setting_lookup_bool(g, "insecure_http", &insecure) == CONFIG_TRUE)
			e.insecure_http |= insecure != 0;
		if (s256 || s512) {
			e.alg = util_strdup(s256 ? "sha256" : "sha512");
			e.digest = util_strdup(s256 ? s256 : s512);
			lower(e.digest);
		}
		e.user = util_strdup(cfg_str(g, "user"));
		e.description = util_strdup(cfg_str(g, "description"));
		if (image_entry_check(&e) < 0) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s", vmm_errmsg());
			vmm_invalid("%s:%u: %s", path, line, msg);
			entry_free(&e);
			goto out;
		}
		struct image_entry *old = (struct image_entry *)image_find(c, e.name);
		if (old) {
			entry_free(old);
			*old = e; /* the catalog now owns e's strings */
			continue;
		}
		struct image_entry *ne = realloc(c->e, (c->n + 1) * sizeof(*ne));
		if (!ne)
			abort();
		c->e = ne;
		c->e[c->n++] = e; /* the catalog now owns e's strings */
	}
	rc = 0;
out:
	config_destroy(&cfg);
	return rc;
}

/* The shipped catalog: VMM_IMAGE_CATALOG, DATADIR/images.cfg, or from the binary's folder
 * ../share/vmm/images.cfg (installed elsewhere) or ../contrib/images.cfg (a build tree). NULL when
 * there is none. */
static char *catalog_path(void)
{
	const char *env = getenv("VMM_IMAGE_CATALOG");
	if (env && *env)
		return util_strdup(env);
	char *p = util_fmt("%s/images.cfg", VMM_DATADIR);
	if (util_exists(p))
		return p;
	free(p);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			/* installed under another PREFIX than the one compiled in; a build tree */
			static const char *const rel[] = { "../share/vmm/images.cfg",
							   "../contrib/images.cfg" };
			for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				p = util_fmt("%s/%s", exe, rel[i]);
				if (util_exists(p))
					return p;
				free(p);
			}
		}
	}
	return NULL;
}

static char *home_entries_path(const struct vmm_home *h)
{
	return util_fmt("%s/images.cfg", h->images);
}

int image_catalog_load(const struct vmm_home *h, const char *mirror, bool mirror_insecure,
		       struct image_catalog *c)
{
	memset(c, 0, sizeof(*c));
	if (mirror && *mirror && check_url("image mirror", mirror) < 0)
		return -1;
	if (mirror && *mirror && is_plain_http(mirror) && !mirror_insecure)
		return vmm_invalid("image mirror %s: plain http, anyone on the way could swap the "
				   "images and their checksums (use https:// or file://, or set "
				   "VMM_IMAGE_MIRROR_INSECURE=1)", mirror);
	c->catalog_path = catalog_path();
	if (c->catalog_path && read_entries(c->catalog_path, false, mirror, mirror_insecure, c) < 0)
		goto fail;
	char *home = home_entries_path(h);
	int rc = util_exists(home) ? read_entries(home, true, NULL, false, c) : 0;
	free(home);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	image_catalog_free(c);
	return -1;
}

static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* One optional line of an entry, "    KEY = "VALUE";", when value is set. */
static void put_field(FILE *f, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(f, "    %s = ", key);
	put_quoted(f, value);
	fputs(";\n", f);
}

static void put_entry(FILE *f, const struct image_entry *e)
{
	fputs("  { name = ", f);
	put_quoted(f, e->name);
	fputs(";\n    url = ", f);
	put_quoted(f, e->url);
	fputs(";\n", f);
	put_field(f, "checksums", e->checksums);
	if (e->digest)
		put_field(f, e->alg, e->digest);
	put_field(f, "user", e->user);
	put_field(f, "description", e->description);
	if (e->insecure_http)
		fputs("    insecure_http = true;  # plain http asked for (--insecure-http)\n", f);
	fputs("  }", f);
}

/* Rewrite the home's images.cfg with the home entries of c, plus add (may be NULL), minus drop. */
static int write_home_entries(const struct vmm_home *h, const struct image_catalog *c,
			      const struct image_entry *add, const char *drop)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		abort();
	fputs("# vmm's image entries of this home (vmm image add / vmm image rm rewrite this file)\n"
	      "images = (\n",
	      f);
	bool first = true;
	for (size_t i = 0; i < c->n; i++) {
		if (!c->e[i].home || (drop && !strcmp(c->e[i].name, drop)))
			continue;
		if (!first)
			fputs(",\n", f);
		put_entry(f, &c->e[i]);
		first = false;
	}
	if (add) {
		if (!first)
			fputs(",\n", f);
		put_entry(f, add);
	}
	fputs("\n);\n", f);
	fclose(f);
	char *path = home_entries_path(h);
	int rc = util_write_file(path, text, len, 0644);
	free(path);
	free(text);
	return rc;
}

int image_add(const struct vmm_home *h, const struct image_entry *e)
{
	struct image_catalog c;
	if (image_entry_check(e) < 0)
		return -1;
	int lock = store_lock(h);
	if (lock < 0)
		return -1;
	int rc = -1;
	/* only the home's entries matter here: no catalog, no mirror */
	memset(&c, 0, sizeof(c));
	char *home = home_entries_path(h);
	if (util_exists(home) && read_entries(home, true, NULL, false, &c) < 0)
		goto out;
	if (image_find(&c, e->name)) {
		vmm_invalid("image %s: already added to this home (vmm image rm %s first)", e->name,
			    e->name);
		goto out;
	}
	struct image_entry copy = *e;
	copy.home = true;
	rc = write_home_entries(h, &c, &copy, NULL);
out:
	free(home);
	image_catalog_free(&c);
	close(lock);
	return rc;
}

/* ---- the cache ---- */

char *image_cache_dir(const struct vmm_home *h)
{
	return util_fmt("%s/cache", h->images);
}

void image_cached_free(struct image_cached *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].path);
	free(list);
}

static int newest_first(const void *a, const void *b)
{
	const struct image_cached *x = a, *y = b;
	return x->date < y->date ? 1 : x->date > y->date ? -1 : strcmp(x->path, y->path);
}

/* "NAME-" + 16 hex + ".img" */
static bool cache_file_of(const char *fname, const char *name)
{
	size_t nl = strlen(name);
	return !strncmp(fname, name, nl) && fname[nl] == '-' && strlen(fname + nl + 1) == 20 &&
	       is_hex(fname + nl + 1, 16) && !strcmp(fname + nl + 17, ".img");
}

int image_cached_list(const struct vmm_home *h, const char *name, struct image_cached **list,
		      size_t *n)
{
	*list = NULL;
	*n = 0;
	char *dir = image_cache_dir(h);
	DIR *d = opendir(dir);
	if (!d) {
		int e = errno;
		int rc = e == ENOENT ? 0 : vmm_fail("%s: %s", dir, util_strerror(e));
		free(dir);
		return rc;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!cache_file_of(de->d_name, name))
			continue;
		struct image_cached ic = { 0 };
		ic.path = util_fmt("%s/%s", dir, de->d_name);
		/* the sidecar "IMAGE.sha256" or "IMAGE.sha512" says it was verified */
		for (int a = 0; a < 2 && !ic.alg[0]; a++) {
			const char *alg = a ? "sha256" : "sha512";
			char *side = util_fmt("%s.%s", ic.path, alg);
			char *text = util_exists(side) ? util_read_file(side, NULL) : NULL;
			size_t want = a ? 64 : 128;
			if (text && strlen(text) >= want && is_hex(text, want)) {
				snprintf(ic.alg, sizeof(ic.alg), "%s", alg);
				snprintf(ic.digest, sizeof(ic.digest), "%.*s", (int)want, text);
			}
			free(text);
			free(side);
		}
		struct stat st;
		if (!ic.alg[0] || stat(ic.path, &st) < 0) {
			free(ic.path);
			continue;
		}
		ic.size = (uint64_t)st.st_size;
		ic.date = st.st_mtime;
		struct image_cached *nl = realloc(*list, (*n + 1) * sizeof(*nl));
		if (!nl)
			abort();
		*list = nl;
		(*list)[(*n)++] = ic;
	}
	closedir(d);
	free(dir);
	vmm_error_clear();
	if (*n > 1)
		qsort(*list, *n, sizeof(**list), newest_first);
	return 0;
}

/* ---- downloads ---- */

struct fetch {
	const char *what; /* "image NAME" for messages */
	CURL *curl;
	/* to a file */
	int fd;
	uint64_t offset; /* bytes of a part already there when the transfer began */
	bool checked;    /* the response code has been looked at */
	bool http;       /* an http(s) transfer: a resumed one must answer 206 */
	uint64_t limit;  /* the most bytes the file may have (0: none) */
	uint64_t got;    /* bytes written by this transfer */
	bool too_big;    /* the limit was reached: the transfer was stopped */
	/* or to memory */
	char *mem;
	size_t len, cap, max;
	image_progress_fn progress;
	void *arg;
	int werr; /* errno of a failed write */
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct fetch *f = ud;
	size_t n = size * nmemb;
	if (f->fd < 0) {
		if (f->len + n > f->max)
			return 0;
		if (f->len + n + 1 > f->cap) {
			size_t cap = f->cap ? f->cap * 2 : 65536;
			while (cap < f->len + n + 1)
				cap *= 2;
			char *m = realloc(f->mem, cap);
			if (!m)
				return 0;
			f->mem = m;
			f->cap = cap;
		}
		memcpy(f->mem + f->len, ptr, n);
		f->len += n;
		f->mem[f->len] = '\0';
		return n;
	}
	if (!f->checked) {
		f->checked = true;
		long code = 0;
		curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &code);
		if (f->offset && f->http && code != 206) {
			/* the server sent the whole file instead of the rest: start over */
			if (ftruncate(f->fd, 0) < 0 || lseek(f->fd, 0, SEEK_SET) < 0) {
				f->werr = errno;
				return 0;
			}
			f->offset = 0;
		}
		/* the announced length (http's Content-Length, a local file's size): over the
		 * limit, not a byte is written */
		curl_off_t len = -1;
		curl_easy_getinfo(f->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
		if (f->limit && len > 0 && f->offset + (uint64_t)len > f->limit) {
			f->too_big = true;
			return 0;
		}
	}
	if (f->limit && f->offset + f->got + n > f->limit) {
		f->too_big = true;
		return 0; /* ends the transfer */
	}
	f->got += n;
	size_t left = n;
	while (left) {
		ssize_t w = write(f->fd, ptr, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			f->werr = errno;
			return 0;
		}
		ptr += w;
		left -= (size_t)w;
	}
	return n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct fetch *f = ud;
	if (f->progress && f->fd >= 0)
		f->progress(f->arg, f->offset + (uint64_t)dlnow,
			    dltotal > 0 ? f->offset + (uint64_t)dltotal : 0, f->offset);
	return 0;
}

/* One transfer of url (into f->fd from resume_from, or into memory). Returns the curl code;
 * *http the response code. */
static CURLcode fetch_run(struct fetch *f, const char *url, uint64_t resume_from, long *http,
			  char errbuf[CURL_ERROR_SIZE])
{
	CURL *c = curl_easy_init();
	if (!c)
		return CURLE_FAILED_INIT;
	f->curl = c;
	f->offset = resume_from;
	f->checked = false;
	f->got = 0;
	errbuf[0] = '\0';
	bool https = !strncmp(url, "https://", 8);
	f->http = https || is_plain_http(url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vmm/" VMM_VERSION);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	/* a redirect never goes from https to plain http */
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	/* certificates are checked against the system's CA store (libcurl's default); said here
	 * so that it stays so */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled server: under 1 byte/s for 60 s ends the transfer (resumable) */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, f);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, f->progress && f->fd >= 0 ? 0L : 1L);
	if (resume_from)
		curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)resume_from);
	/* a server that announces more than the limit is refused before a byte */
	if (f->fd >= 0 && f->limit > resume_from)
		curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
				 (curl_off_t)(f->limit - resume_from));
	CURLcode r = curl_easy_perform(c);
	*http = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http);
	curl_easy_cleanup(c);
	f->curl = NULL;
	return r;
}

static const char *curl_msg(CURLcode r, const char *errbuf)
{
	return errbuf[0] ? errbuf : curl_easy_strerror(r);
}

/* The expected digest of e: fixed, or read from its checksums file. */
static int expected_digest(const struct image_entry *e, char alg[8], char digest[129])
{
	if (e->digest) {
		snprintf(alg, 8, "%s", e->alg);
		snprintf(digest, 129, "%s", e->digest);
		return 0;
	}
	struct fetch f = { .fd = -1, .max = CHECKSUMS_MAX };
	char errbuf[CURL_ERROR_SIZE];
	long http = 0;
	CURLcode r = fetch_run(&f, e->checksums, 0, &http, errbuf);
	int rc = -1;
	if (r != CURLE_OK) {
		vmm_fail("image %s: checksums %s: %s", e->name, e->checksums, curl_msg(r, errbuf));
		goto out;
	}
	char *file = image_url_file(e->url);
	rc = image_checksum_find(f.mem ? f.mem : "", file, alg, digest);
	if (rc < 0)
		vmm_fail("image %s: checksums %s: no SHA-256 or SHA-512 digest for %s", e->name,
			 e->checksums, file);
	free(file);
out:
	free(f.mem);
	return rc;
}

/* The part's record: which URL and digest its bytes belong to. */
static char *part_record(const char *url, const char *alg, const char *digest)
{
	return util_fmt("%s\n%s %s\n", url, alg, digest);
}

/* The paths of one pull. */
struct pull {
	const struct image_entry *e;
	char *part, *info;  /* CACHE/NAME.part and the record of what it belongs to */
	char *final, *side; /* CACHE/NAME-DIGEST16.img and its digest beside it */
	char alg[8], digest[129];
	uint64_t limit;     /* the most bytes the image may have */
};

/* "16 GiB", "512 MiB" or bytes, for the limit's message. */
static void size_words(uint64_t n, char *buf, size_t len)
{
	if (n >= (1ull << 30) && n % (1ull << 30) == 0)
		snprintf(buf, len, "%llu GiB", (unsigned long long)(n >> 30));
	else if (n >= (1ull << 20) && n % (1ull << 20) == 0)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(n >> 20));
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
}

/* Over the limit: nothing of the download stays (no part to resume, nothing in the cache). */
static int too_big(const struct pull *p)
{
	char lim[32];
	unlink(p->part);
	unlink(p->info);
	size_words(p->limit, lim, sizeof(lim));
	return vmm_fail("image %s: download %s: larger than the limit of %s (VMM_IMAGE_MAX_SIZE "
			"sets it): download removed", p->e->name, p->e->url, lim);
}

/* Download e into p->part: resumed when the part belongs to this URL and digest, else from the
 * start. 0, or -1 (the part is kept for the next pull). */
static int pull_download(const struct pull *p, image_progress_fn progress, void *arg)
{
	const struct image_entry *e = p->e;
	char *rec = part_record(e->url, p->alg, p->digest);
	char *old = util_exists(p->info) ? util_read_file(p->info, NULL) : NULL;
	vmm_error_clear();
	bool resume = old && !strcmp(old, rec);
	int rc = -1;
	int fd = open(p->part, O_WRONLY | O_CREAT | O_CLOEXEC | (resume ? 0 : O_TRUNC), 0644);
	if (fd < 0) {
		vmm_fail("%s: %s", p->part, util_strerror(errno));
		goto out;
	}
	if (!resume && util_write_file(p->info, rec, strlen(rec), 0644) < 0)
		goto out;
	off_t have = lseek(fd, 0, SEEK_END);
	if (have < 0) {
		vmm_fail("%s: %s", p->part, util_strerror(errno));
		goto out;
	}
	if ((uint64_t)have > p->limit) {
		rc = too_big(p);
		goto out;
	}
	struct fetch f = { .fd = fd, .progress = progress, .arg = arg, .limit = p->limit };
	char errbuf[CURL_ERROR_SIZE];
	long http = 0;
	CURLcode r = fetch_run(&f, e->url, (uint64_t)have, &http, errbuf);
	if (f.too_big || r == CURLE_FILESIZE_EXCEEDED) {
		rc = too_big(p);
		goto out;
	}
	/* 416 after a part: the server has nothing after our bytes, they are checked as they are */
	if (r != CURLE_OK && !(r == CURLE_HTTP_RETURNED_ERROR && http == 416 && have > 0)) {
		off_t kept = lseek(fd, 0, SEEK_END);
		if (f.werr)
			vmm_fail("%s: %s", p->part, util_strerror(f.werr));
		else if (kept > 0)
			vmm_fail("image %s: download %s: %s (%lld bytes kept; vmm image pull %s resumes)",
				 e->name, e->url, curl_msg(r, errbuf), (long long)kept, e->name);
		else
			vmm_fail("image %s: download %s: %s", e->name, e->url, curl_msg(r, errbuf));
		goto out;
	}
	if (fsync(fd) < 0) {
		vmm_fail("%s: %s", p->part, util_strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = vmm_fail("%s: %s", p->part, util_strerror(errno));
	free(old);
	free(rec);
	return rc;
}

/* Check the part's digest; only a verified part gets its name in the cache (a rename), with its
 * digest beside it. A mismatch removes the part. */
static int pull_install(const struct pull *p)
{
	char got[129];
	if (image_file_digest(p->part, p->alg, got) < 0)
		return -1;
	if (strcmp(got, p->digest)) {
		unlink(p->part);
		unlink(p->info);
		return vmm_fail("image %s: %s mismatch for %s: expected %s, got %s (download removed)",
				p->e->name, p->alg, p->e->url, p->digest, got);
	}
	if (rename(p->part, p->final) < 0)
		return vmm_fail("%s: %s", p->final, util_strerror(errno));
	char *line = util_fmt("%s  %s\n", p->digest, strrchr(p->final, '/') + 1);
	int w = util_write_file(p->side, line, strlen(line), 0644);
	free(line);
	if (w < 0) {
		unlink(p->final);
		return -1;
	}
	unlink(p->info);
	return 0;
}

/* Is the copy with p's digest already in the cache? */
static bool pull_cached(const struct pull *p)
{
	if (!util_exists(p->final) || !util_exists(p->side))
		return false;
	char *s = util_read_file(p->side, NULL);
	bool same = s && !strncmp(s, p->digest, strlen(p->digest));
	free(s);
	vmm_error_clear();
	return same;
}

int image_pull(const struct vmm_home *h, const struct image_entry *e, uint64_t limit,
	       image_progress_fn progress, void *arg, char **path_out, bool *downloaded)
{
	char *dir = image_cache_dir(h);
	char *lockp = util_fmt("%s/%s.lock", dir, e->name);
	struct pull p = { .e = e, .limit = limit ? limit : IMAGE_MAX_SIZE_DEFAULT };
	int lock = -1, rc = -1;
	bool curl_up = false;

	*path_out = NULL;
	if (downloaded)
		*downloaded = false;
	/* both libraries before anything: a download is not started only to find that it cannot
	 * be verified (libcrypto first: libcurl needs it too, and the message names its package) */
	if (dynlib_load(&dl_crypto) < 0 || dynlib_load(&dl_curl) < 0)
		goto out;
	if (util_mkdir_p(dir, 0755) < 0)
		goto out;
	/* one pull of an image at a time: a second one waits here, then finds the copy */
	lock = util_lock(lockp);
	if (lock < 0)
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		vmm_fail("image %s: libcurl initialisation failed", e->name);
		goto out;
	}
	curl_up = true;
	if (expected_digest(e, p.alg, p.digest) < 0)
		goto out;
	p.part = util_fmt("%s/%s.part", dir, e->name);
	p.info = util_fmt("%s.info", p.part);
	p.final = util_fmt("%s/%s-%.16s.img", dir, e->name, p.digest);
	p.side = util_fmt("%s.%s", p.final, p.alg);
	if (!pull_cached(&p)) {
		if (downloaded)
			*downloaded = true;
		if (pull_download(&p, progress, arg) < 0 || pull_install(&p) < 0)
			goto out;
	}
	*path_out = p.final; /* the caller owns it now */
	p.final = NULL;
	rc = 0;
out:
	if (curl_up)
		curl_global_cleanup();
	if (lock >= 0)
		close(lock);
	free(p.part);
	free(p.info);
	free(p.final);
	free(p.side);
	free(lockp);
	free(dir);
	return rc;
}

int image_remove(const struct vmm_home *h, const struct image_catalog *c, const char *name)
{
	const struct image_entry *e = image_find(c, name);
	struct image_cached *list = NULL;
	size_t n = 0;
	if (image_cached_list(h, name, &list, &n) < 0)
		return -1;
	if (!e && n == 0) {
		image_cached_free(list, n);
		return vmm_invalid("image %s: not in the catalog, the home or the cache", name);
	}
	char *dir = image_cache_dir(h);
	char *lockp = util_fmt("%s/%s.lock", dir, name);
	int lock = util_exists(dir) ? util_lock(lockp) : -1;
	int rc = util_exists(dir) && lock < 0 ? -1 : 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char *s256 = util_fmt("%s.sha256", list[i].path), *s512 = util_fmt("%s.sha512", list[i].path);
		if (unlink(list[i].path) < 0 && errno != ENOENT)
			rc = vmm_fail("%s: %s", list[i].path, util_strerror(errno));
		unlink(s256);
		unlink(s512);
		free(s256);
		free(s512);
	}
	if (rc == 0) {
		char *part = util_fmt("%s/%s.part", dir, name), *info = util_fmt("%s.info", part);
		unlink(part);
		unlink(info);
		free(part);
		free(info);
	}
	if (rc == 0 && e && e->home) {
		int hl = store_lock(h);
		rc = hl < 0 ? -1 : write_home_entries(h, c, NULL, name);
		if (hl >= 0)
			close(hl);
	}
	if (lock >= 0)
		close(lock); /* the lock file stays: unlinking it would let two pulls hold two locks */
	free(lockp);
	free(dir);
	image_cached_free(list, n);
	return rc;
}

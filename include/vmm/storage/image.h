/* SPDX-License-Identifier: MIT */
/* image.h: cloud images by name: the catalog, the home's entries, the verified download cache */
#ifndef VMM_IMAGE_H
#define VMM_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vmm/config/store.h"

/* One image the user can name. */
struct image_entry {
	char *name;
	char *url;       /* where the image is downloaded from */
	char *checksums; /* URL of a SHA256SUMS/SHA512SUMS/CHECKSUM file naming the image, or NULL */
	char *alg;       /* with a fixed digest: "sha256" or "sha512", else NULL */
	char *digest;    /* the fixed digest (lowercase hex), or NULL */
	char *user;      /* the image's default user, or NULL */
	char *description;
	bool home;       /* added to the home with `vmm image add` (else: the shipped catalog) */
	/* plain http:// URLs allowed: asked for (image add --insecure-http, `insecure_http =
	 * true;`), or the entry comes from a mirror allowed so */
	bool insecure_http;
};

struct image_catalog {
	struct image_entry *e;
	size_t n;
	char *catalog_path; /* the shipped catalog read, or NULL when none was found */
};

/*
 * The shipped catalog (VMM_IMAGE_CATALOG, else DATADIR/images.cfg, else contrib/images.cfg
 * beside the binary's build folder) and the home's entries (IMAGES/images.cfg); a home entry
 * shadows a catalog entry of the same name. mirror (or NULL): replaces each catalog entry's base
 * URL (the entry's file and checksums paths are kept below it). URLs are https://, file:// or,
 * only when asked for, plain http://: a plain http mirror is refused (one line why) unless
 * mirror_insecure (VMM_IMAGE_MIRROR_INSECURE=1), an http entry unless its insecure_http.
 */
int image_catalog_load(const struct vmm_home *h, const char *mirror, bool mirror_insecure,
		       struct image_catalog *c);
void image_catalog_free(struct image_catalog *c);
const struct image_entry *image_find(const struct image_catalog *c, const char *name);

/* Check an entry given on the command line (name, URL scheme and plain http, digest, user). */
int image_entry_check(const struct image_entry *e);
/* Add e to the home's images.cfg; refused when the home has an entry of that name. */
int image_add(const struct vmm_home *h, const struct image_entry *e);

/* A verified image in the cache. */
struct image_cached {
	char *path;
	uint64_t size;
	char alg[8];      /* "sha256" or "sha512" */
	char digest[129]; /* lowercase hex */
	time_t date;      /* when it was downloaded */
};
/* The cached downloads of NAME (newest first; *n may be 0). */
int image_cached_list(const struct vmm_home *h, const char *name, struct image_cached **list,
		      size_t *n);
void image_cached_free(struct image_cached *list, size_t n);
/* The cache folder: IMAGES/cache (malloc'd). */
char *image_cache_dir(const struct vmm_home *h);

/* Called during a download: bytes so far (including a resumed part) and the total (0: unknown). */
typedef void (*image_progress_fn)(void *arg, uint64_t now, uint64_t total, uint64_t resumed);

/* The most bytes a download may have when nothing else is said (VMM_IMAGE_MAX_SIZE). */
#define IMAGE_MAX_SIZE_DEFAULT (16ull << 30)

/*
 * Make sure a verified copy of e is in the cache and return its path (*path malloc'd).
 * The expected digest comes from e (fixed) or its checksums file. A copy with that digest already
 * cached is used as it is. Otherwise the image is downloaded (libcurl, the system's CA store) into
 * NAME.part, resuming a part left by an interrupted download of the same URL and digest, its digest
 * checked, and only then renamed into the cache; a mismatch removes the part and fails with both
 * digests. A download larger than limit bytes (0: IMAGE_MAX_SIZE_DEFAULT) is stopped and removed,
 * part included. One pull of NAME at a time (flock): a second waits and then finds the first's
 * copy. *downloaded (may be NULL) says whether bytes were fetched.
 */
int image_pull(const struct vmm_home *h, const struct image_entry *e, uint64_t limit,
	       image_progress_fn progress, void *arg, char **path, bool *downloaded);

/* Remove the cached copies of NAME (and its part) and, when it is a home entry, the entry. */
int image_remove(const struct vmm_home *h, const struct image_catalog *c, const char *name);

/* ---- pure helpers (unit tested) ---- */

/*
 * Find file's digest in a checksums file's text: GNU lines "HEX  FILE" / "HEX *FILE" and BSD lines
 * "SHA256 (FILE) = HEX" (Fedora's CHECKSUM); the algorithm follows from the tag or the length.
 * alg gets "sha256"/"sha512", digest lowercase hex. Returns 0, or -1 (not named, or malformed).
 */
int image_checksum_find(const char *text, const char *file, char alg[8], char digest[129]);
/* The digest of a file ("sha256" or "sha512") as lowercase hex, with OpenSSL's EVP. */
int image_file_digest(const char *path, const char *alg, char digest[129]);
/* The last path element of a URL, without query or fragment (malloc'd). */
char *image_url_file(const char *url);

#endif

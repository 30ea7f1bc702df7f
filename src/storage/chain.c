// SPDX-License-Identifier: MIT
/* chain.c: a disk's backing chain read from the qcow2 headers, each file opened the safe way */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/storage/chain.h"
#include "vmm/sys/error.h"
#include "vmm/sys/safepath.h"
#include "vmm/sys/util.h"

#define QCOW2_MAGIC 0x514649fbu
#define QCOW2_EXT_END 0u
#define QCOW2_EXT_BACKING_FMT 0xe2792acau
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)
#define CHAIN_HEADER_BYTES 65536

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* The header extensions from off on: the backing format. */
static int parse_exts(const unsigned char *buf, size_t len, size_t off, struct chain_header *h)
{
	while (off + 8 <= len) {
		uint32_t type = be32(buf + off), elen = be32(buf + off + 4);
		off += 8;
		if (type == QCOW2_EXT_END)
			return 0;
		if (elen > len - off)
			break;
		if (type == QCOW2_EXT_BACKING_FMT && elen < sizeof(h->backing_fmt)) {
			memcpy(h->backing_fmt, buf + off, elen);
			h->backing_fmt[elen] = '\0';
		}
		off += ((size_t)elen + 7) & ~(size_t)7;
	}
	return vmm_fail("qcow2 header extensions end past the first %zu bytes", len);
}

int chain_qcow2_parse(const unsigned char *buf, size_t len, struct chain_header *h)
{
	memset(h, 0, sizeof(*h));
	if (len < 4 || be32(buf) != QCOW2_MAGIC)
		return 0;
	h->qcow2 = true;
	if (len < 72)
		return vmm_fail("qcow2 header shorter than 72 bytes");
	uint32_t version = be32(buf + 4);
	uint64_t boff = be64(buf + 8);
	uint32_t blen = be32(buf + 16);
	size_t ext = 72;
	if (version < 2)
		return vmm_fail("qcow2 version %u", version);
	if (version >= 3) {
		if (len < 104)
			return vmm_fail("qcow2 header shorter than 104 bytes");
		h->data_file = be64(buf + 72) & QCOW2_INCOMPAT_DATA_FILE;
		ext = be32(buf + 100);
		if (ext < 104)
			return vmm_fail("qcow2 header length %zu", ext);
	}
	if (blen) {
		if (blen >= sizeof(h->backing) || boff > len || blen > len - boff)
			return vmm_fail("qcow2 backing file name outside the first %zu bytes", len);
		memcpy(h->backing, buf + boff, blen);
		h->backing[blen] = '\0';
		if (strlen(h->backing) != blen || !blen)
			return vmm_fail("qcow2 backing file name with a NUL byte");
	}
	return parse_exts(buf, len, ext, h);
}

void chain_close(struct disk_chain *c)
{
	for (size_t i = 0; i < c->n; i++) {
		close(c->v[i].fd);
		free(c->v[i].path);
	}
	memset(c, 0, sizeof(*c));
}

/* The first bytes of the file behind fd, parsed. */
static int read_header(int fd, const char *path, struct chain_header *h)
{
	unsigned char *buf = malloc(CHAIN_HEADER_BYTES);
	if (!buf)
		abort();
	ssize_t n = pread(fd, buf, CHAIN_HEADER_BYTES, 0);
	int rc = n < 0 ? vmm_fail("%s: %s", path, util_strerror(errno)) : 0;
	if (rc == 0 && chain_qcow2_parse(buf, (size_t)n, h) < 0)
		rc = vmm_error_prefix("%s", path);
	free(buf);
	return rc;
}

static bool same_file(int fd, const struct stat *b)
{
	struct stat a;
	return fstat(fd, &a) == 0 && a.st_dev == b->st_dev && a.st_ino == b->st_ino;
}

/* Is the file open as fd, reached through walk, one a backing file may be? */
static bool allowed(int fd, const struct safepath_walk *walk, const struct chain_allow *allow)
{
	struct stat want;
	bool ok = false;
	if (allow->backing) {
		int b = safepath_open("image", allow->backing, O_PATH, NULL);
		ok = b >= 0 && fstat(b, &want) == 0 && same_file(fd, &want);
		if (b >= 0)
			close(b);
	}
	if (!ok && allow->cache_dir && walk->n) {
		int d = safepath_open("cache", allow->cache_dir, O_PATH | O_DIRECTORY, NULL);
		ok = d >= 0 && fstat(d, &want) == 0 && same_file(walk->v[walk->n - 1].fd, &want);
		if (d >= 0)
			close(d);
	}
	vmm_error_clear();
	return ok;
}

/* The backing file name as a path: relative names are relative to the image's folder. */
static char *backing_path(const char *image, const char *name)
{
	if (name[0] == '/')
		return util_strdup(name);
	const char *slash = strrchr(image, '/');
	return util_fmt("%.*s/%s", slash ? (int)(slash - image) : 1, slash ? image : ".", name);
}

/* Open layer c->n (path, in the format fmt: NULL for the disk, which must be qcow2). */
static int open_layer(struct disk_chain *c, const char *disk, char *path, const char *fmt,
		      bool write, const struct chain_allow *allow, struct chain_header *h)
{
	struct safepath_walk walk = { 0 };
	bool top = c->n == 0;
	int fd = safepath_open(top ? "disk" : "backing file", path, write ? O_RDWR : O_RDONLY,
			       &walk);
	int rc = -1;
	if (fd < 0)
		goto out;
	if (!top && !allowed(fd, &walk, allow)) {
		vmm_invalid("disk %s: backing file %s: not the profile's image nor in %s (refused: "
			    "it could be another guest's file)",
			    disk, path, allow->cache_dir ? allow->cache_dir : "the image cache");
		goto out;
	}
	if (read_header(fd, path, h) < 0)
		goto out;
	if (!fmt)
		fmt = "qcow2";
	else if (!*fmt) /* not recorded: what the header shows (the cache's, or the profile's) */
		fmt = h->qcow2 ? "qcow2" : "raw";
	if (strcmp(fmt, "qcow2") && strcmp(fmt, "raw")) {
		vmm_invalid("disk %s: %s: format %s (qcow2 or raw only)", disk, path, fmt);
		goto out;
	}
	if (!strcmp(fmt, "qcow2") && (!h->qcow2 || h->data_file)) {
		vmm_invalid("disk %s: %s%s%s", disk, top ? "" : path, top ? "" : ": ",
			    h->qcow2 ? "has an external data file (refused)" : "not a qcow2 image");
		goto out;
	}
	if (!strcmp(fmt, "raw"))
		memset(h, 0, sizeof(*h)); /* a raw file names nothing */
	c->v[c->n++] = (struct chain_layer){ fd, path, !strcmp(fmt, "raw") ? "raw" : "qcow2" };
	fd = -1; /* the chain now owns fd and path */
	path = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	safepath_walk_free(&walk);
	return rc;
}

int chain_open(const char *disk, bool write, const struct chain_allow *allow,
	       struct disk_chain *c)
{
	struct chain_header *h = malloc(sizeof(*h));
	char fmt[sizeof(h->backing_fmt)];
	if (!h)
		abort();
	memset(c, 0, sizeof(*c));
	int rc = open_layer(c, disk, util_strdup(disk), NULL, write, allow, h);
	while (rc == 0 && h->backing[0]) {
		if (c->n == CHAIN_MAX) {
			rc = vmm_invalid("disk %s: more than %d backing files", disk,
					 CHAIN_MAX - 1);
			break;
		}
		snprintf(fmt, sizeof(fmt), "%s", h->backing_fmt);
		char *path = backing_path(c->v[c->n - 1].path, h->backing);
		rc = open_layer(c, disk, path, fmt, false, allow, h); /* it owns path */
	}
	free(h);
	if (rc < 0)
		chain_close(c);
	return rc;
}

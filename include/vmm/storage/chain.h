/* SPDX-License-Identifier: MIT */
/* chain.h: a guest's disk and its backing files, opened by vmm and handed to QEMU as descriptors */
#ifndef VMM_CHAIN_H
#define VMM_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHAIN_MAX 16 /* layers: the disk and up to 15 backing files */

/* What a qcow2 header says about the files QEMU would open besides it. */
struct chain_header {
	bool qcow2;          /* the magic is there */
	char backing[4096];  /* the backing file's name as written ("" when none) */
	char backing_fmt[16]; /* its format from the header extension ("" when not recorded) */
	bool data_file;      /* an external data file (QEMU would open another path) */
};
/* Read a qcow2 header from the first len bytes of an image. Pure. -1 (error slot) when the
 * header is a qcow2 one that cannot be read from those bytes. */
int chain_qcow2_parse(const unsigned char *buf, size_t len, struct chain_header *h);

struct chain_layer {
	int fd;           /* read-write for the disk when asked, else read-only */
	char *path;
	const char *fmt;  /* "qcow2" or "raw" */
};
struct disk_chain {
	struct chain_layer v[CHAIN_MAX]; /* v[0] the disk, v[1] its backing file, ... */
	size_t n;
};

/* Where a backing file may be: the profile's own image (backing, may be NULL), or a file in the
 * image cache folder (cache_dir). */
struct chain_allow {
	const char *backing;
	const char *cache_dir;
};

/*
 * Open the qcow2 disk and every backing file its headers name (vmm reads the headers itself; no
 * format is probed for the disk), each as safepath_open does. A backing file that is neither the
 * profile's image nor in the cache is refused (invalid input): a disk's header is written by
 * whoever had the disk, and could name another guest's disk or seed. So are an external data
 * file, a format other than qcow2 and raw, and a chain longer than CHAIN_MAX.
 * "disk PATH: backing file B: not the profile's image nor in CACHE (refused: it could be
 * another guest's file)". On failure nothing stays open.
 */
int chain_open(const char *disk, bool write, const struct chain_allow *allow,
	       struct disk_chain *c);
void chain_close(struct disk_chain *c);

#endif

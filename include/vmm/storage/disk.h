/* SPDX-License-Identifier: MIT */
/* disk.h: qcow2 disks through qemu-img (spawned with an argv), never overwriting one */
#ifndef VMM_DISK_H
#define VMM_DISK_H

#include <stddef.h>
#include <stdint.h>

/* Create a new qcow2 at path with the given virtual size; refuses when path exists. */
int disk_create(const char *path, uint64_t bytes);
/* Create a qcow2 overlay at path on backing (its format read with qemu-img info);
 * bytes 0 keeps the backing's size. Refuses when path exists. */
int disk_create_overlay(const char *path, const char *backing, uint64_t bytes);
/* Format ("qcow2", "raw", ...) and virtual size of an image (format may be NULL). */
int disk_info(const char *path, char **format, uint64_t *virtual_size);

/* A full copy of src at dst as a standalone qcow2 (qemu-img convert: backing files flattened,
 * internal snapshots left behind). Refuses when dst exists; a failed copy is removed. */
int disk_copy(const char *src, const char *dst);

#endif

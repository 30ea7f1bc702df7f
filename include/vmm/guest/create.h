/* SPDX-License-Identifier: MIT */
/* create.h: a new guest from the command line's values: its profile, its disk, net.cfg */
#ifndef VMM_GUEST_CREATE_H
#define VMM_GUEST_CREATE_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/config/profile.h"
#include "vmm/config/store.h"

#define GUEST_CREATE_DEFAULT_SIZE "20G"

struct guest_create_req {
	const char *name;
	const struct profile_kv *kvs; /* profile keys in order, as `vmm set` takes them; relative */
	size_t n_kvs;                 /* file names (iso, kernel...) are made absolute */
	const char *image;            /* base the disk on this image (a qcow2 overlay), or NULL */
	bool image_pending;           /* dry run: image is where a pull would put it (not checked) */
	const char *size;             /* disk size, or NULL: 20G (the image's size with image) */
	bool reuse_disk;              /* adopt an existing disk at the disk path */
	bool dry_run;                 /* resolve and check everything, change nothing */
};

struct guest_create_result {
	struct vmm_profile profile; /* as written (or as it would be) */
	char *disk;                 /* the disk's path */
	char *plan;                 /* dry run: "# would write FILE", its text, "# would run: qemu-img..." */
};

/*
 * Under the home's lock: refuse an existing guest or (unless reuse_disk) an existing disk,
 * resolve the profile (defaults, a free address, VNC display, MAC and tap), validate it, then
 * write net.cfg if the home has none yet, create the disk and write the profile; a failure
 * after the disk was made removes it again. The writing is guest_edit_commit's (edit.h): a guest
 * with port forwards is refused up front when the network is up and the firewall may not be
 * changed; once written, its forwards reach the firewall at once, the profile and the disk going
 * again when that fails. With dry_run only out->plan is filled in.
 * Returns 0, or -1 with the error slot set (nothing changed). Free out with
 * guest_create_result_free (also after a failure).
 */
int guest_create(const struct vmm_home *h, const struct guest_create_req *req,
		 struct guest_create_result *out);
void guest_create_result_free(struct guest_create_result *r);

#endif

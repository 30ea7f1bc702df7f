// SPDX-License-Identifier: MIT
/* guest/clone.c: a copy of a stopped guest with its own identity: profile, disk, UEFI variables */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/config/alloc.h"
#include "vmm/config/validate.h"
#include "vmm/guest/clone.h"
#include "vmm/guest/lifecycle.h"
#include "vmm/storage/chain.h"
#include "vmm/storage/disk.h"
#include "vmm/storage/image.h"
#include "vmm/storage/disksnap.h"
#include "vmm/storage/firmware.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

/* The home's guests and net.cfg, loaded under its lock. */
struct clone_ctx {
	const struct vmm_home *h;
	struct vmm_netcfg net;
	struct vmm_profile *all;
	size_t n_all;
	struct vmm_profile src;
	bool have_net, have_src;
};

/* NEW's profile: SRC's (a deep copy through its text), then its own identity. */
static int new_profile(struct clone_ctx *c, const char *dst, struct vmm_profile *p)
{
	char *text = profile_format(&c->src);
	int rc = profile_parse(text, dst, dst, p);
	free(text);
	if (rc < 0)
		return -1;
	free(p->hostname);
	p->hostname = NULL; /* the new name, unless the user sets one */
	free(p->forwards);
	p->forwards = NULL; /* SRC's host ports are SRC's */
	p->n_forwards = 0;
	p->autostart = false;
	free(p->disk_path);
	p->disk_path = util_fmt("%s.qcow2", dst);
	free(p->address);
	p->address = NULL;
	profile_default_mac(dst, p->mac);
	for (unsigned k = 1; k < 4096; k++) { /* a clash: from the name salted */
		bool clash = false;
		for (size_t i = 0; i < c->n_all && !clash; i++)
			clash = !strcasecmp(c->all[i].mac, p->mac);
		if (!clash)
			break;
		char salted[VMM_NAME_MAX + 16];
		snprintf(salted, sizeof(salted), "%s#%u", dst, k);
		profile_default_mac(salted, p->mac);
	}
	if (profile_pick_address(&c->net, c->all, c->n_all, &p->address) < 0)
		return -1;
	if (profile_vnc_tcp(p) && profile_pick_vnc(c->all, c->n_all, &p->vnc_display) < 0)
		return -1;
	profile_pick_tap(dst, c->all, c->n_all, p->tap);
	if (profile_validate(p, &c->net) < 0 || profile_check_conflicts(p, c->all, c->n_all) < 0)
		return -1;
	return 0;
}

/* Under the frozen base the overlays name it as their profile's image, so every older layer must
 * be in the image cache (chain_open refuses a backing file that is neither: a start would). */
static int check_chain(struct clone_ctx *c, const char *disk)
{
	char *backing = c->src.backing ? store_image_path(c->h, c->src.backing) : NULL;
	char *cache = image_cache_dir(c->h);
	struct chain_allow allow = { backing, cache };
	struct disk_chain ch;
	bool opened = chain_open(disk, false, &allow, &ch) == 0;
	int rc = opened ? 0 : -1;
	size_t len = strlen(cache);
	for (size_t i = 1; opened && rc == 0 && i < ch.n; i++)
		if (strncmp(ch.v[i].path, cache, len) || ch.v[i].path[len] != '/')
			rc = vmm_invalid("%s: its image %s is outside the image cache, so overlays on "
					 "a frozen base could not name it: clone with --full",
					 c->src.name, ch.v[i].path);
	if (opened)
		chain_close(&ch);
	free(cache);
	free(backing);
	return rc;
}

/* Refusals about SRC: loadable, local, stopped, its disk there (and, for an overlay clone,
 * without snapshots). */
static int check_src(struct clone_ctx *c, const char *src, bool full)
{
	const struct vmm_backend *b;
	struct vmm_status st;
	char host[64] = "local";
	if (store_load(c->h, src, &c->src) < 0)
		return -1;
	c->have_src = true;
	b = backend_for(&c->src);
	int remote = b->where ? b->where(&c->src, host, sizeof(host)) : 0;
	if (remote)
		return remote < 0 ? -1 : vmm_invalid("%s: its disk is a volume on %s: vmm clones "
						     "local guests", src, host);
	if (lifecycle_status(c->h, &c->src, &st) < 0)
		return -1;
	if (st.state == VMM_RUNNING)
		return vmm_invalid("%s: running: stop it first (a clone starts from a stopped "
				   "guest's disk)", src);
	struct disksnap *v = NULL;
	size_t n = 0;
	char *disk = store_disk_path(c->h, &c->src);
	int rc = 0;
	if (!util_exists(disk))
		rc = vmm_fail("%s: disk %s: no such file", src, disk);
	else if (!full && disksnap_list(src, disk, &v, &n) < 0)
		rc = -1; /* not qcow2 (an overlay needs it), or unreadable */
	else if (n)
		rc = vmm_invalid("%s: has %zu snapshot%s, which would stay behind in the frozen base: "
				 "clone with --full, or delete them",
				 src, n, n == 1 ? "" : "s");
	else if (!full)
		rc = check_chain(c, disk);
	free(v);
	free(disk);
	return rc;
}

/* A name for the frozen base next to SRC's disk: DIR/SRC-base-N.qcow2, N the first free. */
static char *base_path(const char *disk, const char *src)
{
	const char *slash = strrchr(disk, '/');
	int dirlen = slash ? (int)(slash - disk) : 1;
	for (unsigned i = 1;; i++) {
		char *p = util_fmt("%.*s/%s-base-%u.qcow2", dirlen, slash ? disk : ".", src, i);
		if (access(p, F_OK) < 0)
			return p;
		free(p);
	}
}

/* Freeze SRC's disk as the base and put an overlay on it for SRC and one for NEW. */
static int overlay_disks(const char *src_disk, const char *new_disk, const char *src, char **base)
{
	*base = base_path(src_disk, src);
	if (rename(src_disk, *base) < 0) {
		int e = errno;
		free(*base);
		*base = NULL;
		return vmm_fail("%s: %s: %s", src, src_disk, util_strerror(e));
	}
	/* read-only from now on: QEMU's user gets read access to it at each start */
	if (chmod(*base, 0400) < 0) {
		vmm_fail("%s: %s: %s", src, *base, util_strerror(errno));
		goto undo;
	}
	if (disk_create_overlay(src_disk, *base, 0) < 0)
		goto undo;
	if (disk_create_overlay(new_disk, *base, 0) < 0) {
		unlink(src_disk);
		goto undo;
	}
	return 0;
undo: {
	struct vmm_saved_error e;
	vmm_error_save(&e);
	rename(*base, src_disk); /* SRC's disk as it was */
	free(*base);
	*base = NULL;
	return vmm_error_restore(&e);
}
}

/* SRC's UEFI variables (qemu backend: qcow2; libvirt: raw) become NEW's too; made[] gets the
 * files written (for the undo). */
static int copy_vars(const struct vmm_home *h, const struct vmm_profile *src,
		     const struct vmm_profile *dst, char *made[2])
{
	enum firmware_kind k;
	if (firmware_parse(src->firmware, &k) < 0 || k == FIRMWARE_BIOS)
		return 0;
	for (int qcow2 = 0; qcow2 < 2; qcow2++) {
		char *from = firmware_vars_path(h, src->name, k, qcow2);
		char *to = firmware_vars_path(h, dst->name, k, qcow2);
		int rc = 0;
		if (util_exists(from)) {
			rc = disk_copy(from, to); /* qemu-img convert: qcow2 stays qcow2 */
			if (rc == 0 && !qcow2) {
				unlink(to); /* libvirt's NVRAM is raw: a byte copy */
				size_t len = 0;
				char *data = util_read_file(from, &len);
				rc = data ? util_write_file(to, data, len, 0600) : -1;
				free(data);
			}
			if (rc == 0)
				made[qcow2] = util_strdup(to);
		}
		free(from);
		free(to);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static void ctx_free(struct clone_ctx *c)
{
	if (c->have_net)
		netcfg_free(&c->net);
	if (c->have_src)
		profile_free(&c->src);
	store_free_all(c->all, c->n_all);
}

/* Write NEW's profile, and SRC's when its disk became an overlay on the base: for both, the
 * base is now the profile's image. */
static int save_profiles(struct clone_ctx *c, struct vmm_profile *p, const char *base)
{
	if (base) {
		free(p->backing);
		p->backing = util_strdup(base);
	}
	if (store_save(c->h, p) < 0)
		return -1;
	if (!base)
		return 0;
	free(c->src.backing);
	c->src.backing = util_strdup(base); /* SRC's disk is an overlay now */
	if (store_save(c->h, &c->src) == 0)
		return 0;
	char *cfg = store_profile_path(c->h, p->name);
	unlink(cfg);
	free(cfg);
	return -1;
}

int guest_clone(const struct vmm_home *h, const char *src, const char *dst, bool full,
		struct guest_clone_result *out)
{
	struct clone_ctx c = { .h = h };
	char *src_disk = NULL, *new_disk = NULL, *vars[2] = { NULL, NULL };
	int lock = -1, rc = -1;
	bool disk_made = false;
	memset(out, 0, sizeof(*out));
	profile_init(&out->profile);
	if (profile_check_name(dst) < 0)
		return -1;
	if ((lock = store_lock(h)) < 0)
		return -1;
	if (store_exists(h, dst)) {
		vmm_invalid("%s: already exists (see vmm show %s)", dst, dst);
		goto out;
	}
	if (check_src(&c, src, full) < 0 || store_load_net(h, &c.net) < 0)
		goto out;
	c.have_net = true;
	struct store_invalid *bad = NULL;
	size_t n_bad = 0; /* a profile that does not load holds nothing a clone could clash with */
	rc = store_load_all(h, &c.all, &c.n_all, &bad, &n_bad);
	store_free_invalid(bad, n_bad);
	if (rc < 0 || (rc = new_profile(&c, dst, &out->profile)) < 0)
		goto out;
	rc = -1;
	src_disk = store_disk_path(h, &c.src);
	new_disk = store_disk_path(h, &out->profile);
	if (access(new_disk, F_OK) == 0) {
		vmm_invalid("disk %s: already exists (not overwriting)", new_disk);
		goto out;
	}
	if ((full ? disk_copy(src_disk, new_disk) : overlay_disks(src_disk, new_disk, src,
								   &out->base)) < 0)
		goto out;
	disk_made = true;
	if (copy_vars(h, &c.src, &out->profile, vars) < 0 ||
	    save_profiles(&c, &out->profile, out->base) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && disk_made) { /* undo: SRC's disk as it was, nothing of NEW's */
		struct vmm_saved_error e;
		vmm_error_save(&e);
		unlink(new_disk);
		if (out->base && unlink(src_disk) == 0)
			rename(out->base, src_disk);
		for (int i = 0; i < 2; i++)
			if (vars[i])
				unlink(vars[i]);
		vmm_error_restore(&e);
	}
	free(vars[0]);
	free(vars[1]);
	free(src_disk);
	free(new_disk);
	ctx_free(&c);
	close(lock);
	return rc;
}

void guest_clone_result_free(struct guest_clone_result *r)
{
	profile_free(&r->profile);
	free(r->base);
	memset(r, 0, sizeof(*r));
}

// SPDX-License-Identifier: MIT
/* create.c: `vmm create`'s work: resolve the profile, write net.cfg, the disk, the profile */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vmm/config/profile.h"
#include "vmm/net/forward.h"
#include "vmm/config/forward_spec.h"
#include "vmm/config/alloc.h"
#include "vmm/config/validate.h"
#include "vmm/storage/disk.h"
#include "vmm/sys/error.h"
#include "vmm/guest/create.h"
#include "vmm/guest/edit.h"
#include "vmm/net/netmode.h"
#include "vmm/sys/util.h"

static int absolute(const char *what, const char *path, char **out)
{
	char *abs = realpath(path, NULL);
	if (!abs)
		return vmm_invalid("%s %s: %s", what, path, util_strerror(errno));
	*out = abs;
	return 0;
}

/* One KEY=VALUE: a bare address takes the bridge's prefix, file names must be readable and
 * become absolute. */
static int set_key(struct vmm_profile *p, const struct profile_kv *kv, const struct vmm_netcfg *net)
{
	const char *v = kv->value;
	char *owned = NULL;
	/* --forward is repeatable: each adds one (vmm set's forward= is the whole list) */
	if (!strcmp(kv->key, "forward"))
		return profile_add_forward(p, v);
	/* a file whose path the profile keeps (iso, kernel...): stored absolute */
	const struct profile_key *k = profile_key_find(kv->key);
	bool file = k && (k->flags & PROFILE_KEY_FILE) && k->field.type == CFG_STRING;
	if (!strcmp(kv->key, "address") && !strchr(v, '/')) {
		v = owned = util_fmt("%s/%u", v, net->prefix);
	} else if (file) {
		if (util_check_readable(profile_key_what(k), v) < 0 ||
		    absolute(kv->key, v, &owned) < 0)
			return -1;
		v = owned;
	}
	int rc = profile_set_key(p, kv->key, v);
	free(owned);
	return rc;
}

/* A MAC derived from the name; on a clash with another guest, from the name salted. */
static void pick_mac(struct vmm_profile *p, const struct vmm_profile *others, size_t n_others)
{
	profile_default_mac(p->name, p->mac);
	for (unsigned k = 1; k < 65536; k++) {
		bool clash = false;
		for (size_t i = 0; i < n_others && !clash; i++)
			clash = !strcasecmp(others[i].mac, p->mac);
		if (!clash)
			return;
		char salted[VMM_NAME_MAX + 16];
		snprintf(salted, sizeof(salted), "%s#%u", p->name, k);
		profile_default_mac(salted, p->mac);
	}
}

static int resolve(const struct guest_create_req *r, const struct vmm_netcfg *net,
		   const struct vmm_profile *others, size_t n_others, struct vmm_profile *p)
{
	snprintf(p->name, sizeof(p->name), "%s", r->name);
	p->vnc_listen = util_strdup("127.0.0.1");
	for (size_t i = 0; i < r->n_kvs; i++)
		if (set_key(p, &r->kvs[i], net) < 0)
			return -1;
	if (r->image && r->dry_run && r->image_pending)
		p->backing = util_strdup(r->image);
	else if (r->image && (util_check_readable("image", r->image) < 0 ||
			      absolute("image", r->image, &p->backing) < 0))
		return -1;
	if (r->size) {
		uint64_t bytes;
		if (util_parse_size("size", r->size, &bytes) < 0)
			return -1;
		p->disk_size = util_strdup(r->size);
	} else if (!r->image && !r->reuse_disk) {
		p->disk_size = util_strdup(GUEST_CREATE_DEFAULT_SIZE);
	}
	p->disk_path = util_fmt("%s.qcow2", r->name);
	if (!p->mac[0])
		pick_mac(p, others, n_others);
	if (!p->address && profile_pick_address(net, others, n_others, &p->address) < 0)
		return -1;
	/* the screen on a private unix socket unless TCP is asked for (issue 17, item 7) */
	if (p->vnc_display == -1)
		p->vnc_display = VMM_VNC_SOCKET;
	if (!p->tap[0])
		profile_pick_tap(r->name, others, n_others, p->tap);
	if (profile_validate(p, net) < 0 || profile_check_conflicts(p, others, n_others) < 0)
		return -1;
	return 0;
}

/* The disk to adopt must be there and readable by qemu-img; a new one must not exist. */
static int check_disk(const char *disk, bool reuse)
{
	if (!reuse) {
		if (access(disk, F_OK) == 0)
			return vmm_invalid("disk %s: already exists (not overwriting; use --reuse-disk "
					   "to adopt it)", disk);
		return 0;
	}
	char *fmt = NULL;
	if (util_check_readable("disk", disk) < 0 || disk_info(disk, &fmt, NULL) < 0)
		return -1;
	free(fmt);
	return 0;
}

static char *plan_text(const struct vmm_profile *p, const char *cfg, const char *text,
		       const char *disk, bool reuse)
{
	uint64_t bytes = 0;
	if (p->disk_size)
		util_parse_size("size", p->disk_size, &bytes); /* checked by resolve */
	if (reuse)
		return util_fmt("# would write %s\n%s", cfg, text);
	if (p->backing)
		return util_fmt("# would write %s\n%s# would run: qemu-img create -q -f qcow2 -F "
				"<format of %s> -b %s %s %" PRIu64 "\n",
				cfg, text, p->backing, p->backing, disk, bytes);
	return util_fmt("# would write %s\n%s# would run: qemu-img create -q -f qcow2 %s %" PRIu64
			"\n", cfg, text, disk, bytes);
}

/* net.cfg is written once so that the user can see and edit the defaults. */
static int write_netcfg(const struct vmm_home *h, const struct vmm_netcfg *net)
{
	char *path = store_net_path(h);
	int rc = 0;
	if (!util_exists(path)) {
		char *text = netcfg_format(net);
		rc = util_write_file(path, text, strlen(text), 0644);
		free(text);
	}
	free(path);
	return rc;
}

/* Create the disk, then the profile; the disk goes again if the profile cannot be written. */
static int write_guest(const struct vmm_home *h, const struct guest_create_req *r,
		       const struct vmm_profile *p, const char *disk, const char *cfg,
		       const char *text)
{
	if (!r->reuse_disk) {
		uint64_t bytes = 0;
		if (p->disk_size && util_parse_size("size", p->disk_size, &bytes) < 0)
			return -1;
		if ((p->backing ? disk_create_overlay(disk, p->backing, bytes)
				: disk_create(disk, bytes)) < 0)
			return -1;
	}
	if (util_write_file(cfg, text, strlen(text), 0644) < 0) {
		if (!r->reuse_disk)
			unlink(disk);
		return -1;
	}
	return 0; /* the profile now owns the disk */
}

/* The new guest reaches the home: net.cfg when there is none, the disk, the profile. Its undo
 * removes the profile and the disk it made. */
struct create_step {
	const struct vmm_home *h;
	const struct guest_create_req *r;
	const struct vmm_netcfg *net;
	const struct vmm_profile *p;
	const char *disk, *cfg, *text;
};

static int create_run(void *arg)
{
	struct create_step *s = arg;
	if (write_netcfg(s->h, s->net) < 0)
		return -1;
	return write_guest(s->h, s->r, s->p, s->disk, s->cfg, s->text);
}

static void create_undo(void *arg)
{
	struct create_step *s = arg;
	unlink(s->cfg); /* nothing half-done: no profile, no new disk */
	if (!s->r->reuse_disk)
		unlink(s->disk);
}

int guest_create(const struct vmm_home *h, const struct guest_create_req *r,
		 struct guest_create_result *out)
{
	struct guest_edit e;
	const struct vmm_netcfg *net;
	char *cfg = NULL, *text = NULL;
	int rc = -1;
	memset(out, 0, sizeof(*out));
	profile_init(&out->profile);
	/* a profile that does not load holds nothing vmm can see: it does not block others */
	if (guest_edit_begin(h, &e) < 0 || !(net = guest_edit_net(&e)))
		goto out;
	if (store_exists(h, r->name)) {
		vmm_invalid("%s: already exists (see vmm show %s)", r->name, r->name);
		goto out;
	}
	if (resolve(r, net, e.all, e.n_all, &out->profile) < 0)
		goto out;
	/* a forward may not take a host port from the host unless forced ('!'); without root none
	 * below the unprivileged ports */
	if (netmode_current()->forwards_possible(&out->profile) < 0 ||
	    forward_check_new(&out->profile, NULL, 0) < 0)
		goto out;
	out->disk = store_disk_path(h, &out->profile);
	cfg = store_profile_path(h, r->name);
	if (check_disk(out->disk, r->reuse_disk) < 0)
		goto out;
	text = profile_format(&out->profile);
	if (r->dry_run) {
		out->plan = plan_text(&out->profile, cfg, text, out->disk, r->reuse_disk);
		rc = 0;
		goto out;
	}
	struct create_step s = { h, r, net, &out->profile, out->disk, cfg, text };
	struct guest_edit_step write = { create_run, create_undo, &s };
	rc = guest_edit_commit(&e, NULL, &out->profile, &write, NULL);
out:
	guest_edit_end(&e);
	free(text);
	free(cfg);
	return rc;
}

void guest_create_result_free(struct guest_create_result *r)
{
	profile_free(&r->profile);
	free(r->disk);
	free(r->plan);
	memset(r, 0, sizeof(*r));
}

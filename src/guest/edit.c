// SPDX-License-Identifier: MIT
/* edit.c: a guest's profile changes: set, delete, autostart, and the commit they (and create)
 * share: write, the firewall's forwards follow, roll back */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/backend/swtpm.h"
#include "vmm/guest/edit.h"
#include "vmm/storage/firmware.h"
#include "vmm/guest/lifecycle.h"
#include "vmm/net/forward.h"
#include "vmm/net/hostnet.h"
#include "vmm/net/netmode.h"
#include "vmm/storage/sshkey.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"
#include "vmm/config/validate.h"

/* ---- the home under its lock ---- */

int guest_edit_begin(const struct vmm_home *h, struct guest_edit *e)
{
	memset(e, 0, sizeof(*e));
	e->h = h;
	if ((e->lock = store_lock(h)) < 0)
		return -1;
	return store_load_all(h, &e->all, &e->n_all, &e->bad, &e->n_bad);
}

const struct vmm_netcfg *guest_edit_net(struct guest_edit *e)
{
	if (e->have_net)
		return &e->net;
	e->have_net = true; /* net holds the defaults even when the file does not load */
	return store_load_net(e->h, &e->net) < 0 ? NULL : &e->net;
}

void guest_edit_end(struct guest_edit *e)
{
	if (e->lock >= 0)
		close(e->lock);
	e->lock = -1;
	store_free_all(e->all, e->n_all);
	store_free_invalid(e->bad, e->n_bad);
	if (e->have_net)
		netcfg_free(&e->net);
	e->all = NULL;
	e->bad = NULL;
	e->n_all = e->n_bad = 0;
	e->have_net = false;
}

/* ---- the commit ---- */

/* Every guest's profile, p standing for the guest of that name (NULL: it has none any more), the
 * others as they loaded under the lock; *n their count. Shallow copies: their strings stay e's and
 * p's; free() only the array. Aborts when out of memory. */
static struct vmm_profile *profiles_with(const struct guest_edit *e, const char *name,
					 const struct vmm_profile *p, size_t *n)
{
	struct vmm_profile *v = calloc(e->n_all + 1, sizeof(*v));
	size_t k = 0;
	if (!v)
		abort();
	for (size_t i = 0; i < e->n_all; i++)
		if (strcmp(e->all[i].name, name))
			v[k++] = e->all[i];
	if (p)
		v[k++] = *p;
	*n = k;
	return v;
}

/* The firewall's forwards become every guest's, p standing for the guest of that name (NULL:
 * it has none any more): profiles_with's list. */
static int forwards_follow(struct guest_edit *e, const char *name, const struct vmm_profile *p)
{
	const struct vmm_netcfg *n = guest_edit_net(e);
	if (!n)
		return -1;
	size_t k;
	struct vmm_profile *v = profiles_with(e, name, p, &k);
	int rc = netmode_current()->forwards_update(e->h, n, v, k);
	free(v);
	return rc;
}

/* The bridge's dnsmasq gets the profiles as they are now (p for its name, NULL: deleted) when it
 * runs: a new or changed reservation and name counts at once. The profile is already written: a
 * failure here is told, not rolled back (net up gives dnsmasq the profiles again). */
static void services_follow(struct guest_edit *e, const char *name, const struct vmm_profile *p)
{
	const struct vmm_netcfg *n = guest_edit_net(e);
	size_t k;
	struct vmm_profile *v = profiles_with(e, name, p, &k);
	if (n && hostnet_services_update(e->h, n, v, k) < 0)
		vmm_notice("%s: dnsmasq: %s (vmm net up gives it the profiles again)", name,
			   vmm_errmsg());
	vmm_error_clear();
	free(v);
}

static bool forwards_move(const struct vmm_profile *before, const struct vmm_profile *after)
{
	if (before && after)
		return !forward_same(before, after);
	const struct vmm_profile *p = before ? before : after;
	return p && p->n_forwards > 0;
}

int guest_edit_commit(struct guest_edit *e, const struct vmm_profile *before,
		      const struct vmm_profile *after, const struct guest_edit_step *write,
		      const struct guest_edit_step *then)
{
	const char *name = before ? before->name : after ? after->name : NULL;
	bool fwd = name && forwards_move(before, after);
	struct vmm_saved_error err;
	if (fwd && netmode_current()->forwards_check(e->h) < 0)
		return -1;
	if (write->run(write->arg) < 0)
		return -1;
	if (fwd && forwards_follow(e, name, after) < 0)
		goto undo_write;
	if (!then || then->run(then->arg) == 0) {
		if (name)
			services_follow(e, name, after);
		return 0;
	}
	vmm_error_save(&err);
	if (fwd && forwards_follow(e, name, before) < 0)
		vmm_notice("%s: the firewall's forwards could not be put back: %s", name,
			   vmm_errmsg());
	vmm_error_restore(&err);
undo_write:
	vmm_error_save(&err);
	if (write->undo)
		write->undo(write->arg);
	return vmm_error_restore(&err);
}

/* Writing a profile; its undo writes the one it replaced. */
struct save_step {
	const struct vmm_home *h;
	const struct vmm_profile *p, *old;
};

static int save_run(void *arg)
{
	struct save_step *s = arg;
	return store_save(s->h, s->p);
}

static void save_undo(void *arg)
{
	struct save_step *s = arg;
	store_save(s->h, s->old); /* nothing half-done: the profile as it was */
}

/* ---- set ---- */

static int apply_kvs(struct vmm_profile *p, const struct profile_kv *kvs, size_t n_kvs,
		     const struct vmm_netcfg *net)
{
	for (size_t i = 0; i < n_kvs; i++) {
		const char *key = kvs[i].key, *value = kvs[i].value;
		char *full = NULL;
		if ((!strcmp(key, "address") || !strcmp(key, "ip")) && !strchr(value, '/'))
			value = full = util_fmt("%s/%u", value, net->prefix);
		int rc = profile_set_key(p, key, value);
		free(full);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int guest_set(const struct vmm_home *h, const char *name, const struct profile_kv *kvs,
	      size_t n_kvs, bool dry_run, struct guest_set_result *out)
{
	struct guest_edit e;
	const struct vmm_netcfg *net;
	struct vmm_profile *p = &out->profile;
	int rc = -1;
	memset(out, 0, sizeof(*out));
	profile_init(&out->before);
	profile_init(p);
	if (guest_edit_begin(h, &e) < 0 || !(net = guest_edit_net(&e)) ||
	    store_load(h, name, &out->before) < 0 || store_load(h, name, p) < 0)
		goto out;
	if (apply_kvs(p, kvs, n_kvs, net) < 0 || profile_validate(p, net) < 0 ||
	    profile_check_conflicts(p, e.all, e.n_all) < 0)
		goto out;
	/* a new forward may not take a host port from the host unless forced ('!'); without root
	 * none below the unprivileged ports */
	if (netmode_current()->forwards_possible(p) < 0 ||
	    forward_check_new(p, out->before.forwards, out->before.n_forwards) < 0)
		goto out;
	if (dry_run) {
		out->plan = profile_format(p);
		rc = 0;
		goto out;
	}
	struct save_step s = { h, p, &out->before };
	struct guest_edit_step write = { save_run, save_undo, &s };
	if (guest_edit_commit(&e, &out->before, p, &write, NULL) < 0)
		goto out;
	out->running = store_state(h, name, NULL) == VMM_RUNNING;
	rc = 0;
out:
	guest_edit_end(&e);
	return rc;
}

void guest_set_result_free(struct guest_set_result *r)
{
	profile_free(&r->before);
	profile_free(&r->profile);
	free(r->plan);
	memset(r, 0, sizeof(*r));
}

/* ---- delete ---- */

/* Removing a profile; its undo writes its bytes back (a profile that does not load too). */
struct remove_step {
	const char *path;
	char *text; /* the file as it was */
	size_t len;
};

static int remove_run(void *arg)
{
	struct remove_step *s = arg;
	if (!(s->text = util_read_file(s->path, &s->len)))
		return -1;
	if (unlink(s->path) < 0)
		return vmm_fail("%s: %s", s->path, util_strerror(errno));
	return 0;
}

static void remove_undo(void *arg)
{
	struct remove_step *s = arg;
	util_write_file(s->path, s->text, s->len, 0644); /* nothing half-done: the profile stays */
}

/* The guest's profile, or (invalid) the fact that it does not load; running guests refused. */
static int delete_load(const struct vmm_home *h, const char *name, struct vmm_profile *p,
		       bool *invalid)
{
	enum vmm_state state;
	*invalid = false;
	if (store_load(h, name, p) == 0) {
		struct vmm_status st;
		lifecycle_status_any(h, p, &st);
		state = st.state;
	} else {
		if (vmm_errcode() != VMM_EINVAL || !store_exists(h, name))
			return -1;
		/* a profile that does not load can still be deleted; its disk is not known for
		 * sure, so it stays */
		*invalid = true;
		vmm_error_clear();
		state = store_state(h, name, NULL);
	}
	if (state == VMM_RUNNING)
		return vmm_fail("%s: is running (stop it first: vmm stop %s)", name, name);
	return 0;
}

/* What purge removes besides the profile; the last failure stays in the slot. */
static int purge(const struct guest_delete_result *r)
{
	int rc = 0;
	if (unlink(r->seed) < 0 && errno != ENOENT)
		rc = vmm_fail("%s: %s", r->seed, util_strerror(errno));
	if (r->disk && unlink(r->disk) < 0 && errno != ENOENT)
		rc = vmm_fail("%s: %s", r->disk, util_strerror(errno));
	/* a new guest of this name gets new host keys, firmware variables and TPM */
	if (util_rm_rf(r->keys) < 0)
		rc = -1;
	for (int i = 0; r->state[i]; i++)
		if (util_rm_rf(r->state[i]) < 0)
			rc = -1;
	return rc;
}

/* The guest's device state that exists: its UEFI variables (qcow2 and raw, of each firmware) and
 * its TPM's folder. */
static void device_state(const struct vmm_home *h, const char *name, char *state[6])
{
	static const enum firmware_kind kinds[] = { FIRMWARE_UEFI, FIRMWARE_UEFI_SECURE };
	int n = 0;
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++)
		for (int qcow2 = 0; qcow2 < 2; qcow2++) {
			char *v = firmware_vars_path(h, name, kinds[k], qcow2);
			if (util_exists(v))
				state[n++] = v;
			else
				free(v);
		}
	char *tpm = swtpm_state_dir(h, name);
	if (util_exists(tpm))
		state[n++] = tpm;
	else
		free(tpm);
	state[n] = NULL;
}

int guest_delete(const struct vmm_home *h, const char *name, bool purge_all, bool dry_run,
		 struct guest_delete_result *out)
{
	struct guest_edit e;
	struct vmm_profile p;
	struct remove_step s = { 0 };
	int rc = -1;
	memset(out, 0, sizeof(*out));
	profile_init(&p);
	if (guest_edit_begin(h, &e) < 0 || delete_load(h, name, &p, &out->invalid) < 0)
		goto out;
	out->profile = store_profile_path(h, name);
	out->disk = out->invalid ? NULL : store_disk_path(h, &p);
	out->seed = store_seed_path(h, name);
	out->keys = sshkey_guest_dir(h, name);
	device_state(h, name, out->state);
	if (dry_run) {
		rc = 0;
		goto out;
	}
	s.path = out->profile;
	struct guest_edit_step write = { remove_run, remove_undo, &s };
	if (guest_edit_commit(&e, out->invalid ? NULL : &p, NULL, &write, NULL) < 0)
		goto out;
	char *run = store_run_dir(h, name);
	util_rm_rf(run);
	free(run);
	rc = purge_all ? purge(out) : 0;
	out->disk_kept = !purge_all && out->disk && util_exists(out->disk);
out:
	free(s.text);
	profile_free(&p);
	guest_edit_end(&e);
	return rc;
}

void guest_delete_result_free(struct guest_delete_result *r)
{
	free(r->profile);
	free(r->disk);
	free(r->seed);
	free(r->keys);
	for (int i = 0; r->state[i]; i++)
		free(r->state[i]);
	memset(r, 0, sizeof(*r));
}

/* ---- autostart ---- */

struct systemctl_step {
	const char *name;
	bool on;
	bool user; /* the user's own manager (systemctl --user) */
};

static int systemctl(const char *name, bool on, bool user)
{
	char unit[VMM_NAME_MAX + 32];
	snprintf(unit, sizeof(unit), GUEST_AUTOSTART_UNIT, name);
	char *sys[] = { "systemctl", "--quiet", on ? "enable" : "disable", unit, NULL };
	char *usr[] = { "systemctl", "--user", "--quiet", on ? "enable" : "disable", unit, NULL };
	char **argv = user ? usr : sys;
	char *err = NULL;
	int st = util_run(argv, NULL, &err);
	if (st != 0) {
		if (err)
			err[strcspn(err, "\n")] = '\0';
		if (st > 0)
			vmm_fail("%s: systemctl %s %s failed: %s (the profile is as it was)", name,
				 on ? "enable" : "disable", unit, err && *err ? err : "exit status not 0");
		else
			vmm_error_prefix("%s: systemctl %s %s", name, on ? "enable" : "disable", unit);
	}
	free(err);
	return st == 0 ? 0 : -1;
}

static int systemctl_run(void *arg)
{
	struct systemctl_step *s = arg;
	return systemctl(s->name, s->on, s->user);
}

int guest_autostart(const struct vmm_home *h, const char *name, bool on, enum guest_units units,
		    bool dry_run)
{
	struct guest_edit e;
	struct vmm_profile before, p;
	int rc = -1;
	profile_init(&before);
	profile_init(&p);
	if (guest_edit_begin(h, &e) < 0 || store_load(h, name, &before) < 0 ||
	    store_load(h, name, &p) < 0)
		goto out;
	p.autostart = on;
	if (dry_run) {
		rc = 0;
		goto out;
	}
	struct save_step s = { h, &p, &before };
	struct systemctl_step sc = { name, on, units == GUEST_UNITS_USER };
	struct guest_edit_step write = { save_run, save_undo, &s };
	struct guest_edit_step then = { systemctl_run, NULL, &sc };
	rc = guest_edit_commit(&e, &before, &p, &write, units ? &then : NULL);
out:
	profile_free(&before);
	profile_free(&p);
	guest_edit_end(&e);
	return rc;
}

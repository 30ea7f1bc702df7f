/* SPDX-License-Identifier: MIT */
/* edit.h: a guest's profile changes (set, delete, autostart; create.c's too) through one commit
 * that the firewall's forwards follow and that rolls back */
#ifndef VMM_GUEST_EDIT_H
#define VMM_GUEST_EDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/config/profile.h"
#include "vmm/config/validate.h"
#include "vmm/config/store.h"

/* The systemd unit that starts a guest at boot (contrib/systemd/vmm@.service), for NAME. */
#define GUEST_AUTOSTART_UNIT "vmm@%s.service"

/* What a change of a home's profiles works on, under the home's lock. */
struct guest_edit {
	const struct vmm_home *h;
	int lock;                /* store_lock's descriptor, -1 when not taken */
	struct vmm_profile *all; /* every profile that loads (one that does not holds nothing vmm */
	size_t n_all;            /* can see: no address, no forward to keep out of the way) */
	struct store_invalid *bad;
	size_t n_bad;
	struct vmm_netcfg net;   /* net.cfg, once guest_edit_net read it */
	bool have_net;
};

/* Lock the home, then load every profile. 0, or -1 with the error slot set; guest_edit_end
 * releases what was taken either way. */
int guest_edit_begin(const struct vmm_home *h, struct guest_edit *e);
/* net.cfg (its defaults when the home has none), read on first use; NULL on error. */
const struct vmm_netcfg *guest_edit_net(struct guest_edit *e);
/* Unlock the home and free what begin and net loaded. */
void guest_edit_end(struct guest_edit *e);

/* A step of a commit: run does it (0, or -1 with the error slot set and its own part undone),
 * undo takes it back once it succeeded (NULL: nothing to take back). */
struct guest_edit_step {
	int (*run)(void *arg);
	void (*undo)(void *arg);
	void *arg;
};

/*
 * The one way a guest's profile changes: before (NULL: a new guest, or one whose profile does
 * not load) becomes after (NULL: deleted). When their forwards differ (forward_same) and the
 * network is up, the firewall must be writable before anything is written (netmode
 * forwards_check). Then write runs (it writes or removes the profile, maybe the disk), the firewall's
 * forwards become every guest's at once (netmode forwards_update; nothing when vmm did not bring
 * the network up; without root pasta's ports follow too), and then runs (NULL: none; e.g. systemctl). When a step
 * after write fails, the steps that ran are undone in reverse (the firewall back to before's
 * forwards, write->undo) and the failing step's error stays in the slot. Returns 0 or -1.
 */
int guest_edit_commit(struct guest_edit *e, const struct vmm_profile *before,
		      const struct vmm_profile *after, const struct guest_edit_step *write,
		      const struct guest_edit_step *then);

struct guest_set_result {
	struct vmm_profile before;  /* the profile as it was */
	struct vmm_profile profile; /* as written (dry run: as it would be) */
	char *plan;                 /* dry run: the profile's new text */
	bool running;               /* the guest runs (what is not a forward waits for its start) */
};

/*
 * vmm set NAME KEY=VALUE...: under the home's lock the changes in order (profile_set_key; an
 * address without /PREFIX takes net.cfg's prefix), validated as create's are (profile_validate,
 * profile_check_conflicts), then guest_edit_commit (the forwards follow at once). dry_run: only
 * out->plan, nothing written. 0, or -1 with the error slot set and the profile and firewall as
 * they were. Free out with guest_set_result_free (also after a failure).
 */
int guest_set(const struct vmm_home *h, const char *name, const struct profile_kv *kvs,
	      size_t n_kvs, bool dry_run, struct guest_set_result *out);
void guest_set_result_free(struct guest_set_result *r);

struct guest_delete_result {
	char *profile;  /* the profile's path */
	char *disk;     /* the disk's path; NULL when the profile does not load (its disk is kept) */
	char *seed;     /* the seed ISO */
	char *keys;     /* the folder of the guest's SSH host keys */
	char *state[6]; /* what of its device state exists (UEFI variables of each firmware, the
			 * TPM's folder), NULL-terminated */
	bool invalid;   /* the profile does not load */
	bool disk_kept; /* no purge, and the disk is there */
};

/*
 * vmm delete NAME: refused while the guest runs. Under the home's lock the profile goes (also one
 * that does not load) through guest_edit_commit (its forwards leave the firewall at once, or the
 * profile comes back), then its run state; purge: also the seed, the disk, the host keys, the
 * UEFI variables and the TPM's state.
 * dry_run: only out's paths, nothing removed. 0, or -1 with the error slot set (after the profile
 * went: the last purge that failed). Free out with guest_delete_result_free (also after a failure).
 */
int guest_delete(const struct vmm_home *h, const char *name, bool purge, bool dry_run,
		 struct guest_delete_result *out);
void guest_delete_result_free(struct guest_delete_result *r);

/* Which systemd units start a home's guests at boot: none (the profile key alone), the
 * system's (root, the system home), or the user's own manager's (systemctl --user). */
enum guest_units { GUEST_UNITS_NONE, GUEST_UNITS_SYSTEM, GUEST_UNITS_USER };

/*
 * vmm autostart NAME on|off: the profile's autostart key through guest_edit_commit; with units:
 * then `systemctl [--user] enable|disable vmm@NAME.service` (spawned with an argv), the profile
 * put back when it fails. dry_run: the checks only. 0, or -1 with the error slot set.
 */
int guest_autostart(const struct vmm_home *h, const char *name, bool on, enum guest_units units,
		    bool dry_run);

#endif

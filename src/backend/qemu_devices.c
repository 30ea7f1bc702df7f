// SPDX-License-Identifier: MIT
/* qemu_devices.c: firmware, shared folders and TPM of a QEMU guest: resolved, argv, helpers */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/backend/qemu_devices.h"
#include "vmm/backend/qemu_words.h"
#include "vmm/backend/swtpm.h"
#include "vmm/backend/virtiofsd.h"
#include "vmm/sys/error.h"
#include "vmm/sys/safepath.h"
#include "vmm/sys/util.h"

static int resolve_shares(const struct vmm_profile *p, struct qemu_devices *d)
{
	struct vmm_share *v = NULL;
	if (share_parse_all(p->shares, p->n_shares, &v) < 0)
		return vmm_error_prefix("%s", p->name);
	if (p->n_shares > QEMU_DEVFD_MAX_SHARES) {
		free(v);
		return vmm_invalid("%s: at most %d shared folders", p->name, QEMU_DEVFD_MAX_SHARES);
	}
	d->shares = p->n_shares ? calloc(p->n_shares, sizeof(*d->shares)) : NULL;
	if (p->n_shares && !d->shares)
		abort();
	d->n_shares = p->n_shares;
	bool root = geteuid() == 0, have = virtiofsd_available();
	int rc = 0;
	for (size_t i = 0; i < p->n_shares && rc == 0; i++) {
		struct qemu_share *q = &d->shares[i];
		q->s = v[i];
		/* the kind the seed mounts (the rule of share_kind_here), refused where it
		 * cannot run */
		rc = share_check_dir(&q->s) < 0 || share_resolve_kind(&q->s, root, have, &q->kind) < 0
			     ? vmm_error_prefix("%s", p->name)
			     : 0;
	}
	free(v);
	return rc;
}

int qemu_devices_resolve(const struct vmm_home *h, const struct vmm_profile *p, bool make_vars,
			 struct qemu_devices *d)
{
	struct firmware_files f;
	memset(d, 0, sizeof(*d));
	if (firmware_parse(p->firmware, &d->fw) < 0)
		return vmm_error_prefix("%s", p->name);
	if (d->fw != FIRMWARE_BIOS) {
		if (firmware_files(d->fw, &f) < 0)
			return vmm_error_prefix("%s", p->name);
		d->code = util_strdup(f.code);
		if (!make_vars)
			d->vars = firmware_vars_path(h, p->name, d->fw, true);
		else if (firmware_vars_ensure(h, p->name, d->fw, true, &d->vars, NULL) < 0)
			return -1;
	}
	if (resolve_shares(p, d) < 0)
		return -1;
	d->tpm = p->tpm;
	return 0;
}

void qemu_devices_free(struct qemu_devices *d)
{
	free(d->code);
	free(d->vars);
	free(d->shares);
	memset(d, 0, sizeof(*d));
}

/* ---- argv ---- */

static bool any_virtiofs(const struct qemu_devices *d)
{
	for (size_t i = 0; i < d->n_shares; i++)
		if (d->shares[i].kind == SHARE_VIRTIOFS)
			return true;
	return false;
}

/* A helper's socket: QEMU's descriptor slot, or (run_dir) the helper's socket path there. */
static char *sock_ref(int base, int slot, const char *run_dir, const char *sock)
{
	if (!run_dir)
		return util_fmt("fd=%d", base + slot);
	char *e = qemu_opt_escape(sock), *r = util_fmt("path=%s", e);
	free(e);
	return r;
}

/* OVMF's code and the guest's variables as block nodes on their descriptors; the variables
 * qcow2, so that internal snapshots include them (a raw pflash refuses them). */
static void firmware_words(struct qemu_words *w, const struct qemu_devices *d, int base, bool by_path)
{
	if (d->fw == FIRMWARE_BIOS)
		return;
	/* the Secure Boot build writes its variables only from SMM: the flash must say so */
	if (d->fw == FIRMWARE_UEFI_SECURE)
		qemu_words_add2(w, "-global", util_strdup("driver=cfi.pflash01,property=secure,value=on"));
	char *code = qemu_words_file(w, base + QEMU_DEVFD_CODE, d->code, by_path);
	qemu_words_add2(w, "-blockdev", util_fmt("driver=file,node-name=fwcode-file,filename=%s,"
				      "read-only=on", code));
	qemu_words_add2(w, "-blockdev", util_strdup("driver=raw,node-name=fwcode,file=fwcode-file,"
					 "read-only=on"));
	char *vars = qemu_words_file(w, base + QEMU_DEVFD_VARS, d->vars, by_path);
	qemu_words_add2(w, "-blockdev", util_fmt("driver=file,node-name=fwvars-file,filename=%s", vars));
	qemu_words_add2(w, "-blockdev", util_strdup("driver=qcow2,node-name=fwvars,file=fwvars-file"));
	free(code);
	free(vars);
}

static void share_words(struct qemu_words *w, const struct qemu_devices *d, int base,
			const char *run_dir)
{
	for (size_t i = 0; i < d->n_shares; i++) {
		const struct qemu_share *q = &d->shares[i];
		char *dir = qemu_opt_escape(q->s.dir);
		if (q->kind == SHARE_VIRTIOFS) {
			char *sock = run_dir ? virtiofsd_sock(run_dir, q->s.tag) : NULL;
			char *ref = sock_ref(base, QEMU_DEVFD_SHARE + (int)i, run_dir, sock);
			qemu_words_add2(w, "-chardev", util_fmt("socket,id=vfs%zu,%s", i, ref));
			qemu_words_add2(w, "-device", util_fmt("vhost-user-fs-pci,chardev=vfs%zu,tag=%s", i,
						    q->s.tag));
			free(ref);
			free(sock);
		} else {
			/* mapped-xattr: the guest's owners and modes live in xattrs; its files
			 * are QEMU's uid's on the host */
			qemu_words_add2(w, "-virtfs", util_fmt("local,path=%s,mount_tag=%s,security_model="
						    "mapped-xattr,id=fs%zu%s",
						    dir, q->s.tag, i, q->s.ro ? ",readonly=on" : ""));
		}
		free(dir);
	}
}

char **qemu_devices_argv(const struct vmm_profile *p, const struct qemu_devices *d, int base,
			 const char *run_dir)
{
	struct qemu_words w = { 0 };
	bool vfs = any_virtiofs(d);
	qemu_words_add(&w, NULL); /* an empty list is a list */
	w.n = 0;
	if (d->fw != FIRMWARE_BIOS || vfs)
		qemu_words_add2(&w, "-machine",
		     util_fmt("%s%s%s%s", d->fw == FIRMWARE_BIOS ? "pc" : "q35",
			      d->fw == FIRMWARE_UEFI_SECURE ? ",smm=on" : "",
			      d->fw != FIRMWARE_BIOS ? ",pflash0=fwcode,pflash1=fwvars" : "",
			      vfs ? ",memory-backend=mem" : ""));
	if (vfs) /* vhost-user-fs: virtiofsd maps the guest's memory */
		qemu_words_add2(&w, "-object",
		     util_fmt("memory-backend-memfd,id=mem,size=%uM,share=on", p->memory));
	firmware_words(&w, d, base, run_dir != NULL);
	share_words(&w, d, base, run_dir);
	if (d->tpm) {
		char *sock = run_dir ? util_fmt("%s/" SWTPM_SOCK, run_dir) : NULL;
		char *ref = sock_ref(base, QEMU_DEVFD_TPM, run_dir, sock);
		qemu_words_add2(&w, "-chardev", util_fmt("socket,id=chrtpm,%s", ref));
		free(ref);
		free(sock);
		qemu_words_add2(&w, "-tpmdev", util_strdup("emulator,id=tpm0,chardev=chrtpm"));
		qemu_words_add2(&w, "-device", util_strdup("tpm-crb,tpmdev=tpm0"));
	}
	return w.v;
}

/* ---- descriptors, helpers ---- */

/* Each 9p folder (QEMU itself opens it by path) granted to u, recorded for the release. */
static int grant_9p(const struct vmm_home *h, const struct vmm_profile *p,
		    const struct qemu_devices *d, const struct access_user *u)
{
	struct access_need needs[QEMU_DEVFD_MAX_SHARES];
	size_t n = 0;
	for (size_t i = 0; i < d->n_shares; i++)
		if (d->shares[i].kind == SHARE_9P)
			needs[n++] = (struct access_need){ "share", d->shares[i].s.dir,
							   !d->shares[i].s.ro, true };
	if (!n)
		return 0;
	char *record = store_grants_path(h, p->name), *note = NULL;
	int rc = access_ensure(u, needs, n, record, &note);
	if (note)
		vmm_notice("%s: %s", p->name, note);
	free(note);
	free(record);
	return rc < 0 ? vmm_error_prefix("%s", p->name) : 0;
}

/* OVMF's code (read-only) and the guest's variables (read-write) into their slots. */
static int open_firmware(const struct vmm_profile *p, const struct qemu_devices *d, int *fds)
{
	if (d->fw == FIRMWARE_BIOS)
		return 0;
	fds[QEMU_DEVFD_CODE] = safepath_open("firmware", d->code, O_RDONLY, NULL);
	if (fds[QEMU_DEVFD_CODE] < 0)
		return vmm_error_prefix("%s", p->name);
	fds[QEMU_DEVFD_VARS] = safepath_open("uefi variables", d->vars, O_RDWR, NULL);
	if (fds[QEMU_DEVFD_VARS] < 0)
		return vmm_error_prefix("%s", p->name);
	return 0;
}

int qemu_devices_start(const struct vmm_home *h, const struct vmm_profile *p,
		       const char *run_dir, const struct qemu_devices *d,
		       const struct access_user *u, int *fds)
{
	if (open_firmware(p, d, fds) < 0 || grant_9p(h, p, d, u) < 0)
		return -1;
	if (d->tpm && swtpm_start(h, p->name, run_dir, u, &fds[QEMU_DEVFD_TPM]) < 0)
		return -1;
	for (size_t i = 0; i < d->n_shares; i++) {
		const struct qemu_share *q = &d->shares[i];
		if (q->kind == SHARE_VIRTIOFS &&
		    virtiofsd_start(p->name, run_dir, q->s.tag, q->s.dir,
				    &fds[QEMU_DEVFD_SHARE + i]) < 0) {
			struct vmm_saved_error e;
			vmm_error_save(&e);
			qemu_devices_stop(run_dir);
			return vmm_error_restore(&e);
		}
	}
	return 0;
}

void qemu_devices_stop(const char *run_dir)
{
	struct vmm_saved_error e;
	vmm_error_save(&e);
	swtpm_stop(run_dir);
	virtiofsd_stop_all(run_dir);
	vmm_error_restore(&e);
}

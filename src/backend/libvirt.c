// SPDX-License-Identifier: MIT
// libvirt.c: the libvirt backend: start/stop/status/console over a URI (the XML: libvirt_xml.c).
//
// Guests are transient domains (virDomainCreateXML), like `virsh create`: the profile stays the
// one source of truth, each start builds the XML afresh, and nothing is left defined in libvirt
// after a stop that could drift from the profile. On a local URI the guest uses vmm's own tap
// (type='ethernet', managed='no') so vmm's bridge and firewall stay in charge. On a remote URI
// vmm cannot reach netlink or libiptc, so it asks libvirt: a NAT network named after the bridge,
// and the disk, seed (and kernel, initrd, install ISO) uploaded into a storage pool.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "vmm/backend/backend.h"
#include "vmm/sys/access.h"
#include "vmm/sys/error.h"
#include "vmm/backend/qemu_host.h"
#include "vmm/storage/disksnap.h"
#include "vmm/storage/firmware.h"
#include "vmm/storage/seed.h"
#include "vmm/config/store.h"
#include "vmm/sys/util.h"
#include "vmm/backend/libvirt_xml.h"
#include "vmm/config/validate.h"
#include "vmm/backend/libvirt_load.h" /* after <libvirt/libvirt.h>: libvirt is loaded on first use */

#define VIRT_VMM_POOL "vmm"
#define VIRT_VMM_POOL_DIR "/var/lib/libvirt/images/vmm"

/* ---- libvirt plumbing ---- */

static void virt_silent(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

/* libvirt's own message for the last failure, as "NAME: MESSAGE". */
static int virt_err(const char *name)
{
	const char *m = virGetLastErrorMessage();

	return vmm_fail("%s: %s", name, m && *m ? m : "libvirt call failed");
}

static int virt_err_code(void)
{
	virErrorPtr e = virGetLastError();

	return e ? e->code : VIR_ERR_OK;
}

/* Loads libvirt first (virtlib_load): every path that talks to libvirt starts here or with an
 * explicit virtlib_load(). */
static virConnectPtr virt_open(const struct vmm_profile *p)
{
	virConnectPtr c;

	if (virtlib_load() < 0)
		return NULL;
	virSetErrorFunc(NULL, virt_silent);
	c = virConnectOpenAuth(virt_uri(p), virConnectAuthPtrDefault, 0);
	if (!c) {
		virt_err(p->name);
		return NULL;
	}
	virConnSetErrorFunc(c, NULL, virt_silent);
	return c;
}

/*
 * The domain type. On the local host the qemu backend's probe decides (KVM only when /dev/kvm
 * works and the CPU has vmx/svm: under some hypervisors /dev/kvm opens, libvirt offers kvm, and
 * a Linux guest hangs silently), so VMM_ACCEL=kvm|tcg overrides it the same way. On a remote
 * host libvirt's capabilities must offer kvm and list vmx or svm among the host CPU's features;
 * without a connection (dry run) a remote host is assumed to have KVM.
 */
static const char *domain_type(virConnectPtr c, bool remote)
{
	const char *a = getenv("VMM_ACCEL");
	struct qemu_host hc;
	char *caps;
	bool kvm;

	if (!remote || (a && (!strcmp(a, "kvm") || !strcmp(a, "tcg")))) {
		qemu_probe(&hc);
		return hc.kvm ? "kvm" : "qemu";
	}
	if (!c)
		return "kvm";
	caps = virConnectGetCapabilities(c);
	kvm = caps && strstr(caps, "<domain type='kvm'") &&
	      (strstr(caps, "<feature name='vmx'/>") || strstr(caps, "<feature name='svm'/>"));
	free(caps);
	return kvm ? "kvm" : "qemu";
}

/* First line of the VNC password file (malloc'd) into *pw; NULL when the profile has none. */
static int read_vnc_password(const struct vmm_profile *p, char **pw)
{
	char *t;

	*pw = NULL;
	if (!p->vnc_password_file || !*p->vnc_password_file)
		return 0;
	t = util_read_file(p->vnc_password_file, NULL);
	if (!t)
		return -1;
	t[strcspn(t, "\r\n")] = '\0';
	if (!*t) {
		free(t);
		return vmm_invalid("vnc password file %s: empty", p->vnc_password_file);
	}
	*pw = t;
	return 0;
}

/* ---- remote: network, pool, uploads ---- */

static int remote_network(virConnectPtr c, const struct vmm_profile *p, const struct vmm_netcfg *n)
{
	virNetworkPtr net = virNetworkLookupByName(c, n->bridge);
	char *xml = NULL;
	int rc = -1;

	if (!net) {
		if (virt_err_code() != VIR_ERR_NO_NETWORK) {
			virt_err(p->name);
			goto out;
		}
		xml = virt_network_xml(n);
		net = virNetworkDefineXML(c, xml);
		if (!net) {
			virt_err(p->name);
			goto out;
		}
	}
	/* an existing network is left as it is, only started when it is down */
	if (virNetworkIsActive(net) == 0 && virNetworkCreate(net) < 0) {
		virt_err(p->name);
		goto out;
	}
	rc = 0;
out:
	if (net)
		virNetworkFree(net);
	free(xml);
	return rc;
}

/* The pool "default", else vmm's own dir pool (defined, built and started when missing). */
static virStoragePoolPtr remote_pool(virConnectPtr c, const struct vmm_profile *p)
{
	virStoragePoolPtr pool = virStoragePoolLookupByName(c, "default");
	static const char xml[] = "<pool type='dir'>\n  <name>" VIRT_VMM_POOL "</name>\n"
				  "  <target>\n    <path>" VIRT_VMM_POOL_DIR "</path>\n"
				  "  </target>\n</pool>\n";

	if (!pool)
		pool = virStoragePoolLookupByName(c, VIRT_VMM_POOL);
	if (!pool) {
		pool = virStoragePoolDefineXML(c, xml, 0);
		if (!pool || virStoragePoolBuild(pool, 0) < 0)
			goto fail;
	}
	if (virStoragePoolIsActive(pool) == 0 && virStoragePoolCreate(pool, 0) < 0)
		goto fail;
	return pool;
fail:
	virt_err(p->name);
	if (pool)
		virStoragePoolFree(pool);
	return NULL;
}

static int send_fd(virStreamPtr st, char *data, size_t nbytes, void *opaque)
{
	int fd = *(int *)opaque;
	ssize_t r;

	(void)st;
	do
		r = read(fd, data, nbytes);
	while (r < 0 && errno == EINTR);
	return (int)r;
}

/*
 * Volume name in pool holding a copy of the local file path. An existing volume is kept when
 * replace is false (a guest's disk is its state: never clobbered), re-uploaded when true (seed,
 * kernel). Its path on the remote host goes to *rpath when rpath is not NULL.
 */
static int upload(virConnectPtr c, virStoragePoolPtr pool, const struct vmm_profile *p,
		  const char *name, const char *path, bool replace, char **rpath)
{
	virStorageVolPtr vol = NULL;
	virStreamPtr st = NULL;
	char *xml = NULL;
	int fd = -1, rc = -1;
	struct stat sb;

	vol = virStorageVolLookupByName(pool, name);
	if (vol && replace) {
		if (virStorageVolDelete(vol, 0) < 0) {
			virt_err(p->name);
			goto out;
		}
		virStorageVolFree(vol);
		vol = NULL;
	}
	if (!vol) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb) < 0) {
			vmm_fail("%s: %s", path, strerror(errno));
			goto out;
		}
		xml = util_fmt("<volume>\n  <name>%s</name>\n"
			       "  <capacity unit='bytes'>%lld</capacity>\n"
			       "  <target>\n    <format type='raw'/>\n  </target>\n</volume>\n",
			       name, (long long)sb.st_size);
		vol = virStorageVolCreateXML(pool, xml, 0);
		if (!vol) {
			virt_err(p->name);
			goto out;
		}
		st = virStreamNew(c, 0);
		if (!st || virStorageVolUpload(vol, st, 0, (unsigned long long)sb.st_size, 0) < 0 ||
		    virStreamSendAll(st, send_fd, &fd) < 0 || virStreamFinish(st) < 0) {
			virt_err(p->name);
			if (st)
				virStreamAbort(st);
			virStorageVolDelete(vol, 0); /* no half-uploaded volume stays behind */
			goto out;
		}
	}
	if (rpath) {
		*rpath = virStorageVolGetPath(vol);
		if (!*rpath) {
			virt_err(p->name);
			goto out;
		}
	}
	rc = 0;
out:
	if (st)
		virStreamFree(st);
	if (vol)
		virStorageVolFree(vol);
	if (fd >= 0)
		close(fd);
	free(xml);
	return rc;
}

/*
 * The guest's disk as volume name, uploaded once: later starts use the remote copy, which is the
 * guest's state from then on. An overlay cannot work without its backing file on the other side,
 * so it is first flattened (qemu-img convert) into a temporary file next to it.
 */
static int upload_disk(virConnectPtr c, virStoragePoolPtr pool, const struct vmm_home *h,
		       const struct vmm_profile *p, const char *name, const char *disk)
{
	virStorageVolPtr vol = virStorageVolLookupByName(pool, name);
	char *tmp = NULL;
	int rc;

	if (vol) {
		virStorageVolFree(vol);
		return 0;
	}
	if (!p->backing)
		return upload(c, pool, p, name, disk, false, NULL);
	tmp = util_fmt("%s/.%s-upload.qcow2", h->images, p->name);
	{
		char *argv[] = { "qemu-img", "convert", "-O", "qcow2", (char *)disk, tmp, NULL };
		char *err = NULL;

		rc = util_run(argv, NULL, &err);
		if (rc > 0) {
			if (err)
				err[strcspn(err, "\n")] = '\0';
			vmm_fail("%s: flattening the disk for upload: %s", p->name,
				 err && *err ? err : "qemu-img convert failed");
		}
		free(err);
	}
	if (rc == 0)
		rc = upload(c, pool, p, name, tmp, false, NULL);
	else
		rc = -1;
	unlink(tmp);
	free(tmp);
	return rc;
}

static char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return util_strdup(s ? s + 1 : path);
}

/* ---- start ---- */

static int virt_where(const struct vmm_profile *p, char *host, size_t len)
{
	const char *uri = virt_uri(p);
	if (virt_host_of(uri, host, len) < 0)
		return -1;
	return virt_uri_is_remote(uri) ? 1 : 0;
}

/* What a start names: the local files, or volumes in the remote pool. Strings it owns. */
struct virt_names {
	struct store_guest_files f;
	char *seed, *pw, *isovol, *diskvol, *seedvol, *kvol, *ivol, *kpath, *ipath;
	char *sock, *run; /* the VNC socket (local); run/NAME when this start made it */
	char *fw_code, *fw_vars;
	struct vmm_share *shares;
};

static void names_free(struct virt_names *v)
{
	store_guest_files_free(&v->f);
	free(v->seed);
	free(v->pw);
	free(v->isovol);
	free(v->diskvol);
	free(v->seedvol);
	free(v->kvol);
	free(v->ivol);
	free(v->kpath);
	free(v->ipath);
	free(v->sock);
	free(v->run);
	free(v->fw_code);
	free(v->fw_vars);
	free(v->shares);
}

/*
 * The firmware, shared folders and TPM into the spec. Local: OVMF's files and the guest's own
 * NVRAM (images/NAME-KIND-vars.fd: libvirt 9.0 knows only raw NVRAM; made from the template when
 * make_vars), each share's folder checked and its kind resolved. Remote: libvirt picks the
 * firmware and keeps the NVRAM; shares are refused (their folders would be on that host).
 */
static int devices_fill(const struct vmm_home *h, const struct vmm_profile *p,
			struct virt_domain_spec *s, struct virt_names *v, bool remote,
			bool make_vars)
{
	enum firmware_kind k;
	struct firmware_files fw;
	s->tpm = p->tpm;
	if (firmware_parse(p->firmware, &k) < 0)
		return vmm_error_prefix("%s", p->name);
	s->fw_secure = k == FIRMWARE_UEFI_SECURE;
	if (k != FIRMWARE_BIOS && remote)
		s->fw_code = "efi";
	else if (k != FIRMWARE_BIOS) {
		if (firmware_files(k, &fw) < 0)
			return vmm_error_prefix("%s", p->name);
		s->fw_code = v->fw_code = util_strdup(fw.code);
		if (!make_vars)
			v->fw_vars = firmware_vars_path(h, p->name, k, false);
		else if (firmware_vars_ensure(h, p->name, k, false, &v->fw_vars, NULL) < 0)
			return -1;
		s->fw_vars = v->fw_vars;
	}
	if (p->n_shares && remote)
		return vmm_invalid("%s: shared folders need a local guest (the folders would be on "
				   "the libvirt host)", p->name);
	if (share_parse_all(p->shares, p->n_shares, &v->shares) < 0)
		return vmm_error_prefix("%s", p->name);
	for (size_t i = 0; i < p->n_shares; i++) {
		if (share_check_dir(&v->shares[i]) < 0)
			return vmm_error_prefix("%s", p->name);
		v->shares[i].kind = share_kind_here(&v->shares[i]);
	}
	s->shares = v->shares;
	s->n_shares = p->n_shares;
	return 0;
}

static int virt_preflight(const struct vmm_home *h, const struct vmm_profile *p,
			  const struct vmm_start_opts *o)
{
	struct store_guest_files f;
	struct virt_domain_spec s = { 0 };
	struct virt_names v = { 0 };
	char *pw = NULL;
	int rc = store_guest_files(h, p, o->install, &f) < 0 ? -1 : read_vnc_password(p, &pw);
	if (rc == 0) /* the firmware's files, the shares' folders */
		rc = devices_fill(h, p, &s, &v, virt_uri_is_remote(virt_uri(p)), false);
	names_free(&v);
	store_guest_files_free(&f);
	free(pw);
	return rc;
}

/* Fill the spec from the profile and the names (local paths, or volumes for a remote pool). */
static void spec_fill(struct virt_domain_spec *s, const struct vmm_profile *p,
		      const struct vmm_netcfg *n, struct virt_names *v, bool install, bool remote)
{
	s->p = p;
	s->vnc_socket = remote ? NULL : v->sock;
	s->iso = install ? v->f.iso : NULL;
	s->kernel = v->f.kernel;
	s->initrd = v->f.initrd;
	s->append = p->append;
	s->vnc_password = v->pw;
	s->disk = v->f.disk;
	s->seed = v->seed;
	if (!remote)
		return;
	s->network = n->bridge;
	v->diskvol = util_fmt("%s.qcow2", p->name);
	v->seedvol = util_fmt("%s-seed.iso", p->name);
	s->disk = v->diskvol;
	s->seed = v->seedvol;
	if (s->iso)
		s->iso = v->isovol = base_name(v->f.iso);
}

static int virt_plan(const struct vmm_home *h, const struct vmm_netcfg *n,
		     const struct vmm_profile *p, const struct vmm_start_opts *o, char **text)
{
	struct virt_domain_spec s = { 0 };
	struct virt_names v = { 0 };
	virStoragePoolPtr pool = NULL;
	bool remote = virt_uri_is_remote(virt_uri(p));
	int rc = -1;

	*text = NULL;
	if (store_guest_files(h, p, o->install, &v.f) < 0 || read_vnc_password(p, &v.pw) < 0)
		goto out;
	/* nothing changes; libvirt is only asked (when reachable) for its domain type and pool,
	 * else KVM is judged here (a remote host is assumed to have it) */
	virConnectPtr c = virt_open(p);
	vmm_error_clear();
	v.seed = store_seed_path(h, p->name);
	if (p->vnc_display == VMM_VNC_SOCKET && !remote) /* where start puts it */
		v.sock = backend_vnc_socket(h, p);
	spec_fill(&s, p, n, &v, o->install, remote);
	if (devices_fill(h, p, &s, &v, remote, false) < 0) {
		if (c)
			virConnectClose(c);
		goto out;
	}
	s.type = domain_type(c, remote);
	if (remote) {
		s.pool = "default";
		if (c && !(pool = virStoragePoolLookupByName(c, "default")))
			s.pool = VIRT_VMM_POOL;
	}
	if (v.pw || (profile_vnc_tcp(p) && !profile_vnc_loopback(p)))
		s.vnc_password = "********"; /* never print the secret (or the one start makes) */
	*text = virt_domain_xml(&s);
	if (pool)
		virStoragePoolFree(pool);
	if (c)
		virConnectClose(c);
	rc = 0;
out:
	names_free(&v);
	return rc;
}

/* A remote host: its network, the pool, and the volumes the domain uses. */
static int remote_prepare(virConnectPtr c, const struct vmm_home *h, const struct vmm_netcfg *n,
			  const struct vmm_profile *p, struct virt_domain_spec *s,
			  struct virt_names *v, virStoragePoolPtr *pool)
{
	/* (network = "user": the guest's own passt, no network of the host's) */
	if ((!profile_net_user(p) && remote_network(c, p, n) < 0) || !(*pool = remote_pool(c, p)))
		return -1;
	s->pool = virStoragePoolGetName(*pool);
	if (upload_disk(c, *pool, h, p, v->diskvol, v->f.disk) < 0 ||
	    upload(c, *pool, p, v->seedvol, v->seed, true, NULL) < 0)
		return -1;
	if (s->iso && upload(c, *pool, p, v->isovol, v->f.iso, false, NULL) < 0)
		return -1;
	if (!v->f.kernel || s->iso)
		return 0;
	v->kvol = util_fmt("%s-kernel", p->name);
	if (upload(c, *pool, p, v->kvol, v->f.kernel, true, &v->kpath) < 0)
		return -1;
	s->kernel = v->kpath;
	if (!v->f.initrd)
		return 0;
	v->ivol = util_fmt("%s-initrd", p->name);
	if (upload(c, *pool, p, v->ivol, v->f.initrd, true, &v->ipath) < 0)
		return -1;
	s->initrd = v->ipath;
	return 0;
}

/*
 * The VNC side of a start (issue 17, item 7): run/NAME (private, made afresh) when the guest
 * needs it: a local libvirt's QEMU makes the socket of vnc = "socket" there, and a TCP display
 * off loopback keeps the password vmm makes there (v->pw, unless the profile has its own).
 */
static int vnc_prepare(const struct vmm_home *h, const struct vmm_profile *p, bool remote,
		       struct virt_names *v)
{
	bool sock = p->vnc_display == VMM_VNC_SOCKET && !remote;
	bool made_pw = profile_vnc_tcp(p) && !profile_vnc_loopback(p) && !p->vnc_password_file;
	if (!sock && !made_pw)
		return 0;
	char *dir = store_run_dir(h, p->name);
	int rc = util_rm_rf(dir);
	if (rc == 0 && mkdir(dir, 0700) < 0)
		rc = vmm_fail("%s: %s", dir, util_strerror(errno));
	if (rc < 0) {
		free(dir);
		return -1;
	}
	v->run = dir; /* v owns it */
	if (sock)
		v->sock = backend_vnc_socket(h, p);
	if (made_pw && backend_vnc_password_make(h, p, &v->pw) < 0)
		return -1;
	return 0;
}

/* 0 when no domain of that name runs there; -1 (already running, or an error) otherwise. */
static int not_running(virConnectPtr c, const struct vmm_profile *p, bool remote)
{
	char host[64] = "";
	virDomainPtr dom = virDomainLookupByName(c, p->name);
	if (!dom)
		return 0;
	int active = virDomainIsActive(dom);
	virDomainFree(dom);
	if (active != 1)
		return 0;
	if (remote && virt_host_of(virt_uri(p), host, sizeof host) == 0)
		return vmm_fail("%s: already running on %s", p->name, host);
	return vmm_fail("%s: already running", p->name);
}

/* What libvirt's QEMU opens for the devices: the guest's NVRAM, each 9p share's folder
 * (libvirt's virtiofsd runs as root). The paths are malloc'd. */
static size_t device_needs(const struct vmm_home *h, const struct vmm_profile *p,
			   struct access_need *out, size_t cap)
{
	enum firmware_kind k;
	struct vmm_share *v = NULL;
	size_t n = 0;
	if (firmware_parse(p->firmware, &k) == 0 && k != FIRMWARE_BIOS && n < cap)
		out[n++] = (struct access_need){ "uefi variables",
						 firmware_vars_path(h, p->name, k, false), true,
						 false };
	if (share_parse_all(p->shares, p->n_shares, &v) == 0)
		for (size_t i = 0; i < p->n_shares && n < cap; i++)
			if (share_kind_here(&v[i]) == SHARE_9P)
				out[n++] = (struct access_need){ "share", util_strdup(v[i].dir),
								 !v[i].ro, true };
	vmm_error_clear();
	free(v);
	return n;
}

/*
 * A local libvirtd runs QEMU as its own user (qemu.conf `user`, libvirt-qemu on Debian), which
 * must search every folder above the disk, seed, ISO, kernel and initrd and read them (libvirt
 * relabels the files themselves only with dynamic_ownership). Grant what is missing with an ACL
 * entry for that user, announced in one line, or refuse naming the folder and the fix.
 */
static int reach_preflight(const struct vmm_home *h, const struct vmm_profile *p,
			   const struct store_guest_files *f, const char *seed, const char *run)
{
	struct access_user u;
	struct access_need extra[8];
	size_t n = device_needs(h, p, extra, ARRAY_SIZE(extra));
	if (access_libvirt_user(&u) < 0)
		return vmm_error_prefix("%s", p->name);
	int rc = backend_guest_access(h, p, f, seed, run, extra, n, &u, ", as virt-manager does");
	for (size_t i = 0; i < n; i++)
		free((char *)extra[i].path);
	if (rc < 0) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", vmm_errmsg());
		return vmm_fail("%s: %s (libvirt's QEMU runs as %s)", p->name, msg, u.name);
	}
	return 0;
}

static int virt_start(const struct vmm_home *h, const struct vmm_netcfg *n,
		      const struct vmm_profile *p, const struct vmm_start_opts *o, const char *seed,
		      int tap_fd, struct vmm_status *st)
{
	bool remote = virt_uri_is_remote(virt_uri(p));
	struct virt_domain_spec s = { 0 };
	struct virt_names v = { 0 };
	virConnectPtr c = NULL;
	virDomainPtr dom = NULL;
	virStoragePoolPtr pool = NULL;
	char *xml = NULL;
	int rc = -1;

	if (store_guest_files(h, p, o->install, &v.f) < 0 || read_vnc_password(p, &v.pw) < 0)
		goto out;
	v.seed = util_strdup(seed);
	if (!remote && reach_preflight(h, p, &v.f, seed, NULL) < 0)
		goto out;
	if (!(c = virt_open(p)) || not_running(c, p, remote) < 0 ||
	    vnc_prepare(h, p, remote, &v) < 0)
		goto out;
	/* libvirt's QEMU makes the VNC socket in run/NAME: the same grant, for that folder too */
	if (v.sock && reach_preflight(h, p, &v.f, seed, v.run) < 0)
		goto out;
	spec_fill(&s, p, n, &v, o->install, remote);
	if (devices_fill(h, p, &s, &v, remote, true) < 0)
		goto out;
	s.type = domain_type(c, remote);
	if (remote && remote_prepare(c, h, n, p, &s, &v, &pool) < 0)
		goto out;
	xml = virt_domain_xml(&s);
	if (!(dom = virDomainCreateXML(c, xml, 0))) {
		virt_err(p->name);
		goto out;
	}
	memset(st, 0, sizeof(*st));
	st->state = VMM_RUNNING;
	st->tcg = !strcmp(s.type, "qemu");
	rc = 0;
out:
	if (rc < 0 && v.run) /* made by this start: nothing of it stays */
		util_rm_rf(v.run);
	if (dom)
		virDomainFree(dom);
	if (pool)
		virStoragePoolFree(pool);
	if (c)
		virConnectClose(c);
	names_free(&v);
	free(xml);
	return rc;
}

/* ---- stop / status ---- */

/* 1 running, 0 gone or shut off, -1 error. */
static int dom_active(virDomainPtr d)
{
	int a = virDomainIsActive(d);

	if (a < 0 && virt_err_code() == VIR_ERR_NO_DOMAIN)
		return 0; /* a transient domain vanishes when it stops */
	return a;
}

static int virt_stop(const struct vmm_home *h, const struct vmm_profile *p, bool force,
		     int timeout_secs, enum vmm_stop_end *end)
{
	virConnectPtr c = NULL;
	virDomainPtr d = NULL;
	int rc = -1, a;
	uint64_t deadline;

	(void)h;
	*end = VMM_STOP_NOT_RUNNING;
	c = virt_open(p);
	if (!c)
		return -1;
	d = virDomainLookupByName(c, p->name);
	if (!d || (a = dom_active(d)) == 0) {
		if (!d && virt_err_code() != VIR_ERR_NO_DOMAIN) {
			virt_err(p->name);
			goto out;
		}
		goto gone; /* not running */
	}
	if (a < 0) {
		virt_err(p->name);
		goto out;
	}
	if (!force) {
		if (virDomainShutdown(d) < 0) {
			if (dom_active(d) == 0)
				goto gone;
			virt_err(p->name);
			goto out;
		}
		deadline = util_now_ms() + (uint64_t)(timeout_secs > 0 ? timeout_secs : 0) * 1000;
		while ((a = dom_active(d)) == 1 && util_now_ms() < deadline)
			usleep(200 * 1000);
		*end = VMM_STOP_POWEROFF;
		if (a == 0)
			goto gone;
	}
	*end = VMM_STOP_QUIT;
	if (virDomainDestroy(d) < 0 && dom_active(d) != 0) {
		virt_err(p->name);
		goto out;
	}
gone:
	rc = 0; /* a local guest's tap is the lifecycle's; its run folder (VNC) goes */
	char *dir = store_run_dir(h, p->name);
	util_rm_rf(dir);
	free(dir);
	vmm_error_clear();
out:
	if (d)
		virDomainFree(d);
	virConnectClose(c);
	return rc;
}

static int virt_status(const struct vmm_home *h, const struct vmm_profile *p, struct vmm_status *st)
{
	virConnectPtr c = NULL;
	virDomainPtr d = NULL;
	int state = 0, reason = 0, rc = -1;

	memset(st, 0, sizeof *st);
	st->state = VMM_STOPPED;
	if (virt_host_of(virt_uri(p), st->host, sizeof st->host) < 0)
		return -1;
	if (profile_vnc_tcp(p)) {
		snprintf(st->vnc_host, sizeof st->vnc_host, "%s", profile_vnc_listen(p));
	} else if (!virt_uri_is_remote(virt_uri(p))) { /* (a remote host's socket is its own) */
		char *sock = backend_vnc_socket(h, p);
		snprintf(st->vnc_host, sizeof st->vnc_host, "%s", sock);
		free(sock);
	}
	st->vnc_port = profile_vnc_port(p);
	c = virt_open(p);
	if (!c)
		return -1;
	d = virDomainLookupByName(c, p->name);
	if (!d) {
		if (virt_err_code() != VIR_ERR_NO_DOMAIN) {
			virt_err(p->name);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (virDomainGetState(d, &state, &reason, 0) < 0) {
		if (virt_err_code() == VIR_ERR_NO_DOMAIN)
			rc = 0;
		else
			virt_err(p->name);
		goto out;
	}
	switch (state) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_SHUTDOWN:
	case VIR_DOMAIN_PMSUSPENDED:
		st->state = VMM_RUNNING;
		break;
	case VIR_DOMAIN_CRASHED:
		st->state = VMM_CRASHED;
		break;
	case VIR_DOMAIN_SHUTOFF:
		st->state = reason == VIR_DOMAIN_SHUTOFF_CRASHED ? VMM_CRASHED : VMM_STOPPED;
		break;
	default:
		st->state = VMM_STOPPED;
	}
	rc = 0;
out:
	if (d)
		virDomainFree(d);
	virConnectClose(c);
	return rc;
}

/* ---- console ---- */

/* Like the qemu backend's console: raw on a terminal where Ctrl-] detaches; on a pipe, stdin goes
 * to the guest and, once it ends, vmm leaves after the guest was silent for CON_IDLE_MS. */
#define CON_IDLE_MS 3000

struct console {
	virStreamPtr st;
	int stdin_watch;
	bool raw;
	bool stdin_eof;
	bool quit;
	int rc;
	uint64_t last_out;  /* when the guest last wrote (ms) */
	char in[1024];      /* terminal → guest, not yet sent */
	size_t in_len;
};

static void con_update(struct console *cn)
{
	int ev = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;

	if (cn->in_len)
		ev |= VIR_STREAM_EVENT_WRITABLE;
	virStreamEventUpdateCallback(cn->st, ev);
	if (cn->stdin_watch >= 0) /* no more input until the buffer drains */
		virEventUpdateHandle(cn->stdin_watch,
				     cn->in_len < sizeof cn->in ? VIR_EVENT_HANDLE_READABLE : 0);
}

static void con_stream(virStreamPtr st, int events, void *opaque)
{
	struct console *cn = opaque;

	if (events & VIR_STREAM_EVENT_READABLE) {
		char buf[4096];
		int r = virStreamRecv(st, buf, sizeof buf);

		if (r == 0) {
			cn->quit = true;
		} else if (r > 0) {
			ssize_t off = 0;

			cn->last_out = util_now_ms();
			while (off < r) {
				ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(r - off));

				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0) {
					cn->quit = true;
					break;
				}
				off += w;
			}
		} else if (r != -2) {
			cn->rc = -1;
			cn->quit = true;
		}
	}
	if ((events & VIR_STREAM_EVENT_WRITABLE) && cn->in_len) {
		int w = virStreamSend(st, cn->in, cn->in_len);

		if (w > 0) {
			memmove(cn->in, cn->in + w, cn->in_len - (size_t)w);
			cn->in_len -= (size_t)w;
		} else if (w != -2) {
			cn->rc = -1;
			cn->quit = true;
		}
	}
	if (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP))
		cn->quit = true;
	if (!cn->quit)
		con_update(cn);
}

static void con_stdin(int watch, int fd, int events, void *opaque)
{
	struct console *cn = opaque;
	ssize_t r, i;

	(void)events;
	if (cn->in_len >= sizeof cn->in)
		return;
	r = read(fd, cn->in + cn->in_len, sizeof cn->in - cn->in_len);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		if (cn->raw) {
			cn->quit = true;
			return;
		}
		/* a pipe ended: stop reading, leave once the guest is quiet */
		cn->stdin_eof = true;
		cn->last_out = util_now_ms();
		virEventRemoveHandle(watch);
		cn->stdin_watch = -1;
		return;
	}
	for (i = 0; cn->raw && i < r; i++) {
		if (cn->in[cn->in_len + (size_t)i] == 0x1d) { /* Ctrl-] */
			cn->quit = true;
			r = i;
			break;
		}
	}
	cn->in_len += (size_t)r;
	if (!cn->quit)
		con_update(cn);
}

static void con_tick(int timer, void *opaque)
{
	struct console *cn = opaque;

	(void)timer;
	if (cn->stdin_eof && !cn->in_len && util_now_ms() - cn->last_out >= CON_IDLE_MS)
		cn->quit = true;
}

static int virt_console(const struct vmm_home *h, const struct vmm_profile *p, int idle_ms)
{
	static bool event_impl;
	struct console cn = { .stdin_watch = -1 };
	virConnectPtr c = NULL;
	virDomainPtr d = NULL;
	struct termios saved, raw;
	int rc = -1, timer = -1;

	(void)h;
	if (virtlib_load() < 0)
		return -1;
	if (!event_impl) { /* before the connection opens, so that it uses the loop */
		if (virEventRegisterDefaultImpl() < 0)
			return virt_err(p->name);
		event_impl = true;
	}
	c = virt_open(p);
	if (!c)
		return -1;
	d = virDomainLookupByName(c, p->name);
	if (!d || dom_active(d) != 1) {
		if (d || virt_err_code() == VIR_ERR_NO_DOMAIN)
			vmm_fail("%s: not running", p->name);
		else
			virt_err(p->name);
		goto out;
	}
	cn.st = virStreamNew(c, VIR_STREAM_NONBLOCK);
	if (!cn.st || virDomainOpenConsole(d, NULL, cn.st, VIR_DOMAIN_CONSOLE_FORCE) < 0 ||
	    virStreamEventAddCallback(cn.st, VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
				      VIR_STREAM_EVENT_HANGUP, con_stream, &cn, NULL) < 0) {
		virt_err(p->name);
		goto out;
	}
	cn.stdin_watch = virEventAddHandle(STDIN_FILENO, VIR_EVENT_HANDLE_READABLE, con_stdin, &cn,
					   NULL);
	timer = virEventAddTimeout(200, con_tick, &cn, NULL);
	if (cn.stdin_watch < 0 || timer < 0) {
		virt_err(p->name);
		goto out;
	}
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		cn.raw = tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
	}
	while (!cn.quit) {
		if (virEventRunDefaultImpl() < 0) {
			cn.rc = -1;
			break;
		}
	}
	if (cn.raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	if (cn.rc < 0) {
		virt_err(p->name);
		goto out;
	}
	rc = 0;
out:
	if (timer >= 0)
		virEventRemoveTimeout(timer);
	if (cn.stdin_watch >= 0)
		virEventRemoveHandle(cn.stdin_watch);
	if (cn.st) {
		virStreamEventRemoveCallback(cn.st);
		virStreamAbort(cn.st);
		virStreamFree(cn.st);
	}
	if (d)
		virDomainFree(d);
	virConnectClose(c);
	return rc;
}

/* ---- snapshots ---- */

/*
 * Tell libvirt about an internal snapshot it does not know (made by an earlier run of this
 * transient domain, or while it was stopped): libvirt forgets a transient domain's snapshot
 * metadata when the domain goes, but the qcow2 keeps the snapshot. Redefined with the domain's
 * current XML, as running when it holds memory.
 */
static virDomainSnapshotPtr snap_redefine(virDomainPtr d, const struct vmm_home *h,
					  const struct vmm_profile *p, const char *tag)
{
	char *disk = store_disk_path(h, p), *dom = NULL, *xml = NULL;
	struct disksnap *v = NULL;
	size_t n = 0;
	virDomainSnapshotPtr snap = NULL;
	const struct disksnap *ds = NULL;
	if (disksnap_list(p->name, disk, &v, &n) < 0)
		goto out;
	if (!(ds = disksnap_find(v, n, tag))) {
		vmm_invalid("%s: no snapshot %s", p->name, tag);
		goto out;
	}
	if (!(dom = virDomainGetXMLDesc(d, 0))) {
		virt_err(p->name);
		goto out;
	}
	xml = util_fmt("<domainsnapshot>\n  <name>%s</name>\n  <state>%s</state>\n"
		       "  <creationTime>%lld</creationTime>\n  <memory snapshot='%s'/>\n%s"
		       "</domainsnapshot>\n",
		       tag, ds->vm_state_size ? "running" : "shutoff", (long long)ds->date_sec,
		       ds->vm_state_size ? "internal" : "no", dom);
	snap = virDomainSnapshotCreateXML(d, xml, VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE);
	if (!snap)
		virt_err(p->name);
out:
	free(xml);
	free(dom);
	free(v);
	free(disk);
	return snap;
}

static int virt_snapshot_on(virDomainPtr d, const struct vmm_home *h,
			    const struct vmm_profile *p, enum vmm_snapshot_op op, const char *tag)
{
	virDomainSnapshotPtr snap = NULL;
	int rc = -1;
	if (op == VMM_SNAPSHOT_CREATE) {
		/* disks and memory inside the qcow2 (savevm), the read-only CD-ROMs left out */
		char *xml = util_fmt("<domainsnapshot>\n  <name>%s</name>\n"
				     "  <memory snapshot='internal'/>\n</domainsnapshot>\n", tag);
		snap = virDomainSnapshotCreateXML(d, xml, 0);
		free(xml);
		if (!snap)
			return virt_err(p->name);
		virDomainSnapshotFree(snap);
		return 0;
	}
	snap = virDomainSnapshotLookupByName(d, tag, 0);
	if (!snap && virt_err_code() != VIR_ERR_NO_DOMAIN_SNAPSHOT)
		return virt_err(p->name);
	if (!snap && !(snap = snap_redefine(d, h, p, tag)))
		return -1;
	if (op == VMM_SNAPSHOT_RESTORE)
		rc = virDomainRevertToSnapshot(snap, VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING);
	else
		rc = virDomainSnapshotDelete(snap, 0);
	if (rc < 0)
		virt_err(p->name);
	virDomainSnapshotFree(snap);
	return rc < 0 ? -1 : 0;
}

static int virt_snapshot(const struct vmm_home *h, const struct vmm_profile *p,
			 enum vmm_snapshot_op op, const char *tag)
{
	virConnectPtr c = virt_open(p);
	virDomainPtr d = NULL;
	int rc = -1;
	if (!c)
		return -1;
	if (!(d = virDomainLookupByName(c, p->name)))
		virt_err(p->name);
	else
		rc = virt_snapshot_on(d, h, p, op, tag);
	if (d)
		virDomainFree(d);
	virConnectClose(c);
	return rc;
}

const struct vmm_backend libvirt_backend = {
	.name = "libvirt",
	.where = virt_where,
	.preflight = virt_preflight,
	.plan = virt_plan,
	.start = virt_start,
	.stop = virt_stop,
	.status = virt_status,
	.console = virt_console,
	.snapshot = virt_snapshot,
};

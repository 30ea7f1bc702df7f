// SPDX-License-Identifier: MIT
/* backend.c: which backend runs a guest (the profile's "backend" key, QEMU directly by default),
 * and what every backend grants QEMU's user */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/backend/backend.h"
#include "vmm/storage/chain.h"
#include "vmm/storage/image.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

const struct vmm_backend *backend_for(const struct vmm_profile *p)
{
	if (p && p->backend && !strcmp(p->backend, "libvirt"))
		return &libvirt_backend;
	return &qemu_backend;
}

int backend_guest_access(const struct vmm_home *h, const struct vmm_profile *p,
			 const struct store_guest_files *f, const char *seed, const char *run_dir,
			 const struct access_user *u, const char *tail)
{
	/* the chain as vmm reads it (the profile's image and the cache only), each layer granted */
	char *backing = p->backing ? store_image_path(h, p->backing) : NULL;
	char *cache = image_cache_dir(h), *record = store_grants_path(h, p->name), *note = NULL;
	struct chain_allow allow = { backing, cache };
	struct disk_chain c;
	struct access_need needs[CHAIN_MAX + 6];
	size_t n = 0;
	int rc = chain_open(f->disk, false, &allow, &c);
	for (size_t i = 0; rc == 0 && i < c.n; i++)
		needs[n++] = (struct access_need){ i ? "backing file" : "disk", c.v[i].path, !i,
						   false };
	needs[n++] = (struct access_need){ "seed", seed, false, false };
	needs[n++] = (struct access_need){ "iso", f->iso, false, false };
	needs[n++] = (struct access_need){ "kernel", f->kernel, false, false };
	needs[n++] = (struct access_need){ "initrd", f->initrd, false, false };
	needs[n++] = (struct access_need){ "run folder", run_dir, true, true };
	/* grants an earlier run left (a guest that stopped by itself) are still in the record:
	 * what they cover is reachable, nothing is granted twice, the stop takes all back */
	if (rc == 0)
		rc = access_ensure(u, needs, n, record, &note);
	if (note)
		vmm_notice("%s: %s%s", p->name, note, tail);
	chain_close(&c);
	free(note);
	free(record);
	free(cache);
	free(backing);
	return rc < 0 ? -1 : 0;
}

int backend_guest_release(const struct vmm_home *h, const struct vmm_profile *p)
{
	char *record = store_grants_path(h, p->name);
	int rc = access_revoke(record);
	free(record);
	return rc;
}

/* ---- VNC: the socket and the password (issue 17, item 7) ---- */

char *backend_vnc_socket(const struct vmm_home *h, const struct vmm_profile *p)
{
	return util_fmt("%s/%s/" BACKEND_VNC_SOCK, h->run, p->name);
}

static char *password_path(const struct vmm_home *h, const struct vmm_profile *p)
{
	return util_fmt("%s/%s/" BACKEND_VNC_PASSWORD, h->run, p->name);
}

/* The first line of text (which is freed): malloc'd, NULL + error slot when it is empty. */
static char *first_line(char *text, size_t len, const char *what)
{
	text[strcspn(text, "\r\n")] = '\0';
	if (*text)
		return text;
	explicit_bzero(text, len);
	free(text);
	vmm_invalid("%s: empty", what);
	return NULL;
}

static int profile_password(const struct vmm_profile *p, char **pw)
{
	size_t len = 0;
	char *t = util_read_file(p->vnc_password_file, &len);
	if (!t)
		return vmm_error_prefix("%s: vnc password file", p->name);
	char *what = util_fmt("vnc password file %s", p->vnc_password_file);
	*pw = first_line(t, len, what);
	free(what);
	return *pw ? 0 : -1;
}

int backend_vnc_password_make(const struct vmm_home *h, const struct vmm_profile *p, char **pw)
{
	static const char set[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	unsigned char r[8];
	*pw = NULL;
	if (!profile_vnc_tcp(p))
		return 0;
	if (p->vnc_password_file)
		return profile_password(p, pw);
	if (profile_vnc_loopback(p))
		return 0;
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return vmm_fail("%s: vnc password: getrandom: %s", p->name, util_strerror(errno));
	char *s = calloc(1, sizeof(r) + 2);
	if (!s)
		abort();
	for (size_t i = 0; i < sizeof(r); i++)
		s[i] = set[r[i] % (sizeof(set) - 1)];
	explicit_bzero(r, sizeof(r));
	s[sizeof(r)] = '\n';
	char *path = password_path(h, p);
	int rc = util_write_file(path, s, sizeof(r) + 1, 0600);
	free(path);
	s[sizeof(r)] = '\0';
	if (rc < 0) {
		explicit_bzero(s, sizeof(r));
		free(s);
		return -1;
	}
	*pw = s; /* the caller owns it */
	return 0;
}

/* run/NAME/vnc.password: a regular file of ours, private, opened without following a link. */
static int made_password(const struct vmm_home *h, const struct vmm_profile *p, char **pw)
{
	char *path = password_path(h, p), buf[64];
	int rc = 0, fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	ssize_t n = 0;
	if (fd < 0 && errno == ENOENT)
		goto out; /* none was made */
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = vmm_fail("%s: %s", path, util_strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		rc = vmm_fail("%s: not a private file of yours: refused", path);
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		rc = vmm_fail("%s: %s", path, util_strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	char *t = util_strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	if (!(*pw = first_line(t, (size_t)n, path)))
		rc = -1;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

int backend_vnc_password_get(const struct vmm_home *h, const struct vmm_profile *p, char **pw)
{
	*pw = NULL;
	if (!profile_vnc_tcp(p))
		return 0;
	if (p->vnc_password_file)
		return profile_password(p, pw);
	return made_password(h, p, pw);
}

// SPDX-License-Identifier: MIT
/* sshkey.c: the user's default key for new guests, per-guest host keys (ssh-keygen, argv only)
 * and the known_hosts that pins them for vmm ssh */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/sys/error.h"
#include "vmm/storage/sshkey.h"
#include "vmm/sys/util.h"

const char *const sshkey_host_types[SSHKEY_HOST_TYPES] = { "ed25519", "ecdsa", "rsa" };

char *sshkey_dir(const struct vmm_home *h)
{
	return util_fmt("%s/ssh", h->images);
}

char *sshkey_guest_dir(const struct vmm_home *h, const char *name)
{
	return util_fmt("%s/ssh/%s", h->images, name);
}

char *sshkey_known_hosts_path(const struct vmm_home *h, const char *name)
{
	return util_fmt("%s/ssh/%s/known_hosts", h->images, name);
}

void sshkey_host_free(struct sshkey_host *k)
{
	for (int i = 0; i < SSHKEY_HOST_TYPES; i++) {
		free(k->priv[i]);
		free(k->pub[i]);
	}
	memset(k, 0, sizeof(*k));
}

/* ssh-keygen -q -t TYPE -N "" -C COMMENT -f PATH; the first line of its stderr on failure. */
static int keygen(const char *type, const char *comment, const char *path)
{
	char *argv[] = { "ssh-keygen", "-q", "-t", (char *)type, "-N", "", "-C", (char *)comment,
			 "-f", (char *)path, NULL };
	char *err = NULL;
	int st = util_run_clean(argv, NULL, &err);
	int rc = 0;
	if (st < 0)
		rc = -1;
	else if (st != 0) {
		char *nl = err ? strchr(err, '\n') : NULL;
		if (nl)
			*nl = '\0';
		rc = vmm_fail("ssh-keygen -t %s %s: %s", type, path, err && *err ? err : "failed");
	}
	free(err);
	return rc;
}

/* One line of a .pub file, without the newline. */
static char *read_pub(const char *path)
{
	char *s = util_read_file(path, NULL);
	if (!s)
		return NULL;
	s[strcspn(s, "\r\n")] = '\0';
	if (!*s) {
		free(s);
		vmm_fail("%s: empty public key", path);
		return NULL;
	}
	return s;
}

int sshkey_host_load(const struct vmm_home *h, const char *name, struct sshkey_host *k)
{
	memset(k, 0, sizeof(*k));
	char *dir = sshkey_guest_dir(h, name);
	int rc = 0;
	char *first = util_fmt("%s/ssh_host_%s_key", dir, sshkey_host_types[0]);
	if (!util_exists(first)) {
		rc = 1;
		goto out;
	}
	for (int i = 0; i < SSHKEY_HOST_TYPES; i++) {
		char *priv = util_fmt("%s/ssh_host_%s_key", dir, sshkey_host_types[i]);
		char *pub = util_fmt("%s.pub", priv);
		k->priv[i] = util_read_file(priv, NULL);
		k->pub[i] = k->priv[i] ? read_pub(pub) : NULL;
		free(priv);
		free(pub);
		if (!k->pub[i]) {
			sshkey_host_free(k);
			rc = -1;
			goto out;
		}
	}
out:
	free(first);
	free(dir);
	return rc;
}

int sshkey_host_ensure(const struct vmm_home *h, const char *name, struct sshkey_host *k)
{
	int r = sshkey_host_load(h, name, k);
	if (r <= 0)
		return r;
	char *top = sshkey_dir(h), *dir = sshkey_guest_dir(h, name);
	char *tmp = util_fmt("%s/.%s.XXXXXX", top, name);
	char *comment = util_fmt("vmm-%s", name);
	int rc = -1;
	if (util_mkdir_p(top, 0700) < 0)
		goto out;
	if (!mkdtemp(tmp)) {
		vmm_fail("%s: %s", tmp, util_strerror(errno));
		goto out;
	}
	for (int i = 0; i < SSHKEY_HOST_TYPES; i++) {
		char *path = util_fmt("%s/ssh_host_%s_key", tmp, sshkey_host_types[i]);
		int g = keygen(sshkey_host_types[i], comment, path);
		if (g == 0)
			chmod(path, 0600);
		free(path);
		if (g < 0)
			goto out;
	}
	if (rename(tmp, dir) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			vmm_fail("%s: %s", dir, util_strerror(errno));
			goto out;
		}
		/* made meanwhile by another vmm: theirs stand */
	}
	rc = sshkey_host_load(h, name, k) == 0 ? 0 : -1;
	if (rc < 0 && !*vmm_errmsg())
		vmm_fail("%s: host keys missing", dir);
out:
	util_rm_rf(tmp); /* gone after the rename; left-overs of a failure */
	free(comment);
	free(tmp);
	free(dir);
	free(top);
	return rc;
}

int sshkey_known_hosts_write(const struct vmm_home *h, const char *name, const char *ip,
			     const struct sshkey_host *k)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		abort();
	for (int i = 0; i < SSHKEY_HOST_TYPES; i++) {
		/* "TYPE BASE64" without the comment */
		const char *p = k->pub[i];
		const char *sp = strchr(p, ' ');
		const char *end = sp ? strchr(sp + 1, ' ') : NULL;
		int n = end ? (int)(end - p) : (int)strlen(p);
		fprintf(f, "%s %.*s\n", ip, n, p);
	}
	fclose(f);
	char *path = sshkey_known_hosts_path(h, name);
	char *old = util_exists(path) ? util_read_file(path, NULL) : NULL;
	vmm_error_clear();
	int rc = 0;
	if (!old || strcmp(old, text))
		rc = util_write_file(path, text, len, 0644);
	free(old);
	free(path);
	free(text);
	return rc;
}

/* Make the home's key pair: ssh-keygen writes into a new folder, then the private half and the
 * public half are renamed into place, the public last (its presence says the pair is whole).
 * The caller holds the lock. */
static int make_pair(const char *dir, const char *k, const char *p)
{
	char *tmp = util_fmt("%s/.id.XXXXXX", dir), *tk = NULL, *tp = NULL;
	char host[64] = "localhost";
	int rc = -1;
	if (!mkdtemp(tmp)) {
		vmm_fail("%s: %s", tmp, util_strerror(errno));
		goto out;
	}
	gethostname(host, sizeof(host) - 1);
	char *comment = util_fmt("vmm@%s", host);
	tk = util_fmt("%s/id_ed25519", tmp);
	tp = util_fmt("%s.pub", tk);
	rc = keygen("ed25519", comment, tk);
	free(comment);
	if (rc == 0 && (rename(tk, k) < 0 || rename(tp, p) < 0))
		rc = vmm_fail("%s: %s", k, util_strerror(errno));
out:
	util_rm_rf(tmp);
	free(tk);
	free(tp);
	free(tmp);
	return rc;
}

int sshkey_default_identity(const struct vmm_home *h, bool create, char **pub, char **priv,
			    bool *made)
{
	static const char *const user_keys[] = { "id_ed25519", "id_ecdsa", "id_rsa" };
	*pub = *priv = NULL;
	if (made)
		*made = false;
	const char *home = getenv("HOME");
	for (size_t i = 0; home && *home && i < sizeof(user_keys) / sizeof(user_keys[0]); i++) {
		char *p = util_fmt("%s/.ssh/%s.pub", home, user_keys[i]);
		if (util_exists(p)) {
			char *k = util_fmt("%s/.ssh/%s", home, user_keys[i]);
			*pub = p;
			if (util_exists(k))
				*priv = k;
			else
				free(k);
			return 0;
		}
		free(p);
	}
	char *dir = sshkey_dir(h), *lockp = util_fmt("%s/.lock", dir);
	char *k = util_fmt("%s/id_ed25519", dir);
	char *p = util_fmt("%s.pub", k);
	int rc = 0, lock = -1;
	if (!util_exists(p) || !util_exists(k)) {
		if (!create) {
			rc = 1;
			goto out;
		}
		/* concurrent creates in a fresh home: one makes the pair, the others wait for it
		 * and use it */
		if (util_mkdir_p(dir, 0700) < 0 || (lock = util_lock(lockp)) < 0) {
			rc = -1;
			goto out;
		}
		if (!util_exists(p) || !util_exists(k)) {
			if ((rc = make_pair(dir, k, p)) < 0)
				goto out;
			if (made)
				*made = true;
		}
	}
	*pub = p; /* caller owns both now */
	*priv = k;
	p = k = NULL;
out:
	if (lock >= 0)
		close(lock);
	free(p);
	free(k);
	free(lockp);
	free(dir);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/* sshkey.h: SSH keys vmm handles: the user's key for new guests, each guest's host keys (made by
 * ssh-keygen, handed to cloud-init in the seed) and the known_hosts that pins them */
#ifndef VMM_SSHKEY_H
#define VMM_SSHKEY_H

#include <stdbool.h>

#include "vmm/config/store.h"

#define SSHKEY_HOST_TYPES 3
/* "ed25519", "ecdsa", "rsa": cloud-init's ssh_keys names are TYPE_private / TYPE_public */
extern const char *const sshkey_host_types[SSHKEY_HOST_TYPES];

/* A guest's host key pairs, in the order of sshkey_host_types. */
struct sshkey_host {
	char *priv[SSHKEY_HOST_TYPES]; /* OpenSSH private key text */
	char *pub[SSHKEY_HOST_TYPES];  /* "ssh-ed25519 AAAA... comment" (one line, no newline) */
};

/* IMAGES/ssh (the home's key pair) and IMAGES/ssh/NAME (a guest's host keys, known_hosts). */
char *sshkey_dir(const struct vmm_home *h);
char *sshkey_guest_dir(const struct vmm_home *h, const char *name);
char *sshkey_known_hosts_path(const struct vmm_home *h, const char *name);

/*
 * The guest's host keys, made once with ssh-keygen (spawned with an argv) into a new folder that
 * is renamed into place (private files 0600), read back on every later call: they stay the same
 * across starts until the guest is deleted with --purge.
 */
int sshkey_host_ensure(const struct vmm_home *h, const char *name, struct sshkey_host *k);
/* Read them; returns 1 when the guest has none yet. */
int sshkey_host_load(const struct vmm_home *h, const char *name, struct sshkey_host *k);
void sshkey_host_free(struct sshkey_host *k);

/* Write known_hosts for the guest at address ip with its host public keys (atomically). */
int sshkey_known_hosts_write(const struct vmm_home *h, const char *name, const char *ip,
			     const struct sshkey_host *k);

/*
 * The key new guests get when no --ssh-key is given: the user's ~/.ssh/id_ed25519.pub, else
 * id_ecdsa.pub, else id_rsa.pub; with none of them, the home's own pair IMAGES/ssh/id_ed25519,
 * made with ssh-keygen when missing and create is true (*made then says so).
 * *pub and *priv (malloc'd) are the public and private key files; *priv is NULL when the private
 * half is not beside the public one. Returns 0, 1 when there is none (create false), or -1.
 */
int sshkey_default_identity(const struct vmm_home *h, bool create, char **pub, char **priv,
			    bool *made);

#endif

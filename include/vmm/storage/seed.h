/* SPDX-License-Identifier: MIT */
/* seed.h: cloud-init NoCloud seed ISOs (volume "cidata": meta-data, user-data, network-config) */
#ifndef VMM_SEED_H
#define VMM_SEED_H

#include <stddef.h>

#include "vmm/config/profile.h"
#include "vmm/storage/sshkey.h"
#include "vmm/config/store.h"

/* The three files of a NoCloud seed (malloc'd, NUL-terminated). */
struct seed_files {
	char *meta_data;      /* instance-id (changes with the network settings), local-hostname */
	char *user_data;      /* #cloud-config: hostname, ssh_authorized_keys, ssh_keys, runcmd */
	char *network_config; /* version 2: match by MAC, address, default route, nameservers */
};

/*
 * Render the seed files for profile p on network n (pure: no files, no DNS lookups).
 * dns: the nameservers the guest gets; runcmd: commands for cloud-config's runcmd (may be 0).
 * hostkeys (or NULL): the guest's SSH host keys, handed to cloud-init's ssh module (ssh_keys, with
 * ssh_deletekeys so that only they remain); their public halves are part of the instance-id.
 * Returns 0, or -1 with the error slot set (invalid address in p or n).
 */
int seed_render(const struct vmm_profile *p, const struct vmm_netcfg *n, char *const *dns,
		size_t n_dns, char *const *runcmd, size_t n_runcmd,
		const struct sshkey_host *hostkeys, struct seed_files *out);
void seed_files_free(struct seed_files *f);

/*
 * Write the files as an ISO 9660 image with Rock Ridge and Joliet, volume id "cidata", to path
 * (through a temporary file in the same folder and a rename), with their fingerprint as the
 * application id ("VMM SEED HEX16"). Returns 0 or -1.
 */
int seed_iso_write(const char *path, const struct seed_files *f);

/* The DNS servers a guest's seed names: the profile's own list; else, with net.cfg dhcp (the
 * bridge's dnsmasq), the bridge's address; else net.cfg's (dns_servers). Free with dns_free. */
int seed_dns(const struct vmm_profile *p, const struct vmm_netcfg *n, char ***dns,
	     size_t *n_dns);

/*
 * The guest's seed in images/NAME-seed.iso: DNS from seed_dns, runcmd from the profile; when
 * the profile has SSH keys, the guest's host keys
 * (made once, sshkey_host_ensure) go in too, and the guest's
 * known_hosts is written for its address. The ISO is rewritten only when its content changed:
 * it carries a fingerprint of its files (its application id), so an unchanged seed is neither
 * built again nor rewritten, and libisofs is loaded only when one is built.
 * *path_out (malloc'd) receives its path. Returns 0 or -1.
 */
int seed_ensure(const struct vmm_home *h, const struct vmm_profile *p, const struct vmm_netcfg *n,
		char **path_out);

#endif

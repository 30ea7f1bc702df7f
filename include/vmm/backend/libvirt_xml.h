/* SPDX-License-Identifier: MIT */
/* libvirt_xml.h: the libvirt backend's pure part: URIs, the domain and network XML */
#ifndef VMM_LIBVIRT_XML_H
#define VMM_LIBVIRT_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/config/profile.h"
#include "vmm/config/share.h"

/* The URI used when a libvirt profile has none. */
#define VIRT_DEFAULT_URI "qemu:///system"
#define VIRT_SESSION_URI "qemu:///session" /* network = "user" without root */

/* The profile's URI, or VIRT_DEFAULT_URI (VIRT_SESSION_URI for network = "user" without root). */
const char *virt_uri(const struct vmm_profile *p);
/* Does the URI name another host (a host part after "//", e.g. qemu+tcp://10.0.0.2/system)? */
bool virt_uri_is_remote(const char *uri);
/* The URI's host ("10.0.0.2", without user and port) or "local" into buf. -1 when it does not fit
 * or the URI is malformed (error slot set). */
int virt_host_of(const char *uri, char *buf, size_t len);

/*
 * Everything the domain XML needs beyond the profile. Local guests name files by path and use
 * vmm's own tap; remote guests name volumes of one storage pool and a libvirt network.
 */
struct virt_domain_spec {
	const struct vmm_profile *p;
	const char *type;         /* "kvm" or "qemu" */
	const char *pool;         /* NULL: local files; else the pool holding disk/seed/iso volumes */
	const char *disk;         /* path, or volume name in pool */
	const char *seed;         /* path or volume; NULL: no seed CD-ROM */
	const char *iso;          /* install ISO path or volume (boots from it once); NULL: none */
	const char *kernel;       /* direct kernel boot: paths on the libvirt host, or NULL */
	const char *initrd;
	const char *append;
	const char *network;      /* NULL: <interface type='ethernet'> on p->tap; else this network */
	const char *vnc_password; /* NULL: none */
	const char *vnc_socket;   /* vnc = "socket": vmm's path for it (a local libvirt), or NULL:
				   * one libvirt picks in its own private folder (a remote host) */
	/* Firmware: NULL fw_code is SeaBIOS ("pc"); else OVMF on q35 with fw_vars as the guest's
	 * NVRAM (raw), Secure Boot (SMM) with fw_secure. fw_code "efi" (a remote host): libvirt
	 * picks OVMF from its firmware descriptors and keeps the NVRAM itself. */
	const char *fw_code, *fw_vars;
	bool fw_secure;
	const struct vmm_share *shares; /* each with its kind resolved (9p or virtiofs) */
	size_t n_shares;
	bool tpm;                 /* a TPM 2.0: libvirt's swtpm, its state kept (persistent_state) */
};

/* The domain XML (malloc'd, caller frees). Pure: no I/O, so tests compare it byte for byte. */
char *virt_domain_xml(const struct virt_domain_spec *s);
/* The NAT network XML for a remote host: named after the bridge, net.cfg's address. */
char *virt_network_xml(const struct vmm_netcfg *n);

#endif

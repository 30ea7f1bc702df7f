/* SPDX-License-Identifier: MIT */
/* types.h: what a guest's profile holds (struct vmm_profile, struct vmm_forward) and its limits;
 * types only, so that every module of config/ can use them without a circle: the functions are
 * in profile.h (the key table: parse, format, set), validate.h, alloc.h and forward_spec.h */
#ifndef VMM_CONFIG_TYPES_H
#define VMM_CONFIG_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/config/netcfg.h"

#define VMM_NAME_MAX 32
/* VNC displays: port 5900 + N, up to the last TCP port. */
#define VMM_VNC_MAX (65535 - 5900)
#define VMM_VNC_MAX_STR "59635"
#define VMM_VNC_NONE (-2) /* vnc = "none": no display at all */
/* vnc = "socket" (what vmm create writes): the display on a unix socket in the guest's private
 * run folder, reached by root or the profile's owner only (vmm vnc); no TCP port at all */
#define VMM_VNC_SOCKET (-3)

/* One host port forward of a guest (profile key `forward`, spec
 * "[tcp:|udp:][ADDR:]HOSTPORT:GUESTPORT[!]"). */
struct vmm_forward {
	int proto;            /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t host_port, guest_port;
	uint32_t addr;        /* the host address it is bound to (host order); 0: every one */
	bool force;           /* '!': taken even when a host process listens on the host port or
				 the port is below 1024 (see forward_conflict) */
};

struct vmm_profile {
	char name[VMM_NAME_MAX + 1];
	unsigned memory;      /* MiB */
	unsigned cpus;
	char *disk_path;      /* as written in the profile; relative = under images/ */
	char *disk_size;      /* "40G" as given (may be NULL with backing) */
	char *backing;        /* backing image for an overlay disk, or NULL */
	char *iso;            /* install ISO, or NULL */
	char mac[18];         /* "52:54:00:xx:xx:xx" */
	char *address;        /* "192.168.166.100/24" */
	int vnc_display;      /* 0..VMM_VNC_MAX (TCP), VMM_VNC_SOCKET, VMM_VNC_NONE, -1 unset */
	char *vnc_listen;     /* "127.0.0.1" */
	char *vnc_password_file; /* or NULL */
	char tap[VMM_IFNAME_MAX + 1];
	char *kernel, *initrd, *append; /* direct kernel boot, or NULL */
	char **ssh_keys;      /* public key lines */
	size_t n_ssh_keys;
	char *hostname;       /* or NULL: the name */
	char **dns;           /* per-guest override of net.cfg dns, or NULL */
	size_t n_dns;
	char **runcmd;        /* commands for cloud-init's runcmd (user-data), or NULL */
	size_t n_runcmd;
	char *backend;        /* "qemu" (default) or "libvirt" */
	char *network;        /* "bridge" (NULL: the default; net.cfg's bridge, on the host as root,
				 in the user's own namespace without root) or "user" (the guest
				 alone behind its own passt: no bridge, no net up) */
	char *uri;            /* libvirt URI, or NULL (qemu:///system) */
	struct vmm_forward *forwards; /* host port forwards, or NULL */
	size_t n_forwards;
	bool autostart;       /* started at boot by vmm@NAME.service (`vmm autostart`) */
	unsigned stop_timeout; /* seconds the guest gets to power off (0: the default, 30) */
	char *user;           /* the image's default user (vmm ssh logs in as it), or NULL */
	char *ssh_identity;   /* private key vmm ssh uses (absolute path), or NULL */
	char **shares;        /* shared folders: "DIR:TAG[:ro][:9p|:virtiofs]" (config/share.h) */
	size_t n_shares;
	char *firmware;       /* "uefi", "uefi-secure", or NULL: bios (storage/firmware.h) */
	bool tpm;             /* a TPM 2.0 (swtpm), its state kept with the guest */
};

#define VMM_STOP_TIMEOUT 30 /* seconds, when the profile says nothing */
#define VMM_STOP_TIMEOUT_MAX 86400u
#define VMM_MEMORY_MIN 16u               /* MiB */
#define VMM_MEMORY_MAX (1024u * 1024u)   /* 1 TiB in MiB */
#define VMM_CPUS_MAX 255u

#endif

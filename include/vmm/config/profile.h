/* SPDX-License-Identifier: MIT */
/* profile.h: guest profiles as libconfig files: parse, format, set, validate, allocate */
#ifndef VMM_PROFILE_H
#define VMM_PROFILE_H

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

/* One host port forward of a guest (profile key `forward`, spec "[tcp:|udp:]HOSTPORT:GUESTPORT"). */
struct vmm_forward {
	int proto;            /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t host_port, guest_port;
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
	char *uri;            /* libvirt URI, or NULL (qemu:///system) */
	struct vmm_forward *forwards; /* host port forwards, or NULL */
	size_t n_forwards;
	bool autostart;       /* started at boot by vmm@NAME.service (`vmm autostart`) */
	unsigned stop_timeout; /* seconds the guest gets to power off (0: the default, 30) */
	char *user;           /* the image's default user (vmm ssh logs in as it), or NULL */
	char *ssh_identity;   /* private key vmm ssh uses (absolute path), or NULL */
};

#define VMM_STOP_TIMEOUT 30 /* seconds, when the profile says nothing */
#define VMM_STOP_TIMEOUT_MAX 86400u
#define VMM_MEMORY_MIN 16u               /* MiB */
#define VMM_MEMORY_MAX (1024u * 1024u)   /* 1 TiB in MiB */
#define VMM_CPUS_MAX 255u

/* The functions below live in src/config/profile.c (the key table: parse, format, set),
 * validate.c, alloc.c and forward_spec.c. */

void profile_init(struct vmm_profile *p);
void profile_free(struct vmm_profile *p);
/* Parse profile text (the keys of keys.h's table). name: the profile's name (from its file name).
 * Unknown keys are refused, syntax errors reported as FILE:LINE: MESSAGE. Values a hand-written
 * profile leaves out get what create would have chosen (disk path, MAC, tap, VNC listen). */
int profile_parse(const char *text, const char *filename, const char *name, struct vmm_profile *p);
int profile_load(const char *path, const char *name, struct vmm_profile *p);
/* libconfig text for the profile (malloc'd): its keys in table order. */
char *profile_format(const struct vmm_profile *p);

/* Validators (vmm_invalid on failure). A guest name: [a-z0-9][a-z0-9-]*, at most VMM_NAME_MAX. */
int profile_check_name(const char *name);
/* A login name for the guest's default user: [a-z_][a-z0-9_-]{0,31}. */
int profile_check_user(const char *user);
/* Check one profile on its own and against net.cfg (address inside the subnet, not network,
 * broadcast or bridge). */
int profile_validate(const struct vmm_profile *p, const struct vmm_netcfg *n);
/* Check that p does not collide with the others (MAC, address, VNC display, tap). Profiles
 * with the same name as p are skipped. */
int profile_check_conflicts(const struct vmm_profile *p, const struct vmm_profile *others,
			    size_t n_others);

/* Allocation helpers for unset values (used under the home lock). */
void profile_default_mac(const char *name, char mac[18]);
int profile_pick_address(const struct vmm_netcfg *n, const struct vmm_profile *others,
			 size_t n_others, char **address);
int profile_pick_vnc(const struct vmm_profile *others, size_t n_others, int *display);
void profile_pick_tap(const char *name, const struct vmm_profile *others, size_t n_others,
		      char tap[VMM_IFNAME_MAX + 1]);
/* Set one KEY=VALUE as `vmm set` does (the set names of keys.h's table: memory, cpus, iso, mac,
 * address/ip, vnc, ...): checked first, nothing changes on error. */
struct profile_kv {
	const char *key, *value;
};
int profile_set_key(struct vmm_profile *p, const char *key, const char *value);

/* Parse one forward spec "[PROTO:]HOSTPORT:GUESTPORT" (PROTO tcp or udp, tcp when left out; ports
 * 1 to 65535). 0, or -1 with vmm_invalid set to `forward "SPEC": why`. */
int profile_parse_forward(const char *spec, struct vmm_forward *f);
/* The canonical spec "tcp:8080:80" into buf (at least PROFILE_FORWARD_LEN bytes). */
#define PROFILE_FORWARD_LEN 20
void profile_format_forward(const struct vmm_forward *f, char *buf);
/* "tcp" / "udp" */
const char *profile_forward_proto(int proto);
/* Replace p's forwards with a comma separated list of specs ("" clears them); the same checks as
 * the profile key (no host port twice). Nothing changes on error. */
int profile_set_forwards(struct vmm_profile *p, const char *list);
/* The same from n specs (the profile key's list). */
int profile_set_forward_list(struct vmm_profile *p, char *const *specs, size_t n);
/* Add one forward spec to p's (vmm create --forward, repeatable); its host port (per protocol)
 * must not be listed yet. Nothing changes on error. */
int profile_add_forward(struct vmm_profile *p, const char *spec);
/* VNC: display N listens on VNC_BASE_PORT + N, on loopback unless the profile says otherwise. */
#define VNC_BASE_PORT 5900
#define VNC_DEFAULT_LISTEN "127.0.0.1"
const char *profile_vnc_listen(const struct vmm_profile *p);
int profile_vnc_port(const struct vmm_profile *p); /* 0 unless TCP (a display number) */
/* Is the display on TCP (vnc = { display = N; }), and then on a loopback address (127/8)? A TCP
 * display anywhere else needs a password (the profile's password_file, or one vmm makes). */
bool profile_vnc_tcp(const struct vmm_profile *p);
bool profile_vnc_loopback(const struct vmm_profile *p);
/* "none", "socket" or "LISTEN:N" (the display), for lists and messages. */
void profile_vnc_describe(const struct vmm_profile *p, char *buf, size_t len);

/* The guest's address without prefix ("192.168.166.100") into buf. */
int profile_ip(const struct vmm_profile *p, char buf[16]);

#endif

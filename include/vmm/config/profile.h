/* SPDX-License-Identifier: MIT */
/* profile.h: guest profiles and net.cfg as libconfig files: parse, validate, write */
#ifndef VMM_PROFILE_H
#define VMM_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_NAME_MAX 32
#define VMM_IFNAME_MAX 15
/* VNC displays: port 5900 + N, up to the last TCP port. */
#define VMM_VNC_MAX (65535 - 5900)
#define VMM_VNC_MAX_STR "59635"
#define VMM_VNC_NONE (-2) /* vnc = "none": no display at all */

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
	int vnc_display;      /* 0..VMM_VNC_MAX, VMM_VNC_NONE, -1 while unset (create) */
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

struct vmm_netcfg {
	char bridge[VMM_IFNAME_MAX + 1]; /* "br0" */
	char *address;        /* "192.168.166.1/24" */
	uint32_t addr;        /* host order, the bridge address */
	unsigned prefix;
	char *uplink;         /* "auto" or an interface name */
	bool nat;
	char **dns;           /* "auto" or addresses */
	size_t n_dns;
	char *firewall;       /* "auto" (default), "nftables" or "iptables-legacy" */
	char *foreign;        /* "open" (default) or "leave": other tools' dropping forward chains */
	uint32_t firewall_mark; /* one bit, default 0x2000 (FW_MARK_DEFAULT) */
	char *image_mirror;   /* replaces the image catalog's base URLs, or NULL */
};

/* Defaults: the tutorial's values. */
void netcfg_defaults(struct vmm_netcfg *n);
/* Parse net.cfg text / file (file name used in messages); unknown keys are refused. */
int netcfg_parse(const char *text, const char *filename, struct vmm_netcfg *n);
int netcfg_load(const char *path, struct vmm_netcfg *n); /* missing file = defaults */
char *netcfg_format(const struct vmm_netcfg *n);
void netcfg_free(struct vmm_netcfg *n);
/* Network address, broadcast (host order). */
uint32_t netcfg_network(const struct vmm_netcfg *n);
uint32_t netcfg_broadcast(const struct vmm_netcfg *n);

#define VMM_STOP_TIMEOUT 30 /* seconds, when the profile says nothing */

void profile_init(struct vmm_profile *p);
void profile_free(struct vmm_profile *p);
/* Parse profile text. name: the profile's name (from its file name). Unknown keys are refused,
 * syntax errors reported as FILE:LINE: MESSAGE. */
int profile_parse(const char *text, const char *filename, const char *name, struct vmm_profile *p);
int profile_load(const char *path, const char *name, struct vmm_profile *p);
/* libconfig text for the profile (malloc'd). */
char *profile_format(const struct vmm_profile *p);

/* Validators (vmm_invalid on failure). */
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
/* Set one KEY=VALUE (keys as in `vmm set`: memory, cpus, iso, mac, address/ip, vnc, ...). */
struct profile_kv {
	const char *key, *value;
};
int profile_set_key(struct vmm_profile *p, const char *key, const char *value);

/* Parse one forward spec "[PROTO:][ADDR:]HOSTPORT:GUESTPORT[!]" (PROTO tcp or udp, tcp when left
 * out; ADDR an IPv4 address of the host the forward is bound to, not loopback, 0.0.0.0/8 or
 * multicast; ports 1 to 65535; a trailing '!' forces it, see struct vmm_forward). 0, or -1 with
 * vmm_invalid set to `forward "SPEC": why`. */
int profile_parse_forward(const char *spec, struct vmm_forward *f);
/* The canonical spec "tcp:8080:80", "tcp:192.168.1.184:22:22!" into buf (at least
 * PROFILE_FORWARD_LEN bytes). */
#define PROFILE_FORWARD_LEN 40
void profile_format_forward(const struct vmm_forward *f, char *buf);
/* Do two forwards take the same host port: same protocol and port, and the same address or
 * either of them on every address? */
bool profile_forwards_clash(const struct vmm_forward *a, const struct vmm_forward *b);
/* "tcp" / "udp" */
const char *profile_forward_proto(int proto);
/* Replace p's forwards with a comma separated list of specs ("" clears them); the same checks as
 * the profile key (no host port twice). Nothing changes on error. */
int profile_set_forwards(struct vmm_profile *p, const char *list);
/* Add one forward spec to p's (vmm create --forward, repeatable); its host port (per protocol)
 * must not be listed yet. Nothing changes on error. */
int profile_add_forward(struct vmm_profile *p, const char *spec);
/* VNC: display N listens on VNC_BASE_PORT + N, on loopback unless the profile says otherwise. */
#define VNC_BASE_PORT 5900
#define VNC_DEFAULT_LISTEN "127.0.0.1"
const char *profile_vnc_listen(const struct vmm_profile *p);
int profile_vnc_port(const struct vmm_profile *p); /* 0 for vnc = "none" */

/* The guest's address without prefix ("192.168.166.100") into buf. */
int profile_ip(const struct vmm_profile *p, char buf[16]);

#endif

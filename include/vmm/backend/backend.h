/* SPDX-License-Identifier: MIT */
/* backend.h: how a guest is run: QEMU directly (qemu_backend) or through libvirt (libvirt_backend) */
#ifndef VMM_BACKEND_H
#define VMM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vmm/sys/access.h"
#include "vmm/config/profile.h"
#include "vmm/config/validate.h"
#include "vmm/config/store.h"

struct vmm_start_opts {
	bool install;    /* attach the profile's ISO and boot from it once */
};

struct vmm_status {
	enum vmm_state state;
	pid_t pid;            /* 0 when unknown/remote */
	char host[64];        /* "local" or the libvirt URI's host */
	char vnc_host[108];   /* address QEMU listens on for VNC, or the path of its unix socket
			       * (starts with '/', vnc_port 0); "" when vmm cannot reach it */
	int vnc_port;         /* VNC_BASE_PORT + display, 0 for a socket */
	bool tcg;             /* started without KVM (set by start) */
};

/* How a stop ended; `vmm stop` says which. */
enum vmm_stop_end {
	VMM_STOP_NOT_RUNNING, /* it was not running: only its leftovers were cleaned up */
	VMM_STOP_POWEROFF,    /* the guest powered itself off after the ACPI power button */
	VMM_STOP_QUIT,        /* QEMU quit (QMP quit; libvirt: the domain destroyed) */
	VMM_STOP_TERM,        /* QEMU ended on SIGTERM */
	VMM_STOP_KILL,        /* QEMU killed with SIGKILL */
};

/* What a snapshot command does to a running guest (the guest layer checked the tag). */
enum vmm_snapshot_op {
	VMM_SNAPSHOT_CREATE,  /* the disks and the memory, under a new tag */
	VMM_SNAPSHOT_RESTORE, /* back to that moment: the guest runs on from there */
	VMM_SNAPSHOT_DELETE,
};

/*
 * What differs between the ways a guest is run. The flow around these (validation, the lock, the
 * network and the guest's tap, the seed, waiting) is the lifecycle's (lifecycle.h), the same for
 * every backend.
 */
struct vmm_backend {
	const char *name;
	/* Where the guest runs: "local", or the remote host (into host, len bytes); 1 remote, 0
	 * local (the guest's NIC is a tap on this host's bridge), -1 on error. */
	int (*where)(const struct vmm_profile *p, char *host, size_t len);
	/* Refusals that need no change on the host (files, programs, already running, ports). */
	int (*preflight)(const struct vmm_home *h, const struct vmm_profile *p,
			 const struct vmm_start_opts *o);
	/* --dry-run: what start would run (the QEMU command line, the domain XML); malloc'd. */
	int (*plan)(const struct vmm_home *h, const struct vmm_netcfg *n,
		    const struct vmm_profile *p, const struct vmm_start_opts *o, char **text);
	/* Run the guest with its seed ISO (the tap, for local guests, is there); fill *st. A failure
	 * leaves nothing of the guest running. tap_fd: an open queue of the guest's tap for QEMU
	 * to inherit when the backend takes one (.tap_fd) and the guest is local, else -1; the
	 * caller closes its copy after start. */
	int (*start)(const struct vmm_home *h, const struct vmm_netcfg *n,
		     const struct vmm_profile *p, const struct vmm_start_opts *o, const char *seed,
		     int tap_fd, struct vmm_status *st);
	int (*stop)(const struct vmm_home *h, const struct vmm_profile *p, bool force,
		    int timeout_secs, enum vmm_stop_end *end);
	int (*status)(const struct vmm_home *h, const struct vmm_profile *p, struct vmm_status *st);
	/* Attach stdin/stdout to the serial console until Ctrl-] or EOF; idle_ms > 0: also once
	 * the guest was silent that long (a backend that cannot tell detaches on its own). */
	int (*console)(const struct vmm_home *h, const struct vmm_profile *p, int idle_ms);
	/* start takes an open queue of a local guest's tap (the lifecycle opens it: QEMU run by
	 * vmm); false: the backend's own process opens the tap by name (libvirtd). */
	bool tap_fd;
	/* A snapshot of the running guest with its memory (QMP jobs; virDomainSnapshot*). */
	int (*snapshot)(const struct vmm_home *h, const struct vmm_profile *p,
			enum vmm_snapshot_op op, const char *tag);
};

extern const struct vmm_backend qemu_backend;
extern const struct vmm_backend libvirt_backend;

/* The backend a profile names (NULL backend key = qemu). */
const struct vmm_backend *backend_for(const struct vmm_profile *p);

/* In run/NAME: the VNC socket of vnc = "socket", and the password vmm made for a TCP display
 * off loopback (0600, vmm's user; `vmm vnc NAME --password` prints it). */
#define BACKEND_VNC_SOCK "vnc.sock"
#define BACKEND_VNC_PASSWORD "vnc.password"
char *backend_vnc_socket(const struct vmm_home *h, const struct vmm_profile *p);

/*
 * The VNC password a start gives QEMU (*pw malloc'd, NULL: none): the first line of the
 * profile's vnc.password_file; else, for a TCP display off loopback, a new random one of 8
 * characters (VNC's limit) written to run/NAME/vnc.password (run/NAME must exist); else none.
 */
int backend_vnc_password_make(const struct vmm_home *h, const struct vmm_profile *p, char **pw);
/*
 * The password a client needs now (*pw malloc'd, NULL: none): the profile's file, else the one
 * made at start, read without following a link and only when it is a regular file of vmm's user
 * that nobody else may read.
 */
int backend_vnc_password_get(const struct vmm_home *h, const struct vmm_profile *p, char **pw);

/* Make what libvirt's QEMU opens for guest p reachable by u (access_ensure): the disk
 * (read-write) and its backing chain (chain_open: refused when it leaves the profile's image
 * and the image cache), the seed, the ISO, the kernel and the initrd, and run_dir (a folder QEMU
 * creates its sockets in; NULL: none), and the backend's n_extra extra needs (UEFI variables,
 * shared folders). New grants are added to the record store_grants_path
 * (backend_guest_release takes them all back). What was granted is announced in one line
 * "NAME: gave user ...", followed by tail ("" for nothing). */
int backend_guest_access(const struct vmm_home *h, const struct vmm_profile *p,
			 const struct store_guest_files *f, const char *seed, const char *run_dir,
			 const struct access_need *extra, size_t n_extra,
			 const struct access_user *u, const char *tail);
/* Take back what backend_guest_access granted for p (after a stop, or a start that failed). */
int backend_guest_release(const struct vmm_home *h, const struct vmm_profile *p);

#endif

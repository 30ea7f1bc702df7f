/* SPDX-License-Identifier: MIT */
/* backend.h: how a guest is run: QEMU directly (qemu_backend) or through libvirt (libvirt_backend) */
#ifndef VMM_BACKEND_H
#define VMM_BACKEND_H

#include <stdbool.h>
#include <sys/types.h>

#include "vmm/profile.h"
#include "vmm/store.h"

struct vmm_start_opts {
	bool install;    /* attach the profile's ISO and boot from it once */
	bool dry_run;    /* print the argv / domain XML on stdout, do nothing */
	int wait_secs;   /* 0: don't wait for ping */
};

struct vmm_status {
	enum vmm_state state;
	pid_t pid;            /* 0 when unknown/remote */
	char host[64];        /* "local" or the libvirt URI's host */
	char vnc_host[64];    /* address QEMU listens on for VNC */
	int vnc_port;         /* 5900 + display */
};

/* How a stop ended; `vmm stop` says which. */
enum vmm_stop_end {
	VMM_STOP_NOT_RUNNING, /* it was not running: only its leftovers were cleaned up */
	VMM_STOP_POWEROFF,    /* the guest powered itself off after the ACPI power button */
	VMM_STOP_QUIT,        /* QEMU quit (QMP quit; libvirt: the domain destroyed) */
	VMM_STOP_TERM,        /* QEMU ended on SIGTERM */
	VMM_STOP_KILL,        /* QEMU killed with SIGKILL */
};

struct vmm_backend {
	const char *name;
	int (*start)(const struct vmm_home *h, const struct vmm_netcfg *n,
		     const struct vmm_profile *p, const struct vmm_start_opts *o);
	int (*stop)(const struct vmm_home *h, const struct vmm_profile *p, bool force,
		    int timeout_secs, enum vmm_stop_end *end);
	int (*status)(const struct vmm_home *h, const struct vmm_profile *p, struct vmm_status *st);
	/* Attach stdin/stdout to the serial console until Ctrl-] or EOF. */
	int (*console)(const struct vmm_home *h, const struct vmm_profile *p);
};

extern const struct vmm_backend qemu_backend;
extern const struct vmm_backend libvirt_backend;

/* The backend a profile names (NULL backend key = qemu). */
const struct vmm_backend *backend_for(const struct vmm_profile *p);

#endif

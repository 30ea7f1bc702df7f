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
	/* One line for the user about a change made on the way (an ACL grant, the QEMU user
	 * created), or NULL to say nothing. */
	void (*note)(void *arg, const char *line);
	void *note_arg;
};

struct vmm_status {
	enum vmm_state state;
	pid_t pid;            /* 0 when unknown/remote */
	char host[64];        /* "local" or the libvirt URI's host */
	char vnc_host[64];    /* address QEMU listens on for VNC */
	int vnc_port;         /* 5900 + display */
};

struct vmm_backend {
	const char *name;
	int (*start)(const struct vmm_home *h, const struct vmm_netcfg *n,
		     const struct vmm_profile *p, const struct vmm_start_opts *o);
	int (*stop)(const struct vmm_home *h, const struct vmm_profile *p, bool force,
		    int timeout_secs);
	int (*status)(const struct vmm_home *h, const struct vmm_profile *p, struct vmm_status *st);
	/* Attach stdin/stdout to the serial console until Ctrl-] or EOF. */
	int (*console)(const struct vmm_home *h, const struct vmm_profile *p);
};

extern const struct vmm_backend qemu_backend;
extern const struct vmm_backend libvirt_backend;

/* The backend a profile names (NULL backend key = qemu). */
const struct vmm_backend *backend_for(const struct vmm_profile *p);

#endif

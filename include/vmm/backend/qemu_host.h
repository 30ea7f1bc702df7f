/* SPDX-License-Identifier: MIT */
/* qemu_host.h: what the host offers QEMU (KVM, vhost-net), whichever backend starts it */
#ifndef VMM_QEMU_HOST_H
#define VMM_QEMU_HOST_H

#include <stdbool.h>

/* What the host offers. */
struct qemu_host {
	bool kvm;   /* /dev/kvm opens read-write, KVM_GET_API_VERSION works, CPU has vmx/svm */
	bool vhost; /* /dev/vhost-net opens read-write */
};

/* Probe the host. The environment can force the answers (golden tests, broken KVM):
 * VMM_ACCEL=kvm|tcg and VMM_VHOST=on|off. */
void qemu_probe(struct qemu_host *hc);

#endif

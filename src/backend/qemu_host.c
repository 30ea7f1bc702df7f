// SPDX-License-Identifier: MIT
/* qemu_host.c: what the host offers QEMU (KVM, vhost-net), whichever backend starts it */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/backend/qemu_host.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

/* ---- probing ---- */

static bool cpu_has_virt(void)
{
	char *info = util_read_file("/proc/cpuinfo", NULL);
	vmm_error_clear();
	if (!info)
		return false;
	bool yes = false;
	for (char *l = strstr(info, "\nflags"); l && !yes; l = strstr(l + 1, "\nflags")) {
		char *end = strchr(l + 1, '\n');
		if (end)
			*end = '\0';
		yes = strstr(l, " vmx") || strstr(l, " svm");
		if (end)
			*end = '\n';
		break; /* the first CPU tells */
	}
	free(info);
	return yes;
}

static bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
	close(fd);
	/* /dev/kvm without hardware virtualisation (e.g. kvm_pvm) is not something QEMU can run */
	return ok && cpu_has_virt();
}

void qemu_probe(struct qemu_host *hc)
{
	const char *a = getenv("VMM_ACCEL"), *v = getenv("VMM_VHOST");
	if (a && !strcmp(a, "kvm"))
		hc->kvm = true;
	else if (a && !strcmp(a, "tcg"))
		hc->kvm = false;
	else
		hc->kvm = kvm_usable();
	if (v && !strcmp(v, "on"))
		hc->vhost = true;
	else if (v && !strcmp(v, "off"))
		hc->vhost = false;
	else {
		int fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
		hc->vhost = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
}

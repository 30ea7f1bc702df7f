// SPDX-License-Identifier: MIT
/* qemu_snapshot.c: internal snapshots of a running guest (disks + memory) through QMP jobs */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/backend/qemu_argv.h"
#include "vmm/backend/qemu_snapshot.h"
#include "vmm/backend/qmp.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

static const char *member(json_object *o, const char *key)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* The writable nodes as a JSON array of names into *devices, the disk's node into vmstate. */
static int snapshot_nodes(struct qmp *q, const struct vmm_profile *p, const char *disk,
			  json_object **devices, char *vmstate, size_t len)
{
	json_object *r = NULL;
	*devices = NULL;
	vmstate[0] = '\0';
	if (qmp_execute(q, "query-block", NULL, &r, 5000) < 0)
		return vmm_error_prefix("%s", p->name);
	json_object *list = json_object_new_array();
	size_t n = json_object_is_type(r, json_type_array) ? json_object_array_length(r) : 0;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		json_object *b = json_object_array_get_idx(r, i), *in = NULL, *ro = NULL;
		if (!json_object_object_get_ex(b, "inserted", &in) ||
		    (json_object_object_get_ex(in, "ro", &ro) && json_object_get_boolean(ro)))
			continue;
		const char *node = member(in, "node-name"), *drv = member(in, "drv");
		const char *file = member(in, "file"), *dev = member(b, "device");
		if (!node || !drv || strcmp(drv, "qcow2")) {
			rc = vmm_invalid("%s: snapshots need qcow2 images (%s %s is %s)", p->name,
					 dev ? dev : "a device", file ? file : "", drv ? drv : "?");
			break;
		}
		json_object_array_add(list, json_object_new_string(node));
		/* the guest's disk: node disk0 of the QEMU argv (qemu_argv.c), or found by path */
		if (!strcmp(node, "disk0") || (!vmstate[0] && file && !strcmp(file, disk)))
			snprintf(vmstate, len, "%s", node);
	}
	json_object_put(r);
	if (rc == 0 && !vmstate[0])
		rc = vmm_fail("%s: QEMU does not show the disk %s", p->name, disk);
	if (rc < 0) {
		json_object_put(list);
		return -1;
	}
	*devices = list; /* the caller owns it */
	return 0;
}

static json_object *job_args(const char *job, const char *tag, const char *vmstate,
			     json_object *devices)
{
	json_object *a = json_object_new_object();
	json_object_object_add(a, "job-id", json_object_new_string(job));
	json_object_object_add(a, "tag", json_object_new_string(tag));
	if (vmstate)
		json_object_object_add(a, "vmstate", json_object_new_string(vmstate));
	json_object_object_add(a, "devices", json_object_get(devices));
	return a;
}

/* After a failed load: QEMU waits paused in restore-vm; the guest ran before, so it runs on. */
static void resume_after_failed_load(struct qmp *q)
{
	struct vmm_saved_error e;
	bool running = true;
	char status[32] = "";
	vmm_error_save(&e);
	if (qmp_query_status(q, &running, status, sizeof(status), 5000) == 0 && !running)
		qmp_execute(q, "cont", NULL, NULL, 5000);
	vmm_error_restore(&e);
}

int qemu_snapshot(const struct vmm_home *h, const struct vmm_profile *p, enum vmm_snapshot_op op,
		  const char *tag)
{
	static const char *const cmds[] = { "snapshot-save", "snapshot-load", "snapshot-delete" };
	char *sock = util_fmt("%s/%s/" QEMU_QMP_SOCK, h->run, p->name);
	char *disk = store_disk_path(h, p), *job = util_fmt("vmm-%s", cmds[op]), vmstate[128];
	json_object *devices = NULL, *args = NULL;
	struct qmp *q = NULL;
	int rc = -1;
	if (qmp_connect(sock, 3000, &q) < 0) {
		vmm_error_prefix("%s", p->name);
		goto out;
	}
	if (snapshot_nodes(q, p, disk, &devices, vmstate, sizeof(vmstate)) < 0)
		goto out;
	args = job_args(job, tag, op == VMM_SNAPSHOT_DELETE ? NULL : vmstate, devices);
	rc = qmp_job_run(q, cmds[op], args, job, QEMU_SNAPSHOT_TIMEOUT_MS);
	if (rc < 0) {
		vmm_error_prefix("%s", p->name);
		if (op == VMM_SNAPSHOT_RESTORE)
			resume_after_failed_load(q);
	}
out:
	json_object_put(args);
	json_object_put(devices);
	qmp_close(q);
	free(job);
	free(disk);
	free(sock);
	return rc;
}

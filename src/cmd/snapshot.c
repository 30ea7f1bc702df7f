// SPDX-License-Identifier: MIT
/* cmd/snapshot.c: vmm snapshot NAME list|create|restore|delete [TAG] */
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/cmd/cmd.h"
#include "vmm/guest/snapshot.h"
#include "vmm/sys/error.h"

static const struct cmd_sub snapshot_subs[] = {
	{ "list", "the guest's snapshots: TAG, DATE, MEMORY (state size; - for disks only), CLOCK" },
	{ "create", "a snapshot TAG: running, the disks and the memory; stopped, the disks" },
	{ "restore", "back to snapshot TAG: a running guest runs on from that moment" },
	{ "delete", "remove snapshot TAG" },
	{ NULL, NULL },
};

const struct cmd_spec cmd_snapshot_spec = {
	.name = "snapshot",
	.args = "NAME list|create|restore|delete [TAG]",
	.summary = "internal snapshots of a guest's qcow2 disk, with its memory while it runs",
	.subs = snapshot_subs,
	.notes = "A running guest is snapshotted through QEMU (QMP snapshot-save/-load/-delete, or\n"
		 "libvirt's virDomainSnapshot*): disks, UEFI variables and memory. A stopped guest\n"
		 "through qemu-img snapshot: its disks only. A TAG that exists is refused for create\n"
		 "(one that does not for restore and delete) before anything is written. Refused while\n"
		 "it runs: a guest with shared folders (they cannot be saved; stop it to snapshot its\n"
		 "disks) and, with libvirt, one with UEFI firmware (libvirt 9.0 refuses internal\n"
		 "snapshots with pflash). TAG: 1 to 64 of A-Z a-z 0-9 _ . -, not all digits.\n"
		 "With --json, list prints an array of objects: tag, date, vm_state_size, vm_clock_ns.\n",
	.complete = CMD_COMPLETE_PROFILE,
};

static void snap_date(const struct disksnap *s, char date[32])
{
	time_t t = (time_t)s->date_sec;
	struct tm tm;
	snprintf(date, 32, "-");
	if (localtime_r(&t, &tm))
		strftime(date, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

void cmd_snapshot_text(const struct disksnap *s, char *buf, size_t len)
{
	char date[32], mem[24] = "-";
	uint64_t secs = s->vm_clock_ns / 1000000000u;
	snap_date(s, date);
	if (s->vm_state_size)
		snprintf(mem, sizeof(mem), "%" PRIu64 "M", s->vm_state_size >> 20);
	snprintf(buf, len, "%-20s %-20s %10s %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s->name,
		 date, mem, secs / 3600, secs / 60 % 60, secs % 60);
}

json_object *cmd_snapshots_json(const struct disksnap *v, size_t n)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		char date[32];
		json_object *o = json_object_new_object();
		snap_date(&v[i], date);
		json_object_object_add(o, "tag", json_object_new_string(v[i].name));
		json_object_object_add(o, "date", json_object_new_string(date));
		json_object_object_add(o, "vm_state_size",
				       json_object_new_int64((int64_t)v[i].vm_state_size));
		json_object_object_add(o, "vm_clock_ns",
				       json_object_new_int64((int64_t)v[i].vm_clock_ns));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void print_list(const struct disksnap *v, size_t n, bool json)
{
	if (json) {
		json_object *arr = cmd_snapshots_json(v, n);
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
		return;
	}
	printf("%-20s %-20s %10s %s\n", "TAG", "DATE", "MEMORY", "CLOCK");
	for (size_t i = 0; i < n; i++) {
		char line[160];
		cmd_snapshot_text(&v[i], line, sizeof(line));
		printf("%s\n", line);
	}
}

static int do_op(struct vmm_ctx *ctx, const struct vmm_profile *p, int op, const char *tag)
{
	static const char *const done[] = { "created", "restored", "deleted" };
	bool live = false;
	if (guest_snapshot(&ctx->home, p, (enum vmm_snapshot_op)op, tag, &live) < 0)
		return cmd_report();
	cmd_note(ctx, "vmm: %s: snapshot %s %s (%s)", p->name, tag, done[op],
		 live ? "running: disks and memory" : "stopped: disks");
	return 0;
}

int cmd_snapshot(struct vmm_ctx *ctx, int argc, char **argv)
{
	static const char *const ops[] = { "create", "restore", "delete" };
	int rc = cmd_parse(&cmd_snapshot_spec, argc, argv, NULL);
	if (rc)
		return rc;
	int left = argc - optind;
	if (left < 2)
		return cmd_usage_error("snapshot", "needs NAME and list, create, restore or delete");
	const char *name = argv[optind], *what = argv[optind + 1];
	int op = -1;
	for (int i = 0; i < 3; i++)
		if (!strcmp(what, ops[i]))
			op = i;
	if (op < 0 && strcmp(what, "list"))
		return cmd_usage_error("snapshot", "unknown subcommand \"%s\"", what);
	if (op < 0 ? left != 2 : left != 3)
		return cmd_usage_error("snapshot", op < 0 ? "list takes no TAG"
							  : "%s needs exactly one TAG", what);
	struct vmm_profile p;
	if (profile_check_name(name) < 0 || store_load(&ctx->home, name, &p) < 0)
		return cmd_report();
	if (op >= 0) {
		rc = do_op(ctx, &p, op, argv[optind + 2]);
	} else {
		struct disksnap *v = NULL;
		size_t n = 0;
		rc = guest_snapshot_list(&ctx->home, &p, &v, &n) < 0 ? cmd_report() : 0;
		if (rc == 0)
			print_list(v, n, ctx->json);
		free(v);
	}
	profile_free(&p);
	return rc ? rc : cmd_flush();
}

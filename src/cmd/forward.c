// SPDX-License-Identifier: MIT
/* cmd/forward.c: `vmm forward [NAME]`: the host ports forwarded to a guest (or to every guest) */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/config/profile.h"
#include "vmm/config/forward_spec.h"
#include "vmm/net/netmode.h"
#include "vmm/net/userns.h"
#include "vmm/config/validate.h"
#include "vmm/net/forward.h"
#include "vmm/sys/util.h"

const struct cmd_spec cmd_forward_spec = {
	.name = "forward",
	.args = "[NAME]",
	.summary = "list the host ports forwarded to a guest (all guests without NAME): GUEST PROTO HOSTPORT TO",
	.notes = "Forwards are set with\n"
		 "\"vmm create NAME --forward [PROTO:][ADDR:]HOSTPORT:GUESTPORT[!]\" or\n"
		 "\"vmm set NAME forward=SPEC,...\" (\"forward=\" removes them all); \"vmm net up\"\n"
		 "installs them, vmm set/create/delete update them at once while the network is up.\n"
		 "ADDR binds a forward to one host address (HOSTPORT shows ADDR:PORT). A host port that\n"
		 "a host process listens on, or one below 1024, is refused unless the spec ends in '!'\n"
		 "(HOSTPORT shows the '!'); net up leaves out such a forward that is not forced, and so\n"
		 "does this list, with one line on stderr for each.\n"
		 "With --json, an array of objects: guest, proto, host_address (null: every address),\n"
		 "host_port, forced, guest_address, guest_port.\n",
	.complete = CMD_COMPLETE_PROFILE,
};

static void add_rows(struct vmm_ctx *ctx, const struct vmm_profile *p, json_object *arr)
{
	char ip[16] = "-", line[320];
	if (profile_ip(p, ip) < 0) {
		snprintf(ip, sizeof(ip), "-");
		vmm_error_clear();
	}
	for (size_t i = 0; i < p->n_forwards; i++) {
		const struct vmm_forward *f = &p->forwards[i];
		char a[16] = "";
		if (forward_left_out(f, p->name, line, sizeof(line))) {
			cmd_note(ctx, "vmm: %s", line); /* net up leaves it out: so does the list */
			continue;
		}
		if (f->addr)
			util_format_ipv4(f->addr, a);
		if (!arr) {
			char to[32], from[32];
			snprintf(to, sizeof(to), "%s:%u", ip, (unsigned)f->guest_port);
			snprintf(from, sizeof(from), "%s%s%u%s", a, *a ? ":" : "",
				 (unsigned)f->host_port, f->force ? "!" : "");
			printf("%-16s %-5s %8s  %s\n", p->name, profile_forward_proto(f->proto), from, to);
			continue;
		}
		json_object *o = json_object_new_object();
		json_object_object_add(o, "guest", json_object_new_string(p->name));
		json_object_object_add(o, "proto", json_object_new_string(profile_forward_proto(f->proto)));
		json_object_object_add(o, "host_address", *a ? json_object_new_string(a) : NULL);
		json_object_object_add(o, "host_port", json_object_new_int(f->host_port));
		json_object_object_add(o, "forced", json_object_new_boolean(f->force));
		json_object_object_add(o, "guest_address",
				       strcmp(ip, "-") ? json_object_new_string(ip) : NULL);
		json_object_object_add(o, "guest_port", json_object_new_int(f->guest_port));
		json_object_array_add(arr, o);
	}
}

int cmd_forward(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct vmm_profile *ps = NULL, one;
	struct store_invalid *bad = NULL;
	size_t n = 0, n_bad = 0;
	int rc = cmd_parse(&cmd_forward_spec, argc, argv, NULL);
	if (rc)
		return rc;
	if (argc - optind > 1)
		return cmd_usage_error("forward", "unexpected argument \"%s\"", argv[optind + 1]);
	if (argc - optind == 1) {
		if (profile_check_name(argv[optind]) < 0)
			return cmd_report();
		if (store_load(&ctx->home, argv[optind], &one) < 0)
			return cmd_report();
		ps = &one;
		n = 1;
	} else if (store_load_all(&ctx->home, &ps, &n, &bad, &n_bad) < 0) {
		return cmd_report();
	}
	/* a profile that does not load holds no forwards vmm knows: named, the others listed */
	for (size_t i = 0; i < n_bad; i++)
		cmd_note(ctx, "vmm: forward: skipped %s: %s", bad[i].name, bad[i].reason);
	/* without root, the host ports pasta holds for the forwards are theirs, not taken */
	struct userns_info u;
	if (netmode_current()->rootless && userns_info(&ctx->home, &u) < 0)
		vmm_error_clear();
	store_free_invalid(bad, n_bad);
	json_object *arr = ctx->json ? json_object_new_array() : NULL;
	if (!arr)
		printf("%-16s %-5s %8s  %s\n", "GUEST", "PROTO", "HOSTPORT", "TO");
	for (size_t i = 0; i < n; i++)
		add_rows(ctx, &ps[i], arr);
	if (ps == &one)
		profile_free(&one);
	else
		store_free_all(ps, n);
	if (arr) {
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	}
	return 0;
}

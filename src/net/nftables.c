// SPDX-License-Identifier: MIT
/* nftables.c: vmm's table inet vmm and its openings in other tables, through libnftables */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vmm/sys/dl_nftables.h"
#include "vmm/sys/error.h"
#include "vmm/net/fw_config.h"
#include "vmm/net/nftables.h"
#include "vmm/net/nftables_rules.h"
#include "vmm/sys/util.h"

/*
 * How it works: read the whole ruleset as JSON (nft_run_cmd_from_buffer "list ruleset" with
 * JSON output into a buffer), reduce it to what vmm cares about (struct fw_nft_state), compute
 * the nft commands that turn that into what the config wants (fw_nft_diff, pure), and run them as
 * one buffer: libnftables sends one buffer as one netlink batch, which the kernel commits
 * atomically (all or nothing). An empty diff commits nothing.
 *
 * vmm's rules are recognised by their comment "vmm BR HASH", where HASH is FNV-1a of the chain
 * and the rule's text: a rule whose config changed has another hash, so the diff deletes the old
 * one (by handle) and adds the new one. Openings in other tables are recognised by the comment
 * "vmm" and the mark they match.
 */

static unsigned n_commits;

unsigned fw_nft_commits(void)
{
	return n_commits;
}

/* ---- live ---- */

/* The process's libnftables context, its output and errors going to buffers. Making one reads
 * /etc/iproute2's name tables and sets libnftables up again, so one is made on first use and
 * kept until exit; each command sets the output flags it needs. NULL with the error slot set when
 * libnftables cannot be loaded (on first use) or the context not made. */
static struct nft_ctx *ctx_get(void)
{
	static struct nft_ctx *x;
	if (x) {
		/* what an earlier command left unread (a warning) must not pass for this one's */
		nft_ctx_get_output_buffer(x);
		nft_ctx_get_error_buffer(x);
		return x;
	}
	if (dynlib_load(&dl_nftables) < 0)
		return NULL;
	x = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!x) {
		vmm_fail("firewall: nftables: cannot make a libnftables context");
		return NULL;
	}
	nft_ctx_buffer_output(x);
	nft_ctx_buffer_error(x);
	return x;
}

/* The error slot from libnftables' error text: its first line, without "Error: ". */
static int nft_fail(const char *what, struct nft_ctx *x)
{
	const char *e = nft_ctx_get_error_buffer(x);
	char line[256];
	if (!e || !*e)
		e = "failed";
	if (!strncmp(e, "Error: ", 7))
		e += 7;
	snprintf(line, sizeof(line), "%s", e);
	line[strcspn(line, "\n")] = '\0';
	if (strstr(line, "Operation not permitted"))
		return vmm_fail("firewall: nftables: %s: permission denied (needs root or "
				"CAP_NET_ADMIN)", what);
	if (line[0] >= 'A' && line[0] <= 'Z' && !(line[1] >= 'A' && line[1] <= 'Z'))
		line[0] = (char)(line[0] - 'A' + 'a');
	return vmm_fail("firewall: nftables: %s: %s", what, line);
}

/* Run one listing command in x (JSON or text); *out gets the output (malloc'd). */
static int list_cmd(struct nft_ctx *x, bool json, const char *cmd, char **out)
{
	*out = NULL;
	nft_ctx_output_set_flags(x, json ? NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE : 0);
	if (nft_run_cmd_from_buffer(x, cmd) != 0)
		return nft_fail(cmd, x);
	*out = util_strdup(nft_ctx_get_output_buffer(x));
	return 0;
}

/* Append the items of a JSON listing (but its metainfo) to arr. */
static int append_items(json_object *arr, const char *json, const char *key)
{
	json_object *root = json_tokener_parse(json), *a = nftr_jget(root, "nftables");
	if (!a || !json_object_is_type(a, json_type_array)) {
		json_object_put(root);
		return vmm_fail("firewall: nftables: the ruleset listing is not the JSON nft prints");
	}
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		if (nftr_jget(e, key))
			json_object_array_add(arr, json_object_get(e));
	}
	json_object_put(root);
	return 0;
}

/*
 * The ruleset as JSON without printing any table that has flags: nft 1.0.6 (Debian 12) frees a
 * table's only flag before printing it (use after free: garbage, invalid JSON or a crash of vmm
 * itself). The text listing shows the flags right; the tables come from it, the chains from
 * `list chains`, the rules from `list chain` each (none of which prints a table object).
 */
static int read_flagged(struct nft_ctx *x, const char *text, char **json)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	char *chains = NULL, *one = NULL;
	int rc = -1;
	json_object_object_add(root, "nftables", arr);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char fam[16], name[128];
		if (sscanf(l, "table %15s %127[^ {\n]", fam, name) != 2)
			continue;
		json_object *t = json_object_new_object(), *w = json_object_new_object();
		json_object_object_add(t, "family", json_object_new_string(fam));
		json_object_object_add(t, "name", json_object_new_string(name));
		const char *next = strchr(l, '\n');
		if (next && !strncmp(next + 1, "\tflags ", 7)) {
			char fl[128] = "";
			sscanf(next + 8, "%127[^\n]", fl);
			json_object_object_add(t, "flags", json_object_new_string(fl));
		}
		json_object_object_add(w, "table", t);
		json_object_array_add(arr, w);
	}
	if (list_cmd(x, true, "list chains", &chains) < 0 || append_items(arr, chains, "chain") < 0)
		goto out;
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		json_object *ch = nftr_jget(json_object_array_get_idx(arr, i), "chain");
		if (!ch)
			continue;
		const char *fam = nftr_jstr(ch, "family"), *tab = nftr_jstr(ch, "table");
		const char *name = nftr_jstr(ch, "name");
		if (!nftr_plain_name(tab) || !nftr_plain_name(name))
			continue; /* cannot be named in a command; vmm never writes there */
		char *cmd = util_fmt("list chain %s %s %s", fam, tab, name);
		int r = list_cmd(x, true, cmd, &one);
		free(cmd);
		if (r < 0) { /* a name nft's parser refuses (a keyword): its rules stay unknown */
			vmm_error_clear();
			continue;
		}
		if (append_items(arr, one, "rule") < 0)
			goto out;
		free(one);
		one = NULL;
	}
	*json = util_strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	rc = 0;
out:
	free(chains);
	free(one);
	json_object_put(root);
	return rc;
}

int fw_nft_read(const struct fw_config *c, struct fw_nft_state **out)
{
	char *text = NULL, *json = NULL;
	struct nft_ctx *x = ctx_get();
	int rc = -1;
	*out = NULL;
	if (!x)
		return -1;
	if (list_cmd(x, false, "list ruleset", &text) < 0)
		goto out;
	/* a table-level flags line is one tab deep */
	if (strstr(text, "\n\tflags "))
		rc = read_flagged(x, text, &json);
	else
		rc = list_cmd(x, true, "list ruleset", &json);
	if (rc == 0)
		rc = fw_nft_parse(json, c, out);
out:
	free(text);
	free(json);
	return rc;
}

/* Run one batch (one transaction). */
int fw_nft_run(const char *batch)
{
	struct nft_ctx *x = ctx_get();
	int rc = 0;
	if (!x)
		return -1;
	n_commits++;
	nft_ctx_output_set_flags(x, 0);
	if (nft_run_cmd_from_buffer(x, batch) != 0)
		rc = nft_fail("commit", x);
	return rc;
}

/* The chains an opening is about to go into whose names nft's parser will not take (a name that
 * is one of its keywords, e.g. "fwd"): each insert is tried alone in dry-run (parsed and
 * checked, nothing sent); a refused one marks its chain odd_name, so that one strange chain
 * cannot fail the whole transaction. */
static void check_names(const struct fw_config *c, struct fw_nft_state *s)
{
	uint32_t m = nftr_mark(c);
	for (size_t k = 0; k < s->n_chains; k++) {
		struct fw_hook_chain *h = &s->chains[k];
		if (!h->drops || h->early || h->owned || h->odd_name || h->opened)
			continue;
		struct nft_ctx *x = ctx_get();
		if (!x)
			return;
		char *line = util_fmt("insert rule %s %s %s meta mark & 0x%08x == 0x%08x counter accept\n",
				      h->family, h->table, h->open_in, m, m);
		nft_ctx_set_dry_run(x, true);
		h->odd_name = nft_run_cmd_from_buffer(x, line) != 0;
		nft_ctx_set_dry_run(x, false);
		free(line);
	}
}

/* Read, diff, commit; once more when the commit failed (the ruleset may have changed under us,
 * e.g. a handle went away): the second failure is the answer. */
static int converge(const struct fw_config *c, bool remove, char ***notes, size_t *n_notes)
{
	for (int attempt = 0;; attempt++) {
		struct fw_nft_state *s = NULL;
		char *batch = NULL;
		int rc = -1;
		if (notes) {
			for (size_t i = 0; i < *n_notes; i++)
				free((*notes)[i]);
			free(*notes);
			*notes = NULL;
			*n_notes = 0;
		}
		if (fw_nft_read(c, &s) < 0)
			return -1;
		if (remove && !s->have_table && s->n_op == 0) {
			fw_nft_state_free(s);
			return 0;
		}
		if (!remove && c->foreign == FW_FOREIGN_OPEN)
			check_names(c, s);
		if (fw_nft_diff(c, s, remove, &batch, notes, n_notes) == 0)
			rc = !*batch ? 0 : fw_nft_run(batch);
		fw_nft_state_free(s);
		free(batch);
		if (rc == 0 || attempt >= 1)
			return rc;
	}
}

int fw_nft_apply(const struct fw_config *c, char ***notes, size_t *n_notes)
{
	return converge(c, false, notes, n_notes);
}

int fw_nft_remove(const struct fw_config *c)
{
	return converge(c, true, NULL, NULL);
}

int fw_nft_status(const struct fw_config *c, struct fw_status *st)
{
	struct fw_nft_state *s = NULL;
	if (fw_nft_read(c, &s) < 0)
		return -1;
	if (c->foreign == FW_FOREIGN_OPEN)
		check_names(c, s);
	fw_nft_fill_status(c, s, st);
	fw_nft_state_free(s);
	return 0;
}

int fw_nft_plan(const struct fw_config *c, char **text)
{
	struct fw_nft_state *s = NULL;
	*text = NULL;
	if (fw_nft_read(c, &s) < 0) {
		/* not allowed to read (not root): plan against an empty ruleset */
		vmm_error_clear();
		if (fw_nft_parse("", c, &s) < 0)
			return -1;
	}
	int rc = fw_nft_diff(c, s, false, text, NULL, NULL);
	fw_nft_state_free(s);
	return rc;
}

/* ---- the backend's face to firewall.c ---- */

static int nft_status(const struct fw_config *c, struct fw_status *st, bool probes)
{
	(void)probes; /* everything is read in-process */
	return fw_nft_status(c, st);
}

/* Another tool's table (vmm's own aside): nf_tables is in use. */
static int nft_in_use(const struct fw_config *c)
{
	struct fw_nft_state *s = NULL;
	int rc = fw_nft_read(c, &s) == 0 ? fw_nft_foreign_tables(s) : -1;
	fw_nft_state_free(s);
	return rc;
}

const struct fw_ops fw_nft_ops = {
	.id = FW_NFTABLES,
	.apply = fw_nft_apply,
	.remove = fw_nft_remove,
	.status = nft_status,
	.plan = fw_nft_plan,
	.in_use = nft_in_use,
	.commits = fw_nft_commits,
};

// SPDX-License-Identifier: MIT
/* journal.c: the crash-safe record of host network changes (run/net.state): intent before change */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/sys/error.h"
#include "vmm/net/journal.h"
#include "vmm/sys/util.h"

static const char *const words[] = {
	[J_BRIDGE] = "bridge", [J_ADDRESS] = "address", [J_UP] = "up",
	[J_TAP] = "tap", [J_FORWARDING] = "forwarding", [J_FIREWALL] = "firewall",
	[J_SYSCTL6] = "sysctl6", [J_DNSMASQ] = "dnsmasq",
};

const char *journal_word(enum journal_kind kind)
{
	return (size_t)kind < ARRAY_SIZE(words) ? words[kind] : "?";
}

void journal_free(struct journal *j)
{
	free(j->path);
	free(j->v);
	memset(j, 0, sizeof(*j));
}

void journal_add(struct journal *j, enum journal_kind kind, const char *name, const char *arg)
{
	struct journal_rec x;
	memset(&x, 0, sizeof(x));
	x.kind = kind;
	snprintf(x.name, sizeof(x.name), "%s", name ? name : "");
	snprintf(x.arg, sizeof(x.arg), "%s", arg ? arg : "");
	for (size_t i = 0; i < j->n; i++) {
		if (j->v[i].kind != x.kind || strcmp(j->v[i].name, x.name) || strcmp(j->v[i].arg, x.arg))
			continue;
		if (!*j->op || i >= j->open_at)
			return;
		/* made again by the open operation: it is that operation's to undo on failure */
		journal_drop(j, i);
		break;
	}
	struct journal_rec *grown = realloc(j->v, (j->n + 1) * sizeof(*grown));
	if (!grown)
		abort(); /* like util_fmt: out of memory is not recoverable here */
	j->v = grown;
	j->v[j->n++] = x;
}

void journal_drop(struct journal *j, size_t i)
{
	if (i >= j->n)
		return;
	memmove(&j->v[i], &j->v[i + 1], (j->n - i - 1) * sizeof(*j->v));
	j->n--;
	if (i < j->open_at)
		j->open_at--;
}

/* One line "WORD [NAME [ARG...]]" into the journal; begin lines open an operation. */
static int parse_line(struct journal *j, char *l, int line)
{
	char w[16] = "", name[IF_NAMESIZE] = "", arg[64] = "";
	int off = 0;
	if (sscanf(l, "%15s %15s %n", w, name, &off) < 1)
		return vmm_fail("%s:%d: not understood", j->path, line);
	if (off > 0)
		snprintf(arg, sizeof(arg), "%s", l + off);
	if (!strcmp(w, "begin")) {
		snprintf(j->op, sizeof(j->op), "%s", name);
		j->pid = atol(arg);
		j->open_at = j->n;
		return 0;
	}
	for (size_t k = 0; k < ARRAY_SIZE(words); k++)
		if (!strcmp(w, words[k])) {
			journal_add(j, (enum journal_kind)k, name, arg);
			return 0;
		}
	return vmm_fail("%s:%d: not understood", j->path, line);
}

int journal_load(const struct vmm_home *h, struct journal *j)
{
	char *text = NULL;
	int line = 0;

	memset(j, 0, sizeof(*j));
	j->path = util_fmt("%s/%s", h->run, JOURNAL_FILE);
	if (!util_exists(j->path))
		return 0;
	if (!(text = util_read_file(j->path, NULL)))
		return -1;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		line++;
		if (*l == '#' || !*l)
			continue;
		if (parse_line(j, l, line) < 0) {
			free(text);
			char *path = j->path;
			j->path = NULL;
			journal_free(j);
			j->path = path;
			return -1;
		}
	}
	if (!*j->op)
		j->open_at = j->n;
	free(text);
	return 0;
}

int journal_sync(struct journal *j)
{
	journal_test_point();
	if (j->n == 0 && !*j->op) {
		int rc = (unlink(j->path) < 0 && errno != ENOENT)
				 ? vmm_fail("%s: %s", j->path, strerror(errno)) : 0;
		journal_test_point();
		return rc;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	fputs("# what vmm changed on the host's network; `vmm net down` undoes it\n", f);
	for (size_t i = 0; i <= j->n; i++) {
		if (i == j->open_at && *j->op)
			fprintf(f, "begin %s %ld\n", j->op, j->pid);
		if (i == j->n)
			break;
		const struct journal_rec *r = &j->v[i];
		fprintf(f, "%s%s%s%s%s\n", words[r->kind], *r->name ? " " : "", r->name,
			*r->arg ? " " : "", r->arg);
	}
	if (fclose(f) != 0)
		abort();
	/* write + rename, no fsync: the records describe the kernel's network state, which a
	 * power loss takes away as well (and run/ is a tmpfs on most hosts) */
	int rc = util_write_file_volatile(j->path, buf, len, 0600);
	free(buf);
	journal_test_point();
	return rc;
}

void journal_begin(struct journal *j, const char *op)
{
	if (*j->op)
		return;
	snprintf(j->op, sizeof(j->op), "%s", op);
	j->pid = (long)getpid();
	j->open_at = j->n;
}

int journal_intend(struct journal *j, enum journal_kind kind, const char *name, const char *arg)
{
	journal_add(j, kind, name, arg);
	return journal_sync(j);
}

int journal_end(struct journal *j)
{
	j->op[0] = '\0';
	j->pid = 0;
	j->open_at = j->n;
	return journal_sync(j);
}

#ifdef VMM_TEST_HOOKS
void journal_test_point(void)
{
	static long count;
	const char *v = getenv("VMM_TEST_KILL_AT");
	if (v && ++count == atol(v))
		raise(SIGKILL);
}

int journal_test_fail(const char *step)
{
	/* each step of net up is a crash point too: its records were all written before the
	 * first change, so the kills between two changes must be tried here */
	journal_test_point();
	const char *v = getenv("VMM_TEST_NET_FAIL_AFTER");
	if (v && !strcmp(v, step))
		return vmm_fail("net up: injected failure after the %s step", step);
	return 0;
}
#endif

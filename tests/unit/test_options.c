// SPDX-License-Identifier: MIT
/* test_options.c: the option-table parser (every kind of entry, one wording for bad options) and
 * the help lines generated from a table */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

struct targs {
	bool flag;
	int count, color;
	const char *str, *file;
	unsigned long n, wait;
	struct cmd_kvs kvs;
};

#define T struct targs
static const struct cmd_option topts[] = {
	OPT_FLAG('f', "force", T, flag, "a flag"),
	OPT_COUNT('v', "verbose", T, count, "more, repeatable"),
	OPT_STRING(0, "name", T, str, "STR", "a string"),
	OPT_FILE(0, "file", T, file, "FILE", "a file"),
	OPT_UINT('n', "number", T, n, 1, 10, "N", "a number"),
	OPT_UINT_OPTIONAL(0, "wait", T, wait, 1, 100, 42, "S", "wait"),
	OPT_CHOICE(0, "color", T, color, "auto|always|never", "WHEN", "colour"),
	OPT_SET(0, "ascii", T, color, 2, "the same as --color=never"),
	OPT_KEY(0, "ram", T, kvs, "memory", "MIB", "memory"),
	OPT_KEY(0, "memory", T, kvs, "memory", "MIB", NULL),
	OPT_KEY(0, "cpus", T, kvs, "cpus", "N", "cpus"),
	OPT_STRING(0, "a-rather-long-option", T, str, "VALUE", "too long for the column"),
	OPT_END,
};
#undef T

static const struct cmd_spec tspec = { .name = "t", .args = "NAME", .summary = "a test",
				       .options = topts };

static char err[1024];

/* cmd_parse with stderr captured in err. */
static int parse(int argc, char **argv, struct targs *a)
{
	fflush(stderr);
	int saved = dup(2);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	dup2(fileno(tmp), 2);
	memset(a, 0, sizeof(*a));
	int rc = cmd_parse(&tspec, argc, argv, a);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	size_t n = fread(err, 1, sizeof(err) - 1, tmp);
	err[n] = '\0';
	fclose(tmp);
	return rc;
}

/* parse of a NULL-terminated list (a compound literal, which getopt may permute) */
static int parse_list(struct targs *a, char **av)
{
	int argc = 0;
	while (av[argc])
		argc++;
	return parse(argc, av, a);
}
#define PARSE(a, ...) parse_list(a, (char *[]){ "t", __VA_ARGS__, NULL })

static void test_every_kind(void **state)
{
	(void)state;
	struct targs a;
	char *av[] = { "t", "first", "-f", "--name=x", "--file", "f.iso", "-n", "3", "--wait",
		       "--color", "always", "--ram", "2G", "--memory", "1G", "--cpus", "2", "-v",
		       "-v", "second", NULL };
	assert_int_equal(parse((int)ARRAY_SIZE(av) - 1, av, &a), 0);
	assert_string_equal(err, "");
	assert_true(a.flag);
	assert_int_equal(a.count, 2);
	assert_string_equal(a.str, "x");
	assert_string_equal(a.file, "f.iso");
	assert_int_equal(a.n, 3);
	assert_int_equal(a.wait, 42); /* a bare --wait: the default */
	assert_int_equal(a.color, 1);
	/* the profile keys in command-line order, the alias under its key */
	assert_int_equal(a.kvs.n, 3);
	assert_string_equal(a.kvs.kv[0].key, "memory");
	assert_string_equal(a.kvs.kv[0].value, "2G");
	assert_string_equal(a.kvs.kv[1].key, "memory");
	assert_string_equal(a.kvs.kv[1].value, "1G");
	assert_string_equal(a.kvs.kv[2].key, "cpus");
	/* the positional arguments are left, in order, from optind */
	assert_int_equal(ARRAY_SIZE(av) - 1 - (size_t)optind, 2);
	assert_string_equal(av[optind], "first");
	assert_string_equal(av[optind + 1], "second");
}

static void test_values(void **state)
{
	(void)state;
	struct targs a;
	assert_int_equal(PARSE(&a, "--wait=7"), 0);
	assert_int_equal(a.wait, 7);
	assert_int_equal(PARSE(&a, "NAME"), 0);
	assert_int_equal(a.wait, 0);
	/* the last of --color and --ascii wins */
	assert_int_equal(PARSE(&a, "--color=always", "--ascii"), 0);
	assert_int_equal(a.color, 2);
	assert_int_equal(PARSE(&a, "--ascii", "--color=auto"), 0);
	assert_int_equal(a.color, 0);
	/* -q after -v style: COUNT from a negative value starts at 1 */
	a.count = -1;
	assert_int_equal(cmd_option_apply(&topts[1], NULL, &a), 0);
	assert_int_equal(a.count, 1);
	/* "--" ends the options */
	assert_int_equal(PARSE(&a, "--", "--force"), 0);
	assert_false(a.flag);
	/* an empty string is a value; an empty file name is not */
	assert_int_equal(PARSE(&a, "--name="), 0);
	assert_string_equal(a.str, "");
}

static void test_errors(void **state)
{
	(void)state;
	struct targs a;
	static const struct {
		int rc;
		const char *argv[3];
		const char *err;
	} cases[] = {
		{ 2, { "--bogus" }, "vmm: t: unknown option \"--bogus\" (see \"vmm help t\")\n" },
		{ 2, { "--bogus=1" }, "vmm: t: unknown option \"--bogus\" (see \"vmm help t\")\n" },
		{ 2, { "-x" }, "vmm: t: unknown option \"-x\" (see \"vmm help t\")\n" },
		{ 2, { "-fx" }, "vmm: t: unknown option \"-x\" (see \"vmm help t\")\n" },
		{ 2, { "NAME", "--name" }, "vmm: t: --name needs a value (see \"vmm help t\")\n" },
		{ 2, { "-n" }, "vmm: t: -n needs a value (see \"vmm help t\")\n" },
		{ 2, { "--force=1" }, "vmm: t: --force takes no value (see \"vmm help t\")\n" },
		{ 2, { "-n", "11" }, "vmm: --number 11: out of range (1 to 10)\n" },
		{ 2, { "--number=x" }, "vmm: --number x: not a number\n" },
		{ 2, { "--wait=0" }, "vmm: --wait 0: out of range (1 to 100)\n" },
		{ 2, { "--color", "sometimes" }, "vmm: --color sometimes: want one of auto|always|never\n" },
		{ 2, { "--file=" }, "vmm: --file: empty file name\n" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *av[4] = { "t", (char *)cases[i].argv[0], (char *)cases[i].argv[1], NULL };
		int argc = cases[i].argv[1] ? 3 : 2;
		int rc = parse(argc, av, &a);
		if (rc != cases[i].rc || strcmp(err, cases[i].err))
			fail_msg("case %zu (%s): exit %d, message [%s], wanted %d [%s]", i,
				 cases[i].argv[0], rc, err, cases[i].rc, cases[i].err);
	}
}

static void test_find(void **state)
{
	(void)state;
	assert_ptr_equal(cmd_option_find(topts, "force", 5, 0), &topts[0]);
	assert_ptr_equal(cmd_option_find(topts, "force=1", 5, 0), &topts[0]);
	assert_null(cmd_option_find(topts, "forc", 4, 0));
	assert_ptr_equal(cmd_option_find(topts, NULL, 0, 'v'), &topts[1]);
	assert_null(cmd_option_find(topts, NULL, 0, 'q'));
	assert_null(cmd_option_find(NULL, "force", 5, 0));
}

static void test_help_lines(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cmd_help_print(f, &tspec);
	fclose(f);
	assert_non_null(strstr(text, "usage: vmm t NAME [options]\n\na test.\n\noptions:\n"));
	assert_non_null(strstr(text, "\n  -f, --force      a flag\n"));
	assert_non_null(strstr(text, "\n  -n, --number N   a number\n"));
	assert_non_null(strstr(text, "\n  --wait[=S]       wait\n"));
	assert_non_null(strstr(text, "\n  --ram MIB        memory (also --memory)\n"));
	assert_non_null(strstr(text, "\n  --cpus N         cpus\n"));
	assert_non_null(strstr(text, "\n  --a-rather-long-option VALUE  too long for the column\n"));
	assert_null(strstr(text, "  --memory")); /* an alias has no line of its own */
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_help_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/* test_keys.c: the key tables: every settable key round-trips set -> format -> parse, every
 * net.cfg key parse -> format -> parse, and `vmm help set`, create's options and the man page
 * list exactly the table's keys */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/cmd/cmd.h"
#include "vmm/config/profile.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

static const char base[] =
	"memory = 2048;\ncpus = 1;\n"
	"disk = { path = \"ubuntu.qcow2\"; size = \"40G\"; };\n"
	"iso = \"/srv/iso/ubuntu.iso\";\n"
	"net = { mac = \"52:54:00:12:34:10\"; address = \"192.168.166.100/24\"; };\n"
	"vnc = { display = 19; listen = \"127.0.0.1\"; };\n";

/* A value for each settable key, different from base's; "FILE" stands for a readable file
 * holding an OpenSSH public key. A settable key missing here fails the test: add one. */
static const struct {
	const char *key, *value;
} samples[] = {
	{ "memory", "4G" },
	{ "cpus", "2" },
	{ "iso", "FILE" },
	{ "mac", "52:54:00:ab:cd:ef" },
	{ "address", "192.168.166.150/24" },
	{ "tap", "vmm-other" },
	{ "vnc", ":7" },
	{ "vnc.listen", "0.0.0.0" },
	{ "vnc.password_file", "FILE" },
	{ "autostart", "on" },
	{ "stop_timeout", "60" },
	{ "kernel", "FILE" },
	{ "initrd", "FILE" },
	{ "append", "console=ttyS0 \"quoted\" back\\slash" },
	{ "hostname", "web" },
	{ "backend", "libvirt" },
	{ "network", "user" },
	{ "uri", "qemu+ssh://host/system" },
	{ "user", "debian" },
	{ "ssh_identity", "/root/.ssh/id_ed25519" },
	{ "ssh_key", "FILE" },
	{ "dns", "9.9.9.9, 1.1.1.1" },
	{ "runcmd", "echo hi" },
	{ "forward", "8080:80,udp:5353:53" },
	{ "share", "/tmp:tmp:ro:9p" },
	{ "firmware", "uefi-secure" },
	{ "tpm", "on" },
};

static char key_file[] = "/tmp/vmm-test-keys-XXXXXX";

static int setup(void **state)
{
	int fd = mkstemp(key_file);
	static const char line[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBn0tAr3alKey test@vmm\n";
	if (fd < 0 || write(fd, line, sizeof(line) - 1) != (ssize_t)(sizeof(line) - 1))
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	unlink(key_file);
	return 0;
}

static const char *sample(const char *key)
{
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		if (!strcmp(samples[i].key, key))
			return strcmp(samples[i].value, "FILE") ? samples[i].value : key_file;
	fail_msg("key %s: no sample value in test_keys.c", key);
	return NULL;
}

static void parse_ok(const char *text, struct vmm_profile *p)
{
	if (profile_parse(text, "t.cfg", "ubuntu", p) != 0)
		fail_msg("parse failed: %s\n%s", vmm_errmsg(), text);
}

/* Is key k written in text: "NAME = " on its own line, or inside its group's line? */
static bool written(const char *text, const struct profile_key *k)
{
	char head[64], item[64];
	snprintf(head, sizeof(head), "\n%s = ", k->group ? k->group : k->name);
	const char *line = strstr(text, head);
	if (!line || !k->group)
		return line != NULL;
	size_t len = strcspn(line + 1, "\n");
	snprintf(item, sizeof(item), " %s = ", k->name);
	char *copy = strndup(line + 1, len);
	bool found = strstr(copy, item) != NULL;
	free(copy);
	return found;
}

/* Do p and q hold the same value for key k (read back from what was written for p)? */
static bool same_value(const struct profile_key *k, const struct vmm_profile *p,
		       const struct vmm_profile *q)
{
	const char *a = (const char *)p + k->field.off, *b = (const char *)q + k->field.off;
	switch (k->field.type) {
	case CFG_UINT:
	case CFG_INT:
		return *(const unsigned *)a == *(const unsigned *)b;
	case CFG_BOOL:
		return *(const bool *)a == *(const bool *)b;
	case CFG_STRING:
		return !*(char *const *)a == !*(char *const *)b &&
		       (!*(char *const *)a || !strcmp(*(char *const *)a, *(char *const *)b));
	case CFG_CHARS:
		return !strcmp(a, b);
	case CFG_LIST: {
		size_t n = *(const size_t *)((const char *)p + k->field.count_off);
		if (n != *(const size_t *)((const char *)q + k->field.count_off))
			return false;
		for (size_t i = 0; i < n; i++)
			if (strcmp((*(char **const *)a)[i], (*(char **const *)b)[i]))
				return false;
		return true;
	}
	case CFG_CUSTOM: /* forward, vnc = "none" */
		return p->n_forwards == q->n_forwards && p->vnc_display == q->vnc_display &&
		       (!p->n_forwards ||
			!memcmp(p->forwards, q->forwards, p->n_forwards * sizeof(*p->forwards)));
	}
	return false;
}

/* What vmm writes after k=value, checked to read back to the same value and text; malloc'd. */
static char *set_and_round_trip(const struct profile_key *k, const char *key, const char *value)
{
	struct vmm_profile p, q;
	parse_ok(base, &p);
	char *before = profile_format(&p);
	if (profile_set_key(&p, key, value) != 0)
		fail_msg("set %s=%s: %s", key, value, vmm_errmsg());
	char *text = profile_format(&p);
	if (!strcmp(before, text))
		fail_msg("set %s=%s: the written profile did not change", key, value);
	parse_ok(text, &q);
	if (!same_value(k, &p, &q))
		fail_msg("set %s=%s: written and read back, the value differs:\n%s", key, value,
			 text);
	char *again = profile_format(&q);
	assert_string_equal(again, text);
	free(again);
	free(before);
	profile_free(&p);
	profile_free(&q);
	return text;
}

/* Every key `vmm set` may change: set, written, read back the same, under every spelling; an
 * empty value clears the keys that allow it. */
static void test_settable_round_trip(void **state)
{
	size_t n = 0;
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		if (!profile_key_settable(k))
			continue;
		n++;
		char *text = set_and_round_trip(k, k->set, sample(k->set));
		if (!written(text, k))
			fail_msg("set %s: key %s%s%s not in\n%s", k->set, k->group ? k->group : "",
				 k->group ? "." : "", k->name, text);
		if (k->field.type == CFG_STRING || k->field.type == CFG_CHARS) {
			/* the value itself, in the key's own place: NAME = "VALUE" */
			struct cfg_buf b = { 0 };
			cfg_add(&b, "%s = ", k->name);
			cfg_quoted(&b, sample(k->set));
			if (!strstr(text, b.s))
				fail_msg("set %s: %s not in\n%s", k->set, b.s, text);
			free(b.s);
		}
		if (k->set_alias) {
			char *alias = set_and_round_trip(k, k->set_alias, sample(k->set));
			assert_string_equal(alias, text);
			free(alias);
		}
		if (k->flags & PROFILE_KEY_CLEAR) {
			struct vmm_profile p, q;
			parse_ok(text, &p);
			if (profile_set_key(&p, k->set, "") != 0)
				fail_msg("set %s=: %s", k->set, vmm_errmsg());
			char *cleared = profile_format(&p);
			if (written(cleared, k))
				fail_msg("set %s=: still written\n%s", k->set, cleared);
			parse_ok(cleared, &q);
			profile_free(&q);
			profile_free(&p);
			free(cleared);
		}
		free(text);
	}
	assert_int_equal(n, sizeof(samples) / sizeof(samples[0]));
}

/* Keys fixed at create are known to set, and refused; unknown keys are refused. */
static void test_fixed_and_unknown(void **state)
{
	struct vmm_profile p;
	parse_ok(base, &p);
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		if (!k->set || profile_key_settable(k))
			continue;
		char want[160];
		snprintf(want, sizeof(want), "%s: cannot be changed after create (use qemu-img "
			 "resize or a new guest)", k->set);
		assert_int_equal(profile_set_key(&p, k->set, "x"), -1);
		assert_string_equal(vmm_errmsg(), want);
	}
	assert_int_equal(profile_set_key(&p, "colour", "blue"), -1);
	assert_string_equal(vmm_errmsg(), "key \"colour\": unknown (see vmm help set)");
	profile_free(&p);
}

/* The words of `vmm help set`'s "keys:" section: "  NAME=VALUE  help (also ALIAS)". */
static size_t help_keys(char **words, size_t max)
{
	char *out = NULL;
	size_t len = 0, n = 0;
	FILE *f = open_memstream(&out, &len);
	cmd_help_print(f, &cmd_set_spec);
	fclose(f);
	char *sec = strstr(out, "\nkeys:\n");
	assert_non_null(sec);
	for (char *l = sec + 7; *l == ' ' && n < max; l = strchr(l, '\n') + 1) {
		size_t w = strcspn(l + 2, "=");
		words[n++] = strndup(l + 2, w);
		char *also = strstr(l, "(also ");
		char *eol = strchr(l, '\n');
		for (char *a = also ? also + 6 : NULL; a && a < eol && n < max;) {
			size_t al = strcspn(a, ",)");
			words[n++] = strndup(a, al);
			a = a[al] == ',' ? a + al + 2 : NULL;
		}
	}
	free(out);
	return n;
}

static bool listed(char **words, size_t n, const char *w)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(words[i], w))
			return true;
	return false;
}

/* `vmm help set` lists exactly the settable keys and their other spellings, each once. */
static void test_help_set(void **state)
{
	char *words[128];
	size_t n = help_keys(words, 128), want = 0;
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		if (!profile_key_settable(k))
			continue;
		if (!listed(words, n, k->set))
			fail_msg("vmm help set: key %s missing", k->set);
		if (k->set_alias && !listed(words, n, k->set_alias))
			fail_msg("vmm help set: %s's other name %s missing", k->set, k->set_alias);
		want += 1 + (k->set_alias != NULL);
	}
	for (size_t i = 0; i < n; i++) {
		const struct profile_key *k = profile_key_find(words[i]);
		if (!k || !profile_key_settable(k))
			fail_msg("vmm help set: %s is not a settable key", words[i]);
	}
	assert_int_equal(n, want); /* nothing twice */
	for (size_t i = 0; i < n; i++)
		free(words[i]);
}

/* create's --NAME options store the key `vmm set` knows; the man page has every key. */
static void test_create_and_man(void **state)
{
	const struct cmd_option *opts = cmd_spec_options(&cmd_create_spec);
	char *man = NULL;
	size_t len = 0;
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		const char *names[] = { k->create, k->create_alias };
		for (size_t j = 0; j < 2; j++) {
			if (!names[j])
				continue;
			const char *name = names[j];
			const struct cmd_option *o = cmd_option_find(opts, name, strlen(name), 0);
			if (!o || o->kind != CMD_OPT_KEY || strcmp(o->key, k->set))
				fail_msg("vmm create --%s: not key %s's option", name, k->set);
		}
	}
	struct cmd_entry entries[] = { { &cmd_set_spec, cmd_set, 0 } };
	struct cmd_table t = { entries, 1, NULL };
	FILE *f = open_memstream(&man, &len);
	cmd_help_man(f, &t);
	fclose(f);
	for (size_t i = 0; i < profile_n_keys; i++) {
		char want[96];
		if (!profile_key_settable(&profile_keys[i]))
			continue;
		snprintf(want, sizeof(want), "\n.B %s=", profile_keys[i].set);
		if (!strstr(man, want))
			fail_msg("man page: no entry %s", want + 1);
	}
	for (size_t i = 0; i < netcfg_n_keys; i++) {
		char want[96];
		snprintf(want, sizeof(want), "\n.B %s = ", netcfg_keys[i].name);
		if (!strstr(man, want))
			fail_msg("man page: no net.cfg entry %s", want + 1);
	}
	free(man);
}

/* A value for each net.cfg key other than its default, as written in the file. */
static const struct {
	const char *key, *text;
} net_samples[] = {
	{ "bridge", "\"vmbr1\"" },
	{ "address", "\"10.10.0.1/16\"" },
	{ "uplink", "\"eth1\"" },
	{ "nat", "false" },
	{ "dns", "[ \"1.1.1.1\", \"auto\" ]" },
	{ "firewall", "\"nftables\"" },
	{ "foreign", "\"leave\"" },
	{ "firewall_mark", "0x100000" },
	{ "image_mirror", "\"http://mirror.example/\"" },
	{ "dhcp", "false" },
	{ "dhcp_pool", "\"192.168.166.200-192.168.166.250\"" },
	{ "domain", "\"lab.example\"" },
	{ "ipv6", "\"fd00:1:2:3::/64\"" },
	{ "nat6", "false" },
};

/* Every net.cfg key: its default is what netcfg_defaults gives, and another value is read,
 * written as given and read back the same. */
static void test_netcfg_keys(void **state)
{
	struct vmm_netcfg dflt, n, m;
	netcfg_defaults(&dflt);
	char *dtext = netcfg_format(&dflt);
	assert_int_equal(netcfg_n_keys, sizeof(net_samples) / sizeof(net_samples[0]));
	for (size_t i = 0; i < netcfg_n_keys; i++) {
		const struct netcfg_key *k = &netcfg_keys[i];
		char *d = netcfg_key_default(k);
		char *in = d ? util_fmt("%s = %s;\n", k->name, d) : util_strdup("");
		if (netcfg_parse(in, "net.cfg", &n) != 0)
			fail_msg("%s: %s", in, vmm_errmsg());
		char *t = netcfg_format(&n);
		assert_string_equal(t, dtext); /* the default, written or not, is the default */
		free(t);
		netcfg_free(&n);
		free(in);
		free(d);
		assert_string_equal(net_samples[i].key, k->name);
		char *line = util_fmt("%s = %s;\n", k->name, net_samples[i].text);
		if (netcfg_parse(line, "net.cfg", &n) != 0)
			fail_msg("%s: %s", line, vmm_errmsg());
		t = netcfg_format(&n);
		if (!strstr(t, line))
			fail_msg("%s not written as given:\n%s", k->name, t);
		assert_int_equal(netcfg_parse(t, "again", &m), 0);
		char *again = netcfg_format(&m);
		assert_string_equal(again, t);
		free(again);
		free(t);
		free(line);
		netcfg_free(&n);
		netcfg_free(&m);
	}
	free(dtext);
	netcfg_free(&dflt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settable_round_trip),
		cmocka_unit_test(test_fixed_and_unknown),
		cmocka_unit_test(test_help_set),
		cmocka_unit_test(test_create_and_man),
		cmocka_unit_test(test_netcfg_keys),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

// SPDX-License-Identifier: MIT
/* test_access.c: paths opened without links others control, removal that follows nothing,
 * ACL grants through descriptors (recorded, taken back, the mask never widened for others), and
 * the qcow2 header reader behind the backing-chain check */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/acl.h>
#include <acl/libacl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/storage/chain.h"
#include "vmm/sys/access.h"
#include "vmm/sys/error.h"
#include "vmm/sys/safepath.h"
#include "vmm/sys/util.h"

#define OTHER_UID 65534 /* nobody: QEMU's user in these tests */
#define THIRD_UID 1     /* daemon: someone else with a named ACL entry */

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/vmm-unit-access.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	util_rm_rf(dir);
	return 0;
}

static char *at(const char *rel)
{
	return util_fmt("%s/%s", dir, rel);
}

static void touch(const char *rel, mode_t mode)
{
	char *p = at(rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "data", 4), 4);
	close(fd);
	chmod(p, mode);
	free(p);
}

static void mkdir_at(const char *rel, mode_t mode)
{
	char *p = at(rel);
	assert_int_equal(mkdir(p, mode), 0);
	chmod(p, mode);
	free(p);
}

static void link_at(const char *target, const char *rel)
{
	char *p = at(rel);
	assert_int_equal(symlink(target, p), 0);
	free(p);
}

/* A link in a folder only the caller may write is followed; one in a folder others may write is
 * refused, with the link named; so is a link owned by someone else. */
static void test_links(void **state)
{
	touch("f", 0600);
	link_at("f", "ok");
	mkdir_at("open", 0777);
	link_at("../f", "open/evil");
	char *ok = at("ok"), *evil = at("open/evil"), *via = at("open/../ok");
	int fd = safepath_open("iso", ok, O_RDONLY, NULL);
	assert_true(fd >= 0);
	close(fd);
	fd = safepath_open("iso", via, O_RDONLY, NULL);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(safepath_open("iso", evil, O_RDONLY, NULL), -1);
	assert_int_equal(vmm_errcode(), VMM_EINVAL);
	char *want = util_fmt("iso %s: %s is a symlink another user can change (name the file it "
			      "points to)",
			      evil, evil);
	assert_string_equal(vmm_errmsg(), want);
	free(want);
	if (geteuid() == 0) {
		/* in the caller's own folder, but the link is another user's */
		char *l = at("theirs");
		assert_int_equal(symlink("f", l), 0);
		assert_int_equal(lchown(l, OTHER_UID, OTHER_UID), 0);
		assert_int_equal(safepath_open("kernel", l, O_RDONLY, NULL), -1);
		free(l);
	}
	/* a folder is no file, a fifo neither (and opening it does not block) */
	assert_int_equal(safepath_open("disk", dir, O_RDONLY, NULL), -1);
	char *fifo = at("fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(safepath_open("disk", fifo, O_RDONLY, NULL), -1);
	want = util_fmt("disk %s: not a regular file", fifo);
	assert_string_equal(vmm_errmsg(), want);
	free(want);
	free(fifo);
	free(ok);
	free(evil);
	free(via);
}

/* A tree goes; a link inside it goes, never what it points to. */
static void test_remove(void **state)
{
	mkdir_at("victim", 0700);
	touch("victim/keep", 0600);
	mkdir_at("tree", 0700);
	mkdir_at("tree/sub", 0700);
	touch("tree/sub/x", 0600);
	char *victim = at("victim");
	link_at(victim, "tree/sub/link");
	link_at(victim, "tree/link2");
	int d = open(dir, O_PATH | O_DIRECTORY);
	assert_int_equal(util_remove_at(d, "tree"), 0);
	assert_int_equal(util_remove_at(d, "tree"), 0); /* gone is fine */
	close(d);
	char *keep = at("victim/keep"), *tree = at("tree");
	assert_true(util_exists(keep));
	assert_false(util_exists(tree));
	free(keep);
	free(tree);
	free(victim);
}

static acl_t acl_of(const char *rel)
{
	char *p = at(rel);
	acl_t a = acl_get_file(p, ACL_TYPE_ACCESS);
	free(p);
	assert_non_null(a);
	return a;
}

static char *acl_text(const char *rel)
{
	acl_t a = acl_of(rel);
	char *t = acl_to_any_text(a, NULL, ',', TEXT_ABBREVIATE | TEXT_NUMERIC_IDS);
	char *r = util_strdup(t);
	acl_free(t);
	acl_free(a);
	return r;
}

/* The ACL of rel, as text, equals want (has: contains it; lacks: does not contain it). */
static void acl_is(const char *rel, const char *want, int how)
{
	char *t = acl_text(rel);
	if (how == 0 && strcmp(t, want))
		fail_msg("%s: ACL %s, wanted %s", rel, t, want);
	if (how == 1 && !strstr(t, want))
		fail_msg("%s: ACL %s without %s", rel, t, want);
	if (how == -1 && strstr(t, want))
		fail_msg("%s: ACL %s with %s", rel, t, want);
	free(t);
}

static void set_acl(const char *rel, const char *text)
{
	char *p = at(rel);
	acl_t a = acl_from_text(text);
	assert_non_null(a);
	assert_int_equal(acl_set_file(p, ACL_TYPE_ACCESS, a), 0);
	acl_free(a);
	free(p);
}

static void other_user(struct access_user *u)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "+%d", OTHER_UID);
	u->uid = OTHER_UID;
	u->gid = OTHER_UID;
}

/*
 * Grants go through the opened folders and file, are recorded, and come back out: the ACLs are
 * as they were. A third user's entry, narrowed by the mask, keeps exactly its effective rights
 * while the grant widens the mask.
 */
static void test_grant_revoke(void **state)
{
	if (geteuid() != 0)
		skip();
	mkdir_at("home", 0700);
	mkdir_at("home/images", 0700);
	touch("home/images/disk.qcow2", 0600);
	set_acl("home/images/disk.qcow2", "u::rw,u:1:rw,g::r,m::r,o::-");
	char *before_dir = acl_text("home");
	struct access_user u;
	other_user(&u);
	char *disk = at("home/images/disk.qcow2"), *record = at("g.grants"), *note = NULL;
	struct access_need need = { "disk", disk, true, false };
	assert_int_equal(access_ensure(&u, &need, 1, record, &note), 0);
	assert_non_null(note);
	assert_non_null(strstr(note, "gave user +65534 (POSIX ACL) search on "));
	free(note);
	/* the grant, and the third user's effective rights unchanged (rw- masked to r--) */
	acl_is("home/images/disk.qcow2", "u::rw-,u:1:r--,u:65534:rw-,g::r--,m::rw-,o::---", 0);
	acl_is("home/images", "u::rwx,u:65534:--x,g::---,m::--x,o::---", 0);
	char *rec = util_read_file(record, NULL);
	assert_non_null(rec);
	int lines = 0;
	for (char *c = rec; *c; c++)
		lines += *c == '\n';
	assert_true(lines >= 3); /* the tmp folder's parents may already be open to all */
	free(rec);
	/* nothing left once taken back: the record goes too */
	assert_int_equal(access_revoke(record), 0);
	assert_false(util_exists(record));
	acl_is("home", before_dir, 0);
	acl_is("home/images/disk.qcow2", "65534", -1);
	acl_is("home/images/disk.qcow2", "u:1:r--", 1); /* still what it could do before */
	free(before_dir);
	free(disk);
	free(record);
}

/* A grant another record also holds (another guest's) stays until both are taken back. */
static void test_shared_grant(void **state)
{
	if (geteuid() != 0)
		skip();
	mkdir_at("shared", 0700);
	touch("shared/base.img", 0600);
	struct access_user u;
	other_user(&u);
	char *img = at("shared/base.img"), *ra = at("a.grants"), *rb = at("b.grants"), *note = NULL;
	struct access_need need = { "backing file", img, false, false };
	assert_int_equal(access_ensure(&u, &need, 1, ra, &note), 0);
	free(note);
	/* b finds it reachable already: nothing granted, nothing recorded of its own */
	assert_int_equal(access_ensure(&u, &need, 1, rb, &note), 0);
	assert_null(note);
	/* b's record names nothing: copy a's so that both hold it */
	char *text = util_read_file(ra, NULL);
	assert_int_equal(util_write_file(rb, text, strlen(text), 0600), 0);
	free(text);
	assert_int_equal(access_revoke(ra), 0);
	acl_is("shared/base.img", "u:65534:r--", 1);
	assert_int_equal(access_revoke(rb), 0);
	acl_is("shared/base.img", "65534", -1);
	free(img);
	free(ra);
	free(rb);
}

/* A path through a link another user can change gets no grant at all, on either end. */
static void test_grant_refuses_link(void **state)
{
	if (geteuid() != 0)
		skip();
	mkdir_at("secret", 0700);
	touch("secret/key", 0600);
	mkdir_at("user", 0755);
	char *user = at("user"), *key = at("secret/key"), *iso = at("user/x.iso");
	assert_int_equal(chown(user, OTHER_UID, OTHER_UID), 0);
	assert_int_equal(symlink(key, iso), 0);
	assert_int_equal(lchown(iso, OTHER_UID, OTHER_UID), 0);
	struct access_user u;
	other_user(&u);
	char *record = at("r.grants"), *note = NULL;
	struct access_need need = { "iso", iso, false, false };
	assert_int_equal(access_ensure(&u, &need, 1, record, &note), -1);
	assert_non_null(strstr(vmm_errmsg(), "is a symlink another user can change"));
	assert_null(note);
	acl_is("secret/key", "65534", -1);
	acl_is("secret", "65534", -1);
	assert_false(util_exists(record));
	free(user);
	free(key);
	free(iso);
	free(record);
}

/* ---- qcow2 headers ---- */

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* A version 3 header (112 bytes), a backing format extension, the backing name at 512. */
static size_t header(unsigned char *b, const char *backing, const char *fmt, uint64_t incompat)
{
	memset(b, 0, 1024);
	put32(b, 0x514649fb);
	put32(b + 4, 3);
	put64(b + 8, backing ? 512 : 0);
	put32(b + 16, backing ? (uint32_t)strlen(backing) : 0);
	put64(b + 72, incompat);
	put32(b + 100, 112);
	size_t off = 112;
	if (fmt) {
		put32(b + off, 0xe2792aca);
		put32(b + off + 4, (uint32_t)strlen(fmt));
		memcpy(b + off + 8, fmt, strlen(fmt));
		off += 8 + ((strlen(fmt) + 7) & ~(size_t)7);
	}
	put32(b + off, 0); /* end */
	if (backing)
		memcpy(b + 512, backing, strlen(backing));
	return 1024;
}

static void test_qcow2_header(void **state)
{
	unsigned char b[1024];
	struct chain_header h;
	size_t n = header(b, "../other-seed.iso", "raw", 0);
	assert_int_equal(chain_qcow2_parse(b, n, &h), 0);
	assert_true(h.qcow2);
	assert_string_equal(h.backing, "../other-seed.iso");
	assert_string_equal(h.backing_fmt, "raw");
	assert_false(h.data_file);
	n = header(b, NULL, NULL, 1u << 2);
	assert_int_equal(chain_qcow2_parse(b, n, &h), 0);
	assert_string_equal(h.backing, "");
	assert_true(h.data_file);
	/* a name past the bytes read, and a name with a NUL, are refused */
	n = header(b, "x", NULL, 0);
	assert_int_equal(chain_qcow2_parse(b, 300, &h), -1);
	b[512] = '\0';
	assert_int_equal(chain_qcow2_parse(b, n, &h), -1);
	/* not qcow2 at all: a raw file names nothing */
	memset(b, 0, sizeof(b));
	assert_int_equal(chain_qcow2_parse(b, sizeof(b), &h), 0);
	assert_false(h.qcow2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_grant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_refuses_link, setup, teardown),
		cmocka_unit_test(test_qcow2_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

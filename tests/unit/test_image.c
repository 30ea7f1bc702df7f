// SPDX-License-Identifier: MIT
/* test_image.c: checksums files (GNU, BSD/Fedora, Alpine), digests against known vectors, URL
 * file names, --wait values, and the host keys in the seed (ssh_keys, instance-id) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/sys/error.h"
#include "vmm/guest/wait.h"
#include "vmm/storage/image.h"
#include "vmm/config/profile.h"
#include "vmm/storage/seed.h"
#include "vmm/sys/util.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H128 H64 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static void test_checksums_gnu(void **state)
{
	char alg[8], d[129];
	const char *text = H128 "  debian-12-genericcloud-amd64.json\n"
			   "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210"
			   "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210"
			   "  debian-12-genericcloud-amd64.qcow2\n";
	assert_int_equal(image_checksum_find(text, "debian-12-genericcloud-amd64.qcow2", alg, d), 0);
	assert_string_equal(alg, "sha512");
	assert_string_equal(d, "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
			       "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
	/* binary-mode star, CRLF, SHA-256 by length */
	assert_int_equal(image_checksum_find(H64 " *noble.img\r\n", "noble.img", alg, d), 0);
	assert_string_equal(alg, "sha256");
	assert_string_equal(d, H64);
	/* a name that only ends like the file is not the file */
	assert_int_equal(image_checksum_find(H64 "  old-noble.img\n", "noble.img", alg, d), -1);
	assert_int_equal(image_checksum_find("", "noble.img", alg, d), -1);
	/* not hex, wrong length */
	assert_int_equal(image_checksum_find("xyz  noble.img\n", "noble.img", alg, d), -1);
	assert_int_equal(image_checksum_find("0123  noble.img\n", "noble.img", alg, d), -1);
}

static void test_checksums_bsd(void **state)
{
	char alg[8], d[129];
	const char *fedora = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
			     "# Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2: 123 bytes\n"
			     "SHA256 (Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2) = " H64 "\n"
			     "-----BEGIN PGP SIGNATURE-----\n";
	assert_int_equal(
		image_checksum_find(fedora, "Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2", alg, d),
		0);
	assert_string_equal(alg, "sha256");
	assert_string_equal(d, H64);
	/* a tag that does not match the digest's length is refused */
	assert_int_equal(image_checksum_find("SHA512 (a.img) = " H64 "\n", "a.img", alg, d), -1);
	assert_int_equal(image_checksum_find("SHA512 (a.img) = " H128 "\n", "a.img", alg, d), 0);
	assert_string_equal(alg, "sha512");
}

static void test_digest(void **state)
{
	char path[] = "/tmp/vmm-test-digest.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	char d[129];
	/* FIPS 180-2 test vectors for "abc" */
	assert_int_equal(image_file_digest(path, "sha256", d), 0);
	assert_string_equal(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(image_file_digest(path, "sha512", d), 0);
	assert_string_equal(d, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
			       "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	assert_int_equal(image_file_digest(path, "md5", d), -1);
	unlink(path);
}

static void test_url_file(void **state)
{
	char *f = image_url_file("https://a.b/c/d/noble.img?x=1#y");
	assert_string_equal(f, "noble.img");
	free(f);
	f = image_url_file("https://a.b/");
	assert_string_equal(f, "");
	free(f);
}

static void test_entry_check(void **state)
{
	struct image_entry e = { .name = "deb12", .url = "http://h/x.qcow2",
				 .checksums = "http://h/SHA512SUMS" };
	/* plain http only when asked for (issue 17, item 8), the image or its checksums */
	assert_int_equal(image_entry_check(&e), -1);
	assert_string_equal(vmm_errmsg(), "image deb12: http://h/x.qcow2: plain http, anyone on "
			    "the way could swap the image and its checksums (use https:// or "
			    "file://, or add it with --insecure-http)");
	e.url = "https://h/x.qcow2";
	assert_int_equal(image_entry_check(&e), -1);
	e.checksums = "https://h/SHA512SUMS";
	assert_int_equal(image_entry_check(&e), 0);
	e.url = "file:///srv/x.qcow2";
	assert_int_equal(image_entry_check(&e), 0);
	e.url = "ftp://h/x.qcow2";
	assert_int_equal(image_entry_check(&e), -1);
	e.url = "http://h/x.qcow2";
	e.checksums = "http://h/SHA512SUMS";
	e.insecure_http = true;
	assert_int_equal(image_entry_check(&e), 0);
	e.name = "-x";
	assert_int_equal(image_entry_check(&e), -1);
	e.name = "deb12";
	e.url = "http://h/x y.qcow2";
	assert_int_equal(image_entry_check(&e), -1);
	e.url = "http://h/x.qcow2";
	e.checksums = NULL;
	assert_int_equal(image_entry_check(&e), -1); /* no checksum at all */
	e.alg = "sha256";
	e.digest = H64;
	assert_int_equal(image_entry_check(&e), 0);
	e.digest = H128;
	assert_int_equal(image_entry_check(&e), -1);
	e.alg = "sha512";
	assert_int_equal(image_entry_check(&e), 0);
	e.user = "Root";
	assert_int_equal(image_entry_check(&e), -1);
}

static void test_wait_parse(void **state)
{
	struct guest_wait w;
	assert_int_equal(guest_wait_parse(NULL, &w), 0);
	assert_int_equal(w.kind, GUEST_WAIT_AUTO);
	assert_int_equal(w.secs, GUEST_WAIT_DEFAULT_SECS);
	assert_int_equal(guest_wait_parse("90", &w), 0);
	assert_int_equal(w.kind, GUEST_WAIT_AUTO);
	assert_int_equal(w.secs, 90);
	assert_int_equal(guest_wait_parse("ssh", &w), 0);
	assert_int_equal(w.kind, GUEST_WAIT_SSH);
	assert_int_equal(w.secs, GUEST_WAIT_DEFAULT_SECS);
	assert_int_equal(guest_wait_parse("ping:30", &w), 0);
	assert_int_equal(w.kind, GUEST_WAIT_PING);
	assert_int_equal(w.secs, 30);
	assert_int_equal(guest_wait_parse("ssh:0", &w), -1);
	assert_int_equal(guest_wait_parse("sshd", &w), -1);
	assert_int_equal(guest_wait_parse("ping:", &w), -1);
	assert_int_equal(guest_wait_parse("soon", &w), -1);
}

static void test_seed_hostkeys(void **state)
{
	struct vmm_netcfg n;
	struct vmm_profile p;
	assert_int_equal(netcfg_parse("address = \"192.168.166.1/24\";\n", "net.cfg", &n), 0);
	assert_int_equal(profile_parse("disk = { path = \"a.qcow2\"; size = \"1G\"; };\n"
				       "net = { mac = \"52:54:00:12:34:10\"; address = "
				       "\"192.168.166.100/24\"; };\n"
				       "vnc = { display = 19; listen = \"127.0.0.1\"; };\n",
				       "a.cfg", "a", &p),
			 0);
	struct sshkey_host k = { 0 };
	for (int i = 0; i < SSHKEY_HOST_TYPES; i++) {
		k.priv[i] = util_fmt("-----BEGIN OPENSSH PRIVATE KEY-----\nKEY%d\n-----END OPENSSH "
				     "PRIVATE KEY-----\n",
				     i);
		k.pub[i] = util_fmt("ssh-%s AAAA%d vmm-a", sshkey_host_types[i], i);
	}
	struct seed_files f0, f1, f2;
	assert_int_equal(seed_render(&p, &n, NULL, 0, NULL, 0, NULL, &f0), 0);
	assert_int_equal(seed_render(&p, &n, NULL, 0, NULL, 0, &k, &f1), 0);
	assert_null(strstr(f0.user_data, "ssh_keys"));
	assert_non_null(strstr(f1.user_data, "ssh_deletekeys: true\nssh_keys:\n"
					     "  ed25519_private: \"-----BEGIN OPENSSH PRIVATE KEY-----"
					     "\\nKEY0\\n-----END OPENSSH PRIVATE KEY-----\\n\"\n"
					     "  ed25519_public: \"ssh-ed25519 AAAA0 vmm-a\"\n"
					     "  ecdsa_private: "));
	assert_non_null(strstr(f1.user_data, "  rsa_public: \"ssh-rsa AAAA2 vmm-a\"\n"));
	/* other host keys, another instance; the same keys, the same instance */
	assert_string_not_equal(f0.meta_data, f1.meta_data);
	free(k.pub[2]);
	k.pub[2] = util_strdup("ssh-rsa AAAAother vmm-a");
	assert_int_equal(seed_render(&p, &n, NULL, 0, NULL, 0, &k, &f2), 0);
	assert_string_not_equal(f1.meta_data, f2.meta_data);
	seed_files_free(&f2);
	assert_int_equal(seed_render(&p, &n, NULL, 0, NULL, 0, &k, &f2), 0);
	char *id1 = strdup(f2.meta_data);
	seed_files_free(&f2);
	assert_int_equal(seed_render(&p, &n, NULL, 0, NULL, 0, &k, &f2), 0);
	assert_string_equal(id1, f2.meta_data);
	free(id1);
	seed_files_free(&f0);
	seed_files_free(&f1);
	seed_files_free(&f2);
	sshkey_host_free(&k);
	profile_free(&p);
	netcfg_free(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksums_gnu), cmocka_unit_test(test_checksums_bsd),
		cmocka_unit_test(test_digest),	      cmocka_unit_test(test_url_file),
		cmocka_unit_test(test_entry_check),   cmocka_unit_test(test_wait_parse),
		cmocka_unit_test(test_seed_hostkeys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/* test_devices.c: issue 20's pure parts: share specs, snapshot tags and qemu-img's list, QMP jobs
 * on canned replies, the QEMU argv of firmware/shares/TPM, the domain XML, the seed's mounts */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/backend/libvirt_xml.h"
#include "vmm/backend/qemu_argv.h"
#include "vmm/backend/qemu_devices.h"
#include "vmm/backend/qmp.h"
#include "vmm/config/share.h"
#include "vmm/storage/disksnap.h"
#include "vmm/storage/seed.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

#include "golden.h"

static void share_ok(const char *spec, const char *dir, const char *tag, bool ro,
		     enum share_kind k, const char *canonical)
{
	struct vmm_share s;
	if (share_parse(spec, &s) < 0)
		fail_msg("share_parse(%s): %s", spec, vmm_errmsg());
	assert_string_equal(s.dir, dir);
	assert_string_equal(s.tag, tag);
	assert_int_equal(s.ro, ro);
	assert_int_equal(s.kind, k);
	char *c = share_format(&s);
	assert_string_equal(c, canonical);
	free(c);
}

static void share_bad(const char *spec, const char *msg)
{
	struct vmm_share s;
	vmm_error_clear();
	assert_int_equal(share_parse(spec, &s), -1);
	assert_int_equal(vmm_errcode(), VMM_EINVAL);
	assert_string_equal(vmm_errmsg(), msg);
}

static void test_share_specs(void **state)
{
	(void)state;
	share_ok("/srv/data", "/srv/data", "data", false, SHARE_AUTO, "/srv/data:data");
	share_ok("/srv/data/", "/srv/data/", "data", false, SHARE_AUTO, "/srv/data/:data");
	share_ok("/srv/data:web", "/srv/data", "web", false, SHARE_AUTO, "/srv/data:web");
	share_ok("/srv/data:ro", "/srv/data", "data", true, SHARE_AUTO, "/srv/data:data:ro");
	share_ok("/srv/data:web:ro:9p", "/srv/data", "web", true, SHARE_9P, "/srv/data:web:ro:9p");
	share_ok("/srv/my data+x", "/srv/my data+x", "my_data_x", false, SHARE_AUTO,
		 "/srv/my data+x:my_data_x");
	share_ok("/home/u/.cfg:virtiofs", "/home/u/.cfg", "_cfg", false, SHARE_VIRTIOFS,
		 "/home/u/.cfg:_cfg:virtiofs");
	share_bad("srv/data", "share \"srv/data\": want an absolute HOSTDIR[:TAG][:ro]");
	share_bad("/srv/data:a,b", "share \"/srv/data:a,b\": tag \"a,b\": use A-Z, a-z, 0-9, '_', "
				   "'.' and '-'");
	share_bad("/srv/data::ro", "share \"/srv/data::ro\": empty field");
	share_bad("/srv/data:web:rx", "share \"/srv/data:web:rx\": \"rx\": want ro, rw, 9p or "
				      "virtiofs after the tag");
	share_bad("/srv/data:ro:virtiofs", "share \"/srv/data:ro:virtiofs\": virtiofsd has no "
					   "read-only mode (a read-only share is 9p)");
	share_bad("/srv/data:0123456789012345678901234567890123",
		  "share \"/srv/data:0123456789012345678901234567890123\": the tag must have 1 to 31 "
		  "characters");
	char *two[] = { "/a/x", "/b/x:ro" };
	struct vmm_share *v = NULL;
	assert_int_equal(share_parse_all(two, 2, &v), -1);
	assert_string_equal(vmm_errmsg(), "share \"/b/x:ro\": tag \"x\" is already used by \"/a/x\"");
	assert_null(v);
}

static void test_share_kinds(void **state)
{
	struct vmm_share s;
	enum share_kind k;
	(void)state;
	assert_int_equal(share_parse("/d", &s), 0);
	assert_int_equal(share_resolve_kind(&s, true, true, &k), 0);
	assert_int_equal(k, SHARE_VIRTIOFS);
	assert_int_equal(share_resolve_kind(&s, false, true, &k), 0);
	assert_int_equal(k, SHARE_9P); /* rootless: 9p */
	assert_int_equal(share_resolve_kind(&s, true, false, &k), 0);
	assert_int_equal(k, SHARE_9P); /* no virtiofsd */
	assert_int_equal(share_parse("/d:ro", &s), 0);
	assert_int_equal(share_resolve_kind(&s, true, true, &k), 0);
	assert_int_equal(k, SHARE_9P); /* read-only: 9p */
	assert_int_equal(share_parse("/d:virtiofs", &s), 0);
	assert_int_equal(share_resolve_kind(&s, false, true, &k), -1);
	assert_string_equal(vmm_errmsg(), "share d: virtiofs needs root (virtiofsd runs as root; "
					  "9p does without)");
}

static void test_snapshot_tags(void **state)
{
	(void)state;
	assert_int_equal(disksnap_check_tag("before-upgrade_1.2"), 0);
	assert_int_equal(disksnap_check_tag("123"), -1);
	assert_string_equal(vmm_errmsg(),
			    "snapshot tag \"123\": not all digits (QEMU reads those as ids)");
	assert_int_equal(disksnap_check_tag("-x"), -1);
	assert_int_equal(disksnap_check_tag("a b"), -1);
	assert_int_equal(disksnap_check_tag(""), -1);
	assert_int_equal(vmm_errcode(), VMM_EINVAL);
}

/* What `qemu-img info --output=json` prints for an image with two snapshots. */
static const char info_json[] =
	"{\n    \"snapshots\": [\n        {\n            \"icount\": 0,\n"
	"            \"vm-clock-nsec\": 500000000,\n            \"name\": \"s1\",\n"
	"            \"date-sec\": 1764877848,\n            \"date-nsec\": 1000,\n"
	"            \"vm-clock-sec\": 50,\n            \"id\": \"1\",\n"
	"            \"vm-state-size\": 124780544\n        },\n        {\n"
	"            \"vm-clock-nsec\": 0,\n            \"name\": \"off\",\n"
	"            \"date-sec\": 1764877900,\n            \"date-nsec\": 0,\n"
	"            \"vm-clock-sec\": 0,\n            \"id\": \"2\",\n"
	"            \"vm-state-size\": 0\n        }\n    ],\n"
	"    \"virtual-size\": 268435456,\n    \"filename\": \"u1.qcow2\",\n"
	"    \"format\": \"qcow2\",\n    \"dirty-flag\": false\n}\n";

static void test_snapshot_info(void **state)
{
	char fmt[16];
	struct disksnap *v = NULL;
	size_t n = 0;
	(void)state;
	assert_int_equal(disksnap_parse_info(info_json, fmt, sizeof(fmt), &v, &n), 0);
	assert_string_equal(fmt, "qcow2");
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "s1");
	assert_int_equal(v[0].vm_state_size, 124780544);
	assert_int_equal(v[0].vm_clock_ns, 50500000000ull);
	assert_int_equal(v[0].date_sec, 1764877848);
	assert_ptr_equal(disksnap_find(v, n, "off"), &v[1]);
	assert_null(disksnap_find(v, n, "nope"));
	free(v);
	assert_int_equal(disksnap_parse_info("{\"format\": \"raw\"}", fmt, sizeof(fmt), &v, &n), 0);
	assert_string_equal(fmt, "raw");
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(disksnap_parse_info("nonsense", fmt, sizeof(fmt), &v, &n), -1);
}

/* ---- QMP jobs on canned replies ---- */

#define GREETING "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n"
#define JOB_EVENT(id, st)                                                                 \
	"{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": "               \
	"\"JOB_STATUS_CHANGE\", \"data\": {\"status\": \"" st "\", \"id\": \"" id "\"}}\r\n"

static struct qmp *fake_qemu(int sv[2], const char *script)
{
	struct qmp *q = NULL;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], script, strlen(script)), (ssize_t)strlen(script));
	assert_int_equal(qmp_open_fd(sv[0], 1000, &q), 0);
	return q;
}

static char *sent(int fd)
{
	static char buf[8192];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static json_object *save_args(const char *job)
{
	json_object *a = json_object_new_object();
	json_object_object_add(a, "job-id", json_object_new_string(job));
	json_object_object_add(a, "tag", json_object_new_string("s1"));
	return a;
}

/* A job that fails: {} at once, then aborting and concluded; the error only in query-jobs. An
 * event of another job on the way is kept for others. */
static void test_job_error(void **state)
{
	int sv[2];
	(void)state;
	struct qmp *q = fake_qemu(sv, GREETING "{\"return\": {}, \"id\": \"vmm-1\"}\r\n"
		"{\"return\": {}, \"id\": \"vmm-2\"}\r\n" JOB_EVENT("j", "created")
		JOB_EVENT("j", "running") JOB_EVENT("other", "concluded") JOB_EVENT("j", "aborting")
		JOB_EVENT("j", "concluded")
		"{\"return\": [{\"current-progress\": 1, \"status\": \"concluded\", \"total-progress\""
		": 1, \"type\": \"snapshot-save\", \"id\": \"j\", \"error\": \"Snapshot 's1' "
		"already exists\"}], \"id\": \"vmm-3\"}\r\n"
		"{\"return\": {}, \"id\": \"vmm-4\"}\r\n");
	json_object *a = save_args("j");
	sent(sv[1]);
	assert_int_equal(qmp_job_run(q, "snapshot-save", a, "j", 1000), -1);
	assert_string_equal(vmm_errmsg(), "snapshot-save: Snapshot 's1' already exists");
	assert_string_equal(sent(sv[1]),
			    "{\"execute\":\"snapshot-save\",\"arguments\":{\"job-id\":\"j\",\"tag\":"
			    "\"s1\"},\"id\":\"vmm-2\"}\r\n"
			    "{\"execute\":\"query-jobs\",\"id\":\"vmm-3\"}\r\n"
			    "{\"execute\":\"job-dismiss\",\"arguments\":{\"id\":\"j\"},\"id\":"
			    "\"vmm-4\"}\r\n");
	assert_int_equal(json_object_array_length(q->events), 1); /* "other" stays */
	json_object_put(a);
	qmp_close(q);
	close(sv[1]);
}

/* A job that works; one that never concludes times out instead of hanging. */
static void test_job_ok_and_timeout(void **state)
{
	int sv[2];
	(void)state;
	struct qmp *q = fake_qemu(sv, GREETING "{\"return\": {}, \"id\": \"vmm-1\"}\r\n"
		"{\"return\": {}, \"id\": \"vmm-2\"}\r\n" JOB_EVENT("j", "concluded")
		"{\"return\": [{\"status\": \"concluded\", \"id\": \"j\"}], \"id\": \"vmm-3\"}\r\n"
		"{\"return\": {}, \"id\": \"vmm-4\"}\r\n"
		"{\"return\": {}, \"id\": \"vmm-5\"}\r\n" JOB_EVENT("k", "running"));
	json_object *a = save_args("j");
	assert_int_equal(qmp_job_run(q, "snapshot-save", a, "j", 1000), 0);
	json_object_put(a);
	a = save_args("k");
	assert_int_equal(qmp_job_run(q, "snapshot-load", a, "k", 100), -1);
	assert_string_equal(vmm_errmsg(), "snapshot-load: job k not concluded after 100 ms");
	json_object_put(a);
	qmp_close(q);
	close(sv[1]);
}

/* ---- QEMU's argv for the devices ---- */

static void words_are(char **argv, const char *const *want)
{
	size_t i = 0;
	for (; want[i]; i++) {
		if (!argv[i])
			fail_msg("argv ends at %zu, wanted \"%s\"", i, want[i]);
		if (strcmp(argv[i], want[i]))
			fail_msg("argv[%zu] = \"%s\", wanted \"%s\"", i, argv[i], want[i]);
	}
	if (argv[i])
		fail_msg("argv[%zu] = \"%s\" is extra", i, argv[i]);
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static void test_qemu_devices_argv(void **state)
{
	struct vmm_profile p;
	struct qemu_share sh[2] = { 0 };
	(void)state;
	profile_init(&p);
	p.memory = 512;
	assert_int_equal(share_parse("/srv/data:data", &sh[0].s), 0);
	sh[0].kind = SHARE_VIRTIOFS;
	assert_int_equal(share_parse("/srv/a,b:docs:ro", &sh[1].s), 0);
	sh[1].kind = SHARE_9P;
	struct qemu_devices d = { .fw = FIRMWARE_UEFI_SECURE,
				  .code = "/usr/share/OVMF/OVMF_CODE_4M.ms.fd",
				  .vars = "/h/images/g-uefi-secure-vars.qcow2",
				  .shares = sh, .n_shares = 2, .tpm = true };
	/* QEMU_DEV_FD is 30: the code 30, the variables 31, the TPM 32, the virtiofs share 33 */
	const char *const all[] = {
		"-machine", "q35,smm=on,pflash0=fwcode,pflash1=fwvars,memory-backend=mem",
		"-object", "memory-backend-memfd,id=mem,size=512M,share=on",
		"-global", "driver=cfi.pflash01,property=secure,value=on",
		"-add-fd", "fd=30,set=30,opaque=/usr/share/OVMF/OVMF_CODE_4M.ms.fd",
		"-blockdev", "driver=file,node-name=fwcode-file,filename=/dev/fdset/30,read-only=on",
		"-blockdev", "driver=raw,node-name=fwcode,file=fwcode-file,read-only=on",
		"-add-fd", "fd=31,set=31,opaque=/h/images/g-uefi-secure-vars.qcow2",
		"-blockdev", "driver=file,node-name=fwvars-file,filename=/dev/fdset/31",
		"-blockdev", "driver=qcow2,node-name=fwvars,file=fwvars-file",
		"-chardev", "socket,id=vfs0,fd=33",
		"-device", "vhost-user-fs-pci,chardev=vfs0,tag=data",
		"-virtfs", "local,path=/srv/a,,b,mount_tag=docs,security_model=mapped-xattr,id=fs1,"
			   "readonly=on",
		"-chardev", "socket,id=chrtpm,fd=32",
		"-tpmdev", "emulator,id=tpm0,chardev=chrtpm",
		"-device", "tpm-crb,tpmdev=tpm0",
		NULL,
	};
	assert_int_equal(QEMU_DEV_FD, 30);
	words_are(qemu_devices_argv(&p, &d, QEMU_DEV_FD, NULL), all);
	/* plain UEFI, no shares, no TPM: q35 without SMM and no memory backend */
	struct qemu_devices u = { .fw = FIRMWARE_UEFI, .code = "/c.fd", .vars = "/v.qcow2" };
	const char *const uefi[] = {
		"-machine", "q35,pflash0=fwcode,pflash1=fwvars",
		"-add-fd", "fd=30,set=30,opaque=/c.fd",
		"-blockdev", "driver=file,node-name=fwcode-file,filename=/dev/fdset/30,read-only=on",
		"-blockdev", "driver=raw,node-name=fwcode,file=fwcode-file,read-only=on",
		"-add-fd", "fd=31,set=31,opaque=/v.qcow2",
		"-blockdev", "driver=file,node-name=fwvars-file,filename=/dev/fdset/31",
		"-blockdev", "driver=qcow2,node-name=fwvars,file=fwvars-file",
		NULL,
	};
	words_are(qemu_devices_argv(&p, &u, QEMU_DEV_FD, NULL), uefi);
	/* BIOS with a 9p share only: nothing about the machine */
	struct qemu_devices b = { .fw = FIRMWARE_BIOS, .shares = &sh[1], .n_shares = 1 };
	const char *const bios[] = {
		"-virtfs", "local,path=/srv/a,,b,mount_tag=docs,security_model=mapped-xattr,id=fs0,"
			   "readonly=on",
		NULL,
	};
	words_are(qemu_devices_argv(&p, &b, QEMU_DEV_FD, NULL), bios);
	struct qemu_devices none = { .fw = FIRMWARE_BIOS };
	const char *const empty[] = { NULL };
	words_are(qemu_devices_argv(&p, &none, QEMU_DEV_FD, NULL), empty);
}

/* ---- the domain XML ---- */

static void tiny(struct vmm_profile *p)
{
	profile_init(p);
	strcpy(p->name, "tiny");
	p->memory = 256;
	p->cpus = 1;
	p->disk_path = "tiny.qcow2";
	strcpy(p->mac, "52:54:00:ab:cd:ef");
	p->address = "192.168.166.100/24";
	p->vnc_display = 3;
	p->vnc_listen = "127.0.0.1";
	strcpy(p->tap, "vmm-tiny");
}

static void test_virt_devices_xml(void **state)
{
	struct vmm_profile p;
	struct vmm_share sh[2];
	struct virt_domain_spec s = { 0 };
	(void)state;
	tiny(&p);
	assert_int_equal(share_parse("/srv/data:data", &sh[0]), 0);
	sh[0].kind = SHARE_VIRTIOFS;
	assert_int_equal(share_parse("/srv/<docs>:docs:ro", &sh[1]), 0);
	sh[1].kind = SHARE_9P;
	s.p = &p;
	s.type = "qemu";
	s.disk = "/h/images/tiny.qcow2";
	s.seed = "/h/images/tiny-seed.iso";
	s.kernel = "/srv/guest/vmm-guest.bzimage";
	s.fw_code = "/usr/share/OVMF/OVMF_CODE_4M.ms.fd";
	s.fw_vars = "/h/images/tiny-uefi-secure-vars.fd";
	s.fw_secure = true;
	s.shares = sh;
	s.n_shares = 2;
	s.tpm = true;
	char *xml = virt_domain_xml(&s);
	golden_check("virt_devices.xml", xml, strlen(xml), "the generated XML");
	free(xml);
}

/* A remote host: libvirt picks the firmware and keeps the NVRAM. */
static void test_virt_remote_efi_xml(void **state)
{
	struct vmm_profile p;
	char *xml;
	(void)state;
	tiny(&p);
	struct virt_domain_spec r = { .p = &p, .type = "kvm", .pool = "default",
				      .disk = "tiny.qcow2", .seed = "tiny-seed.iso",
				      .network = "br0", .fw_code = "efi" };
	xml = virt_domain_xml(&r);
	golden_check("virt_remote_efi.xml", xml, strlen(xml), "the generated XML");
	free(xml);
}

/* ---- the seed mounts the shares ---- */

static void test_seed_shares(void **state)
{
	struct vmm_profile p;
	struct vmm_netcfg n;
	struct seed_files f;
	char *shares[] = { "/srv/data:data:virtiofs", "/srv/docs:docs:ro:9p" };
	char *runcmd[] = { "echo hi" };
	(void)state;
	netcfg_defaults(&n);
	tiny(&p);
	p.shares = shares;
	p.n_shares = 2;
	assert_int_equal(seed_render(&p, &n, NULL, 0, runcmd, 1, NULL, &f), 0);
	assert_string_equal(f.user_data,
			    "#cloud-config\n"
			    "hostname: tiny\n"
			    "write_files:\n"
			    "  - path: /etc/fstab\n"
			    "    append: true\n"
			    "    content: \"data /mnt/data virtiofs nofail 0 0\\n\"\n"
			    "  - path: /etc/fstab\n"
			    "    append: true\n"
			    "    content: \"docs /mnt/docs 9p trans=virtio,version=9p2000.L,ro,nofail "
			    "0 0\\n\"\n"
			    "runcmd:\n"
			    "  - \"mkdir -p /mnt/data && mount /mnt/data\"\n"
			    "  - \"mkdir -p /mnt/docs && mount /mnt/docs\"\n"
			    "  - \"echo hi\"\n");
	seed_files_free(&f);
	netcfg_free(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_share_specs),
		cmocka_unit_test(test_share_kinds),
		cmocka_unit_test(test_snapshot_tags),
		cmocka_unit_test(test_snapshot_info),
		cmocka_unit_test(test_job_error),
		cmocka_unit_test(test_job_ok_and_timeout),
		cmocka_unit_test(test_qemu_devices_argv),
		cmocka_unit_test(test_virt_devices_xml),
		cmocka_unit_test(test_virt_remote_efi_xml),
		cmocka_unit_test(test_seed_shares),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

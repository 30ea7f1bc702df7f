// SPDX-License-Identifier: MIT
/* test_qemu_argv.c: the exact qemu-system-x86_64 argv for a fixed profile, and its shell quoting */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/backend/passt.h"
#include "vmm/backend/qemu.h"
#include "vmm/config/forward_spec.h"
#include "vmm/sys/util.h"

static void fixed_profile(struct vmm_profile *p)
{
	profile_init(p);
	snprintf(p->name, sizeof(p->name), "ubuntu");
	p->memory = 2048;
	p->cpus = 2;
	snprintf(p->mac, sizeof(p->mac), "52:54:00:12:34:10");
	p->vnc_display = 19;
	p->vnc_listen = strdup("127.0.0.1");
	snprintf(p->tap, sizeof(p->tap), "vmm-ubuntu");
}

static const struct qemu_layer disk = { "/h/images/ubuntu.qcow2", "qcow2" };
static const struct qemu_files files = {
	.layers = &disk,
	.n_layers = 1,
	.seed = "/h/images/ubuntu-seed.iso",
	.run_dir = "/h/run/ubuntu",
};

/* argv must be exactly want (NULL-terminated); then argv and the profile are freed. */
static void check_free(char **argv, const char *const *want, struct vmm_profile *p)
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
	util_argv_free(argv);
	profile_free(p);
}

/* The fixed profile's disk, seed, tap (EXTRA: options appended) and NIC: every file a
 * descriptor (-add-fd, /dev/fdset/N), its path only a label. */
#define DISK "-add-fd", "fd=14,set=14,opaque=/h/images/ubuntu.qcow2", "-blockdev",          \
	     "driver=file,node-name=file0,filename=/dev/fdset/14", "-blockdev",                 \
	     "driver=qcow2,node-name=disk0,file=file0", "-device", "virtio-blk-pci,drive=disk0"
#define SEED "-add-fd", "fd=11,set=11,opaque=/h/images/ubuntu-seed.iso", "-drive",          \
	     "file=/dev/fdset/11,media=cdrom,readonly=on,format=raw"
#define NETDEV(extra) "-netdev", "tap,id=n0,fd=3" extra
#define NIC "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:10", "-device", "virtio-rng-pci"
#define HEAD(name) "qemu-system-x86_64", "-name", name ",process=vmm-" name, "-m", "2048", \
		   "-smp", "2"
#define TAIL                                                                              \
	"-chardev", "socket,id=qmp,fd=5,server=on,wait=off", "-mon",                      \
		"chardev=qmp,mode=control", "-add-fd",                                    \
		"fd=7,set=7,opaque=/h/run/ubuntu/serial.log", "-chardev",                 \
		"socket,id=serial0,fd=6,server=on,wait=off,logfile=/dev/fdset/7",         \
		"-serial", "chardev:serial0", "-sandbox",                                 \
		"on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

static void test_tcg(void **state)
{
	struct vmm_profile p;
	fixed_profile(&p);
	struct qemu_host hc = { .kvm = false, .vhost = false };
	char **argv = qemu_argv(&p, &hc, &files);
	static const char *const want[] = {
		HEAD("ubuntu"), "-accel", "tcg",
		DISK,
		SEED,
		NETDEV(""),
		NIC,
		"-vnc", "127.0.0.1:19", TAIL, NULL,
	};
	check_free(argv, want, &p);
}

static void test_kvm_vhost_password(void **state)
{
	struct vmm_profile p;
	fixed_profile(&p);
	p.vnc_password_file = strdup("/h/vnc.pw");
	struct qemu_host hc = { .kvm = true, .vhost = true };
	char **argv = qemu_argv(&p, &hc, &files);
	static const char *const want[] = {
		HEAD("ubuntu"), "-accel", "kvm", "-cpu", "host",
		DISK,
		SEED,
		NETDEV(",vhost=on,vhostfd=4"),
		NIC,
		"-vnc", "127.0.0.1:19,password=on", TAIL, NULL,
	};
	check_free(argv, want, &p);
}

static void test_install(void **state)
{
	struct vmm_profile p;
	fixed_profile(&p);
	struct qemu_host hc = { 0 };
	struct qemu_files f = files;
	f.iso = "/srv/iso/a,b.iso"; /* a comma in a path is doubled for QEMU */
	char **argv = qemu_argv(&p, &hc, &f);
	static const char *const want[] = {
		HEAD("ubuntu"), "-accel", "tcg",
		DISK,
		"-add-fd", "fd=12,set=12,opaque=/srv/iso/a,,b.iso", "-drive",
		"file=/dev/fdset/12,media=cdrom,readonly=on,format=raw",
		SEED,
		"-boot", "once=d",
		NETDEV(""),
		NIC,
		"-vnc", "127.0.0.1:19", TAIL, NULL,
	};
	check_free(argv, want, &p);
}

static void test_kernel_boot(void **state)
{
	struct vmm_profile p;
	fixed_profile(&p);
	p.append = strdup("console=ttyS0 quiet");
	struct qemu_host hc = { 0 };
	struct qemu_files f = files;
	f.kernel = "/img/vmm-guest.kernel";
	f.initrd = "/img/vmm-guest.initrd";
	char **argv = qemu_argv(&p, &hc, &f);
	static const char *const want[] = {
		HEAD("ubuntu"), "-accel", "tcg",
		DISK,
		SEED,
		NETDEV(""),
		NIC,
		"-vnc", "127.0.0.1:19", TAIL,
		"-kernel", "/proc/self/fd/9", "-initrd", "/proc/self/fd/10",
		"-append", "console=ttyS0 quiet", NULL,
	};
	check_free(argv, want, &p);
}

/* A disk with backing files: block nodes from the deepest up, each naming its backing node
 * (QEMU opens nothing by a header's name), the backing files read-only. */
static void test_chain(void **state)
{
	struct vmm_profile p;
	fixed_profile(&p);
	struct qemu_host hc = { 0 };
	static const struct qemu_layer chain[] = { { "/h/images/ubuntu.qcow2", "qcow2" },
						   { "/h/images/cache/deb.qcow2", "qcow2" },
						   { "/h/images/cache/base.img", "raw" } };
	struct qemu_files f = files;
	f.layers = chain;
	f.n_layers = 3;
	char **argv = qemu_argv(&p, &hc, &f);
	static const char *const want[] = {
		HEAD("ubuntu"), "-accel", "tcg",
		"-add-fd", "fd=16,set=16,opaque=/h/images/cache/base.img",
		"-blockdev", "driver=file,node-name=file2,filename=/dev/fdset/16,read-only=on",
		"-blockdev", "driver=raw,node-name=disk2,file=file2,read-only=on",
		"-add-fd", "fd=15,set=15,opaque=/h/images/cache/deb.qcow2",
		"-blockdev", "driver=file,node-name=file1,filename=/dev/fdset/15,read-only=on",
		"-blockdev", "driver=qcow2,node-name=disk1,file=file1,read-only=on,backing=disk2",
		"-add-fd", "fd=14,set=14,opaque=/h/images/ubuntu.qcow2",
		"-blockdev", "driver=file,node-name=file0,filename=/dev/fdset/14",
		"-blockdev", "driver=qcow2,node-name=disk0,file=file0,backing=disk1",
		"-device", "virtio-blk-pci,drive=disk0",
		SEED,
		NETDEV(""),
		NIC,
		"-vnc", "127.0.0.1:19", TAIL, NULL,
	};
	check_free(argv, want, &p);
}

/* vnc = "none": no VNC, no display, no graphics card */
static void test_headless(void **state)
{
	struct vmm_profile p;
	fixed_profile(&p);
	p.vnc_display = VMM_VNC_NONE;
	struct qemu_host hc = { 0 };
	char **argv = qemu_argv(&p, &hc, &files);
	static const char *const want[] = {
		HEAD("ubuntu"), "-accel", "tcg",
		DISK,
		SEED,
		NETDEV(""),
		NIC,
		"-display", "none", "-vga", "none", TAIL, NULL,
	};
	check_free(argv, want, &p);
}

/* network = "user": QEMU's fd 3 is its end of the guest's own passt (-netdev stream, no vhost
 * even when the host has it); passt's argv: no-map-gw, the forwards as its port mappings */
static void test_user_network(void **state)
{
	struct vmm_profile p;
	fixed_profile(&p);
	p.network = strdup("user");
	struct qemu_host hc = { .kvm = false, .vhost = true };
	char **argv = qemu_argv(&p, &hc, &files);
	static const char *const want[] = {
		HEAD("ubuntu"), "-accel", "tcg",
		DISK,
		SEED,
		"-netdev", "stream,id=n0,server=off,addr.type=fd,addr.str=3",
		NIC,
		"-vnc", "127.0.0.1:19", TAIL, NULL,
	};
	assert_int_equal(profile_set_forwards(&p, "tcp:2222:22,udp:5353:53,10.0.0.5:8080:80"), 0);
	char **pv = passt_argv(&p);
	static const char *const pwant[] = {
		"passt", "-q", "-f", "--fd", "3", "--no-map-gw", "-t", "2222:22", "-t",
		"10.0.0.5/8080:80", "-u", "5353:53", NULL,
	};
	for (size_t i = 0; pwant[i] || pv[i]; i++) {
		if (!pv[i] || !pwant[i] || strcmp(pv[i], pwant[i]))
			fail_msg("passt argv[%zu] = \"%s\", wanted \"%s\"", i, pv[i] ? pv[i] : "(end)",
				 pwant[i] ? pwant[i] : "(end)");
	}
	util_argv_free(pv);
	p.n_forwards = 0; /* without forwards: none of either */
	pv = passt_argv(&p);
	assert_string_equal(pv[6], "-t");
	assert_string_equal(pv[7], "none");
	assert_string_equal(pv[9], "none");
	assert_null(pv[10]);
	util_argv_free(pv);
	check_free(argv, want, &p);
}

/* vnc = "socket" (what create writes, issue 17 item 7): the screen on a unix socket QEMU makes
 * in the folder it gets as descriptor 13 (run/NAME/vnc, the one it may write), no TCP port; a
 * TCP display off loopback always asks for a password */
static void test_vnc_private(void **state)
{
	struct vmm_profile p;
	fixed_profile(&p);
	p.vnc_display = VMM_VNC_SOCKET;
	struct qemu_host hc = { 0 };
	struct qemu_files f = files;
	f.run_dir = "/h/run,x/ubuntu"; /* (not in the -vnc value: the folder is a descriptor) */
	char **argv = qemu_argv(&p, &hc, &f);
	bool found = false;
	for (size_t i = 0; argv[i]; i++) {
		if (strcmp(argv[i], "-vnc"))
			continue;
		assert_string_equal(argv[i + 1], "unix:/proc/self/fd/13/vnc.sock");
		found = true;
	}
	assert_true(found);
	util_argv_free(argv);
	profile_free(&p);

	fixed_profile(&p);
	free(p.vnc_listen);
	p.vnc_listen = strdup("0.0.0.0");
	argv = qemu_argv(&p, &hc, &files);
	static const char *const want[] = {
		HEAD("ubuntu"), "-accel", "tcg",
		DISK,
		SEED,
		NETDEV(""),
		NIC,
		"-vnc", "0.0.0.0:19,password=on", TAIL, NULL,
	};
	check_free(argv, want, &p);
}

static void test_quote(void **state)
{
	char *argv[] = { "qemu-system-x86_64", "-append", "console=ttyS0 quiet", "-name",
			 "it's", "", "a,b=c:/d@e%f+g", "$HOME", NULL };
	char *line = qemu_argv_line(argv);
	assert_string_equal(line, "qemu-system-x86_64 -append 'console=ttyS0 quiet' -name "
				  "'it'\\''s' '' a,b=c:/d@e%f+g '$HOME'");
	free(line);
}

static void test_probe_env(void **state)
{
	struct qemu_host hc;
	setenv("VMM_ACCEL", "tcg", 1);
	setenv("VMM_VHOST", "on", 1);
	qemu_probe(&hc);
	assert_false(hc.kvm);
	assert_true(hc.vhost);
	setenv("VMM_ACCEL", "kvm", 1);
	setenv("VMM_VHOST", "off", 1);
	qemu_probe(&hc);
	assert_true(hc.kvm);
	assert_false(hc.vhost);
	unsetenv("VMM_ACCEL");
	unsetenv("VMM_VHOST");
}

/* A port another process listens on is taken; once closed it is free again. */
static void test_port_free(void **state)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	int port = ntohs(sa.sin_port);
	assert_int_equal(qemu_port_free("127.0.0.1", port), 0);
	assert_int_equal(qemu_port_free("not-an-address", port), 1); /* not checked */
	close(fd);
	assert_int_equal(qemu_port_free("127.0.0.1", port), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcg),
		cmocka_unit_test(test_kvm_vhost_password),
		cmocka_unit_test(test_install),
		cmocka_unit_test(test_kernel_boot),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_headless),
		cmocka_unit_test(test_vnc_private),
		cmocka_unit_test(test_user_network),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_probe_env),
		cmocka_unit_test(test_port_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/* test_qemu_argv.c: the exact qemu-system-x86_64 argv for a fixed profile, and its shell quoting */
#include <setjmp.h>
#include <stdarg.h>
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

#include "vmm/backend/qemu.h"

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

static const struct qemu_files files = {
	.disk = "/h/images/ubuntu.qcow2",
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
	qemu_argv_free(argv);
	profile_free(p);
}

/* The fixed profile's disk, seed, tap (EXTRA: options appended) and NIC. */
#define DISK "-drive", "file=/h/images/ubuntu.qcow2,if=virtio,format=qcow2"
#define SEED "-drive", "file=/h/images/ubuntu-seed.iso,media=cdrom,readonly=on"
#define NETDEV(extra) "-netdev", "tap,id=n0,fd=3" extra
#define NIC "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:10", "-device", "virtio-rng-pci"
#define HEAD(name) "qemu-system-x86_64", "-name", name ",process=vmm-" name, "-m", "2048", \
		   "-smp", "2"
#define TAIL                                                                              \
	"-qmp", "unix:/h/run/ubuntu/qmp.sock,server=on,wait=off", "-chardev",             \
		"socket,id=serial0,path=/h/run/ubuntu/serial.sock,server=on,wait=off,"    \
		"logfile=/h/run/ubuntu/serial.log",                                       \
		"-serial", "chardev:serial0", "-pidfile", "/h/run/ubuntu/pid", "-sandbox",      \
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
		"-drive", "file=/srv/iso/a,,b.iso,media=cdrom,readonly=on",
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
		"-kernel", "/img/vmm-guest.kernel", "-initrd", "/img/vmm-guest.initrd",
		"-append", "console=ttyS0 quiet", NULL,
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

/* The line --dry-run prints names the tap: QEMU opens it (and vhost-net) itself, as when typed */
static void test_tap_by_name(void **state)
{
	struct vmm_profile p;
	fixed_profile(&p);
	struct qemu_host hc = { .vhost = true };
	struct qemu_files f = files;
	f.tap = p.tap;
	char **argv = qemu_argv(&p, &hc, &f);
	static const char *const want[] = {
		HEAD("ubuntu"), "-accel", "tcg",
		DISK,
		SEED,
		"-netdev", "tap,id=n0,ifname=vmm-ubuntu,script=no,downscript=no,vhost=on",
		NIC,
		"-vnc", "127.0.0.1:19", TAIL, NULL,
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
		cmocka_unit_test(test_headless),
		cmocka_unit_test(test_tap_by_name),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_probe_env),
		cmocka_unit_test(test_port_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

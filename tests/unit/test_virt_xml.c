// SPDX-License-Identifier: MIT
/* test_virt_xml.c: libvirt domain/network XML for fixed profiles against golden files, URI hosts */
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
#include "vmm/config/profile.h"
#include "vmm/sys/util.h"
#include "vmm/backend/libvirt_xml.h"

#include "golden.h"

static void check_golden(const char *name, const char *got)
{
	golden_check(name, got, strlen(got), "the generated XML");
}

/* The tutorial's first guest, as create would fill it. */
static void tutorial(struct vmm_profile *p)
{
	profile_init(p);
	strcpy(p->name, "ubuntu");
	p->memory = 2048;
	p->cpus = 1;
	p->disk_path = "ubuntu.qcow2";
	strcpy(p->mac, "52:54:00:12:34:10");
	p->address = "192.168.166.100/24";
	p->vnc_display = 19;
	p->vnc_listen = "127.0.0.1";
	strcpy(p->tap, "vmm-ubuntu");
	p->backend = "libvirt";
}

static void test_local_tcg(void **state)
{
	struct vmm_profile p;
	struct virt_domain_spec s = { 0 };
	char *xml;

	(void)state;
	tutorial(&p);
	s.p = &p;
	s.type = "qemu";
	s.disk = "/var/lib/vmm/images/ubuntu.qcow2";
	s.seed = "/var/lib/vmm/images/ubuntu-seed.iso";
	xml = virt_domain_xml(&s);
	check_golden("virt_local_tcg.xml", xml);
	free(xml);
}

static void test_install(void **state)
{
	struct vmm_profile p;
	struct virt_domain_spec s = { 0 };
	char *xml;

	(void)state;
	tutorial(&p);
	p.iso = "/srv/iso/ubuntu-18.04.6-live-server-amd64.iso";
	p.cpus = 2;
	s.p = &p;
	s.type = "kvm";
	s.disk = "/var/lib/vmm/images/ubuntu.qcow2";
	s.seed = "/var/lib/vmm/images/ubuntu-seed.iso";
	s.iso = p.iso;
	s.vnc_password = "s3cr<t&";
	xml = virt_domain_xml(&s);
	check_golden("virt_install.xml", xml);
	free(xml);
}

static void test_kernel(void **state)
{
	struct vmm_profile p;
	struct virt_domain_spec s = { 0 };
	char *xml;

	(void)state;
	tutorial(&p);
	strcpy(p.name, "tiny");
	p.memory = 256;
	p.vnc_display = 3;
	strcpy(p.tap, "vmm-tiny");
	strcpy(p.mac, "52:54:00:ab:cd:ef");
	s.p = &p;
	s.type = "qemu";
	s.disk = "/home/me/vm/tiny.qcow2";
	s.seed = "/home/me/vm/tiny-seed.iso";
	s.kernel = "/srv/guest/vmm-guest.kernel";
	s.initrd = "/srv/guest/vmm-guest.initrd";
	s.append = "console=ttyS0 quiet vmm.note=\"a&b\"";
	xml = virt_domain_xml(&s);
	check_golden("virt_kernel.xml", xml);
	free(xml);
}

static void test_remote(void **state)
{
	struct vmm_profile p;
	struct virt_domain_spec s = { 0 };
	char *xml;

	(void)state;
	tutorial(&p);
	p.uri = "qemu+tcp://10.0.0.2/system";
	s.p = &p;
	s.type = "kvm";
	s.pool = "default";
	s.disk = "ubuntu.qcow2";
	s.seed = "ubuntu-seed.iso";
	s.network = "br0";
	xml = virt_domain_xml(&s);
	check_golden("virt_remote.xml", xml);
	free(xml);
}

/* vnc = "socket" (issue 17, item 7): vmm's socket path locally, libvirt's own remotely; no port */
static void test_vnc_socket(void **state)
{
	struct vmm_profile p;
	struct virt_domain_spec s = { 0 };
	char *xml;

	(void)state;
	tutorial(&p);
	p.vnc_display = VMM_VNC_SOCKET;
	s.p = &p;
	s.type = "kvm";
	s.disk = "/var/lib/vmm/images/ubuntu.qcow2";
	s.vnc_socket = "/run/vmm/ubuntu/vnc.sock";
	s.vnc_password = "unused";
	xml = virt_domain_xml(&s);
	assert_non_null(strstr(xml, "<graphics type='vnc' socket='/run/vmm/ubuntu/vnc.sock'/>\n"));
	assert_null(strstr(xml, "<graphics type='vnc' port="));
	assert_null(strstr(xml, "passwd="));
	free(xml);
	s.vnc_socket = NULL;
	xml = virt_domain_xml(&s);
	assert_non_null(strstr(xml, "    <graphics type='vnc'>\n      <listen type='socket'/>\n"
				    "    </graphics>\n"));
	assert_null(strstr(xml, "<graphics type='vnc' port="));
	free(xml);
}

static void test_network(void **state)
{
	struct vmm_netcfg n;
	char *xml;

	(void)state;
	netcfg_defaults(&n);
	xml = virt_network_xml(&n);
	check_golden("virt_network.xml", xml);
	free(xml);
	netcfg_free(&n);
}

static void host_is(const char *uri, const char *want)
{
	char buf[64];

	if (virt_host_of(uri, buf, sizeof buf) != 0)
		fail_msg("%s: %s", uri, vmm_errmsg());
	assert_string_equal(buf, want);
	assert_int_equal(virt_uri_is_remote(uri), strcmp(want, "local") != 0);
}

static void test_hosts(void **state)
{
	char small[4];

	(void)state;
	host_is("qemu:///system", "local");
	host_is("qemu:///session", "local");
	host_is("qemu+unix:///system?socket=/tmp/x/libvirt-sock", "local");
	host_is("qemu:///embed?root=/tmp/x", "local");
	host_is("qemu+tcp://10.0.0.2/system", "10.0.0.2");
	host_is("qemu+ssh://root@kvm1.example.org:2222/system", "kvm1.example.org");
	host_is("qemu+tls://[fd00::2]:16514/system", "fd00::2");
	host_is("qemu+tcp://10.77.0.2", "10.77.0.2");
	assert_int_equal(virt_host_of("/system", small, sizeof small), -1);
	assert_int_equal(vmm_errcode(), VMM_EINVAL);
	assert_string_equal(vmm_errmsg(), "uri /system: not a libvirt URI (like qemu:///system)");
	assert_int_equal(virt_host_of("qemu+tcp://longhost/system", small, sizeof small), -1);
	assert_int_equal(virt_host_of(NULL, small, sizeof small), -1);
}

static void test_default_uri(void **state)
{
	struct vmm_profile p;

	(void)state;
	tutorial(&p);
	assert_string_equal(virt_uri(&p), "qemu:///system");
	p.network = "user"; /* the user's own libvirt without root, the system's as root */
	assert_string_equal(virt_uri(&p), geteuid() ? "qemu:///session" : "qemu:///system");
	p.uri = "qemu+tcp://10.0.0.2/system";
	assert_string_equal(virt_uri(&p), "qemu+tcp://10.0.0.2/system");
}

/* network = "user": libvirt's passt with the forwards as its port forwards, no tap */
static void test_user_network(void **state)
{
	struct vmm_profile p;
	struct virt_domain_spec s = { 0 };
	struct vmm_forward fw[2] = { { .proto = 6, .host_port = 2222, .guest_port = 22 },
				     { .proto = 17, .host_port = 5353, .guest_port = 53,
				       .addr = 0x0a000005 } };
	char *xml;

	(void)state;
	tutorial(&p);
	p.network = "user";
	p.forwards = fw;
	p.n_forwards = 2;
	s.p = &p;
	s.type = "qemu";
	s.disk = "/home/u/.local/share/vmm/images/ubuntu.qcow2";
	s.seed = "/home/u/.local/share/vmm/images/ubuntu-seed.iso";
	xml = virt_domain_xml(&s);
	check_golden("virt_user_net.xml", xml);
	assert_null(strstr(xml, "vmm-ubuntu"));
	free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_tcg),
		cmocka_unit_test(test_install),
		cmocka_unit_test(test_kernel),
		cmocka_unit_test(test_remote),
		cmocka_unit_test(test_vnc_socket),
		cmocka_unit_test(test_network),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_default_uri),
		cmocka_unit_test(test_user_network),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

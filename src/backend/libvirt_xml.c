// SPDX-License-Identifier: MIT
/* libvirt_xml.c: the libvirt backend's pure part: URIs, the domain XML and the network XML */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "vmm/backend/libvirt_xml.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"
#include "vmm/config/validate.h"

/* ---- URIs ---- */

const char *virt_uri(const struct vmm_profile *p)
{
	if (p->uri && *p->uri)
		return p->uri;
	/* a guest behind its own passt needs no privilege: the user's own libvirt, without root */
	return profile_net_user(p) && geteuid() != 0 ? VIRT_SESSION_URI : VIRT_DEFAULT_URI;
}

/* The authority of a URI ("user@host:port") as [*start, *end); -1 when there is no "://". */
static int uri_authority(const char *uri, const char **start, const char **end)
{
	const char *s = strstr(uri, "://");

	if (!s)
		return -1;
	s += 3;
	*start = s;
	*end = s + strcspn(s, "/?#");
	return 0;
}

bool virt_uri_is_remote(const char *uri)
{
	char host[256];

	return virt_host_of(uri, host, sizeof host) == 0 && strcmp(host, "local") != 0;
}

int virt_host_of(const char *uri, char *buf, size_t len)
{
	const char *a, *e, *at, *h, *he;
	size_t n;

	if (!uri || uri_authority(uri, &a, &e) < 0)
		return vmm_invalid("uri %s: not a libvirt URI (like qemu:///system)", uri ? uri : "");
	at = memchr(a, '@', (size_t)(e - a));
	h = at ? at + 1 : a;
	if (*h == '[') { /* [v6]:port */
		he = memchr(h, ']', (size_t)(e - h));
		if (!he)
			return vmm_invalid("uri %s: unterminated [address]", uri);
		h++;
	} else {
		he = memchr(h, ':', (size_t)(e - h));
		if (!he)
			he = e;
	}
	n = (size_t)(he - h);
	if (n == 0) {
		if (len < sizeof "local")
			return vmm_fail("uri %s: host name buffer too small", uri);
		strcpy(buf, "local");
		return 0;
	}
	if (n >= len)
		return vmm_invalid("uri %s: host name too long", uri);
	memcpy(buf, h, n);
	buf[n] = '\0';
	return 0;
}

/* ---- XML ---- */

static void xml_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* One CD-ROM or disk: a file on the libvirt host or a volume of pool. On q35 (UEFI) a CD-ROM is
 * on SATA: that machine has no IDE. */
static void xml_disk(FILE *f, const char *pool, const char *src, bool cdrom, const char *dev,
		     int boot, bool q35)
{
	fprintf(f, "    <disk type='%s' device='%s'>\n", pool ? "volume" : "file",
		cdrom ? "cdrom" : "disk");
	fprintf(f, "      <driver name='qemu' type='%s'/>\n", cdrom ? "raw" : "qcow2");
	if (pool) {
		fputs("      <source pool='", f);
		xml_esc(f, pool);
		fputs("' volume='", f);
	} else {
		fputs("      <source file='", f);
	}
	xml_esc(f, src);
	fputs("'/>\n", f);
	/* IDE on the default "pc" machine: the CD-ROM is seen by the same ata_piix driver as with
	 * the qemu backend's -cdrom */
	if (cdrom && q35)
		fprintf(f, "      <target dev='sd%c' bus='sata'/>\n", dev[2]);
	else
		fprintf(f, "      <target dev='%s' bus='%s'/>\n", dev, cdrom ? "ide" : "virtio");
	if (cdrom)
		fputs("      <readonly/>\n", f);
	if (boot)
		fprintf(f, "      <boot order='%d'/>\n", boot);
	fputs("    </disk>\n", f);
}

static void xml_elem(FILE *f, const char *indent, const char *tag, const char *text)
{
	fprintf(f, "%s<%s>", indent, tag);
	xml_esc(f, text);
	fprintf(f, "</%s>\n", tag);
}

/* vnc = "socket": vmm's path (local), or one libvirt picks in its own private folder (remote). */
static void xml_vnc_socket(FILE *f, const struct virt_domain_spec *s)
{
	if (!s->vnc_socket) {
		fputs("    <graphics type='vnc'>\n      <listen type='socket'/>\n"
		      "    </graphics>\n", f);
		return;
	}
	fputs("    <graphics type='vnc' socket='", f);
	xml_esc(f, s->vnc_socket);
	fputs("'/>\n", f);
}

/* <os>'s firmware: OVMF on q35 (explicit files, or libvirt's choice for "efi"). */
static void xml_firmware(FILE *f, const struct virt_domain_spec *s)
{
	if (!s->fw_code) {
		fputs("    <type arch='x86_64'>hvm</type>\n", f);
		return;
	}
	fputs("    <type arch='x86_64' machine='q35'>hvm</type>\n", f);
	if (!strcmp(s->fw_code, "efi")) {
		fprintf(f, "    <firmware>\n      <feature enabled='%s' name='secure-boot'/>\n"
			   "    </firmware>\n", s->fw_secure ? "yes" : "no");
		return;
	}
	fprintf(f, "    <loader readonly='yes' secure='%s' type='pflash'>",
		s->fw_secure ? "yes" : "no");
	xml_esc(f, s->fw_code);
	fputs("</loader>\n    <nvram>", f);
	xml_esc(f, s->fw_vars);
	fputs("</nvram>\n", f);
}

/* A stable UUID from the name: libvirt keeps a TPM's state by the domain's UUID, and a transient
 * domain would get a new one at each start. */
static void xml_uuid(FILE *f, const char *name)
{
	uint32_t h[4];
	for (int i = 0; i < 4; i++) {
		char salt[8];
		snprintf(salt, sizeof(salt), "vmm%d", i);
		h[i] = util_hash(util_hash(UTIL_HASH_INIT, salt), name);
	}
	fprintf(f, "  <uuid>%08x-%04x-4%03x-8%03x-%04x%08x</uuid>\n", h[0], h[1] >> 16,
		h[1] & 0xfff, h[2] >> 20, h[2] & 0xffff, h[3]);
}

/* Shared folders (virtiofs through libvirt's own virtiofsd, or 9p) and the TPM. */
static void xml_devices(FILE *f, const struct virt_domain_spec *s)
{
	for (size_t i = 0; i < s->n_shares; i++) {
		const struct vmm_share *sh = &s->shares[i];
		bool vfs = sh->kind == SHARE_VIRTIOFS;
		fprintf(f, "    <filesystem type='mount' accessmode='%s'>\n",
			vfs ? "passthrough" : "mapped");
		if (vfs) {
			fputs("      <driver type='virtiofs'/>\n      <binary path='", f);
			xml_esc(f, share_virtiofsd_path());
			fputs("'/>\n", f);
		}
		fputs("      <source dir='", f);
		xml_esc(f, sh->dir);
		fputs("'/>\n      <target dir='", f);
		xml_esc(f, sh->tag);
		fputs("'/>\n", f);
		if (sh->ro)
			fputs("      <readonly/>\n", f);
		fputs("    </filesystem>\n", f);
	}
	if (s->tpm)
		fputs("    <tpm model='tpm-crb'>\n      <backend type='emulator' version='2.0' "
		      "persistent_state='yes'/>\n    </tpm>\n", f);
}

static bool any_virtiofs(const struct virt_domain_spec *s)
{
	for (size_t i = 0; i < s->n_shares; i++)
		if (s->shares[i].kind == SHARE_VIRTIOFS)
			return true;
	return false;
}

/* network = "user": libvirt runs the guest's passt (libvirt 9.0), the forwards as its port
 * forwards; the <interface> is left open for the MAC and model. */
static void xml_user_net(FILE *f, const struct vmm_profile *p)
{
	fputs("    <interface type='user'>\n      <backend type='passt'/>\n", f);
	for (size_t i = 0; i < p->n_forwards; i++) {
		const struct vmm_forward *x = &p->forwards[i];
		char a[16];
		fprintf(f, "      <portForward proto='%s'", x->proto == IPPROTO_UDP ? "udp" : "tcp");
		if (x->addr) {
			util_format_ipv4(x->addr, a);
			fprintf(f, " address='%s'", a);
		}
		fprintf(f, ">\n        <range start='%u' to='%u'/>\n      </portForward>\n",
			(unsigned)x->host_port, (unsigned)x->guest_port);
	}
}

/* The guest's NIC: user networking (passt), vmm's tap (a local guest) or the libvirt network (a
 * remote one). */
static void xml_interface(FILE *f, const struct virt_domain_spec *s)
{
	if (profile_net_user(s->p)) {
		xml_user_net(f, s->p);
	} else if (s->network) {
		fputs("    <interface type='network'>\n      <source network='", f);
		xml_esc(f, s->network);
		fputs("'/>\n", f);
	} else {
		fputs("    <interface type='ethernet'>\n      <target dev='", f);
		xml_esc(f, s->p->tap);
		fputs("' managed='no'/>\n", f);
	}
	fputs("      <mac address='", f);
	xml_esc(f, s->p->mac);
	fputs("'/>\n      <model type='virtio'/>\n    </interface>\n", f);
}

char *virt_domain_xml(const struct virt_domain_spec *s)
{
	const struct vmm_profile *p = s->p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	fprintf(f, "<domain type='%s'>\n", s->type);
	xml_elem(f, "  ", "name", p->name);
	if (s->tpm)
		xml_uuid(f, p->name);
	fprintf(f, "  <memory unit='MiB'>%u</memory>\n", p->memory);
	if (any_virtiofs(s)) /* virtiofsd maps the guest's memory */
		fputs("  <memoryBacking>\n    <source type='memfd'/>\n    <access mode='shared'/>\n"
		      "  </memoryBacking>\n", f);
	fprintf(f, "  <vcpu>%u</vcpu>\n", p->cpus);
	fprintf(f, "  <os%s>\n", s->fw_code && !strcmp(s->fw_code, "efi") ? " firmware='efi'" : "");
	xml_firmware(f, s);
	if (s->iso) {
		/* per-device boot order below: the install ISO, then the disk. Each start builds a
		 * fresh transient domain, so the ISO comes first only for this --install start */
	} else if (s->kernel) {
		xml_elem(f, "    ", "kernel", s->kernel);
		if (s->initrd)
			xml_elem(f, "    ", "initrd", s->initrd);
		if (s->append)
			xml_elem(f, "    ", "cmdline", s->append);
	} else {
		fputs("    <boot dev='hd'/>\n", f);
	}
	fputs("  </os>\n", f);
	if (!strcmp(s->type, "kvm")) /* like the qemu backend's -cpu host */
		fputs("  <cpu mode='host-passthrough'/>\n", f);
	/* ACPI: virDomainShutdown is an ACPI power button press */
	fprintf(f, "  <features>\n    <acpi/>\n    <apic/>\n%s  </features>\n",
		s->fw_secure ? "    <smm state='on'/>\n" : "");
	fputs("  <on_poweroff>destroy</on_poweroff>\n", f);
	fputs("  <on_reboot>restart</on_reboot>\n", f);
	fputs("  <on_crash>destroy</on_crash>\n", f);
	fputs("  <devices>\n", f);
	bool q35 = s->fw_code != NULL;
	xml_disk(f, s->pool, s->disk, false, "vda", s->iso ? 2 : 0, q35);
	if (s->seed)
		xml_disk(f, s->pool, s->seed, true, "hdc", 0, q35);
	if (s->iso)
		xml_disk(f, s->pool, s->iso, true, "hdd", 1, q35);
	xml_interface(f, s);
	fputs("    <serial type='pty'>\n      <target port='0'/>\n    </serial>\n", f);
	fputs("    <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>\n", f);
	if (p->vnc_display == VMM_VNC_NONE) {
		/* headless: no graphics, so no video card either */
		fputs("    <video>\n      <model type='none'/>\n    </video>\n", f);
	} else if (!profile_vnc_tcp(p)) {
		xml_vnc_socket(f, s);
	} else {
		fprintf(f, "    <graphics type='vnc' port='%d' autoport='no' listen='",
			profile_vnc_port(p));
		xml_esc(f, profile_vnc_listen(p));
		fputc('\'', f);
		if (s->vnc_password) {
			fputs(" passwd='", f);
			xml_esc(f, s->vnc_password);
			fputc('\'', f);
		}
		fputs("/>\n", f);
	}
	xml_devices(f, s);
	/* entropy from the host from the first boot on (as the QEMU backend's virtio-rng-pci) */
	fputs("    <rng model='virtio'>\n      <backend model='random'>/dev/urandom</backend>\n"
	      "    </rng>\n",
	      f);
	fputs("  </devices>\n", f);
	fputs("</domain>\n", f);
	if (fclose(f) != 0)
		abort();
	return buf;
}

char *virt_network_xml(const struct vmm_netcfg *n)
{
	char addr[16], mask[16];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	util_format_ipv4(n->addr, addr);
	util_format_ipv4(util_prefix_mask(n->prefix), mask);
	fputs("<network>\n", f);
	xml_elem(f, "  ", "name", n->bridge);
	fputs("  <forward mode='nat'/>\n  <bridge name='", f);
	xml_esc(f, n->bridge);
	fputs("' stp='off'/>\n", f);
	fprintf(f, "  <ip address='%s' netmask='%s'/>\n", addr, mask);
	fputs("</network>\n", f);
	if (fclose(f) != 0)
		abort();
	return buf;
}

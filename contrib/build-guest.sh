#!/bin/sh
# SPDX-License-Identifier: MIT
# build-guest.sh OUTDIR: vmm's tiny test guest from installed Debian packages only
# (linux-image-amd64, busybox-static, kmod, grub-pc-bin + xorriso for the ISO):
#   OUTDIR/vmm-guest.kernel  the kernel for direct boot: the uncompressed ELF vmlinux (QEMU boots it
#                            through its PVH note, faster under TCG than the bzImage); the bzImage
#                            when it cannot be extracted or has no PVH note (VMM_GUEST_KERNEL=bzimage
#                            forces it)
#   OUTDIR/vmm-guest.initrd  gzip'd cpio (newc): busybox, the drivers from modules.dep, /init
#   OUTDIR/vmm-guest.iso     a BIOS-bootable ISO (GRUB) of the same guest, for `vmm start --install`
# Nothing is rebuilt when the outputs are newer than every input. KVER= picks a kernel version.
set -eu
out=${1:?usage: build-guest.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
guest=$here/guest
kver=${KVER:-$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1)}
vmlinuz=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
busybox=/bin/busybox
want=${VMM_GUEST_KERNEL:-vmlinux}
MODULES="virtio_pci virtio_net virtio_blk ata_piix ahci sr_mod sd_mod isofs nls_utf8 button evdev"
# loaded after the guest is ready: a console on QEMU's std or cirrus VGA (DRM + fbcon) for the VNC
# preview; a kernel booted through PVH gets no VGA text console from the boot loader
MODULES_LATE="bochs cirrus"

die() { echo "build-guest: $*" >&2; exit 1; }
[ -n "$kver" ] && [ -r "$vmlinuz" ] || die "no readable /boot/vmlinuz-* (install linux-image-amd64)"
[ -r "$moddir/modules.dep" ] || die "$moddir/modules.dep missing (install linux-image-$kver)"
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || die "$busybox is not static (install busybox-static)"
for t in cpio gzip xz; do command -v $t >/dev/null || die "$t not found"; done

mkdir -p "$out"
K=$out/vmm-guest.kernel I=$out/vmm-guest.initrd ISO=$out/vmm-guest.iso
stamp=$out/.vmm-guest.stamp
inputs="$0 $vmlinuz $moddir/modules.dep $busybox $(find "$guest" -type f)"
uptodate=1
for o in "$K" "$I" "$ISO" "$stamp"; do [ -s "$o" ] || { [ "$o" = "$stamp" ] && [ -e "$o" ]; } || uptodate=0; done
if [ $uptodate = 1 ] && [ "$(cat "$stamp")" = "$kver $want" ]; then
	for i in $inputs; do
		for o in "$K" "$I" "$ISO"; do [ "$i" -nt "$o" ] && uptodate=0; done
	done
	if [ $uptodate = 1 ]; then echo "build-guest: $out/vmm-guest.* up to date ($kver)"; exit 0; fi
fi

work=$(mktemp -d "$out/.vmm-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# ---- kernel: the ELF inside the bzImage (like the kernel's scripts/extract-vmlinux) ----
kernel=$vmlinuz
if [ "$want" = vmlinux ]; then
	# xz magic FD 37 7A 58 5A 00; other compressors: gzip 1F 8B 08, zstd 28 B5 2F FD
	for c in "xz -dc:$(printf '\3757zXZ\000')" "zstd -dc:$(printf '\050\265\057\375')" "gzip -dc:$(printf '\037\213\010')"; do
		tool=${c%%:*} magic=${c#*:}
		command -v ${tool%% *} >/dev/null || continue
		for off in $(LC_ALL=C grep -abo "$magic" "$vmlinuz" 2>/dev/null | cut -d: -f1 | head -n 3); do
			tail -c +$((off + 1)) "$vmlinuz" | $tool >"$work/vmlinux" 2>/dev/null || true
			if [ "$(head -c 4 "$work/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ]; then
				break 2
			fi
		done
	done
	# QEMU boots an ELF kernel only through the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY = 18)
	if [ -s "$work/vmlinux" ] && readelf -n "$work/vmlinux" 2>/dev/null | grep -q 'Xen.*0x00000012'; then
		kernel=$work/vmlinux
	else
		echo "build-guest: no ELF kernel with a PVH note in $vmlinuz, using the bzImage" >&2
	fi
fi

# ---- initramfs ----
root=$work/root
mkdir -p "$root/bin" "$root/etc" "$root/lib/modules" "$root/proc" "$root/sys" "$root/dev" \
	"$root/mnt" "$root/root" "$root/tmp"
ln -s bin "$root/sbin"
cp "$busybox" "$root/bin/busybox"
for a in $("$busybox" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
cp "$guest/init" "$root/init"
cp "$guest/inittab" "$guest/yaml2kv.awk" "$guest/lib.sh" "$guest/rc.net" "$guest/udhcpc.script" \
	"$root/etc/"
cp -r "$guest/acpi" "$root/etc/acpi"
chmod 0755 "$root/init" "$root/etc/rc.net" "$root/etc/udhcpc.script" "$root"/etc/acpi/*/*
echo 'root::0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"

# modules: each one after its dependencies, resolved through modules.dep
order=$work/modules.order
: >"$order"
resolve() { # relative path of a module
	grep -qxF "$1" "$order" && return 0
	local_deps=$(sed -n "s|^$1: *||p" "$moddir/modules.dep")
	for d in $local_deps; do resolve "$d"; done
	echo "$1" >>"$order"
}
ncore=
for m in $MODULES - $MODULES_LATE; do
	if [ "$m" = - ]; then ncore=$(wc -l <"$order"); continue; fi
	rel=$(grep -E "/$m\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | head -n 1 | cut -d: -f1)
	if [ -z "$rel" ]; then
		grep -qE "/$m\.ko" "$moddir/modules.builtin" 2>/dev/null && continue
		die "module $m not found in $moddir/modules.dep"
	fi
	resolve "$rel"
done
n=0
while read -r rel; do
	n=$((n + 1))
	plain=${rel%.xz}; plain=${plain%.zst}; plain=${plain%.gz}
	mkdir -p "$root/lib/modules/$(dirname "$plain")"
	case $rel in
	*.xz) xz -dc "$moddir/$rel" >"$root/lib/modules/$plain" ;;
	*.zst) zstd -qdc "$moddir/$rel" >"$root/lib/modules/$plain" ;;
	*.gz) gzip -dc "$moddir/$rel" >"$root/lib/modules/$plain" ;;
	*) cp "$moddir/$rel" "$root/lib/modules/$plain" ;;
	esac
	if [ "$n" -le "$ncore" ]; then
		echo "$plain" >>"$root/etc/vmm-modules"
	else
		echo "$plain" >>"$root/etc/vmm-modules-late"
	fi
done <"$order"

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$work/initrd"

# ---- bootable ISO (BIOS, GRUB): the bzImage (GRUB's linux command) and the same initramfs ----
if command -v grub-mkrescue >/dev/null && [ -d /usr/lib/grub/i386-pc ] && command -v xorriso >/dev/null; then
	iso=$work/iso
	mkdir -p "$iso/boot/grub"
	cp "$vmlinuz" "$iso/boot/vmlinuz"
	cp "$work/initrd" "$iso/boot/initrd.gz"
	cat >"$iso/boot/grub/grub.cfg" <<'CFG'
set timeout=0
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
menuentry "vmm test guest" {
	linux /boot/vmlinuz console=ttyS0 console=tty0
	initrd /boot/initrd.gz
}
CFG
	grub-mkrescue -o "$work/iso.img" "$iso" -- -volid VMM_GUEST >"$work/iso.log" 2>&1 ||
		die "grub-mkrescue failed: $(tail -n 3 "$work/iso.log")"
else
	die "grub-mkrescue (grub-common, grub-pc-bin) or xorriso missing"
fi

cp "$kernel" "$work/kernel"
mv -f "$work/kernel" "$K"
mv -f "$work/initrd" "$I"
mv -f "$work/iso.img" "$ISO"
echo "$kver $want" >"$stamp"
echo "build-guest: $K ($( [ "$kernel" = "$vmlinuz" ] && echo bzImage || echo vmlinux, PVH)), $I, $ISO ($kver, $(cat "$root"/etc/vmm-modules* | wc -l) modules)"

#!/bin/sh
# SPDX-License-Identifier: MIT
# build-debian-guest.sh [OUTDIR]: a real Debian 12 guest, packed like a cloud image, for the image
# and ssh tests. debootstrap (from the apt mirror this machine uses) with Debian's own
# linux-image-amd64, cloud-init, openssh-server and ifupdown (cloud-init 22.4 then renders ENI),
# no baked-in SSH host keys, machine-id or host name. Outputs in OUTDIR (default
# /var/cache/vmm-test/debian12), rebuilt only when this script changes:
#   debian-12-vmm.qcow2   the root file system (ext4 on the whole disk, label "root"), compressed
#   debian-12-vmm.vmlinuz, debian-12-vmm.initrd   for direct kernel boot:
#                         root=/dev/vda rw console=ttyS0
# Needs root (debootstrap, chroot). MIRROR= overrides the mirror read from /etc/apt/sources.list*.
set -eu
out=${1:-/var/cache/vmm-test/debian12}
suite=bookworm
name=debian-12-vmm
die() { echo "build-debian-guest: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap)"
for t in debootstrap mkfs.ext4 qemu-img sha256sum; do
	command -v $t >/dev/null || die "$t not found (contrib/deps.sh --goal=check installs it)"
done

# the script's own digest decides whether the outputs are current
sum=$(sha256sum "$0" | cut -d' ' -f1)
if [ -s "$out/$name.qcow2" ] && [ -s "$out/$name.vmlinuz" ] && [ -s "$out/$name.initrd" ] &&
	[ "$(cat "$out/.stamp" 2>/dev/null)" = "$sum" ]; then
	echo "build-debian-guest: $out up to date"
	exit 0
fi

# the mirror apt uses here (deb822 "URIs:" or one-line "deb URL bookworm")
if [ -z "${MIRROR:-}" ]; then
	MIRROR=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
		awk '/^URIs:/ && $2 ~ /\/debian\/?$/ { print $2; exit }
		     /^deb / && $3 == "'$suite'" { print $2; exit }')
fi
MIRROR=${MIRROR:-http://deb.debian.org/debian}

mkdir -p "$out" "$out/../debs"
cache=$(cd "$out/../debs" && pwd)
work=$(mktemp -d "$out/.build.XXXXXX")
root=$work/root
cleanup() {
	for m in var/cache/apt/archives dev/pts dev proc sys; do umount "$root/$m" 2>/dev/null || true; done
	# never remove through a mount that is still there (the host's /dev, the deb cache)
	if grep -q " $work/" /proc/mounts; then
		echo "build-debian-guest: mounts left under $work; not removing it" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT INT TERM
start=$(date +%s)

echo "build-debian-guest: debootstrap $suite from $MIRROR" >&2
debootstrap --variant=minbase --cache-dir="$cache" --include=systemd-sysv,udev \
	"$suite" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
	{ tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"

# a small initramfs: the disk is virtio-blk with ext4 on it, nothing else is needed to mount root
mkdir -p "$root/etc/initramfs-tools/conf.d"
echo 'MODULES=list' >"$root/etc/initramfs-tools/conf.d/vmm.conf"
printf '%s\n' virtio_pci virtio_blk ext4 crc32c_generic >>"$root/etc/initramfs-tools/modules"
# no documentation, manuals or translations in the image
cat >"$root/etc/dpkg/dpkg.cfg.d/vmm-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/info/*
EOF
# the rest through apt's own resolver, with the debs cached beside the outputs
echo "build-debian-guest: installing the kernel, cloud-init, openssh-server, ifupdown" >&2
mkdir -p "$root/var/cache/apt/archives"
mount --bind "$cache" "$root/var/cache/apt/archives"
chroot "$root" apt-get update -q >"$work/apt.log" 2>&1 &&
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	linux-image-amd64 cloud-init openssh-server ifupdown iproute2 iputils-ping netbase dbus \
	kmod sudo procps e2fsprogs less >>"$work/apt.log" 2>&1 ||
	{ tail -20 "$work/apt.log" >&2; die "apt-get install failed"; }
umount "$root/var/cache/apt/archives"

cat >"$root/etc/fstab" <<'EOF'
LABEL=root / ext4 defaults,errors=remount-ro 0 1
EOF
cat >"$root/etc/network/interfaces" <<'EOF'
# interfaces(5); cloud-init writes the guest's NIC into interfaces.d
auto lo
iface lo inet loopback
source /etc/network/interfaces.d/*
EOF
mkdir -p "$root/etc/network/interfaces.d"
# only the NoCloud seed (vmm's cidata ISO); nothing probes metadata servers on the network
cat >"$root/etc/cloud/cloud.cfg.d/90-vmm-test.cfg" <<'EOF'
datasource_list: [ NoCloud, None ]
EOF
# what a cloud image does not carry: host keys, identity, the build host's settings
rm -f "$root"/etc/ssh/ssh_host_* "$root/etc/hostname" "$root/etc/resolv.conf"
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
passwd -R "$root" -l root >/dev/null 2>&1 || chroot "$root" passwd -l root >/dev/null

kver=$(ls "$root/boot" | sed -n 's/^vmlinuz-//p' | sort -V | tail -n 1)
[ -n "$kver" ] || die "no kernel in the chroot"
cp "$root/boot/vmlinuz-$kver" "$work/$name.vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/$name.initrd"
for m in dev/pts dev proc sys; do umount "$root/$m"; done

# the root file system straight from the tree (no loop device), then a compressed qcow2
used=$(du -sm "$root" | cut -f1)
mkfs.ext4 -q -L root -d "$root" "$work/root.img" "$((used + used / 2 + 256))M" ||
	die "mkfs.ext4 failed"
qemu-img convert -c -O qcow2 "$work/root.img" "$work/$name.qcow2" || die "qemu-img convert failed"
rm -f "$work/root.img"
echo "$sum" >"$work/.stamp"
for f in "$name.qcow2" "$name.vmlinuz" "$name.initrd" .stamp; do mv -f "$work/$f" "$out/$f"; done
echo "build-debian-guest: $out/$name.qcow2 ($(du -h "$out/$name.qcow2" | cut -f1), kernel $kver) in $(($(date +%s) - start)) s" >&2

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/deps.sh [--if-missing]: install the Debian packages vmm needs to build, run, test, demo
# and benchmark. Installs only what is missing; does nothing (quickly) when all is there.
set -eu
PKGS=(
	# build
	build-essential pkg-config clang libclang-rt-14-dev
	libconfig-dev libnl-3-dev libnl-route-3-dev libip4tc-dev libnftables-dev libvncserver-dev libvirt-dev
	libjson-c-dev libisofs-dev libpng-dev libcmocka-dev libacl1-dev libcurl4-openssl-dev libssl-dev
	# run
	qemu-utils qemu-system-x86 iproute2 iptables passwd
	# test guest, seed validation, tests and demo
	linux-image-amd64 busybox-static cpio kmod grub-pc-bin grub-common xorriso mtools
	cloud-init dnsmasq-base nftables iputils-ping procps psmisc tmux libxml2-utils
	file binutils xz-utils jq openssh-client openssh-server python3 util-linux acl systemd
	# firewall coexistence tests: a real dockerd and ufw in namespaces, TCP/UDP probes
	docker.io ufw socat
	debootstrap e2fsprogs
	# benchmarks and the libvirt backend
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system libvirt-clients
	bridge-utils uml-utilities genisoimage cloud-image-utils hyperfine gvncviewer strace
)
missing=()
for p in "${PKGS[@]}"; do
	case "$p" in \#*) continue;; esac
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "vmm: installing missing packages: ${missing[*]}" >&2
if [ "$(id -u)" != 0 ]; then
	echo "vmm: deps: need root to install packages (run: sudo $0)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls /var/lib/apt/lists 2>/dev/null | grep -v lock)" ] || [ "${1:-}" != --if-missing ]; then
	apt-get update -qq >&2
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || {
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

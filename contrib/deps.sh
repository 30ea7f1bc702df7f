#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/deps.sh: install the Debian packages a goal needs, and leave the host running as it was.
#
#   contrib/deps.sh [--if-missing] [--list] [--goal=GOAL]... [GROUP]...
#
# Packages come in groups (PKGS below); a make goal installs only its groups (GOALS below); with
# neither a goal nor a group, --goal=deps. Only missing packages are installed (as root);
# --if-missing refreshes apt's lists only when there are none. --list prints the packages, one a
# line, and installs nothing.
#
# No installation starts or enables a service. While apt-get runs, /usr/sbin/policy-rc.d is a
# temporary one that answers 101 ("forbidden") to every request, as in Debian's container images,
# so the maintainer scripts start nothing (invoke-rc.d and deb-systemd-invoke ask it first); a
# policy-rc.d the host had is kept aside by a hard link and renamed back: the same file. Then every
# link the installation added to enable a unit or an init script is undone, as `systemctl disable`
# and `update-rc.d NAME disable` do (removed from /etc/systemd, S turned into K in /etc/rc?.d;
# package upgrades respect both), and one line names the services left stopped.
set -eu

ORDER="build run demo test libvirt bench"
declare -A PKGS=(
	# compile vmm: the -dev package of each pkg-config module in the Makefile (DEB_*)
	[build]="build-essential pkg-config libconfig-dev libacl1-dev libnl-3-dev libnl-route-3-dev
		libip4tc-dev libip6tc-dev libnftables-dev libvncserver-dev libjson-c-dev libisofs-dev libpng-dev
		libcurl4-openssl-dev libssl-dev libvirt-dev"
	# what vmm runs: QEMU, qemu-img, ip, the firewall tools it reads, ping (--wait=ping), ssh
	# and ssh-keygen, useradd (its QEMU user), dnsmasq, passt (rootless guests), OVMF (UEFI),
	# swtpm (TPM)
	[run]="qemu-system-x86 qemu-utils iproute2 iptables nftables iputils-ping openssh-client
		passwd dnsmasq-base passt ovmf swtpm swtpm-tools"
	# the tiny guest the demo and the tests boot (contrib/build-guest.sh) and its ISO
	[demo]="linux-image-amd64 busybox-static kmod cpio xz-utils file binutils grub-pc-bin
		grub-common xorriso mtools"
	# the tests: cmocka, the sanitizer and fuzz builds, seed checks, the tools the scripts use,
	# the daemons they run inside their own namespaces (dockerd, sshd, ufw), the Debian guest
	[test]="libcmocka-dev clang libclang-rt-14-dev cloud-init genisoimage procps psmisc
		util-linux acl tmux libxml2-utils jq python3 systemd socat curl openssh-server docker.io
		ufw debootstrap e2fsprogs"
	# the libvirt backend: libvirtd with its QEMU driver, virsh
	[libvirt]="libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system libvirt-clients"
	# make bench: the tutorial's brctl and tunctl, cloud-localds and genisoimage, a VNC client,
	# hyperfine, strace, the Debian guest of bench/ssh.sh
	[bench]="bridge-utils uml-utilities cloud-image-utils genisoimage gvncviewer hyperfine
		strace debootstrap e2fsprogs"
)
declare -A GOALS=(
	[deps]="build run"
	[guest]="demo"
	[demo]="build run demo"
	[check]="build run demo test libvirt"
	[bench]="build run demo bench libvirt"
)

POLICY=/usr/sbin/policy-rc.d
SAVED=$POLICY.vmm-saved
MARK="vmm-deps: temporary"

die() { echo "vmm: deps: $1" >&2; exit "${2:-1}"; }
usage() { die "usage: contrib/deps.sh [--if-missing] [--list] [--goal=GOAL]... [GROUP]..." 2; }
exists() { [ -e "$1" ] || [ -L "$1" ]; }
ours() { [ -f "$1" ] && [ ! -L "$1" ] && grep -q "$MARK" "$1" 2>/dev/null; }
same_file() { [ "$(stat -c %d:%i -- "$1" 2>/dev/null)" = "$(stat -c %d:%i -- "$2" 2>/dev/null)" ]; }

# ---- which packages ----
if_missing= list= want=()
for a in "$@"; do
	case $a in
	--if-missing) if_missing=1 ;;
	--list) list=1 ;;
	--goal=*)
		g=${a#--goal=}
		[ -n "$g" ] && [ -n "${GOALS[$g]+x}" ] ||
			die "goal $g: unknown (goals: ${!GOALS[*]})" 2
		want+=(${GOALS[$g]}) ;;
	-*) usage ;;
	*) [ -n "$a" ] && [ -n "${PKGS[$a]+x}" ] || die "group $a: unknown (groups: $ORDER)" 2
		want+=("$a") ;;
	esac
done
[ ${#want[@]} -gt 0 ] || want=(${GOALS[deps]})
pkgs=()
for g in $ORDER; do
	case " ${want[*]} " in *" $g "*) ;; *) continue ;; esac
	for p in ${PKGS[$g]}; do
		case " ${pkgs[*]} " in *" $p "*) ;; *) pkgs+=("$p") ;; esac
	done
done
if [ -n "$list" ]; then
	printf '%s\n' "${pkgs[@]}"
	exit 0
fi

status=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${pkgs[@]}" 2>/dev/null || true)
status=$'\n'$status$'\n'
missing=()
for p in "${pkgs[@]}"; do
	case $status in *$'\n'"$p installed"$'\n'*) ;; *) missing+=("$p") ;; esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "vmm: installing missing packages: ${missing[*]}" >&2
[ "$(id -u)" = 0 ] || die "need root to install packages (run: sudo $0 ${*})"

# ---- no service started: a policy-rc.d that refuses, only while apt-get runs ----
policy_install() { # LOG: ours in place (it notes each start it refuses in LOG), the host's kept
	rm -f "$POLICY.vmm-new"
	cat >"$POLICY.vmm-new" <<-EOF
	#!/bin/sh
	# $MARK (contrib/deps.sh): refuses every service action while packages install; the
	# host's own policy-rc.d, if any, waits as $SAVED and comes back afterwards
	while [ \$# -gt 0 ]; do case \$1 in --*) shift ;; *) break ;; esac; done
	case \${2:-} in *start*|*reload*) { echo "\$1" >>'$1'; } 2>/dev/null ;; esac
	exit 101
	EOF
	chmod 0755 "$POLICY.vmm-new"
	if exists "$POLICY"; then ln -P "$POLICY" "$SAVED"; fi
	mv -f "$POLICY.vmm-new" "$POLICY"
}

# Puts the host's policy-rc.d back (or removes ours), also after a run that was killed.
policy_restore() {
	rm -f "$POLICY.vmm-new"
	if exists "$SAVED"; then
		if same_file "$SAVED" "$POLICY"; then # killed before ours went in
			rm -f "$SAVED"
			return 0
		fi
		if exists "$POLICY" && ! ours "$POLICY"; then
			echo "vmm: deps: $POLICY and $SAVED both exist: keep the right one as" \
				"$POLICY, remove the other" >&2
			return 1
		fi
		mv -f "$SAVED" "$POLICY"
	elif ours "$POLICY"; then
		rm -f "$POLICY"
	fi
}

# ---- no service enabled: the links an installation adds, undone ----
links() {
	find /etc/systemd/system /etc/systemd/user /etc/rc[0-6S].d -type l 2>/dev/null |
		LC_ALL=C sort
}

# BEFORE: undo each link that is not in the list BEFORE: a unit's (a mask, to /dev/null, stays),
# an init script's S link becomes a K link. Prints the names of what it disabled.
links_revert() {
	local l name
	while read -r l; do
		[ -n "$l" ] || continue
		case $l in
		/etc/rc?.d/S[0-9][0-9]?*)
			name=${l##*/S}
			mv -f "$l" "${l%/*}/K$name" && echo "${name#[0-9][0-9]}" ;;
		/etc/rc?.d/*) ;;
		*)
			[ "$(readlink "$l")" = /dev/null ] && continue
			rm -f "$l" || continue
			case ${l%/*} in *.wants | *.requires | *.upholds) echo "${l##*/}" ;; esac ;;
		esac
	done < <(LC_ALL=C comm -13 "$1" <(links))
}

apt_install() {
	export DEBIAN_FRONTEND=noninteractive
	# needrestart (Ubuntu's apt hook) would restart running services: not now
	export NEEDRESTART_SUSPEND=1
	local lists
	lists=$(ls /var/lib/apt/lists 2>/dev/null | grep -v lock || true)
	[ -n "$if_missing" ] && [ -n "$lists" ] || apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends "$@" >&2 || {
		apt-get update -qq >&2
		apt-get install -y -qq --no-install-recommends "$@" >&2
	}
}

work=
finish() {
	local rc=$? off
	trap - EXIT
	set +e
	off=$(links_revert "$work/links")
	[ -n "$off" ] && [ -d /run/systemd/system ] && systemctl daemon-reload
	policy_restore || rc=1
	off=$({ cat "$work/refused" 2>/dev/null; echo "$off"; } |
		sed -e 's/\.service$//' -e '/^$/d' | LC_ALL=C sort -u | tr '\n' ' ')
	[ -z "$off" ] || echo "vmm: deps: installed, left stopped and not enabled: ${off% }" >&2
	rm -rf "$work"
	exit $rc
}

# one installer at a time swaps policy-rc.d: a lock on its folder
exec 9</usr/sbin
flock 9
policy_restore || exit 1
work=$(mktemp -d /tmp/vmm-deps.XXXXXX)
links >"$work/links"
trap finish EXIT
trap 'exit 130' INT TERM HUP
policy_install "$work/refused"
apt_install "${missing[@]}"

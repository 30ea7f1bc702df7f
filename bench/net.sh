#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/net.sh [VMM] [CYCLES]: host network up+down, median of CYCLES (>= 10) cycles, each in its
# own network namespace: vmm (in-process), the tutorial's shell procedure, and libvirt's
# net-start/net-destroy of an equivalent NAT network, and the kernel floor (one `ip -batch` for the
# links, one `nft -f` for the rules) (libvirtd started here, inside a namespace
# and a private mount namespace). Prints the ratios; then `vmm net up` with 64 defined guests.
# Needs root; never touches the default namespace.
set -u
here=$(cd "$(dirname "$0")" && pwd)
VMM=$(realpath "${1:-$here/../build/vmm}")
CYCLES=${2:-10}
[ "$CYCLES" -ge 10 ] || { echo "bench/net.sh: at least 10 cycles" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench/net.sh: needs root (network namespaces)" >&2; exit 77; }
[ -x "$VMM" ] || { echo "bench/net.sh: no vmm at $VMM" >&2; exit 2; }
export VMM

W=$(mktemp -d /tmp/vmm-bench-net.XXXXXX)
NS_LIST=() PIDS=()
cleanup() {
	local p n
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for n in "${NS_LIST[@]}"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# new_ns NAME: a namespace with lo up and the tutorial's uplink (a veth); prints its name. It runs
# in a $(...) subshell, so the caller records it: ns=$(new_ns x) && NS_LIST+=("$ns").
new_ns() {
	local n="vmmbench-$1-$$-$RANDOM"
	ip netns add "$n" && ip -n "$n" link set lo up &&
		ip -n "$n" link add uplink type veth peer name lan0 &&
		ip -n "$n" addr add 192.168.1.184/24 dev uplink && ip -n "$n" link set uplink up &&
		ip -n "$n" route add default via 192.168.1.191 && echo "$n"
}
del_ns() { ip netns del "$1"; }

median() { # column N (default 1) of stdin
	awk -v c="${1:-1}" '{ print $c }' | sort -n |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
ms() { awk -v u="$1" 'BEGIN { printf "%7.1f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%5.1fx", a / b }'; }

home_with_guests() { # DIR COUNT
	local d=$1 i
	mkdir -p "$d"
	for i in $(seq 1 "$2"); do
		local name=g$i
		[ "$2" = 2 ] && { [ $i = 1 ] && name=ubuntu || name=ubuntu2; }
		VMM_HOME="$d" "$VMM" create "$name" --size 1G >/dev/null 2>"$W/err" ||
			{ echo "bench/net.sh: vmm create $name: $(cat "$W/err")" >&2; exit 1; }
	done
}

run_cycles() { # KIND HOME: prints one figure (µs) per cycle
	local kind=$1 home=$2 i ns
	for i in $(seq 1 "$CYCLES"); do
		ns=$(new_ns "$kind") || { echo "bench/net.sh: namespace" >&2; exit 1; }
		NS_LIST+=("$ns")
		rm -rf "$home/run"
		VMM_HOME="$home" ip netns exec "$ns" bash "$here/net-cycle.sh" "$kind" ||
			{ echo "bench/net.sh: $kind cycle $i failed" >&2; exit 1; }
		del_ns "$ns"
	done
}

echo "host network up+down: median of $CYCLES cycles, each in a fresh network namespace, 2 guests"
echo "                                                 up+down        up      down  (ms)"
home_with_guests "$W/home2" 2
run_cycles vmm "$W/home2" >"$W/vmm.txt" || exit 1
vmm_us=$(median 1 <"$W/vmm.txt")
ns=$(new_ns probe) || exit 1
NS_LIST+=("$ns")
backend=$(VMM_HOME="$W/home2" ip netns exec "$ns" "$VMM" net status 2>/dev/null |
	sed -n 's/^firewall: \([a-z-]*\) (.*/\1/p')
del_ns "$ns"
printf '  %-45s %s %s %s\n' "vmm net up + net down (in-process, ${backend:-?})" "$(ms "$vmm_us")" \
	"$(ms "$(median 2 <"$W/vmm.txt")")" "$(ms "$(median 3 <"$W/vmm.txt")")"
if command -v nft >/dev/null; then
	run_cycles floor "$W/home2" >"$W/floor.txt" || exit 1
	fl_us=$(median 1 <"$W/floor.txt")
	printf '  %-45s %s %s %s   vmm up+down %s of it, up %s, down %s\n' \
		"kernel floor (ip -batch + nft -f, 3 processes)" \
		"$(ms "$fl_us")" "$(ms "$(median 2 <"$W/floor.txt")")" "$(ms "$(median 3 <"$W/floor.txt")")" \
		"$(ratio "$vmm_us" "$fl_us")" "$(ratio "$(median 2 <"$W/vmm.txt")" "$(median 2 <"$W/floor.txt")")" \
		"$(ratio "$(median 3 <"$W/vmm.txt")" "$(median 3 <"$W/floor.txt")")"
fi

tut_us=
if command -v brctl >/dev/null && command -v tunctl >/dev/null; then
	run_cycles tutorial "$W/home2" >"$W/tut.txt" || exit 1
	tut_us=$(median 1 <"$W/tut.txt")
	printf '  %-45s %s %s %s   up+down %s vmm, up %s, down %s\n' \
		"tutorial shell procedure ($(iptables -V | awk '{print $1, $3}'))" \
		"$(ms "$tut_us")" "$(ms "$(median 2 <"$W/tut.txt")")" "$(ms "$(median 3 <"$W/tut.txt")")" \
		"$(ratio "$tut_us" "$vmm_us")" "$(ratio "$(median 2 <"$W/tut.txt")" "$(median 2 <"$W/vmm.txt")")" \
		"$(ratio "$(median 3 <"$W/tut.txt")" "$(median 3 <"$W/vmm.txt")")"
else
	echo "  tutorial shell procedure: skipped (needs brctl from bridge-utils and tunctl from uml-utilities)"
fi

# libvirt: libvirtd in a namespace with private /run/libvirt, /var/lib/libvirt, /etc/libvirt, so
# the host's libvirt (if any) is neither seen nor touched. Started once per cycle (untimed).
lv_us=
libvirt_cycle() { # prints µs for net-start + net-destroy
	local ns=$1 d=$W/lv u t0 t1
	rm -rf "$d"; mkdir -p "$d/run" "$d/varlib" "$d/etc" "$d/cache" "$d/log"
	cp -a /etc/libvirt/. "$d/etc/" && rm -rf "$d/etc/qemu/networks" && mkdir -p "$d/etc/qemu/networks"
	ip netns exec "$ns" unshare -m --propagation private sh -c '
		d=$1
		mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt
		mount --bind "$d/run" /run/libvirt && mount --bind "$d/varlib" /var/lib/libvirt &&
		mount --bind "$d/etc" /etc/libvirt && mount --bind "$d/cache" /var/cache/libvirt &&
		mount --bind "$d/log" /var/log/libvirt || exit 1
		exec libvirtd --pid-file "$d/run/libvirtd.pid"' sh "$d" >"$d/libvirtd.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	for _ in $(seq 100); do [ -S "$d/run/libvirt-sock" ] && break; sleep 0.1; done
	[ -S "$d/run/libvirt-sock" ] || { echo "libvirtd did not start: $(tail -3 "$d/libvirtd.log")" >&2; kill $pid; return 1; }
	u="qemu:///system?socket=$d/run/libvirt-sock"
	cat >"$d/net.xml" <<XML
<network><name>vmmbench</name><forward mode='nat'/><bridge name='br0' stp='off' delay='0'/>
<ip address='192.168.166.1' netmask='255.255.255.0'/></network>
XML
	virsh -q -c "$u" net-define "$d/net.xml" >/dev/null || { kill $pid; return 1; }
	t0=${EPOCHREALTIME/./}
	virsh -q -c "$u" net-start vmmbench >/dev/null && virsh -q -c "$u" net-destroy vmmbench >/dev/null
	local rc=$?
	t1=${EPOCHREALTIME/./}
	kill "$pid"; wait "$pid" 2>/dev/null
	[ $rc = 0 ] || return 1
	echo $((t1 - t0))
}
if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
	echo "  libvirt net-start/net-destroy: skipped (libvirtd/virsh not installed: apt-get install libvirt-daemon-system)"
else
	: >"$W/lv.txt"
	ok=true
	for i in $(seq 1 "$CYCLES"); do
		ns=$(new_ns libvirt) || exit 1
		NS_LIST+=("$ns")
		if ! libvirt_cycle "$ns" >>"$W/lv.txt"; then ok=false; break; fi
		del_ns "$ns"
	done
	if $ok; then
		lv_us=$(median 1 <"$W/lv.txt")
		printf '  %-45s %s %19s up+down %s vmm\n' "libvirt virsh net-start + net-destroy (NAT)" \
			"$(ms "$lv_us")" "" "$(ratio "$lv_us" "$vmm_us")"
	else
		echo "  libvirt net-start/net-destroy: skipped (libvirtd could not run inside a namespace; see above)"
	fi
fi

echo "vmm net up with 64 defined guests (64 taps), median of $CYCLES, each in a fresh namespace"
home_with_guests "$W/home64" 64
run_cycles vmm "$W/home64" >"$W/vmm64.txt" || exit 1
printf '  %-45s %s %s %s\n' "vmm net up + net down, 64 guests" "$(ms "$(median 1 <"$W/vmm64.txt")")" \
	"$(ms "$(median 2 <"$W/vmm64.txt")")" "$(ms "$(median 3 <"$W/vmm64.txt")")"
# The kernel's own share: unregistering a bridge and its ports waits for RCU grace periods, the
# same for every tool; measured with one `ip link del` of a bridge with two taps.
ns=$(new_ns floor) || exit 1
NS_LIST+=("$ns")
floor=$(ip netns exec "$ns" bash -c '
	ip link add br0 type bridge && ip tuntap add t1 mode tap && ip tuntap add t2 mode tap &&
	ip link set t1 master br0 && ip link set t2 master br0 && ip link set br0 up &&
	for l in br0 t1 t2; do ip link set $l group 7; done &&
	t0=${EPOCHREALTIME/./}; ip link del group 7; t1=${EPOCHREALTIME/./}; echo $((t1 - t0))')
del_ns "$ns"
echo "  kernel floor: one batched delete of a bridge + 2 taps (ip link del group): $(ms "$floor") ms"

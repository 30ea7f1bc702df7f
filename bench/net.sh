#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/net.sh [VMM] [CYCLES]: host network up+down (bridge, 2 taps, address, forwarding, NAT),
# CYCLES (>= 10) cycles of each side, interleaved, each cycle in its own fresh network namespace:
#   vmm       `vmm net up` + `vmm net down` (in-process)
#   tutorial  the tutorial's shell procedure (bench/net-tutorial.sh)
#   floor     the least any tool must do: one `ip -batch` + one ruleset load each way, vmm's own
#             rules in the firewall vmm uses here (bench/net-floor.sh)
#   libvirt   virsh net-start + net-destroy of an equivalent NAT network (libvirtd started,
#             untimed, inside the namespace and a private mount namespace)
# Each side's row says what it does: processes run (counted with strace in an untimed probe
# cycle), rules added, and how links are deleted. Then `vmm net up` with 64 defined guests.
# A new side: a bench/net-KIND.sh up|down script, a line in SIDES and its text in DOES.
# Needs root; never touches the default namespace.
set -u
here=$(cd "$(dirname "$0")" && pwd)
VMM=$(realpath "${1:-$here/../build/vmm}")
CYCLES=${2:-10}
. "$here/lib.sh"
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
	# IPv4 forwarding off, whatever the default namespace has (a new one copies its IPv4 settings)
	ip netns add "$n" && ip netns exec "$n" sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward' &&
		ip -n "$n" link set lo up &&
		ip -n "$n" link add uplink type veth peer name lan0 &&
		ip -n "$n" addr add 192.168.1.184/24 dev uplink && ip -n "$n" link set uplink up &&
		ip -n "$n" route add default via 192.168.1.191 && echo "$n"
}
del_ns() { ip netns del "$1"; }
col() { awk -v c="$1" '{ print $c }'; } # column N of stdin
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }

home_with_guests() { # DIR COUNT
	local d=$1 i
	mkdir -p "$d"
	for i in $(seq 1 "$2"); do
		local name=g$i
		[ "$2" = 2 ] && { [ $i = 1 ] && name=ubuntu || name=ubuntu2; }
		VMM_HOME="$d" "$VMM" create "$name" --size 1G >/dev/null 2>"$W/err" ||
			{ echo "bench/net.sh: vmm create $name: $(cat "$W/err")" >&2; exit 1; }
	done
	# the same work as the floor and the tutorial: no DHCP server (bench/net-services.sh times
	# net up with dnsmasq against libvirt's)
	echo 'dhcp = false;' >>"$d/profiles/net.cfg"
}

# ---- the sides ----
home_with_guests "$W/home2" 2
# the firewall vmm picks on this host (nftables, iptables-legacy): the floor loads the same rules
ns=$(new_ns fw) || exit 1
NS_LIST+=("$ns")
FLOOR_FW=$(VMM_HOME="$W/home2" ip netns exec "$ns" "$VMM" net status 2>/dev/null |
	sed -n 's/^firewall: \([a-z-]*\) (.*/\1/p')
del_ns "$ns"
[ "$FLOOR_FW" = nftables ] || [ "$FLOOR_FW" = iptables-legacy ] ||
	{ echo "bench/net.sh: vmm's firewall here: \"$FLOOR_FW\" (not nftables or iptables-legacy)" >&2; exit 1; }
export FLOOR_FW
SIDES=(vmm tutorial floor)
declare -A DOES LABEL
LABEL[vmm]="vmm net up + net down (in-process, $FLOOR_FW)"
if [ "$FLOOR_FW" = nftables ]; then
	rules_how="libnftables for the rules (one transaction each way)" load="nft -f / nft delete table"
else
	rules_how="libiptc for the rules (one commit per table)" load="iptables-legacy-restore --noflush"
fi
DOES[vmm]="netlink for links and address, $rules_how, /proc for forwarding, its journal file rewritten (write, rename) as it goes; links deleted in one batch (their group); dhcp = false (no dnsmasq, as the floor)"
LABEL[floor]="floor: one ip -batch + one ruleset load"
DOES[floor]="the same links, address, forwarding and rules as vmm; ip -batch and $load each way; links deleted in one batch (ip link delete group)"
if command -v brctl >/dev/null && command -v tunctl >/dev/null; then
	LABEL[tutorial]="tutorial shell procedure"
	DOES[tutorial]="one command per step (brctl, tunctl, ip, sysctl, $(iptables -V | awk '{print $1, $2, $3}')); FORWARD policy + 1 MASQUERADE rule, deleted one by one; links deleted one by one (tunctl -d, brctl delbr)"
else
	echo "  (tutorial shell procedure: skipped: needs brctl from bridge-utils and tunctl from uml-utilities)"
	SIDES=(vmm floor)
fi
if [ "$FLOOR_FW" = nftables ]; then need=nft; else need=iptables-legacy-restore; fi
command -v $need >/dev/null || { echo "bench/net.sh: needs $need" >&2; exit 77; }

# libvirt: libvirtd in a namespace with private /run/libvirt, /var/lib/libvirt, /etc/libvirt, so
# the host's libvirt (if any) is neither seen nor touched. Started once per cycle (untimed).
LV_PID=
libvirtd_up() { # NS: starts libvirtd there; sets LV_PID and LV_URI
	local ns=$1 d=$W/lv
	rm -rf "$d"; mkdir -p "$d/run" "$d/varlib" "$d/etc" "$d/cache" "$d/log"
	cp -a /etc/libvirt/. "$d/etc/" && rm -rf "$d/etc/qemu/networks" && mkdir -p "$d/etc/qemu/networks"
	ip netns exec "$ns" unshare -m --propagation private sh -c '
		d=$1
		mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt
		mount --bind "$d/run" /run/libvirt && mount --bind "$d/varlib" /var/lib/libvirt &&
		mount --bind "$d/etc" /etc/libvirt && mount --bind "$d/cache" /var/cache/libvirt &&
		mount --bind "$d/log" /var/log/libvirt || exit 1
		exec libvirtd --pid-file "$d/run/libvirtd.pid"' sh "$d" >"$d/libvirtd.log" 2>&1 &
	LV_PID=$!
	PIDS+=("$LV_PID")
	for _ in $(seq 100); do [ -S "$d/run/libvirt-sock" ] && break; sleep 0.1; done
	[ -S "$d/run/libvirt-sock" ] || { echo "libvirtd did not start: $(tail -3 "$d/libvirtd.log")" >&2; kill $LV_PID; return 1; }
	LV_URI="qemu:///system?socket=$d/run/libvirt-sock"
	cat >"$d/net.xml" <<XML
<network><name>vmmbench</name><forward mode='nat'/><bridge name='br0' stp='off' delay='0'/>
<ip address='192.168.166.1' netmask='255.255.255.0'/></network>
XML
	virsh -q -c "$LV_URI" net-define "$d/net.xml" >/dev/null || { kill $LV_PID; return 1; }
}
libvirtd_down() { kill "$LV_PID"; wait "$LV_PID" 2>/dev/null; }
libvirt_cycle() { # NS: prints "TOTAL UP DOWN" µs for net-start and net-destroy
	local t0 t1 t2 rc=0
	libvirtd_up "$1" || return 1
	t0=$(now_us)
	virsh -q -c "$LV_URI" net-start vmmbench >/dev/null || rc=1
	t1=$(now_us)
	virsh -q -c "$LV_URI" net-destroy vmmbench >/dev/null || rc=1
	t2=$(now_us)
	libvirtd_down
	[ $rc = 0 ] || return 1
	echo $((t2 - t0)) $((t1 - t0)) $((t2 - t1))
}
if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
	echo "  (libvirt net-start/net-destroy: skipped: libvirtd/virsh not installed: apt-get install libvirt-daemon-system)"
else
	SIDES+=(libvirt)
	LABEL[libvirt]="libvirt virsh net-start + net-destroy"
	DOES[libvirt]="libvirtd $(libvirtd --version | awk '{print $NF}') (running, started untimed): bridge and address over netlink, iptables rules, dnsmasq started and stopped"
fi

# ---- probe (untimed): processes each side runs and rules it adds, one cycle under strace ----
# execs FILE: the number of programs started (successful execve) in an strace -f log.
execs() { grep -c 'execve(.* = 0$' "$1" 2>/dev/null || echo "?"; }
# rules NS: the rules in NS: iptables-legacy's and nf_tables' (iptables-nft's or nft's).
rules() {
	local n=0 x
	x=$(ip netns exec "$1" iptables-legacy-save 2>/dev/null | grep -c '^-A'); n=$((n + x))
	# nf_tables: every rule, whether iptables-nft or nft made it (iptables-nft-save would count
	# the ones it made twice)
	x=$(ip netns exec "$1" nft -a list ruleset 2>/dev/null | grep -c '# handle [0-9]*$' || true)
	x=$((x - $(ip netns exec "$1" nft -a list ruleset 2>/dev/null | grep -cE '^\s*(table|chain|set|map) .*# handle' || true)))
	n=$((n + x))
	echo "$n"
}
probe() { # SIDE: appends "processes: up U, down D; rules added: R" to DOES[SIDE]
	local s=$1 ns up down r
	command -v strace >/dev/null || { DOES[$s]+="; processes: not counted (no strace)"; return; }
	ns=$(new_ns probe) || return
	NS_LIST+=("$ns")
	rm -rf "$W/home2/run"
	case $s in
	vmm)
		VMM_HOME="$W/home2" ip netns exec "$ns" strace -f -qq -e trace=execve -o "$W/up.st" "$VMM" net up 2>/dev/null
		r=$(rules "$ns")
		VMM_HOME="$W/home2" ip netns exec "$ns" strace -f -qq -e trace=execve -o "$W/down.st" "$VMM" net down 2>/dev/null ;;
	libvirt)
		libvirtd_up "$ns" || return
		strace -f -qq -e trace=execve -o "$W/up.st" -p "$LV_PID" & local sp=$!
		sleep 0.5
		virsh -q -c "$LV_URI" net-start vmmbench >/dev/null
		kill -INT $sp; wait $sp 2>/dev/null
		r=$(rules "$ns")
		strace -f -qq -e trace=execve -o "$W/down.st" -p "$LV_PID" & sp=$!
		sleep 0.5
		virsh -q -c "$LV_URI" net-destroy vmmbench >/dev/null
		kill -INT $sp; wait $sp 2>/dev/null
		libvirtd_down ;;
	*)
		ip netns exec "$ns" strace -f -qq -e trace=execve -o "$W/up.st" bash "$here/net-$s.sh" up
		r=$(rules "$ns")
		ip netns exec "$ns" strace -f -qq -e trace=execve -o "$W/down.st" bash "$here/net-$s.sh" down ;;
	esac
	up=$(execs "$W/up.st") down=$(execs "$W/down.st")
	[ "$s" = libvirt ] && up="$up (+ virsh)" down="$down (+ virsh)"
	DOES[$s]+="; processes started (strace; a script counts its own shell): up $up, down $down; rules added: $r"
	del_ns "$ns"
}
for s in "${SIDES[@]}"; do probe "$s"; done

# ---- the timed cycles, interleaved: cycle 1 of every side, then cycle 2, ... ----
bench_machine
echo "host network up+down: $CYCLES cycles of each side, interleaved, each in a fresh namespace, 2 guests"
for s in "${SIDES[@]}"; do : >"$W/$s.txt"; done
for i in $(seq 1 "$CYCLES"); do
	for s in "${SIDES[@]}"; do
		ns=$(new_ns "$s") || { echo "bench/net.sh: namespace" >&2; exit 1; }
		NS_LIST+=("$ns")
		rm -rf "$W/home2/run"
		if [ "$s" = libvirt ]; then
			libvirt_cycle "$ns" >>"$W/$s.txt" || { echo "bench/net.sh: libvirt cycle $i failed" >&2; exit 1; }
		else
			VMM_HOME="$W/home2" ip netns exec "$ns" bash "$here/net-cycle.sh" "$s" >>"$W/$s.txt" ||
				{ echo "bench/net.sh: $s cycle $i failed" >&2; exit 1; }
		fi
		del_ns "$ns"
	done
done
for s in "${SIDES[@]}"; do
	f=$W/$s.txt
	printf '  %s\n    up+down %s\n    up median %.1f ms, down median %.1f ms' "${LABEL[$s]}" \
		"$(col 1 <"$f" | stats ms 1000)" "$(col 2 <"$f" | median | awk '{print $1 / 1000}')" \
		"$(col 3 <"$f" | median | awk '{print $1 / 1000}')"
	[ "$s" != vmm ] && printf '; up+down %s vmm (medians)' \
		"$(ratio "$(col 1 <"$f" | median)" "$(col 1 <"$W/vmm.txt" | median)")"
	printf '\n    does: %s\n' "${DOES[$s]}"
done

# The target: vmm's net up alone against the floor's (one vmm process against bash + ip + the
# ruleset load), from the same interleaved cycles.
printf '  net up alone\n    %-6s %s\n    %-6s %s\n' vmm "$(col 2 <"$W/vmm.txt" | stats ms 1000)" \
	floor "$(col 2 <"$W/floor.txt" | stats ms 1000)"
target "vmm net up / floor's net up (ip -batch + ${load%% /*}; medians)" \
	"$(awk -v a="$(col 2 <"$W/vmm.txt" | median)" -v b="$(col 2 <"$W/floor.txt" | median)" \
		'BEGIN { print a / b }')" 1.0

echo "vmm net up with 64 defined guests (64 taps), $CYCLES cycles, each in a fresh namespace"
home_with_guests "$W/home64" 64
: >"$W/vmm64.txt"
for i in $(seq 1 "$CYCLES"); do
	ns=$(new_ns vmm64) || exit 1
	NS_LIST+=("$ns")
	rm -rf "$W/home64/run"
	VMM_HOME="$W/home64" ip netns exec "$ns" bash "$here/net-cycle.sh" vmm >>"$W/vmm64.txt" ||
		{ echo "bench/net.sh: vmm 64-guest cycle $i failed" >&2; exit 1; }
	del_ns "$ns"
done
printf '  vmm net up + net down, 64 guests\n    up+down %s\n    up median %.1f ms, down median %.1f ms\n' \
	"$(col 1 <"$W/vmm64.txt" | stats ms 1000)" "$(col 2 <"$W/vmm64.txt" | median | awk '{print $1 / 1000}')" \
	"$(col 3 <"$W/vmm64.txt" | median | awk '{print $1 / 1000}')"

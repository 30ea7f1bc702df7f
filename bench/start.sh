#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/start.sh [VMM] [RUNS]: `vmm start` to QMP-ready vs the same QEMU argv typed by hand (from
# --dry-run) vs `virsh create` of the equivalent domain (private libvirtd); `vmm seed` vs
# cloud-localds and genisoimage; boot to first ping, vmm start --wait vs hand-typed QEMU + ping.
# All inside a throwaway network namespace. Prints medians (ms) and ratios.
set -u
VMM=$(realpath "${1:-${VMM:-build/vmm}}")
RUNS=${2:-7}
BOOT_RUNS=${BOOT_RUNS:-3}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
IMG="$SRCDIR/images"
. "$SRCDIR/bench/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench/start.sh: needs root (namespaces, taps)" >&2; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "bench/start.sh: needs qemu-system-x86_64" >&2; exit 77; }
[ -f "$IMG/vmm-guest.kernel" ] || "$SRCDIR/contrib/build-guest.sh" "$IMG" >&2 || exit 1

T=$(mktemp -d /tmp/vmm-bench-start.XXXXXX)
NS=vmmbench-$$-$RANDOM
LVD=
cleanup() {
	[ -n "$LVD" ] && ip netns exec "$NS" "$SRCDIR/contrib/libvirtd-ns.sh" stop "$T/lvd" >/dev/null 2>&1
	for p in $(cat "$T"/home/run/*/pid "$T"/hand/pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	bench_ns_gone
}
bench_ns_up
export VMM_HOME="$T/home"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
# wait_pid_gone PID
wait_gone() { for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.02; done; kill -9 "$1"; }

v create b1 --ram 256 --size 64M --ip 192.168.166.100/24 --kernel "$IMG/vmm-guest.kernel" \
	--initrd "$IMG/vmm-guest.initrd" --append console=ttyS0 >/dev/null 2>&1 || { echo "create failed" >&2; exit 1; }
# warm-up (untimed): network up, seed written, page cache
v start b1 >/dev/null 2>&1 || { echo "warm-up start failed" >&2; v start b1; exit 1; }
v stop b1 --force >/dev/null 2>&1

echo "== start to QMP-ready ($RUNS runs each, TCG: $( [ "${VMM_ACCEL:-}" = kvm ] && echo no || echo yes))"
for i in $(seq "$RUNS"); do
	t0=$(ms); v start b1 >/dev/null 2>&1 || exit 1; t1=$(ms)
	echo $((t1 - t0)) >>"$T/vmm.ms"
	v stop b1 --force >/dev/null 2>&1
done

# The same argv by hand: the line --dry-run prints, with its run dir moved to $T/hand.
mkdir -p "$T/hand"
line=$(v --dry-run start b1) || exit 1
line=${line//$VMM_HOME\/run\/b1/$T/hand}
eval "argv=($line)"
hand_prep() { # untimed: what vmm start would have made (tap on the bridge, empty run dir)
	rm -rf "$T/hand"; mkdir -p "$T/hand"
	ip -n "$NS" tuntap add dev vmm-b1 mode tap 2>/dev/null
	ip -n "$NS" link set vmm-b1 master br0 up
}
hand_kill() { local p; p=$(cat "$T/hand/pid" 2>/dev/null) && kill "$p" 2>/dev/null && wait_gone "$p"; }
for i in $(seq "$RUNS"); do
	hand_prep
	# QEMU -daemonize returns once it is initialised: its QMP socket then answers
	t0=$(ms); ip netns exec "$NS" "${argv[@]}" || exit 1; t1=$(ms)
	echo $((t1 - t0)) >>"$T/hand.ms"
	hand_kill
done
ip -n "$NS" link del vmm-b1 2>/dev/null

# virsh create of the equivalent domain, when a private libvirtd can run here
virsh_note=
if command -v libvirtd >/dev/null && command -v virsh >/dev/null &&
	URI=$(ip netns exec "$NS" "$SRCDIR/contrib/libvirtd-ns.sh" start "$T/lvd" 2>"$T/lvd.err"); then
	LVD=1
	v create b2 --backend libvirt --uri "$URI" --ram 256 --size 64M --ip 192.168.166.101/24 \
		--kernel "$IMG/vmm-guest.kernel" --initrd "$IMG/vmm-guest.initrd" \
		--append console=ttyS0 >/dev/null 2>&1
	v start b2 >/dev/null 2>&1 && v stop b2 --force >/dev/null 2>&1 # warm-up
	if v --dry-run start b2 >"$T/b2.xml" 2>"$T/b2.err"; then
		tap=$(sed -n "s/.*<target dev='\([^']*\)' managed='no'.*/\1/p" "$T/b2.xml")
		for i in $(seq "$RUNS"); do
			[ -n "$tap" ] && { ip -n "$NS" tuntap add dev "$tap" mode tap 2>/dev/null
				ip -n "$NS" link set "$tap" master br0 up; }
			t0=$(ms)
			ip netns exec "$NS" virsh -q -c "$URI" create "$T/b2.xml" >/dev/null 2>"$T/virsh.err" ||
				{ virsh_note="virsh create failed: $(tr "\n" " " <"$T/virsh.err")"; break; }
			t1=$(ms)
			echo $((t1 - t0)) >>"$T/virsh.ms"
			ip netns exec "$NS" virsh -q -c "$URI" destroy b2 >/dev/null 2>&1
		done
	else
		virsh_note="vmm --dry-run start of a libvirt guest failed: $(head -1 "$T/b2.err")"
	fi
else
	virsh_note="no private libvirtd here: $(head -1 "$T/lvd.err" 2>/dev/null)"
fi
vm=$(median <"$T/vmm.ms"); hm=$(median <"$T/hand.ms")
printf '  vmm start          %6s ms\n' "$vm"
printf '  QEMU argv by hand  %6s ms   vmm/hand %s (target <= 1.15x)\n' "$hm" "$(ratio "$vm" "$hm")"
if [ -s "$T/virsh.ms" ]; then
	xm=$(median <"$T/virsh.ms")
	printf '  virsh create       %6s ms   virsh/vmm %s (target >= 10x)\n' "$xm" "$(ratio "$xm" "$vm")"
else
	printf '  virsh create       skipped: %s\n' "$virsh_note"
fi

echo "== seed ISO ($RUNS runs each)"
seed=$VMM_HOME/images/b1-seed.iso
mkdir -p "$T/seed"
if command -v xorriso >/dev/null; then
	xorriso -osirrox on -indev "$seed" -extract / "$T/seed" >/dev/null 2>&1
	chmod -R u+w "$T/seed"
fi
for i in $(seq "$RUNS"); do
	rm -f "$seed"
	t0=$(ms); v seed b1 >/dev/null 2>&1 || { echo "vmm seed failed" >&2; exit 1; }; t1=$(ms)
	echo $((t1 - t0)) >>"$T/seed.ms"
	if command -v cloud-localds >/dev/null && [ -f "$T/seed/user-data" ]; then
		t0=$(ms)
		cloud-localds -N "$T/seed/network-config" "$T/cl.iso" "$T/seed/user-data" "$T/seed/meta-data" || exit 1
		t1=$(ms)
		echo $((t1 - t0)) >>"$T/cl.ms"
	fi
	if command -v genisoimage >/dev/null && [ -f "$T/seed/user-data" ]; then
		t0=$(ms)
		genisoimage -quiet -output "$T/gi.iso" -volid cidata -joliet -rock \
			"$T/seed/user-data" "$T/seed/meta-data" "$T/seed/network-config" || exit 1
		t1=$(ms)
		echo $((t1 - t0)) >>"$T/gi.ms"
	fi
done
sm=$(median <"$T/seed.ms")
printf '  vmm seed           %6s ms\n' "$sm"
[ -s "$T/cl.ms" ] && printf '  cloud-localds      %6s ms   cloud-localds/vmm %s\n' "$(median <"$T/cl.ms")" "$(ratio "$(median <"$T/cl.ms")" "$sm")"
[ -s "$T/gi.ms" ] && printf '  genisoimage        %6s ms   genisoimage/vmm %s\n' "$(median <"$T/gi.ms")" "$(ratio "$(median <"$T/gi.ms")" "$sm")"

echo "== boot to first ping ($BOOT_RUNS runs each)"
for i in $(seq "$BOOT_RUNS"); do
	t0=$(ms); v start b1 --wait=ping:120 >/dev/null 2>&1 || { echo "start --wait failed" >&2; exit 1; }; t1=$(ms)
	echo $((t1 - t0)) >>"$T/boot-vmm.ms"
	v stop b1 --force >/dev/null 2>&1
	hand_prep
	t0=$(ms); ip netns exec "$NS" "${argv[@]}" || exit 1
	until ip netns exec "$NS" ping -n -q -c1 -W1 192.168.166.100 >/dev/null 2>&1; do
		[ $(( $(ms) - t0 )) -gt 120000 ] && { echo "hand-typed guest never answered" >&2; exit 1; }
	done
	t1=$(ms)
	echo $((t1 - t0)) >>"$T/boot-hand.ms"
	hand_kill
done
bv=$(median <"$T/boot-vmm.ms"); bh=$(median <"$T/boot-hand.ms")
printf '  vmm start --wait   %6s ms\n' "$bv"
printf '  QEMU by hand+ping  %6s ms   vmm/hand %s\n' "$bh" "$(ratio "$bv" "$bh")"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/start.sh [VMM] [RUNS]: `vmm start` to QMP-ready vs the same QEMU argv typed by hand (from
# --dry-run) vs `virsh create` of the equivalent domain (private libvirtd); `vmm seed` vs
# cloud-localds and genisoimage; boot to first ping, vmm start --wait vs hand-typed QEMU + ping.
# All inside a throwaway network namespace. The sides run interleaved (one run of each in turn,
# the order alternating, so that load from elsewhere and any after-effect of the previous run hit
# them alike), each from the same state and with the same teardown; every figure is
# min / median / max of RUNS (at least 15) runs (BOOT_RUNS, default 5, for boot to first ping).
set -u
VMM=$(realpath "${1:-${VMM:-build/vmm}}")
RUNS=${2:-15}
BOOT_RUNS=${BOOT_RUNS:-5}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
IMG="$SRCDIR/images"
. "$SRCDIR/bench/lib.sh"
[ "$RUNS" -ge 15 ] || { echo "bench/start.sh: at least 15 runs" >&2; exit 2; }
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
bench_machine
# row LABEL FILE [NOTE]: one figure (µs in FILE) as min/median/max ms.
row() { printf '  %-20s %s%s\n' "$1" "$(stats ms 1000 <"$2")" "${3:+   $3}"; }
# ratio of two medians (µs files)
ratio() { awk -v a="$(median <"$1")" -v b="$(median <"$2")" 'BEGIN { printf "%.2fx", a / b }'; }
# qmp_quit SOCKET: what `vmm stop --force` does to QEMU: QMP quit.
qmp_quit() {
	python3 - "$1" <<'PY' 2>/dev/null
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile('rw')
f.readline()
for c in ('qmp_capabilities', 'quit'):
    f.write(json.dumps({'execute': c}) + '\n'); f.flush(); f.readline()
PY
}
wait_gone() { for _ in $(seq 500); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.01; done; kill -9 "$1"; }

v create b1 --ram 256 --size 64M --ip 192.168.166.100/24 --kernel "$IMG/vmm-guest.kernel" \
	--initrd "$IMG/vmm-guest.initrd" --append console=ttyS0 >/dev/null 2>&1 || { echo "create failed" >&2; exit 1; }
# warm-up (untimed): network up, seed written, page cache
v start b1 >/dev/null 2>&1 || { echo "warm-up start failed" >&2; v start b1; exit 1; }
v stop b1 --force >/dev/null 2>&1

# The same argv by hand: the line --dry-run prints, run from $T/hand, with -daemonize (hand_argv).
line=$(v --dry-run start b1) || exit 1
hand_argv "$line" "$VMM_HOME/run/b1" "$T/hand"
TAP=vmm-b1
case "$line" in *"ifname=$TAP,"*) ;; *) echo "bench/start.sh: the --dry-run line does not name tap $TAP: $line" >&2; exit 1 ;; esac
# Before each timed run of either side: no QEMU, no tap, no run dir. vmm makes its tap and run
# dir inside the timed run; the hand-typed QEMU needs them made first (untimed): it does less.
hand_prep() {
	mkdir -p "$T/hand"
	ip -n "$NS" tuntap add dev "$TAP" mode tap && ip -n "$NS" link set "$TAP" master br0 up
}
# The same teardown for both (untimed): QMP quit, wait for QEMU to go, tap and run dir removed
# (for vmm by `vmm stop --force`, which does exactly that).
vmm_down() { v stop b1 --force >/dev/null 2>&1; }
hand_down() {
	local p
	p=$(cat "$T/hand/pid" 2>/dev/null)
	qmp_quit "$T/hand/qmp.sock"
	[ -n "$p" ] && wait_gone "$p"
	ip -n "$NS" link del "$TAP" 2>/dev/null
	rm -rf "$T/hand"
}
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
		VTAP=$(sed -n "s/.*<target dev='\([^']*\)' managed='no'.*/\1/p" "$T/b2.xml")
	else
		virsh_note="vmm --dry-run start of a libvirt guest failed: $(head -1 "$T/b2.err")"
		LVD=
	fi
else
	virsh_note="no private libvirtd here: $(head -1 "$T/lvd.err" 2>/dev/null)"
fi
virsh_run() { # one timed virsh create (tap and run folder made first, untimed), then destroy
	ip -n "$NS" tuntap add dev "$VTAP" mode tap && ip -n "$NS" link set "$VTAP" master br0 up
	mkdir -p "$VMM_HOME/run/b2" # the XML's VNC and serial sockets go there (vmm start makes it)
	local t0 t1
	t0=$(now_us)
	ip netns exec "$NS" virsh -q -c "$URI" create "$T/b2.xml" >/dev/null 2>"$T/virsh.err" ||
		{ virsh_note="virsh create failed: $(tr "\n" " " <"$T/virsh.err")"; return 1; }
	t1=$(now_us)
	echo $((t1 - t0)) >>"$T/virsh.us"
	ip netns exec "$NS" virsh -q -c "$URI" destroy b2 >/dev/null 2>&1
	ip -n "$NS" link del "$VTAP" 2>/dev/null
}

vmm_run() {
	local t0 t1
	t0=$(now_us); v start b1 >/dev/null 2>&1 || return 1; t1=$(now_us)
	echo $((t1 - t0)) >>"$T/vmm.us"
	vmm_down
}
hand_run() {
	local t0 t1
	hand_prep || return 1
	# QEMU -daemonize returns once it is initialised: its QMP socket then answers
	t0=$(now_us); ip netns exec "$NS" "${argv[@]}" || return 1; t1=$(now_us)
	echo $((t1 - t0)) >>"$T/hand.us"
	hand_down
}
echo "== start to QMP-ready: $RUNS runs of each, interleaved (vmm, hand, virsh; then hand, vmm, virsh; ...)"
for i in $(seq "$RUNS"); do
	if [ $((i % 2)) = 1 ]; then
		vmm_run && hand_run || exit 1
	else
		hand_run && vmm_run || exit 1
	fi
	[ -n "$LVD" ] && { virsh_run || LVD=; }
done
row "vmm start" "$T/vmm.us" "lock, tap, seed (rewritten only if changed), run files, QEMU, QMP handshake"
row "QEMU argv by hand" "$T/hand.us" "QEMU only (tap made beforehand); vmm/hand $(ratio "$T/vmm.us" "$T/hand.us") (medians)"
target "vmm start / QEMU argv by hand, to QMP-ready (medians)" \
	"$(awk -v a="$(median_of "$T/vmm.us")" -v b="$(median_of "$T/hand.us")" 'BEGIN { print a / b }')" 1.1
if [ -s "$T/virsh.us" ]; then
	row "virsh create" "$T/virsh.us" "libvirtd running; virsh/vmm $(ratio "$T/virsh.us" "$T/vmm.us") (medians)"
else
	printf '  %-20s skipped: %s\n' "virsh create" "$virsh_note"
fi

# Seed: the same three files, each tool run the same way (outside the namespace: none of them
# needs it), writing into the same folder (vmm's images/), its output removed before each run.
echo "== seed ISO: $RUNS runs of each, interleaved (the order turns each time)"
seed=$VMM_HOME/images/b1-seed.iso
out=$VMM_HOME/images
mkdir -p "$T/seed"
xorriso -osirrox on -indev "$seed" -extract / "$T/seed" >/dev/null 2>&1 && chmod -R u+w "$T/seed"
have_cl= have_gi=
[ -f "$T/seed/user-data" ] && command -v cloud-localds >/dev/null && have_cl=1
[ -f "$T/seed/user-data" ] && command -v genisoimage >/dev/null && have_gi=1
seed_vmm() {
	local t0 t1
	rm -f "$seed"
	t0=$(now_us); "$VMM" seed b1 >/dev/null 2>&1 || { echo "vmm seed failed" >&2; return 1; }; t1=$(now_us)
	echo $((t1 - t0)) >>"$T/seed.us"
}
seed_cl() {
	local t0 t1
	[ -n "$have_cl" ] || return 0
	rm -f "$out/cl.iso"
	t0=$(now_us)
	cloud-localds -N "$T/seed/network-config" "$out/cl.iso" "$T/seed/user-data" "$T/seed/meta-data" || return 1
	t1=$(now_us)
	echo $((t1 - t0)) >>"$T/cl.us"
}
seed_gi() {
	local t0 t1
	[ -n "$have_gi" ] || return 0
	rm -f "$out/gi.iso"
	t0=$(now_us)
	genisoimage -quiet -output "$out/gi.iso" -volid cidata -joliet -rock \
		"$T/seed/user-data" "$T/seed/meta-data" "$T/seed/network-config" || return 1
	t1=$(now_us)
	echo $((t1 - t0)) >>"$T/gi.us"
}
for i in $(seq "$RUNS"); do # the order turns each time: vmm cl gi, cl gi vmm, gi vmm cl
	case $((i % 3)) in
	1) seed_vmm && seed_cl && seed_gi ;;
	2) seed_cl && seed_gi && seed_vmm ;;
	0) seed_gi && seed_vmm && seed_cl ;;
	esac || exit 1
done
row "vmm seed" "$T/seed.us" "in-process (libisofs)"
if [ -n "$have_cl" ]; then
	row "cloud-localds" "$T/cl.us" "shell script around genisoimage; cloud-localds/vmm $(ratio "$T/cl.us" "$T/seed.us")"
else
	printf '  %-20s skipped: not installed (cloud-image-utils)\n' "cloud-localds"
fi
if [ -n "$have_gi" ]; then
	row "genisoimage" "$T/gi.us" "one process; genisoimage/vmm $(ratio "$T/gi.us" "$T/seed.us")"
else
	printf '  %-20s skipped: not installed\n' "genisoimage"
fi

echo "== boot to first ping: $BOOT_RUNS runs of each, interleaved (vmm, hand; then hand, vmm; ...)"
boot_vmm() {
	local t0 t1
	t0=$(now_us); v start b1 --wait=ping:120 >/dev/null 2>&1 || { echo "start --wait failed" >&2; return 1; }; t1=$(now_us)
	echo $((t1 - t0)) >>"$T/boot-vmm.us"
	vmm_down
}
boot_hand() {
	local t0 t1
	hand_prep || return 1
	t0=$(now_us); ip netns exec "$NS" "${argv[@]}" || return 1
	until ip netns exec "$NS" ping -n -q -c1 -W1 192.168.166.100 >/dev/null 2>&1; do
		[ $(( $(now_us) - t0 )) -gt 120000000 ] && { echo "hand-typed guest never answered" >&2; return 1; }
	done
	t1=$(now_us)
	echo $((t1 - t0)) >>"$T/boot-hand.us"
	hand_down
}
for i in $(seq "$BOOT_RUNS"); do
	if [ $((i % 2)) = 1 ]; then boot_vmm && boot_hand; else boot_hand && boot_vmm; fi || exit 1
done
row "vmm start --wait=ping" "$T/boot-vmm.us" "start, then ping -c1 -W1 at most every 0.5 s"
row "QEMU by hand+ping" "$T/boot-hand.us" "ping -c1 -W1 back to back; vmm/hand $(ratio "$T/boot-vmm.us" "$T/boot-hand.us")"

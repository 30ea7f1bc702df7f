#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/libvirt.sh [VMM] [RUNS]: `vmm start` of a libvirt guest vs `virsh create` of the same
# domain XML, against a private libvirtd in a throwaway network namespace. Prints every run,
# min/median/max (flagging two groups of runs) and the ratio of the medians (target: vmm within
# 1.1x of virsh). Each run is followed by an untimed destroy.
set -u
VMM=$(realpath "${1:-${VMM:-build/vmm}}")
RUNS=${2:-15}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
IMG="$SRCDIR/images"
. "$SRCDIR/bench/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench/libvirt.sh: needs root (namespaces, libvirtd)" >&2; exit 77; }
for c in libvirtd virsh qemu-system-x86_64; do
	command -v $c >/dev/null || { echo "bench/libvirt.sh: needs $c" >&2; exit 77; }
done
[ -f "$IMG/vmm-guest.kernel" ] || "$SRCDIR/contrib/build-guest.sh" "$IMG" >&2 || exit 1

T=$(mktemp -d /tmp/vmm-bench-libvirt.XXXXXX)
NS=vmmbench-$$-$RANDOM
cleanup() {
	ip netns exec "$NS" "$SRCDIR/contrib/libvirtd-ns.sh" stop "$T/lvd" 2>/dev/null
	bench_ns_gone
}
bench_ns_up
URI=$(ip netns exec "$NS" "$SRCDIR/contrib/libvirtd-ns.sh" start "$T/lvd") || exit 1
export VMM_HOME="$T/home"
vs() { ip netns exec "$NS" virsh -q -c "$URI" "$@" >/dev/null; }
v create b1 --backend libvirt --uri "$URI" --ram 256 --size 64M \
	--kernel "$IMG/vmm-guest.kernel" --initrd "$IMG/vmm-guest.initrd" --append console=ttyS0 >/dev/null 2>&1 || exit 1
# warm up: network, seed, page cache
v start b1 >/dev/null 2>&1 || exit 1
v stop b1 --force >/dev/null 2>&1 || exit 1
v --dry-run start b1 >"$T/b1.xml" || exit 1
TAP=$(sed -n "s/.*<target dev='\([^']*\)' managed='no'.*/\1/p" "$T/b1.xml")

# interleaved, so that load from elsewhere hits both sides alike; virsh gets the tap and the run
# folder vmm would have made (untimed), vmm makes and removes its own
for i in $(seq 1 "$RUNS"); do
	t0=$(ms); v start b1 >/dev/null 2>&1 || exit 1; t1=$(ms)
	echo $((t1 - t0)) >>"$T/vmm.ms"
	v stop b1 --force >/dev/null 2>&1 || exit 1
	ip -n "$NS" tuntap add dev "$TAP" mode tap && ip -n "$NS" link set "$TAP" up || exit 1
	mkdir -p "$VMM_HOME/run/b1" # the XML's VNC and serial sockets go there (vmm start makes it)
	t0=$(ms); vs create "$T/b1.xml" || exit 1; t1=$(ms)
	echo $((t1 - t0)) >>"$T/virsh.ms"
	vs destroy b1 || exit 1
	ip -n "$NS" link del "$TAP" || exit 1
done
bench_machine
echo "libvirt start, $RUNS runs of each, interleaved (vmm, virsh, vmm, ...):"
echo "  vmm runs (ms):   $(tr '\n' ' ' <"$T/vmm.ms")"
echo "  virsh runs (ms): $(tr '\n' ' ' <"$T/virsh.ms")"
printf '  %-14s %s\n' "vmm start" "$(stats ms <"$T/vmm.ms")"
printf '  %-14s %s\n' "virsh create" "$(stats ms <"$T/virsh.ms")"
a=$(median <"$T/vmm.ms") b=$(median <"$T/virsh.ms")
awk -v a="$a" -v b="$b" 'BEGIN {
	r = a / b
	printf "  ratio vmm/virsh (medians) %.2f (target <= 1.10)%s\n", r, r <= 1.10 ? "" : "  ABOVE TARGET"
}'

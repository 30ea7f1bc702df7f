#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/vnc.sh [VMM] [RUNS]: time from invocation to PNG written, `vmm vnc NAME --png` against
# `gvnccapture` (gtk-vnc) on the same QEMU guest, median of RUNS (default 15, alternating), and
# the ratio. Also the time to draw the screen as terminal text. The guest runs inside a namespace
# of its own (loopback only); needs root.
set -u
here=$(cd "$(dirname "$0")" && pwd)
VMM=$(realpath "${1:-$here/../build/vmm}")
RUNS=${2:-15}
[ "$(id -u)" = 0 ] || { echo "bench/vnc.sh: needs root (network namespace)" >&2; exit 77; }
[ -x "$VMM" ] || { echo "bench/vnc.sh: no vmm at $VMM" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "bench/vnc.sh: needs qemu-system-x86_64" >&2; exit 77; }
command -v gvnccapture >/dev/null || { echo "bench/vnc.sh: needs gvnccapture (gvncviewer)" >&2; exit 77; }

W=$(mktemp -d /tmp/vmm-bench-vnc.XXXXXX)
NS="vmmbench-vnc-$$-$RANDOM"
export VMM_HOME=$W/home
cleanup() {
	local p
	[ -s "$VMM_HOME/run/g/pid" ] && kill "$(cat "$VMM_HOME/run/g/pid")" 2>/dev/null
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS" && ip -n "$NS" link set lo up || exit 1
SRC=$(cd "$here/.." && pwd)
KERNEL=$SRC/images/vmm-guest.kernel INITRD=$SRC/images/vmm-guest.initrd
if [ ! -s "$KERNEL" ]; then
	KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1) INITRD=
fi
[ -r "$KERNEL" ] || { echo "bench/vnc.sh: no guest kernel" >&2; exit 77; }

"$VMM" create g --size 64M --ram 256 --kernel "$KERNEL" --append console=tty0 --vnc :1 \
	>/dev/null 2>"$W/err" || { echo "bench/vnc.sh: vmm create: $(cat "$W/err")" >&2; exit 1; }
mkdir -p "$VMM_HOME/run/g"
args=(-name g -m 256 -accel tcg -nic none -display none -serial none -kernel "$KERNEL"
	-append "console=tty0" -vnc 127.0.0.1:1 -pidfile "$VMM_HOME/run/g/pid" -daemonize)
[ -n "$INITRD" ] && args+=(-initrd "$INITRD")
ip netns exec "$NS" qemu-system-x86_64 "${args[@]}" || exit 1

# Let the guest's screen come to rest: two identical ASCII pictures in a row.
prev=
for _ in $(seq 60); do
	cur=$(ip netns exec "$NS" "$VMM" vnc g --ascii --width 120 2>/dev/null | md5sum)
	[ -n "$prev" ] && [ "$cur" = "$prev" ] && [ "$(ip netns exec "$NS" "$VMM" vnc g --ascii | tr -d ' \n' | wc -c)" -gt 50 ] && break
	prev=$cur
	sleep 1
done

now_us() { echo $(($(date +%s%N) / 1000)); }
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
: >"$W/vmm.t"; : >"$W/gvnc.t"; : >"$W/text.t"
for i in $(seq "$RUNS"); do
	rm -f "$W/a.png" "$W/b.png"
	t0=$(now_us)
	ip netns exec "$NS" "$VMM" vnc g --png "$W/a.png" || { echo "bench/vnc.sh: vmm vnc failed" >&2; exit 1; }
	t1=$(now_us)
	ip netns exec "$NS" gvnccapture -q 127.0.0.1:1 "$W/b.png" >/dev/null 2>&1 ||
		{ echo "bench/vnc.sh: gvnccapture failed" >&2; exit 1; }
	t2=$(now_us)
	ip netns exec "$NS" "$VMM" vnc g --width 160 >/dev/null || exit 1
	t3=$(now_us)
	[ -s "$W/a.png" ] && [ -s "$W/b.png" ] || { echo "bench/vnc.sh: no PNG written" >&2; exit 1; }
	echo $((t1 - t0)) >>"$W/vmm.t"
	echo $((t2 - t1)) >>"$W/gvnc.t"
	echo $((t3 - t2)) >>"$W/text.t"
done
v=$(median <"$W/vmm.t") g=$(median <"$W/gvnc.t") x=$(median <"$W/text.t")
size=$(file -b "$W/a.png" | grep -o '[0-9]* x [0-9]*')
awk -v v="$v" -v g="$g" -v x="$x" -v n="$RUNS" -v s="$size" 'BEGIN {
	printf "vnc capture to PNG (%s), median of %d runs (including `ip netns exec`):\n", s, n
	printf "  vmm vnc --png      %7.1f ms\n", v / 1000
	printf "  gvnccapture        %7.1f ms\n", g / 1000
	printf "  ratio gvnccapture/vmm: %.2fx (above 1: vmm is faster)\n", g / v
	printf "  vmm vnc as text    %7.1f ms (160 columns, ASCII to a pipe)\n", x / 1000
}'

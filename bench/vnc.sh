#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/vnc.sh [VMM] [RUNS]: time from invocation to PNG written, `vmm vnc NAME --png` against
# `gvnccapture` (gtk-vnc's capture tool) on the same QEMU guest, RUNS (default 15) runs of each,
# interleaved (which one goes first alternates), min/median/max. gvnccapture's time includes its
# start-up: loading GLib, GObject, gdk-pixbuf and gnutls and initialising them; the start-up of
# each program alone (--help / --version) is shown too. Also the time to draw the screen as
# terminal text. The guest runs inside a namespace of its own (loopback only); needs root.
set -u
here=$(cd "$(dirname "$0")" && pwd)
VMM=$(realpath "${1:-$here/../build/vmm}")
RUNS=${2:-15}
. "$here/lib.sh"
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
# vmm believes a pid file only with the process's start time beside it (/proc/PID/stat field 22)
qpid=$(cat "$VMM_HOME/run/g/pid")
awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$qpid/stat" >"$VMM_HOME/run/g/starttime"
chmod 700 "$VMM_HOME/run/g"

# Let the guest's screen come to rest: two identical ASCII pictures in a row.
prev=
for _ in $(seq 60); do
	cur=$(ip netns exec "$NS" "$VMM" vnc g --ascii --width 120 2>/dev/null | md5sum)
	[ -n "$prev" ] && [ "$cur" = "$prev" ] && [ "$(ip netns exec "$NS" "$VMM" vnc g --ascii | tr -d ' \n' | wc -c)" -gt 50 ] && break
	prev=$cur
	sleep 1
done

# one KIND: a timed run (µs appended to $W/KIND.t)
one() {
	local t0 t1
	case $1 in
	vmm) t0=$(now_us); ip netns exec "$NS" "$VMM" vnc g --png "$W/a.png" || return 1; t1=$(now_us) ;;
	gvnc) t0=$(now_us); ip netns exec "$NS" gvnccapture -q 127.0.0.1:1 "$W/b.png" >/dev/null 2>&1 || return 1; t1=$(now_us) ;;
	text) t0=$(now_us); ip netns exec "$NS" "$VMM" vnc g --width 160 >/dev/null || return 1; t1=$(now_us) ;;
	vmm0) t0=$(now_us); ip netns exec "$NS" "$VMM" --version >/dev/null || return 1; t1=$(now_us) ;;
	gvnc0) t0=$(now_us); ip netns exec "$NS" gvnccapture --help >/dev/null 2>&1 || return 1; t1=$(now_us) ;;
	esac
	echo $((t1 - t0)) >>"$W/$1.t"
}
for k in vmm gvnc text vmm0 gvnc0; do : >"$W/$k.t"; done
for i in $(seq "$RUNS"); do
	rm -f "$W/a.png" "$W/b.png"
	if [ $((i % 2)) = 1 ]; then order="vmm gvnc"; else order="gvnc vmm"; fi
	for k in $order text vmm0 gvnc0; do
		one $k || { echo "bench/vnc.sh: $k run $i failed" >&2; exit 1; }
	done
	[ -s "$W/a.png" ] && [ -s "$W/b.png" ] || { echo "bench/vnc.sh: no PNG written" >&2; exit 1; }
done
size=$(file -b "$W/a.png" | grep -o '[0-9]* x [0-9]*')
bench_machine
echo "vnc capture to PNG ($size), $RUNS runs of each, interleaved, each including \`ip netns exec\`:"
printf '  %-26s %s\n' "vmm vnc --png" "$(stats ms 1000 <"$W/vmm.t")"
printf '  %-26s %s\n' "gvnccapture" "$(stats ms 1000 <"$W/gvnc.t")"
awk -v v="$(median <"$W/vmm.t")" -v g="$(median <"$W/gvnc.t")" 'BEGIN {
	printf "  ratio gvnccapture/vmm (medians): %.2fx (above 1: vmm is faster)\n", g / v }'
echo "  start-up alone (process, libraries, nothing captured):"
printf '  %-26s %s\n' "vmm --version" "$(stats ms 1000 <"$W/vmm0.t")"
printf '  %-26s %s\n' "gvnccapture --help" "$(stats ms 1000 <"$W/gvnc0.t")"
echo "  (gvnccapture also initialises GLib/GObject/gdk-pixbuf inside its capture time; it links no GTK)"
printf '  %-26s %s\n' "vmm vnc as text" "$(stats ms 1000 <"$W/text.t")   (160 columns, ASCII to a pipe)"

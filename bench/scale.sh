#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/scale.sh VMM: one home with 1000 guests. `vmm create` of the 1000th, `vmm list` of all
# (LIST_RUNS runs, default 21, started with posix_spawn by bench/spawntime; target: median at
# most 12 ms), and `vmm net up` creating 1000 taps in a namespace against the kernel's own cost
# for the same taps (`ip -batch` of tuntap adds in another namespace; expected vmm <= 2x that
# floor). Not a test: it prints figures.
set -u
VMM=$(realpath "$1")
N=${SCALE_GUESTS:-1000}
LIST_RUNS=${LIST_RUNS:-21}
T=$(mktemp -d /tmp/vmm-bench-scale.XXXXXX)
NS=vmmscale-$$ FLOOR=vmmfloor-$$
. "$(dirname "$0")/lib.sh"
cleanup() {
	for p in $(ip netns pids "$FLOOR" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	ip netns del "$FLOOR" 2>/dev/null
	bench_ns_gone
}
bench_ns_up
ip netns add "$FLOOR" || exit 1
export VMM_HOME=$T/home
P=$VMM_HOME/profiles
mkdir -p "$P" "$VMM_HOME/images"
printf 'bridge = "br0";\naddress = "10.66.0.1/16";\nuplink = "auto";\nnat = false;\ndns = [ "10.66.0.1" ];\n' >"$P/net.cfg"
# N-1 profiles as vmm writes them (headless, distinct MAC, address and tap)
for ((i = 1; i < N; i++)); do
	printf 'memory = 256;\ncpus = 1;\ndisk = { path = "g%d.qcow2"; size = "1G"; };\nnet = { mac = "52:54:01:00:%02x:%02x"; address = "10.66.%d.%d/16"; tap = "vmm-g%d"; };\nvnc = "none";\n' \
		"$i" $((i / 256)) $((i % 256)) $(((i + 256) / 256)) $(((i + 256) % 256)) "$i" >"$P/g$i.cfg"
done
t0=$(ms)
"$VMM" create "g$N" --size 1G --vnc none >/dev/null 2>"$T/create.err" || { cat "$T/create.err"; exit 1; }
t1=$(ms)
echo "vmm create, guest $N of $N:          $((t1 - t0)) ms"
"$VMM" list >"$T/list.out" || exit 1
rows=$(($(wc -l <"$T/list.out") - 1))
invalid=$(grep -c ' invalid ' "$T/list.out")
# wall clock of each run (posix_spawn, no shell), and the CPU time (user + system) of a few: on a
# loaded host the two differ a lot
"$(spawntime)" "$LIST_RUNS" "$VMM" list >"$T/list.runs" || exit 1
awk '{ print $2 }' "$T/list.runs" >"$T/list.us"
TIMEFORMAT='%3R %3U %3S'
for _ in 1 2 3 4 5 6 7; do { time "$VMM" list >/dev/null; } 2>>"$T/list.times"; done
list_cpu=$(awk '{print int(($2 + $3) * 1000)}' "$T/list.times" | median)
echo "vmm list, $rows guests ($invalid invalid): $(stats ms 1000 <"$T/list.us"); CPU (user + system) median of 7: $list_cpu ms; load $(cut -d' ' -f1 /proc/loadavg)"
target "vmm list of $rows guests (median)" "$(median_of "$T/list.us" 1000)" 12 " ms"

# the floor: the kernel creating the same taps, one ip -batch
for ((i = 1; i <= N; i++)); do echo "tuntap add mode tap name vmm-g$i"; done >"$T/floor.batch"
a=$(ms); ip -n "$FLOOR" -batch "$T/floor.batch" || exit 1; b=$(ms)
floor=$((b - a))
for ((i = 1; i <= N; i++)); do echo "link set vmm-g$i up"; done >"$T/floor-up.batch"
ip -n "$FLOOR" link add br0 type bridge
for ((i = 1; i <= N; i++)); do echo "link set vmm-g$i master br0 up"; done >"$T/floor-up.batch"
a=$(ms); ip -n "$FLOOR" -batch "$T/floor-up.batch" || exit 1; b=$(ms)
floor_up=$((b - a))
a=$(ms); v net up >"$T/up.out" 2>&1 || { cat "$T/up.out"; exit 1; }; b=$(ms)
up=$((b - a))
taps=$(ip -n "$NS" -o link show master br0 | grep -c 'vmm-g')
echo "kernel floor, ip -batch of $N tuntap adds:          $floor ms (+ $floor_up ms to enslave and set them up)"
echo "vmm net up, bridge and $taps taps:                 $up ms = $(awk -v a="$up" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')x the tuntap floor, $(awk -v a="$up" -v b="$((floor + floor_up))" 'BEGIN { printf "%.2f", a / b }')x create+enslave (expected <= 2x)"
a=$(ms); v net down >/dev/null 2>&1 || echo "net down failed"; b=$(ms)
echo "vmm net down, $N taps:                             $((b - a)) ms"

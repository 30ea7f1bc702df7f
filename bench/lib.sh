# SPDX-License-Identifier: MIT
# bench/lib.sh: sourced by the benchmarks that run in one throwaway namespace $NS with scratch dir $T
# (start.sh, libvirt.sh): namespace set-up and removal, vmm inside it, timing in ms and medians.

# bench_ns_gone: kill what runs in $NS, delete it and $T (the end of each script's cleanup).
bench_ns_gone() {
	local p
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
# bench_ns_up: the script's cleanup on exit (exit 130 on a signal), then $NS with lo up.
bench_ns_up() {
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	ip netns add "$NS" || exit 1
	ip -n "$NS" link set lo up
}
# v ARGS...: vmm inside $NS.
v() { ip netns exec "$NS" "$VMM" "$@"; }
# ms: the time in milliseconds.
ms() { echo $(( $(date +%s%N) / 1000000 )); }
# median: of the numbers on stdin, one a line.
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

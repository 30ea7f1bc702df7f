#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/startup.sh [VMM] [RUNS]: what starting vmm costs: `vmm version` against `ip -V` (a small
# tool of the same kind: one process, a few shared libraries), RUNS (>= 100, default 300) runs of
# each, interleaved, each started with posix_spawn by bench/spawntime (no shell in what is timed).
# Target: vmm version at most 1.5x ip -V (medians). Also what vmm maps: its shared objects.
set -u
here=$(cd "$(dirname "$0")" && pwd)
VMM=$(realpath "${1:-$here/../build/vmm}")
RUNS=${2:-300}
. "$here/lib.sh"
[ "$RUNS" -ge 100 ] || { echo "bench/startup.sh: at least 100 runs" >&2; exit 2; }
ST=$(spawntime)
[ -x "$ST" ] || { echo "bench/startup.sh: no $ST (make bench builds it)" >&2; exit 2; }
IP=$(command -v ip) || { echo "bench/startup.sh: needs ip (iproute2)" >&2; exit 77; }
T=$(mktemp -d /tmp/vmm-bench-startup.XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

bench_machine
"$ST" "$RUNS" "$VMM" version -- "$IP" -V >"$T/runs" || exit 1
awk '$1 == 0 { print $2 }' "$T/runs" >"$T/vmm.us"
awk '$1 == 1 { print $2 }' "$T/runs" >"$T/ip.us"
maps() { LD_DEBUG=files "$@" 2>&1 >/dev/null | grep -c 'generating link map'; }
echo "start-up: $RUNS runs of each, interleaved (posix_spawn, stdout to /dev/null)"
printf '  %-12s %s   %s shared objects\n' "vmm version" "$(stats ms 1000 <"$T/vmm.us")" "$(maps "$VMM" version)"
printf '  %-12s %s   %s shared objects\n' "ip -V" "$(stats ms 1000 <"$T/ip.us")" "$(maps "$IP" -V)"
target "vmm version / ip -V (medians)" \
	"$(awk -v a="$(median_of "$T/vmm.us")" -v b="$(median_of "$T/ip.us")" 'BEGIN { print a / b }')" 1.5

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/net-cycle.sh KIND: run inside a fresh namespace by bench/net.sh; does one timed up+down
# and prints "TOTAL UP DOWN" in microseconds. KIND vmm: `vmm net up` / `vmm net down`; any other
# KIND: bench/net-KIND.sh up / down (tutorial, floor, ...).
set -e
here=$(cd "$(dirname "$0")" && pwd)
now() { local t=${EPOCHREALTIME/./}; echo "$t"; }
case "$1" in
vmm)
	t0=$(now)
	"$VMM" net up 2>/dev/null
	t1=$(now)
	"$VMM" net down 2>/dev/null
	t2=$(now)
	;;
*)
	[ -f "$here/net-$1.sh" ] || { echo "usage: $0 vmm|KIND (bench/net-KIND.sh)" >&2; exit 2; }
	t0=$(now)
	bash "$here/net-$1.sh" up
	t1=$(now)
	bash "$here/net-$1.sh" down
	t2=$(now)
	;;
esac
# The cycle must have cleaned up after itself, or the figure means nothing.
if ip link show br0 >/dev/null 2>&1; then echo "br0 left behind" >&2; exit 1; fi
echo $((t2 - t0)) $((t1 - t0)) $((t2 - t1))

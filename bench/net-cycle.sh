#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/net-cycle.sh KIND: run inside a fresh namespace by bench/net.sh; does one timed up+down
# (KIND vmm or tutorial) and prints "TOTAL UP DOWN" in microseconds.
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
tutorial)
	t0=$(now)
	bash "$here/net-tutorial.sh" up
	t1=$(now)
	bash "$here/net-tutorial.sh" down
	t2=$(now)
	;;
*) echo "usage: $0 vmm|tutorial" >&2; exit 2 ;;
esac
# The cycle must have cleaned up after itself, or the figure means nothing.
if ip link show br0 >/dev/null 2>&1; then echo "br0 left behind" >&2; exit 1; fi
echo $((t2 - t0)) $((t1 - t0)) $((t2 - t1))

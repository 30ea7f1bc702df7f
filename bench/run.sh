#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh VMM: every benchmark, one after the other (`make bench`). Each prints the machine
# (CPU, cores, KVM or TCG) and min/median/max of interleaved runs, with ratios against the manual
# procedure and libvirt. Not a test: nothing here fails CI.
set -u
VMM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")"
rc=0
for b in net.sh net-services.sh start.sh ssh.sh vnc.sh libvirt.sh rootless.sh scale.sh; do
	[ -f "$b" ] || continue
	echo "==== bench/$b"
	bash "$b" "$VMM" || { echo "bench/$b: failed (exit $?)"; rc=1; }
	echo
done
exit $rc

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh VMM: every benchmark, one after the other (`make bench`). Each prints the machine
# (CPU, cores, KVM or TCG) and min/median/max of interleaved runs, with ratios against the manual
# procedure and libvirt, and a "target:" line for each target vmm has (start-up, net up, start,
# list of 1000 guests); the last lines repeat those verdicts. Not a test: nothing here fails CI.
set -u
VMM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")"
out=$(mktemp /tmp/vmm-bench-run.XXXXXX)
trap 'rm -f "$out"' EXIT
rc=0
for b in startup.sh net.sh net-services.sh start.sh ssh.sh vnc.sh libvirt.sh rootless.sh scale.sh snapshot.sh; do
	[ -f "$b" ] || continue
	echo "==== bench/$b"
	bash "$b" "$VMM" 2>&1 | tee -a "$out"
	s=${PIPESTATUS[0]}
	[ "$s" = 0 ] || { echo "bench/$b: failed (exit $s)"; rc=1; }
	echo
done
echo "==== targets: $(grep -c ': met$' "$out") met, $(grep -c ': MISSED$' "$out") missed"
grep '^  target: ' "$out"
exit $rc

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 17, item 10 (concurrency): starts, stops and status of one guest at once. The race it
# reproduces: of two `vmm start twin`, the loser ("tap vmm-twin: held open by another process")
# deleted the winner's run/twin, so QEMU kept running while `status` said stopped and `stop`
# failed. After any such mix there must be one QEMU that `status` reports and `stop` stops, or
# none and `status` says so.
. "$SRCDIR/tests/lib.sh"
need_root
need_guest
tutorial_topology
e2e_net_cfg
vmm_in_ns "$HOST"
guest_create twin 192.168.166.130 --vnc none --ram 128

# The QEMUs of this guest: processes whose command line names its disk (this test's home; the
# brackets keep grep's own command line from matching).
qemus() { grep -lsE "(opaque|file)=$VMM_HOME/images/twin[.]qcow2" /proc/[0-9]*/cmdline | cut -d/ -f3 | sort; }
# consistent WHEN: status and the QEMUs that exist agree
consistent() {
	local st pid n
	st=$("$VMM" status twin 2>&1 | head -1)
	pid=$("$VMM" --json status twin | python3 -c 'import json,sys; print(json.load(sys.stdin).get("pid", 0))')
	n=$(qemus | wc -l)
	case "$st" in
	"twin: running")
		assert_eq "$n" 1 "$1: QEMUs while status says running"
		assert_eq "$(qemus)" "$pid" "$1: the QEMU status names" ;;
	*)
		assert_eq "$n" 0 "$1: QEMUs while status says [$st]" ;;
	esac
}
# race NAME CMD...: each CMD ("start", "stop", "status") at once; their outputs in $T/NAME.N
race() {
	local name=$1 i=0 pids=() c; shift
	for c in "$@"; do
		i=$((i + 1))
		"$VMM" $c twin >"$T/$name.$i" 2>&1 &
		pids+=($!)
	done
	for c in "${pids[@]}"; do wait "$c"; done
}

# two starts: one wins, the other finds it running and touches nothing
race two start start
consistent "two starts"
assert_eq "$(qemus | wc -l)" 1 "two starts: one QEMU"
pid=$(cat "$VMM_HOME/run/twin/pid")
assert_eq "$(grep -l 'vmm: twin: running (pid' "$T"/two.* | wc -l)" 1 "two starts: one says it runs"
assert_eq "$(cat "$T"/two.* | grep -c "vmm: twin: already running (pid $pid)")" 1 \
	"two starts: the other says it is running"
run_vmm 0 stop twin --force
consistent "after the stop"

# any mix: starts, stops and status at once, a few times over
for round in 1 2 3; do
	race "mix$round" start "stop --force" status start status "stop --force"
	consistent "mix $round"
done
race last start start start
consistent "three starts"
assert_eq "$(qemus | wc -l)" 1 "three starts: one QEMU"
run_vmm 0 stop twin --force
assert_eq "$(qemus | wc -l)" 0 "stop stops it"
consistent "the end"
echo ok

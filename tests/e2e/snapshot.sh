#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/snapshot.sh: snapshots of a running test guest (QEMU backend, QMP jobs) with its
# memory: a value written in the guest before `snapshot create` is back after a change and
# `snapshot restore`, and the guest runs on; an existing tag, a missing one and a snapshot without
# memory are refused while it runs (exit 2, one line, the guest still running, not left paused);
# list and delete; then the same guest stopped: qemu-img, and a later restore while running.
. "$SRCDIR/tests/lib.sh"
need_root
need_guest
need_cmd python3
tutorial_topology
e2e_net_cfg
vmm_in_ns "$HOST"
IMG=$VMM_HOME/images

guest_create g1 192.168.166.100
run_vmm 0 start --wait=ping:120 g1
serial_wait g1 "VMM-GUEST: ready"
# QMP's own word on the run state: running, not paused (a failed snapshot-load would leave it
# paused in restore-vm)
qmp_status() {
	python3 - "$VMM_HOME/run/g1/qmp.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
f.readline()
for cmd in ("qmp_capabilities", "query-status"):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r: break
print(r["return"]["status"])
PY
}
value() {
	guest_sh g1 'echo "val=[$(cat /tmp/value)]"' | tr -d '\r' | grep -o 'val=\[[a-z]*\]' | tail -1
}

guest_sh g1 'echo before >/tmp/value' >/dev/null
assert_eq "$(value)" "val=[before]" "the value is set"
run_vmm 0 snapshot g1 create s1
assert_eq "$ERR" "vmm: g1: snapshot s1 created (running: disks and memory)"
guest_sh g1 'echo after >/tmp/value' >/dev/null
assert_eq "$(value)" "val=[after]" "the value changed"
run_vmm 0 snapshot g1 restore s1
assert_eq "$ERR" "vmm: g1: snapshot s1 restored (running: disks and memory)"
assert_eq "$(value)" "val=[before]" "restore brought back the value"
assert_eq "$(qmp_status)" running "the guest runs on after the restore"
nsx "$HOST" ping -c 1 -W 3 192.168.166.100 >/dev/null || fail "no ping after the restore"

# refusals while it runs: nothing written, the guest not paused
before=$(qemu-img snapshot -U -l "$IMG/g1.qcow2")
run_vmm 2 snapshot g1 create s1
assert_eq "$ERR" "vmm: g1: snapshot s1 already exists (vmm snapshot g1 delete s1 first)"
run_vmm 2 snapshot g1 restore nope
assert_eq "$ERR" "vmm: g1: no snapshot nope (see vmm snapshot g1 list)"
assert_eq "$(qmp_status)" running "a refused restore leaves the guest running"
assert_eq "$(qemu-img snapshot -U -l "$IMG/g1.qcow2")" "$before" "refusals wrote nothing"

run_vmm 0 snapshot g1 list
assert_contains "$OUT" "s1 "
mem=$(awk '$1 == "s1" {print $4}' <<<"$OUT")
[ "${mem%M}" -gt 10 ] 2>/dev/null || fail "s1 holds no memory: $OUT"
run_vmm 0 --json show g1
assert_eq "$(python3 -c 'import json,sys
print([s["tag"] for s in json.load(sys.stdin)["snapshots"]])' <<<"$OUT")" \
	"['s1']" "show --json lists the snapshot"
run_vmm 0 snapshot g1 delete s1
run_vmm 0 snapshot g1 list
assert_not_contains "$OUT" "s1 "

# stopped: qemu-img on the disk; such a snapshot holds no memory and is not restored live
run_vmm 0 stop --force g1
run_vmm 0 snapshot g1 create cold
assert_eq "$ERR" "vmm: g1: snapshot cold created (stopped: disks)"
run_vmm 0 start --wait=ping:120 g1
run_vmm 2 snapshot g1 restore cold
assert_eq "$ERR" "vmm: g1: snapshot cold holds no memory (taken while stopped): stop the guest \
to restore it"
assert_eq "$(qmp_status)" running
run_vmm 0 stop --force g1
run_vmm 0 snapshot g1 restore cold
assert_eq "$ERR" "vmm: g1: snapshot cold restored (stopped: disks)"
exit 0

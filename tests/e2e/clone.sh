#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/clone.sh: `vmm clone` of a stopped test guest boots beside its source as a new machine:
# its own MAC, address, tap, hostname and cloud-init instance-id; both run at once on overlays of
# the frozen base (a plain overlay on the source's disk could not: QEMU's write lock), and answer
# ping at their own addresses. A running source is refused; --full makes a standalone copy.
. "$SRCDIR/tests/lib.sh"
need_root
need_guest
tutorial_topology
e2e_net_cfg
vmm_in_ns "$HOST"
IMG=$VMM_HOME/images

guest_create src 192.168.166.100
run_vmm 0 start --wait=ping:120 src
run_vmm 2 clone src new
assert_eq "$ERR" "vmm: src: running: stop it first (a clone starts from a stopped guest's disk)"
run_vmm 0 stop --force src

run_vmm 0 clone src new
assert_contains "$ERR" \
	"vmm: src: disk frozen as $IMG/src-base-1.qcow2; src and new run on overlays of it"
run_vmm 0 --json show new
read -r NEW_IP NEW_MAC NEW_TAP < <(python3 -c 'import json,sys; d=json.load(sys.stdin)
print(d["address"].split("/")[0], d["mac"], d["tap"])' <<<"$OUT")
run_vmm 0 --json show src
read -r SRC_IP SRC_MAC SRC_TAP < <(python3 -c 'import json,sys; d=json.load(sys.stdin)
print(d["address"].split("/")[0], d["mac"], d["tap"])' <<<"$OUT")
[ "$NEW_IP" != "$SRC_IP" ] && [ "$NEW_MAC" != "$SRC_MAC" ] && [ "$NEW_TAP" != "$SRC_TAP" ] ||
	fail "the clone shares an identity: $NEW_IP $NEW_MAC $NEW_TAP"

# both at once
run_vmm 0 start --wait=ping:120 src
run_vmm 0 start --wait=ping:120 new
nsx "$HOST" ping -c 1 -W 3 "$SRC_IP" >/dev/null || fail "src does not answer"
nsx "$HOST" ping -c 1 -W 3 "$NEW_IP" >/dev/null || fail "new does not answer"
serial_wait new "VMM-GUEST: ready"
log_src=$(tr -d '\r' <"$VMM_HOME/run/src/serial.log")
log_new=$(tr -d '\r' <"$VMM_HOME/run/new/serial.log")
assert_contains "$log_new" "hostname new " "the clone's own hostname"
assert_contains "$log_new" "VMM-GUEST: net eth0 $NEW_IP/24 via 192.168.166.1" "the clone's address"
iid_src=$(sed -n 's/.*VMM-GUEST: instance \([^ ]*\) .*/\1/p' <<<"$log_src" | tail -1)
iid_new=$(sed -n 's/.*VMM-GUEST: instance \([^ ]*\) .*/\1/p' <<<"$log_new" | tail -1)
[ -n "$iid_new" ] && [ "$iid_new" != "$iid_src" ] || fail "instance-id: src $iid_src, new $iid_new"
# each guest's NIC answers with its own MAC
nsx "$HOST" ip neigh show "$NEW_IP" | grep -qi "$NEW_MAC" || fail "the clone's MAC at $NEW_IP"
run_vmm 0 stop --force new
run_vmm 0 stop --force src

# a full copy stands alone and boots too
run_vmm 0 clone src copy --full
assert_eq "$(qemu-img info --output=json "$IMG/copy.qcow2" |
	python3 -c 'import json,sys; print("backing-filename" in json.load(sys.stdin))')" \
	False "--full: no backing file"
run_vmm 0 start --wait=ping:120 copy
run_vmm 0 stop --force copy
exit 0

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_edit_rollback.sh: a profile change whose forwards cannot reach the firewall leaves nothing
# half-done (guest_edit_commit). With the network up and the firewall's update failing (the test
# build's VMM_TEST_NET_FAIL_AFTER=forwards), `vmm set` keeps the profile as it was, `vmm delete`
# puts it back byte for byte, `vmm create` leaves no profile and no disk, and the ruleset is as
# it was each time; a change that moves no forward does not touch the firewall; without the
# failure each change reaches the firewall at once.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd nft
need_cmd qemu-img
[ -x "$BUILD/vmm-test" ] || skip "no $BUILD/vmm-test (make build/vmm-test)"

tutorial_topology
net_cfg br0 192.168.166.1/24 auto true '"auto"'
fw_pin nftables
VMM=$BUILD/vmm-test
vmm_in_ns "$HOST"
ruleset() { nsx "$HOST" nft list ruleset | sed -E 's/packets [0-9]+ bytes [0-9]+//'; }
# failing EXPECTED_RC ARGS...: vmm-test with the firewall's update of the forwards failing
failing() {
	local want=$1; shift
	OUT=$(VMM_TEST_NET_FAIL_AFTER=forwards "$VMM" "$@" 2>&1); RC=$?
	[ "$RC" = "$want" ] || fail "vmm $* (update failing): exit $RC, wanted $want: $OUT"
}

run_vmm 0 create web --size 1G --forward 8080:80
run_vmm 0 create db --size 1G
run_vmm 0 net up
fw=$(ruleset)
assert_contains "$fw" "dport 8080" "the forward in the firewall after net up"
cfg=$VMM_HOME/profiles/web.cfg
profile=$(cat "$cfg")

failing 1 set web forward=9090:80
assert_contains "$OUT" "injected failure after the forwards step"
assert_eq "$(cat "$cfg")" "$profile" "set: the profile as it was"
assert_eq "$(ruleset)" "$fw" "set: the firewall as it was"

failing 1 delete web
assert_file "$cfg"
assert_eq "$(cat "$cfg")" "$profile" "delete: the profile back, byte for byte"
assert_eq "$(ruleset)" "$fw" "delete: the firewall as it was"

failing 1 create api --size 1G --forward 7070:80
assert_no_file "$VMM_HOME/profiles/api.cfg"
assert_no_file "$VMM_HOME/images/api.qcow2"
assert_eq "$(ruleset)" "$fw" "create: the firewall as it was"

# no forward moves: the firewall is not asked, the change is made
failing 0 set db memory=512
assert_contains "$(cat "$VMM_HOME/profiles/db.cfg")" "memory = 512;"

# without the failure: at once
run_vmm 0 set web forward=9090:80
assert_contains "$(ruleset)" "dport 9090" "set: the new forward"
assert_not_contains "$(ruleset)" "dport 8080" "set: the old forward gone"
run_vmm 0 delete web
assert_not_contains "$(ruleset)" "dport 9090" "delete: its forward gone"
run_vmm 0 net down
echo ok

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The user's systemd units, without systemd and without root: the ExecStart and ExecStop lines
# parsed from contrib/systemd/user/*.service, run as an ordinary user made here in the order its
# manager would (vmm-net up, the guest's unit up; then the guest's unit down, vmm-net down). The
# network comes up in the user's namespace, the guest answers, goes down through its ACPI power
# button, and nothing of the user's is left running; `vmm autostart --boot` does the same.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd pasta
need_cmd lsns
need_guest
tutorial_topology
rootless_user
user_net_cfg
run_as() { OUT=$(as_ruser "$VMM" "$@" 2>"$T/stderr"); RC=$?; ERR=$(cat "$T/stderr"); }
run_as create boot1 --size 1G --ram 256 --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--append console=ttyS0 --ip 192.168.166.120/24 --vnc none
assert_eq "$RC" 0 "create: $ERR"
run_as set boot1 stop_timeout=60
run_as autostart boot1 on
assert_eq "$RC" 0 "autostart on: $ERR"
assert_contains "$ERR" "autostart on (profile; \`vmm autostart --boot\` starts it)" "no systemd here"
assert_contains "$(cat "$RHOME/.config/vmm/boot1.cfg")" "autostart = true;"

# exec_line UNIT KEY INSTANCE: the user unit's command, with this build and %i filled in
exec_line() {
	local l
	l=$(sed -n "s/^$2=//p" "$SRCDIR/contrib/systemd/user/$1")
	[ -n "$l" ] || fail "$1: no $2="
	l=${l//%i/$3}
	printf '%s\n' "${l/\/usr\/local\/bin\/vmm/$VMM}"
}
run_line() { # what, the line: run as the user's manager would (no shell: split on blanks)
	local out rc
	read -r -a words <<<"$2"
	out=$(as_ruser "${words[@]}" 2>&1); rc=$?
	[ $rc = 0 ] || fail "$1 ($2): exit $rc: $out"
	printf '%s\n' "$out"
}
run_line "vmm-net ExecStart" "$(exec_line vmm-net.service ExecStart "")" >"$T/net-up.out"
assert_contains "$(cat "$T/net-up.out")" "net up: in a network namespace of your own (without root)"
assert_file "$RRUN/vmm/netns"
run_line "vmm@boot1 ExecStart" "$(exec_line vmm@.service ExecStart boot1)" >"$T/start.out"
assert_contains "$(cat "$T/start.out")" "vmm: boot1: running (pid"
user_uids_only "boot1 running"
for _ in $(seq 300); do grep -q 'VMM-GUEST: ready' "$RRUN/vmm/boot1/serial.log" 2>/dev/null && break; sleep 0.2; done
grep -q 'VMM-GUEST: ready' "$RRUN/vmm/boot1/serial.log" || fail "boot1 not ready"
exec 9<"$RRUN/vmm/boot1/serial.log" # kept open: stop removes run/boot1
t0=$SECONDS
run_line "vmm@boot1 ExecStop" "$(exec_line vmm@.service ExecStop boot1)" >"$T/stop.out"
dt=$((SECONDS - t0))
assert_contains "$(cat "$T/stop.out")" "vmm: boot1: powered off (ACPI)"
[ $dt -lt 60 ] || fail "stop took $dt s: the guest did not power off on its own"
assert_contains "$(cat <&9)" "VMM-GUEST: power button, powering off"
run_line "vmm-net ExecStop" "$(exec_line vmm-net.service ExecStop "")" >"$T/net-down.out"
user_nothing_left "after the units stopped"

# without systemd: `vmm autostart --boot` (the network first, in the user's namespace)
run_as autostart --boot
assert_eq "$RC" 0 "autostart --boot: $ERR"
assert_contains "$ERR" "bringing it up in a network namespace of your own"
assert_contains "$ERR" "vmm: boot1: running (pid"
run_as stop boot1 --force
run_as net down
assert_eq "$RC" 0 "net down: $ERR"
user_nothing_left "after autostart --boot, stop and net down"
echo ok

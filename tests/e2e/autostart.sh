# SPDX-License-Identifier: MIT
# The boot and shutdown the systemd units describe, without systemd: the ExecStart and ExecStop
# lines parsed from contrib/systemd/*.service, run in the order systemd would (vmm-net up, the
# guest's unit up; at shutdown the guest's unit down, then vmm-net down) inside a namespace
# against the test guest. The guest must come up as the unprivileged user and go down through
# its ACPI power button within the profile's stop_timeout, and the namespace ends as it began.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd iptables-legacy
need_guest
tutorial_topology
e2e_net_cfg
vmm_in_ns "$HOST"
guest_create boot1 192.168.166.120 --vnc none
run_vmm 0 set boot1 stop_timeout=60
run_vmm 0 autostart boot1 on
before=$(nsx "$HOST" ip -br link | sort; nsx "$HOST" ip -br addr | sort; nsx "$HOST" iptables-legacy-save | grep '^-A')

# exec_line UNIT KEY INSTANCE: the unit's command, with this build and %i filled in
exec_line() {
	local l
	l=$(sed -n "s/^$2=//p" "$SRCDIR/contrib/systemd/$1")
	[ -n "$l" ] || fail "$1: no $2="
	l=${l//%i/$3}
	printf '%s\n' "${l/\/usr\/local\/bin\/vmm/$VMM}"
}
run_line() { # what: the line, run as systemd would (no shell: split on blanks)
	local out rc
	read -r -a words <<<"$2"
	out=$("${words[@]}" 2>&1); rc=$?
	[ $rc = 0 ] || fail "$1 ($2): exit $rc: $out"
	printf '%s\n' "$out"
}
# boot: the network, then the guest
run_line "vmm-net ExecStart" "$(exec_line vmm-net.service ExecStart "")" >"$T/net-up.out"
assert_file "$VMM_HOME/run/net.state"
run_line "vmm@boot1 ExecStart" "$(exec_line vmm@.service ExecStart boot1)" >"$T/start.out"
assert_contains "$(cat "$T/start.out")" "vmm: boot1: running (pid"
assert_contains "$(cat "$T/start.out")" "no display"
pid=$(cat "$VMM_HOME/run/boot1/pid")
[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" != 0 ] || fail "QEMU runs as root"
assert_eq "$(awk '/^Seccomp:/ {print $2}' "/proc/$pid/status")" 2 "QEMU's seccomp mode"
serial_wait boot1 "VMM-GUEST: ready" 180
exec 9<"$VMM_HOME/run/boot1/serial.log" # kept open: stop removes run/boot1
# shutdown: the guest (ACPI power button), then the network
t0=$SECONDS
run_line "vmm@boot1 ExecStop" "$(exec_line vmm@.service ExecStop boot1)" >"$T/stop.out"
dt=$((SECONDS - t0))
assert_contains "$(cat "$T/stop.out")" "vmm: boot1: powered off (ACPI)"
[ $dt -lt 60 ] || fail "stop took $dt s: the guest did not power off on its own"
assert_contains "$(cat <&9)" "VMM-GUEST: power button, powering off"
alive "$pid" && fail "QEMU still runs after ExecStop"
run_line "vmm-net ExecStop" "$(exec_line vmm-net.service ExecStop "")" >"$T/net-down.out"
# without systemd: `vmm autostart --boot` starts every autostart guest (network first)
run_vmm 0 create other --size 1M --vnc none
run_vmm 0 autostart --boot
assert_contains "$ERR" "vmm: network br0 was down, bringing it up"
assert_contains "$ERR" "vmm: boot1: running (pid"
assert_not_contains "$ERR" "other"
run_vmm 0 status boot1
assert_contains "$OUT" "boot1: running"
run_vmm 0 status other
assert_contains "$OUT" "other: stopped"
run_vmm 0 stop boot1 --force
run_vmm 0 net down
after=$(nsx "$HOST" ip -br link | sort; nsx "$HOST" ip -br addr | sort; nsx "$HOST" iptables-legacy-save | grep '^-A')
assert_eq "$after" "$before" "the namespace after shutdown"
echo ok

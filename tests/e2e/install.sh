#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The install path: a guest with only an ISO (no kernel) started with --install boots from the CD
# once (BIOS -> the ISO's boot loader -> the guest), finds its seed on the second CD-ROM, comes up
# with its address, and its serial console answers.
. "$SRCDIR/tests/lib.sh"
need_root
need_guest
tutorial_topology
e2e_net_cfg

"$VMM" create inst --size 1G --ram 256 --iso "$GUEST_ISO" --ip 192.168.166.110/24 \
	>"$T/create.log" 2>&1 || fail "create: $(cat "$T/create.log")"
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"
nsx "$HOST" "$VMM" start inst --install --wait=ping:180 2>"$T/err" || fail "start --install: $(cat "$T/err")"
assert_contains "$(cat "$T/err")" "vmm: inst: answers ping at 192.168.166.110"
pid=$(cat "$VMM_HOME/run/inst/pid")
cmdline=$(tr '\0' '\n' <"/proc/$pid/cmdline")
assert_contains "$cmdline" "file=$GUEST_ISO,media=cdrom,readonly=on"
assert_contains "$cmdline" "once=d"
assert_not_contains "$cmdline" "-kernel"
# the guest's own markers on its serial port, and its shell
serial_wait inst "VMM-GUEST:" 30
assert_contains "$(cat "$VMM_HOME/run/inst/serial.log")" "192.168.166.110"
out=$(guest_sh inst 'cat /proc/cmdline; echo "n=$((6*7))"')
assert_contains "$out" "n=42" "shell on the serial console"
nsx "$HOST" "$VMM" stop inst --force 2>"$T/err" || fail "stop: $(cat "$T/err")"
assert_no_file "$VMM_HOME/run/inst"
kill -0 "$pid" 2>/dev/null && fail "QEMU still runs after stop"
echo ok

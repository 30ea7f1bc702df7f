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
assert_contains "$cmdline" "fd=12,set=12,opaque=$GUEST_ISO" # the ISO as a descriptor
assert_contains "$cmdline" "file=/dev/fdset/12,media=cdrom,readonly=on,format=raw"
assert_contains "$cmdline" "once=d"
assert_not_contains "$cmdline" "-kernel"
# What the guest itself printed: it configured its address from the seed (rc.net's line)...
serial_wait inst "VMM-GUEST: ready" 30
tr -d '\r' <"$VMM_HOME/run/inst/serial.log" >"$T/serial.log"
grep -qE 'VMM-GUEST: net [a-z0-9]+ 192\.168\.166\.110/24 via 192\.168\.166\.1 dns 192\.168\.166\.1$' "$T/serial.log" ||
	fail "the guest did not configure 192.168.166.110/24 from its seed: $(grep VMM-GUEST "$T/serial.log")"
# ...answers ping from the host side (not vmm's word for it)...
nsx "$HOST" ping -c 1 -W 3 192.168.166.110 >/dev/null || fail "192.168.166.110 does not answer ping"
# ...and booted from the ISO: GRUB's entry (BOOT_IMAGE, both consoles), not a direct kernel boot.
# The printed lines contain text the typed commands do not (the console echoes what is typed).
out=$(guest_sh inst 'echo "cmdline=[$(cat /proc/cmdline)]"' \
	'echo "addr=$(ip -4 -o addr show scope global | awk "{print \$4}")"' 'echo "n=$((6*7))"')
assert_contains "$out" "n=42" "shell on the serial console"
assert_contains "$out" "cmdline=[BOOT_IMAGE=/boot/vmlinuz console=ttyS0 console=tty0]" "the guest's /proc/cmdline"
assert_contains "$out" "addr=192.168.166.110/24" "the guest's own address"
nsx "$HOST" "$VMM" stop inst --force 2>"$T/err" || fail "stop: $(cat "$T/err")"
assert_no_file "$VMM_HOME/run/inst"
alive "$pid" && fail "QEMU still runs after stop"
echo ok

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/libvirt_local.sh: a guest through a private libvirtd on the local host: the XML
# validates (more cases: libvirt_xml.sh), start --wait until it answers ping on vmm's bridge
# (vmm's own tap), status/list, serial console, vnc --png, stop; libvirt's errors in one line.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd libvirtd
need_cmd virsh
need_cmd virt-xml-validate
need_cmd python3
need_guest # builds images/ when missing
IMG="$SRCDIR/images"

tutorial_topology
LVD="$T/libvirtd"
stop_libvirtd() { ip netns exec "$HOST" "$SRCDIR/contrib/libvirtd-ns.sh" stop "$LVD"; }
at_exit stop_libvirtd
URI=$(ip netns exec "$HOST" "$SRCDIR/contrib/libvirtd-ns.sh" start "$LVD") || fail "private libvirtd did not start"
# its QEMU runs as the user its own qemu.conf names (root here): what the reachability check asks
export VMM_LIBVIRT_QEMU_CONF=$LVD/etc/qemu.conf
assert_eq "$URI" "qemu+unix:///system?socket=$LVD/sock/libvirt-sock"
vmm_in_ns "$HOST" # run_vmm and "$VMM" act in $HOST

run_vmm 0 create g1 --backend libvirt --uri "$URI" --ram 512 --size 64M \
	--kernel "$IMG/vmm-guest.kernel" --initrd "$IMG/vmm-guest.initrd" --append "console=ttyS0"
IP=$("$VMM" --json show g1 | sed -n 's/.*"address": *"\([0-9.]*\)\/.*/\1/p')
[ -n "$IP" ] || fail "no address in vmm show g1"
TAP=$("$VMM" --json show g1 | sed -n 's/.*"tap": *"\([^"]*\)".*/\1/p')

# --dry-run prints the domain XML, which libvirt's own schema accepts; nothing is started
run_vmm 0 --dry-run start g1
assert_contains "$OUT" "<domain type="
assert_contains "$OUT" "<target dev='$TAP' managed='no'/>"
assert_contains "$OUT" "<kernel>$IMG/vmm-guest.kernel</kernel>"
printf '%s\n' "$OUT" >"$T/g1.xml"
virt-xml-validate "$T/g1.xml" domain >&2 || fail "dry-run XML does not validate"
[ -z "$(virsh -c "$URI" list --name | tr -d '\n')" ] || fail "dry-run started a domain"

run_vmm 0 status g1
assert_contains "$OUT" "stopped"

run_vmm 0 start --wait=ping:180 g1
[ "$(virsh -c "$URI" domstate g1)" = running ] || fail "libvirt does not see g1 running"
ip -n "$HOST" -o link show "$TAP" | grep -q "master br0" || fail "tap $TAP not on br0"
virsh -c "$URI" dumpxml g1 | grep -q "<target dev='$TAP'" || fail "domain not on vmm's tap"
ip netns exec "$HOST" ping -c 1 -W 2 "$IP" >/dev/null || fail "g1 does not answer ping"

run_vmm 0 status g1
assert_contains "$OUT" "running"
run_vmm 0 list
assert_contains "$OUT" "libvirt"
run_vmm 1 start g1
assert_eq "$ERR" "vmm: g1: already running"

# the serial console over libvirt's stream: a command typed into the guest's shell on ttyS0
out=$(printf 'echo VMM-CON-$((6*7))\r' | "$VMM" console --timeout 3 g1 2>"$T/console.err") ||
	fail "console: $(cat "$T/console.err")"
assert_contains "$out" "VMM-CON-42" "guest shell output through vmm console"

# vnc --png over the VNC address libvirt reports: decoded, it is the screen libvirt's own
# screenshot shows (same size, at most a cursor's worth of pixels apart, not black). The
# guest's screen changes while its framebuffer console comes up: tried until both agree.
for i in $(seq 40); do
	run_vmm 0 vnc g1 --png "$T/g1.png"
	virsh -c "$URI" screenshot g1 "$T/g1.shot" >/dev/null || fail "virsh screenshot"
	read -r W H DIFF LIT < <(image_diff "$T/g1.png" "$T/g1.shot")
	[ "$DIFF" != size ] && [ "$DIFF" -le 64 ] && [ "$LIT" -gt 2000 ] && break
	sleep 2
done
echo "vnc --png ${W}x$H: $DIFF pixels differ from virsh screenshot, $LIT lit (try $i)"
[ "$DIFF" != size ] || fail "vnc --png is ${W}x$H, virsh screenshot $LIT"
[ "$DIFF" -le 64 ] && [ "$LIT" -gt 2000 ] ||
	fail "vnc --png against virsh screenshot: $DIFF pixels differ, $LIT lit"

# a graceful stop: the guest powers off on libvirt's ACPI shutdown, and stop says so
run_vmm 0 stop g1
assert_eq "$ERR" "vmm: g1: powered off (ACPI)"
run_vmm 0 status g1
assert_contains "$OUT" "stopped"
[ -z "$(virsh -c "$URI" list --all --name | tr -d '\n')" ] || fail "domain left in libvirt"
ip -n "$HOST" link show "$TAP" >/dev/null 2>&1 && fail "tap $TAP left after stop"

# again, then --force
run_vmm 0 start g1
run_vmm 0 stop --force g1
assert_eq "$ERR" "vmm: g1: quit (--force)"
run_vmm 0 status g1
assert_contains "$OUT" "stopped"

# --install boots the bootable ISO of the same guest (boot order: ISO, then the empty disk):
# the guest's /proc/cmdline is GRUB's entry on the ISO (BOOT_IMAGE, both consoles)
run_vmm 0 create g3 --backend libvirt --uri "$URI" --ram 512 --size 64M --iso "$IMG/vmm-guest.iso"
run_vmm 0 start --install --wait=ping:180 g3
virsh -c "$URI" dumpxml g3 | grep -q "vmm-guest.iso" || fail "install ISO not attached"
out=$(printf 'echo "cmdline=[$(cat /proc/cmdline)]"\r' | "$VMM" console --timeout 3 g3 2>"$T/console.err") ||
	fail "console g3: $(cat "$T/console.err")"
assert_contains "$out" "cmdline=[BOOT_IMAGE=/boot/vmlinuz console=ttyS0 console=tty0]" "g3 booted from the ISO"
run_vmm 0 stop --force g3

# libvirt's failures: one line, libvirt's own words
run_vmm 0 create g2 --backend libvirt --uri "qemu+unix:///system?socket=$T/nothing/sock" --ram 128 --size 16M \
	--kernel "$IMG/vmm-guest.kernel" --initrd "$IMG/vmm-guest.initrd"
run_vmm 1 start g2
assert_eq "$(printf '%s\n' "$ERR" | wc -l)" 1 "one line of error"
assert_contains "$ERR" "vmm: g2: Failed to connect socket to '$T/nothing/sock'"
ip -n "$HOST" link show "$(printf 'vmm-g2')" >/dev/null 2>&1 && fail "tap left after a failed start"
exit 0

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/firmware.sh: UEFI, Secure Boot and a TPM on the test guest, QEMU backend. OVMF boots
# the guest's bzImage straight from fw_cfg (-kernel): with --firmware uefi the guest sees
# /sys/firmware/efi and Secure Boot off; with uefi-secure (q35, SMM, Microsoft's keys) the
# kernel reports Secure Boot enabled and locks itself down. What that proves: OVMF runs in
# Secure Boot mode and says so to the OS; not that the kernel was verified (OVMF's fw_cfg loader
# falls back to booting it without a signature check). With --tpm the guest has /dev/tpm0
# (swtpm, stopped with the guest, its state kept in images/NAME-tpm). A snapshot with memory of
# the UEFI + TPM guest works (the variables are qcow2) and restores a value.
. "$SRCDIR/tests/lib.sh"
need_root
need_guest
need_cmd swtpm
[ -r /usr/share/OVMF/OVMF_CODE_4M.ms.fd ] || skip "needs OVMF (package ovmf)"
BZ=$SRCDIR/images/vmm-guest.bzimage
[ -s "$BZ" ] || make -C "$SRCDIR" guest >"$T/guest.log" 2>&1 || fail "make guest"
tutorial_topology
e2e_net_cfg
vmm_in_ns "$HOST"
IMG=$VMM_HOME/images
efi_var=/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c

# the PVH vmlinux does not boot under OVMF, nor beside a TPM (QEMU 7.2's PVH path and the TPM's
# ACPI tables disagree): these guests boot the bzImage
guest_create u1 192.168.166.100 --firmware uefi --kernel "$BZ"
guest_create s1 192.168.166.101 --firmware uefi-secure --tpm --kernel "$BZ"
run_vmm 0 start --wait=ping:300 u1
assert_file "$IMG/u1-uefi-vars.qcow2"
assert_eq "$(qemu-img info -U --output=json "$IMG/u1-uefi-vars.qcow2" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')" \
	qcow2 "the guest's own variables, as qcow2"
out=$(guest_sh u1 "echo \"efi=[\$(ls /sys/firmware/efi | grep -c .)]\"" \
	"echo \"sb=[\$(od -An -t u1 $efi_var | awk '{print \$5}')]\"" | tr -d '\r')
assert_contains "$out" "efi=[" "a UEFI guest"
assert_not_contains "$out" "efi=[0]" "/sys/firmware/efi is there"
assert_contains "$out" "sb=[0]" "Secure Boot off with plain uefi"
run_vmm 0 stop --force u1

run_vmm 0 start --wait=ping:300 s1
out=$(guest_sh s1 "echo \"sb=[\$(od -An -t u1 $efi_var | awk '{print \$5}')]\"" \
	'dmesg | grep -i "secure boot" | sed "s/^/K:/"' 'ls /dev/tpm0 /dev/tpmrm0 | sed "s/^/T:/"' |
	tr -d '\r')
assert_contains "$out" "sb=[1]" "SecureBoot variable set"
assert_contains "$out" "secureboot: Secure boot enabled" "the kernel sees Secure Boot"
assert_contains "$out" "T:/dev/tpm0"
assert_contains "$out" "T:/dev/tpmrm0"
spid=$(cut -d' ' -f1 "$VMM_HOME/run/s1/swtpm.pid")
qpid=$(cut -d' ' -f1 "$VMM_HOME/run/s1/pid")
assert_eq "$(stat -c %u "/proc/$spid")" "$(stat -c %u "/proc/$qpid")" "swtpm runs as QEMU's uid"
[ "$(stat -c %u "/proc/$spid")" != 0 ] || fail "swtpm runs as root"
[ -n "$(ls "$IMG/s1-tpm")" ] || fail "no TPM state in $IMG/s1-tpm"

# a snapshot with memory of a UEFI + TPM guest
guest_sh s1 'echo before >/tmp/value' >/dev/null
run_vmm 0 snapshot s1 create snap
guest_sh s1 'echo after >/tmp/value' >/dev/null
run_vmm 0 snapshot s1 restore snap
out=$(guest_sh s1 'echo "val=[$(cat /tmp/value)]"' | tr -d '\r')
assert_contains "$out" "val=[before]" "restored with UEFI and a TPM"
assert_contains "$(qemu-img snapshot -U -l "$IMG/s1-uefi-secure-vars.qcow2")" " snap " \
	"the variables are in the snapshot"

run_vmm 0 stop --force s1
for _ in $(seq 50); do alive "$spid" || break; sleep 0.1; done
alive "$spid" && fail "swtpm still runs after the guest stopped"
run_vmm 0 show s1
assert_contains "$OUT" "firmware: uefi-secure (variables $IMG/s1-uefi-secure-vars.qcow2)"
assert_contains "$OUT" "tpm:      2.0 (swtpm, state $IMG/s1-tpm)"
exit 0

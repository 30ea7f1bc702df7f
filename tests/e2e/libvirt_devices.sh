#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/libvirt_devices.sh: issue 20 on the libvirt backend (a private libvirtd in the test's
# namespace): shared folders (virtiofs through libvirt's virtiofsd, 9p read-only) mounted by the
# seed, a TPM (libvirt's swtpm) and Secure Boot (OVMF on q35 with SMM) in the guest; snapshots
# through virDomainSnapshot* with memory, also of one libvirt forgot when the transient domain
# went; and the refusals: shares block a snapshot with memory, libvirt 9.0 refuses internal
# snapshots with UEFI firmware (one line each, exit 2).
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd libvirtd
need_cmd virsh
need_cmd virt-xml-validate
need_cmd swtpm
need_guest
[ -x /usr/lib/qemu/virtiofsd ] || skip "needs /usr/lib/qemu/virtiofsd (qemu-system-common)"
[ -r /usr/share/OVMF/OVMF_CODE_4M.ms.fd ] || skip "needs OVMF (package ovmf)"
IMG=$SRCDIR/images
tutorial_topology
e2e_net_cfg
LVD="$T/libvirtd"
stop_libvirtd() { ip netns exec "$HOST" "$SRCDIR/contrib/libvirtd-ns.sh" stop "$LVD"; }
at_exit stop_libvirtd
URI=$(ip netns exec "$HOST" "$SRCDIR/contrib/libvirtd-ns.sh" start "$LVD") ||
	fail "private libvirtd did not start"
export VMM_LIBVIRT_QEMU_CONF=$LVD/etc/qemu.conf
vmm_in_ns "$HOST"
lv() { run_vmm 0 create "$@" --backend libvirt --uri "$URI" --ram 256 --size 64M \
	--initrd "$IMG/vmm-guest.initrd" --append console=ttyS0; }
con() { local g=$1; shift; printf '%s\n' "$@" | "$VMM" console --timeout 4 "$g" 2>&1 | tr -d '\r'; }
value() { con "$1" 'echo "val=[$(cat /tmp/value)]"'; }
efi_var=/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c

# ---- shares and a TPM ----
S=$T/shares
mkdir -p "$S/rw" "$S/ro"
echo "host rw" >"$S/rw/host.txt"
echo "host ro" >"$S/ro/host.txt"
lv d1 --kernel "$IMG/vmm-guest.bzimage" --share "$S/rw" --share "$S/ro:docs:ro" --tpm
run_vmm 0 --dry-run start d1
printf '%s\n' "$OUT" >"$T/d1.xml"
virt-xml-validate "$T/d1.xml" domain >&2 || fail "d1's XML does not validate"
run_vmm 0 start --wait=ping:300 d1
# runcmd mounts both shares; libvirt's console keeps no scrollback, so ask the guest (its
# "VMM-RUNCMD: done" may come before the console is opened)
mounted() {
	grep -q "mounts=2" <<<"$(con d1 'echo "mounts=$(grep -c -e " /mnt/rw " -e " /mnt/docs " /proc/mounts)"')"
}
for _ in $(seq 30); do mounted && break; sleep 1; done
mounted || fail "d1: the shares were not mounted"
out=$(con d1 'grep " /mnt/" /proc/mounts | sed "s/^/M:/"' \
	'echo "R:$(cat /mnt/rw/host.txt)|$(cat /mnt/docs/host.txt)"' \
	'echo "from libvirt" >/mnt/rw/guest.txt; echo "W:$?"' 'ls /dev/tpm0 | sed "s/^/T:/"')
assert_contains "$out" "M:rw /mnt/rw virtiofs rw" "virtiofs through libvirt"
assert_contains "$out" "M:docs /mnt/docs 9p ro," "9p read-only through libvirt"
assert_contains "$out" "R:host rw|host ro"
assert_contains "$out" "W:0"
assert_contains "$out" "T:/dev/tpm0"
assert_eq "$(cat "$S/rw/guest.txt")" "from libvirt" "the guest's file on the host"
run_vmm 2 snapshot d1 create s1
assert_contains "$ERR" "vmm: d1: shared folder rw blocks a snapshot with memory"
assert_eq "$(printf '%s\n' "$ERR" | wc -l)" 1
run_vmm 0 stop --force d1

# ---- snapshots with memory, also after libvirt forgot them ----
lv d2 --kernel "$IMG/vmm-guest.kernel"
run_vmm 0 start --wait=ping:300 d2
con d2 'echo before >/tmp/value' >/dev/null
run_vmm 0 snapshot d2 create s1
assert_eq "$ERR" "vmm: d2: snapshot s1 created (running: disks and memory)"
[ "$(virsh -c "$URI" snapshot-list d2 --name | tr -d '\n ')" = s1 ] ||
	fail "libvirt does not list s1"
con d2 'echo after >/tmp/value' >/dev/null
run_vmm 0 snapshot d2 restore s1
assert_contains "$(value d2)" "val=[before]" "restored through libvirt"
run_vmm 2 snapshot d2 create s1
assert_eq "$ERR" "vmm: d2: snapshot s1 already exists (vmm snapshot d2 delete s1 first)"
# a new transient domain knows no snapshot; the qcow2 still holds s1
run_vmm 0 stop --force d2
run_vmm 0 start --wait=ping:300 d2
[ -z "$(virsh -c "$URI" snapshot-list d2 --name | tr -d '\n ')" ] || fail "libvirt kept metadata"
run_vmm 0 snapshot d2 restore s1
assert_contains "$(value d2)" "val=[before]" "restored after a restart"
run_vmm 0 snapshot d2 delete s1
run_vmm 0 snapshot d2 list
assert_not_contains "$OUT" "s1 "
run_vmm 0 stop --force d2

# ---- Secure Boot; libvirt refuses snapshots with UEFI ----
lv d3 --kernel "$IMG/vmm-guest.bzimage" --firmware uefi-secure
run_vmm 0 start --wait=ping:300 d3
assert_file "$VMM_HOME/images/d3-uefi-secure-vars.fd"
out=$(con d3 "echo \"sb=[\$(od -An -t u1 $efi_var | awk '{print \$5}')]\"" \
	'dmesg | grep -i "secure boot"')
assert_contains "$out" "sb=[1]"
assert_contains "$out" "secureboot: Secure boot enabled"
run_vmm 2 snapshot d3 create s1
assert_eq "$ERR" "vmm: d3: libvirt 9.0 refuses internal snapshots of a running guest with UEFI \
firmware (pflash); stop it to snapshot its disk"
run_vmm 0 stop --force d3
exit 0

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 17, item 1 (ACL grants follow symlinks and are never taken back). The attack: a local
# user owns the kernel (or ISO, initrd, image) a root profile names, and swaps it for a symlink
# to a root-only file; root's `vmm start` followed it (realpath), gave QEMU's user read on that
# file and search on its folders, attached it to the guest, and left the entries after the
# stop. And acl_calc_mask widened a narrow mask, so that another user's named entry gained what
# the mask had kept from it. Now such a link is refused before anything changes, QEMU gets its
# files as descriptors (no grant), and no ACL on the way changes.
. "$SRCDIR/tests/lib.sh"
need_root
need_guest
need_cmd getfacl
need_cmd setfacl
tutorial_topology
e2e_net_cfg
vmm_in_ns "$HOST"
new_user vmmusr
chmod 0711 "$T"
mkdir -m 0755 "$T/user" && chown "$U:$U" "$T/user"
cp "$GUEST_KERNEL" "$T/user/vmlinuz" && chown "$U:$U" "$T/user/vmlinuz"
mkdir -m 0700 "$T/secret" && echo "root's secret" >"$T/secret/key" && chmod 0600 "$T/secret/key"
guest_create g 192.168.166.120 --vnc none
run_vmm 0 set g "kernel=$T/user/vmlinuz"
# acls PATH...: every ACL on the way, as one text, to prove nothing changed
acls() { local f; for f in "$@"; do getfacl -cp "$f" 2>&1 | tr '\n' ' '; echo; done; }
watch=("$T" "$T/secret" "$T/secret/key" "$T/user" "$VMM_HOME" "$VMM_HOME/images" "$VMM_HOME/run"
	"$SRCDIR/images" "$GUEST_INITRD")
before=$(acls "${watch[@]}")

# the user swaps the kernel for a link to root's secret
as_user ln -sfn "$T/secret/key" "$T/user/vmlinuz" || fail "the user's link"
run_vmm 2 start g
assert_eq "$ERR" "vmm: g: kernel $T/user/vmlinuz: $T/user/vmlinuz is a symlink another user can change (name the file it points to)"
assert_eq "$(acls "${watch[@]}")" "$before" "ACLs after the refused start"
assert_no_file "$VMM_HOME/run/g/pid"
# a folder on the way swapped for a link is no better
as_user rm "$T/user/vmlinuz"
mkdir -m 0700 "$T/secret/boot" && cp "$GUEST_KERNEL" "$T/secret/boot/vmlinuz"
mv "$T/user" "$T/user.old" && mkdir -m 0755 "$T/user" && chown "$U:$U" "$T/user"
as_user ln -s "$T/secret/boot" "$T/user/boot" || fail "the user's folder link"
run_vmm 0 set g "kernel=$T/user/boot/vmlinuz"
run_vmm 2 start g
assert_contains "$ERR" "$T/user/boot is a symlink another user can change"
# a link root made in a folder only root may write is followed (/var/run -> /run and the like)
ln -s "$GUEST_KERNEL" "$T/secret/k" && chmod 0711 "$T/secret"
run_vmm 0 set g "kernel=$T/secret/k"
before=$(acls "${watch[@]}")

# the mask: another user's entry on the disk that the mask narrows to r-- stays r--
setfacl -m u:nobody:rw,m::r "$VMM_HOME/images/g.qcow2"
disk_acl=$(getfacl -cp "$VMM_HOME/images/g.qcow2")
assert_contains "$disk_acl" "user:nobody:rw-	#effective:r--"
run_vmm 0 start g
serial_wait g "VMM-GUEST: ready" 90 # it boots from what it was given
assert_eq "$(getfacl -cp "$VMM_HOME/images/g.qcow2")" "$disk_acl" "the disk's ACL while g runs"
assert_eq "$(acls "${watch[@]}")" "$before" "ACLs while g runs"
seed_acl=$(getfacl -cp "$VMM_HOME/images/g-seed.iso" | grep -c '^user:[^:]')
assert_eq "$seed_acl" 0 "named entries on the seed"
run_vmm 0 stop g
assert_eq "$(getfacl -cp "$VMM_HOME/images/g.qcow2")" "$disk_acl" "the disk's ACL after the stop"
assert_eq "$(acls "${watch[@]}")" "$before" "ACLs after the stop"
echo ok

# SPDX-License-Identifier: MIT
# libvirt reachability preflight (local URI) with a real filesystem and a real user: the user
# libvirt's QEMU runs as (qemu.conf `user`, here nobody) gets search on exactly the folders above
# the disk, seed and kernel it could not enter, and read (write: disk) on the files, through ACL
# entries announced in one line (test_access checks the grants themselves). The start then
# fails (no libvirtd): every grant is taken back. Where no ACL can be set (a read-only mount),
# start refuses in one line naming the folder and the fix.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd qemu-img
need_cmd getfacl
need_cmd setpriv
need_cmd unshare
# a local libvirt guest's start brings the network up: in a namespace of its own
NS=$(new_ns vmmreach); ns_track "$NS"
vmm_in_ns "$NS"
printf '# a comment\n#user = "root"\nuser = "nobody"\ngroup = "nogroup"\n' >"$T/qemu.conf"
export VMM_LIBVIRT_QEMU_CONF=$T/qemu.conf
D=$T/deep/a/b && mkdir -p "$D" && chmod 0700 "$T/deep" "$T/deep/a" "$D"
cp /bin/true "$D/kernel"; chmod 0600 "$D/kernel"
run_vmm 0 create lv --size 1M --backend libvirt --uri "qemu+unix:///system?socket=$T/no-libvirtd" \
	--kernel "$D/kernel"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_nobody test -r "$D/kernel" && fail "nobody reads the kernel before"
# no libvirtd behind that socket: the preflight runs (and fixes) before the connection fails
run_vmm 1 start lv
line=$(grep 'gave user nobody' <<<"$ERR")
assert_contains "$line" "vmm: lv: gave user nobody (POSIX ACL) search on $T, "
for d in "$T/home/images" "$T/deep" "$T/deep/a" "$D"; do assert_contains "$line" "search on $d, "; done
assert_not_contains "$line" "search on $T/home," "$T/home is open to all already"
assert_contains "$line" "$T/home/images/lv.qcow2"
assert_contains "$line" "$T/home/images/lv-seed.iso"
assert_contains "$line" "$D/kernel, as virt-manager does"
assert_eq "$(grep -c 'gave user' <<<"$ERR")" 1 "one line for the grant"
assert_contains "$ERR" "vmm: lv: Failed to connect socket to '$T/no-libvirtd'"
# the start failed after the grants: they were taken back (nothing half-done), through the
# record of what was added, and the ACLs are as they were
for f in "$T/deep/a" "$D" "$T/home/images/lv.qcow2" "$D/kernel" "$T/home/images"; do
	assert_eq "$(getfacl -cp "$f" | grep -c '^user:nobody')" 0 "nobody's entry on $f after the failed start"
	assert_eq "$(getfacl -cp "$f" | grep -c '^mask::')" 0 "a mask left on $f"
done
as_nobody test -r "$D/kernel" && fail "nobody reads the kernel after the failed start"
assert_no_file "$VMM_HOME/run/lv.grants"
# the next start grants the same again (one line), and takes it back the same way
run_vmm 1 start lv
assert_eq "$(grep 'gave user nobody' <<<"$ERR")" "$line" "the second start's grant"
assert_eq "$(getfacl -cp "$D/kernel" | grep -c '^user:nobody')" 0 "after the second failed start"
# a folder nobody cannot enter on a read-only mount: refused, naming the folder and the fix
mkdir -p "$T/ro/x" && chmod 0700 "$T/ro/x" && cp /bin/true "$T/ro/x/k"
run_vmm 0 set lv "kernel=$T/ro/x/k"
OUT=$(unshare -m sh -c 'mount --bind -o ro "$1" "$1" && exec "$2" start lv' sh "$T/ro" "$VMM" 2>&1); RC=$?
assert_eq "$RC" 1 "exit"
assert_contains "$OUT" "vmm: lv: folder $T/ro/x: user nobody cannot search it and vmm cannot grant it (read-only file system); fix: setfacl -m u:nobody:x $T/ro/x (libvirt's QEMU runs as nobody)"
echo ok

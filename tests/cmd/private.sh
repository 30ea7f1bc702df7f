# SPDX-License-Identifier: MIT
# Private files: disks and seeds are created 0600, images/ and run/ 0700, a file vmm replaces
# keeps its (narrower) mode, an adopted disk keeps its own; a user without XDG_RUNTIME_DIR gets
# ~/.local/state/vmm/run (XDG_STATE_HOME) only when it is a real folder of theirs with mode 0700.
. "$SRCDIR/tests/lib.sh"
need_cmd qemu-img
run_vmm 0 create g --size 1M --ssh-key <(echo "ssh-ed25519 AAAAC3Nza test@x")
assert_eq "$(stat -c %a "$VMM_HOME/images/g.qcow2")" 600 "new disk"
assert_eq "$(stat -c %a "$VMM_HOME/images")" 700 "images/"
assert_eq "$(stat -c %a "$VMM_HOME/run")" 700 "run/"
run_vmm 0 seed g
assert_eq "$(stat -c %a "$VMM_HOME/images/g-seed.iso")" 600 "new seed"
# a replaced seed never gets wider than it was
chmod 0400 "$VMM_HOME/images/g-seed.iso"
run_vmm 0 set g hostname=other
run_vmm 0 seed g
assert_eq "$(stat -c %a "$VMM_HOME/images/g-seed.iso")" 400 "rewritten seed keeps 0400"
# a seed an older vmm wrote 0644 becomes 0600 when it is rewritten
chmod 0644 "$VMM_HOME/images/g-seed.iso"
run_vmm 0 set g hostname=third
run_vmm 0 seed g
assert_eq "$(stat -c %a "$VMM_HOME/images/g-seed.iso")" 600 "rewritten 0644 seed narrowed"
# an ACL entry on it survives the rewrite
if command -v setfacl >/dev/null; then
	setfacl -m u:nobody:r "$VMM_HOME/images/g-seed.iso"
	run_vmm 0 set g hostname=fourth
	run_vmm 0 seed g
	assert_contains "$(getfacl -cp "$VMM_HOME/images/g-seed.iso")" "user:nobody:r--" "ACL kept"
	assert_contains "$(getfacl -cp "$VMM_HOME/images/g-seed.iso")" "other::---" "ACL kept"
fi
# an adopted disk keeps its mode
qemu-img create -q -f qcow2 "$VMM_HOME/images/r.qcow2" 1M
chmod 0640 "$VMM_HOME/images/r.qcow2"
run_vmm 0 create r --reuse-disk
assert_eq "$(stat -c %a "$VMM_HOME/images/r.qcow2")" 640 "adopted disk"

# ~/.local/state/vmm/run for a user without XDG_RUNTIME_DIR (and without --home/VMM_HOME)
need_root
need_cmd setpriv
U=65534
NH=$(mktemp -d /tmp/vmm-nobody.XXXXXX) && chown $U "$NH"
R=$NH/.local/state/vmm/run
at_exit "rm -rf $NH"
as_nobody() { # EXPECTED_RC ARGS...
	local want=$1; shift
	OUT=$(env -i PATH="$PATH" HOME="$NH" setpriv --reuid=$U --regid=$U --clear-groups \
		"$VMM" "$@" 2>"$T/stderr"); RC=$?
	ERR=$(cat "$T/stderr")
	[ "$RC" = "$want" ] || fail "vmm $* as nobody: exit $RC, wanted $want; stderr: $ERR"
}
mkdir -p "$NH/.local/state/vmm" && chown -R $U "$NH/.local"
ln -s "$T" "$R"
as_nobody 1 list
assert_eq "$ERR" "vmm: run folder $R: not a real folder (a symlink); remove it or set XDG_RUNTIME_DIR"
rm "$R"; mkdir -m 0700 "$R"
as_nobody 1 list
assert_eq "$ERR" "vmm: run folder $R: owned by uid 0, not by you (uid 65534); remove it or set XDG_RUNTIME_DIR"
chown $U "$R"; chmod 0755 "$R"
as_nobody 1 list
assert_eq "$ERR" "vmm: run folder $R: mode 0755, not 0700; chmod 700 it or set XDG_RUNTIME_DIR"
rm -rf "$NH/.local"
as_nobody 0 list
assert_eq "$(stat -c '%a %u %F' "$R")" "700 $U directory" "made by vmm"
assert_eq "$(stat -c '%a' "$NH/.local/state/vmm")" 700 "its parents private too"
# XDG_STATE_HOME moves it
as_nobody 0 list
OUT=$(env -i PATH="$PATH" HOME="$NH" XDG_STATE_HOME="$NH/st" setpriv --reuid=$U --regid=$U \
	--clear-groups "$VMM" list 2>&1) || fail "list with XDG_STATE_HOME: $OUT"
assert_eq "$(stat -c '%a %u' "$NH/st/vmm/run")" "700 $U" "XDG_STATE_HOME/vmm/run"
echo ok

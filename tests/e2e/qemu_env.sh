#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 17, item 9. Two attacks: (1) QEMU, qemu-img and ssh-keygen inherited root's whole
# environment (whatever the caller of `sudo -E vmm` or a unit set: here a marker variable);
# they must get PATH and LANG=C only. (2) An existing account named vmm was trusted as QEMU's
# user even with uid 0 (QEMU then ran as root), a login shell or a home; it must be refused in
# one line naming the fix, before anything changes. The account is changed only in a mount
# namespace of the test's own (a copy of /etc/passwd bound over it).
. "$SRCDIR/tests/lib.sh"
need_root
need_guest
need_cmd unshare
tutorial_topology
e2e_net_cfg
vmm_in_ns "$HOST"
CLEAN=$'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nLANG=C'
# The helpers vmm runs, wrapped: each records the environment it was started with.
mkdir -p "$T/bin"
for prog in qemu-img ssh-keygen; do
	real=$(command -v "$prog") || skip "needs $prog"
	printf '#!/bin/sh\n{ tr "\\0" "\\n" </proc/$$/environ; echo --; } >>%s/env.%s\nexec %s "$@"\n' \
		"$T" "$prog" "$real" >"$T/bin/$prog"
	chmod +x "$T/bin/$prog"
done
export VMM_TEST_MARKER=from-roots-shell HOME="$T/user"
mkdir -p "$HOME"
PATH="$T/bin:$PATH" run_vmm 0 create g --size 64M --ram 128 --vnc none --kernel "$GUEST_KERNEL" \
	--initrd "$GUEST_INITRD" --append console=ttyS0 --ip 192.168.166.140/24
PATH="$T/bin:$PATH" run_vmm 0 start g
pid=$(cat "$VMM_HOME/run/g/pid")
assert_eq "$(tr '\0' '\n' <"/proc/$pid/environ")" "$CLEAN" "QEMU's environment"
for prog in qemu-img ssh-keygen; do
	[ -s "$T/env.$prog" ] || fail "$prog was not run through the wrapper"
	assert_not_contains "$(cat "$T/env.$prog")" "VMM_TEST_MARKER" "$prog's environment"
	assert_eq "$(sort -u "$T/env.$prog")" "$(printf '%s\n--\n' "$CLEAN" | sort -u)" "$prog's environment"
done
run_vmm 0 stop g --force

# The account vmm, changed in a mount namespace of this test: start refuses, nothing changes.
# bad FIELD VALUE: /etc/passwd's vmm line with that field (3 uid, 4 gid, 6 home, 7 shell)
bad() {
	awk -F: -v OFS=: -v f="$1" -v v="$2" '$1 == "vmm" { $f = v } { print }' /etc/passwd >"$T/passwd"
	grep -q '^vmm:' "$T/passwd" || fail "no account vmm (a start makes it)"
}
start_as() {
	OUT=$(nsx "$HOST" unshare -m sh -c 'mount --bind "$1" /etc/passwd && exec "$2" start g' - \
		"$T/passwd" "$VMM_REAL" 2>&1); RC=$?
}
before=$(tree_sum "$VMM_HOME")
bad 3 0
start_as
assert_eq "$RC" 1 "start with vmm's uid 0"
assert_eq "$OUT" "vmm: g: user vmm: uid 0 (root); QEMU must not run as root: fix: userdel vmm (vmm makes it again, a system user without shell or home)"
bad 4 0
start_as
assert_eq "$OUT" "vmm: g: user vmm: gid 0 (root); QEMU must not run as root: fix: userdel vmm (vmm makes it again, a system user without shell or home)"
bad 7 /bin/bash
start_as
assert_eq "$OUT" "vmm: g: user vmm: has the login shell /bin/bash; fix: usermod -s /usr/sbin/nologin vmm"
bad 6 /root
start_as
assert_eq "$OUT" "vmm: g: user vmm: has the home /root; fix: usermod -d /nonexistent vmm"
assert_eq "$(tree_sum "$VMM_HOME" | grep -v ' ./run/net')" "$(grep -v ' ./run/net' <<<"$before")" \
	"the home after the refusals"
assert_no_file "$VMM_HOME/run/g"
echo ok

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# home_trust.sh: issue 17 item 6, a home another user controls. The attack: a user crafts
# run/net.state in a home of theirs ("an interrupted net up made address 10.9.9.1/24 on victim and
# brought it up") and gets root to use it (`sudo vmm --home ~/vmm ...`, VMM_HOME): the journal
# recovery of root's next `net down` removes the address of a host interface and takes it down.
# vmm must refuse such a home (its folders, net.cfg, journal, profiles, and every folder above,
# symlinks followed) before reading anything, in one line naming the file and the fix, exit 2,
# like sshd's StrictModes; as an ordinary user, the same with that user as the trusted owner.
# The victim is a veth in a namespace of this test; the default namespace is never touched.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd setpriv
NS=$(new_ns vmmtrust); ns_track "$NS"
nsx "$NS" ip link add victim type veth peer name victim-peer || fail "veth"
nsx "$NS" ip addr add 10.9.9.1/24 dev victim
nsx "$NS" ip link set victim up
nsx "$NS" ip link set victim-peer up
victim() { nsx "$NS" ip -o -4 addr show dev victim | awk '{print $4}'; nsx "$NS" ip -o link show victim | grep -o '<[^>]*>'; }
before=$(victim)
assert_contains "$before" "10.9.9.1/24" "the victim's address"
assert_contains "$before" ",UP" "the victim is up"
vmm_ns() { nsx "$NS" "$VMM" "$@"; }

# craft HOME: a home whose journal says an interrupted `net up` made the victim's address and link
craft() {
	rm -rf "$1"
	mkdir -p "$1/run" "$1/profiles" "$1/images"
	chmod 700 "$1/run" "$1/images"
	printf 'begin up 1\naddress victim 10.9.9.1/24\nup victim\n' >"$1/run/net.state"
}
# refused MESSAGE ARGS...: vmm ARGS exits 2 with MESSAGE, and the victim is untouched
refused() {
	local msg=$1; shift
	OUT=$(vmm_ns "$@" 2>"$T/stderr"); RC=$?
	ERR=$(cat "$T/stderr")
	assert_eq "$(victim)" "$before" "the victim after vmm $* (the crafted journal was obeyed)"
	assert_eq "$RC" 2 "exit of vmm $* (stderr: $ERR)"
	assert_eq "$ERR" "vmm: $msg"
}
H=$T/evil

# 1. the home itself belongs to another user (the whole tree is theirs), by --home and VMM_HOME
craft "$H"; chown -R nobody "$H"
refused "$H: owned by nobody, not root: refused (fix: chown root $H)" --home "$H" net down
VMM_HOME=$H refused "$H: owned by nobody, not root: refused (fix: chown root $H)" net down
# 2. root's home, but run/ is another user's
craft "$H"; chown nobody "$H/run"
refused "$H/run: owned by nobody, not root: refused (fix: chown root $H/run)" --home "$H" net down
# 3. only the journal is another user's
craft "$H"; chown nobody "$H/run/net.state"
refused "$H/run/net.state: owned by nobody, not root: refused (fix: chown root $H/run/net.state)" \
	--home "$H" net down
# 4. root's journal, but anyone may write it
craft "$H"; chmod 0666 "$H/run/net.state"
refused "$H/run/net.state: writable by group or others: refused (fix: chmod go-w $H/run/net.state)" \
	--home "$H" net down
# 5. a folder above the home: another user's, or group-writable (they could swap the home)
mkdir -p "$T/up/u"; craft "$T/up/u/h"; chown nobody "$T/up/u"
refused "$T/up/u: owned by nobody, not root: refused (fix: chown root $T/up/u)" \
	--home "$T/up/u/h" net down
chown root "$T/up/u"; chmod 0775 "$T/up"
refused "$T/up: writable by group or others: refused (fix: chmod go-w $T/up)" \
	--home "$T/up/u/h" net down
chmod 0755 "$T/up"
# 6. a symlink is not trusted for itself: where it leads is checked (nobody's home here)
craft "$H"; chown -R nobody "$H"; ln -sfn "$H" "$T/link"
refused "$H: owned by nobody, not root: refused (fix: chown root $H)" --home "$T/link" net down
# ... and a root-owned symlink inside a folder that is another user's
mkdir -p "$T/theirs"; chown nobody "$T/theirs"; chown -R root "$H"; ln -sfn "$H" "$T/theirs/h"
refused "$T/theirs: owned by nobody, not root: refused (fix: chown root $T/theirs)" \
	--home "$T/theirs/h" net down
# 7. net.cfg and a profile (a crafted profile names files root would grant QEMU access to)
craft "$H"; printf 'bridge = "victim";\n' >"$H/profiles/net.cfg"; chown nobody "$H/profiles/net.cfg"
refused "$H/profiles/net.cfg: owned by nobody, not root: refused (fix: chown root $H/profiles/net.cfg)" \
	--home "$H" net down
rm "$H/profiles/net.cfg"
printf 'memory = 256;\ncpus = 1;\ndisk = { path = "/etc/shadow"; };\niso = "/etc/shadow";\nvnc = "none";\n' \
	>"$H/profiles/g.cfg"
chown nobody "$H/profiles/g.cfg"
refused "$H/profiles/g.cfg: owned by nobody, not root: refused (fix: chown root $H/profiles/g.cfg)" \
	--home "$H" show g
chown root "$H/profiles/g.cfg"; chmod 0646 "$H/profiles/g.cfg"
refused "$H/profiles/g.cfg: writable by group or others: refused (fix: chmod go-w $H/profiles/g.cfg)" \
	--home "$H" show g
# the same profiles in a list (read relative to the folder, checked on the open file): each is a
# row of its own saying why, and nothing is read from it; a symlinked profile is checked where it
# points, a FIFO refused without waiting on it
listed() { # NAME REASON: list's row for NAME
	OUT=$(vmm_ns --home "$H" list 2>"$T/stderr") || fail "list: $(cat "$T/stderr")"
	assert_contains "$OUT" "$(printf '%-16s %-8s %s' "$1" invalid "$2")" "list's row for $1"
	assert_not_contains "$OUT" "/etc/shadow" "a refused profile was read"
}
listed g "$H/profiles/g.cfg: writable by group or others: refused (fix: chmod go-w $H/profiles/g.cfg)"
chmod 0644 "$H/profiles/g.cfg"; chown nobody "$H/profiles/g.cfg"
listed g "$H/profiles/g.cfg: owned by nobody, not root: refused (fix: chown root $H/profiles/g.cfg)"
mkdir -p "$T/theirs2"; mv "$H/profiles/g.cfg" "$T/theirs2/g.cfg"; chown -R nobody "$T/theirs2"
ln -s "$T/theirs2/g.cfg" "$H/profiles/g.cfg"
listed g "$T/theirs2: owned by nobody, not root: refused (fix: chown root $T/theirs2)"
mkfifo "$H/profiles/f.cfg"
listed f "$H/profiles/f.cfg: not a regular file: refused"
rm -f "$H/profiles/g.cfg" "$H/profiles/f.cfg"
# a home that does not exist yet is not made under a folder another user owns
mkdir -p "$T/u2"; chown nobody "$T/u2"
refused "$T/u2: owned by nobody, not root: refused (fix: chown root $T/u2)" --home "$T/u2/new" list
assert_no_file "$T/u2/new"

# 8. the control: the same journal in a home root controls is obeyed (so the attack above is
# real and only the refusal stopped it); a sticky world-writable folder above (/tmp) is fine
craft "$H"
assert_eq "$(stat -c %a /tmp)" 1777 "/tmp is sticky"
out=$(vmm_ns --home "$H" net down 2>&1) || fail "net down in root's own home: $out"
assert_contains "$out" "rolled back an interrupted \`net up\`"
assert_not_contains "$(victim)" "10.9.9.1/24" "the trusted journal was obeyed"

# 9. an ordinary user: trusted owners are that user and root (a binary copy nobody can reach)
chmod 755 "$T"; mkdir -p "$T/bin"; cp "$VMM" "$T/bin/vmm"; chmod 755 "$T/bin" "$T/bin/vmm"
as_nobody() {
	env -i PATH="$PATH" HOME="$T" setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		"$T/bin/vmm" "$@"
}
mkdir -p "$T/nh"; chown nobody "$T/nh"
out=$(as_nobody --home "$T/nh" list 2>&1) || fail "nobody in a home of its own: $out"
chown daemon "$T/nh"
out=$(as_nobody --home "$T/nh" list 2>&1); rc=$?
assert_eq "$rc" 2 "nobody in daemon's home: $out"
assert_eq "$out" "vmm: $T/nh: owned by daemon, not by you (nobody) or root: refused (fix: chown nobody $T/nh)"
chown -R nobody "$T/nh"; chown daemon "$T/nh/run"
out=$(as_nobody --home "$T/nh" list 2>&1); rc=$?
assert_eq "$rc" 2 "nobody with daemon's run/: $out"
assert_eq "$out" "vmm: $T/nh/run: owned by daemon, not by you (nobody) or root: refused (fix: chown nobody $T/nh/run)"
echo "home_trust: every crafted home refused, the victim untouched; a trusted journal obeyed"

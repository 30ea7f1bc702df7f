# SPDX-License-Identifier: MIT
# Help never drifts: vmm help, vmm help CMD, vmm CMD --help, the man page and the README agree.
. "$SRCDIR/tests/lib.sh"
run_vmm 0 help
cmds=$(printf '%s\n' "$OUT" | sed -n '/^commands:/,/^$/p' | awk 'NF && !/^commands:/ {print $1}')
[ "$(echo "$cmds" | wc -l)" -ge 12 ] || fail "too few commands in vmm help: $cmds"
man=$("$VMM" help --man)
diff -u "$SRCDIR/contrib/vmm.1" <(printf '%s\n' "$man") >&2 || fail "contrib/vmm.1 is stale: run make man"
for c in $cmds; do
	run_vmm 0 help "$c"; a=$OUT
	assert_contains "$a" "usage: vmm $c" "help $c"
	[ "$c" = help ] || [ "$c" = version ] || { run_vmm 0 "$c" --help; assert_eq "$OUT" "$a" "vmm $c --help"; }
	assert_contains "$man" ".SS \"$c" "man page entry for $c"
	grep -q "vmm $c" "$SRCDIR/README.md" || fail "README does not mention vmm $c"
	# every option a command's help lists is in the man page
	for o in $(printf '%s\n' "$a" | grep -o -- '^  --[a-z-]*' | sed 's/^  //'); do
		assert_contains "$man" "$(printf '%s' "$o" | sed 's/-/\\-/g')" "man page lists $o for $c"
	done
done
run_vmm 2 bogus
assert_eq "$ERR" 'vmm: unknown command "bogus", try "vmm help"'
run_vmm 2 help bogus
assert_eq "$ERR" 'vmm: unknown command "bogus", try "vmm help"'
run_vmm 0 version
assert_contains "$OUT" "vmm "
run_vmm 2
run_vmm 2 --home
assert_eq "$ERR" "vmm: --home: needs a folder"
# global options work after the command too
run_vmm 0 list --json
assert_eq "$OUT" "[
]"
# --home beats VMM_HOME
mkdir -p "$T/h2"
run_vmm 0 --home "$T/h2" create g --size 1M
assert_file "$T/h2/profiles/g.cfg"
assert_no_file "$VMM_HOME/profiles/g.cfg"
# writing to a full stdout is an error, not a silent success
if [ -w /dev/full ]; then
	"$VMM" help > /dev/full 2>"$T/e"; rc=$?
	assert_eq "$rc" 1 "exit on /dev/full"
	assert_contains "$(cat "$T/e")" "vmm: stdout:"
fi
echo ok

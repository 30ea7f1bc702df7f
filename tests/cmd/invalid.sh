# SPDX-License-Identifier: MIT
# A profile that does not load is one broken guest, not a broken home: list shows it as invalid
# with FILE:LINE: reason (JSON: "reason"), the others work, net up plans without it and names
# it, start/show/set of it exit 2 with the reason, delete still removes it.
. "$SRCDIR/tests/lib.sh"
need_cmd qemu-img
create_guests a b
P=$VMM_HOME/profiles
printf 'memory = 512;\ncpus = 1;\n\nvnc = { display = = 5; };\n' >"$P/bad.cfg"
printf 'memory = 512;\nvnc = { display = 7; };\nwhat = 1;\n' >"$P/odd.cfg"
printf 'vnc = { display = 8; };\nnet = { address = "10.9.9.9/24"; };\n' >"$P/far.cfg"
why_bad="$P/bad.cfg:4: syntax error"
why_odd="$P/odd.cfg:3: unknown key \"what\""

run_vmm 0 list
assert_contains "$OUT" "a                stopped"
assert_contains "$OUT" "b                stopped"
assert_contains "$OUT" "bad              invalid  $why_bad"
assert_contains "$OUT" "odd              invalid  $why_odd"
assert_contains "$OUT" "far              invalid  $P/far.cfg: address 10.9.9.9/24: outside the bridge subnet"
assert_eq "$(printf '%s\n' "$OUT" | awk 'NR > 1 {print $1}' | tr '\n' ' ')" "a b bad far odd " "rows in name order"
run_vmm 0 --json list
assert_eq "$(python3 -c 'import json,sys; d={g["name"]: g for g in json.load(sys.stdin)}; print(d["bad"]["state"], "|", d["bad"]["reason"], "|", d["a"]["state"], "|", "reason" in d["a"])' <<<"$OUT")" \
	"invalid | $why_bad | stopped | False" "list --json"

# the broken guest itself: exit 2 with its reason
for cmd in "start bad" "show bad" "set bad cpus=2" "status bad" "stop bad" "vnc bad" "seed bad"; do
	run_vmm 2 $cmd
	assert_eq "$ERR" "vmm: $why_bad" "vmm $cmd"
done
# the others still work, and allocation goes on around it
run_vmm 0 set a cpus=2
run_vmm 0 show a
run_vmm 0 create c --size 1M
run_vmm 0 --dry-run start c
# net up (planned): the good guests' taps, one line per skipped profile
run_vmm 0 --dry-run net up
assert_contains "$OUT" "vmm-a"
assert_contains "$OUT" "vmm-c"
assert_not_contains "$OUT" "vmm-bad"
assert_contains "$ERR" "vmm: net up: skipped bad: $why_bad"
assert_contains "$ERR" "vmm: net up: skipped odd: $why_odd"
assert_eq "$(grep -c skipped <<<"$ERR")" 3 "one line per skipped profile"
# delete removes it (its disk, if any, is not known and stays)
touch "$VMM_HOME/images/bad.qcow2"
run_vmm 0 delete bad --purge
assert_no_file "$P/bad.cfg"
assert_file "$VMM_HOME/images/bad.qcow2"
run_vmm 2 show bad
assert_eq "$ERR" "vmm: bad: no such guest (see vmm list)"
run_vmm 0 list
assert_not_contains "$OUT" "bad "
echo ok

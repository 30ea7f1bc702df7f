#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_invalid.sh: a home with broken profiles still gets its network: `vmm net up` makes every
# other guest's tap, prints one line per skipped profile, and `net down` removes it all.
. "$SRCDIR/tests/lib.sh"
need_root
tutorial_topology
create_guests good1 good2
P=$VMM_HOME/profiles
printf 'memory = 512;\nvnc = { display = 9 };\ncpus = 2;;\n' >"$P/bad.cfg"
printf 'vnc = { display = 8; };\nnet = { address = "192.169.166.100/24"; };\n' >"$P/typo.cfg"
before=$(net_snapshot "$HOST")
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"
err=$(cat "$T/err")
assert_contains "$err" "vmm: net up: skipped bad: $P/bad.cfg:"
assert_contains "$err" "vmm: net up: skipped typo: $P/typo.cfg: address 192.169.166.100/24: outside the bridge subnet 192.168.166.0/24"
assert_eq "$(grep -c 'skipped' <<<"$err")" 2 "one line per skipped profile"
assert_contains "$err" "net up: bridge br0 with 192.168.166.1/24, 2 taps"
for t in vmm-good1 vmm-good2; do
	assert_contains "$(nsx "$HOST" ip -d link show "$t")" "master br0"
done
nsx "$HOST" ip link show vmm-bad >/dev/null 2>&1 && fail "a tap for the broken profile"
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
assert_eq "$(net_snapshot "$HOST")" "$before" "net down returns the namespace to its state"
echo ok

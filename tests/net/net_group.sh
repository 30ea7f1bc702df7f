#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_group.sh: a foreign interface that sits in the link group vmm uses for its bridge and taps
# stays as it is (group included) through `net up` and `net down`, which still remove vmm's links.
. "$SRCDIR/tests/lib.sh"
need_root
tutorial_topology
create_guests ubuntu ubuntu2
nsx "$HOST" "$VMM" -q net up || fail "net up"
group=$(nsx "$HOST" ip -d -o link show br0 | sed -n 's/.* group \([0-9a-z]*\) .*/\1/p')
[ -n "$group" ] && [ "$group" != default ] || fail "br0 is in no link group of its own"
nsx "$HOST" "$VMM" -q net down || fail "net down"
# the admin's veth, put (by chance or on purpose) in that group
nsx "$HOST" ip link add foreign0 group "$group" type veth peer name foreign1
before=$(nsx "$HOST" ip -d -o link show foreign0)
nsx "$HOST" "$VMM" -q net up || fail "net up"
nsx "$HOST" "$VMM" -q net down || fail "net down"
assert_eq "$(nsx "$HOST" ip -d -o link show foreign0)" "$before" "foreign link after net down"
for l in br0 vmm-ubuntu vmm-ubuntu2; do
	nsx "$HOST" ip link show "$l" >/dev/null 2>&1 && fail "$l left behind"
done
echo ok

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 17, item 10 (concurrency): 16 `vmm create` at once in a fresh home, whose user has no SSH
# key, all need the home's key pair at the same moment. Each must succeed, one pair must be made
# (announced once), and every guest must get that pair's public key. (The race it reproduces:
# each create saw no pair, removed the other's half-made files and ran ssh-keygen on them, and
# some failed with "ssh-keygen ... failed".)
. "$SRCDIR/tests/lib.sh"
need_cmd qemu-img
need_cmd ssh-keygen
export HOME="$T/user" # no ~/.ssh: the home's own pair is the default key
mkdir -p "$HOME"
N=16
for round in 1 2 3; do
	export VMM_HOME="$T/home$round"
	mkdir -p "$VMM_HOME"
	pids=()
	for i in $(seq $N); do
		"$VMM" create "g$i" --size 1M >"$T/out$i" 2>"$T/err$i" &
		pids+=($!)
	done
	failed=0
	for i in $(seq $N); do
		wait "${pids[$((i - 1))]}" || { failed=$((failed + 1)); echo "g$i: $(cat "$T/err$i")" >&2; }
	done
	assert_eq "$failed" 0 "round $round: creates that failed"
	assert_eq "$(cat "$T"/err* | grep -c 'made an SSH key pair for this home')" 1 \
		"round $round: key pairs announced"
	pub=$(cat "$VMM_HOME/images/ssh/id_ed25519.pub") || fail "no public key"
	ssh-keygen -l -f "$VMM_HOME/images/ssh/id_ed25519" >/dev/null 2>&1 ||
		fail "round $round: the private key does not load"
	assert_eq "$(ssh-keygen -y -f "$VMM_HOME/images/ssh/id_ed25519" | cut -d' ' -f1-2)" \
		"$(cut -d' ' -f1-2 <<<"$pub")" "round $round: the two halves are one pair"
	for i in $(seq $N); do
		assert_contains "$(cat "$VMM_HOME/profiles/g$i.cfg")" "ssh_keys = [ \"$pub\" ];" \
			"round $round: g$i's key"
	done
	# nothing half-made is left beside the pair
	assert_eq "$(ls -A "$VMM_HOME/images/ssh" | grep -v '^\.lock$' | tr '\n' ' ')" \
		"id_ed25519 id_ed25519.pub " "round $round: files in images/ssh"
	rm -f "$T"/err* "$T"/out*
done
echo ok

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/run.sh BUILD [unit|cmd|net|e2e|all]: run the test suites; the last line is
# "N passed, N failed, N skipped". A skip counts against the run (exit 1) unless VMM_ALLOW_SKIP=1:
# on a machine where contrib/deps.sh installed everything, every test runs.
set -u
BUILD=$(cd "${1:-build}" && pwd)
what=${2:-all}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
export BUILD SRCDIR VMM="$BUILD/vmm"
pass=0 fail=0 skip=0 failed=() skipped=()
logdir="$BUILD/test-logs"; mkdir -p "$logdir"

run_one() { # name, command...
	local name=$1; shift
	local log="$logdir/${name//\//_}.log" t0=$SECONDS rc why
	"$@" >"$log" 2>&1; rc=$?
	local dt=$((SECONDS - t0))
	if [ $rc -eq 0 ]; then pass=$((pass + 1)); printf 'PASS %-40s %3ss\n' "$name" "$dt"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); skipped+=("$name")
		why=$(sed -n 's/^skipped: //p' "$log" | tail -1)
		printf 'SKIP %-40s (%s)\n' "$name" "${why:-no reason given: $(tail -1 "$log")}"
	else fail=$((fail + 1)); failed+=("$name"); printf 'FAIL %-40s %3ss (exit %d)\n' "$name" "$dt" "$rc"
		sed 's/^/    | /' "$log" | tail -40
	fi
}

want() { [ "$what" = all ] || [ "$what" = "$1" ]; }

if want unit; then
	n=0
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		n=$((n + 1))
		run_one "unit/$(basename "$t")" "$t"
	done
	if [ $n -eq 0 ]; then
		fail=$((fail + 1)); failed+=("unit")
		printf 'FAIL %-40s (no unit test built in %s/tests: run make unit)\n' "unit" "$BUILD"
	fi
fi
for suite in cmd net e2e; do
	want $suite || continue
	for t in "$SRCDIR"/tests/$suite/*.sh; do
		[ -f "$t" ] || continue
		run_one "$suite/$(basename "$t" .sh)" bash "$t"
	done
done

[ ${#failed[@]} -gt 0 ] && printf 'failed: %s\n' "${failed[*]}"
rc=0
[ $fail -eq 0 ] || rc=1
if [ $skip -gt 0 ]; then
	if [ "${VMM_ALLOW_SKIP:-}" = 1 ]; then
		printf 'skipped (allowed by VMM_ALLOW_SKIP=1): %s\n' "${skipped[*]}"
	else
		printf 'skipped: %s: a skip fails the run (contrib/deps.sh installs what they need; VMM_ALLOW_SKIP=1 allows skips)\n' "${skipped[*]}"
		rc=1
	fi
fi
printf '%d passed, %d failed, %d skipped\n' "$pass" "$fail" "$skip"
exit $rc

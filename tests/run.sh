#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/run.sh BUILD [unit|cmd|net|e2e|all]: run the test suites; the last line is "N passed, N failed".
set -u
BUILD=$(cd "${1:-build}" && pwd)
what=${2:-all}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
export BUILD SRCDIR VMM="$BUILD/vmm"
pass=0 fail=0 skip=0 failed=()
logdir="$BUILD/test-logs"; mkdir -p "$logdir"

run_one() { # name, command...
	local name=$1; shift
	local log="$logdir/${name//\//_}.log" t0=$SECONDS rc
	"$@" >"$log" 2>&1; rc=$?
	local dt=$((SECONDS - t0))
	if [ $rc -eq 0 ]; then pass=$((pass + 1)); printf 'PASS %-40s %3ss\n' "$name" "$dt"
	elif [ $rc -eq 77 ]; then skip=$((skip + 1)); printf 'SKIP %-40s (%s)\n' "$name" "$(tail -1 "$log")"
	else fail=$((fail + 1)); failed+=("$name"); printf 'FAIL %-40s %3ss (exit %d)\n' "$name" "$dt" "$rc"
		sed 's/^/    | /' "$log" | tail -40
	fi
}

want() { [ "$what" = all ] || [ "$what" = "$1" ]; }

if want unit; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" "$t"
	done
fi
for suite in cmd net e2e; do
	want $suite || continue
	for t in "$SRCDIR"/tests/$suite/*.sh; do
		[ -f "$t" ] || continue
		run_one "$suite/$(basename "$t" .sh)" bash "$t"
	done
done

[ ${#failed[@]} -gt 0 ] && printf 'failed: %s\n' "${failed[*]}"
printf '%d passed, %d failed, %d skipped\n' "$pass" "$fail" "$skip"
[ $fail -eq 0 ]

#!/bin/bash
# run-all.sh BUILD [unit|e2e|headers] — runs the test suites and ends with
# one "N passed, N failed" line over every test case.
set -uo pipefail
BUILD=${1:-build}
WHAT=${2:-all}
# Tests that build their own fixtures use the tools of the same build.
export KENSHU_TOOLS=$BUILD/tools
pass=0
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() { # add the ok/not ok lines of a TAP-ish or cmocka log
	local p f
	p=$(grep -cE '^\[       OK \]|^ok ' "$log" || true)
	f=$(grep -cE '^\[  FAILED  \] [^0-9]|^not ok ' "$log" || true)
	pass=$((pass + p))
	fail=$((fail + f))
}

if [ "$WHAT" = all ] || [ "$WHAT" = headers ]; then
	# Every public header must compile on its own (hivex's test-just-header).
	for h in include/kenshu/*.h; do
		if echo "#include <kenshu/$(basename "$h")>" |
			${CC:-gcc} -std=c11 -D_GNU_SOURCE -Wall -Werror -Iinclude -fsyntax-only -x c - 2>"$log.err"; then
			echo "ok - header $(basename "$h") compiles alone"
			pass=$((pass + 1))
		else
			echo "not ok - header $(basename "$h") compiles alone"
			cat "$log.err"
			fail=$((fail + 1))
		fi
	done
	rm -f "$log.err"
fi

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
	for t in "$BUILD"/tests/test-*; do
		[ -x "$t" ] || continue
		"$t" >"$log" 2>&1
		rc=$?
		cat "$log"
		count
		if [ $rc -ne 0 ] && ! grep -qE '^\[  FAILED  \] [^0-9]' "$log"; then
			echo "not ok - $(basename "$t") exited $rc"
			fail=$((fail + 1))
		fi
	done
fi

if [ "$WHAT" = all ] || [ "$WHAT" = e2e ]; then
	for script in tests/e2e/run.sh tests/e2e/test-*.sh; do
		"$script" "$BUILD" >"$log" 2>&1
		rc=$?
		cat "$log"
		count
		if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$log"; then
			echo "not ok - $script exited $rc"
			fail=$((fail + 1))
		fi
	done
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]

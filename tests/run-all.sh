#!/bin/bash
# run-all.sh BUILD [unit|e2e|headers|fuzz|future] — runs the test suites and ends
# with one "N passed, N failed" line over every test case. "all" (the
# default) runs the unit and end-to-end suites twice: on today's clock, and
# again with the clock KENSHU_TEST_YEARS_AHEAD (default 10) years ahead
# (libfaketime), so that no test can depend on the day it runs.
set -uo pipefail
BUILD=${1:-build}
WHAT=${2:-all}
# Tests that build their own fixtures use the tools of the same build.
export KENSHU_TOOLS=$BUILD/tools
# A sanitizer build reports leaks with the suppressions of tests/lsan.supp
# (each a library leak kenshu cannot free, explained there), with whole
# stacks: ASan's fast unwinder stops inside libntfs-3g (no frame pointers),
# where no suppression can match. Settings given by the caller win; a
# build without sanitizers ignores both.
case ":${LSAN_OPTIONS-}:" in
*:suppressions=*) ;;
*) export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" ;;
esac
case ":${ASAN_OPTIONS-}:" in
*:fast_unwind_on_malloc=*) ;;
*) export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" ;;
esac
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
	# The tree keeps the stage table of docs/architecture.md: no include
	# cycle or include up the pipeline, printing and exiting only in cli/,
	# no file over 800 lines.
	tests/check-layout.py >"$log" 2>&1
	rc=$?
	cat "$log"
	count
	if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$log"; then
		echo "not ok - tests/check-layout.py exited $rc"
		fail=$((fail + 1))
	fi
fi

# CLOCK: a command prefix (empty, or faketime); TAG: appended to every
# test line of that run, so a failure says on which clock it failed.
CLOCK=()
TAG=""
tagged() {
	if [ -n "$TAG" ]; then
		sed -i -E "s/^((not )?ok .*)$/\1 [$TAG]/; s/^(\[  FAILED  \] [^0-9].*)$/\1 [$TAG]/" "$log"
	fi
	cat "$log"
}

unit_suite() {
	for t in "$BUILD"/tests/test-*; do
		[ -x "$t" ] || continue
		"${CLOCK[@]}" "$t" >"$log" 2>&1
		rc=$?
		tagged
		count
		if [ $rc -ne 0 ] && ! grep -qE '^\[  FAILED  \] [^0-9]' "$log"; then
			echo "not ok - $(basename "$t") exited $rc${TAG:+ [$TAG]}"
			fail=$((fail + 1))
		fi
	done
}

e2e_suite() {
	for script in tests/e2e/run.sh tests/e2e/test-*.sh; do
		"${CLOCK[@]}" "$script" "$BUILD" >"$log" 2>&1
		rc=$?
		tagged
		count
		if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$log"; then
			echo "not ok - $script exited $rc${TAG:+ [$TAG]}"
			fail=$((fail + 1))
		fi
	done
}

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
	unit_suite
fi
if [ "$WHAT" = all ] || [ "$WHAT" = e2e ]; then
	e2e_suite
fi

if [ "$WHAT" = all ] || [ "$WHAT" = fuzz ]; then
	# Every fuzz target over its seeds and regression inputs (no
	# mutation), from the clang build make fuzz-build leaves in
	# KENSHU_FUZZ_BUILD (default build-fuzz).
	fb=${KENSHU_FUZZ_BUILD:-build-fuzz}
	if [ -d "$fb/fuzz" ]; then
		tests/fuzz/regress.sh "$BUILD" "$fb" >"$log" 2>&1
		cat "$log"
		count
	else
		echo "not ok - fuzz regression: $fb/fuzz not built (make fuzz-build)"
		fail=$((fail + 1))
	fi
fi

if [ "$WHAT" = all ] || [ "$WHAT" = future ]; then
	# A time bomb (a golden holding today's date, a certificate or
	# waiver that expires, a "recent" that is recent only now) fails here.
	# The monotonic clock stays real: timeouts and durations still work.
	years=${KENSHU_TEST_YEARS_AHEAD:-10}
	now=$(date +%Y)
	if ! command -v faketime >/dev/null; then
		echo "not ok - the suite with the clock $years years ahead: faketime is not installed (tests/install-deps.sh installs it)"
		fail=$((fail + 1))
	elif [ "$(DONT_FAKE_MONOTONIC=1 faketime -f "+${years}y" date +%Y)" -lt $((now + years - 1)) ]; then
		echo "not ok - faketime -f +${years}y does not move the clock"
		fail=$((fail + 1))
	else
		echo "# the unit and end-to-end suites again, with the clock $years years ahead"
		export DONT_FAKE_MONOTONIC=1
		# A sanitizer build's runtime must come first among the libraries:
		# libfaketime is preloaded before it, harmlessly.
		ASAN_BEFORE=${ASAN_OPTIONS-}
		export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
		CLOCK=(faketime -f "+${years}y")
		TAG="clock +${years}y"
		unit_suite
		e2e_suite
		CLOCK=()
		TAG=""
		unset DONT_FAKE_MONOTONIC
		ASAN_OPTIONS=$ASAN_BEFORE
	fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]

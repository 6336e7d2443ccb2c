#!/bin/bash
# campaign.sh BUILD FUZZ_BUILD SECONDS — coverage-guided fuzzing: every
# target (or those in $TARGETS) for SECONDS each, $JOBS at a time (default:
# the number of cores), each in libFuzzer's fork mode so that a crash,
# timeout, leak or OOM is kept and the campaign goes on. Corpora persist in
# FUZZ_BUILD/fuzz-corpus/TARGET and grow from run to run; what failed is in
# FUZZ_BUILD/fuzz-artifacts/TARGET. Ends with the table (also written to
# FUZZ_BUILD/fuzz-table.md): target, executions, coverage (edges), corpus,
# crashes, timeouts, leaks, OOMs, CPU seconds. TABLE_ONLY=1 prints the
# table of the last run again.
#
# Each failing input is minimised (-minimize_crash) and belongs, as a text
# recipe, in tests/fuzz/regress/TARGET/ once its bug is fixed.
set -uo pipefail
BUILD=$(cd "$1" && pwd)
FUZZ_BUILD=$(cd "$2" && pwd)
SECONDS_EACH=$3
TOP=$(cd "$(dirname "$0")/../.." && pwd)
JOBS=${JOBS:-$(nproc)}
. "$TOP/tests/fuzz/targets.sh"
# The fast unwinder while fuzzing (the slow one costs most of the speed);
# a leak inside a library without frame pointers then shows as a leak-*
# artifact instead of matching tests/lsan.supp, and is judged by hand.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
fuzz_env "$TOP"
RES=$FUZZ_BUILD/fuzz-results
SEEDS=$FUZZ_BUILD/fuzz-seeds
mkdir -p "$RES" "$FUZZ_BUILD/fuzz-corpus" "$FUZZ_BUILD/fuzz-artifacts"

[ -n "${TABLE_ONLY:-}" ] || rm -rf "$SEEDS"
[ -n "${TABLE_ONLY:-}" ] || "$TOP/tests/fuzz/mkseeds.sh" "$BUILD" "$SEEDS" >"$RES/seeds.log" 2>&1 || {
	echo "campaign: the seeds could not be built (see $RES/seeds.log)" >&2
	exit 1
}
if [ -n "${TARGETS:-}" ]; then
	read -r -a targets <<<"$TARGETS"
else
	targets=()
	for src in "$TOP"/tests/fuzz/fuzz-*.c; do targets+=("$(basename "$src" .c)"); done
fi

run_one() { # TARGET
	local t=$1 bin=$FUZZ_BUILD/fuzz/$1 dict
	local corpus=$FUZZ_BUILD/fuzz-corpus/$t art=$FUZZ_BUILD/fuzz-artifacts/$t
	mkdir -p "$corpus" "$art" "$RES/$t.regress"
	fuzz_regress_decode "$TOP/tests/fuzz/regress/$t" "$RES/$t.regress" || return
	dict=()
	[ -f "$SEEDS/dict/$t.dict" ] && dict=(-dict="$SEEDS/dict/$t.dict")
	# The private directory of each input lives in TMPDIR: on tmpfs when
	# there is one, so the image targets do not wear the disk.
	TMPDIR=${FUZZ_TMPDIR:-/dev/shm} /usr/bin/time -f '%U %S' -o "$RES/$t.cpu" \
		"$bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
		-max_total_time="$SECONDS_EACH" -timeout="$(fuzz_timeout "$t" 20)" -rss_limit_mb=3072 \
		-max_len="$(fuzz_max_len "$t")" "${dict[@]}" -artifact_prefix="$art/" \
		"$corpus" "$SEEDS/$t" "$RES/$t.regress" >"$RES/$t.log" 2>&1
}

# TABLE_ONLY=1: the table of the last runs, without fuzzing.
running=0
[ -n "${TABLE_ONLY:-}" ] && targets_run=() || targets_run=("${targets[@]}")
for t in "${targets_run[@]}"; do
	if [ ! -x "$FUZZ_BUILD/fuzz/$t" ]; then
		echo "campaign: $FUZZ_BUILD/fuzz/$t not built (make fuzz-build)" >&2
		exit 1
	fi
	echo "campaign: $t for ${SECONDS_EACH}s" >&2
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

{
	echo "| target | executions | coverage (edges) | corpus | crashes | timeouts | leaks | OOMs | CPU s |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	total_cpu=0
	total_exec=0
	for t in "${targets[@]}"; do
		last=$(grep -E '^#[0-9]+: cov: ' "$RES/$t.log" | tail -1)
		execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
		cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"$last")
		corp=$(sed -E 's/.* corp: ([0-9]+).*/\1/' <<<"$last")
		art=$FUZZ_BUILD/fuzz-artifacts/$t
		crash=$(find "$art" -name 'crash-*' | wc -l)
		tmo=$(find "$art" -name 'timeout-*' | wc -l)
		leak=$(find "$art" -name 'leak-*' | wc -l)
		oom=$(find "$art" -name 'oom-*' | wc -l)
		cpu=$(awk '{ printf "%.0f", $1 + $2 }' "$RES/$t.cpu" 2>/dev/null || echo 0)
		total_cpu=$((total_cpu + cpu))
		total_exec=$((total_exec + ${execs:-0}))
		echo "| $t | ${execs:-0} | ${cov:-0} | ${corp:-0} | $crash | $tmo | $leak | $oom | $cpu |"
	done
	echo "| **total** | $total_exec | | | | | | | $total_cpu |"
} | tee "$FUZZ_BUILD/fuzz-table.md"

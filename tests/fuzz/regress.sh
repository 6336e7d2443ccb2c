#!/bin/bash
# regress.sh BUILD FUZZ_BUILD — every fuzz target once over its seeds and
# its regression inputs (tests/fuzz/regress/TARGET/, every input that ever
# crashed, hung or leaked, kept as a text recipe), under ASan and UBSan.
# One TAP line per target; run by tests/run-all.sh (the "fuzz" part of
# make check). No mutation: a fixed bug must not come back.
set -uo pipefail
BUILD=$(cd "$1" && pwd)
FUZZ_BUILD=$(cd "$2" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/fuzz/targets.sh"
fuzz_env "$TOP"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -n "${KEEP:-}" ] && trap - EXIT && echo "# work: $work"

if ! "$TOP/tests/fuzz/mkseeds.sh" "$BUILD" "$work/seeds" >"$work/seeds.log" 2>&1; then
	echo "not ok - fuzz seeds could not be built"
	sed 's/^/# /' "$work/seeds.log"
	exit 0
fi
for src in "$TOP"/tests/fuzz/fuzz-*.c; do
	t=$(basename "$src" .c)
	bin=$FUZZ_BUILD/fuzz/$t
	if [ ! -x "$bin" ]; then
		echo "not ok - $t: $bin not built (make fuzz-build)"
		continue
	fi
	fuzz_regress_decode "$TOP/tests/fuzz/regress/$t" "$work/regress/$t" || {
		echo "not ok - $t: bad regression recipe"
		continue
	}
	mapfile -t inputs < <(find "$work/seeds/$t" "$work/regress/$t" -type f 2>/dev/null | sort)
	nseed=$(find "$work/seeds/$t" -type f | wc -l)
	nreg=$(find "$work/regress/$t" -type f 2>/dev/null | wc -l)
	if [ ${#inputs[@]} -eq 0 ]; then
		echo "not ok - $t: no seed and no regression input"
		continue
	fi
	if (cd "$work" && "$bin" -timeout="$(fuzz_timeout "$t" 60)" -rss_limit_mb=3072 "${inputs[@]}") >"$work/$t.log" 2>&1; then
		echo "ok - fuzz target $t: $nseed seeds and $nreg regression inputs run clean"
	else
		echo "not ok - fuzz target $t: an input failed"
		grep -E 'ERROR|SUMMARY|Running:|runtime error' "$work/$t.log" | head -20 | sed 's/^/# /'
	fi
done

#!/bin/bash
# bench/fleet.sh BUILD — a fleet campaign of 8 sample images: the local
# runner (fleet run -j 2) against Slurm on this one node (a private
# single-node cluster, tests/e2e/slurm-cluster.sh), and what
# --images-per-task saves in engine loads. The database is the test
# database plus a synthetic, seeded one (bench/bigdb.py) large enough that
# loading the engine takes seconds, as the official databases' 13-17 s do;
# the engine-load time is measured on its own first. All runs in one
# invocation, so their ratios are comparable on a noisy machine. Prints a
# markdown table on stdout (docs/performance.md).
#
# Environment: BENCH_FLEET_NDB (default 400000) and BENCH_FLEET_HSB (default
# 800000) signatures, KEEP=1 keeps the work directory, KENSHU_BENCH_DIR
# (default /var/tmp/kenshu-bench). Needs root (slurmd starts the jobs).
# Exit status: 0 done, 1 a campaign did not give the expected verdicts,
# 2 could not run.
set -uo pipefail

die() { echo "bench-fleet: error: $*" >&2; exit 2; }
msg() { echo "bench-fleet: $*" >&2; }

[ $# -eq 1 ] || { echo "usage: bench/fleet.sh BUILD" >&2; exit 2; }
ROOT=$(cd "$(dirname -- "$0")/.." && pwd)
cd "$ROOT" || exit 2
KENSHU=$(cd "$1" && pwd)/kenshu
export KENSHU_TOOLS=$1/tools
[ -x "$KENSHU" ] || die "'$KENSHU' not found (make all tests)"
NDB=${BENCH_FLEET_NDB:-400000}
HSB=${BENCH_FLEET_HSB:-800000}
BENCH_DIR=${KENSHU_BENCH_DIR:-/var/tmp/kenshu-bench}
mkdir -p "$BENCH_DIR"
W=$(mktemp -d "$BENCH_DIR/fleet.XXXXXX")
chmod 0755 "$W"
. tests/e2e/slurm-cluster.sh
trap 'slurm_stop; [ "${KEEP:-0}" = 1 ] && msg "kept $W" || rm -rf "$W"' EXIT

now() { date +%s.%N; }
secs() { python3 -c "print('%.1f' % ($2 - $1))"; }

msg "building 8 sample images"
mkdir -p "$W/img"
recipes=(vendor-clean vendor-infected vendor-iot-ltsc vendor-iot-ltsc-drifted vendor-wes7 vendor-mbr vendor-persist vendor-edge)
for r in "${recipes[@]}"; do
	images/mkimage.sh "images/$r.recipe" "$W/img/$r.img" >/dev/null || die "cannot build $r"
done
tests/mkdb.sh "$W/db" >/dev/null || die "cannot make the test database"
msg "a synthetic database: $NDB body + $HSB hash signatures"
python3 bench/bigdb.py "$W/db" "$NDB" "$HSB" || die "cannot write the big database"
dbmib=$(du -sm "$W/db" | cut -f1)
{
	echo "asset,image"
	for r in "${recipes[@]}"; do echo "${r#vendor-},img/$r.img"; done
} >"$W/fleet.csv"

# The engine load alone: a scan of the smallest image with the big
# database, less the same scan with the test database.
mkdir -p "$W/small-db"
cp "$W"/db/kenshu-test.* "$W/small-db/"
t0=$(now); "$KENSHU" scan -q -j 1 -d "$W/db" -o "$W/one-big" "$W/img/vendor-clean.img" >/dev/null 2>&1; t1=$(now)
"$KENSHU" scan -q -j 1 -d "$W/small-db" -o "$W/one-small" "$W/img/vendor-clean.img" >/dev/null 2>&1; t2=$(now)
load=$(python3 -c "print('%.1f' % (($t1 - $t0) - ($t2 - $t1)))")
rss=$(/usr/bin/time -f %M "$KENSHU" scan -q -j 1 -d "$W/db" -o "$W/one-rss" "$W/img/vendor-clean.img" 2>&1 >/dev/null | tail -1)
msg "engine load ~$load s, peak RSS of one scan $((rss / 1024)) MiB"

verdicts() { jq -r '[.machines[].verdict] | join(" ")' "$1/fleet.json" 2>/dev/null; }
# The machines' own seconds, claim to result, summed: each worker's first
# machine includes its engine load, so the difference between two runs is
# the engine loads saved, whatever the slowest image does to the wall time.
machine_secs() { jq -s '[.[].seconds] | add | . * 10 | round / 10' "$1"/state/*.result; }
expected=""

msg "local: fleet run -j 2 --threads 1"
t0=$(now)
"$KENSHU" fleet run -q -j 2 --threads 1 -d "$W/db" -o "$W/local" "$W/fleet.csv" >/dev/null 2>&1
t1=$(now)
local_s=$(secs "$t0" "$t1")
expected=$(verdicts "$W/local")

slurm_start "$W/cluster" || die "the Slurm cluster cannot start: $SLURM_WHY"
slurm_run() { # NAME IMAGES_PER_TASK
	local t0 t1 sum
	t0=$(now)
	"$KENSHU" fleet submit -q --images-per-task "$2" --cpus-per-task 1 -d "$W/db" -o "$W/$1" "$W/fleet.csv" >/dev/null ||
		die "fleet submit failed"
	sum=$(jq -r .summary_job "$W/$1/slurm/submission-1.json")
	slurm_wait "$sum" 1800 || die "$1: the campaign did not end in 30 minutes"
	t1=$(now)
	secs "$t0" "$t1"
}
msg "Slurm: --images-per-task 1 (8 tasks, 8 engine loads)"
s1=$(slurm_run slurm-m1 1)
msg "Slurm: --images-per-task 4 (2 tasks, 2 engine loads)"
s4=$(slurm_run slurm-m4 4)
rc=0
for c in slurm-m1 slurm-m4; do
	[ "$(verdicts "$W/$c")" = "$expected" ] || { msg "$c: verdicts '$(verdicts "$W/$c")', local '$expected'"; rc=1; }
done
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

cat <<EOF
Database: test database + $NDB body and $HSB hash signatures (bench/bigdb.py), $dbmib MiB on disk; engine load ~$load s, one scan's peak RSS $((rss / 1024)) MiB. 8 images: ${recipes[*]}. Verdicts (all runs): $expected.

| Run | Engine loads | Wall (start or submit to summary) | vs local | Machine seconds (sum, engine loads included) |
|---|---|---|---|---|
| \`fleet run -j 2 --threads 1\` (local) | 2 | $local_s s | 1.00 | $(machine_secs "$W/local") s |
| \`fleet submit --images-per-task 1 --cpus-per-task 1\` (Slurm, 1 node, 2 CPUs) | 8 | $s1 s | $(ratio "$s1" "$local_s") | $(machine_secs "$W/slurm-m1") s |
| \`fleet submit --images-per-task 4 --cpus-per-task 1\` (Slurm, 1 node, 2 CPUs) | 2 | $s4 s | $(ratio "$s4" "$local_s") | $(machine_secs "$W/slurm-m4") s |

--images-per-task 4 against 1: wall $(ratio "$s1" "$s4")x, machine seconds $(ratio "$(machine_secs "$W/slurm-m1")" "$(machine_secs "$W/slurm-m4")")x; 6 engine loads (~$(python3 -c "print('%.0f' % (6 * $load))") s at the measured load time) saved.
EOF
exit $rc

#!/bin/bash
# test-fleet-slurm.sh BUILD — a fleet campaign on a real Slurm cluster: a
# private single-node cluster for localhost (tests/e2e/slurm-cluster.sh:
# munged, slurmctld and slurmd started and stopped here) runs a job array
# of the sample images (clean, infected, drifted with its baseline, one
# whose image is gone by the time its task runs, a delivery archive) and
# the summary job after it; the reports must be what the local runner
# writes for the same manifest. Then the faults: a task cancelled
# mid-scan (scancel), a task over its --mem, a manifest with bad rows.
# Skipped, saying why, only when the daemons cannot start on this machine.
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-slurm.XXXXXX")
export KENSHU_TOOLS=$BUILD/tools
. "$(dirname -- "$0")/tap.sh"
. "$(dirname -- "$0")/slurm-cluster.sh"
. "$(dirname -- "$0")/fleet-fixtures.sh"
trap 'slurm_stop; rm -rf "$W"' EXIT
# A job step must find the scanner where this test does.
chmod 0755 "$W"

if ! slurm_start "$W/cluster"; then
	echo "ok - # SKIP the Slurm campaign: the cluster cannot start here: $SLURM_WHY"
	tap_summary
	exit 0
fi
ok "a private Slurm cluster started (slurmctld, slurmd, munged on $SLURM_CONF)"

fleet_fixtures "$W" || { not_ok "fleet fixtures"; exit 1; }
{
	fleet_manifest "$W" | grep -v plc-garbage
	echo "plc-gone,img/gone.img,,,"
} >"$W/fleet.csv"
cp "$W/img/clean.img" "$W/img/gone.img"

# Machines in manifest order, each task two of them, one task at a time:
# the task with plc-gone runs after the first has taken a few seconds.
"$KENSHU" fleet submit --images-per-task 2 --max-parallel 1 --cpus-per-task 2 -d "$W/db" -o "$W/s1" "$W/fleet.csv" \
	>"$W/submit.out" 2>"$W/submit.err"
rc=$?
check_eval "fleet submit: exit 0" '[ $rc = 0 ]'
[ $rc = 0 ] || sed 's/^/#   /' "$W/submit.err"
rm -f "$W/img/gone.img"
array=$(jq -r .array_job "$W/s1/slurm/submission-1.json")
summary=$(jq -r .summary_job "$W/s1/slurm/submission-1.json")
check_eval "fleet submit: one array of 3 tasks and a summary job" \
	"grep -q '^Submitted:  job array $array: 5 machines in 3 tasks of at most 2 images' '$W/submit.out' && [ '$summary' != null ]"
check_eval "the summary job depends on the array (afterany)" \
	"scontrol show job -o $summary | grep -q 'Dependency=afterany:${array}_\\*'"
check_eval "the array asks for its memory (--mem) and at most one task at a time" \
	"scontrol show job -o $array | grep -q 'ArrayTaskThrottle=1' && scontrol show job -o $array | grep -qE 'MinMemoryNode=[0-9]+M'"
"$KENSHU" fleet status "$W/s1" >"$W/status1" 2>&1
check_eval "fleet status while it runs: every machine pending, running or done" \
	"grep -qE '^5 machines: ' '$W/status1' && ! grep -qE '^plc-[a-z]+ +failed' '$W/status1'"
slurm_wait "$summary" 300
check_eval "the array and the summary job end within 300 s" '[ -z "$(squeue -h -o %i)" ]'
F=$W/s1/fleet.json
check "the summary job wrote fleet.json" jqe . "$F"
check_eval "the summary job wrote fleet.html" '[ -s "$W/s1/fleet.html" ]'
same "Slurm: verdicts" "PASS FAIL REVIEW FAIL NOT-AUDITED" "$(jq -r '[.machines[].verdict] | join(" ")' "$F" 2>/dev/null)"
check_eval "Slurm: the image gone at run time: not audited, could not complete, named" \
	"jq -r '.machines[4].reason' '$F' | grep -q 'could not complete: .*gone.img'"
same "Slurm: the tasks' states (verdicts are not job failures; the missing image is)" "COMPLETED COMPLETED FAILED" \
	"$(scontrol show job -o "$array" | grep -o 'JobState=[A-Z]*' | sed 's/JobState=//' | tr '\n' ' ' | sed 's/ $//' |
		tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eval "Slurm: each task's log in the campaign" '[ "$(ls "$W/s1/slurm"/task-"$array"_*.log | wc -l)" = 3 ]'
"$KENSHU" fleet status "$W/s1" >"$W/status2" 2>&1
check_eval "fleet status after it: 4 done, 1 failed" "grep -q '^5 machines: 4 done, 0 running, 1 failed, 0 pending' '$W/status2'"

# The same manifest by the local runner: the same reports.
cp "$W/img/clean.img" "$W/img/gone.img"
"$KENSHU" fleet run -q -j 2 --threads 2 -d "$W/db" -o "$W/l1" "$W/fleet.csv" >/dev/null 2>&1
rm -f "$W/img/gone.img"
for a in plc-clean plc-infected plc-drifted; do
	same "$a: Slurm's report is the local runner's (times aside)" \
		"$(fleet_norm "$W/l1/machines/$a/report.json" 2>&1)" \
		"$(fleet_norm "$W/s1/machines/$a/report.json" 2>&1)"
	same "$a: and its manifest.jsonl" "$(cat "$W/l1/machines/$a/manifest.jsonl")" "$(cat "$W/s1/machines/$a/manifest.jsonl")"
done
same "delivery: Slurm's bundle.json is the local runner's" \
	"$(jq -S -f tests/e2e/normalize-bundle.jq "$W/l1/machines/delivery/bundle.json" 2>&1)" \
	"$(jq -S -f tests/e2e/normalize-bundle.jq "$W/s1/machines/delivery/bundle.json" 2>&1)"

# ---- scancel mid-scan ------------------------------------------------------
printf 'asset,image\nslow-1,img/big.img\nslow-2,img/clean.img\nslow-3,img/clean.img\n' >"$W/slow.csv"
"$KENSHU" fleet submit -q --images-per-task 3 --cpus-per-task 1 -d "$W/db" -o "$W/s2" "$W/slow.csv" 2>"$W/err"
array=$(jq -r .array_job "$W/s2/slurm/submission-1.json")
summary=$(jq -r .summary_job "$W/s2/slurm/submission-1.json")
for _ in $(seq 600); do [ -f "$W/s2/state/slow-1.claim" ] && break; sleep 0.1; done
check_eval "scancel: the task claimed its first machine" '[ -f "$W/s2/state/slow-1.claim" ]'
scancel "$array"
slurm_wait "$summary" 120
check_eval "scancel: no report for the machine it was scanning" '[ ! -e "$W/s2/machines/slow-1/report.json" ]'
same "scancel: every machine not audited" "NOT-AUDITED NOT-AUDITED NOT-AUDITED" \
	"$(jq -r '[.machines[].verdict] | join(" ")' "$W/s2/fleet.json" 2>/dev/null)"
check_eval "scancel: the scanning one: did not finish, CANCELLED" \
	"jq -r '.machines[0].reason' '$W/s2/fleet.json' | grep -q 'did not finish: Slurm task ${array}_0 ended CANCELLED'"
check_eval "scancel: the others: never scanned" \
	"jq -r '.machines[1].reason' '$W/s2/fleet.json' | grep -q 'never scanned'"
"$KENSHU" fleet resubmit "$W/s2" >"$W/resub.out" 2>&1
rc=$?
check_eval "resubmit: exit 0, exactly the three machines" \
	"[ $rc = 0 ] && grep -q '^Resubmitting 3 machines: slow-1 slow-2 slow-3' '$W/resub.out'"
sub2=$(jq -r .summary_job "$W/s2/slurm/submission-2.json" 2>/dev/null)
slurm_wait "$sub2" 300
same "resubmit: all three audited now" "PASS PASS PASS" "$(jq -r '[.machines[].verdict] | join(" ")' "$W/s2/fleet.json" 2>/dev/null)"
"$KENSHU" fleet resubmit "$W/s2" >"$W/resub2.out" 2>&1
check_eval "resubmit again: nothing to do" "grep -q '^Nothing to resubmit' '$W/resub2.out'"

# ---- over --mem: Slurm kills it, the summary says so ----------------------
printf 'asset,image\nmem-1,img/clean.img\nmem-2,img/clean.img\nmem-3,img/clean.img\nmem-4,img/clean.img\n' >"$W/mem.csv"
"$KENSHU" fleet submit -q --images-per-task 4 --mem 16 -d "$W/db" -o "$W/s3" "$W/mem.csv" 2>"$W/err"
summary=$(jq -r .summary_job "$W/s3/slurm/submission-1.json")
slurm_wait "$summary" 120
check_eval "over --mem: no machine silently lost: all 4 in the summary" \
	"jqe '(.machines | length) == 4' '$W/s3/fleet.json'"
check_eval "over --mem: the killed task's machines not audited, the memory limit named" \
	"jqe '[.machines[] | select(.verdict == \"NOT-AUDITED\")] | length > 0' '$W/s3/fleet.json' &&
	 jq -r '.machines[] | select(.verdict == \"NOT-AUDITED\") | .reason' '$W/s3/fleet.json' | grep -q 'exceeded its memory limit (--mem 16M)'"

# ---- a bad manifest: nothing submitted -------------------------------------
printf 'asset,image\nok-1,img/clean.img\nbad-1,img/nowhere.img\n' >"$W/bad.csv"
before=$(scontrol show jobs -o | grep -c JobId)
"$KENSHU" fleet submit -d "$W/db" -o "$W/s4" "$W/bad.csv" 2>"$W/err"
rc=$?
check_eval "bad manifest: exit 2, MANIFEST:LINE" "[ $rc = 2 ] && grep -q 'bad.csv:3: ' '$W/err'"
check_eval "bad manifest: nothing submitted, nothing made" \
	"[ \"\$(scontrol show jobs -o | grep -c JobId)\" = '$before' ] && [ ! -e '$W/s4' ]"

tap_summary

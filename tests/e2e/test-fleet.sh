#!/bin/bash
# test-fleet.sh BUILD — a fleet campaign on this machine (kenshu fleet run):
# a manifest with bad rows is refused whole, naming each MANIFEST:LINE, and
# nothing is made; a good one gives each machine the report kenshu scan
# gives its image, and one summary (fleet.json, fleet.html) that lists the
# machine that could not be audited first, with why; a worker killed
# mid-scan leaves no report, its machine shows as not audited, and
# resubmit completes exactly it; a later campaign says which machines got
# worse. The Slurm side is test-fleet-slurm.sh.
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-fleet.XXXXXX")
trap 'rm -rf "$W"' EXIT
export KENSHU_TOOLS=$BUILD/tools
. "$(dirname -- "$0")/tap.sh"
. "$(dirname -- "$0")/fleet-fixtures.sh"

fleet_fixtures "$W" || { not_ok "fleet fixtures"; exit 1; }

# ---- a manifest with bad rows: refused before anything is made ----
cat >"$W/bad.csv" <<EOF
asset,image,baseline,profile,meta
plc-01,img/clean.img,,,
plc-02,img/nowhere.img,,,
plc-03,img/clean.img,img,,
plc-04,img/clean.img,,no-such-profile,
EOF
"$KENSHU" fleet run -q -d "$W/db" -o "$W/bad-campaign" "$W/bad.csv" >"$W/out" 2>"$W/err"
rc=$?
check_eval "bad manifest: exit 2" '[ $rc = 2 ]'
check_eval "bad manifest: the missing image named at its line" "grep -q '^kenshu: error: $W/bad.csv:3: .*nowhere.img' '$W/err'"
check_eval "bad manifest: the baseline that is not a report named at its line" "grep -q '^kenshu: error: $W/bad.csv:4: ' '$W/err'"
check_eval "bad manifest: the bad profile named at its line" "grep -q '^kenshu: error: $W/bad.csv:5: .*no-such-profile' '$W/err'"
check_eval "bad manifest: the good row is not blamed" "! grep -q 'bad.csv:2:' '$W/err'"
check_eval "bad manifest: nothing made" '[ ! -e "$W/bad-campaign" ]'
printf 'asset,image\nplc-01,img/clean.img\nPLC-01,img/clean.img\n' >"$W/dup.csv"
"$KENSHU" fleet run -q -d "$W/db" -o "$W/dup-campaign" "$W/dup.csv" 2>"$W/err"
rc=$?
check_eval "duplicate asset: exit 2 naming line 3" "[ $rc = 2 ] && grep -q 'dup.csv:3: ' '$W/err' && [ ! -e '$W/dup-campaign' ]"

# ---- the campaign --------------------------------------------------------
fleet_manifest "$W" >"$W/fleet.csv"
"$KENSHU" fleet run -j 2 --threads 1 -d "$W/db" -o "$W/c1" "$W/fleet.csv" >"$W/run.out" 2>"$W/run.err"
rc=$?
check_eval "fleet run: exit 1 (a machine FAILs)" '[ $rc = 1 ]'
[ $rc = 1 ] || sed 's/^/#   /' "$W/run.err"
check_eval "fleet run: one line per machine" '[ "$(grep -cE "^[a-z0-9-]+: (PASS|REVIEW|FAIL|NOT-AUDITED) in " "$W/run.out")" = 5 ]'
check_eval "fleet run: says where the summary is" "grep -q '^Summary:    $W/c1/fleet.html' '$W/run.out'"
F=$W/c1/fleet.json
check "fleet.json is JSON" jqe . "$F"
same "fleet.json: the machines in manifest order" "plc-clean plc-infected plc-drifted plc-garbage delivery" \
	"$(jq -r '[.machines[].asset] | join(" ")' "$F")"
same "fleet.json: verdicts" "PASS FAIL REVIEW NOT-AUDITED FAIL" "$(jq -r '[.machines[].verdict] | join(" ")' "$F")"
same "fleet.json: counts" '{"FAIL":2,"NOT-AUDITED":1,"PASS":1,"REVIEW":1}' "$(jq -cS .counts "$F")"
check_eval "fleet.json: the machine not audited says why" \
	"jq -er '.machines[3].reason' '$F' | grep -q 'could not complete: .*garbage.img.*past the end of the disk'"
check_eval "fleet.json: machines audited have no reason and a report" \
	"jqe '[.machines[] | select(.verdict != \"NOT-AUDITED\") | (.reason == null and .report != null)] | all' '$F'"
check_eval "fleet.json: the drifted machine's changes since its baseline" \
	"jqe '.machines[2].drift.files_added + .machines[2].drift.files_changed + .machines[2].drift.autoruns_added > 0' '$F'"
check_eval "fleet.json: the infected machine's decisive finding is the detection" \
	"jqe '[.machines[1].decisive_findings[].rule] | index(\"malware\") != null' '$F'"
check_eval "fleet.json: a machine without baseline has no drift" "jqe '.machines[0].drift == null' '$F'"

# Each machine's report is the one kenshu scan writes for its image.
while IFS=, read -r asset image baseline profile meta; do
	[ "$asset" = asset ] && continue
	[ "$asset" = plc-garbage ] && continue
	args=()
	[ -n "$baseline" ] && args+=(--baseline "$W/$baseline")
	[ -n "$profile" ] && args+=(-p "$profile")
	IFS=';' read -ra kvs <<<"$meta"
	for kv in "${kvs[@]}"; do args+=(--meta "$kv"); done
	"$KENSHU" scan -q -j 1 -d "$W/db" --meta "asset=$asset" "${args[@]}" -o "$W/direct/$asset" "$W/$image" >/dev/null 2>&1
	if [ -f "$W/direct/$asset/bundle.json" ]; then
		same "$asset: the campaign's bundle.json is kenshu scan's" \
			"$(jq -S -f tests/e2e/normalize-bundle.jq "$W/direct/$asset/bundle.json")" \
			"$(jq -S -f tests/e2e/normalize-bundle.jq "$W/c1/machines/$asset/bundle.json")"
	else
		same "$asset: the campaign's report.json is kenshu scan's" \
			"$(fleet_norm "$W/direct/$asset/report.json")" \
			"$(fleet_norm "$W/c1/machines/$asset/report.json")"
	fi
done <"$W/fleet.csv"
check_eval "the machine not audited has no report" '[ ! -e "$W/c1/machines/plc-garbage/report.json" ]'

H=$W/c1/fleet.html
check_eval "fleet.html: no script, no remote reference" "! grep -qiE '<script|https?:|src=' '$H'"
check_eval "fleet.html: a hostile meta value is shown as text" \
	"grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' '$H'"
check_eval "fleet.html: links each audited machine's report.html" \
	"grep -q 'href=\"machines/plc-infected/report.html\"' '$H' && [ -f '$W/c1/machines/plc-infected/report.html' ]"
check_eval "fleet.html: the machine not audited comes first" \
	"[ \"\$(grep -oE 'plc-garbage|plc-infected|plc-clean' '$H' | head -1)\" = plc-garbage ]"

"$KENSHU" fleet status "$W/c1" >"$W/status" 2>&1
rc=$?
check_eval "fleet status: exit 0" '[ $rc = 0 ]'
check_eval "fleet status: done and failed" "grep -qE '^plc-infected +done +FAIL' '$W/status' && grep -qE '^plc-garbage +failed +NOT-AUDITED +could not complete' '$W/status'"
check_eval "fleet status: the tally" "grep -q '^5 machines: 4 done, 0 running, 1 failed, 0 pending' '$W/status'"
"$KENSHU" fleet run -q -d "$W/db" -o "$W/c1" "$W/fleet.csv" 2>"$W/err"
rc=$?
check_eval "fleet run into an existing campaign: exit 2, nothing touched" \
	"[ $rc = 2 ] && grep -q 'already a campaign directory' '$W/err'"

# ---- signed: every machine's report directory, as scan --sign-key ------
"$KENSHU" keygen "$W/key" >/dev/null
printf 'asset,image\nsig-1,img/clean.img\nsig-2,img/delivery.zip\n' >"$W/sig.csv"
"$KENSHU" fleet run -q --sign-key "$W/key" --export csv -d "$W/db" -o "$W/cs" "$W/sig.csv" >/dev/null 2>&1
check_eval "signed: each machine's report verifies with the public key" \
	"'$KENSHU' verify --pub '$W/key.pub' '$W/cs/machines/sig-1' '$W/cs/machines/sig-2' >/dev/null"
check_eval "signed: the export asked for is there, and covered" \
	"[ -f '$W/cs/machines/sig-1/findings.csv' ] && grep -q 'findings.csv' '$W/cs/machines/sig-1/report.sig'"
chmod 0644 "$W/key"
"$KENSHU" fleet run -q --sign-key "$W/key" -d "$W/db" -o "$W/cs2" "$W/sig.csv" 2>"$W/err"
rc=$?
check_eval "a key others may read: exit 2 before anything is made" "[ $rc = 2 ] && [ ! -e '$W/cs2' ] && [ \$(wc -l <'$W/err') = 1 ]"

# ---- a worker killed mid-scan --------------------------------------------
# SIGKILL: nothing of kenshu runs after it, so what the campaign shows is
# what the files say.
printf 'asset,image\nslow-1,img/big.img\nslow-2,img/clean.img\n' >"$W/slow.csv"
"$KENSHU" fleet run -q -j 1 --threads 1 -d "$W/db" -o "$W/c2" "$W/slow.csv" >/dev/null 2>"$W/kill.err" &
run=$!
for _ in $(seq 300); do [ -f "$W/c2/state/slow-1.claim" ] && break; sleep 0.05; done
pid=$(jq -r .pid "$W/c2/state/slow-1.claim" 2>/dev/null)
check_eval "killed: the worker claimed its machine" '[ -n "$pid" ] && [ "$pid" != null ]'
kill -9 "$pid" 2>/dev/null
wait $run
rc=$?
check_eval "killed: fleet run exits 2" '[ $rc = 2 ]'
check_eval "killed: the run says the worker was killed" "grep -q 'killed by signal 9' '$W/kill.err'"
check_eval "killed: no report for the machine it was scanning" '[ ! -e "$W/c2/machines/slow-1/report.json" ]'
same "killed: both machines not audited" "NOT-AUDITED NOT-AUDITED" "$(jq -r '[.machines[].verdict] | join(" ")' "$W/c2/fleet.json")"
check_eval "killed: the reason says the scan did not finish" \
	"jq -r '.machines[0].reason' '$W/c2/fleet.json' | grep -q 'did not finish'"
"$KENSHU" fleet resubmit -j 1 "$W/c2" >"$W/resub.out" 2>&1
rc=$?
check_eval "resubmit: exit 0 (both PASS)" '[ $rc = 0 ]'
check_eval "resubmit: exactly the two machines" "grep -q '^Resubmitting 2 machines: slow-1 slow-2' '$W/resub.out'"
same "resubmit: both audited now" "PASS PASS" "$(jq -r '[.machines[].verdict] | join(" ")' "$W/c2/fleet.json")"
"$KENSHU" fleet resubmit "$W/c2" >"$W/resub2.out" 2>&1
check_eval "resubmit again: nothing to do" "grep -q '^Nothing to resubmit' '$W/resub2.out'"

# ---- the next campaign, compared with this one ---------------------------
sed 's#img/clean.img#img/infected.img#' "$W/fleet.csv" >"$W/fleet2.csv"
"$KENSHU" fleet run -q -d "$W/db" -o "$W/c3" "$W/fleet2.csv" >/dev/null 2>&1
"$KENSHU" fleet summary --previous "$W/c1" "$W/c3" >"$W/sum.out" 2>&1
rc=$?
check_eval "fleet summary --previous: exit 0" '[ $rc = 0 ]'
check_eval "--previous: the machine that got worse" \
	"jqe '.worse == 1 and ([.machines[] | select(.worse) | .asset] == [\"plc-clean\"]) and .machines[0].previous_verdict == \"PASS\"' '$W/c3/fleet.json'"
check_eval "--previous: said on stdout" "grep -q '1 worse than in $W/c1' '$W/sum.out'"
"$KENSHU" fleet summary --previous "$W/nowhere" "$W/c3" 2>"$W/err"
rc=$?
check_eval "--previous that is not a campaign: exit 2, one line" "[ $rc = 2 ] && [ \$(wc -l <'$W/err') = 1 ]"
"$KENSHU" fleet status "$W/img" 2>"$W/err"
rc=$?
check_eval "fleet status of a directory that is no campaign: exit 2, one line" \
	"[ $rc = 2 ] && grep -q 'not a campaign directory' '$W/err' && [ \$(wc -l <'$W/err') = 1 ]"

tap_summary

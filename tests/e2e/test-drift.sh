#!/bin/bash
# test-drift.sh BUILD — baselines and drift, end to end. The gold image
# (images/vendor-iot-ltsc.recipe) is scanned and signed; the same image
# re-audited with --baseline shows no change and reuses every clean file;
# the drifted image (images/vendor-iot-ltsc-drifted.recipe) shows exactly
# the changes its recipe plants, and the drift-* rules judge exactly those
# that should decide. `kenshu diff` agrees with the report's drift section.
# Hostile and unusable baselines stop the scan before it starts (exit 2).
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-drift.XXXXXX")
trap 'rm -rf "$W"' EXIT
export KENSHU_TOOLS=$BUILD/tools
export KENSHU_SCAN_DATE=2026-11-27
. "$(dirname -- "$0")/tap.sh"

tests/mkdb.sh "$W/db" >/dev/null
images/mkimage.sh images/vendor-iot-ltsc.recipe "$W/gold.img" >/dev/null || { not_ok "build gold image"; exit 1; }
images/mkimage.sh images/vendor-iot-ltsc-drifted.recipe "$W/drifted.img" >/dev/null ||
	{ not_ok "build drifted image"; exit 1; }
"$KENSHU" keygen "$W/key" >/dev/null

# --- the accepted baseline ---------------------------------------------
"$KENSHU" scan -q -d "$W/db" -o "$W/gold" --sign-key "$W/key" "$W/gold.img"
rc=$?
check "baseline scan: REVIEW (exit 3, got $rc)" test "$rc" = 3
check "no --baseline: drift is null" jqe '.drift == null' "$W/gold/report.json"
check "no --baseline: no drift section in report.txt" bash -c "! grep -q 'Changes since the baseline' '$W/gold/report.txt'"

# --- the same image again: nothing changed, nothing rescanned -----------
"$KENSHU" scan -q -d "$W/db" -o "$W/same" --baseline "$W/gold" --baseline-pub "$W/key.pub" "$W/gold.img"
rc=$?
check "re-audit of the same image: exit 3 like the baseline (got $rc)" test "$rc" = 3
R=$W/same/report.json
check "re-audit: unchanged" jqe '.drift.summary.unchanged == true' "$R"
check "re-audit: reuse allowed, no note" jqe '.drift.reuse.allowed == true and .drift.reuse.note == null' "$R"
clean=$(jq -s '[.[] | select(.status == "scanned")] | length' "$W/gold/manifest.jsonl")
check "re-audit: every clean file reused ($clean)" jqe --argjson n "$clean" \
	'.drift.reuse.files_reused == $n and .drift.reuse.files_scanned == 0' "$R"
check "re-audit: the manifest is the baseline's (files are still hashed)" cmp -s "$W/gold/manifest.jsonl" "$W/same/manifest.jsonl"
check "re-audit: same verdict and findings" test "$(jq -c '[.verdict, [.findings[] | .rule]]' "$R")" = \
	"$(jq -c '[.verdict, [.findings[] | .rule]]' "$W/gold/report.json")"
check "re-audit: the baseline is named by its report's hash" jqe --arg h "$(sha256sum "$W/gold/report.json" | cut -d' ' -f1)" \
	'.drift.old.report_sha256 == $h and .drift.new.directory == null' "$R"
check "re-audit: report.txt says no change" grep -q "^No changes since the baseline.$" "$W/same/report.txt"

# --- the drifted image: exactly the planted changes --------------------
"$KENSHU" scan -q -d "$W/db" -o "$W/drift" --baseline "$W/gold" "$W/drifted.img"
rc=$?
check "drifted image: REVIEW with default (exit 3, got $rc)" test "$rc" = 3
R=$W/drift/report.json
same "files: exactly the planted changes" "$(
	cat <<'EOF'
added /ProgramData/Vendor/Sync/sync.ini
added /ProgramData/Vendor/Sync/sync.ini:update.exe
added /ProgramData/Vendor/Sync/vsync.exe
added /Windows/Logs/maintenance.log
changed /Windows/System32/config/SOFTWARE
changed /Windows/System32/drivers/uwfvol.sys
EOF
)" "$(jq -r '.drift.files[] | "\(.change) \(.path)\(if .stream != "" then ":" + .stream else "" end)"' "$R")"
same "autostart: the new Run entry; the driver whose file changed" "$(
	printf '%s\n' 'added Run VendorSync "C:\ProgramData\Vendor\Sync\vsync.exe" /background' \
		'changed Services and drivers uwfvol target_sha256'
)" "$(jq -r '.drift.autoruns[] | "\(.change) \(.category) \(.name) \(if .change == "changed" then ([.fields[].name] | join(",")) else .command end)"' "$R")"
same "Windows: UBR 3918 -> 4170 and nothing else" "ubr 3918 4170" \
	"$(jq -r '.drift.os[] | .fields[] | "\(.name) \(.old) \(.new)"' "$R")"
same "volumes and detections: none" "0 0" "$(jq -r '"\(.drift.volumes | length) \(.drift.detections | length)"' "$R")"
same "rule outcomes: the new entry's (unknown, unsigned, user-writable), the firewall fixed" "$(
	printf '%s\n' 'added autorun-unknown' 'added autorun-unsigned' 'added autorun-user-writable' 'removed firewall-disabled'
)" "$(jq -r '.drift.findings[] | "\(.change) \(.rule)"' "$R")"
same "drift findings: exactly these (no log, no hive)" "$(
	cat <<'EOF'
drift-changed-system-file review /Windows/System32/drivers/uwfvol.sys
drift-new-autorun review /ProgramData/Vendor/Sync/vsync.exe
drift-new-autorun review /Windows/System32/drivers/uwfvol.sys
drift-new-executable review /ProgramData/Vendor/Sync/sync.ini
drift-new-executable review /ProgramData/Vendor/Sync/vsync.exe
EOF
)" "$(jq -r '.findings[] | select(.rule | startswith("drift-")) | "\(.rule) \(.severity) \(.evidence.path)"' "$R" | sort)"
unchanged=$(jq '.drift.summary.files_unchanged' "$R")
check "reuse: the $unchanged unchanged files reused, the 6 new or changed scanned" jqe --argjson n "$unchanged" \
	'.drift.reuse.files_reused == $n and .drift.reuse.files_scanned == 6' "$R"
check "report.txt: drift section with the UBR change" grep -q "ubr: 3918 -> 4170" "$W/drift/report.txt"
check "report.html: drift section" grep -q '<section id="drift"' "$W/drift/report.html"

"$KENSHU" scan -q -d "$W/db" -p strict -o "$W/strict" --baseline "$W/gold" "$W/drifted.img"
rc=$?
check "strict: FAIL (exit 1, got $rc)" test "$rc" = 1
check "strict: every drift finding fails" jqe '[.findings[] | select(.rule | startswith("drift-"))] | length == 5 and all(.severity == "fail")' "$W/strict/report.json"

# --- kenshu diff ------------------------------------------------------
"$KENSHU" diff "$W/gold" "$W/drift" >"$W/diff.txt"
rc=$?
check "diff: changes → exit 1 (got $rc)" test "$rc" = 1
check "diff: text names the new Run entry" grep -q "VendorSync" "$W/diff.txt"
"$KENSHU" diff --json --pub "$W/key.pub" "$W/gold" "$W/same" >"$W/same.json" 2>"$W/err"
rc=$?
check "diff --pub: an unsigned NEW does not verify → exit 2 (got $rc)" test "$rc" = 2
check "diff --pub: names the directory" grep -q "same': does not verify" "$W/err"
"$KENSHU" diff --json "$W/gold" "$W/drift" >"$W/diff.json"
check "diff --json: same lists as the scan's drift section" test \
	"$(jq -c '[.files, .autoruns, .os, .volumes, .detections, .findings, .summary]' "$W/diff.json")" = \
	"$(jq -c '.drift | [.files, .autoruns, .os, .volumes, .detections, .findings, .summary]' "$R")"
check "diff --json: no reuse for two directories" jqe '.reuse == null and .new.directory != null' "$W/diff.json"
"$KENSHU" diff "$W/gold" "$W/same" >"$W/nodiff.txt"
rc=$?
check "diff: no change → exit 0 (got $rc)" test "$rc" = 0
check "diff: says so" grep -q "^No changes since the baseline.$" "$W/nodiff.txt"

# --- the classic pair: vendor-clean and vendor-infected -------------------
# vendor-infected.recipe is vendor-clean's tree plus the lines after
# "MALICIOUS": the diff must list exactly the files and streams those add.
images/mkimage.sh images/vendor-clean.recipe "$W/clean.img" >/dev/null &&
	images/mkimage.sh images/vendor-infected.recipe "$W/infected.img" >/dev/null ||
	{ not_ok "build vendor-clean and vendor-infected"; exit 1; }
"$KENSHU" scan -q -d "$W/db" -o "$W/clean" "$W/clean.img"
"$KENSHU" scan -q -d "$W/db" -o "$W/infected" --baseline "$W/clean" "$W/infected.img"
rc=$?
check "infected against clean: FAIL (exit 1, got $rc)" test "$rc" = 1
planted=$(awk '/^# --- MALICIOUS ---/ { m = 1 } m && ($1 == "file" || $1 == "ads") { print "added " $2 }' images/vendor-infected.recipe | LC_ALL=C sort)
"$KENSHU" diff --json "$W/clean" "$W/infected" >"$W/ci.json"
same "clean -> infected: the files are exactly the planted ones" "$planted" \
	"$(jq -r '.files[] | "\(.change) \(.path)\(if .stream != "" then ":" + .stream else "" end)"' "$W/ci.json" | LC_ALL=C sort)"
same "clean -> infected: a new detection in each planted file" "$(sed 's/^added /new /; s/:payload$//' <<<"$planted")" \
	"$(jq -r '.detections[] | "\(.change) \(.path)"' "$W/ci.json" | LC_ALL=C sort)"
same "clean -> infected: nothing else changed" "0 0 0 0 0" \
	"$(jq -r '.summary | "\(.files_removed) \(.files_changed) \(.autoruns_added + .autoruns_removed + .autoruns_changed) \(.os_changes) \(.volume_changes)"' "$W/ci.json")"
check "clean -> infected: the rule outcomes added are the malware findings" jqe \
	'(([.findings[] | select(.change != "added" or .rule != "malware")] | length) == 0)
	and ((.findings | length) == .summary.detections_new)' "$W/ci.json"
check "the scan's drift section agrees with kenshu diff" test \
	"$(jq -c '.drift | [.files, .detections, .findings]' "$W/infected/report.json")" = "$(jq -c '[.files, .detections, .findings]' "$W/ci.json")"

# --- reuse needs the same engine -----------------------------------------
cp -r "$W/db" "$W/db2"
printf 'Kenshu.Test.Extra:0:*:6b656e7368752d64726966742d74657374\n' >"$W/db2/extra.ndb"
"$KENSHU" scan -q -d "$W/db2" -o "$W/otherdb" --baseline "$W/gold" "$W/gold.img"
check "other databases: nothing reused, the reason given" jqe '.drift.reuse.allowed == false
	and .drift.reuse.files_reused == 0 and (.drift.reuse.note | test("database"))' "$W/otherdb/report.json"
check "other databases: the files are still compared, none differs" jqe '.drift.summary
	| .files_unchanged > 0 and .files_added + .files_removed + .files_changed + .autoruns_added + .autoruns_changed == 0' "$W/otherdb/report.json"

# --- baselines that cannot be used: exit 2, one line, nothing written ---
refused() { # NAME EXPECTED-MESSAGE-REGEX BASELINE [extra args]
	local name=$1 want=$2 base=$3
	shift 3
	rm -rf "$W/out"
	"$KENSHU" scan -q -d "$W/db" -o "$W/out" --baseline "$base" "$@" "$W/gold.img" 2>"$W/err"
	local rc=$?
	if [ "$rc" = 2 ] && [ "$(wc -l <"$W/err")" = 1 ] && grep -qE "$want" "$W/err" && [ ! -e "$W/out" ]; then
		ok "refused: $name"
	else
		not_ok "refused: $name (exit $rc, no report expected)"
		sed 's/^/#   /' "$W/err"
	fi
}
refused "missing directory" "'$W/nope': not a report directory" "$W/nope"
mkdir -p "$W/bundle" && echo '{}' >"$W/bundle/bundle.json"
refused "a bundle's directory" "a bundle's report directory" "$W/bundle"
mkdir -p "$W/cut" && cp "$W/gold/manifest.jsonl" "$W/cut/" && head -c 700 "$W/gold/report.json" >"$W/cut/report.json"
refused "truncated report.json" "cut/report.json': not valid JSON" "$W/cut"
mkdir -p "$W/nomf" && cp "$W/gold/report.json" "$W/nomf/"
refused "no manifest" "nomf/manifest.jsonl': cannot read" "$W/nomf"
mkdir -p "$W/badmf" && cp "$W/gold/report.json" "$W/badmf/" && { head -n 2 "$W/gold/manifest.jsonl"; echo '{"volume":1}'; } >"$W/badmf/manifest.jsonl"
refused "manifest line without its fields" "badmf/manifest.jsonl': line 3: " "$W/badmf"
cp -r "$W/gold" "$W/tampered" && sed -i 's/"verdict": "REVIEW"/"verdict": "PASS"/' "$W/tampered/report.json"
refused "tampered signed baseline with --baseline-pub" "tampered': does not verify" "$W/tampered" --baseline-pub "$W/key.pub"
refused "unsigned baseline with --baseline-pub" "same': does not verify" "$W/same" --baseline-pub "$W/key.pub"

bsdtar -a -cf "$W/delivery.zip" -C "$W/db" . 2>/dev/null
"$KENSHU" scan -q -d "$W/db" -o "$W/zip" --baseline "$W/gold" "$W/delivery.zip" 2>"$W/err"
rc=$?
check "a delivery archive with --baseline: exit 2 (got $rc)" test "$rc" = 2
check "a delivery archive with --baseline: says why" grep -q "delivery archive: --baseline compares one disk image" "$W/err"

"$KENSHU" scan -q -d "$W/db" -o "$W/x" --baseline "$W/gold" "$W/gold.img" "$W/drifted.img" 2>"$W/err"
check "--baseline with two images: usage (64)" test $? = 64
"$KENSHU" scan -q -d "$W/db" -o "$W/x" --baseline-pub "$W/key.pub" "$W/gold.img" 2>"$W/err"
check "--baseline-pub alone: usage (64)" test $? = 64
cp -r "$W/gold" "$W/keep" && "$KENSHU" scan -q -d "$W/db" -o "$W/keep/" --baseline "$W/keep" "$W/gold.img" 2>"$W/err"
check "-o the baseline itself: usage (64)" test $? = 64
check "-o the baseline itself: the baseline is untouched" cmp -s "$W/gold/report.json" "$W/keep/report.json"
"$KENSHU" diff "$W/gold" 2>"$W/err"
check "diff with one directory: usage (64)" test $? = 64

tap_summary

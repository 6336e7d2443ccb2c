#!/bin/bash
# test-export.sh BUILD — scan --export csv --export stix: findings.csv has
# a header and one row per finding of report.json, stix.json is a STIX 2.1
# bundle whose ids are unique and whose references resolve, the two are
# covered by report.sig, and an unknown format is a usage error (64).
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-export.XXXXXX")
trap 'rm -rf "$W"' EXIT
export KENSHU_TOOLS=$BUILD/tools
. "$(dirname -- "$0")/tap.sh"

tests/mkdb.sh "$W/db" >/dev/null
images/mkimage.sh images/vendor-persist.recipe "$W/disk.img" >/dev/null || { not_ok "build vendor-persist"; exit 1; }

"$KENSHU" scan -q -d "$W/db" -o "$W/x" --export bogus "$W/disk.img" 2>"$W/err"
rc=$?
check "--export bogus: exit 64" test "$rc" = 64
check "--export bogus: says why" grep -q "export wants csv or stix" "$W/err"
check "--export bogus: no report directory" test ! -e "$W/x"

"$BUILD"/kenshu keygen "$W/key" >/dev/null
"$KENSHU" scan -q -d "$W/db" -o "$W/r" --sign-key "$W/key" --export csv --export stix --export csv "$W/disk.img"
rc=$?
check "scan exit code is a verdict ($rc)" test "$rc" -le 3 -a "$rc" != 2
check "findings.csv written" test -s "$W/r/findings.csv"
check "stix.json written" test -s "$W/r/stix.json"
check "header row" test "$(head -1 "$W/r/findings.csv" | tr -d '\r')" = \
	"image_path,image_sha256,rule,severity,message,volume,path,value,version,sha256,waiver,stream"
# Rows: count records with a quote-aware reader (a quoted cell may hold CR LF).
rows=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline="", encoding="utf-8"))) - 1)' "$W/r/findings.csv")
check "one row per finding ($rows)" test "$rows" = "$(jq '.findings | length' "$W/r/report.json")"
check "some findings to export" test "$rows" -gt 0

S=$W/r/stix.json
check "bundle type and id" jqe '.type == "bundle" and (.id | test("^bundle--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"))' "$S"
check "every object: type, spec_version 2.1, <type>--<uuid5> id" jqe '[.objects[] | . as $o | select(.spec_version != "2.1"
	or ($o.id | test("^" + $o.type + "--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$") | not))] | length == 0' "$S"
check "ids unique" jqe '[.objects[].id] | length == (unique | length)' "$S"
check "SDOs have created and modified" jqe '[.objects[] | select(.type != "file") | select(.created == null or .modified == null)] | length == 0' "$S"
check "one identity, one observed-data" jqe '([.objects[] | select(.type == "identity")] | length == 1)
	and ([.objects[] | select(.type == "observed-data")] | length == 1)' "$S"
check "observed-data properties" jqe '.objects[] | select(.type == "observed-data")
	| .first_observed and .last_observed and .number_observed == 1 and (.object_refs | length > 0)' "$S"
check "indicators: pattern, pattern_type, valid_from" jqe '[.objects[] | select(.type == "indicator")
	| select((.pattern | test("^\\[file:hashes\\.\u0027SHA-256\u0027 = \u0027[0-9a-f]{64}\u0027\\]$") | not)
	  or .pattern_type != "stix" or .valid_from == null)] | length == 0' "$S"
check "at least one indicator (the image has detections)" jqe '[.objects[] | select(.type == "indicator")] | length > 0' "$S"
check "every reference resolves" jqe '([.objects[].id]) as $ids
	| [.objects[] | (.object_refs[]?, .created_by_ref?, .source_ref?, .target_ref?) | select(. != null)]
	| all(. as $r | $ids | index($r))' "$S"
check "report.sig covers both exports" sh -c "grep -q 'findings.csv' '$W/r/report.sig' && grep -q 'stix.json' '$W/r/report.sig'"
check "verify passes" sh -c "'$BUILD/kenshu' verify --pub '$W/key.pub' '$W/r' >/dev/null"

# Same image and times: the same ids. The ids depend on the scan's times,
# so compare the id-free structure of a second scan instead.
"$KENSHU" scan -q -d "$W/db" -o "$W/r2" --export stix "$W/disk.img"
norm='del(.id) | .objects |= map(del(.id, .created, .modified, .first_observed, .last_observed, .valid_from, .source_ref, .target_ref))'
check "a second scan gives the same objects but for times and time-derived ids" \
	cmp -s <(jq -S "$norm" "$S") <(jq -S "$norm" "$W/r2/stix.json")

tap_summary

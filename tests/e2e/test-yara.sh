#!/bin/bash
# test-yara.sh BUILD — hostile [yara] rule sets: every compile error of
# every file is reported as FILE:LINE (profile check, and scan refuses with
# exit 2 before it opens the image); includes of host files outside the
# rule directory (absolute, '..', a symbolic link) are refused; 20,000
# rules compile and scan; a rule slower than [yara] timeout and a stream
# over [yara] max_file_size leave the stream "not fully scanned"; a
# bundle's loose members are matched by the same rules (REVIEW, FAIL for a
# decisive rule, "not fully scanned" over max_file_size).
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-yara.XXXXXX")
trap 'rm -rf "$W"' EXIT
export KENSHU_TOOLS=$BUILD/tools
export KENSHU_SCAN_DATE=2026-11-27
. "$(dirname -- "$0")/tap.sh"

tests/mkdb.sh "$W/db" >/dev/null
images/mkimage.sh images/vendor-yara.recipe "$W/disk.img" >/dev/null || { not_ok "build vendor-yara"; exit 1; }

profile() { # NAME RULES [more [yara] lines...]: a profile in $W
	local n=$1 r=$2
	shift 2
	{ printf 'include = default\n[yara]\nrules = %s\n' "$r"; printf '%s\n' "$@"; } >"$W/$n.ini"
}

# --- compile errors: all of them, FILE:LINE each ---
mkdir -p "$W/bad"
printf 'rule a { condition: foo }\nrule b { condition: bar }\n' >"$W/bad/one.yar"
printf 'rule c {\n  condition: true and\n}\n' >"$W/bad/two.yar"
printf 'rule d { condition: true }\nrule d { condition: true }\n' >"$W/bad/three.yara"
printf 'import "nosuchmodule"\nrule e { condition: true }\n' >"$W/bad/four.yar"
printf 'rule fine { condition: true }\n' >"$W/bad/zz-fine.yar"
profile bad bad
"$KENSHU" profile check "$W/bad.ini" >"$W/out" 2>"$W/err"
rc=$?
check "profile check: exit 2 on compile errors" test "$rc" = 2
check "undefined identifier, line 1" grep -q "bad/one.yar:1: undefined identifier \"foo\"" "$W/out" "$W/err"
check "the second error of the same file too" grep -q "bad/one.yar:2: undefined identifier \"bar\"" "$W/out" "$W/err"
check "syntax error of the next file, line 3" grep -q "bad/two.yar:3: syntax error" "$W/out" "$W/err"
check "duplicated rule, line 2" grep -q "bad/three.yara:2: duplicated identifier \"d\"" "$W/out" "$W/err"
check "unknown module, line 1" grep -q "bad/four.yar:1: unknown module \"nosuchmodule\"" "$W/out" "$W/err"
"$KENSHU" scan -q -p "$W/bad.ini" -d "$W/db" -o "$W/r-bad" "$W/disk.img" 2>"$W/err"
rc=$?
check "scan: exit 2 before the scan" test "$rc" = 2
check "scan: no report directory" test ! -e "$W/r-bad"
check "scan: names the first error with FILE:LINE" grep -q "bad/four.yar:1: unknown module" "$W/err"

# --- includes ---
mkdir -p "$W/inc/sub" "$W/outside"
printf 'rule outside_rule { condition: true }\n' >"$W/outside/o.yar"
printf 'rule shared_rule { condition: true }\n' >"$W/inc/sub/shared.yara.inc"
printf 'include "/etc/passwd"\nrule x1 { condition: true }\n' >"$W/inc/abs.yar"
printf 'include "../outside/o.yar"\nrule x2 { condition: true }\n' >"$W/inc/dotdot.yar"
ln -s "$W/outside/o.yar" "$W/inc/sub/link.inc"
printf 'include "sub/link.inc"\nrule x3 { condition: true }\n' >"$W/inc/symlink.yar"
printf 'include "sub/../sub/shared.yara.inc"\nrule x4 { condition: shared_rule }\n' >"$W/inc/ok.yar"
profile inc inc
"$KENSHU" profile check "$W/inc.ini" >"$W/out" 2>"$W/err"
rc=$?
check "includes: exit 2" test "$rc" = 2
check "/etc/passwd refused (absolute)" grep -q 'inc/abs.yar:1: include "/etc/passwd" refused: an absolute path' "$W/out" "$W/err"
check "../outside refused" grep -q 'inc/dotdot.yar:1: include "../outside/o.yar" refused: outside the rule file' "$W/out" "$W/err"
check "a symbolic link out refused" grep -q 'inc/symlink.yar:1: include "sub/link.inc" refused: outside the rule file' "$W/out" "$W/err"
check "an include inside the directory is no error" test "$(grep -c 'inc/ok.yar' "$W/out" "$W/err" | awk -F: '{s+=$2} END {print s}')" = 0
check "nothing of /etc/passwd is shown" test "$(grep -c 'root:' "$W/out" "$W/err" | awk -F: '{s+=$2} END {print s}')" = 0

# --- missing and empty rule paths ---
mkdir -p "$W/empty"
profile empty empty
"$KENSHU" profile check "$W/empty.ini" >"$W/out" 2>&1
check "an empty rule directory is an error" grep -q "no YARA rule files" "$W/out"
profile missing nosuch.yar
"$KENSHU" profile check "$W/missing.ini" >"$W/out" 2>&1
check "a missing rule file is an error" grep -q "nosuch.yar: cannot read YARA rules" "$W/out"

# --- 20,000 rules ---
mkdir -p "$W/huge"
python3 - "$W/huge/many.yar" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(20000):
        f.write('rule r%05d { strings: $s = "kenshu-marker-%05d" condition: $s }\n' % (i, i))
PY
profile huge huge
check "20,000 rules compile" "$KENSHU" profile check "$W/huge.ini"
"$KENSHU" scan -q -j 2 -p "$W/huge.ini" -d "$W/db" -o "$W/r-huge" "$W/disk.img"
rc=$?
check "20,000 rules: the scan runs ($rc)" test "$rc" = 0
check "20,000 rules counted" jqe '.yara.rule_sets[0].rules == 20000' "$W/r-huge/report.json"
check "20,000 rules: every stream scanned" jqe '.yara.rule_sets[0].streams == 5 and (.yara.matches | length) == 0' "$W/r-huge/report.json"

# --- a rule slower than the timeout: not fully scanned, the set too slow ---
mkdir -p "$W/slow"
cat >"$W/slow/slow.yar" <<'YAR'
rule quadratic
{
	condition:
		filesize > 60000 and
		for all i in (0 .. filesize) : (for all j in (0 .. filesize) : (uint8(j) >= 0 or i < 0))
}
YAR
profile slow slow "timeout = 1"
start=$(date +%s)
"$KENSHU" scan -q -j 2 -p "$W/slow.ini" -d "$W/db" -o "$W/r-slow" "$W/disk.img"
rc=$?
took=$(($(date +%s) - start))
check "timeout: verdict REVIEW ($rc)" test "$rc" = 3
check "timeout: the stream is not fully scanned" jqe '[.skipped[] | select(.path == "/Program Files/Vendor/Sync/update.pak" and (.reason | startswith("not fully scanned: YARA timed out after 1 s")))] | length == 1' "$W/r-slow/report.json"
check "timeout: skipped-content finding" jqe '[.findings[] | select(.rule == "skipped-content")] | length >= 1' "$W/r-slow/report.json"
check "timeout: the set is named too slow" jqe '.yara.rule_sets[0].too_slow and .yara.rule_sets[0].timeouts == 1' "$W/r-slow/report.json"
check "timeout: report.txt names it" grep -q "rule set too slow: .*slow" "$W/r-slow/report.txt"
check "timeout: the scan did not hang ($took s)" test "$took" -lt 60

# --- max_file_size ---
profile small slow "max_file_size = 1000"
"$KENSHU" scan -q -j 2 -p "$W/small.ini" -d "$W/db" -o "$W/r-small" "$W/disk.img"
rc=$?
check "max_file_size: verdict REVIEW ($rc)" test "$rc" = 3
check "max_file_size: larger streams not fully scanned" jqe '[.skipped[] | select(.reason | startswith("not fully scanned: larger than the YARA limit"))] | length == 2' "$W/r-small/report.json"
check "max_file_size: counted" jqe '.yara.streams_over_limit == 2' "$W/r-small/report.json"

# --- several rules = entries: one set each, timed apart ---
profile two "inc/ok.yar, huge"
"$KENSHU" scan -q -j 2 -p "$W/two.ini" -d "$W/db" -o "$W/r-two" "$W/disk.img"
check "two entries, two sets" jqe '(.yara.rule_sets | length) == 2 and .yara.rule_sets[1].rules == 20000 and (.yara.rule_sets | all(has("seconds")))' "$W/r-two/report.json"
check "an include inside the directory works (x4 matches)" jqe '[.yara.matches[] | select(.rule == "x4")] | length == 5' "$W/r-two/report.json"

# --- a bundle's loose members get the same rules as an image's files ---
mkdir -p "$W/brules" "$W/bsrc/tools"
cat >"$W/brules/b.yar" <<'YAR'
rule kenshu_bundle_marker : vendor_tool
{
	meta:
		author = "kenshu tests"
	strings:
		$a = "KENSHU-BUNDLE-MARKER" wide
	condition:
		$a
}
rule kenshu_bundle_decisive
{
	meta:
		severity = "fail"
	strings:
		$a = "KENSHU-DECISIVE-MARKER"
	condition:
		$a
}
YAR
printf 'K\0E\0N\0S\0H\0U\0-\0B\0U\0N\0D\0L\0E\0-\0M\0A\0R\0K\0E\0R\0' >"$W/bsrc/tools/setup.cfg"
printf 'nothing to see\n' >"$W/bsrc/readme.txt"
(cd "$W/bsrc" && bsdtar -a -cf "$W/delivery.zip" tools readme.txt)
profile bundle brules
"$KENSHU" scan -q -j 2 -p "$W/bundle.ini" -d "$W/db" -o "$W/r-bundle" "$W/delivery.zip"
rc=$?
check "bundle: a YARA match in a loose member is REVIEW ($rc)" test "$rc" = 3
check "bundle: bundle.json names the rule on the member" jqe '[.members[] | select(.path == "tools/setup.cfg") | .yara[] | select(startswith("kenshu_bundle_marker (rule set ") and endswith("; tags vendor_tool)"))] | length == 1' "$W/r-bundle/bundle.json"
check "bundle: the member is REVIEW, the others PASS" jqe '([.members[] | select(.path == "tools/setup.cfg")][0].verdict == "REVIEW") and ([.members[] | select(.path == "readme.txt")][0] | .verdict == "PASS" and (has("yara") | not))' "$W/r-bundle/bundle.json"
check "bundle: the verdict reason says so" jqe '.verdict_reason | contains("YARA rules matched 1 member")' "$W/r-bundle/bundle.json"
check "bundle: bundle.txt lists the match" grep -q "kenshu_bundle_marker (rule set" "$W/r-bundle/bundle.txt"
printf 'xx KENSHU-DECISIVE-MARKER xx' >"$W/bsrc/readme.txt"
rm -f "$W/delivery.zip"
(cd "$W/bsrc" && bsdtar -a -cf "$W/delivery.zip" tools readme.txt)
"$KENSHU" scan -q -j 2 -p "$W/bundle.ini" -d "$W/db" -o "$W/r-bundle2" "$W/delivery.zip"
rc=$?
check "bundle: a rule with severity fail fails the bundle ($rc)" test "$rc" = 1
check "bundle: that member is FAIL" jqe '[.members[] | select(.path == "readme.txt")][0].verdict == "FAIL"' "$W/r-bundle2/bundle.json"
profile bundle-small brules "max_file_size = 10"
"$KENSHU" scan -q -j 2 -p "$W/bundle-small.ini" -d "$W/db" -o "$W/r-bundle3" "$W/delivery.zip"
check "bundle: a member over max_file_size is not fully scanned" jqe '[.members[] | select(.reason // "" | startswith("not fully scanned: ") and contains("larger than the YARA limit"))] | length == 2' "$W/r-bundle3/bundle.json"

tap_summary

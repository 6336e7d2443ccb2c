#!/bin/bash
# demo.sh BUILD — builds a sample vendor image (a Windows Embedded-like GPT
# disk with a banking-trojan stand-in, EICAR in a deep path and in an
# alternate data stream, an infected zip and a Japanese file name), scans it
# with the default policy and shows where the report is; then re-audits a
# gold image's drifted copy against the gold image's report (--baseline).
set -euo pipefail
BUILD=${1:-build}
DEMO=$BUILD/demo
mkdir -p "$DEMO"
export KENSHU_TOOLS=$BUILD/tools

echo "== building the sample image $DEMO/vendor-infected.img (recipe: images/vendor-infected.recipe)"
images/mkimage.sh images/vendor-infected.recipe "$DEMO/vendor-infected.img"
# No network at scan time and none needed for the demo: a two-signature test
# database derived from ClamAV's own test files. For real use give -d the
# directory freshclam (or the plant's mirror) keeps up to date.
tests/mkdb.sh "$DEMO/db"

echo "== scanning: $BUILD/kenshu scan -p default -d $DEMO/db -o $DEMO/report $DEMO/vendor-infected.img"
set +e
"$BUILD/kenshu" scan -p default -d "$DEMO/db" -o "$DEMO/report" "$DEMO/vendor-infected.img"
rc=$?
set -e
echo
case $rc in
0 | 1 | 3) echo "== kenshu exited $rc (0 PASS, 1 FAIL, 3 REVIEW): the sample image is infected on purpose, so FAIL (1) is right." ;;
*) echo "== kenshu could not complete the scan (exit $rc)"; exit "$rc" ;;
esac
echo "== the report is in $DEMO/report/:"
ls -l "$DEMO/report"
echo "   report.json     machine-readable report (docs/report.md)"
echo "   report.txt      the summary printed above"
echo "   report.html     the same as one page for a browser; prints to PDF (Ctrl+P)"
echo "   manifest.jsonl  SHA-256 and size of every file and stream scanned"

# A re-audit: the clean gold image of the same machine was accepted; a month
# later its copy has drifted. --baseline compares the two and reuses the
# baseline's clean results for files that did not change.
echo
echo "== re-audit: accepting the gold image images/vendor-iot-ltsc.recipe, then scanning its drifted copy against it"
images/mkimage.sh images/vendor-iot-ltsc.recipe "$DEMO/gold.img"
images/mkimage.sh images/vendor-iot-ltsc-drifted.recipe "$DEMO/gold-drifted.img"
set +e
"$BUILD/kenshu" scan -q -p default -d "$DEMO/db" -o "$DEMO/gold-report" "$DEMO/gold.img"
"$BUILD/kenshu" scan -q -p default -d "$DEMO/db" -o "$DEMO/reaudit-report" --baseline "$DEMO/gold-report" "$DEMO/gold-drifted.img"
rc=$?
set -e
case $rc in
0 | 1 | 3) ;;
*) echo "== kenshu could not complete the re-audit (exit $rc)"; exit "$rc" ;;
esac
# The verdict, its findings and the changes: report.txt up to the image details.
sed -n '/^VERDICT/,/^Image:/p' "$DEMO/reaudit-report/report.txt" | head -n -1
echo "== re-audit exit $rc: REVIEW (3) for the vendor's unexplained changes (-p strict would FAIL)."
echo "   The whole re-audit is in $DEMO/reaudit-report/ (report.html has the same section);"
echo "   'kenshu diff $DEMO/gold-report $DEMO/reaudit-report' prints the changes alone."

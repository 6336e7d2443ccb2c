#!/bin/bash
# test-determinism.sh BUILD — the same image scanned twice gives the same
# report.json and manifest.jsonl, byte for byte, apart from times and
# durations. The second scan uses another number of worker threads, so
# that a list ordered by which worker finished first would show; the
# thread count is the one other field blanked. Same for report.txt (its
# time lines blanked), for a bundle's bundle.json and its member's report,
# and with --meta given in another order.
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-determinism.XXXXXX")
trap 'rm -rf "$W"' EXIT
export KENSHU_TOOLS=$BUILD/tools
. "$(dirname -- "$0")/tap.sh"

tests/mkdb.sh "$W/db" >/dev/null
# vendor-persist has the most of what gets sorted: autostart entries of
# every kind, several users' hives, alternate data streams, detections.
images/mkimage.sh images/vendor-persist.recipe "$W/disk.img" >/dev/null || { not_ok "build vendor-persist"; exit 1; }

# Times and durations, and the thread count the two runs differ in.
blank_json() {
	jq '.scan.started = "T" | .scan.finished = "T" | .scan.seconds = 0
	    | .scan.seconds_hashing = 0 | .scan.seconds_scanning = 0 | .scan.threads = 0' "$1"
}
blank_txt() {
	sed -E -e 's/^(Started|Finished):.*/\1: T/' \
		-e 's/ in [0-9.]+ s \([0-9]+ worker threads?\)/ in S s (N worker threads)/' "$1"
}

same() { # NAME A B
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1"
		diff -u "$2" "$3" | head -20 | sed 's/^/#   /'
	fi
}

"$KENSHU" scan -q -j 1 -d "$W/db" -o "$W/a" --meta po=4500012345 --meta asset=PRESS-HMI-01 "$W/disk.img"
rc_a=$?
"$KENSHU" scan -q -j 4 -d "$W/db" -o "$W/b" --meta asset=PRESS-HMI-01 --meta po=4500012345 "$W/disk.img"
rc_b=$?
if [ "$rc_a" = "$rc_b" ]; then ok "same exit code ($rc_a)"; else not_ok "exit codes $rc_a and $rc_b"; fi
for f in a b; do
	blank_json "$W/$f/report.json" >"$W/$f.json"
	blank_txt "$W/$f/report.txt" >"$W/$f.txt"
done
# Guard against comparing two empty files.
if [ "$(jq '.autoruns | length' "$W/a/report.json")" -gt 0 ] && [ -s "$W/a/manifest.jsonl" ]; then
	ok "the report has autostart entries and a manifest to compare"
else
	not_ok "the report has autostart entries and a manifest to compare"
fi
same "report.json identical but for times and durations (-j 1 and -j 4, --meta reordered)" "$W/a.json" "$W/b.json"
same "manifest.jsonl identical byte for byte" "$W/a/manifest.jsonl" "$W/b/manifest.jsonl"
same "report.txt identical but for times" "$W/a.txt" "$W/b.txt"

# The raw report.json differs only in the blanked fields: nothing else was
# hidden by the normalisation.
d=$(diff <(jq -c 'del(.scan)' "$W/a/report.json") <(jq -c 'del(.scan)' "$W/b/report.json") | wc -l)
if [ "$d" = 0 ]; then ok "outside .scan, the raw report.json files are identical"; else not_ok "raw report.json differs outside .scan"; fi

# A bundle: bundle.json, and the member's report.
mkdir -p "$W/z"
ln -f "$W/disk.img" "$W/z/disk.img"
printf 'readme\n' >"$W/z/readme.txt"
(cd "$W/z" && bsdtar --format ustar -cf "$W/delivery.tar" disk.img readme.txt)
"$KENSHU" scan -q -j 1 -d "$W/db" -o "$W/ba" "$W/delivery.tar"
"$KENSHU" scan -q -j 3 -d "$W/db" -o "$W/bb" "$W/delivery.tar"
for f in ba bb; do
	jq '.scan.started = "T" | .scan.finished = "T" | .scan.seconds = 0' "$W/$f/bundle.json" >"$W/$f.json"
	blank_json "$W/$f/disk.img/report.json" >"$W/$f.member.json"
done
same "bundle.json identical but for times" "$W/ba.json" "$W/bb.json"
same "the bundle member's report.json identical but for times" "$W/ba.member.json" "$W/bb.member.json"
same "the bundle member's manifest.jsonl identical" "$W/ba/disk.img/manifest.jsonl" "$W/bb/disk.img/manifest.jsonl"

tap_summary

#!/bin/bash
# test-signal.sh BUILD — an interrupted scan leaves no temporary files and
# no report behind.
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-sig.XXXXXX")
trap 'rm -rf "$W"' EXIT
export KENSHU_TOOLS=$BUILD/tools
tests/mkdb.sh "$W/db" >/dev/null
images/mkimage.sh images/vendor-infected.recipe "$W/disk.img" >/dev/null
# Grow the image with zeros so that hashing takes long enough to interrupt.
truncate -s 6G "$W/disk.img"
mkdir -p "$W/tmp"

for sig in INT TERM; do
	TMPDIR=$W/tmp "$KENSHU" scan -q -d "$W/db" -o "$W/out-$sig" "$W/disk.img" 2>"$W/err" &
	pid=$!
	# Wait for the engine's private directory: from then on there is
	# something to clean up.
	for _ in $(seq 1 200); do
		compgen -G "$W/tmp/kenshu-clamav-*" >/dev/null && break
		sleep 0.05
	done
	kill -s "$sig" "$pid"
	wait "$pid"
	rc=$?
	left=$(ls -A "$W/tmp")
	if [ "$rc" -gt 128 ] && [ -z "$left" ] && [ ! -e "$W/out-$sig/report.json" ]; then
		echo "ok - SIG$sig: exit $rc, no temporary files, no report"
	else
		echo "not ok - SIG$sig: exit $rc, left in TMPDIR: '$left', report: $(ls "$W/out-$sig" 2>/dev/null)"
	fi
done

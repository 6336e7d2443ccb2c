#!/bin/bash
# bench/damaged.sh BUILD - the memory of a process that opens damaged NTFS
# volumes one after another, as a fleet run meets them.
#
# Run by `make bench` and `make bench-damaged` (which build BUILD/tools
# first). libntfs-3g 2022.10.3 loses 1.1-5.3 KB each time its mount fails on
# $AttrDef (docs/reliability.md, "libntfs-3g leak on damaged volumes");
# kenshu probes $AttrDef first so that its mount is not tried there. This
# script makes the three volumes that reach those exits
# (tests/tools/mkattrdef-damage.py: size, runs, nodata) and an undamaged
# one, opens each BENCH_DAMAGED_OPENS times (default 1000) through kenshu's
# own layers (BUILD/tools/ntfs-open-loop: img_open, fs_discover_volumes,
# fs_open, as a scan does) and prints, on stdout as markdown, the resident
# memory after 10, 100 and N opens and the heap still allocated, and the
# heap's growth from 100 to N opens per open.
#
# Flat means: less growth from 100 to N opens than one lost $AttrDef inode
# (1,160 bytes, the smallest of the three losses) per open. Exit status: 0
# flat, 1 the heap grew that much (the table says which volume), 2 could
# not run. No root needed; about a minute.
set -euo pipefail

BUILD=${1:-build}
N=${BENCH_DAMAGED_OPENS:-1000}
ROOT=$(cd "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"
LOOP=$BUILD/tools/ntfs-open-loop
LOSS=1160   # bytes: the $AttrDef inode and its record, the smallest loss

die() {
	printf 'bench-damaged: error: %s\n' "$*" >&2
	exit 2
}
[ -x "$LOOP" ] || die "'$LOOP' not found: run 'make BUILD=$BUILD tests'"
[ -x /usr/sbin/mkntfs ] || die "/usr/sbin/mkntfs not found (ntfs-3g)"
[ "$N" -gt 100 ] || die "BENCH_DAMAGED_OPENS must be more than 100"

W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-damaged.XXXXXX")
trap 'rm -rf "$W"' EXIT

truncate -s 8M "$W/clean.img"
/usr/sbin/mkntfs -F -Q -q "$W/clean.img" >/dev/null 2>&1 || die "mkntfs failed"
for m in size runs nodata; do
	tests/tools/mkattrdef-damage.py "$W/$m.img" "$m" || die "cannot make the '$m' volume"
done

status=0
rows=""
for v in size runs nodata clean; do
	printf 'bench-damaged: %s: %s opens\n' "$v" "$N" >&2
	out=$("$LOOP" "$W/$v.img" "$N" 10 100 "$N") || die "ntfs-open-loop failed on the '$v' volume"
	get() { # FIELD LINE-PREFIX
		echo "$out" | awk -v p="$2" -v f="$1" '$1 == p { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }'
	}
	rss10=$(get rss_kb opens=10)
	rss100=$(get rss_kb opens=100)
	rssN=$(get rss_kb "opens=$N")
	maxN=$(get maxrss_kb "opens=$N")
	heap100=$(get heap_bytes opens=100)
	heapN=$(get heap_bytes "opens=$N")
	failed=$(get failed "opens=$N")
	per=$(echo "$out" | awk '$1 == "growth" { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "per_open_bytes") print kv[2] } }')
	why=$(echo "$out" | sed -n 's/^first failure: //p')
	growth=$((heapN - heap100))
	if [ "$growth" -ge $(((N - 100) * LOSS)) ]; then
		verdict="NOT FLAT"
		status=1
	else
		verdict="flat"
	fi
	rows="$rows| $v | $failed/$N | $rss10 | $rss100 | $rssN | $maxN | $growth | $per | $verdict | $why |"$'\n'
done

echo "| volume | opens failed | RSS KiB after 10 | after 100 | after $N | peak RSS KiB | heap growth 100..$N (bytes) | per open (bytes) | | first error |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s' "$rows"
exit $status

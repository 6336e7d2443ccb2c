#!/bin/bash
# bench/containers.sh BUILD - the same disk as raw, QCOW2, VMDK
# (streamOptimized) and VHDX: kenshu's scan time through qemu-nbd against
# its raw path, and libguestfs (the general back end) reading every file of
# the same QCOW2 as a peer.
#
# Run by `make bench-containers`. The disk is BENCH_IMAGE (a raw image, e.g.
# the one `KEEP=1 make bench` keeps), or else bench/run.sh builds one with
# BENCH_DATA_MIB (default here 768) of files from /usr and is kept.
#
#   BENCH_RUNS   scan each N times, alternating; the fastest counts (default 1)
#   BENCH_JOBS   kenshu -j (default 2)
#   KEEP=1       keep the work directory
#
# Prints a markdown table on stdout for docs/performance.md. Exit 0 done,
# 1 the containers did not give the raw image's results, 2 could not run.
set -euo pipefail
PROG=bench-containers
T0=$SECONDS
msg() { printf '%s [%4ds] %s\n' "$PROG:" $((SECONDS - T0)) "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 2; }

ROOT=$(cd "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"
BUILD=${1:-build}
KENSHU=$BUILD/kenshu
RUNS=${BENCH_RUNS:-1}
JOBS=${BENCH_JOBS:-2}
[[ -x $KENSHU ]] || die "'$KENSHU' not found: run 'make bench-containers'"
for c in qemu-img jq gcc /usr/bin/time; do command -v "$c" >/dev/null || die "'$c' not found (make deps)"; done
pkg-config --exists libguestfs || die "libguestfs-dev is missing (make deps)"

WORK=$(mktemp -d "${KENSHU_BENCH_DIR:-/var/tmp}/kenshu-containers.XXXXXX")
cleanup() { [[ ${KEEP:-0} == 1 ]] && msg "kept $WORK" || rm -rf -- "$WORK"; }
trap cleanup EXIT

IMG=${BENCH_IMAGE:-}
if [[ -z $IMG ]]; then
	msg "no BENCH_IMAGE: building one with bench/run.sh (kept)"
	KEEP=1 BENCH_DATA_MIB=${BENCH_DATA_MIB:-768} bench/run.sh "$BUILD" >"$WORK/run.md" 2>"$WORK/run.log" ||
		{ tail -5 "$WORK/run.log" >&2; die "bench/run.sh failed"; }
	IMG=$(sed -n 's/^bench: kept work directory //p' "$WORK/run.log")/bench.img
fi
[[ -r $IMG ]] || die "'$IMG' not readable"
tests/mkdb.sh "$WORK/db" >/dev/null

declare -A FILE
FILE[raw]=$IMG
for f in qcow2 vmdk vhdx; do
	opts=(-O "$f")
	[[ $f == vmdk ]] && opts+=(-o subformat=streamOptimized)
	msg "converting to $f"
	qemu-img convert -f raw "${opts[@]}" "$IMG" "$WORK/disk.$f"
	FILE[$f]=$WORK/disk.$f
done

field() { sed -n "s/^[[:space:]]*$2[^:]*: //p" "$1" | head -n1; }
wall() { field "$1" 'Elapsed (wall clock) time (h:mm:ss or m:ss)' | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'; }
cpu() { awk -v u="$(field "$1" 'User time')" -v s="$(field "$1" 'System time')" 'BEGIN { printf "%.2f", u + s }'; }
rss() { awk -v k="$(field "$1" 'Maximum resident set size')" 'BEGIN { printf "%.0f", k / 1024 }'; }

declare -A BEST
for ((run = 1; run <= RUNS; run++)); do
	for f in raw qcow2 vmdk vhdx; do
		sync
		echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
		/usr/bin/time -v -o "$WORK/$f.$run.time" "$KENSHU" scan -q -j "$JOBS" -d "$WORK/db" \
			-o "$WORK/out.$f.$run" "${FILE[$f]}" >/dev/null 2>"$WORK/$f.$run.err" || true
		[[ -f $WORK/out.$f.$run/report.json ]] || { cat "$WORK/$f.$run.err" >&2; die "kenshu failed on $f"; }
		w=$(wall "$WORK/$f.$run.time")
		msg "kenshu $f run $run: $w s"
		if [[ -z ${BEST[$f]:-} ]] || awk -v a="$w" -v b="${BEST[$f]%% *}" 'BEGIN { exit !(a < b) }'; then
			BEST[$f]="$w $(cpu "$WORK/$f.$run.time") $(rss "$WORK/$f.$run.time") $run"
		fi
	done
done

# The containers must give the raw image's results.
norm() { jq -S 'del(.image, .scan, .engine.database_dir)' "$1"; }
same=1
for f in qcow2 vmdk vhdx; do
	r=${BEST[$f]##* }
	cmp -s <(norm "$WORK/out.raw.${BEST[raw]##* }/report.json") <(norm "$WORK/out.$f.$r/report.json") ||
		{ msg "$f: report differs from raw"; same=0; }
done

# Peer: libguestfs (TCG here: KVM does not start on these machines) reads
# every file of the NTFS partition of the QCOW2 with tar-out. It scans
# nothing, so it is a lower bound for a scanner built on it.
gcc -O2 -o "$WORK/guestfs-read" bench/guestfs-read.c $(pkg-config --cflags --libs libguestfs)
sync
echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg} \
	/usr/bin/time -v -o "$WORK/guestfs.time" "$WORK/guestfs-read" "${FILE[qcow2]}" qcow2 \
	>"$WORK/guestfs.out" 2>"$WORK/guestfs.err" || { tail -3 "$WORK/guestfs.err" >&2; die "libguestfs peer failed"; }
G_LAUNCH=$(sed -n 's/^launch //p' "$WORK/guestfs.out")
G_READ=$(sed -n 's/^read //p' "$WORK/guestfs.out")

size() { stat -c %s "$1" | awk '{ printf "%.0f MiB", $1 / 1048576 }'; }
read -r rw rc rr _ <<<"${BEST[raw]}"
echo "| path | file size | wall | CPU | peak RSS | wall / raw |"
echo "|---|---|---|---|---|---|"
for f in raw qcow2 vmdk vhdx; do
	read -r w c m _ <<<"${BEST[$f]}"
	echo "| kenshu, $f$([[ $f == raw ]] && echo ' (direct)' || echo ' (qemu-nbd)') | $(size "${FILE[$f]}") | $w s | $c s | $m MiB | $(awk -v a="$w" -v b="$rw" 'BEGIN { printf "%.2f", a / b }') |"
done
gw=$(wall "$WORK/guestfs.time")
echo "| libguestfs peer, qcow2: launch + mount + tar-out of every file (no scanning) | $(size "${FILE[qcow2]}") | $gw s (launch $G_LAUNCH s, read $G_READ s) | $(cpu "$WORK/guestfs.time") s | $(rss "$WORK/guestfs.time") MiB | $(awk -v a="$gw" -v b="$rw" 'BEGIN { printf "%.2f", a / b }') |"
echo
echo "Same detections, autostart entries, files and verdict from every container: $([[ $same == 1 ]] && echo yes || echo NO)."
[[ $same == 1 ]]

#!/bin/bash
# bench/run.sh BUILD - kenshu against clamscan on a >= 1.5 GiB NTFS image.
#
# Run by `make bench` (which builds BUILD/kenshu and BUILD/tools first).  It
#   1. lists real files from this machine's /usr (a deterministic sample, at
#      least 1.5 GiB of data) into a recipe for images/mkimage.sh, plus a few
#      planted test detections (EICAR, clam.exe, clam.zip, EICAR in an ADS
#      and at the end of a 20 MB zip);
#   2. builds the image (timed);
#   3. scans it with the same tiny signature DB (tests/mkdb.sh) twice, page
#      cache warmed the same way before each:
#        clamscan -r over a read-only ntfs-3g FUSE mount of the NTFS partition
#        BUILD/kenshu scan -q -j 2 straight from the image
#      each under /usr/bin/time -v (wall, CPU, peak RSS);
#   3c. re-audit (BENCH_REAUDIT=1, the default): after each kenshu run,
#      BUILD/kenshu scan --baseline OUT.1 (the report directory of the first
#      full run) on the same image, same DB, same warming and idle wait;
#      checks that the baseline's results were reused (.drift.reuse.allowed,
#      .drift.summary.unchanged, files_reused = the baseline's clean
#      "scanned" files) and exits 1 with the numbers if not;
#   3d. big database (BENCH_BIGDB=1): a synthetic, seeded database of
#      100,000 random body signatures (.ndb) and 200,000 random SHA-256
#      hashes (.hsb) plus the two test signatures; a full kenshu scan and a
#      re-audit with it, each run (no clamscan);
#   4. checks that every file clamscan reports FOUND is also a kenshu
#      detection (exit 1 and the list if not);
#   5. prints a result table on stderr, then the same table as markdown on
#      stdout (for docs/performance.md).
# Missing the 2x speed target is reported (MET / NOT MET), never an error.
#
# Needs root (losetup + FUSE mount for clamscan).  Exit status: 0 done,
# 1 kenshu missed a detection or a re-audit did not reuse the baseline,
# 2 could not run.  See bench/README.md.
#
# Environment:
#   KENSHU_BENCH_DIR    parent of the work directory (default /var/tmp/kenshu-bench)
#   KEEP=1              keep the work directory (image, recipe, reports, logs)
#   BENCH_DATA_MIB      file data to put in the image (default 1536 = 1.5 GiB;
#                       lower values are for smoke tests of this script only)
#   BENCH_MAX_FILE_MIB  skip /usr files of this size or more (default 128)
#   BENCH_JOBS          kenshu -j (default 2)
#   BENCH_RUNS          scan N times each, alternating, and report the fastest
#                       run of each (default 1)
#   BENCH_IDLE_WAIT     before each scan, wait up to this many seconds for
#                       other processes to leave the CPUs < 10% busy (default 120)
#   BENCH_IMAGE         reuse an image (and BENCH_IMAGE.recipe if present) from
#                       an earlier KEEP=1 run instead of building one
#   BENCH_REAUDIT       1 (default): also time kenshu scan --baseline (re-audit);
#                       0: skip it
#   BENCH_BIGDB         1: also time a full scan and a re-audit with a synthetic
#                       big database (100,000 .ndb + 200,000 .hsb signatures,
#                       seeded; generated in a few seconds); default 0
#   BENCH_BIGDB_NDB, BENCH_BIGDB_HSB   its signature counts (100000, 200000)
#   BENCH_YARA          N (default 500): also time a kenshu scan with N YARA
#                       rules loaded (bench/yararules.py, seeded, shaped like
#                       published rule sets: strings, hex with jumps, pe,
#                       math, hash, regular expressions), same image and
#                       database, in the same sitting as clamscan, and check
#                       that it found the same detections; 0: skip it
#   BENCH_PROFILE       an acceptance profile every kenshu run is given (-p),
#                       e.g. one whose [yara] rules names a directory of N
#                       rule files: YARA then scans in the same read
set -euo pipefail

PROG=bench
T_START=$SECONDS

msg() { printf '%s [%4ds] %s\n' "$PROG:" $((SECONDS - T_START)) "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 2
}

if [[ $# -gt 1 || ${1-} == -h || ${1-} == --help ]]; then
	echo "usage: $0 [BUILD]   (default BUILD: build)" >&2
	exit 2
fi

ROOT=$(cd "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"
BUILD=${1:-build}
KENSHU=$BUILD/kenshu
export KENSHU_TOOLS=$BUILD/tools
POPULATE=$KENSHU_TOOLS/ntfs-populate
PATH=$PATH:/usr/sbin:/sbin

BENCH_DIR=${KENSHU_BENCH_DIR:-/var/tmp/kenshu-bench}
DATA_MIB=${BENCH_DATA_MIB:-1536}
MAX_FILE_MIB=${BENCH_MAX_FILE_MIB:-128}
JOBS=${BENCH_JOBS:-2}
IDLE_WAIT=${BENCH_IDLE_WAIT:-120}
RUNS=${BENCH_RUNS:-1}
REAUDIT=${BENCH_REAUDIT:-1}
BIGDB=${BENCH_BIGDB:-0}
YARA_N=${BENCH_YARA:-500}
BIGDB_NDB=${BENCH_BIGDB_NDB:-100000}
BIGDB_HSB=${BENCH_BIGDB_HSB:-200000}
TICK=$(getconf CLK_TCK)
SRC_ROOT=/usr
TESTFILES=${CLAM_TESTFILES:-/usr/share/clamav-testfiles}
TARGET_RATIO=2

[[ $DATA_MIB =~ ^[1-9][0-9]*$ ]] || die "BENCH_DATA_MIB must be a positive number of MiB"
[[ $MAX_FILE_MIB =~ ^[1-9][0-9]*$ ]] || die "BENCH_MAX_FILE_MIB must be a positive number of MiB"
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "BENCH_JOBS must be a positive number"
[[ $IDLE_WAIT =~ ^[0-9]+$ ]] || die "BENCH_IDLE_WAIT must be a number of seconds"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number"
[[ $REAUDIT == [01] ]] || die "BENCH_REAUDIT must be 0 or 1"
[[ $BIGDB == [01] ]] || die "BENCH_BIGDB must be 0 or 1"
[[ $YARA_N =~ ^[0-9]+$ ]] || die "BENCH_YARA must be a number of rules"
[[ $BIGDB_NDB =~ ^[0-9]+$ && $BIGDB_HSB =~ ^[0-9]+$ ]] || die "BENCH_BIGDB_NDB and BENCH_BIGDB_HSB must be numbers"

# ---- prerequisites ---------------------------------------------------------

[[ $(id -u) -eq 0 ]] || die "must run as root: clamscan's side needs losetup and an ntfs-3g FUSE mount"
[[ -x $KENSHU ]] || die "'$KENSHU' not found: run 'make bench' (or 'make all tests')"
[[ -x $POPULATE ]] || die "'$POPULATE' not found: run 'make tests'"
if [[ ! -x /usr/bin/time ]]; then
	msg "installing package 'time' (GNU time, for wall time and peak RSS)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >/dev/null ||
		die "cannot install package 'time'"
fi
for cmd in clamscan ntfs-3g losetup sfdisk mkntfs jq find shuf df mountpoint umount python3; do
	command -v "$cmd" >/dev/null || die "'$cmd' not found (run 'make deps' as root)"
done
for f in clam.exe clam.zip; do
	[[ -r $TESTFILES/$f ]] || die "'$TESTFILES/$f' not found (install clamav-testfiles)"
done
[[ -c /dev/fuse ]] || die "/dev/fuse is missing: clamscan's ntfs-3g mount needs FUSE"
UTF8_LOCALE=C.UTF-8
locale -a 2>/dev/null | grep -qix 'c\.utf-\?8' || UTF8_LOCALE=C

# ---- work directory and cleanup ---------------------------------------------

[[ $BENCH_DIR != *[\"\\]* && $TESTFILES != *[\"\\]* ]] ||
	die "KENSHU_BENCH_DIR and CLAM_TESTFILES must not contain '\"' or '\\' (recipe quoting)"
mkdir -p -- "$BENCH_DIR"
WORK=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
MNT=$WORK/mnt
LOOP=''
NTFS_PID=''
cleanup() {
	local rc=$?
	set +e
	if mountpoint -q "$MNT" 2>/dev/null; then
		umount "$MNT" || umount -l "$MNT"
	fi
	if [[ -n $NTFS_PID ]]; then
		wait "$NTFS_PID" 2>/dev/null
	fi
	if [[ -n $LOOP ]]; then
		losetup -d "$LOOP"
	fi
	if [[ ${KEEP:-0} == 1 ]]; then
		echo "$PROG: kept work directory $WORK" >&2
	else
		rm -rf -- "$WORK"
		rmdir -- "$BENCH_DIR" 2>/dev/null
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

RECIPE=$WORK/bench.recipe
IMG=$WORK/bench.img
DB=$WORK/db

# Seconds from GNU time's "Elapsed (wall clock) time (h:mm:ss or m:ss): X".
time_field() { # FILE LABEL-PREFIX
	sed -n "s/^[[:space:]]*$2[^:]*: //p" "$1" | head -n1
}
wall_seconds() {
	time_field "$1" 'Elapsed (wall clock) time (h:mm:ss or m:ss)' |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f\n", s }'
}
cpu_seconds() {
	awk -v u="$(time_field "$1" 'User time (seconds)')" -v s="$(time_field "$1" 'System time (seconds)')" \
		'BEGIN { printf "%.2f\n", u + s }'
}
rss_kib() { time_field "$1" 'Maximum resident set size (kbytes)'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
gib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1073741824 }'; }
fmt_rss() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
# utime + stime of a process in clock ticks.
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# All CPUs from /proc/stat, in clock ticks: "busy steal total" (busy: user,
# nice, system, irq, softirq; total adds idle and iowait).
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
# A benchmark on a shared machine measures the other jobs too: before each
# scan, wait up to BENCH_IDLE_WAIT seconds for the CPUs to be < 10% busy.
wait_idle() {
	local waited=0 a b busy
	while :; do
		a=$(cpu_ticks)
		sleep 2
		b=$(cpu_ticks)
		busy=$(awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
			d = y[3] - x[3]; printf "%.0f", (d > 0 ? 100 * (y[1] - x[1] + y[2] - x[2]) / d : 0) }')
		((busy < 10)) && return 0
		if ((waited >= IDLE_WAIT)); then
			msg "warning: the machine is still ${busy}% busy with other work: timings will be pessimistic"
			return 0
		fi
		((waited == 0)) && msg "the machine is ${busy}% busy with other work: waiting up to ${IDLE_WAIT} s for it to settle"
		waited=$((waited + 2))
	done
}

# ---- 1. recipe ----------------------------------------------------------------

# Planted detections (kenshu must report each one; clamscan cannot see the
# alternate data stream) and the recipe lines that create them.  The bundle
# is a 20 MB zip of 2000 deflated members with EICAR last: big enough that
# libclamav has to page parts of it out and back in while scanning it.
DEEP=/Program\ Files/bench/deep
for ((i = 1; i <= 40; i++)); do DEEP+=$(printf '/level%02d' "$i"); done
PLANT_PATHS=(
	"$DEEP/eicar.com"
	"/Program Files/Vendor/Updater/bankupd.exe"
	"/Users/Public/Downloads/tools.zip"
	"/Users/Public/制御/設定.exe"
	"/Users/Public/readme.txt:payload"
	"/ProgramData/Vendor/Packages/update-bundle.zip"
)
PLANT_LINES=(
	"file \"$DEEP/eicar.com\" eicar"
	"file \"/Program Files/Vendor/Updater/bankupd.exe\" \"@$TESTFILES/clam.exe\""
	"file \"/Users/Public/Downloads/tools.zip\" \"@$TESTFILES/clam.zip\""
	"file \"/Users/Public/制御/設定.exe\" \"@$TESTFILES/clam.exe\""
	"file \"/Users/Public/readme.txt\" text:Public files of the bench image.\\n"
	"ads \"/Users/Public/readme.txt:payload\" eicar"
	"file \"/ProgramData/Vendor/Packages/update-bundle.zip\" \"@$WORK/update-bundle.zip\""
)

if [[ -n ${BENCH_IMAGE-} ]]; then
	[[ -f $BENCH_IMAGE ]] || die "BENCH_IMAGE '$BENCH_IMAGE' not found"
	IMG=$BENCH_IMAGE
	[[ -f $BENCH_IMAGE.recipe ]] && RECIPE=$BENCH_IMAGE.recipe
	msg "reusing image $IMG"
	NFILES=$(sed -n 's/^# bench: files=\([0-9]*\) bytes=[0-9]*$/\1/p' "$RECIPE" 2>/dev/null || true)
	DATA_BYTES=$(sed -n 's/^# bench: files=[0-9]* bytes=\([0-9]*\)$/\1/p' "$RECIPE" 2>/dev/null || true)
	NFILES=${NFILES:-?} DATA_BYTES=${DATA_BYTES:-0}
	DISK_MIB=$(($(stat -c %s -- "$IMG") / 1048576))
	MKIMAGE_WALL='(reused)'
else
	msg "listing regular files under $SRC_ROOT (files < ${MAX_FILE_MIB} MiB, names a recipe and NTFS can hold)"
	# Random source for shuf: splitmix64 bytes from ntfs-populate, so the
	# sample is the same from run to run on the same machine.
	"$POPULATE" --cat random:16M:20240611 >"$WORK/random.bin"
	TAB=$'\t'
	# size<TAB>path; each component: no " \ : * ? < > | or control
	# characters, valid UTF-8, not ending in '.' or ' ' (so never . or ..).
	comp='[^/"\\:*?<>|[:cntrl:]]*[^/"\\:*?<>|[:cntrl:]. ]'
	find "$SRC_ROOT" -xdev -path "$TESTFILES" -prune -o \
		-type f -readable -size -"$((MAX_FILE_MIB * 1024))"k -printf '%s\t%p\0' 2>/dev/null |
		LC_ALL=$UTF8_LOCALE grep -zaxE "[0-9]+${TAB}(/$comp)+" |
		LC_ALL=$UTF8_LOCALE grep -zaxE "[0-9]+${TAB}[[:print:]]+" |
		LC_ALL=C sort -z -t "$TAB" -k2 |
		shuf -z --random-source="$WORK/random.bin" |
		tr '\0' '\n' >"$WORK/candidates.tsv" || true
	ncand=$(wc -l <"$WORK/candidates.tsv")
	((ncand > 0)) || die "no usable files found under $SRC_ROOT"

	# Take files until DATA_MIB is listed; if the sample runs out, repeat it
	# under another top-level folder.
	awk -F '\t' -v target=$((DATA_MIB * 1048576)) -v n="$ncand" '
		{ size[NR] = $1; path[NR] = $2 }
		END {
			split("/Program Files/bench|/Program Files (x86)/bench", pre, "|")
			for (pass = 1; sum < target && pass <= 50; pass++) {
				p = pass in pre ? pre[pass] : "/Program Files/bench-copy" pass
				for (i = 1; i <= n && sum < target; i++) {
					printf "file \"%s%s\" \"@%s\"\n", p, path[i], path[i]
					sum += size[i]; files++
				}
			}
			printf "%d %d %d\n", files, sum, pass - 1 > "/dev/stderr"
		}' "$WORK/candidates.tsv" >"$WORK/files.recipe" 2>"$WORK/files.stats"
	read -r NFILES DATA_BYTES PASSES <"$WORK/files.stats"
	((PASSES > 1)) && msg "$SRC_ROOT holds less than ${DATA_MIB} MiB of usable files: tree repeated $PASSES times"

	# Room for the data, cluster slack and MFT records, at least 2200 MiB.
	DISK_MIB=$(awk -v b="$DATA_BYTES" -v n="$NFILES" \
		'BEGIN { m = b / 1048576 * 1.15 + n * 8 / 1024 + 160; m = int(m) + 1; print (m < 2200 ? 2200 : m) }')
	need_kib=$((DISK_MIB * 2 * 1024 + 512 * 1024))	# volume temp file + image + slack
	avail_kib=$(df -Pk -- "$BENCH_DIR" | awk 'NR == 2 { print $4 }')
	((avail_kib >= need_kib)) ||
		die "not enough disk space in $BENCH_DIR: need $((need_kib / 1024)) MiB (image of $DISK_MIB MiB, built through a temporary volume file of the same size), $((avail_kib / 1024)) MiB available; set KENSHU_BENCH_DIR"
	mem_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
	((mem_kib > DISK_MIB * 1024 * 3 / 2)) ||
		msg "warning: RAM ($((mem_kib / 1024)) MiB) is small next to the image ($DISK_MIB MiB): page-cache warming cannot hold it, timings include disk reads"

	{
		echo "# Generated by bench/run.sh on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)."
		echo "# bench: files=$NFILES bytes=$DATA_BYTES"
		echo "disk ${DISK_MIB}M gpt"
		echo 'part 16M msr "Microsoft reserved partition"'
		echo 'part rest basic OS'
		echo 'fs 2 ntfs BENCH'
		cat "$WORK/files.recipe"
		echo '# planted detections'
		printf '%s\n' "${PLANT_LINES[@]}"
	} >"$RECIPE"
	rm -f -- "$WORK/files.recipe" "$WORK/candidates.tsv" "$WORK/random.bin"
	"$POPULATE" --cat eicar >"$WORK/eicar.bin"
	python3 - "$WORK/update-bundle.zip" "$WORK/eicar.bin" <<'PY' || die "cannot write the planted zip"
import random, sys, zipfile
rnd = random.Random(7)
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(2000):
        z.writestr("lib/m%04d.bin" % i, rnd.randbytes(10000))
    z.writestr("lib/zz/eicar.com", open(sys.argv[2], "rb").read())
PY
	msg "recipe: $NFILES files, $DATA_BYTES bytes ($(gib "$DATA_BYTES") GiB) from $SRC_ROOT + ${#PLANT_PATHS[@]} planted detections, disk ${DISK_MIB} MiB"

	# ---- 2. image -----------------------------------------------------------------

	msg "building the image with images/mkimage.sh (takes a few minutes)"
	rc=0
	TMPDIR=$WORK /usr/bin/time -v -o "$WORK/mkimage.time" images/mkimage.sh "$RECIPE" "$IMG" || rc=$?
	((rc == 0)) || die "images/mkimage.sh failed (exit $rc)"
	MKIMAGE_WALL=$(wall_seconds "$WORK/mkimage.time")
	msg "image built in ${MKIMAGE_WALL} s: $IMG"
	cp -- "$RECIPE" "$IMG.recipe"
	rm -f -- "$WORK/update-bundle.zip" "$WORK/eicar.bin"
fi

IMG_BYTES=$(stat -c %s -- "$IMG")

# The NTFS partition: the GPT "basic data" entry (or the only partition).
ptab=$(sfdisk -J -- "$IMG") || die "cannot read the partition table of $IMG"
read -r PSTART PSIZE SECTOR < <(jq -r '.partitiontable as $t
	| ([$t.partitions[] | select(.type == "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7")] + $t.partitions)[0]
	| "\(.start) \(.size) \($t.sectorsize // 512)"' <<<"$ptab")
[[ $PSTART =~ ^[0-9]+$ && $PSIZE =~ ^[0-9]+$ ]] || die "no partition found in $IMG"
POFF=$((PSTART * SECTOR))
PLEN=$((PSIZE * SECTOR))

tests/mkdb.sh "$DB" || die "tests/mkdb.sh failed"

warm_cache() {
	msg "warming the page cache: cat image >/dev/null"
	cat -- "$IMG" >/dev/null
}

# CPU ticks of all kernel threads (children of kthreadd): the loop device's
# reads and the writeback of both scanners' temp files run there.
kthread_ticks() {
	{ cat /proc/[0-9]*/stat 2>/dev/null || true; } | sed 's/^.*) //' | awk '$2 == 2 { s += $12 + $13 } END { print s + 0 }'
}
# "kernel-thread-seconds other-seconds steal-seconds" while a scan ran.
load_during() { # CPU_BEFORE CPU_AFTER KTHREAD_BEFORE KTHREAD_AFTER OWN_CPU_SECONDS
	awk -v a="$1" -v b="$2" -v k0="$3" -v k1="$4" -v own="$5" -v t="$TICK" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		k = (k1 - k0) / t
		o = (y[1] - x[1]) / t - own - k; if (o < 0) o = 0
		printf "%.1f %.1f %.1f\n", k, o, (y[2] - x[2]) / t }'
}

# ---- 3a. clamscan over ntfs-3g -------------------------------------------------

# One clamscan run; appends "RUN WALL CPU RSS NTFS_CPU NTFS_RSS KTHR OTHER
# STEAL RC SCANNED" to $WORK/clamscan.results.
run_clamscan() {
	local i=$1 rc=0 t n0 n1 c0 c1 k0 k1 nrss wall cpu rss ncpu scanned load
	warm_cache
	LOOP=$(losetup -r -f --show -o "$POFF" --sizelimit "$PLEN" -- "$IMG") || die "losetup failed"
	mkdir -p -- "$MNT"
	# no_detach: ntfs-3g stays our child, so its CPU time can be read.
	ntfs-3g -o ro,no_detach "$LOOP" "$MNT" >"$WORK/ntfs-3g.$i.log" 2>&1 &
	NTFS_PID=$!
	for ((t = 0; t < 300; t++)); do
		mountpoint -q "$MNT" && break
		kill -0 "$NTFS_PID" 2>/dev/null || break
		sleep 0.1
	done
	mountpoint -q "$MNT" || die "ntfs-3g could not mount $LOOP: $(tr '\n' ' ' <"$WORK/ntfs-3g.$i.log")"
	wait_idle
	msg "clamscan -r over the read-only ntfs-3g mount of $LOOP (run $i of $RUNS)"
	n0=$(proc_ticks "$NTFS_PID") c0=$(cpu_ticks) k0=$(kthread_ticks)
	/usr/bin/time -v -o "$WORK/clamscan.$i.time" \
		clamscan -r -i --max-dir-recursion=200 --max-filesize=1024M --max-scansize=4096M \
		-d "$DB" "$MNT" >"$WORK/clamscan.$i.out" 2>"$WORK/clamscan.$i.err" || rc=$?
	c1=$(cpu_ticks) k1=$(kthread_ticks) n1=$(proc_ticks "$NTFS_PID")
	nrss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$NTFS_PID/status")
	umount "$MNT"
	wait "$NTFS_PID" || true
	NTFS_PID=''
	losetup -d "$LOOP"
	LOOP=''
	((rc == 0 || rc == 1)) ||
		msg "warning: clamscan exit $rc (some files could not be scanned): $(head -c 400 "$WORK/clamscan.$i.err" | tr '\n' ' ')"
	wall=$(wall_seconds "$WORK/clamscan.$i.time")
	cpu=$(cpu_seconds "$WORK/clamscan.$i.time")
	rss=$(rss_kib "$WORK/clamscan.$i.time")
	ncpu=$(awk -v a="$n0" -v b="$n1" -v t="$TICK" 'BEGIN { printf "%.2f\n", (b - a) / t }')
	scanned=$(sed -n 's/^Scanned files: //p' "$WORK/clamscan.$i.out")
	load=$(load_during "$c0" "$c1" "$k0" "$k1" "$(awk -v a="$cpu" -v b="$ncpu" 'BEGIN { print a + b }')")
	echo "$i $wall $cpu $rss $ncpu $nrss $load $rc ${scanned:-?}" >>"$WORK/clamscan.results"
	msg "clamscan: $wall s wall, $cpu s CPU (+ $ncpu s in ntfs-3g), exit $rc"
}

# ---- 3b. kenshu -----------------------------------------------------------------

# One kenshu run; appends "RUN WALL CPU RSS KTHR OTHER STEAL RC HASH SCAN
# REUSED SCANNED" to $WORK/TAG.results (REUSED, SCANNED: .drift.reuse's
# files_reused and files_scanned, "-" without a baseline).  TAG names the
# files: TAG.RUN.time, TAG-out.RUN (report directory); default "kenshu"
# with the test database and no baseline.
run_kenshu() { # RUN [TAG DB BASELINE_DIR PROFILE]
	local i=$1 tag=${2:-kenshu} db=${3:-$DB} base=${4-} prof=${5:-${BENCH_PROFILE-}} rc=0 c0 c1 k0 k1 wall cpu rss load hs ru
	local extra=() what=''
	if [[ -n $base ]]; then
		extra=(--baseline "$base")
		what=" --baseline ${base#"$WORK"/}"
	fi
	if [[ -n $prof ]]; then
		extra+=(-p "$prof")
		what+=" -p ${prof#"$WORK"/}"
	fi
	warm_cache
	wait_idle
	msg "$KENSHU scan -q -j $JOBS -d ${db#"$WORK"/}$what on the image ($tag, run $i of $RUNS)"
	c0=$(cpu_ticks) k0=$(kthread_ticks)
	/usr/bin/time -v -o "$WORK/$tag.$i.time" \
		"$KENSHU" scan -q -j "$JOBS" -d "$db" -o "$WORK/$tag-out.$i" "${extra[@]}" "$IMG" \
		>"$WORK/$tag.$i.out" 2>"$WORK/$tag.$i.err" || rc=$?
	c1=$(cpu_ticks) k1=$(kthread_ticks)
	if ((rc != 0 && rc != 1 && rc != 3)) || [[ ! -f $WORK/$tag-out.$i/report.json ]]; then
		cat "$WORK/$tag.$i.err" >&2
		KEEP=1
		die "kenshu ($tag) exit $rc, no usable report (work directory kept)"
	fi
	wall=$(wall_seconds "$WORK/$tag.$i.time")
	cpu=$(cpu_seconds "$WORK/$tag.$i.time")
	rss=$(rss_kib "$WORK/$tag.$i.time")
	load=$(load_during "$c0" "$c1" "$k0" "$k1" "$cpu")
	hs=$(jq -r '"\(.scan.seconds_hashing) \(.scan.seconds_scanning)"' "$WORK/$tag-out.$i/report.json")
	ru=$(jq -r '"\(.drift.reuse.files_reused // "-") \(.drift.reuse.files_scanned // "-")"' "$WORK/$tag-out.$i/report.json")
	echo "$i $wall $cpu $rss $load $rc $hs $ru" >>"$WORK/$tag.results"
	msg "kenshu ($tag): $wall s wall, $cpu s CPU, exit $rc${base:+, files reused/scanned: $ru}"
}

# ---- 3c. re-audit: the check --------------------------------------------------------

# Files of BASE a re-audit must not rescan: manifest status "scanned" with a
# SHA-256, not at a detection, macro document or skipped item (what
# snapshot_clean() accepts; see include/kenshu/drift.h).
reusable_files() { # BASE_DIR
	jq -n --slurpfile r "$1/report.json" '
		([$r[0] | (.detections // [])[], (.macro_documents // [])[], (.skipped // [])[]]
		 | map("\(.volume // 0)\t\(.path // "")\t\(.stream // "")") | INDEX(.)) as $x
		| [inputs | select(.status == "scanned" and (.sha256 // "") != "")
		   | "\(.volume)\t\(.path)\t\(.stream)" | select($x[.] | not)] | length' "$1/manifest.jsonl"
}
# Exit 1 (work directory kept) unless the re-audit in OUT reused BASE.
check_reuse() { # OUT_DIR BASE_DIR
	local out=$1 base=$2 want got
	want=$(reusable_files "$base")
	got=$(jq -r '[.drift.reuse.allowed, .drift.summary.unchanged, .drift.reuse.files_reused,
		.drift.reuse.files_scanned, (.detections | length), (.drift.reuse.note // "")]
		| map(tostring) | join("\t")' "$out/report.json")
	local allowed unchanged reused scanned ndet note bdet
	IFS=$'\t' read -r allowed unchanged reused scanned ndet note <<<"$got"
	bdet=$(jq '.detections | length' "$base/report.json")
	if [[ $allowed != true || $unchanged != true || $reused != "$want" || $ndet != "$bdet" ]]; then
		KEEP=1
		{
			echo "$PROG: FAILED: the re-audit ${out#"$WORK"/} did not reuse the baseline ${base#"$WORK"/} as expected:"
			echo "  .drift.reuse.allowed = $allowed (want true), note: ${note:-(none)}"
			echo "  .drift.summary.unchanged = $unchanged (want true)"
			echo "  .drift.reuse.files_reused = $reused, want $want (the baseline's clean \"scanned\" files); files_scanned = $scanned"
			echo "  detections: $ndet, baseline $bdet"
			echo "  drift summary: $(jq -c '.drift.summary' "$out/report.json")"
			echo "$PROG: kept work directory $WORK"
		} >&2
		exit 1
	fi
}

# ---- 3d. the synthetic big database ----------------------------------------------

# DIR: the test database plus bench/bigdb.py's BIGDB_NDB body and BIGDB_HSB
# hash signatures (seeded: the same files every run).
make_bigdb() { # DIR
	mkdir -p -- "$1"
	cp -- "$DB"/* "$1"/
	python3 bench/bigdb.py "$1" "$BIGDB_NDB" "$BIGDB_HSB" || die "cannot write the big database"
}

: >"$WORK/clamscan.results"
: >"$WORK/kenshu.results"
RA_TAGS=()
if ((REAUDIT)); then
	RA_TAGS+=(kenshu-reaudit)
	: >"$WORK/kenshu-reaudit.results"
fi
if ((BIGDB)); then
	DB_BIG=$WORK/db-big
	t0=$SECONDS
	make_bigdb "$DB_BIG"
	BIGDB_SIZE=$(du -sk -- "$DB_BIG" | cut -f1)
	msg "big database: $BIGDB_NDB body + $BIGDB_HSB hash signatures + 2 test signatures, $((BIGDB_SIZE / 1024)) MiB, generated in $((SECONDS - t0)) s"
	RA_TAGS+=(kenshu-bigdb)
	: >"$WORK/kenshu-bigdb.results"
	if ((REAUDIT)); then
		RA_TAGS+=(kenshu-bigdb-reaudit)
		: >"$WORK/kenshu-bigdb-reaudit.results"
	fi
fi
if ((YARA_N)); then
	# The rule set and a profile that adds it to the one every run uses.
	python3 bench/yararules.py "$WORK/yara" "$YARA_N" || die "cannot write the YARA rules"
	{
		echo "; make bench: kenshu with $YARA_N YARA rules (bench/yararules.py)"
		echo "include = ${BENCH_PROFILE:-default}"
		echo "[profile]"
		echo "name = bench-yara-$YARA_N"
		echo "[yara]"
		echo "rules = $WORK/yara"
	} >"$WORK/yara.ini"
	: >"$WORK/kenshu-yara.results"
fi
for ((run = 1; run <= RUNS; run++)); do
	run_clamscan "$run"
	run_kenshu "$run"
	if ((YARA_N)); then
		run_kenshu "$run" kenshu-yara "$DB" "" "$WORK/yara.ini"
	fi
	if ((REAUDIT)); then
		run_kenshu "$run" kenshu-reaudit "$DB" "$WORK/kenshu-out.1"
		check_reuse "$WORK/kenshu-reaudit-out.$run" "$WORK/kenshu-out.1"
	fi
	if ((BIGDB)); then
		run_kenshu "$run" kenshu-bigdb "$DB_BIG"
		if ((REAUDIT)); then
			run_kenshu "$run" kenshu-bigdb-reaudit "$DB_BIG" "$WORK/kenshu-bigdb-out.1"
			check_reuse "$WORK/kenshu-bigdb-reaudit-out.$run" "$WORK/kenshu-bigdb-out.1"
		fi
	fi
done

# The fastest run of each (the least disturbed by anything else).
read -r _ CLAM_WALL CLAM_CPU CLAM_RSS NTFS_CPU NTFS_RSS CLAM_KTHR CLAM_OTHER CLAM_STEAL CLAM_RC CLAM_SCANNED \
	< <(sort -k2,2g "$WORK/clamscan.results" | head -n1)
read -r K_RUN K_WALL K_CPU K_RSS K_KTHR K_OTHER K_STEAL _ K_HASH K_SCAN _ \
	< <(sort -k2,2g "$WORK/kenshu.results" | head -n1)
CLAM_WALLS=$(awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $2 }' "$WORK/clamscan.results")
K_WALLS=$(awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $2 }' "$WORK/kenshu.results")
REPORT=$WORK/kenshu-out.$K_RUN/report.json
read -r K_VERDICT K_FILES K_STREAMS K_BYTES K_SKIPPED < <(jq -r \
	'[.verdict, .counters.files, .counters.streams, .counters.bytes_scanned, .counters.skipped]
	 | map(tostring) | join(" ")' "$REPORT")

# ---- 4. detections -----------------------------------------------------------------

# clamscan -i: "MNT/path: Signature FOUND"; paths relative to the mount.
# Union over clamscan runs, against what kenshu reported in every run.
for ((run = 1; run <= RUNS; run++)); do
	while IFS= read -r line; do
		l=${line% FOUND}
		p=${l%: *}
		printf '%s\n' "${p#"$MNT"}"
	done < <(grep -a ' FOUND$' "$WORK/clamscan.$run.out" || true)
done | LC_ALL=C sort -u >"$WORK/clam.found"
for ((run = 1; run <= RUNS; run++)); do
	jq -r '[.detections[] | if .stream == "" then .path else "\(.path):\(.stream)" end] | unique[]' \
		"$WORK/kenshu-out.$run/report.json"
done | LC_ALL=C sort | uniq -c | awk -v n="$RUNS" '$1 == n { sub(/^ *[0-9]+ /, ""); print }' |
	LC_ALL=C sort -u >"$WORK/kenshu.found.streams"
# Plain paths: detections in a file's unnamed stream (what clamscan sees).
jq -r '.detections[] | select(.stream == "") | .path' "$WORK"/kenshu-out.*/report.json | LC_ALL=C sort -u |
	LC_ALL=C comm -12 - "$WORK/kenshu.found.streams" >"$WORK/kenshu.found"
CLAM_N=$(wc -l <"$WORK/clam.found")
K_N=$(jq '.detections | length' "$REPORT")
LC_ALL=C comm -23 "$WORK/clam.found" "$WORK/kenshu.found" >"$WORK/missed"
printf '%s\n' "${PLANT_PATHS[@]}" | LC_ALL=C sort -u |
	LC_ALL=C comm -23 - "$WORK/kenshu.found.streams" >"$WORK/planted.missed"
if [[ -n ${BENCH_IMAGE-} ]] && ! grep -q '^# planted detections' "$RECIPE" 2>/dev/null; then
	: >"$WORK/planted.missed" # an image from elsewhere: no planted list to check
fi
# The YARA runs must find what the plain runs found (YARA adds, never hides).
: >"$WORK/yara.missed"
if ((YARA_N)); then
	for ((run = 1; run <= RUNS; run++)); do
		jq -r '[.detections[] | if .stream == "" then .path else "\(.path):\(.stream)" end] | unique[]' \
			"$WORK/kenshu-yara-out.$run/report.json" | LC_ALL=C sort -u |
			LC_ALL=C comm -23 "$WORK/kenshu.found.streams" - >>"$WORK/yara.missed"
	done
	YARA_MATCHES=$(jq '.yara.matches | length' "$WORK/kenshu-yara-out.1/report.json")
	YARA_RULES=$(jq '[.yara.rule_sets[].rules] | add' "$WORK/kenshu-yara-out.1/report.json")
	YARA_SECS=$(jq '[.yara.rule_sets[].seconds] | add' "$WORK/kenshu-yara-out.1/report.json")
	YARA_SLOW=$(jq '[.yara.rule_sets[] | select(.too_slow)] | length' "$WORK/kenshu-yara-out.1/report.json")
fi
STATUS=0
{
	if [[ -s $WORK/yara.missed ]]; then
		echo "$PROG: FAILED: with YARA rules loaded kenshu did not report:"
		LC_ALL=C sort -u "$WORK/yara.missed" | sed 's/^/  /'
	fi
	if [[ -s $WORK/missed ]]; then
		echo "$PROG: FAILED: clamscan found $(wc -l <"$WORK/missed") file(s) that kenshu did not report:"
		sed 's/^/  /' "$WORK/missed"
	fi
	if [[ -s $WORK/planted.missed ]]; then
		echo "$PROG: FAILED: kenshu did not report these planted detections:"
		sed 's/^/  /' "$WORK/planted.missed"
	fi
} >"$WORK/failures"
[[ -s $WORK/failures ]] && STATUS=1
# Found by kenshu only (clamscan cannot see alternate data streams through
# the default ntfs-3g mount): informational.
jq -r '.detections[] | "\(.path)\(if .stream == "" then "" else ":" + .stream end)\t\(.signature)"' "$REPORT" |
	LC_ALL=C sort >"$WORK/kenshu.detections"

# ---- 5. table ---------------------------------------------------------------------

RATIO=$(awk -v c="$CLAM_WALL" -v k="$K_WALL" 'BEGIN { if (k > 0) printf "%.2f", c / k; else print "inf" }')
TARGET=$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN { print ((r == "inf" || r + 0 >= t) ? "MET" : "NOT MET") }')
CLAM_TOTAL_CPU=$(awk -v a="$CLAM_CPU" -v b="$NTFS_CPU" 'BEGIN { printf "%.2f", a + b }')
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
MEM_GIB=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
OS=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}")
K_VERSION=$("$KENSHU" --version 2>/dev/null | head -n1)
CLAM_VERSION=$(clamscan --version 2>/dev/null | head -n1)

if ((RUNS > 1)); then
	BEST_C=" (fastest of $RUNS runs: $CLAM_WALLS s)"
	BEST_K=" (fastest of $RUNS runs: $K_WALLS s)"
else
	BEST_C='' BEST_K=''
fi
[[ $MKIMAGE_WALL == *[0-9] ]] && MKIMAGE_WALL+=" s"
# The fastest run of TAG: "WALL CPU RSS HASH SCAN REUSED SCANNED WALLS" (WALLS:
# every run's wall time, comma-separated, no blanks).
best_of() { # TAG
	sort -k2,2g "$WORK/$1.results" | head -n1 | awk -v w="$(awk '{ printf "%s%s", (NR > 1 ? "," : ""), $2 }' "$WORK/$1.results")" \
		'{ print $2, $3, $4, $9, $10, $11, $12, w }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
# Rows for one database: full scan TAG_FULL against re-audit TAG_RA (which
# may have no results file); also one line of the re-audit markdown table in
# $WORK/reaudit.md.
reaudit_rows() { # LABEL TAG_FULL TAG_RA
	local fw fc fr fh fs fw_all rw rc rr rh rs ru rn rw_all
	read -r fw fc fr fh fs _ _ fw_all < <(best_of "$2")
	if [[ $2 != kenshu ]]; then
		rows+=("kenshu full scan, $1: wall|${fw} s$( ((RUNS > 1)) && echo " (fastest of $RUNS runs: ${fw_all//,/, } s)"); phases: hashing the image twice ${fh} s, scanning files ${fs} s"
			"kenshu full scan, $1: CPU, peak RSS|${fc} s, $(fmt_rss "$fr")")
	fi
	[[ -s $WORK/$3.results ]] || return 0
	read -r rw rc rr rh rs ru rn rw_all < <(best_of "$3")
	rows+=("kenshu re-audit, $1: wall|${rw} s$( ((RUNS > 1)) && echo " (fastest of $RUNS runs: ${rw_all//,/, } s)"); phases: hashing the image twice ${rh} s, scanning files ${rs} s"
		"kenshu re-audit, $1: CPU, peak RSS|${rc} s, $(fmt_rss "$rr")"
		"kenshu re-audit, $1: files reused / scanned by ClamAV|$ru / $rn"
		"Speed-up full/re-audit, $1|**$(ratio "$fw" "$rw")x** wall, $(ratio "$fc" "$rc")x CPU")
	printf '| %s | %s s | %s s | %s | %s s | %s s | %s | %s / %s | **%sx** (CPU %sx) |\n' "$1" \
		"$fw" "$fc" "$(fmt_rss "$fr")" "$rw" "$rc" "$(fmt_rss "$rr")" "$ru" "$rn" \
		"$(ratio "$fw" "$rw")" "$(ratio "$fc" "$rc")" >>"$WORK/reaudit.md"
}
rows=(
	"Image|$(gib "$IMG_BYTES") GiB ($IMG_BYTES bytes), GPT, NTFS partition of $(mib "$PLEN") MiB"
	"Files from $SRC_ROOT (recipe)|$NFILES files, $(gib "$DATA_BYTES") GiB ($DATA_BYTES bytes) + ${#PLANT_PATHS[@]} planted detections"
	"Image build (mkimage.sh)|${MKIMAGE_WALL}"
	"kenshu counters|$K_FILES files, $K_STREAMS streams, $(gib "$K_BYTES") GiB scanned, $K_SKIPPED skipped"
	"clamscan wall|${CLAM_WALL} s$BEST_C"
	"clamscan CPU (user+sys)|${CLAM_CPU} s clamscan + ${NTFS_CPU} s ntfs-3g = ${CLAM_TOTAL_CPU} s"
	"clamscan peak RSS|$(fmt_rss "$CLAM_RSS") clamscan, $(fmt_rss "$NTFS_RSS") ntfs-3g"
	"clamscan files scanned|${CLAM_SCANNED} (exit $CLAM_RC)"
	"kenshu wall (-j $JOBS)|${K_WALL} s$BEST_K; phases: hashing the image twice ${K_HASH} s, scanning files ${K_SCAN} s"
	"kenshu CPU (user+sys)|${K_CPU} s"
	"kenshu peak RSS|$(fmt_rss "$K_RSS")"
	"CPU elsewhere during the clamscan run|kernel threads ${CLAM_KTHR} s (loop device, writeback), other processes ${CLAM_OTHER} s, steal ${CLAM_STEAL} s"
	"CPU elsewhere during the kenshu run|kernel threads ${K_KTHR} s, other processes ${K_OTHER} s, steal ${K_STEAL} s"
	"Speed ratio clamscan/kenshu (wall)|${RATIO}x"
	"Detections|clamscan $CLAM_N files, kenshu $K_N (verdict $K_VERDICT)"
	"Missed by kenshu (clamscan findings or planted)|$(LC_ALL=C sort -u "$WORK/missed" "$WORK/planted.missed" |
		awk '{ l = l (NR == 1 ? ": " : ", ") $0 } END { print NR l }')"
	"Target: kenshu >= ${TARGET_RATIO}x faster on $(nproc) cores|$TARGET"
)
if ((YARA_N)); then
	read -r yw yc yr yh ys _ _ yw_all < <(best_of kenshu-yara)
	YRATIO=$(ratio "$CLAM_WALL" "$yw")
	rows+=("kenshu with $YARA_N YARA rules: wall|${yw} s$( ((RUNS > 1)) && echo " (fastest of $RUNS runs: ${yw_all//,/, } s)"); phases: hashing the image twice ${yh} s, scanning files ${ys} s"
		"kenshu with $YARA_N YARA rules: CPU, peak RSS|${yc} s, $(fmt_rss "$yr"); YARA's own time (every thread summed) ${YARA_SECS} s; $YARA_RULES rules compiled, $YARA_SLOW set(s) too slow, $YARA_MATCHES matches"
		"Speed ratio clamscan/kenshu with $YARA_N YARA rules (wall)|**${YRATIO}x** ($(awk -v r="$YRATIO" -v t="$TARGET_RATIO" 'BEGIN { print ((r + 0 >= t) ? "MET" : "NOT MET") }') against ${TARGET_RATIO}x); YARA costs $(ratio "$yw" "$K_WALL")x wall, $(ratio "$yc" "$K_CPU")x CPU of kenshu alone")
fi
: >"$WORK/reaudit.md"
if ((REAUDIT || BIGDB)); then
	((REAUDIT)) && reaudit_rows "test DB (2 signatures)" kenshu kenshu-reaudit
	if ((BIGDB)); then
		rows+=("Big database (synthetic, seeded)|$BIGDB_NDB body (.ndb) + $BIGDB_HSB SHA-256 (.hsb) + the 2 test signatures, $((BIGDB_SIZE / 1024)) MiB")
		reaudit_rows "big DB ($((BIGDB_NDB + BIGDB_HSB + 2)) signatures)" kenshu-bigdb kenshu-bigdb-reaudit
	fi
fi

{
	echo
	echo "Result ($CPU_MODEL, $(nproc) cores, $MEM_GIB GiB RAM, $OS)"
	echo "  $K_VERSION; $CLAM_VERSION"
	for r in "${rows[@]}"; do
		printf '  %-48s %s\n' "${r%%|*}" "${r#*|}"
	done
	echo
	echo "Detections by kenshu (path[:stream] and signature):"
	sed 's/^/  /' "$WORK/kenshu.detections"
	echo "Files clamscan reported FOUND:"
	sed 's/^/  /' "$WORK/clam.found"
	echo
} >&2

echo "| Measure | Result |"
echo "|---|---|"
echo "| Machine | $(nproc) cores, $CPU_MODEL, $MEM_GIB GiB RAM, $OS |"
echo "| Versions | $K_VERSION; $CLAM_VERSION |"
for r in "${rows[@]}"; do
	printf '| %s | %s |\n' "${r%%|*}" "${r#*|}"
done

if [[ -s $WORK/reaudit.md ]]; then
	echo
	echo "| Database | Full scan wall | Full CPU | Full peak RSS | Re-audit wall | Re-audit CPU | Re-audit peak RSS | Files reused / scanned | Speed-up full/re-audit (wall) |"
	echo "|---|---|---|---|---|---|---|---|---|"
	cat "$WORK/reaudit.md"
fi

cat "$WORK/failures" >&2
msg "done in $((SECONDS - T_START)) s"
exit "$STATUS"

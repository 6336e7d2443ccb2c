#!/bin/bash
# test-faults.sh BUILD — kenshu under injected faults (tests/tools/faultshim.c,
# preloaded): failing and short reads of the image, the image truncated
# while it is scanned, a full disk under the report directory, allocation
# failures, SIGTERM and SIGKILL at seeded random moments. Each case must
# end with a documented exit status; a failure's last stderr line is one
# kenshu line naming the file; the image's SHA-256 is what it was before;
# no temporary file is left in TMPDIR or OUTDIR (SIGKILL: what is left is
# named, and the next run is not confused by it); OUTDIR holds either no
# report or a complete one that `kenshu verify` accepts and whose files
# parse, and an older report there is kept byte for byte or replaced whole.
# docs/reliability.md ("Fault injection") lists the cases.
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
SHIM=$(cd "$BUILD" && pwd)/tools/faultshim.so
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-faults.XXXXXX")
trap 'rm -rf "$W"' EXIT
export KENSHU_TOOLS=$BUILD/tools
. "$(dirname -- "$0")/tap.sh"

[ -f "$SHIM" ] || { not_ok "faultshim.so is built ($SHIM)"; exit 1; }
tests/mkdb.sh "$W/db" >/dev/null
images/mkimage.sh images/vendor-infected.recipe "$W/disk.img" >/dev/null || { not_ok "build vendor-infected"; exit 1; }
IMG=$W/disk.img
SIZE=$(stat -c %s "$IMG")
"$KENSHU" keygen "$W/k.key" >/dev/null 2>&1 || { not_ok "keygen"; exit 1; }
SHA=$(sha256sum "$IMG" | cut -d' ' -f1)

# A sanitizer runtime replaces malloc itself and must come first among the
# libraries: there only the I/O faults apply.
ASAN=0
if ldd "$KENSHU" | grep -q 'libasan'; then
	ASAN=1
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
fi
PRELOAD="${LD_PRELOAD:+$LD_PRELOAD:}$SHIM"

# Where faults go: the GPT header and entries, the NTFS volume's $MFT (from
# its boot sector), and the data of /Windows/System32/kernel32.dll (found
# by its bytes, which ntfs-populate makes from the recipe's seed).
read -r MFT DATA < <(python3 - "$IMG" "$KENSHU_TOOLS/ntfs-populate" <<'PY'
import struct, subprocess, sys
d = open(sys.argv[1], 'rb').read()
ent = struct.unpack_from('<Q', d, 512 + 72)[0] * 512
start = struct.unpack_from('<Q', d, ent + 128 + 32)[0] * 512   # the second partition: NTFS
bps, spc = struct.unpack_from('<H', d, start + 11)[0], d[start + 13]
mft = start + struct.unpack_from('<Q', d, start + 0x30)[0] * bps * spc
data = subprocess.run([sys.argv[2], '--cat', 'random:98304:1'], capture_output=True).stdout
print(mft, d.find(data[:4096]))
PY
)
[ "${DATA:--1}" -gt 0 ] || { not_ok "find \$MFT and file data in the image"; exit 1; }

# The reference: the same scan without faults, and an older report (other
# case metadata, an export the new scan does not write) for the cases that
# must keep it or replace it whole.
t0=$(date +%s%N)
"$KENSHU" scan -q -j 1 -d "$W/db" --sign-key "$W/k.key" -o "$W/ref" "$IMG" 2>/dev/null
REF_RC=$?
REF_MS=$((($(date +%s%N) - t0) / 1000000))
"$KENSHU" scan -q -j 1 -d "$W/db" --sign-key "$W/k.key" --export csv --meta run=older -o "$W/older" "$IMG" 2>/dev/null
check_eval "reference scan: exit $REF_RC (1: FAIL, the image holds test malware), signed report verifies" \
	'[ $REF_RC = 1 ] && "$KENSHU" verify --pub "$W/k.key.pub" "$W/ref" >/dev/null && [ -e "$W/older/findings.csv" ]'

# report_state DIR: "none", "complete" (verifies, every file parses) or
# "broken: why".
report_state() {
	local d=$1 f
	if [ ! -e "$d/report.json" ]; then
		for f in report.txt report.html manifest.jsonl findings.csv stix.json report.sig; do
			[ -e "$d/$f" ] && { echo "broken: $f without report.json"; return; }
		done
		echo none
		return
	fi
	"$KENSHU" verify --pub "$W/k.key.pub" "$d" >/dev/null 2>&1 || { echo "broken: does not verify"; return; }
	jq -e .verdict "$d/report.json" >/dev/null 2>&1 || { echo "broken: report.json does not parse"; return; }
	jq -e -s 'length > 0' "$d/manifest.jsonl" >/dev/null 2>&1 || { echo "broken: manifest.jsonl does not parse"; return; }
	grep -q '</html>' "$d/report.html" || { echo "broken: report.html ends early"; return; }
	grep -q '^VERDICT: ' "$d/report.txt" || { echo "broken: report.txt has no verdict"; return; }
	echo complete
}

N=0
# fault NAME EXPECT OLD IMAGE [VAR=VALUE...]: one scan with the shim set by
# the variables. EXPECT: the exit status wanted ("2", "0|1|2|3"...). OLD:
# "old" to start from a copy of the older report in OUTDIR, "-" for none.
# The fault must be seen in the shim's log unless NAME ends in "(no fault)".
fault() {
	local name=$1 expect=$2 old=$3 img=$4 why="" rc last state
	shift 4
	N=$((N + 1))
	local c=$W/case$N
	mkdir -p "$c/tmp"
	[ "$old" = old ] && cp -a "$W/older" "$c/out"
	env TMPDIR="$c/tmp" LD_PRELOAD="$PRELOAD" KENSHU_FAULT_LOG="$c/log" "$@" \
		"$KENSHU" scan -q -j 1 -d "$W/db" --sign-key "$W/k.key" -o "$c/out" "$img" >/dev/null 2>"$c/err"
	rc=$?
	last=$(tail -n 1 "$c/err")
	state=$(report_state "$c/out")
	[[ $rc =~ ^($expect)$ ]] || why="$why exit $rc, wanted $expect;"
	[ -s "$c/log" ] || [[ $name == *"(no fault)" ]] || why="$why the fault was never reached;"
	if [ "$rc" = 2 ]; then
		[[ $last == "kenshu: error: "* ]] || why="$why last stderr line is not kenshu's: '$last';"
		case $last in
		*"'$img"* | *"'$c/out"* | *"out of memory"*) ;;
		*) why="$why last stderr line names neither image nor OUTDIR: '$last';" ;;
		esac
	fi
	[ "$(sha256sum "$IMG" | cut -d' ' -f1)" = "$SHA" ] || why="$why the image changed;"
	[ -z "$(ls -A "$c/tmp")" ] || why="$why left in TMPDIR: $(ls -A "$c/tmp");"
	[ -z "$(find "$c/out" -name '.*' 2>/dev/null)" ] || why="$why left in OUTDIR: $(cd "$c/out" && ls -d .*[!.]*);"
	case $state in
	broken*) why="$why OUTDIR $state;" ;;
	complete)
		if [ "$rc" = 2 ]; then
			[ "$old" = old ] && diff -r "$W/older" "$c/out" >/dev/null ||
				why="$why a report stands after a failed scan and it is not the older one;"
		elif [ "$old" = old ] && diff -r "$W/older" "$c/out" >/dev/null; then
			why="$why exit $rc but the older report was not replaced;"
		fi
		;;
	none)
		[[ $rc =~ ^(0|1|3)$ ]] && why="$why exit $rc without a report;"
		[ "$old" = old ] && why="$why the older report is gone;"
		;;
	esac
	if [ -z "$why" ]; then
		local what=""
		[ "$old" = old ] && what=" (older report $([ "$rc" = 2 ] && echo kept || echo replaced))"
		ok "$name: exit $rc, report $state$what"
	else
		not_ok "$name:$why"
		sed 's/^/#   stderr: /' "$c/err" | tail -n 3
		sed 's/^/#   shim: /' "$c/log" 2>/dev/null | head -n 3
	fi
	LAST_CASE=$c
}
IMGV=KENSHU_FAULT_IMAGE=$IMG

# ---- reads of the image ----
fault "EIO in the GPT header" 2 old "$IMG" $IMGV KENSHU_FAULT_EIO_AT=512
fault "EIO in the middle of the image, first read (hashing)" 2 old "$IMG" $IMGV KENSHU_FAULT_EIO_AT=$((SIZE / 2))
fault "EIO in \$MFT (libntfs-3g mounting)" 2 old "$IMG" $IMGV KENSHU_FAULT_EIO_AT=$MFT KENSHU_FAULT_EIO_SKIP=1
fault "EIO in \$MFT record 5 (root directory)" 2 - "$IMG" $IMGV KENSHU_FAULT_EIO_AT=$((MFT + 5 * 1024)) KENSHU_FAULT_EIO_SKIP=1
fault "EIO in file data, a bad sector (fails again when rehashing)" 2 old "$IMG" $IMGV KENSHU_FAULT_EIO_AT=$DATA KENSHU_FAULT_EIO_SKIP=1
fault "EIO in file data, once (the file is listed as not read)" "$REF_RC" old "$IMG" $IMGV KENSHU_FAULT_EIO_AT=$DATA \
	KENSHU_FAULT_EIO_SKIP=1 KENSHU_FAULT_EIO_COUNT=1
check_eval "EIO in file data, once: kernel32.dll is reported unread with the reason" \
	'jq -e "[.. | objects | select(.path? == \"/Windows/System32/kernel32.dll\" and ((.reason? // \"\") | test(\"Input/output error\")))] | length > 0" "$LAST_CASE/out/report.json" >/dev/null'
for short in 4095 513; do
	fault "short reads of at most $short bytes" "$REF_RC" - "$IMG" $IMGV KENSHU_FAULT_SHORT=$short
	same "short reads of at most $short bytes: manifest.jsonl as without faults" "$(cat "$W/ref/manifest.jsonl")" \
		"$(cat "$LAST_CASE/out/manifest.jsonl" 2>/dev/null)"
done

# ---- the image truncated while it is scanned (a copy) ----
# While hashing, while walking and scanning (the NTFS reads are far less
# than the image), while hashing again.
for after in $((SIZE / 4)) $((SIZE + SIZE / 8)) $((2 * SIZE)); do
	cp "$IMG" "$W/cut.img"
	fault "image truncated to half after $after bytes read" 2 old "$W/cut.img" KENSHU_FAULT_IMAGE="$W/cut.img" \
		KENSHU_FAULT_TRUNCATE_AFTER=$after
done
rm -f "$W/cut.img"

# ---- a full disk under OUTDIR ----
for n in 0 4000 50000; do
	fault "ENOSPC writing after $n bytes" 2 old "$IMG" KENSHU_FAULT_OUTDIR="$W/case$((N + 1))/out" KENSHU_FAULT_ENOSPC_AFTER=$n
done
fault "ENOSPC writing after 4000 bytes, no older report" 2 - "$IMG" KENSHU_FAULT_OUTDIR="$W/case$((N + 1))/out" KENSHU_FAULT_ENOSPC_AFTER=4000
for on in fsync close; do
	fault "ENOSPC on $on after 20000 bytes" 2 old "$IMG" KENSHU_FAULT_OUTDIR="$W/case$((N + 1))/out" \
		KENSHU_FAULT_ENOSPC_AFTER=20000 KENSHU_FAULT_ENOSPC_ON=$on
done
fault "ENOSPC on every rename" 2 old "$IMG" KENSHU_FAULT_OUTDIR="$W/case$((N + 1))/out" KENSHU_FAULT_ENOSPC_AFTER=0 \
	KENSHU_FAULT_ENOSPC_ON=rename
# The older report's files get second names (hard links) first; renames
# 1-5 put the new files in place (report.json last): a failure at any of
# them puts the older report back.
for k in 1 3 5; do
	fault "ENOSPC on rename $k of the commit" 2 old "$IMG" KENSHU_FAULT_OUTDIR="$W/case$((N + 1))/out" KENSHU_FAULT_RENAME_FAIL_AT=$k
done
fault "ENOSPC on rename 20 (none fails) (no fault)" "$REF_RC" old "$IMG" KENSHU_FAULT_OUTDIR="$W/case$((N + 1))/out" \
	KENSHU_FAULT_RENAME_FAIL_AT=20
check_eval "a new report replaces the older whole: its export (findings.csv) is gone" '[ ! -e "$LAST_CASE/out/findings.csv" ]'
# Where the file system has no hard links (FAT), the older files are
# renamed aside instead: renames 1-7 set them aside, 8-12 place the new.
for k in 1 9; do
	fault "no hard links, ENOSPC on rename $k of the commit" 2 old "$IMG" KENSHU_FAULT_OUTDIR="$W/case$((N + 1))/out" \
		KENSHU_FAULT_NO_LINK=1 KENSHU_FAULT_RENAME_FAIL_AT=$k
done

# ---- SIGKILL in the middle of the commit (a power cut) ----
# The directory then holds the older report untouched or no report.json
# (verify refuses it); the next
# scan into it, even one that fails before writing anything, puts the
# older report back byte for byte and removes the side names.
for nl in 0 1; do
	for k in $((nl == 1 ? 1 : 3)) $((nl == 1 ? 9 : 4)); do
		N=$((N + 1))
		c=$W/case$N
		mkdir -p "$c/tmp"
		cp -a "$W/older" "$c/out"
		{ env TMPDIR="$c/tmp" LD_PRELOAD="$PRELOAD" KENSHU_FAULT_LOG="$c/log" KENSHU_FAULT_OUTDIR="$c/out" \
			KENSHU_FAULT_NO_LINK=$nl KENSHU_FAULT_KILL_AT_RENAME=$k \
			"$KENSHU" scan -q -j 1 -d "$W/db" --sign-key "$W/k.key" -o "$c/out" "$IMG" >/dev/null 2>&1; } 2>/dev/null
		rc=$?
		mid=none
		[ -e "$c/out/report.json" ] && mid=partial
		diff -r -x '.*' "$W/older" "$c/out" >/dev/null && mid=older
		"$KENSHU" verify --pub "$W/k.key.pub" "$c/out" >/dev/null 2>&1
		vrc=$?
		env TMPDIR="$c/tmp" LD_PRELOAD="$PRELOAD" KENSHU_FAULT_IMAGE="$IMG" KENSHU_FAULT_EIO_AT=512 \
			"$KENSHU" scan -q -j 1 -d "$W/db" -o "$c/out" "$IMG" >/dev/null 2>&1
		rc2=$?
		what="SIGKILL at rename $k of the commit$([ "$nl" = 1 ] && echo ", no hard links")"
		if [ "$rc" = 137 ] && [ "$mid" != partial ] && { [ "$mid" = older ] || [ "$vrc" != 0 ]; } && [ "$rc2" = 2 ] &&
			diff -r "$W/older" "$c/out" >/dev/null && [ "$(sha256sum "$IMG" | cut -d' ' -f1)" = "$SHA" ]; then
			ok "$what: meanwhile $([ "$mid" = older ] && echo "the older report, untouched" || echo "no report.json (verify exit $vrc)"); a failing next scan leaves the older report whole"
		else
			not_ok "$what: exit $rc, meanwhile $mid (verify $vrc), next scan exit $rc2, $(diff -rq "$W/older" "$c/out" 2>&1 | head -3 | tr '\n' ' ')"
		fi
	done
done

# ---- allocation failures ----
if [ "$ASAN" = 1 ]; then
	ok "allocation failures # SKIP the sanitizer runtime owns malloc"
else
	fault "allocation count (no fault)" "$REF_RC" - "$IMG" $IMGV KENSHU_FAULT_MALLOC_FAIL_AT=1000000000
	total=$(sed -n 's/^malloc: \([0-9]*\) allocations counted$/\1/p' "$LAST_CASE/log")
	if [ -z "$total" ] || [ "$total" -lt 1000 ]; then
		not_ok "allocation count: '$total'"
	else
		for n in 1 100 $((total / 4)) $((total * 9 / 10)) $((total - 300)) $((total - 40)); do
			fault "allocations fail from number $n of $total on" "0|1|2|3" old "$IMG" $IMGV KENSHU_FAULT_MALLOC_FAIL_AT=$n
		done
		for n in $((total / 3)) $((total - 300)); do
			fault "allocation number $n of $total fails, once" "0|1|2|3" old "$IMG" $IMGV KENSHU_FAULT_MALLOC_FAIL_AT=$n \
				KENSHU_FAULT_MALLOC_FAILS=1
		done
	fi
fi

# ---- signals at seeded random moments of the scan ----
RANDOM=20261207
# interrupt SIG DELAY_MS OLD: a scan, killed after DELAY_MS. Sets C.
interrupt() {
	local sig=$1 ms=$2 old=$3 rc
	N=$((N + 1))
	C=$W/case$N
	mkdir -p "$C/tmp"
	[ "$old" = old ] && cp -a "$W/older" "$C/out"
	TMPDIR=$C/tmp "$KENSHU" scan -q -j 1 -d "$W/db" --sign-key "$W/k.key" -o "$C/out" "$IMG" >/dev/null 2>"$C/err" &
	local pid=$!
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -s "$sig" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	RC=$?
}
# One moment in each quarter of the reference scan's time, but not before
# 50 ms: a signal that arrives while the dynamic loader is still mapping
# kenshu's libraries meets the kernel's default action (exit 143, nothing
# printed) before any code of kenshu's runs; under libfaketime that start
# takes longer still.
at() {
	local t=$((REF_MS * ($1 - 1) / 4 + RANDOM % (REF_MS / 4 + 1)))
	echo $((t < 50 ? 50 : t))
}
for i in 1 2 3 4; do
	ms=$(at $i)
	old=old
	[ "$i" = 2 ] && old=-
	interrupt TERM "$ms" "$old"
	why=""
	last=$(tail -n 1 "$C/err")
	state=$(report_state "$C/out")
	[[ $RC =~ ^(143|0|1|2|3)$ ]] || why="$why exit $RC;"
	if [ "$RC" = 143 ]; then
		[ "$(wc -l <"$C/err")" = 1 ] && [[ $last == "kenshu: error: '$IMG': interrupted by SIGTERM"* ||
			$last == "kenshu: error: interrupted by SIGTERM"* ]] || why="$why stderr: '$(cat "$C/err")';"
	fi
	[ -z "$(ls -A "$C/tmp")" ] || why="$why left in TMPDIR: $(ls -A "$C/tmp");"
	[ -z "$(find "$C/out" -name '.*' 2>/dev/null)" ] || why="$why left in OUTDIR;"
	[ "$(sha256sum "$IMG" | cut -d' ' -f1)" = "$SHA" ] || why="$why the image changed;"
	case $state in
	broken*) why="$why OUTDIR $state;" ;;
	none) [ "$old" = old ] && why="$why the older report is gone;" ;;
	complete) ;;
	esac
	if [ "$old" = old ] && [ "$state" = complete ] && ! diff -r "$W/older" "$C/out" >/dev/null &&
		! grep -q "its report was written first" "$C/err" && [ "$RC" = 143 ]; then
		why="$why the older report changed, yet kenshu says no report was written;"
	fi
	kept=""
	[ "$old" = old ] && kept=" ($(diff -r "$W/older" "$C/out" >/dev/null && echo older report kept || echo older report replaced))"
	if [ -z "$why" ]; then
		ok "SIGTERM after ${ms} ms: exit $RC, one line, report $state$kept, no temporary files"
	else
		not_ok "SIGTERM after ${ms} ms:$why"
	fi
done
for i in 1 2 3 4; do
	ms=$(at $i)
	interrupt KILL "$ms" old
	why=""
	state=$(report_state "$C/out")
	[[ $RC =~ ^(137|0|1)$ ]] || why="$why exit $RC;"
	[ "$(sha256sum "$IMG" | cut -d' ' -f1)" = "$SHA" ] || why="$why the image changed;"
	case $state in
	complete) diff -r "$W/older" "$C/out" >/dev/null || [ "$RC" != 137 ] ||
		  "$KENSHU" verify --pub "$W/k.key.pub" "$C/out" >/dev/null 2>&1 || why="$why OUTDIR neither older nor whole;" ;;
	*) why="$why OUTDIR $state;" ;;
	esac
	# What SIGKILL leaves: the engine's private directory in TMPDIR, and
	# in OUTDIR hidden .NAME.tmp.PID files. A later scan into the same
	# directory removes those and is not confused by either.
	left_tmp=$(ls -A "$C/tmp" | tr '\n' ' ')
	left_out=$(cd "$C/out" && find . -maxdepth 1 -name '.*.tmp.*' -o -maxdepth 1 -name '.*.old.*' | wc -l)
	for l in $left_tmp; do
		[[ $l == kenshu-clamav-* ]] || why="$why unexpected in TMPDIR: $l;"
	done
	kept=""
	diff -r -x '.*' "$W/older" "$C/out" >/dev/null && kept=" (older report kept)"
	TMPDIR=$C/tmp "$KENSHU" scan -q -j 1 -d "$W/db" --sign-key "$W/k.key" -o "$C/out" "$IMG" >/dev/null 2>&1
	rc2=$?
	[ "$rc2" = "$REF_RC" ] && [ "$(report_state "$C/out")" = complete ] || why="$why the next scan: exit $rc2, $(report_state "$C/out");"
	[ -z "$(find "$C/out" -name '.*')" ] || why="$why the next scan left hidden files in OUTDIR;"
	if [ -z "$why" ]; then
		ok "SIGKILL after ${ms} ms: exit $RC, report $state$kept; left: ${left_tmp:-nothing in TMPDIR}, $left_out in OUTDIR; the next scan is whole"
	else
		not_ok "SIGKILL after ${ms} ms:$why"
	fi
done

check_eval "the image's SHA-256 is the same after every case" '[ "$(sha256sum "$IMG" | cut -d" " -f1)" = "$SHA" ]'
tap_summary

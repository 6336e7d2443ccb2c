#!/bin/bash
# bench/signatures.sh NEW_BUILD OLD_BUILD — what checking every PE's code
# signature costs, on an image of nothing but PE files (the worst case: the
# benchmark image of bench/run.sh holds few).
#
# Builds, in a work directory, a GPT/NTFS image holding BENCH_SIG_FILES
# distinct signed PEs (osslsigncode, the test PKI of tests/tools/mktestpki.sh)
# and as many unsigned ones, half of those listed in a catalog under
# Windows\System32\CatRoot, each file padded to BENCH_SIG_KIB KiB of code so
# that hashing, not process start, dominates. Then scans it alternately with
# NEW_BUILD/kenshu (signatures checked) and OLD_BUILD/kenshu (a build without
# the check, e.g. the commit before it), BENCH_RUNS times each, with the same
# database, and prints the fastest wall time and the CPU time of each and
# their ratio, as a markdown table on stdout.
#
# Environment: BENCH_SIG_FILES (default 1000), BENCH_SIG_KIB (default 256),
# BENCH_RUNS (default 3), BENCH_JOBS (default 2), KEEP=1 keeps the work
# directory, KENSHU_BENCH_DIR (default /var/tmp/kenshu-bench).
# Exit status: 0 done, 1 the new build did not find the expected results,
# 2 could not run.
set -euo pipefail

die() { echo "bench-signatures: error: $*" >&2; exit 2; }
msg() { echo "bench-signatures: $*" >&2; }

[ $# -eq 2 ] || { echo "usage: bench/signatures.sh NEW_BUILD OLD_BUILD" >&2; exit 2; }
ROOT=$(cd "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"
NEW=$(cd "$1" && pwd)/kenshu
OLD=$(cd "$2" && pwd)/kenshu
export KENSHU_TOOLS=$1/tools
FILES=${BENCH_SIG_FILES:-1000}
KIB=${BENCH_SIG_KIB:-256}
RUNS=${BENCH_RUNS:-3}
JOBS=${BENCH_JOBS:-2}
for x in "$NEW" "$OLD" "$KENSHU_TOOLS/mkcat" "$KENSHU_TOOLS/ntfs-populate"; do
	[ -x "$x" ] || die "'$x' not found (make all tests in both builds)"
done
for c in osslsigncode x86_64-w64-mingw32-gcc openssl jq /usr/bin/time; do
	command -v "$c" >/dev/null || die "'$c' not found (make deps)"
done

BENCH_DIR=${KENSHU_BENCH_DIR:-/var/tmp/kenshu-bench}
mkdir -p "$BENCH_DIR"
W=$(mktemp -d "$BENCH_DIR/sig.XXXXXX")
trap '[ "${KEEP:-0}" = 1 ] && echo "bench-signatures: kept $W" >&2 || rm -rf "$W"' EXIT

tests/tools/mktestpki.sh "$W/pki"
# One program, its code section padded to KIB KiB; each copy gets its own
# bytes (a serial in the padding) so no cache makes two files one.
cat >"$W/p.c" <<EOF
static volatile unsigned char pad[$((KIB * 1024))] = { 1 };
int main(void) { return pad[0]; }
EOF
x86_64-w64-mingw32-gcc -O0 -s -o "$W/base.exe" "$W/p.c"
mkdir -p "$W/signed" "$W/unsigned"
msg "making $FILES signed and $FILES unsigned PE files of ~$KIB KiB"
off=$(( $(stat -c %s "$W/base.exe") / 2 ))
members=()
for i in $(seq 1 "$FILES"); do
	u=$W/unsigned/u$i.dll s=$W/signed/s$i.dll
	cp "$W/base.exe" "$u"
	printf '%08x' "$i" | dd of="$u" bs=1 seek=$off conv=notrunc status=none
	cp "$u" "$W/tmp.dll"
	printf 's' | dd of="$W/tmp.dll" bs=1 seek=$((off + 8)) conv=notrunc status=none
	osslsigncode sign -certs "$W/pki/vendor.chain.pem" -key "$W/pki/vendor.key" -h sha256 \
		-in "$W/tmp.dll" -out "$s" >/dev/null
	if [ $((i % 2)) = 0 ]; then
		rm -f "$W/d.der"
		osslsigncode extract-data -h sha256 -in "$u" -out "$W/d.der" >/dev/null
		hex=$(openssl asn1parse -inform DER -in "$W/d.der" | sed -n 's/.*l=  32 prim: OCTET STRING *\[HEX DUMP\]://p' | tail -1)
		members+=("pe:sha256:$hex:u$i.dll")
	fi
done
"$KENSHU_TOOLS/mkcat" -key "$W/pki/windows.key" -cert "$W/pki/windows.pem" -chain "$W/pki/windows.chain.pem" \
	-out "$W/bench.cat" "${members[@]}"
{
	echo "disk $(( (FILES * KIB * 2 * 13 / 10) / 1024 + 96 ))M gpt"
	echo "part rest basic \"Basic data partition\""
	echo "fs 1 ntfs Bench"
	echo "file \"/Windows/System32/CatRoot/{F750E6C3-38EE-11D1-85E5-00C04FC295EE}/bench.cat\" @$W/bench.cat"
	for i in $(seq 1 "$FILES"); do
		echo "file /Windows/System32/bench/u$i.dll @$W/unsigned/u$i.dll"
		echo "file \"/Program Files/Vendor/s$i.dll\" @$W/signed/s$i.dll"
	done
} >"$W/bench.recipe"
msg "building the image"
images/mkimage.sh "$W/bench.recipe" "$W/bench.img"
tests/mkdb.sh "$W/db" >/dev/null

scan() { # TAG KENSHU RUN
	cat "$W/bench.img" >/dev/null
	/usr/bin/time -f '%e %U %S' -o "$W/$1.$3.time" "$2" scan -q -j "$JOBS" -d "$W/db" \
		--trust-anchors "$W/pki/anchors.pem" -o "$W/out-$1.$3" "$W/bench.img" >/dev/null 2>&1 || true
}
# The old build has no --trust-anchors: it runs without it.
scan_old() {
	cat "$W/bench.img" >/dev/null
	/usr/bin/time -f '%e %U %S' -o "$W/old.$1.time" "$OLD" scan -q -j "$JOBS" -d "$W/db" \
		-o "$W/out-old.$1" "$W/bench.img" >/dev/null 2>&1 || true
}
for r in $(seq 1 "$RUNS"); do
	msg "run $r of $RUNS"
	scan_old "$r"
	scan new "$NEW" "$r"
done
# The new build must have judged what the image holds.
j=$W/out-new.1/report.json
valid=$(jq '.signatures.pe_files.valid' "$j")
unsigned=$(jq '.signatures.pe_files.unsigned' "$j")
[ "$valid" = $((FILES + FILES / 2)) ] && [ "$unsigned" = $((FILES - FILES / 2)) ] ||
	{ echo "bench-signatures: expected $((FILES + FILES / 2)) valid and $((FILES - FILES / 2)) unsigned, got $valid and $unsigned" >&2; exit 1; }
best() { # TAG -> "wall cpu" of the fastest run
	for r in $(seq 1 "$RUNS"); do awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$W/$1.$r.time"; done | sort -n | head -1
}
read -r ow oc <<<"$(best old)"
read -r nw nc <<<"$(best new)"
bytes=$(du -sb "$W/signed" "$W/unsigned" | awk '{ s += $1 } END { print s }')
echo "| build | PE files | MiB of PE | wall s (fastest of $RUNS) | CPU s | wall vs old | CPU vs old |"
echo "|---|---|---|---|---|---|---|"
printf '| old (no signature check) | %d | %d | %s | %s | 1.00 | 1.00 |\n' $((2 * FILES)) $((bytes >> 20)) "$ow" "$oc"
printf '| new (every PE judged) | %d | %d | %s | %s | %.2f | %.2f |\n' $((2 * FILES)) $((bytes >> 20)) "$nw" "$nc" \
	"$(echo "$nw / $ow" | bc -l)" "$(echo "$nc / $oc" | bc -l)"

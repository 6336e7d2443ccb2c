#!/bin/bash
# test-bundles.sh BUILD — what the golden bundle cases cannot show: a
# hostile zip writes nothing outside kenshu's private directory, no
# temporary directory outlives a scan (also when one is interrupted), and
# the caps on bytes and members stop the reading and say so, and a disk
# image inside a bundle gets the report options an image given directly
# gets (--all-autoruns).
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-bundles.XXXXXX")
trap 'rm -rf "$W"' EXIT
export KENSHU_TOOLS=$BUILD/tools
ROOT=$(pwd)
. "$(dirname -- "$0")/tap.sh"

tests/mkdb.sh "$W/db" >/dev/null
images/mkimage.sh images/vendor-infected.recipe "$W/disk.img" >/dev/null || { not_ok "build vendor-infected"; exit 1; }
mkdir -p "$W/enc" "$W/tmp" "$W/a/b"
printf 'secret\n' >"$W/enc/secret.txt"
(cd "$W/enc" && bsdtar --format zip --options zip:encryption=traditional --passphrase kenshu \
	-cf "$W/encrypted.zip" secret.txt)
python3 tests/tools/mkhostile-zip.py "$W/hostile.zip" "$W/encrypted.zip"

# The hostile zip, scanned from a directory two levels down so that its
# "../../" names would land in $W if anything were extracted by name.
touch "$W/marker"
sleep 1
(cd "$W/a/b" && TMPDIR=$W/tmp "$KENSHU" scan -q -d "$W/db" -o "$W/out" "$W/hostile.zip" 2>"$W/err")
rc=$?
check_eval "hostile zip: exit 3 (REVIEW)" '[ $rc = 3 ]'
check_eval "hostile zip: nothing on stderr" '[ ! -s "$W/err" ]'
written=$(find "$W" -newer "$W/marker" -type f ! -path "$W/out/*" ! -path "$W/err" | sort)
check_eval "hostile zip: no file written outside the report directory" '[ -z "$written" ]'
[ -z "$written" ] || echo "#   written: $written"
check_eval "hostile zip: nothing at the traversal targets" \
	'[ ! -e "$W/etc/evil.txt" ] && [ ! -e "$W/a/x" ] && [ ! -e "$W/tmp/x" ] && [ ! -e "$W/x" ]'
check_eval "hostile zip: the report directory holds only the report" \
	'[ "$(ls -A "$W/out" | tr "\n" " ")" = "bundle.json bundle.txt " ]'
check_eval "hostile zip: no temporary directory left" '[ -z "$(ls -A "$W/tmp")" ]'
reason() { jq -r --arg p "$1" '.members[] | select(.path == $p) | .kind + ": " + (.reason // "")' "$W/out/bundle.json"; }
check_eval "'../../etc/evil.txt' not scanned, '..' named" 'reason ../../etc/evil.txt | grep -q "^skipped: .\.\.. in the path"'
check_eval "'dir/../../x' not scanned, '..' named" 'reason dir/../../x | grep -q "^skipped: .\.\.. in the path"'
check_eval "'/abs/path.txt' not scanned: absolute" 'reason /abs/path.txt | grep -q "^skipped: absolute path"'
check_eval "symbolic link listed, never followed" 'reason link-to-passwd | grep -q "^skipped: symbolic link to ./etc/passwd.: never followed"'
check_eval "bomb stopped by the ratio check" 'reason bomb.bin | grep -q "^skipped: compression ratio over 1000:1"'
check_eval "flagged member not scanned: encrypted" 'reason secret.txt | grep -q "^skipped: encrypted"'
check_eval "really encrypted member inside a nested zip: encrypted" \
	'reason encrypted.zip/secret.txt | grep -q "^skipped: encrypted"'
check_eval "the harmless member is scanned" 'reason ok.txt | grep -qx "file: "'
check_eval "bytes extracted stay small (the bomb was not inflated)" \
	'[ "$(jq .counters.bytes_extracted "$W/out/bundle.json")" -lt $((16 << 20)) ]'

# Caps from the environment: the rest of the bundle is not read, and the
# verdict says so.
mkdir -p "$W/z"
ln -f "$W/disk.img" "$W/z/disk.img"
printf 'one\n' >"$W/z/one.txt"
printf 'two\n' >"$W/z/two.txt"
(cd "$W/z" && bsdtar --format zip -cf "$W/three.zip" one.txt two.txt disk.img)
KENSHU_BUNDLE_MAX_ENTRIES=2 TMPDIR=$W/tmp "$KENSHU" scan -q -d "$W/db" -o "$W/out-n" "$W/three.zip" 2>"$W/err"
rc=$?
check_eval "entry cap: exit 3, 2 members, the bundle marked incomplete" \
	'[ $rc = 3 ] && [ "$(jq ".members | length" "$W/out-n/bundle.json")" = 2 ] &&
	 jq -r .bundle.incomplete_reason "$W/out-n/bundle.json" | grep -q "^more than 2 members"'
KENSHU_BUNDLE_MAX_BYTES=$((1 << 20)) TMPDIR=$W/tmp "$KENSHU" scan -q -d "$W/db" -o "$W/out-b" "$W/three.zip" 2>"$W/err"
rc=$?
check_eval "byte cap: exit 3, the image not scanned, the bundle marked incomplete" \
	'[ $rc = 3 ] && jq -r ".members[] | select(.path == \"disk.img\") | .reason" "$W/out-b/bundle.json" | grep -q "cap on bytes" &&
	 [ "$(jq .bundle.complete "$W/out-b/bundle.json")" = false ]'
KENSHU_BUNDLE_MAX_DEPTH=0 "$KENSHU" scan -q -d "$W/db" -o "$W/out-e" "$W/three.zip" 2>"$W/err"
rc=$?
check_eval "bad cap value: exit 2 and one line naming the variable" \
	'[ $rc = 2 ] && [ "$(wc -l <"$W/err")" = 1 ] && grep -q KENSHU_BUNDLE_MAX_DEPTH "$W/err"'
check_eval "no temporary directory left after the capped scans" '[ -z "$(ls -A "$W/tmp")" ]'

# Interrupted while an image member is spilled or scanned: the private
# directory goes, no bundle report is written. A sparse 6 GiB image in a
# sparse tar keeps kenshu busy hashing long enough to be interrupted.
truncate -s 6G "$W/z/disk.img"
(cd "$W/z" && tar --sparse -cf "$W/big.tar" disk.img)
for sig in TERM INT; do
	TMPDIR=$W/tmp "$KENSHU" scan -q -d "$W/db" -o "$W/out-$sig" "$W/big.tar" 2>"$W/err" &
	pid=$!
	for _ in $(seq 1 400); do
		compgen -G "$W/tmp/kenshu-bundle-*/m*" >/dev/null && break
		sleep 0.05
	done
	spilled=$(compgen -G "$W/tmp/kenshu-bundle-*/m*" || true)
	kill -s "$sig" "$pid"
	wait "$pid"
	rc=$?
	left=$(ls -A "$W/tmp")
	check_eval "SIG$sig mid-bundle: exit $rc, spill file existed, nothing left in TMPDIR, no bundle.json" \
		'[ "$rc" -gt 128 ] && [ -n "$spilled" ] && [ -z "$left" ] && [ ! -e "$W/out-$sig/bundle.json" ]'
	[ -z "$left" ] || echo "#   left: '$left'"
done

cd "$ROOT" || exit 1

# A CERT's hash signature of a delivered archive matches the bundle file
# itself, which no member shows: it must still FAIL the bundle.
mkdir -p "$W/iocdb" "$W/clean"
cp "$W"/db/* "$W/iocdb/"
printf 'Operating manual\n' >"$W/clean/manual.txt"
(cd "$W/clean" && bsdtar --format zip -cf "$W/known-bad.zip" manual.txt)
printf '%s:%s:Kenshu.Test.KnownBadDelivery\n' "$(sha256sum "$W/known-bad.zip" | cut -d' ' -f1)" \
	"$(stat -c %s "$W/known-bad.zip")" >"$W/iocdb/delivery.hsb"
"$KENSHU" scan -q -d "$W/iocdb" -o "$W/out-ioc" "$W/known-bad.zip" 2>"$W/err-ioc"
rc=$?
check_eval "hash signature of the bundle itself: exit 1 (FAIL)" '[ $rc = 1 ]'
check_eval "hash signature of the bundle itself: listed as the bundle file itself" \
	'jq -e ".members[] | select(.path == \"(the bundle file itself)\") | .detections | index(\"Kenshu.Test.KnownBadDelivery.UNOFFICIAL\")" "$W/out-ioc/bundle.json" >/dev/null'

# --all-autoruns reaches a disk image inside a bundle: its report.txt lists
# Windows' own autostart entries exactly as a scan of the image itself
# does (it once did not: a member's report was saved by another path than
# an image given directly, which dropped the option). Without the option
# both only count them. Windows' own means signed by Windows: the image is
# vendor-signed, judged with the test PKI's anchors.
mkdir -p "$W/wes7"
tests/tools/mktestpki.sh "$W/pki" || not_ok "build the test PKI"
KENSHU_TEST_PKI=$W/pki images/mkimage.sh images/vendor-signed.recipe "$W/wes7/wes7.img" >/dev/null ||
	not_ok "build vendor-signed"
(cd "$W/wes7" && bsdtar --format 7zip -cf "$W/wes7.7z" wes7.img)
autoruns() { sed -n '/^Autostart entries/,/^$/p' "$1"; }
for opt in --all-autoruns ""; do
	name=${opt:-without --all-autoruns}
	"$KENSHU" scan -q -j 2 $opt -d "$W/db" --trust-anchors "$W/pki/anchors.pem" -o "$W/out-ar$opt" "$W/wes7.7z" 2>"$W/err-ar"
	rc=$?
	"$KENSHU" scan -q -j 2 $opt -d "$W/db" --trust-anchors "$W/pki/anchors.pem" -o "$W/out-ar-img$opt" \
		"$W/wes7/wes7.img" 2>>"$W/err-ar"
	rc_img=$?
	member=$W/out-ar$opt/wes7.img/report.txt
	own=$(autoruns "$W/out-ar-img$opt/report.txt")
	check_eval "$name: the bundle and the image alone both REVIEW (3), nothing on stderr, entries listed" \
		'[ $rc = 3 ] && [ $rc_img = 3 ] && [ ! -s "$W/err-ar" ] && [ -n "$own" ]'
	same "$name: the member's autostart entries are the image's own report's" "$own" "$(autoruns "$member")"
	if [ -n "$opt" ]; then
		check_eval "--all-autoruns: the member's report.txt lists Windows' own entries (LanmanServer, Tcpip)" \
			'grep -q "LanmanServer = " "$member" && grep -q "Tcpip = " "$member" &&
			! grep -q "here with --all-autoruns" "$member"'
	else
		check_eval "without --all-autoruns: the member's report.txt only counts Windows' own entries" \
			'! grep -q "LanmanServer = " "$member" && grep -q "3 more start programs in /Windows, signed by Microsoft Windows" "$member"'
	fi
done

tap_summary

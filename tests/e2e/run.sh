#!/bin/bash
# run.sh BUILD — end-to-end cases: build the fixture images, run kenshu on
# each case in tests/e2e/cases/*/ and compare exit code, stderr and the
# whole reports with golden files.
#
# A case directory holds:
#   cmd             kenshu's arguments, one line; @FX@ = fixture dir,
#                   @OUT@ = a fresh output dir for the case, @CASE@ = the
#                   case's own directory (profiles and feeds it holds)
#   rc              expected exit code
#   env             (optional) VAR=value lines set for kenshu
#   hashes-vary     (optional) the case's images hold files signed at test
#                   time (new keys each build): SHA-256 and SHA-1 hex strings
#                   are compared as @SHA256@ / @SHA1@
#   stderr          (optional) expected stderr, exactly (else it must be empty)
#   stdout          (optional) expected stdout, normalised like report.txt
#   report.json, report.txt, manifest.jsonl, bundle.json, bundle.txt
#                   (optional) golden copies of OUT/<file>, normalised
#   sub/<dir>/...   (optional) the same for OUT/<dir>/ in batch scans
#   absent          (optional) paths under OUT that must not exist
#   requires        (optional) commands the case needs (qemu-system-x86_64 for
#                   libguestfs); a missing one skips the case, visibly
# KENSHU_UPDATE_GOLDEN=1 rewrites the golden files from the actual output.
set -uo pipefail
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
KENSHU=$(cd "$BUILD" && pwd)/kenshu
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FX=$WORK/fx
# Rules judge by the scan date (waiver expiry, end of support, signature
# age): golden reports pin it; a case's env file may override it.
export KENSHU_SCAN_DATE=2026-11-27
pass=0
fail=0

if ! "$HERE/fixtures.sh" "$BUILD" "$FX" >"$WORK/fixtures.log" 2>&1; then
	cat "$WORK/fixtures.log"
	echo "e2e: could not build fixtures"
	echo "0 passed, 1 failed"
	exit 1
fi

CASE=/nonexistent
normalise() { # FILE -> stdout, with run-specific paths replaced
	if [ -f "$CASE/hashes-vary" ]; then
		# Files signed at test time: the test PKI's keys are new each
		# build, so the signed files' hashes (and thumbprints) are too.
		sed -E -e "s|$FX|@FX@|g" -e "s|$WORK/out|@OUT@|g" -e "s|$CASE|@CASE@|g" \
			-e 's/\b[0-9a-f]{64}\b/@SHA256@/g' -e 's/\b[0-9a-f]{40}\b/@SHA1@/g' "$1"
		return
	fi
	sed -e "s|$FX|@FX@|g" -e "s|$WORK/out|@OUT@|g" -e "s|$CASE|@CASE@|g" "$1"
}

normalise_txt() {
	normalise "$1" | sed -E \
		-e 's/^(SHA-256: +)[0-9a-f]{64}$/\1@SHA256@/' \
		-e 's/^(Started|Finished):( +).*/\1:\2@TIME@/' \
		-e 's/^(Host):( +).*/\1:\2@HOST@/' \
		-e 's/ in [0-9.]+ s \(/ in @SECONDS@ s (/' \
		-e 's/^(Engine: +libclamav )[^,]+,/\1@CLAMAV@,/'
}

compare() { # CASE NAME GOLDEN ACTUAL_NORMALISED
	if [ "${KENSHU_UPDATE_GOLDEN:-}" = 1 ]; then
		mkdir -p "$(dirname "$3")"
		cp "$4" "$3"
		return 0
	fi
	if ! diff -u "$3" "$4" >"$WORK/diff" 2>&1; then
		echo "# $1: $2 differs from golden:"
		sed 's/^/#   /' "$WORK/diff" | head -60
		return 1
	fi
	return 0
}

check_reports() { # CASE GOLDENDIR OUTDIR
	local ok=0 g a
	for f in report.json report.txt manifest.jsonl bundle.json bundle.txt; do
		g=$2/$f
		[ -f "$g" ] || continue
		a=$3/$f
		if [ ! -f "$a" ]; then
			echo "# $1: $a was not written"
			ok=1
			continue
		fi
		case $f in
		report.json) normalise "$a" | jq -f "$HERE/normalize.jq" >"$WORK/actual" ;;
		report.txt) normalise_txt "$a" >"$WORK/actual" ;;
		bundle.json) normalise "$a" | jq -f "$HERE/normalize-bundle.jq" >"$WORK/actual" ;;
		# A nested bundle holding an image differs in size and hash per build.
		bundle.txt) normalise_txt "$a" | sed -E -e 's/\(sha256 [0-9a-f]{64}, [0-9]+ bytes\)/(sha256 @SHA256@, @SIZE@ bytes)/' \
			-e 's/^(  bundle  [A-Z]+ +)[0-9]+ /\1@SIZE@ /' >"$WORK/actual" ;;
		*) normalise "$a" >"$WORK/actual" ;;
		esac
		compare "$1" "$f" "$g" "$WORK/actual" || ok=1
	done
	return $ok
}

# KENSHU_E2E_CASES: a glob of case names to run (default: all).
for dir in "$HERE"/cases/${KENSHU_E2E_CASES:-*}/; do
	name=$(basename "$dir")
	out=$WORK/out/$name
	ok=0
	missing=""
	if [ -f "$dir/requires" ]; then
		while read -r need; do
			[ -n "$need" ] && ! command -v "$need" >/dev/null && missing="$missing $need"
		done <"$dir/requires"
	fi
	if [ -n "$missing" ]; then
		echo "ok - e2e $name # SKIP needs$missing (not installed here)"
		pass=$((pass + 1))
		continue
	fi
	CASE=${dir%/}
	read -r args <"$dir/cmd"
	args=${args//@CASE@/$CASE}
	args=${args//@FX@/$FX}
	args=${args//@OUT@/$out}
	# Hash every image the case names, to prove kenshu never wrote to it.
	imgs=$(printf '%s\n' $args | grep -E "^$FX/.*\.(img|vmdk|zip|7z|xz|gz|iso|cab)$" || true)
	before=$(for i in $imgs; do [ -f "$i" ] && sha256sum "$i"; done)
	envs=()
	[ -f "$dir/env" ] && mapfile -t envs <"$dir/env"
	# shellcheck disable=SC2086
	env "${envs[@]}" "$KENSHU" $args >"$WORK/stdout" 2>"$WORK/stderr"
	rc=$?
	after=$(for i in $imgs; do [ -f "$i" ] && sha256sum "$i"; done)
	want=$(cat "$dir/rc")
	if [ "$rc" != "$want" ]; then
		echo "# $name: exit code $rc, expected $want"
		sed 's/^/#   stderr: /' "$WORK/stderr" | head -10
		ok=1
	fi
	if [ "$before" != "$after" ]; then
		echo "# $name: an input image changed during the scan"
		ok=1
	fi
	if [ -f "$dir/stderr" ]; then
		normalise "$WORK/stderr" >"$WORK/stderr.n"
		compare "$name" stderr "$dir/stderr" "$WORK/stderr.n" || ok=1
	elif [ -s "$WORK/stderr" ]; then
		echo "# $name: unexpected stderr:"
		sed 's/^/#   /' "$WORK/stderr" | head -10
		ok=1
	fi
	if [ -f "$dir/stdout" ]; then
		normalise_txt "$WORK/stdout" >"$WORK/stdout.n"
		compare "$name" stdout "$dir/stdout" "$WORK/stdout.n" || ok=1
	fi
	check_reports "$name" "$dir" "$out" || ok=1
	if [ -d "$dir/sub" ]; then
		for s in "$dir"/sub/*/; do
			check_reports "$name/$(basename "$s")" "$s" "$out/$(basename "$s")" || ok=1
		done
	fi
	if [ -f "$dir/absent" ]; then
		while read -r p; do
			[ -z "$p" ] && continue
			if [ -e "$out/$p" ]; then
				echo "# $name: $p exists but must not"
				ok=1
			fi
		done <"$dir/absent"
	fi
	if [ $ok = 0 ]; then
		echo "ok - e2e $name"
		pass=$((pass + 1))
	else
		echo "not ok - e2e $name"
		fail=$((fail + 1))
	fi
done
echo "e2e: $pass passed, $fail failed"
[ $fail = 0 ]

#!/bin/bash
# mkdb.sh OUTDIR - write a tiny ClamAV signature database for the fixtures.
#
#   OUTDIR/kenshu-test.hsb  Kenshu.Test.ClamExe: SHA-256 hash of clam.exe
#   OUTDIR/kenshu-test.ndb  Kenshu.Test.EICAR:   body signature of EICAR
#
# Both are derived at run time: the hash from the installed clamav-testfiles
# and the EICAR bytes from ntfs-populate's decoder, so that the signature
# text never sits in the repository where scanners would flag the tree.
#
# Environment:
#   KENSHU_TOOLS     directory holding ntfs-populate (default build/tools)
#   CLAM_TESTFILES   clamav-testfiles directory (default /usr/share/clamav-testfiles)
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
OUTDIR=$1
TOOLS=${KENSHU_TOOLS:-build/tools}
TESTFILES=${CLAM_TESTFILES:-/usr/share/clamav-testfiles}
CLAM_EXE=$TESTFILES/clam.exe

die() {
	echo "mkdb: $*" >&2
	exit 1
}

[[ -r $CLAM_EXE ]] || die "'$CLAM_EXE' not found (install clamav-testfiles)"
[[ -x $TOOLS/ntfs-populate ]] || die "'$TOOLS/ntfs-populate' not found: run 'make $TOOLS/ntfs-populate' or set KENSHU_TOOLS"

mkdir -p -- "$OUTDIR"

sha=$(sha256sum -- "$CLAM_EXE" | cut -d' ' -f1)
size=$(stat -c %s -- "$CLAM_EXE")
eicar_hex=$("$TOOLS/ntfs-populate" --cat eicar | od -An -v -tx1 | tr -d ' \n')
[[ ${#eicar_hex} -eq 136 ]] || die "EICAR decoder produced ${#eicar_hex} hex digits, expected 136"

# Write both files under temporary names first: a half-written database would
# make clamscan fail in confusing ways.
printf '%s:%s:Kenshu.Test.ClamExe\n' "$sha" "$size" >"$OUTDIR/kenshu-test.hsb.tmp"
printf 'Kenshu.Test.EICAR:0:*:%s\n' "$eicar_hex" >"$OUTDIR/kenshu-test.ndb.tmp"
mv -f -- "$OUTDIR/kenshu-test.hsb.tmp" "$OUTDIR/kenshu-test.hsb"
mv -f -- "$OUTDIR/kenshu-test.ndb.tmp" "$OUTDIR/kenshu-test.ndb"

#!/bin/bash
# mkpe.sh OUT COMPANY PRODUCT VERSION [dll|exe|sys]
#
# Builds a tiny x86-64 PE with a VERSIONINFO resource, compiled by the real
# mingw-w64 toolchain so the pe parser is checked against what a linker and
# a resource compiler write, not only against the test's own builder.
#
#   VERSION (e.g. 6.1.7601.23689) goes into FILEVERSION, PRODUCTVERSION and
#   the FileVersion/ProductVersion strings. The 040904B0 string table also
#   holds CompanyName, ProductName, OriginalFilename (basename of OUT),
#   InternalName (that name without its extension) and the Japanese
#   FileDescription "制御サービス", to check non-ASCII text end to end.
#   exe: console program; dll: IMAGE_FILE_DLL; sys: native-subsystem driver
#   (not a DLL, FILETYPE VFT_DRV), like srv.sys.
#
# Exits 2 with one line on stderr when the toolchain is missing.
set -euo pipefail

usage() {
	echo "usage: mkpe.sh OUT COMPANY PRODUCT VERSION [dll|exe|sys]" >&2
	exit 64
}

[ $# -ge 4 ] && [ $# -le 5 ] || usage
out=$1 company=$2 product=$3 version=$4 kind=${5:-exe}
cc=x86_64-w64-mingw32-gcc
windres=x86_64-w64-mingw32-windres

IFS=. read -r v1 v2 v3 v4 extra <<<"$version."
for v in "$v1" "$v2" "$v3" "$v4"; do
	[[ $v =~ ^[0-9]{1,5}$ ]] && [ "$v" -le 65535 ] || {
		echo "mkpe.sh: version '$version' is not four numbers 0-65535 separated by dots" >&2
		exit 64
	}
done
[ -z "$extra" ] || usage

for tool in "$cc" "$windres"; do
	command -v "$tool" >/dev/null || {
		echo "mkpe.sh: $tool not found: install gcc-mingw-w64-x86-64 and binutils-mingw-w64-x86-64 (tests/install-deps.sh)" >&2
		exit 2
	}
done

# An .rc string literal: quotes doubled, backslashes escaped. Control
# characters would need escapes windres and rc.exe read differently.
rcstr() {
	if [[ $1 == *[[:cntrl:]]* ]]; then
		echo "mkpe.sh: control characters are not supported in '$1'" >&2
		exit 64
	fi
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\"\"}"
}

name=$(basename "$out")
case $kind in
exe) filetype=0x1 subtype=0x0 ;;
dll) filetype=0x2 subtype=0x0 ;;
sys) filetype=0x3 subtype=0x7 ;; # VFT_DRV, VFT2_DRV_SYSTEM
*) usage ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# windres reads the .rc as UTF-8 only with this pragma; without it the
# Japanese text would be taken as Windows-1252 bytes.
cat >"$tmp/v.rc" <<EOF
#pragma code_page(65001)
1 VERSIONINFO
FILEVERSION $v1,$v2,$v3,$v4
PRODUCTVERSION $v1,$v2,$v3,$v4
FILEFLAGSMASK 0x3f
FILEFLAGS 0x0
FILEOS 0x40004
FILETYPE $filetype
FILESUBTYPE $subtype
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "CompanyName", $(rcstr "$company")
      VALUE "FileDescription", "制御サービス"
      VALUE "FileVersion", $(rcstr "$version")
      VALUE "InternalName", $(rcstr "${name%.*}")
      VALUE "OriginalFilename", $(rcstr "$name")
      VALUE "ProductName", $(rcstr "$product")
      VALUE "ProductVersion", $(rcstr "$version")
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
EOF

# No C runtime: the image stays a few KiB and needs no import libraries.
case $kind in
exe)
	echo 'int entry(void) { return 0; }' >"$tmp/m.c"
	flags=(-Wl,--entry=entry)
	;;
dll)
	echo 'int DllMain(void *h, unsigned long why, void *r) { return 1; }' >"$tmp/m.c"
	flags=(-shared -Wl,--entry=DllMain)
	;;
sys)
	echo 'long DriverEntry(void *drv, void *path) { return 0; }' >"$tmp/m.c"
	flags=(-Wl,--subsystem,native -Wl,--entry=DriverEntry)
	;;
esac

"$windres" -i "$tmp/v.rc" -o "$tmp/v.o"
# No link timestamp: the same arguments give the same bytes (golden manifests).
"$cc" -nostdlib -s -Wl,--no-insert-timestamp -Wl,--disable-auto-image-base "${flags[@]}" -o "$tmp/out.pe" "$tmp/m.c" "$tmp/v.o"
mv "$tmp/out.pe" "$out"

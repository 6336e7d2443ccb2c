#!/bin/bash
# authenticode.sh DIR [ANCHORS.pem] — a developer check, not part of make
# check: judges the real signed files of signify's test suite (DIR holds
# them, byte for byte; the project never ships them) with
# BUILD/tools/trust-verify and compares each with the result that suite
# expects. ANCHORS: an anchor file in the shipped format (default: the
# anchors built into kenshu). BUILD defaults to build; KENSHU_SCAN_TIME (unix
# seconds) sets the scan date. Prints the table, then "N passed, N failed".
set -uo pipefail
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: authenticode.sh DIR [ANCHORS.pem]" >&2; exit 64; }
dir=$1
tool=${BUILD:-build}/tools/trust-verify
[ -x "$tool" ] || { echo "authenticode.sh: $tool not built (make BUILD=${BUILD:-build} $tool)" >&2; exit 2; }
args=()
[ $# -eq 2 ] && args+=(-a "$2")
[ -n "${KENSHU_SCAN_TIME:-}" ] && args+=(-t "$KENSHU_SCAN_TIME")
pass=0 fail=0

# check LABEL EXPECT[/SIGNATURES] [trust-verify options] FILE
check() {
	local label=$1 want=$2 line status sigs
	shift 2
	line=$("$tool" "${args[@]}" "$@") || { echo "not ok - $label: trust-verify failed"; fail=$((fail + 1)); return; }
	status=$(cut -f2 <<<"$line")
	sigs=$(cut -f4 <<<"$line")
	printf '%-34s %s\n' "$label" "$(cut -f2- <<<"$line" | tr '\t' '|')"
	case $want in
	*/*) [ "$status/$sigs" = "$want" ] ;;
	!*) [ "$status" != "${want#!}" ] ;;
	*) [ "$status" = "$want" ] ;;
	esac && { echo "ok - $label: $want"; pass=$((pass + 1)); } ||
		{ echo "not ok - $label: expected $want"; fail=$((fail + 1)); }
}

check sigcheck.exe valid/2 "$dir/sigcheck.exe"
check whois.exe valid "$dir/whois.exe"
check pciide.sys valid "$dir/pciide.sys"
# offset 1024: inside the first section
check "pciide.sys, a byte flipped" invalid -o 1024 "$dir/pciide.sys"
check DXCore.dll valid "$dir/DXCore.dll"
check SoftwareUpdate.exe valid "$dir/SoftwareUpdate.exe"
check 7z1900-x64_signed.exe invalid "$dir/7z1900-x64_signed.exe"
check simple not-checked "$dir/simple"
check "oem89.cat (signature)" valid -s "$dir/oem89.cat"
# offset 200: inside the certificate trust list the signature covers
check "oem89.cat, a byte flipped" invalid -s -o 200 "$dir/oem89.cat"
check "catfiletest.cat (signature)" '!valid' -s "$dir/catfiletest.cat"
check "115fe...cat (signature)" valid -s "$dir/115fe8649854ad531fb7ecd1318fbee6b33c9cbd78f02ed582092a96d5eb5899.cat"
# Catalog members: DXCore.dll with its own signature stripped is vouched
# for by the 115fe... catalog alone; the .inf by oem89.cat's flat digest.
cat115=$dir/115fe8649854ad531fb7ecd1318fbee6b33c9cbd78f02ed582092a96d5eb5899.cat
check "DXCore.dll, stripped, + catalog" valid -S -C "$cat115" "$dir/DXCore.dll"
check "DXCore.dll, stripped, no catalog" unsigned -S "$dir/DXCore.dll"
check "amdacpbtscoext.inf + oem89.cat" valid -C "$dir/oem89.cat" "$dir/amdacpbtscoext.inf"
check "amdacpbtscoext.inf, no catalog" not-checked "$dir/amdacpbtscoext.inf"
check "inf, a byte flipped + oem89.cat" not-checked -o 100 -C "$dir/oem89.cat" "$dir/amdacpbtscoext.inf"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

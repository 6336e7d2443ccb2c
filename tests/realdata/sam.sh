#!/bin/bash
# sam.sh SAM [SYSTEM] — a developer check, not part of make check: prints
# the local accounts kenshu's SAM parser reads from a real hive (and, with
# the machine's SYSTEM hive, whether each password is empty, set or
# absent; never a hash). Hives may be .xz. BUILD defaults to build; needs
# BUILD/libkenshu.a (make BUILD=... BUILD/libkenshu.a).
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: sam.sh SAM [SYSTEM]" >&2; exit 64; }
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-build}
[ -f "$build/libkenshu.a" ] || { echo "sam.sh: $build/libkenshu.a not built" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pkgs="libclamav libntfs-3g json-c libcrypto hivex libxml-2.0 libnbd wimlib libguestfs libarchive inih"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -I"$here/../../include" -o "$tmp/sam-dump" "$here/sam-dump.c" "$build/libkenshu.a" \
	$(pkg-config --libs $pkgs) -lpthread -lm
hive() { case $1 in *.xz) xz -dc "$1" >"$tmp/$2"; echo "$tmp/$2" ;; *) echo "$1" ;; esac; }
args=("$(hive "$1" sam)")
[ $# -eq 2 ] && args+=("$(hive "$2" system)")
"$tmp/sam-dump" "${args[@]}"

#!/bin/bash
# evtx.sh DIR — a developer check, not part of make check: runs kenshu's
# event-log parser over the real Windows logs in DIR (the attack samples
# described in DIR/README.md) and checks that each gives what it is known
# to hold. Logs not in DIR are skipped. BUILD defaults to build; needs
# BUILD/libkenshu.a (make BUILD=... BUILD/libkenshu.a).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: evtx.sh DIR" >&2; exit 64; }
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-build}
[ -f "$build/libkenshu.a" ] || { echo "evtx.sh: $build/libkenshu.a not built" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pkgs="libclamav libntfs-3g json-c libcrypto hivex libxml-2.0 libnbd wimlib libguestfs libarchive inih yara libevtx libevt libbfio"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -I"$here/../../include" -o "$tmp/evtx-dump" "$here/evtx-dump.c" "$build/libkenshu.a" \
	$(pkg-config --libs $pkgs) -lpthread -lm
fail=0
check() { # FILE EXPECT...
	local f=$1/$2
	shift 2
	[ -f "$f" ] || { echo "skip: $f not there"; return 0; }
	"$tmp/evtx-dump" "$f" "$@" || fail=1
}
check "$1" DE_104_system_log_cleared.evtx 104:SubjectUserName
check "$1" DE_1102_security_log_cleared.evtx 1102:SubjectUserName
check "$1" LM_Remote_Service02_7045.evtx 7045:ServiceName 7045:ImagePath
check "$1" WinDefender_Events_1117_1116_AtomicRedTeam.evtx "1116:Threat Name" "1117:Threat Name" "1117:Action Name"
check "$1" Network_Service_Guest_added_to_admins_4732.evtx 4732:TargetSid=S-1-5-32-544 4732:MemberSid
exit $fail

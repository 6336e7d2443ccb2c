#!/bin/bash
# test-evidence.sh BUILD — what the evidence stage hands back to the scan is
# scanned like a file: a PowerShell script block (event 4104, split in two
# parts) holding EICAR is a detection under the log's path, a YARA rule and
# an IOC string match its text, and a quarantined payload is matched by YARA
# too. Fixtures are made here: the EICAR bytes come from ntfs-populate's
# decoder, never from the tree.
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
TOP=$(pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-evidence.XXXXXX")
trap '[ -n "${KEEP-}" ] || rm -rf "$W"' EXIT
export KENSHU_TOOLS=$BUILD/tools
export KENSHU_SCAN_DATE=2026-11-27
. "$(dirname -- "$0")/tap.sh"

tests/mkdb.sh "$W/db" >/dev/null
eicar=$("$KENSHU_TOOLS/ntfs-populate" --cat eicar)
half=$((${#eicar} / 2))
LOG='/Windows/System32/winevt/Logs/Microsoft-Windows-PowerShell%4Operational.evtx'
{
	echo "channel Microsoft-Windows-PowerShell/Operational"
	for part in 1 2; do
		echo "event 4104 provider=Microsoft-Windows-PowerShell time=2026-01-02T06:0$part:00Z computer=VENDOR-PC user=S-1-5-18 record=$((40 + part))"
		echo "data MessageNumber=$part"
		echo "data MessageTotal=2"
		if ((part == 1)); then
			echo "data ScriptBlockText=${eicar:0:half}"
		else
			echo "data ScriptBlockText=${eicar:half}  # Invoke-KenshuMarker; beacon to bad-c2.example.invalid"
		fi
		echo "data ScriptBlockId=7f1c2a3e-0000-4000-8000-0000000000aa"
		echo "data Path=C:\\Users\\Public\\x.ps1"
	done
} >"$W/ps.txt"
cat >"$W/disk.recipe" <<REC
disk 64M gpt
part rest basic "OS"
fs 1 ntfs OSDISK
hive /Windows/System32/config/SYSTEM $TOP/images/hives/identity-system.reg
hive /Windows/System32/config/SOFTWARE $TOP/images/hives/identity-software.reg
file /Windows/System32/kernel32.dll random:4096:1
evtx "$LOG" ps.txt
quarantine "/ProgramData/Microsoft/Windows Defender/Quarantine" Trojan:Win32/Marker.A "C:\\Users\\Public\\tool.exe" "text:harmless KenshuQuarantineMarker text"
REC
images/mkimage.sh "$W/disk.recipe" "$W/disk.img" >"$W/mk.log" 2>&1 || { cat "$W/mk.log"; not_ok "build the image"; tap_summary; exit 1; }
mkdir -p "$W/rules"
cat >"$W/rules/r.yar" <<'YAR'
rule kenshu_script_marker { strings: $a = "Invoke-KenshuMarker" condition: $a }
rule kenshu_quarantine_marker { strings: $a = "KenshuQuarantineMarker" condition: $a }
YAR
printf 'bad-c2.example.invalid\n' >"$W/strings.txt"
printf 'include = default\n[yara]\nrules = rules\n[ioc]\nstring_list = strings.txt\n' >"$W/p.ini"
"$KENSHU" scan -q -j 2 -p "$W/p.ini" -d "$W/db" -o "$W/r" "$W/disk.img" >"$W/out" 2>&1
rc=$?
R=$W/r/report.json
check "verdict FAIL ($rc)" test "$rc" = 1
check "the joined script block is one event with both parts" \
	jqe '[.os[0].events[] | select(.kind == "powershell-script-block")] | length == 1' "$R"
check "EICAR split over two parts is a detection under the log" \
	jqe --arg p "$LOG" '[.detections[] | select(.path == $p and (.stream | startswith("record ")) and (.signature | startswith("Kenshu.Test.EICAR")))] | length == 1' "$R"
check "the detection is a malware finding naming the log" \
	jqe --arg p "$LOG" '[.findings[] | select(.rule == "malware" and .severity == "fail" and .evidence.path == $p and (.evidence.stream | contains("script block")))] | length == 1' "$R"
check "YARA matched the script text" \
	jqe --arg p "$LOG" '[.yara.matches[] | select(.rule == "kenshu_script_marker" and .path == $p)] | length == 1' "$R"
check "the IOC string matched the script text" \
	jqe '[.findings[] | select(.rule == "ioc-string" and (.message | contains("bad-c2.example.invalid")))] | length >= 1' "$R"
check "YARA matched the decoded quarantine payload" \
	jqe '[.yara.matches[] | select(.rule == "kenshu_quarantine_marker" and (.stream | startswith("quarantine: ")))] | length == 1' "$R"
check "the quarantined item is listed, decoded" \
	jqe '[.os[0].defender.quarantine[] | select(.threat == "Trojan:Win32/Marker.A" and .decoded)] | length == 1' "$R"
check "report.txt names the script block detection" grep -q "PowerShell%4Operational.evtx" "$W/r/report.txt"
tap_summary

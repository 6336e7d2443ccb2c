#!/bin/bash
# mkseeds.sh BUILD OUT — builds the seed corpus of every fuzz target into
# OUT/<target>/, from the project's own recipes and tools (images/,
# images/hives, images/wmi, tests/tools), never from committed binaries.
# Each seed is a valid input of its format, so the fuzzer starts from the
# parsers' deep paths instead of rediscovering the magic numbers.
set -euo pipefail
BUILD=$1
OUT=$2
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TOOLS=$BUILD/tools
export KENSHU_TOOLS=$TOOLS
POP=$TOOLS/ntfs-populate
SEP=$'\n--8<-- kenshu-fuzz --8<--\n'
PATH=$PATH:/usr/sbin:/sbin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for t in "$TOP"/tests/fuzz/fuzz-*.c; do
	mkdir -p "$OUT/$(basename "$t" .c)"
done
seed() { # TARGET NAME: stdin becomes a seed
	cat >"$OUT/$1/$2"
}

# ---- image, parttab: small disks ----
"$TOP"/images/mkimage.sh "$TOP"/tests/fuzz/seeds/small-windows.recipe "$work/small.img"
cp "$work/small.img" "$OUT/fuzz-image/small-windows-mbr"
"$TOP"/images/mkimage.sh "$TOP"/tests/fuzz/seeds/small-gpt.recipe "$OUT/fuzz-image/small-gpt"
# Partition tables on 256 KiB disks (the table is all the target reads):
# MBR with an extended chain, GPT with named partitions, a hybrid, bare.
mkdisk() { # NAME SFDISK_SCRIPT
	truncate -s 256K "$work/$1"
	printf '%s\n' "$2" | sfdisk -q --no-reread --no-tell-kernel "$work/$1" >/dev/null 2>&1
	cp "$work/$1" "$OUT/fuzz-parttab/$1"
}
mkdisk mbr-logical $'label: dos\nunit: sectors\nsector-size: 512\nstart=40, size=60, type=7\nstart=120, size=300, type=f\nstart=140, size=40, type=7\nstart=200, size=40, type=ef\n'
mkdisk mbr-four $'label: dos\nunit: sectors\nstart=8, size=8, type=7\nstart=16, size=8, type=27\nstart=24, size=8, type=83\nstart=32, size=400, type=42\n'
mkdisk gpt $'label: gpt\nunit: sectors\nfirst-lba: 34\nstart=40, size=40, type=E3C9E316-0B5C-4DB8-817D-F92DF00215AE, name="Microsoft reserved partition"\nstart=80, size=300, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name="Basic data partition"\n'
# GPT with its primary header wiped: the backup must be used.
cp "$work/gpt" "$work/gpt-backup"
dd if=/dev/zero of="$work/gpt-backup" bs=512 seek=1 count=1 conv=notrunc status=none
cp "$work/gpt-backup" "$OUT/fuzz-parttab/gpt-backup"
head -c 65536 "$work/small.img" | seed fuzz-parttab small-head
# A bare volume: the NTFS boot sector alone.
dd if="$work/small.img" bs=512 skip=2048 count=8 status=none | seed fuzz-parttab bare-ntfs

# ---- hives ----
H=$TOP/images/hives
mkhive() { # NAME REG...
	local name=$1
	shift
	"$TOOLS/mkhive" "$work/$name" "$@"
	cp "$work/$name" "$OUT/fuzz-hive/$name"
}
mkhive software "$H/identity-software.reg" "$H/persist-software.reg"
mkhive system "$H/identity-system.reg" "$H/persist-system.reg"
mkhive system-wes7 "$H/posture-wes7-unpatched-system.reg"
mkhive software-iot "$H/posture-iot-software.reg"
mkhive software-certstores "$H/certstores-software.reg"
mkhive ntuser "$H/ntuser-operator.reg" "$H/persist-ntuser.reg"
mkhive usrclass "$H/persist-usrclass.reg"
mkhive sam "$H/posture-sam-guest-enabled.reg"
mkhive sam-accounts "$H/accounts-sam.reg"
# fuzz-sam: the SAM with encrypted hashes, the SYSTEM with its boot key,
# both formats; then F, V and C values alone, cut from the .reg text.
cp "$OUT/fuzz-hive/sam-accounts" "$OUT/fuzz-sam/sam-aes"
"$TOOLS/mkhive" "$work/sam-system" "$H/accounts-system.reg"
cp "$work/sam-system" "$OUT/fuzz-sam/system-lsa"
# both in one hive: the target finds the boot key and decrypts every hash
"$TOOLS/mkhive" "$work/sam-both" "$H/accounts-sam.reg" "$H/accounts-system.reg"
cp "$work/sam-both" "$OUT/fuzz-sam/sam-and-lsa"
"$TOOLS/mksam" -1 -k 00112233445566778899aabbccddeeff -o "$work/rc4.reg" -s "$work/rc4-sys.reg" \
	'500:Administrator:0x0210:pw:admin' '501:Guest:0x0215:-' '1001:hmi:0x0214::rdp'
"$TOOLS/mkhive" "$work/sam-rc4" "$work/rc4.reg"
cp "$work/sam-rc4" "$OUT/fuzz-sam/sam-rc4"
# each "F"/"V"/"C" value of the AES .reg text as raw bytes
python3 - "$H/accounts-sam.reg" "$OUT/fuzz-sam" <<'PY'
import re, sys
text = open(sys.argv[1]).read().replace("\\\n", "")
for i, (name, hexs) in enumerate(re.findall(r'^"([FVC])"=hex:([0-9a-f, ]*)', text, re.M)):
    open("%s/value-%02d-%s" % (sys.argv[2], i, name), "wb").write(bytes.fromhex(hexs.replace(",", "")))
PY
mkhive hostile "$H/hostile-software.reg"

# ---- the Task Scheduler cache's Actions values, from the .reg text ----
python3 - "$H/persist-software.reg" "$OUT/fuzz-taskcache-actions" <<'PY'
import re, sys
text = open(sys.argv[1], encoding='utf-8').read().replace('\\\n', '')
for i, m in enumerate(re.finditer(r'"Actions"=hex:([0-9a-fA-F,\s]+)', text)):
    b = bytes(int(x, 16) for x in re.split(r'[,\s]+', m.group(1).strip()) if x)
    open(f'{sys.argv[2]}/actions-{i}', 'wb').write(b)
    # versions 1 and 2 share the layout but not the context: both readings
    for v in (1, 2):
        open(f'{sys.argv[2]}/actions-{i}-v{v}', 'wb').write(bytes([v, 0]) + b[2:])
PY

# ---- task files, shortcuts, command lines: the recipes' own sources ----
n=0
grep -h '^file .*Tasks/' "$TOP"/images/*.recipe | sed -E 's/^file ("[^"]*"|[^ ]*) //' |
	while IFS= read -r src; do
		n=$((n + 1))
		# text: takes the rest of the line, as in recipes; else one token
		case $src in text:*) set -- "$src" ;; *) eval "set -- $src" ;; esac
		"$POP" --cat "$1" >"$OUT/fuzz-task-xml/recipe-$n"
		# Windows writes task files as UTF-16LE with a BOM.
		{ printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE <"$OUT/fuzz-task-xml/recipe-$n"; } \
			>"$OUT/fuzz-task-xml/recipe-$n-utf16" || true
	done
n=0
grep -ho '"lnk:[^"]*"' "$TOP"/images/*.recipe "$TOP"/tests/fuzz/seeds/*.recipe | sort -u |
	while IFS= read -r src; do
		n=$((n + 1))
		eval "set -- $src"
		"$POP" --cat "$1" >"$OUT/fuzz-lnk/recipe-$n"
	done
# Commands as the hives and tasks hold them (REG_SZ text after the '=').
grep -hoE '^"[^"]+"=(expand:)?"[^"]*"' "$H"/*.reg | sed -E 's/^"[^"]+"=(expand:)?"//; s/"$//; s/\\\\/\\/g' |
	sort -u | head -200 | split -l 1 -a 3 - "$OUT/fuzz-cmdline/reg-"
for f in "$OUT"/fuzz-cmdline/reg-*; do printf '%s' "$(cat "$f")" >"$f"; done

# ---- .job files (Task Scheduler 1.0; layout of MS-TSCH 2.4) ----
python3 - "$OUT/fuzz-task-job" <<'PY'
import struct, sys
def ustr(s):
    if s is None:
        return struct.pack('<H', 0)
    u = s.encode('utf-16-le')
    return struct.pack('<H', len(u) // 2 + 1) + u + b'\0\0'
def job(app, params, wd, author, comment, flags, triggers):
    fixed = bytearray(70)
    struct.pack_into('<HH16s', fixed, 0, 0x0601, 1, bytes(range(0, 256, 17))[:16])
    struct.pack_into('<HH', fixed, 28, 60, 10)
    struct.pack_into('<IIIII', fixed, 32, 0x20, 0xfffffffe, 0, 0x41300, flags)
    var = ustr(app) + ustr(params) + ustr(wd) + ustr(author) + ustr(comment)
    var += struct.pack('<H', 0) + struct.pack('<H', 8) + bytes(8)
    struct.pack_into('<H', fixed, 20, 70)
    struct.pack_into('<H', fixed, 22, 70 + len(var))
    t = struct.pack('<H', len(triggers))
    for ttype, interval, tflags in triggers:
        tr = bytearray(48)
        struct.pack_into('<HHHHH', tr, 0, 48, 0, 2013, 7, 12)
        struct.pack_into('<HH', tr, 16, 15, 42)
        struct.pack_into('<IIII', tr, 20, 1440 if interval else 0, interval, tflags, ttype)
        struct.pack_into('<H', tr, 36, 1)
        t += bytes(tr)
    return bytes(fixed) + var + t
out = sys.argv[1]
open(f'{out}/hidden', 'wb').write(job('C:\\TMP\\mim.exe', 'sekurlsa::LogonPasswords exit', 'C:\\TMP', 'SYSTEM', 'x', 0x200, [(1, 0, 0)]))
open(f'{out}/daily', 'wb').write(job('notepad.exe', None, None, 'Zo\u00eb', 'c', 0x4, [(1, 60, 0), (7, 0, 4)]))
open(f'{out}/empty', 'wb').write(job('', '', '', '', '', 0, []))
PY

# ---- PE files: mingw-built, with version resources, and ClamAV's test file ----
"$TOP"/tests/tools/mkpe.sh "$OUT/fuzz-pe/svchost.exe" "Microsoft Corporation" "Microsoft Windows Operating System" 6.1.7601.23403 exe
"$TOP"/tests/tools/mkpe.sh "$OUT/fuzz-pe/vendor.dll" "Example Machine Works" "HMI Panel" 3.2.1.0 dll
"$TOP"/tests/tools/mkpe.sh "$OUT/fuzz-pe/srv.sys" "Microsoft Corporation" "Microsoft Windows Operating System" 6.1.7601.17514 sys
if [ -r /usr/share/clamav-testfiles/clam.exe ]; then cp /usr/share/clamav-testfiles/clam.exe "$OUT/fuzz-pe/"; fi

# ---- Authenticode: signed PEs from tests/tools/mksigned.sh, each with its
# anchor file and a chunk-size byte in front ----
"$TOP"/tests/tools/mksigned.sh "$work/signed" >/dev/null
for f in valid dual expired expired-ts wrong-eku other-root explicit-ec unsigned; do
	anchors=$work/signed/anchors.pem
	[ "$f" = explicit-ec ] && anchors=$work/signed/ec-anchors.pem
	{
		printf 'A'
		printf '# Friendly Name: Kenshu Test Root\n# Extended key usages: [%s]\n' "'code_signing', 'time_stamping'"
		cat "$anchors"
		printf '%s' "$SEP"
		cat "$work/signed/$f.exe"
	} | seed fuzz-authenticode "$f"
done

# ---- WMI repository ----
"$TOOLS/mkwmirepo" "$OUT/fuzz-wmi/persist" "$TOP/images/wmi/persist.wmi"
{ echo md5; echo 'layout other'; cat "$TOP/images/wmi/persist.wmi"; } >"$work/other.wmi"
"$TOOLS/mkwmirepo" "$OUT/fuzz-wmi/md5-other-layout" "$work/other.wmi"

# ---- event logs: the sample recipes, a broken chunk, leftover records, .evt ----
for r in "$TOP"/images/evtx/*.txt; do
	"$TOOLS/mkevtx" "$r" "$OUT/fuzz-evtx/$(basename "$r" .txt)"
done
{ cat "$TOP/images/evtx/vendor-system.txt"; echo chunk; cat "$TOP/images/evtx/vendor-security.txt"
  echo leftover; echo 'event 4624 provider=Deleted'; echo 'data LogonType=3'; echo 'corrupt-chunk 0'; } >"$work/evtx-damaged.txt"
"$TOOLS/mkevtx" "$work/evtx-damaged.txt" "$OUT/fuzz-evtx/damaged"
{ echo 'format evt'; echo 'flags dirty'; cat "$TOP/images/evtx/vendor-system.txt"; } >"$work/evt.txt"
"$TOOLS/mkevtx" "$work/evt.txt" "$OUT/fuzz-evtx/sysevent-evt"
# the evidence over parsed logs: the same logs, and script blocks in parts
mkdir -p "$OUT/fuzz-eventlog"
cp "$OUT"/fuzz-evtx/* "$OUT/fuzz-eventlog/"
{ echo 'channel Microsoft-Windows-PowerShell/Operational'
  for n in 2 1 3; do
	echo "event 4104 provider=Microsoft-Windows-PowerShell time=2026-01-02T06:00:0${n}Z"
	echo "data MessageNumber=$n"; echo 'data MessageTotal=3'; echo "data ScriptBlockText=part $n;"
	echo 'data ScriptBlockId={aa}'
  done
  echo 'channel System'
  echo 'event 7045 provider="Service Control Manager"'
  echo 'data ServiceName=x'; echo 'data ImagePath=%COMSPEC% /c "powershell -enc SQBFAFgA"'; } >"$work/ps-parts.txt"
"$TOOLS/mkevtx" "$work/ps-parts.txt" "$OUT/fuzz-eventlog/ps-parts"

# ---- WOF: the reparse value, then the logical size and the stream ----
wofseed() { # NAME FORMAT_NUMBER FORMAT SRC
	local size
	size=$("$POP" --cat "$4" | wc -c)
	{
		# reparse header (tag 0x80000017, 16 data bytes), WOF_EXTERNAL_INFO
		# {version 1, provider 2: file}, FILE_PROVIDER_EXTERNAL_INFO_V1
		# {version 1, format}
		printf '\x17\x00\x00\x80\x10\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00'
		printf "\\x$(printf %02x "$2")\\x00\\x00\\x00"
		printf '%s' "$SEP"
		printf "\\x$(printf %02x $((size & 255)))\\x$(printf %02x $(((size >> 8) & 255)))\\x$(printf %02x $(((size >> 16) & 255)))\\x00"
		"$POP" --wof "$3" "$4"
	} >"$OUT/fuzz-wof/$1"
}
wofseed xpress4k 0 xpress4k @/usr/share/common-licenses/Apache-2.0
wofseed lzx 1 lzx @/usr/share/common-licenses/GPL-2
wofseed xpress8k 2 xpress8k @/usr/share/common-licenses/LGPL-2.1
wofseed xpress16k 3 xpress16k random:40000:7

# ---- profiles, IOC feeds ----
for p in "$TOP"/profiles/*.ini "$TOP"/tests/e2e/cases/*/*.ini; do
	cp "$p" "$OUT/fuzz-profile/$(basename "$(dirname "$p")")-$(basename "$p")"
done
F=$TOP/tests/e2e/cases/0096-scan-ioc-feeds/feeds
{ printf '[profile]\nname = fuzz\ninclude = inc.ini\n[ioc]\nhash_lists = hashes.txt\nstring_lists = strings.txt\n%s' "$SEP"
  printf '[files]\nmacros = review\n%s' "$SEP"; cat "$F/isac-hashes.txt"; printf '%s' "$SEP"; cat "$F/cert-strings.txt"; } \
	>"$OUT/fuzz-profile/with-include-and-feeds"
{ cat "$F/isac-hashes.txt"; printf '%s' "$SEP"; cat "$F/cert-strings.txt"; } >"$OUT/fuzz-ioc/feeds-0096"

# ---- YARA rule files: the e2e case's and hostile shapes ----
for y in "$TOP"/tests/e2e/cases/0106-yara-rules/rules/*.yar "$TOP"/tests/e2e/cases/0106-yara-rules/rules-slow/*.yar; do
	cp "$y" "$OUT/fuzz-yara-rules/$(basename "$y")"
done
printf 'rule a { condition: foo }\nrule b { condition: bar }\n' | seed fuzz-yara-rules two-errors
printf 'include "/etc/passwd"\nrule c { condition: true }\n' | seed fuzz-yara-rules include-refused
printf 'private rule p { condition: filesize > 0 }\nrule q : t1 t2 { meta: s = "}{" strings: $r = /a{2}/ $h = { 4D [1-3] 5A } condition: p and ($r or $h) }\n' |
	seed fuzz-yara-rules braces-in-strings
printf 'rule unterminated {\n condition: true and\n' | seed fuzz-yara-rules unterminated

# ---- fleet manifests: the shapes a spreadsheet writes, and refusals ----
M=fuzz-fleet-manifest
printf 'asset,image\nPLC-01,disks/plc01.img\nHMI-02,/srv/images/hmi02.vhdx\n' | seed $M minimal
printf '\xef\xbb\xbfImage,Asset,Baseline,Profile,Meta\r\ndisks/a.img,PRESS-1,base/press-1,strict,po=4500012345;vendor=Acme\r\n\r\n"disks/b, ""new"".img",press_2.b,,plant.ini,\r\n' |
	seed $M excel-crlf-bom
printf 'asset,image,meta,profile\nkiosk.7,"k.img","operator=\xe5\xb1\xb1\xe7\x94\xb0;\n  line=3;",profiles/kiosk\nKIOSK-8,k8.img,,default\n' |
	seed $M multiline-meta
printf 'asset,image\nPLC-01,a.img\nplc-01,b.img\n' | seed $M duplicate-asset
printf 'asset,image,owner\na,b,c\n' | seed $M unknown-column
printf 'asset,image\na,"unterminated\nb,c\n' | seed $M open-quote
printf 'asset,image\na,b"c\nd,"e"f\n' | seed $M stray-quotes
printf 'asset,image,baseline\na,b\n.c,d,e,f\n' | seed $M field-count

# ---- a baseline report directory: a real scan of the small image ----
"$TOP"/tests/mkdb.sh "$work/db" >/dev/null
"$BUILD/kenshu" scan -q --all-autoruns -d "$work/db" -o "$work/rep" "$work/small.img" >/dev/null 2>&1 || true
"$BUILD/kenshu" scan -q -d "$work/db" -o "$work/rep2" "$OUT/fuzz-image/small-gpt" >/dev/null 2>&1 || true
if [ -s "$work/rep/report.json" ] && [ -s "$work/rep2/report.json" ]; then
	{ cat "$work/rep/report.json"; printf '%s' "$SEP"; cat "$work/rep/manifest.jsonl"; } >"$OUT/fuzz-snapshot/small"
	{ cat "$work/rep/report.json"; printf '%s' "$SEP"; cat "$work/rep/manifest.jsonl"; printf '%s' "$SEP"
	  cat "$work/rep2/report.json"; printf '%s' "$SEP"; cat "$work/rep2/manifest.jsonl"; } >"$OUT/fuzz-snapshot/two"
else
	echo "mkseeds: the seed scan wrote no report" >&2
	exit 1
fi

# ---- bundles: archives of files, of an image, nested ----
mkdir -p "$work/b/docs" "$work/b/img"
printf 'KENSHU-FUZZ-MARKER\r\n' >"$work/b/docs/readme.txt"
printf 'WEB\r\n1\r\nhttp://203.0.113.7/q\r\n' >"$work/b/docs/query.iqy"
cp "$OUT/fuzz-pe/vendor.dll" "$work/b/docs/"
( cd "$work/b" && bsdtar -c -f "$OUT/fuzz-bundle/docs.zip" --format zip docs )
( cd "$work/b" && bsdtar -c -J -f "$OUT/fuzz-bundle/docs.tar.xz" docs )
( cd "$work/b" && bsdtar -c -f "$work/inner.tar" docs && gzip -c "$work/inner.tar" >"$work/b/img/inner.tar.gz" )
( cd "$work/b" && bsdtar -c -f "$OUT/fuzz-bundle/nested.7z" --format 7zip img )
gzip -c "$work/b/docs/readme.txt" >"$OUT/fuzz-bundle/single.gz"
# An image inside a zip is scanned as an image (a 2 MiB bare volume).
"$TOP"/images/mkimage.sh "$TOP"/tests/fuzz/seeds/tiny-bare.recipe "$work/b/img/disk.img"
( cd "$work/b/img" && bsdtar -c -f "$OUT/fuzz-bundle/image.zip" --format zip disk.img )
# bundle.json as kenshu writes it
"$BUILD/kenshu" scan -q -d "$work/db" -o "$work/brep" "$OUT/fuzz-bundle/docs.zip" >/dev/null 2>&1 || true
if [ -s "$work/brep/bundle.json" ]; then cp "$work/brep/bundle.json" "$OUT/fuzz-bundle-json/docs"; fi
printf '{"members":[{"report":"disk.img"},{"path":"a/b"}]}' | seed fuzz-bundle-json members

# ---- fleet summary: a machine's report.json / bundle.json, a previous fleet.json ----
cp "$work/rep/report.json" "$OUT/fuzz-fleet-report/real"
# The same image against itself as baseline: a drift section.
"$BUILD/kenshu" scan -q -d "$work/db" --baseline "$work/rep" -o "$work/rep3" "$work/small.img" >/dev/null 2>&1 || true
if [ -s "$work/rep3/report.json" ]; then cp "$work/rep3/report.json" "$OUT/fuzz-fleet-report/real-drift"; fi
if [ -s "$work/brep/bundle.json" ]; then cp "$work/brep/bundle.json" "$OUT/fuzz-fleet-report/bundle"; fi
sha=$(printf '%064d' 0 | tr 0 a)
printf '{"verdict":"FAIL","verdict_reason":"rejected by: malware (1)","findings":[{"rule":"malware","severity":"fail","message":"Eicar","evidence":{"volume":1,"path":"/x.exe"},"waived":false,"waiver":null},{"rule":"unsigned-autorun","severity":"review","message":"m","evidence":{},"waived":false,"waiver":null},{"rule":"malware","severity":"fail","message":"w","evidence":{},"waived":true,"waiver":"w1"}],"drift":{"summary":{"files_added":3,"files_removed":1,"files_changed":2,"autoruns_added":1,"autoruns_removed":0,"autoruns_changed":0,"detections_new":1,"detections_gone":0,"unchanged":false}},"image":{"sha256_before":"%s"},"scan":{"started":"2026-01-02T03:04:05Z","finished":"2026-01-02T03:05:00Z","seconds":55.5},"detections":[{"path":"/x.exe"}]}' "$sha" \
	| seed fuzz-fleet-report synthetic-report
printf '{"verdict":"ERROR","verdict_reason":"1 images could not be scanned","bundle":{"sha256_before":"%s"},"scan":{"started":"s","finished":"f","seconds":1.5},"members":[{"path":"a.img","kind":"image","verdict":"ERROR","reason":"could not be scanned: x"},{"path":"setup.exe","kind":"file","verdict":"FAIL","detections":["Eicar"]},{"path":"../e","kind":"skipped","verdict":"REVIEW","detections":[],"reason":"r"}]}' "$sha" \
	| seed fuzz-fleet-report synthetic-bundle
printf '{"schema":"kenshu-fleet","schema_version":"1.0","campaign":{"dir":"c","created":null,"generated":"g","manifest":{"name":"m.csv","sha256":null},"previous":null},"counts":{"PASS":1,"REVIEW":0,"FAIL":1,"NOT-AUDITED":1},"worse":0,"machines":[{"asset":"b-2","verdict":"FAIL","reason":null},{"asset":"a.1","verdict":"PASS","reason":null,"meta":{"po":"1"}},{"asset":"c_3","verdict":"NOT-AUDITED","reason":"cancelled"}]}' \
	| seed fuzz-fleet-previous fleet
# ---- fleet: what Slurm's tools print (first byte 0 scontrol, 1 sacct),
# and a campaign directory's files (campaign.json, then the first
# machine's claim and result and submission 1) ----
SC='JobId=3 ArrayJobId=1 ArrayTaskId=0 ArrayTaskThrottle=2 JobName=job.sh UserId=root(0) GroupId=root(0) JobState=COMPLETED Reason=None Dependency=(null) ExitCode=0:0 RunTime=00:00:01'
{ printf '\0%s\n' "$SC"; printf '%s\n' "${SC/ArrayTaskId=0 /ArrayTaskId=2-3%2 }" "${SC/ArrayTaskId=0 /ArrayTaskId=[4-7] }"
  printf 'JobId=9 JobName=summary.sh JobState=PENDING Reason=Dependency ExitCode=0:0\n'; } | seed fuzz-slurm scontrol
printf '\00112_3|COMPLETED|0:0\n12_3.batch|COMPLETED|0:0\n12_[4-7]|PENDING|0:0\n12_8|CANCELLED by 0|0:15\n13|FAILED|1:0\n' |
	seed fuzz-slurm sacct
CJ='{"kind": "kenshu-fleet-campaign", "version": 1, "mode": "slurm", "created": "2026-12-08T00:00:00Z",
 "manifest": {"name": "m.csv", "sha256": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
 "database": "/db", "profile": "default", "sign_key": null, "baseline_pub": "/k.pub", "trust_anchors": null,
 "exports": 3, "threads": 2, "meta": {"site": "Osaka"},
 "machines": [{"line": 2, "asset": "PLC-01", "image": "a.img", "image_path": "/a.img", "baseline": null, "profile": null, "meta": {"line": "L1"}},
  {"line": 3, "asset": "HMI-02", "image": "b.img", "image_path": "/b.img", "baseline": "/base", "profile": "strict", "meta": {}},
  {"line": 4, "asset": "IPC-03", "image": "c.img", "image_path": "/c.img"}]}'
printf '%s\n' "$CJ" | seed fuzz-campaign campaign
{ printf '%s%s' "$CJ" "$SEP"
  printf '{"asset": "PLC-01", "host": "node1", "pid": 4242, "slurm_job": "12_0", "submission": 1, "started": "2026-12-08T00:01:00Z"}%s' "$SEP"
  printf '{"asset": "PLC-01", "exit_code": 2, "verdict": "ERROR", "error": "not a disk image", "started": null, "finished": null, "seconds": 1.5, "host": "node1", "pid": 4242, "slurm_job": "12_0", "submission": 1, "commit": "abc"}%s' "$SEP"
  printf '{"number": 1, "submitted": "2026-12-08T00:00:30Z", "array_job": "12", "summary_job": "13", "partition": null, "images_per_task": 2, "max_parallel": 4, "cpus_per_task": 1, "mem_mib": 4096, "assets": ["IPC-03", "PLC-01", "HMI-02"]}'
} | seed fuzz-campaign all-files
{ printf '%s%s' "$CJ" "$SEP"; printf '{"asset": "PLC-01", "host": "node1", "pid": 1, "slurm_job": null}'; } | seed fuzz-campaign claim

# ---- guestfs: FAT12/16/32 and exFAT volumes, bare, partitioned, in LVM, LDM ----
# mkfs.fat and mtools write them (no root, no mount, no appliance). Trailing
# zeros are cut: fuzz-guestfs pads every input with zeros to its scratch
# disk, so the seeds stay small and mutation stays where the bytes are.
G=$work/gfs
mkdir -p "$G/f/deep"
export MTOOLS_SKIP_CHECK=1 MTOOLS_NO_VFAT=0
printf 'hello from a FAT volume\r\n' >"$G/f/hello.txt"
for k in $(seq 1 12); do cat /usr/share/common-licenses/GPL-3; done >"$G/f/big.txt"
truncate -s 300000 "$G/f/big.txt"
trimmed() { # SRC NAME: SRC without its trailing zeros becomes seed NAME
	perl -0777 -pe 's/\0+\z//' "$1" | seed fuzz-guestfs "$2"
}
populate() { # IMG: files, long and Japanese names, deep directories, hostile names
	local i=$1 d=:: k
	mcopy -i "$i" "$G/f/hello.txt" ::/HELLO.TXT
	mcopy -i "$i" "$G/f/hello.txt" "::/A long file name with spaces.txt"
	mcopy -i "$i" "$G/f/hello.txt" "::/日本語のファイル名.txt"
	mcopy -i "$i" "$G/f/hello.txt" "::/-leading dash;semi,comma%s%n.txt"
	mcopy -i "$i" "$G/f/hello.txt" "::/$(printf 'n%.0s' $(seq 1 200)).txt"
	mcopy -i "$i" "$G/f/hello.txt" "::/trailing.dots...txt"
	for k in 1 2 3 4 5 6 7 8 9 10 11 12; do d="$d/d$k"; mmd -i "$i" "$d"; done
	mcopy -i "$i" "$G/f/hello.txt" "$d/deep.txt"
	mmd -i "$i" "::/システム"
	mcopy -i "$i" "$G/f/hello.txt" "::/システム/設定.ini"
	mcopy -i "$i" "$G/f/hello.txt" ::/HIDDEN.SYS
	mattrib -i "$i" +h +s +r ::/HIDDEN.SYS
	mcopy -i "$i" /dev/null ::/EMPTY.TXT
}
truncate -s 1M "$G/fat12.img"
mkfs.fat -F 12 -n FAT12SEED "$G/fat12.img" >/dev/null
populate "$G/fat12.img"
trimmed "$G/fat12.img" fat12
truncate -s 3M "$G/fat16.img"
mkfs.fat -F 16 -s 1 -n FAT16SEED "$G/fat16.img" >/dev/null
populate "$G/fat16.img"
mcopy -i "$G/fat16.img" "$G/f/big.txt" ::/BIG.TXT
for k in $(seq 1 40); do mcopy -i "$G/fat16.img" "$G/f/hello.txt" "::/d1/file number $k.txt"; done
trimmed "$G/fat16.img" fat16
# mtools reads FAT32 only with 65,525 clusters or more: 34 MiB of 512-byte
# clusters, most of it zeros past the FATs and the files (cut, and beyond
# the scratch disk: the kernel reads only what the files use).
truncate -s 34M "$G/fat32.img"
mkfs.fat -F 32 -s 1 -n FAT32SEED "$G/fat32.img" >/dev/null
populate "$G/fat32.img"
trimmed "$G/fat32.img" fat32
# exFAT: exfatprogs formats it; nothing on the host writes files into one
# without mounting it, so the seed holds the label, bitmap and up-case table.
if command -v mkfs.exfat >/dev/null; then
	truncate -s 1M "$G/exfat.img"
	mkfs.exfat -b 4096 -L EXFATSEED "$G/exfat.img" >/dev/null
	trimmed "$G/exfat.img" exfat
fi
# MBR with a FAT12 partition (type 0x0c) at 1 MiB: /dev/sda1 in the appliance.
truncate -s 2M "$G/mbr.img"
printf 'label: dos\nunit: sectors\nstart=2048, size=2048, type=c\n' |
	sfdisk -q --no-reread --no-tell-kernel "$G/mbr.img" >/dev/null 2>&1
dd if="$G/fat12.img" of="$G/mbr.img" bs=512 seek=2048 conv=notrunc status=none
trimmed "$G/mbr.img" mbr-fat12
# LVM: an MBR partition 0x8e holding a physical volume of volume group
# vgf, whose one logical volume (one 4 MiB extent) is a FAT16 volume.
truncate -s 4M "$G/lv.img"
mkfs.fat -F 16 -s 1 -n LVMFAT "$G/lv.img" >/dev/null
mcopy -i "$G/lv.img" "$G/f/hello.txt" "::/in a logical volume.txt"
truncate -s 8M "$G/lvm.img"
printf 'label: dos\nunit: sectors\nstart=2048, size=14336, type=8e\n' |
	sfdisk -q --no-reread --no-tell-kernel "$G/lvm.img" >/dev/null 2>&1
python3 "$TOP/tests/tools/mklvm.py" "$G/lvm.img" $((2048 * 512)) $((14336 * 512)) vgf fat="$G/lv.img" >/dev/null
trimmed "$G/lvm.img" lvm-fat16
# A Windows dynamic disk whose one volume (two extents, reverse order) is FAT12.
truncate -s 2M "$G/ldmvol.img"
mkfs.fat -F 12 -n LDMFAT "$G/ldmvol.img" >/dev/null
mcopy -i "$G/ldmvol.img" "$G/f/hello.txt" "::/on a dynamic disk.txt"
truncate -s 6M "$G/ldm.img"
python3 "$TOP/tests/tools/mkldm.py" "$G/ldm.img" "$G/ldmvol.img" >/dev/null
trimmed "$G/ldm.img" ldm-fat12

# ---- dictionaries: the static ones, and JSON keys from the real reports ----
mkdir -p "$OUT/dict"
for d in "$TOP"/tests/fuzz/dict/fuzz-*.dict; do cp "$d" "$OUT/dict/"; done
jsonkeys() { # FILE...: every object key as a dictionary entry, and its quoted form
	jq -r '[paths | last | strings] | unique[] | "\"\\\"" + . + "\\\":\""' "$@" 2>/dev/null | sort -u
}
{ cat "$TOP/tests/fuzz/dict/fuzz-json.dict"; jsonkeys "$work/rep/report.json"
  head -50 "$work/rep/manifest.jsonl" | jq -s . | jsonkeys /dev/stdin; } >"$OUT/dict/fuzz-snapshot.dict"
{ cat "$TOP/tests/fuzz/dict/fuzz-json.dict"; [ -s "$work/brep/bundle.json" ] && jsonkeys "$work/brep/bundle.json"; } \
	>"$OUT/dict/fuzz-bundle-json.dict"
{ cat "$TOP/tests/fuzz/dict/fuzz-fleet-report.dict"; jsonkeys "$work/rep/report.json"
  [ -s "$work/brep/bundle.json" ] && jsonkeys "$work/brep/bundle.json"; } >"$OUT/dict/fuzz-fleet-report.dict"
cat "$TOP/tests/fuzz/dict/fuzz-json.dict" "$TOP/tests/fuzz/dict/fuzz-campaign.dict" >"$OUT/dict/fuzz-campaign.dict"

# ---- containers: qemu-img's own files, a differencing child, and what
# qemu-img info says of each (the JSON after the separator) ----
for f in vpc vhdx vmdk qcow2 qcow; do
	qemu-img create -q -f "$f" "$work/c.$f" 4M >/dev/null 2>&1 || continue
	head -c 262144 "$work/c.$f" >"$work/c.$f.head"
	{ cat "$work/c.$f.head"; printf '%s' "$SEP"; qemu-img info --output=json -U "$work/c.$f"; } \
		>"$OUT/fuzz-container/$f"
done
qemu-img create -q -f vpc -o subformat=fixed "$work/fixed.vhd" 1M >/dev/null 2>&1 &&
	tail -c 1024 "$work/fixed.vhd" >"$OUT/fuzz-container/vhd-fixed-tail"
qemu-img create -q -f raw "$work/parent.raw" 1M >/dev/null 2>&1
qemu-img create -q -f vmdk -b "$work/parent.raw" -F raw "$work/child.vmdk" >/dev/null 2>&1 &&
	{ head -c 65536 "$work/child.vmdk"; printf '%s' "$SEP"; qemu-img info --output=json -U "$work/child.vmdk"; } \
		>"$OUT/fuzz-container/vmdk-child"
python3 "$TOP/tests/tools/mkdiffvhd.py" "$work/child.vhd" 8 "C:\\Gold\\base.vhd" "..\\Gold\\base.vhd" >/dev/null &&
	head -c 65536 "$work/child.vhd" >"$OUT/fuzz-container/vhd-child"
printf '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=12345678\ncreateType="monolithicSparse"\nparentFileNameHint="../gold/base.vmdk"\n' \
	>"$OUT/fuzz-container/vmdk-descriptor"

# ---- trust: catalogs by tests/tools/mkcat under a test CA, the shipped
# authroot.stl (a real root list), certificate store blobs ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" \
	-subj "/CN=Seed Root CA/O=Kenshu Seeds" -days 3650 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/leaf.key" -out "$work/leaf.csr" \
	-subj "/CN=Example Press Machinery KK/O=Example Press Machinery KK" >/dev/null 2>&1
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' >"$work/leaf.ext"
openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 3650 \
	-extfile "$work/leaf.ext" -out "$work/leaf.pem" >/dev/null 2>&1
D256=06fa542ca0a1626e11e99e79896c9eaa79b5cfc3f9ad0ac8b84d4b2e8c5a292c
D1=b1e795b69b4c2a901a8bc8e8b36e988c6c05d836
MKCAT=("$TOOLS/mkcat" -key "$work/leaf.key" -cert "$work/leaf.pem" -chain "$work/ca.pem")
"${MKCAT[@]}" -out "$OUT/fuzz-ctl/v1.cat" "pe:sha256:$D256:DXCore.dll" "flat:sha1:$D1:oem.inf" "pe:sha1:$D1:a.sys"
"${MKCAT[@]}" -v2 -out "$OUT/fuzz-ctl/v2.cat" "pe:sha256:$D256:DXCore.dll" "flat:sha256:$D256:b.inf"
"${MKCAT[@]}" -tamper -out "$OUT/fuzz-ctl/tampered.cat" "pe:sha256:$D256:DXCore.dll"
cp "$TOP/profiles/trust/authroot.stl" "$OUT/fuzz-ctl/authroot.stl"
openssl x509 -in "$work/leaf.pem" -outform DER -out "$OUT/fuzz-certstore/bare.der"
python3 - "$OUT/fuzz-certstore/bare.der" "$OUT/fuzz-certstore" <<'PY'
import struct, sys
der = open(sys.argv[1], 'rb').read()
def prop(i, b):
    return struct.pack('<III', i, 1, len(b)) + b
name = 'Vendor Proxy\0'.encode('utf-16-le')
open(sys.argv[2] + '/blob', 'wb').write(prop(3, b'\x11' * 20) + prop(11, name) + prop(92, b'\x01\x02') + prop(32, der))
open(sys.argv[2] + '/blob-nocert', 'wb').write(prop(11, name) + prop(3, b'\x11' * 20))
PY

# ---- Defender quarantine (mkquarantine -plain: the target encrypts) ----
printf 'X5O!P%%@AP[4\\PZX54(P^)7CC)7}$EICAR' >"$work/qpay"
"$TOOLS/mkquarantine" -plain "$work/q1" "Virus:DOS/EICAR_Test_File" 'C:\Users\op\Downloads\eicar.com' "$work/qpay"
cp "$work/q1/entry.plain" "$OUT/fuzz-quarantine/entry"
cp "$work/q1/resource.plain" "$OUT/fuzz-quarantine/resource"
: >"$work/qempty"
"$TOOLS/mkquarantine" -plain "$work/q2" "Trojan:Win32/Empty" '\\?\C:\Program Files\Vendor\e.dll' "$work/qempty"
cp "$work/q2/entry.plain" "$OUT/fuzz-quarantine/entry-nt-path"
cp "$work/q2/resource.plain" "$OUT/fuzz-quarantine/resource-empty"

# ---- Defender detection history (mkdethist: the files as Defender writes them) ----
"$TOOLS/mkdethist" -sha256 275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F -size 68 \
	"$OUT/fuzz-dethist/file" "Virus:DOS/EICAR_Test_File" 'file:_C:\Users\op\Downloads\eicar.com'
"$TOOLS/mkdethist" -header -extra "$OUT/fuzz-dethist/header-extra" "HackTool:Win32/Mimikatz" \
	'containerfile:_C:\Tools\m.zip' 'file:_C:\Tools\m.zip->(Zip)m.exe' 'webfile:_C:\Tools\m.zip|https://x/m.zip|pid:4'
"$TOOLS/mkdethist" -no-magic -no-state "$OUT/fuzz-dethist/server2016" "Trojan:Win32/Old" 'process:_pid:4,ProcessStart:1'

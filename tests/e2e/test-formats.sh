#!/bin/bash
# test-formats.sh BUILD — the same disk in every container a vendor ships
# (VMDK monolithic, split and streamOptimized sparse, a descriptor with a
# flat extent; VHD dynamic and fixed; VHDX; QCOW2 plain and compressed)
# must give the same detections, autostart entries, files and verdict as the
# raw image: only the image's own format, size and hash differ. Containers
# that would make kenshu read other files on the host are refused, and
# qemu-nbd never outlives a scan.
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-formats.XXXXXX")
trap 'rm -rf "$W"' EXIT
export KENSHU_TOOLS=$BUILD/tools
. "$(dirname -- "$0")/tap.sh"

if ! command -v qemu-img >/dev/null; then
	not_ok "qemu-img is missing: tests/install-deps.sh installs qemu-utils"
	echo "$pass passed, $fail failed"
	exit 1
fi
tests/mkdb.sh "$W/db" >/dev/null
images/mkimage.sh images/vendor-persist.recipe "$W/disk.img" >/dev/null || { not_ok "build vendor-persist"; exit 1; }

# What must not depend on the container: everything but the image record
# and the times.
normalise() {
	jq -S 'del(.image.path, .image.format, .image.reader, .image.size, .image.sha256_before,
		   .image.sha256_after, .scan, .engine.database_dir)' "$1"
}

nbd_leftovers() {
	local n
	n=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'kenshu-nbd-*' 2>/dev/null | wc -l)
	n=$((n + $(pgrep -c -f "qemu-nbd.*$W" || true)))
	echo "$n"
}

"$KENSHU" scan -q -d "$W/db" -o "$W/raw" "$W/disk.img"
raw_rc=$?
normalise "$W/raw/report.json" >"$W/raw.norm"

# name | qemu-img convert options | the format kenshu must report
cases=(
	"vmdk-sparse|-O vmdk|vmdk"
	"vmdk-split|-O vmdk -o subformat=twoGbMaxExtentSparse|vmdk"
	"vmdk-stream|-O vmdk -o subformat=streamOptimized|vmdk"
	"vmdk-flat|-O vmdk -o subformat=monolithicFlat|vmdk"
	"vhd-dynamic|-O vpc -o force_size=on|vhd"
	"vhd-fixed|-O vpc -o subformat=fixed,force_size=on|vhd"
	"vhdx|-O vhdx|vhdx"
	"qcow2|-O qcow2|qcow2"
	"qcow2-compressed|-O qcow2 -c|qcow2"
)
for c in "${cases[@]}"; do
	IFS='|' read -r name opts want <<<"$c"
	mkdir -p "$W/$name"
	# shellcheck disable=SC2086 # opts are words
	if ! qemu-img convert -f raw $opts "$W/disk.img" "$W/$name/disk.$want" 2>"$W/convert.log"; then
		not_ok "$name: qemu-img convert failed: $(head -1 "$W/convert.log")"
		continue
	fi
	"$KENSHU" scan -q -d "$W/db" -o "$W/$name/out" "$W/$name/disk.$want" 2>"$W/$name/stderr"
	rc=$?
	if [ "$rc" != "$raw_rc" ]; then
		not_ok "$name: exit $rc, raw image gave $raw_rc ($(head -1 "$W/$name/stderr"))"
		continue
	fi
	fmt=$(jq -r .image.format "$W/$name/out/report.json")
	[ "$fmt" = "$want" ] && ok "$name: reported as format $want" || not_ok "$name: format '$fmt', expected $want"
	if diff -u "$W/raw.norm" <(normalise "$W/$name/out/report.json") >"$W/$name/diff"; then
		ok "$name: same detections, autostart entries, volumes and verdict as raw"
	else
		not_ok "$name: report differs from the raw image's"
		head -20 "$W/$name/diff" | sed 's/^/#   /'
	fi
	if cmp -s "$W/raw/manifest.jsonl" "$W/$name/out/manifest.jsonl"; then
		ok "$name: same manifest (every file's SHA-256)"
	else
		not_ok "$name: manifest differs from the raw image's"
	fi
	# The evidence hashed is the container file itself.
	sha=$(sha256sum "$W/$name/disk.$want" | cut -d' ' -f1)
	[ "$(jq -r .image.sha256_before "$W/$name/out/report.json")" = "$sha" ] &&
		ok "$name: image hash is the container file's" || not_ok "$name: image hash is not the container file's"
done
[ "$(nbd_leftovers)" = 0 ] && ok "no qemu-nbd process or socket directory left" ||
	not_ok "qemu-nbd processes or socket directories left behind"

# A WIM capture of the same Windows volume (how gold images are kept): the
# same detections, autostart entries, OS identity and files. NTFS
# compression is not carried by a WIM, so the manifest flags differ.
if command -v wimlib-imagex >/dev/null; then
	read -r first last < <(python3 - "$W/disk.img" <<'PY'
import struct, sys
f = open(sys.argv[1], 'rb')
f.seek(512 + 72); lba, = struct.unpack('<Q', f.read(8))
f.seek(lba * 512 + 128 + 32); first, last = struct.unpack('<QQ', f.read(16))
print(first, last)
PY
)
	dd if="$W/disk.img" of="$W/windows.ntfs" bs=512 skip="$first" count=$((last - first + 1)) status=none
	wimlib-imagex capture "$W/windows.ntfs" "$W/gold.wim" "WES7 gold" >/dev/null 2>&1
	"$KENSHU" scan -q -d "$W/db" -o "$W/wim" "$W/gold.wim" 2>"$W/wim.err"
	rc=$?
	findings='walk(if type=="object" then del(.volume) else . end) |
		{verdict, verdict_reason, detections, autoruns, skipped, reparse_points, os: (.os | map(del(.volume)))}'
	[ "$rc" = "$raw_rc" ] && ok "wim: exit $rc like the raw disk" || not_ok "wim: exit $rc ($(head -1 "$W/wim.err"))"
	if [ -f "$W/wim/report.json" ] &&
		diff <(jq -S "$findings" "$W/raw/report.json") <(jq -S "$findings" "$W/wim/report.json") >"$W/wim.diff"; then
		ok "wim: same detections, autostart entries, OS identity and verdict as the disk"
	else
		not_ok "wim: findings differ from the disk's"
		head -20 "$W/wim.diff" 2>/dev/null | sed 's/^/#   /'
	fi
	if diff <(jq -c 'del(.volume, .flags)' "$W/raw/manifest.jsonl" | sort) \
		<(jq -c 'del(.volume, .flags)' "$W/wim/manifest.jsonl" | sort) >/dev/null 2>&1; then
		ok "wim: same files with the same SHA-256"
	else
		not_ok "wim: files differ from the disk's"
	fi
	[ "$(jq -r .image.format "$W/wim/report.json" 2>/dev/null)" = wim ] &&
		[ "$(jq -r .image.sha256_before "$W/wim/report.json")" = "$(sha256sum "$W/gold.wim" | cut -d' ' -f1)" ] &&
		ok "wim: format wim, and the hashed evidence is the WIM file" || not_ok "wim: format or evidence hash wrong"
	head -c 100000 "$W/gold.wim" >"$W/cut.wim"
	"$KENSHU" scan -q -d "$W/db" -o "$W/cutwim" "$W/cut.wim" >/dev/null 2>"$W/cutwim.err"
	rc=$?
	[ "$rc" = 2 ] && [ "$(wc -l <"$W/cutwim.err")" = 1 ] && grep -q "'$W/cut.wim'" "$W/cutwim.err" &&
		ok "truncated wim: exit 2, one line ($(cat "$W/cutwim.err"))" ||
		not_ok "truncated wim: exit $rc, stderr: $(head -3 "$W/cutwim.err")"
	left=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'kenshu-wim-*' 2>/dev/null | wc -l)
	[ "$left" = 0 ] && ok "wim: no private volume left behind" || not_ok "wim: private volumes left behind"
else
	not_ok "wimlib-imagex is missing: tests/install-deps.sh installs wimtools"
fi

# refused CASE FILE WORDS: exit 2, one line naming the file and the reason.
refused() {
	local name=$1 file=$2 words=$3
	"$KENSHU" scan -q -d "$W/db" -o "$W/refused-$name" "$file" >/dev/null 2>"$W/refused-$name.err"
	local rc=$?
	if [ "$rc" = 2 ] && [ "$(wc -l <"$W/refused-$name.err")" = 1 ] &&
		grep -q "'$file'" "$W/refused-$name.err" && grep -q "$words" "$W/refused-$name.err" &&
		[ ! -e "$W/refused-$name/report.json" ]; then
		ok "$name: refused with one line ($(cat "$W/refused-$name.err"))"
	else
		not_ok "$name: exit $rc, stderr: $(head -3 "$W/refused-$name.err")"
	fi
}

# A qcow2 overlay whose backing file is a file on the scanning host.
echo "host secret" >"$W/secret.bin"
truncate -s 1M "$W/secret.bin"
qemu-img create -q -f qcow2 -b "$W/secret.bin" -F raw "$W/overlay.qcow2"
refused "qcow2-backing-file" "$W/overlay.qcow2" "differencing image"
# Differencing disks whose parent is not there: refused by the container's
# own headers, naming the parent (qemu-img says nothing of a VHD's or
# VHDX's parent, and would serve the VHD as an empty disk).
mkdir -p "$W/diff"
qemu-img create -q -f vmdk "$W/diff/base.vmdk" 8M
qemu-img create -q -f vmdk -b base.vmdk -F vmdk "$W/diff/child.vmdk"
rm "$W/diff/base.vmdk"
refused "vmdk-differencing" "$W/diff/child.vmdk" "differencing disk whose parent is 'base.vmdk'"
python3 tests/tools/mkdiffvhd.py "$W/diff/child.vhd" 8 'D:\VMs\base.vhd'
refused "vhd-differencing" "$W/diff/child.vhd" "differencing disk whose parent is 'D:.VMs.base.vhd'"
# A VHDX made by qemu, then marked HasParent in its file parameters as a
# Hyper-V child is (qemu cannot write one).
qemu-img create -q -f vhdx "$W/diff/child.vhdx" 8M
python3 - "$W/diff/child.vhdx" <<'PY'
import struct, sys, uuid
f = open(sys.argv[1], 'r+b')
f.seek(192 << 10)
rt = f.read(64 << 10)
meta = uuid.UUID('8B7CA206-4790-4B9A-B8FE-575F050F886E').bytes_le
params = uuid.UUID('CAA16737-FA36-4D43-B3B6-33F0AA44E76B').bytes_le
n = struct.unpack_from('<I', rt, 8)[0]
moff = next(struct.unpack_from('<Q', rt, 16 + 32 * i + 16)[0] for i in range(n) if rt[16 + 32 * i:32 + 32 * i] == meta)
f.seek(moff)
md = f.read(64 << 10)
cnt = struct.unpack_from('<H', md, 10)[0]
ioff = next(struct.unpack_from('<I', md, 32 + 32 * i + 16)[0] for i in range(cnt) if md[32 + 32 * i:48 + 32 * i] == params)
f.seek(moff + ioff + 4)
flags = struct.unpack('<I', f.read(4))[0]
f.seek(moff + ioff + 4)
f.write(struct.pack('<I', flags | 2))
PY
refused "vhdx-differencing" "$W/diff/child.vhdx" "differencing disk (it has no parent locator)"
# A VMDK descriptor whose extent is a host file outside its directory.
mkdir -p "$W/evil"
cat >"$W/evil/disk.vmdk" <<EOF
# Disk DescriptorFile
version=1
CID=fffffffe
parentCID=ffffffff
createType="monolithicFlat"

RW 2048 FLAT "$W/secret.bin" 0

ddb.virtualHWVersion = "4"
ddb.geometry.cylinders = "2"
ddb.geometry.heads = "16"
ddb.geometry.sectors = "63"
ddb.adapterType = "ide"
EOF
refused "vmdk-extent-outside" "$W/evil/disk.vmdk" "outside the descriptor"
# A container cut short by a failed copy.
head -c 300000 "$W/qcow2/disk.qcow2" >"$W/cut.qcow2"
"$KENSHU" scan -q -d "$W/db" -o "$W/cut" "$W/cut.qcow2" >/dev/null 2>"$W/cut.err"
rc=$?
if [ "$rc" = 2 ] && [ "$(wc -l <"$W/cut.err")" = 1 ] && grep -q "'$W/cut.qcow2'" "$W/cut.err"; then
	ok "truncated qcow2: exit 2, one line ($(cat "$W/cut.err"))"
else
	not_ok "truncated qcow2: exit $rc, stderr: $(head -3 "$W/cut.err")"
fi
# No qemu on the machine: a clear error, not a raw read of the container.
mkdir -p "$W/bin"
ln -sf "$(command -v jq)" "$W/bin/jq"
PATH=$W/bin "$KENSHU" scan -q -d "$W/db" -o "$W/noqemu" "$W/qcow2/disk.qcow2" >/dev/null 2>"$W/noqemu.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "install qemu-utils" "$W/noqemu.err"; then
	ok "no qemu-img/qemu-nbd: exit 2 and what to install"
else
	not_ok "no qemu: exit $rc, stderr: $(head -3 "$W/noqemu.err")"
fi

# Interrupted mid-scan: qemu-nbd and its socket go with kenshu.
"$KENSHU" scan -q -j 1 -d "$W/db" -o "$W/killed" "$W/vhdx/disk.vhdx" >/dev/null 2>&1 &
pid=$!
sleep 0.3
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
sleep 0.5
[ "$(nbd_leftovers)" = 0 ] && ok "SIGTERM mid-scan: no qemu-nbd process or socket directory left" ||
	not_ok "SIGTERM mid-scan: qemu-nbd or its socket directory left behind"

[ "$(nbd_leftovers)" = 0 ] || pkill -f "qemu-nbd.*$W"
tap_summary

#!/bin/bash
# fixtures.sh BUILD FXDIR — builds every image the end-to-end cases use,
# from the recipes in images/ and, for hostile input, by damaging copies
# of them in ways a bad vendor delivery or an attacker could.
set -euo pipefail
BUILD=$1
FX=$2
mkdir -p "$FX"
export KENSHU_TOOLS=$BUILD/tools

# Code signatures: one test PKI for every signed image and the cases'
# --trust-anchors (tests/tools/mktestpki.sh: fixed dates, so goldens hold).
tests/tools/mktestpki.sh "$FX/pki"
export KENSHU_TEST_PKI=$FX/pki
# An anchor file whose second certificate is cut off (case 0105).
{ cat "$FX/pki/anchors.pem"; head -c 300 "$FX/pki/vendor.pem"; } >"$FX/damaged-anchors.pem"
for r in vendor-signed vendor-signed-tampered; do
	images/mkimage.sh "images/$r.recipe" "$FX/$r.img"
done
for r in vendor-infected vendor-clean vendor-mbr bare-ntfs vendor-uefi vendor-edge vendor-wes7 vendor-persist vendor-hidden vendor-compactos \
	vendor-wes7-unpatched vendor-wes7-patched vendor-iot-ltsc vendor-certstores vendor-yara vendor-accounts \
	vendor-eventlogs vendor-eventlogs-damaged vendor-defender; do
	images/mkimage.sh "images/$r.recipe" "$FX/$r.img"
done
tests/mkdb.sh "$FX/db"
mkdir -p "$FX/emptydb" "$FX/baddb" "$FX/notdb"
printf 'this is not a signature\n' >"$FX/baddb/broken.ndb"
printf 'readme\n' >"$FX/notdb/README.txt"

# write_at FILE OFFSET HEXBYTES: patch bytes in place.
write_at() {
	printf "$(echo "$3" | sed 's/\(..\)/\\x\1/g')" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# mbr_entry SLOT TYPE START_LBA SECTORS -> hex of one 16-byte partition entry
mbr_entry() {
	printf '00000000%02x000000%s%s' "$2" "$(le32 "$3")" "$(le32 "$4")"
}
le32() {
	printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255))
}
mbr_disk() { # FILE SIZE_MIB ENTRY...
	local f=$1 size=$2
	shift 2
	rm -f "$f"
	truncate -s "${size}M" "$f"
	local slot=0
	for e in "$@"; do
		write_at "$f" $((446 + 16 * slot)) "$e"
		slot=$((slot + 1))
	done
	write_at "$f" 510 55aa
}

# The clean GPT disk cut short: the vendor's copy did not finish.
cp "$FX/vendor-clean.img" "$FX/truncated.img"
truncate -s 64M "$FX/truncated.img"
# A partition entry that points past the end of a 4 MiB disk.
mbr_disk "$FX/past-end.img" 4 "$(mbr_entry 0 7 2048 65536)"
# Two partitions sharing sectors.
mbr_disk "$FX/overlap.img" 8 "$(mbr_entry 0 7 2048 8192)" "$(mbr_entry 1 7 8000 4096)"
# An NTFS volume whose boot sector geometry was wiped (OEM id kept, so it
# is still recognised as NTFS and must fail loudly, not be skipped).
cp "$FX/bare-ntfs.img" "$FX/badboot.img"
write_at "$FX/badboot.img" 11 "$(printf '%0100d' 0)"
# A VMDK (sparse extent magic) that must not be read as a raw disk.
{ printf 'KDMV'; head -c 4092 /dev/zero; } >"$FX/disk.vmdk"
: >"$FX/empty.img"
# A differencing VHD (case 0037) whose parent is not delivered: qemu reads
# it as a disk of unallocated blocks, all zeros.
python3 tests/tools/mkdiffvhd.py "$FX/child.vhd" 8 'C:\VMs\Line3\base.vhd' '.\base.vhd'
# vendor-wes7 whose operator NTUSER.DAT has a broken base block (checksum
# wiped): hivex refuses it, so that user's autostart entries cannot be
# read. The hive is found by the path Windows records in its base block.
cp "$FX/vendor-wes7.img" "$FX/badhive.img"
off=$(python3 - "$FX/badhive.img" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
want = 'Users\\operator\\NTUSER.DAT'.encode('utf-16-le')
at = -1
for i in range(0, len(data) - 4096, 4096):   # file data is cluster-aligned
    if data[i:i + 4] == b'regf' and want in data[i + 0x30:i + 0x70]:
        at = i
print(at)
PY
)
[ "$off" -ge 0 ] || { echo "fixtures: operator hive not found in vendor-wes7.img" >&2; exit 1; }
write_at "$FX/badhive.img" $((off + 0x1fc)) 00000000
# A disk of zeros: no partition table, no file system. Nothing can be
# inspected, so it must never PASS.
truncate -s 8M "$FX/zeros.img"
# vendor-hidden: a payload 2 MiB past its last partition (which ends at
# 49 MiB), where no file system shows it. A copy stays all zero there.
cp "$FX/vendor-hidden.img" "$FX/vendor-hidden-empty.img"
printf 'MZ hidden payload written after the last partition' |
	dd of="$FX/vendor-hidden.img" bs=1 seek=$((51 * 1024 * 1024)) conv=notrunc status=none
# Volumes kenshu cannot inspect, each listed with what it looks like: a
# BitLocker volume (its boot sector's -FVE-FS- signature), a LUKS volume,
# and raw data written over a partition.
mbr_disk "$FX/encrypted.img" 16 "$(mbr_entry 0 7 2048 4096)" "$(mbr_entry 1 131 6144 4096)" "$(mbr_entry 2 7 10240 4096)" \
	"$(mbr_entry 3 66 14336 16384)"
write_at "$FX/encrypted.img" $((2048 * 512)) eb58902d4656452d46532d
write_at "$FX/encrypted.img" $((2048 * 512 + 510)) 55aa
write_at "$FX/encrypted.img" $((6144 * 512)) 4c554b53babe0002
write_at "$FX/encrypted.img" $((10240 * 512)) 4d5a90000300000004000000ffff0000
# A Windows dynamic disk partition (type 0x42) whose first sector looks
# like NTFS, with no LDM database: where its volumes lie is not known, so
# it is not read (and no appliance is started to look).
write_at "$FX/encrypted.img" $((14336 * 512)) eb52904e54465320202020
write_at "$FX/encrypted.img" $((14336 * 512 + 510)) 55aa

# LVM (case 0034): a GPT disk whose second partition is an LVM2 physical
# volume, written by tests/tools/mklvm.py (no root, no appliance), holding
# volume group vg0: "windows", an NTFS volume with a Windows hive layout,
# EICAR in a file and in an alternate data stream, a directory's stream and
# one stream over the 64 KiB libguestfs can read, laid out in two segments
# in reverse order (no reader at an offset can read it); and "spare", never
# formatted. Only libguestfs assembles the volumes.
L=$FX/lvm-src
mkdir -p "$L"
cat >"$L/disk.recipe" <<EOF
disk 64M gpt
part 8M basic "Data"
part 50M raw:E6D6D379-F507-44C2-A23C-238F2A3DF928 "Linux LVM"
fs 1 ntfs DATA
file /readme.txt text:Line 3 recipes.\r\n
EOF
cat >"$L/windows.recipe" <<EOF
disk 40M none
fs 1 ntfs Windows
hive /Windows/System32/config/SOFTWARE $PWD/images/hives/software-wes7.reg
hive /Windows/System32/config/SYSTEM $PWD/images/hives/system-wes7.reg
file /Windows/System32/drivers/etc/hosts text:127.0.0.1       localhost\r\n
file "/Program Files/Vendor/HMI/hmi.ini" text:[HMI]\r\nStation=Line-3\r\n
ads "/Program Files/Vendor/HMI/hmi.ini:history" random:100000:9
file /Users/Public/Downloads/update.com eicar
ads /Users/Public/Downloads:Zone.Identifier text:[ZoneTransfer]\r\nZoneId=3\r\n
file /Users/Public/readme.txt text:Shared files for line operators.\r\n
ads /Users/Public/readme.txt:payload eicar
EOF
images/mkimage.sh "$L/disk.recipe" "$FX/lvm.img"
images/mkimage.sh "$L/windows.recipe" "$L/windows.img"
start=$(PATH=$PATH:/usr/sbin:/sbin sfdisk -d "$FX/lvm.img" | sed -n 's/^.*img2 : start= *\([0-9]*\), size= *\([0-9]*\),.*/\1 \2/p')
read -r p2 n2 <<<"$start"
python3 tests/tools/mklvm.py "$FX/lvm.img" $((p2 * 512)) $((n2 * 512)) vg0 windows="$L/windows.img" spare=@1
# A Windows dynamic disk (case 0036), written by tests/tools/mkldm.py: MBR
# partition 0x42 and an LDM database describing one NTFS volume in two
# extents in reverse order (a "spanned" volume, as extending it leaves it),
# with EICAR in a file. Only libldm, in libguestfs's appliance, assembles it.
cat >"$L/dynamic.recipe" <<EOF
disk 40M none
fs 1 ntfs Data
file /readme.txt text:Recipes of line 3.\r\n
file /Users/Public/Downloads/update.com eicar
EOF
images/mkimage.sh "$L/dynamic.recipe" "$L/dynamic.img"
rm -f "$FX/dynamic.img"
truncate -s 64M "$FX/dynamic.img"
python3 tests/tools/mkldm.py "$FX/dynamic.img" "$L/dynamic.img"
rm -rf "$L"

# Vendor bundles, built from the images above. EICAR comes from
# ntfs-populate's decoder (never stored in the tree), "setup.exe" is
# ClamAV's harmless clam.exe.
B=$FX/bundle-src
mkdir -p "$B/zip" "$B/7z" "$B/nest" "$B/enc" "$B/iso" "$B/deep"
ln -f "$FX/vendor-clean.img" "$B/zip/vendor-clean.img"
printf 'Installation notes for the press HMI\n' >"$B/zip/README.txt"
"$KENSHU_TOOLS/ntfs-populate" --cat eicar >"$B/zip/eicar.com"
cp /usr/share/clamav-testfiles/clam.exe "$B/zip/setup.exe"
(cd "$B/zip" && bsdtar --format zip -cf "$FX/delivery.zip" vendor-clean.img README.txt eicar.com setup.exe)
ln -f "$FX/vendor-wes7.img" "$B/7z/vendor-wes7.img"
printf 'Operating manual\nChapter 1: switching on\n' >"$B/7z/manual.txt"
(cd "$B/7z" && bsdtar --format 7zip -cf "$FX/delivery.7z" vendor-wes7.img manual.txt)
# A zip inside a tar.xz: members are listed as "vendor-a.zip/setup.exe".
cp "$FX/delivery.zip" "$B/nest/vendor-a.zip"
printf 'release notes\n' >"$B/nest/notes.txt"
(cd "$B/nest" && bsdtar -cJf "$FX/nested.tar.xz" vendor-a.zip notes.txt)
# The common single-file delivery: a raw disk compressed on its own.
gzip -1 -c "$FX/vendor-clean.img" >"$FX/disk.img.gz"
# ISO 9660 and CAB through the same path.
cp "$B/zip/setup.exe" "$B/7z/manual.txt" "$B/iso/"
(cd "$B/iso" && bsdtar --format iso9660 -cf "$FX/delivery.iso" manual.txt setup.exe)
cp /usr/share/clamav-testfiles/clam.cab "$FX/delivery.cab"
# Four zips, each inside the next: one level deeper than kenshu opens.
printf 'innermost\n' >"$B/deep/x"
for i in 1 2 3 4; do
	(cd "$B/deep" && bsdtar --format zip -cf z.zip x && mv z.zip x)
done
mv "$B/deep/x" "$FX/deep.zip"
# Hostile: names that climb out, an absolute name, a symlink, a 2 GiB
# bomb, a member flagged encrypted, and a really encrypted zip inside.
printf 'secret\n' >"$B/enc/secret.txt"
(cd "$B/enc" && bsdtar --format zip --options zip:encryption=traditional --passphrase kenshu \
	-cf "$B/encrypted.zip" secret.txt)
python3 tests/tools/mkhostile-zip.py "$FX/hostile.zip" "$B/encrypted.zip"
# A zip whose first header is already damaged: nothing can be read.
printf 'PK\003\004this is not a zip header' >"$FX/damaged.zip"
rm -rf "$B"

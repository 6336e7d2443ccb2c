#!/bin/bash
# Installs the Debian 12 packages kenshu needs to build, test and demo,
# only those that are missing. Needs root (or sudo) only when something is
# missing; run by `make check`, `make demo` and `make bench`.
set -euo pipefail

pkgs=(
	build-essential pkg-config
	libclamav-dev       # the scan engine
	libyara-dev         # YARA, the second engine: published rules need its pe/math/hash modules, which libclamav's YARA subset lacks
	ntfs-3g-dev         # NTFS reader (libntfs-3g)
	libjson-c-dev       # report.json / manifest.jsonl writer
	libssl-dev          # SHA-256 (and later Ed25519 signing)
	libhivex-dev        # offline registry hives
	libxml2-dev         # scheduled task XML (Task Scheduler 2.0)
	libinih-dev         # acceptance profiles (INI)
	libevtx-dev libevt-dev libbfio-dev  # Windows event logs (.evtx, XP-era .evt), read from memory through a libbfio memory range
	libnbd-dev          # reads VMDK/VHD/VHDX/QCOW2 disks served by qemu-nbd
	libarchive-dev      # vendor bundles: zip, 7z, tar(.gz/.xz...), ISO 9660, CAB
	libarchive-tools    # bsdtar, builds the zip/7z/tar.xz/ISO bundle fixtures
	libwim-dev          # XPRESS/LZX decompression of CompactOS (WOF) files; compresses their fixtures
	wimtools            # wimlib-imagex: captures a fixture volume into a WIM for the tests
	libfuse-dev         # only for pkg-config: wimlib.pc requires fuse.pc, libwim-dev does not pull it in
	libguestfs-dev      # FAT/exFAT volumes through the libguestfs appliance (and the bench peer)
	linux-image-amd64   # the kernel supermin builds libguestfs's appliance from
	qemu-utils          # qemu-nbd and qemu-img: serve, inspect and check containers; convert fixtures
	libhivex-bin        # hivexsh/hivexml, to inspect fixture hives
	libcmocka-dev       # unit tests
	ntfs-3g             # mkntfs, for fixtures built at test time
	util-linux gdisk    # sfdisk/sgdisk, for fixture partition tables
	dosfstools          # mkfs.fat, for the EFI system partition fixture
	exfatprogs          # mkfs.exfat: fuzz-guestfs's exFAT seed (skipped when absent)
	mtools              # mcopy/mmd/mattrib: files on FAT fixture volumes and fuzz-guestfs seeds
	clamav-testfiles    # real ClamAV test files (clam.exe, clam.zip...)
	clamav              # clamscan: the peer in `make bench`
	jq                  # golden-report normalisation in the tests
	gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64  # real PE fixtures with VERSIONINFO
	osslsigncode openssl # tests/tools/mksigned.sh: Authenticode-signed PE fixtures with a test PKI and an offline timestamp authority
	python3
	clang libclang-rt-14-dev  # tests/fuzz: libFuzzer targets with ASan/UBSan (make fuzz-build, make check)
	xxd time            # tests/fuzz: regression inputs kept as hex; CPU seconds of a campaign
	faketime            # tests/run-all.sh future: the unit tests and golden cases again with the clock years ahead (no time bomb)
	chromium            # tests/e2e/test-html.sh: report.html in a real browser (no script runs, no request, screenshot + PDF)
	slurm-wlm munge     # tests/e2e/test-fleet-slurm.sh: a private single-node Slurm cluster runs a fleet campaign
	fonts-ipafont-gothic # a Japanese font, so that test's screenshot and PDF show Japanese names, not boxes
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "kenshu: installing missing packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "kenshu: missing packages (${missing[*]}) and not root: install them with apt-get" >&2; exit 2; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

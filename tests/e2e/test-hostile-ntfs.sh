#!/bin/bash
# test-hostile-ntfs.sh BUILD — damaged NTFS metadata must give a report or
# a clean error, never a crash or a hang: flips bytes in the MFT and in
# directory index blocks of a real volume, with fixed seeds.
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
N=${KENSHU_HOSTILE_ROUNDS:-40}
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-hostile.XXXXXX")
trap 'rm -rf "$W"' EXIT
export KENSHU_TOOLS=$BUILD/tools
tests/mkdb.sh "$W/db" >/dev/null
images/mkimage.sh images/vendor-clean.recipe "$W/gpt.img" >/dev/null

# Where the MFT is: partition 2 of the GPT disk, boot sector fields.
read -r mft_off mft_len < <(python3 - "$W/gpt.img" <<'PY'
import struct, sys
f = open(sys.argv[1], 'rb')
f.seek(512 + 72); entries_lba, = struct.unpack('<Q', f.read(8))
f.seek(entries_lba * 512 + 128 + 32); first_lba, = struct.unpack('<Q', f.read(8))
part = first_lba * 512
f.seek(part); bs = f.read(512)
bps, spc = struct.unpack('<HB', bs[11:14])
mft_lcn, = struct.unpack('<Q', bs[0x30:0x38])
print(part + mft_lcn * bps * spc, 1024 * 160)
PY
)

crashes=0
outcomes=""
for i in $(seq 1 "$N"); do
	cp "$W/gpt.img" "$W/bad.img"
	python3 - "$W/bad.img" "$mft_off" "$mft_len" "$i" <<'PY'
import random, sys
path, off, length, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
# Odd rounds hit the whole start of the MFT (system files included); even
# rounds only the records of ordinary files and directories (64 and up).
lo = 0 if seed % 2 else 64 * 1024
with open(path, 'r+b') as f:
    for _ in range(rnd.choice([1, 4, 16, 64])):
        pos = off + lo + rnd.randrange(length - lo)
        f.seek(pos)
        f.write(bytes([rnd.randrange(256)]))
PY
	timeout 120 "$KENSHU" scan -q -j 2 -d "$W/db" -o "$W/out$i" "$W/bad.img" >/dev/null 2>"$W/err"
	rc=$?
	case $rc in
	0 | 1 | 2 | 3) ;;
	*) crashes=$((crashes + 1)); echo "# round $i: exit $rc"; head -5 "$W/err" | sed 's/^/#   /' ;;
	esac
	if grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$W/err"; then
		crashes=$((crashes + 1))
		echo "# round $i: sanitizer report"
		head -20 "$W/err" | sed 's/^/#   /'
	fi
	if [ "$rc" = 2 ] && [ "$(wc -l <"$W/err")" != 1 ]; then
		crashes=$((crashes + 1))
		echo "# round $i: exit 2 without exactly one error line"
	fi
	outcomes="$outcomes $rc"
	rm -rf "$W/out$i"
done
summary=$(echo "$outcomes" | tr ' ' '\n' | grep . | sort | uniq -c | awk '{printf "%s×exit %s, ", $1, $2}')
# Damage to file records must show up as REVIEW at least once, or the walk's
# problem reporting is not being exercised.
if ! echo "$outcomes" | grep -qw 3; then
	crashes=$((crashes + 1))
	echo "# no round produced REVIEW: damaged records went unnoticed"
fi
if [ $crashes = 0 ]; then
	echo "ok - $N damaged MFTs: no crash, no hang (${summary%, })"
else
	echo "not ok - $N damaged MFTs: $crashes rounds crashed, hung or misreported (${summary%, })"
fi

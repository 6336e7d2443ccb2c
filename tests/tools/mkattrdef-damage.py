#!/usr/bin/env python3
"""mkattrdef-damage.py OUT MODE [MIB] - a bare NTFS volume whose $AttrDef
makes libntfs-3g's ntfs_device_mount fail, at one of the three places where
libntfs-3g 2022.10.3 then loses the $AttrDef inode (bytes as LeakSanitizer
counts them under kenshu's device; docs/reliability.md,
"libntfs-3g leak on damaged volumes"):

  size     its $DATA says 16 MiB, one byte more than the mount accepts
           ("Attribute definition table is too big"): inode and attribute
           lost, 1,248 bytes
  runs     its $DATA's one run starts 2^20 clusters in, far past the end of
           the volume: the read fails, and its mapped runlist is lost too,
           5,344 bytes
  nodata   its $DATA is retyped $LOGGED_UTILITY_STREAM (still the last
           attribute, so the record stays in order): there is no $DATA to
           open, the inode is lost, 1,160 bytes

Everything the mount reads before $AttrDef ($MFT, $MFTMirr, $Bitmap,
$UpCase, $Volume) is left intact, so the mount does reach $AttrDef. The
volume is made by mkntfs (MIB MiB, default 8) and damaged in place; MFT
record 4 ($AttrDef) is not among the records $MFTMirr copies on a volume of
4 KiB clusters, so the mirror still matches. No fix-up sector end is
touched (the fields are in the record's first 512 bytes).
"""
import struct
import subprocess
import sys

FILE_ATTRDEF = 4
AT_DATA = 0x80
AT_LOGGED_UTILITY_STREAM = 0x100
AT_END = 0xFFFFFFFF


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[2] not in ('size', 'runs', 'nodata'):
        sys.exit(__doc__.split('\n', 1)[0])
    out, mode = sys.argv[1], sys.argv[2]
    mib = int(sys.argv[3]) if len(sys.argv) == 4 else 8
    with open(out, 'wb') as f:
        f.truncate(mib << 20)
    subprocess.run(['/usr/sbin/mkntfs', '-F', '-Q', '-q', out], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out, 'r+b') as f:
        bs = f.read(512)
        bps, spc = struct.unpack('<HB', bs[11:14])
        mft_lcn, = struct.unpack('<Q', bs[0x30:0x38])
        per = struct.unpack('<b', bs[0x40:0x41])[0]
        cluster = bps * spc
        rec_size = per * cluster if per > 0 else 1 << -per
        rec = mft_lcn * cluster + FILE_ATTRDEF * rec_size
        f.seek(rec)
        r = f.read(rec_size)
        if r[:4] != b'FILE':
            sys.exit(f'{out}: MFT record {FILE_ATTRDEF} is not a file record')
        p, = struct.unpack('<H', r[0x14:0x16])
        while True:
            atype, alen = struct.unpack('<II', r[p:p + 8])
            if atype == AT_END or alen == 0:
                sys.exit(f'{out}: $AttrDef has no $DATA attribute')
            if atype == AT_DATA:
                break
            p += alen
        if r[p + 8] != 1 or r[p + 9] != 0:
            sys.exit(f'{out}: $AttrDef/$DATA is not an unnamed non-resident attribute')
        a = rec + p
        if mode == 'size':
            # data_size (at 0x30) only: allocated and initialized stay.
            f.seek(a + 0x30)
            f.write(struct.pack('<Q', 0x1000000))
        elif mode == 'runs':
            runs, = struct.unpack('<H', r[p + 0x20:p + 0x22])
            if alen - runs < 6:
                sys.exit(f'{out}: no room for the new mapping pairs')
            # One run of one cluster (length in 1 byte) at LCN 0x100000
            # (3 bytes), then the terminator.
            f.seek(a + runs)
            f.write(bytes([0x31, 0x01, 0x00, 0x00, 0x10, 0x00]))
        else:
            # Not a name: ntfs_attr_open(..., AT_UNNAMED, 0) takes a named
            # $DATA too. A type after $DATA's keeps the order lookups rely on.
            f.seek(a)
            f.write(struct.pack('<I', AT_LOGGED_UTILITY_STREAM))


if __name__ == '__main__':
    main()

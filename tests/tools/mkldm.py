#!/usr/bin/env python3
"""mkldm.py DISK VOLFILE - makes DISK a Windows dynamic disk holding VOLFILE.

DISK is an existing image file (its size is kept); it becomes an MBR
dynamic disk as Windows writes one: one partition of type 0x42 from
sector 2048 to the end, the PRIVHEAD in sector 6, and the LDM database
(TOCBLOCK, VMDB and its VBLK records) in the last MiB. The database holds
one disk group, one disk and one volume, "Volume1", made of VOLFILE's bytes
(an NTFS volume, a whole number of MiB) as two extents in reverse order on
the disk, as extending a volume leaves it: it can be read only by
assembling it (libldm, in libguestfs's appliance), not at any one offset.

The layout follows libldm's reader (src/ldm.c: struct _privhead, _tocblock,
_vmdb, _vblk_head, and the _parse_vblk_* functions), which is what
libguestfs uses; `ldmtool scan DISK` checks the result without root. All
numbers are big-endian, as LDM stores them.
"""
import struct
import sys
import uuid as uuidlib

SECTOR = 512
DATA_START = 2048                 # sectors: the 0x42 partition and the data area
DB_SECTORS = 2048                 # the LDM database: the disk's last MiB
TOC_SECTOR = 2                    # TOCBLOCK, in sectors from the database's start
VMDB_SECTOR = 17                  # the "config" area, where the VMDB starts
VBLK_SIZE = 128
VBLK_FIRST = 512                  # bytes from the VMDB to the first VBLK
NAMESPACE = uuidlib.UUID('7d4d3c2b-1a09-4f8e-9d6c-5b4a39281706')


def guid(name):
    """A stable GUID per name: the same database on every build."""
    return uuidlib.uuid5(NAMESPACE, name)


def var_int(n):
    """A variable-length number: its byte count, then big-endian bytes."""
    b = n.to_bytes(max(1, (n.bit_length() + 7) // 8), 'big')
    return bytes([len(b)]) + b


def var_str(s):
    b = s.encode()
    return bytes([len(b)]) + b


def vblk(seq, record_id, rtype, revision, body, flags=0):
    """One 128-byte VBLK holding a whole record (entry 0 of 1)."""
    head = b'VBLK' + struct.pack('>IIHH', seq, record_id, 0, 1)
    rec = struct.pack('>HBBI', 0, flags, (revision << 4) | rtype, len(body)) + body
    out = head + rec
    if len(out) > VBLK_SIZE:
        sys.exit(f'mkldm: record {record_id} does not fit in one VBLK')
    return out + bytes(VBLK_SIZE - len(out))


def main(argv):
    if len(argv) != 3:
        sys.exit('usage: mkldm.py DISK VOLFILE')
    disk, volfile = argv[1], argv[2]
    vol = open(volfile, 'rb').read()
    with open(disk, 'rb') as f:
        f.seek(0, 2)
        total = f.tell() // SECTOR
    vol_sectors = len(vol) // SECTOR
    data_sectors = total - DATA_START - DB_SECTORS
    if len(vol) % (1 << 20) or vol_sectors > data_sectors:
        sys.exit('mkldm: the volume must be whole MiB and fit before the database')
    db_start = total - DB_SECTORS
    dg_name, disk_name, vol_name = 'WIN-VENDOR-Dg0', 'Disk1', 'Volume1'
    dg_guid, disk_guid, host_guid = guid('dg'), guid('disk'), guid('host')

    # Volume1's two extents: its first half after its second on the disk.
    first = vol_sectors // 2 + 2048
    second = vol_sectors - first
    extents = [  # (name, start in the data area, offset in the volume, size)
        ('Disk1-01', second, 0, first),
        ('Disk1-02', 0, first, second),
    ]

    # Object ids: disk group 1, disk 2, volume 3, component 4, partitions 5, 6.
    seq = 1
    blocks = []
    blocks.append(vblk(seq, 1, 5, 4, var_int(1) + var_str(dg_name) +
                       var_str(str(dg_guid)) + bytes(8)))
    blocks.append(vblk(seq, 2, 4, 4, var_int(2) + var_str(disk_name) + disk_guid.bytes +
                       bytes(16)))
    # Volume: id, name, "gen", an unknown string, 14 bytes of state, type 3
    # (gen), unknown, volume number, 3 zeros, flags, children, commit id,
    # id, size in sectors, 4 zeros, partition type (NTFS), volume GUID.
    blocks.append(vblk(seq, 3, 1, 5, var_int(3) + var_str(vol_name) + var_str('gen') +
                       var_str('8000000000000000') + b'ACTIVE'.ljust(14, b'\0') +
                       bytes([3, 0, 1]) + bytes(3) + bytes([0]) + var_int(1) +
                       bytes(8) + bytes(8) + var_int(vol_sectors) + bytes(4) +
                       bytes([0x07]) + guid('volume').bytes))
    # Component: id, name, state, type 2 (spanned: extents one after the
    # other), 4 zeros, partitions, commit id, 8 zeros, parent volume, 0.
    blocks.append(vblk(seq, 4, 2, 3, var_int(4) + var_str('Volume1-01') + var_str('ACTIVE') +
                       bytes([2]) + bytes(4) + var_int(len(extents)) + bytes(8) + bytes(8) +
                       var_int(3) + bytes(1)))
    # Partitions: id, name, 4 zeros, commit id, start (in the data area),
    # offset in the volume, size, parent component, disk, and (flag 0x08)
    # their order in the component.
    for i, (name, start, voff, size) in enumerate(extents):
        blocks.append(vblk(seq, 5 + i, 3, 3, var_int(5 + i) + var_str(name) + bytes(4) +
                           bytes(8) + struct.pack('>QQ', start, voff) + var_int(size) +
                           var_int(4) + var_int(2) + var_int(i), flags=0x08))

    vmdb = (b'VMDB' + struct.pack('>III', 4 + len(blocks), VBLK_SIZE, VBLK_FIRST) +
            struct.pack('>HHH', 1, 4, 10) + dg_name.encode().ljust(31, b'\0') +
            str(dg_guid).encode().ljust(64, b'\0') + struct.pack('>QQ', seq, seq) +
            struct.pack('>IIII', 1, 1, len(extents), 1) + bytes(12) + bytes(16) + bytes(12) +
            bytes(8))
    vmdb = vmdb.ljust(VBLK_FIRST, b'\0') + b''.join(blocks)

    def bitmap(name, start, size):
        return name.ljust(8, b'\0') + struct.pack('>HQQQ', 0, start, size, 0)
    toc = (b'TOCBLOCK' + struct.pack('>I', 1) + bytes(4) + struct.pack('>I', 0) + bytes(16) +
           bitmap(b'config', VMDB_SECTOR, 1472) + bitmap(b'log', VMDB_SECTOR + 1472, 224))

    privhead = (b'PRIVHEAD' + struct.pack('>IHH', 0x2c6f, 2, 12) + bytes(8) +
                struct.pack('>QQQ', 0, 0, 0) +
                str(disk_guid).encode().ljust(64, b'\0') +
                str(host_guid).encode().ljust(64, b'\0') +
                str(dg_guid).encode().ljust(64, b'\0') +
                dg_name.encode().ljust(32, b'\0') + bytes(2) + bytes(9) +
                struct.pack('>QQQQ', DATA_START, data_sectors, db_start, DB_SECTORS) +
                struct.pack('>QQIIQQ', 2, 2048, 1, 1, 1472, 224) +
                struct.pack('>I', 0x4b454e53))

    mbr_entry = struct.pack('<B3sB3sII', 0, b'\0\0\0', 0x42, b'\0\0\0', DATA_START,
                            total - DATA_START)
    with open(disk, 'r+b') as f:
        def put(sector, data):
            f.seek(sector * SECTOR)
            f.write(data)
        f.seek(446)
        f.write(mbr_entry + bytes(48) + b'\x55\xaa')
        put(6, privhead)
        put(db_start, privhead)            # Windows keeps a copy there too
        put(db_start + TOC_SECTOR, toc)
        put(db_start + VMDB_SECTOR, vmdb)
        for name, start, voff, size in extents:
            put(DATA_START + start, vol[voff * SECTOR:(voff + size) * SECTOR])


if __name__ == '__main__':
    main(sys.argv)

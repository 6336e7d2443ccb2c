#!/usr/bin/env python3
"""mkdiffvhd.py OUT SIZE_MIB PARENT [RELATIVE] - a differencing VHD.

Writes OUT as Hyper-V writes a differencing child: the footer copy at byte
0, the dynamic disk header at 512 with the parent's Unicode name (UTF-16
big-endian) and parent locators, an empty block allocation table (every
block unallocated: all data would come from the parent), then the footer.
The parent locators are a W2ku (absolute, PARENT) and, when RELATIVE is
given, a W2ru entry, both UTF-16 little-endian as the specification has
them. Checksums are the one's complement of the byte sums.

Layout: Microsoft "Virtual Hard Disk Image Format Specification" 1.0,
"Hard Disk Footer Format" and "Dynamic Disk Header Format". All numbers
are big-endian.
"""
import struct
import sys
import uuid as uuidlib

SECTOR = 512
BLOCK = 2 << 20
NAMESPACE = uuidlib.UUID('5b0c0d3e-8c1a-4e62-9a47-3f2d6a1b7e90')


def checksum(b):
    return ~sum(b) & 0xFFFFFFFF


def footer(size, dyn_offset, ident):
    f = bytearray(SECTOR)
    f[0:8] = b'conectix'
    struct.pack_into('>IIQI4sII', f, 8, 2, 0x00010000, dyn_offset, 0, b'win ', 0x000A0000, 0x5769326B)
    struct.pack_into('>QQ', f, 40, size, size)
    cyl = min(size // SECTOR // (16 * 63), 65535)
    struct.pack_into('>HBB', f, 56, cyl, 16, 63)
    struct.pack_into('>I', f, 60, 4)             # disk type 4: differencing
    f[68:84] = ident
    struct.pack_into('>I', f, 64, checksum(f))
    return bytes(f)


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__.splitlines()[0])
    out, size, parent = sys.argv[1], int(sys.argv[2]) << 20, sys.argv[3]
    relative = sys.argv[4] if len(sys.argv) == 5 else None
    blocks = size // BLOCK
    bat_offset = 3 * SECTOR
    bat_bytes = (blocks * 4 + SECTOR - 1) // SECTOR * SECTOR
    loc_offset = bat_offset + bat_bytes
    locs = [(b'W2ku', parent)] + ([(b'W2ru', relative)] if relative else [])

    dyn = bytearray(1024)
    dyn[0:8] = b'cxsparse'
    struct.pack_into('>QQIII', dyn, 8, 0xFFFFFFFFFFFFFFFF, bat_offset, 0x00010000, blocks, BLOCK)
    dyn[40:56] = uuidlib.uuid5(NAMESPACE, 'parent:' + parent).bytes
    name = parent.encode('utf-16-be')[:512]
    dyn[64:64 + len(name)] = name
    data = bytearray()
    for i, (code, path) in enumerate(locs):
        raw = path.encode('utf-16-le')
        space = (len(raw) + SECTOR - 1) // SECTOR * SECTOR
        struct.pack_into('>4sIIIQ', dyn, 576 + 24 * i, code, space, len(raw), 0, loc_offset + len(data))
        data += raw + bytes(space - len(raw))
    struct.pack_into('>I', dyn, 36, checksum(dyn))

    foot = footer(size, SECTOR, uuidlib.uuid5(NAMESPACE, 'child:' + out).bytes)
    with open(out, 'wb') as f:
        f.write(foot)
        f.write(dyn)
        f.write(b'\xff' * bat_bytes)             # every block unallocated
        f.write(data)
        f.write(foot)


if __name__ == '__main__':
    main()

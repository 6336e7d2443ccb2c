#!/usr/bin/env python3
"""mkmacrodoc.py KIND OUT [TEXT] -- an Office document written at test
time, so that no macro document sits in the repository.

KIND:
  vba-doc    Word 97-2003 file (OLE2) holding a VBA project with one module
  plain-doc  the same Word file without the VBA project
  docm       Word 2007+ macro-enabled document: a zip whose
             word/vbaProject.bin is the VBA project as an OLE2 file
  docx       the same zip without vbaProject.bin
  xlm-xls    Excel 97-2003 workbook (OLE2) with an Excel 4.0 macro sheet

TEXT (default "kenshu macro fixture") is what the VBA macro's MsgBox
shows. The module source is stored compressed, so TEXT appears in the
file's raw bytes only cut up by the compression's flag bytes: a test can
put a signature's bytes there to check that ClamAV still scans the
decompressed macro source when it also reports the macro heuristic.

ClamAV (CL_SCAN_HEURISTIC_MACROS) reports VBA as
Heuristics.OLE2.ContainsMacros.VBA only when it can follow the project's
"dir" stream (MS-OVBA 2.3.4.2) to a module stream and decompress the
source in it, so the project below is complete in that respect: dir
records in the order MS-OVBA gives, a module stream whose MODULEOFFSET
points at a compressed container, PROJECT and _VBA_PROJECT streams.
Excel 4.0 macros are a BOUNDSHEET record whose sheet type is "macro
sheet" (MS-XLS 2.4.28) in the Workbook stream.

The compound file (MS-CFB) is version 3 with 512-byte sectors; streams
under 4096 bytes live in the mini stream as the format requires.
Everything is deterministic: no times, fixed CLSIDs.
"""
import io
import struct
import sys
import zipfile

SECTOR = 512
MINI = 64
CUTOFF = 4096
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF


def vba_source(text):
    return (
        'Attribute VB_Name = "Module1"\r\n'
        "Sub AutoOpen()\r\n"
        '    MsgBox "%s"\r\n'
        "End Sub\r\n" % text
    ).encode("ascii")


# ---- MS-OVBA 2.4.1: compression -------------------------------------------

def ovba_compress(data):
    """A CompressedContainer made of literal tokens only: valid for any
    decompressor, and simple. One chunk holds at most 4096 bytes of
    compressed data, so at most 455 token sequences of 8 literals."""
    out = bytearray(b"\x01")
    per_chunk = 455 * 8
    for start in range(0, max(len(data), 1), per_chunk):
        piece = data[start:start + per_chunk]
        body = bytearray()
        for i in range(0, len(piece), 8):
            body.append(0)                   # flag byte: 8 literals
            body += piece[i:i + 8]
        header = (len(body) + 2 - 3) | (0b011 << 12) | 0x8000
        out += struct.pack("<H", header) + body
    return bytes(out)


def rec(rid, payload=b""):
    return struct.pack("<HI", rid, len(payload)) + payload


def dir_stream(module="Module1"):
    name = module.encode("ascii")
    uname = module.encode("utf-16-le")
    d = bytearray()
    d += rec(0x0001, struct.pack("<I", 1))          # PROJECTSYSKIND: win32
    d += rec(0x0002, struct.pack("<I", 0x409))      # PROJECTLCID
    d += rec(0x0014, struct.pack("<I", 0x409))      # PROJECTLCIDINVOKE
    d += rec(0x0003, struct.pack("<H", 1252))       # PROJECTCODEPAGE
    d += rec(0x0004, b"Project")                    # PROJECTNAME
    d += rec(0x0005) + rec(0x0040)                  # PROJECTDOCSTRING (+unicode)
    d += rec(0x0006) + rec(0x003D)                  # PROJECTHELPFILEPATH (+2)
    d += rec(0x0007, struct.pack("<I", 0))          # PROJECTHELPCONTEXT
    d += rec(0x0008, struct.pack("<I", 0))          # PROJECTLIBFLAGS
    # PROJECTVERSION: the size field is the reserved 4, yet 6 bytes follow.
    d += struct.pack("<HIIH", 0x0009, 4, 1, 0)
    d += rec(0x000C) + rec(0x003C)                  # PROJECTCONSTANTS (+unicode)
    d += rec(0x000F, struct.pack("<H", 1))          # PROJECTMODULES: one
    d += rec(0x0013, struct.pack("<H", 0xFFFF))     # PROJECTCOOKIE
    d += rec(0x0019, name) + rec(0x0047, uname)     # MODULENAME (+unicode)
    d += rec(0x001A, name) + rec(0x0032, uname)     # MODULESTREAMNAME (+unicode)
    d += rec(0x001C) + rec(0x0048)                  # MODULEDOCSTRING (+unicode)
    d += rec(0x0031, struct.pack("<I", 0))          # MODULEOFFSET: source at 0
    d += rec(0x001E, struct.pack("<I", 0))          # MODULEHELPCONTEXT
    d += rec(0x002C, struct.pack("<H", 0xFFFF))     # MODULECOOKIE
    d += rec(0x0021)                                # MODULETYPE: procedural
    d += rec(0x002B)                                # module terminator
    d += rec(0x0010)                                # dir terminator
    return ovba_compress(bytes(d))


def vba_storage(text):
    """The streams of a VBA project storage (MS-OVBA 2.2)."""
    # _VBA_PROJECT (2.3.4.1): CC 61, version FFFF (no performance cache
    # to trust), reserved bytes.
    vba_project = b"\xcc\x61\xff\xff\x00\x00\x00"
    return [
        ("_VBA_PROJECT", vba_project),
        ("dir", dir_stream()),
        ("Module1", ovba_compress(vba_source(text))),
    ]


PROJECT_STREAM = (
    'ID="{00000000-0000-0000-0000-000000000000}"\r\n'
    "Module=Module1\r\n"
    'Name="Project"\r\n'
    "HelpContextID=\"0\"\r\n"
    'VersionCompatible32="393222000"\r\n'
    'CMG=""\r\nDPB=""\r\nGC=""\r\n\r\n'
    "[Host Extender Info]\r\n"
).encode("ascii")


# ---- MS-CFB: compound file writer ------------------------------------------

class Node:
    def __init__(self, name, data=None, children=None, clsid=b"\0" * 16):
        self.name = name
        self.data = data            # bytes for a stream, None for a storage
        self.children = children or []
        self.clsid = clsid
        self.sid = None


def cfb(children, root_clsid=b"\0" * 16):
    root = Node("Root Entry", None, children, root_clsid)
    nodes = []

    def number(n):
        n.sid = len(nodes)
        nodes.append(n)
        for c in n.children:
            number(c)
    number(root)

    # Streams under the cutoff go to the mini stream (64-byte units).
    mini = bytearray()
    minifat = []
    big = []                        # (node, data) stored in regular sectors
    start = {}
    for n in nodes[1:]:
        if n.data is None:
            continue
        if len(n.data) < CUTOFF:
            if not n.data:
                start[n.sid] = ENDOFCHAIN
                continue
            first = len(mini) // MINI
            count = (len(n.data) + MINI - 1) // MINI
            minifat += [first + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
            start[n.sid] = first
            mini += n.data + b"\0" * (count * MINI - len(n.data))
        else:
            big.append(n)

    def sectors(b):
        return (len(b) + SECTOR - 1) // SECTOR

    dir_bytes = len(nodes) * 128
    minifat_bytes = len(minifat) * 4
    # Lay out: FAT, directory, mini FAT, mini stream, big streams.
    plan = [("dir", sectors(b"\0" * dir_bytes)),
            ("minifat", sectors(b"\0" * minifat_bytes)),
            ("ministream", sectors(mini))]
    plan += [(n, sectors(n.data)) for n in big]
    data_sectors = sum(c for _, c in plan)
    nfat = 1
    while nfat * (SECTOR // 4) < data_sectors + nfat:
        nfat += 1
    if nfat > 109:
        raise SystemExit("mkmacrodoc: too large for a header-only DIFAT")
    fat = [FATSECT] * nfat
    where = {}
    for key, count in plan:
        if count == 0:
            where[key] = ENDOFCHAIN
            continue
        first = len(fat)
        fat += [first + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
        where[key] = first
    fat += [FREESECT] * (nfat * (SECTOR // 4) - len(fat))
    for n in big:
        start[n.sid] = where[n]
    root.start = where["ministream"]

    def entry(n):
        if n is None:
            return (b"\0" * 64 + struct.pack("<HBB", 0, 0, 1) +
                    struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM) +
                    b"\0" * 16 + struct.pack("<IQQIQ", 0, 0, 0, 0, 0))
        name = n.name.encode("utf-16-le") + b"\0\0"
        kind = 5 if n is root else (1 if n.data is None else 2)
        # Siblings as a chain through the right pointer, all black: a
        # degenerate but valid red-black tree.
        child = n.children[0].sid if n.children else NOSTREAM
        right = NOSTREAM
        parent = next((p for p in nodes if n in p.children), None)
        if parent is not None:
            i = parent.children.index(n)
            if i + 1 < len(parent.children):
                right = parent.children[i + 1].sid
        if n is root:
            first, size = root.start, len(mini)
        elif n.data is None:
            first, size = 0, 0
        else:
            first, size = start[n.sid], len(n.data)
        return (name.ljust(64, b"\0") + struct.pack("<HBB", len(name), kind, 1) +
                struct.pack("<III", NOSTREAM, right, child) + n.clsid +
                struct.pack("<IQQIQ", 0, 0, 0, first, size))

    directory = b"".join(entry(n) for n in nodes)
    directory += entry(None) * ((-len(nodes)) % (SECTOR // 128))
    minifat_b = b"".join(struct.pack("<I", x) for x in minifat)
    minifat_b += struct.pack("<I", FREESECT) * ((-len(minifat)) % (SECTOR // 4))

    difat = list(range(nfat)) + [FREESECT] * (109 - nfat)
    nminifat = sectors(minifat_b) if minifat else 0
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 +
              struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6 +
              struct.pack("<IIIIIIIII",
                          0,                   # directory sectors: 0 in version 3
                          nfat, where["dir"],
                          0,                   # transaction signature
                          CUTOFF,
                          where["minifat"] if minifat else ENDOFCHAIN, nminifat,
                          ENDOFCHAIN, 0) +     # no DIFAT sectors beyond the header
              b"".join(struct.pack("<I", x) for x in difat))
    assert len(header) == SECTOR

    def pad(b):
        return bytes(b) + b"\0" * ((-len(b)) % SECTOR)

    out = bytearray(header)
    out += b"".join(struct.pack("<I", x) for x in fat)
    out += pad(directory) + pad(minifat_b) + pad(mini)
    for n in big:
        out += pad(n.data)
    return bytes(out)


# ---- documents ----------------------------------------------------------------

WORD_CLSID = bytes.fromhex("0609020000000000c000000000000046")
EXCEL_CLSID = bytes.fromhex("2008020000000000c000000000000046")


def fib():
    """A WordDocument stream beginning like a real FIB (wIdent 0xA5EC,
    nFib 0x00C1), padded past the mini-stream cutoff like Word's own."""
    head = struct.pack("<HHHH", 0xA5EC, 0x00C1, 0, 0x0409)
    text = b"kenshu fixture document".ljust(64, b" ")
    return (head + text).ljust(CUTOFF + 512, b"\0")


def word_doc(with_vba, text):
    children = [Node("WordDocument", fib()), Node("1Table", b"\0" * 1024)]
    if with_vba:
        children.append(Node("Macros", None, [
            Node("PROJECT", PROJECT_STREAM),
            Node("VBA", None, [Node(n, d) for n, d in vba_storage(text)]),
        ]))
    return cfb(children, WORD_CLSID)


def vba_project_bin(text):
    """word/vbaProject.bin: the project storage is the file's root."""
    return cfb([Node("PROJECT", PROJECT_STREAM),
                Node("VBA", None, [Node(n, d) for n, d in vba_storage(text)])])


def biff(rtype, payload=b""):
    return struct.pack("<HH", rtype, len(payload)) + payload


def xlm_xls():
    """A Workbook stream: globals with one worksheet and one Excel 4.0
    macro sheet (BOUNDSHEET hsState 0, dt 1), then their substreams."""
    def bof(dt):
        return biff(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0x0DBB, 0x07CC, 0, 0x0006))

    def boundsheet(pos, dt, name):
        n = name.encode("latin-1")
        return biff(0x0085, struct.pack("<IBB", pos, 0, dt) + struct.pack("<BB", len(n), 0) + n)

    glob_fixed = bof(0x0005) + biff(0x0042, struct.pack("<H", 1252))
    names = [(0x00, "Sheet1"), (0x01, "Macro1")]
    sheets_len = sum(len(boundsheet(0, dt, nm)) for dt, nm in names)
    eof = biff(0x000A)
    pos = len(glob_fixed) + sheets_len + len(eof)
    sheet_streams = []
    bsheets = b""
    for dt, nm in names:
        sub = bof(0x0010 if dt == 0 else 0x0040) + biff(0x0200, struct.pack("<IIHHH", 0, 1, 0, 1, 0))
        if dt == 1:
            # FORMULA in A1: =HALT() (ptgFunc 0x21, iftab 0x0036).
            expr = struct.pack("<BH", 0x21, 0x0036)
            sub += biff(0x0006, struct.pack("<HHH", 0, 0, 15) + b"\0" * 8 +
                        struct.pack("<HIH", 0, 0, len(expr)) + expr)
        sub += eof
        bsheets += boundsheet(pos, dt, nm)
        sheet_streams.append(sub)
        pos += len(sub)
    workbook = glob_fixed + bsheets + eof + b"".join(sheet_streams)
    return cfb([Node("Workbook", workbook.ljust(CUTOFF, b"\0"))], EXCEL_CLSID)


CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
{bin}<Override PartName="/word/document.xml" ContentType="application/vnd.{main}"/>
</Types>
"""
RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>
"""
DOC_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>
</Relationships>
"""
DOCUMENT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>kenshu fixture document</w:t></w:r></w:p></w:body>
</w:document>
"""


def ooxml(with_vba, text):
    buf = io.BytesIO()
    fixed = (1980, 1, 1, 0, 0, 0)
    if with_vba:
        main = "ms-word.document.macroEnabled.main+xml"
        binline = ('<Default Extension="bin" '
                   'ContentType="application/vnd.ms-office.vbaProject"/>\n')
    else:
        main = "openxmlformats-officedocument.wordprocessingml.document.main+xml"
        binline = ""
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        def put(name, data):
            z.writestr(zipfile.ZipInfo(name, fixed), data)
        put("[Content_Types].xml", CONTENT_TYPES.format(bin=binline, main=main))
        put("_rels/.rels", RELS)
        put("word/document.xml", DOCUMENT)
        if with_vba:
            put("word/_rels/document.xml.rels", DOC_RELS)
            put("word/vbaProject.bin", vba_project_bin(text))
    return buf.getvalue()


KINDS = {
    "vba-doc": lambda text: word_doc(True, text),
    "plain-doc": lambda text: word_doc(False, text),
    "docm": lambda text: ooxml(True, text),
    "docx": lambda text: ooxml(False, text),
    "xlm-xls": lambda text: xlm_xls(),
}


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in KINDS:
        sys.stderr.write("usage: mkmacrodoc.py {%s} OUT [TEXT]\n" % ",".join(KINDS))
        return 2
    text = sys.argv[3] if len(sys.argv) == 4 else "kenshu macro fixture"
    if not text.isascii() or not text.isprintable() or '"' in text:
        sys.stderr.write("mkmacrodoc.py: TEXT must be printable ASCII without '\"'\n")
        return 2
    data = KINDS[sys.argv[1]](text)
    with open(sys.argv[2], "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""bench/yararules.py DIR N [SEED] - N YARA rules shaped like published ones.

Writes DIR/set-KK.yar (50 rules a file) for `make bench`'s YARA runs. The
rules are seeded, so every run loads the same set. Their shapes follow what
CERT and ISAC feeds publish, because the cost of a rule set is in its shape
(atoms YARA can index, how often they hit, regular expressions, module
calls), not in its count:

  * text strings, ascii/wide/nocase, "N of them" (the commonest form);
  * hex strings with wildcards and jumps ([2-8]);
  * `import "pe"` conditions: the MZ check, an import, a section name,
    the number of sections;
  * `math.entropy` over a packed section or the first KB;
  * `hash.md5` of the header (fixed-offset hash rules);
  * a few regular expressions (URLs, paths), which YARA cannot index as well;
  * common words beside rare ones ("kernel32.dll", "cmd.exe /c",
    "http://"): their atoms hit in many real files, so the rule set does the
    work a real one does before its conditions fail.

The random parts make sure no rule matches the benchmark files by chance:
the run measures the cost of looking, and the detections stay comparable to
clamscan's.
"""
import os
import random
import sys

COMMON = [
    "kernel32.dll", "VirtualAlloc", "CreateRemoteThread", "cmd.exe /c", "http://",
    "https://", "powershell", "WScript.Shell", "\\System32\\", "CurrentVersion\\Run",
    "GetProcAddress", "LoadLibraryA", "This program cannot be run", "MZ", ".text",
    "User-Agent:", "Mozilla/5.0", "schtasks", "rundll32", "regsvr32",
]
IMPORTS = [
    ("kernel32.dll", "VirtualAllocEx"), ("kernel32.dll", "WriteProcessMemory"),
    ("advapi32.dll", "RegSetValueExA"), ("wininet.dll", "InternetOpenUrlA"),
    ("ws2_32.dll", "WSAStartup"), ("user32.dll", "SetWindowsHookExA"),
    ("ntdll.dll", "NtUnmapViewOfSection"), ("crypt32.dll", "CryptUnprotectData"),
]
SECTIONS = [".text", ".rdata", ".data", ".rsrc", ".reloc", "UPX0", "UPX1", ".vmp0", ".themida", ".aspack"]


def rand_text(rng, lo=8, hi=20):
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def rand_hex(rng):
    parts = []
    for _ in range(rng.randint(3, 6)):
        parts.append(" ".join("%02X" % rng.randrange(256) for _ in range(rng.randint(3, 6))))
        r = rng.random()
        if r < 0.3:
            parts.append("[%d-%d]" % (rng.randint(1, 4), rng.randint(5, 12)))
        elif r < 0.6:
            parts.append("??")
    if parts[-1].startswith("[") or parts[-1] == "??":
        parts.append("%02X %02X" % (rng.randrange(256), rng.randrange(256)))
    return "{ " + " ".join(parts) + " }"


def esc(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def rule(rng, i):
    kind = rng.choices(["text", "hex", "pe", "entropy", "hash", "regex"], [40, 25, 17, 8, 5, 5])[0]
    name = "bench_%s_%04d" % (kind, i)
    meta = ['author = "kenshu bench"', 'reference = "https://example.invalid/bench/%d"' % i,
            'date = "2026-%02d-%02d"' % (rng.randint(1, 12), rng.randint(1, 28))]
    strings, cond, imports = [], "", set()
    if kind == "text":
        n = rng.randint(2, 5)
        for k in range(n):
            mods = rng.choice(["ascii", "wide", "ascii wide", "nocase", "ascii wide nocase"])
            strings.append('$s%d = "%s" %s' % (k, esc(rand_text(rng)), mods))
        if rng.random() < 0.5:
            strings.append('$c0 = "%s" ascii wide nocase' % esc(rng.choice(COMMON)))
            cond = "$c0 and %d of ($s*)" % rng.randint(1, n)
        else:
            cond = "%d of them" % rng.randint(2, n)
        if rng.random() < 0.4:
            cond = "filesize < %dKB and (%s)" % (rng.choice([200, 500, 2000, 10000]), cond)
    elif kind == "hex":
        n = rng.randint(1, 3)
        for k in range(n):
            strings.append("$h%d = %s" % (k, rand_hex(rng)))
        cond = "uint16(0) == 0x5A4D and %s" % ("any of them" if rng.random() < 0.5 else "all of them")
    elif kind == "pe":
        imports.add("pe")
        dll, fn = rng.choice(IMPORTS)
        strings.append('$s0 = "%s" ascii wide' % esc(rand_text(rng)))
        strings.append('$c0 = "%s" ascii' % esc(rng.choice(COMMON)))
        parts = ["uint16(0) == 0x5A4D", 'pe.imports("%s", "%s")' % (dll, fn), "$s0"]
        if rng.random() < 0.5:
            parts.insert(2, "for any s in pe.sections : ( s.name == \"%s\" )" % rng.choice(SECTIONS))
        if rng.random() < 0.3:
            parts.insert(1, "pe.number_of_sections > %d" % rng.randint(2, 6))
        cond = " and ".join(parts) + " and $c0"
    elif kind == "entropy":
        imports.update(["pe", "math"])
        strings.append('$s0 = "%s" ascii' % esc(rand_text(rng)))
        if rng.random() < 0.5:
            cond = ("uint16(0) == 0x5A4D and $s0 and for any s in pe.sections : "
                    "( math.entropy(s.raw_data_offset, s.raw_data_size) > 7.%d )" % rng.randint(2, 8))
        else:
            cond = "$s0 and math.entropy(0, 1024) > 7.%d" % rng.randint(0, 8)
    elif kind == "hash":
        imports.add("hash")
        digest = "%032x" % rng.getrandbits(128)
        cond = 'filesize > 1KB and filesize < 4MB and hash.md5(0, %d) == "%s"' % (rng.choice([64, 256, 1024]), digest)
    else:
        strings.append('$r0 = /https?:\\/\\/[a-z0-9.\\-]{4,40}\\/%s[a-z0-9]{2,8}\\.(php|aspx|jsp)/ nocase'
                       % rand_text(rng, 4, 8).replace(".", "").replace("/", "").replace("-", ""))
        strings.append('$s0 = "%s" ascii wide' % esc(rand_text(rng)))
        cond = "all of them"
    tags = " : " + " ".join(rng.sample(["apt", "crimeware", "loader", "persistence", "miner", "stealer"], 2)) \
        if rng.random() < 0.6 else ""
    text = "rule %s%s\n{\n    meta:\n" % (name, tags)
    text += "".join("        %s\n" % m for m in meta)
    if strings:
        text += "    strings:\n" + "".join("        %s\n" % s for s in strings)
    text += "    condition:\n        %s\n}\n" % cond
    return text, imports


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: yararules.py DIR N [SEED]")
    out, n = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) == 4 else 20261208)
    os.makedirs(out, exist_ok=True)
    per_file = 50
    for f in range((n + per_file - 1) // per_file):
        rules, imports = [], set()
        for i in range(f * per_file, min(n, (f + 1) * per_file)):
            text, imp = rule(rng, i)
            rules.append(text)
            imports |= imp
        with open(os.path.join(out, "set-%02d.yar" % f), "w") as fh:
            fh.write("".join('import "%s"\n' % m for m in sorted(imports)) + "\n" + "\n".join(rules))


if __name__ == "__main__":
    main()

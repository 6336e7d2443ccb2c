#!/usr/bin/env python3
"""check-layout.py — the tree keeps the shape docs/architecture.md draws.

Prints one TAP line per check (run-all.sh counts them):
  * the include graph of scanner/ and include/kenshu/ has no cycle;
  * every include follows the stage table below (no include up the
    pipeline: artifacts including report, volume including report, output
    including av...), and a stage's internal header stays in its stage;
  * at most one internal header per stage;
  * outside scanner/cli/ no code prints to stdout or stderr, exits, parses
    options or dies (the one exception: core/fatal.c, the documented
    out-of-memory and BUG() abort);
  * no file of scanner/ or include/ is over 800 lines.

Run from the top of the tree: tests/check-layout.py
"""
import os
import re
import sys

# The stages and whom each may include (directly). The order of this table
# is the pipeline's; docs/architecture.md shows the same table.
ALLOWED = {
    'core': set(),
    'artifacts': {'core'},
    'image': {'core'},
    'volume': {'core', 'image'},
    'av': {'core'},
    'trust': {'core'},
    'windows': {'core', 'artifacts', 'volume', 'trust'},
    'evidence': {'core', 'artifacts', 'volume', 'windows'},
    'profile': {'core', 'av'},
    'report': {'core', 'image', 'windows', 'evidence', 'profile', 'trust'},
    'drift': {'core', 'report'},
    'policy': {'core', 'av', 'evidence', 'profile', 'report', 'trust'},   # av: the IOC feeds' indicators
    'scan': {'core', 'artifacts', 'image', 'volume', 'av', 'trust', 'windows', 'evidence', 'profile', 'report', 'drift', 'policy'},
    'input': {'core', 'av', 'profile', 'report', 'scan'},   # profile: the YARA rule sets
    'output': {'core', 'artifacts', 'trust', 'windows', 'evidence', 'profile', 'report', 'input'},
    'fleet': {'core', 'profile', 'report', 'drift', 'output'},
    'cli': {'core', 'image', 'volume', 'av', 'trust', 'profile', 'report', 'drift', 'policy', 'scan', 'input', 'output', 'fleet'},
}
# Headers every stage may include: vocabulary, not a stage.
SHARED = {'version.h', 'rules.h', 'banned.h'}
# Printing, exiting and option parsing belong to cli/ alone.
CLI_ONLY = [
    (re.compile(r'\b(printf|puts|putchar|perror|vprintf)\s*\('), 'prints to stdout/stderr'),
    (re.compile(r'\b(stdout|stderr)\b'), 'names stdout/stderr'),
    (re.compile(r'(?<![_\w])(exit|_Exit|quick_exit)\s*\('), 'exits'),
    (re.compile(r'\bgetopt(_long)?\b'), 'parses options'),
    (re.compile(r'\b(die|warning)\s*\('), 'dies or warns'),
]
CLI_ONLY_EXCEPTIONS = {'scanner/core/fatal.c'}
MAX_LINES = 800

results = []


def check(ok, what, details=()):
    results.append((ok, what, list(details)))


def stage_of(path):
    parts = path.split('/')
    if parts[0] == 'scanner' and len(parts) == 3:
        return parts[1]
    if parts[0] == 'include':
        name = parts[-1]
        if name in SHARED:
            return None
        return name[:-2]
    raise SystemExit(f'check-layout: {path}: not in a stage folder')


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), text, flags=re.S)
    text = re.sub(r'//[^\n]*', '', text)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', text)


files = []
for root, dirs, names in os.walk('scanner'):
    dirs.sort()
    for n in sorted(names):
        if n.endswith(('.c', '.h')):
            files.append(os.path.join(root, n))
stray = [f for f in files if f.count('/') != 2]
check(not stray, 'every source file sits in a stage folder', stray)
files = [f for f in files if f.count('/') == 2]
unknown = sorted({stage_of(f) for f in files} - set(ALLOWED))
check(not unknown, 'every stage folder is in the stage table', unknown)
headers = sorted('include/kenshu/' + n for n in os.listdir('include/kenshu') if n.endswith('.h'))
unknown = [h for h in headers if stage_of(h) is not None and stage_of(h) not in ALLOWED]
check(not unknown, 'every public header is one stage\'s or a shared one', unknown)
files += headers

# The include graph.
edges = {}
for f in files:
    text = open(f, encoding='utf-8').read()
    out = []
    for m in re.finditer(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]', text, re.M):
        kind, name = m.groups()
        if kind == '<' and name.startswith('kenshu/'):
            out.append('include/' + name)
        elif kind == '"':
            target = os.path.normpath(os.path.join(os.path.dirname(f), name))
            if os.path.exists(target):
                out.append(target)
    edges[f] = out

missing = [f'{f} includes {t}' for f in edges for t in edges[f] if t not in edges]
check(not missing, 'every kenshu include names a file of the tree', missing)

# Cycles: depth-first search with colours.
cycles = []
colour = {}


def visit(n, stack):
    colour[n] = 1
    stack.append(n)
    for t in edges.get(n, []):
        if colour.get(t) == 1:
            cycles.append(' -> '.join(stack[stack.index(t):] + [t]))
        elif t in edges and not colour.get(t):
            visit(t, stack)
    stack.pop()
    colour[n] = 2


for f in sorted(edges):
    if not colour.get(f):
        visit(f, [])
check(not cycles, 'the include graph has no cycle', cycles)

bad = []
for f, ts in sorted(edges.items()):
    s = stage_of(f)
    for t in ts:
        ts_ = stage_of(t)
        internal = t.startswith('scanner/')
        if internal and ts_ != s:
            bad.append(f'{f} includes {t}: another stage\'s internal header')
        elif ts_ is None or ts_ == s:
            continue
        elif s is None:
            bad.append(f'{f}: a shared header includes the {ts_} stage')
        elif ts_ not in ALLOWED[s]:
            bad.append(f'{f} ({s}) includes {t}: {s} may include only {", ".join(sorted(ALLOWED[s])) or "nothing"}')
check(not bad, 'every include follows the stage table (none points up the pipeline)', bad)

internals = {}
for f in files:
    if f.startswith('scanner/') and f.endswith('.h'):
        internals.setdefault(stage_of(f), []).append(f)
many = [f'{s}: {", ".join(v)}' for s, v in sorted(internals.items()) if len(v) > 1]
check(not many, 'at most one internal header per stage', many)

# cli/ alone prints, exits and parses options.
found = []
for f in files:
    if not f.startswith('scanner/') or stage_of(f) == 'cli' or f in CLI_ONLY_EXCEPTIONS:
        continue
    lines = strip_comments(open(f, encoding='utf-8').read()).split('\n')
    for i, line in enumerate(lines, 1):
        for rx, what in CLI_ONLY:
            if rx.search(line):
                found.append(f'{f}:{i}: {what}: {line.strip()}')
check(not found, 'only cli/ prints to stdout/stderr, exits, parses options or dies', found)

long_files = []
for f in files + sorted('include/kenshu/' + n for n in os.listdir('include/kenshu') if n.endswith('.h')):
    n = open(f, encoding='utf-8').read().count('\n')
    if n > MAX_LINES:
        long_files.append(f'{f}: {n} lines')
check(not sorted(set(long_files)), f'no file of scanner/ or include/ is over {MAX_LINES} lines', sorted(set(long_files)))

failed = 0
for ok, what, details in results:
    print(('ok' if ok else 'not ok') + ' - layout: ' + what)
    if not ok:
        failed += 1
        for d in details[:40]:
            print('#   ' + d)
        if len(details) > 40:
            print(f'#   ... and {len(details) - 40} more')
sys.exit(1 if failed else 0)

#!/usr/bin/env python3
"""bench/bigdb.py DIR NDB HSB -- a synthetic, seeded ClamAV database in DIR:
NDB random body signatures (20-40 bytes; every other one with a "??"
wildcard byte in the middle, so both of libclamav's matchers, Boyer-Moore
and Aho-Corasick, get half) as bench-big.ndb and HSB random SHA-256 hashes
with random sizes (1 KiB - 8 MiB) as bench-big.hsb. The same files every
run; no random signature can plausibly match real data. Used by
bench/run.sh (BENCH_BIGDB) and bench/fleet.sh (an engine that takes
seconds to load, as the official databases do)."""
import random
import sys

d, nndb, nhsb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(20261127)
with open(d + "/bench-big.ndb", "w") as f:
    for i in range(nndb):
        h = rnd.randbytes(rnd.randint(20, 40)).hex()
        if i % 2:
            m = len(h) // 4 * 2
            h = h[:m] + "??" + h[m + 2:]
        f.write("Kenshu.Bench.Body.%d:0:*:%s\n" % (i, h))
with open(d + "/bench-big.hsb", "w") as f:
    for i in range(nhsb):
        f.write("%s:%d:Kenshu.Bench.Hash.%d:73\n" % (rnd.randbytes(32).hex(), rnd.randint(1024, 8 << 20), i))

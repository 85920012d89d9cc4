"""Checks memlayout's layout model (harness/lib/layout.c) against NumPy's flags.

Reads the triples and model verdicts that tests/test_layout_numpy prints
(header "memlayout-layout 1 <count>", then one
"itemsize c f ndim shape... strides..." line each), builds each layout with
as_strided over a one-item buffer (nothing is read, so any strides are safe)
and compares NumPy's C/F contiguity flags with the model's.

    test_layout_numpy 100000 | /usr/bin/python3 tests/layout_numpy.py [--chunk N]
    /usr/bin/python3 tests/layout_numpy.py [--chunk N] FILE

Each chunk of triples is one test; one more test asserts that C-only,
F-only, both and neither each make up a real share of the triples, so the
comparison cannot pass by only seeing easy cases. Prints
"layout-numpy: N passed, N failed" last and exits 1 on any failure.
"""
import sys

import numpy as np
from numpy.lib.stride_tricks import as_strided

CHUNK = 1000
MIN_SHARE = 0.05          # of the triples, for each of the four outcomes
SHOW = 5                  # mismatches printed


def open_input(argv, default_chunk):
    """(chunk, input) from "[--chunk N] [FILE]"; stdin without FILE."""
    chunk = default_chunk
    args = list(argv)
    if len(args) >= 2 and args[0] == "--chunk":
        chunk = int(args[1])
        args = args[2:]
    return chunk, (open(args[0]) if args else sys.stdin)


def read_header(src, magic, suite):
    """The count a "<magic> 1 <count>" header announces, or None (said on stderr)."""
    header = src.readline().split()
    if header[:2] != [magic, "1"] or len(header) != 3:
        print("%s: bad header %r" % (suite, " ".join(header)), file=sys.stderr)
        return None
    return int(header[2])


class Tally:
    """Tests passed and failed: one per chunk of items, plus any added."""

    def __init__(self, chunk):
        self.chunk, self.n, self.bad = chunk, 0, False
        self.passed = self.failed = 0

    def add(self, ok):
        self.passed, self.failed = (self.passed + 1, self.failed) if ok else (self.passed, self.failed + 1)

    def item(self, ok):
        """One item checked; closes its chunk when full."""
        self.bad = self.bad or not ok
        self.n += 1
        if self.n % self.chunk == 0:
            self.add(not self.bad)
            self.bad = False

    def close(self):
        if self.n % self.chunk:
            self.add(not self.bad)


def flags_str(c, f):
    return ("C" if c else "-") + ("F" if f else "-")


def main(argv):
    chunk, src = open_input(argv, CHUNK)
    declared = read_header(src, "memlayout-layout", "layout-numpy")
    if declared is None:
        print("layout-numpy: 0 passed, 1 failed")
        return 1

    bases = {}
    outcomes = {"C-": 0, "-F": 0, "CF": 0, "--": 0}
    t = Tally(chunk)
    shown = 0
    for line in src:
        n = t.n
        try:
            v = [int(x) for x in line.split()]
        except ValueError:
            v = []
        if len(v) < 4 or len(v) != 4 + 2 * v[3]:
            print("layout-numpy: line %d malformed: %r" % (n + 2, line), file=sys.stderr)
            print("layout-numpy: %d passed, %d failed" % (t.passed, t.failed + 1))
            return 1
        itemsize, c, f, ndim = v[0:4]
        shape, strides = tuple(v[4:4 + ndim]), tuple(v[4 + ndim:])
        base = bases.get(itemsize)
        if base is None:
            base = bases[itemsize] = np.zeros(1, dtype="V%d" % itemsize)
        a = as_strided(base, shape=shape, strides=strides)
        got = flags_str(a.flags.c_contiguous, a.flags.f_contiguous)
        want = flags_str(c, f)
        outcomes[got] += 1
        if got != want:
            if shown < SHOW:
                shown += 1
                print("  mismatch: shape=%s strides=%s itemsize=%d: numpy %s, model %s"
                      % (shape, strides, itemsize, got, want), file=sys.stderr)
        t.item(got == want)
    t.close()
    n = t.n

    if n != declared:
        print("layout-numpy: %d triples read, %d announced" % (n, declared), file=sys.stderr)
        t.add(False)
    print("layout-numpy: %d triples: C-only %d, F-only %d, both %d, neither %d"
          % (n, outcomes["C-"], outcomes["-F"], outcomes["CF"], outcomes["--"]))
    thin = [k for k, m in outcomes.items() if m < MIN_SHARE * max(n, 1)]
    if thin:
        print("layout-numpy: too few triples with outcome %s" % ", ".join(thin), file=sys.stderr)
    t.add(not thin)
    print("layout-numpy: %d passed, %d failed" % (t.passed, t.failed))
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

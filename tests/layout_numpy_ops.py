"""Checks memlayout's op-level layout model (harness/lib/layout.c) against NumPy.

Reads the cases and model views that `test_layout_numpy --ops` prints (header
"memlayout-layout-ops 1 <count>", then per case a line "case <JSON>" and one
line per view: "ndim itemsize offset c f copy views extent dtype shape... strides..."), builds
each case's backing and applies its ops with the runner's own functions
(harness/python/memlayout_runner.py: build_backing, apply_op), and compares
after the backing and after every op: shape, strides, item size, C/F flags,
whether the memmap still backs the view, the data pointer's offset from
the backing's first element (from the copy's start once an op copied), the
bytes of that memory, the dtype (fields and their offsets); and
which item sizes (1, 2, 4, 8, 16) a.view(dtype) accepts there, NumPy's rule
for re-cutting the last axis (ml_layout_view_rule).

    test_layout_numpy --ops 20000 | /usr/bin/python3 tests/layout_numpy_ops.py [--chunk N]

Each chunk of cases is one test; one more test asserts that every op kind,
and the layouts that are hard to get right (copies, negative and zero
strides, empty views, item size changes after other ops), each make up a real
share of the cases, so the comparison cannot pass by only seeing easy cases.
Prints "layout-numpy-ops: N passed, N failed" last; exits 1 on any failure.
"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "harness", "python"))
import memlayout_reference as reference  # noqa: E402
import memlayout_runner as runner  # noqa: E402
from layout_numpy import Tally, open_input, read_header  # noqa: E402

CHUNK = 500
MIN_OP_SHARE = 0.02       # of the cases, for each op kind
MIN_DTYPE_OP_SHARE = 0.005  # ops that need a structured or complex dtype
MIN_FEATURE_SHARE = 0.01  # of the cases, for each hard layout
SHOW = 8                  # mismatches printed
OPS = ("reshape", "transpose", "swapaxes", "moveaxis", "slice", "index", "newaxis",
       "squeeze", "ravel", "view", "broadcast", "field", "fields", "real", "imag",
       "as_strided", "sliding_window", "diagonal", "flip", "rot90", "asarray")


def _ptr(a):
    return a.__array_interface__["data"][0]


VIEW_SIZES = (1, 2, 4, 8, 16)


def view_mask(a):
    """Bit k set when a.view of an item size 2**k succeeds."""
    mask = 0
    for k, size in enumerate(VIEW_SIZES):
        try:
            a.view("V%d" % size)
            mask |= 1 << k
        except (ValueError, TypeError):
            pass
    return mask


def dtype_token(dt):
    """The model's dtype token: dtype.str, or "struct:" name@offset,..."""
    if dt.names is None:
        return dt.str
    return "struct:" + ",".join("%s@%d" % (n, dt.fields[n][1]) for n in dt.names)


def actual(a):
    """The facts the model predicts, from the real array a."""
    m = reference.backing_memmap(a)
    if m is not None:
        base = m
    else:
        # the copy at the root of the base chain (as_strided's DummyArray included)
        base = a
        while getattr(base, "base", None) is not None:
            base = base.base
    return (a.ndim, a.dtype.itemsize, _ptr(a) - _ptr(base), bool(a.flags.c_contiguous),
            bool(a.flags.f_contiguous), m is None, view_mask(a), base.nbytes,
            dtype_token(a.dtype), tuple(a.shape), tuple(a.strides))


def predicted(line):
    w = line.split()
    if len(w) < 9:
        raise ValueError("malformed view line %r" % line)
    dt = w.pop(8)
    v = [int(x) for x in w]
    nd = v[0]
    if len(v) != 8 + 2 * nd:
        raise ValueError("malformed view line %r" % line)
    return (nd, v[1], v[2], bool(v[3]), bool(v[4]), bool(v[5]), v[6], v[7], dt,
            tuple(v[8:8 + nd]), tuple(v[8 + nd:]))


FIELDS = ("ndim", "itemsize", "offset", "c", "f", "copy", "view sizes", "extent", "dtype",
          "shape", "strides")


def differ(got, want):
    return [f"{k}: numpy {g}, model {w}" for k, g, w in zip(FIELDS, got, want) if g != w]


def features(views, ops):
    """The hard layouts a case reaches (by the real arrays' facts)."""
    seen = set()
    for i, (nd, size, off, c, f, copy, _, _, _, shape, strides) in enumerate(views):
        if copy:
            seen.add("copy")
        if any(s < 0 for n, s in zip(shape, strides) if n > 1):
            seen.add("negative stride")
        if any(s == 0 for n, s in zip(shape, strides) if n > 1):
            seen.add("zero stride")
        if 0 in shape:
            seen.add("empty")
        if not c and not f:
            seen.add("neither C nor F")
        if i >= 2 and ops[i - 1]["op"] == "view" and size != views[i - 1][1]:
            seen.add("item size change after another op")
    return seen


def check_case(c, lines, tmp, n):
    """Mismatch messages for one case (empty when the model is right) and the views."""
    dt = runner._dtype(c["dtype"])
    path = os.path.join(tmp, "case-%d.%s" % (n, "npy" if c["backing"]["source"] == "npy" else "dat"))
    views = []
    try:
        a = runner.build_backing(dt, c["backing"], int(c["seed"]), path)
        steps = [("backing", None)] + [("ops[%d].%s" % (i, op["op"]), op)
                                       for i, op in enumerate(c["ops"])]
        for (where, op), line in zip(steps, lines):
            if op is not None:
                try:
                    a = runner.apply_op(a, op)
                except Exception as e:
                    return ["%s: numpy refuses (%s), the model accepts" % (where, e)], views
                if not isinstance(a, np.ndarray):
                    return ["%s: numpy gives a %s, not an array" % (where, type(a).__name__)], views
            got = actual(a)
            views.append(got)
            bad = differ(got, predicted(line))
            if bad:
                return ["%s: %s" % (where, "; ".join(bad))], views
        return [], views
    finally:
        a = None
        try:
            os.unlink(path)
        except OSError:
            pass


def main(argv):
    chunk, src = open_input(argv, CHUNK)
    declared = read_header(src, "memlayout-layout-ops", "layout-numpy-ops")
    if declared is None:
        print("layout-numpy-ops: 0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="memlayout-layout-ops-")
    t = Tally(chunk)
    shown = 0
    compared = dict.fromkeys(OPS, 0)
    with_op = dict.fromkeys(OPS, 0)
    reached = {}
    try:
        line = src.readline()
        while line:
            if not line.startswith("case "):
                print("layout-numpy-ops: case %d: expected a case line, got %r" % (t.n, line),
                      file=sys.stderr)
                t.add(False)
                break
            c = json.loads(line[5:])
            lines = [src.readline() for _ in range(len(c["ops"]) + 1)]
            bad, views = check_case(c, lines, tmp, t.n)
            for op in c["ops"][:max(len(views) - 1, 0)]:
                compared[op["op"]] += 1
            for name in {op["op"] for op in c["ops"]}:
                with_op[name] += 1
            for f in features(views, c["ops"]):
                reached[f] = reached.get(f, 0) + 1
            if bad and shown < SHOW:
                shown += 1
                print("  mismatch in case %d %s\n    %s" % (t.n, line[5:].strip(), "\n    ".join(bad)),
                      file=sys.stderr)
            t.item(not bad)
            line = src.readline()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t.close()
    n = t.n

    if n != declared:
        print("layout-numpy-ops: %d cases read, %d announced" % (n, declared), file=sys.stderr)
        t.add(False)
    print("layout-numpy-ops: %d cases on NumPy %s, %d ops compared: %s"
          % (n, np.__version__, sum(compared.values()),
             ", ".join("%s %d" % kv for kv in compared.items())))
    print("layout-numpy-ops: cases reaching: %s"
          % ", ".join("%s %d" % kv for kv in sorted(reached.items())))
    dtype_ops = ("field", "fields", "real", "imag")
    thin = [k for k, m in with_op.items()
            if m < (MIN_DTYPE_OP_SHARE if k in dtype_ops else MIN_OP_SHARE) * max(n, 1)]
    need = ("copy", "negative stride", "zero stride", "empty", "neither C nor F",
            "item size change after another op")
    thin += [k for k in need if reached.get(k, 0) < MIN_FEATURE_SHARE * max(n, 1)]
    if thin:
        print("layout-numpy-ops: too few cases with %s" % ", ".join(thin), file=sys.stderr)
    t.add(not thin)
    print("layout-numpy-ops: %d passed, %d failed" % (t.passed, t.failed))
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

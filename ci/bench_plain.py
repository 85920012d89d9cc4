"""Baseline for `make bench`: the work of a `reduce` case in a plain Python loop.

    bench_plain.py [CASES.jsonl]      (default: cases on stdin)

For every canonical case line (docs/case-format.md): write the backing file,
open it with NumPy, apply the view ops, send the view through joblib's own
memmapping forward reducer (pickled and called, as loky does), look at both
sides (layout, file position, byte range, blake2b of the contents), try a
write for r+/w+/c, hash the file before and after, and compare in Python.
It is written independently of harness/python/memlayout_runner.py so that
the comparison measures the C driver plus runner against a plain loop doing
the same work, nothing shared. Prints one line:

    plain: <cases> cases in <s> s = <rate> cases/s
"""

import ctypes
import hashlib
import json
import os
import pickle
import sys
import tempfile
import time
from mmap import mmap

import numpy as np
from joblib._memmapping_reducer import ArrayMemmapForwardReducer

try:
    from numpy.core.multiarray import normalize_axis_index
except ImportError:  # NumPy >= 2
    from numpy.lib.array_utils import normalize_axis_index


def dtype_of(spec):
    return np.dtype(spec) if isinstance(spec, str) else np.dtype([(n, t) for n, t in spec])


def fill(rng, dt, n):
    if dt.fields is not None:
        a = np.empty(n, dt)
        for name in dt.names:
            a[name] = fill(rng, dt.fields[name][0], n)
        return a
    if dt.kind == "b":
        return rng.integers(0, 2, n, dtype=np.uint8).astype(bool)
    if dt.kind in "iu":
        return np.frombuffer(rng.bytes(n * dt.itemsize), dt)
    if dt.kind == "f":
        return rng.standard_normal(n).astype(dt)
    return (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dt)


def build(case, path):
    dt = dtype_of(case["dtype"])
    b = case["backing"]
    shape = tuple(b["shape"])
    data = fill(np.random.default_rng(case["seed"]), dt, int(np.prod(shape))).tobytes()
    if b["source"] == "npy":
        m = np.lib.format.open_memmap(path, "w+", dt, shape, fortran_order=b["order"] == "F")
        if m.size:
            m.reshape(-1, order="A")[...] = np.frombuffer(data, dt)
        m.flush()
        del m
        a = np.load(path, mmap_mode=b["mode"])
    elif b["mode"] == "w+":
        a = np.memmap(path, dt, "w+", b["offset"], shape, b["order"])
        a.reshape(-1, order="A")[...] = np.frombuffer(data, dt)
        a.flush()
    else:
        with open(path, "wb") as f:
            f.write(b"\xa5" * b["offset"])
            f.write(data)
        a = np.memmap(path, dt, b["mode"], b["offset"], shape, b["order"])
    for op in case["ops"]:
        k = op["op"]
        if k == "reshape":
            a = a.reshape(op["shape"], order=op["order"])
        elif k == "transpose":
            a = a.transpose(op["axes"])
        elif k == "swapaxes":
            a = a.swapaxes(op["axis1"], op["axis2"])
        elif k == "moveaxis":
            a = np.moveaxis(a, op["source"], op["destination"])
        elif k in ("slice", "index"):
            ax = normalize_axis_index(op["axis"], a.ndim)
            key = slice(op["start"], op["stop"], op["step"]) if k == "slice" else op["index"]
            a = a[(slice(None),) * ax + (key,)]
        elif k == "newaxis":
            a = np.expand_dims(a, op["axis"])
        elif k == "squeeze":
            a = a.squeeze(op["axis"])
        elif k == "ravel":
            a = a.ravel(op["order"])
        elif k == "view":
            a = a.view(dtype_of(op["dtype"]))
        elif k == "broadcast":
            a = np.broadcast_to(a, op["shape"])
    return a


def backing(a):
    b = getattr(a, "base", None)
    while b is not None and not isinstance(b, mmap):
        a, b = b, getattr(b, "base", None)
    return a if b is not None and isinstance(a, np.memmap) else None


def look(a):
    """(layout, position, hash, inside) of an array."""
    ptr = a.__array_interface__["data"][0]
    f = a.flags
    layout = (a.shape, a.dtype.str, f.c_contiguous, f.f_contiguous, f.aligned, f.writeable)
    m = backing(a)
    pos, inside = None, True
    if m is not None:
        rel = ptr - m.__array_interface__["data"][0]
        lo = hi = rel
        for n, s in zip(a.shape, a.strides):
            if s < 0:
                lo += (n - 1) * s
            else:
                hi += (n - 1) * s
        inside = a.size == 0 or (lo >= 0 and hi + a.itemsize <= m.nbytes)
        pos = (m.filename, m.mode.replace("w+", "r+"), m.offset + rel)
    digest = hashlib.blake2b(np.ascontiguousarray(a).tobytes(), digest_size=16).digest() if inside else None
    return layout, pos, digest, inside


def file_hash(path):
    with open(path, "rb") as f:
        data = f.read()
    return len(data), hashlib.blake2b(data, digest_size=16).digest()


def run_case(case, path, reducer):
    try:
        a = build(case, path)
    except Exception:
        return "invalid"
    mode = case["backing"]["mode"]
    p_layout, p_pos, p_hash, _ = look(a)
    before = file_hash(path)
    try_write = p_pos is not None and a.size > 0 and mode != "r"
    if try_write:
        first = ctypes.c_ubyte.from_address(a.__array_interface__["data"][0])
        old = first.value
    try:
        fn, args = pickle.loads(pickle.dumps(reducer(a), pickle.HIGHEST_PROTOCOL))
        b = fn(*args)
    except Exception:
        return "error"
    c_layout, c_pos, c_hash, inside = look(b)
    bad = []
    if c_layout[:2] != p_layout[:2]:
        bad.append("shape/dtype")
    if inside and c_hash != p_hash:
        bad.append("data")
    if p_pos is None:   # a copy: only the order must survive
        if (p_layout[2] and not c_layout[2]) or (p_layout[3] and not c_layout[3]):
            bad.append("flags")
    else:
        if c_layout[2:5] != p_layout[2:5]:
            bad.append("flags")
        if any(n > 1 and s != t for n, s, t in zip(a.shape, a.strides, b.strides)):
            bad.append("strides")
        if c_layout[5] != p_layout[5]:
            bad.append("writeable")
        if c_pos != p_pos:
            bad.append("backing")
        if not inside:
            bad.append("oob")
        if try_write and inside and c_pos is not None and b.size and b.flags.writeable:
            ctypes.c_ubyte.from_address(b.__array_interface__["data"][0]).value ^= 0xFF
            if (first.value != old) != (mode != "c"):
                bad.append("write")
    after = file_hash(path)
    if after[0] != before[0] or (mode in ("r", "c") and after != before):
        bad.append("file")
    return "fail" if bad else "pass"


def main():
    src = open(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "-" else sys.stdin
    lines = [line for line in src if line.strip()]
    counts = {}
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as tmp:
        temp = os.path.join(tmp, "joblib")
        reducer = ArrayMemmapForwardReducer(1e6, lambda: temp, "r", False)
        t0 = time.perf_counter()
        for i, line in enumerate(lines):
            case = json.loads(line)
            path = os.path.join(tmp, f"{i}.{case['backing']['source']}")
            try:
                v = run_case(case, path, reducer)
            finally:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
            counts[v] = counts.get(v, 0) + 1
        s = time.perf_counter() - t0
    print(f"plain: {len(lines)} cases in {s:.2f} s = {len(lines) / s:.0f} cases/s")
    print("plain verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
          file=sys.stderr)


if __name__ == "__main__":
    main()

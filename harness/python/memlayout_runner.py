"""memlayout's Python runner: builds a case, sends it, reports facts.

The C driver (harness/py.c) embeds CPython and calls, with JSON text:

    init(options) -> versions        options: tmpdir, reducer, workers, detail,
                                     fault, python_path (docs in init())
    versions() -> versions
    run_one(case) -> observation     docs/case-format.md -> docs/observation.md
    run_batch([case, ...]) -> [observation, ...]
    shutdown()

The runner only reports what it saw (layouts, byte ranges, hashes, whether a
write came through); the C oracle (harness/oracle.c) judges.

Worker processes (loky, multiprocessing, spawn and forkserver pools, dask) import
this module to run `receive`, so importing it must stay cheap and free of side
effects: joblib is imported by init(), never at import time.
"""

import ctypes
import hashlib
import json
import os
import re
import pickle
import sys
import threading
import time

import numpy as np

import memlayout_reference as reference

try:   # NumPy >= 2: public; numpy.core is numpy._core and warns on import
    from numpy.lib.array_utils import normalize_axis_index as _norm_axis
except ImportError:   # NumPy 1.x
    from numpy.core.multiarray import normalize_axis_index as _norm_axis

HERE = os.path.dirname(os.path.abspath(__file__))

SHARE = frozenset(("reduce", "reference", "loky", "multiprocessing"))
WORKER = ("loky", "multiprocessing", "pool-spawn", "pool-forkserver", "dask")
DASK_START_S = 25.0   # a dask cluster that is not up by then is reported, not waited for
IN_PROCESS = frozenset(("reduce", "reference", "threading", "pickle2", "pickle3",
                        "pickle4", "pickle5", "pickle5-oob"))
WRITE_MODES = frozenset(("r+", "w+", "c"))
FILLER = 0xA5   # the bytes before a raw backing's data

_state = {
    "init": False,
    "tmpdir": None,
    "joblib_tmp": None,
    "reducer": "joblib",
    "workers": 2,
    "detail": False,
    "fault": None,          # (kind, seed) -- test-only, see _fault_for
}
_counter = [0]
_dtypes = {}
_realdirs = {}
_pools = {}            # "pool-spawn"/"pool-forkserver" -> multiprocessing Pool
_parallels = {}        # "threading"/"multiprocessing" -> entered joblib.Parallel
_dask = {}             # "cluster", "client" once started; "error" if it could not start
_jl = None             # joblib pieces, set by _import_joblib()


class WorkerDied(Exception):
    """A pool worker process died while the call was running."""

    def __init__(self, msg, exitcode):
        super().__init__(msg)
        self.exitcode = exitcode


# ---- small helpers ----------------------------------------------------------

def _line(e):
    """An exception as one line: "Type: message"."""
    msg = str(e)
    cause = getattr(e, "__cause__", None)
    if cause is not None and "un-serialize" in msg:
        # loky: the worker's traceback is the cause; keep its last line
        lines = [x for x in str(cause).splitlines() if x.strip() and x.strip() != '"""']
        if lines:
            msg += " (" + lines[-1].strip() + ")"
    s = f"{type(e).__name__}: {msg}" if msg else type(e).__name__
    return " ".join(s.split())


def _realpath(path):
    if not path:
        return ""
    d, b = os.path.split(path)
    r = _realdirs.get(d)
    if r is None:
        r = _realdirs[d] = os.path.realpath(d)
    return os.path.join(r, b)


def _field(p):
    """One field of a structured dtype spec: [name, scalar] or [name, scalar,
    [dims]], where scalar may be an inner structure: a list of [name, scalar]."""
    t = str(p[1]) if isinstance(p[1], str) else tuple((str(n), str(s)) for n, s in p[1])
    if len(p) == 3:
        return (str(p[0]), t, tuple(int(x) for x in p[2]))
    return (str(p[0]), t)


def _dtype(spec):
    key = spec if isinstance(spec, str) else tuple(_field(p) for p in spec)
    dt = _dtypes.get(key)
    if dt is None:
        if isinstance(spec, str):
            dt = np.dtype(spec)
        else:
            # an inner structure must reach NumPy as a list (a tuple means another thing)
            dt = np.dtype([(f[0], f[1] if isinstance(f[1], str) else list(f[1])) + f[2:]
                           for f in key])
        if len(_dtypes) >= 512:   # structured dtypes are endless: keep memory flat
            _dtypes.clear()
        _dtypes[key] = dt
    return dt


def _dtype_str(dt):
    if dt.fields is None:
        return dt.str
    try:
        return str(dt.descr)
    except ValueError:
        # a multi-field view whose fields are out of order (or overlap) has
        # no descr: NumPy's own spelling, names, formats, offsets, itemsize
        return str(dt)


def _values(rng, dt, n):
    k = dt.kind
    if k == "b":
        return rng.integers(0, 2, n, dtype=np.uint8).view(np.bool_)
    if k in "iu":
        return np.frombuffer(rng.bytes(n * dt.itemsize), dtype=dt)
    if k == "f":
        return rng.standard_normal(n).astype(dt)
    if k == "c":
        return (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dt)
    raise ValueError(f"unsupported dtype {dt.str}")


def make_data(dt, n, seed):
    """n elements of dt, as bytes, drawn from np.random.default_rng(seed)."""
    rng = np.random.default_rng(seed)
    if dt.fields is None:
        return _values(rng, dt, n).tobytes()
    arr = np.empty(n, dt)
    for name in dt.names:
        # a sub-array field ("v", "<f4", (3,)): arr[name] has shape (n, 3),
        # filled from n * 3 values of its base dtype in C order
        f = dt.fields[name][0]
        count = n
        for d in f.shape:
            count *= d
        if f.base.names is None:
            arr[name] = _values(rng, f.base, count).reshape((n,) + f.shape)
        else:   # an inner structure: its fields in order, the same way
            for inner in f.base.names:
                arr[name][inner] = _values(rng, f.base.fields[inner][0], count).reshape((n,) + f.shape)
    return arr.tobytes()


def _write_file(path, chunks):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        for c in chunks:
            view = memoryview(c)
            while view:
                view = view[os.write(fd, view):]
    finally:
        os.close(fd)


KEEP_FILE_BYTES = 1 << 20   # with detail, files up to this size are kept to say where they changed


def file_change(before, path):
    """(first changed byte offset or None, bytes changed) from before to the file now."""
    with open(path, "rb") as f:
        after = f.read(KEEP_FILE_BYTES + 1)
    n = min(len(before), len(after))
    d = np.flatnonzero(np.frombuffer(before, np.uint8, n) != np.frombuffer(after, np.uint8, n))
    first = int(d[0]) if d.size else (n if len(before) != len(after) else None)
    return first, int(d.size) + abs(len(before) - len(after))


def file_facts(path, keep=False):
    """(size, blake2b hex, the bytes when keep and the file is small, else None)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        h = hashlib.blake2b(digest_size=16)
        size = 0
        want = min(os.fstat(fd).st_size + 1, 1 << 24)
        chunks = [] if keep else None
        while True:
            data = os.read(fd, want)
            if not data:
                break
            h.update(data)
            size += len(data)
            if chunks is not None:
                chunks.append(data)
                if size > KEEP_FILE_BYTES:
                    chunks = None
            if len(data) < want:   # a short read of a regular file: its end
                break
            want = 1 << 24
    finally:
        os.close(fd)
    return size, h.hexdigest(), (b"".join(chunks) if chunks is not None else None)


def _npy_header(dt, shape, fortran):
    import io
    buf = io.BytesIO()
    d = {"descr": np.lib.format.dtype_to_descr(dt), "fortran_order": fortran, "shape": shape}
    try:
        np.lib.format.write_array_header_1_0(buf, d)
    except ValueError:
        buf = io.BytesIO()
        np.lib.format.write_array_header_2_0(buf, d)
    return buf.getvalue()


def _fill(m, data, n):
    """Write data (n elements, in m's memory order) through the memmap m, and flush."""
    if n:
        flat = m if m.flags.c_contiguous else m.T
        flat.reshape(-1)[...] = np.frombuffer(data, dtype=m.dtype)
    m.flush()


def build_backing(dt, backing, seed, path):
    """Create the backing file at path and open it as NumPy would; returns the memmap."""
    shape = tuple(backing["shape"])
    order = backing["order"]
    mode = backing["mode"]
    offset = backing["offset"]
    n = 1
    for d in shape:
        n *= d
    data = make_data(dt, n, seed)
    if backing["source"] == "npy":
        if mode == "w+":
            # created by NumPy, the data written through the new memmap
            m = np.lib.format.open_memmap(path, mode="w+", dtype=dt, shape=shape,
                                          fortran_order=order == "F")
            _fill(m, data, n)
            return m
        # the bytes np.lib.format.open_memmap(path, "w+", dt, shape,
        # fortran_order=order == "F") would leave once filled, opened as
        # np.load(path, mmap_mode=mode) opens them
        _write_file(path, (_npy_header(dt, shape, order == "F"), data))
        return np.lib.format.open_memmap(path, mode=mode)
    if mode == "w+":
        m = np.memmap(path, dtype=dt, mode="w+", offset=offset, shape=shape, order=order)
        if offset:
            fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.pwrite(fd, bytes((FILLER,)) * offset, 0)
            finally:
                os.close(fd)
        _fill(m, data, n)
        return m
    _write_file(path, (bytes((FILLER,)) * offset, data))
    return np.memmap(path, dtype=dt, mode=mode, offset=offset, shape=shape, order=order)


def _index(a, axis, key):
    axis = _norm_axis(axis, a.ndim)
    return a[(slice(None),) * axis + (key,)]


def apply_op(a, op):
    name = op["op"]
    if name == "reshape":
        return a.reshape(tuple(op["shape"]), order=op["order"])
    if name == "transpose":
        axes = op["axes"]
        return a.transpose() if axes is None else a.transpose(tuple(axes))
    if name == "swapaxes":
        return a.swapaxes(op["axis1"], op["axis2"])
    if name == "moveaxis":
        return np.moveaxis(a, op["source"], op["destination"])
    if name == "slice":
        return _index(a, op["axis"], slice(op["start"], op["stop"], op["step"]))
    if name == "index":
        return _index(a, op["axis"], op["index"])
    if name == "newaxis":
        return np.expand_dims(a, op["axis"])
    if name == "squeeze":
        return a.squeeze(op["axis"])
    if name == "ravel":
        return a.ravel(op["order"])
    if name == "view":
        return a.view(_dtype(op["dtype"]))
    if name == "broadcast":
        return np.broadcast_to(a, tuple(op["shape"]))
    if name == "field":
        return a[op["name"]]
    if name == "fields":
        return a[list(op["names"])]
    if name == "real":
        return a.real
    if name == "imag":
        return a.imag
    if name == "as_strided":
        return np.lib.stride_tricks.as_strided(a, tuple(op["shape"]), tuple(op["strides"]))
    if name == "sliding_window":
        axis = op["axis"]
        return np.lib.stride_tricks.sliding_window_view(
            a, tuple(op["window"]), None if axis is None else tuple(axis))
    if name == "diagonal":
        return a.diagonal(op["offset"], op["axis1"], op["axis2"])
    if name == "flip":
        return np.flip(a, op["axis"])
    if name == "rot90":
        return np.rot90(a, op["k"], tuple(op["axes"]))
    if name == "asarray":
        via = op["via"]
        if via == "asarray":
            return np.asarray(a)
        if via == "view":
            return a.view(np.ndarray)
        raise ValueError(f'via: must be "asarray" or "view", not {via!r}')
    raise ValueError(f"unknown op {name!r}")


# ---- observing -----------------------------------------------------------------

def _bounds(ptr_rel, shape, strides, itemsize, size, length):
    """Byte range [lo, hi) of an array whose element [0,...] is at ptr_rel.

    An empty array spans no bytes: its range is reported empty, at its data
    pointer clamped into [0, length] (the pointer of an empty view may lie
    anywhere, e.g. past the end after indexing an empty axis, and is never
    dereferenced, so it cannot leave the mapping).  np.byte_bounds is not used:
    it is wrong for empty arrays with negative strides.
    """
    if size == 0:
        at = min(max(ptr_rel, 0), length)
        return at, at
    lo = hi = ptr_rel
    for n, s in zip(shape, strides):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return lo, hi + itemsize


def observe(a, detail=False):
    """The facts of docs/observation.md about array a (OBS), plus whether it was read.

    Returns (obs, inside): inside is False when a's byte range leaves the
    memmap backing it, in which case a was not read (hash None).
    """
    dt = a.dtype
    shape = a.shape
    strides = a.strides
    fl = a.flags
    obs = {
        "type": type(a).__name__,
        "shape": list(shape),
        "strides": list(strides),
        "dtype": _dtype_str(dt),
        "itemsize": dt.itemsize,
        "flags": {"c": fl.c_contiguous, "f": fl.f_contiguous, "writeable": fl.writeable,
                  "aligned": fl.aligned, "owndata": fl.owndata},
        "backing": None,
        "hash": None,
    }
    inside = True
    m = reference.backing_memmap(a)
    if m is not None:
        mptr = m.__array_interface__["data"][0]
        rel = a.__array_interface__["data"][0] - mptr
        length = m.nbytes
        lo, hi = _bounds(rel, shape, strides, dt.itemsize, a.size, length)
        moff = getattr(m, "offset", 0) or 0
        obs["backing"] = {"file": _realpath(getattr(m, "filename", None)),
                          "mode": getattr(m, "mode", None) or "", "offset": moff,
                          "first": moff + rel, "lo": lo, "hi": hi, "len": length}
        inside = a.size == 0 or (lo >= 0 and hi <= length)
    if inside:
        c = _values_only(np.ascontiguousarray(a))
        try:
            obs["hash"] = hashlib.blake2b(c, digest_size=16).hexdigest()
        except (TypeError, ValueError, BufferError):
            obs["hash"] = hashlib.blake2b(c.tobytes(), digest_size=16).hexdigest()
        if not dt.isnative:
            # the values in this machine's byte order: a copy that only
            # swapped the byte order keeps the values (docs/observation.md)
            n = np.ascontiguousarray(c.astype(c.dtype.newbyteorder("=")))
            try:
                obs["vhash"] = hashlib.blake2b(n, digest_size=16).hexdigest()
            except (TypeError, ValueError, BufferError):
                obs["vhash"] = hashlib.blake2b(n.tobytes(), digest_size=16).hexdigest()
        if detail:
            flat = c.reshape(-1)[:8]
            obs["head"] = [flat[i:i + 1].tobytes().hex() for i in range(flat.shape[0])]
            obs["values"] = [str(x)[:39] for x in flat.tolist()]
    elif detail:
        obs["head"] = None
    return obs, inside


def _values_only(c):
    """c without the bytes between fields that a multi-field view leaves (its
    gaps hold no value: copies need not keep them), or c itself when its
    dtype has no gaps."""
    dt = c.dtype
    if dt.names is None:
        return c
    from numpy.lib import recfunctions
    packed = recfunctions.repack_fields(dt)
    return c if packed == dt else recfunctions.repack_fields(c)


def _first_byte(a):
    return ctypes.c_ubyte.from_address(a.__array_interface__["data"][0]).value


def receive(a, meta):
    """The receiving end, in a worker or in process: observe, then maybe write.

    meta: {"detail": bool, "write": bool, "fault": None | "crash" | "hang"}.
    Returns {"child": OBS, "wrote": bool} or {"error": "worker", "message": ...}.
    """
    fault = meta.get("fault")
    if fault == "crash":
        # TEST-ONLY fault injection (init option "fault"): read address 1,
        # a segmentation fault that kills the receiving process.
        ctypes.string_at(1)
    elif fault == "hang":
        time.sleep(3600)   # TEST-ONLY: a receiver that stops answering
    try:
        obs, inside = observe(a, meta.get("detail", False))
        wrote = False
        if (meta.get("write") and inside and a.size and obs["backing"] is not None
                and obs["flags"]["writeable"]):
            # invert the first byte of element [0,...,0]
            b = ctypes.c_ubyte.from_address(a.__array_interface__["data"][0])
            b.value ^= 0xFF
            wrote = True
        return {"child": obs, "wrote": wrote}
    except Exception as e:
        return {"error": "worker", "message": _line(e)}


def _receive_packed(item):
    return receive(*item)


# ---- joblib ----------------------------------------------------------------------

class _Joblib:
    pass


def _stdlib_distutils():
    """Load the standard library's distutils, here and in worker processes.

    joblib 1.2 imports distutils only for a side effect on scikit-learn; with
    Debian's setuptools shim that import loads setuptools and pkg_resources,
    about half of joblib's import time in every process (this one and each
    worker). Nothing joblib or NumPy do with memmaps depends on it. Where the
    standard library has no distutils (Python >= 3.12), nothing changes.
    """
    if "distutils" in sys.modules:
        return
    hack = sys.modules.get("_distutils_hack")
    finder = getattr(hack, "DISTUTILS_FINDER", None)
    removed = finder is not None and finder in sys.meta_path
    if removed:
        sys.meta_path.remove(finder)
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import distutils  # noqa: F401
        os.environ.setdefault("SETUPTOOLS_USE_DISTUTILS", "stdlib")
    except ImportError:
        pass
    finally:
        if removed:
            sys.meta_path.insert(0, finder)


def _import_joblib():
    global _jl
    if _jl is not None:
        return _jl
    _stdlib_distutils()
    import joblib
    from joblib import Parallel, delayed
    from joblib import _memmapping_reducer as mr
    from joblib.externals.loky.backend import resource_tracker
    from joblib.externals.loky import process_executor
    jl = _Joblib()
    jl.joblib = joblib
    jl.Parallel = Parallel
    jl.delayed = delayed
    jl.mr = mr
    jl.original = (mr._reduce_memmap_backed, mr.dumps)
    jl.resource_tracker = resource_tracker
    jl.BrokenProcessPool = process_executor.BrokenProcessPool
    jl.TerminatedWorkerError = process_executor.TerminatedWorkerError
    _jl = jl
    return jl


def _apply_reducer(kind):
    jl = _import_joblib()
    if kind == "reference":
        # memmap-backed arrays: the reference reducer; other arrays: the
        # pickled copy keeps a non-native byte order (see memlayout_reference)
        jl.mr._reduce_memmap_backed = reference.reduce_memmap_backed
        jl.mr.dumps = reference.dumps
    else:
        jl.mr._reduce_memmap_backed, jl.mr.dumps = jl.original


def _joblib_tmp():
    return _state["joblib_tmp"]


def _forward_reducer():
    """What loky does with joblib's reducer for every np.ndarray / np.memmap."""
    jl = _import_joblib()
    return jl.mr.ArrayMemmapForwardReducer(1e6, _joblib_tmp, "r", False)


def _clean_forward_reducer(red):
    """Remove the temporary memmaps a forward reducer dumped (arrays > 1 MB)."""
    names = getattr(red, "_temporary_memmaped_filenames", None)
    if not names:
        return
    jl = _jl
    for f in list(names):
        try:
            os.unlink(f)
        except OSError:
            pass
        try:
            jl.resource_tracker.unregister(f, "file")
        except Exception:
            pass
        jl.mr.JOBLIB_MMAPS.discard(f)
    names.clear()


# ---- init / versions ---------------------------------------------------------------

def versions():
    jl = _import_joblib()
    v = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "joblib": jl.joblib.__version__,
        "numpy_path": os.path.dirname(os.path.realpath(np.__file__)),
        "joblib_path": os.path.dirname(os.path.realpath(jl.joblib.__file__)),
        "executable": sys.executable,
    }
    if _state.get("problem"):
        v["problem"] = _state["problem"]
    if _state.get("workers_seen"):
        v["workers"] = _state["workers_seen"]
    return json.dumps(v)


def where():
    """This process's NumPy and joblib, versions and folders (run in workers)."""
    import joblib
    return {"pid": os.getpid(), "numpy": np.__version__,
            "numpy_path": os.path.dirname(os.path.realpath(np.__file__)),
            "joblib": joblib.__version__,
            "joblib_path": os.path.dirname(os.path.realpath(joblib.__file__))}


def worker_versions():
    """where() as seen by a worker of each worker transport: the NumPy and
    joblib a worker imports must be the parent's (an environment put first on
    sys.path reaches workers through sys.path and PYTHONPATH)."""
    jl = _import_joblib()
    out = {}
    for kind in WORKER:
        try:
            if kind in ("loky", "multiprocessing"):
                par = jl.Parallel(n_jobs=max(2, _state["workers"]), backend=kind)
                got = par([jl.delayed(where)()])[0]
            elif kind == "dask":
                got = _dask_client().submit(where, pure=False).result(DASK_START_S)
            else:
                got = _get_pool(kind).apply(where)
            if got.get("pid") == os.getpid():
                got["error"] = "ran in the parent process, not in a worker"
        except Exception as e:
            got = {"error": _line(e)}
        out[kind] = got
    return out


def joblib_problem():
    """Why joblib's reducer cannot send a memmap with this NumPy, or None.

    joblib before 1.4 calls np.byte_bounds, which NumPy 2.0 removed: with such
    a pair every memmap it sends raises, and a campaign would find nothing but
    that incompatibility.
    """
    jl = _import_joblib()
    path = os.path.join(_state["tmpdir"], f"check-{os.getpid()}.dat")
    red = None
    try:
        _write_file(path, (bytes(16),))
        m = np.memmap(path, dtype="<u4", mode="r", shape=(4,))
        red = _forward_reducer()
        fn, args = red(m[1:])
        fn(*args)
    except Exception as e:
        return (f"joblib {jl.joblib.__version__} cannot send a memmap with NumPy "
                f"{np.__version__}: {_line(e)}")
    finally:
        if red is not None:
            _clean_forward_reducer(red)
        _unlink(path)
    return None


def init(options="{}"):
    """Configure the runner. options (JSON object):

    tmpdir       private directory for backing files (exists, 0700)
    reducer      "joblib" (default) or "reference": patch memlayout_reference into
                 joblib._memmapping_reducer._reduce_memmap_backed for every transport
    workers      processes per pool (default 2)
    detail       observations carry "head"
    fault        TEST-ONLY fault injection: "crash:<seed>" makes the receiver of
                 the case with that seed segfault, "hang:<seed>" makes it sleep 3600 s
    python_path  directories put first on sys.path and PYTHONPATH
    versions_only  only to say what this environment is (memlayout --version):
                 versions() then also names the NumPy and joblib each worker
                 transport's workers import, and a joblib that cannot send a
                 memmap with this NumPy is reported there ("problem"), not raised
    """
    o = json.loads(options) if isinstance(options, str) else dict(options or {})
    tmpdir = o.get("tmpdir") or os.environ.get("TMPDIR") or "/tmp"
    tmpdir = os.path.abspath(tmpdir)
    jtmp = os.path.join(tmpdir, "joblib")
    os.makedirs(jtmp, mode=0o700, exist_ok=True)
    _state["tmpdir"] = tmpdir
    _state["joblib_tmp"] = jtmp
    os.environ["JOBLIB_TEMP_FOLDER"] = jtmp
    _state["workers"] = int(o.get("workers") or 2)
    _state["detail"] = bool(o.get("detail", False))
    fault = o.get("fault")
    _state["fault"] = None
    if fault:
        kind, _, seed = str(fault).partition(":")
        if kind not in ("crash", "hang") or not seed.isdigit():
            raise ValueError(f'fault: must be "crash:<seed>" or "hang:<seed>", not {fault!r}')
        _state["fault"] = (kind, int(seed))

    # Workers (loky, spawn, forkserver) must import this module and the
    # reference reducer: they get sys.path from the parent, and PYTHONPATH too.
    want = [os.path.abspath(p) for p in (o.get("python_path") or []) if p] + [HERE]
    for i, p in enumerate(want):
        if p not in sys.path:
            sys.path.insert(i, p)
    old = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(want + [p for p in old if p not in want])

    # multiprocessing names the semaphores of spawn and forkserver pools
    # "<semprefix>-<random>"; with this process's pid in the prefix, what a
    # killed process leaves in /dev/shm can be told apart and removed
    # (harness/sup.h, ml_child_sweep; loky puts the pid in its names itself).
    # Pool workers inherit the prefix.
    import multiprocessing
    multiprocessing.current_process()._config["semprefix"] = f"/mp-ml{os.getpid()}"

    reducer = o.get("reducer") or "joblib"
    if reducer not in ("joblib", "reference"):
        raise ValueError(f'reducer: must be "joblib" or "reference", not {reducer!r}')
    _state["reducer"] = reducer
    _apply_reducer(reducer)
    _state["problem"] = joblib_problem()
    _state["workers_seen"] = None
    if o.get("versions_only"):
        _state["workers_seen"] = worker_versions()
    elif _state["problem"]:
        raise RuntimeError(_state["problem"] + "; put a joblib that supports it in the "
                           "environment, e.g. --with \"joblib==1.6.0 numpy==" + np.__version__ + "\"")
    _state["init"] = True
    return versions()


def _ensure_init():
    if not _state["init"]:
        init("{}")


# ---- building a case ----------------------------------------------------------------

class Prepared:
    """A case built in the parent and ready to send."""
    __slots__ = ("case", "transport", "seed", "path", "a", "meta", "parent", "file_before",
                 "byte", "t0", "build_s", "mode")


def _finished(status, message, t0, **extra):
    r = {"status": status, "message": " ".join(str(message).split())}
    r.update(extra)
    r["seconds"] = time.perf_counter() - t0
    return r


def _fault_for(seed):
    f = _state["fault"]
    if f is not None and f[1] == seed:
        return f[0]
    return None


def prepare(text, t0=None):
    """Build the case's parent view: a Prepared, or a finished result dict."""
    if t0 is None:
        t0 = time.perf_counter()
    try:
        c = json.loads(text) if isinstance(text, str) else text
        dt = _dtype(c["dtype"])
        backing = c["backing"]
        ops = c["ops"]
        transport = c["transport"]
        seed = int(c["seed"])
    except Exception as e:
        return _finished("error", f"case: {_line(e)}", t0, error_kind="build")
    if transport not in IN_PROCESS and transport not in WORKER:
        return _finished("error", f'transport: unknown transport "{transport}"', t0,
                         error_kind="build")
    _counter[0] += 1
    ext = ".npy" if backing.get("source") == "npy" else ".dat"
    path = os.path.join(_state["tmpdir"], f"case-{os.getpid()}-{_counter[0]}{ext}")
    try:
        m = build_backing(dt, backing, seed, path)
    except Exception as e:
        _unlink(path)
        return _finished("invalid", f"backing: {e or type(e).__name__}", t0)
    a = m
    for i, op in enumerate(ops):
        try:
            a = apply_op(a, op)
            if not isinstance(a, np.ndarray):
                # indexing away the last dim yields a NumPy scalar (np.void for
                # a structured dtype): no array, no memory layout to send
                raise ValueError(f"the result is a NumPy scalar ({type(a).__name__}), not an array")
        except Exception as e:
            m = a = None
            _unlink(path)
            return _finished("invalid", f"ops[{i}].{op.get('op')}: {e or type(e).__name__}", t0)
    m = None
    p = Prepared()
    p.case = c
    p.transport = transport
    p.seed = seed
    p.path = path
    p.a = a
    p.t0 = t0
    p.mode = backing["mode"]
    try:
        p.parent, inside = observe(a, _state["detail"])
        p.file_before = file_facts(path, keep=_state["detail"])
    except Exception as e:
        a = p.a = None
        _unlink(path)
        return _finished("error", f"observe: {_line(e)}", t0, error_kind="build")
    write = (transport in SHARE and p.parent["backing"] is not None and inside
             and a.size > 0 and p.mode in WRITE_MODES)
    p.byte = _first_byte(a) if write else None
    p.meta = {"detail": _state["detail"], "write": write, "fault": _fault_for(seed)}
    p.build_s = time.perf_counter() - t0
    return p


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def finish(p, got, extra_s=0.0):
    """The observation line's dict for prepared case p, given the receiver's answer."""
    try:
        r = {"status": "ok", "parent": p.parent}
        if "error" in got:
            r = {"status": "error", "error_kind": got["error"], "message": got["message"],
                 "parent": p.parent, "child": got.get("child")}
        else:
            r["child"] = got["child"]
            if got.get("wrote"):
                r["write"] = {"parent_sees": _first_byte(p.a) != p.byte}
            else:
                r["write"] = None
        size, digest, _ = file_facts(p.path)
        r["file"] = {"size_before": p.file_before[0], "size_after": size,
                     "hash_before": p.file_before[1], "hash_after": digest}
        if p.file_before[2] is not None and digest != p.file_before[1]:
            first, changed = file_change(p.file_before[2], p.path)
            r["file"]["first_change"] = first
            r["file"]["changed_bytes"] = changed
    finally:
        p.a = None
        _unlink(p.path)
    r["seconds"] = p.build_s + extra_s
    return r


# ---- in-process transports -------------------------------------------------------------

def _send_in_process(p):
    t = p.transport
    a = p.a
    if t == "threading":
        par = _parallel("threading")
        try:
            return par([_jl.delayed(receive)(a, p.meta)])[0]
        except Exception as e:
            return {"error": "rebuild", "message": _line(e)}
    red = None
    try:
        try:
            if t == "reduce":
                red = _forward_reducer()
                s = pickle.dumps(red(a), pickle.HIGHEST_PROTOCOL)
            elif t == "reference":
                s = pickle.dumps(reference.reduce(a), pickle.HIGHEST_PROTOCOL)
            elif t == "pickle5-oob":
                bufs = []
                s = pickle.dumps(a, protocol=5, buffer_callback=bufs.append)
            else:
                s = pickle.dumps(a, protocol=int(t[6:]))
        except Exception as e:
            return {"error": "send", "message": _line(e)}
        try:
            if t in ("reduce", "reference"):
                fn, args = pickle.loads(s)
                b = fn(*args)
            elif t == "pickle5-oob":
                b = pickle.loads(s, buffers=bufs)
            else:
                b = pickle.loads(s)
        except Exception as e:
            return {"error": "rebuild", "message": _line(e)}
        return receive(b, p.meta)
    finally:
        if red is not None:
            _clean_forward_reducer(red)


def _parallel(kind):
    """A joblib.Parallel kept entered (its pool alive) across calls."""
    par = _parallels.get(kind)
    if par is None:
        jl = _import_joblib()
        par = jl.Parallel(n_jobs=_state["workers"], backend=kind)
        par.__enter__()
        _parallels[kind] = par
    return par


# ---- worker transports ----------------------------------------------------------------

def _pool_processes(pool):
    return list(getattr(pool, "_pool", None) or ())


def _mp_watchdog(par, stop):
    """Fail the pending jobs of a multiprocessing pool whose worker died.

    multiprocessing.Pool replaces a dead worker and waits forever for the
    task it lost; this turns the death into an exception in the caller.
    The pool is the one par (a joblib.Parallel) creates for its call.
    """
    pool = None
    known = set()
    while not stop.wait(0.05):
        if pool is None:
            pool = getattr(getattr(par, "_backend", None), "_pool", None)
            if pool is None or not hasattr(pool, "_cache"):
                pool = None
                continue
        known.update(_pool_processes(pool))
        dead = [p for p in known if p.exitcode not in (None, 0)]
        if dead:
            err = _died(dead[0])
            for job in list(pool._cache.values()):
                try:
                    job._set(0, (False, err))
                except Exception:
                    pass
            return


def _died(proc):
    code = proc.exitcode
    why = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
    return WorkerDied(f"worker process {proc.pid} {why}", code)


def _dispatch_joblib(backend, preps):
    """One joblib.Parallel call, as a user makes it, for all of preps."""
    jl = _import_joblib()
    tasks = [jl.delayed(receive)(p.a, p.meta) for p in preps]
    par = jl.Parallel(n_jobs=_state["workers"], backend=backend)
    if backend == "loky":
        return par(tasks)   # loky itself reports a dead worker
    stop = threading.Event()
    watch = threading.Thread(target=_mp_watchdog, args=(par, stop), daemon=True)
    watch.start()
    try:
        return par(tasks)
    finally:
        stop.set()
        watch.join()


def _get_pool(kind):
    pool = _pools.get(kind)
    if pool is None:
        import multiprocessing
        ctx = multiprocessing.get_context(kind[5:])
        pool = _pools[kind] = ctx.Pool(_state["workers"])
    return pool


def _drop_pool(kind):
    pool = _pools.pop(kind, None)
    if pool is not None:
        try:
            pool.terminate()
            pool.join()
        except Exception:
            pass


def _dispatch_pool(kind, preps):
    pool = _get_pool(kind)
    known = set(_pool_processes(pool))
    res = pool.map_async(_receive_packed, [(p.a, p.meta) for p in preps])
    while not res.ready():
        res.wait(0.05)
        known.update(_pool_processes(pool))
        dead = [w for w in known if w.exitcode not in (None, 0)]
        if dead and not res.ready():
            err = _died(dead[0])
            _drop_pool(kind)
            raise err
    try:
        return res.get()
    except Exception:
        _drop_pool(kind)
        raise


def _dask_client():
    """The dask Client of this process's LocalCluster, started on first use.

    One cluster per runner process, reused by every batch and closed by
    shutdown(). Its nanny and worker processes are children of this process,
    in its process group (the supervisor's sweep). A cluster that does not
    start within DASK_START_S raises, here and at every later call.
    """
    if "client" in _dask:
        return _dask["client"]
    if "error" in _dask:
        raise RuntimeError(_dask["error"])
    box = {}

    def start():
        try:
            import logging
            import dask
            from dask.distributed import Client, LocalCluster
            ddir = os.path.join(_state["tmpdir"], "dask")
            dask.config.set({"temporary-directory": ddir,
                             # a worker that dies fails its task at once (KilledWorker)
                             "distributed.scheduler.allowed-failures": 0})
            box["cluster"] = cluster = LocalCluster(
                n_workers=_state["workers"], threads_per_worker=1, processes=True,
                dashboard_address=None, local_directory=ddir, silence_logs=logging.ERROR)
            box["client"] = Client(cluster, timeout=DASK_START_S)
        except BaseException as e:
            box["error"] = e

    th = threading.Thread(target=start, daemon=True)
    th.start()
    th.join(DASK_START_S)
    if th.is_alive() or "error" in box:
        _dask["late"] = box   # a start that finishes late is closed by shutdown()
        why = (f"did not start within {DASK_START_S:g} s" if th.is_alive()
               else f"could not start: {_line(box['error'])}")
        _dask["error"] = f"dask.distributed LocalCluster {why}"
        raise RuntimeError(_dask["error"])
    _dask.update(box)
    return box["client"]


def _dispatch_dask(preps):
    """One joblib.Parallel call under parallel_backend("dask"), as a user makes it.

    joblib's dask backend scatters every argument dask sizes at over 1 kB
    (dask's numpy serializer), one scheduler round trip each, and pickles the
    others into the task. The arguments it would scatter are scattered up
    front, in one call (the backend's scatter= option): the same path, the
    same serializer; tasks go a few per worker (Parallel's batch_size).
    """
    jl = _import_joblib()
    _dask_client()
    from dask.sizeof import sizeof
    big = [p.a for p in preps if sizeof(p.a) > 1e3]
    per = -(-len(preps) // (4 * _state["workers"]))
    with jl.joblib.parallel_backend("dask", scatter=big):
        return jl.Parallel(batch_size=per)(jl.delayed(receive)(p.a, p.meta) for p in preps)


def _close_dask():
    for box in (_dask, _dask.get("late") or {}):
        for key in ("client", "cluster"):
            obj = box.pop(key, None)
            if obj is not None:
                try:
                    obj.close(timeout=2) if key == "cluster" else obj.close()
                except Exception:
                    pass
    _dask.clear()


def _dispatch(transport, preps):
    if transport in ("loky", "multiprocessing"):
        return _dispatch_joblib(transport, preps)
    if transport == "dask":
        return _dispatch_dask(preps)
    return _dispatch_pool(transport, preps)


def _classify(transport, p, e):
    """The receiver answer for case p whose call alone raised e."""
    jl = _import_joblib()
    # Did the parent side fail?  Reduce and pickle it again, in process.
    try:
        if transport in ("loky", "multiprocessing"):
            red = _forward_reducer()
            try:
                pickle.dumps(red(p.a), pickle.HIGHEST_PROTOCOL)
            finally:
                _clean_forward_reducer(red)
        else:
            pickle.dumps(p.a, pickle.HIGHEST_PROTOCOL)
    except Exception as se:
        return {"error": "send", "message": _line(se)}
    if isinstance(e, jl.TerminatedWorkerError):
        return {"error": "crash", "message": _line(e)}
    if transport == "dask":
        if type(e).__name__ == "KilledWorker":   # distributed.KilledWorker: its worker died
            return {"error": "crash", "message": _line(e)}
        if "error" in _dask:   # no cluster to send with
            return {"error": "worker", "message": _dask["error"]}
    if isinstance(e, WorkerDied):
        # A pool worker exits with status 1 only when unpickling its task
        # raised (task and result errors are sent back); a signal is a crash.
        return {"error": "rebuild" if e.exitcode > 0 else "crash", "message": _line(e)}
    return {"error": "rebuild", "message": _line(e)}


def _probe_rebuild(p):
    """Rebuild, in the parent, what joblib's reducer makes of p's memmap-backed view.

    Returns the error message if that raises, else None. Rebuilding only maps
    the file (it reads nothing), so it is safe here. A task that fails to
    unpickle breaks the whole loky executor (or kills a multiprocessing
    worker): one such case would cost the batch a restart and an isolation
    pass, so a batch leaves these cases out and reports the same error.
    """
    m = reference.backing_memmap(p.a)
    if m is None:
        return None
    try:
        fn, args = _jl.mr._reduce_memmap_backed(p.a, m)   # as patched by init()
    except Exception:
        return None   # a send error: the real call reports it
    try:
        fn(*args)
    except Exception as e:
        return _line(e)
    return None


def _run_group(transport, preps):
    """Send preps through one worker call: [(answer, seconds)], one per prep."""
    res = [None] * len(preps)
    send = list(range(len(preps)))
    if len(preps) > 1 and transport in ("loky", "multiprocessing"):
        send = []
        for k, p in enumerate(preps):
            t1 = time.perf_counter()
            msg = _probe_rebuild(p)
            if msg is None:
                send.append(k)
            else:
                res[k] = ({"error": "rebuild", "message": msg + " (raised rebuilding the "
                           "reducer's output in the parent; left out of the batched call)"},
                          time.perf_counter() - t1)
    if not send:
        return res
    group = [preps[k] for k in send]
    t0 = time.perf_counter()
    try:
        outs = _dispatch(transport, group)
        per = (time.perf_counter() - t0) / len(group)
        for k, got in zip(send, outs):
            res[k] = (got, per)
        return res
    except Exception as e:
        if len(group) == 1:
            res[send[0]] = (_classify(transport, group[0], e), time.perf_counter() - t0)
            return res
    # A grouped call failed (a worker died, ...): run every case alone to
    # attribute the error to the right case(s).
    for k in send:
        p = preps[k]
        if p.byte is not None:   # an earlier attempt may have written it
            p.byte = _first_byte(p.a)
        res[k] = _run_group(transport, [p])[0]
    return res


# ---- public entry points ----------------------------------------------------------------

_EXACT = 2 ** 53   # the largest magnitude a JSON number (a C double) holds exactly


def _exact(v):
    """v with every integer beyond 2^53 as a string of its digits: the C side
    reads numbers as doubles (docs/observation.md)."""
    if isinstance(v, dict):
        return {k: _exact(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_exact(x) for x in v]
    if isinstance(v, int) and not isinstance(v, bool) and not -_EXACT <= v <= _EXACT:
        return str(v)
    return v


_LONG_DIGITS = re.compile(r"[0-9]{16}")   # 2^53 has 16 digits: an integer beyond has as many


def _dumps(r):
    text = json.dumps(r, separators=(",", ":"))
    # the walk only when a number may be too big (or a hash has 16 digits in a row)
    return json.dumps(_exact(r), separators=(",", ":")) if _LONG_DIGITS.search(text) else text


def run_one(text):
    """Run one case (JSON text); returns its observation (JSON text)."""
    return run_batch([text])[0]


def run_batch(texts):
    """Run cases; worker transports go as one call per transport."""
    _ensure_init()
    out = [None] * len(texts)
    groups = {}
    for i, text in enumerate(texts):
        t0 = time.perf_counter()
        try:
            c = json.loads(text)
            transport = c.get("transport") if isinstance(c, dict) else None
        except Exception:
            c, transport = text, None
        if transport in WORKER:
            groups.setdefault(transport, []).append((i, c, t0))
            continue
        p = prepare(c, t0)
        if isinstance(p, dict):
            out[i] = _dumps(p)
            continue
        t1 = time.perf_counter()
        try:
            got = _send_in_process(p)
        except Exception as e:
            got = {"error": "rebuild", "message": _line(e)}
        out[i] = _dumps(finish(p, got, time.perf_counter() - t1))
    for transport, items in groups.items():
        preps, idx = [], []
        for i, c, t0 in items:
            p = prepare(c, t0)
            if isinstance(p, dict):
                out[i] = _dumps(p)
            else:
                preps.append(p)
                idx.append(i)
        if not preps:
            continue
        try:
            res = _run_group(transport, preps)
        except BaseException:
            for p in preps:
                p.a = None
                _unlink(p.path)
            raise
        for i, p, (got, secs) in zip(idx, preps, res):
            out[i] = _dumps(finish(p, got, secs))
    return out


def _clean_joblib_tmp():
    """Remove what joblib left in its temporary folder (dumped large copies)."""
    jtmp = _state["joblib_tmp"]
    if not jtmp:
        return
    try:
        entries = os.listdir(jtmp)
    except OSError:
        return
    import shutil
    for name in entries:
        p = os.path.join(jtmp, name)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        else:
            _unlink(p)


def shutdown():
    """Close pools and executors, remove joblib's temporary files."""
    for kind in list(_parallels):
        par = _parallels.pop(kind)
        try:
            par.__exit__(None, None, None)
        except Exception:
            pass
    for kind in list(_pools):
        _drop_pool(kind)
    _close_dask()
    if _jl is not None:
        try:
            from joblib.externals.loky import reusable_executor
            ex = reusable_executor._executor
            if ex is not None:
                ex.shutdown(wait=True, kill_workers=True)
                # joblib 1.2 registers a temporary folder with loky's resource
                # tracker for every Parallel call and forgets those it never
                # created; unregister them so that the tracker does not warn
                mgr = getattr(ex, "_temp_folder_manager", None)
                if mgr is not None:
                    mgr._unlink_temporary_resources()
                    mgr._unregister_context()
                # let its queues' semaphores be released now: the embedding
                # process leaves with _exit, without finalizing Python
                reusable_executor._executor = None
                del ex
                import gc
                gc.collect()
        except Exception:
            pass
    _clean_joblib_tmp()


if __name__ == "__main__":   # debugging: memlayout_runner.py CASE.json...
    init(json.dumps({"tmpdir": os.environ.get("TMPDIR", "/tmp")}))
    lines = []
    for f in sys.argv[1:] or ["-"]:
        src = sys.stdin if f == "-" else open(f)
        lines += [x for x in src.read().splitlines() if x.strip()]
    for r in run_batch(lines):
        print(r)
    shutdown()

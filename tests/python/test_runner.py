"""Tests of the Python runner (harness/python/memlayout_runner.py) and of the
reference reducer, on facts only: what the runner reports for cases whose
outcome is known. Run: /usr/bin/python3 -m pytest -q tests/python

They hold for Debian's joblib 1.2.0 and NumPy 1.24 and for the current
releases from PyPI (tests/numpy2.sh runs them with joblib 1.6.0 and NumPy
2.3 first on PYTHONPATH); where joblib's behaviour changed between releases
a test says what each side of the change does.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER_DIR = ROOT / "harness" / "python"
sys.path.insert(0, str(RUNNER_DIR))

import memlayout_runner as runner  # noqa: E402
import memlayout_reference as reference  # noqa: E402


def joblib_version():
    import joblib
    return tuple(int(x) for x in joblib.__version__.split(".")[:2])


# joblib 1.5 (joblib PR #1704) rebuilds a contiguous view of a 1-D memmap in
# C order; before, in F order (a 1-D memmap is flagged both, and F won).
JOBLIB_1D_BACKING_IS_C = joblib_version() >= (1, 5)


# ---- building cases (the canonical JSON of docs/case-format.md) ------------------

def case(dtype="<f8", shape=(15,), order="C", offset=0, mode="r", source="raw", ops=(),
         transport="reduce", seed=1):
    return {"memlayout": 1, "dtype": dtype,
            "backing": {"source": source, "shape": list(shape), "order": order,
                        "offset": offset, "mode": mode},
            "ops": list(ops), "transport": transport, "seed": seed}


def reshape(shape, order="C"):
    return {"op": "reshape", "shape": list(shape), "order": order}


def slice_(axis, start, stop, step):
    return {"op": "slice", "axis": axis, "start": start, "stop": stop, "step": step}


def index(axis, i):
    return {"op": "index", "axis": axis, "index": i}


def transpose(axes=None):
    return {"op": "transpose", "axes": None if axes is None else list(axes)}


def broadcast(shape):
    return {"op": "broadcast", "shape": list(shape)}


def view(dtype):
    return {"op": "view", "dtype": dtype}


def ravel(order):
    return {"op": "ravel", "order": order}


def with_transport(c, transport):
    return dict(c, transport=transport)


PUBLIC_EXAMPLE = case(ops=[reshape((5, 3))])
SHAPE_5X3 = case(shape=(5, 3))


# ---- fixtures ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tmpdir():
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    d = tempfile.mkdtemp(prefix="memlayout-test-", dir=base)
    os.chmod(d, 0o700)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def options(tmpdir, **kw):
    o = {"tmpdir": tmpdir, "reducer": "joblib", "workers": 2, "detail": False,
         "fault": None, "python_path": []}
    o.update(kw)
    return json.dumps(o)


@pytest.fixture(scope="module")
def run(tmpdir):
    """run(*cases) -> observations (dicts); the runner set up with joblib's reducer."""
    runner.init(options(tmpdir))

    def go(*cases):
        return [json.loads(o) for o in runner.run_batch([json.dumps(c) for c in cases])]

    yield go
    runner.shutdown()


@pytest.fixture
def reference_reducer(run, tmpdir):
    """The reference reducer patched into joblib for the duration of a test."""
    runner.init(options(tmpdir, reducer="reference"))
    yield run
    runner.init(options(tmpdir))


# ---- a small oracle for the "share" transports -------------------------------------

def share_violations(r, mode):
    """What a transport sharing the file failed to keep (empty: kept everything).

    The checks of docs/oracle.md for the share class, or for the copy class
    when the parent view is not memmap-backed.
    """
    assert r["status"] == "ok", r
    p, c = r["parent"], r["child"]
    bad = []
    if p["shape"] != c["shape"]:
        bad.append("shape")
    if p["dtype"] != c["dtype"]:
        bad.append("dtype")
    if p["hash"] is None or p["hash"] != c["hash"]:
        bad.append("data")
    pb, cb = p["backing"], c["backing"]
    if pb is None:
        # a view op copied: joblib pickles the copy, which keeps its order
        for k in ("c", "f"):
            if p["flags"][k] and not c["flags"][k]:
                bad.append("flags." + k)
    else:
        for k in ("c", "f", "aligned", "writeable"):
            if p["flags"][k] != c["flags"][k]:
                bad.append("flags." + k)
        if 0 not in p["shape"] and any(n > 1 and s != t for n, s, t in
                                       zip(p["shape"], p["strides"], c["strides"])):
            bad.append("strides")
        norm = {"w+": "r+"}
        if (cb is None or cb["file"] != pb["file"] or cb["first"] != pb["first"]
                or norm.get(cb["mode"], cb["mode"]) != norm.get(pb["mode"], pb["mode"])):
            bad.append("backing")
        if cb is not None and (cb["lo"] < 0 or cb["hi"] > cb["len"]):
            bad.append("oob")
        if r["write"] is not None and r["write"]["parent_sees"] != (mode in ("r+", "w+")):
            bad.append("write")
    f = r["file"]
    if f["size_before"] != f["size_after"] or (
            mode in ("r", "c") and f["hash_before"] != f["hash_after"]):
        bad.append("file")
    return bad


def varied_cases():
    """Layouts joblib 1.2.0 gets wrong and controls, for the reference reducer."""
    st = [["x", "<i4"], ["y", ">f8"]]
    return [
        PUBLIC_EXAMPLE,
        SHAPE_5X3,
        case(shape=(10,), ops=[slice_(0, None, None, -1)]),                        # negative step
        case(shape=(4, 5), ops=[slice_(1, None, None, -2)], offset=3),             # misaligned
        case(shape=(4, 6), order="F", ops=[transpose(), slice_(0, 5, 1, -2)]),
        case(shape=(3, 4, 5), ops=[transpose((2, 0, 1)), reshape((5, 12), "F")]),
        case(shape=(4, 6), mode="r+", ops=[broadcast((2, 4, 6))]),                  # zero strides
        case(shape=(0, 4), offset=8, ops=[index(1, 2)]),                           # size 0
        case(shape=(4, 0), order="F", mode="r+", offset=8, ops=[transpose()]),
        case(shape=(6,), mode="c", ops=[slice_(0, 3, 3, 1)]),                      # empty slice
        case(dtype="<i8", shape=(3, 4), mode="c", offset=16, ops=[index(0, 1)]),   # copy on write
        case(dtype="<u2", shape=(4, 5), mode="r+", ops=[slice_(1, None, None, 2)]),
        case(dtype="<u2", shape=(4, 5), mode="r+", ops=[slice_(0, None, None, -1)]),
        case(dtype="<f4", shape=(6, 2), mode="w+", offset=4, ops=[reshape((3, 4))]),
        case(dtype=">f4", shape=(4, 6), source="npy", order="F", ops=[]),
        case(dtype="<c16", shape=(3, 4), source="npy", order="C", mode="r+",
             ops=[slice_(1, None, None, -1)]),
        case(dtype="<f8", shape=(), source="npy", ops=[]),                          # 0-d
        case(dtype=st, shape=(6,), mode="r+", ops=[slice_(0, None, None, 2)]),     # structured
        case(dtype=st, shape=(2, 3), source="npy", order="F", ops=[transpose()]),
        case(dtype="<f8", shape=(4, 6), ops=[view("<i4"), reshape((8, 6))]),
        case(dtype="|b1", shape=(3, 16, 3), source="npy", order="F",
             ops=[slice_(0, -1, 1, -2), reshape((1, 6, 1, 1, 8))]),
        case(dtype=">u4", shape=(3, 6), order="F", ops=[reshape((6, 3)), slice_(1, -2, None, -3)]),
    ]


# ---- the public example -----------------------------------------------------------------

@pytest.mark.parametrize("transport", ["reduce", "loky", "multiprocessing"])
def test_public_example_through_joblib_arrives_scrambled_before_1_5_and_intact_since(run, transport):
    (r,) = run(with_transport(PUBLIC_EXAMPLE, transport))
    assert r["status"] == "ok"
    p, c = r["parent"], r["child"]
    assert (p["flags"]["c"], p["flags"]["f"]) == (True, False)
    assert p["shape"] == c["shape"] == [5, 3]
    assert c["backing"]["file"] == p["backing"]["file"]
    assert r["file"]["hash_before"] == r["file"]["hash_after"]
    assert p["hash"] is not None and c["hash"] is not None
    if JOBLIB_1D_BACKING_IS_C:   # fixed: arrives as it was sent
        assert share_violations(r, "r") == []
    else:                        # joblib 1.2.0: F-ordered, scrambled
        assert (c["flags"]["c"], c["flags"]["f"]) == (False, True)
        assert p["strides"] == [24, 8] and c["strides"] == [8, 40]
        assert p["hash"] != c["hash"]


@pytest.mark.parametrize("transport", ["reduce", "loky"])
def test_a_1d_memmap_reshaped_in_the_order_joblib_does_not_pick_arrives_scrambled(run, transport):
    # joblib rebuilds a contiguous view in the order it picks for the 1-D
    # backing (F before 1.5, C since), whatever the view's own order: the
    # public example is one side of this bug, its F-ordered twin the other
    wrong = "F" if JOBLIB_1D_BACKING_IS_C else "C"
    right = "C" if wrong == "F" else "F"
    bad, good = run(with_transport(case(ops=[reshape((5, 3), wrong)]), transport),
                    with_transport(case(ops=[reshape((5, 3), right)]), transport))
    assert bad["status"] == good["status"] == "ok"
    p, c = bad["parent"], bad["child"]
    assert (p["flags"]["c"], p["flags"]["f"]) == (wrong == "C", wrong == "F")
    assert (c["flags"]["c"], c["flags"]["f"]) == (wrong == "F", wrong == "C")
    assert p["hash"] != c["hash"]
    assert share_violations(good, "r") == []


@pytest.mark.parametrize("transport", ["threading", "pickle5"])
def test_public_example_keeps_data_and_flags_through_threading_and_pickle5(run, transport):
    (r,) = run(with_transport(PUBLIC_EXAMPLE, transport))
    assert r["status"] == "ok"
    p, c = r["parent"], r["child"]
    assert p["hash"] == c["hash"]
    assert p["flags"]["c"] == c["flags"]["c"] and p["flags"]["f"] == c["flags"]["f"]
    if transport == "threading":
        assert c == p


@pytest.mark.parametrize("transport", ["reduce", "loky"])
def test_a_backing_created_with_shape_5x3_arrives_intact(run, transport):
    (r,) = run(with_transport(SHAPE_5X3, transport))
    assert share_violations(r, "r") == []


# ---- the reference reducer -------------------------------------------------------------

def test_the_reference_transport_keeps_everything_on_varied_layouts(run):
    cases = [with_transport(c, "reference") for c in varied_cases()]
    for c, r in zip(cases, run(*cases)):
        assert share_violations(r, c["backing"]["mode"]) == [], (c, r)


@pytest.mark.parametrize("transport", ["loky", "multiprocessing", "reduce"])
def test_the_reference_reducer_patched_into_joblib_keeps_everything(reference_reducer, transport):
    cases = [with_transport(c, transport) for c in varied_cases()]
    for c, r in zip(cases, reference_reducer(*cases)):
        assert share_violations(r, c["backing"]["mode"]) == [], (c, r)


def test_a_write_through_r_plus_reaches_the_parent_and_one_through_c_does_not(run):
    rplus = case(dtype="<u2", shape=(4, 5), mode="r+", ops=[slice_(1, None, None, 2)],
                 transport="reference")
    cow = case(dtype="<i8", shape=(3, 4), mode="c", offset=16, ops=[index(0, 1)],
               transport="reference")
    wplus = case(dtype="<f4", shape=(6, 2), mode="w+", ops=[], transport="loky")
    r1, r2, r3 = run(rplus, cow, wplus)
    assert r1["write"] == {"parent_sees": True}
    assert r1["file"]["hash_before"] != r1["file"]["hash_after"]
    assert r2["write"] == {"parent_sees": False}
    assert r2["file"]["hash_before"] == r2["file"]["hash_after"]
    assert r3["write"] == {"parent_sees": True}
    assert r3["child"]["backing"]["mode"] == "r+"


def test_the_reference_reducer_rebuilds_an_empty_view_past_the_end_of_its_file(tmpdir):
    path = os.path.join(tmpdir, "empty.dat")
    with open(path, "wb") as f:
        f.write(b"\0" * 8)
    m = np.memmap(path, dtype="<i2", mode="r+", offset=8, shape=(0, 4), order="F")
    a = m.T[2:, :]
    # the empty view's pointer lies past the end of the file
    assert a.__array_interface__["data"][0] > m.__array_interface__["data"][0]
    fn, args = reference.reduce(a)
    b = fn(*args)
    assert b.shape == a.shape and b.dtype == a.dtype
    assert os.path.getsize(path) == 8   # joblib's r+ rebuild grows the file here
    del m, a, b
    os.unlink(path)


def test_the_reference_copy_keeps_a_big_endian_dtype_that_pickle_loses():
    a = np.arange(18, dtype=">u4").reshape(6, 3)[:, ::-2]
    plain = runner.pickle.loads(runner.pickle.dumps(a, protocol=5))
    assert plain.dtype.str == "<u4"   # NumPy 1.24 to 2.x swap non-contiguous arrays to native
    fn, args = reference.reduce(a)
    b = fn(*args)
    assert b.dtype.str == ">u4" and b.tobytes() == np.ascontiguousarray(a).tobytes()


@pytest.fixture
def detailed(run, tmpdir):
    """The runner with detail on (leading values, where the file changed)."""
    runner.init(options(tmpdir, detail=True))
    yield run
    runner.init(options(tmpdir))


def test_detail_gives_the_leading_values_of_both_arrays(detailed):
    (r,) = detailed(with_transport(PUBLIC_EXAMPLE, "reference"))
    p, c = r["parent"], r["child"]
    assert len(p["values"]) == len(p["head"]) == 8
    assert p["values"] == c["values"]
    assert all(isinstance(v, str) and float(v) == float(v) for v in p["values"])


def test_detail_says_where_the_file_changed(detailed):
    # the reference transport writes one byte through r+ at the view's first element
    (r,) = detailed(case(dtype="<u2", shape=(4, 5), mode="r+", offset=6, ops=[slice_(1, None, None, 2)],
                         transport="reference"))
    f = r["file"]
    assert r["write"] == {"parent_sees": True}
    assert f["changed_bytes"] == 1
    assert f["first_change"] == r["parent"]["backing"]["first"]


def test_a_non_native_dtype_has_a_hash_of_its_values_in_native_order(run):
    (r,) = run(case(dtype=">f8", shape=(6,), transport="pickle4"))
    p, c = r["parent"], r["child"]
    assert "vhash" in p and p["vhash"] != p["hash"]
    if c["dtype"] == "<f8":           # pickle swapped the byte order: same values
        assert "vhash" not in c and c["hash"] == p["vhash"]
    else:
        assert c["vhash"] == p["vhash"]


def test_file_change_finds_the_first_changed_byte_and_counts_a_growth(tmpdir):
    path = os.path.join(tmpdir, "changed.bin")
    with open(path, "wb") as f:
        f.write(b"abcdef")
    assert runner.file_change(b"abXdef", path) == (2, 1)
    assert runner.file_change(b"abc", path) == (3, 3)        # grew by 3 bytes
    assert runner.file_change(b"abcdef", path) == (None, 0)
    os.unlink(path)


# ---- joblib's facts (1.2.0 to 1.6.0 alike) -------------------------------------------------

def test_a_negative_step_slice_through_joblib_reduce_leaves_its_mapping_and_is_not_read(run):
    (r,) = run(case(shape=(10,), ops=[slice_(0, None, None, -1)]))
    assert r["status"] == "ok"
    p, c = r["parent"], r["child"]
    pb, cb = p["backing"], c["backing"]
    assert p["strides"] == c["strides"] == [-8]
    assert pb["first"] == 72 and (pb["lo"], pb["hi"]) == (0, 80)
    # joblib starts the rebuilt view at the view's lowest byte: element [0] at
    # file offset 0, and the view runs 72 bytes before its mapping
    assert cb["first"] == pb["offset"] + pb["lo"] == 0
    assert cb["lo"] < 0 or cb["hi"] > cb["len"]
    assert (cb["lo"], cb["hi"], cb["len"]) == (-72, 8, 80)
    assert c["hash"] is None


def test_a_read_only_broadcast_arrives_writeable_through_joblib(run):
    (r,) = run(case(shape=(4, 6), mode="c", ops=[broadcast((2, 4, 6))]))
    assert r["parent"]["flags"]["writeable"] is False
    assert r["child"]["flags"]["writeable"] is True
    assert r["parent"]["hash"] == r["child"]["hash"]


def test_an_empty_view_past_the_end_of_its_file_fails_to_rebuild_through_joblib(run):
    (r,) = run(case(dtype=">i4", shape=(21, 0), offset=8, ops=[index(0, -2), ravel("C")]))
    assert r["status"] == "error" and r["error_kind"] == "rebuild"
    assert "mmap length is greater than file size" in r["message"]


def test_a_rebuild_error_in_a_loky_batch_is_attributed_to_its_own_case(run):
    bad = case(dtype=">i4", shape=(21, 0), offset=8, ops=[index(0, -2), ravel("C")],
               transport="loky", seed=9)
    good = [with_transport(dict(SHAPE_5X3, seed=s), "loky") for s in (2, 3, 4)]
    rs = run(good[0], bad, good[1], good[2])
    assert [r["status"] for r in rs] == ["ok", "error", "ok", "ok"]
    assert rs[1]["error_kind"] == "rebuild"


# ---- invalid cases -------------------------------------------------------------------------

def test_an_op_numpy_refuses_makes_the_case_invalid_naming_the_op(run):
    r1, r2 = run(case(shape=(4, 6), ops=[slice_(1, None, None, 2), view("<f4")]),
                 case(ops=[reshape((4, 4))]))
    assert r1["status"] == "invalid" and r1["message"].startswith("ops[1].view: ")
    assert r2["status"] == "invalid" and r2["message"].startswith("ops[0].reshape: ")
    assert "\n" not in r1["message"]


def test_indexing_down_to_a_numpy_scalar_makes_the_case_invalid(run):
    (r,) = run(with_transport(case(dtype=[["a", "<i4"], ["b", ">f8"]], shape=(3,), ops=[index(0, 1)]),
                              "threading"))
    assert r["status"] == "invalid" and r["message"].startswith("ops[0].index: ")


def test_the_runner_removes_every_backing_file(run, tmpdir):
    run(PUBLIC_EXAMPLE, with_transport(PUBLIC_EXAMPLE, "loky"), case(ops=[reshape((4, 4))]))
    assert [f for f in os.listdir(tmpdir) if f != "joblib"] == []


# ---- worker transports that copy ---------------------------------------------------------

def test_spawn_and_forkserver_pools_copy_the_data_and_keep_the_order(run):
    c = case(shape=(4, 6), order="F", source="npy")
    r1, r2 = run(with_transport(c, "pool-spawn"), with_transport(c, "pool-forkserver"))
    for r in (r1, r2):
        assert r["status"] == "ok"
        assert r["child"]["hash"] == r["parent"]["hash"]
        assert r["child"]["flags"]["f"] and r["child"]["backing"] is None


def test_dask_copies_the_public_example_keeping_values_shape_dtype_and_order(run):
    # the public example that joblib 1.2's reducer scrambles: dask copies it
    big = case(shape=(600,), ops=[reshape((200, 3))])          # over 1 kB: scattered
    r1, r2, r3 = run(with_transport(PUBLIC_EXAMPLE, "dask"), with_transport(big, "dask"),
                     with_transport(case(shape=(4, 6), order="F", source="npy"), "dask"))
    for r in (r1, r2, r3):
        assert r["status"] == "ok", r
        p, c = r["parent"], r["child"]
        assert (c["shape"], c["dtype"], c["hash"]) == (p["shape"], p["dtype"], p["hash"])
        assert c["backing"] is None and r["write"] is None
    assert r1["child"]["flags"]["c"] and r2["child"]["flags"]["c"] and r3["child"]["flags"]["f"]
    assert share_violations(dict(r1, parent=dict(r1["parent"], backing=None)), "r") == []


def test_dask_keeps_a_large_read_only_broadcast_and_materializes_a_small_one(run):
    # what dask's numpy serializer (over 1 kB) and pickle (up to 1 kB) make of it
    small = case(shape=(4,), ops=[broadcast((3, 4))])
    large = case(shape=(200,), ops=[broadcast((3, 200))])
    rs, rl = run(with_transport(small, "dask"), with_transport(large, "dask"))
    assert rs["status"] == rl["status"] == "ok"
    assert rs["child"]["strides"] == [32, 8] and rs["child"]["flags"]["writeable"]
    assert rl["child"]["strides"] == [0, 8] and not rl["child"]["flags"]["writeable"]
    assert rl["child"]["hash"] == rl["parent"]["hash"]


def test_dask_runs_every_batch_on_one_cluster(run):
    run(with_transport(SHAPE_5X3, "dask"))
    client = runner._dask["client"]
    (r,) = run(with_transport(SHAPE_5X3, "dask"))
    assert r["status"] == "ok" and runner._dask["client"] is client


# ---- faults ------------------------------------------------------------------------------

def run_isolated(tmpdir, fault, cases, timeout=120):
    """Runs cases in a fresh interpreter with a fault injected; returns (rc, results)."""
    script = textwrap.dedent("""
        import json, sys
        sys.path.insert(0, sys.argv[1])
        import memlayout_runner as r
        r.init(sys.argv[2])
        out = r.run_batch(json.loads(sys.argv[3]))
        print(json.dumps([json.loads(o) for o in out]), flush=True)
        r.shutdown()
    """)
    sub = tempfile.mkdtemp(dir=tmpdir)
    try:
        p = subprocess.run([sys.executable, "-c", script, str(RUNNER_DIR),
                            options(sub, fault=fault), json.dumps([json.dumps(c) for c in cases])],
                           capture_output=True, text=True, timeout=timeout)
        results = json.loads(p.stdout) if p.returncode == 0 else None
        return p.returncode, results
    finally:
        shutil.rmtree(sub, ignore_errors=True)


def test_a_crashing_loky_worker_is_error_crash_for_that_case_only(tmpdir):
    cases = [with_transport(dict(PUBLIC_EXAMPLE, seed=s), "loky") for s in (5, 6, 7, 8)]
    rc, rs = run_isolated(tmpdir, "crash:7", cases)
    assert rc == 0
    assert [r["status"] for r in rs] == ["ok", "ok", "error", "ok"]
    assert rs[2]["error_kind"] == "crash"
    assert "\n" not in rs[2]["message"]


def test_a_crash_in_process_kills_the_process_running_the_case(tmpdir):
    rc, _ = run_isolated(tmpdir, "crash:7", [dict(PUBLIC_EXAMPLE, seed=7)])
    assert rc == -11


def test_a_hang_in_process_never_answers(tmpdir):
    with pytest.raises(subprocess.TimeoutExpired):
        run_isolated(tmpdir, "hang:3", [dict(PUBLIC_EXAMPLE, seed=3)], timeout=3)


# ---- versions ------------------------------------------------------------------------------

def test_versions_name_python_numpy_joblib_and_the_interpreter(run):
    import joblib
    v = json.loads(runner.versions())
    assert set(v) == {"python", "numpy", "joblib", "numpy_path", "joblib_path", "executable"}
    assert v["numpy"] == np.__version__ and v["joblib"] == joblib.__version__
    assert v["python"] == "%d.%d.%d" % sys.version_info[:3]
    assert os.path.isdir(v["numpy_path"]) and os.path.isdir(v["joblib_path"])
    assert os.path.exists(v["executable"])


def test_init_makes_the_runner_importable_by_workers(run, tmpdir):
    runner.init(options(tmpdir))
    assert str(RUNNER_DIR) in os.environ["PYTHONPATH"].split(os.pathsep)
    assert os.environ["JOBLIB_TEMP_FOLDER"].startswith(tmpdir)


def test_the_small_oracle_above_sees_joblibs_failures_on_the_same_layouts(run):
    cases = varied_cases()
    failed = [bool(share_violations(r, c["backing"]["mode"]))
              for c, r in zip(cases, run(*cases)) if r["status"] == "ok"]
    assert sum(failed) >= 8


# ---- the protocol ----------------------------------------------------------------------

def test_integers_beyond_2_53_travel_as_digit_strings(run):
    """A slice step of 2^50 + 1 on <f8 gives a stride past 2^53, which a JSON
    number read as a C double would round."""
    step = 2 ** 50 + 1
    c = case(shape=(4,), ops=[slice_(0, 0, None, step)])
    (r,) = run(c)
    assert r["status"] == "ok", r
    assert r["parent"]["strides"] == [str(8 * step)]
    assert r["parent"]["shape"] == [1] and r["child"]["shape"] == [1]   # small integers stay numbers


# ---- the newer ops, sub-array fields, npy w+ ----------------------------------------------

SUB = [["x", "<i4"], ["y", ">f8"], ["z", "<f4"], ["v", "<f4", [3]], ["w", ">i2", [2, 2]]]
SUB_NP = np.dtype([("x", "<i4"), ("y", ">f8"), ("z", "<f4"), ("v", "<f4", (3,)), ("w", ">i2", (2, 2))])
SL = np.lib.stride_tricks
INNER = [["x", "<i4"], ["p", [["a", "<i2"], ["b", ">f4"]]], ["q", [["c", "|u1"], ["d", "<c8"]], [2]]]

# (name, dtype, backing shape, backing extras, ops, the same view written in NumPy)
NEW_OPS = [
    ("field", SUB, (6,), {}, [{"op": "field", "name": "y"}], lambda a: a["y"]),
    ("field-subarray", SUB, (2, 3), {"order": "F"}, [{"op": "field", "name": "w"}], lambda a: a["w"]),
    ("fields", SUB, (6,), {}, [{"op": "fields", "names": ["x", "v"]}], lambda a: a[["x", "v"]]),
    ("fields-out-of-order", SUB, (6,), {"source": "npy"}, [{"op": "fields", "names": ["z", "x"]}],
     lambda a: a[["z", "x"]]),
    ("field-inner", INNER, (2, 3), {"order": "F", "mode": "r+"}, [{"op": "field", "name": "q"}],
     lambda a: a["q"]),
    ("fields-inner", INNER, (5,), {"mode": "w+", "offset": 3}, [{"op": "fields", "names": ["q", "x"]}],
     lambda a: a[["q", "x"]]),
    ("real", "<c16", (4, 5), {}, [{"op": "real"}], lambda a: a.real),
    ("imag", ">c8", (4, 5), {"order": "F", "offset": 4},
     [slice_(1, None, None, -2), {"op": "imag"}], lambda a: a[:, ::-2].imag),
    ("as_strided", "<f8", (20,), {}, [{"op": "as_strided", "shape": [5, 4], "strides": [16, 8]}],
     lambda a: SL.as_strided(a, (5, 4), (16, 8))),
    ("as_strided-negative", "<u2", (4, 5), {"offset": 2},
     [slice_(0, None, None, -1), {"op": "as_strided", "shape": [3, 4], "strides": [-10, 0]}],
     lambda a: SL.as_strided(a[::-1], (3, 4), (-10, 0))),
    ("as_strided-fields", SUB, (6,), {},
     [{"op": "fields", "names": ["z", "x"]}, {"op": "as_strided", "shape": [2, 3], "strides": [36, 72]}],
     lambda a: SL.as_strided(a[["z", "x"]], (2, 3), (36, 72))),
    ("as_strided-empty", "<f8", (20,), {}, [{"op": "as_strided", "shape": [0, 4], "strides": [16, 8]}],
     lambda a: SL.as_strided(a, (0, 4), (16, 8))),
    ("sliding_window", "<i4", (4, 6), {}, [{"op": "sliding_window", "window": [2, 3], "axis": None}],
     lambda a: SL.sliding_window_view(a, (2, 3))),
    ("sliding_window-axis", ">i8", (4, 6), {"order": "F"},
     [{"op": "sliding_window", "window": [2, 2], "axis": [1, -1]}],
     lambda a: SL.sliding_window_view(a, (2, 2), (1, -1))),
    ("diagonal", "<i4", (4, 6), {"mode": "r+"}, [{"op": "diagonal", "offset": 1, "axis1": 0, "axis2": 1}],
     lambda a: a.diagonal(1, 0, 1)),
    ("diagonal-3d", "<f4", (3, 4, 5), {}, [{"op": "diagonal", "offset": -1, "axis1": 2, "axis2": 0}],
     lambda a: a.diagonal(-1, 2, 0)),
    ("diagonal-empty", "<f4", (3, 4), {}, [{"op": "diagonal", "offset": 9, "axis1": 0, "axis2": 1}],
     lambda a: a.diagonal(9, 0, 1)),
    ("flip", "<i2", (4, 6), {"mode": "c"}, [{"op": "flip", "axis": None}], lambda a: np.flip(a)),
    ("flip-axis", "<i2", (4, 6), {}, [{"op": "flip", "axis": -1}], lambda a: np.flip(a, -1)),
    ("rot90", "<f8", (4, 6), {}, [{"op": "rot90", "k": 1, "axes": [0, 1]}], lambda a: np.rot90(a, 1, (0, 1))),
    ("rot90-k", "<f8", (2, 4, 6), {"order": "F"}, [{"op": "rot90", "k": -3, "axes": [2, 0]}],
     lambda a: np.rot90(a, -3, (2, 0))),
    ("asarray", "<f8", (4, 6), {"mode": "r+"}, [{"op": "asarray", "via": "asarray"}], lambda a: np.asarray(a)),
    ("asarray-view", "<f8", (4, 6), {"source": "npy", "mode": "w+"}, [{"op": "asarray", "via": "view"}],
     lambda a: a.view(np.ndarray)),
]


def new_op_case(dtype, shape, extra, ops):
    return case(dtype=dtype, shape=shape, ops=ops, **extra)


def build(tmpdir, c, name):
    """The case's backing memmap, built by the runner, and its file."""
    path = os.path.join(tmpdir, name + (".npy" if c["backing"]["source"] == "npy" else ".dat"))
    return runner.build_backing(runner._dtype(c["dtype"]), c["backing"], c["seed"], path), path


def layout(a, m):
    """What makes a view: type of array, shape, strides, dtype, file offset of a[0, ...], values."""
    first = m.offset + a.__array_interface__["data"][0] - m.__array_interface__["data"][0]
    values = np.ascontiguousarray(a).tobytes() if a.size else b""
    return (a.shape, a.strides, a.dtype, first, bool(a.flags.writeable), values)


@pytest.mark.parametrize("name,dtype,shape,extra,ops,expr", NEW_OPS, ids=[t[0] for t in NEW_OPS])
def test_each_new_op_gives_what_numpy_gives_for_the_same_expression(tmpdir, name, dtype, shape, extra,
                                                                      ops, expr):
    c = new_op_case(dtype, shape, extra, ops)
    m, path = build(tmpdir, c, name)
    try:
        a = m
        for op in ops:
            a = runner.apply_op(a, op)
        want = expr(m)
        assert type(a) is type(want)
        assert layout(a, m) == layout(want, m)
        assert reference.backing_memmap(a) is m
    finally:
        a = want = m = None
        os.unlink(path)


@pytest.mark.parametrize("name,dtype,shape,extra,ops,expr", NEW_OPS, ids=[t[0] for t in NEW_OPS])
def test_the_reference_reducer_rebuilds_each_new_op_exactly(tmpdir, name, dtype, shape, extra, ops, expr):
    c = new_op_case(dtype, shape, extra, ops)
    m, path = build(tmpdir, c, name)
    try:
        a = expr(m)
        fn, args = runner.pickle.loads(runner.pickle.dumps(reference.reduce(a)))
        b = fn(*args)
        mb = reference.backing_memmap(b)
        assert mb is not None and os.path.samefile(mb.filename, path)
        assert layout(b, mb) == layout(a, m)
    finally:
        a = b = m = mb = None
        os.unlink(path)


def test_the_reference_transport_keeps_everything_on_the_new_ops(run):
    cases = [with_transport(new_op_case(d, s, e, o), "reference") for _, d, s, e, o, _ in NEW_OPS]
    for c, r in zip(cases, run(*cases)):
        assert share_violations(r, c["backing"]["mode"]) == [], (c, r)


def test_an_op_that_does_not_fit_its_array_makes_the_case_invalid(run):
    r1, r2, r3 = run(case(ops=[{"op": "real"}, {"op": "field", "name": "x"}]),
                     case(dtype=SUB, ops=[{"op": "fields", "names": ["x", "nope"]}]),
                     case(ops=[{"op": "asarray", "via": "copy"}]))
    assert r1["status"] == "invalid" and r1["message"].startswith("ops[1].field: ")
    assert r2["status"] == "invalid" and r2["message"].startswith("ops[0].fields: ")
    assert r3["status"] == "invalid" and r3["message"].startswith("ops[0].asarray: ")


def test_a_dtype_spec_with_sub_array_fields_is_numpys_dtype():
    assert runner._dtype(SUB) == SUB_NP
    assert runner._dtype(SUB) is runner._dtype(json.loads(json.dumps(SUB)))   # cached
    assert runner._dtype([["a", "<f8"], ["b", "|u1", [1]]]) == np.dtype([("a", "<f8"), ("b", "|u1", (1,))])


def test_sub_array_fields_are_filled_with_n_times_their_size_values_in_c_order():
    n, seed = 5, 42
    arr = np.frombuffer(runner.make_data(SUB_NP, n, seed), SUB_NP)
    assert arr["v"].shape == (5, 3) and arr["w"].shape == (5, 2, 2)
    rng = np.random.default_rng(seed)
    assert (arr["x"] == np.frombuffer(rng.bytes(n * 4), "<i4")).all()
    assert (arr["y"] == rng.standard_normal(n).astype(">f8")).all()
    assert (arr["z"] == rng.standard_normal(n).astype("<f4")).all()
    assert (arr["v"] == rng.standard_normal(n * 3).astype("<f4").reshape(n, 3)).all()
    assert (arr["w"] == np.frombuffer(rng.bytes(n * 4 * 2), ">i2").reshape(n, 2, 2)).all()
    assert runner.make_data(SUB_NP, 0, seed) == b""


@pytest.mark.parametrize("spec,digest", [
    ("<f8", "fc62dc34ea4f620b"), (">c8", "2c3fbf335927e666"), ("|b1", "0d03901fb895f5dc"),
    (">i2", "2452f3729c61c3f8"), ([["x", "<i4"], ["y", ">f8"]], "55edbfa426f80265"),
    ([["a", "|b1"], ["b", "<c16"], ["c", ">u2"]], "cabb55ecc65eae5f")])
def test_the_data_of_the_older_dtypes_stays_byte_identical(spec, digest):
    # the regression corpus replays cases against observations of these bytes
    import hashlib
    data = runner.make_data(runner._dtype(spec), 37, 11)
    assert hashlib.blake2b(data, digest_size=8).hexdigest() == digest


def test_dtype_str_falls_back_to_numpys_spelling_for_fields_out_of_order():
    a = np.zeros(3, SUB_NP)
    assert runner._dtype_str(a[["z", "x"]].dtype) == str(a[["z", "x"]].dtype)
    assert "'offsets': [12, 0]" in runner._dtype_str(a[["z", "x"]].dtype)
    # where descr works the string stays what it was
    assert runner._dtype_str(a[["x", "z"]].dtype) == str(a[["x", "z"]].dtype.descr)
    assert runner._dtype_str(SUB_NP) == str(SUB_NP.descr)
    assert runner._dtype_str(np.dtype([("x", "<i4"), ("y", ">f8")])) == "[('x', '<i4'), ('y', '>f8')]"
    assert runner._dtype_str(np.dtype(">f4")) == ">f4"


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(3, 4), (), (0, 2)])
def test_an_npy_w_plus_backing_is_created_by_open_memmap_with_the_bytes_of_the_others(tmpdir, order, shape):
    base = case(dtype=SUB, shape=shape, order=order, source="npy", seed=5)
    files = {}
    for mode in ("r", "w+"):
        c = dict(base, backing=dict(base["backing"], mode=mode))
        m, path = build(tmpdir, c, "npy-" + mode.replace("+", "plus"))
        assert isinstance(m, np.memmap) and m.mode == ("r+" if mode == "w+" else "r")
        assert m.shape == shape and m.dtype == SUB_NP
        n = int(np.prod(shape))
        want = np.frombuffer(runner.make_data(SUB_NP, n, 5), SUB_NP).reshape(shape, order=order)
        assert m.tobytes(order="A") == want.tobytes(order="A")   # the data in the file's order
        with open(path, "rb") as f:
            files[mode] = f.read()
        m = None
        os.unlink(path)
    assert files["r"] == files["w+"]


def test_an_npy_w_plus_backing_shares_its_writes_through_joblib(run):
    (r,) = run(case(shape=(4, 6), source="npy", mode="w+", ops=[transpose()], transport="reference"))
    assert share_violations(r, "w+") == []
    assert r["write"] == {"parent_sees": True}
    assert r["parent"]["backing"]["mode"] == "r+"   # open_memmap reopens what it created as r+

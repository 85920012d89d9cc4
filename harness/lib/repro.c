/* The standalone Python reproducer: see repro.h.
 *
 * The script is a fixed template (below) with the case's parts written in:
 * @BUILD@ creates the backing file and applies the view ops as plain NumPy
 * calls, @SEND@ is the one transport the case uses. Data bytes, file layout
 * and ops follow harness/python/memlayout_runner.py, and the judging follows
 * harness/lib/oracle.c, so the script reaches memlayout's verdict on its own. */
#include "repro.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ML_RUNNER_DIR
#define ML_RUNNER_DIR "harness/python"
#endif

static const char template_py[] =
    "#!/usr/bin/env python3\n"
    "\"\"\"memlayout reproducer: a NumPy memmap view sent through @TRANSPORT_DESC@.\n"
    "\n"
    "@HEADER@\n"
    "Needs Python 3, NumPy and joblib, nothing else. Run it as a file:\n"
    "\n"
    "    python3 repro.py                      exit 1 while the bug is present, 0 once fixed\n"
    "    python3 repro.py --reducer reference  the same with memlayout's reference reducer\n"
    "                                          patched into joblib: exits 0\n"
    "\n"
    "--reducer reference (or MEMLAYOUT_REDUCER=reference) imports memlayout_reference\n"
    "from $MEMLAYOUT_PYTHON, else from @RUNNER_DIR@.\n"
    "\"\"\"\n"
    "import argparse\n"
    "import ctypes\n"
    "import hashlib\n"
    "import mmap\n"
    "import os\n"
    "import pickle\n"
    "import shutil\n"
    "import sys\n"
    "import tempfile\n"
    "\n"
    "import numpy as np\n"
    "import joblib\n"
    "\n"
    "TRANSPORT = \"@TRANSPORT@\"\n"
    "MODE = \"@MODE@\"\n"
    "SHARE = TRANSPORT in (\"reduce\", \"reference\", \"loky\", \"multiprocessing\")\n"
    "FILLER = 0xA5   # the byte memlayout writes before a raw backing's data\n"
    "\n"
    "\n"
    "def make_data(dtype, n, seed):\n"
    "    \"\"\"n elements of dtype, as bytes, drawn from np.random.default_rng(seed).\"\"\"\n"
    "    rng = np.random.default_rng(seed)\n"
    "\n"
    "    def values(dt, count):\n"
    "        if dt.kind == \"b\":\n"
    "            return rng.integers(0, 2, count, dtype=np.uint8).view(np.bool_)\n"
    "        if dt.kind in \"iu\":\n"
    "            return np.frombuffer(rng.bytes(count * dt.itemsize), dtype=dt)\n"
    "        if dt.kind == \"f\":\n"
    "            return rng.standard_normal(count).astype(dt)\n"
    "        return (rng.standard_normal(count) + 1j * rng.standard_normal(count)).astype(dt)\n"
    "\n"
    "    if dtype.fields is None:\n"
    "        return values(dtype, n).tobytes()\n"
    "    arr = np.empty(n, dtype)\n"
    "    for name in dtype.names:\n"
    "        arr[name] = values(dtype.fields[name][0], n)\n"
    "    return arr.tobytes()\n"
    "\n"
    "\n"
    "def build(tmp):\n"
    "    \"\"\"The array, made the way a user makes it; returns it and its file.\"\"\"\n"
    "@BUILD@\n"
    "    return a, path\n"
    "\n"
    "\n"
    "def backing_memmap(a):\n"
    "    \"\"\"The np.memmap whose buffer is the mmap at the root of a's base chain.\"\"\"\n"
    "    b = getattr(a, \"base\", None)\n"
    "    while b is not None:\n"
    "        if isinstance(b, mmap.mmap):\n"
    "            return a if isinstance(a, np.memmap) else None\n"
    "        a, b = b, getattr(b, \"base\", None)\n"
    "    return None\n"
    "\n"
    "\n"
    "def contiguous(shape, strides, itemsize, order):\n"
    "    \"\"\"NumPy's contiguity rule, computed by hand (axes of size 1 do not count).\"\"\"\n"
    "    if 0 in shape:\n"
    "        return True\n"
    "    expect = itemsize\n"
    "    for i in (reversed(range(len(shape))) if order == \"C\" else range(len(shape))):\n"
    "        if shape[i] != 1:\n"
    "            if strides[i] != expect:\n"
    "                return False\n"
    "            expect *= shape[i]\n"
    "    return True\n"
    "\n"
    "\n"
    "def describe(a):\n"
    "    \"\"\"Layout facts of a, and its values unless its bytes leave its file mapping.\"\"\"\n"
    "    d = {\"shape\": a.shape, \"strides\": a.strides, \"itemsize\": a.itemsize,\n"
    "         \"dtype\": a.dtype.str if a.dtype.fields is None else str(a.dtype.descr),\n"
    "         \"C\": a.flags.c_contiguous, \"F\": a.flags.f_contiguous,\n"
    "         \"writeable\": a.flags.writeable, \"aligned\": a.flags.aligned,\n"
    "         \"file\": None, \"mode\": None, \"first\": None, \"inside\": True, \"hash\": None, \"head\": None}\n"
    "    m = backing_memmap(a)\n"
    "    if m is not None:\n"
    "        rel = a.__array_interface__[\"data\"][0] - m.__array_interface__[\"data\"][0]\n"
    "        lo = hi = rel\n"
    "        for n, s in zip(a.shape, a.strides):\n"
    "            if s < 0:\n"
    "                lo += (n - 1) * s\n"
    "            else:\n"
    "                hi += (n - 1) * s\n"
    "        d.update(file=os.path.realpath(m.filename), mode=m.mode, first=(m.offset or 0) + rel,\n"
    "                 inside=a.size == 0 or (lo >= 0 and hi + a.itemsize <= m.nbytes))\n"
    "    if d[\"inside\"]:\n"
    "        data = np.ascontiguousarray(a)\n"
    "        d[\"hash\"] = hashlib.blake2b(data.tobytes(), digest_size=16).hexdigest()\n"
    "        d[\"head\"] = data.reshape(-1)[:6].tolist()\n"
    "    return d\n"
    "\n"
    "\n"
    "def first_byte(a):\n"
    "    return ctypes.c_ubyte.from_address(a.__array_interface__[\"data\"][0])\n"
    "\n"
    "\n"
    "def receive(a, write):\n"
    "    \"\"\"The receiving end (a joblib worker): describe what arrived; with write,\n"
    "    invert the first byte of element [0, ...] to see whether the parent sees it.\"\"\"\n"
    "    d = describe(a)\n"
    "    d[\"wrote\"] = False\n"
    "    if write and d[\"inside\"] and a.size and d[\"file\"] and a.flags.writeable:\n"
    "        first_byte(a).value ^= 0xFF\n"
    "        d[\"wrote\"] = True\n"
    "    return d\n"
    "\n"
    "\n"
    "def send(a, write, tmp):\n"
    "    \"\"\"@SEND_DOC@\"\"\"\n"
    "@SEND@\n"
    "\n"
    "\n"
    "def file_facts(path):\n"
    "    with open(path, \"rb\") as f:\n"
    "        data = f.read()\n"
    "    return len(data), hashlib.blake2b(data, digest_size=16).hexdigest()\n"
    "\n"
    "\n"
    "def judge(p, c, before, after, parent_sees):\n"
    "    \"\"\"memlayout's invariants (docs/oracle.md), in its order.\"\"\"\n"
    "    share = SHARE and p[\"file\"] is not None\n"
    "    oob = share and c[\"file\"] is not None and not c[\"inside\"]\n"
    "    fails = []\n"
    "    if p[\"shape\"] != c[\"shape\"]:\n"
    "        fails.append(\"shape\")\n"
    "    if p[\"dtype\"] != c[\"dtype\"]:\n"
    "        fails.append(\"dtype\")\n"
    "    if not oob and (p[\"hash\"] is None or p[\"hash\"] != c[\"hash\"]):\n"
    "        fails.append(\"data\")\n"
    "    if share or TRANSPORT == \"threading\":\n"
    "        if (p[\"C\"], p[\"F\"], p[\"aligned\"]) != (c[\"C\"], c[\"F\"], c[\"aligned\"]):\n"
    "            fails.append(\"flags\")\n"
    "        if len(p[\"strides\"]) != len(c[\"strides\"]) or (0 not in p[\"shape\"] and any(\n"
    "                n > 1 and s != t for n, s, t in zip(p[\"shape\"], p[\"strides\"], c[\"strides\"]))):\n"
    "            fails.append(\"strides\")\n"
    "        if p[\"writeable\"] != c[\"writeable\"] or (MODE == \"r\" and c[\"writeable\"]):\n"
    "            fails.append(\"writeable\")\n"
    "    elif (p[\"C\"] and not c[\"C\"]) or (p[\"F\"] and not c[\"F\"]):\n"
    "        fails.append(\"flags\")   # a copy keeps the order NumPy promises, not the strides\n"
    "    if share:\n"
    "        same_mode = {\"w+\": \"r+\"}.get(c[\"mode\"], c[\"mode\"]) == {\"w+\": \"r+\"}.get(p[\"mode\"], p[\"mode\"])\n"
    "        if c[\"file\"] != p[\"file\"] or c[\"first\"] != p[\"first\"] or not same_mode:\n"
    "            fails.append(\"backing\")\n"
    "        if oob:\n"
    "            fails.append(\"oob\")\n"
    "        if parent_sees is not None and parent_sees != (MODE in (\"r+\", \"w+\")):\n"
    "            fails.append(\"write\")\n"
    "    if before[0] != after[0] or (MODE not in (\"r+\", \"w+\") and before[1] != after[1]):\n"
    "        fails.append(\"file\")\n"
    "    if not all(contiguous(d[\"shape\"], d[\"strides\"], d[\"itemsize\"], o) == d[o]\n"
    "               for d in (p, c) for o in \"CF\"):\n"
    "        fails.append(\"model\")\n"
    "    return fails\n"
    "\n"
    "\n"
    "def show(who, d):\n"
    "    print(f\"{who}: shape {d['shape']} strides {d['strides']} dtype {d['dtype']} \"\n"
    "          f\"C_CONTIGUOUS={d['C']} F_CONTIGUOUS={d['F']} WRITEABLE={d['writeable']}\")\n"
    "    if d[\"file\"] is not None:\n"
    "        print(f\"        file offset of element [0, ...]: {d['first']} (mode {d['mode']!r})\")\n"
    "    if d[\"head\"] is None:\n"
    "        print(\"        values not read: the view leaves its file mapping\")\n"
    "    else:\n"
    "        vals = [f\"{v:.6g}\" if isinstance(v, float) else repr(v) for v in d[\"head\"]]\n"
    "        print(\"        values \" + \" \".join(vals) + (\" ...\" if len(d[\"head\"]) == 6 else \"\"))\n"
    "\n"
    "\n"
    "def use_reference_reducer():\n"
    "    \"\"\"Patch memlayout's reference reducer into joblib (for loky/multiprocessing\n"
    "    workers too: they import its rebuild function through PYTHONPATH).\"\"\"\n"
    "    where = os.environ.get(\"MEMLAYOUT_PYTHON\") or \"@RUNNER_DIR@\"\n"
    "    sys.path.insert(0, where)\n"
    "    os.environ[\"PYTHONPATH\"] = os.pathsep.join(\n"
    "        p for p in (where, os.environ.get(\"PYTHONPATH\")) if p)\n"
    "    import memlayout_reference as ref\n"
    "    from joblib import _memmapping_reducer as mr\n"
    "    mr._reduce_memmap_backed = ref.reduce_memmap_backed\n"
    "    if hasattr(ref, \"dumps\"):\n"
    "        mr.dumps = ref.dumps\n"
    "\n"
    "\n"
    "def main():\n"
    "    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])\n"
    "    ap.add_argument(\"--reducer\", choices=(\"joblib\", \"reference\"),\n"
    "                    default=os.environ.get(\"MEMLAYOUT_REDUCER\") or \"joblib\")\n"
    "    reducer = ap.parse_args().reducer\n"
    "    if reducer == \"reference\":\n"
    "        use_reference_reducer()\n"
    "    print(f\"Python {sys.version.split()[0]}, NumPy {np.__version__}, \"\n"
    "          f\"joblib {joblib.__version__}, reducer: {reducer}\")\n"
    "    print(\"sent through: @TRANSPORT_DESC@\")\n"
    "    tmp = tempfile.mkdtemp(prefix=\"memlayout-repro-\")\n"
    "    os.environ[\"JOBLIB_TEMP_FOLDER\"] = tmp\n"
    "    try:\n"
    "        a, path = build(tmp)\n"
    "        parent = describe(a)\n"
    "        before = file_facts(path)\n"
    "        write = (SHARE and MODE in (\"r+\", \"w+\", \"c\") and parent[\"file\"] is not None\n"
    "                 and parent[\"inside\"] and a.size > 0)\n"
    "        byte = first_byte(a).value if write else None\n"
    "        try:\n"
    "            child = send(a, write, tmp)\n"
    "        except Exception as e:\n"
    "            show(\"parent\", parent)\n"
    "            print(f\"BUG: the receiver did not get the array: {type(e).__name__}: {e}\")\n"
    "            print(\"verdict: error\")\n"
    "            return 1\n"
    "        parent_sees = first_byte(a).value != byte if child[\"wrote\"] else None\n"
    "        after = file_facts(path)\n"
    "        show(\"parent\", parent)\n"
    "        show(\"worker\", child)\n"
    "        if child[\"hash\"] is None:\n"
    "            print(\"values equal: not compared (the worker's view leaves its file mapping)\")\n"
    "        else:\n"
    "            print(f\"values equal: {parent['hash'] == child['hash']}\")\n"
    "        if parent_sees is not None:\n"
    "            print(f\"a write through the worker's view is seen by the parent: {parent_sees}\")\n"
    "        fails = judge(parent, child, before, after, parent_sees)\n"
    "        if fails:\n"
    "            print(\"BUG: the array that arrived is not the array that was sent: \" + \", \".join(fails))\n"
    "            print(\"verdict: fail:\" + \",\".join(fails))\n"
    "            return 1\n"
    "        print(\"OK: the array arrived as it was sent\")\n"
    "        print(\"verdict: pass\")\n"
    "        return 0\n"
    "    finally:\n"
    "        a = None\n"
    "        shutil.rmtree(tmp, ignore_errors=True)\n"
    "\n"
    "\n"
    "if __name__ == \"__main__\":\n"
    "    sys.exit(main())\n";

/* ---- a growing string ------------------------------------------------------ */

typedef struct {
    char *s;
    size_t len, cap;
    bool oom;
} buf;

static void add(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(buf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = (b->cap ? b->cap : 256) * 2;
        while (ncap < b->len + (size_t)n + 1)
            ncap *= 2;
        char *ns = realloc(b->s, ncap);
        if (!ns) {
            b->oom = true;
            return;
        }
        b->s = ns;
        b->cap = ncap;
    }
}

/* ---- Python literals -------------------------------------------------------- */

static void add_tuple(buf *b, int n, const int64_t *v)
{
    add(b, "(");
    for (int i = 0; i < n; i++)
        add(b, "%s%lld", i ? ", " : "", (long long)v[i]);
    add(b, "%s)", n == 1 ? "," : "");
}

static void add_dtype(buf *b, const ml_dtype *d)
{
    char s[8];
    if (!d->nfields) {
        add(b, "np.dtype(\"%s\")", ml_scalar_str(&d->scalar, s));
        return;
    }
    add(b, "np.dtype([");
    for (int i = 0; i < d->nfields; i++)
        add(b, "%s(\"%s\", \"%s\")", i ? ", " : "", d->names[i], ml_scalar_str(&d->fields[i], s));
    add(b, "])");
}

/* a[:, :, <key>] with the key on axis `axis` of an nd-dim array */
static void add_index(buf *b, int nd, int axis, const char *key)
{
    int a = axis < 0 ? axis + nd : axis;
    add(b, "    a = a[");
    for (int i = 0; i < a; i++)
        add(b, ":, ");
    add(b, "%s]\n", key);
}

static void add_op(buf *b, const ml_case *c, int i)
{
    const ml_op *op = &c->ops[i];
    int64_t in[ML_MAX_NDIM];
    int nd = ml_case_shape_after(c, i, in);
    char key[96];
    switch (op->kind) {
    case ML_OP_RESHAPE:
        add(b, "    a = a.reshape(");
        add_tuple(b, op->ndim, op->shape);
        add(b, ", order=\"%c\")\n", op->order);
        break;
    case ML_OP_TRANSPOSE:
        if (!op->has_axes) {
            add(b, "    a = a.transpose()\n");
        } else {
            int64_t ax[ML_MAX_NDIM];
            for (int j = 0; j < op->ndim; j++)
                ax[j] = op->axes[j];
            add(b, "    a = a.transpose(");
            add_tuple(b, op->ndim, ax);
            add(b, ")\n");
        }
        break;
    case ML_OP_SWAPAXES:
        add(b, "    a = a.swapaxes(%d, %d)\n", op->axis, op->axis2);
        break;
    case ML_OP_MOVEAXIS:
        add(b, "    a = np.moveaxis(a, %d, %d)\n", op->axis, op->axis2);
        break;
    case ML_OP_SLICE: {
        char start[24] = "", stop[24] = "", step[24] = "";
        if (op->has_start)
            snprintf(start, sizeof start, "%lld", (long long)op->start);
        if (op->has_stop)
            snprintf(stop, sizeof stop, "%lld", (long long)op->stop);
        if (op->step != 1)
            snprintf(step, sizeof step, ":%lld", (long long)op->step);
        snprintf(key, sizeof key, "%s:%s%s", start, stop, step);
        add_index(b, nd, op->axis, key);
        break;
    }
    case ML_OP_INDEX:
        snprintf(key, sizeof key, "%lld", (long long)op->index);
        add_index(b, nd, op->axis, key);
        break;
    case ML_OP_NEWAXIS:
        add(b, "    a = np.expand_dims(a, %d)\n", op->axis);
        break;
    case ML_OP_SQUEEZE:
        add(b, "    a = a.squeeze(%d)\n", op->axis);
        break;
    case ML_OP_RAVEL:
        add(b, "    a = a.ravel(\"%c\")\n", op->order);
        break;
    case ML_OP_VIEW:
        add(b, "    a = a.view(");
        add_dtype(b, &op->dtype);
        add(b, ")\n");
        break;
    case ML_OP_BROADCAST:
        add(b, "    a = np.broadcast_to(a, ");
        add_tuple(b, op->ndim, op->shape);
        add(b, ")\n");
        break;
    default:
        break;
    }
}

/* The backing file exactly as the runner makes it (build_backing). */
static void add_build(buf *b, const ml_case *c)
{
    int64_t n = 1;
    for (int i = 0; i < c->ndim; i++)
        n *= c->shape[i];
    add(b, "    dtype = ");
    add_dtype(b, &c->dtype);
    add(b, "\n");
    if (c->source == ML_SRC_NPY) {
        add(b, "    path = os.path.join(tmp, \"data.npy\")\n");
        add(b, "    m = np.lib.format.open_memmap(path, mode=\"w+\", dtype=dtype, shape=");
        add_tuple(b, c->ndim, c->shape);
        add(b, ", fortran_order=%s)\n", c->order == 'F' ? "True" : "False");
        add(b, "    m[...] = np.frombuffer(make_data(dtype, %lld, seed=%llu), dtype).reshape(",
            (long long)n, (unsigned long long)c->seed);
        add_tuple(b, c->ndim, c->shape);
        add(b, ", order=\"%c\")\n", c->order);
        add(b, "    m.flush()\n    del m\n");
        add(b, "    a = np.load(path, mmap_mode=\"%s\")\n", ml_mode_name(c->mode));
    } else if (c->mode == ML_MODE_WPLUS) {
        add(b, "    path = os.path.join(tmp, \"data.bin\")\n");
        add(b, "    a = np.memmap(path, dtype=dtype, mode=\"w+\", offset=%lld, shape=", (long long)c->offset);
        add_tuple(b, c->ndim, c->shape);
        add(b, ", order=\"%c\")\n", c->order);
        if (c->offset) {
            add(b, "    with open(path, \"r+b\") as f:\n");
            add(b, "        f.write(bytes([FILLER]) * %lld)\n", (long long)c->offset);
        }
        if (n) {
            add(b, "    flat = a if a.flags.c_contiguous else a.T\n");
            add(b, "    flat.reshape(-1)[...] = np.frombuffer(make_data(dtype, %lld, seed=%llu), dtype)\n",
                (long long)n, (unsigned long long)c->seed);
        }
        add(b, "    a.flush()\n");
    } else {
        add(b, "    path = os.path.join(tmp, \"data.bin\")\n");
        add(b, "    with open(path, \"wb\") as f:\n");
        if (c->offset)
            add(b, "        f.write(bytes([FILLER]) * %lld)\n", (long long)c->offset);
        add(b, "        f.write(make_data(dtype, %lld, seed=%llu))\n", (long long)n,
            (unsigned long long)c->seed);
        add(b, "    a = np.memmap(path, dtype=dtype, mode=\"%s\", offset=%lld, shape=",
            ml_mode_name(c->mode), (long long)c->offset);
        add_tuple(b, c->ndim, c->shape);
        add(b, ", order=\"%c\")\n", c->order);
    }
    for (int i = 0; i < c->nops; i++)
        add_op(b, c, i);
}

static const char *transport_desc(ml_transport t)
{
    switch (t) {
    case ML_T_REDUCE: return "joblib's ArrayMemmapForwardReducer (what loky does), in one process";
    case ML_T_REFERENCE: return "memlayout's reference reducer, in one process";
    case ML_T_LOKY: return "joblib.Parallel(n_jobs=2, backend='loky')";
    case ML_T_MULTIPROCESSING: return "joblib.Parallel(n_jobs=2, backend='multiprocessing')";
    case ML_T_THREADING: return "joblib.Parallel(n_jobs=2, backend='threading')";
    case ML_T_PICKLE5_OOB: return "pickle protocol 5 with out-of-band buffers";
    case ML_T_POOL_SPAWN: return "a multiprocessing spawn Pool(2)";
    case ML_T_POOL_FORKSERVER: return "a multiprocessing forkserver Pool(2)";
    default: return "pickle.dumps / pickle.loads";
    }
}

static void add_send(buf *b, ml_transport t, const char *runner_dir)
{
    switch (t) {
    case ML_T_REDUCE:
        add(b, "    from joblib._memmapping_reducer import ArrayMemmapForwardReducer\n"
               "    reducer = ArrayMemmapForwardReducer(1e6, lambda: tmp, \"r\", False)\n"
               "    rebuild, args = pickle.loads(pickle.dumps(reducer(a), pickle.HIGHEST_PROTOCOL))\n"
               "    return receive(rebuild(*args), write)");
        break;
    case ML_T_REFERENCE:
        add(b, "    sys.path.insert(0, os.environ.get(\"MEMLAYOUT_PYTHON\") or \"%s\")\n"
               "    import memlayout_reference as ref\n"
               "    rebuild, args = pickle.loads(pickle.dumps(ref.reduce(a), pickle.HIGHEST_PROTOCOL))\n"
               "    return receive(rebuild(*args), write)", runner_dir);
        break;
    case ML_T_LOKY:
    case ML_T_MULTIPROCESSING:
    case ML_T_THREADING:
        add(b, "    from joblib import Parallel, delayed\n"
               "    return Parallel(n_jobs=2, backend=\"%s\")([delayed(receive)(a, write)])[0]",
            ml_transport_name(t));
        break;
    case ML_T_PICKLE5_OOB:
        add(b, "    buffers = []\n"
               "    data = pickle.dumps(a, protocol=5, buffer_callback=buffers.append)\n"
               "    return receive(pickle.loads(data, buffers=buffers), write)");
        break;
    case ML_T_POOL_SPAWN:
    case ML_T_POOL_FORKSERVER:
        add(b, "    import multiprocessing\n"
               "    with multiprocessing.get_context(\"%s\").Pool(2) as pool:\n"
               "        return pool.apply(receive, (a, write))",
            t == ML_T_POOL_SPAWN ? "spawn" : "forkserver");
        break;
    default:   /* pickle2..pickle5 */
        add(b, "    return receive(pickle.loads(pickle.dumps(a, protocol=%c)), write)",
            ml_transport_name(t)[6]);
        break;
    }
}

char *ml_repro_script(const ml_case *c, const ml_repro_opts *o)
{
    static const ml_repro_opts none;
    if (!o)
        o = &none;
    const char *runner = o->runner_dir ? o->runner_dir : ML_RUNNER_DIR;
    buf out = {0}, part = {0};
    const char *p = template_py;
    while (*p) {
        const char *at = strchr(p, '@');
        const char *end = at ? strchr(at + 1, '@') : NULL;
        if (!at || !end) {
            add(&out, "%s", p);
            break;
        }
        add(&out, "%.*s", (int)(at - p), p);
        size_t klen = (size_t)(end - at - 1);
        const char *key = at + 1;
#define KEY(k) (klen == strlen(k) && strncmp(key, k, klen) == 0)
        part.len = 0;
        if (part.s)
            part.s[0] = 0;
        if (KEY("BUILD")) {
            add_build(&part, c);
            if (part.len && part.s[part.len - 1] == '\n')
                part.s[--part.len] = 0;   /* the template ends the line */
        } else if (KEY("SEND")) {
            add_send(&part, c->transport, runner);
        } else if (KEY("SEND_DOC")) {
            add(&part, "Send a through %s; returns what the receiver saw.", transport_desc(c->transport));
        } else if (KEY("TRANSPORT_DESC")) {
            add(&part, "%s", transport_desc(c->transport));
        } else if (KEY("TRANSPORT")) {
            add(&part, "%s", ml_transport_name(c->transport));
        } else if (KEY("MODE")) {
            add(&part, "%s", ml_mode_name(c->mode));
        } else if (KEY("RUNNER_DIR")) {
            add(&part, "%s", runner);
        } else if (KEY("HEADER")) {
            char *json = ml_case_write(c);
            if (json && *json)
                json[strlen(json) - 1] = 0;
            add(&part, "memlayout case: %s\n", json ? json : "?");
            free(json);
            if (o->observed)
                add(&part, "memlayout saw: %s%s%s\n", o->observed, o->versions ? " with " : "",
                    o->versions ? o->versions : "");
        } else {
            add(&part, "@%.*s@", (int)klen, key);   /* not a placeholder */
        }
#undef KEY
        add(&out, "%s", part.s ? part.s : "");
        p = end + 1;
    }
    free(part.s);
    if (out.oom || part.oom) {
        free(out.s);
        return NULL;
    }
    return out.s;
}

/* The standalone Python reproducer: see repro.h.
 *
 * The script is a fixed template (below) with the case's parts written in:
 * @BUILD@ creates the backing file and applies the view ops as plain NumPy
 * calls, @SEND@ is the one transport the case uses. Data bytes, file layout
 * and ops follow harness/python/memlayout_runner.py, and the judging follows
 * harness/lib/oracle.c, so the script reaches memlayout's verdict on its own. */
#include "repro.h"
#include "layout.h"
#include "strbuf.h"

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
    "import numpy.lib.recfunctions\n"
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
    "@FILL_FIELDS@\n"
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
    "         \"dtype\": @DTYPE_STR@,\n"
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
    "        if data.dtype.names is not None:   # the bytes between a multi-field view's fields hold no value\n"
    "            data = np.lib.recfunctions.repack_fields(data)\n"
    "        if not data.dtype.isnative:   # values, not bytes: a copy may swap the byte order\n"
    "            data = data.astype(data.dtype.newbyteorder(\"=\"))\n"
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

/* ---- Python literals -------------------------------------------------------- */

static void add_tuple(ml_strbuf *b, int n, const int64_t *v)
{
    ml_strbuf_fmt(b, "(");
    for (int i = 0; i < n; i++)
        ml_strbuf_fmt(b, "%s%lld", i ? ", " : "", (long long)v[i]);
    ml_strbuf_fmt(b, "%s)", n == 1 ? "," : "");
}

static void add_dtype(ml_strbuf *b, const ml_dtype *d)
{
    char s[8];
    if (!d->nfields) {
        ml_strbuf_fmt(b, "np.dtype(\"%s\")", ml_scalar_str(&d->scalar, s));
        return;
    }
    ml_strbuf_fmt(b, "np.dtype([");
    for (int i = 0; i < d->nfields; i++) {
        if (d->nsub[i] > 0) {   /* an inner structure: ("p", [("a", "<i2"), ...]) */
            ml_strbuf_fmt(b, "%s(\"%s\", [", i ? ", " : "", d->names[i]);
            for (int j = 0; j < d->nsub[i] && j < ML_MAX_SUBFIELDS; j++)
                ml_strbuf_fmt(b, "%s(\"%s\", \"%s\")", j ? ", " : "", d->subnames[i][j],
                              ml_scalar_str(&d->subfields[i][j], s));
            ml_strbuf_fmt(b, "]");
        } else {
            ml_strbuf_fmt(b, "%s(\"%s\", \"%s\"", i ? ", " : "", d->names[i], ml_scalar_str(&d->fields[i], s));
        }
        if (d->subndim[i] > 0) {   /* a sub-array field: ("v", "<f4", (3,)) */
            int64_t sub[ML_MAX_SUBDIMS];
            int k = d->subndim[i] < ML_MAX_SUBDIMS ? d->subndim[i] : ML_MAX_SUBDIMS;
            for (int j = 0; j < k; j++)
                sub[j] = d->subshape[i][j];
            ml_strbuf_fmt(b, ", ");
            add_tuple(b, k, sub);
        }
        ml_strbuf_fmt(b, ")");
    }
    ml_strbuf_fmt(b, "])");
}

/* a[:, :, <key>] with the key on axis `axis` of an nd-dim array */
static void add_index(ml_strbuf *b, const char *ind, int nd, int axis, const char *key)
{
    int a = axis < 0 ? axis + nd : axis;
    ml_strbuf_fmt(b, "%sa = a[", ind);
    for (int i = 0; i < a; i++)
        ml_strbuf_fmt(b, ":, ");
    ml_strbuf_fmt(b, "%s]\n", key);
}

/* ops[i] as one line of NumPy at indentation ind; terse leaves out a
 * reshape's order when it is NumPy's default "C". */
static void add_op(ml_strbuf *b, const ml_case *c, int i, const char *ind, bool terse)
{
    const ml_op *op = &c->ops[i];
    int64_t in[ML_MAX_NDIM];
    int nd = ml_case_shape_after(c, i, in);
    char key[96];
    switch (op->kind) {
    case ML_OP_RESHAPE:
        ml_strbuf_fmt(b, "%sa = a.reshape(", ind);
        add_tuple(b, op->ndim, op->shape);
        if (terse && op->order == 'C')
            ml_strbuf_fmt(b, ")\n");
        else
            ml_strbuf_fmt(b, ", order=\"%c\")\n", op->order);
        break;
    case ML_OP_TRANSPOSE:
        if (!op->has_axes) {
            ml_strbuf_fmt(b, "%sa = a.transpose()\n", ind);
        } else {
            int64_t ax[ML_MAX_NDIM];
            for (int j = 0; j < op->ndim; j++)
                ax[j] = op->axes[j];
            ml_strbuf_fmt(b, "%sa = a.transpose(", ind);
            add_tuple(b, op->ndim, ax);
            ml_strbuf_fmt(b, ")\n");
        }
        break;
    case ML_OP_SWAPAXES:
        ml_strbuf_fmt(b, "%sa = a.swapaxes(%d, %d)\n", ind, op->axis, op->axis2);
        break;
    case ML_OP_MOVEAXIS:
        ml_strbuf_fmt(b, "%sa = np.moveaxis(a, %d, %d)\n", ind, op->axis, op->axis2);
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
        add_index(b, ind, nd, op->axis, key);
        break;
    }
    case ML_OP_INDEX:
        snprintf(key, sizeof key, "%lld", (long long)op->index);
        add_index(b, ind, nd, op->axis, key);
        break;
    case ML_OP_NEWAXIS:
        ml_strbuf_fmt(b, "%sa = np.expand_dims(a, %d)\n", ind, op->axis);
        break;
    case ML_OP_SQUEEZE:
        ml_strbuf_fmt(b, "%sa = a.squeeze(%d)\n", ind, op->axis);
        break;
    case ML_OP_RAVEL:
        ml_strbuf_fmt(b, "%sa = a.ravel(\"%c\")\n", ind, op->order);
        break;
    case ML_OP_VIEW:
        ml_strbuf_fmt(b, "%sa = a.view(", ind);
        add_dtype(b, &op->dtype);
        ml_strbuf_fmt(b, ")\n");
        break;
    case ML_OP_BROADCAST:
        ml_strbuf_fmt(b, "%sa = np.broadcast_to(a, ", ind);
        add_tuple(b, op->ndim, op->shape);
        ml_strbuf_fmt(b, ")\n");
        break;
    case ML_OP_FIELD:
        ml_strbuf_fmt(b, "%sa = a[\"%.*s\"]\n", ind, ML_FIELD_NAME_MAX - 1, op->names[0]);
        break;
    case ML_OP_FIELDS:
        ml_strbuf_fmt(b, "%sa = a[[", ind);
        for (int j = 0; j < op->nnames && j < ML_MAX_FIELDS; j++)
            ml_strbuf_fmt(b, "%s\"%.*s\"", j ? ", " : "", ML_FIELD_NAME_MAX - 1, op->names[j]);
        ml_strbuf_fmt(b, "]]\n");
        break;
    case ML_OP_REAL:
        ml_strbuf_fmt(b, "%sa = a.real\n", ind);
        break;
    case ML_OP_IMAG:
        ml_strbuf_fmt(b, "%sa = a.imag\n", ind);
        break;
    case ML_OP_AS_STRIDED:
        ml_strbuf_fmt(b, "%sa = np.lib.stride_tricks.as_strided(a, shape=", ind);
        add_tuple(b, op->ndim, op->shape);
        ml_strbuf_fmt(b, ", strides=");
        add_tuple(b, op->ndim, op->strides);
        ml_strbuf_fmt(b, ")\n");
        break;
    case ML_OP_SLIDING_WINDOW:
        ml_strbuf_fmt(b, "%sa = np.lib.stride_tricks.sliding_window_view(a, ", ind);
        add_tuple(b, op->ndim, op->shape);
        if (op->has_axes) {
            int64_t ax[ML_MAX_NDIM];
            for (int j = 0; j < op->ndim; j++)
                ax[j] = op->axes[j];
            ml_strbuf_fmt(b, ", axis=");
            add_tuple(b, op->ndim, ax);
        }
        ml_strbuf_fmt(b, ")\n");
        break;
    case ML_OP_DIAGONAL:
        ml_strbuf_fmt(b, "%sa = a.diagonal(offset=%lld, axis1=%d, axis2=%d)\n", ind, (long long)op->index, op->axis,
            op->axis2);
        break;
    case ML_OP_FLIP:
        if (op->has_axis)
            ml_strbuf_fmt(b, "%sa = np.flip(a, %d)\n", ind, op->axis);
        else
            ml_strbuf_fmt(b, "%sa = np.flip(a)\n", ind);
        break;
    case ML_OP_ROT90:
        ml_strbuf_fmt(b, "%sa = np.rot90(a, %lld, axes=(%d, %d))\n", ind, (long long)op->index, op->axis, op->axis2);
        break;
    case ML_OP_ASARRAY:
        if (op->via_view)
            ml_strbuf_fmt(b, "%sa = a.view(np.ndarray)\n", ind);
        else
            ml_strbuf_fmt(b, "%sa = np.asarray(a)\n", ind);
        break;
    default:
        break;
    }
}

/* Whether d has a field that is itself a structure. */
static bool has_inner(const ml_dtype *d)
{
    for (int i = 0; i < d->nfields && i < ML_MAX_FIELDS; i++)
        if (d->nsub[i] > 0)
            return true;
    return false;
}

/* The dtype of the view that is sent, as the layout model follows it
 * through view, field, fields, real and imag; *reordered: a multi-field
 * view whose fields are out of order, for which NumPy's dtype.descr raises
 * (str(dtype) then names it). */
static ml_dtype sent_dtype(const ml_case *c, bool *reordered)
{
    ml_view v[ML_MAX_OPS + 1];
    *reordered = false;
    if (!ml_layout_case(c, c->nops, v)) {   /* not a valid chain: the last view op's, else the file's */
        ml_dtype d = c->dtype;
        for (int i = 0; i < c->nops; i++)
            if (c->ops[i].kind == ML_OP_VIEW)
                d = c->ops[i].dtype;
        return d;
    }
    const ml_view *f = &v[c->nops];
    for (int i = 1; i < f->dtype.nfields && i < ML_MAX_FIELDS; i++)
        *reordered |= f->field_offset[i] < f->field_offset[i - 1];
    return f->dtype;
}

/* How the scripts write a view's dtype: dtype.str, else dtype.descr where
 * NumPy defines it (the runner's _dtype_str). */
static const char *dtype_str_expr(const ml_case *c)
{
    bool reordered;
    (void)sent_dtype(c, &reordered);
    return reordered ? "a.dtype.str if a.dtype.fields is None else str(a.dtype)"
                     : "a.dtype.str if a.dtype.fields is None else str(a.dtype.descr)";
}

/* The backing file exactly as the runner makes it (build_backing). */
static void add_build(ml_strbuf *b, const ml_case *c)
{
    int64_t n = 1;
    for (int i = 0; i < c->ndim; i++)
        n *= c->shape[i];
    ml_strbuf_fmt(b, "    dtype = ");
    add_dtype(b, &c->dtype);
    ml_strbuf_fmt(b, "\n");
    if (c->source == ML_SRC_NPY) {
        /* w+: the array is the memmap that created the file (open_memmap
         * reopens it r+); other modes: saved, then loaded */
        const char *m = c->mode == ML_MODE_WPLUS ? "a" : "m";
        ml_strbuf_fmt(b, "    path = os.path.join(tmp, \"data.npy\")\n");
        ml_strbuf_fmt(b, "    %s = np.lib.format.open_memmap(path, mode=\"w+\", dtype=dtype, shape=", m);
        add_tuple(b, c->ndim, c->shape);
        ml_strbuf_fmt(b, ", fortran_order=%s)\n", c->order == 'F' ? "True" : "False");
        ml_strbuf_fmt(b, "    %s[...] = np.frombuffer(make_data(dtype, %lld, seed=%llu), dtype).reshape(", m,
            (long long)n, (unsigned long long)c->seed);
        add_tuple(b, c->ndim, c->shape);
        ml_strbuf_fmt(b, ", order=\"%c\")\n", c->order);
        if (c->mode == ML_MODE_WPLUS) {
            ml_strbuf_fmt(b, "    a.flush()\n");
        } else {
            ml_strbuf_fmt(b, "    m.flush()\n    del m\n");
            ml_strbuf_fmt(b, "    a = np.load(path, mmap_mode=\"%s\")\n", ml_mode_name(c->mode));
        }
    } else if (c->mode == ML_MODE_WPLUS) {
        ml_strbuf_fmt(b, "    path = os.path.join(tmp, \"data.bin\")\n");
        ml_strbuf_fmt(b, "    a = np.memmap(path, dtype=dtype, mode=\"w+\", offset=%lld, shape=", (long long)c->offset);
        add_tuple(b, c->ndim, c->shape);
        ml_strbuf_fmt(b, ", order=\"%c\")\n", c->order);
        if (c->offset) {
            ml_strbuf_fmt(b, "    with open(path, \"r+b\") as f:\n");
            ml_strbuf_fmt(b, "        f.write(bytes([FILLER]) * %lld)\n", (long long)c->offset);
        }
        if (n) {
            ml_strbuf_fmt(b, "    flat = a if a.flags.c_contiguous else a.T\n");
            ml_strbuf_fmt(b, "    flat.reshape(-1)[...] = np.frombuffer(make_data(dtype, %lld, seed=%llu), dtype)\n",
                (long long)n, (unsigned long long)c->seed);
        }
        ml_strbuf_fmt(b, "    a.flush()\n");
    } else {
        ml_strbuf_fmt(b, "    path = os.path.join(tmp, \"data.bin\")\n");
        ml_strbuf_fmt(b, "    with open(path, \"wb\") as f:\n");
        if (c->offset)
            ml_strbuf_fmt(b, "        f.write(bytes([FILLER]) * %lld)\n", (long long)c->offset);
        ml_strbuf_fmt(b, "        f.write(make_data(dtype, %lld, seed=%llu))\n", (long long)n,
            (unsigned long long)c->seed);
        ml_strbuf_fmt(b, "    a = np.memmap(path, dtype=dtype, mode=\"%s\", offset=%lld, shape=",
            ml_mode_name(c->mode), (long long)c->offset);
        add_tuple(b, c->ndim, c->shape);
        ml_strbuf_fmt(b, ", order=\"%c\")\n", c->order);
    }
    for (int i = 0; i < c->nops; i++)
        add_op(b, c, i, "    ", false);
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
    case ML_T_DASK: return "joblib.Parallel() under parallel_backend('dask') on a 2-process dask LocalCluster";
    default: return "pickle.dumps / pickle.loads";
    }
}

static void add_send(ml_strbuf *b, ml_transport t, const char *runner_dir)
{
    switch (t) {
    case ML_T_REDUCE:
        ml_strbuf_fmt(b, "    from joblib._memmapping_reducer import ArrayMemmapForwardReducer\n"
               "    reducer = ArrayMemmapForwardReducer(1e6, lambda: tmp, \"r\", False)\n"
               "    rebuild, args = pickle.loads(pickle.dumps(reducer(a), pickle.HIGHEST_PROTOCOL))\n"
               "    return receive(rebuild(*args), write)");
        break;
    case ML_T_REFERENCE:
        ml_strbuf_fmt(b, "    sys.path.insert(0, os.environ.get(\"MEMLAYOUT_PYTHON\") or \"%s\")\n"
               "    import memlayout_reference as ref\n"
               "    rebuild, args = pickle.loads(pickle.dumps(ref.reduce(a), pickle.HIGHEST_PROTOCOL))\n"
               "    return receive(rebuild(*args), write)", runner_dir);
        break;
    case ML_T_LOKY:
    case ML_T_MULTIPROCESSING:
    case ML_T_THREADING:
        ml_strbuf_fmt(b, "    from joblib import Parallel, delayed\n"
               "    return Parallel(n_jobs=2, backend=\"%s\")([delayed(receive)(a, write)])[0]",
            ml_transport_name(t));
        break;
    case ML_T_PICKLE5_OOB:
        ml_strbuf_fmt(b, "    buffers = []\n"
               "    data = pickle.dumps(a, protocol=5, buffer_callback=buffers.append)\n"
               "    return receive(pickle.loads(data, buffers=buffers), write)");
        break;
    case ML_T_POOL_SPAWN:
    case ML_T_POOL_FORKSERVER:
        ml_strbuf_fmt(b, "    import multiprocessing\n"
               "    with multiprocessing.get_context(\"%s\").Pool(2) as pool:\n"
               "        return pool.apply(receive, (a, write))",
            t == ML_T_POOL_SPAWN ? "spawn" : "forkserver");
        break;
    case ML_T_DASK:
        ml_strbuf_fmt(b, "    from dask.distributed import Client, LocalCluster\n"
               "    from joblib import Parallel, delayed, parallel_backend\n"
               "    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \\\n"
               "            Client(cluster), parallel_backend(\"dask\"):\n"
               "        return Parallel()([delayed(receive)(a, write)])[0]");
        break;
    default:   /* pickle2..pickle5 */
        ml_strbuf_fmt(b, "    return receive(pickle.loads(pickle.dumps(a, protocol=%c)), write)",
            ml_transport_name(t)[6]);
        break;
    }
}

/* ---- the short script (the default) ------------------------------------------
 *
 * One straight script in the order a bug report reads: how to see what an
 * array looks like (facts), the array built as the case builds it, one call
 * of the transport as a user makes it, both sides printed next to each other,
 * and the checks that the transport's class (docs/oracle.md) makes. Parts
 * that do not concern the case are left out: the file position and the base
 * walk for copies, the bounds check unless a slice steps backwards, the write
 * unless the mode writes, the copy fallback unless a reshape or ravel may
 * copy, the size-1-axis rule for strides unless such an axis is there. */

/* n values of scalar s drawn from rng, as the runner's make_data draws them;
 * cast: convert to s (assigning to a structured field casts by itself). */
static void add_values(ml_strbuf *b, const char *rng, const ml_scalar *s, int64_t n, bool cast)
{
    char str[8];
    ml_scalar_str(s, str);
    switch (s->kind) {
    case 'b':
        ml_strbuf_fmt(b, "%s.integers(0, 2, %lld, dtype=np.uint8)%s", rng, (long long)n, cast ? ".view(bool)" : "");
        break;
    case 'i':
    case 'u':
        ml_strbuf_fmt(b, "np.frombuffer(%s.bytes(%lld), \"%s\")", rng, (long long)(n * s->size), str);
        break;
    case 'f':
        ml_strbuf_fmt(b, "%s.standard_normal(%lld)", rng, (long long)n);
        if (cast)
            ml_strbuf_fmt(b, ".astype(\"%s\")", str);
        break;
    default:   /* 'c' */
        ml_strbuf_fmt(b, "(%s.standard_normal(%lld) + 1j * %s.standard_normal(%lld))", rng, (long long)n, rng,
            (long long)n);
        if (cast)
            ml_strbuf_fmt(b, ".astype(\"%s\")", str);
        break;
    }
}

/* The backing file with the runner's bytes (build_backing), opened as the case
 * says, and the view ops: the lines that leave the view in a. */
static void add_short_build(ml_strbuf *b, const ml_case *c, const char *in)
{
    int64_t n = 1;
    for (int i = 0; i < c->ndim; i++)
        n *= c->shape[i];
    const ml_dtype *d = &c->dtype;
    char dt[16] = "dt", shape[ML_MAX_NDIM * 24 + 8];
    ml_strbuf sb = {0}, expr = {0};
    add_tuple(&sb, c->ndim, c->shape);
    snprintf(shape, sizeof shape, "%s", sb.p && !sb.oom ? sb.p : "()");
    free(sb.p);
    b->oom |= sb.oom;
    bool npy = c->source == ML_SRC_NPY, wplus = c->mode == ML_MODE_WPLUS;
    ml_strbuf_fmt(b, "%spath = os.path.join(tmp, \"data.%s\")   # filled as memlayout fills it, from the case's seed\n", in,
        npy ? "npy" : "bin");
    if (d->nfields) {
        ml_strbuf_fmt(b, "%sdt = ", in);
        add_dtype(b, d);
        ml_strbuf_fmt(b, "\n%srng = np.random.default_rng(%llu)\n", in, (unsigned long long)c->seed);
        ml_strbuf_fmt(b, "%sdata = np.empty(%lld, dt)\n", in, (long long)n);
        for (int f = 0; f < d->nfields; f++) {
            int64_t k = n;   /* a sub-array field takes n times its size values, in C order */
            for (int j = 0; j < d->subndim[f] && j < ML_MAX_SUBDIMS; j++)
                k *= d->subshape[f][j];
            /* an inner structure's fields are filled one after the other, the same way */
            for (int j = 0; j < (d->nsub[f] > 0 ? d->nsub[f] : 1) && j < ML_MAX_SUBFIELDS; j++) {
                ml_strbuf_fmt(b, "%sdata[\"%s\"]", in, d->names[f]);
                if (d->nsub[f] > 0)
                    ml_strbuf_fmt(b, "[\"%s\"]", d->subnames[f][j]);
                ml_strbuf_fmt(b, " = ");
                add_values(b, "rng", d->nsub[f] > 0 ? &d->subfields[f][j] : &d->fields[f], k, false);
                if (d->subndim[f] > 0) {
                    ml_strbuf_fmt(b, ".reshape(%lld", (long long)n);
                    for (int jj = 0; jj < d->subndim[f] && jj < ML_MAX_SUBDIMS; jj++)
                        ml_strbuf_fmt(b, ", %d", d->subshape[f][jj]);
                    ml_strbuf_fmt(b, ")");
                }
                ml_strbuf_fmt(b, "\n");
            }
        }
    } else {
        char r[48];
        snprintf(dt, sizeof dt, "\"%s\"", ml_scalar_str(&d->scalar, r));
        if (d->scalar.kind == 'c') {
            ml_strbuf_fmt(b, "%srng = np.random.default_rng(%llu)\n", in, (unsigned long long)c->seed);
            snprintf(r, sizeof r, "rng");
        } else {
            snprintf(r, sizeof r, "np.random.default_rng(%llu)", (unsigned long long)c->seed);
        }
        add_values(&expr, r, &d->scalar, n, true);
    }
    const char *forder = c->order == 'F' ? ", order=\"F\"" : "";
    bool ints = !d->nfields && (d->scalar.kind == 'i' || d->scalar.kind == 'u');
    if (!npy && !wplus && !c->offset && expr.p) {
        ml_strbuf_fmt(b, "%s%s.tofile(path)\n", in, expr.p);
    } else if (!npy && !wplus && expr.p) {   /* the filler, then the data: for integers the generator's bytes */
        ml_strbuf_fmt(b, "%swith open(path, \"wb\") as f:   # %lld filler bytes, then the data\n", in, (long long)c->offset);
        if (ints)
            ml_strbuf_fmt(b, "%s    f.write(b\"\\xa5\" * %lld + np.random.default_rng(%llu).bytes(%lld))\n", in,
                (long long)c->offset, (unsigned long long)c->seed, (long long)(n * d->scalar.size));
        else
            ml_strbuf_fmt(b, "%s    f.write(b\"\\xa5\" * %lld + %s.tobytes())\n", in, (long long)c->offset, expr.p);
    } else if (npy && !n) {   /* no data: the header alone (w+: the array is the memmap that made it) */
        ml_strbuf_fmt(b, "%s%snp.lib.format.open_memmap(path, mode=\"w+\", dtype=%s, shape=%s, fortran_order=%s)\n", in,
            wplus ? "a = " : "", dt, shape, c->order == 'F' ? "True" : "False");
    } else {
        if (expr.p)
            ml_strbuf_fmt(b, "%sdata = %s\n", in, expr.p);
        if (npy) {
            const char *m = wplus ? "a" : "npy";
            ml_strbuf_fmt(b, "%s%s = np.lib.format.open_memmap(path, mode=\"w+\", dtype=%s, shape=%s, fortran_order=%s)\n"
                   "%s%s[...] = data.reshape(%s%s)\n", in, m, dt, shape, c->order == 'F' ? "True" : "False", in, m, shape,
                forder);
        } else if (!wplus) {   /* structured */
            if (c->offset)
                ml_strbuf_fmt(b, "%swith open(path, \"wb\") as f:   # %lld filler bytes, then the data\n"
                       "%s    f.write(b\"\\xa5\" * %lld + data.tobytes())\n",
                    in, (long long)c->offset, in, (long long)c->offset);
            else
                ml_strbuf_fmt(b, "%sdata.tofile(path)\n", in);
        }
    }
    b->oom |= expr.oom;
    free(expr.p);
    if (npy && !wplus) {
        ml_strbuf_fmt(b, "%sa = np.load(path, mmap_mode=\"%s\")\n", in, ml_mode_name(c->mode));
    } else if (!npy) {
        ml_strbuf_fmt(b, "%sa = np.memmap(path, dtype=%s, mode=\"%s\"", in, dt, ml_mode_name(c->mode));
        if (c->offset)
            ml_strbuf_fmt(b, ", offset=%lld", (long long)c->offset);
        ml_strbuf_fmt(b, ", shape=%s%s)\n", shape, forder);
        if (wplus && c->offset)
            ml_strbuf_fmt(b, "%swith open(path, \"r+b\") as f:\n%s    f.write(b\"\\xa5\" * %lld)   # the filler before the data\n",
                in, in, (long long)c->offset);
        if (wplus && n)
            ml_strbuf_fmt(b, "%sa[...] = data.reshape(%s%s)\n", in, shape, forder);
    }
    for (int i = 0; i < c->nops; i++)
        add_op(b, c, i, in, true);
}

static const char *short_desc(ml_transport t)
{
    switch (t) {
    case ML_T_REDUCE:
        return "A NumPy memmap view sent to a joblib.Parallel(backend=\"loky\") worker (memlayout's reduce "
               "transport: the reducer loky calls)";
    case ML_T_REFERENCE: return "A NumPy memmap view through memlayout's reference reducer (a correct one)";
    case ML_T_LOKY: return "A NumPy memmap view sent to a joblib.Parallel(backend=\"loky\") worker";
    case ML_T_MULTIPROCESSING: return "A NumPy memmap view sent to a joblib.Parallel(backend=\"multiprocessing\") worker";
    case ML_T_THREADING: return "A NumPy memmap view sent to a joblib.Parallel(backend=\"threading\") worker thread";
    case ML_T_PICKLE5_OOB: return "A NumPy memmap view through pickle protocol 5 with out-of-band buffers (a copy)";
    case ML_T_POOL_SPAWN: return "A NumPy memmap view sent to a multiprocessing \"spawn\" Pool worker (a copy)";
    case ML_T_POOL_FORKSERVER:
        return "A NumPy memmap view sent to a multiprocessing \"forkserver\" Pool worker (a copy)";
    case ML_T_DASK:
        return "A NumPy memmap view sent to a joblib.Parallel worker under parallel_backend(\"dask\") (a copy)";
    default: return "A NumPy memmap view through pickle.dumps and pickle.loads (a copy)";
    }
}

static void add_short(ml_strbuf *b, const ml_case *c, const ml_repro_opts *o, const char *runner)
{
    ml_transport t = c->transport;
    ml_tclass cls = ml_transport_class(t);
    bool share = cls == ML_CLASS_SHARE, copy = cls == ML_CLASS_COPY;
    bool pool = t == ML_T_POOL_SPAWN || t == ML_T_POOL_FORKSERVER;
    bool dask = t == ML_T_DASK;
    bool pickles = copy && !pool && !dask;
    bool joblib = t == ML_T_REDUCE || t == ML_T_LOKY || t == ML_T_MULTIPROCESSING || t == ML_T_THREADING;
    bool guard = pool || dask || (joblib && t != ML_T_THREADING);   /* worker processes import or fork this file */
    int64_t fs[ML_MAX_NDIM];
    int fnd = ml_case_shape_after(c, c->nops, fs);
    bool empty = false;   /* the view sent has no element: nothing to write through it */
    for (int i = 0; i < fnd; i++)
        empty |= fs[i] == 0;
    bool writable_map = share && c->mode != ML_MODE_R;
    bool write = writable_map && !empty;
    bool grows = writable_map && c->mode != ML_MODE_C;   /* reopening r+ or w+ past the end grows the file */
    const char *fkey = grows ? "file, mode, offset, size" : "file, mode, offset";
    bool back = false, may_copy = false;
    for (int i = 0; i < c->nops; i++) {
        const ml_op *op = &c->ops[i];
        back |= op->kind == ML_OP_SLICE && op->step < 0;
        back |= op->kind == ML_OP_FLIP || (op->kind == ML_OP_ROT90 && op->index % 4 != 0);
        for (int j = 0; op->kind == ML_OP_AS_STRIDED && j < op->ndim; j++)
            back |= op->strides[j] < 0;
        may_copy |= c->ops[i].kind == ML_OP_RESHAPE || c->ops[i].kind == ML_OP_RAVEL;
    }
    /* A stride that is no multiple of the item size (as_strided, a field of a
     * wider item) gives a span that is none either, which joblib's mapping
     * length, counted in whole items, may cut short. */
    ml_view fv[ML_MAX_OPS + 1];
    if (ml_layout_case(c, c->nops, fv)) {
        const ml_view *v = &fv[c->nops];
        for (int i = 0; i < v->ndim; i++)
            back |= v->shape[i] > 1 && v->itemsize > 0 && v->strides[i] % v->itemsize != 0;
    }
    bool oob = share && back;   /* joblib starts a strided view at its lowest byte */
    bool small = false;   /* an axis of size 0 or 1: strides there say nothing */
    for (int i = 0; i < fnd; i++)
        small |= fs[i] <= 1;
    small &= !copy;
    bool reordered;
    const ml_dtype sd = sent_dtype(c, &reordered), *fd = &sd;
    bool order = !fd->nfields && fd->scalar.size > 1;
    const char *dtk = fd->nfields ? (reordered ? "\"dtype\": str(a.dtype)" : "\"dtype\": a.dtype.descr")
                      : order     ? "\"dtype\": a.dtype.str[1:], \"byte order\": a.dtype.str[0]"
                                  : "\"dtype\": a.dtype.str";
    const char *keys = order ? "(\"shape\", \"dtype\", \"byte order\")" : "(\"shape\", \"dtype\")";
    const char *who = pickles ? "unpickled" : t == ML_T_REFERENCE ? "rebuilt" : "worker";
    const char *in0 = guard ? "    " : "", *in1 = guard ? "        " : "    ", *in2 = guard ? "            " : "        ";

    /* header */
    ml_strbuf_fmt(b, "#!/usr/bin/env python3\n");
    char *json = ml_case_write(c);
    if (json && *json)
        json[strlen(json) - 1] = 0;
    ml_strbuf_fmt(b, "# memlayout case %s\n", json ? json : "?");
    free(json);
    if (o->observed)
        ml_strbuf_fmt(b, "# memlayout saw %s%s%s\n", o->observed, o->versions ? " with " : "", o->versions ? o->versions : "");
    ml_strbuf_fmt(b, "# %s: exits 1 while what arrives differs from what was sent, 0 once it is the same.\n", short_desc(t));
    ml_strbuf_fmt(b, "import %sos, %s%ssys, tempfile\nimport numpy as np\n", share ? "mmap, " : "", pool ? "multiprocessing, " : "",
        pickles || t == ML_T_REFERENCE ? "pickle, " : "");
    if (joblib)
        ml_strbuf_fmt(b, "from joblib import Parallel, delayed\n");
    if (dask)
        ml_strbuf_fmt(b, "from dask.distributed import Client, LocalCluster\n"
               "from joblib import Parallel, delayed, parallel_backend\n");
    if (t == ML_T_REFERENCE)
        ml_strbuf_fmt(b, "sys.path.insert(0, os.environ.get(\"MEMLAYOUT_PYTHON\") or \"%s\")\nimport memlayout_reference\n",
            runner);

    /* facts */
    if (share) {
        ml_strbuf_fmt(b, "\ndef facts(a%s):   # a's layout in plain Python values, the file position of a[0, ...], a copy of a\n",
            write ? ", write=False" : "");
        ml_strbuf_fmt(b, "    m = a   # the np.memmap whose buffer is the file's mapping, found the way joblib finds it\n"
               "    while m is not None and not isinstance(getattr(m, \"base\", None), mmap.mmap):\n"
               "        m = getattr(m, \"base\", None)\n");
        const char *mode = c->mode == ML_MODE_WPLUS ? "m.mode.replace(\"w+\", \"r+\")" : "m.mode";
        const char *size = grows ? ", os.path.getsize(m.filename)" : "";
        if (oob) {
            ml_strbuf_fmt(b, "    at = None if m is None else a.ctypes.data - m.ctypes.data   # from the mapping's start to a[0, ...]\n"
                   "    lo, hi = (sum((n - 1) * s for n, s in zip(a.shape, a.strides) if (s > 0) == up) for up in (False, True))\n"
                   "    inside = m is None or a.size == 0 or 0 <= at + lo and at + hi + a.itemsize <= m.nbytes\n"
                   "    where = None if m is None else (m.filename, %s, m.offset + at%s)\n", mode, size);
        } else {
            ml_strbuf_fmt(b, "    where = None if m is None else (m.filename, %s, m.offset + a.ctypes.data - m.ctypes.data%s)\n", mode,
                size);
        }
        ml_strbuf_fmt(b, "    %s{\"shape\": a.shape, \"strides\": a.strides, %s,\n"
               "%s**{k: a.flags[k] for k in (\"C_CONTIGUOUS\", \"F_CONTIGUOUS\", \"WRITEABLE\", \"ALIGNED\")},\n"
               "%s\"%s\": where%s}, np.array(a)%s\n",
            write ? "f = " : "return ", dtk, write ? "         " : "            ", write ? "         " : "            ", fkey,
            oob ? ", \"inside its mapping\": inside" : "", oob ? " if inside else None" : "");
        if (write)
            ml_strbuf_fmt(b, "    if write and where and a.flags.writeable and a.size%s:\n"
                   "        a[(slice(0, 1),) * a.ndim + (...,)].reshape(1).view(np.uint8)[:] ^= 255   # invert a[0, ...]\n"
                   "    return f\n", oob ? " and inside" : "");
    } else {
        ml_strbuf_fmt(b, "\ndef facts(a):   # a's layout in plain Python values, and a copy of a\n"
               "    return {\"shape\": a.shape, \"strides\": a.strides, %s,\n"
               "            **{k: a.flags[k] for k in (\"C_CONTIGUOUS\", \"F_CONTIGUOUS\"%s)}}, np.array(a)\n",
            dtk, copy ? "" : ", \"WRITEABLE\", \"ALIGNED\"");
    }

    /* the array, and the trip */
    ml_strbuf_fmt(b, "\n");
    if (guard)
        ml_strbuf_fmt(b, "if __name__ == \"__main__\":\n");
    ml_strbuf_fmt(b, "%swith tempfile.TemporaryDirectory() as tmp:\n", in0);
    add_short_build(b, c, in1);
    ml_strbuf_fmt(b, "%sp, pv = facts(a)\n", in1);
    if (t == ML_T_LOKY || t == ML_T_REDUCE || t == ML_T_MULTIPROCESSING)
        ml_strbuf_fmt(b, "%stry:   # a memmap-backed array takes joblib's memmap path at any size (max_nbytes is for others)\n", in1);
    else
        ml_strbuf_fmt(b, "%stry:\n", in1);
    const char *wa = write ? ", True" : "";
    switch (t) {
    case ML_T_REDUCE:
    case ML_T_LOKY:
    case ML_T_MULTIPROCESSING:
    case ML_T_THREADING:
        ml_strbuf_fmt(b, "%sw, wv = Parallel(n_jobs=2, backend=\"%s\"%s)([delayed(facts)(a%s)])[0]\n", in2,
            t == ML_T_REDUCE ? "loky" : ml_transport_name(t), t == ML_T_MULTIPROCESSING ? ", timeout=60" : "", wa);
        break;
    case ML_T_REFERENCE:
        ml_strbuf_fmt(b, "%srebuild, args = pickle.loads(pickle.dumps(memlayout_reference.reduce(a)))\n"
               "%sw, wv = facts(rebuild(*args)%s)\n", in2, in2, wa);
        break;
    case ML_T_POOL_SPAWN:
    case ML_T_POOL_FORKSERVER:
        ml_strbuf_fmt(b, "%swith multiprocessing.get_context(\"%s\").Pool(2) as pool:\n"
               "%s    w, wv = pool.apply_async(facts, (a,)).get(60)\n",
            in2, t == ML_T_POOL_SPAWN ? "spawn" : "forkserver", in2);
        break;
    case ML_T_DASK:
        ml_strbuf_fmt(b, "%swith LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \\\n"
               "%s        Client(cluster), parallel_backend(\"dask\"):\n"
               "%s    w, wv = Parallel()([delayed(facts)(a)])[0]\n",
            in2, in2, in2);
        break;
    case ML_T_PICKLE5_OOB:
        ml_strbuf_fmt(b, "%sbuffers = []\n"
               "%sw, wv = facts(pickle.loads(pickle.dumps(a, protocol=5, buffer_callback=buffers.append), buffers=buffers))\n",
            in2, in2);
        break;
    default:
        ml_strbuf_fmt(b, "%sw, wv = facts(pickle.loads(pickle.dumps(a, protocol=%c)))\n", in2, ml_transport_name(t)[6]);
        break;
    }
    /* a multiprocessing pool loses the task of a worker that dies unpickling it: Parallel's timeout ends the wait */
    ml_strbuf_fmt(b, "%sexcept Exception as e:   # %s\n"
           "%s    sys.exit(f\"BUG: sending the array raised {type(e).__name__}: {e} {e.__cause__ or ''}\")\n",
        in1, t == ML_T_MULTIPROCESSING ? "not sent or not rebuilt (a TimeoutError: the worker died, see above)"
                                       : "the array could not be sent or rebuilt", in1);

    /* side by side (as many first values as fit a column of 42), and the verdict */
    char kind = fd->nfields ? 'V' : fd->scalar.kind;
    int nv = kind == 'V' ? 1 : kind == 'c' || (kind != 'f' && fd->scalar.size == 8) ? 2
             : (kind == 'i' || kind == 'u') && fd->scalar.size == 4 ? 3 : 4;
    char wfirst[64];
    snprintf(wfirst, sizeof wfirst, oob ? "wv if wv is None else wv.ravel()[:%d]" : "wv.ravel()[:%d]", nv);
    ml_strbuf_fmt(b, "%snp.set_printoptions(precision=4, linewidth=200)\n"
           "%sfor k, x, y in [(\"\", \"parent\", \"%s\"), *((k, p[k], w[k]) for k in p), "
           "(\"values\", pv.ravel()[:%d], %s)]:\n"
           "%s    print(f\"{k:%d}{x!s:42} {y}\")\n",
        in0, in0, who, nv, wfirst, in0, grows ? 25 : 19);
    const char *nostrides = small ? " and k != \"strides\"" : "";
    if (share && may_copy) {
        ml_strbuf_fmt(b, "%sshared = p[\"%s\"] is not None   # False when a view op copied a: joblib sends a copy\n"
               "%sbugs = [k for k in (p if shared else %s) if p[k] != w[k]%s]   # a copy keeps less\n"
               "%sbugs += [k for k in (\"C_CONTIGUOUS\", \"F_CONTIGUOUS\") if not shared and p[k] and not w[k]]\n",
            in0, fkey, in0, keys, nostrides, in0);
    } else if (share) {
        ml_strbuf_fmt(b, "%sbugs = [k for k in p if p[k] != w[k]%s]   # a memmap view: the same bytes of the same file, laid out alike\n",
            in0, nostrides);
    } else if (copy) {
        ml_strbuf_fmt(b, "%sbugs = [k for k in %s if p[k] != w[k]]   # a copy keeps shape, dtype and values,\n"
               "%sbugs += [k for k in (\"C_CONTIGUOUS\", \"F_CONTIGUOUS\") if p[k] and not w[k]]   # and C or F order\n",
            in0, keys, in0);
    } else {
        ml_strbuf_fmt(b, "%sbugs = [k for k in p if p[k] != w[k]%s]   # a thread gets the very same array\n", in0, nostrides);
    }
    if (small)
        ml_strbuf_fmt(b, "%sbugs += [\"strides\"] if %sa.size and any(n > 1 and s != t for n, s, t in "
               "zip(a.shape, p[\"strides\"], w[\"strides\"])) else []\n",
            in0, share && may_copy ? "shared and " : "");
    if (write && c->mode == ML_MODE_C)
        ml_strbuf_fmt(b, "%sbugs += [\"write\"] if a.tobytes() != pv.tobytes() else []   # through a copy-on-write map it must not "
               "reach the parent\n", in0);
    else if (write)
        ml_strbuf_fmt(b, "%swrote = w[\"%s\"] and w[\"WRITEABLE\"] and a.size%s   # then the worker inverted a[0, ...]\n"
               "%sbugs += [\"write\"] if wrote and a.tobytes() == pv.tobytes() else []   # through r+ it must reach the "
               "parent\n", in0, fkey, oob ? " and w[\"inside its mapping\"]" : "", in0);
    ml_strbuf_fmt(b, "%sbugs += [] if %snp.array_equal(pv, wv%s) else [\"values\"]\n", in0, oob ? "wv is None or " : "",
        kind == 'f' || kind == 'c' ? ", equal_nan=True" : "");
    ml_strbuf_fmt(b, "%sprint(\"BUG: what arrived differs from what was sent: \" + \", \".join(bugs) if bugs else "
           "\"OK: what arrived is what was sent\")\n"
           "%ssys.exit(1 if bugs else 0)\n", in0, in0);
}

char *ml_repro_script(const ml_case *c, const ml_repro_opts *o)
{
    static const ml_repro_opts none;
    if (!o)
        o = &none;
    const char *runner = o->runner_dir ? o->runner_dir : ML_RUNNER_DIR;
    ml_strbuf out = {0}, part = {0};
    if (!o->full) {
        add_short(&out, c, o, runner);
        if (out.oom) {
            free(out.p);
            return NULL;
        }
        return out.p;
    }
    const char *p = template_py;
    while (*p) {
        const char *at = strchr(p, '@');
        const char *end = at ? strchr(at + 1, '@') : NULL;
        if (!at || !end) {
            ml_strbuf_fmt(&out, "%s", p);
            break;
        }
        ml_strbuf_fmt(&out, "%.*s", (int)(at - p), p);
        size_t klen = (size_t)(end - at - 1);
        const char *key = at + 1;
#define KEY(k) (klen == strlen(k) && strncmp(key, k, klen) == 0)
        part.len = 0;
        if (part.p)
            part.p[0] = 0;
        if (KEY("BUILD")) {
            add_build(&part, c);
            if (part.len && part.p[part.len - 1] == '\n')
                part.p[--part.len] = 0;   /* the template ends the line */
        } else if (KEY("FILL_FIELDS")) {
            if (has_inner(&c->dtype))
                ml_strbuf_fmt(&part, "    for name in dtype.names:\n"
                       "        f = dtype.fields[name][0]   # a sub-array field (\"v\", \"<f4\", (3,)): n * 3 values, in C order\n"
                       "        count = n * int(np.prod(f.shape))\n"
                       "        if f.base.names is None:\n"
                       "            arr[name] = values(f.base, count).reshape((n,) + f.shape)\n"
                       "        else:   # an inner structure: its fields one after the other, the same way\n"
                       "            for inner in f.base.names:\n"
                       "                arr[name][inner] = values(f.base.fields[inner][0], count).reshape((n,) + f.shape)");
            else if (ml_dtype_has_subarray(&c->dtype))
                ml_strbuf_fmt(&part, "    for name in dtype.names:\n"
                       "        f = dtype.fields[name][0]   # a sub-array field (\"v\", \"<f4\", (3,)): n * 3 values, in C order\n"
                       "        arr[name] = values(f.base, n * int(np.prod(f.shape))).reshape((n,) + f.shape)");
            else
                ml_strbuf_fmt(&part, "    for name in dtype.names:\n"
                       "        arr[name] = values(dtype.fields[name][0], n)");
        } else if (KEY("DTYPE_STR")) {
            ml_strbuf_fmt(&part, "%s", dtype_str_expr(c));
        } else if (KEY("SEND")) {
            add_send(&part, c->transport, runner);
        } else if (KEY("SEND_DOC")) {
            ml_strbuf_fmt(&part, "Send a through %s; returns what the receiver saw.", transport_desc(c->transport));
        } else if (KEY("TRANSPORT_DESC")) {
            ml_strbuf_fmt(&part, "%s", transport_desc(c->transport));
        } else if (KEY("TRANSPORT")) {
            ml_strbuf_fmt(&part, "%s", ml_transport_name(c->transport));
        } else if (KEY("MODE")) {
            ml_strbuf_fmt(&part, "%s", ml_mode_name(c->mode));
        } else if (KEY("RUNNER_DIR")) {
            ml_strbuf_fmt(&part, "%s", runner);
        } else if (KEY("HEADER")) {
            char *json = ml_case_write(c);
            if (json && *json)
                json[strlen(json) - 1] = 0;
            ml_strbuf_fmt(&part, "memlayout case: %s\n", json ? json : "?");
            free(json);
            if (o->observed)
                ml_strbuf_fmt(&part, "memlayout saw: %s%s%s\n", o->observed, o->versions ? " with " : "",
                    o->versions ? o->versions : "");
        } else {
            ml_strbuf_fmt(&part, "@%.*s@", (int)klen, key);   /* not a placeholder */
        }
#undef KEY
        ml_strbuf_fmt(&out, "%s", part.p ? part.p : "");
        p = end + 1;
    }
    free(part.p);
    if (out.oom || part.oom) {
        free(out.p);
        return NULL;
    }
    return out.p;
}

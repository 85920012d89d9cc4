/* memlayout layout model: NumPy 1.24's contiguity flags, recomputed from
 * shape, strides and item size alone (NumPy's _UpdateContiguousFlags in
 * multiarray/flagsobject.c, relaxed strides).
 *
 * The rules:
 *  - an array with a dim of 0 holds no element, so any strides describe it
 *    contiguously: it is both C and F contiguous;
 *  - axes of size 1 are never stepped along, so their strides are ignored;
 *  - every other axis, walked from the last (C) or the first (F), must have
 *    exactly the stride of a packed array: itemsize, times the dims walked so
 *    far.
 * A 0-dim array walks no axis and is both.
 *
 * The expected stride is carried as uint64_t: the inputs may come from a
 * fuzzed observation whose dims multiply past 2^63, and NumPy's npy_intp
 * arithmetic wraps there too (such arrays cannot exist, but must not be UB). */
#include "layout.h"

#include <string.h>

static bool has_zero_dim(int ndim, const int64_t *shape)
{
    for (int i = 0; i < ndim; i++)
        if (shape[i] == 0)
            return true;
    return false;
}

/* Walks the axes in the order given by first/step (C: last to first). */
static bool packed_along(int ndim, const int64_t *shape, const int64_t *strides,
                         int64_t itemsize, int first, int step)
{
    if (has_zero_dim(ndim, shape))
        return true;
    uint64_t expected = (uint64_t)itemsize;
    for (int k = 0, i = first; k < ndim; k++, i += step) {
        if (shape[i] == 1)
            continue;
        if ((uint64_t)strides[i] != expected)
            return false;
        expected *= (uint64_t)shape[i];
    }
    return true;
}

bool ml_layout_c_contiguous(int ndim, const int64_t *shape, const int64_t *strides, int64_t itemsize)
{
    return packed_along(ndim, shape, strides, itemsize, ndim - 1, -1);
}

bool ml_layout_f_contiguous(int ndim, const int64_t *shape, const int64_t *strides, int64_t itemsize)
{
    return packed_along(ndim, shape, strides, itemsize, 0, 1);
}

bool ml_layout_strides_equivalent(int ndim, const int64_t *shape,
                                  const int64_t *a, const int64_t *b)
{
    if (has_zero_dim(ndim, shape))
        return true;
    for (int i = 0; i < ndim; i++)
        if (shape[i] > 1 && a[i] != b[i])
            return false;
    return true;
}

/* ---- the op-level model ----------------------------------------------------
 *
 * Strides and offsets are computed with wrapping arithmetic, as NumPy's
 * npy_intp would: a valid case whose dims multiply past int64 only when a 0
 * dim is skipped may give any strides, but never undefined behaviour. */

static int64_t wmul(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a * (uint64_t)b);
}

static int64_t wadd(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* NumPy's element count: 0 if any dim is 0, else the (wrapped) product. */
static int64_t elements(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0)
            return 0;
        n = wmul(n, shape[i]);
    }
    return n;
}

/* NumPy's _array_fill_strides: a 0 dim counts as 1. */
static void packed_strides(ml_view *v, bool f_order)
{
    int64_t sd = v->itemsize;
    for (int k = 0; k < v->ndim; k++) {
        int i = f_order ? k : v->ndim - 1 - k;
        v->strides[i] = sd;
        if (v->shape[i])
            sd = wmul(sd, v->shape[i]);
    }
}

int64_t ml_layout_size(const ml_view *v)
{
    return elements(v->ndim, v->shape);
}

/* A dtype's fields, packed one after the other. */
static void set_dtype(ml_view *v, const ml_dtype *d)
{
    v->dtype = *d;
    int at = 0;
    for (int i = 0; i < d->nfields && i < ML_MAX_FIELDS; i++) {
        v->field_offset[i] = at;
        at += ml_field_size(d, i);
    }
}

int64_t ml_layout_alignment(const ml_dtype *d)
{
    if (d->nfields)
        return 1;
    return d->scalar.kind == 'c' ? d->scalar.size / 2 : d->scalar.size > 0 ? d->scalar.size : 1;
}

bool ml_layout_field_gaps(const ml_view *v)
{
    int covered = 0;
    for (int i = 0; i < v->dtype.nfields && i < ML_MAX_FIELDS; i++)
        covered += ml_field_size(&v->dtype, i);
    return v->dtype.nfields > 0 && covered < v->itemsize;
}

int ml_layout_field(const ml_view *v, const char *name)
{
    for (int i = 0; i < v->dtype.nfields && i < ML_MAX_FIELDS; i++)
        if (strncmp(v->dtype.names[i], name, ML_FIELD_NAME_MAX) == 0)
            return i;
    return -1;
}

bool ml_layout_span(const ml_view *v, int64_t *lo, int64_t *hi)
{
    *lo = *hi = v->offset;
    if (elements(v->ndim, v->shape) == 0)
        return true;
    for (int i = 0; i < v->ndim; i++) {
        int64_t reach;
        if (__builtin_mul_overflow(v->shape[i] - 1, v->strides[i], &reach) ||
            __builtin_add_overflow(reach < 0 ? *lo : *hi, reach, reach < 0 ? lo : hi))
            return false;
    }
    return !__builtin_add_overflow(*hi, (int64_t)v->itemsize, hi);
}

static void update_flags(ml_view *v)
{
    v->c_contiguous = ml_layout_c_contiguous(v->ndim, v->shape, v->strides, v->itemsize);
    v->f_contiguous = ml_layout_f_contiguous(v->ndim, v->shape, v->strides, v->itemsize);
}

void ml_layout_backing(const ml_case *c, ml_view *v)
{
    memset(v, 0, sizeof *v);
    v->ndim = c->ndim < 0 ? 0 : c->ndim > ML_MAX_NDIM ? ML_MAX_NDIM : c->ndim;
    memcpy(v->shape, c->shape, sizeof(int64_t) * (size_t)v->ndim);
    v->itemsize = ml_dtype_itemsize(&c->dtype);
    set_dtype(v, &c->dtype);
    v->extent = wmul(elements(v->ndim, v->shape), v->itemsize);
    packed_strides(v, c->order == 'F');
    update_flags(v);
}

static void drop_axis(ml_view *v, int a)
{
    size_t n = (size_t)(v->ndim - 1 - a);
    memmove(&v->shape[a], &v->shape[a + 1], sizeof(int64_t) * n);
    memmove(&v->strides[a], &v->strides[a + 1], sizeof(int64_t) * n);
    v->ndim--;
}

static int norm(int axis, int ndim)
{
    return axis < 0 ? axis + ndim : axis;
}

/* NumPy's _attempt_nocopy_reshape (shape.c), reached only for a view of at
 * least 2 elements that is not contiguous in the order asked: dims of size 1
 * are dropped, then runs of old axes that multiply to runs of new ones must
 * be contiguous among themselves in that order. */
static bool nocopy_reshape(const ml_view *v, int newnd, const int64_t *newdims,
                           int64_t *newstrides, bool f_order)
{
    int64_t olddims[ML_MAX_NDIM], oldstrides[ML_MAX_NDIM];
    int oldnd = 0;
    for (int i = 0; i < v->ndim; i++) {
        if (v->shape[i] != 1) {
            olddims[oldnd] = v->shape[i];
            oldstrides[oldnd++] = v->strides[i];
        }
    }
    int oi = 0, oj = 1, ni = 0, nj = 1;
    while (ni < newnd && oi < oldnd) {
        int64_t np = newdims[ni], op = olddims[oi];
        while (np != op) {
            if (np < op) {
                if (nj >= newnd)
                    return false;       /* sizes differ: cannot happen when valid */
                np = wmul(np, newdims[nj++]);
            } else {
                if (oj >= oldnd)
                    return false;
                op = wmul(op, olddims[oj++]);
            }
        }
        for (int ok = oi; ok < oj - 1; ok++) {
            if (f_order ? oldstrides[ok + 1] != wmul(olddims[ok], oldstrides[ok])
                        : oldstrides[ok] != wmul(olddims[ok + 1], oldstrides[ok + 1]))
                return false;
        }
        if (f_order) {
            newstrides[ni] = oldstrides[oi];
            for (int nk = ni + 1; nk < nj; nk++)
                newstrides[nk] = wmul(newstrides[nk - 1], newdims[nk - 1]);
        } else {
            newstrides[nj - 1] = oldstrides[oj - 1];
            for (int nk = nj - 1; nk > ni; nk--)
                newstrides[nk - 1] = wmul(newstrides[nk], newdims[nk]);
        }
        ni = nj++;
        oi = oj++;
    }
    /* Trailing 1s of the new shape. */
    int64_t last = ni >= 1 ? newstrides[ni - 1] : v->itemsize;
    if (f_order && ni >= 1)
        last = wmul(last, newdims[ni - 1]);
    for (int nk = ni; nk < newnd; nk++)
        newstrides[nk] = last;
    return true;
}

/* A copy in the given order: packed, at the start of new memory. */
static void make_copy(ml_view *v, bool f_order)
{
    v->copy = true;
    v->offset = 0;
    v->extent = wmul(elements(v->ndim, v->shape), v->itemsize);
    packed_strides(v, f_order);
}

/* NumPy's PyArray_Newshape, dims resolved (no -1). NumPy compares the shape
 * as written with the view's before resolving a -1: only a shape written
 * out in full, and equal, gives a plain view with the strides kept. */
static void reshape(ml_view *v, int nd, const int64_t *dims, char order, bool written)
{
    if (written && nd == v->ndim && memcmp(dims, v->shape, sizeof(int64_t) * (size_t)nd) == 0)
        return;
    bool f = order == 'F';
    int64_t ns[ML_MAX_NDIM];
    bool fresh = f ? v->f_contiguous : v->c_contiguous;
    bool found = !fresh && nocopy_reshape(v, nd, dims, ns, f);
    v->ndim = nd;
    memcpy(v->shape, dims, sizeof(int64_t) * (size_t)nd);
    if (found)
        memcpy(v->strides, ns, sizeof(int64_t) * (size_t)nd);
    else if (fresh)
        packed_strides(v, f && nd > 1);
    else
        make_copy(v, f && nd > 1);
}

/* ravel("K") of a view neither C nor F contiguous: a view iff the axes of
 * size > 1, by increasing |stride|, are packed with positive strides. */
static bool packed_in_some_order(const ml_view *v)
{
    bool used[ML_MAX_NDIM] = {false};
    int64_t expected = v->itemsize;
    for (;;) {
        int best = -1;
        for (int i = 0; i < v->ndim; i++) {
            if (used[i] || v->shape[i] == 1)
                continue;
            uint64_t s = v->strides[i] < 0 ? -(uint64_t)v->strides[i] : (uint64_t)v->strides[i];
            uint64_t b = best < 0 ? 0 : v->strides[best] < 0 ? -(uint64_t)v->strides[best]
                                                             : (uint64_t)v->strides[best];
            if (best < 0 || s < b)
                best = i;
        }
        if (best < 0)
            return true;
        if (v->strides[best] != expected)
            return false;
        used[best] = true;
        expected = wmul(expected, v->shape[best]);
    }
}

static void ravel(ml_view *v, char order)
{
    if (order == 'K')
        order = v->c_contiguous ? 'C' : v->f_contiguous ? 'F' : 'K';
    else if (order == 'A')
        order = v->f_contiguous && !v->c_contiguous ? 'F' : 'C';
    int64_t n = elements(v->ndim, v->shape);
    if ((order == 'C' && v->c_contiguous) || (order == 'F' && v->f_contiguous)) {
        reshape(v, 1, &n, order, false);      /* NumPy asks for shape (-1,) */
        return;
    }
    bool view = order == 'K' && packed_in_some_order(v);
    v->ndim = 1;
    v->shape[0] = n;
    v->strides[0] = v->itemsize;
    if (!view)
        make_copy(v, false);
}

/* PySlice_Unpack's defaults and PySlice_AdjustIndices; an empty result is
 * NumPy's start 0, step 1. */
static void slice(ml_view *v, int a, const ml_op *op)
{
    int64_t n = v->shape[a], step = op->step;
    int64_t start = op->has_start ? op->start : (step < 0 ? INT64_MAX : 0);
    int64_t stop = op->has_stop ? op->stop : (step < 0 ? INT64_MIN : INT64_MAX);
    if (start < 0) {
        start += n;
        if (start < 0)
            start = step < 0 ? -1 : 0;
    } else if (start >= n) {
        start = step < 0 ? n - 1 : n;
    }
    if (stop < 0) {
        stop += n;
        if (stop < 0)
            stop = step < 0 ? -1 : 0;
    } else if (stop >= n) {
        stop = step < 0 ? n - 1 : n;
    }
    int64_t len;
    if (step < 0)
        len = stop < start ? (start - stop - 1) / (-step) + 1 : 0;
    else
        len = start < stop ? (stop - start - 1) / step + 1 : 0;
    if (len == 0) {
        start = 0;
        step = 1;
    }
    v->offset = wadd(v->offset, wmul(start, v->strides[a]));
    v->strides[a] = wmul(step, v->strides[a]);
    v->shape[a] = len;
}

ml_view_rule ml_layout_view_rule(const ml_view *v, int itemsize)
{
    if (itemsize == v->itemsize)
        return ML_VIEW_OK;
    if (v->ndim == 0)
        return ML_VIEW_ZERO_DIM;
    int last = v->ndim - 1;
    if (v->shape[last] != 1 && elements(v->ndim, v->shape) != 0 &&
        v->strides[last] != v->itemsize)
        return ML_VIEW_NOT_CONTIGUOUS;
    int64_t bytes;
    if (itemsize < v->itemsize)
        return itemsize > 0 && v->itemsize % itemsize == 0 ? ML_VIEW_OK : ML_VIEW_NOT_DIVISOR;
    if (__builtin_mul_overflow(v->shape[last], (int64_t)v->itemsize, &bytes))
        return ML_VIEW_OVERFLOW;
    return bytes % itemsize == 0 ? ML_VIEW_OK : ML_VIEW_NOT_MULTIPLE;
}

static void view(ml_view *v, const ml_dtype *d)
{
    int itemsize = ml_dtype_itemsize(d);
    set_dtype(v, d);
    if (itemsize != v->itemsize && v->ndim > 0 && itemsize > 0) {
        int last = v->ndim - 1;
        v->shape[last] = wmul(v->shape[last], v->itemsize) / itemsize;
        v->strides[last] = itemsize;
    }
    v->itemsize = itemsize;
}

static void broadcast(ml_view *v, const ml_op *op)
{
    int nd = op->ndim < v->ndim ? v->ndim : op->ndim, pre = nd - v->ndim;
    int64_t strides[ML_MAX_NDIM] = {0};
    for (int i = 0; i < v->ndim; i++)
        strides[pre + i] = v->shape[i] == 1 ? 0 : v->strides[i];
    v->ndim = nd;
    memcpy(v->shape, op->shape, sizeof(int64_t) * (size_t)nd);
    memcpy(v->strides, strides, sizeof strides);
}

/* a["name"]: the field's bytes in each item; a sub-array's dims follow. */
static void field(ml_view *v, const char *name)
{
    int f = ml_layout_field(v, name);
    if (f < 0)
        return;
    ml_dtype d = v->dtype;
    v->offset = wadd(v->offset, v->field_offset[f]);
    v->itemsize = ml_field_size(&d, f);
    for (int j = 0; j < d.subndim[f]; j++)
        v->itemsize /= d.subshape[f][j];
    int sub = d.subndim[f], nd = v->ndim + sub > ML_MAX_NDIM ? ML_MAX_NDIM - sub : v->ndim;
    int64_t stride = v->itemsize;
    for (int j = sub - 1; j >= 0; j--) {
        v->shape[nd + j] = d.subshape[f][j];
        v->strides[nd + j] = stride;
        stride *= d.subshape[f][j];
    }
    v->ndim = nd + sub;
    ml_dtype inner = {0};
    if (d.nsub[f] > 0) {              /* an inner structure: its fields, packed */
        inner.nfields = d.nsub[f];
        memcpy(inner.names, d.subnames[f], sizeof inner.names[0] * (size_t)inner.nfields);
        memcpy(inner.fields, d.subfields[f], sizeof inner.fields[0] * (size_t)inner.nfields);
    } else {
        inner.scalar = d.fields[f];
    }
    set_dtype(v, &inner);
}

/* a[[names]]: the chosen fields where they were, the item size kept. */
static void fields(ml_view *v, const ml_op *op)
{
    ml_dtype d = v->dtype, out = {0};
    int at[ML_MAX_FIELDS], n = 0;
    for (int j = 0; j < op->nnames && j < ML_MAX_FIELDS; j++) {
        int f = ml_layout_field(v, op->names[j]);
        if (f < 0)
            continue;
        memcpy(out.names[n], d.names[f], ML_FIELD_NAME_MAX);
        out.fields[n] = d.fields[f];
        out.subndim[n] = d.subndim[f];
        memcpy(out.subshape[n], d.subshape[f], sizeof out.subshape[n]);
        out.nsub[n] = d.nsub[f];
        memcpy(out.subnames[n], d.subnames[f], sizeof out.subnames[n]);
        memcpy(out.subfields[n], d.subfields[f], sizeof out.subfields[n]);
        at[n++] = v->field_offset[f];
    }
    out.nfields = n;
    v->dtype = out;
    memcpy(v->field_offset, at, sizeof(int) * (size_t)n);
}

static void complex_part(ml_view *v, bool imag)
{
    v->itemsize /= 2;
    v->dtype.scalar.kind = 'f';
    v->dtype.scalar.size = v->itemsize;
    if (imag)
        v->offset = wadd(v->offset, v->itemsize);
}

static void sliding_window(ml_view *v, const ml_op *op)
{
    int nd = v->ndim, n = op->ndim;
    if (nd + n > ML_MAX_NDIM)
        return;
    for (int j = 0; j < n; j++) {
        int a = op->has_axes ? norm(op->axes[j], nd) : j;
        if (a < 0 || a >= nd)
            return;
        v->shape[a] = wadd(v->shape[a], 1 - op->shape[j]);
        v->shape[nd + j] = op->shape[j];
        v->strides[nd + j] = v->strides[a];
    }
    v->ndim = nd + n;
}

/* NumPy's PyArray_Diagonal: an offset past the array leaves the pointer. */
static void diagonal(ml_view *v, const ml_op *op)
{
    int nd = v->ndim, a = norm(op->axis, nd), b = norm(op->axis2, nd);
    if (a < 0 || b < 0 || a >= nd || b >= nd || a == b)
        return;
    int64_t n1 = v->shape[a], n2 = v->shape[b], s1 = v->strides[a],
            s2 = v->strides[b], k = op->index;
    if (k >= 0) {
        if (k > n2)
            n2 = 0;
        else
            v->offset = wadd(v->offset, wmul(k, s2)), n2 -= k;
    } else {
        if (-k > n1)
            n1 = 0;
        else
            v->offset = wadd(v->offset, wmul(-k, s1)), n1 += k;
    }
    drop_axis(v, a > b ? a : b);
    drop_axis(v, a > b ? b : a);
    v->shape[v->ndim] = n1 < n2 ? n1 : n2;
    v->strides[v->ndim] = wadd(s1, s2);
    v->ndim++;
}

static void flip_axis(ml_view *v, int a)
{
    ml_op rev = {.kind = ML_OP_SLICE, .step = -1};
    slice(v, a, &rev);
}

static void swap_axes(ml_view *v, int a, int b)
{
    int64_t d = v->shape[a], s = v->strides[a];
    v->shape[a] = v->shape[b], v->strides[a] = v->strides[b];
    v->shape[b] = d, v->strides[b] = s;
}

/* np.rot90: k % 4 quarter turns of axes (a, b). */
static void rot90(ml_view *v, const ml_op *op)
{
    int a = norm(op->axis, v->ndim), b = norm(op->axis2, v->ndim);
    if (a < 0 || b < 0 || a >= v->ndim || b >= v->ndim)
        return;
    int64_t k = ((op->index % 4) + 4) % 4;
    if (k == 2) {
        flip_axis(v, a);
        flip_axis(v, b);
    } else if (k == 1) {
        flip_axis(v, b);
        swap_axes(v, a, b);
    } else if (k == 3) {
        swap_axes(v, a, b);
        flip_axis(v, b);
    }
}

void ml_layout_apply(ml_view *v, const ml_op *op)
{
    int nd = v->ndim, a, b;
    int64_t shape[ML_MAX_NDIM], strides[ML_MAX_NDIM];
    switch (op->kind) {
    case ML_OP_RESHAPE: {
        int n = op->ndim < 0 ? 0 : op->ndim > ML_MAX_NDIM ? ML_MAX_NDIM : op->ndim;
        int64_t known = 1;
        int unknown = -1;
        for (int j = 0; j < n; j++) {
            shape[j] = op->shape[j];
            if (shape[j] == -1)
                unknown = j;
            else
                known = wmul(known, shape[j]);
        }
        if (unknown >= 0)
            shape[unknown] = known ? elements(nd, v->shape) / known : 0;
        reshape(v, n, shape, op->order, unknown < 0);
        break;
    }
    case ML_OP_TRANSPOSE:
        for (int j = 0; j < nd; j++) {
            int src = op->has_axes ? norm(op->axes[j], nd) : nd - 1 - j;
            shape[j] = v->shape[src];
            strides[j] = v->strides[src];
        }
        memcpy(v->shape, shape, sizeof(int64_t) * (size_t)nd);
        memcpy(v->strides, strides, sizeof(int64_t) * (size_t)nd);
        break;
    case ML_OP_SWAPAXES:
        a = norm(op->axis, nd);
        b = norm(op->axis2, nd);
        shape[0] = v->shape[a], v->shape[a] = v->shape[b], v->shape[b] = shape[0];
        strides[0] = v->strides[a], v->strides[a] = v->strides[b], v->strides[b] = strides[0];
        break;
    case ML_OP_MOVEAXIS: {
        a = norm(op->axis, nd);
        b = norm(op->axis2, nd);
        int64_t d = v->shape[a], s = v->strides[a];
        drop_axis(v, a);
        memmove(&v->shape[b + 1], &v->shape[b], sizeof(int64_t) * (size_t)(nd - 1 - b));
        memmove(&v->strides[b + 1], &v->strides[b], sizeof(int64_t) * (size_t)(nd - 1 - b));
        v->shape[b] = d;
        v->strides[b] = s;
        v->ndim = nd;
        break;
    }
    case ML_OP_SLICE:
        slice(v, norm(op->axis, nd), op);
        break;
    case ML_OP_INDEX:
        a = norm(op->axis, nd);
        v->offset = wadd(v->offset, wmul(op->index < 0 ? op->index + v->shape[a] : op->index,
                                         v->strides[a]));
        drop_axis(v, a);
        break;
    case ML_OP_NEWAXIS:
        a = op->axis < 0 ? op->axis + nd + 1 : op->axis;
        memcpy(shape, v->shape, sizeof(int64_t) * (size_t)a);
        shape[a] = 1;
        memcpy(&shape[a + 1], &v->shape[a], sizeof(int64_t) * (size_t)(nd - a));
        reshape(v, nd + 1, shape, 'C', true);
        break;
    case ML_OP_SQUEEZE:
        if (nd > 0)
            drop_axis(v, norm(op->axis, nd));
        break;
    case ML_OP_RAVEL:
        ravel(v, op->order);
        break;
    case ML_OP_VIEW:
        view(v, &op->dtype);
        break;
    case ML_OP_BROADCAST:
        broadcast(v, op);
        break;
    case ML_OP_FIELD:
        field(v, op->names[0]);
        break;
    case ML_OP_FIELDS:
        fields(v, op);
        break;
    case ML_OP_REAL:
    case ML_OP_IMAG:
        complex_part(v, op->kind == ML_OP_IMAG);
        break;
    case ML_OP_AS_STRIDED:
        v->ndim = op->ndim < 0 ? 0 : op->ndim > ML_MAX_NDIM ? ML_MAX_NDIM : op->ndim;
        memcpy(v->shape, op->shape, sizeof(int64_t) * (size_t)v->ndim);
        memcpy(v->strides, op->strides, sizeof(int64_t) * (size_t)v->ndim);
        break;
    case ML_OP_SLIDING_WINDOW:
        sliding_window(v, op);
        break;
    case ML_OP_DIAGONAL:
        if (nd >= 2)
            diagonal(v, op);
        break;
    case ML_OP_FLIP:
        if (op->has_axis && norm(op->axis, nd) >= 0 && norm(op->axis, nd) < nd)
            flip_axis(v, norm(op->axis, nd));
        else if (op->has_axis)
            break;
        else
            for (a = 0; a < nd; a++)
                flip_axis(v, a);
        break;
    case ML_OP_ROT90:
        if (nd >= 2)
            rot90(v, op);
        break;
    case ML_OP_ASARRAY:
        break;
    default:
        break;
    }
    update_flags(v);
}

bool ml_layout_case(const ml_case *c, int nops, ml_view out[ML_MAX_OPS + 1])
{
    int64_t shape[ML_MAX_NDIM];
    if (nops < 0 || nops > c->nops || ml_case_shape_after(c, nops, shape) < 0)
        return false;
    ml_layout_backing(c, &out[0]);
    for (int i = 0; i < nops; i++) {
        out[i + 1] = out[i];
        ml_layout_apply(&out[i + 1], &c->ops[i]);
    }
    return true;
}

/* Structure-aware mutation of JSON cases, shared by libFuzzer
 * (LLVMFuzzerCustomMutator/CustomCrossOver) and AFL++ (afl_mutator.c).
 *
 * Byte flips in JSON mostly make text that does not parse; here a case is
 * parsed, one to three structural changes are made (a dim, an order, a
 * slice's step sign, an op inserted, removed, swapped or redrawn, the dtype,
 * byte order, offset, mode, source, transport, or the backing's shape moved
 * into a reshape), the result is validated, and canonical JSON is written
 * again. Every output of a valid input is a valid case.
 *
 * Ops are drawn for the view they apply to (the layout model's: shape,
 * strides, dtype, where the pointer lies in how much memory), so that most
 * are valid: field names from its dtype, real/imag on complex items,
 * as_strided shapes and strides that stay inside the memory viewed, windows
 * that fit their axes. */
#include "fuzz.h"
#include "layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    M_DIM, M_NDIM, M_ORDER, M_STEP_SIGN, M_OP_INSERT, M_OP_REMOVE, M_OP_SWAP, M_OP_REDRAW,
    M_OP_TWEAK, M_DTYPE, M_BYTEORDER, M_OFFSET, M_MODE, M_SOURCE, M_TRANSPORT, M_SEED,
    M_REBASE, M_COUNT
};
static const char *const mutation_names[M_COUNT] = {
    "dim", "ndim", "order", "step-sign", "op-insert", "op-remove", "op-swap", "op-redraw",
    "op-tweak", "dtype", "byteorder", "offset", "mode", "source", "transport", "seed", "rebase",
};
static const unsigned weights[M_COUNT] = {
    8, 4, 8, 5, 12, 6, 5, 6, 8, 5, 3, 4, 4, 3, 4, 2, 4,
};
static int last_mutation = -1;

const char *mlf_mutation_name(void)
{
    return last_mutation >= 0 ? mutation_names[last_mutation] : "none";
}

static int below(ml_src *r, int n)
{
    return n > 0 ? (int)ml_src_below(r, (uint64_t)n) : 0;
}

static int pick_weighted(ml_src *r)
{
    unsigned total = 0;
    for (int i = 0; i < M_COUNT; i++)
        total += weights[i];
    unsigned x = (unsigned)ml_src_below(r, total);
    for (int i = 0; i < M_COUNT; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return 0;
}

static ml_scalar rand_scalar(ml_src *r)
{
    static const struct { char kind; int size; } kinds[] = {
        {'b', 1}, {'i', 1}, {'i', 2}, {'i', 4}, {'i', 8}, {'u', 1}, {'u', 2}, {'u', 4},
        {'u', 8}, {'f', 2}, {'f', 4}, {'f', 8}, {'c', 8}, {'c', 16},
    };
    int k = below(r, (int)(sizeof kinds / sizeof kinds[0]));
    ml_scalar s = {kinds[k].kind, '|', kinds[k].size};
    if (s.size > 1)
        s.byteorder = below(r, 3) ? '<' : '>';
    return s;
}

/* A sub-array's dims: small mostly, now and then the largest allowed. */
static void rand_subarray(ml_src *r, ml_dtype *d, int i)
{
    d->subndim[i] = 1 + (below(r, 3) == 0);
    for (int j = 0; j < d->subndim[i]; j++)
        d->subshape[i][j] = below(r, 8) == 0 ? ML_MAX_SUBDIM : 1 + below(r, 4);
    if (d->subndim[i] == 2 && d->subshape[i][0] * d->subshape[i][1] > 64)
        d->subshape[i][1] = 1 + below(r, 4);
}

static void rand_dtype(ml_src *r, ml_dtype *d)
{
    static const char *const letters[] = {"x", "y", "z", "v", "w"};
    memset(d, 0, sizeof *d);
    if (below(r, 6)) {
        d->scalar = rand_scalar(r);
        return;
    }
    d->nfields = 1 + below(r, 3);
    bool named = below(r, 4) == 0;    /* NumPy's own f0, f1, ... mostly */
    for (int i = 0; i < d->nfields; i++) {
        d->fields[i] = rand_scalar(r);
        if (named)
            snprintf(d->names[i], ML_FIELD_NAME_MAX, "%s", letters[(i + d->nfields) % 5]);
        else
            snprintf(d->names[i], ML_FIELD_NAME_MAX, "f%d", i);
        if (below(r, 4) == 0)
            rand_subarray(r, d, i);
    }
}

/* Cap on the elements an op drawn here makes (as_strided, windows), in
 * bytes: the limit the mutated case is validated against, at most 1 MiB. */
static uint64_t byte_budget = (uint64_t)1 << 20;

static int64_t product(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

/* A reshape target for shape: flatten, split an axis, merge two, add or drop
 * a 1, or factor the total. */
static void rand_reshape(ml_src *r, int ndim, const int64_t *shape, ml_op *op)
{
    int64_t total = product(ndim, shape);
    int n = 0;
    int64_t s[ML_MAX_NDIM];
    switch (below(r, 6)) {
    case 0:
        s[n++] = below(r, 2) ? -1 : total;
        break;
    case 1: {   /* split axis a into (f, d/f) */
        memcpy(s, shape, sizeof(int64_t) * (size_t)ndim);
        n = ndim;
        if (!ndim || ndim >= ML_MAX_NDIM)
            break;
        int a = below(r, ndim);
        int64_t d = shape[a], f = 1;
        for (int64_t k = 2; k <= d && k < 64; k++)
            if (d % k == 0 && (f == 1 || below(r, 2)))
                f = k;
        memmove(&s[a + 1], &s[a], sizeof(int64_t) * (size_t)(ndim - a));
        s[a] = f;
        s[a + 1] = f ? d / f : 0;
        n++;
        break;
    }
    case 2: {   /* merge axes a, a+1 */
        memcpy(s, shape, sizeof(int64_t) * (size_t)ndim);
        n = ndim;
        if (ndim < 2)
            break;
        int a = below(r, ndim - 1);
        s[a] *= s[a + 1];
        memmove(&s[a + 1], &s[a + 2], sizeof(int64_t) * (size_t)(ndim - a - 2));
        n--;
        break;
    }
    case 3:     /* insert a 1 */
        memcpy(s, shape, sizeof(int64_t) * (size_t)ndim);
        n = ndim;
        if (ndim < ML_MAX_NDIM) {
            int a = below(r, ndim + 1);
            memmove(&s[a + 1], &s[a], sizeof(int64_t) * (size_t)(ndim - a));
            s[a] = 1;
            n++;
        }
        break;
    case 4: {   /* reverse the dims: same total, other grouping */
        for (int i = 0; i < ndim; i++)
            s[i] = shape[ndim - 1 - i];
        n = ndim;
        break;
    }
    default: {  /* two or three factors of the total */
        int64_t rest = total;
        int want = 2 + below(r, 2);
        for (int i = 0; i < want - 1 && rest > 0; i++) {
            int64_t f = 1;
            for (int64_t k = 2; k <= rest && k < 16; k++)
                if (rest % k == 0 && (f == 1 || below(r, 3) == 0))
                    f = k;
            s[n++] = f;
            rest /= f;
        }
        s[n++] = total == 0 ? 0 : rest;
        if (below(r, 4) == 0)
            s[below(r, n)] = -1;
        break;
    }
    }
    op->kind = ML_OP_RESHAPE;
    op->ndim = n;
    memcpy(op->shape, s, sizeof(int64_t) * (size_t)n);
    op->order = below(r, 2) ? 'C' : 'F';
}

static int signed_axis(ml_src *r, int a, int n)
{
    return below(r, 4) == 0 ? a - n : a;
}

static int norm_axis(int a, int n)
{
    return a < 0 ? a + n : a;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Whether a new op kind can apply to v at all (the older kinds are drawn
 * as they always were). */
static bool applicable(ml_opkind k, const ml_view *v)
{
    switch (k) {
    case ML_OP_FIELD:
    case ML_OP_FIELDS:
        return v->dtype.nfields > 0;
    case ML_OP_REAL:
    case ML_OP_IMAG:
        return v->dtype.nfields == 0 && v->dtype.scalar.kind == 'c';
    case ML_OP_SLIDING_WINDOW:
    case ML_OP_FLIP:
        return v->ndim >= 1;
    case ML_OP_DIAGONAL:
    case ML_OP_ROT90:
        return v->ndim >= 2;
    default:
        return true;
    }
}

/* Fields and complex parts are what a structured or complex item is there
 * for: drawn more often when they apply. */
static ml_opkind rand_kind(ml_src *r, const ml_view *v)
{
    if (v->dtype.nfields > 0 && below(r, 3) == 0)
        return below(r, 3) ? ML_OP_FIELD : ML_OP_FIELDS;
    if (applicable(ML_OP_REAL, v) && below(r, 4) == 0)
        return below(r, 2) ? ML_OP_REAL : ML_OP_IMAG;
    ml_opkind k = ML_OP_RESHAPE;
    for (int t = 0; t < 4; t++) {
        k = (ml_opkind)below(r, ML_OP_COUNT);
        if (applicable(k, v))
            break;
    }
    return k;
}

/* a["f"] of one of v's fields; a[[...]]: some of them, in any order (the
 * ones left out are gaps in the item). */
static void rand_fields(ml_src *r, const ml_view *v, ml_op *op)
{
    int nf = v->dtype.nfields;
    if (nf <= 0) {                    /* no fields: the validator says so */
        op->nnames = 1;
        snprintf(op->names[0], ML_FIELD_NAME_MAX, "f0");
        return;
    }
    int order[ML_MAX_FIELDS];
    for (int j = 0; j < nf; j++)
        order[j] = j;
    for (int j = nf - 1; j > 0; j--) {
        int k = below(r, j + 1), t = order[j];
        order[j] = order[k];
        order[k] = t;
    }
    op->nnames = op->kind == ML_OP_FIELD ? 1 : 1 + below(r, nf);
    if (op->kind == ML_OP_FIELDS && op->nnames > 1 && below(r, 2)) {
        /* in the dtype's order: only the gaps change */
        int keep[ML_MAX_FIELDS], n = 0;
        for (int j = 0; j < nf; j++)
            for (int k = 0; k < op->nnames; k++)
                if (order[k] == j)
                    keep[n++] = j;
        memcpy(order, keep, sizeof(int) * (size_t)n);
    }
    for (int j = 0; j < op->nnames; j++)
        memcpy(op->names[j], v->dtype.names[order[j]], ML_FIELD_NAME_MAX);
}

/* A dim in [1, max], small mostly, sometimes max itself. */
static int64_t pick_dim(ml_src *r, int64_t max)
{
    if (max <= 1)
        return max < 1 ? 0 : 1;
    switch (below(r, 5)) {
    case 0:
        return max;
    case 1:
        return 1 + below(r, (int)min64(max, 64));
    default:
        return 1 + below(r, (int)min64(max, 6));
    }
}

/* A stride for as_strided: packed either way, zero, overlapping (|s| <
 * item size), unaligned, one of v's own, or anything the room allows. */
static int64_t rand_stride(ml_src *r, const ml_view *v, int64_t item, int64_t fwd, int64_t back)
{
    switch (below(r, 10)) {
    case 0:
        return item;
    case 1:
        return -item;
    case 2:
        return 0;
    case 3:
        return item > 1 ? 1 + below(r, (int)min64(item - 1, 1 << 20)) : 1;
    case 4:
        return -(item > 1 ? 1 + below(r, (int)min64(item - 1, 1 << 20)) : 1);
    case 5:
        return item * (2 + below(r, 4));
    case 6:
        return item + 1 + below(r, 3);
    case 7:
        return v->ndim ? v->strides[below(r, v->ndim)] : item;
    default: {
        int64_t room = below(r, 2) ? fwd : back;
        if (room <= 0)
            return item;
        int64_t s = 1 + (int64_t)ml_src_below(r, (uint64_t)room);
        return room == back ? -s : s;
    }
    }
}

/* as_strided over v: shapes and strides whose bytes stay in the memory v
 * views (from its pointer, offset bytes into extent), now and then
 * anything at all. */
static void rand_as_strided(ml_src *r, const ml_view *v, ml_op *op)
{
    int64_t item = v->itemsize > 0 ? v->itemsize : 1;
    int64_t back = v->offset, fwd = v->extent - v->offset - item;
    bool fits = back >= 0 && fwd >= 0;
    op->ndim = below(r, 10) == 0 ? 0 : 1 + below(r, 3);
    if (below(r, 16) == 0) {
        for (int j = 0; j < op->ndim; j++) {
            op->shape[j] = below(r, 9);
            op->strides[j] = below(r, 8 * (int)min64(item, 1 << 16) + 1) - 4 * min64(item, 1 << 16);
        }
        return;
    }
    int64_t budget = (int64_t)(byte_budget / (uint64_t)item), elems = 1;
    if (budget < 1)
        budget = 1;
    for (int j = 0; j < op->ndim; j++) {
        int64_t s = rand_stride(r, v, item, fwd, back);
        int64_t a = s < 0 ? -s : s, room = s > 0 ? fwd : back;
        int64_t max = !fits ? 0 : s == 0 ? 8 : 1 + room / a;
        max = min64(max, budget / elems);
        int64_t d = below(r, 20) == 0 ? 0 : pick_dim(r, max);
        op->shape[j] = d;
        op->strides[j] = s;
        if (d > 1) {
            if (s > 0)
                fwd -= (d - 1) * a;
            else
                back -= (d - 1) * a;
        }
        if (d > 0)
            elems *= d;
    }
    if (!fits) {        /* not one item left to view: only an empty view fits */
        if (op->ndim == 0) {
            op->ndim = 1;
            op->strides[0] = item;
        }
        op->shape[below(r, op->ndim)] = 0;
    }
}

/* sliding_window_view over v: windows that fit their axes (which they
 * shrink), on chosen axes (repeats allowed, as NumPy does) or all of them. */
static void rand_window(ml_src *r, const ml_view *v, ml_op *op)
{
    int nd = v->ndim;
    int64_t left[ML_MAX_NDIM];
    memcpy(left, v->shape, sizeof(int64_t) * (size_t)nd);
    op->has_axes = nd == 0 || 2 * nd > ML_MAX_NDIM || below(r, 3);
    int n = op->has_axes ? 1 + (nd > 1 && below(r, 3) == 0) : nd;
    if (nd + n > ML_MAX_NDIM)
        n = ML_MAX_NDIM - nd > 0 ? ML_MAX_NDIM - nd : 1;
    op->ndim = n;
    for (int j = 0; j < n; j++) {
        int a = !op->has_axes ? j : j > 0 && below(r, 6) == 0 ? norm_axis(op->axes[j - 1], nd)
                                                               : below(r, nd);
        if (op->has_axes)
            op->axes[j] = signed_axis(r, a, nd);
        int64_t d = nd ? left[a] : 1, w;
        switch (below(r, 6)) {
        case 0: w = 1; break;
        case 1: w = d; break;
        case 2: w = below(r, 16) == 0 ? 0 : 2; break;
        default: w = d > 0 ? 1 + (int64_t)ml_src_below(r, (uint64_t)min64(d, 8)) : 0; break;
        }
        w = min64(w, d);
        op->shape[j] = w;
        if (nd && w > 0)
            left[a] -= w - 1;
    }
    /* past the byte budget: the windows shrink to 2 (few elements more) */
    int64_t elems = 1, item = v->itemsize > 0 ? v->itemsize : 1;
    for (int j = 0; j < nd; j++)
        elems = min64(elems * left[j], INT64_MAX / (ML_MAX_DIM + 1));
    for (int j = 0; j < n; j++)
        elems = min64(elems * op->shape[j], INT64_MAX / (ML_MAX_DIM + 1));
    if ((uint64_t)elems * (uint64_t)item > byte_budget)
        for (int j = 0; j < n; j++)
            op->shape[j] = min64(op->shape[j], 2);
}

/* Two different axes of ndim, either sign. */
static void rand_axis_pair(ml_src *r, int ndim, int *a, int *b)
{
    int x = ndim ? below(r, ndim) : 0, y = ndim > 1 ? (x + 1 + below(r, ndim - 1)) % ndim : 1;
    *a = signed_axis(r, x, ndim);
    *b = signed_axis(r, y, ndim);
}

/* A diagonal's offset: the main one mostly, then above, below, and past the
 * array (an empty diagonal). n1, n2: the sizes of axis1, axis2. */
static int64_t rand_diag_offset(ml_src *r, int64_t n1, int64_t n2)
{
    switch (below(r, 6)) {
    case 0:
    case 1:
        return 0;
    case 2:
        return 1 + (int64_t)ml_src_below(r, (uint64_t)min64(n2 > 0 ? n2 : 1, 1 << 20));
    case 3:
        return -1 - (int64_t)ml_src_below(r, (uint64_t)min64(n1 > 0 ? n1 : 1, 1 << 20));
    case 4:
        return min64(n2, 1 << 20) + 1 + below(r, 3);
    default:
        return -min64(n1, 1 << 20) - 1 - below(r, 3);
    }
}

/* An op meant to be valid for view v (validation decides). */
static void rand_op(ml_src *r, const ml_view *v, ml_op *op)
{
    int ndim = v->ndim;
    const int64_t *shape = v->shape;
    memset(op, 0, sizeof *op);
    op->kind = rand_kind(r, v);
    int a = ndim ? below(r, ndim) : 0;
    int64_t n = ndim ? shape[a] : 0;
    switch (op->kind) {
    case ML_OP_RESHAPE:
        rand_reshape(r, ndim, shape, op);
        break;
    case ML_OP_TRANSPOSE:
        op->has_axes = ndim > 1 && below(r, 3);
        op->ndim = ndim;
        for (int i = 0; i < ndim; i++)
            op->axes[i] = i;
        for (int i = ndim - 1; i > 0; i--) {
            int j = below(r, i + 1), t = op->axes[i];
            op->axes[i] = op->axes[j];
            op->axes[j] = t;
        }
        break;
    case ML_OP_SWAPAXES:
    case ML_OP_MOVEAXIS:
        op->axis = signed_axis(r, a, ndim);
        op->axis2 = signed_axis(r, below(r, ndim), ndim);
        break;
    case ML_OP_SLICE: {
        op->axis = signed_axis(r, a, ndim);
        int64_t steps[] = {1, -1, 2, -2, 3, -3, n > 0 ? n : 1, -(n > 0 ? n : 1)};
        op->step = steps[below(r, 8)];
        op->has_start = below(r, 2);
        op->has_stop = below(r, 2);
        op->start = n ? below(r, (int)(2 * n + 1 > 1 << 20 ? 1 << 20 : 2 * n + 1)) - n : 0;
        op->stop = n ? below(r, (int)(2 * n + 1 > 1 << 20 ? 1 << 20 : 2 * n + 1)) - n : 0;
        break;
    }
    case ML_OP_INDEX:
        op->axis = signed_axis(r, a, ndim);
        op->index = n ? below(r, (int)(2 * n > 1 << 20 ? 1 << 20 : 2 * n)) - n : 0;
        break;
    case ML_OP_NEWAXIS:
        op->axis = below(r, ndim + 1);
        if (below(r, 4) == 0)
            op->axis -= ndim + 1;
        break;
    case ML_OP_SQUEEZE:
        op->axis = a;
        for (int i = 0; i < ndim; i++)
            if (shape[i] == 1)
                op->axis = i;
        break;
    case ML_OP_RAVEL:
        op->order = "CFAK"[below(r, 4)];
        break;
    case ML_OP_VIEW:
        rand_dtype(r, &op->dtype);
        break;
    case ML_OP_BROADCAST: {
        int extra = below(r, 3);
        op->ndim = ndim + extra < ML_MAX_NDIM ? ndim + extra : ndim;
        for (int i = 0; i < op->ndim - ndim; i++)
            op->shape[i] = 1 + below(r, 4);
        for (int i = 0; i < ndim; i++) {
            int64_t d = shape[i];
            op->shape[op->ndim - ndim + i] = d == 1 && below(r, 2) ? 2 + below(r, 3) : d;
        }
        break;
    }
    case ML_OP_FIELD:
    case ML_OP_FIELDS:
        rand_fields(r, v, op);
        break;
    case ML_OP_AS_STRIDED:
        rand_as_strided(r, v, op);
        break;
    case ML_OP_SLIDING_WINDOW:
        rand_window(r, v, op);
        break;
    case ML_OP_DIAGONAL:
    case ML_OP_ROT90:
        rand_axis_pair(r, ndim, &op->axis, &op->axis2);
        if (op->kind == ML_OP_ROT90)
            op->index = below(r, 11) - 5;
        else
            op->index = ndim < 2 ? 0 : rand_diag_offset(r, shape[norm_axis(op->axis, ndim)],
                                                          shape[norm_axis(op->axis2, ndim)]);
        break;
    case ML_OP_FLIP:
        op->has_axis = ndim > 0 && below(r, 3);
        op->axis = op->has_axis ? signed_axis(r, a, ndim) : 0;
        break;
    case ML_OP_ASARRAY:
        op->via_view = below(r, 2);
        break;
    default:     /* real, imag: nothing to choose */
        break;
    }
}

/* The view before ops[i] by the layout model. When ops[0..i-1] are invalid
 * (a change before made them so; they will be cut), only the shape is
 * known, or nothing (false, ndim -1). */
static bool view_before(const ml_case *c, int i, ml_view *v)
{
    static ml_view views[ML_MAX_OPS + 1];
    if (ml_layout_case(c, i, views)) {
        *v = views[i];
        return true;
    }
    memset(v, 0, sizeof *v);
    v->ndim = ml_case_shape_after(c, i, v->shape);
    v->dtype = c->dtype;
    v->itemsize = ml_dtype_itemsize(&c->dtype);
    return false;
}

/* One parameter of a new kind's op changed (the view it applies to: v). */
static void tweak_new_op(ml_src *r, const ml_view *v, ml_op *op)
{
    int nd = v->ndim;
    switch (op->kind) {
    case ML_OP_FIELD:
    case ML_OP_FIELDS:
        if (op->kind == ML_OP_FIELDS && op->nnames > 1 && below(r, 3) == 0) {
            int x = below(r, op->nnames), y = below(r, op->nnames);  /* reorder two */
            char t[ML_FIELD_NAME_MAX];
            memcpy(t, op->names[x], sizeof t);
            memcpy(op->names[x], op->names[y], sizeof t);
            memcpy(op->names[y], t, sizeof t);
        } else if (op->kind == ML_OP_FIELDS && op->nnames > 1 && below(r, 2)) {
            op->nnames--;                                            /* drop the last */
        } else {
            if (below(r, 4) == 0)   /* one name <-> a list: a["x"] against a[["x"]] */
                op->kind = op->kind == ML_OP_FIELD ? ML_OP_FIELDS : ML_OP_FIELD;
            rand_fields(r, v, op);
        }
        break;
    case ML_OP_REAL:
    case ML_OP_IMAG:
        op->kind = op->kind == ML_OP_REAL ? ML_OP_IMAG : ML_OP_REAL;
        break;
    case ML_OP_AS_STRIDED: {
        if (op->ndim == 0 || below(r, 4) == 0) {
            rand_as_strided(r, v, op);
            break;
        }
        int j = below(r, op->ndim), item = v->itemsize > 0 ? v->itemsize : 1;
        int64_t *s = &op->strides[j];
        switch (below(r, 6)) {
        case 0: *s = -*s; break;
        case 1: *s = 0; break;
        case 2: *s += below(r, 2) ? 1 : -1; break;          /* unaligned */
        case 3: *s += below(r, 2) ? item : -item; break;
        case 4: op->shape[j] = op->shape[j] > 0 ? op->shape[j] - 1 : 1; break;
        default: op->shape[j] += 1; break;
        }
        break;
    }
    case ML_OP_SLIDING_WINDOW:
        if (op->ndim > 0 && below(r, 2)) {
            int j = below(r, op->ndim);
            op->shape[j] += op->shape[j] > 1 && below(r, 2) ? -1 : 1;
        } else if (op->has_axes && op->ndim > 0 && nd > 0 && below(r, 2)) {
            op->axes[below(r, op->ndim)] = signed_axis(r, below(r, nd), nd);
        } else {
            rand_window(r, v, op);
        }
        break;
    case ML_OP_DIAGONAL:
    case ML_OP_ROT90:
        switch (below(r, 3)) {
        case 0: {
            int t = op->axis;       /* the other way round */
            op->axis = op->axis2;
            op->axis2 = t;
            break;
        }
        case 1:
            if (op->kind == ML_OP_ROT90)
                op->index += below(r, 2) ? 1 : -1;
            else
                op->index = below(r, 2) ? -op->index : op->index + (below(r, 2) ? 1 : -1);
            break;
        default:
            rand_axis_pair(r, nd, &op->axis, &op->axis2);
            break;
        }
        break;
    case ML_OP_FLIP:
        if (op->has_axis && below(r, 2))
            op->has_axis = false;
        else {
            op->has_axis = true;
            op->axis = nd ? signed_axis(r, below(r, nd), nd) : 0;
        }
        break;
    case ML_OP_ASARRAY:
        op->via_view = !op->via_view;
        break;
    default:
        break;
    }
}

static void tweak_op(ml_src *r, ml_case *c, int i)
{
    ml_op *op = &c->ops[i];
    ml_view v;
    view_before(c, i, &v);
    int nd = v.ndim < 0 ? 0 : v.ndim;
    v.ndim = nd;
    int64_t *shape = v.shape;
    if (op->kind >= ML_OP_FIELD) {
        tweak_new_op(r, &v, op);
        return;
    }
    switch (op->kind) {
    case ML_OP_SLICE:
        switch (below(r, 4)) {
        case 0: op->step = below(r, 2) && op->step < ML_MAX_DIM && op->step > -ML_MAX_DIM ? op->step * 2 : -op->step; break;
        case 1: op->has_start = !op->has_start; break;
        case 2: op->has_stop = !op->has_stop; break;
        default: op->start += below(r, 5) - 2; op->stop += below(r, 5) - 2; break;
        }
        if (op->step == 0)
            op->step = 1;
        break;
    case ML_OP_RESHAPE:
        if (below(r, 2))
            op->order = op->order == 'C' ? 'F' : 'C';
        else
            rand_reshape(r, nd, shape, op);
        break;
    case ML_OP_RAVEL:
        op->order = "CFAK"[below(r, 4)];
        break;
    case ML_OP_INDEX:
        op->index = below(r, 2) ? -1 - op->index : op->index + 1;
        break;
    case ML_OP_SWAPAXES:
    case ML_OP_MOVEAXIS:
    case ML_OP_NEWAXIS:
    case ML_OP_SQUEEZE:
        if (below(r, 2))
            op->axis = nd ? below(r, nd + 1) - (below(r, 2) ? nd : 0) : 0;
        else
            op->axis2 = nd ? below(r, nd) : 0;
        break;
    case ML_OP_TRANSPOSE:
        op->has_axes = !op->has_axes;
        if (op->has_axes) {
            op->ndim = nd;
            for (int k = 0; k < nd; k++)
                op->axes[k] = nd - 1 - k;
            if (nd > 1) {
                int x = below(r, nd), y = below(r, nd), t = op->axes[x];
                op->axes[x] = op->axes[y];
                op->axes[y] = t;
            }
        }
        break;
    case ML_OP_VIEW:
        rand_dtype(r, &op->dtype);
        break;
    default:
        rand_op(r, &v, op);
        break;
    }
}

/* The backing's shape becomes a reshape of a 1-D backing (the public
 * example's lineage), or a leading reshape is folded back into the backing. */
static void rebase(ml_src *r, ml_case *c)
{
    if (c->nops && c->ops[0].kind == ML_OP_RESHAPE && below(r, 2)) {
        int64_t s[ML_MAX_NDIM];
        int nd = ml_case_shape_after(c, 1, s);
        if (nd <= 0)
            return;
        c->ndim = nd;
        memcpy(c->shape, s, sizeof(int64_t) * (size_t)nd);
        c->order = c->ops[0].order;
        memmove(&c->ops[0], &c->ops[1], sizeof c->ops[0] * (size_t)(c->nops - 1));
        c->nops--;
        return;
    }
    if (c->nops >= ML_MAX_OPS || c->ndim == 0)
        return;
    memmove(&c->ops[1], &c->ops[0], sizeof c->ops[0] * (size_t)c->nops);
    c->nops++;
    ml_op *op = &c->ops[0];
    memset(op, 0, sizeof *op);
    op->kind = ML_OP_RESHAPE;
    op->ndim = c->ndim;
    memcpy(op->shape, c->shape, sizeof(int64_t) * (size_t)c->ndim);
    op->order = below(r, 4) ? c->order : (c->order == 'C' ? 'F' : 'C');
    c->shape[0] = product(c->ndim, c->shape);
    c->ndim = 1;
}

static void apply(ml_src *r, ml_case *c, int m)
{
    int64_t shape[ML_MAX_NDIM];
    ml_view before;
    int i = c->nops ? below(r, c->nops) : 0;
    switch (m) {
    case M_DIM:
        if (c->ndim) {
            int j = below(r, c->ndim);
            int64_t d = c->shape[j];
            const int64_t v[] = {0, 1, 2, 3, d + 1, d - 1, d * 2, 5 + below(r, 60)};
            c->shape[j] = v[below(r, 8)];
            if (c->shape[j] < 0)
                c->shape[j] = 1;
        } else if (c->nops) {
            m = M_OP_TWEAK;
            tweak_op(r, c, i);
        }
        break;
    case M_NDIM:
        if (c->ndim && (below(r, 2) || c->ndim >= 6)) {
            int j = below(r, c->ndim);
            memmove(&c->shape[j], &c->shape[j + 1], sizeof(int64_t) * (size_t)(c->ndim - 1 - j));
            c->ndim--;
        } else if (c->ndim < ML_MAX_NDIM) {
            int j = below(r, c->ndim + 1);
            memmove(&c->shape[j + 1], &c->shape[j], sizeof(int64_t) * (size_t)(c->ndim - j));
            c->shape[j] = 1 + below(r, 5);
            c->ndim++;
        }
        break;
    case M_ORDER:
        for (int k = 0; k < c->nops && below(r, 2); k++)
            if (c->ops[k].kind == ML_OP_RESHAPE || c->ops[k].kind == ML_OP_RAVEL) {
                tweak_op(r, c, k);
                return;
            }
        c->order = c->order == 'C' ? 'F' : 'C';
        break;
    case M_STEP_SIGN:
        for (int k = 0; k < c->nops; k++)
            if (c->ops[(i + k) % c->nops].kind == ML_OP_SLICE) {
                c->ops[(i + k) % c->nops].step *= -1;
                return;
            }
        /* no slice yet: add a reversing one */
        if (c->nops < ML_MAX_OPS) {
            int at = below(r, c->nops + 1);
            int nd = ml_case_shape_after(c, at, shape);
            if (nd <= 0)
                break;
            memmove(&c->ops[at + 1], &c->ops[at], sizeof c->ops[0] * (size_t)(c->nops - at));
            c->nops++;
            memset(&c->ops[at], 0, sizeof c->ops[at]);
            c->ops[at].kind = ML_OP_SLICE;
            c->ops[at].axis = below(r, nd);
            c->ops[at].step = -1 - below(r, 2);
        }
        break;
    case M_OP_INSERT:
        if (c->nops < ML_MAX_OPS) {
            int at = below(r, c->nops + 1);
            view_before(c, at, &before);
            if (before.ndim < 0)
                break;
            memmove(&c->ops[at + 1], &c->ops[at], sizeof c->ops[0] * (size_t)(c->nops - at));
            c->nops++;
            rand_op(r, &before, &c->ops[at]);
        }
        break;
    case M_OP_REMOVE:
        if (c->nops) {
            memmove(&c->ops[i], &c->ops[i + 1], sizeof c->ops[0] * (size_t)(c->nops - 1 - i));
            c->nops--;
        }
        break;
    case M_OP_SWAP:
        if (c->nops >= 2) {
            int j = i + 1 < c->nops ? i + 1 : i - 1;
            ml_op t = c->ops[i];
            c->ops[i] = c->ops[j];
            c->ops[j] = t;
        }
        break;
    case M_OP_REDRAW:
        if (c->nops) {
            view_before(c, i, &before);
            if (before.ndim >= 0)
                rand_op(r, &before, &c->ops[i]);
        }
        break;
    case M_OP_TWEAK:
        if (c->nops)
            tweak_op(r, c, i);
        break;
    case M_DTYPE:
        rand_dtype(r, &c->dtype);
        break;
    case M_BYTEORDER:
        if (!c->dtype.nfields && c->dtype.scalar.size > 1)
            c->dtype.scalar.byteorder = c->dtype.scalar.byteorder == '<' ? '>' : '<';
        else if (c->dtype.nfields) {
            ml_scalar *f = &c->dtype.fields[below(r, c->dtype.nfields)];
            if (f->size > 1)
                f->byteorder = f->byteorder == '<' ? '>' : '<';
        }
        break;
    case M_OFFSET: {
        int item = ml_dtype_itemsize(&c->dtype);
        const int64_t v[] = {0, item, 1, 3, 8 * item, 4096, 1 + below(r, 255)};
        c->offset = c->source == ML_SRC_NPY ? 0 : v[below(r, 7)];
        break;
    }
    case M_MODE:
        c->mode = (ml_mode)below(r, ML_MODE_COUNT);
        break;
    case M_SOURCE:
        c->source = c->source == ML_SRC_RAW ? ML_SRC_NPY : ML_SRC_RAW;
        if (c->source == ML_SRC_NPY)
            c->offset = 0;
        break;
    case M_TRANSPORT: {
        /* in-process transports mostly: worker ones are mapped onto them */
        static const ml_transport t[] = {ML_T_REDUCE, ML_T_REDUCE, ML_T_REDUCE, ML_T_REFERENCE,
                                         ML_T_THREADING, ML_T_PICKLE2, ML_T_PICKLE4, ML_T_PICKLE5,
                                         ML_T_PICKLE5_OOB, ML_T_LOKY};
        c->transport = t[below(r, (int)(sizeof t / sizeof t[0]))];
        break;
    }
    case M_SEED:
        c->seed = ml_src_next(r) >> 11;
        break;
    case M_REBASE:
        rebase(r, c);
        break;
    default:
        break;
    }
    last_mutation = m;
}

bool mlf_mutate_case(ml_case *c, const ml_limits *lim, ml_src *r)
{
    static ml_case t;
    uint64_t cap = lim && lim->max_bytes ? lim->max_bytes : ML_DEFAULT_MAX_BYTES;
    byte_budget = cap < ((uint64_t)1 << 20) ? cap : (uint64_t)1 << 20;
    for (int attempt = 0; attempt < 16; attempt++) {
        t = *c;
        int n = 1 + (below(r, 4) == 0) + (below(r, 8) == 0);
        for (int k = 0; k < n; k++)
            apply(r, &t, pick_weighted(r));
        /* Ops that the change made invalid are cut off rather than wasted. */
        while (!ml_case_validate(&t, lim, NULL, 0) && t.nops > 0)
            t.nops--;
        if (ml_case_validate(&t, lim, NULL, 0) && !ml_case_equal(&t, c)) {
            *c = t;
            return true;
        }
    }
    return false;
}

static size_t emit(const ml_case *c, uint8_t *out, size_t max)
{
    char *json = ml_case_write(c);
    size_t n = json ? strlen(json) : 0;
    if (!json || n > max) {
        free(json);
        return 0;
    }
    memcpy(out, json, n);
    free(json);
    return n;
}

static ml_case mc, mc2;

size_t mlf_mutate(uint8_t *data, size_t size, size_t max, unsigned seed, mlf_bytes_mutator fallback)
{
    ml_src r;
    const ml_limits *lim = &mlf_cfg()->lim;
    ml_src_seed(&r, seed);
    static int bytes_only = -1;
    if (bytes_only < 0) {
        const char *e = getenv("MLF_MUTATOR");
        bytes_only = e && !strcmp(e, "bytes");
    }
    if (bytes_only && fallback)
        return fallback(data, size, max);
    bool ok = size <= MLF_MAX_JSON && ml_case_parse((const char *)data, size, lim, &mc, NULL, 0);
    /* Now and then plain byte mutation: it reaches the parser's error paths and
     * dictionary values the structure does not know. */
    if (fallback && (!ok ? below(&r, 2) : below(&r, 16) == 0))
        return fallback(data, size, max);
    if (!ok) {
        ml_gen_opts g = mlf_cfg()->gen;
        g.transports = 0;
        ml_gen_case(&r, &g, &mc);
        last_mutation = -1;
    } else if (!mlf_mutate_case(&mc, lim, &r)) {
        return fallback ? fallback(data, size, max) : size;
    }
    size_t n = emit(&mc, data, max);
    return n ? n : (fallback ? fallback(data, size, max) : size);
}

/* Keeps the longest prefix of c's ops that is valid. */
static bool cut_to_valid(ml_case *c, const ml_limits *lim)
{
    while (!ml_case_validate(c, lim, NULL, 0) && c->nops > 0)
        c->nops--;
    return ml_case_validate(c, lim, NULL, 0);
}

size_t mlf_crossover(const uint8_t *a, size_t asize, const uint8_t *b, size_t bsize,
                     uint8_t *out, size_t max, unsigned seed)
{
    ml_src r;
    const ml_limits *lim = &mlf_cfg()->lim;
    ml_src_seed(&r, seed);
    bool oka = asize <= MLF_MAX_JSON && ml_case_parse((const char *)a, asize, lim, &mc, NULL, 0);
    bool okb = bsize <= MLF_MAX_JSON && ml_case_parse((const char *)b, bsize, lim, &mc2, NULL, 0);
    if (!oka || !okb) {
        size_t n = (oka ? asize : bsize) < max ? (oka ? asize : bsize) : max;
        memcpy(out, oka ? a : b, n);
        return n;
    }
    switch (below(&r, 3)) {
    case 0:     /* a's backing, b's ops */
        memcpy(mc.ops, mc2.ops, sizeof mc.ops);
        mc.nops = mc2.nops;
        break;
    case 1: {   /* a's ops up to i, then b's from j */
        int i = below(&r, mc.nops + 1), j = below(&r, mc2.nops + 1);
        int n = i + (mc2.nops - j);
        if (n > ML_MAX_OPS)
            n = ML_MAX_OPS;
        for (int k = i; k < n; k++)
            mc.ops[k] = mc2.ops[j + k - i];
        mc.nops = n;
        break;
    }
    default:    /* a with b's dtype, mode and transport */
        mc.dtype = mc2.dtype;
        mc.mode = mc2.mode;
        mc.transport = mc2.transport;
        break;
    }
    if (!cut_to_valid(&mc, lim))
        return mlf_mutate(memcpy(out, a, asize < max ? asize : max), asize < max ? asize : max, max, seed, NULL);
    size_t n = emit(&mc, out, max);
    return n ? n : 0;
}

/* Structured case reduction: see minimize.h.
 *
 * Passes propose candidates one at a time (pass(cur, k, out) for k = 0, 1,
 * ...); the driver repairs and validates each, keeps it when it is smaller
 * (cost order below) and reproduces, and then restarts the pass from the new
 * case. Rounds over all passes repeat until one changes nothing: a fixed
 * point, reached in finitely many steps because every accepted step lowers a
 * lexicographic cost of non-negative integers. */
#include "minimize.h"
#include "fsutil.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TRIES 500
#define DEFAULT_SECONDS 60.0

static int64_t product(int n, const int64_t *s)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        if (__builtin_mul_overflow(p, s[i], &p))
            return INT64_MAX;
    return p;
}

int64_t ml_case_elements(const ml_case *c)
{
    return product(c->ndim, c->shape);
}

/* ---- cost: what "smaller" means -------------------------------------------- */

/* Cheapest first; a transport is only replaced by a cheaper one of its family. */
static int transport_cost(ml_transport t)
{
    static const int cost[ML_T_COUNT] = {
        [ML_T_REDUCE] = 0, [ML_T_REFERENCE] = 0, [ML_T_THREADING] = 1, [ML_T_PICKLE5] = 2,
        [ML_T_PICKLE4] = 3, [ML_T_PICKLE3] = 4, [ML_T_PICKLE2] = 5, [ML_T_PICKLE5_OOB] = 6,
        [ML_T_MULTIPROCESSING] = 7, [ML_T_LOKY] = 8, [ML_T_POOL_FORKSERVER] = 9,
        [ML_T_POOL_SPAWN] = 10, [ML_T_DASK] = 11,
    };
    return (unsigned)t < ML_T_COUNT ? cost[t] : 99;
}

/* Simplest first: NumPy's default float, then the common little-endian
 * scalars; other scalars after them, big-endian later, structured last. */
static const char *const simple_dtypes[] = {"<f8", "<i8", "<f4", "<i4", "<i2", "|u1", "|i1", "|b1"};
#define NSIMPLE (int)(sizeof simple_dtypes / sizeof *simple_dtypes)

static int dtype_rank(const ml_dtype *d)
{
    if (d->nfields) {   /* each field, sub-array and inner structure counts */
        int r = 200 + 8 * d->nfields;
        for (int i = 0; i < d->nfields && i < ML_MAX_FIELDS; i++)
            r += (d->subndim[i] > 0 ? 2 : 0) + (d->nsub[i] > 0 ? 1 + d->nsub[i] : 0);
        return r;
    }
    char s[8];
    ml_scalar_str(&d->scalar, s);
    for (int i = 0; i < NSIMPLE; i++)
        if (strcmp(s, simple_dtypes[i]) == 0)
            return i;
    const char *kinds = "biufc";
    const char *k = strchr(kinds, d->scalar.kind);
    int r = 20 + (int)(k ? k - kinds : 5) * 16 + d->scalar.size;
    return d->scalar.byteorder == '>' ? r + 100 : r;
}

static int mode_rank(ml_mode m)
{
    switch (m) {
    case ML_MODE_R: return 0;
    case ML_MODE_C: return 1;
    case ML_MODE_RPLUS: return 2;
    default: return 3;
    }
}

static int64_t iabs64(int64_t v)
{
    return v < 0 ? -v : v;
}

#define NCOST 12

static void cost(const ml_case *c, int64_t k[NCOST])
{
    memset(k, 0, sizeof(int64_t) * NCOST);
    k[0] = c->nops;
    k[1] = c->ndim;
    for (int i = 0; i < c->nops; i++) {
        int64_t shape[ML_MAX_NDIM];
        int nd = ml_case_shape_after(c, i + 1, shape);
        k[1] += nd > 0 ? nd : 0;
        const ml_op *op = &c->ops[i];
        switch (op->kind) {
        case ML_OP_RESHAPE:
        case ML_OP_BROADCAST:
            /* sizes as they come out: a -1 costs what it stands for */
            for (int j = 0; j < op->ndim; j++)
                k[3] += op->shape[j] >= 0 ? op->shape[j] : nd == op->ndim ? shape[j] : 1;
            if (op->kind == ML_OP_RESHAPE) {
                k[10] += op->order == 'F';
                for (int j = 0; j < op->ndim; j++)
                    k[10] += op->shape[j] < 0;
            }
            break;
        case ML_OP_TRANSPOSE:
            k[10] += op->has_axes;
            break;
        case ML_OP_SLICE:
            k[10] += op->has_start + op->has_stop + (op->step < 0) + iabs64(op->step) - 1;
            k[10] += (op->has_start ? iabs64(op->start) : 0) + (op->has_stop ? iabs64(op->stop) : 0);
            break;
        case ML_OP_INDEX:
            k[10] += iabs64(op->index) + (op->index < 0);
            break;
        case ML_OP_RAVEL:
            k[10] += op->order != 'C';
            break;
        case ML_OP_AS_STRIDED:
        case ML_OP_SLIDING_WINDOW:
            /* shapes as written; a window's axes cost when written out */
            for (int j = 0; j < op->ndim && j < ML_MAX_NDIM; j++)
                k[3] += op->shape[j];
            if (op->kind == ML_OP_SLIDING_WINDOW)
                k[10] += op->has_axes;
            break;
        case ML_OP_FIELDS:
            k[10] += op->nnames - 1;
            break;
        case ML_OP_DIAGONAL:
            k[10] += iabs64(op->index);
            break;
        case ML_OP_ROT90:
            k[10] += iabs64(op->index);
            break;
        case ML_OP_FLIP:
            k[10] += !op->has_axis;   /* every axis is more than one */
            break;
        case ML_OP_ASARRAY:
            k[10] += op->via_view;
            break;
        default:
            break;
        }
    }
    k[2] = ml_case_elements(c);
    k[4] = transport_cost(c->transport);
    k[5] = dtype_rank(&c->dtype);
    k[6] = mode_rank(c->mode);
    k[7] = c->offset;
    k[8] = c->source == ML_SRC_NPY;
    k[9] = c->order == 'F';
    k[11] = (int64_t)(c->seed > INT64_MAX ? INT64_MAX : c->seed);
}

static bool smaller(const ml_case *a, const ml_case *b)
{
    int64_t ka[NCOST], kb[NCOST];
    cost(a, ka);
    cost(b, kb);
    for (int i = 0; i < NCOST; i++)
        if (ka[i] != kb[i])
            return ka[i] < kb[i];
    return false;
}

/* ---- repair: keep the op chain valid after the shapes changed --------------- */

/* A reshape whose element count no longer fits: re-fit one dim, the last
 * that can take the new count. */
static void fit_reshape(ml_op *op, int64_t count)
{
    int unknown = -1;
    int64_t known = 1;
    for (int j = 0; j < op->ndim; j++) {
        if (op->shape[j] == -1)
            unknown = j;
        else if (__builtin_mul_overflow(known, op->shape[j], &known))
            return;
    }
    if (unknown >= 0 || known == count)
        return;   /* a -1 adapts by itself, or fails validation */
    for (int j = op->ndim - 1; j >= 0; j--) {
        int64_t others = 1;
        for (int i = 0; i < op->ndim; i++)
            if (i != j)
                others = others == INT64_MAX || __builtin_mul_overflow(others, op->shape[i], &others) ? INT64_MAX : others;
        if (others > 0 && count % others == 0) {
            op->shape[j] = count / others;
            return;
        }
    }
}

static int norm(int axis, int nd)
{
    return axis < 0 ? axis + nd : axis;
}

static bool repair(ml_case *c, const ml_limits *lim)
{
    for (int i = 0; i < c->nops; i++) {
        int64_t shape[ML_MAX_NDIM];
        int nd = ml_case_shape_after(c, i, shape);
        if (nd < 0)
            return false;
        ml_op *op = &c->ops[i];
        int a;
        switch (op->kind) {
        case ML_OP_RESHAPE:
            fit_reshape(op, product(nd, shape));
            break;
        case ML_OP_SLICE:
            a = norm(op->axis, nd);
            if (a < 0 || a >= nd)
                return false;
            if (op->has_start && iabs64(op->start) > shape[a])
                op->start = op->start < 0 ? -shape[a] : shape[a];
            if (op->has_stop && iabs64(op->stop) > shape[a])
                op->stop = op->stop < 0 ? -shape[a] : shape[a];
            break;
        case ML_OP_INDEX:
            a = norm(op->axis, nd);
            if (a < 0 || a >= nd || shape[a] == 0)
                return false;
            if (op->index >= shape[a])
                op->index = shape[a] - 1;
            if (op->index < -shape[a])
                op->index = -shape[a];
            break;
        case ML_OP_BROADCAST:
            if (op->ndim < nd)
                return false;
            for (int j = 1; j <= nd; j++)
                if (shape[nd - j] != 1)
                    op->shape[op->ndim - j] = shape[nd - j];
            break;
        case ML_OP_SLIDING_WINDOW:
            /* each window no larger than what the windows before left of its axis */
            if (op->ndim < 1 || op->ndim > ML_MAX_NDIM || (!op->has_axes && op->ndim != nd))
                return false;
            for (int j = 0; j < op->ndim; j++) {
                a = op->has_axes ? norm(op->axes[j], nd) : j;
                if (a < 0 || a >= nd || op->shape[j] < 0)
                    return false;
                if (op->shape[j] > shape[a])
                    op->shape[j] = shape[a];
                shape[a] -= op->shape[j] - 1;
            }
            break;
        default:
            break;
        }
    }
    return ml_case_validate(c, lim, NULL, 0);
}

/* Sets the backing's element count to count * have / want by changing one
 * dim, the last that can take it (the ops before the one that asked must
 * keep the count, or the repair that follows rejects the candidate). */
static bool rescale_backing(ml_case *c, int64_t want_old, int64_t want_new)
{
    int64_t b = ml_case_elements(c), nb;
    if (want_old <= 0 || __builtin_mul_overflow(want_new, b, &nb) || nb % want_old)
        return false;
    nb /= want_old;
    for (int j = c->ndim - 1; j >= 0; j--) {
        int64_t others = 1;
        for (int i = 0; i < c->ndim; i++)
            if (i != j)
                others = others == INT64_MAX || __builtin_mul_overflow(others, c->shape[i], &others) ? INT64_MAX : others;
        if (others > 0 && nb % others == 0) {
            c->shape[j] = nb / others;
            return true;
        }
    }
    return false;
}

/* ---- passes ---------------------------------------------------------------- */

/* Each returns 1 (out holds candidate k), 0 (no candidate k, try k + 1) or
 * -1 (no more candidates). */
typedef int (*pass_fn)(const ml_case *cur, int k, ml_case *out, const ml_minimize_opts *o);

static int pass_transport(const ml_case *cur, int k, ml_case *out, const ml_minimize_opts *o)
{
    if (o->keep_transport || k >= ML_T_COUNT)
        return -1;
    /* candidates in order of cost, cheapest first */
    ml_transport order[ML_T_COUNT];
    int n = 0;
    for (int cst = 0; cst <= 10; cst++)
        for (int t = 0; t < ML_T_COUNT; t++)
            if (transport_cost((ml_transport)t) == cst)
                order[n++] = (ml_transport)t;
    ml_transport t = order[k];
    if (transport_cost(t) >= transport_cost(cur->transport) ||
        strcmp(ml_sig_family(t), ml_sig_family(cur->transport)) != 0)
        return 0;
    *out = *cur;
    out->transport = t;
    return 1;
}

static void remove_op(ml_case *c, int i)
{
    memmove(&c->ops[i], &c->ops[i + 1], sizeof(ml_op) * (size_t)(c->nops - 1 - i));
    c->nops--;
}

/* All ops, then each op from the last, then adjacent pairs. */
static int pass_delete_ops(const ml_case *cur, int k, ml_case *out, const ml_minimize_opts *o)
{
    (void)o;
    int n = cur->nops;
    if (k == 0) {
        if (n < 2)
            return 0;
        *out = *cur;
        out->nops = 0;
        return 1;
    }
    k--;
    if (k < n) {
        *out = *cur;
        remove_op(out, n - 1 - k);
        return 1;
    }
    k -= n;
    if (k < n - 1) {
        *out = *cur;
        remove_op(out, n - 2 - k);
        remove_op(out, n - 2 - k);
        return 1;
    }
    return -1;
}

/* Simpler values of an integer n > 0, smallest first: 1, 2, 3, n/2, n-1. */
static int shrink_values(int64_t n, int64_t v[5])
{
    int64_t cand[5] = {1, 2, 3, n / 2, n - 1};
    int m = 0;
    for (int i = 0; i < 5; i++) {
        if (cand[i] < 1 || cand[i] >= n)
            continue;
        bool dup = false;
        for (int j = 0; j < m; j++)
            dup |= v[j] == cand[i];
        if (!dup)
            v[m++] = cand[i];
    }
    /* keep ascending: n/2 may be below 3 */
    for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            int64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return m;
}

/* An axis of a new op after dim p is gone, a the axis it named: counted
 * from the start past p, one less; from the end before p, one more. */
static void renumber(int *axis, int a, int p)
{
    if (*axis >= 0 && a > p)
        (*axis)--;
    else if (*axis < 0 && a < p)
        (*axis)++;
}

/* Renumbers the axes the ops name after backing dim j is gone: the dim is
 * followed through the ops that move axes, up to the first op that re-cuts
 * the shape (reshape, ravel, broadcast, view), whose axes start afresh.
 * False when an op works on that very dim. */
static bool drop_axis(ml_case *c, int j)
{
    int p = j, nd = c->ndim;   /* where the dim is, in the old chain's terms */
    for (int i = 0; i < c->nops; i++) {
        ml_op *op = &c->ops[i];
        int a, b;
        switch (op->kind) {
        case ML_OP_SLICE:
            a = norm(op->axis, nd);
            if (a == p)
                return false;
            if (op->axis >= 0 && a > p)
                op->axis--;
            break;
        case ML_OP_INDEX:
        case ML_OP_SQUEEZE:
            a = norm(op->axis, nd);
            if (a == p)
                return false;
            if (op->axis >= 0 && a > p)
                op->axis--;
            if (a < p)
                p--;
            nd--;
            break;
        case ML_OP_NEWAXIS:
            a = op->axis < 0 ? op->axis + nd + 1 : op->axis;
            if (op->axis >= 0 && a > p)
                op->axis--;
            if (a <= p)
                p++;
            nd++;
            break;
        case ML_OP_SWAPAXES:
        case ML_OP_MOVEAXIS:
            a = norm(op->axis, nd);
            b = norm(op->axis2, nd);
            if (a == p || b == p)
                return false;
            if (op->kind == ML_OP_MOVEAXIS && ((a < p) != (b < p)))
                return false;   /* the dim would move: not worth following */
            if (op->axis >= 0 && a > p)
                op->axis--;
            if (op->axis2 >= 0 && b > p)
                op->axis2--;
            break;
        case ML_OP_TRANSPOSE:
            if (!op->has_axes) {
                p = nd - 1 - p;
            } else {
                int at = -1, n = 0;
                for (int q = 0; q < op->ndim; q++) {
                    int x = norm(op->axes[q], nd);
                    if (x == p) {
                        at = q;
                        continue;
                    }
                    op->axes[n++] = x > p ? x - 1 : x;
                }
                if (at < 0)
                    return false;
                op->ndim = n;
                p = at;
            }
            break;
        case ML_OP_FLIP:
            if (!op->has_axis)
                break;
            a = norm(op->axis, nd);
            if (a == p)
                return false;
            renumber(&op->axis, a, p);
            break;
        case ML_OP_ROT90:
        case ML_OP_DIAGONAL:
            a = norm(op->axis, nd);
            b = norm(op->axis2, nd);
            if (a == p || b == p)
                return false;
            renumber(&op->axis, a, p);
            renumber(&op->axis2, b, p);
            if (op->kind == ML_OP_DIAGONAL) {   /* both axes go, the diagonal comes last */
                p -= (a < p) + (b < p);
                nd--;
            }
            break;
        case ML_OP_SLIDING_WINDOW:
            if (!op->has_axes) {   /* the window of the dim goes with it; its dims after are new */
                if (op->ndim <= 1 || p >= op->ndim)
                    return false;
                memmove(&op->shape[p], &op->shape[p + 1], sizeof(int64_t) * (size_t)(op->ndim - 1 - p));
                op->ndim--;
                return true;
            }
            for (int q = 0; q < op->ndim; q++) {
                a = norm(op->axes[q], nd);
                if (a == p)
                    return false;
                renumber(&op->axes[q], a, p);
            }
            nd += op->ndim;
            break;
        case ML_OP_FIELD: {   /* a sub-array's dims come last */
            int f = -1;
            for (int q = 0; q < c->dtype.nfields && q < ML_MAX_FIELDS; q++)
                if (strncmp(c->dtype.names[q], op->names[0], ML_FIELD_NAME_MAX) == 0)
                    f = q;
            nd += f >= 0 ? c->dtype.subndim[f] : 0;
            break;
        }
        case ML_OP_FIELDS:
        case ML_OP_REAL:
        case ML_OP_IMAG:
        case ML_OP_ASARRAY:
            break;
        default:
            return true;   /* reshape, ravel, broadcast, view, as_strided: later axes are new */
        }
    }
    return true;
}

#define DIM_ACTIONS 8   /* remove or merge into the next (axes followed), remove as is, five sizes */

static int pass_backing_dims(const ml_case *cur, int k, ml_case *out, const ml_minimize_opts *o)
{
    (void)o;
    int j = k / DIM_ACTIONS, a = k % DIM_ACTIONS;
    if (j >= cur->ndim)
        return -1;
    *out = *cur;
    if (a <= 2) {
        if (a == 1) {
            if (j + 1 >= cur->ndim)
                return 0;
            out->shape[j + 1] *= out->shape[j];
        }
        if (a < 2 && !drop_axis(out, j))
            return 0;
        memmove(&out->shape[j], &out->shape[j + 1], sizeof(int64_t) * (size_t)(out->ndim - 1 - j));
        out->ndim--;
        return 1;
    }
    int64_t v[5];
    int m = shrink_values(cur->shape[j], v);
    if (a - 3 >= m)
        return 0;
    out->shape[j] = v[a - 3];
    return 1;
}

/* Reshape targets (the backing is rescaled to feed them) and broadcast
 * targets: remove a dim, or make one smaller. */
static int pass_op_shapes(const ml_case *cur, int k, ml_case *out, const ml_minimize_opts *o)
{
    (void)o;
    enum { ACTIONS = 6 };   /* remove, five smaller sizes */
    int per_op = ML_MAX_NDIM * ACTIONS;
    int i = k / per_op, j = (k % per_op) / ACTIONS, a = k % ACTIONS;
    if (i >= cur->nops)
        return -1;
    const ml_op *op = &cur->ops[i];
    if ((op->kind != ML_OP_RESHAPE && op->kind != ML_OP_BROADCAST) || j >= op->ndim)
        return 0;
    if (op->shape[j] < 0)
        return 0;
    *out = *cur;
    ml_op *nop = &out->ops[i];
    if (a == 0) {
        memmove(&nop->shape[j], &nop->shape[j + 1], sizeof(int64_t) * (size_t)(nop->ndim - 1 - j));
        nop->ndim--;
    } else {
        int64_t v[5];
        int m = shrink_values(op->shape[j], v);
        if (a - 1 >= m)
            return 0;
        nop->shape[j] = v[a - 1];
    }
    if (op->kind == ML_OP_RESHAPE) {
        bool unknown = false;
        for (int d = 0; d < nop->ndim; d++)
            unknown |= nop->shape[d] < 0;
        int64_t in[ML_MAX_NDIM];
        int nd = ml_case_shape_after(cur, i, in);
        if (!unknown && nd >= 0 && !rescale_backing(out, product(nd, in), product(nop->ndim, nop->shape)))
            return 0;
    }
    return 1;
}

#define PARAM_ACTIONS 4

static int pass_params(const ml_case *cur, int k, ml_case *out, const ml_minimize_opts *o)
{
    (void)o;
    int i = k / PARAM_ACTIONS, a = k % PARAM_ACTIONS;
    if (i >= cur->nops)
        return -1;
    *out = *cur;
    ml_op *op = &out->ops[i];
    switch (op->kind) {
    case ML_OP_RESHAPE:
        if (a == 0 && op->order == 'F') {
            op->order = 'C';
            return 1;
        }
        if (a == 1) {   /* write -1 out: the same array, fewer surprises for a reader */
            int64_t shape[ML_MAX_NDIM];
            bool unknown = false;
            for (int d = 0; d < op->ndim; d++)
                unknown |= op->shape[d] < 0;
            if (!unknown || ml_case_shape_after(cur, i + 1, shape) != op->ndim)
                return 0;
            memcpy(op->shape, shape, sizeof(int64_t) * (size_t)op->ndim);
            return 1;
        }
        return 0;
    case ML_OP_TRANSPOSE:
        if (a == 0 && op->has_axes) {
            op->has_axes = false;
            return 1;
        }
        return 0;
    case ML_OP_SLICE:
        if (a == 0 && op->has_start) {
            op->has_start = false;
            return 1;
        }
        if (a == 1 && op->has_stop) {
            op->has_stop = false;
            return 1;
        }
        if (a == 2 && iabs64(op->step) > 1) {
            op->step = op->step < 0 ? -1 : 1;
            return 1;
        }
        if (a == 3 && iabs64(op->step) > 3) {
            op->step /= 2;
            return 1;
        }
        return 0;
    case ML_OP_INDEX:
        if (a == 0 && op->index != 0) {
            op->index = 0;
            return 1;
        }
        return 0;
    case ML_OP_RAVEL:
        if (a == 0 && op->order != 'C') {
            op->order = 'C';
            return 1;
        }
        return 0;
    default:
        return 0;
    }
}

/* The new op kinds: as_strided and window dims removed or made smaller,
 * fewer fields, a diagonal's offset toward 0, rot90's turns in [0, 4) and
 * then one, one axis flipped instead of all, np.asarray rather than a view.
 * Old kinds give no candidate here. */
#define NEW_ACTIONS (ML_MAX_NDIM * 6)

static int pass_new_ops(const ml_case *cur, int k, ml_case *out, const ml_minimize_opts *o)
{
    (void)o;
    int i = k / NEW_ACTIONS, a = k % NEW_ACTIONS, j = a / 6, t = a % 6;
    if (i >= cur->nops)
        return -1;
    const ml_op *op = &cur->ops[i];
    *out = *cur;
    ml_op *nop = &out->ops[i];
    switch (op->kind) {
    case ML_OP_AS_STRIDED:
    case ML_OP_SLIDING_WINDOW:
        if (j >= op->ndim || op->shape[j] < 0)
            return 0;
        if (t == 0) {   /* a dim less (a window's only with its axes written) */
            if (op->kind == ML_OP_SLIDING_WINDOW && (!op->has_axes || op->ndim < 2))
                return 0;
            size_t n = (size_t)(op->ndim - 1 - j);
            memmove(&nop->shape[j], &nop->shape[j + 1], sizeof(int64_t) * n);
            memmove(&nop->strides[j], &nop->strides[j + 1], sizeof(int64_t) * n);
            memmove(&nop->axes[j], &nop->axes[j + 1], sizeof(int) * n);
            nop->ndim--;
            return 1;
        } else {
            int64_t v[5];
            int m = shrink_values(op->shape[j], v);
            if (t - 1 >= m)
                return 0;
            nop->shape[j] = v[t - 1];
            return 1;
        }
    case ML_OP_FIELDS:
        if (t != 0 || j >= op->nnames || op->nnames < 2)
            return 0;
        memmove(nop->names[j], nop->names[j + 1], sizeof nop->names[0] * (size_t)(op->nnames - 1 - j));
        nop->nnames--;
        return 1;
    case ML_OP_DIAGONAL:
        if (j != 0 || t > 1 || op->index == 0)
            return 0;
        nop->index = t == 0 ? 0 : op->index / 2;
        return 1;
    case ML_OP_ROT90: {
        int64_t turns = ((op->index % 4) + 4) % 4;
        if (j != 0 || t > 1)
            return 0;
        nop->index = t == 0 ? turns : 1;
        return nop->index != op->index && turns != 0 ? 1 : 0;
    }
    case ML_OP_FLIP: {
        int64_t shape[ML_MAX_NDIM];
        if (t != 0 || op->has_axis || j >= ml_case_shape_after(cur, i, shape))
            return 0;
        nop->has_axis = true;
        nop->axis = j;
        return 1;
    }
    case ML_OP_ASARRAY:
        if (a != 0 || !op->via_view)
            return 0;
        nop->via_view = false;
        return 1;
    default:
        return 0;
    }
}

static bool dtype_from(const char *s, ml_dtype *d)
{
    memset(d, 0, sizeof *d);
    d->scalar.byteorder = s[0];
    d->scalar.kind = s[1];
    d->scalar.size = atoi(s + 2);
    return true;
}

/* A structured dtype made simpler at field i: the field dropped (the ops
 * that name it then make the case invalid, and the step is not taken), its
 * sub-array made a plain field, its inner structure made its first scalar. */
static void simpler_field(ml_dtype *d, int i, int how)
{
    if (i >= d->nfields)
        return;
    if (how == 0 && d->nfields > 1) {
        for (int j = i; j + 1 < d->nfields; j++) {
            memcpy(d->names[j], d->names[j + 1], sizeof d->names[j]);
            d->fields[j] = d->fields[j + 1];
            d->subndim[j] = d->subndim[j + 1];
            memcpy(d->subshape[j], d->subshape[j + 1], sizeof d->subshape[j]);
            d->nsub[j] = d->nsub[j + 1];
            memcpy(d->subnames[j], d->subnames[j + 1], sizeof d->subnames[j]);
            memcpy(d->subfields[j], d->subfields[j + 1], sizeof d->subfields[j]);
        }
        d->nfields--;
    } else if (how == 1) {
        d->subndim[i] = 0;
    } else if (how == 2 && d->nsub[i] > 0) {
        d->fields[i] = d->subfields[i][0];
        d->nsub[i] = 0;
    }
}

#define FIELD_ACTIONS (3 * ML_MAX_FIELDS)
#define CASE_ACTIONS (8 + NSIMPLE + 2 + FIELD_ACTIONS)

static int pass_case(const ml_case *cur, int k, ml_case *out, const ml_minimize_opts *o)
{
    (void)o;
    if (k >= CASE_ACTIONS)
        return -1;
    *out = *cur;
    switch (k) {
    case 0: out->mode = ML_MODE_R; break;
    case 1: out->mode = ML_MODE_C; break;
    case 2: out->offset = 0; break;
    case 3: {   /* keep only a misalignment, if that is what matters */
        int item = ml_dtype_itemsize(&cur->dtype);
        out->offset = item > 0 ? cur->offset % item : 0;
        break;
    }
    case 4: out->offset = cur->offset / 2; break;
    case 5: out->source = ML_SRC_RAW; break;
    case 6: out->order = 'C'; break;
    case 7:   /* the same scalar in little-endian order, or a structure's first field */
        if (cur->dtype.nfields) {
            ml_scalar f = cur->dtype.fields[0];
            memset(&out->dtype, 0, sizeof out->dtype);
            out->dtype.scalar = f;
        } else if (cur->dtype.scalar.byteorder == '>') {
            out->dtype.scalar.byteorder = '<';
        }
        break;
    default:
        if (k < 8 + NSIMPLE) {
            dtype_from(simple_dtypes[k - 8], &out->dtype);
        } else if (k < 8 + NSIMPLE + 2) {
            out->seed = (uint64_t)(k - 8 - NSIMPLE);
        } else {
            int f = k - 8 - NSIMPLE - 2;
            simpler_field(&out->dtype, f / 3, f % 3);
        }
        break;
    }
    return ml_case_equal(out, cur) ? 0 : 1;
}

static const struct {
    const char *name;
    pass_fn fn;
} passes[] = {
    {"transport", pass_transport}, {"delete ops", pass_delete_ops},
    {"op params", pass_params},    {"new op params", pass_new_ops},
    {"backing dims", pass_backing_dims},
    {"op shapes", pass_op_shapes}, {"case", pass_case},
};

/* ---- the driver ------------------------------------------------------------ */

typedef struct {
    ml_judge_fn judge;
    void *ctx;
    const ml_minimize_opts *o;
    ml_minimize_stats *st;
    int max_tries;
    double max_seconds, start;
    ml_sig target;
    int cur_defects;    /* defects the current case shows: a smaller one may not show more */
    int last_defects;   /* of the last case that showed the target */
    uint64_t *keys;     /* memo: hash of the canonical JSON (0 = empty) */
    uint8_t *vals;      /* defects shown when the target is among them, else 0 */
    size_t cap, n;
    char *err;
    size_t errlen;
    bool judge_failed;
    ml_outcome out;
} mz;

static uint64_t hash_json(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

static int memo_get(const mz *m, uint64_t key)
{
    if (!m->cap)
        return -1;
    for (size_t i = key & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key)
            return m->vals[i];
        if (!m->keys[i])
            return -1;
    }
}

static void memo_put(mz *m, uint64_t key, int val)
{
    if (2 * (m->n + 1) > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 256;
        uint64_t *nk = calloc(ncap, sizeof *nk);
        uint8_t *nv = calloc(ncap, 1);
        if (!nk || !nv) {
            free(nk);
            free(nv);
            return;   /* no memo: only slower */
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            size_t j = m->keys[i] & (ncap - 1);
            while (nk[j])
                j = (j + 1) & (ncap - 1);
            nk[j] = m->keys[i];
            nv[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = nk;
        m->vals = nv;
        m->cap = ncap;
    }
    size_t i = key & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = key;
    m->vals[i] = (uint8_t)val;
}

/* The number of defects the outcome shows when the target is one of them,
 * else 0. */
static int shows_target(const ml_outcome *out, const ml_sig *target)
{
    ml_sig all[ML_SIG_MAX];
    int n = ml_sig_all(&out->c, &out->r, &out->v, all);
    for (int i = 0; i < n; i++)
        if (ml_sig_same_class(&all[i], target))
            return n;
    return 0;
}

static bool out_of_budget(mz *m)
{
    if (m->o->stop && *m->o->stop) {
        snprintf(m->st->stop_reason, sizeof m->st->stop_reason, "interrupted");
        return true;
    }
    if (m->st->tries >= m->max_tries) {
        snprintf(m->st->stop_reason, sizeof m->st->stop_reason, "budget of %d cases tried", m->max_tries);
        return true;
    }
    if (ml_now() - m->start >= m->max_seconds) {
        snprintf(m->st->stop_reason, sizeof m->st->stop_reason, "budget of %g s", m->max_seconds);
        return true;
    }
    return false;
}

/* 1 reproduces, 0 does not, -1 stop (budget spent or the judge failed). */
static int try_case(mz *m, const ml_case *c)
{
    char *json = ml_case_write(c);
    if (!json) {
        snprintf(m->err, m->errlen, "out of memory");
        m->judge_failed = true;
        return -1;
    }
    uint64_t key = hash_json(json);
    free(json);
    int n = memo_get(m, key);
    if (n >= 0) {
        m->st->cached++;
    } else {
        if (out_of_budget(m))
            return -1;
        m->st->tries++;
        if (!m->judge(m->ctx, c, &m->out, m->err, m->errlen)) {
            m->judge_failed = true;
            return -1;
        }
        n = shows_target(&m->out, &m->target);
        memo_put(m, key, n);
    }
    /* the target kept, and no defect gained: the case converges on the
     * target alone where the other defects can be shrunk away */
    if (n == 0 || n > m->cur_defects)
        return 0;
    m->last_defects = n;
    return 1;
}

bool ml_minimize_with(ml_judge_fn judge, void *ctx, const ml_case *in, const ml_minimize_opts *o,
                      ml_case *out, ml_minimize_stats *st, char *err, size_t errlen)
{
    static const ml_minimize_opts defaults;
    ml_minimize_stats scratch;
    char scratch_err[ML_ERR_MAX];
    if (!o)
        o = &defaults;
    if (!st)
        st = &scratch;
    if (!err || !errlen) {
        err = scratch_err;
        errlen = sizeof scratch_err;
    }
    memset(st, 0, sizeof *st);
    err[0] = 0;
    *out = *in;

    mz m;
    memset(&m, 0, sizeof m);
    m.judge = judge;
    m.ctx = ctx;
    m.o = o;
    m.st = st;
    m.max_tries = o->max_tries > 0 ? o->max_tries : DEFAULT_TRIES;
    m.max_seconds = o->max_seconds > 0 ? o->max_seconds : DEFAULT_SECONDS;
    m.start = ml_now();
    m.err = err;
    m.errlen = errlen;

    bool ok = false;
    ml_case *cur = malloc(sizeof *cur), *cand = malloc(sizeof *cand);
    if (!cur || !cand) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    st->tries = 1;
    if (!judge(ctx, in, &m.out, err, errlen))
        goto done;
    if (m.out.v.kind != ML_V_FAIL && m.out.v.kind != ML_V_ERROR) {
        char vs[64];
        snprintf(err, errlen, "the case does not fail (%s)", ml_verdict_str(&m.out.v, vs, sizeof vs));
        goto done;
    }
    if (o->target)
        m.target = *o->target;
    else
        ml_sig_from(&m.out.c, &m.out.r, &m.out.v, &m.target);
    m.cur_defects = shows_target(&m.out, &m.target);
    if (!m.cur_defects) {
        char vs[512];
        snprintf(err, errlen, "the case does not show the defect (%s)", ml_sig_str(&m.target, vs, sizeof vs));
        goto done;
    }
    st->input_fails = true;
    st->sig = m.target;
    *cur = *in;
    {
        char *json = ml_case_write(cur);
        if (json)
            memo_put(&m, hash_json(json), (uint8_t)m.cur_defects);
        free(json);
    }

    bool changed = true, stop = false;
    while (changed && !stop) {
        changed = false;
        for (size_t p = 0; p < sizeof passes / sizeof *passes && !stop; p++) {
            for (int k = 0; !stop; k++) {
                int r = passes[p].fn(cur, k, cand, o);
                if (r < 0)
                    break;
                if (r == 0)
                    continue;
                if (!repair(cand, &o->lim)) {
                    st->rejected_invalid++;
                    continue;
                }
                if (!smaller(cand, cur))
                    continue;
                int v = try_case(&m, cand);
                if (v < 0) {
                    stop = true;
                    break;
                }
                if (v == 1) {
                    *cur = *cand;
                    m.cur_defects = m.last_defects;
                    st->accepted++;
                    changed = true;
                    if (o->log) {
                        char s[ML_SIG_PART];
                        fprintf(o->log, "minimize: %-12s -> %s, %lld elements\n", passes[p].name,
                                ml_sig_structure(cur, s, sizeof s), (long long)ml_case_elements(cur));
                    }
                    k = -1;   /* the pass again, on the smaller case */
                }
            }
        }
    }
    if (m.judge_failed)
        goto done;
    st->stopped_early = stop;
    if (!stop)
        st->stop_reason[0] = 0;
    *out = *cur;
    ml_sig_structure(cur, st->sig.structure, sizeof st->sig.structure);
    ok = true;
done:
    st->seconds = ml_now() - m.start;
    free(cur);
    free(cand);
    free(m.keys);
    free(m.vals);
    return ok;
}

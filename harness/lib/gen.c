/* memlayout generator: random valid cases from a seed or from fuzzer bytes.
 *
 * Every op is drawn only among the ops valid for the shape the chain has
 * reached, with parameters valid by construction, so no case is ever thrown
 * away and a byte string always decodes to a case. Choices are laid out so
 * that a zero draw picks the simplest option: an exhausted byte string (or an
 * empty one) decodes to a 1-D "<f8" raw backing of one element, no ops.
 *
 * The distribution leans on what breaks memmap reducers: small 1-3 dim
 * backings, both orders, offsets that are and are not multiples of the item
 * size, and short chains of reshapes, transposes and strided slices over
 * them, which give the non-contiguous, offset views joblib must rebuild. */
#include "gen.h"
#include "layout.h"

#include <string.h>

#define GEN_MAX_ELEMS 4096      /* backing size: big enough for odd strides, cheap to hash */
#define GEN_MAX_BCAST 16384     /* broadcast results: their copies are materialized */
#define GEN_DEFAULT_OPS 4
#define GEN_DEFAULT_NDIM 6

/* ---- sources --------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void ml_src_seed(ml_src *s, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        s->s[i] = splitmix64(&x);
    s->bytes = NULL;
    s->len = s->pos = 0;
}

void ml_src_bytes(ml_src *s, const uint8_t *data, size_t len)
{
    static const uint8_t none[1];
    memset(s->s, 0, sizeof s->s);
    s->bytes = data ? data : none;   /* non-NULL marks byte mode */
    s->len = data ? len : 0;
    s->pos = 0;
}

/* Up to n bytes, little-endian, zero once the input runs out. */
static uint64_t take(ml_src *s, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n && s->pos < s->len; i++)
        v |= (uint64_t)s->bytes[s->pos++] << (8 * i);
    return v;
}

uint64_t ml_src_next(ml_src *s)
{
    if (s->bytes)
        return take(s, 8);
    /* xoshiro256** */
    uint64_t r = rotl(s->s[1] * 5, 7) * 9, t = s->s[1] << 17;
    s->s[2] ^= s->s[0];
    s->s[3] ^= s->s[1];
    s->s[1] ^= s->s[2];
    s->s[0] ^= s->s[3];
    s->s[2] ^= t;
    s->s[3] = rotl(s->s[3], 45);
    return r;
}

uint64_t ml_src_below(ml_src *s, uint64_t n)
{
    if (n <= 1)
        return 0;
    if (s->bytes) {
        /* Only as many bytes as n needs: a fuzzer's input buys more choices. */
        int nb = 0;
        for (uint64_t m = n - 1; m; m >>= 8)
            nb++;
        return take(s, nb) % n;
    }
    return (uint64_t)(((unsigned __int128)ml_src_next(s) * n) >> 64);
}

static int below(ml_src *s, int n)
{
    return (int)ml_src_below(s, (uint64_t)n);
}

/* Index drawn with the given weights; a zero draw gives the first non-zero. */
static int pick(ml_src *s, const unsigned *w, int n)
{
    unsigned total = 0;
    for (int i = 0; i < n; i++)
        total += w[i];
    unsigned r = (unsigned)ml_src_below(s, total ? total : 1);
    for (int i = 0; i < n; i++) {
        if (r < w[i])
            return i;
        r -= w[i];
    }
    return 0;
}

/* ---- dtypes ---------------------------------------------------------------- */

static const struct {
    char kind;
    int size;
    unsigned weight;
} scalars[] = {
    {'f', 8, 20}, {'f', 4, 10}, {'i', 4, 10}, {'i', 8, 10}, {'u', 1, 6}, {'b', 1, 4},
    {'i', 2, 5}, {'f', 2, 4}, {'c', 8, 4}, {'c', 16, 4}, {'u', 2, 3}, {'u', 4, 3},
    {'u', 8, 3}, {'i', 1, 3},
};
#define NSCALARS ((int)(sizeof scalars / sizeof scalars[0]))

static ml_scalar make_scalar(ml_src *s, int k)
{
    ml_scalar sc = {scalars[k].kind, '|', scalars[k].size};
    if (sc.size > 1)
        sc.byteorder = below(s, 4) == 3 ? '>' : '<';
    return sc;
}

static ml_scalar gen_scalar(ml_src *s)
{
    unsigned w[NSCALARS];
    for (int k = 0; k < NSCALARS; k++)
        w[k] = scalars[k].weight;
    return make_scalar(s, pick(s, w, NSCALARS));
}

/* A scalar of exactly size bytes (one of 1, 2, 4, 8, 16). */
static ml_scalar scalar_of_size(ml_src *s, int size)
{
    unsigned w[NSCALARS];
    for (int k = 0; k < NSCALARS; k++)
        w[k] = scalars[k].size == size;
    return make_scalar(s, pick(s, w, NSCALARS));
}

static void name_fields(ml_src *s, ml_dtype *d)
{
    static const char *const sets[3][ML_MAX_FIELDS] = {
        {"x", "y", "z", "w", "u", "v", "s", "t"},
        {"a", "b", "c", "d", "e", "f", "g", "h"},
        {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"},
    };
    int set = below(s, 3);
    for (int i = 0; i < d->nfields; i++)
        strcpy(d->names[i], sets[set][i]);
}

static void gen_dtype(ml_src *s, ml_dtype *d)
{
    memset(d, 0, sizeof *d);
    if (below(s, 100) < 90) {
        d->scalar = gen_scalar(s);
        return;
    }
    d->nfields = 2 + below(s, 2);
    for (int i = 0; i < d->nfields; i++) {
        d->fields[i] = gen_scalar(s);
        if (below(s, 6) == 0) {             /* an inner structure: ("p", [("x", "<i2"), ...]) */
            static const char *const inner[] = {"p", "q", "r", "s"};
            d->nsub[i] = 1 + below(s, 3);
            for (int j = 0; j < d->nsub[i]; j++) {
                strcpy(d->subnames[i][j], inner[j]);
                d->subfields[i][j] = gen_scalar(s);
            }
            d->fields[i] = d->subfields[i][0];
        }
        if (below(s, 3) == 0) {             /* a sub-array field: ("v", "<f4", (3,)) */
            d->subndim[i] = 1 + below(s, 2);
            for (int j = 0; j < d->subndim[i]; j++)
                d->subshape[i][j] = 1 + below(s, 4);
        }
    }
    name_fields(s, d);
}

/* A dtype of the same item size as cur: a scalar of another kind or byte
 * order (reinterpreting bytes never moves them), or a packed structure. */
static void same_size_dtype(ml_src *s, const ml_dtype *cur, int size, ml_dtype *d)
{
    memset(d, 0, sizeof *d);
    bool scalar_size = size == 1 || size == 2 || size == 4 || size == 8 || size == 16;
    if (scalar_size && below(s, 8) != 7) {
        d->scalar = scalar_of_size(s, size);
        return;
    }
    /* Largest pieces first, then rotated so the big field is not always first. */
    int sizes[ML_MAX_FIELDS], n = 0, rem = size;
    for (int piece = 16; piece && rem; piece /= 2) {
        while (rem >= piece && n < ML_MAX_FIELDS) {
            sizes[n++] = piece;
            rem -= piece;
        }
    }
    if (rem || n == 0) {
        *d = *cur;
        return;
    }
    int rot = below(s, n);
    d->nfields = n;
    for (int i = 0; i < n; i++)
        d->fields[i] = scalar_of_size(s, sizes[(i + rot) % n]);
    name_fields(s, d);
}

/* ---- backing --------------------------------------------------------------- */

typedef struct {
    ml_src *src;
    ml_case *c;
    uint64_t cap;
    int max_ndim;           /* backing dims */
    int op_ndim;            /* ops that add dims stop here */
    int ndim;               /* the chain's current shape */
    int64_t shape[ML_MAX_NDIM];
    int64_t elems;
    ml_view view;           /* the chain's current view (layout model) */
} gen;

/* Element count, saturated: a broadcast draft may multiply past int64. */
static int64_t count(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    bool big = false;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0)
            return 0;
        big = big || __builtin_mul_overflow(n, shape[i], &n);
    }
    return big ? INT64_MAX : n;
}

static int largest_dim(int ndim, const int64_t *shape)
{
    int best = 0;
    for (int i = 1; i < ndim; i++)
        if (shape[i] > shape[best])
            best = i;
    return best;
}

static int64_t gen_dim(ml_src *s)
{
    static const int64_t small[] = {1, 2, 3, 4, 5, 0, 6};
    static const unsigned w[] = {20, 15, 15, 12, 10, 5, 6, 7};
    int k = pick(s, w, 8);
    return k < 7 ? small[k] : 7 + below(s, 34);
}

static void gen_backing(gen *g)
{
    ml_src *s = g->src;
    ml_case *c = g->c;
    int itemsize = ml_dtype_itemsize(&c->dtype);
    c->source = below(s, 100) < 70 ? ML_SRC_RAW : ML_SRC_NPY;

    /* ndim: 1 to 3 mostly; 0 only for npy, as the format requires. */
    static const int nd_val[] = {1, 2, 3, 4, 5, 6, 0, -1};
    unsigned w[] = {30, 30, 20, 8, 5, 4, 3, 3};
    for (int k = 0; k < 8; k++)
        if (nd_val[k] > g->max_ndim || (nd_val[k] == -1 && g->max_ndim <= 6) ||
            (nd_val[k] == 0 && c->source == ML_SRC_RAW))
            w[k] = 0;
    int k = pick(s, w, 8);
    c->ndim = nd_val[k] >= 0 ? nd_val[k] : 7 + below(s, g->max_ndim - 6);
    for (int i = 0; i < c->ndim; i++)
        c->shape[i] = gen_dim(s);
    /* A 1-D backing is there to be reshaped: give it sizes with factors. */
    if (c->ndim == 1 && below(s, 2))
        c->shape[0] = 6 + below(s, 59);
    while (count(c->ndim, c->shape) > GEN_MAX_ELEMS) {
        int i = largest_dim(c->ndim, c->shape);
        c->shape[i] /= 2;
    }

    c->order = below(s, 100) < 65 ? 'C' : 'F';
    int r = below(s, 100);
    if (c->source == ML_SRC_NPY || r < 60)
        c->offset = 0;
    else if (r < 80)
        c->offset = 1 + below(s, 64);                 /* often misaligned */
    else if (r < 95)
        c->offset = (int64_t)itemsize * (1 + below(s, 8));
    else
        c->offset = 4096;                              /* a whole page in */

    unsigned mw[ML_MODE_COUNT] = {40, 25, 20, 15};
    c->mode = (ml_mode)pick(s, mw, ML_MODE_COUNT);

    /* A small cap: shed the offset, then halve, and at worst empty the array. */
    uint64_t bytes = (uint64_t)count(c->ndim, c->shape) * (uint64_t)itemsize;
    if (bytes + (uint64_t)c->offset > g->cap)
        c->offset = 0;
    while (bytes > g->cap) {
        int i = largest_dim(c->ndim, c->shape);
        if (c->ndim == 0) {
            c->ndim = 1;
            c->shape[0] = 0;
        } else {
            c->shape[i] = c->shape[i] > 1 ? c->shape[i] / 2 : 0;
        }
        bytes = (uint64_t)count(c->ndim, c->shape) * (uint64_t)itemsize;
    }
    /* np.memmap cannot map zero bytes, nor start at the end of the file: an
     * empty raw array needs filler that does not end on a page boundary. */
    if (c->source == ML_SRC_RAW && bytes == 0 && c->offset % 4096 == 0) {
        c->offset = 1 + below(s, 64);
        if ((uint64_t)c->offset > g->cap)
            c->offset = (int64_t)g->cap;
    }

    g->ndim = c->ndim;
    memcpy(g->shape, c->shape, sizeof g->shape);
    g->elems = count(c->ndim, c->shape);
}

/* ---- ops ------------------------------------------------------------------- */

/* A NumPy axis for 0 <= a < n, written negative now and then. */
static int signed_axis(ml_src *s, int a, int n)
{
    return below(s, 6) == 5 ? a - n : a;
}

static void gen_reshape(gen *g, ml_op *op)
{
    ml_src *s = g->src;
    int64_t n = g->elems;
    /* 2-D first: a 1-D backing reshaped to 2-D is the classic broken view. */
    static const int k_val[] = {2, 1, 3, 4, 5, 6, 0};
    unsigned w[] = {g->ndim == 1 ? 70 : 40, 15, 22, 10, 5, 4, 4};
    for (int i = 0; i < 7; i++)
        if (k_val[i] > g->op_ndim || (k_val[i] == 0 && n != 1))
            w[i] = 0;
    int k = k_val[pick(s, w, 7)];

    op->ndim = k;
    if (n == 0) {
        for (int i = 0; i < k; i++)
            op->shape[i] = below(s, 5);
        op->shape[below(s, k)] = 0;
    } else {
        for (int i = 0; i < k; i++)
            op->shape[i] = 1;
        int64_t m = n;
        for (int64_t p = 2; p * p <= m; p++) {
            while (m % p == 0) {
                op->shape[below(s, k)] *= p;
                m /= p;
            }
        }
        if (m > 1)
            op->shape[below(s, k)] *= m;
    }
    /* -1 only where NumPy can resolve it: the other dims' product is not 0. */
    if (k > 0 && below(s, 4) == 3) {
        int j = below(s, k);
        int64_t others = 1;
        for (int i = 0; i < k; i++)
            if (i != j)
                others *= op->shape[i];
        if (others != 0)
            op->shape[j] = -1;
    }
    op->order = below(s, 4) == 3 ? 'F' : 'C';
}

static void gen_transpose(gen *g, ml_op *op)
{
    ml_src *s = g->src;
    op->has_axes = below(s, 4) != 0;
    if (!op->has_axes)
        return;
    op->ndim = g->ndim;
    for (int i = 0; i < g->ndim; i++)
        op->axes[i] = i;
    for (int i = g->ndim - 1; i > 0; i--) {
        int j = below(s, i + 1), t = op->axes[i];
        op->axes[i] = op->axes[j];
        op->axes[j] = t;
    }
    for (int i = 0; i < g->ndim; i++)
        op->axes[i] = signed_axis(s, op->axes[i], g->ndim);
}

static void gen_slice(gen *g, ml_op *op)
{
    ml_src *s = g->src;
    int a = below(s, g->ndim);
    int64_t n = g->shape[a];
    op->axis = signed_axis(s, a, g->ndim);
    op->has_start = below(s, 10) >= 3;
    if (op->has_start)
        op->start = (int64_t)ml_src_below(s, (uint64_t)(2 * n + 1)) - n;
    op->has_stop = below(s, 10) >= 3;
    if (op->has_stop)
        op->stop = (int64_t)ml_src_below(s, (uint64_t)(2 * n + 1)) - n;
    static const int64_t steps[] = {1, 2, -1, -2, 3, -3};
    static const unsigned w[] = {35, 20, 20, 10, 6, 4, 5};
    int k = pick(s, w, 7);
    if (k < 6)
        op->step = steps[k];
    else        /* a step past the dim: one element, or none */
        op->step = (1 + (int64_t)ml_src_below(s, (uint64_t)n + 2)) * (below(s, 2) ? -1 : 1);
}

/* An item size change where NumPy allows one (ml_layout_view_rule: the last
 * axis contiguous, or of size 1, or the view empty), after any ops; else a
 * dtype of the same size. */
static bool gen_view(gen *g, ml_op *op)
{
    ml_src *s = g->src;
    if (below(s, 3) == 0) {
        static const int sizes[] = {1, 2, 4, 8, 16};
        unsigned w[5];
        bool any = false;
        for (int i = 0; i < 5; i++) {
            w[i] = sizes[i] != g->view.itemsize && ml_layout_view_rule(&g->view, sizes[i]) == ML_VIEW_OK;
            any = any || w[i];
        }
        if (any) {
            memset(&op->dtype, 0, sizeof op->dtype);
            op->dtype.scalar = scalar_of_size(s, sizes[pick(s, w, 5)]);
            return true;
        }
    }
    same_size_dtype(s, &g->view.dtype, g->view.itemsize, &op->dtype);
    /* a multi-field view's dtype has gaps no packed dtype of ours repeats */
    return ml_dtype_itemsize(&op->dtype) == g->view.itemsize;
}

static void gen_broadcast(gen *g, ml_op *op)
{
    ml_src *s = g->src;
    static const int64_t pre_dims[] = {2, 1, 3, 4, 0};
    static const unsigned pw[] = {30, 20, 20, 10, 5};
    static const int64_t grow[] = {2, 3, 5, 0};
    int pre = below(s, 3);
    if (g->ndim + pre > g->op_ndim)
        pre = g->op_ndim > g->ndim ? g->op_ndim - g->ndim : 0;
    op->ndim = g->ndim + pre;
    for (int i = 0; i < pre; i++)
        op->shape[i] = pre_dims[pick(s, pw, 5)];
    for (int i = 0; i < g->ndim; i++) {
        int64_t d = g->shape[i];
        op->shape[pre + i] = d == 1 && below(s, 2) ? grow[below(s, 4)] : d;
    }
    /* Too big to copy cheaply: broadcast to the shape it has. */
    uint64_t elems = (uint64_t)count(op->ndim, op->shape);
    if (elems > GEN_MAX_BCAST || elems * (uint64_t)g->view.itemsize > g->cap) {
        op->ndim = g->ndim;
        memcpy(op->shape, g->shape, sizeof(int64_t) * (size_t)g->ndim);
    }
}

/* as_strided: strides of every kind (zero, negative, overlapping, unaligned,
 * large), dims shrunk until every byte reached lies in the memory viewed. */
static void gen_as_strided(gen *g, ml_op *op)
{
    ml_src *s = g->src;
    int64_t size = g->view.itemsize;
    int k = 1 + below(s, 3);
    if (k > g->op_ndim)
        k = g->op_ndim;
    op->ndim = k;
    for (int j = 0; j < k; j++) {
        int r = below(s, 10);
        int64_t mult = 1 + below(s, 4);
        op->strides[j] = r == 0 ? 0                     /* every element the same */
                       : r == 1 ? -size * mult           /* backwards */
                       : r == 2 ? 1 + below(s, (int)(size > 1 ? size - 1 : 1)) /* overlapping */
                       : r == 3 ? size * mult + 1        /* unaligned */
                       : r == 4 && j < g->ndim ? g->view.strides[j]
                       : size * mult;
        if (op->strides[j] < -ML_MAX_DIM || op->strides[j] > ML_MAX_DIM)
            op->strides[j] = size;
        op->shape[j] = gen_dim(s);
    }
    for (int tries = 0; tries < 64; tries++) {
        ml_view v = g->view;
        int64_t lo, hi;
        ml_layout_apply(&v, op);
        int64_t elems = count(k, op->shape);
        bool fits = elems <= GEN_MAX_BCAST && (uint64_t)elems * (uint64_t)size <= g->cap;
        if (fits && (!elems || (ml_layout_span(&v, &lo, &hi) && lo >= 0 && hi <= v.extent)))
            return;
        int big = largest_dim(k, op->shape);
        op->shape[big] = op->shape[big] > 1 ? op->shape[big] / 2 : 0;
    }
}

static bool gen_sliding_window(gen *g, ml_op *op)
{
    ml_src *s = g->src;
    int nd = g->ndim, n = nd <= 3 && below(s, 4) == 0 ? nd : 1 + below(s, 2);
    op->has_axes = n != nd || below(s, 2);
    if (nd + n > g->op_ndim)
        n = g->op_ndim - nd;
    if (n < 1 || (!op->has_axes && n != nd))
        return false;
    int64_t trimmed[ML_MAX_NDIM];
    memcpy(trimmed, g->shape, sizeof(int64_t) * (size_t)nd);
    op->ndim = n;
    for (int j = 0; j < n; j++) {
        int a = op->has_axes ? below(s, nd) : j;
        if (op->has_axes)
            op->axes[j] = signed_axis(s, a, nd);
        int64_t have = trimmed[a];
        int r = below(s, 10);
        op->shape[j] = r == 0 ? 0 : r == 1 ? have : have < 3 ? have : 1 + below(s, 3);
        trimmed[a] -= op->shape[j] - 1;
    }
    int64_t elems = count(nd, trimmed);
    for (int j = 0; j < n; j++)
        elems = elems && op->shape[j] ? (elems > GEN_MAX_BCAST ? elems : elems * op->shape[j]) : 0;
    return elems <= GEN_MAX_BCAST && (uint64_t)elems * (uint64_t)g->view.itemsize <= g->cap;
}

/* Two different axes (np.rot90 refuses two spellings of one axis). */
static void two_axes(gen *g, int *a, int *b)
{
    int nd = g->ndim, x = below(g->src, nd), y = below(g->src, nd - 1);
    if (y >= x)
        y++;
    *a = signed_axis(g->src, x, nd);
    *b = signed_axis(g->src, y, nd);
}

static void gen_fields(gen *g, ml_op *op)
{
    ml_src *s = g->src;
    int n = g->view.dtype.nfields, order[ML_MAX_FIELDS];
    for (int j = 0; j < n; j++)
        order[j] = j;
    for (int j = n - 1; j > 0; j--) {
        int r = below(s, j + 1), t = order[j];
        order[j] = order[r];
        order[r] = t;
    }
    if (op->kind == ML_OP_FIELD) {    /* a sub-array field adds dims: only where they fit */
        int k = 0;
        while (k < n - 1 && g->ndim + g->view.dtype.subndim[order[k]] > g->op_ndim)
            k++;
        order[0] = order[k];
    }
    op->nnames = op->kind == ML_OP_FIELD ? 1 : 1 + below(s, n);
    for (int j = 0; j < op->nnames; j++)
        memcpy(op->names[j], g->view.dtype.names[order[j]], ML_FIELD_NAME_MAX);
}

static void gen_op(gen *g, int i, ml_op *op)
{
    ml_src *s = g->src;
    int ones[ML_MAX_NDIM], nones = 0, full[ML_MAX_NDIM], nfull = 0;
    for (int j = 0; j < g->ndim; j++) {
        if (g->shape[j] == 1)
            ones[nones++] = j;
        if (g->shape[j] > 0)
            full[nfull++] = j;
    }
    unsigned w[ML_OP_COUNT] = {
        [ML_OP_RESHAPE] = 18, [ML_OP_TRANSPOSE] = 14, [ML_OP_SWAPAXES] = 6,
        [ML_OP_MOVEAXIS] = 5, [ML_OP_SLICE] = 16, [ML_OP_INDEX] = 7, [ML_OP_NEWAXIS] = 6,
        [ML_OP_SQUEEZE] = 5, [ML_OP_RAVEL] = 6, [ML_OP_VIEW] = 8, [ML_OP_BROADCAST] = 6,
        [ML_OP_AS_STRIDED] = 5, [ML_OP_SLIDING_WINDOW] = 4, [ML_OP_DIAGONAL] = 4,
        [ML_OP_FLIP] = 4, [ML_OP_ROT90] = 4, [ML_OP_ASARRAY] = 3,
    };
    bool structured = g->view.dtype.nfields > 0;
    bool complex = !structured && g->view.dtype.scalar.kind == 'c';
    bool field_fits = false;
    for (int f = 0; f < g->view.dtype.nfields; f++)
        field_fits = field_fits || g->ndim + g->view.dtype.subndim[f] <= g->op_ndim;
    w[ML_OP_FIELD] = field_fits ? 30 : 0;
    w[ML_OP_FIELDS] = structured ? 20 : 0;
    w[ML_OP_REAL] = w[ML_OP_IMAG] = complex ? 15 : 0;
    if (g->ndim < 2)
        w[ML_OP_DIAGONAL] = w[ML_OP_ROT90] = 0;
    if (g->ndim == 0)
        w[ML_OP_FLIP] = w[ML_OP_SLIDING_WINDOW] = 0;
    /* The public bug family: 1-D backings reshaped to 2-D, 2-D ones transposed. */
    if (g->ndim == 1 && g->elems > 1)
        w[ML_OP_RESHAPE] = 55;
    if (g->ndim == 2)
        w[ML_OP_TRANSPOSE] = 22;
    if (g->ndim == 0)
        w[ML_OP_SWAPAXES] = w[ML_OP_MOVEAXIS] = w[ML_OP_SLICE] = 0;
    /* Dropping the last dim is valid but useless here: indexing gives a
     * NumPy scalar, not a view, and squeezing a memmap to 0 dims raises
     * (memmap.__array_wrap__ returns a scalar). */
    if (nfull == 0 || g->ndim == 1)
        w[ML_OP_INDEX] = 0;
    if (nones == 0 || g->ndim == 1)
        w[ML_OP_SQUEEZE] = 0;
    if (g->ndim >= g->op_ndim)
        w[ML_OP_NEWAXIS] = 0;

    memset(op, 0, sizeof *op);
    op->kind = (ml_opkind)pick(s, w, ML_OP_COUNT);
    int nd = g->ndim;
    switch (op->kind) {
    case ML_OP_RESHAPE:
        gen_reshape(g, op);
        break;
    case ML_OP_TRANSPOSE:
        gen_transpose(g, op);
        break;
    case ML_OP_SWAPAXES:
    case ML_OP_MOVEAXIS:
        op->axis = signed_axis(s, below(s, nd), nd);
        op->axis2 = signed_axis(s, below(s, nd), nd);
        break;
    case ML_OP_SLICE:
        gen_slice(g, op);
        break;
    case ML_OP_INDEX: {
        int a = full[below(s, nfull)];
        op->axis = signed_axis(s, a, nd);
        op->index = (int64_t)ml_src_below(s, (uint64_t)(2 * g->shape[a])) - g->shape[a];
        break;
    }
    case ML_OP_NEWAXIS: {
        int r = below(s, 2 * (nd + 1));
        op->axis = r <= nd ? r : r - 2 * (nd + 1);
        break;
    }
    case ML_OP_SQUEEZE:
        op->axis = signed_axis(s, ones[below(s, nones)], nd);
        break;
    case ML_OP_RAVEL:
        op->order = "CFAK"[below(s, 4)];
        break;
    case ML_OP_VIEW:
        if (!gen_view(g, op))
            *op = (ml_op){.kind = ML_OP_ASARRAY};
        break;
    case ML_OP_BROADCAST:
        gen_broadcast(g, op);
        break;
    case ML_OP_FIELD:
    case ML_OP_FIELDS:
        gen_fields(g, op);
        break;
    case ML_OP_AS_STRIDED:
        gen_as_strided(g, op);
        break;
    case ML_OP_SLIDING_WINDOW:
        if (!gen_sliding_window(g, op))
            *op = (ml_op){.kind = ML_OP_ASARRAY};
        break;
    case ML_OP_DIAGONAL: {
        two_axes(g, &op->axis, &op->axis2);
        int64_t n = g->shape[op->axis < 0 ? op->axis + nd : op->axis];
        op->index = below(s, 3) == 0 ? 0 : (int64_t)ml_src_below(s, (uint64_t)(2 * n + 3)) - n - 1;
        break;
    }
    case ML_OP_FLIP:
        op->has_axis = below(s, 5) != 0;
        if (op->has_axis)
            op->axis = signed_axis(s, below(s, nd), nd);
        break;
    case ML_OP_ROT90:
        two_axes(g, &op->axis, &op->axis2);
        op->index = below(s, 11) - 5;
        break;
    case ML_OP_ASARRAY:
        op->via_view = below(s, 2);
        break;
    default:
        break;
    }
    /* The validator's own walk gives the new shape, so the generator cannot
     * drift from it; a -1 here is a generator bug, left for tests to see. */
    g->ndim = ml_case_shape_after(g->c, i + 1, g->shape);
    if (g->ndim < 0) {
        g->ndim = 0;
    } else {
        ml_layout_apply(&g->view, op);
    }
    g->elems = count(g->ndim, g->shape);
}

/* ---- cases ----------------------------------------------------------------- */

static int popcount(uint32_t x)
{
    return __builtin_popcount(x);
}

void ml_gen_case(ml_src *s, const ml_gen_opts *o, ml_case *out)
{
    static const ml_gen_opts defaults = {0, 0, 0, 0};
    gen g;
    ml_case *c = out;
    if (!o)
        o = &defaults;
    memset(c, 0, sizeof *c);
    memset(&g, 0, sizeof g);
    g.src = s;
    g.c = c;
    g.cap = o->max_bytes ? o->max_bytes : ML_DEFAULT_MAX_BYTES;
    g.max_ndim = o->max_ndim > 0 ? o->max_ndim : GEN_DEFAULT_NDIM;
    if (g.max_ndim > ML_MAX_NDIM)
        g.max_ndim = ML_MAX_NDIM;
    g.op_ndim = g.max_ndim < ML_MAX_NDIM ? g.max_ndim + 1 : ML_MAX_NDIM;
    int max_ops = o->max_ops > 0 ? o->max_ops : GEN_DEFAULT_OPS;
    if (max_ops > ML_MAX_OPS)
        max_ops = ML_MAX_OPS;

    gen_dtype(s, &c->dtype);
    gen_backing(&g);
    ml_layout_backing(c, &g.view);

    /* 1 or 2 ops mostly: long chains mostly undo themselves. */
    unsigned w[ML_MAX_OPS + 1];
    static const unsigned base[] = {10, 35, 30, 15, 10};
    for (int n = 0; n <= max_ops; n++)
        w[n] = n < 5 ? base[n] : 3;
    c->nops = pick(s, w, max_ops + 1);
    for (int i = 0; i < c->nops; i++)
        gen_op(&g, i, &c->ops[i]);

    uint32_t mask = o->transports & ((1u << ML_T_COUNT) - 1);
    if (!mask)
        mask = 1u << ML_T_REDUCE;
    int k = below(s, popcount(mask));
    for (int t = 0; t < ML_T_COUNT; t++) {
        if ((mask >> t) & 1) {
            if (k-- == 0) {
                c->transport = (ml_transport)t;
                break;
            }
        }
    }
    c->seed = ml_src_next(s) >> 11;
}

void ml_gen_nth(uint64_t seed, uint64_t i, const ml_gen_opts *o, ml_case *out)
{
    uint64_t x = seed, y;
    ml_src s;
    y = splitmix64(&x) ^ i;
    ml_src_seed(&s, splitmix64(&y));
    ml_gen_case(&s, o, out);
}

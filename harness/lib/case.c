/* memlayout case model: strict parsing, validation and canonical writing of
 * the case JSON described in docs/case-format.md.
 *
 * Parsing and validation share one set of checks: the parser turns each part
 * of the JSON into the C struct (reporting type errors), then runs the same
 * check ml_case_validate runs on that part, so a case read from a file and
 * one built in C are held to the same rules and get the same messages.
 * The op chain is checked by walking it: each op is checked against the
 * view the ops before it produced, exactly as NumPy would see it; the
 * layout model (layout.c) says what each op makes of the view.
 *
 * Anything quoted back from the input in a message is cut short and has
 * non-printable bytes escaped, so an error is always one clean line. */
#include "case.h"
#include "layout.h"
#include "strbuf.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TWO53 9007199254740992.0
#define PATH_LEN 224        /* "ops[15].shape[31]" or a parent plus a cut key */
#define SHOW_LEN 176        /* SHOW_CUT input bytes, each up to 4 chars, plus "..." */
#define SHOW_CUT 40
#define SHAPE_STR_LEN 120
#define AXIS_LIMIT 1000000  /* far past any ndim; keeps axis values inside int */

/* ---- errors -------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len;
} errbuf;

__attribute__((format(printf, 3, 4)))
static bool fail(errbuf *e, const char *path, const char *fmt, ...)
{
    int n = snprintf(e->buf, e->len, "%s: ", path);
    if (n >= 0 && (size_t)n < e->len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->buf + n, e->len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* User text in a message: printable ASCII stays, the rest becomes \xHH. */
static const char *show(char out[SHOW_LEN], const char *s)
{
    size_t o = 0, i;
    for (i = 0; s[i] && i < SHOW_CUT; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, SHOW_LEN - o, "\\x%02x", ch);
    }
    if (s[i])
        o += (size_t)snprintf(out + o, SHOW_LEN - o, "...");
    out[o] = '\0';
    return out;
}

/* key is trusted text: check_keys shows user keys before passing them. */
static void path_key(char out[PATH_LEN], const char *parent, const char *key)
{
    if (strcmp(parent, "$") == 0)
        snprintf(out, PATH_LEN, "%.*s", SHOW_LEN, key);
    else
        snprintf(out, PATH_LEN, "%.32s.%.*s", parent, SHOW_LEN, key);
}

static void path_idx(char out[PATH_LEN], const char *parent, int i)
{
    snprintf(out, PATH_LEN, "%.*s[%d]", PATH_LEN - 16, parent, i);
}

/* "[4,-1,3]", cut with ",...]" when it does not fit. */
static const char *shape_str(char out[SHAPE_STR_LEN], int ndim, const int64_t *shape)
{
    size_t o = 1;
    out[0] = '[';
    for (int i = 0; i < ndim; i++) {
        char num[24];
        int n = snprintf(num, sizeof num, "%s%lld", i ? "," : "", (long long)shape[i]);
        if (o + (size_t)n + 6 > SHAPE_STR_LEN) {
            memcpy(out + o, ",...", 4);
            o += 4;
            break;
        }
        memcpy(out + o, num, (size_t)n);
        o += (size_t)n;
    }
    out[o++] = ']';
    out[o] = '\0';
    return out;
}

/* ---- names --------------------------------------------------------------- */

static const char *const transport_names[ML_T_COUNT] = {
    "reduce", "reference", "loky", "multiprocessing", "threading",
    "pickle2", "pickle3", "pickle4", "pickle5", "pickle5-oob",
    "pool-spawn", "pool-forkserver", "dask",
};
static const char *const mode_names[ML_MODE_COUNT] = {"r", "r+", "c", "w+"};
static const char *const op_names[ML_OP_COUNT] = {
    "reshape", "transpose", "swapaxes", "moveaxis", "slice", "index",
    "newaxis", "squeeze", "ravel", "view", "broadcast", "field", "fields",
    "real", "imag", "as_strided", "sliding_window", "diagonal", "flip", "rot90",
    "asarray",
};

/* Keys of each op after "op", in canonical order. */
static const char *const op_keys[ML_OP_COUNT][5] = {
    [ML_OP_RESHAPE] = {"op", "shape", "order", NULL},
    [ML_OP_TRANSPOSE] = {"op", "axes", NULL},
    [ML_OP_SWAPAXES] = {"op", "axis1", "axis2", NULL},
    [ML_OP_MOVEAXIS] = {"op", "source", "destination", NULL},
    [ML_OP_SLICE] = {"op", "axis", "start", "stop", "step"},
    [ML_OP_INDEX] = {"op", "axis", "index", NULL},
    [ML_OP_NEWAXIS] = {"op", "axis", NULL},
    [ML_OP_SQUEEZE] = {"op", "axis", NULL},
    [ML_OP_RAVEL] = {"op", "order", NULL},
    [ML_OP_VIEW] = {"op", "dtype", NULL},
    [ML_OP_BROADCAST] = {"op", "shape", NULL},
    [ML_OP_FIELD] = {"op", "name", NULL},
    [ML_OP_FIELDS] = {"op", "names", NULL},
    [ML_OP_REAL] = {"op", NULL},
    [ML_OP_IMAG] = {"op", NULL},
    [ML_OP_AS_STRIDED] = {"op", "shape", "strides", NULL},
    [ML_OP_SLIDING_WINDOW] = {"op", "window", "axis", NULL},
    [ML_OP_DIAGONAL] = {"op", "offset", "axis1", "axis2", NULL},
    [ML_OP_FLIP] = {"op", "axis", NULL},
    [ML_OP_ROT90] = {"op", "k", "axes", NULL},
    [ML_OP_ASARRAY] = {"op", "via", NULL},
};

const char *ml_transport_name(ml_transport t)
{
    return (unsigned)t < ML_T_COUNT ? transport_names[t] : "?";
}

bool ml_transport_from_name(const char *name, ml_transport *out)
{
    for (int t = 0; name && t < ML_T_COUNT; t++) {
        if (strcmp(name, transport_names[t]) == 0) {
            if (out)
                *out = (ml_transport)t;
            return true;
        }
    }
    return false;
}

ml_tclass ml_transport_class(ml_transport t)
{
    switch (t) {
    case ML_T_REDUCE:
    case ML_T_REFERENCE:
    case ML_T_LOKY:
    case ML_T_MULTIPROCESSING:
        return ML_CLASS_SHARE;
    case ML_T_THREADING:
        return ML_CLASS_IDENTITY;
    default:
        return ML_CLASS_COPY;
    }
}

bool ml_transport_in_process(ml_transport t)
{
    switch (t) {
    case ML_T_REDUCE:
    case ML_T_REFERENCE:
    case ML_T_THREADING:
    case ML_T_PICKLE2:
    case ML_T_PICKLE3:
    case ML_T_PICKLE4:
    case ML_T_PICKLE5:
    case ML_T_PICKLE5_OOB:
        return true;
    default:
        return false;
    }
}

double ml_transport_start_s(ml_transport t)
{
    return t == ML_T_DASK ? 30.0 : 0.0;   /* the runner gives up on a cluster start after 25 s */
}

ml_transport ml_transport_stand_in(ml_transport t)
{
    switch (t) {
    case ML_T_LOKY:
    case ML_T_MULTIPROCESSING:
        return ML_T_REDUCE;
    case ML_T_POOL_SPAWN:
    case ML_T_POOL_FORKSERVER:
        return ML_T_PICKLE4;
    case ML_T_DASK:   /* small arguments travel pickled in the task, large ones as out-of-band frames */
        return ML_T_PICKLE5_OOB;
    default:
        return t;
    }
}

uint32_t ml_transport_real_processes(ml_transport t, ml_transport asked, const char **reducer)
{
    uint32_t m;
    *reducer = t == ML_T_REFERENCE ? "reference" : "joblib";
    if (t == ML_T_REDUCE || t == ML_T_REFERENCE)   /* the pools that call the reducer stood in for */
        m = 1u << ML_T_LOKY | 1u << ML_T_MULTIPROCESSING;
    else
        m = (unsigned)t < ML_T_COUNT ? 1u << t : 0;
    if ((unsigned)asked < ML_T_COUNT && !ml_transport_in_process(asked))
        m |= 1u << asked;
    return m;
}

const char *ml_mode_name(ml_mode m)
{
    return (unsigned)m < ML_MODE_COUNT ? mode_names[m] : "?";
}

const char *ml_op_name(ml_opkind k)
{
    return (unsigned)k < ML_OP_COUNT ? op_names[k] : "?";
}

/* ---- dtypes -------------------------------------------------------------- */

const char *ml_scalar_str(const ml_scalar *s, char buf[8])
{
    snprintf(buf, 8, "%c%c%d", s->byteorder, s->kind, s->size);
    return buf;
}

int ml_field_size(const ml_dtype *d, int i)
{
    int size = d->nsub[i] > 0 ? 0 : d->fields[i].size;
    for (int j = 0; j < d->nsub[i] && j < ML_MAX_SUBFIELDS; j++)
        size += d->subfields[i][j].size;
    for (int j = 0; j < d->subndim[i] && j < ML_MAX_SUBDIMS; j++)
        size *= d->subshape[i][j];
    return size;
}

bool ml_dtype_has_subarray(const ml_dtype *d)
{
    for (int i = 0; i < d->nfields && i < ML_MAX_FIELDS; i++)
        if (d->subndim[i] > 0)
            return true;
    return false;
}

int ml_dtype_itemsize(const ml_dtype *d)
{
    if (d->nfields <= 0)
        return d->scalar.size;
    int size = 0;
    for (int i = 0; i < d->nfields && i < ML_MAX_FIELDS; i++)
        size += ml_field_size(d, i);
    return size;
}

/* Syntax only ("<f8": order, kind, 1-2 digit size); check_scalar judges it. */
static bool scalar_from_str(const char *s, ml_scalar *out)
{
    size_t n = strlen(s);
    if (n < 3 || n > 4 || s[2] < '1' || s[2] > '9' || (n == 4 && (s[3] < '0' || s[3] > '9')))
        return false;
    out->byteorder = s[0];
    out->kind = s[1];
    out->size = s[2] - '0';
    if (n == 4)
        out->size = out->size * 10 + (s[3] - '0');
    return true;
}

static bool check_scalar(const ml_scalar *s, const char *path, errbuf *e)
{
    bool known;
    switch (s->kind) {
    case 'b': known = s->size == 1; break;
    case 'i':
    case 'u': known = s->size == 1 || s->size == 2 || s->size == 4 || s->size == 8; break;
    case 'f': known = s->size == 2 || s->size == 4 || s->size == 8; break;
    case 'c': known = s->size == 8 || s->size == 16; break;
    default: known = false;
    }
    bool ordered = s->size == 1 ? s->byteorder == '|' : s->byteorder == '<' || s->byteorder == '>';
    if (known && ordered)
        return true;
    char buf[8], shown[SHOW_LEN];
    show(shown, ml_scalar_str(s, buf));
    if (!known)
        return fail(e, path, "unknown dtype \"%s\"", shown);
    if (s->size == 1 && s->byteorder != '|')
        return fail(e, path, "dtype \"%s\" needs byte order \"|\"", shown);
    return fail(e, path, "dtype \"%s\" needs byte order \"<\" or \">\"", shown);
}

/* maxlen bounds the read: struct names are not trusted to be terminated. */
static bool check_name(const char *name, size_t maxlen, const char *path, errbuf *e)
{
    size_t n = strnlen(name, maxlen);
    bool ok = n >= 1 && n < ML_FIELD_NAME_MAX && !(name[0] >= '0' && name[0] <= '9');
    for (size_t i = 0; ok && i < n; i++) {
        char ch = name[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
             (ch >= '0' && ch <= '9') || ch == '_';
    }
    if (ok)
        return true;
    char cut[ML_FIELD_NAME_MAX + 1], shown[SHOW_LEN];
    if (maxlen > ML_FIELD_NAME_MAX) {
        show(shown, name);  /* a JSON string: terminated */
    } else {
        memcpy(cut, name, n);
        cut[n] = '\0';
        show(shown, cut);
    }
    return fail(e, path, "field name \"%s\" must be 1 to 15 characters of [A-Za-z0-9_], "
                "not starting with a digit", shown);
}

/* Field i of a structured dtype: name, uniqueness, scalar. */
static bool check_field(const ml_dtype *d, int i, const char *path, errbuf *e)
{
    char fp[PATH_LEN], p[PATH_LEN];
    path_idx(fp, path, i);
    path_idx(p, fp, 0);
    if (!check_name(d->names[i], ML_FIELD_NAME_MAX, p, e))
        return false;
    for (int j = 0; j < i; j++) {
        if (strncmp(d->names[i], d->names[j], ML_FIELD_NAME_MAX) == 0) {
            char shown[SHOW_LEN];
            return fail(e, p, "duplicate field name \"%s\"", show(shown, d->names[i]));
        }
    }
    path_idx(p, fp, 1);
    if (d->nsub[i] < 0 || d->nsub[i] > ML_MAX_SUBFIELDS)
        return fail(e, p, "an inner structure needs 1 to %d fields, not %d", ML_MAX_SUBFIELDS,
                    d->nsub[i]);
    for (int j = 0; j < d->nsub[i]; j++) {
        char ip[PATH_LEN], np[PATH_LEN];
        path_idx(ip, p, j);
        path_idx(np, ip, 0);
        if (!check_name(d->subnames[i][j], ML_FIELD_NAME_MAX, np, e))
            return false;
        for (int k = 0; k < j; k++) {
            if (strncmp(d->subnames[i][j], d->subnames[i][k], ML_FIELD_NAME_MAX) == 0) {
                char shown[SHOW_LEN];
                return fail(e, np, "duplicate field name \"%s\"", show(shown, d->subnames[i][j]));
            }
        }
        path_idx(np, ip, 1);
        if (!check_scalar(&d->subfields[i][j], np, e))
            return false;
    }
    if (d->nsub[i] == 0 && !check_scalar(&d->fields[i], p, e))
        return false;
    path_idx(p, fp, 2);
    if (d->subndim[i] < 0 || d->subndim[i] > ML_MAX_SUBDIMS)
        return fail(e, p, "a sub-array needs 1 to %d dims, not %d", ML_MAX_SUBDIMS, d->subndim[i]);
    for (int j = 0; j < d->subndim[i]; j++) {
        if (d->subshape[i][j] < 1 || d->subshape[i][j] > ML_MAX_SUBDIM) {
            char pj[PATH_LEN];
            path_idx(pj, p, j);
            return fail(e, pj, "must be 1 to %d", ML_MAX_SUBDIM);
        }
    }
    return true;
}

static bool check_dtype(const ml_dtype *d, const char *path, errbuf *e)
{
    if (d->nfields == 0)
        return check_scalar(&d->scalar, path, e);
    if (d->nfields < 0 || d->nfields > ML_MAX_FIELDS)
        return fail(e, path, "a structured dtype needs 1 to %d fields, not %d",
                    ML_MAX_FIELDS, d->nfields);
    for (int i = 0; i < d->nfields; i++)
        if (!check_field(d, i, path, e))
            return false;
    return true;
}

/* ---- the op chain --------------------------------------------------------- */

typedef struct {
    ml_view v;           /* the view so far, as the layout model computes it */
    int64_t elems;
    bool capped;         /* false: shape_after, which knows no byte cap */
    uint64_t cap;
} walk;

/* NumPy's element count: zero dims are skipped when checking for overflow
 * (PyArray_NewFromDescr), so [2^40,2^40,2^40,0] overflows but [0,2^40] not. */
static bool count_elems(int ndim, const int64_t *shape, int64_t *out)
{
    int64_t n = 1;
    bool zero = false;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0)
            zero = true;
        else if (__builtin_mul_overflow(n, shape[i], &n))
            return false;
    }
    *out = zero ? 0 : n;
    return true;
}

static bool check_cap(const walk *w, int64_t elems, const char *path, errbuf *e)
{
    int64_t bytes;
    if (!w->capped)
        return true;
    if (__builtin_mul_overflow(elems, (int64_t)w->v.itemsize, &bytes) || (uint64_t)bytes > w->cap)
        return fail(e, path, "%lld elements of %d bytes exceed the %llu-byte cap",
                    (long long)elems, w->v.itemsize, (unsigned long long)w->cap);
    return true;
}

/* A count outside [0, max] in a C-built struct ("-1 dims" is no dims at all). */
static bool count_fail(errbuf *e, const char *path, int n, int max, const char *what)
{
    if (n < 0)
        return fail(e, path, "negative count of %s: %d", what, n);
    return fail(e, path, "%d %s, more than %d", n, what, max);
}

static bool axis_fail(errbuf *e, const char *path, int64_t axis, int ndim, bool insert)
{
    if (insert)
        return fail(e, path, "axis %lld is out of range for inserting into %d dims",
                    (long long)axis, ndim);
    return fail(e, path, "axis %lld is out of range for %d dims", (long long)axis, ndim);
}

/* Normalizes a NumPy axis (negative counts from the end) into *out. */
static bool norm_axis(const walk *w, int axis, const char *base, const char *key,
                      int *out, errbuf *e)
{
    if (axis < -w->v.ndim || axis >= w->v.ndim) {
        char p[PATH_LEN];
        path_key(p, base, key);
        return axis_fail(e, p, axis, w->v.ndim, false);
    }
    *out = axis < 0 ? axis + w->v.ndim : axis;
    return true;
}

static bool check_order(char order, const char *allowed, const char *base, errbuf *e)
{
    if (order && strchr(allowed, order))
        return true;
    char path[PATH_LEN];
    path_key(path, base, "order");
    if (strlen(allowed) == 2)
        return fail(e, path, "must be \"C\" or \"F\"");
    return fail(e, path, "must be \"C\", \"F\", \"A\" or \"K\"");
}

/* Checks a shape written in an op: dims in [lo, 2^40], at most 32 of them. */
static bool check_op_shape(const ml_op *op, const char *base, int64_t lo, errbuf *e)
{
    char p[PATH_LEN], pj[PATH_LEN];
    if (op->ndim < 0 || op->ndim > ML_MAX_NDIM) {
        path_key(p, base, "shape");
        return count_fail(e, p, op->ndim, ML_MAX_NDIM, "dims");
    }
    bool unknown = false;
    for (int j = 0; j < op->ndim; j++) {
        int64_t d = op->shape[j];
        if (d >= lo && d <= ML_MAX_DIM && !(d == -1 && unknown)) {
            unknown = unknown || d == -1;
            continue;
        }
        path_key(p, base, "shape");
        path_idx(pj, p, j);
        if (d < lo)
            return fail(e, pj, "must be >= %lld", (long long)lo);
        if (d > ML_MAX_DIM)
            return fail(e, pj, "must be <= %lld", (long long)ML_MAX_DIM);
        return fail(e, pj, "only one -1 allowed");
    }
    return true;
}

static bool step_reshape(const ml_op *op, walk *w, const char *base, errbuf *e)
{
    char p[PATH_LEN];
    if (!check_op_shape(op, base, -1, e))
        return false;
    if (!check_order(op->order, "CF", base, e))
        return false;
    /* NumPy's _fix_unknown_dimension: the known product is taken in order
     * with overflow checks, and -1 needs a non-zero product dividing the size. */
    int unknown = -1;
    int64_t known = 1;
    bool overflow = false;
    for (int j = 0; j < op->ndim; j++) {
        if (op->shape[j] == -1)
            unknown = j;
        else if (!overflow && __builtin_mul_overflow(known, op->shape[j], &known))
            overflow = true;
    }
    bool fits = !overflow && (unknown >= 0 ? known != 0 && w->elems % known == 0
                                           : known == w->elems);
    if (!fits) {
        char s[SHAPE_STR_LEN];
        path_key(p, base, "reshape");
        return fail(e, p, "%lld elements cannot take shape %s", (long long)w->elems,
                    shape_str(s, op->ndim, op->shape));
    }
    return true;
}

static bool step_transpose(const ml_op *op, walk *w, const char *base, errbuf *e)
{
    if (op->has_axes) {
        char p[PATH_LEN], pj[PATH_LEN];
        path_key(p, base, "axes");
        if (op->ndim != w->v.ndim)
            return fail(e, p, "%d axes for %d dims", op->ndim, w->v.ndim);
        bool seen[ML_MAX_NDIM] = {false};
        for (int j = 0; j < op->ndim; j++) {
            int a = op->axes[j];
            if (a < -w->v.ndim || a >= w->v.ndim) {
                path_idx(pj, p, j);
                return axis_fail(e, pj, a, w->v.ndim, false);
            }
            if (a < 0)
                a += w->v.ndim;
            if (seen[a]) {
                path_idx(pj, p, j);
                return fail(e, pj, "repeated axis %d", op->axes[j]);
            }
            seen[a] = true;
        }
    }
    return true;
}

static bool check_bound(int64_t v, int64_t n, const char *base, const char *key, errbuf *e)
{
    if (v >= -n && v <= n)
        return true;
    char p[PATH_LEN];
    path_key(p, base, key);
    return fail(e, p, "%lld is out of range [-%lld, %lld]", (long long)v, (long long)n,
                (long long)n);
}

static bool step_slice(const ml_op *op, walk *w, const char *base, errbuf *e)
{
    int a;
    if (!norm_axis(w, op->axis, base, "axis", &a, e))
        return false;
    int64_t n = w->v.shape[a];
    if (op->has_start && !check_bound(op->start, n, base, "start", e))
        return false;
    if (op->has_stop && !check_bound(op->stop, n, base, "stop", e))
        return false;
    if (op->step == 0) {
        char p[PATH_LEN];
        path_key(p, base, "step");
        return fail(e, p, "must not be 0");
    }
    return true;
}

static bool step_view(const ml_op *op, walk *w, const char *base, errbuf *e)
{
    char p[PATH_LEN];
    path_key(p, base, "dtype");
    if (!check_dtype(&op->dtype, p, e))
        return false;
    int size = ml_dtype_itemsize(&op->dtype), old = w->v.itemsize;
    const ml_view *v = &w->v;
    path_key(p, base, "view");
    switch (ml_layout_view_rule(v, size)) {
    case ML_VIEW_OK:
        return true;
    case ML_VIEW_ZERO_DIM:
        return fail(e, p, "cannot change the item size of a 0-dim array");
    case ML_VIEW_NOT_CONTIGUOUS:
        return fail(e, p, "the last axis is not contiguous (stride %lld, item size %d)",
                    (long long)v->strides[v->ndim - 1], old);
    case ML_VIEW_NOT_DIVISOR:
        return fail(e, p, "the %d-byte item size does not divide the %d-byte item size it replaces",
                    size, old);
    case ML_VIEW_OVERFLOW:
        return fail(e, p, "element count overflows int64");
    case ML_VIEW_NOT_MULTIPLE:
    default:
        return fail(e, p, "the last axis of %lld bytes is not a multiple of the %d-byte item size",
                    (long long)(v->shape[v->ndim - 1] * old), size);
    }
}

static bool step_broadcast(const ml_op *op, walk *w, const char *base, errbuf *e)
{
    char p[PATH_LEN];
    if (!check_op_shape(op, base, 0, e))
        return false;
    path_key(p, base, "broadcast");     /* (broadcast is rare) */
    bool ok = op->ndim >= w->v.ndim;
    for (int j = 1; ok && j <= w->v.ndim; j++) {
        int64_t have = w->v.shape[w->v.ndim - j], want = op->shape[op->ndim - j];
        ok = have == want || have == 1;
    }
    if (!ok) {
        char from[SHAPE_STR_LEN], to[SHAPE_STR_LEN];
        return fail(e, p, "cannot broadcast shape %s to %s", shape_str(from, w->v.ndim, w->v.shape),
                    shape_str(to, op->ndim, op->shape));
    }
    int64_t elems;
    if (!count_elems(op->ndim, op->shape, &elems))
        return fail(e, p, "element count overflows int64");
    return check_cap(w, elems, p, e);
}

static bool step_field(const ml_op *op, walk *w, const char *base, errbuf *e)
{
    char p[PATH_LEN], shown[SHOW_LEN];
    bool multi = op->kind == ML_OP_FIELDS;
    if (w->v.dtype.nfields == 0) {
        path_key(p, base, ml_op_name(op->kind));
        return fail(e, p, "the dtype has no fields");
    }
    path_key(p, base, multi ? "names" : "name");
    if (op->nnames < 1 || op->nnames > (multi ? ML_MAX_FIELDS : 1))
        return multi ? fail(e, p, "needs 1 to %d names, not %d", ML_MAX_FIELDS, op->nnames)
                     : fail(e, p, "needs 1 name, not %d", op->nnames);
    for (int j = 0; j < op->nnames; j++) {
        char pj[PATH_LEN];
        if (multi)
            path_idx(pj, p, j);
        else
            memcpy(pj, p, PATH_LEN);
        if (!check_name(op->names[j], ML_FIELD_NAME_MAX, pj, e))
            return false;
        if (ml_layout_field(&w->v, op->names[j]) < 0)
            return fail(e, pj, "no field \"%s\" in the dtype", show(shown, op->names[j]));
        for (int k = 0; k < j; k++)
            if (strncmp(op->names[j], op->names[k], ML_FIELD_NAME_MAX) == 0)
                return fail(e, pj, "duplicate field name \"%s\"", show(shown, op->names[j]));
    }
    if (!multi) {
        int f = ml_layout_field(&w->v, op->names[0]);
        if (w->v.ndim + w->v.dtype.subndim[f] > ML_MAX_NDIM) {
            path_key(p, base, "field");
            return fail(e, p, "the result would have %d dims, more than %d",
                        w->v.ndim + w->v.dtype.subndim[f], ML_MAX_NDIM);
        }
    }
    return true;
}

/* as_strided's own keys (check_reach, once it is applied, the bytes it reaches). */
static bool step_as_strided(const ml_op *op, walk *w, const char *base, errbuf *e)
{
    char p[PATH_LEN];
    if (!check_op_shape(op, base, 0, e))
        return false;
    for (int j = 0; j < op->ndim; j++) {
        if (op->strides[j] < -ML_MAX_DIM || op->strides[j] > ML_MAX_DIM) {
            char pj[PATH_LEN];
            path_key(p, base, "strides");
            path_idx(pj, p, j);
            return fail(e, pj, "must lie in [-%lld, %lld]", (long long)ML_MAX_DIM,
                        (long long)ML_MAX_DIM);
        }
    }
    path_key(p, base, "as_strided");
    int64_t elems;
    if (!count_elems(op->ndim, op->shape, &elems))
        return fail(e, p, "element count overflows int64");
    return check_cap(w, elems, p, e);
}

/* After as_strided: every byte the view reaches lies in its memory. */
static bool check_reach(const ml_view *v, const char *base, errbuf *e)
{
    char p[PATH_LEN];
    int64_t lo, hi;
    path_key(p, base, "as_strided");
    if (!ml_layout_span(v, &lo, &hi))
        return fail(e, p, "the bytes reached overflow int64");
    if (ml_layout_size(v) && (lo < 0 || hi > v->extent))
        return fail(e, p, "reaches bytes [%lld, %lld) outside the %lld bytes of memory viewed",
                    (long long)lo, (long long)hi, (long long)v->extent);
    return true;
}

static bool step_sliding_window(const ml_op *op, walk *w, const char *base, errbuf *e)
{
    char p[PATH_LEN], pj[PATH_LEN];
    int nd = w->v.ndim;
    path_key(p, base, "window");
    if (op->ndim < 1 || op->ndim > ML_MAX_NDIM)
        return op->ndim < 1 ? fail(e, p, "needs at least 1 dim")
                            : count_fail(e, p, op->ndim, ML_MAX_NDIM, "values");
    for (int j = 0; j < op->ndim; j++) {
        path_idx(pj, p, j);
        if (op->shape[j] < 0)
            return fail(e, pj, "must be >= 0");
        if (op->shape[j] > ML_MAX_DIM)
            return fail(e, pj, "must be <= %lld", (long long)ML_MAX_DIM);
    }
    if (!op->has_axes && op->ndim != nd)
        return fail(e, p, "%d dims for an array of %d (with axis null)", op->ndim, nd);
    if (nd + op->ndim > ML_MAX_NDIM) {
        path_key(p, base, "sliding_window");
        return fail(e, p, "the result would have %d dims, more than %d", nd + op->ndim,
                    ML_MAX_NDIM);
    }
    int64_t trimmed[ML_MAX_NDIM];
    memcpy(trimmed, w->v.shape, sizeof(int64_t) * (size_t)nd);
    path_key(p, base, "axis");
    for (int j = 0; j < op->ndim; j++) {
        int a = op->has_axes ? op->axes[j] : j;
        path_idx(pj, p, j);
        if (a < -nd || a >= nd)
            return axis_fail(e, pj, a, nd, false);
        a = a < 0 ? a + nd : a;
        if (trimmed[a] < op->shape[j]) {
            path_key(p, base, "window");
            path_idx(pj, p, j);
            return fail(e, pj, "window %lld is larger than axis %d of size %lld",
                        (long long)op->shape[j], a, (long long)trimmed[a]);
        }
        trimmed[a] -= op->shape[j] - 1;
    }
    /* the result: the trimmed axes, then the window's */
    memcpy(&trimmed[nd], op->shape, sizeof(int64_t) * (size_t)op->ndim);
    int64_t elems;
    path_key(p, base, "sliding_window");
    if (!count_elems(nd + op->ndim, trimmed, &elems))
        return fail(e, p, "element count overflows int64");
    return check_cap(w, elems, p, e);
}

static bool step_two_axes(const ml_op *op, walk *w, const char *base, errbuf *e)
{
    char p[PATH_LEN];
    int a, b;
    bool rot = op->kind == ML_OP_ROT90;
    path_key(p, base, ml_op_name(op->kind));
    if (w->v.ndim < 2)
        return fail(e, p, "needs at least 2 dims, not %d", w->v.ndim);
    if (rot) {
        /* np.rot90 checks "different" on the axes as written */
        if (op->axis == op->axis2 || op->axis - op->axis2 == w->v.ndim ||
            op->axis2 - op->axis == w->v.ndim) {
            path_key(p, base, "axes");
            return fail(e, p, "axes must be different");
        }
        char pa[PATH_LEN];
        path_key(pa, base, "axes");
        path_idx(p, pa, 0);
        if (op->axis < -w->v.ndim || op->axis >= w->v.ndim)
            return axis_fail(e, p, op->axis, w->v.ndim, false);
        path_idx(p, pa, 1);
        if (op->axis2 < -w->v.ndim || op->axis2 >= w->v.ndim)
            return axis_fail(e, p, op->axis2, w->v.ndim, false);
        return true;
    }
    if (!norm_axis(w, op->axis, base, "axis1", &a, e) ||
        !norm_axis(w, op->axis2, base, "axis2", &b, e))
        return false;
    if (a == b) {
        path_key(p, base, "axis2");
        return fail(e, p, "axis1 and axis2 are the same axis");
    }
    return true;
}

/* "ops[i]" (i < ML_MAX_OPS): built for every op checked, so no printf. */
static void op_base(char base[16], int i)
{
    memcpy(base, "ops[", 4);
    int o = 4;
    if (i >= 10)
        base[o++] = (char)('0' + i / 10 % 10);
    base[o++] = (char)('0' + i % 10);
    base[o++] = ']';
    base[o] = '\0';
}

/* Checks ops[i] against the walk's current shape and applies it. */
static bool step_op(const ml_op *op, int i, walk *w, errbuf *e)
{
    char base[16], p[PATH_LEN];
    int a, b;
    op_base(base, i);
    switch (op->kind) {
    case ML_OP_RESHAPE:
        if (!step_reshape(op, w, base, e))
            return false;
        break;
    case ML_OP_TRANSPOSE:
        if (!step_transpose(op, w, base, e))
            return false;
        break;
    case ML_OP_SWAPAXES: {
        if (!norm_axis(w, op->axis, base, "axis1", &a, e) ||
            !norm_axis(w, op->axis2, base, "axis2", &b, e))
            return false;
        break;
    }
    case ML_OP_MOVEAXIS: {
        if (!norm_axis(w, op->axis, base, "source", &a, e) ||
            !norm_axis(w, op->axis2, base, "destination", &b, e))
            return false;
        break;
    }
    case ML_OP_SLICE:
        if (!step_slice(op, w, base, e))
            return false;
        break;
    case ML_OP_INDEX: {
        if (!norm_axis(w, op->axis, base, "axis", &a, e))
            return false;
        int64_t n = w->v.shape[a];
        if (op->index < -n || op->index >= n) {
            path_key(p, base, "index");
            return fail(e, p, "index %lld is out of range for a dim of size %lld",
                        (long long)op->index, (long long)n);
        }
        break;
    }
    case ML_OP_NEWAXIS:
        if (op->axis < -(w->v.ndim + 1) || op->axis > w->v.ndim) {
            path_key(p, base, "axis");
            return axis_fail(e, p, op->axis, w->v.ndim, true);
        }
        if (w->v.ndim >= ML_MAX_NDIM) {
            path_key(p, base, "newaxis");
            return fail(e, p, "the result would have %d dims, more than %d", w->v.ndim + 1,
                        ML_MAX_NDIM);
        }
        break;
    case ML_OP_SQUEEZE:
        /* PyArray_ConvertMultiAxis lets axis 0 and -1 through on a 0-dim
         * array "for backwards compatibility": squeezing it is a no-op. */
        if (w->v.ndim == 0 && (op->axis == 0 || op->axis == -1))
            break;
        if (!norm_axis(w, op->axis, base, "axis", &a, e))
            return false;
        if (w->v.shape[a] != 1) {
            path_key(p, base, "axis");
            return fail(e, p, "cannot squeeze axis %d of size %lld", op->axis,
                        (long long)w->v.shape[a]);
        }
        break;
    case ML_OP_RAVEL:
        if (!check_order(op->order, "CFAK", base, e))
            return false;
        break;
    case ML_OP_VIEW:
        if (!step_view(op, w, base, e))
            return false;
        break;
    case ML_OP_BROADCAST:
        if (!step_broadcast(op, w, base, e))
            return false;
        break;
    case ML_OP_FIELD:
    case ML_OP_FIELDS:
        if (!step_field(op, w, base, e))
            return false;
        break;
    case ML_OP_REAL:
    case ML_OP_IMAG:
        if (w->v.dtype.nfields || w->v.dtype.scalar.kind != 'c') {
            path_key(p, base, ml_op_name(op->kind));
            return fail(e, p, "needs a complex dtype");
        }
        break;
    case ML_OP_AS_STRIDED:
        if (!step_as_strided(op, w, base, e))
            return false;
        break;
    case ML_OP_SLIDING_WINDOW:
        if (!step_sliding_window(op, w, base, e))
            return false;
        break;
    case ML_OP_DIAGONAL:
    case ML_OP_ROT90:
        if (!step_two_axes(op, w, base, e))
            return false;
        break;
    case ML_OP_FLIP:
        /* np.flip(a) of a 0-dim array indexes it with (): a scalar, not a view */
        if (!op->has_axis && w->v.ndim == 0) {
            path_key(p, base, "flip");
            return fail(e, p, "a 0-dim array has no axis to flip");
        }
        if (op->has_axis && !norm_axis(w, op->axis, base, "axis", &a, e))
            return false;
        break;
    case ML_OP_ASARRAY:
        break;
    default:
        path_key(p, base, "op");
        return fail(e, p, "unknown op %d", (int)op->kind);
    }
    ml_layout_apply(&w->v, op);
    if (op->kind == ML_OP_AS_STRIDED && !check_reach(&w->v, base, e))
        return false;
    if (!count_elems(w->v.ndim, w->v.shape, &w->elems)) {
        path_key(p, base, ml_op_name(op->kind));
        return fail(e, p, "element count overflows int64");
    }
    return true;
}

/* ---- the case ------------------------------------------------------------- */

/* Backing checks; on success w holds the backing's view. */
static bool check_backing(const ml_case *c, walk *w, errbuf *e)
{
    char p[PATH_LEN];
    if (c->source != ML_SRC_RAW && c->source != ML_SRC_NPY)
        return fail(e, "backing.source", "unknown source %d", (int)c->source);
    if (c->ndim < 0 || c->ndim > ML_MAX_NDIM)
        return count_fail(e, "backing.shape", c->ndim, ML_MAX_NDIM, "dims");
    for (int j = 0; j < c->ndim; j++) {
        if (c->shape[j] >= 0 && c->shape[j] <= ML_MAX_DIM)
            continue;
        path_idx(p, "backing.shape", j);
        if (c->shape[j] < 0)
            return fail(e, p, "must be >= 0");
        return fail(e, p, "must be <= %lld", (long long)ML_MAX_DIM);
    }
    if (!check_order(c->order, "CF", "backing", e))
        return false;
    if (c->offset < 0)
        return fail(e, "backing.offset", "must be >= 0");
    if (c->offset > ML_MAX_OFFSET)
        return fail(e, "backing.offset", "must be <= %lld", (long long)ML_MAX_OFFSET);
    if ((unsigned)c->mode >= ML_MODE_COUNT)
        return fail(e, "backing.mode", "unknown mode %d", (int)c->mode);
    if (c->ndim == 0 && c->source == ML_SRC_RAW)
        return fail(e, "backing.shape", "a 0-dim backing needs source \"npy\"");
    if (c->source == ML_SRC_NPY && c->offset != 0)
        return fail(e, "backing.offset", "must be 0 for source \"npy\"");
    ml_layout_backing(c, &w->v);
    if (!count_elems(c->ndim, c->shape, &w->elems))
        return fail(e, "backing.shape", "element count overflows int64");
    if (!check_cap(w, w->elems, "backing.shape", e))
        return false;
    if (w->capped && (uint64_t)c->offset > w->cap - (uint64_t)(w->elems * w->v.itemsize))
        return fail(e, "backing.offset",
                    "%lld bytes of offset and %lld bytes of data exceed the %llu-byte cap",
                    (long long)c->offset, (long long)(w->elems * w->v.itemsize),
                    (unsigned long long)w->cap);
    return true;
}

static bool check_tail(const ml_case *c, errbuf *e)
{
    if ((unsigned)c->transport >= ML_T_COUNT)
        return fail(e, "transport", "unknown transport %d", (int)c->transport);
    if (c->seed > ML_MAX_SEED)
        return fail(e, "seed", "must be <= %llu", (unsigned long long)ML_MAX_SEED);
    return true;
}

static void walk_init(walk *w, const ml_limits *lim, bool capped)
{
    memset(w, 0, sizeof *w);
    w->capped = capped;
    w->cap = lim && lim->max_bytes ? lim->max_bytes : ML_DEFAULT_MAX_BYTES;
}

static bool validate(const ml_case *c, walk *w, int nops, errbuf *e)
{
    if (!check_dtype(&c->dtype, "dtype", e) || !check_backing(c, w, e))
        return false;
    if (c->nops < 0 || c->nops > ML_MAX_OPS)
        return count_fail(e, "ops", c->nops, ML_MAX_OPS, "ops");
    for (int i = 0; i < nops && i < c->nops; i++)
        if (!step_op(&c->ops[i], i, w, e))
            return false;
    return true;
}

bool ml_case_validate(const ml_case *c, const ml_limits *lim, char *err, size_t errlen)
{
    char scratch[ML_ERR_MAX];
    errbuf e = err && errlen ? (errbuf){err, errlen} : (errbuf){scratch, sizeof scratch};
    walk w;
    e.buf[0] = '\0';
    walk_init(&w, lim, true);
    return validate(c, &w, ML_MAX_OPS, &e) && check_tail(c, &e);
}

int ml_case_shape_after(const ml_case *c, int nops, int64_t shape[ML_MAX_NDIM])
{
    char scratch[ML_ERR_MAX];
    errbuf e = {scratch, sizeof scratch};
    walk w;
    walk_init(&w, NULL, false);
    if (nops < 0 || nops > c->nops || !validate(c, &w, nops, &e))
        return -1;
    memcpy(shape, w.v.shape, sizeof(int64_t) * (size_t)w.v.ndim);
    return w.v.ndim;
}

static bool dtype_equal(const ml_dtype *a, const ml_dtype *b)
{
    if (a->nfields != b->nfields)
        return false;
    if (a->nfields == 0)
        return a->scalar.kind == b->scalar.kind && a->scalar.byteorder == b->scalar.byteorder &&
               a->scalar.size == b->scalar.size;
    for (int i = 0; i < a->nfields && i < ML_MAX_FIELDS; i++) {
        const ml_scalar *x = &a->fields[i], *y = &b->fields[i];
        if (strncmp(a->names[i], b->names[i], ML_FIELD_NAME_MAX) != 0 ||
            a->subndim[i] != b->subndim[i] || a->nsub[i] != b->nsub[i])
            return false;
        if (a->nsub[i] == 0 && (x->kind != y->kind || x->byteorder != y->byteorder ||
                                x->size != y->size))
            return false;
        for (int j = 0; j < a->nsub[i] && j < ML_MAX_SUBFIELDS; j++) {
            const ml_scalar *u = &a->subfields[i][j], *w = &b->subfields[i][j];
            if (strncmp(a->subnames[i][j], b->subnames[i][j], ML_FIELD_NAME_MAX) != 0 ||
                u->kind != w->kind || u->byteorder != w->byteorder || u->size != w->size)
                return false;
        }
        for (int j = 0; j < a->subndim[i] && j < ML_MAX_SUBDIMS; j++)
            if (a->subshape[i][j] != b->subshape[i][j])
                return false;
    }
    return true;
}

static bool shape_equal(int n, const int64_t *a, const int64_t *b)
{
    return n < 0 || n > ML_MAX_NDIM || memcmp(a, b, sizeof(int64_t) * (size_t)n) == 0;
}

static bool op_equal(const ml_op *a, const ml_op *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case ML_OP_RESHAPE:
        return a->ndim == b->ndim && shape_equal(a->ndim, a->shape, b->shape) &&
               a->order == b->order;
    case ML_OP_BROADCAST:
        return a->ndim == b->ndim && shape_equal(a->ndim, a->shape, b->shape);
    case ML_OP_TRANSPOSE:
        if (a->has_axes != b->has_axes)
            return false;
        if (!a->has_axes)
            return true;
        return a->ndim == b->ndim && (a->ndim < 0 || a->ndim > ML_MAX_NDIM ||
                                      memcmp(a->axes, b->axes, sizeof(int) * (size_t)a->ndim) == 0);
    case ML_OP_SWAPAXES:
    case ML_OP_MOVEAXIS:
        return a->axis == b->axis && a->axis2 == b->axis2;
    case ML_OP_SLICE:
        return a->axis == b->axis && a->has_start == b->has_start && a->has_stop == b->has_stop &&
               (!a->has_start || a->start == b->start) && (!a->has_stop || a->stop == b->stop) &&
               a->step == b->step;
    case ML_OP_INDEX:
        return a->axis == b->axis && a->index == b->index;
    case ML_OP_NEWAXIS:
    case ML_OP_SQUEEZE:
        return a->axis == b->axis;
    case ML_OP_RAVEL:
        return a->order == b->order;
    case ML_OP_VIEW:
        return dtype_equal(&a->dtype, &b->dtype);
    case ML_OP_FIELD:
    case ML_OP_FIELDS:
        if (a->nnames != b->nnames)
            return false;
        for (int j = 0; j < a->nnames && j < ML_MAX_FIELDS; j++)
            if (strncmp(a->names[j], b->names[j], ML_FIELD_NAME_MAX) != 0)
                return false;
        return true;
    case ML_OP_AS_STRIDED:
        return a->ndim == b->ndim && shape_equal(a->ndim, a->shape, b->shape) &&
               shape_equal(a->ndim, a->strides, b->strides);
    case ML_OP_SLIDING_WINDOW:
        return a->ndim == b->ndim && shape_equal(a->ndim, a->shape, b->shape) &&
               a->has_axes == b->has_axes &&
               (!a->has_axes || a->ndim < 0 || a->ndim > ML_MAX_NDIM ||
                memcmp(a->axes, b->axes, sizeof(int) * (size_t)a->ndim) == 0);
    case ML_OP_DIAGONAL:
    case ML_OP_ROT90:
        return a->index == b->index && a->axis == b->axis && a->axis2 == b->axis2;
    case ML_OP_FLIP:
        return a->has_axis == b->has_axis && (!a->has_axis || a->axis == b->axis);
    case ML_OP_ASARRAY:
        return a->via_view == b->via_view;
    default:
        return true;
    }
}

bool ml_case_equal(const ml_case *a, const ml_case *b)
{
    if (!dtype_equal(&a->dtype, &b->dtype) || a->source != b->source || a->ndim != b->ndim ||
        !shape_equal(a->ndim, a->shape, b->shape) || a->order != b->order ||
        a->offset != b->offset || a->mode != b->mode || a->nops != b->nops ||
        a->transport != b->transport || a->seed != b->seed)
        return false;
    for (int i = 0; i < a->nops && i < ML_MAX_OPS; i++)
        if (!op_equal(&a->ops[i], &b->ops[i]))
            return false;
    return true;
}

/* ---- reading JSON --------------------------------------------------------- */

static bool expected(const char *path, const char *what, errbuf *e)
{
    return fail(e, path, "expected %s", what);
}

/* Unknown and repeated keys; cJSON keeps duplicates, which would let a second
 * value hide behind the first. */
static bool check_keys(const cJSON *obj, const char *path, const char *const *keys, int nkeys,
                       errbuf *e)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        const char *k = c->string ? c->string : "";
        char p[PATH_LEN], shown[SHOW_LEN];
        bool known = false;
        for (int i = 0; i < nkeys && keys[i]; i++)
            known = known || strcmp(k, keys[i]) == 0;
        if (!known) {
            path_key(p, path, show(shown, k));
            return fail(e, p, "unknown key");
        }
        for (const cJSON *d = obj->child; d != c; d = d->next) {
            if (d->string && strcmp(d->string, k) == 0) {
                path_key(p, path, k);
                return fail(e, p, "duplicate key");
            }
        }
    }
    return true;
}

/* The member key of obj, or a "missing" error; p receives its path. */
static const cJSON *need(const cJSON *obj, const char *parent, const char *key,
                         char p[PATH_LEN], errbuf *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    path_key(p, parent, key);
    if (!v)
        fail(e, p, "missing");
    return v;
}

/* JSON numbers are doubles: only integral values up to 2^53 are exact. */
static bool get_int(const cJSON *v, const char *path, int64_t *out, errbuf *e)
{
    if (!cJSON_IsNumber(v))
        return expected(path, "integer", e);
    double d = v->valuedouble;
    if (!(d >= -TWO53 && d <= TWO53))
        return fail(e, path, "integer out of range (magnitude above 2^53)");
    int64_t i = (int64_t)d;
    if ((double)i != d)
        return fail(e, path, "expected integer");
    *out = i;
    return true;
}

static bool read_int(const cJSON *obj, const char *parent, const char *key, int64_t *out,
                     errbuf *e)
{
    char p[PATH_LEN];
    const cJSON *v = need(obj, parent, key, p, e);
    return v && get_int(v, p, out, e);
}

/* An integer or null (has = false). */
static bool read_opt_int(const cJSON *obj, const char *parent, const char *key, int64_t *out,
                         bool *has, errbuf *e)
{
    char p[PATH_LEN];
    const cJSON *v = need(obj, parent, key, p, e);
    if (!v)
        return false;
    *has = !cJSON_IsNull(v);
    *out = 0;
    if (!*has)
        return true;
    if (!cJSON_IsNumber(v))
        return expected(p, "integer or null", e);
    return get_int(v, p, out, e);
}

/* An axis of an op: values past any possible ndim get the message the walk
 * would give, so they need not fit the struct's int. */
static bool read_axis(const cJSON *obj, const char *parent, const char *key, const walk *w,
                      bool insert, int *out, errbuf *e)
{
    char p[PATH_LEN];
    int64_t v;
    if (!read_int(obj, parent, key, &v, e))
        return false;
    if (v < -AXIS_LIMIT || v > AXIS_LIMIT) {
        path_key(p, parent, key);
        return axis_fail(e, p, v, w->v.ndim, insert);
    }
    *out = (int)v;
    return true;
}

static bool read_str(const cJSON *obj, const char *parent, const char *key, const char **out,
                     char p[PATH_LEN], errbuf *e)
{
    const cJSON *v = need(obj, parent, key, p, e);
    if (!v)
        return false;
    if (!cJSON_IsString(v))
        return expected(p, "string", e);
    *out = v->valuestring;
    return true;
}

/* "C", "F" (and "A", "K" when allowed): anything else is stored as 0 and
 * reported by check_order with the same message as for a struct. */
static bool read_order(const cJSON *obj, const char *parent, const char *allowed, char *out,
                       errbuf *e)
{
    char p[PATH_LEN];
    const char *s;
    if (!read_str(obj, parent, "order", &s, p, e))
        return false;
    *out = s[0] && !s[1] && strchr(allowed, s[0]) ? s[0] : 0;
    return check_order(*out, allowed, parent, e);
}

static bool read_shape(const cJSON *obj, const char *parent, int *ndim, int64_t *shape,
                       errbuf *e)
{
    char p[PATH_LEN];
    const cJSON *v = need(obj, parent, "shape", p, e);
    if (!v)
        return false;
    if (!cJSON_IsArray(v))
        return expected(p, "array", e);
    int n = cJSON_GetArraySize(v), j = 0;
    if (n > ML_MAX_NDIM)
        return fail(e, p, "%d dims, more than %d", n, ML_MAX_NDIM);
    for (const cJSON *d = v->child; d; d = d->next, j++) {
        char pj[PATH_LEN];
        path_idx(pj, p, j);
        if (!get_int(d, pj, &shape[j], e))
            return false;
    }
    *ndim = n;
    return true;
}

/* An array of at most max integers under key. */
static bool read_ints(const cJSON *obj, const char *parent, const char *key, int max,
                      int64_t *out, int *n, errbuf *e)
{
    char p[PATH_LEN];
    const cJSON *v = need(obj, parent, key, p, e);
    if (!v)
        return false;
    if (!cJSON_IsArray(v))
        return expected(p, "array", e);
    int count = cJSON_GetArraySize(v), j = 0;
    if (count > max)
        return fail(e, p, "%d values, more than %d", count, max);
    for (const cJSON *d = v->child; d; d = d->next, j++) {
        char pj[PATH_LEN];
        path_idx(pj, p, j);
        if (!get_int(d, pj, &out[j], e))
            return false;
    }
    *n = count;
    return true;
}

/* The name at the head of the field pair f (path fp), into out. */
static bool read_field_name(const cJSON *f, const char *fp, char out[ML_FIELD_NAME_MAX], errbuf *e)
{
    char p[PATH_LEN];
    path_idx(p, fp, 0);
    if (!cJSON_IsString(f->child))
        return expected(p, "string", e);
    if (!check_name(f->child->valuestring, SIZE_MAX, p, e))
        return false;
    memcpy(out, f->child->valuestring, strlen(f->child->valuestring) + 1);
    return true;
}

/* The inner structure of field i: [name, scalar] pairs, one level deep. */
static bool read_inner(const cJSON *v, const char *path, ml_dtype *d, int i, errbuf *e)
{
    char shown[SHOW_LEN];
    int n = cJSON_GetArraySize(v), j = 0;
    if (n < 1 || n > ML_MAX_SUBFIELDS)
        return fail(e, path, "an inner structure needs 1 to %d fields, not %d", ML_MAX_SUBFIELDS, n);
    for (const cJSON *f = v->child; f; f = f->next, j++) {
        char fp[PATH_LEN], p[PATH_LEN];
        path_idx(fp, path, j);
        if (!cJSON_IsArray(f) || cJSON_GetArraySize(f) != 2)
            return fail(e, fp, "expected a [name, dtype] pair (inner structures hold scalars)");
        const cJSON *scalar = f->child->next;
        if (!read_field_name(f, fp, d->subnames[i][j], e))
            return false;
        path_idx(p, fp, 1);
        if (!cJSON_IsString(scalar))
            return expected(p, "string", e);
        if (!scalar_from_str(scalar->valuestring, &d->subfields[i][j]))
            return fail(e, p, "unknown dtype \"%s\"", show(shown, scalar->valuestring));
    }
    d->nsub[i] = n;
    d->fields[i] = d->subfields[i][0];
    return true;
}

static bool read_dtype(const cJSON *v, const char *path, ml_dtype *d, errbuf *e)
{
    char shown[SHOW_LEN];
    memset(d, 0, sizeof *d);
    if (cJSON_IsString(v)) {
        if (!scalar_from_str(v->valuestring, &d->scalar))
            return fail(e, path, "unknown dtype \"%s\"", show(shown, v->valuestring));
        return check_scalar(&d->scalar, path, e);
    }
    if (!cJSON_IsArray(v))
        return expected(path, "string or array", e);
    int n = cJSON_GetArraySize(v), i = 0;
    if (n < 1 || n > ML_MAX_FIELDS)
        return fail(e, path, "a structured dtype needs 1 to %d fields, not %d", ML_MAX_FIELDS, n);
    for (const cJSON *f = v->child; f; f = f->next, i++) {
        char fp[PATH_LEN], p[PATH_LEN];
        path_idx(fp, path, i);
        if (!cJSON_IsArray(f) || cJSON_GetArraySize(f) < 2 || cJSON_GetArraySize(f) > 3)
            return fail(e, fp, "expected a [name, dtype] pair or a [name, dtype, shape] triple");
        const cJSON *scalar = f->child->next;
        if (!read_field_name(f, fp, d->names[i], e))
            return false;
        path_idx(p, fp, 1);
        if (cJSON_IsArray(scalar)) {
            if (!read_inner(scalar, p, d, i, e))
                return false;
        } else if (!cJSON_IsString(scalar)) {
            return expected(p, "string or array", e);
        } else if (!scalar_from_str(scalar->valuestring, &d->fields[i])) {
            return fail(e, p, "unknown dtype \"%s\"", show(shown, scalar->valuestring));
        }
        const cJSON *sub = scalar->next;
        if (sub) {
            path_idx(p, fp, 2);
            int dims = cJSON_GetArraySize(sub), j = 0;
            if (!cJSON_IsArray(sub))
                return expected(p, "array", e);
            if (dims < 1 || dims > ML_MAX_SUBDIMS)
                return fail(e, p, "a sub-array needs 1 to %d dims, not %d", ML_MAX_SUBDIMS, dims);
            for (const cJSON *x = sub->child; x; x = x->next, j++) {
                char pj[PATH_LEN];
                int64_t dim;
                path_idx(pj, p, j);
                if (!get_int(x, pj, &dim, e))
                    return false;
                if (dim < 1 || dim > ML_MAX_SUBDIM)
                    return fail(e, pj, "must be 1 to %d", ML_MAX_SUBDIM);
                d->subshape[i][j] = (int)dim;
            }
            d->subndim[i] = dims;
        }
        d->nfields = i + 1;
        if (!check_field(d, i, path, e))
            return false;
    }
    return true;
}

static bool read_backing(const cJSON *root, ml_case *c, walk *w, errbuf *e)
{
    static const char *const keys[] = {"source", "shape", "order", "offset", "mode"};
    char p[PATH_LEN], shown[SHOW_LEN];
    const char *s;
    const cJSON *b = need(root, "$", "backing", p, e);
    if (!b)
        return false;
    if (!cJSON_IsObject(b))
        return expected(p, "object", e);
    if (!check_keys(b, "backing", keys, 5, e))
        return false;
    if (!read_str(b, "backing", "source", &s, p, e))
        return false;
    if (strcmp(s, "raw") == 0)
        c->source = ML_SRC_RAW;
    else if (strcmp(s, "npy") == 0)
        c->source = ML_SRC_NPY;
    else
        return fail(e, p, "unknown source \"%s\"", show(shown, s));
    if (!read_shape(b, "backing", &c->ndim, c->shape, e) ||
        !read_order(b, "backing", "CF", &c->order, e) ||
        !read_int(b, "backing", "offset", &c->offset, e) ||
        !read_str(b, "backing", "mode", &s, p, e))
        return false;
    int m = 0;
    while (m < ML_MODE_COUNT && strcmp(s, mode_names[m]) != 0)
        m++;
    if (m == ML_MODE_COUNT)
        return fail(e, p, "unknown mode \"%s\"", show(shown, s));
    c->mode = (ml_mode)m;
    return check_backing(c, w, e);
}

/* Reads ops[i] into op (keys as in op_keys), then checks it against w. */
static bool read_op(const cJSON *v, int i, ml_op *op, walk *w, errbuf *e)
{
    char base[32], p[PATH_LEN], shown[SHOW_LEN];
    const char *name;
    snprintf(base, sizeof base, "ops[%d]", i);
    if (!cJSON_IsObject(v))
        return expected(base, "object", e);
    if (!read_str(v, base, "op", &name, p, e))
        return false;
    int k = 0;
    while (k < ML_OP_COUNT && strcmp(name, op_names[k]) != 0)
        k++;
    if (k == ML_OP_COUNT)
        return fail(e, p, "unknown op \"%s\"", show(shown, name));
    op->kind = (ml_opkind)k;
    if (!check_keys(v, base, op_keys[k], 5, e))
        return false;
    bool ok = true;
    switch (op->kind) {
    case ML_OP_RESHAPE:
        ok = read_shape(v, base, &op->ndim, op->shape, e) && read_order(v, base, "CF", &op->order, e);
        break;
    case ML_OP_BROADCAST:
        ok = read_shape(v, base, &op->ndim, op->shape, e);
        break;
    case ML_OP_TRANSPOSE: {
        const cJSON *axes = need(v, base, "axes", p, e);
        if (!axes)
            return false;
        op->has_axes = !cJSON_IsNull(axes);
        if (!op->has_axes)
            break;
        if (!cJSON_IsArray(axes))
            return expected(p, "array or null", e);
        int n = cJSON_GetArraySize(axes), j = 0;
        if (n != w->v.ndim)
            return fail(e, p, "%d axes for %d dims", n, w->v.ndim);
        for (const cJSON *a = axes->child; a; a = a->next, j++) {
            char pj[PATH_LEN];
            int64_t x;
            path_idx(pj, p, j);
            if (!get_int(a, pj, &x, e))
                return false;
            if (x < -AXIS_LIMIT || x > AXIS_LIMIT)
                return axis_fail(e, pj, x, w->v.ndim, false);
            op->axes[j] = (int)x;
        }
        op->ndim = n;
        break;
    }
    case ML_OP_SWAPAXES:
        ok = read_axis(v, base, "axis1", w, false, &op->axis, e) &&
             read_axis(v, base, "axis2", w, false, &op->axis2, e);
        break;
    case ML_OP_MOVEAXIS:
        ok = read_axis(v, base, "source", w, false, &op->axis, e) &&
             read_axis(v, base, "destination", w, false, &op->axis2, e);
        break;
    case ML_OP_SLICE:
        ok = read_axis(v, base, "axis", w, false, &op->axis, e) &&
             read_opt_int(v, base, "start", &op->start, &op->has_start, e) &&
             read_opt_int(v, base, "stop", &op->stop, &op->has_stop, e) &&
             read_int(v, base, "step", &op->step, e);
        break;
    case ML_OP_INDEX:
        ok = read_axis(v, base, "axis", w, false, &op->axis, e) &&
             read_int(v, base, "index", &op->index, e);
        break;
    case ML_OP_NEWAXIS:
    case ML_OP_SQUEEZE:
        ok = read_axis(v, base, "axis", w, op->kind == ML_OP_NEWAXIS, &op->axis, e);
        break;
    case ML_OP_RAVEL:
        ok = read_order(v, base, "CFAK", &op->order, e);
        break;
    case ML_OP_VIEW: {
        const cJSON *d = need(v, base, "dtype", p, e);
        ok = d && read_dtype(d, p, &op->dtype, e);
        break;
    }
    case ML_OP_FIELD: {
        const char *s;
        if (!read_str(v, base, "name", &s, p, e))
            return false;
        if (!check_name(s, SIZE_MAX, p, e))
            return false;
        memcpy(op->names[0], s, strlen(s) + 1);
        op->nnames = 1;
        break;
    }
    case ML_OP_FIELDS: {
        const cJSON *names = need(v, base, "names", p, e);
        if (!names)
            return false;
        if (!cJSON_IsArray(names))
            return expected(p, "array", e);
        int n = cJSON_GetArraySize(names), j = 0;
        if (n < 1 || n > ML_MAX_FIELDS)
            return fail(e, p, "needs 1 to %d names, not %d", ML_MAX_FIELDS, n);
        for (const cJSON *x = names->child; x; x = x->next, j++) {
            char pj[PATH_LEN];
            path_idx(pj, p, j);
            if (!cJSON_IsString(x))
                return expected(pj, "string", e);
            if (!check_name(x->valuestring, SIZE_MAX, pj, e))
                return false;
            memcpy(op->names[j], x->valuestring, strlen(x->valuestring) + 1);
        }
        op->nnames = n;
        break;
    }
    case ML_OP_AS_STRIDED: {
        int n;
        ok = read_shape(v, base, &op->ndim, op->shape, e) &&
             read_ints(v, base, "strides", ML_MAX_NDIM, op->strides, &n, e);
        if (ok && n != op->ndim) {
            path_key(p, base, "strides");
            return fail(e, p, "%d strides for %d dims", n, op->ndim);
        }
        break;
    }
    case ML_OP_SLIDING_WINDOW: {
        ok = read_ints(v, base, "window", ML_MAX_NDIM, op->shape, &op->ndim, e);
        if (!ok)
            return false;
        const cJSON *axis = need(v, base, "axis", p, e);
        if (!axis)
            return false;
        op->has_axes = !cJSON_IsNull(axis);
        if (!op->has_axes)
            break;
        int64_t ax[ML_MAX_NDIM];
        int n;
        if (!cJSON_IsArray(axis))
            return expected(p, "array or null", e);
        if (!read_ints(v, base, "axis", ML_MAX_NDIM, ax, &n, e))
            return false;
        if (n != op->ndim)
            return fail(e, p, "%d axes for a window of %d dims", n, op->ndim);
        for (int j = 0; j < n; j++) {
            char pj[PATH_LEN];
            path_idx(pj, p, j);
            if (ax[j] < -AXIS_LIMIT || ax[j] > AXIS_LIMIT)
                return axis_fail(e, pj, ax[j], w->v.ndim, false);
            op->axes[j] = (int)ax[j];
        }
        break;
    }
    case ML_OP_DIAGONAL:
        ok = read_int(v, base, "offset", &op->index, e) &&
             read_axis(v, base, "axis1", w, false, &op->axis, e) &&
             read_axis(v, base, "axis2", w, false, &op->axis2, e);
        break;
    case ML_OP_FLIP: {
        int64_t a;
        ok = read_opt_int(v, base, "axis", &a, &op->has_axis, e);
        if (ok && (a < -AXIS_LIMIT || a > AXIS_LIMIT)) {
            path_key(p, base, "axis");
            return axis_fail(e, p, a, w->v.ndim, false);
        }
        op->axis = (int)a;
        break;
    }
    case ML_OP_ROT90: {
        int64_t ax[2];
        int n;
        if (!read_int(v, base, "k", &op->index, e) ||
            !read_ints(v, base, "axes", 2, ax, &n, e))
            return false;
        path_key(p, base, "axes");
        if (n != 2)
            return fail(e, p, "needs 2 axes, not %d", n);
        for (int j = 0; j < 2; j++) {
            if (ax[j] < -AXIS_LIMIT || ax[j] > AXIS_LIMIT) {
                char pj[PATH_LEN];
                path_idx(pj, p, j);
                return axis_fail(e, pj, ax[j], w->v.ndim, false);
            }
        }
        op->axis = (int)ax[0];
        op->axis2 = (int)ax[1];
        break;
    }
    case ML_OP_ASARRAY: {
        const char *s;
        if (!read_str(v, base, "via", &s, p, e))
            return false;
        if (strcmp(s, "asarray") != 0 && strcmp(s, "view") != 0)
            return fail(e, p, "must be \"asarray\" or \"view\"");
        op->via_view = s[0] == 'v';
        break;
    }
    default:
        break;
    }
    return ok && step_op(op, i, w, e);
}

static bool read_case(const cJSON *root, ml_case *c, walk *w, errbuf *e)
{
    static const char *const keys[] = {"memlayout", "dtype", "backing", "ops", "transport", "seed"};
    char p[PATH_LEN], shown[SHOW_LEN];
    const char *s;
    int64_t v;
    if (!cJSON_IsObject(root))
        return expected("$", "object", e);
    /* The version first: a future format may have other keys. */
    if (!read_int(root, "$", "memlayout", &v, e))
        return false;
    if (v != ML_FORMAT_VERSION)
        return fail(e, "memlayout", "unsupported version %lld (this memlayout reads %d)",
                    (long long)v, ML_FORMAT_VERSION);
    if (!check_keys(root, "$", keys, 6, e))
        return false;
    const cJSON *d = need(root, "$", "dtype", p, e);
    if (!d || !read_dtype(d, p, &c->dtype, e) || !read_backing(root, c, w, e))
        return false;
    const cJSON *ops = need(root, "$", "ops", p, e);
    if (!ops)
        return false;
    if (!cJSON_IsArray(ops))
        return expected(p, "array", e);
    int n = cJSON_GetArraySize(ops), i = 0;
    if (n > ML_MAX_OPS)
        return fail(e, p, "%d ops, more than %d", n, ML_MAX_OPS);
    for (const cJSON *o = ops->child; o; o = o->next, i++) {
        if (!read_op(o, i, &c->ops[i], w, e))
            return false;
        c->nops = i + 1;
    }
    if (!read_str(root, "$", "transport", &s, p, e))
        return false;
    if (!ml_transport_from_name(s, &c->transport))
        return fail(e, p, "unknown transport \"%s\"", show(shown, s));
    if (!read_int(root, "$", "seed", &v, e))
        return false;
    if (v < 0)
        return fail(e, "seed", "must be >= 0");
    c->seed = (uint64_t)v;
    return check_tail(c, e);
}

/* cJSON takes every byte up to 0x20 for whitespace and keeps raw control
 * bytes and \u0000 escapes inside strings, where a NUL would silently cut a
 * key or value short ("loky\u0000x" would read as "loky"). JSON allows
 * neither raw control bytes nor, here, any use for NUL: refuse both. */
static bool prescan(const char *s, size_t len, errbuf *e)
{
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 && (in_str || (ch != '\t' && ch != '\n' && ch != '\r')))
            return fail(e, "$", "not valid JSON near byte %zu", i);
        if (!in_str) {
            in_str = ch == '"';
        } else if (ch == '"') {
            in_str = false;
        } else if (ch == '\\' && i + 1 < len) {
            if (i + 5 < len && memcmp(s + i + 1, "u0000", 5) == 0)
                return fail(e, "$", "\\u0000 is not allowed in strings, near byte %zu", i);
            i++;
        }
    }
    return true;
}

bool ml_case_parse(const char *json, size_t len, const ml_limits *lim,
                   ml_case *out, char *err, size_t errlen)
{
    char scratch[ML_ERR_MAX];
    errbuf e = err && errlen ? (errbuf){err, errlen} : (errbuf){scratch, sizeof scratch};
    e.buf[0] = '\0';
    if (!json)
        len = 0;
    if (!prescan(json, len, &e))
        return false;
    /* A terminated private copy: cJSON must never read past len. */
    char *copy = malloc(len + 1);
    if (!copy)
        return fail(&e, "$", "out of memory");
    if (len)
        memcpy(copy, json, len);
    copy[len] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
    size_t pos = end && end >= copy ? (size_t)(end - copy) : 0;
    if (pos > len)
        pos = len;
    if (root) {
        while (pos < len && (copy[pos] == ' ' || copy[pos] == '\t' || copy[pos] == '\n' ||
                             copy[pos] == '\r'))
            pos++;
    }
    bool ok;
    if (!root || pos != len) {
        ok = fail(&e, "$", "not valid JSON near byte %zu", pos);
    } else {
        ml_case c;
        walk w;
        memset(&c, 0, sizeof c);
        walk_init(&w, lim, true);
        ok = read_case(root, &c, &w, &e);
        if (ok && out)
            *out = c;
    }
    cJSON_Delete(root);
    free(copy);
    return ok;
}

/* ---- canonical writing ---------------------------------------------------- */

typedef ml_strbuf sbuf;

static void sb_mem(sbuf *b, const char *s, size_t n)
{
    ml_strbuf_put(b, s, n);
}

static void sb_str(sbuf *b, const char *s)
{
    sb_mem(b, s, strlen(s));
}

/* Decimal digits by hand: every case written goes through here, and
 * printf's machinery was most of the cost of writing one. */
static void sb_uint(sbuf *b, unsigned long long v)
{
    char num[24];
    size_t o = sizeof num;
    do {
        num[--o] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_mem(b, num + o, sizeof num - o);
}

static void sb_int(sbuf *b, long long v)
{
    if (v < 0) {
        sb_mem(b, "-", 1);
        sb_uint(b, 0ull - (unsigned long long)v);
    } else {
        sb_uint(b, (unsigned long long)v);
    }
}

/* A JSON string; valid cases only hold [A-Za-z0-9_<>|+-] in strings, the
 * escapes keep an invalid struct from producing broken JSON. */

static void sb_key(sbuf *b, const char *key)
{
    sb_mem(b, ",\"", 2);
    sb_str(b, key);
    sb_mem(b, "\":", 2);
}

static int clamp(int n, int hi)
{
    return n < 0 ? 0 : n > hi ? hi : n;
}

static void sb_shape(sbuf *b, int ndim, const int64_t *shape)
{
    sb_mem(b, "[", 1);
    for (int i = 0; i < clamp(ndim, ML_MAX_NDIM); i++) {
        if (i)
            sb_mem(b, ",", 1);
        sb_int(b, (long long)shape[i]);
    }
    sb_mem(b, "]", 1);
}

static void sb_char(sbuf *b, char ch)
{
    char s[2] = {ch, '\0'};
    ml_strbuf_json(b, s, 1, true);
}

static void sb_dtype(sbuf *b, const ml_dtype *d)
{
    char buf[8];
    if (d->nfields == 0) {
        ml_strbuf_json(b, ml_scalar_str(&d->scalar, buf), 8, true);
        return;
    }
    sb_mem(b, "[", 1);
    for (int i = 0; i < clamp(d->nfields, ML_MAX_FIELDS); i++) {
        sb_str(b, i ? ",[" : "[");
        ml_strbuf_json(b, d->names[i], ML_FIELD_NAME_MAX, true);
        sb_mem(b, ",", 1);
        if (d->nsub[i] > 0) {
            sb_mem(b, "[", 1);
            for (int j = 0; j < clamp(d->nsub[i], ML_MAX_SUBFIELDS); j++) {
                sb_str(b, j ? ",[" : "[");
                ml_strbuf_json(b, d->subnames[i][j], ML_FIELD_NAME_MAX, true);
                sb_mem(b, ",", 1);
                ml_strbuf_json(b, ml_scalar_str(&d->subfields[i][j], buf), 8, true);
                sb_mem(b, "]", 1);
            }
            sb_mem(b, "]", 1);
        } else {
            ml_strbuf_json(b, ml_scalar_str(&d->fields[i], buf), 8, true);
        }
        if (d->subndim[i] > 0) {
            int64_t sub[ML_MAX_SUBDIMS];
            for (int j = 0; j < clamp(d->subndim[i], ML_MAX_SUBDIMS); j++)
                sub[j] = d->subshape[i][j];
            sb_mem(b, ",", 1);
            sb_shape(b, clamp(d->subndim[i], ML_MAX_SUBDIMS), sub);
        }
        sb_mem(b, "]", 1);
    }
    sb_mem(b, "]", 1);
}

static void sb_axes(sbuf *b, int n, const int *axes)
{
    sb_mem(b, "[", 1);
    for (int j = 0; j < clamp(n, ML_MAX_NDIM); j++) {
        if (j)
            sb_mem(b, ",", 1);
        sb_int(b, axes[j]);
    }
    sb_mem(b, "]", 1);
}

static void sb_op(sbuf *b, const ml_op *op)
{
    sb_str(b, "{\"op\":");
    ml_strbuf_json(b, ml_op_name(op->kind), 16, true);
    switch (op->kind) {
    case ML_OP_RESHAPE:
        sb_key(b, "shape");
        sb_shape(b, op->ndim, op->shape);
        sb_key(b, "order");
        sb_char(b, op->order);
        break;
    case ML_OP_TRANSPOSE:
        sb_key(b, "axes");
        if (!op->has_axes) {
            sb_str(b, "null");
            break;
        }
        sb_axes(b, op->ndim, op->axes);
        break;
    case ML_OP_SWAPAXES:
    case ML_OP_MOVEAXIS:
        sb_key(b, op->kind == ML_OP_SWAPAXES ? "axis1" : "source");
        sb_int(b, op->axis);
        sb_key(b, op->kind == ML_OP_SWAPAXES ? "axis2" : "destination");
        sb_int(b, op->axis2);
        break;
    case ML_OP_SLICE:
        sb_key(b, "axis");
        sb_int(b, op->axis);
        sb_key(b, "start");
        if (op->has_start)
            sb_int(b, (long long)op->start);
        else
            sb_str(b, "null");
        sb_key(b, "stop");
        if (op->has_stop)
            sb_int(b, (long long)op->stop);
        else
            sb_str(b, "null");
        sb_key(b, "step");
        sb_int(b, (long long)op->step);
        break;
    case ML_OP_INDEX:
        sb_key(b, "axis");
        sb_int(b, op->axis);
        sb_key(b, "index");
        sb_int(b, (long long)op->index);
        break;
    case ML_OP_NEWAXIS:
    case ML_OP_SQUEEZE:
        sb_key(b, "axis");
        sb_int(b, op->axis);
        break;
    case ML_OP_RAVEL:
        sb_key(b, "order");
        sb_char(b, op->order);
        break;
    case ML_OP_VIEW:
        sb_key(b, "dtype");
        sb_dtype(b, &op->dtype);
        break;
    case ML_OP_BROADCAST:
        sb_key(b, "shape");
        sb_shape(b, op->ndim, op->shape);
        break;
    case ML_OP_FIELD:
        sb_key(b, "name");
        ml_strbuf_json(b, op->names[0], ML_FIELD_NAME_MAX, true);
        break;
    case ML_OP_FIELDS:
        sb_key(b, "names");
        sb_mem(b, "[", 1);
        for (int j = 0; j < clamp(op->nnames, ML_MAX_FIELDS); j++) {
            if (j)
                sb_mem(b, ",", 1);
            ml_strbuf_json(b, op->names[j], ML_FIELD_NAME_MAX, true);
        }
        sb_mem(b, "]", 1);
        break;
    case ML_OP_AS_STRIDED:
        sb_key(b, "shape");
        sb_shape(b, op->ndim, op->shape);
        sb_key(b, "strides");
        sb_shape(b, op->ndim, op->strides);
        break;
    case ML_OP_SLIDING_WINDOW:
        sb_key(b, "window");
        sb_shape(b, op->ndim, op->shape);
        sb_key(b, "axis");
        if (op->has_axes)
            sb_axes(b, op->ndim, op->axes);
        else
            sb_str(b, "null");
        break;
    case ML_OP_DIAGONAL:
        sb_key(b, "offset");
        sb_int(b, (long long)op->index);
        sb_key(b, "axis1");
        sb_int(b, op->axis);
        sb_key(b, "axis2");
        sb_int(b, op->axis2);
        break;
    case ML_OP_FLIP:
        sb_key(b, "axis");
        if (op->has_axis)
            sb_int(b, op->axis);
        else
            sb_str(b, "null");
        break;
    case ML_OP_ROT90: {
        int axes[2] = {op->axis, op->axis2};
        sb_key(b, "k");
        sb_int(b, (long long)op->index);
        sb_key(b, "axes");
        sb_axes(b, 2, axes);
        break;
    }
    case ML_OP_ASARRAY:
        sb_key(b, "via");
        ml_strbuf_json(b, op->via_view ? "view" : "asarray", 8, true);
        break;
    default:
        break;
    }
    sb_mem(b, "}", 1);
}

char *ml_case_write(const ml_case *c)
{
    sbuf b = {NULL, 0, 0, false};
    sb_str(&b, "{\"memlayout\":");
    sb_int(&b, ML_FORMAT_VERSION);
    sb_key(&b, "dtype");
    sb_dtype(&b, &c->dtype);
    sb_str(&b, ",\"backing\":{\"source\":");
    ml_strbuf_json(&b, c->source == ML_SRC_NPY ? "npy" : c->source == ML_SRC_RAW ? "raw" : "?", 4, true);
    sb_key(&b, "shape");
    sb_shape(&b, c->ndim, c->shape);
    sb_key(&b, "order");
    sb_char(&b, c->order);
    sb_key(&b, "offset");
    sb_int(&b, (long long)c->offset);
    sb_key(&b, "mode");
    ml_strbuf_json(&b, ml_mode_name(c->mode), 4, true);
    sb_str(&b, "},\"ops\":[");
    for (int i = 0; i < clamp(c->nops, ML_MAX_OPS); i++) {
        if (i)
            sb_mem(&b, ",", 1);
        sb_op(&b, &c->ops[i]);
    }
    sb_mem(&b, "]", 1);
    sb_key(&b, "transport");
    ml_strbuf_json(&b, ml_transport_name(c->transport), 32, true);
    sb_key(&b, "seed");
    sb_uint(&b, (unsigned long long)c->seed);
    sb_str(&b, "}\n");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* Signatures of findings: see signature.h. */
#include "signature.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ml_sig_family(ml_transport t)
{
    switch (t) {
    case ML_T_REDUCE:
    case ML_T_LOKY:
    case ML_T_MULTIPROCESSING:
        return "joblib";
    case ML_T_REFERENCE:
        return "reference";
    case ML_T_THREADING:
        return "threading";
    case ML_T_POOL_SPAWN:
    case ML_T_POOL_FORKSERVER:
        return "pool";
    case ML_T_DASK:
        return "dask";
    default:
        return "pickle";
    }
}

static const char *class_name(ml_tclass k)
{
    switch (k) {
    case ML_CLASS_SHARE: return "share";
    case ML_CLASS_COPY: return "copy";
    default: return "identity";
    }
}

const char *ml_sig_flags(const ml_obs *o)
{
    if (!o || !o->present)
        return "?";
    if (o->c && o->f)
        return "CF";
    return o->c ? "C" : o->f ? "F" : "-";
}

/* Every copy is made by pickling the array (NumPy's ndarray.__reduce__),
 * whichever transport carried it: a copy's defect is one bug across
 * joblib, pool and pickle transports. dask copies large arguments with its
 * own serializer (distributed.protocol.numpy): its copies are a kind apart. */
static void kind_of(const ml_case *c, const ml_verdict *v, char *buf, size_t len)
{
    const char *copy = c->transport == ML_T_DASK ? "dask" : "pickle";
    snprintf(buf, len, "%s/%s", class_name(v->tclass),
             v->tclass == ML_CLASS_COPY ? copy : ml_sig_family(c->transport));
}

/* ---- defects and their causes ------------------------------------------- */

static const char *const severity_names[ML_SEV_COUNT] = {
    [ML_SEV_CORRUPT] = "corrupt", [ML_SEV_ERROR] = "error",
    [ML_SEV_LAYOUT] = "layout", [ML_SEV_REPRESENTATION] = "representation",
};

const char *ml_severity_name(ml_severity s)
{
    return (unsigned)s < ML_SEV_COUNT ? severity_names[s] : "?";
}

bool ml_severity_from_name(const char *name, ml_severity *out)
{
    for (int i = 0; i < ML_SEV_COUNT; i++)
        if (strcmp(name, severity_names[i]) == 0) {
            *out = (ml_severity)i;
            return true;
        }
    return false;
}

/* The layout facts of the parent view that steer a reducer. */
typedef struct {
    const char *view;       /* "C", "F", "CF", "-" (strided) */
    const char *backing;    /* "a 1-d" (at most one dim longer than 1: NumPy flags it
                               C- and F-contiguous alike), "a C-ordered", "an F-ordered" */
    char order;             /* 'C', 'F'; 0 for a 1-d backing */
    bool negative, zero;    /* a stride < 0 / == 0 on an axis longer than 1 */
    bool uneven;            /* a stride that is no multiple of the item size (as_strided,
                               a field of a wider item): the span is none either */
    bool empty, past_end;   /* no elements; its data pointer at or past the mapping's end */
    bool copied;            /* a view op copied: the parent is not memmap-backed */
} facts;

static facts facts_of(const ml_case *c, const ml_obs *p)
{
    facts f = {0};
    f.view = ml_sig_flags(p);
    int long_dims = 0;
    for (int i = 0; i < c->ndim; i++)
        long_dims += c->shape[i] > 1;
    f.order = long_dims <= 1 ? 0 : c->order == 'F' ? 'F' : 'C';
    f.backing = !f.order ? "a 1-d" : f.order == 'F' ? "an F-ordered" : "a C-ordered";
    int64_t n = 1;
    for (int i = 0; i < p->ndim; i++) {
        n *= p->shape[i];
        if (p->shape[i] > 1 && p->strides[i] < 0)
            f.negative = true;
        if (p->shape[i] > 1 && p->strides[i] == 0)
            f.zero = true;
        if (p->shape[i] > 1 && p->itemsize > 0 && p->strides[i] % p->itemsize != 0)
            f.uneven = true;
    }
    f.empty = p->present && n == 0;
    f.past_end = f.empty && p->backed && p->first - p->offset >= p->len;
    f.copied = p->present && !p->backed;
    return f;
}

/* The cause as the special facts name it, else NULL. */
static const char *special_cause(const facts *f)
{
    if (f->past_end)
        return "an empty view whose data pointer lies at or past the end of the mapping";
    if (f->empty)
        return "an empty view";
    if (f->negative)
        return "a view with negative strides";
    if (f->uneven)   /* before zero: joblib counts the span in whole items, whatever else */
        return "a view whose strides are no multiple of its item size";
    if (f->zero)
        return "a view with zero strides (broadcast)";
    return NULL;
}

static const char *view_name(const char *flags)
{
    return !strcmp(flags, "CF") ? "C- and F-contiguous" : !strcmp(flags, "C") ? "C-contiguous"
         : !strcmp(flags, "F") ? "F-contiguous" : !strcmp(flags, "-") ? "non-contiguous" : "unobserved";
}

typedef struct {
    ml_sig *out;
    int n;
    const ml_sig *base;     /* kind, verdict, transition */
} defects;

static void add(defects *d, const char *aspect, ml_severity sev, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add(defects *d, const char *aspect, ml_severity sev, const char *fmt, ...)
{
    if (d->n >= ML_SIG_MAX)
        return;
    ml_sig *s = &d->out[d->n++];
    *s = *d->base;
    snprintf(s->aspect, sizeof s->aspect, "%s", aspect);
    s->severity = sev;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->cause, sizeof s->cause, fmt, ap);
    va_end(ap);
}

static int by_severity(const void *a, const void *b)
{
    const ml_sig *x = a, *y = b;
    return (int)x->severity - (int)y->severity;
}

int ml_sig_all(const ml_case *c, const ml_result *r, const ml_verdict *v, ml_sig out[ML_SIG_MAX])
{
    if (v->kind != ML_V_FAIL && v->kind != ML_V_ERROR)
        return 0;
    ml_sig base;
    memset(&base, 0, sizeof base);
    kind_of(c, v, base.kind, sizeof base.kind);
    ml_verdict_str(v, base.verdict, sizeof base.verdict);
    /* The flags are part of the bug only when they are what broke: an
     * unchanged or an allowed change (a copy made C-contiguous) is "=". */
    if (v->kind == ML_V_FAIL && (v->fails & (1u << ML_INV_FLAGS)))
        snprintf(base.transition, sizeof base.transition, "%s>%s", ml_sig_flags(&r->parent),
                 ml_sig_flags(&r->child));
    else
        snprintf(base.transition, sizeof base.transition, "=");
    defects d = {out, 0, &base};
    facts f = facts_of(c, &r->parent);
    const char *special = special_cause(&f);
    const char *vname = view_name(f.view);

    if (v->kind == ML_V_ERROR) {
        const char *k = v->error_kind;
        if (!strcmp(k, "crash") || !strcmp(k, "timeout"))
            add(&d, "crash", ML_SEV_CORRUPT, "%s", !strcmp(k, "crash") ? "a process died" : "a process hung");
        else if (!strcmp(k, "rebuild") || !strcmp(k, "send") || !strcmp(k, "worker"))
            add(&d, "rebuild", ML_SEV_ERROR, "%s", special ? special : f.copied ? "a copy made by a view op"
                                                   : "a view of the mapping");
        else
            add(&d, !strcmp(k, "build") ? "build" : "protocol", ML_SEV_ERROR, "error:%s", k);
        return d.n;
    }

    uint32_t x = v->fails;
#define BROKE(inv) ((x & (1u << (inv))) != 0)
    bool data = BROKE(ML_INV_DATA);
    if (BROKE(ML_INV_FLAGS) || BROKE(ML_INV_STRIDES)) {
        ml_severity sev = data ? ML_SEV_CORRUPT : ML_SEV_LAYOUT;
        const char *child = ml_sig_flags(&r->child);
        bool transposed = f.order && (!strcmp(f.view, "C") || !strcmp(f.view, "F")) &&
                          f.view[0] != f.order && child[0] == f.order && !child[1];
        if (f.negative || f.zero)   /* the strides, not the contiguity, steer the reducer */
            add(&d, "order", sev, "a view with %s strides arrives %s", f.negative ? "negative" : "zero",
                view_name(child));
        else if (transposed)        /* C view of an F backing or F view of a C one: one defect */
            add(&d, "order", sev, "a contiguous view in the order opposite to its backing's arrives "
                "in the backing's order");
        else
            add(&d, "order", sev, "a %s view of %s backing arrives %s", vname, f.backing, view_name(child));
    }
    if (BROKE(ML_INV_BACKING) || BROKE(ML_INV_OOB))
        add(&d, "bounds", ML_SEV_CORRUPT, "%s", special ? special : "a view of the mapping");
    if (BROKE(ML_INV_WRITEABLE))
        add(&d, "writeable", ML_SEV_REPRESENTATION, "a %s view arrives %s",
            r->parent.writeable ? "writeable" : "read-only", r->child.writeable ? "writeable" : "read-only");
    if (BROKE(ML_INV_FILE))
        add(&d, "rebuild", ML_SEV_CORRUPT, "%s", special ? special : c->mode == ML_MODE_WPLUS
                                                 ? "a view of a mapping opened w+" : "a view of the mapping");
    if (BROKE(ML_INV_WRITE))
        add(&d, "write", ML_SEV_CORRUPT, "writes through mode %s", ml_mode_name(c->mode));
    if (BROKE(ML_INV_SHAPE))
        add(&d, "shape", ML_SEV_CORRUPT, "a %s view of %s backing", vname, f.backing);
    if (BROKE(ML_INV_DTYPE)) {
        bool bo = ml_dtype_byteorder_only(r->parent.dtype, r->child.dtype);
        add(&d, "dtype", bo && !data ? ML_SEV_REPRESENTATION : ML_SEV_CORRUPT, "%s",
            bo ? "the byte order changes" : "the dtype changes");
    }
    /* Values that differ while layout, bounds, shape and dtype held are a
     * defect of their own; otherwise they are that defect's consequence. */
    bool explained = BROKE(ML_INV_FLAGS) || BROKE(ML_INV_STRIDES) || BROKE(ML_INV_BACKING) ||
                     BROKE(ML_INV_OOB) || BROKE(ML_INV_SHAPE) || BROKE(ML_INV_DTYPE);
    if (data && !explained) {
        if (special || f.copied)
            add(&d, "values", ML_SEV_CORRUPT, "%s", special ? special : "a copy made by a view op");
        else
            add(&d, "values", ML_SEV_CORRUPT, "a %s view", vname);
    }
    if (BROKE(ML_INV_MODEL))
        add(&d, "model", ML_SEV_LAYOUT, "NumPy's contiguity flags disagree with the layout model");
#undef BROKE
    qsort(out, (size_t)d.n, sizeof *out, by_severity);
    return d.n;
}

void ml_sig_from(const ml_case *c, const ml_result *r, const ml_verdict *v, ml_sig *out)
{
    ml_sig all[ML_SIG_MAX];
    int n = ml_sig_all(c, r, v, all);
    if (n) {
        *out = all[0];
        return;
    }
    memset(out, 0, sizeof *out);
    kind_of(c, v, out->kind, sizeof out->kind);
    ml_verdict_str(v, out->verdict, sizeof out->verdict);
    snprintf(out->transition, sizeof out->transition, "=");
    out->severity = ML_SEV_REPRESENTATION;
}

bool ml_sig_shows(const ml_case *c, const ml_result *r, const ml_verdict *v, const ml_sig *target)
{
    ml_sig all[ML_SIG_MAX];
    int n = ml_sig_all(c, r, v, all);
    for (int i = 0; i < n; i++)
        if (ml_sig_same_class(&all[i], target))
            return true;
    return false;
}

/* ---- structure ------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, n;
} sbuf;

static void put(sbuf *b, const char *fmt, const char *s, int i)
{
    if (b->n >= b->len)
        return;
    int w = s ? snprintf(b->buf + b->n, b->len - b->n, fmt, s, i)
              : snprintf(b->buf + b->n, b->len - b->n, fmt, i);
    if (w > 0)
        b->n += (size_t)w;
    if (b->n >= b->len)
        b->n = b->len - 1;
}

static const char *dtype_str(const ml_dtype *d, char tmp[8])
{
    return d->nfields ? "struct" : ml_scalar_str(&d->scalar, tmp);
}

/* What of an op steers a reducer: orders, step signs, dims of the result;
 * not sizes, positions or axis numbers. */
static void put_op(sbuf *b, const ml_case *c, int i)
{
    const ml_op *op = &c->ops[i];
    int64_t shape[ML_MAX_NDIM];
    int nd = ml_case_shape_after(c, i + 1, shape);
    char tmp[8];
    put(b, "%s", ml_op_name(op->kind), 0);
    switch (op->kind) {
    case ML_OP_RESHAPE:
        put(b, "(%s,%dd)", op->order == 'F' ? "F" : "C", nd);
        break;
    case ML_OP_RAVEL: {
        char o[2] = {op->order, 0};
        put(b, "(%s)", o, 0);
        break;
    }
    case ML_OP_SLICE:
        put(b, "(%s)", op->step == 1 ? "step 1" : op->step > 1 ? "step>1"
                       : op->step == -1 ? "step -1" : "step<-1", 0);
        break;
    case ML_OP_INDEX:
    case ML_OP_NEWAXIS:
    case ML_OP_SQUEEZE:
    case ML_OP_BROADCAST:
        put(b, "(%dd)", NULL, nd);
        break;
    case ML_OP_VIEW:
        put(b, "(%s)", dtype_str(&op->dtype, tmp), 0);
        break;
    default:
        break;
    }
}

const char *ml_sig_structure(const ml_case *c, char *buf, size_t len)
{
    sbuf b = {buf, len, 0};
    char tmp[8];
    if (!len)
        return buf;
    buf[0] = 0;
    put(&b, "%s", c->source == ML_SRC_NPY ? "npy" : "raw", 0);
    put(&b, " %dd", NULL, c->ndim);
    if (c->ndim >= 2)   /* the order of fewer dims changes nothing */
        put(&b, " %s", c->order == 'F' ? "F" : "C", 0);
    if (c->offset)
        put(&b, "%s", " +offset", 0);
    put(&b, " %s", ml_mode_name(c->mode), 0);
    put(&b, " %s", dtype_str(&c->dtype, tmp), 0);
    put(&b, "%s", ":", 0);
    if (!c->nops)
        put(&b, "%s", " no ops", 0);
    for (int i = 0; i < c->nops; i++) {
        put(&b, "%s", i ? ", " : " ", 0);
        put_op(&b, c, i);
    }
    return buf;
}

/* ---- comparing and naming -------------------------------------------------- */

bool ml_sig_same_class(const ml_sig *a, const ml_sig *b)
{
    return strcmp(a->kind, b->kind) == 0 && strcmp(a->aspect, b->aspect) == 0 &&
           strcmp(a->cause, b->cause) == 0;
}

bool ml_sig_equal(const ml_sig *a, const ml_sig *b)
{
    return ml_sig_same_class(a, b) && strcmp(a->structure, b->structure) == 0;
}

const char *ml_sig_str(const ml_sig *s, char *buf, size_t len)
{
    const char *what = s->aspect[0] ? s->aspect : s->verdict;
    const char *cause = s->aspect[0] ? s->cause : "";
    if (s->structure[0])
        snprintf(buf, len, "%s %s: %s | %s", s->kind, what, cause, s->structure);
    else
        snprintf(buf, len, "%s %s: %s", s->kind, what, cause);
    return buf;
}

static uint32_t fnv(uint32_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    h ^= '|';   /* parts are separated, so "ab"+"c" differs from "a"+"bc" */
    return h * 16777619u;
}

const char *ml_sig_id(const ml_sig *s, bool with_structure, char out[9])
{
    uint32_t h = 2166136261u;
    h = fnv(h, s->kind);
    h = fnv(h, s->aspect);
    h = fnv(h, s->cause);
    if (with_structure)
        h = fnv(h, s->structure);
    snprintf(out, 9, "%08x", h);
    return out;
}

/* ---- the sentence ----------------------------------------------------------- */

/* What the defect does to a user, by aspect and severity. */
static const char *consequence(const ml_sig *s)
{
    const char *a = s->aspect;
    bool corrupt = s->severity == ML_SEV_CORRUPT;
    if (!strcmp(a, "order"))
        return corrupt ? "the worker computes on scrambled values" : "same values, other strides";
    if (!strcmp(a, "bounds"))
        return "the worker's view starts elsewhere in the file or leaves the mapping";
    if (!strcmp(a, "rebuild"))
        return corrupt ? "rebuilding it in the worker changes the user's file (or fails)"
                       : "the worker cannot rebuild it";
    if (!strcmp(a, "writeable"))
        return "same values, other writeability";
    if (!strcmp(a, "dtype"))
        return corrupt ? "the worker reads other values" : "same values, other byte order";
    if (!strcmp(a, "values") || !strcmp(a, "shape"))
        return "the worker sees other values";
    if (!strcmp(a, "write"))
        return "writes are lost or leak into the user's file";
    if (!strcmp(a, "crash"))
        return "the case takes a process down";
    if (!strcmp(a, "model"))
        return "memlayout's layout model or NumPy's flags are wrong";
    return "the transport raises";
}

const char *ml_sig_summary(const ml_sig *s, char *buf, size_t len)
{
    const char *family = strchr(s->kind, '/');
    snprintf(buf, len, "%s: %s; %s", family ? family + 1 : s->kind, s->aspect[0] ? s->cause : s->verdict,
             consequence(s));
    return buf;
}


/* Signatures of findings: see signature.h. */
#include "signature.h"

#include <stdio.h>
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

void ml_sig_from(const ml_case *c, const ml_result *r, const ml_verdict *v, ml_sig *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->kind, sizeof out->kind, "%s/%s", class_name(v->tclass),
             ml_sig_family(c->transport));
    ml_verdict_str(v, out->verdict, sizeof out->verdict);
    /* The flags are part of the bug only when they are what broke: an
     * unchanged or an allowed change (a copy made C-contiguous) is "=". */
    if (v->kind == ML_V_FAIL && (v->fails & (1u << ML_INV_FLAGS)))
        snprintf(out->transition, sizeof out->transition, "%s>%s", ml_sig_flags(&r->parent),
                 ml_sig_flags(&r->child));
    else
        snprintf(out->transition, sizeof out->transition, "=");
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

/* The verdict as the class sees it: when the layout itself broke (flags,
 * strides, backing, oob), "data" is its consequence, and whether the values
 * happen to match (two booleans in a small array) must not split the bug. */
static void class_verdict(const char *v, char *out, size_t len)
{
    snprintf(out, len, "%s", v);
    if (strncmp(v, "fail:", 5) != 0)
        return;
    static const char *const layout[] = {"flags", "strides", "backing", "oob"};
    bool broke = false;
    char tmp[160];
    snprintf(tmp, sizeof tmp, ",%s,", v + 5);
    for (size_t i = 0; i < sizeof layout / sizeof *layout; i++) {
        char tok[16];
        snprintf(tok, sizeof tok, ",%s,", layout[i]);
        broke |= strstr(tmp, tok) != NULL;
    }
    char *d = strstr(tmp, ",data,");
    if (!broke || !d)
        return;
    memmove(d, d + 5, strlen(d + 5) + 1);   /* ",data,x," -> ",x," */
    tmp[strlen(tmp) - 1] = 0;
    snprintf(out, len, "fail:%.100s", tmp + 1);
}

bool ml_sig_same_class(const ml_sig *a, const ml_sig *b)
{
    char va[sizeof a->verdict], vb[sizeof b->verdict];
    class_verdict(a->verdict, va, sizeof va);
    class_verdict(b->verdict, vb, sizeof vb);
    return strcmp(a->kind, b->kind) == 0 && strcmp(va, vb) == 0 &&
           strcmp(a->transition, b->transition) == 0;
}

bool ml_sig_equal(const ml_sig *a, const ml_sig *b)
{
    return ml_sig_same_class(a, b) && strcmp(a->structure, b->structure) == 0;
}

const char *ml_sig_str(const ml_sig *s, char *buf, size_t len)
{
    if (s->structure[0])
        snprintf(buf, len, "%s %s %s | %s", s->kind, s->verdict, s->transition, s->structure);
    else
        snprintf(buf, len, "%s %s %s", s->kind, s->verdict, s->transition);
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
    char v[sizeof s->verdict];
    class_verdict(s->verdict, v, sizeof v);
    h = fnv(h, s->kind);
    h = fnv(h, v);
    h = fnv(h, s->transition);
    if (with_structure)
        h = fnv(h, s->structure);
    snprintf(out, 9, "%08x", h);
    return out;
}

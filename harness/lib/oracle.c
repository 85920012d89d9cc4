/* memlayout oracle: read the runner's observation (docs/observation.md) and
 * judge it against the invariants of docs/oracle.md.
 *
 * The parser is strict about every key the oracle reads (missing, mistyped or
 * out-of-range values are errors, reported as "<json path>: <reason>") and
 * ignores keys it does not read, so the runner can add diagnostics without
 * breaking old oracles while a misspelt key still shows up as a missing one.
 * It sees runner output that a fuzzer or a dying process may have mangled,
 * so it never trusts a length or a type. */
#include "oracle.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "layout.h"

/* ---- parsing ---------------------------------------------------------- */

typedef struct {
    char *err;
    size_t errlen;
} perr;

/* Largest magnitude a JSON number (a double in cJSON) holds exactly. */
#define EXACT_INT 9007199254740992.0

static bool fail(perr *e, const char *path, const char *fmt, ...)
{
    if (!e->err || e->errlen == 0)
        return false;
    int n = snprintf(e->err, e->errlen, "%s: ", path);
    if (n >= 0 && (size_t)n < e->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->err + n, e->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Paths are short; a cut one is still a useful message. */
static void join(char *out, size_t n, const char *path, const char *key)
{
    if (snprintf(out, n, "%s%s%s", path, *path ? "." : "", key) < 0)
        out[0] = '\0';
}

/* The member, or NULL (error set) when it is absent. */
static const cJSON *need(perr *e, const cJSON *obj, const char *path, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        char p[128];
        join(p, sizeof p, path, key);
        fail(e, p, "missing");
    }
    return v;
}

/* An integer of the protocol: a JSON number while it is exact as a double,
 * a string of decimal digits beyond (docs/observation.md: the runner writes
 * strides and offsets past 2^53 that way, so they travel exactly). */
static bool as_int(const cJSON *v, int64_t *out)
{
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring, *d = s + (*s == '-');
        char *end;
        if (!*d || strspn(d, "0123456789") != strlen(d))
            return false;
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (errno || *end)
            return false;
        *out = x;
        return true;
    }
    if (!cJSON_IsNumber(v))
        return false;
    double d = v->valuedouble;
    /* the range test comes first: casting an out-of-range double is UB */
    if (!(d >= -EXACT_INT && d <= EXACT_INT) || d != floor(d))
        return false;
    *out = (int64_t)d;
    return true;
}

static bool get_int(perr *e, const cJSON *obj, const char *path, const char *key,
                    int64_t min, int64_t *out)
{
    char p[128];
    const cJSON *v = need(e, obj, path, key);
    if (!v)
        return false;
    join(p, sizeof p, path, key);
    if (!as_int(v, out))
        return fail(e, p, "must be an integer");
    if (*out < min)
        return fail(e, p, "must be >= %lld", (long long)min);
    return true;
}

static bool get_bool(perr *e, const cJSON *obj, const char *path, const char *key, bool *out)
{
    char p[128];
    const cJSON *v = need(e, obj, path, key);
    if (!v)
        return false;
    if (!cJSON_IsBool(v)) {
        join(p, sizeof p, path, key);
        return fail(e, p, "must be true or false");
    }
    *out = cJSON_IsTrue(v);
    return true;
}

/* A string that must fit buf whole: a cut dtype or file name would compare
 * equal to another one. */
static bool get_str(perr *e, const cJSON *obj, const char *path, const char *key,
                    char *buf, size_t size)
{
    char p[128];
    const cJSON *v = need(e, obj, path, key);
    if (!v)
        return false;
    join(p, sizeof p, path, key);
    if (!cJSON_IsString(v) || !v->valuestring)
        return fail(e, p, "must be a string");
    size_t n = strlen(v->valuestring);
    if (n == 0)
        return fail(e, p, "must not be empty");
    if (n >= size)
        return fail(e, p, "longer than %zu characters", size - 1);
    memcpy(buf, v->valuestring, n + 1);
    return true;
}

/* Hex digests are compared as strings, so they are kept in lower case. */
static bool copy_hex(perr *e, const cJSON *v, const char *p, char *buf, size_t size, bool cut)
{
    if (!cJSON_IsString(v) || !v->valuestring)
        return fail(e, p, "must be a hex string");
    const char *s = v->valuestring;
    size_t n = strlen(s);
    if (n == 0)
        return fail(e, p, "must not be empty");
    if (n >= size && !cut)
        return fail(e, p, "longer than %zu characters", size - 1);
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return fail(e, p, "must be a hex string");
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)s[i]);
    buf[n] = '\0';
    return true;
}

static bool get_hex(perr *e, const cJSON *obj, const char *path, const char *key,
                    char *buf, size_t size)
{
    char p[128];
    const cJSON *v = need(e, obj, path, key);
    if (!v)
        return false;
    join(p, sizeof p, path, key);
    return copy_hex(e, v, p, buf, size, false);
}

static bool get_dims(perr *e, const cJSON *obj, const char *path, const char *key,
                     int64_t min, int64_t *out, int *n)
{
    char p[128];
    const cJSON *v = need(e, obj, path, key);
    if (!v)
        return false;
    join(p, sizeof p, path, key);
    if (!cJSON_IsArray(v))
        return fail(e, p, "must be an array of integers");
    int i = 0;
    for (const cJSON *x = v->child; x; x = x->next, i++) {
        char q[160];
        if (i == ML_MAX_NDIM)
            return fail(e, p, "more than %d dims", ML_MAX_NDIM);
        snprintf(q, sizeof q, "%s[%d]", p, i);
        if (!as_int(x, &out[i]))
            return fail(e, q, "must be an integer");
        if (out[i] < min)
            return fail(e, q, "must be >= %lld", (long long)min);
    }
    *n = i;
    return true;
}

/* An object member that may be null (or, when !required, absent): *out is
 * NULL then. False (error set) when it is something else. */
static bool get_object_or_null(perr *e, const cJSON *obj, const char *path, const char *key,
                               bool required, const cJSON **out)
{
    char p[128];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v) {
        if (!required)
            return true;
        join(p, sizeof p, path, key);
        return fail(e, p, "missing");
    }
    if (cJSON_IsNull(v))
        return true;
    if (!cJSON_IsObject(v)) {
        join(p, sizeof p, path, key);
        return fail(e, p, "must be an object or null");
    }
    *out = v;
    return true;
}

static bool parse_backing(perr *e, const cJSON *v, const char *path, ml_obs *o)
{
    static const char *const modes[] = {"r", "r+", "c", "w+"};
    if (!get_str(e, v, path, "file", o->file, sizeof o->file) ||
        !get_str(e, v, path, "mode", o->mode, sizeof o->mode) ||
        !get_int(e, v, path, "offset", 0, &o->offset) ||
        !get_int(e, v, path, "first", INT64_MIN, &o->first) ||
        !get_int(e, v, path, "lo", INT64_MIN, &o->lo) ||
        !get_int(e, v, path, "hi", INT64_MIN, &o->hi) ||
        !get_int(e, v, path, "len", 0, &o->len))
        return false;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(o->mode, modes[i]) == 0)
            return true;
    char p[128];
    join(p, sizeof p, path, "mode");
    return fail(e, p, "must be \"r\", \"r+\", \"c\" or \"w+\"");
}

static bool parse_head(perr *e, const cJSON *v, const char *path, ml_obs *o)
{
    char p[128], q[160];
    join(p, sizeof p, path, "head");
    if (!cJSON_IsArray(v))
        return fail(e, p, "must be an array of hex strings");
    o->nhead = 0;
    for (const cJSON *x = v->child; x; x = x->next) {
        if (o->nhead == 8)
            return fail(e, p, "more than 8 elements");
        snprintf(q, sizeof q, "%s[%d]", p, o->nhead);
        /* long items are cut: head is shown to people, never compared */
        if (!copy_hex(e, x, q, o->head[o->nhead], sizeof o->head[0], true))
            return false;
        o->nhead++;
    }
    return true;
}

static bool parse_values(perr *e, const cJSON *v, const char *path, ml_obs *o)
{
    char p[128];
    join(p, sizeof p, path, "values");
    if (!cJSON_IsArray(v))
        return fail(e, p, "must be an array of strings");
    o->nvalues = 0;
    for (const cJSON *x = v->child; x; x = x->next) {
        if (o->nvalues == 8)
            return fail(e, p, "more than 8 elements");
        if (!cJSON_IsString(x))
            return fail(e, p, "must be an array of strings");
        /* cut, and kept printable: values are shown to people, never compared */
        char *d = o->values[o->nvalues++];
        size_t k = 0;
        for (const unsigned char *c = (const unsigned char *)x->valuestring; *c && k + 1 < sizeof o->values[0]; c++)
            d[k++] = *c >= 0x20 && *c < 0x7f ? (char)*c : '?';
        d[k] = 0;
    }
    return true;
}

static bool parse_obs(perr *e, const cJSON *v, const char *path, ml_obs *o)
{
    char p[128];
    const cJSON *flags, *backing, *hash, *head;
    int nstrides = 0;

    memset(o, 0, sizeof *o);
    if (!cJSON_IsObject(v))
        return fail(e, path, "must be an object");
    if (!get_str(e, v, path, "type", o->type, sizeof o->type) ||
        !get_dims(e, v, path, "shape", 0, o->shape, &o->ndim) ||
        !get_dims(e, v, path, "strides", INT64_MIN, o->strides, &nstrides))
        return false;
    if (nstrides != o->ndim) {
        join(p, sizeof p, path, "strides");
        return fail(e, p, "%d strides for %d dims", nstrides, o->ndim);
    }
    if (!get_str(e, v, path, "dtype", o->dtype, sizeof o->dtype) ||
        !get_int(e, v, path, "itemsize", 1, &o->itemsize))
        return false;

    join(p, sizeof p, path, "flags");
    if (!(flags = need(e, v, path, "flags")))
        return false;
    if (!cJSON_IsObject(flags))
        return fail(e, p, "must be an object");
    if (!get_bool(e, flags, p, "c", &o->c) || !get_bool(e, flags, p, "f", &o->f) ||
        !get_bool(e, flags, p, "writeable", &o->writeable) ||
        !get_bool(e, flags, p, "aligned", &o->aligned) ||
        !get_bool(e, flags, p, "owndata", &o->owndata))
        return false;

    if (!get_object_or_null(e, v, path, "backing", true, &backing))
        return false;
    if (backing) {
        join(p, sizeof p, path, "backing");
        if (!parse_backing(e, backing, p, o))
            return false;
        o->backed = true;
    }

    if (!(hash = need(e, v, path, "hash")))
        return false;
    if (!cJSON_IsNull(hash)) {
        join(p, sizeof p, path, "hash");
        if (!copy_hex(e, hash, p, o->hash, sizeof o->hash, false))
            return false;
        o->has_hash = true;
    }

    const cJSON *vhash = cJSON_GetObjectItemCaseSensitive(v, "vhash");
    if (vhash && !cJSON_IsNull(vhash)) {
        join(p, sizeof p, path, "vhash");
        if (!copy_hex(e, vhash, p, o->vhash, sizeof o->vhash, false))
            return false;
        o->has_vhash = true;
    }

    head = cJSON_GetObjectItemCaseSensitive(v, "head");
    if (head && !cJSON_IsNull(head) && !parse_head(e, head, path, o))
        return false;
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(v, "values");
    if (values && !cJSON_IsNull(values) && !parse_values(e, values, path, o))
        return false;
    o->present = true;
    return true;
}

static bool parse_file(perr *e, const cJSON *v, ml_result *r)
{
    if (!get_int(e, v, "file", "size_before", 0, &r->size_before) ||
        !get_int(e, v, "file", "size_after", 0, &r->size_after) ||
        !get_hex(e, v, "file", "hash_before", r->hash_before, sizeof r->hash_before) ||
        !get_hex(e, v, "file", "hash_after", r->hash_after, sizeof r->hash_after))
        return false;
    r->first_change = r->changed_bytes = -1;
    const cJSON *fc = cJSON_GetObjectItemCaseSensitive(v, "first_change");
    if (fc && !cJSON_IsNull(fc) &&
        (!get_int(e, v, "file", "first_change", 0, &r->first_change) ||
         !get_int(e, v, "file", "changed_bytes", 0, &r->changed_bytes)))
        return false;
    r->has_file = true;
    return true;
}

/* The error kinds of a verdict: the runner reports the first four, the
 * supervisor writes the others in the same format for cases it lost. */
static const char *const error_kinds[] = {
    "build", "send", "rebuild", "worker", "crash", "timeout", "protocol",
};

static bool parse_status(perr *e, const cJSON *root, ml_result *r)
{
    const cJSON *v = need(e, root, "", "status");
    if (!v)
        return false;
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    if (s && strcmp(s, "ok") == 0)
        r->status = ML_RES_OK;
    else if (s && strcmp(s, "invalid") == 0)
        r->status = ML_RES_INVALID;
    else if (s && strcmp(s, "error") == 0)
        r->status = ML_RES_ERROR;
    else
        return fail(e, "status", "must be \"ok\", \"invalid\" or \"error\"");

    v = cJSON_GetObjectItemCaseSensitive(root, "message");
    if (r->status != ML_RES_OK && !v)
        return fail(e, "message", "missing");
    if (v && !cJSON_IsNull(v)) {
        if (!cJSON_IsString(v) || !v->valuestring)
            return fail(e, "message", "must be a string");
        /* only shown to people: a long one is cut, not refused */
        snprintf(r->message, sizeof r->message, "%s", v->valuestring);
    }

    if (r->status == ML_RES_ERROR) {
        if (!(v = need(e, root, "", "error_kind")))
            return false;
        for (size_t i = 0; cJSON_IsString(v) && i < sizeof error_kinds / sizeof error_kinds[0]; i++)
            if (strcmp(v->valuestring, error_kinds[i]) == 0) {
                snprintf(r->error_kind, sizeof r->error_kind, "%s", error_kinds[i]);
                return true;
            }
        return fail(e, "error_kind", "must be one of build, send, rebuild, worker, crash, timeout, protocol");
    }
    return true;
}

static bool parse_result(perr *e, const cJSON *root, ml_result *r)
{
    const cJSON *v;
    bool ok;

    if (!cJSON_IsObject(root))
        return fail(e, "observation", "must be a JSON object");
    if (!parse_status(e, root, r))
        return false;
    ok = r->status == ML_RES_OK;

    /* seconds: the supervisor's own error lines have none */
    v = cJSON_GetObjectItemCaseSensitive(root, "seconds");
    if (ok && !v)
        return fail(e, "seconds", "missing");
    if (v) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1e12))
            return fail(e, "seconds", "must be a number >= 0");
        r->seconds = v->valuedouble;
    }

    /* An ok answer carries everything; an error one may hold what was
     * observed before it failed. */
    if (!get_object_or_null(e, root, "", "parent", ok, &v))
        return false;
    if (ok && !v)
        return fail(e, "parent", "must be an object");
    if (v && !parse_obs(e, v, "parent", &r->parent))
        return false;

    if (!get_object_or_null(e, root, "", "child", ok, &v))
        return false;
    if (ok && !v)
        return fail(e, "child", "must be an object");
    if (v && !parse_obs(e, v, "child", &r->child))
        return false;

    if (!get_object_or_null(e, root, "", "write", ok, &v))
        return false;
    if (v) {
        if (!get_bool(e, v, "write", "parent_sees", &r->parent_sees))
            return false;
        r->write_tried = true;
    }

    if (!get_object_or_null(e, root, "", "file", ok, &v))
        return false;
    if (ok && !v)
        return fail(e, "file", "must be an object");
    if (v && !parse_file(e, v, r))
        return false;
    return true;
}

bool ml_result_parse(const char *json, size_t len, ml_result *out, char *err, size_t errlen)
{
    perr e = {err, errlen};
    const char *end = NULL;

    if (err && errlen)
        err[0] = '\0';
    memset(out, 0, sizeof *out);
    out->first_change = out->changed_bytes = -1;
    if (!json)
        return fail(&e, "observation", "no input");

    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (!root) {
        /* cJSON points end at the error on failure */
        size_t off = end && end >= json && end <= json + len ? (size_t)(end - json) : len;
        return fail(&e, "observation", "invalid JSON near byte %zu", off);
    }
    bool ok = true;
    for (const char *p = end; ok && p < json + len; p++)
        if (!isspace((unsigned char)*p))
            ok = fail(&e, "observation", "trailing characters at byte %zu", (size_t)(p - json));
    ok = ok && parse_result(&e, root, out);
    cJSON_Delete(root);
    if (!ok) {
        /* a half-filled result must not be judged by mistake */
        memset(out, 0, sizeof *out);
        out->status = ML_RES_ERROR;
        snprintf(out->error_kind, sizeof out->error_kind, "protocol");
    }
    return ok;
}

/* ---- judging ---------------------------------------------------------- */

static bool same_shape(const ml_obs *a, const ml_obs *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return false;
    return true;
}

/* Strides matter only on axes that are stepped along; judged on the parent's
 * shape, since a differing shape is already a shape failure. */
static bool same_strides(const ml_obs *p, const ml_obs *c)
{
    return p->ndim == c->ndim && ml_layout_strides_equivalent(p->ndim, p->shape, p->strides, c->strides);
}

static bool model_agrees(const ml_obs *o)
{
    return ml_layout_c_contiguous(o->ndim, o->shape, o->strides, o->itemsize) == o->c &&
           ml_layout_f_contiguous(o->ndim, o->shape, o->strides, o->itemsize) == o->f;
}

/* A child of a w+ memmap is opened r+: the file exists by then, and w+ would
 * truncate it. */
static bool same_mode(const char *a, const char *b)
{
    if (strcmp(a, "w+") == 0)
        a = "r+";
    if (strcmp(b, "w+") == 0)
        b = "r+";
    return strcmp(a, b) == 0;
}

static bool out_of_bounds(const ml_obs *o)
{
    return o->backed && (o->lo < 0 || o->hi > o->len);
}

/* Values compare in native byte order: a copy that swapped the byte order
 * (">f8" sent, "<f8" received) keeps the values; its dtype differs. */
static bool same_values(const ml_obs *p, const ml_obs *ch)
{
    if (!p->has_hash || !ch->has_hash)
        return false;
    const char *a = p->has_vhash ? p->vhash : p->hash, *b = ch->has_vhash ? ch->vhash : ch->hash;
    return strcmp(a, b) == 0;
}

static ml_tclass judged_class(const ml_case *c, const ml_result *r)
{
    ml_tclass k = ml_transport_class(c->transport);
    /* A view op that copied left nothing to share: joblib pickles the copy. */
    if (k == ML_CLASS_SHARE && r->parent.present && !r->parent.backed)
        return ML_CLASS_COPY;
    return k;
}

static void set_error(ml_verdict *v, const char *kind)
{
    v->kind = ML_V_ERROR;
    snprintf(v->error_kind, sizeof v->error_kind, "%s", kind && *kind ? kind : "protocol");
}

ml_verdict ml_oracle_judge(const ml_case *c, const ml_result *r)
{
    ml_verdict v;
    memset(&v, 0, sizeof v);
    v.tclass = judged_class(c, r);

    if (r->status == ML_RES_INVALID) {
        v.kind = ML_V_INVALID;
        return v;
    }
    if (r->status == ML_RES_ERROR) {
        set_error(&v, r->error_kind);
        return v;
    }
    if (r->status != ML_RES_OK || !r->parent.present || !r->child.present || !r->has_file) {
        set_error(&v, "protocol");
        return v;
    }

    const ml_obs *p = &r->parent, *ch = &r->child;
    bool copy = v.tclass == ML_CLASS_COPY, share = v.tclass == ML_CLASS_SHARE;
    bool shared_map = c->mode == ML_MODE_RPLUS || c->mode == ML_MODE_WPLUS;
    bool oob = share && out_of_bounds(ch);
    uint32_t f = 0;
#define FAIL(inv) (f |= 1u << (inv))

    if (!same_shape(p, ch))
        FAIL(ML_INV_SHAPE);
    if (strcmp(p->dtype, ch->dtype) != 0)
        FAIL(ML_INV_DTYPE);
    /* An unread child is the oob failure; a missing hash without one means
     * the runner skipped the comparison, which must not pass silently. */
    if (!oob && !same_values(p, ch))
        FAIL(ML_INV_DATA);

    if (copy) {
        /* what ndarray.__reduce__ promises: the order is kept, not the strides */
        if ((p->c && !ch->c) || (p->f && !ch->f))
            FAIL(ML_INV_FLAGS);
    } else {
        if (p->c != ch->c || p->f != ch->f || p->aligned != ch->aligned)
            FAIL(ML_INV_FLAGS);
        if (!same_strides(p, ch))
            FAIL(ML_INV_STRIDES);
        /* A copy made by a view op is the process's own memory and writeable
         * whatever the mode; only a view of the file must stay read-only. */
        if (p->writeable != ch->writeable || (c->mode == ML_MODE_R && p->backed && ch->writeable))
            FAIL(ML_INV_WRITEABLE);
    }

    if (share) {
        if (!ch->backed || strcmp(p->file, ch->file) != 0 || p->first != ch->first ||
            !same_mode(p->mode, ch->mode))
            FAIL(ML_INV_BACKING);
        if (oob)
            FAIL(ML_INV_OOB);
        if (r->write_tried && r->parent_sees != shared_map)
            FAIL(ML_INV_WRITE);
    }

    if (r->size_before != r->size_after ||
        (!shared_map && strcmp(r->hash_before, r->hash_after) != 0))
        FAIL(ML_INV_FILE);
    if (!model_agrees(p) || !model_agrees(ch))
        FAIL(ML_INV_MODEL);
#undef FAIL

    v.fails = f;
    v.kind = f ? ML_V_FAIL : ML_V_PASS;
    return v;
}

/* ---- names ------------------------------------------------------------ */

static const char *const inv_names[ML_INV_COUNT] = {
    [ML_INV_SHAPE] = "shape",         [ML_INV_DTYPE] = "dtype",
    [ML_INV_DATA] = "data",           [ML_INV_FLAGS] = "flags",
    [ML_INV_STRIDES] = "strides",     [ML_INV_WRITEABLE] = "writeable",
    [ML_INV_BACKING] = "backing",     [ML_INV_OOB] = "oob",
    [ML_INV_WRITE] = "write",         [ML_INV_FILE] = "file",
    [ML_INV_MODEL] = "model",
};

const char *ml_invariant_name(ml_invariant i)
{
    return (unsigned)i < ML_INV_COUNT ? inv_names[i] : "?";
}

static const char *const vkind_names[] = {
    [ML_V_PASS] = "pass", [ML_V_FAIL] = "fail", [ML_V_ERROR] = "error", [ML_V_INVALID] = "invalid",
};

const char *ml_vkind_name(ml_vkind k)
{
    return (unsigned)k <= ML_V_INVALID ? vkind_names[k] : "?";
}

bool ml_vkind_of(const char *verdict, ml_vkind *k)
{
    for (int i = 0; verdict && i <= ML_V_INVALID; i++) {
        size_t n = strlen(vkind_names[i]);
        bool detail = i == ML_V_FAIL || i == ML_V_ERROR;   /* "fail:data", "error:crash" */
        if (!strncmp(verdict, vkind_names[i], n) && (!verdict[n] || (detail && verdict[n] == ':'))) {
            *k = (ml_vkind)i;
            return true;
        }
    }
    return false;
}

const char *ml_verdict_str(const ml_verdict *v, char *buf, size_t len)
{
    if (!buf || len == 0)
        return "";
    switch (v->kind) {
    case ML_V_PASS:
    case ML_V_INVALID:
        snprintf(buf, len, "%s", vkind_names[v->kind]);
        break;
    case ML_V_ERROR:
        snprintf(buf, len, "error:%s", v->error_kind[0] ? v->error_kind : "protocol");
        break;
    case ML_V_FAIL: {
        size_t n = (size_t)snprintf(buf, len, "fail:");
        const char *sep = "";
        for (int i = 0; i < ML_INV_COUNT && n < len; i++) {
            if (!(v->fails & (1u << i)))
                continue;
            n += (size_t)snprintf(buf + n, len - n, "%s%s", sep, inv_names[i]);
            sep = ",";
        }
        break;
    }
    default:
        snprintf(buf, len, "?");
        break;
    }
    return buf;
}

/* ---- describing what changed ---------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, n;
} dbuf;

static void out(dbuf *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out(dbuf *d, const char *fmt, ...)
{
    if (d->n + 1 >= d->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(d->buf + d->n, d->len - d->n, fmt, ap);
    va_end(ap);
    if (w > 0)
        d->n += (size_t)w;
    if (d->n >= d->len)
        d->n = d->len - 1;
}

static void dims(dbuf *d, const int64_t *v, int n)
{
    out(d, "(");
    for (int i = 0; i < n; i++)
        out(d, "%s%lld", i ? ", " : "", (long long)v[i]);
    out(d, "%s)", n == 1 ? "," : "");
}

static void layout_line(dbuf *d, const char *who, const ml_obs *o)
{
    if (!o->present) {
        out(d, "%-7s not observed\n", who);
        return;
    }
    const char *fl = o->c && o->f ? "C- and F-contiguous" : o->c ? "C-contiguous" : o->f ? "F-contiguous"
                                                                             : "non-contiguous";
    out(d, "%-7s %s %s, shape ", who, o->dtype, fl);
    dims(d, o->shape, o->ndim);
    out(d, ", strides ");
    dims(d, o->strides, o->ndim);
    out(d, ", %s", o->writeable ? "writeable" : "read-only");
    if (o->nvalues) {
        out(d, ", values");
        for (int i = 0; i < o->nvalues; i++)
            out(d, " %s", o->values[i]);
        out(d, " ...");
    }
    out(d, "\n");
}

bool ml_dtype_byteorder_only(const char *a, const char *b)
{
    if (strlen(a) != strlen(b) || !strcmp(a, b))
        return false;
    for (; *a; a++, b++)
        if (*a != *b && !(strchr("<>=|", *a) && strchr("<>=|", *b)))
            return false;
    return true;
}

const char *ml_result_describe(const ml_result *r, const ml_verdict *v, char *buf, size_t len)
{
    dbuf d = {buf, len, 0};
    if (!len)
        return buf;
    buf[0] = 0;
    const ml_obs *p = &r->parent, *ch = &r->child;
    layout_line(&d, "parent", p);
    layout_line(&d, "worker", ch);
    if (v->kind == ML_V_ERROR) {
        out(&d, "error:%s: %s\n", v->error_kind, r->message[0] ? r->message : "(no message)");
    } else if (v->fails & (1u << ML_INV_OOB)) {
        out(&d, "values not read: the worker's view covers bytes [%lld, %lld) of a mapping of %lld bytes "
                "(its element [0,...] at file offset %lld); the parent's covers [%lld, %lld) of %lld "
                "(at offset %lld)\n",
            (long long)ch->lo, (long long)ch->hi, (long long)ch->len, (long long)ch->first, (long long)p->lo,
            (long long)p->hi, (long long)p->len, (long long)p->first);
    } else if (v->fails & (1u << ML_INV_DATA)) {
        out(&d, "values differ\n");
    } else if (ml_dtype_byteorder_only(p->dtype, ch->dtype)) {
        out(&d, "values equal; only the byte order differs (%s sent, %s received)\n", p->dtype, ch->dtype);
    } else if (v->kind != ML_V_INVALID) {
        out(&d, "values equal\n");
    }
    if ((v->fails & (1u << ML_INV_BACKING)) && !(v->fails & (1u << ML_INV_OOB)) && p->backed && ch->backed)
        out(&d, "the worker's element [0,...] is at file offset %lld, the parent's at %lld\n",
            (long long)ch->first, (long long)p->first);
    if (r->has_file && (v->fails & (1u << ML_INV_FILE))) {
        out(&d, "the user's file changed: %lld bytes before, %lld after", (long long)r->size_before,
            (long long)r->size_after);
        if (r->changed_bytes > 0 && r->first_change >= 0)
            out(&d, "; %lld byte%s changed from offset %lld", (long long)r->changed_bytes,
                r->changed_bytes == 1 ? "" : "s", (long long)r->first_change);
        out(&d, "\n");
    }
    return buf;
}


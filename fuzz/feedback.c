/* Feedback from where the logic lives. The code that decides a layout is
 * Python (joblib's reducers, numpy.memmap), which C edge coverage cannot see,
 * so every judged case is also described by layout features, and (pytrace.c)
 * by the Python arcs it ran. Both are hashed into slots:
 *
 *   libFuzzer (MLF_ENGINE_LIBFUZZER): an __libfuzzer_extra_counters section;
 *     libFuzzer clears it before each input and reads it as features after.
 *   AFL++ (MLF_ENGINE_AFL): AFL++ 4.04c ignores that section, so the slots are
 *     registered as ordinary trace-pc-guard edges with its runtime
 *     (__sanitizer_cov_trace_pc_guard_init) and hit through its own
 *     __sanitizer_cov_trace_pc_guard: real edges in its coverage map.
 *   neither (replay, other engines): counted for the statistics only. */
#include "fuzz.h"
#include "layout.h"

#include <string.h>

#define SLOTS (MLF_LAYOUT_SLOTS + MLF_PY_SLOTS)

#if defined(MLF_ENGINE_LIBFUZZER)
__attribute__((section("__libfuzzer_extra_counters"), used)) static uint8_t counters[SLOTS];
static void engine_hit(uint32_t slot)
{
    if (counters[slot] < 255)
        counters[slot]++;
}
/* libFuzzer's inline counters cannot be paused: the first input showing a
 * finding is credited with the minimizer's coverage, once per finding. */
static void engine_pause(bool on)
{
    (void)on;
}
#elif defined(MLF_ENGINE_AFL)
void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop);
void __sanitizer_cov_trace_pc_guard(uint32_t *guard);
static uint32_t guards[SLOTS];
/* Registered with the instrumented modules' own guards, before AFL++'s
 * runtime sizes its map (constructor priority 5 and up): otherwise the map
 * the fork server reports would not include these slots. Priorities below
 * 101 are reserved to the implementation, which this stands in for. */
__attribute__((constructor(1))) static void register_guards(void)
{
    __sanitizer_cov_trace_pc_guard_init(guards, guards + SLOTS);
}
static void engine_hit(uint32_t slot)
{
    __sanitizer_cov_trace_pc_guard(&guards[slot]);
}
/* While a finding is stored, AFL++'s map is swapped for
 * scratch memory (afl_map.c, built without AFL++'s instrumentation, which
 * declares the map pointer in every module it touches). */
void mlf_afl_pause(bool on);
static void engine_pause(bool on)
{
    mlf_afl_pause(on);
}
#else
static void engine_hit(uint32_t slot)
{
    (void)slot;
}
static void engine_pause(bool on)
{
    (void)on;
}
#endif

static uint8_t seen[SLOTS / 8];
static uint64_t seen_layout, seen_arcs;
static bool suspended;

static void hit(uint32_t slot, bool fed)
{
    if (suspended)
        return;
    if (!(seen[slot / 8] & (1u << (slot % 8)))) {
        seen[slot / 8] |= (uint8_t)(1u << (slot % 8));
        if (slot < MLF_LAYOUT_SLOTS)
            seen_layout++;
        else
            seen_arcs++;
    }
    if (fed)
        engine_hit(slot);
}

void mlf_feedback_suspend(bool on)
{
    suspended = on;
    engine_pause(on);
}

void mlf_feedback_counts(uint64_t *layout, uint64_t *arcs)
{
    *layout = seen_layout;
    *arcs = seen_arcs;
}

void mlf_feedback_arc(uint32_t h)
{
    hit(MLF_LAYOUT_SLOTS + h % MLF_PY_SLOTS, (mlf_cfg()->feedback & MLF_FB_PYTHON) != 0);
}

/* A feature is a tag and a few small values, hashed (FNV-1a) to a slot. */
static void feature(int tag, int64_t a, int64_t b, int64_t c)
{
    uint64_t h = 1469598103934665603ull;
    int64_t v[4] = {tag, a, b, c};
    for (int i = 0; i < 4; i++) {
        h ^= (uint64_t)v[i];
        h *= 1099511628211ull;
    }
    hit((uint32_t)((h ^ (h >> 29)) % MLF_LAYOUT_SLOTS), (mlf_cfg()->feedback & MLF_FB_LAYOUT) != 0);
}

static int flag_bits(const ml_obs *o)
{
    return o->present ? 1 | o->c << 1 | o->f << 2 | o->writeable << 3 | o->aligned << 4 : 0;
}

/* How the view sits in the memmap that backs it. */
static int relation(const ml_obs *o)
{
    if (!o->present)
        return 0;
    if (!o->backed)
        return 1;
    int rel = 2;
    rel |= (o->lo == 0) << 2;                 /* starts at the mapping's first byte */
    rel |= (o->hi == o->len) << 3;            /* ends at its last */
    rel |= (o->first == o->offset) << 4;      /* element [0,...] is the memmap's first */
    rel |= (o->lo < 0 || o->hi > o->len) << 5;
    rel |= !strcmp(o->type, "memmap") << 6;
    return rel;
}

/* Stride pattern: any negative, any zero, C-like descending, F-like ascending. */
static int stride_shape(const ml_obs *o)
{
    int neg = 0, zero = 0, desc = 1, asc = 1;
    int64_t prev = -1;
    for (int i = 0; i < o->ndim; i++) {
        int64_t s = o->strides[i], a = s < 0 ? -s : s;
        neg |= s < 0;
        zero |= s == 0 && o->shape[i] > 1;
        if (o->shape[i] <= 1)
            continue;
        if (prev >= 0) {
            desc &= a <= prev;
            asc &= a >= prev;
        }
        prev = a;
    }
    return neg | zero << 1 | desc << 2 | asc << 3;
}


/* ---- what the layout model says of the ops that make unusual layouts ---- */

/* The model view's layout: overlapping elements, unaligned data, gaps
 * between items, holes in items, negative and zero strides, a copy, empty.
 * file_offset: the backing's offset into its file (the mapping's start is
 * page-aligned; an npy header keeps the data aligned). */
static int model_bits(const ml_view *v, int64_t file_offset)
{
    int64_t align = ml_layout_alignment(&v->dtype), item = v->itemsize;
    int64_t ptr = (v->copy ? 0 : file_offset) + v->offset;
    int overlap = 0, unaligned = ptr % align != 0, gaps = 0, neg = 0, zero = 0;
    for (int i = 0; i < v->ndim; i++) {
        int64_t st = v->strides[i], a = st < 0 ? -st : st;
        if (v->shape[i] <= 1)
            continue;
        overlap |= a > 0 && a < item;
        unaligned |= st % align != 0;
        gaps |= a > item;
        neg |= st < 0;
        zero |= st == 0;
    }
    return overlap | unaligned << 1 | gaps << 2 | ml_layout_field_gaps(v) << 3 | neg << 4 | zero << 5 |
           v->copy << 6 | (ml_layout_size(v) == 0) << 7;
}

/* The parameters of a new kind's op that change what it makes of the view
 * before it (in) and after it (out), in a few bits. */
static int64_t op_class(const ml_op *op, const ml_view *in, const ml_view *out, bool last)
{
    int nd = in->ndim;
    switch (op->kind) {
    case ML_OP_FIELD: {
        int f = ml_layout_field(in, op->names[0]);
        if (f < 0)
            return -1;
        return in->dtype.subndim[f] << 3 | (in->field_offset[f] == 0) << 2 |
               (f == in->dtype.nfields - 1) << 1 | (in->dtype.nfields == 1);
    }
    case ML_OP_FIELDS: {
        int prev = -1, ordered = 1;
        for (int j = 0; j < op->nnames; j++) {
            int f = ml_layout_field(in, op->names[j]);
            ordered &= f > prev;
            prev = f;
        }
        return (int64_t)(op->nnames < 4 ? op->nnames : 4) << 2 | ml_layout_field_gaps(out) << 1 | ordered;
    }
    case ML_OP_REAL:
    case ML_OP_IMAG:
        return out->itemsize << 1 | (in->dtype.scalar.byteorder == '>');
    case ML_OP_AS_STRIDED: {
        int64_t lo, hi;
        bool whole = ml_layout_span(out, &lo, &hi) && lo == 0 && hi == out->extent;
        return (int64_t)(op->ndim < 4 ? op->ndim : 4) << 2 | whole << 1 | (out->offset == in->offset);
    }
    case ML_OP_SLIDING_WINDOW: {
        int repeated = 0, full = 0, empty = 0;
        for (int j = 0; j < op->ndim; j++) {
            int a = op->has_axes ? op->axes[j] : j;
            a = a < 0 ? a + nd : a;
            for (int k = 0; k < j && op->has_axes; k++)
                repeated |= (op->axes[k] < 0 ? op->axes[k] + nd : op->axes[k]) == a;
            if (a >= 0 && a < nd)
                full |= op->shape[j] == in->shape[a];
            empty |= op->shape[j] == 0;
        }
        return (int64_t)(op->ndim < 3 ? op->ndim : 3) << 4 | empty << 3 | full << 2 | repeated << 1 |
               op->has_axes;
    }
    case ML_OP_DIAGONAL: {
        int a = op->axis < 0 ? op->axis + nd : op->axis, b = op->axis2 < 0 ? op->axis2 + nd : op->axis2;
        int64_t diag = out->ndim ? out->shape[out->ndim - 1] : 0;
        return ((op->index > 0) - (op->index < 0) + 1) | (diag == 0) << 2 | (a > b) << 3 |
               (nd > 2) << 4;
    }
    case ML_OP_FLIP:
        return op->has_axis | (nd < 3 ? nd : 3) << 1;
    case ML_OP_ROT90: {
        int a = op->axis < 0 ? op->axis + nd : op->axis, b = op->axis2 < 0 ? op->axis2 + nd : op->axis2;
        return ((op->index % 4) + 4) % 4 | (a > b) << 2 | (op->axis < 0 || op->axis2 < 0) << 3;
    }
    case ML_OP_ASARRAY:
        return op->via_view | last << 1;
    default:
        return 0;
    }
}

void mlf_feedback_case(const ml_case *c, const ml_result *r, const ml_verdict *v)
{
    const ml_obs *p = &r->parent, *ch = &r->child;
    int pf = flag_bits(p), cf = flag_bits(ch);
    int tclass = ml_transport_class(c->transport);
    /* what the oracle said, and how the flags moved */
    feature(1, v->kind, v->fails, c->transport);
    feature(2, pf, cf, v->tclass);
    feature(3, pf, cf, (int64_t)v->fails << 4 | v->kind);
    feature(4, relation(p), relation(ch), tclass);
    feature(5, stride_shape(p), stride_shape(ch), v->kind);
    feature(6, p->ndim, ch->ndim, c->ndim);
    if (v->kind == ML_V_ERROR)
        feature(7, v->error_kind[0], v->error_kind[1], c->transport);
    /* the case's structure */
    int itemsize = ml_dtype_itemsize(&c->dtype);
    feature(8, c->source << 4 | c->order << 1, c->mode, c->ndim < 4 ? c->ndim : 4);
    feature(9, c->dtype.nfields ? 's' : c->dtype.scalar.kind, itemsize, c->dtype.nfields ? '|' : c->dtype.scalar.byteorder);
    feature(10, c->offset == 0 ? 0 : c->offset % (itemsize ? itemsize : 1) ? 2 : 1, c->source, pf);
    for (int i = 0; i < c->nops; i++) {
        const ml_op *op = &c->ops[i];
        int prev = i ? (int)c->ops[i - 1].kind : -1;
        feature(11, op->kind, prev, i == c->nops - 1);
        if (op->kind == ML_OP_SLICE)
            feature(12, op->step < 0, op->step == 1 || op->step == -1, op->has_start << 1 | op->has_stop);
        else if (op->kind == ML_OP_RESHAPE || op->kind == ML_OP_RAVEL)
            feature(13, op->kind, op->order, c->order);
        else if (op->kind == ML_OP_VIEW)
            feature(14, ml_dtype_itemsize(&op->dtype), itemsize,
                    op->dtype.nfields ? (ml_dtype_has_subarray(&op->dtype) ? 'S' : 's') : op->dtype.scalar.kind);
        /* op kind against the final verdict and flag move: what made it fail */
        feature(15, op->kind, (int64_t)v->fails << 4 | v->kind, pf << 8 | cf);
    }
    if (r->status == ML_RES_INVALID)
        feature(16, c->nops ? (int64_t)c->ops[c->nops - 1].kind : -1, (int64_t)strlen(r->message) / 8, 0);
    if (r->write_tried)
        feature(17, r->parent_sees, c->mode, tclass);
    /* The layouts the newer ops make (the model's view after each): a field
     * or a complex part (items narrower than their stride), overlapping or
     * unaligned elements from as_strided, windows, diagonals, flips and
     * turns, and what became of them in transport. */
    static ml_view views[ML_MAX_OPS + 1];
    if (!ml_layout_case(c, c->nops, views))
        return;
    for (int i = 0; i < c->nops; i++) {
        const ml_op *op = &c->ops[i];
        if (op->kind < ML_OP_FIELD)
            continue;
        feature(18, op->kind, op_class(op, &views[i], &views[i + 1], i == c->nops - 1),
                model_bits(&views[i + 1], c->offset));
    }
    int final = model_bits(&views[c->nops], c->offset);
    feature(19, final, (int64_t)v->fails << 4 | v->kind, pf << 8 | cf);
    feature(20, c->dtype.nfields ? 1 + ml_dtype_has_subarray(&c->dtype) : 0, final & 3, relation(ch));
}

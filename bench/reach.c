/* Reach: which layouts the generator's cases get to, by the layout model.
 *
 *   reach [COUNT [SEED]]      (default 100000 cases of campaign seed 1)
 *
 * Generates COUNT cases as `memlayout run` does (ml_gen_nth, default
 * options), runs each through the validator and the op-level layout model
 * (harness/lib/layout.c), and prints for every layout feature the share of
 * cases whose final view (the one sent) or whose chain reaches it, and the
 * share of invalid cases. A feature under 0.5 % or an invalid share over 5 %
 * gets a FAIL line: a layout the generator seldom makes is a bug class a
 * campaign seldom tests. Exits 1 if any FAIL line was printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen.h"
#include "layout.h"

#define MIN_SHARE 0.5      /* percent of the cases, for each feature */
#define MAX_INVALID 5.0    /* percent */

enum {
    F_VIEW_C, F_VIEW_F, F_VIEW_NEITHER, F_BACKING_C, F_BACKING_F, F_NEG_STRIDE, F_ZERO_STRIDE,
    F_EMPTY, F_EMPTY_AT_END, F_EMPTY_PAST_END, F_ITEMSIZE_CHANGE, F_SAME_SIZE_DTYPE, F_NON_NATIVE, F_COPY,
    F_BACKING_1D, F_GAPS, F_POINTER_OFFSET, F_FILE_OFFSET,
    F_COUNT
};

static const char *const names[F_COUNT] = {
    [F_VIEW_C] = "view C-contiguous",
    [F_VIEW_F] = "view F-contiguous",
    [F_VIEW_NEITHER] = "view neither C nor F",
    [F_BACKING_C] = "backing C-ordered (>= 2 dims)",
    [F_BACKING_F] = "backing F-ordered (>= 2 dims)",
    [F_NEG_STRIDE] = "negative stride",
    [F_ZERO_STRIDE] = "zero stride",
    [F_EMPTY] = "empty view",
    [F_EMPTY_AT_END] = "empty view, pointer at/past the mapping's end",
    [F_EMPTY_PAST_END] = "empty view, pointer past the mapping's end",
    [F_ITEMSIZE_CHANGE] = "item size change (view op)",
    [F_SAME_SIZE_DTYPE] = "dtype change, same item size",
    [F_NON_NATIVE] = "non-native byte order",
    [F_COPY] = "copy (memmap no longer backs it)",
    [F_BACKING_1D] = "1-d backing",
    [F_GAPS] = "item size < |stride| (gaps)",
    [F_POINTER_OFFSET] = "pointer offset > 0 in the mapping",
    [F_FILE_OFFSET] = "file offset > 0 (backing)",
};

static bool dtype_non_native(const ml_dtype *d)
{
    if (d->nfields == 0)
        return d->scalar.byteorder == '>';
    for (int i = 0; i < d->nfields; i++)
        if (d->fields[i].byteorder == '>')
            return true;
    return false;
}

/* Marks the features case c reaches in seen[]. */
static void features(const ml_case *c, const ml_view *views, bool *seen)
{
    const ml_view *v = &views[c->nops];
    seen[F_VIEW_C] = v->c_contiguous;
    seen[F_VIEW_F] = v->f_contiguous;
    seen[F_VIEW_NEITHER] = !v->c_contiguous && !v->f_contiguous;
    seen[F_BACKING_C] = c->ndim >= 2 && c->order == 'C';
    seen[F_BACKING_F] = c->ndim >= 2 && c->order == 'F';
    seen[F_BACKING_1D] = c->ndim == 1;
    seen[F_FILE_OFFSET] = c->offset > 0;
    seen[F_COPY] = v->copy;
    bool empty = ml_layout_size(v) == 0;
    seen[F_EMPTY] = empty;
    int64_t backing_bytes = ml_layout_size(&views[0]) * views[0].itemsize;
    seen[F_EMPTY_AT_END] = empty && !v->copy && v->offset >= backing_bytes;
    seen[F_EMPTY_PAST_END] = empty && !v->copy && v->offset > backing_bytes;
    seen[F_POINTER_OFFSET] = !v->copy && v->offset > 0;
    for (int i = 0; i < v->ndim; i++) {
        if (v->shape[i] <= 1)
            continue;
        int64_t s = v->strides[i];
        seen[F_NEG_STRIDE] |= s < 0;
        seen[F_ZERO_STRIDE] |= s == 0;
        seen[F_GAPS] |= (s < 0 ? -s : s) > v->itemsize;
    }
    const ml_dtype *dt = &c->dtype;
    for (int i = 0; i < c->nops; i++) {
        if (c->ops[i].kind != ML_OP_VIEW)
            continue;
        if (views[i + 1].itemsize != views[i].itemsize)
            seen[F_ITEMSIZE_CHANGE] = true;
        else if (memcmp(&c->ops[i].dtype, dt, sizeof *dt) != 0)
            seen[F_SAME_SIZE_DTYPE] = true;
        dt = &c->ops[i].dtype;
    }
    seen[F_NON_NATIVE] = dtype_non_native(dt);
}

int main(int argc, char **argv)
{
    long count = argc >= 2 ? strtol(argv[1], NULL, 10) : 100000;
    uint64_t seed = argc >= 3 ? strtoull(argv[2], NULL, 10) : 1;
    if (argc > 3 || count <= 0) {
        fprintf(stderr, "usage: reach [count [seed]]\n");
        return 2;
    }
    ml_gen_opts o;
    memset(&o, 0, sizeof o);
    o.transports = 1u << ML_T_REDUCE;          /* `memlayout run`'s default */
    long hits[F_COUNT] = {0}, invalid = 0;
    clock_t t0 = clock();
    for (long n = 0; n < count; n++) {
        ml_case c;
        ml_view views[ML_MAX_OPS + 1];
        bool seen[F_COUNT] = {false};
        ml_gen_nth(seed, (uint64_t)n, &o, &c);
        if (!ml_case_validate(&c, NULL, NULL, 0) || !ml_layout_case(&c, c.nops, views)) {
            invalid++;
            continue;
        }
        features(&c, views, seen);
        for (int f = 0; f < F_COUNT; f++)
            hits[f] += seen[f];
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("reach: %ld generated cases (seed %llu, default options), %.2f s\n", count,
           (unsigned long long)seed, secs);
    int fails = 0;
    for (int f = 0; f < F_COUNT; f++) {
        double share = 100.0 * (double)hits[f] / (double)count;
        printf("reach: %-48s %6.2f %%\n", names[f], share);
        if (share < MIN_SHARE) {
            printf("FAIL reach: %s in %.2f %% of the cases (target >= %.1f %%)\n", names[f], share,
                   MIN_SHARE);
            fails++;
        }
    }
    double bad = 100.0 * (double)invalid / (double)count;
    printf("reach: %-48s %6.2f %%\n", "invalid (validator or model refuses)", bad);
    if (bad > MAX_INVALID) {
        printf("FAIL reach: %.2f %% of the cases are invalid (target <= %.1f %%)\n", bad, MAX_INVALID);
        fails++;
    }
    return fails ? 1 : 0;
}

/* Reach: which layouts the generator's cases get to, by the layout model.
 *
 *   reach [COUNT [SEED]]      (default 100000 cases of campaign seed 1)
 *   reach --json DIR...       every file below DIR a JSON case: a corpus of
 *                             the case_json or case_parse fuzz targets
 *   reach --bytes DIR...      every file decoded as the case_bytes target
 *                             decodes its input (default generator options)
 *
 * Generates COUNT cases as `memlayout run` does (ml_gen_nth, default
 * options), runs each through the validator and the op-level layout model
 * (harness/lib/layout.c), and prints for every layout feature the share of
 * cases whose final view (the one sent) or whose chain reaches it, and the
 * share of invalid cases. A feature under 0.5 % or an invalid share over 5 %
 * gets a FAIL line: a layout the generator seldom makes is a bug class a
 * campaign seldom tests. Exits 1 if any FAIL line was printed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gen.h"
#include "layout.h"

#define MIN_SHARE 0.5      /* percent of the cases, for each feature */
#define MAX_INVALID 5.0    /* percent */

enum {
    F_VIEW_C, F_VIEW_F, F_VIEW_NEITHER, F_BACKING_C, F_BACKING_F, F_NEG_STRIDE, F_ZERO_STRIDE,
    F_EMPTY, F_EMPTY_AT_END, F_EMPTY_PAST_END, F_ITEMSIZE_CHANGE, F_SAME_SIZE_DTYPE, F_NON_NATIVE, F_COPY,
    F_BACKING_1D, F_GAPS, F_POINTER_OFFSET, F_FILE_OFFSET,
    F_FIELD_VIEW, F_FIELDS_GAPS, F_SUBARRAY_DIMS, F_COMPLEX_PART, F_OVERLAP, F_UNALIGNED,
    F_SLIDING_WINDOW, F_DIAGONAL, F_FLIP_NEG, F_ASARRAY, F_NPY_WPLUS,
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
    [F_FIELD_VIEW] = "field view (item size < |stride|)",
    [F_FIELDS_GAPS] = "multi-field view with gaps",
    [F_SUBARRAY_DIMS] = "sub-array field dims (field of a sub-array)",
    [F_COMPLEX_PART] = "complex part (real/imag)",
    [F_OVERLAP] = "as_strided, overlapping elements",
    [F_UNALIGNED] = "unaligned data (pointer or stride)",
    [F_SLIDING_WINDOW] = "sliding window",
    [F_DIAGONAL] = "diagonal",
    [F_FLIP_NEG] = "flip/rot90 negative stride",
    [F_ASARRAY] = "plain ndarray over a memmap (asarray)",
    [F_NPY_WPLUS] = "npy backing, mode w+",
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

/* Some axis of size > 1 whose |stride| lies in [lo, hi]. */
static bool stride_in(const ml_view *v, int64_t lo, int64_t hi)
{
    for (int i = 0; i < v->ndim; i++) {
        int64_t s = v->strides[i] < 0 ? -v->strides[i] : v->strides[i];
        if (v->shape[i] > 1 && s >= lo && s <= hi)
            return true;
    }
    return false;
}

static bool negative_stride(const ml_view *v)
{
    for (int i = 0; i < v->ndim; i++)
        if (v->shape[i] > 1 && v->strides[i] < 0)
            return true;
    return false;
}

/* Data at an address, or elements at strides, that are not a multiple of
 * the scalar's alignment (the mapping starts page-aligned; an npy header
 * keeps the data aligned; a copy is aligned). */
static bool unaligned(const ml_view *v, int64_t file_offset)
{
    int64_t align = ml_layout_alignment(&v->dtype);
    if (((v->copy ? 0 : file_offset) + v->offset) % align != 0)
        return true;
    for (int i = 0; i < v->ndim; i++)
        if (v->shape[i] > 1 && v->strides[i] % align != 0)
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

    /* the newer ops: what the view right after each one is */
    seen[F_NPY_WPLUS] = c->source == ML_SRC_NPY && c->mode == ML_MODE_WPLUS;
    seen[F_UNALIGNED] = unaligned(v, c->offset);
    for (int i = 0; i < c->nops; i++) {
        const ml_op *op = &c->ops[i];
        const ml_view *in = &views[i], *out = &views[i + 1];
        switch (op->kind) {
        case ML_OP_FIELD: {
            int f = ml_layout_field(in, op->names[0]);
            seen[F_FIELD_VIEW] |= stride_in(out, (int64_t)out->itemsize + 1, INT64_MAX);
            seen[F_SUBARRAY_DIMS] |= f >= 0 && in->dtype.subndim[f] > 0;
            break;
        }
        case ML_OP_FIELDS:
            seen[F_FIELDS_GAPS] |= ml_layout_field_gaps(out);
            break;
        case ML_OP_REAL:
        case ML_OP_IMAG:
            seen[F_COMPLEX_PART] = true;
            break;
        case ML_OP_AS_STRIDED:
            seen[F_OVERLAP] |= stride_in(out, 0, (int64_t)out->itemsize - 1);
            break;
        case ML_OP_SLIDING_WINDOW:
            seen[F_SLIDING_WINDOW] = true;
            break;
        case ML_OP_DIAGONAL:
            seen[F_DIAGONAL] = true;
            break;
        case ML_OP_FLIP:
        case ML_OP_ROT90:
            seen[F_FLIP_NEG] |= negative_stride(out);
            break;
        case ML_OP_ASARRAY:
            seen[F_ASARRAY] |= !out->copy;
            break;
        default:
            break;
        }
    }
}

typedef struct {
    long count, invalid, hits[F_COUNT];
    bool bytes;             /* --bytes: inputs decode as case_bytes does */
} tally;

static void count_case(tally *t, const ml_case *c, bool valid)
{
    ml_view views[ML_MAX_OPS + 1];
    bool seen[F_COUNT] = {false};
    t->count++;
    if (!valid || !ml_case_validate(c, NULL, NULL, 0) || !ml_layout_case(c, c->nops, views)) {
        t->invalid++;
        return;
    }
    features(c, views, seen);
    for (int f = 0; f < F_COUNT; f++)
        t->hits[f] += seen[f];
}

static void count_file(tally *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ml_case c;
    if (t->bytes) {
        ml_gen_opts o;
        ml_src s;
        memset(&o, 0, sizeof o);
        ml_src_bytes(&s, (const uint8_t *)buf, n);
        ml_gen_case(&s, &o, &c);
        count_case(t, &c, true);
    } else {
        count_case(t, &c, ml_case_parse(buf, n, NULL, &c, NULL, 0));
    }
}

/* Every regular file below dir (hidden ones, such as AFL++'s state, left out). */
static void count_dir(tally *t, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        count_file(t, dir);
        return;
    }
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            count_dir(t, path);
        else if (S_ISREG(st.st_mode))
            count_file(t, path);
    }
    closedir(d);
}

/* The shares, FAIL lines for those under target; returns the FAIL count. */
static int print_shares(const tally *t)
{
    int fails = 0;
    for (int f = 0; f < F_COUNT; f++) {
        double share = t->count ? 100.0 * (double)t->hits[f] / (double)t->count : 0;
        printf("reach: %-48s %6.2f %%\n", names[f], share);
        if (share < MIN_SHARE) {
            printf("FAIL reach: %s in %.2f %% of the cases (target >= %.1f %%)\n", names[f], share,
                   MIN_SHARE);
            fails++;
        }
    }
    double bad = t->count ? 100.0 * (double)t->invalid / (double)t->count : 100;
    printf("reach: %-48s %6.2f %%\n", "invalid (validator or model refuses)", bad);
    if (bad > MAX_INVALID) {
        printf("FAIL reach: %.2f %% of the cases are invalid (target <= %.1f %%)\n", bad, MAX_INVALID);
        fails++;
    }
    return fails;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--json") == 0 || strcmp(argv[1], "--bytes") == 0)) {
        static tally t;
        t.bytes = strcmp(argv[1], "--bytes") == 0;
        if (argc < 3) {
            fprintf(stderr, "usage: reach %s DIR...\n", argv[1]);
            return 2;
        }
        for (int i = 2; i < argc; i++)
            count_dir(&t, argv[i]);
        printf("reach: %ld corpus files (%s)\n", t.count, t.bytes ? "decoded as case_bytes" : "JSON cases");
        return print_shares(&t) ? 1 : 0;
    }
    long count = argc >= 2 ? strtol(argv[1], NULL, 10) : 100000;
    uint64_t seed = argc >= 3 ? strtoull(argv[2], NULL, 10) : 1;
    if (argc > 3 || count <= 0) {
        fprintf(stderr, "usage: reach [count [seed]]\n");
        return 2;
    }
    ml_gen_opts o;
    memset(&o, 0, sizeof o);
    o.transports = 1u << ML_T_REDUCE;          /* `memlayout run`'s default */
    static tally t;
    clock_t t0 = clock();
    for (long n = 0; n < count; n++) {
        ml_case c;
        ml_gen_nth(seed, (uint64_t)n, &o, &c);
        count_case(&t, &c, true);
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("reach: %ld generated cases (seed %llu, default options), %.2f s\n", count,
           (unsigned long long)seed, secs);
    return print_shares(&t) ? 1 : 0;
}

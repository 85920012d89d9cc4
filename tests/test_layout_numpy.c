/* The layout model against NumPy itself: this program generates random
 * (shape, strides, itemsize) triples deterministically, computes the model's
 * C/F verdicts for each, and has tests/layout_numpy.py rebuild every triple
 * with NumPy (as_strided, no data read) and compare the flags.
 *
 *   test_layout_numpy COUNT [SEED] | /usr/bin/python3 tests/layout_numpy.py
 *       print COUNT triples (seed 1 unless given) for the checker, as tests/run.sh does
 *   test_layout_numpy --ops COUNT [SEED] | /usr/bin/python3 tests/layout_numpy_ops.py
 *       print COUNT generated cases (ml_gen_nth of SEED, default 1) with the
 *       op-level model's view after the backing and after every op, for the
 *       checker that builds each case with the runner and compares
 *   test_layout_numpy
 *       the same for 100000 triples and 20000 cases, running the checkers itself
 *
 * The checker runs under $PY (default /usr/bin/python3, the interpreter with
 * NumPy) from the repository root. Line format, after a header line
 * "memlayout-layout 1 <count>":
 *   itemsize c f ndim shape[0..ndim-1] strides[0..ndim-1]
 * with c and f the model's verdicts as 0/1. The --ops format, after a header
 * "memlayout-layout-ops 1 <count>": per case a line "case <canonical JSON>",
 * then one line per view (the backing, then after each op):
 *   ndim itemsize offset c f copy views extent dtype shape[0..ndim-1] strides[0..ndim-1]
 * offset being the data pointer's distance from the backing's first element
 * (from the copy's start once copy is 1), views the item sizes 1, 2, 4, 8
 * and 16 (bits 0 to 4) that ml_layout_view_rule lets a.view take there,
 * extent the bytes of the memory viewed (the backing's or the copy's), and
 * dtype the element type: NumPy's dtype.str for a scalar, else
 * "struct:" and name@offset for each field, comma-separated. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "gen.h"
#include "layout.h"

#define MAX_NDIM 6
#define DEFAULT_COUNT 100000
#define CHECKER "tests/layout_numpy.py"
#define OPS_CHECKER "tests/layout_numpy_ops.py"
#define DEFAULT_OPS_COUNT 20000

/* splitmix64: the sequence must not depend on anything outside this file. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static int64_t below(int64_t n)
{
    return (int64_t)(rng_next() % (uint64_t)n);
}

/* 0 and 1 are the dims the relaxed rules treat specially, so they come up
 * far more often than chance; 0 stays rarer, since one 0 makes the whole
 * array both C and F. */
static int64_t random_dim(void)
{
    int64_t r = below(100);
    if (r < 6)
        return 0;
    if (r < 35)
        return 1;
    return 2 + below(3);
}

static void packed_strides(int ndim, const int64_t *shape, int64_t itemsize, bool c_order,
                           int64_t *strides)
{
    int64_t sd = itemsize;
    for (int k = 0; k < ndim; k++) {
        int i = c_order ? ndim - 1 - k : k;
        strides[i] = sd;
        sd *= shape[i] ? shape[i] : 1;   /* NumPy does the same for a 0 dim */
    }
}

static int64_t random_stride(int64_t itemsize)
{
    if (below(8) == 0)
        return below(33) - 16;                  /* not a multiple of itemsize */
    return (below(13) - 6) * itemsize;          /* includes 0 and negatives */
}

/* One triple, in one of a few styles chosen so that C-only, F-only, both
 * and neither all come up in numbers. */
static int random_triple(int64_t *shape, int64_t *strides, int64_t *itemsize)
{
    static const int64_t sizes[] = {1, 2, 4, 8, 16};
    int ndim = (int)below(MAX_NDIM + 1);
    *itemsize = sizes[below(5)];
    for (int i = 0; i < ndim; i++)
        shape[i] = random_dim();

    int style = (int)below(6);
    switch (style) {
    case 0: case 1:                             /* packed C or F */
        packed_strides(ndim, shape, *itemsize, style == 0, strides);
        break;
    case 2: case 3: {                           /* packed, one axis spoiled */
        packed_strides(ndim, shape, *itemsize, style == 2, strides);
        if (ndim > 0) {
            int i = (int)below(ndim);
            switch (below(4)) {
            case 0: strides[i] = -strides[i]; break;
            case 1: strides[i] *= 2; break;
            case 2: strides[i] = 0; break;
            default: strides[i] = random_stride(*itemsize); break;
            }
        }
        break;
    }
    case 4: {                                   /* packed C, axes permuted */
        int64_t s[MAX_NDIM], d[MAX_NDIM];
        packed_strides(ndim, shape, *itemsize, true, s);
        memcpy(d, shape, sizeof d);
        for (int i = ndim - 1; i > 0; i--) {
            int j = (int)below(i + 1);
            int64_t t = s[i]; s[i] = s[j]; s[j] = t;
            t = d[i]; d[i] = d[j]; d[j] = t;
        }
        memcpy(shape, d, sizeof d);
        memcpy(strides, s, sizeof s);
        break;
    }
    default:                                    /* anything */
        for (int i = 0; i < ndim; i++)
            strides[i] = random_stride(*itemsize);
        break;
    }
    /* Size-1 axes may carry any stride (NumPy's own views leave all sorts
     * there); the model must ignore them. */
    for (int i = 0; i < ndim; i++)
        if (shape[i] == 1 && below(2))
            strides[i] = random_stride(*itemsize) * 7;
    return ndim;
}

static bool emit(FILE *out, long count, uint64_t seed)
{
    rng_state = seed;
    fprintf(out, "memlayout-layout 1 %ld\n", count);
    for (long n = 0; n < count; n++) {
        int64_t shape[MAX_NDIM], strides[MAX_NDIM], itemsize;
        int ndim = random_triple(shape, strides, &itemsize);
        fprintf(out, "%" PRId64 " %d %d %d", itemsize,
                ml_layout_c_contiguous(ndim, shape, strides, itemsize),
                ml_layout_f_contiguous(ndim, shape, strides, itemsize), ndim);
        for (int i = 0; i < ndim; i++)
            fprintf(out, " %" PRId64, shape[i]);
        for (int i = 0; i < ndim; i++)
            fprintf(out, " %" PRId64, strides[i]);
        if (fputc('\n', out) == EOF)
            return false;
    }
    return fflush(out) == 0;
}

static void print_dtype(FILE *out, const ml_view *v)
{
    char s[8];
    if (!v->dtype.nfields) {
        fputs(ml_scalar_str(&v->dtype.scalar, s), out);
        return;
    }
    fputs("struct:", out);
    for (int f = 0; f < v->dtype.nfields; f++)
        fprintf(out, "%s%s@%d", f ? "," : "", v->dtype.names[f], v->field_offset[f]);
}

/* Cases as campaigns make them, and every fourth with longer chains, so that
 * ops meet the views earlier ops made. */
static bool emit_ops(FILE *out, long count, uint64_t seed)
{
    fprintf(out, "memlayout-layout-ops 1 %ld\n", count);
    for (long n = 0; n < count; n++) {
        ml_gen_opts o = {0, 0, n % 4 == 3 ? 8 : 0, 0};
        ml_case c;
        ml_view v[ML_MAX_OPS + 1];
        ml_gen_nth(seed, (uint64_t)n, &o, &c);
        char *json = ml_case_write(&c);
        if (!json)
            return false;
        bool ok = ml_layout_case(&c, c.nops, v);
        fprintf(out, "case %s", json);     /* the JSON ends in '\n' */
        free(json);
        if (!ok) {
            fprintf(stderr, "layout-numpy-ops: case %ld: the model refuses a generated case\n", n);
            return false;
        }
        for (int i = 0; i <= c.nops; i++) {
            int views = 0;
            for (int k = 0; k < 5; k++)
                views |= (ml_layout_view_rule(&v[i], 1 << k) == ML_VIEW_OK) << k;
            fprintf(out, "%d %d %" PRId64 " %d %d %d %d %" PRId64 " ", v[i].ndim, v[i].itemsize,
                    v[i].offset, v[i].c_contiguous, v[i].f_contiguous, v[i].copy, views,
                    v[i].extent);
            print_dtype(out, &v[i]);
            for (int j = 0; j < v[i].ndim; j++)
                fprintf(out, " %" PRId64, v[i].shape[j]);
            for (int j = 0; j < v[i].ndim; j++)
                fprintf(out, " %" PRId64, v[i].strides[j]);
            if (fputc('\n', out) == EOF)
                return false;
        }
    }
    return fflush(out) == 0;
}

static bool run_checker(const char *checker, bool ops)
{
    const char *py = getenv("PY");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s", py && *py ? py : "/usr/bin/python3", checker);
    FILE *p = popen(cmd, "w");
    if (!p) {
        perror("layout-numpy: popen");
        return false;
    }
    bool sent = ops ? emit_ops(p, DEFAULT_OPS_COUNT, 1) : emit(p, DEFAULT_COUNT, 1);
    int status = pclose(p);
    if (!sent)
        fprintf(stderr, "layout-numpy: the checker %s stopped reading\n", checker);
    return sent && status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
    bool ops = argc >= 2 && strcmp(argv[1], "--ops") == 0;
    if (ops) {
        argc--;
        argv++;
    }
    if (argc > 3) {
        fprintf(stderr, "usage: test_layout_numpy [--ops] [count [seed]]\n");
        return 2;
    }
    if (argc >= 2) {
        char *end;
        long count = strtol(argv[1], &end, 10);
        uint64_t seed = argc == 3 ? strtoull(argv[2], NULL, 10) : 1;
        if (*end || count < 0) {
            fprintf(stderr, "%s: bad count %s\n", argv[0], argv[1]);
            return 2;
        }
        return (ops ? emit_ops(stdout, count, seed) : emit(stdout, count, seed)) ? 0 : 1;
    }

    /* A checker that dies early must show as a failure, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    bool ok = run_checker(CHECKER, false);
    ok = run_checker(OPS_CHECKER, true) && ok;
    return ok ? 0 : 1;
}

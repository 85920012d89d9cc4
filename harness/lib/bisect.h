/* memlayout bisect: the first point of a sequence whose verdict differs from
 * the verdict at point 0, by binary search (about log2(n) verdicts), with
 * points that cannot be judged skipped as `git bisect skip` does: a
 * neighbour is probed instead, and when only skipped points remain between
 * the last point known the same and the first known different, the answer
 * is that range, its skipped points counted.
 *
 * Pure logic over a verdict callback: points are 0..n (0: the reference,
 * taken as "same"; n: the end, which the search judges first). */
#ifndef ML_BISECT_H
#define ML_BISECT_H

#include <stdbool.h>

typedef enum {
    ML_BISECT_SAME,         /* the verdict of point 0 */
    ML_BISECT_DIFF,         /* another verdict */
    ML_BISECT_SKIP,         /* cannot be judged there */
    ML_BISECT_ABORT,        /* stop searching (interrupted, broken environment) */
} ml_bisect_ans;

typedef struct {
    /* The verdict at point i (1..n); called at most once per point. */
    ml_bisect_ans (*judge)(void *ctx, int i);
    /* After each verdict (may be NULL): the range still open, (lo, hi). */
    void (*step)(void *ctx, int i, ml_bisect_ans a, int lo, int hi);
    void *ctx;
} ml_bisect_fn;

typedef enum {
    ML_BISECT_FOUND,        /* first_diff differs, last_same is the same */
    ML_BISECT_NO_CHANGE,    /* point n has the verdict of point 0 */
    ML_BISECT_END_SKIPPED,  /* point n cannot be judged */
    ML_BISECT_ABORTED,
} ml_bisect_status;

typedef struct {
    ml_bisect_status status;
    int last_same;          /* FOUND: the last point known the same */
    int first_diff;         /* FOUND: the first point known different */
    int skipped;            /* FOUND: points between them, every one skipped */
    int runs;               /* verdicts asked for */
} ml_bisect_result;

/* Searches points 0..n (n >= 1). False only on out of memory. */
bool ml_bisect(int n, const ml_bisect_fn *fn, ml_bisect_result *r);

#endif

/* memlayout bisect: the skip-aware binary search (bisect.h). */
#include "bisect.h"

#include <stdlib.h>
#include <string.h>

enum { UNKNOWN = -1 };

/* The point to judge next in (lo, hi): the middle, else the nearest point
 * to it not yet judged (above first, then below); -1 when every point
 * there is skipped. */
static int next_point(const signed char *known, int lo, int hi)
{
    int mid = lo + (hi - lo) / 2;
    for (int d = 0; mid + d < hi || mid - d > lo; d++) {
        if (mid + d < hi && mid + d > lo && known[mid + d] == UNKNOWN)
            return mid + d;
        if (d && mid - d > lo && known[mid - d] == UNKNOWN)
            return mid - d;
    }
    return -1;
}

static ml_bisect_ans ask(const ml_bisect_fn *fn, signed char *known, int i, ml_bisect_result *r)
{
    ml_bisect_ans a = fn->judge(fn->ctx, i);
    r->runs++;
    if (a != ML_BISECT_ABORT)
        known[i] = (signed char)a;
    return a;
}

bool ml_bisect(int n, const ml_bisect_fn *fn, ml_bisect_result *r)
{
    memset(r, 0, sizeof *r);
    signed char *known = malloc((size_t)n + 1);
    if (!known)
        return false;
    memset(known, UNKNOWN, (size_t)n + 1);
    known[0] = ML_BISECT_SAME;
    int lo = 0, hi = n;
    ml_bisect_ans a = ask(fn, known, n, r);
    if (fn->step && a != ML_BISECT_ABORT)
        fn->step(fn->ctx, n, a, lo, hi);
    if (a != ML_BISECT_DIFF) {
        r->status = a == ML_BISECT_SAME ? ML_BISECT_NO_CHANGE
                    : a == ML_BISECT_SKIP ? ML_BISECT_END_SKIPPED : ML_BISECT_ABORTED;
        free(known);
        return true;
    }
    for (int i; (i = next_point(known, lo, hi)) >= 0;) {
        a = ask(fn, known, i, r);
        if (a == ML_BISECT_ABORT) {
            r->status = ML_BISECT_ABORTED;
            free(known);
            return true;
        }
        if (a == ML_BISECT_SAME)
            lo = i;
        else if (a == ML_BISECT_DIFF)
            hi = i;
        if (fn->step)
            fn->step(fn->ctx, i, a, lo, hi);
    }
    r->status = ML_BISECT_FOUND;
    r->last_same = lo;
    r->first_diff = hi;
    r->skipped = hi - lo - 1;
    free(known);
    return true;
}

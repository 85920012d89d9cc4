/* The skip-aware binary search of memlayout bisect (harness/lib/bisect.c),
 * over sequences of verdicts written out as strings: '.' the reference's
 * verdict, 'x' another, 's' cannot be judged, '!' abort. */
#include "bisect.h"
#include "check.h"

typedef struct {
    const char *seq;
    int asked[256];
    int steps;
} seq_ctx;

static ml_bisect_ans judge(void *vctx, int i)
{
    seq_ctx *s = vctx;
    s->asked[i]++;
    switch (s->seq[i]) {
    case '.': return ML_BISECT_SAME;
    case 'x': return ML_BISECT_DIFF;
    case 's': return ML_BISECT_SKIP;
    default: return ML_BISECT_ABORT;
    }
}

static void step(void *vctx, int i, ml_bisect_ans a, int lo, int hi)
{
    seq_ctx *s = vctx;
    (void)i;
    (void)a;
    CHECK(lo < hi);
    s->steps++;
}

static ml_bisect_result search(seq_ctx *s)
{
    ml_bisect_fn fn = {judge, step, s};
    ml_bisect_result r;
    memset(s->asked, 0, sizeof s->asked);
    s->steps = 0;
    CHECK(ml_bisect((int)strlen(s->seq) - 1, &fn, &r));
    for (int i = 0; i < 256; i++)
        CHECK(s->asked[i] <= 1);
    CHECK(s->asked[0] == 0);
    CHECK(s->steps == r.runs || r.status == ML_BISECT_ABORTED);
    return r;
}

static void every_change_point_should_be_found_in_log2_runs(void)
{
    char seq[40];
    for (int n = 1; n < 33; n++)
        for (int k = 1; k <= n; k++) {
            for (int i = 0; i <= n; i++)
                seq[i] = i < k ? '.' : 'x';
            seq[n + 1] = 0;
            seq_ctx s = {.seq = seq};
            ml_bisect_result r = search(&s);
            CHECK(r.status == ML_BISECT_FOUND);
            CHECK(r.first_diff == k);
            CHECK(r.last_same == k - 1);
            CHECK(r.skipped == 0);
            int log2 = 0;
            while ((1 << log2) < n)
                log2++;
            CHECK(r.runs <= log2 + 1);
        }
}

static void an_end_like_the_start_should_be_no_change(void)
{
    seq_ctx s = {.seq = "..x.x."};
    ml_bisect_result r = search(&s);
    CHECK(r.status == ML_BISECT_NO_CHANGE);
    CHECK(r.runs == 1);
}

static void a_skipped_end_should_be_said(void)
{
    seq_ctx s = {.seq = "..xs"};
    CHECK(search(&s).status == ML_BISECT_END_SKIPPED);
}

static void a_skipped_middle_should_probe_a_neighbour(void)
{
    seq_ctx s = {.seq = "...s.xxxx"};
    ml_bisect_result r = search(&s);
    CHECK(r.status == ML_BISECT_FOUND);
    CHECK(r.first_diff == 5);
    CHECK(r.last_same == 4);
    CHECK(r.skipped == 0);
}

static void skipped_points_next_to_the_change_should_widen_the_range(void)
{
    seq_ctx s = {.seq = "....ssxxx"};
    ml_bisect_result r = search(&s);
    CHECK(r.status == ML_BISECT_FOUND);
    CHECK(r.last_same == 3);
    CHECK(r.first_diff == 6);
    CHECK(r.skipped == 2);
    seq_ctx t = {.seq = ".sssssssx"};
    r = search(&t);
    CHECK(r.last_same == 0);
    CHECK(r.first_diff == 8);
    CHECK(r.skipped == 7);
}

static void a_skip_far_from_the_change_should_not_widen_it(void)
{
    seq_ctx s = {.seq = ".s....s..xx"};
    ml_bisect_result r = search(&s);
    CHECK(r.status == ML_BISECT_FOUND);
    CHECK(r.first_diff == 9);
    CHECK(r.last_same == 8);
    CHECK(r.skipped == 0);
}

static void an_abort_should_stop_the_search(void)
{
    seq_ctx s = {.seq = "...!...x"};
    ml_bisect_result r = search(&s);
    CHECK(r.status == ML_BISECT_ABORTED);
    seq_ctx t = {.seq = "...!"};
    CHECK(search(&t).status == ML_BISECT_ABORTED);
}

static void one_commit_should_need_one_run(void)
{
    seq_ctx s = {.seq = ".x"};
    ml_bisect_result r = search(&s);
    CHECK(r.status == ML_BISECT_FOUND);
    CHECK(r.first_diff == 1);
    CHECK(r.runs == 1);
}

int main(void)
{
    RUN(every_change_point_should_be_found_in_log2_runs);
    RUN(an_end_like_the_start_should_be_no_change);
    RUN(a_skipped_end_should_be_said);
    RUN(a_skipped_middle_should_probe_a_neighbour);
    RUN(skipped_points_next_to_the_change_should_widen_the_range);
    RUN(a_skip_far_from_the_change_should_not_widen_it);
    RUN(an_abort_should_stop_the_search);
    RUN(one_commit_should_need_one_run);
    return check_summary("test_bisect");
}

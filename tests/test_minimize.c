/* The minimizer against judges written in C (no Python): each fake judge
 * stands for one joblib bug family, so what "smallest" means can be checked
 * exactly, and every case it is asked about must validate. */
#include "check.h"
#include "minimize.h"
#include "signature.h"

#include <stdlib.h>

static const ml_limits lim = {0};

typedef struct {
    int calls, invalid_calls;
    int (*bug)(const ml_case *c);   /* 0 pass, else which failure */
    bool broken;                    /* the judge itself fails */
} fake;

static bool joblib_family(ml_transport t)
{
    return t == ML_T_REDUCE || t == ML_T_LOKY || t == ML_T_MULTIPROCESSING;
}

/* The public example's family: a C reshape of a backing with at most one
 * dim longer than 1 (so both C and F contiguous) to a view with two dims
 * longer than 1 arrives F-contiguous: fail:data,flags,strides, C>F. */
static int reshape_bug(const ml_case *c)
{
    if (!joblib_family(c->transport))
        return 0;
    int big = 0;
    for (int i = 0; i < c->ndim; i++)
        big += c->shape[i] > 1;
    bool reshape_c = false;
    for (int i = 0; i < c->nops; i++)
        reshape_c |= c->ops[i].kind == ML_OP_RESHAPE && c->ops[i].order == 'C';
    int64_t shape[ML_MAX_NDIM];
    int nd = ml_case_shape_after(c, c->nops, shape), vbig = 0;
    for (int i = 0; i < nd; i++)
        vbig += shape[i] > 1;
    return big <= 1 && reshape_c && vbig >= 2 ? 1 : 0;
}

/* A view with a negative step on an axis longer than 1 is rebuilt from its
 * lowest byte: fail:backing,oob. */
static int negative_step_bug(const ml_case *c)
{
    if (!joblib_family(c->transport))
        return 0;
    for (int i = 0; i < c->nops; i++) {
        int64_t in[ML_MAX_NDIM];
        int nd = ml_case_shape_after(c, i, in);
        const ml_op *op = &c->ops[i];
        if (op->kind == ML_OP_SLICE && op->step < 0) {
            int64_t after[ML_MAX_NDIM];
            int a = op->axis < 0 ? op->axis + nd : op->axis;
            ml_case_shape_after(c, i + 1, after);
            if (after[a] > 1)
                return 2;
        }
    }
    return 0;
}

static bool fake_judge(void *ctx, const ml_case *c, ml_outcome *out, char *err, size_t errlen)
{
    fake *f = ctx;
    if (f->broken) {
        snprintf(err, errlen, "python: cannot start");
        return false;
    }
    f->calls++;
    if (!ml_case_validate(c, &lim, NULL, 0))
        f->invalid_calls++;
    memset(out, 0, sizeof *out);
    out->c = *c;
    out->v.tclass = ml_transport_class(c->transport);
    out->r.status = ML_RES_OK;
    out->r.parent.present = out->r.child.present = true;
    out->r.parent.c = out->r.child.c = true;
    int bug = f->bug(c);
    if (bug == 1) {
        out->v.kind = ML_V_FAIL;
        out->v.fails = 1u << ML_INV_DATA | 1u << ML_INV_FLAGS | 1u << ML_INV_STRIDES;
        out->r.child.c = false;
        out->r.child.f = true;
    } else if (bug == 2) {
        out->v.kind = ML_V_FAIL;
        out->v.fails = 1u << ML_INV_BACKING | 1u << ML_INV_OOB;
        out->r.parent.c = out->r.child.c = false;
    } else {
        out->v.kind = ML_V_PASS;
    }
    return true;
}

static const char *big_case_json =
    "{\"memlayout\":1,\"dtype\":\">i4\",\"backing\":{\"source\":\"npy\",\"shape\":[1,24],\"order\":\"F\","
    "\"offset\":0,\"mode\":\"r+\"},\"ops\":[{\"op\":\"newaxis\",\"axis\":0},"
    "{\"op\":\"reshape\",\"shape\":[2,-1,4],\"order\":\"C\"},{\"op\":\"transpose\",\"axes\":null},"
    "{\"op\":\"slice\",\"axis\":0,\"start\":1,\"stop\":null,\"step\":1}],\"transport\":\"loky\",\"seed\":99}";

static void parse(const char *json, ml_case *c)
{
    char err[ML_ERR_MAX];
    bool ok = ml_case_parse(json, strlen(json), &lim, c, err, sizeof err);
    if (!ok)
        fprintf(stderr, "  parse: %s\n", err);
    CHECK(ok);
}

static ml_case in, out, out2;

static void reshape_family_should_shrink_to_one_reshape_of_four_elements(void)
{
    fake f = {.bug = reshape_bug};
    ml_minimize_stats st;
    char err[256];
    parse(big_case_json, &in);
    CHECK(reshape_bug(&in));
    CHECK(ml_minimize_with(fake_judge, &f, &in, NULL, &out, &st, err, sizeof err));
    CHECK(st.input_fails);
    CHECK(!st.stopped_early);
    CHECK(out.nops == 1 && out.ops[0].kind == ML_OP_RESHAPE && out.ops[0].order == 'C');
    CHECK(out.ndim == 1 && ml_case_elements(&out) == 4);
    CHECK(out.ops[0].ndim == 2 && out.ops[0].shape[0] == 2 && out.ops[0].shape[1] == 2);
    CHECK(out.transport == ML_T_REDUCE);
    CHECK(out.mode == ML_MODE_R && out.source == ML_SRC_RAW && out.offset == 0 && out.seed == 0);
    char dt[8];
    CHECK_STR(ml_scalar_str(&out.dtype.scalar, dt), "<f8");
    CHECK(reshape_bug(&out));
    CHECK_STR(st.sig.verdict, "fail:data,flags,strides");
    CHECK_STR(st.sig.transition, "C>F");
    CHECK_STR(st.sig.structure, "raw 1d r <f8: reshape(C,2d)");
}

static void minimizing_should_only_run_valid_cases(void)
{
    fake f = {.bug = reshape_bug};
    parse(big_case_json, &in);
    ml_minimize_stats st;
    CHECK(ml_minimize_with(fake_judge, &f, &in, NULL, &out, &st, NULL, 0));
    CHECK(f.calls == st.tries);
    CHECK(f.invalid_calls == 0);
    CHECK(st.rejected_invalid > 0);   /* proposals were made that repair could not save */
}

static void minimizing_should_be_deterministic(void)
{
    fake f1 = {.bug = reshape_bug}, f2 = {.bug = reshape_bug};
    parse(big_case_json, &in);
    ml_minimize_stats s1, s2;
    CHECK(ml_minimize_with(fake_judge, &f1, &in, NULL, &out, &s1, NULL, 0));
    CHECK(ml_minimize_with(fake_judge, &f2, &in, NULL, &out2, &s2, NULL, 0));
    CHECK(ml_case_equal(&out, &out2));
    CHECK(s1.tries == s2.tries && f1.calls == f2.calls);
}

static void negative_step_family_should_keep_one_reversed_slice(void)
{
    fake f = {.bug = negative_step_bug};
    parse("{\"memlayout\":1,\"dtype\":\"<u2\",\"backing\":{\"source\":\"raw\",\"shape\":[6,5],\"order\":\"C\","
          "\"offset\":24,\"mode\":\"c\"},\"ops\":[{\"op\":\"swapaxes\",\"axis1\":0,\"axis2\":1},"
          "{\"op\":\"slice\",\"axis\":1,\"start\":5,\"stop\":0,\"step\":-2},{\"op\":\"ravel\",\"order\":\"F\"}],"
          "\"transport\":\"multiprocessing\",\"seed\":7}", &in);
    CHECK(negative_step_bug(&in));
    ml_minimize_stats st;
    CHECK(ml_minimize_with(fake_judge, &f, &in, NULL, &out, &st, NULL, 0));
    CHECK(out.nops == 1 && out.ops[0].kind == ML_OP_SLICE);
    CHECK(out.ops[0].step == -1 && !out.ops[0].has_start && !out.ops[0].has_stop);
    CHECK(out.ndim == 1 && ml_case_elements(&out) == 2);
    CHECK(out.offset == 0 && out.mode == ML_MODE_R && out.transport == ML_T_REDUCE);
    CHECK_STR(st.sig.structure, "raw 1d r <f8: slice(step -1)");
    CHECK(f.invalid_calls == 0);
}

static void a_budget_of_cases_should_stop_early_and_say_so(void)
{
    fake f = {.bug = reshape_bug};
    parse(big_case_json, &in);
    ml_minimize_opts o = {.max_tries = 3};
    ml_minimize_stats st;
    CHECK(ml_minimize_with(fake_judge, &f, &in, &o, &out, &st, NULL, 0));
    CHECK(st.stopped_early);
    CHECK(strstr(st.stop_reason, "3 cases") != NULL);
    CHECK(f.calls == 3);
    CHECK(reshape_bug(&out));   /* still the smallest reproducing case found */
}

static void a_time_budget_should_stop_early(void)
{
    fake f = {.bug = reshape_bug};
    parse(big_case_json, &in);
    ml_minimize_opts o = {.max_seconds = 1e-9};
    ml_minimize_stats st;
    CHECK(ml_minimize_with(fake_judge, &f, &in, &o, &out, &st, NULL, 0));
    CHECK(st.stopped_early);
    CHECK(strstr(st.stop_reason, " s") != NULL);
}

static void a_stop_request_should_stop_early(void)
{
    fake f = {.bug = reshape_bug};
    parse(big_case_json, &in);
    volatile sig_atomic_t stop = 1;
    ml_minimize_opts o = {.stop = &stop};
    ml_minimize_stats st;
    CHECK(ml_minimize_with(fake_judge, &f, &in, &o, &out, &st, NULL, 0));
    CHECK(st.stopped_early);
    CHECK_STR(st.stop_reason, "interrupted");
    CHECK(ml_case_equal(&out, &in));
}

static void keep_transport_should_keep_loky(void)
{
    fake f = {.bug = reshape_bug};
    parse(big_case_json, &in);
    ml_minimize_opts o = {.keep_transport = true};
    ml_minimize_stats st;
    CHECK(ml_minimize_with(fake_judge, &f, &in, &o, &out, &st, NULL, 0));
    CHECK(out.transport == ML_T_LOKY);
    CHECK(out.nops == 1);
}

static void a_passing_case_should_not_be_minimized(void)
{
    fake f = {.bug = negative_step_bug};
    parse(big_case_json, &in);
    ml_minimize_stats st;
    char err[256];
    CHECK(!ml_minimize_with(fake_judge, &f, &in, NULL, &out, &st, err, sizeof err));
    CHECK(!st.input_fails);
    CHECK(strstr(err, "does not fail (pass)") != NULL);
    CHECK(ml_case_equal(&out, &in));
}

static void a_broken_judge_should_fail_with_its_error(void)
{
    fake f = {.bug = reshape_bug, .broken = true};
    parse(big_case_json, &in);
    ml_minimize_stats st;
    char err[256];
    CHECK(!ml_minimize_with(fake_judge, &f, &in, NULL, &out, &st, err, sizeof err));
    CHECK_STR(err, "python: cannot start");
}

static void another_family_should_not_be_taken_for_the_bug(void)
{
    /* a judge whose failure changes class once the transport is cheaper:
     * the transport must stay (copy/pickle never has the share/joblib class) */
    fake f = {.bug = reshape_bug};
    parse(big_case_json, &in);
    in.transport = ML_T_MULTIPROCESSING;
    ml_minimize_stats st;
    CHECK(ml_minimize_with(fake_judge, &f, &in, NULL, &out, &st, NULL, 0));
    CHECK(out.transport == ML_T_REDUCE);
    CHECK_STR(st.sig.kind, "share/joblib");
}


/* ---- the new op kinds ---------------------------------------------------- */

/* A quarter turn (odd k) of a view whose final shape has two or more
 * elements: fail:backing,oob. */
static int rot90_bug(const ml_case *c)
{
    if (!joblib_family(c->transport))
        return 0;
    bool odd = false;
    for (int i = 0; i < c->nops; i++)
        odd |= c->ops[i].kind == ML_OP_ROT90 && (c->ops[i].index % 2 != 0);
    int64_t shape[ML_MAX_NDIM], n = 1;
    int nd = ml_case_shape_after(c, c->nops, shape);
    for (int i = 0; i < nd; i++)
        n *= shape[i];
    return odd && nd >= 0 && n >= 2 ? 2 : 0;
}

/* A multi-field view that keeps field "b": fail:backing,oob. */
static int fields_bug(const ml_case *c)
{
    if (!joblib_family(c->transport))
        return 0;
    for (int i = 0; i < c->nops; i++)
        if (c->ops[i].kind == ML_OP_FIELDS)
            for (int j = 0; j < c->ops[i].nnames; j++)
                if (strcmp(c->ops[i].names[j], "b") == 0)
                    return 2;
    return 0;
}

/* An as_strided or sliding window with a repeated byte: a zero stride or a
 * window longer than 1 on an axis longer than 1. */
static int overlap_bug(const ml_case *c)
{
    if (!joblib_family(c->transport))
        return 0;
    for (int i = 0; i < c->nops; i++) {
        const ml_op *op = &c->ops[i];
        for (int j = 0; op->kind == ML_OP_AS_STRIDED && j < op->ndim; j++)
            if (op->strides[j] == 0 && op->shape[j] > 1)
                return 2;
        for (int j = 0; op->kind == ML_OP_SLIDING_WINDOW && j < op->ndim; j++)
            if (op->shape[j] > 1)
                return 2;
    }
    return 0;
}

/* Fails whatever the case, in the joblib family: every proposal is kept
 * when smaller, so every new kind is shrunk as far as it goes. */
static int always_bug(const ml_case *c)
{
    return joblib_family(c->transport) ? 2 : 0;
}

static void a_quarter_turn_should_shrink_to_one_rot90_by_one(void)
{
    fake f = {.bug = rot90_bug};
    ml_minimize_stats st;
    parse("{\"memlayout\":1,\"dtype\":\">i4\",\"backing\":{\"source\":\"npy\",\"shape\":[4,6,2],\"order\":\"F\","
          "\"offset\":0,\"mode\":\"r+\"},\"ops\":[{\"op\":\"flip\",\"axis\":null},"
          "{\"op\":\"rot90\",\"k\":-5,\"axes\":[2,0]},{\"op\":\"diagonal\",\"offset\":-1,\"axis1\":0,\"axis2\":-1},"
          "{\"op\":\"asarray\",\"via\":\"view\"}],\"transport\":\"loky\",\"seed\":3}", &in);
    CHECK(rot90_bug(&in));
    CHECK(ml_minimize_with(fake_judge, &f, &in, NULL, &out, &st, NULL, 0));
    CHECK(!st.stopped_early);
    CHECK(out.nops == 1 && out.ops[0].kind == ML_OP_ROT90 && out.ops[0].index == 1);
    CHECK(out.ndim == 2 && ml_case_elements(&out) == 2);
    CHECK(out.transport == ML_T_REDUCE && out.mode == ML_MODE_R && out.source == ML_SRC_RAW);
    CHECK(f.invalid_calls == 0);
    CHECK(rot90_bug(&out));
}

static void a_multi_field_view_should_keep_only_the_field_that_matters(void)
{
    fake f = {.bug = fields_bug};
    ml_minimize_stats st;
    parse("{\"memlayout\":1,\"dtype\":[[\"a\",\"<f8\"],[\"b\",\"<i2\",[2,3]],[\"c\",\"|u1\"],[\"d\",\"<c8\"]],"
          "\"backing\":{\"source\":\"raw\",\"shape\":[5,3],\"order\":\"C\",\"offset\":4,\"mode\":\"c\"},"
          "\"ops\":[{\"op\":\"sliding_window\",\"window\":[2],\"axis\":[0]},"
          "{\"op\":\"fields\",\"names\":[\"d\",\"b\",\"a\",\"c\"]},{\"op\":\"field\",\"name\":\"d\"},"
          "{\"op\":\"imag\"}],\"transport\":\"multiprocessing\",\"seed\":5}", &in);
    CHECK(fields_bug(&in));
    CHECK(ml_minimize_with(fake_judge, &f, &in, NULL, &out, &st, NULL, 0));
    CHECK(!st.stopped_early);
    CHECK(out.nops == 1 && out.ops[0].kind == ML_OP_FIELDS);
    CHECK(out.ops[0].nnames == 1 && strcmp(out.ops[0].names[0], "b") == 0);
    /* the fields no op names are dropped, b's sub-array made a plain field */
    CHECK(out.dtype.nfields == 1 && strcmp(out.dtype.names[0], "b") == 0 && out.dtype.subndim[0] == 0);
    CHECK(out.ndim == 1 && ml_case_elements(&out) == 1);
    CHECK(out.offset == 0 && out.transport == ML_T_REDUCE);
    CHECK(f.invalid_calls == 0);
}

static void as_strided_should_shrink_to_the_overlapping_dim(void)
{
    fake f = {.bug = overlap_bug};
    ml_minimize_stats st;
    parse("{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"npy\",\"shape\":[6,5],\"order\":\"C\","
          "\"offset\":0,\"mode\":\"r\"},\"ops\":[{\"op\":\"rot90\",\"k\":2,\"axes\":[0,1]},"
          "{\"op\":\"as_strided\",\"shape\":[3,4,5],\"strides\":[-8,0,-40]}],\"transport\":\"loky\",\"seed\":0}", &in);
    CHECK(overlap_bug(&in));
    CHECK(ml_minimize_with(fake_judge, &f, &in, NULL, &out, &st, NULL, 0));
    CHECK(!st.stopped_early);
    CHECK(out.nops == 1 && out.ops[0].kind == ML_OP_AS_STRIDED);
    CHECK(out.ops[0].ndim == 1 && out.ops[0].shape[0] == 2 && out.ops[0].strides[0] == 0);
    CHECK(ml_case_elements(&out) == 1);
    CHECK(f.invalid_calls == 0);
}

static void a_sliding_window_should_shrink_to_one_window_of_two(void)
{
    fake f = {.bug = overlap_bug};
    ml_minimize_stats st;
    parse("{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",\"shape\":[7,5,4],\"order\":\"C\","
          "\"offset\":0,\"mode\":\"r\"},\"ops\":[{\"op\":\"flip\",\"axis\":1},"
          "{\"op\":\"sliding_window\",\"window\":[3,4,1],\"axis\":[0,-1,0]}],\"transport\":\"loky\",\"seed\":0}", &in);
    CHECK(overlap_bug(&in));
    CHECK(ml_minimize_with(fake_judge, &f, &in, NULL, &out, &st, NULL, 0));
    CHECK(!st.stopped_early);
    CHECK(out.nops == 1 && out.ops[0].kind == ML_OP_SLIDING_WINDOW);
    CHECK(out.ops[0].ndim == 1 && out.ops[0].shape[0] == 2);
    CHECK(out.ndim == 1 && out.shape[0] == 2);
    CHECK(f.invalid_calls == 0);
}

/* Every new kind in one chain, a judge that always fails: the minimizer
 * stops at a fixed point, deterministically, and runs only valid cases. */
static void every_new_kind_should_shrink_without_looping_or_invalid_cases(void)
{
    static const char *chains[] = {
        "{\"memlayout\":1,\"dtype\":[[\"x\",\"<f8\"],[\"z\",\"<c16\",[2]],[\"y\",\"<i2\"]],"
        "\"backing\":{\"source\":\"npy\",\"shape\":[3,4,5],\"order\":\"F\",\"offset\":0,\"mode\":\"w+\"},"
        "\"ops\":[{\"op\":\"flip\",\"axis\":-1},{\"op\":\"rot90\",\"k\":3,\"axes\":[0,2]},"
        "{\"op\":\"fields\",\"names\":[\"z\",\"x\"]},{\"op\":\"sliding_window\",\"window\":[2,2],\"axis\":[1,-1]},"
        "{\"op\":\"diagonal\",\"offset\":-1,\"axis1\":0,\"axis2\":1},{\"op\":\"field\",\"name\":\"z\"},"
        "{\"op\":\"imag\"},{\"op\":\"asarray\",\"via\":\"view\"},{\"op\":\"flip\",\"axis\":null},"
        "{\"op\":\"as_strided\",\"shape\":[2,3],\"strides\":[16,0]}],"
        "\"transport\":\"loky\",\"seed\":11}",
        "{\"memlayout\":1,\"dtype\":\"<c8\",\"backing\":{\"source\":\"raw\",\"shape\":[4,3,2],\"order\":\"C\","
        "\"offset\":16,\"mode\":\"r+\"},\"ops\":[{\"op\":\"sliding_window\",\"window\":[2,3,1],\"axis\":null},"
        "{\"op\":\"diagonal\",\"offset\":1,\"axis1\":-1,\"axis2\":2},{\"op\":\"rot90\",\"k\":-2,\"axes\":[-1,1]},"
        "{\"op\":\"real\"},{\"op\":\"flip\",\"axis\":null}],\"transport\":\"multiprocessing\",\"seed\":2}",
    };
    for (int i = 0; i < 2; i++) {
        fake f1 = {.bug = always_bug}, f2 = {.bug = always_bug};
        ml_minimize_stats s1, s2;
        parse(chains[i], &in);
        CHECK(ml_minimize_with(fake_judge, &f1, &in, NULL, &out, &s1, NULL, 0));
        CHECK(ml_minimize_with(fake_judge, &f2, &in, NULL, &out2, &s2, NULL, 0));
        CHECK(!s1.stopped_early);
        CHECK(f1.invalid_calls == 0);
        CHECK(ml_case_equal(&out, &out2) && s1.tries == s2.tries);
        CHECK(out.nops == 0 && ml_case_elements(&out) <= 1);
    }
}

int main(void)
{
    RUN(reshape_family_should_shrink_to_one_reshape_of_four_elements);
    RUN(minimizing_should_only_run_valid_cases);
    RUN(minimizing_should_be_deterministic);
    RUN(negative_step_family_should_keep_one_reversed_slice);
    RUN(a_budget_of_cases_should_stop_early_and_say_so);
    RUN(a_time_budget_should_stop_early);
    RUN(a_stop_request_should_stop_early);
    RUN(keep_transport_should_keep_loky);
    RUN(a_passing_case_should_not_be_minimized);
    RUN(a_broken_judge_should_fail_with_its_error);
    RUN(another_family_should_not_be_taken_for_the_bug);
    RUN(a_quarter_turn_should_shrink_to_one_rot90_by_one);
    RUN(a_multi_field_view_should_keep_only_the_field_that_matters);
    RUN(as_strided_should_shrink_to_the_overlapping_dim);
    RUN(a_sliding_window_should_shrink_to_one_window_of_two);
    RUN(every_new_kind_should_shrink_without_looping_or_invalid_cases);
    return check_summary("test_minimize");
}

/* Signatures and triage grouping, from hand-made observations (no Python). */
#include "check.h"
#include "signature.h"
#include "triage.h"

#include <cJSON.h>
#include <stdlib.h>

static const ml_limits lim = {0};

static const char *pe_json =
    "{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",\"shape\":[15],\"order\":\"C\","
    "\"offset\":0,\"mode\":\"r\"},\"ops\":[{\"op\":\"reshape\",\"shape\":[5,3],\"order\":\"C\"}],"
    "\"transport\":\"loky\",\"seed\":1}";

static ml_case c;
static ml_result r;

static void parse(const char *json, ml_case *out)
{
    char err[ML_ERR_MAX];
    bool ok = ml_case_parse(json, strlen(json), &lim, out, err, sizeof err);
    CHECK(ok);
}

/* A result as the public example's: parent C, child F, judged by the oracle. */
static ml_verdict observe(ml_case *cc, ml_transport t, bool child_f)
{
    cc->transport = t;
    memset(&r, 0, sizeof r);
    r.status = ML_RES_OK;
    ml_obs *o[2] = {&r.parent, &r.child};
    for (int i = 0; i < 2; i++) {
        o[i]->present = true;
        o[i]->ndim = 2;
        o[i]->shape[0] = 5;
        o[i]->shape[1] = 3;
        o[i]->itemsize = 8;
        snprintf(o[i]->dtype, sizeof o[i]->dtype, "<f8");
        o[i]->aligned = true;
        o[i]->backed = true;
        snprintf(o[i]->file, sizeof o[i]->file, "/tmp/x.dat");
        snprintf(o[i]->mode, sizeof o[i]->mode, "r");
        o[i]->len = o[i]->hi = 120;
        o[i]->has_hash = true;
        snprintf(o[i]->hash, sizeof o[i]->hash, "aa");
    }
    r.parent.c = true;
    r.parent.strides[0] = 24;
    r.parent.strides[1] = 8;
    if (child_f) {
        r.child.f = true;
        r.child.strides[0] = 8;
        r.child.strides[1] = 40;
        snprintf(r.child.hash, sizeof r.child.hash, "bb");
    } else {
        r.child.c = true;
        r.child.strides[0] = 24;
        r.child.strides[1] = 8;
    }
    r.has_file = true;
    r.size_before = r.size_after = 120;
    snprintf(r.hash_before, sizeof r.hash_before, "ff");
    snprintf(r.hash_after, sizeof r.hash_after, "ff");
    return ml_oracle_judge(cc, &r);
}

static void the_public_example_should_have_kind_verdict_and_transition(void)
{
    parse(pe_json, &c);
    ml_verdict v = observe(&c, ML_T_LOKY, true);
    ml_sig s;
    ml_sig_from(&c, &r, &v, &s);
    CHECK_STR(s.kind, "share/joblib");
    CHECK_STR(s.verdict, "fail:data,flags,strides");
    CHECK_STR(s.transition, "C>F");
    CHECK_STR(s.structure, "");
    char buf[512];
    CHECK_STR(ml_sig_str(&s, buf, sizeof buf), "share/joblib fail:data,flags,strides C>F");
}

static void reduce_loky_and_multiprocessing_should_be_one_class(void)
{
    ml_sig s[3];
    ml_transport t[3] = {ML_T_REDUCE, ML_T_LOKY, ML_T_MULTIPROCESSING};
    for (int i = 0; i < 3; i++) {
        parse(pe_json, &c);
        ml_verdict v = observe(&c, t[i], true);
        ml_sig_from(&c, &r, &v, &s[i]);
    }
    CHECK(ml_sig_same_class(&s[0], &s[1]) && ml_sig_same_class(&s[1], &s[2]));
    char a[9], b[9];
    CHECK_STR(ml_sig_id(&s[0], false, a), ml_sig_id(&s[2], false, b));
}

static void pickle_and_joblib_should_be_different_kinds(void)
{
    ml_sig a, b;
    parse(pe_json, &c);
    ml_verdict v = observe(&c, ML_T_LOKY, true);
    ml_sig_from(&c, &r, &v, &a);
    v = observe(&c, ML_T_PICKLE5, true);
    ml_sig_from(&c, &r, &v, &b);
    CHECK_STR(b.kind, "copy/pickle");
    CHECK_STR(b.verdict, "fail:data,flags");
    CHECK(!ml_sig_same_class(&a, &b));
    char ia[9], ib[9];
    CHECK(strcmp(ml_sig_id(&a, false, ia), ml_sig_id(&b, false, ib)) != 0);
}

static void unchanged_flags_should_not_split_a_bug(void)
{
    /* a writeable failure is one bug whatever the layout it was seen on */
    parse(pe_json, &c);
    ml_verdict v = observe(&c, ML_T_LOKY, false);
    v.kind = ML_V_FAIL;
    v.fails = 1u << ML_INV_WRITEABLE;
    ml_sig a, b;
    ml_sig_from(&c, &r, &v, &a);
    r.parent.c = r.child.c = false;
    ml_sig_from(&c, &r, &v, &b);
    CHECK_STR(a.transition, "=");
    CHECK(ml_sig_same_class(&a, &b));
}

static void values_that_happen_to_match_should_not_split_a_layout_bug(void)
{
    ml_sig a, b, c2;
    memset(&a, 0, sizeof a);
    snprintf(a.kind, sizeof a.kind, "share/joblib");
    snprintf(a.transition, sizeof a.transition, "C>F");
    b = c2 = a;
    snprintf(a.verdict, sizeof a.verdict, "fail:data,flags,strides");
    snprintf(b.verdict, sizeof b.verdict, "fail:flags,strides");
    snprintf(c2.verdict, sizeof c2.verdict, "fail:data,flags,strides,writeable");
    CHECK(ml_sig_same_class(&a, &b));
    CHECK(!ml_sig_same_class(&a, &c2));
    char ia[9], ib[9];
    CHECK_STR(ml_sig_id(&a, false, ia), ml_sig_id(&b, false, ib));
    /* without a layout failure, data is the bug itself */
    snprintf(a.verdict, sizeof a.verdict, "fail:dtype,data");
    snprintf(b.verdict, sizeof b.verdict, "fail:dtype");
    CHECK(!ml_sig_same_class(&a, &b));
}

static void transitions_should_name_both_ends(void)
{
    ml_obs o;
    memset(&o, 0, sizeof o);
    CHECK_STR(ml_sig_flags(&o), "?");
    o.present = true;
    CHECK_STR(ml_sig_flags(&o), "-");
    o.c = o.f = true;
    CHECK_STR(ml_sig_flags(&o), "CF");
    o.c = false;
    CHECK_STR(ml_sig_flags(&o), "F");
    /* an error without a child observation */
    parse(pe_json, &c);
    memset(&r, 0, sizeof r);
    r.status = ML_RES_ERROR;
    snprintf(r.error_kind, sizeof r.error_kind, "crash");
    r.parent.present = r.parent.c = true;
    ml_verdict v = ml_oracle_judge(&c, &r);
    ml_sig s;
    ml_sig_from(&c, &r, &v, &s);
    CHECK_STR(s.verdict, "error:crash");
    CHECK_STR(s.transition, "=");   /* no flags were judged */
}

static void structure_should_keep_orders_and_steps_but_not_sizes(void)
{
    char a[ML_SIG_PART], b[ML_SIG_PART];
    parse(pe_json, &c);
    CHECK_STR(ml_sig_structure(&c, a, sizeof a), "raw 1d r <f8: reshape(C,2d)");
    ml_case d;
    parse("{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",\"shape\":[4],\"order\":\"C\","
          "\"offset\":0,\"mode\":\"r\"},\"ops\":[{\"op\":\"reshape\",\"shape\":[2,2],\"order\":\"C\"}],"
          "\"transport\":\"reduce\",\"seed\":0}", &d);
    CHECK_STR(ml_sig_structure(&d, b, sizeof b), a);
    parse("{\"memlayout\":1,\"dtype\":[[\"x\",\"<i4\"]],\"backing\":{\"source\":\"npy\",\"shape\":[3,4],\"order\":\"F\","
          "\"offset\":0,\"mode\":\"c\"},\"ops\":[{\"op\":\"transpose\",\"axes\":null},"
          "{\"op\":\"slice\",\"axis\":0,\"start\":null,\"stop\":null,\"step\":-2},{\"op\":\"index\",\"axis\":0,\"index\":1}],"
          "\"transport\":\"pickle5\",\"seed\":3}", &d);
    CHECK_STR(ml_sig_structure(&d, b, sizeof b),
              "npy 2d F c struct: transpose, slice(step<-1), index(1d)");
}

static void ids_should_depend_on_structure_only_when_asked(void)
{
    ml_sig s;
    memset(&s, 0, sizeof s);
    snprintf(s.kind, sizeof s.kind, "share/joblib");
    snprintf(s.verdict, sizeof s.verdict, "fail:data");
    snprintf(s.transition, sizeof s.transition, "C>F");
    char a[9], b[9], x[9], y[9];
    ml_sig_id(&s, false, a);
    ml_sig_id(&s, true, x);
    snprintf(s.structure, sizeof s.structure, "raw 1d r <f8: reshape(C,2d)");
    ml_sig_id(&s, false, b);
    ml_sig_id(&s, true, y);
    CHECK_STR(a, b);
    CHECK(strcmp(x, y) != 0);
    CHECK(strlen(a) == 8);
}

static void triage_should_count_each_class_once_and_keep_the_earliest(void)
{
    ml_bugs *b = ml_bugs_new();
    ml_case *cc = malloc(sizeof *cc);
    parse(pe_json, cc);
    ml_verdict v = observe(cc, ML_T_LOKY, true);
    CHECK(ml_bugs_add(b, cc, &r, &v, "000007-loky.json", 100.0, 7) == 0);
    v = observe(cc, ML_T_REDUCE, true);
    CHECK(ml_bugs_add(b, cc, &r, &v, "000003-reduce.json", 90.0, 3) == 0);
    v = observe(cc, ML_T_PICKLE5, true);
    CHECK(ml_bugs_add(b, cc, &r, &v, "000001-pickle5.json", 80.0, 1) == 1);
    v = observe(cc, ML_T_LOKY, false);   /* a pass is no finding */
    CHECK(ml_bugs_add(b, cc, &r, &v, "000002-loky.json", 85.0, 2) == -1);
    CHECK(ml_bugs_count(b) == 2);
    CHECK(ml_bugs_findings(b) == 3);
    ml_bugs_sort(b);
    ml_bug *first = ml_bugs_get(b, 0), *second = ml_bugs_get(b, 1);
    CHECK_STR(first->sig.kind, "copy/pickle");
    CHECK_STR(second->sig.kind, "share/joblib");
    CHECK(second->count == 2);
    CHECK_STR(second->first_name, "000003-reduce.json");
    CHECK(second->example.transport == ML_T_REDUCE);
    CHECK(second->per_transport[ML_T_LOKY] == 1 && second->per_transport[ML_T_REDUCE] == 1);

    char *json = ml_bugs_json(b);
    cJSON *j = json ? cJSON_Parse(json) : NULL;
    CHECK(j != NULL);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "bugs")) == 2);
    CHECK(cJSON_GetObjectItem(j, "findings")->valuedouble == 3);
    cJSON_Delete(j);
    free(json);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ml_bugs_print(b, f);
    fclose(f);
    CHECK(strstr(text, "2 distinct bugs in 3 findings") != NULL);
    CHECK(strstr(text, "share/joblib fail:data,flags,strides C>F") != NULL);
    CHECK(strstr(text, "not minimized") != NULL);
    free(text);
    free(cc);
    ml_bugs_free(b);
}

int main(void)
{
    RUN(the_public_example_should_have_kind_verdict_and_transition);
    RUN(reduce_loky_and_multiprocessing_should_be_one_class);
    RUN(pickle_and_joblib_should_be_different_kinds);
    RUN(transitions_should_name_both_ends);
    RUN(unchanged_flags_should_not_split_a_bug);
    RUN(values_that_happen_to_match_should_not_split_a_layout_bug);
    RUN(structure_should_keep_orders_and_steps_but_not_sizes);
    RUN(ids_should_depend_on_structure_only_when_asked);
    RUN(triage_should_count_each_class_once_and_keep_the_earliest);
    return check_summary("test_signature");
}

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

static void the_public_example_should_be_an_order_defect_of_a_1d_backing(void)
{
    parse(pe_json, &c);
    ml_verdict v = observe(&c, ML_T_LOKY, true);
    ml_sig s;
    ml_sig_from(&c, &r, &v, &s);
    CHECK_STR(s.kind, "share/joblib");
    CHECK_STR(s.aspect, "order");
    CHECK_STR(s.cause, "a C-contiguous view of a 1-d backing arrives F-contiguous");
    CHECK(s.severity == ML_SEV_CORRUPT);
    CHECK_STR(s.verdict, "fail:data,flags,strides");
    CHECK_STR(s.transition, "C>F");
    CHECK_STR(s.structure, "");
    char buf[512];
    CHECK_STR(ml_sig_str(&s, buf, sizeof buf),
              "share/joblib order: a C-contiguous view of a 1-d backing arrives F-contiguous");
    CHECK_STR(ml_sig_summary(&s, buf, sizeof buf),
              "joblib: a C-contiguous view of a 1-d backing arrives F-contiguous; "
              "the worker computes on scrambled values");
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
    CHECK_STR(b.aspect, "order");
    CHECK(!ml_sig_same_class(&a, &b));
    char ia[9], ib[9];
    CHECK(strcmp(ml_sig_id(&a, false, ia), ml_sig_id(&b, false, ib)) != 0);
    /* dask copies with its own serializer: a kind of its own */
    ml_sig d;
    v = observe(&c, ML_T_DASK, true);
    ml_sig_from(&c, &r, &v, &d);
    CHECK_STR(d.kind, "copy/dask");
    CHECK(!ml_sig_same_class(&b, &d));
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
    ml_sig a, b;
    parse(pe_json, &c);
    ml_verdict v = observe(&c, ML_T_LOKY, true);
    ml_sig_from(&c, &r, &v, &a);
    snprintf(r.child.hash, sizeof r.child.hash, "aa");   /* the values happen to match */
    v = ml_oracle_judge(&c, &r);
    ml_sig_from(&c, &r, &v, &b);
    CHECK_STR(b.verdict, "fail:flags,strides");
    CHECK(ml_sig_same_class(&a, &b));
    CHECK(a.severity == ML_SEV_CORRUPT && b.severity == ML_SEV_LAYOUT);
    char ia[9], ib[9];
    CHECK_STR(ml_sig_id(&a, false, ia), ml_sig_id(&b, false, ib));
}

static void a_finding_with_two_defects_should_count_toward_two_bugs(void)
{
    parse(pe_json, &c);
    ml_verdict v = observe(&c, ML_T_LOKY, true);
    r.child.writeable = true;   /* read-only sent, writeable received: a second defect */
    v = ml_oracle_judge(&c, &r);
    ml_sig all[ML_SIG_MAX];
    CHECK(ml_sig_all(&c, &r, &v, all) == 2);
    CHECK_STR(all[0].aspect, "order");
    CHECK(all[0].severity == ML_SEV_CORRUPT);
    CHECK_STR(all[1].aspect, "writeable");
    CHECK_STR(all[1].cause, "a read-only view arrives writeable");
    CHECK(all[1].severity == ML_SEV_REPRESENTATION);
    CHECK(ml_sig_shows(&c, &r, &v, &all[1]));
    /* the same writeability defect alone is the same bug */
    ml_verdict w = v;
    w.fails = 1u << ML_INV_WRITEABLE;
    ml_sig alone;
    ml_sig_from(&c, &r, &w, &alone);
    CHECK(ml_sig_same_class(&alone, &all[1]));
    CHECK(!ml_sig_same_class(&alone, &all[0]));
}

static void a_transpose_either_way_should_be_one_bug(void)
{
    static const char *const backings[2] = {"\"shape\":[2,3],\"order\":\"C\"", "\"shape\":[2,3],\"order\":\"F\""};
    ml_sig s[2];
    for (int i = 0; i < 2; i++) {
        char json[512];
        snprintf(json, sizeof json, "{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",%s,"
                 "\"offset\":0,\"mode\":\"r\"},\"ops\":[{\"op\":\"transpose\",\"axes\":null}],"
                 "\"transport\":\"reduce\",\"seed\":1}", backings[i]);
        parse(json, &c);
        observe(&c, ML_T_REDUCE, true);
        /* parent: the transpose, in the order opposite to the backing's;
         * child: rebuilt in the backing's order */
        r.parent.c = i == 1;
        r.parent.f = i == 0;
        r.child.c = i == 0;
        r.child.f = i == 1;
        ml_verdict v = ml_oracle_judge(&c, &r);
        ml_sig_from(&c, &r, &v, &s[i]);
        CHECK_STR(s[i].aspect, "order");
    }
    CHECK_STR(s[0].cause, "a contiguous view in the order opposite to its backing's arrives in the backing's order");
    CHECK(ml_sig_same_class(&s[0], &s[1]));
    CHECK(strcmp(s[0].transition, s[1].transition) != 0);   /* variants of one bug */
}

/* An empty view whose data pointer lies past the end of the file: joblib
 * cannot map it with mode r (error:rebuild) and grows the file with w+
 * (fail:file). One defect. */
static void the_mode_should_not_split_an_empty_view_past_the_end(void)
{
    parse("{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",\"shape\":[4],\"order\":\"C\","
          "\"offset\":0,\"mode\":\"r\"},\"ops\":[{\"op\":\"slice\",\"axis\":0,\"start\":4,\"stop\":null,"
          "\"step\":1}],\"transport\":\"reduce\",\"seed\":1}", &c);
    memset(&r, 0, sizeof r);
    r.status = ML_RES_ERROR;
    snprintf(r.error_kind, sizeof r.error_kind, "rebuild");
    r.parent.present = r.parent.backed = r.parent.c = r.parent.f = true;
    r.parent.ndim = 1;
    r.parent.strides[0] = 8;
    r.parent.first = r.parent.len = 32;   /* the data pointer at the end */
    ml_verdict v = ml_oracle_judge(&c, &r);
    ml_sig a, b;
    ml_sig_from(&c, &r, &v, &a);
    CHECK_STR(a.aspect, "rebuild");
    CHECK(a.severity == ML_SEV_ERROR);
    CHECK_STR(a.cause, "an empty view whose data pointer lies at or past the end of the mapping");
    /* mode w+: rebuilt, and the file grew */
    c.mode = ML_MODE_WPLUS;
    v.kind = ML_V_FAIL;
    v.fails = 1u << ML_INV_FILE;
    ml_sig_from(&c, &r, &v, &b);
    CHECK(ml_sig_same_class(&a, &b));
    CHECK(b.severity == ML_SEV_CORRUPT);
    /* the same error on a view that is not empty is another bug */
    r.parent.shape[0] = 1;
    r.parent.first = 0;
    v = ml_oracle_judge(&c, &r);
    ml_sig_from(&c, &r, &v, &b);
    CHECK(!ml_sig_same_class(&a, &b));
}

/* joblib counts a strided view's span in whole items: a stride that is no
 * multiple of the item size is the cause of a bounds defect, before the
 * zero stride the same view may have. */
static void strides_that_are_no_multiple_of_the_item_size_should_name_the_bounds_bug(void)
{
    parse("{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",\"shape\":[5],\"order\":\"C\","
          "\"offset\":0,\"mode\":\"r\"},\"ops\":[{\"op\":\"as_strided\",\"shape\":[2,2],\"strides\":[0,12]}],"
          "\"transport\":\"reduce\",\"seed\":1}", &c);
    observe(&c, ML_T_REDUCE, false);
    ml_obs *o[2] = {&r.parent, &r.child};
    for (int i = 0; i < 2; i++) {
        o[i]->shape[0] = o[i]->shape[1] = 2;
        o[i]->strides[0] = 0;
        o[i]->strides[1] = 12;
        o[i]->c = false;
        o[i]->lo = 0;
        o[i]->hi = 20;
    }
    r.parent.len = 40;
    r.child.len = 16;          /* 20 // 8 whole items mapped */
    ml_verdict v = ml_oracle_judge(&c, &r);
    CHECK(v.kind == ML_V_FAIL && (v.fails & (1u << ML_INV_OOB)));
    ml_sig a, b;
    ml_sig_from(&c, &r, &v, &a);
    CHECK_STR(a.aspect, "bounds");
    CHECK_STR(a.cause, "a view whose strides are no multiple of its item size");
    /* a stride of whole items on that axis: the zero stride names it */
    r.parent.strides[1] = r.child.strides[1] = 16;
    v = ml_oracle_judge(&c, &r);
    ml_sig_from(&c, &r, &v, &b);
    CHECK_STR(b.cause, "a view with zero strides (broadcast)");
    CHECK(!ml_sig_same_class(&a, &b));
}

/* Pickle protocols 2-4 send ">f8" data as "<f8" with equal values: the
 * dtype is the defect, a representation one; the values are not. */
static void a_byte_order_change_with_equal_values_should_be_representation(void)
{
    parse(pe_json, &c);
    observe(&c, ML_T_PICKLE4, false);
    snprintf(r.parent.dtype, sizeof r.parent.dtype, ">f8");
    snprintf(r.child.dtype, sizeof r.child.dtype, "<f8");
    r.child.backed = false;
    r.parent.has_vhash = true;                                   /* its values, natively */
    snprintf(r.parent.vhash, sizeof r.parent.vhash, "cc");
    snprintf(r.parent.hash, sizeof r.parent.hash, "aa");         /* its bytes */
    snprintf(r.child.hash, sizeof r.child.hash, "cc");           /* native: bytes are values */
    ml_verdict v = ml_oracle_judge(&c, &r);
    char vs[128];
    CHECK_STR(ml_verdict_str(&v, vs, sizeof vs), "fail:dtype");
    ml_sig s;
    ml_sig_from(&c, &r, &v, &s);
    CHECK_STR(s.aspect, "dtype");
    CHECK_STR(s.cause, "the byte order changes");
    CHECK(s.severity == ML_SEV_REPRESENTATION);
    /* other values: the data broke too, and the same defect is corrupt */
    snprintf(r.child.hash, sizeof r.child.hash, "dd");
    v = ml_oracle_judge(&c, &r);
    CHECK_STR(ml_verdict_str(&v, vs, sizeof vs), "fail:dtype,data");
    ml_sig t;
    ml_sig_from(&c, &r, &v, &t);
    CHECK(ml_sig_same_class(&s, &t));
    CHECK(t.severity == ML_SEV_CORRUPT);
}

static void severities_should_have_names_both_ways(void)
{
    for (int i = 0; i < ML_SEV_COUNT; i++) {
        ml_severity back;
        CHECK(ml_severity_from_name(ml_severity_name((ml_severity)i), &back) && back == (ml_severity)i);
    }
    ml_severity x;
    CHECK(!ml_severity_from_name("bad", &x));
    CHECK_STR(ml_severity_name(ML_SEV_CORRUPT), "corrupt");
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
    snprintf(s.aspect, sizeof s.aspect, "order");
    snprintf(s.cause, sizeof s.cause, "a C-contiguous view of a 1-d backing arrives F-contiguous");
    char a[9], b[9], x[9], y[9], z[9];
    ml_sig_id(&s, false, a);
    ml_sig_id(&s, true, x);
    snprintf(s.structure, sizeof s.structure, "raw 1d r <f8: reshape(C,2d)");
    snprintf(s.verdict, sizeof s.verdict, "fail:flags,strides");   /* a variant: not part of the id */
    ml_sig_id(&s, false, b);
    ml_sig_id(&s, true, y);
    CHECK_STR(a, b);
    CHECK(strcmp(x, y) != 0);
    CHECK(strlen(a) == 8);
    snprintf(s.cause, sizeof s.cause, "a view with negative strides");
    CHECK(strcmp(ml_sig_id(&s, false, z), a) != 0);
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
    ml_bugs_sort(b);   /* both corrupt: the one with more findings first */
    ml_bug *first = ml_bugs_get(b, 0), *second = ml_bugs_get(b, 1);
    CHECK_STR(first->sig.kind, "share/joblib");
    CHECK_STR(second->sig.kind, "copy/pickle");
    CHECK(first->count == 2);
    CHECK_STR(first->first_name, "000003-reduce.json");
    CHECK(first->example.transport == ML_T_REDUCE);
    CHECK(first->per_transport[ML_T_LOKY] == 1 && first->per_transport[ML_T_REDUCE] == 1);

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
    CHECK(strstr(text, "#1 bug") != NULL);
    CHECK(strstr(text, "share/joblib order: a C-contiguous view of a 1-d backing arrives F-contiguous") != NULL);
    CHECK(strstr(text, "not minimized") != NULL);
    free(text);
    free(cc);
    ml_bugs_free(b);
}

/* Ranking: a corrupt bug with few findings before a representation one with
 * many; a finding with two defects counts once as a finding. */
static void triage_should_rank_by_severity_then_count(void)
{
    ml_bugs *b = ml_bugs_new();
    ml_case *cc = malloc(sizeof *cc);
    parse(pe_json, cc);
    ml_verdict v = observe(cc, ML_T_LOKY, false);
    r.child.writeable = true;
    v = ml_oracle_judge(cc, &r);                 /* writeable alone */
    for (int i = 0; i < 5; i++)
        CHECK(ml_bugs_add(b, cc, &r, &v, NULL, 10.0 + i, (uint64_t)i) == 0);
    v = observe(cc, ML_T_LOKY, true);
    r.child.writeable = true;
    v = ml_oracle_judge(cc, &r);                 /* order and writeable */
    CHECK(ml_bugs_add(b, cc, &r, &v, NULL, 20.0, 9) == 1);   /* its most severe: the new order bug */
    CHECK(ml_bugs_count(b) == 2);
    CHECK(ml_bugs_findings(b) == 6);
    ml_bugs_sort(b);
    CHECK_STR(ml_bugs_get(b, 0)->sig.aspect, "order");
    CHECK(ml_bugs_get(b, 0)->count == 1);
    CHECK_STR(ml_bugs_get(b, 1)->sig.aspect, "writeable");
    CHECK(ml_bugs_get(b, 1)->count == 6);
    CHECK(ml_bugs_get(b, 1)->nvariants == 2);
    free(cc);
    ml_bugs_free(b);
}

/* What changed, in words: values, the bytes an out-of-bounds view covers,
 * the user's file. */
static void describe_should_say_what_changed_in_values_bytes_and_file(void)
{
    char buf[2048];
    parse(pe_json, &c);
    ml_verdict v = observe(&c, ML_T_LOKY, true);
    r.parent.nvalues = r.child.nvalues = 2;
    snprintf(r.parent.values[0], sizeof r.parent.values[0], "0.0");
    snprintf(r.parent.values[1], sizeof r.parent.values[1], "1.0");
    snprintf(r.child.values[0], sizeof r.child.values[0], "0.0");
    snprintf(r.child.values[1], sizeof r.child.values[1], "3.0");
    ml_result_describe(&r, &v, buf, sizeof buf);
    CHECK(strstr(buf, "parent  <f8 C-contiguous, shape (5, 3), strides (24, 8), read-only, values 0.0 1.0 ...\n"));
    CHECK(strstr(buf, "worker  <f8 F-contiguous, shape (5, 3), strides (8, 40)"));
    CHECK(strstr(buf, "values differ\n"));
    /* out of bounds: where the worker's view lies against its mapping */
    v.fails = 1u << ML_INV_OOB | 1u << ML_INV_BACKING;
    r.child.lo = -8;
    r.child.hi = 8;
    r.child.len = 16;
    r.child.first = 0;
    r.parent.first = 8;
    ml_result_describe(&r, &v, buf, sizeof buf);
    CHECK(strstr(buf, "the worker's view covers bytes [-8, 8) of a mapping of 16 bytes"));
    CHECK(!strstr(buf, "values differ"));
    /* the user's file grew */
    v.fails = 1u << ML_INV_FILE;
    r.size_before = 1;
    r.size_after = 33;
    r.first_change = 1;
    r.changed_bytes = 32;
    ml_result_describe(&r, &v, buf, sizeof buf);
    CHECK(strstr(buf, "the user's file changed: 1 bytes before, 33 after; 32 bytes changed from offset 1\n"));
    CHECK(strstr(buf, "values equal\n"));
    /* a byte-order-only dtype change says so */
    v.fails = 1u << ML_INV_DTYPE;
    snprintf(r.parent.dtype, sizeof r.parent.dtype, ">f8");
    ml_result_describe(&r, &v, buf, sizeof buf);
    CHECK(strstr(buf, "values equal; only the byte order differs (>f8 sent, <f8 received)"));
}

int main(void)
{
    RUN(the_public_example_should_be_an_order_defect_of_a_1d_backing);
    RUN(reduce_loky_and_multiprocessing_should_be_one_class);
    RUN(pickle_and_joblib_should_be_different_kinds);
    RUN(transitions_should_name_both_ends);
    RUN(unchanged_flags_should_not_split_a_bug);
    RUN(values_that_happen_to_match_should_not_split_a_layout_bug);
    RUN(a_finding_with_two_defects_should_count_toward_two_bugs);
    RUN(a_transpose_either_way_should_be_one_bug);
    RUN(the_mode_should_not_split_an_empty_view_past_the_end);
    RUN(strides_that_are_no_multiple_of_the_item_size_should_name_the_bounds_bug);
    RUN(a_byte_order_change_with_equal_values_should_be_representation);
    RUN(severities_should_have_names_both_ways);
    RUN(structure_should_keep_orders_and_steps_but_not_sizes);
    RUN(ids_should_depend_on_structure_only_when_asked);
    RUN(triage_should_count_each_class_once_and_keep_the_earliest);
    RUN(triage_should_rank_by_severity_then_count);
    RUN(describe_should_say_what_changed_in_values_bytes_and_file);
    return check_summary("test_signature");
}

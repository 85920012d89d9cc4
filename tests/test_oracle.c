/* Unit tests of the oracle (harness/lib/oracle.c): hand-written observations in,
 * verdict strings out.
 *
 * Fixtures are JSON written with single quotes (turned into double quotes
 * before parsing) so they stay readable in C strings. Most tests start from
 * base(mode), the observation of a share case that keeps everything, and
 * change a few members by path, so each test shows exactly what differs. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include <cJSON.h>

#include "check.h"
#include "layout.h"
#include "oracle.h"
#include "sup.h"

#define HASH_A "'00112233445566778899aabbccddeeff'"
#define HASH_B "'ffeeddccbbaa99887766554433221100'"

/* A (5,3) float64 C-order view of the first 5 rows of a (10,3) raw file. */
#define OBS_C(mode, writeable) \
    "{'type':'memmap','shape':[5,3],'strides':[24,8],'dtype':'<f8','itemsize':8," \
    "'flags':{'c':true,'f':false,'writeable':" writeable ",'aligned':true,'owndata':false}," \
    "'backing':{'file':'/tmp/ml/a.raw','mode':'" mode "','offset':0,'first':0,'lo':0,'hi':120,'len':240}," \
    "'hash':" HASH_A "}"

/* The child pickle, the pools and unbacked shares rebuild: a private copy. */
#define UNBACKED_CHILD \
    "child.type", "'ndarray'", "child.backing", "null", "child.flags.owndata", "true", \
    "write", "null"

#define FLAGS(c, f, w) "{'c':" c ",'f':" f ",'writeable':" w ",'aligned':true,'owndata':false}"

static char *dq(const char *s)
{
    char *t = strdup(s);
    for (char *p = t; *p; p++)
        if (*p == '\'')
            *p = '"';
    return t;
}

static cJSON *parse_fixture(const char *single_quoted)
{
    char *s = dq(single_quoted);
    cJSON *j = cJSON_Parse(s);
    free(s);
    if (!j) {
        fprintf(stderr, "bad fixture: %s\n", single_quoted);
        abort();
    }
    return j;
}

static const char *mode_name(ml_mode m)
{
    static const char *const names[] = {"r", "r+", "c", "w+"};
    return names[m];
}

/* The observation of a share case in this mode that keeps every invariant:
 * writes through r+/w+ reach the parent and change the file's contents,
 * writes through c do not, r is read-only. */
static cJSON *base(ml_mode mode)
{
    char buf[2048];
    const char *m = mode_name(mode);
    const char *w = mode == ML_MODE_R ? "false" : "true";
    const char *write = mode == ML_MODE_R ? "null"
                      : mode == ML_MODE_C ? "{'parent_sees':false}" : "{'parent_sees':true}";
    const char *after = mode == ML_MODE_RPLUS || mode == ML_MODE_WPLUS ? "'bbbb'" : "'aaaa'";
    char parent[700], child[700];
    /* OBS_C names the writeable flag before the mode */
    snprintf(parent, sizeof parent, OBS_C("%s", "%s"), w, m);
    snprintf(child, sizeof child, OBS_C("%s", "%s"), w, m);
    snprintf(buf, sizeof buf,
             "{'status':'ok','message':'','parent':%s,'child':%s,'write':%s,"
             "'file':{'size_before':240,'size_after':240,'hash_before':'aaaa','hash_after':%s},"
             "'seconds':0.01}", parent, child, write, after);
    return parse_fixture(buf);
}

/* Replaces (or adds) the member at a dotted path; value NULL removes it. */
static void set(cJSON *doc, const char *path, const char *value)
{
    char key[64];
    cJSON *obj = doc;
    for (;;) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        if (!dot)
            break;
        obj = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (!cJSON_IsObject(obj)) {
            fprintf(stderr, "bad fixture path at %s\n", path);
            abort();
        }
        path = dot + 1;
    }
    if (!value) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
        return;
    }
    cJSON *v = parse_fixture(value);
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v);
    else
        cJSON_AddItemToObject(obj, key, v);
}

static ml_case a_case(ml_mode mode, ml_transport t)
{
    ml_case c;
    memset(&c, 0, sizeof c);
    c.mode = mode;
    c.transport = t;
    return c;
}

static ml_tclass last_class;

/* Verdict string for raw observation text, or "parse: <error>". */
static const char *judge_text(ml_mode mode, ml_transport t, const char *json)
{
    static char out[ML_ERR_MAX + 16];
    char err[ML_ERR_MAX];
    ml_result r;
    ml_case c = a_case(mode, t);
    if (!ml_result_parse(json, strlen(json), &r, err, sizeof err)) {
        snprintf(out, sizeof out, "parse: %s", err);
        return out;
    }
    ml_verdict v = ml_oracle_judge(&c, &r);
    last_class = v.tclass;
    return ml_verdict_str(&v, out, sizeof out);
}

static const char *judge_doc(ml_mode mode, ml_transport t, cJSON *doc)
{
    char *s = cJSON_PrintUnformatted(doc);
    const char *v = judge_text(mode, t, s);
    free(s);
    cJSON_Delete(doc);
    return v;
}

/* base(mode) with (path, value) changes, judged for transport t. */
static const char *verdict(ml_mode mode, ml_transport t, ...)
{
    cJSON *doc = base(mode);
    va_list ap;
    va_start(ap, t);
    for (const char *path; (path = va_arg(ap, const char *));)
        set(doc, path, va_arg(ap, const char *));
    va_end(ap);
    return judge_doc(mode, t, doc);
}
#define VERDICT(...) verdict(__VA_ARGS__, (const char *)NULL)

/* Parse error for base(ML_MODE_RPLUS) with changes, or "parsed". */
static const char *parse_error(const char *path, const char *value)
{
    static char err[ML_ERR_MAX];
    cJSON *doc = base(ML_MODE_RPLUS);
    set(doc, path, value);
    char *s = cJSON_PrintUnformatted(doc);
    ml_result r;
    if (ml_result_parse(s, strlen(s), &r, err, sizeof err))
        snprintf(err, sizeof err, "parsed");
    free(s);
    cJSON_Delete(doc);
    return err;
}

static const char *text_parse_error(const char *single_quoted)
{
    static char err[ML_ERR_MAX];
    char *s = dq(single_quoted);
    ml_result r;
    if (ml_result_parse(s, strlen(s), &r, err, sizeof err))
        snprintf(err, sizeof err, "parsed");
    free(s);
    return err;
}

/* ---- the public example and pass controls ----------------------------- */

static void the_public_example_should_fail_data_flags_and_strides(void)
{
    /* joblib rebuilt a C-order (5,3) view as F-order: same bytes, read in
     * another order, so the contents differ too. */
    const char *obs =
        "{'status':'ok','message':'',"
        "'parent':{'type':'memmap','shape':[5,3],'strides':[24,8],'dtype':'<f8','itemsize':8,"
        "'flags':{'c':true,'f':false,'writeable':true,'aligned':true,'owndata':false},"
        "'backing':{'file':'/tmp/ml/a.raw','mode':'r+','offset':0,'first':0,'lo':0,'hi':120,'len':120},"
        "'hash':'9a1c7f0e5b2d4c6a8e0f1a2b3c4d5e6f'},"
        "'child':{'type':'memmap','shape':[5,3],'strides':[8,40],'dtype':'<f8','itemsize':8,"
        "'flags':{'c':false,'f':true,'writeable':true,'aligned':true,'owndata':false},"
        "'backing':{'file':'/tmp/ml/a.raw','mode':'r+','offset':0,'first':0,'lo':0,'hi':120,'len':120},"
        "'hash':'0f1e2d3c4b5a69788796a5b4c3d2e1f0'},"
        "'write':{'parent_sees':true},"
        "'file':{'size_before':120,'size_after':120,'hash_before':'11aa','hash_after':'22bb'},"
        "'seconds':0.25}";
    char *s = dq(obs);
    CHECK_STR(judge_text(ML_MODE_RPLUS, ML_T_REDUCE, s), "fail:data,flags,strides");
    CHECK(last_class == ML_CLASS_SHARE);
    free(s);
}

static void a_share_transport_should_pass_when_the_view_survives(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE), "pass");
    CHECK(last_class == ML_CLASS_SHARE);
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_LOKY), "pass");
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REFERENCE), "pass");
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_MULTIPROCESSING), "pass");
}

static void a_share_transport_should_pass_in_every_mode(void)
{
    CHECK_STR(VERDICT(ML_MODE_R, ML_T_REDUCE), "pass");
    CHECK_STR(VERDICT(ML_MODE_C, ML_T_REDUCE), "pass");
    CHECK_STR(VERDICT(ML_MODE_WPLUS, ML_T_REDUCE), "pass");
}

static void a_copy_transport_should_pass_when_data_and_order_survive(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_PICKLE5, UNBACKED_CHILD), "pass");
    CHECK(last_class == ML_CLASS_COPY);
    CHECK_STR(VERDICT(ML_MODE_R, ML_T_POOL_SPAWN, UNBACKED_CHILD,
                      "child.flags.writeable", "true"), "pass");
}

static void the_identity_transport_should_pass_when_the_same_object_arrives(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_THREADING), "pass");
    CHECK(last_class == ML_CLASS_IDENTITY);
}

/* ---- each invariant failing alone ------------------------------------- */

static void shape_should_fail_alone_when_the_child_has_another_shape(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.shape", "[6,3]"), "fail:shape");
}

static void dtype_should_fail_alone_when_the_child_has_another_dtype(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.dtype", "'<i8'"), "fail:dtype");
}

static void data_should_fail_alone_when_the_hashes_differ(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.hash", HASH_B), "fail:data");
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_PICKLE4, UNBACKED_CHILD, "child.hash", HASH_B),
              "fail:data");
}

static void hashes_should_compare_regardless_of_hex_case(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE,
                      "child.hash", "'00112233445566778899AABBCCDDEEFF'"), "pass");
}

static void flags_should_fail_alone_when_aligned_differs(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.flags.aligned", "false"), "fail:flags");
}

static void strides_should_fail_alone_when_an_axis_longer_than_one_differs(void)
{
    /* both views step over every other row: neither is contiguous, so only
     * the strides tell them apart */
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE,
                      "parent.strides", "[48,8]", "parent.flags", FLAGS("false", "false", "true"),
                      "child.strides", "[-48,8]", "child.flags", FLAGS("false", "false", "true")),
              "fail:strides");
}

static void strides_should_be_ignored_on_axes_of_size_one(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE,
                      "parent.shape", "[5,1]", "parent.strides", "[8,8]",
                      "parent.flags", FLAGS("true", "true", "true"),
                      "child.shape", "[5,1]", "child.strides", "[8,-24]",
                      "child.flags", FLAGS("true", "true", "true")), "pass");
}

static void strides_should_be_ignored_for_size_zero_arrays(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE,
                      "parent.shape", "[0,3]", "parent.flags", FLAGS("true", "true", "true"),
                      "child.shape", "[0,3]", "child.strides", "[8,0]",
                      "child.flags", FLAGS("true", "true", "true")), "pass");
}

static void writeable_should_fail_alone_when_the_child_lost_it(void)
{
    /* a read-only child cannot be written: the runner tries no write */
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.flags.writeable", "false", "write", "null"),
              "fail:writeable");
}

static void writeable_should_fail_when_mode_r_gives_a_writeable_child(void)
{
    /* even when the parent (wrongly) claims writeable too */
    CHECK_STR(VERDICT(ML_MODE_R, ML_T_REDUCE, "parent.flags.writeable", "true",
                      "child.flags.writeable", "true"), "fail:writeable");
    CHECK_STR(VERDICT(ML_MODE_R, ML_T_THREADING, "parent.flags.writeable", "true",
                      "child.flags.writeable", "true"), "fail:writeable");
}

static void backing_should_fail_alone_when_the_child_is_not_a_memmap_view(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.backing", "null", "write", "null"),
              "fail:backing");
}

static void backing_should_fail_when_the_child_maps_another_file(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_LOKY, "child.backing.file", "'/tmp/ml/b.raw'"),
              "fail:backing");
}

static void backing_should_fail_when_element_zero_sits_elsewhere_in_the_file(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.backing.first", "24"), "fail:backing");
}

static void backing_should_fail_when_the_mode_changes(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.backing.mode", "'c'"), "fail:backing");
}

static void backing_should_ignore_the_memmap_offset_attribute(void)
{
    /* NumPy gives every view its memmap's offset; only first says where
     * the view starts */
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.backing.offset", "96"), "pass");
}

static void w_plus_should_arrive_as_r_plus_by_design(void)
{
    CHECK_STR(VERDICT(ML_MODE_WPLUS, ML_T_REDUCE, "child.backing.mode", "'r+'"), "pass");
    CHECK_STR(VERDICT(ML_MODE_WPLUS, ML_T_LOKY, "child.backing.mode", "'w+'"), "pass");
    CHECK_STR(VERDICT(ML_MODE_WPLUS, ML_T_REDUCE, "child.backing.mode", "'c'"), "fail:backing");
}

static void oob_should_fail_alone_when_the_child_leaves_its_mapping(void)
{
    /* the runner did not read the child: its hash is null and data is not
     * judged */
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.backing.hi", "264", "child.hash", "null"),
              "fail:oob");
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.backing.lo", "-8", "child.hash", "null"),
              "fail:oob");
}

static void oob_should_skip_data_even_when_a_hash_was_sent(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.backing.hi", "264", "child.hash", HASH_B),
              "fail:oob");
}

static void a_missing_child_hash_without_oob_should_fail_data(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.hash", "null"), "fail:data");
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_PICKLE5, UNBACKED_CHILD, "child.hash", "null"),
              "fail:data");
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "parent.hash", "null"), "fail:data");
}

static void write_should_fail_alone_when_r_plus_writes_do_not_reach_the_parent(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "write", "{'parent_sees':false}"), "fail:write");
    CHECK_STR(VERDICT(ML_MODE_WPLUS, ML_T_REDUCE, "write", "{'parent_sees':false}"), "fail:write");
}

static void write_should_fail_alone_when_c_writes_reach_the_parent(void)
{
    CHECK_STR(VERDICT(ML_MODE_C, ML_T_REDUCE, "write", "{'parent_sees':true}"), "fail:write");
}

static void write_should_pass_when_no_write_was_tried(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "write", "null"), "pass");
    CHECK_STR(VERDICT(ML_MODE_C, ML_T_REDUCE, "write", "null"), "pass");
}

static void file_should_fail_alone_when_the_size_changes(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "file.size_after", "248"), "fail:file");
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_PICKLE3, UNBACKED_CHILD, "file.size_after", "0"),
              "fail:file");
}

static void file_should_fail_alone_when_r_or_c_contents_change(void)
{
    CHECK_STR(VERDICT(ML_MODE_R, ML_T_REDUCE, "file.hash_after", "'bbbb'"), "fail:file");
    CHECK_STR(VERDICT(ML_MODE_C, ML_T_REDUCE, "file.hash_after", "'bbbb'"), "fail:file");
    CHECK_STR(VERDICT(ML_MODE_C, ML_T_PICKLE2, UNBACKED_CHILD, "file.hash_after", "'bbbb'"),
              "fail:file");
}

static void file_contents_should_be_free_to_change_in_r_plus_and_w_plus(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "file.hash_after", "'cccc'"), "pass");
    CHECK_STR(VERDICT(ML_MODE_WPLUS, ML_T_REDUCE, "file.hash_after", "'cccc'"), "pass");
}

static void model_should_fail_alone_when_numpy_flags_disagree_with_the_model(void)
{
    /* both claim F too: they agree with each other, not with the strides */
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "parent.flags.f", "true", "child.flags.f", "true"),
              "fail:model");
}

static void model_should_check_the_child_too(void)
{
    /* the copy class lets the child gain F; the model says it has not */
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_PICKLE5, UNBACKED_CHILD, "child.flags.f", "true"),
              "fail:model");
}

static void model_should_use_each_observations_own_itemsize(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.itemsize", "4"), "fail:model");
}

static void failures_should_be_listed_in_the_fixed_order(void)
{
    CHECK_STR(VERDICT(ML_MODE_C, ML_T_REDUCE,
                      "child.shape", "[6,3]", "child.dtype", "'<i8'", "child.hash", HASH_B,
                      "child.flags.aligned", "false", "child.flags.writeable", "false",
                      "child.backing.first", "8", "child.backing.hi", "300",
                      "write", "{'parent_sees':true}", "file.size_after", "1",
                      "child.flags.f", "true"),
              "fail:shape,dtype,flags,writeable,backing,oob,write,file,model");
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, "child.hash", HASH_B,
                      "child.strides", "[48,8]", "child.flags.c", "false", "child.backing.first", "8"),
              "fail:data,flags,strides,backing");
}

/* ---- classes ---------------------------------------------------------- */

static void copy_class_should_fail_flags_when_a_c_parent_arrives_non_contiguous(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_PICKLE5, UNBACKED_CHILD,
                      "child.strides", "[48,8]", "child.flags.c", "false"), "fail:flags");
}

static void copy_class_should_fail_flags_when_an_f_parent_arrives_c(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_PICKLE5_OOB, UNBACKED_CHILD,
                      "parent.strides", "[8,40]", "parent.flags", FLAGS("false", "true", "true")),
              "fail:flags");
}

static void copy_class_should_let_a_non_contiguous_parent_arrive_in_any_order(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_POOL_FORKSERVER, UNBACKED_CHILD,
                      "parent.strides", "[48,8]", "parent.flags", FLAGS("false", "false", "true")),
              "pass");
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_POOL_FORKSERVER, UNBACKED_CHILD,
                      "parent.strides", "[48,8]", "parent.flags", FLAGS("false", "false", "true"),
                      "child.strides", "[8,40]", "child.flags", FLAGS("false", "true", "true")),
              "pass");
}

static void copy_class_should_fail_flags_when_a_both_contiguous_parent_loses_both(void)
{
    /* a (5,1) parent is C and F; a child that is only C broke the promise */
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_PICKLE5, UNBACKED_CHILD,
                      "parent.shape", "[5,1]", "parent.strides", "[8,8]",
                      "parent.flags", FLAGS("true", "true", "true"),
                      "child.shape", "[5,1]", "child.strides", "[16,8]",
                      "child.flags", FLAGS("false", "false", "true")), "fail:flags");
}

static void copy_class_should_not_judge_strides_writeable_backing_oob_or_write(void)
{
    CHECK_STR(VERDICT(ML_MODE_R, ML_T_PICKLE5,
                      "child.shape", "[5,1]", "child.strides", "[8,-99]",
                      "parent.shape", "[5,1]", "parent.strides", "[8,8]",
                      "parent.flags", FLAGS("true", "true", "false"),
                      "child.flags", FLAGS("true", "true", "true"),
                      "child.flags.aligned", "false",
                      "child.backing.file", "'/elsewhere'", "child.backing.first", "800",
                      "child.backing.hi", "9999", "write", "{'parent_sees':true}"), "pass");
}

static void an_unbacked_parent_through_reduce_should_be_judged_as_copy(void)
{
    /* ravel of a strided view copied: nothing left to share */
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, UNBACKED_CHILD, "parent.type", "'ndarray'",
                      "parent.backing", "null", "parent.flags.owndata", "true",
                      "child.flags.writeable", "false"), "pass");
    CHECK(last_class == ML_CLASS_COPY);
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_LOKY, UNBACKED_CHILD, "parent.backing", "null"), "pass");
    CHECK(last_class == ML_CLASS_COPY);
    /* the same child from a backed parent has lost its backing */
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_REDUCE, UNBACKED_CHILD, "child.flags.writeable", "false"),
              "fail:writeable,backing");
    CHECK(last_class == ML_CLASS_SHARE);
}

static void an_unbacked_parent_should_still_need_its_order_kept(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_MULTIPROCESSING, UNBACKED_CHILD, "parent.backing", "null",
                      "child.strides", "[8,40]", "child.flags", FLAGS("false", "true", "true")),
              "fail:flags");
}

static void identity_class_should_judge_strides_flags_and_writeable(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_THREADING,
                      "child.strides", "[8,40]", "child.flags", FLAGS("false", "true", "false")),
              "fail:flags,strides,writeable");
}

static void identity_class_should_not_judge_backing_oob_or_write(void)
{
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_THREADING, "child.backing.first", "8",
                      "child.backing.hi", "999", "write", "{'parent_sees':false}"), "pass");
    CHECK_STR(VERDICT(ML_MODE_RPLUS, ML_T_THREADING, "parent.backing", "null",
                      "child.backing", "null"), "pass");
    CHECK(last_class == ML_CLASS_IDENTITY);
}

static void a_writeable_copy_in_mode_r_should_pass_through_identity(void)
{
    /* a view op copied the array: its own memory, writeable whatever the mode */
    CHECK_STR(VERDICT(ML_MODE_R, ML_T_THREADING, "parent.backing", "null", "child.backing", "null",
                      "parent.flags", FLAGS("true", "false", "true"),
                      "child.flags", FLAGS("true", "false", "true")), "pass");
    /* a view of a file opened with mode r must stay read-only */
    CHECK_STR(VERDICT(ML_MODE_R, ML_T_THREADING, "parent.flags", FLAGS("true", "false", "true"),
                      "child.flags", FLAGS("true", "false", "true")), "fail:writeable");
}

/* ---- statuses --------------------------------------------------------- */

static void error_statuses_should_give_error_verdicts_with_their_kind(void)
{
    static const char *const kinds[] = {"build", "send", "rebuild", "worker", "crash", "timeout", "protocol"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char obs[256], want[32];
        snprintf(obs, sizeof obs, "{\"status\":\"error\",\"error_kind\":\"%s\",\"message\":\"boom\","
                 "\"seconds\":0.5}", kinds[i]);
        snprintf(want, sizeof want, "error:%s", kinds[i]);
        CHECK_STR(judge_text(ML_MODE_RPLUS, ML_T_LOKY, obs), want);
    }
}

static void an_error_may_carry_a_parent_and_a_null_child(void)
{
    cJSON *doc = base(ML_MODE_RPLUS);
    set(doc, "status", "'error'");
    set(doc, "error_kind", "'rebuild'");
    set(doc, "message", "'ValueError: boom'");
    set(doc, "child", "null");
    CHECK_STR(judge_doc(ML_MODE_RPLUS, ML_T_REDUCE, doc), "error:rebuild");
}

static void the_supervisors_own_error_lines_should_parse(void)
{
    /* what campaign.c and sup.c write for lost cases: no seconds */
    CHECK_STR(judge_text(ML_MODE_R, ML_T_LOKY,
                         "{\"status\":\"error\",\"error_kind\":\"timeout\",\"message\":\"runner process hung\"}"),
              "error:timeout");
}

static void an_invalid_status_should_give_invalid(void)
{
    char *s = dq("{'status':'invalid','message':'ops[1].view: last axis not contiguous','seconds':0.1}");
    CHECK_STR(judge_text(ML_MODE_RPLUS, ML_T_REDUCE, s), "invalid");
    free(s);
}

static void an_ok_result_without_observations_should_judge_as_protocol_error(void)
{
    ml_result r;
    memset(&r, 0, sizeof r);
    r.status = ML_RES_OK;
    ml_case c = a_case(ML_MODE_R, ML_T_REDUCE);
    ml_verdict v = ml_oracle_judge(&c, &r);
    char buf[64];
    CHECK_STR(ml_verdict_str(&v, buf, sizeof buf), "error:protocol");
}

static void an_error_result_without_a_kind_should_judge_as_protocol_error(void)
{
    ml_result r;
    memset(&r, 0, sizeof r);
    r.status = ML_RES_ERROR;
    ml_case c = a_case(ML_MODE_R, ML_T_REDUCE);
    ml_verdict v = ml_oracle_judge(&c, &r);
    char buf[64];
    CHECK_STR(ml_verdict_str(&v, buf, sizeof buf), "error:protocol");
}

/* ---- the parser ------------------------------------------------------- */

static void an_error_line_should_carry_any_message_intact(void)
{
    const char *msg = "runner \"died\" \\ at\nline\t2 \x01 caf\xc3\xa9";
    char *line = ml_error_line("worker", msg);
    CHECK(line != NULL);
    ml_result r;
    char err[ML_ERR_MAX];
    CHECK(ml_result_parse(line, strlen(line), &r, err, sizeof err));
    CHECK(r.status == ML_RES_ERROR);
    CHECK_STR(r.error_kind, "worker");
    CHECK_STR(r.message, msg);
    CHECK(strchr(line, '\n') == NULL);   /* one line of the protocol */
    free(line);
}

static void the_parser_should_read_integers_beyond_2_53_given_as_digit_strings(void)
{
    cJSON *doc = base(ML_MODE_R);
    set(doc, "parent.strides", "['9007199254740996', 8]");
    set(doc, "child.backing.first", "'-9223372036854775807'");
    char *s = cJSON_PrintUnformatted(doc);
    ml_result r;
    char err[ML_ERR_MAX];
    CHECK(ml_result_parse(s, strlen(s), &r, err, sizeof err));
    CHECK(r.parent.strides[0] == 9007199254740996LL && r.parent.strides[1] == 8);
    CHECK(r.child.first == -9223372036854775807LL);
    free(s);
    /* not digits, or past int64: the field is named */
    const char *bad[] = {"'9e18'", "'12 '", "''", "'-'", "'9223372036854775808'", "'0x10'"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        set(doc, "child.backing.first", bad[i]);
        s = cJSON_PrintUnformatted(doc);
        CHECK(!ml_result_parse(s, strlen(s), &r, err, sizeof err));
        CHECK(strstr(err, "child.backing.first") != NULL);
        free(s);
    }
    /* a number beyond 2^53 is not exact: refused, as before */
    set(doc, "child.backing.first", "9007199254740996");
    s = cJSON_PrintUnformatted(doc);
    CHECK(!ml_result_parse(s, strlen(s), &r, err, sizeof err));
    free(s);
    cJSON_Delete(doc);
}

static void the_parser_should_fill_every_field(void)
{
    cJSON *doc = base(ML_MODE_WPLUS);
    set(doc, "child.head", "['0000000000000000','00000000000000f03f']");
    set(doc, "child.backing.first", "-16");
    char *s = cJSON_PrintUnformatted(doc);
    ml_result r;
    char err[ML_ERR_MAX];
    CHECK(ml_result_parse(s, strlen(s), &r, err, sizeof err));
    CHECK(r.status == ML_RES_OK && r.parent.present && r.child.present && r.has_file);
    CHECK(r.parent.ndim == 2 && r.parent.shape[0] == 5 && r.parent.strides[0] == 24);
    CHECK_STR(r.parent.dtype, "<f8");
    CHECK_STR(r.parent.type, "memmap");
    CHECK(r.parent.itemsize == 8 && r.parent.c && !r.parent.f && r.parent.writeable);
    CHECK(r.parent.aligned && !r.parent.owndata && r.parent.backed);
    CHECK_STR(r.parent.file, "/tmp/ml/a.raw");
    CHECK_STR(r.parent.mode, "w+");
    CHECK(r.child.first == -16 && r.child.hi == 120 && r.child.len == 240);
    CHECK(r.parent.has_hash);
    CHECK_STR(r.parent.hash, "00112233445566778899aabbccddeeff");
    CHECK(r.child.nhead == 2);
    CHECK_STR(r.child.head[1], "00000000000000f03f");
    CHECK(r.write_tried && r.parent_sees);
    CHECK(r.size_before == 240 && r.size_after == 240);
    CHECK_STR(r.hash_after, "bbbb");
    CHECK(r.seconds > 0.009 && r.seconds < 0.011);
    free(s);
    cJSON_Delete(doc);
}

static void missing_fields_should_be_errors_naming_their_path(void)
{
    CHECK_STR(parse_error("child.flags.c", NULL), "child.flags.c: missing");
    CHECK_STR(parse_error("parent.hash", NULL), "parent.hash: missing");
    CHECK_STR(parse_error("parent.backing", NULL), "parent.backing: missing");
    CHECK_STR(parse_error("child.backing.first", NULL), "child.backing.first: missing");
    CHECK_STR(parse_error("write", NULL), "write: missing");
    CHECK_STR(parse_error("file", NULL), "file: missing");
    CHECK_STR(parse_error("file.hash_before", NULL), "file.hash_before: missing");
    CHECK_STR(parse_error("seconds", NULL), "seconds: missing");
    CHECK_STR(parse_error("child", NULL), "child: missing");
    CHECK_STR(parse_error("status", NULL), "status: missing");
}

static void wrong_fields_should_be_errors_naming_their_path(void)
{
    CHECK_STR(parse_error("status", "'done'"), "status: must be \"ok\", \"invalid\" or \"error\"");
    CHECK_STR(parse_error("parent.shape", "[5,'x']"), "parent.shape[1]: must be an integer");
    CHECK_STR(parse_error("parent.shape", "[5,-3]"), "parent.shape[1]: must be >= 0");
    CHECK_STR(parse_error("parent.shape", "{'a':1}"), "parent.shape: must be an array of integers");
    CHECK_STR(parse_error("parent.strides", "[24]"), "parent.strides: 1 strides for 2 dims");
    CHECK_STR(parse_error("parent.itemsize", "1.5"), "parent.itemsize: must be an integer");
    CHECK_STR(parse_error("parent.itemsize", "0"), "parent.itemsize: must be >= 1");
    CHECK_STR(parse_error("child.backing.len", "1e300"), "child.backing.len: must be an integer");
    CHECK_STR(parse_error("child.backing.hi", "9007199254740993e3"), "child.backing.hi: must be an integer");
    CHECK_STR(parse_error("child.backing.mode", "'rw'"),
              "child.backing.mode: must be \"r\", \"r+\", \"c\" or \"w+\"");
    CHECK_STR(parse_error("child.backing", "[]"), "child.backing: must be an object or null");
    CHECK_STR(parse_error("child.hash", "'xyz'"), "child.hash: must be a hex string");
    CHECK_STR(parse_error("child.hash", "7"), "child.hash: must be a hex string");
    CHECK_STR(parse_error("child.flags.writeable", "1"), "child.flags.writeable: must be true or false");
    CHECK_STR(parse_error("child.flags", "null"), "child.flags: must be an object");
    CHECK_STR(parse_error("child", "[]"), "child: must be an object or null");
    CHECK_STR(parse_error("child", "null"), "child: must be an object");
    CHECK_STR(parse_error("write", "{'parent_sees':null}"), "write.parent_sees: must be true or false");
    CHECK_STR(parse_error("file.size_after", "-1"), "file.size_after: must be >= 0");
    CHECK_STR(parse_error("seconds", "'fast'"), "seconds: must be a number >= 0");
    CHECK_STR(parse_error("child.head", "['00','zz']"), "child.head[1]: must be a hex string");
}

static void an_error_needs_a_known_kind_and_a_message(void)
{
    CHECK_STR(text_parse_error("{'status':'error','message':'x'}"), "error_kind: missing");
    CHECK_STR(text_parse_error("{'status':'error','error_kind':'oops','message':'x'}"),
              "error_kind: must be one of build, send, rebuild, worker, crash, timeout, protocol");
    CHECK_STR(text_parse_error("{'status':'error','error_kind':3,'message':'x'}"),
              "error_kind: must be one of build, send, rebuild, worker, crash, timeout, protocol");
    CHECK_STR(text_parse_error("{'status':'error','error_kind':'send'}"), "message: missing");
    CHECK_STR(text_parse_error("{'status':'invalid','message':5}"), "message: must be a string");
}

static void strings_that_would_be_cut_should_be_refused(void)
{
    char big[400];
    memset(big, 'x', sizeof big);
    big[0] = '\'';
    big[300] = '\'';
    big[301] = '\0';
    CHECK_STR(parse_error("parent.dtype", big), "parent.dtype: longer than 255 characters");
    CHECK_STR(parse_error("child.type", big), "child.type: longer than 31 characters");
    CHECK_STR(parse_error("child.hash", "'" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" "0'"),
              "child.hash: longer than 64 characters");
}

static void a_long_message_should_be_cut_not_refused(void)
{
    char obs[1200];
    int n = snprintf(obs, sizeof obs, "{\"status\":\"invalid\",\"message\":\"");
    memset(obs + n, 'm', 1000);
    snprintf(obs + n + 1000, sizeof obs - (size_t)n - 1000, "\"}");
    ml_result r;
    char err[ML_ERR_MAX];
    CHECK(ml_result_parse(obs, strlen(obs), &r, err, sizeof err));
    CHECK(strlen(r.message) == ML_ERR_MAX - 1);
}

static void more_than_max_ndim_dims_should_be_refused(void)
{
    char arr[200] = "[";
    for (int i = 0; i <= ML_MAX_NDIM; i++)
        strcat(arr, i ? ",1" : "1");
    strcat(arr, "]");
    CHECK_STR(parse_error("parent.shape", arr), "parent.shape: more than 32 dims");
    CHECK_STR(parse_error("child.strides", arr), "child.strides: more than 32 dims");
    CHECK_STR(parse_error("child.head", "['0','1','2','3','4','5','6','7','8']"),
              "child.head: more than 8 elements");
}

static void malformed_json_should_be_refused_with_a_reason(void)
{
    CHECK_STR(text_parse_error(""), "observation: invalid JSON near byte 0");
    CHECK_STR(text_parse_error("{'status' 'ok'}"), "observation: invalid JSON near byte 10");
    CHECK(strncmp(text_parse_error("{"), "observation: invalid JSON near byte ", 36) == 0);
    CHECK_STR(text_parse_error("[]"), "observation: must be a JSON object");
    CHECK_STR(text_parse_error("null"), "observation: must be a JSON object");
    CHECK_STR(text_parse_error("{'status':'invalid','message':'m'} x"),
              "observation: trailing characters at byte 35");
    CHECK_STR(text_parse_error("{'status':'invalid','message':'m'}\n"), "parsed");
    CHECK_STR(text_parse_error("{'status':'ok'}"), "seconds: missing");
}

static void a_refused_observation_should_be_left_as_a_protocol_error(void)
{
    ml_result r;
    char err[ML_ERR_MAX];
    CHECK(!ml_result_parse("{\"status\":\"ok\",\"seconds\":1}", 27, &r, err, sizeof err));
    CHECK(r.status == ML_RES_ERROR && !r.parent.present);
    CHECK_STR(r.error_kind, "protocol");
}

static void the_parser_should_read_only_len_bytes(void)
{
    const char *text = "{\"status\":\"invalid\",\"message\":\"m\"}";
    size_t n = strlen(text);
    /* no terminating NUL: ASan reports any read past n */
    char *exact = malloc(n);
    memcpy(exact, text, n);
    ml_result r;
    char err[ML_ERR_MAX];
    CHECK(ml_result_parse(exact, n, &r, err, sizeof err));
    CHECK(!ml_result_parse(exact, n - 1, &r, err, sizeof err));
    free(exact);
    /* garbage after len is not looked at */
    char padded[128];
    snprintf(padded, sizeof padded, "%s}}garbage", text);
    CHECK(ml_result_parse(padded, n, &r, err, sizeof err));
    CHECK(r.status == ML_RES_INVALID);
}

/* Every prefix and many one-byte mutations of a full observation: the parser
 * must refuse or accept without crashing (ASan/UBSan watch), an error must
 * read "<path>: <reason>", and an accepted result must be judgeable. */
static void mangled_observations_should_never_crash_the_parser(void)
{
    static const char subst[] = "\"{}[],:0-9.eE\\ nulltrue\x01\xff";
    cJSON *doc = base(ML_MODE_C);
    set(doc, "child.head", "['00','ff']");
    char *s = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    size_t n = strlen(s);
    char *buf = malloc(n);
    ml_case c = a_case(ML_MODE_C, ML_T_REDUCE);
    int refused = 0, accepted = 0, bad_errors = 0;
    char err[ML_ERR_MAX];
    ml_result r;

    for (size_t len = 0; len < n; len++) {
        memcpy(buf, s, len);
        if (ml_result_parse(buf, len, &r, err, sizeof err))
            accepted++;
        else {
            refused++;
            bad_errors += strstr(err, ": ") == NULL;
        }
    }
    CHECK(accepted == 0);   /* a cut observation is never whole */

    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof subst - 1; k++) {
            memcpy(buf, s, n);
            buf[i] = subst[k];
            if (ml_result_parse(buf, n, &r, err, sizeof err)) {
                ml_verdict v = ml_oracle_judge(&c, &r);
                char out[128];
                ml_verdict_str(&v, out, sizeof out);
                accepted++;
            } else {
                refused++;
                bad_errors += strstr(err, ": ") == NULL;
            }
        }
    }
    CHECK(bad_errors == 0);
    CHECK(refused > 0 && accepted > 0);
    free(buf);
    free(s);
}

/* ---- names ------------------------------------------------------------ */

static void invariant_names_should_follow_the_verdict_order(void)
{
    char all[128] = "";
    for (int i = 0; i < ML_INV_COUNT; i++) {
        strcat(all, ml_invariant_name((ml_invariant)i));
        strcat(all, " ");
    }
    CHECK_STR(all, "shape dtype data flags strides writeable backing oob write file model ");
    CHECK_STR(ml_invariant_name(ML_INV_COUNT), "?");
}

static void verdict_strings_should_fit_any_buffer(void)
{
    ml_verdict v;
    memset(&v, 0, sizeof v);
    char buf[64];
    v.kind = ML_V_PASS;
    CHECK_STR(ml_verdict_str(&v, buf, sizeof buf), "pass");
    v.kind = ML_V_INVALID;
    CHECK_STR(ml_verdict_str(&v, buf, sizeof buf), "invalid");
    v.kind = ML_V_ERROR;
    snprintf(v.error_kind, sizeof v.error_kind, "crash");
    CHECK_STR(ml_verdict_str(&v, buf, sizeof buf), "error:crash");
    v.kind = ML_V_FAIL;
    v.fails = (1u << ML_INV_MODEL) | (1u << ML_INV_SHAPE);
    CHECK_STR(ml_verdict_str(&v, buf, sizeof buf), "fail:shape,model");
    v.fails = (1u << ML_INV_COUNT) - 1;
    char small[12];
    CHECK_STR(ml_verdict_str(&v, small, sizeof small), "fail:shape,");
    CHECK_STR(ml_verdict_str(&v, small, 3), "fa");
    CHECK_STR(ml_verdict_str(&v, small, 0), "");
}

int main(void)
{
    RUN(the_public_example_should_fail_data_flags_and_strides);
    RUN(a_share_transport_should_pass_when_the_view_survives);
    RUN(a_share_transport_should_pass_in_every_mode);
    RUN(a_copy_transport_should_pass_when_data_and_order_survive);
    RUN(the_identity_transport_should_pass_when_the_same_object_arrives);

    RUN(shape_should_fail_alone_when_the_child_has_another_shape);
    RUN(dtype_should_fail_alone_when_the_child_has_another_dtype);
    RUN(data_should_fail_alone_when_the_hashes_differ);
    RUN(hashes_should_compare_regardless_of_hex_case);
    RUN(flags_should_fail_alone_when_aligned_differs);
    RUN(strides_should_fail_alone_when_an_axis_longer_than_one_differs);
    RUN(strides_should_be_ignored_on_axes_of_size_one);
    RUN(strides_should_be_ignored_for_size_zero_arrays);
    RUN(writeable_should_fail_alone_when_the_child_lost_it);
    RUN(writeable_should_fail_when_mode_r_gives_a_writeable_child);
    RUN(backing_should_fail_alone_when_the_child_is_not_a_memmap_view);
    RUN(backing_should_fail_when_the_child_maps_another_file);
    RUN(backing_should_fail_when_element_zero_sits_elsewhere_in_the_file);
    RUN(backing_should_fail_when_the_mode_changes);
    RUN(backing_should_ignore_the_memmap_offset_attribute);
    RUN(w_plus_should_arrive_as_r_plus_by_design);
    RUN(oob_should_fail_alone_when_the_child_leaves_its_mapping);
    RUN(oob_should_skip_data_even_when_a_hash_was_sent);
    RUN(a_missing_child_hash_without_oob_should_fail_data);
    RUN(write_should_fail_alone_when_r_plus_writes_do_not_reach_the_parent);
    RUN(write_should_fail_alone_when_c_writes_reach_the_parent);
    RUN(write_should_pass_when_no_write_was_tried);
    RUN(file_should_fail_alone_when_the_size_changes);
    RUN(file_should_fail_alone_when_r_or_c_contents_change);
    RUN(file_contents_should_be_free_to_change_in_r_plus_and_w_plus);
    RUN(model_should_fail_alone_when_numpy_flags_disagree_with_the_model);
    RUN(model_should_check_the_child_too);
    RUN(model_should_use_each_observations_own_itemsize);
    RUN(failures_should_be_listed_in_the_fixed_order);

    RUN(copy_class_should_fail_flags_when_a_c_parent_arrives_non_contiguous);
    RUN(copy_class_should_fail_flags_when_an_f_parent_arrives_c);
    RUN(copy_class_should_let_a_non_contiguous_parent_arrive_in_any_order);
    RUN(copy_class_should_fail_flags_when_a_both_contiguous_parent_loses_both);
    RUN(copy_class_should_not_judge_strides_writeable_backing_oob_or_write);
    RUN(an_unbacked_parent_through_reduce_should_be_judged_as_copy);
    RUN(an_unbacked_parent_should_still_need_its_order_kept);
    RUN(identity_class_should_judge_strides_flags_and_writeable);
    RUN(a_writeable_copy_in_mode_r_should_pass_through_identity);
    RUN(identity_class_should_not_judge_backing_oob_or_write);

    RUN(the_parser_should_read_integers_beyond_2_53_given_as_digit_strings);
    RUN(an_error_line_should_carry_any_message_intact);
    RUN(error_statuses_should_give_error_verdicts_with_their_kind);
    RUN(an_error_may_carry_a_parent_and_a_null_child);
    RUN(the_supervisors_own_error_lines_should_parse);
    RUN(an_invalid_status_should_give_invalid);
    RUN(an_ok_result_without_observations_should_judge_as_protocol_error);
    RUN(an_error_result_without_a_kind_should_judge_as_protocol_error);

    RUN(the_parser_should_fill_every_field);
    RUN(missing_fields_should_be_errors_naming_their_path);
    RUN(wrong_fields_should_be_errors_naming_their_path);
    RUN(an_error_needs_a_known_kind_and_a_message);
    RUN(strings_that_would_be_cut_should_be_refused);
    RUN(a_long_message_should_be_cut_not_refused);
    RUN(more_than_max_ndim_dims_should_be_refused);
    RUN(malformed_json_should_be_refused_with_a_reason);
    RUN(a_refused_observation_should_be_left_as_a_protocol_error);
    RUN(the_parser_should_read_only_len_bytes);
    RUN(mangled_observations_should_never_crash_the_parser);

    RUN(invariant_names_should_follow_the_verdict_order);
    RUN(verdict_strings_should_fit_any_buffer);
    return check_summary("oracle");
}

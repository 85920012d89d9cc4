/* Baselines, expectations and the CI writers (JUnit, SARIF). */
#include "baseline.h"
#include "check.h"
#include "ciout.h"
#include "signature.h"

#include <cJSON.h>
#include <stdlib.h>
#include <unistd.h>

static void verdicts_should_read_against_expectations(void)
{
    CHECK(ml_baseline_compare(NULL, "pass") == ML_EXPECT_PASS);
    CHECK(ml_baseline_compare("pass", "pass") == ML_EXPECT_PASS);
    CHECK(ml_baseline_compare("fail:data", "fail:data") == ML_EXPECT_XFAIL);
    CHECK(ml_baseline_compare("error:crash", "error:crash") == ML_EXPECT_XFAIL);
    CHECK(ml_baseline_compare(NULL, "fail:data") == ML_EXPECT_NEW);
    CHECK(ml_baseline_compare("pass", "error:timeout") == ML_EXPECT_NEW);
    CHECK(ml_baseline_compare("fail:data", "fail:data,flags") == ML_EXPECT_CHANGED);
    CHECK(ml_baseline_compare("fail:data", "pass") == ML_EXPECT_XPASS);
    CHECK(ml_baseline_compare("pass", "invalid") == ML_EXPECT_INVALID);
}

static void xpass_should_fail_the_job_unless_allowed(void)
{
    CHECK(ml_expect_fails_job(ML_EXPECT_XPASS, false));
    CHECK(!ml_expect_fails_job(ML_EXPECT_XPASS, true));
    CHECK(!ml_expect_fails_job(ML_EXPECT_XFAIL, false));
    CHECK(ml_expect_fails_job(ML_EXPECT_NEW, true));
    CHECK(ml_expect_fails_job(ML_EXPECT_CHANGED, true));
}

static void env_keys_should_name_versions_and_the_reducer(void)
{
    char k[128];
    const char *v = "{\"python\":\"3.11.2\",\"numpy\":\"1.24.2\",\"joblib\":\"1.2.0\"}";
    CHECK_STR(ml_env_key(v, "joblib", k, sizeof k), "joblib-1.2.0+numpy-1.24.2");
    CHECK_STR(ml_env_key(v, "reference", k, sizeof k), "joblib-1.2.0+numpy-1.24.2+reference");
    CHECK_STR(ml_env_key(NULL, NULL, k, sizeof k), "joblib-unknown+numpy-unknown");
}

static void a_baseline_should_round_trip_sorted(void)
{
    char dir[] = "/tmp/ml-baseline-XXXXXX", path[64], err[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/baseline.json", dir);
    bool existed = true;
    ml_baseline *b = ml_baseline_load(path, &existed, err, sizeof err);
    CHECK(b && !existed);
    CHECK(ml_baseline_set(b, "env-b", "z.json", "pass"));
    CHECK(ml_baseline_set(b, "env-b", "a.json", "fail:data"));
    CHECK(ml_baseline_set(b, "env-a", "q\"uote.json", "error:crash"));
    CHECK(ml_baseline_set(b, "env-b", "a.json", "fail:flags"));   /* replaces */
    CHECK(ml_baseline_save(b, path, err, sizeof err));
    ml_baseline_free(b);

    b = ml_baseline_load(path, &existed, err, sizeof err);
    CHECK(b && existed);
    CHECK_STR(ml_baseline_get(b, "env-b", "a.json"), "fail:flags");
    CHECK_STR(ml_baseline_get(b, "env-b", "z.json"), "pass");
    CHECK_STR(ml_baseline_get(b, "env-a", "q\"uote.json"), "error:crash");
    CHECK(ml_baseline_get(b, "env-a", "a.json") == NULL);
    CHECK(ml_baseline_has_env(b, "env-a") && !ml_baseline_has_env(b, "env-c"));
    ml_baseline_drop_env(b, "env-a");
    CHECK(!ml_baseline_has_env(b, "env-a"));
    ml_baseline_free(b);

    FILE *f = fopen(path, "r");
    char text[1024] = "";
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = 0;
    if (f)
        fclose(f);
    char *ea = strstr(text, "\"env-a\""), *eb = strstr(text, "\"env-b\"");
    char *a = strstr(text, "\"a.json\""), *z = strstr(text, "\"z.json\"");
    CHECK(ea && eb && ea < eb);
    CHECK(a && z && a < z);
    CHECK(strstr(text, "\"a.json\": \"fail:flags\",\n") != NULL);   /* one entry a line */
    unlink(path);
    rmdir(dir);
}

static void a_bad_baseline_should_be_refused(void)
{
    char path[] = "/tmp/ml-baseline-bad-XXXXXX", err[256];
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *bad = "{\"memlayout_baseline\":1,\"environments\":{\"e\":{\"x.json\":3}}}";
    CHECK(write(fd, bad, strlen(bad)) == (ssize_t)strlen(bad));
    close(fd);
    CHECK(ml_baseline_load(path, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "verdict must be a string") != NULL);
    unlink(path);
}

static ml_ci_row rows[4];
static const ml_ci_meta meta = {.suite = "memlayout regress", .env = "joblib-1.2.0+numpy-1.24.2",
                                .version = "0.1.0", .update_hint = "memlayout ci corpus/regress --update-baseline"};

static void fill_rows(void)
{
    rows[0] = (ml_ci_row){"corpus/regress/cases/a.json", "a.json", "loky", "fail:data,flags,strides",
                          "fail:data,flags,strides", ML_EXPECT_XFAIL, "parent C; child F", 0.5, ML_SEV_CORRUPT, "5ac3df85",
                          NULL, NULL};
    rows[1] = (ml_ci_row){"corpus/regress/cases/b<&>.json", "b<&>.json", "reduce", "fail:data", "pass",
                          ML_EXPECT_NEW, "a \"quoted\" <detail>\x01", 0.1, ML_SEV_CORRUPT, "0000abcd",
                          "first changed commit 0123abcd 2026-01-02 <break> (regression)",
                          "{\"result\": \"regression\", \"first_changed\": {\"commit\": \"0123abcd\"}}"};
    rows[2] = (ml_ci_row){"corpus/regress/cases/c.json", "c.json", "reduce", "pass", "fail:data",
                          ML_EXPECT_XPASS, NULL, 0.1, -1, NULL, NULL, NULL};
    rows[3] = (ml_ci_row){"./corpus/regress/cases/d.json", "d.json", "pickle5", "pass", "pass",
                          ML_EXPECT_PASS, NULL, 0.1, -1, NULL, NULL, NULL};
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void junit_should_have_one_testcase_per_case(void)
{
    fill_rows();
    char *x = ml_ci_junit(rows, 4, &meta);
    CHECK(x != NULL);
    CHECK(count(x, "<testcase ") == 4);
    CHECK(count(x, "<skipped ") == 1);
    CHECK(count(x, "<failure ") == 2);   /* the new failure and the XPASS */
    CHECK(strstr(x, "tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"1\"") != NULL);
    CHECK(strstr(x, "b&lt;&amp;&gt;.json") != NULL);
    CHECK(strstr(x, "&quot;quoted&quot; &lt;detail&gt;\\x01") != NULL);   /* \x01 cannot be in XML */
    CHECK(strstr(x, "--update-baseline") != NULL);
    CHECK(count(x, "range: ") == 1);   /* ci --repo: the new failure's commit range ends its text */
    CHECK(strstr(x, "\nrange: first changed commit 0123abcd 2026-01-02 &lt;break&gt; (regression)</failure>") != NULL);
    free(x);
    ml_ci_meta allow = meta;
    allow.allow_fixed = true;
    x = ml_ci_junit(rows, 4, &allow);
    CHECK(count(x, "<failure ") == 1 && count(x, "<skipped ") == 2);
    free(x);
}

static void sarif_should_have_the_required_fields(void)
{
    fill_rows();
    char *s = ml_ci_sarif(rows, 4, &meta);
    cJSON *j = s ? cJSON_Parse(s) : NULL;
    CHECK(j != NULL);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "version")), "2.1.0");
    cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "runs"), 0);
    cJSON *driver = cJSON_GetObjectItem(cJSON_GetObjectItem(run, "tool"), "driver");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(driver, "name")), "memlayout");
    cJSON *results = cJSON_GetObjectItem(run, "results");
    CHECK(cJSON_GetArraySize(results) == 3);   /* the plain pass is no result */
    cJSON *r0 = cJSON_GetArrayItem(results, 0), *r1 = cJSON_GetArrayItem(results, 1);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r0, "ruleId")), "memlayout/known-failure");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r0, "level")), "note");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "ruleId")), "memlayout/new-failure");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "level")), "error");
    CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r1, "message"), "text")) != NULL);
    cJSON *loc = cJSON_GetArrayItem(cJSON_GetObjectItem(r0, "locations"), 0);
    cJSON *uri = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(loc, "physicalLocation"),
                                                         "artifactLocation"), "uri");
    CHECK_STR(cJSON_GetStringValue(uri), "corpus/regress/cases/a.json");
    cJSON *loc1 = cJSON_GetArrayItem(cJSON_GetObjectItem(r1, "locations"), 0);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(loc1,
              "physicalLocation"), "artifactLocation"), "uri")), "corpus/regress/cases/b%3C%26%3E.json");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r1, "properties"), "severity")),
              "corrupt");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r1, "properties"), "bug")), "0000abcd");
    cJSON *range = cJSON_GetObjectItem(cJSON_GetObjectItem(r1, "properties"), "range");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(range, "first_changed"), "commit")),
              "0123abcd");
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(r0, "properties"), "range") == NULL);
    cJSON_Delete(j);
    free(s);
}

/* --fail-on: a new failure fails the job only when its severity is named;
 * SARIF's level follows the severity (corrupt error, layout warning,
 * representation note). */
static void fail_on_should_pick_the_severities_that_fail_the_job(void)
{
    fill_rows();
    ml_ci_meta m = meta;
    CHECK(ml_ci_row_fails_job(&rows[1], &m));             /* every severity by default */
    m.fail_on = 1u << ML_SEV_REPRESENTATION;
    CHECK(!ml_ci_row_fails_job(&rows[1], &m));            /* corrupt not named */
    CHECK(ml_ci_row_fails_job(&rows[2], &m));             /* an XPASS has no severity: it fails */
    m.fail_on |= 1u << ML_SEV_CORRUPT;
    CHECK(ml_ci_row_fails_job(&rows[1], &m));
    char *x = ml_ci_junit(rows, 4, &(ml_ci_meta){.suite = "s", .env = "e", .fail_on = 1u << ML_SEV_LAYOUT});
    CHECK(x && count(x, "<failure ") == 1);                /* the XPASS alone */
    free(x);
    static const struct { int sev; const char *level; } levels[] = {
        {ML_SEV_CORRUPT, "error"}, {ML_SEV_ERROR, "warning"}, {ML_SEV_LAYOUT, "warning"},
        {ML_SEV_REPRESENTATION, "note"}};
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
        rows[1].severity = levels[i].sev;
        char *s = ml_ci_sarif(rows, 4, &meta);
        cJSON *j = s ? cJSON_Parse(s) : NULL;
        cJSON *r1 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "runs"), 0),
                                                           "results"), 1);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "level")), levels[i].level);
        cJSON_Delete(j);
        free(s);
    }
}

int main(void)
{
    RUN(verdicts_should_read_against_expectations);
    RUN(xpass_should_fail_the_job_unless_allowed);
    RUN(env_keys_should_name_versions_and_the_reducer);
    RUN(a_baseline_should_round_trip_sorted);
    RUN(a_bad_baseline_should_be_refused);
    RUN(junit_should_have_one_testcase_per_case);
    RUN(sarif_should_have_the_required_fields);
    RUN(fail_on_should_pick_the_severities_that_fail_the_job);
    return check_summary("test_baseline");
}

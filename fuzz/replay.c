/* The corpus as a test, without any fuzzer: every case file goes through the
 * same target bodies the fuzzers run (case_parse, case_json, case_bytes),
 * and the verdicts are checked against what the file's name promises:
 * the verdict recorded for this environment in a baseline.json next to the
 * cases' folder (corpus/regress), else public-example-* must fail with data
 * and flags and control-* must pass. Worker transports run as reduce in a
 * fuzz body: the reducer those pools call, so the verdicts agree.
 * Prints "fuzz-replay: N passed, N failed" (tests/run.sh sums those). */
#include "fuzz.h"
#include "fsutil.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;
static cJSON *baseline;    /* this environment's expected verdicts, by file name */

/* corpus/regress/baseline.json: {"environments": {"joblib-X+numpy-Y": {...}}} */
static void load_baseline(const char *dir)
{
    char path[4096], err[512], env[128];
    size_t len;
    snprintf(path, sizeof path, "%s/../baseline.json", dir);
    char *text = ml_read_file(path, 1 << 20, &len, err, sizeof err);
    cJSON *v = cJSON_Parse(mlf_versions());
    const char *jl = cJSON_GetStringValue(cJSON_GetObjectItem(v, "joblib"));
    const char *np = cJSON_GetStringValue(cJSON_GetObjectItem(v, "numpy"));
    snprintf(env, sizeof env, "joblib-%s+numpy-%s", jl ? jl : "?", np ? np : "?");
    cJSON_Delete(v);
    cJSON_Delete(baseline);
    baseline = NULL;
    if (!text)
        return;
    cJSON *root = cJSON_Parse(text);
    free(text);
    cJSON *e = cJSON_DetachItemFromObject(cJSON_GetObjectItem(root, "environments"), env);
    cJSON_Delete(root);
    baseline = e;
}

static void check(bool ok, const char *file, const char *what, const char *got)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL %s: %s (got %s)\n", file, what, got ? got : "-");
}

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static bool fails_with(const mlf_outcome *o, ml_invariant a, ml_invariant b)
{
    return o->v.kind == ML_V_FAIL && (o->v.fails >> a & 1) && (o->v.fails >> b & 1);
}

static void replay_file(const char *path)
{
    char err[512], key[256];
    size_t len;
    char *text = ml_read_file(path, MLF_MAX_JSON, &len, err, sizeof err);
    const uint8_t *d = (const uint8_t *)text;
    const char *name = base(path);
    if (!text) {
        check(false, name, "the file should be readable", err);
        return;
    }
    mlf_case_parse(d, len);   /* aborts on a broken property */
    check(true, name, "", NULL);
    int rc = mlf_case_json(d, len);
    const mlf_outcome *o = mlf_last();
    check(rc == 0, name, "case_json should accept it", "rejected");
    const char *want = cJSON_GetStringValue(cJSON_GetObjectItem(baseline, name));
    if (rc == 0 && want)
        check(!strcmp(o->verdict, want), name, want, o->verdict);
    else if (rc == 0 && !strncmp(name, "public-example-", 15))
        check(fails_with(o, ML_INV_DATA, ML_INV_FLAGS), name,
              "case_json should find the public example (fail: data, flags)", o->verdict);
    else if (rc == 0 && !strncmp(name, "control-", 8))
        check(o->v.kind == ML_V_PASS, name, "case_json should pass a control", o->verdict);
    if (rc == 0 && o->finding && !strncmp(name, "public-example-", 15)) {
        /* minimized in process, it fails the same way and is no bigger */
        static ml_case m;
        size_t nops = (size_t)o->c.nops;
        m = o->c;
        snprintf(key, sizeof key, "%s", o->class_id);
        bool ok = mlf_minimize(&m, 60, NULL, 0);
        const mlf_outcome *mo = mlf_run_quiet(&m);
        check(ok && mo->finding && !strcmp(mo->class_id, key) && (size_t)m.nops <= nops, name,
              "its minimized case should fail the same way", mo->key);
    }
    mlf_case_bytes(d, len < MLF_MAX_DECODE ? len : MLF_MAX_DECODE);
    check(mlf_last()->ran, name, "case_bytes should run its decoded case", NULL);
    free(text);
}

/* The store's key set: 100,000 keys (hash-like: distinct odd multiples) are
 * each new once, then each known; others stay unknown. */
static void hset_self_check(void)
{
    mlf_hset set = {0};
    int wrong = 0;
    const uint64_t m = 0x9e3779b97f4a7c15ull;
    for (uint64_t k = 1; k <= 100000; k++)
        wrong += mlf_hset_add(&set, k * m);
    for (uint64_t k = 1; k <= 100000; k++)
        wrong += !mlf_hset_add(&set, k * m);
    for (uint64_t k = 100001; k <= 100100; k++)
        wrong += mlf_hset_add(&set, k * m);
    char got[64];
    snprintf(got, sizeof got, "%d wrong answers, %zu keys", wrong, set.n);
    check(wrong == 0 && set.n == 100100 && set.cap >= 2 * set.n, "hset",
          "the finding store's key set should grow and answer exactly", got);
    free(set.v);
}

int main(int argc, char **argv)
{
    static const char *defaults[] = {"corpus/seed", "corpus/regress/cases"};
    const char *const *paths = argc > 1 ? (const char *const *)argv + 1 : defaults;
    int npaths = argc > 1 ? argc - 1 : 2;
    setenv("MLF_ON_FINDING", "report", 1);
    setenv("MLF_QUIET", "1", 0);
    mlf_init("replay", NULL, NULL);
    hset_self_check();
    mlf_python_init();
    for (int p = 0; p < npaths; p++) {
        char **files, err[512];
        int n = ml_list_cases(paths[p], &files, err, sizeof err);
        if (n < 0) {
            if (argc > 1)
                check(false, paths[p], "should list case files", err);
            continue;
        }
        load_baseline(paths[p]);
        for (int i = 0; i < n; i++) {
            replay_file(files[i]);
            free(files[i]);
        }
        free(files);
    }
    cJSON_Delete(baseline);
    printf("fuzz-replay: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* Baselines of expected verdicts: see baseline.h. */
#include "baseline.h"
#include "fsutil.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASELINE_VERSION 1

struct ml_baseline {
    cJSON *envs;   /* object: env -> object: case -> verdict string */
};

ml_baseline *ml_baseline_load(const char *path, bool *existed, char *err, size_t errlen)
{
    ml_baseline *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (existed)
        *existed = false;
    size_t len;
    char rerr[512];
    FILE *probe = fopen(path, "r");
    if (!probe) {
        b->envs = cJSON_CreateObject();
        return b;
    }
    fclose(probe);
    char *text = ml_read_file(path, 16 << 20, &len, rerr, sizeof rerr);
    if (!text) {
        snprintf(err, errlen, "%s", rerr);
        free(b);
        return NULL;
    }
    if (existed)
        *existed = true;
    cJSON *root = ml_json_parse_exact(text, len);
    free(text);
    cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "memlayout_baseline");
    cJSON *envs = cJSON_GetObjectItemCaseSensitive(root, "environments");
    const char *why = NULL;
    if (!root)
        why = "not one JSON document (or trailing bytes after it)";
    else if (!cJSON_IsNumber(ver) || ver->valueint != BASELINE_VERSION)
        why = "memlayout_baseline: must be 1";
    else if (!cJSON_IsObject(envs))
        why = "environments: must be an object";
    for (cJSON *e = envs ? envs->child : NULL; !why && e; e = e->next) {
        if (!cJSON_IsObject(e))
            why = "environments: every environment must be an object of case -> verdict";
        for (cJSON *c = e->child; !why && c; c = c->next)
            if (!cJSON_IsString(c))
                why = "environments: every verdict must be a string";
    }
    if (why) {
        snprintf(err, errlen, "%s: %s", path, why);
        cJSON_Delete(root);
        free(b);
        return NULL;
    }
    b->envs = cJSON_DetachItemViaPointer(root, envs);
    cJSON_Delete(root);
    return b;
}

void ml_baseline_free(ml_baseline *b)
{
    if (!b)
        return;
    cJSON_Delete(b->envs);
    free(b);
}

bool ml_baseline_has_env(const ml_baseline *b, const char *env)
{
    return cJSON_GetObjectItemCaseSensitive(b->envs, env) != NULL;
}

const char *ml_baseline_get(const ml_baseline *b, const char *env, const char *key)
{
    cJSON *e = cJSON_GetObjectItemCaseSensitive(b->envs, env);
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, key));
}

bool ml_baseline_set(ml_baseline *b, const char *env, const char *key, const char *verdict)
{
    cJSON *e = cJSON_GetObjectItemCaseSensitive(b->envs, env);
    if (!e && !(e = cJSON_AddObjectToObject(b->envs, env)))
        return false;
    cJSON *v = cJSON_CreateString(verdict);
    if (!v)
        return false;
    if (cJSON_GetObjectItemCaseSensitive(e, key))
        return cJSON_ReplaceItemInObjectCaseSensitive(e, key, v);
    cJSON_AddItemToObject(e, key, v);
    return true;
}

void ml_baseline_drop_env(ml_baseline *b, const char *env)
{
    cJSON_DeleteItemFromObjectCaseSensitive(b->envs, env);
}

static int cmp_items(const void *pa, const void *pb)
{
    const cJSON *a = *(cJSON *const *)pa, *b = *(cJSON *const *)pb;
    return strcmp(a->string, b->string);
}

/* Sorted, so the file diffs well. */
static void sort_object(cJSON *o)
{
    int n = cJSON_GetArraySize(o);
    if (n < 2)
        return;
    cJSON **v = malloc(sizeof *v * (size_t)n);
    if (!v)
        return;
    int i = 0;
    for (cJSON *c = o->child; c; c = c->next)
        v[i++] = c;
    qsort(v, (size_t)n, sizeof *v, cmp_items);
    for (i = 0; i < n; i++) {
        v[i]->prev = i ? v[i - 1] : v[n - 1];   /* cJSON: the head's prev is the tail */
        v[i]->next = i + 1 < n ? v[i + 1] : NULL;
    }
    o->child = v[0];
    free(v);
}

/* One entry a line: the layout a reviewer reads in a diff. */
static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

bool ml_baseline_save(const ml_baseline *b, const char *path, char *err, size_t errlen)
{
    sort_object(b->envs);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    fprintf(f, "{\n  \"memlayout_baseline\": %d,\n  \"environments\": {", BASELINE_VERSION);
    for (cJSON *e = b->envs->child; e; e = e->next) {
        sort_object(e);
        fputs("\n    ", f);
        put_str(f, e->string);
        fputs(": {", f);
        for (cJSON *c = e->child; c; c = c->next) {
            fputs("\n      ", f);
            put_str(f, c->string);
            fputs(": ", f);
            put_str(f, c->valuestring);
            if (c->next)
                fputc(',', f);
        }
        fputs(e->child ? "\n    }" : "}", f);
        if (e->next)
            fputc(',', f);
    }
    fputs(b->envs->child ? "\n  }\n}\n" : "}\n}\n", f);
    fclose(f);
    bool ok = ml_write_atomic(path, text, len, err, errlen);
    free(text);
    return ok;
}

const char *ml_env_key(const char *versions_json, const char *reducer, char *buf, size_t len)
{
    cJSON *v = versions_json ? cJSON_Parse(versions_json) : NULL;
    const char *jl = cJSON_GetStringValue(cJSON_GetObjectItem(v, "joblib"));
    const char *np = cJSON_GetStringValue(cJSON_GetObjectItem(v, "numpy"));
    snprintf(buf, len, "joblib-%s+numpy-%s%s", jl ? jl : "unknown", np ? np : "unknown",
             reducer && strcmp(reducer, "joblib") != 0 ? "+reference" : "");
    cJSON_Delete(v);
    return buf;
}

static bool is_finding(const char *v)
{
    return v && (strncmp(v, "fail", 4) == 0 || strncmp(v, "error", 5) == 0);
}

ml_expect ml_baseline_compare(const char *expected, const char *actual)
{
    if (!actual || strcmp(actual, "invalid") == 0)
        return ML_EXPECT_INVALID;
    if (!is_finding(actual))
        return is_finding(expected) ? ML_EXPECT_XPASS : ML_EXPECT_PASS;
    if (!is_finding(expected))
        return ML_EXPECT_NEW;
    return strcmp(expected, actual) == 0 ? ML_EXPECT_XFAIL : ML_EXPECT_CHANGED;
}

const char *ml_expect_name(ml_expect e)
{
    static const char *const names[] = {"pass", "xfail", "new failure", "changed failure", "XPASS", "invalid"};
    return (unsigned)e < sizeof names / sizeof *names ? names[e] : "?";
}

bool ml_expect_fails_job(ml_expect e, bool allow_fixed)
{
    switch (e) {
    case ML_EXPECT_PASS:
    case ML_EXPECT_XFAIL:
        return false;
    case ML_EXPECT_XPASS:
        return !allow_fixed;
    default:
        return true;
    }
}

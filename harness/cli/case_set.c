/* A list of case files run as one campaign, with each case's verdict (ci, matrix). */
#include "case_set.h"
#include "fsutil.h"
#include "signature.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool set_next(void *ctx, ml_case *c)
{
    ml_case_set *cs = ctx;
    if (cs->pos >= cs->n)
        return false;
    *c = cs->cases[cs->pos++];
    return true;
}

static void fmt_layout(char *buf, size_t len, const char *who, const ml_obs *o)
{
    size_t n = (size_t)snprintf(buf, len, "%s %s strides [", who, ml_sig_flags(o));
    for (int i = 0; i < o->ndim && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%lld", i ? "," : "", (long long)o->strides[i]);
    if (n < len)
        snprintf(buf + n, len - n, "]");
}

static void set_done(void *ctx, const ml_outcome *o)
{
    ml_case_set *cs = ctx;
    int i = (int)o->id;
    if (i < 0 || i >= cs->n)
        return;
    char vs[256], d[1024] = "";
    ml_verdict_str(&o->v, vs, sizeof vs);
    if (o->v.kind == ML_V_FAIL && o->r.parent.present && o->r.child.present) {
        char p[400], c[400];
        fmt_layout(p, sizeof p, "parent", &o->r.parent);
        fmt_layout(c, sizeof c, "child", &o->r.child);
        snprintf(d, sizeof d, "%s; %s", p, c);
    } else if (o->v.kind != ML_V_PASS && o->r.message[0]) {
        snprintf(d, sizeof d, "%s", o->r.message);
    }
    cs->verdict[i] = strdup(vs);
    cs->detail[i] = d[0] ? strdup(d) : NULL;
    cs->result_json[i] = strdup(o->result_json);
    cs->kind[i] = o->v.kind;
    cs->seconds[i] = o->r.seconds;
    ml_sig all[ML_SIG_MAX];
    if (ml_sig_all(&o->c, &o->r, &o->v, all) > 0) {
        cs->severity[i] = (int)all[0].severity;
        ml_sig_id(&all[0], false, cs->bug[i]);
    }
}

static void set_clear_results(ml_case_set *cs)
{
    for (int i = 0; i < cs->n; i++) {
        free(cs->verdict[i]);
        free(cs->detail[i]);
        free(cs->result_json[i]);
        cs->verdict[i] = cs->detail[i] = cs->result_json[i] = NULL;
        cs->kind[i] = ML_V_INVALID;
        cs->seconds[i] = 0;
        cs->severity[i] = -1;
        cs->bug[i][0] = 0;
    }
    cs->pos = 0;
}

void ml_case_set_free(ml_case_set *cs)
{
    if (cs->verdict)
        set_clear_results(cs);
    for (int i = 0; i < cs->n; i++)
        free(cs->paths[i]);
    free(cs->cases);
    free(cs->paths);
    free(cs->verdict);
    free(cs->detail);
    free(cs->result_json);
    free(cs->kind);
    free(cs->seconds);
    free(cs->severity);
    free(cs->bug);
}

/* Reads the case files under each path; skip (may be NULL) is a file to
 * leave out (the baseline). False (message printed) on a bad case. */
bool ml_case_set_load(const char *cmd, ml_case_set *cs, int npaths, char **paths, const char *skip,
                     const ml_limits *lim)
{
    char err[1024];
    int cap = 0;
    bool ok = true;
    memset(cs, 0, sizeof *cs);
    for (int a = 0; a < npaths; a++) {
        char **files;
        int nf = ml_list_cases(paths[a], &files, err, sizeof err);
        if (nf < 0) {
            fprintf(stderr, "memlayout %s: %s\n", cmd, err);
            return false;
        }
        for (int i = 0; i < nf; i++) {
            if (skip && strcmp(ml_cli_base_name(files[i]), ml_cli_base_name(skip)) == 0) {
                char *r1 = realpath(files[i], NULL), *r2 = realpath(skip, NULL);
                bool same = r1 && r2 && strcmp(r1, r2) == 0;
                free(r1);
                free(r2);
                if (same) {
                    free(files[i]);
                    continue;
                }
            }
            if (cs->n == cap) {
                cap = cap ? cap * 2 : 32;
                cs->cases = realloc(cs->cases, sizeof *cs->cases * (size_t)cap);
                cs->paths = realloc(cs->paths, sizeof *cs->paths * (size_t)cap);
                if (!cs->cases || !cs->paths) {
                    fprintf(stderr, "memlayout %s: out of memory\n", cmd);
                    exit(ML_EXIT_ENV);
                }
            }
            if (!ml_cli_read_case(cmd, files[i], lim, &cs->cases[cs->n])) {
                ok = false;
                free(files[i]);
                continue;
            }
            cs->paths[cs->n++] = files[i];
        }
        free(files);
    }
    if (ok && !cs->n) {
        fprintf(stderr, "memlayout %s: no case files found\n", cmd);
        ok = false;
    }
    cs->verdict = calloc((size_t)cs->n + 1, sizeof *cs->verdict);
    cs->detail = calloc((size_t)cs->n + 1, sizeof *cs->detail);
    cs->result_json = calloc((size_t)cs->n + 1, sizeof *cs->result_json);
    cs->kind = calloc((size_t)cs->n + 1, sizeof *cs->kind);
    cs->seconds = calloc((size_t)cs->n + 1, sizeof *cs->seconds);
    cs->severity = calloc((size_t)cs->n + 1, sizeof *cs->severity);
    cs->bug = calloc((size_t)cs->n + 1, sizeof *cs->bug);
    for (int i = 0; i < cs->n; i++)
        cs->severity[i] = -1;
    return ok;
}

/* Runs every case of cs with Python options py. Returns the campaign status;
 * *versions gets the runner's versions JSON (caller frees). */
ml_camp_status ml_case_set_run(const char *cmd, const ml_cli_common *co, const ml_py_opts *py,
                              ml_case_set *cs, char **versions)
{
    char err[1024];
    set_clear_results(cs);
    char *tmp = ml_tmpdir_create(err, sizeof err);
    if (!tmp) {
        fprintf(stderr, "memlayout %s: %s\n", cmd, err);
        return ML_CAMP_ENV;
    }
    ml_campaign cp;
    memset(&cp, 0, sizeof cp);
    cp.py = *py;
    cp.py.tmpdir = tmp;
    cp.jobs = co->jobs;
    cp.timeout = co->timeout;
    cp.batch = co->batch;
    cp.next = set_next;
    cp.done = set_done;
    cp.ctx = cs;
    cp.stop = &ml_cli_stop;
    ml_camp_status st = ml_campaign_run(&cp, err, sizeof err);
    ml_rmtree(tmp);
    free(tmp);
    if (st == ML_CAMP_ENV)
        fprintf(stderr, "memlayout %s: %s\n", cmd, err);
    *versions = cp.versions;
    return st;
}

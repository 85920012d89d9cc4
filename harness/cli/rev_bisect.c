/* The bisection of one case over a range of a package's history
 * (rev_bisect.h): `memlayout bisect` and `memlayout ci --repo` both run it. */
#include "rev_bisect.h"
#include "bisect.h"
#include "fsutil.h"
#include "gitrev.h"
#include "session.h"
#include "signature.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const ml_cli_common *co;
    ml_rev_pkg pkg;
    const char *tmp;
    char (*shas)[41];           /* points 0..n: 0 is --old */
    int n;
    const ml_case *c;
    uint32_t transports;        /* 0: the case's own */
    const char *bug;            /* bug id, or NULL */
    char **key, **shown, **why; /* per point: verdict key, verdict as printed, why skipped */
    int step_no;
    bool quiet, failed;         /* failed: git, Python or the disk broke (err) */
    char err[1024];
    cJSON *steps;
} bisect_ctx;

static char *short_sha(const char *sha, char out[13])
{
    snprintf(out, 13, "%.12s", sha);
    return out;
}

/* One transport's verdict at a commit into the point's key and text. */
static void add_verdict(bisect_ctx *bx, const ml_outcome *o, bool *shows, char *text, size_t len)
{
    char vs[256];
    ml_verdict_str(&o->v, vs, sizeof vs);
    size_t n = strlen(text);
    if (bx->transports)
        snprintf(text + n, len - n, "%s%s %s", n ? ", " : "", ml_transport_name(o->c.transport), vs);
    else
        snprintf(text + n, len - n, "%s", vs);
    if (bx->bug) {
        ml_sig all[ML_SIG_MAX];
        int k = ml_sig_all(&o->c, &o->r, &o->v, all);
        for (int i = 0; i < k; i++) {
            char id[9];
            *shows |= !strcmp(ml_sig_id(&all[i], false, id), bx->bug);
        }
    }
}

/* The verdict at point i: ML_BISECT_SAME/DIFF are left to the caller
 * (bx->key[i] set), SKIP with bx->why[i], ABORT when stopped or broken. */
static ml_bisect_ans point_verdict(bisect_ctx *bx, int i)
{
    char dest[4200], why[1024] = "", *path = NULL;
    snprintf(dest, sizeof dest, "%s/rev-%d", bx->tmp, i);
    ml_rev_status st = ml_rev_export(&bx->pkg, bx->shas[i], dest, &path, why, sizeof why);
    ml_bisect_ans a = ML_BISECT_ABORT;
    if (st == ML_REV_FAIL) {
        snprintf(bx->err, sizeof bx->err, "%s", why);
        bx->failed = true;
    } else if (st == ML_REV_SKIP) {
        a = ML_BISECT_SKIP;
    } else if (st == ML_REV_OK) {
        char pytmp[4300], text[1024] = "";
        snprintf(pytmp, sizeof pytmp, "%s/py", dest);
        ml_py_opts py = bx->co->py;
        py.python_path = path;
        py.tmpdir = pytmp;
        ml_session *s = ml_mkdirs(pytmp, why, sizeof why)
                            ? ml_session_open(&py, bx->co->timeout, NULL, why, sizeof why) : NULL;
        a = s ? ML_BISECT_SAME : ML_BISECT_SKIP;   /* no runner there: skipped, why says why */
        bool shows = false;
        for (int t = 0; s && t < ML_T_COUNT && a == ML_BISECT_SAME && !ml_cli_stop; t++) {
            if (bx->transports ? !(bx->transports >> t & 1) : t != (int)bx->c->transport)
                continue;
            ml_case c = *bx->c;
            c.transport = (ml_transport)t;
            ml_outcome o;
            if (!ml_session_judge(s, &c, &o, bx->err, sizeof bx->err)) {
                bx->failed = true;
                a = ML_BISECT_ABORT;
            } else if (o.v.kind == ML_V_INVALID) {
                snprintf(why, sizeof why, "the case is invalid there: %s", o.r.message);
                a = ML_BISECT_SKIP;
            } else {
                add_verdict(bx, &o, &shows, text, sizeof text);
            }
        }
        if (s)
            ml_session_close(s);
        if (a == ML_BISECT_SAME) {
            if (bx->bug) {
                char t2[1200];
                snprintf(t2, sizeof t2, "%sbug %s (%s)", shows ? "" : "no ", bx->bug, text);
                bx->shown[i] = strdup(t2);
                bx->key[i] = strdup(shows ? "shows" : "absent");
            } else {
                bx->shown[i] = strdup(text);
                bx->key[i] = strdup(text);
            }
        }
    }
    free(path);
    ml_rmtree(dest);
    if (ml_cli_stop || st == ML_REV_STOPPED)
        return ML_BISECT_ABORT;
    if (a == ML_BISECT_SKIP)
        bx->why[i] = strdup(why);
    return a;
}

static ml_bisect_ans judge(void *ctx, int i)
{
    bisect_ctx *bx = ctx;
    ml_bisect_ans a = point_verdict(bx, i);
    if (a == ML_BISECT_SAME && strcmp(bx->key[i], bx->key[0]))
        a = ML_BISECT_DIFF;
    return a;
}

static void step(void *ctx, int i, ml_bisect_ans a, int lo, int hi)
{
    bisect_ctx *bx = ctx;
    char s[13];
    int left = hi - lo - 1;
    for (int k = lo + 1; k < hi; k++)
        left -= bx->why[k] != NULL;
    const char *verdict = a == ML_BISECT_SKIP ? "skipped" : bx->shown[i];
    if (!bx->quiet)
        printf("step %d: %s %s%s%s (%s); %d commit%s left to test\n", ++bx->step_no, short_sha(bx->shas[i], s),
               verdict, a == ML_BISECT_SKIP ? ": " : "", a == ML_BISECT_SKIP ? bx->why[i] : "",
               a == ML_BISECT_SKIP ? "no verdict" : a == ML_BISECT_SAME ? "as at --old" : "differs from --old",
               left, left == 1 ? "" : "s");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "commit", bx->shas[i]);
    cJSON_AddStringToObject(o, "verdict", a == ML_BISECT_SKIP ? "skipped" : bx->shown[i]);
    if (a == ML_BISECT_SKIP)
        cJSON_AddStringToObject(o, "reason", bx->why[i]);
    cJSON_AddNumberToObject(o, "left", left);
    cJSON_AddItemToArray(bx->steps, o);
    fflush(stdout);
}

static cJSON *commit_json(const bisect_ctx *bx, int i, ml_git_commit *gc)
{
    ml_git_commit_info(bx->pkg.repo, bx->shas[i], gc);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "commit", gc->sha);
    cJSON_AddStringToObject(o, "date", gc->date);
    cJSON_AddStringToObject(o, "subject", gc->subject);
    if (bx->shown[i])
        cJSON_AddStringToObject(o, "verdict", bx->shown[i]);
    else if (bx->why[i])
        cJSON_AddStringToObject(o, "skipped", bx->why[i]);
    return o;
}

static bool valid_package(const char *p)
{
    if (!*p || (*p >= '0' && *p <= '9'))
        return false;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

static bool valid_subdir(const char *p)
{
    if (!*p || *p == '/' || strlen(p) > 1000)
        return false;
    for (const char *s = p; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == ':')
            return false;
    return !strstr(p, "..");
}

static void bad(const char *cmd, const char *field, const char *reason)
{
    fprintf(stderr, "memlayout %s: %s: %s\n", cmd, field, reason);
}

int ml_rb_open(const char *cmd, ml_rb_range *rg)
{
    char err[1024];
    rg->shas = NULL;
    rg->n = 0;
    if (!rg->repo || !rg->old_rev || !rg->new_rev) {
        bad(cmd, !rg->repo ? "--repo" : !rg->old_rev ? "--old" : "--new", "required");
        return ML_EXIT_USAGE;
    }
    if (!valid_package(rg->package)) {
        bad(cmd, "--package", "expected a Python import name (letters, digits, _)");
        return ML_EXIT_USAGE;
    }
    if (rg->subdir && !valid_subdir(rg->subdir)) {
        bad(cmd, "--subdir", "expected a relative path inside the repository");
        return ML_EXIT_USAGE;
    }
    if (!ml_git_check_repo(rg->repo, err, sizeof err)) {
        bad(cmd, "--repo", err);
        return ML_EXIT_USAGE;
    }
    if (!ml_git_resolve(rg->repo, rg->old_rev, rg->old_sha, err, sizeof err)) {
        bad(cmd, "--old", err);
        return ML_EXIT_USAGE;
    }
    if (!ml_git_resolve(rg->repo, rg->new_rev, rg->new_sha, err, sizeof err)) {
        bad(cmd, "--new", err);
        return ML_EXIT_USAGE;
    }
    if (!strcmp(rg->old_sha, rg->new_sha) || ml_git_is_ancestor(rg->repo, rg->old_sha, rg->new_sha) != 1) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s (%.12s) is %s --new %s", rg->old_rev, rg->old_sha,
                 !strcmp(rg->old_sha, rg->new_sha) ? "the same commit as" : "not an ancestor of", rg->new_rev);
        bad(cmd, "--old", msg);
        return ML_EXIT_USAGE;
    }
    char (*path_shas)[41] = NULL;
    int n = ml_git_first_parent(rg->repo, rg->old_sha, rg->new_sha, &path_shas, err, sizeof err);
    if (n < 1) {
        bad(cmd, "--old", n < 0 ? err : "no commit on the first-parent path to --new");
        free(path_shas);
        return n < 0 ? ML_EXIT_ENV : ML_EXIT_USAGE;
    }
    rg->shas = calloc((size_t)n + 1, sizeof *rg->shas);
    if (!rg->shas) {
        free(path_shas);
        fprintf(stderr, "memlayout %s: out of memory\n", cmd);
        return ML_EXIT_ENV;
    }
    memcpy(rg->shas[0], rg->old_sha, 41);
    memcpy(rg->shas + 1, path_shas, sizeof *rg->shas * (size_t)n);
    free(path_shas);
    rg->n = n;
    return 0;
}

void ml_rb_close(ml_rb_range *rg)
{
    free(rg->shas);
    rg->shas = NULL;
    rg->n = 0;
}

ml_rb_status ml_rb_case(const ml_rb_range *rg, const ml_case *c, const char *case_path, uint32_t transports,
                        const char *bug, bool progress, ml_rb_out *out)
{
    memset(out, 0, sizeof *out);
    int n = rg->n;
    bisect_ctx bx;
    memset(&bx, 0, sizeof bx);
    bx.key = calloc((size_t)n + 1, sizeof *bx.key);
    bx.shown = calloc((size_t)n + 1, sizeof *bx.shown);
    bx.why = calloc((size_t)n + 1, sizeof *bx.why);
    char *tmp = bx.key && bx.shown && bx.why ? ml_tmpdir_create(out->err, sizeof out->err) : NULL;
    if (!tmp) {
        if (!out->err[0])
            snprintf(out->err, sizeof out->err, "out of memory");
        free(bx.key);
        free(bx.shown);
        free(bx.why);
        return out->status = ML_RB_BROKEN;
    }
    bx.shas = rg->shas;
    bx.n = n;
    bx.co = rg->co;
    bx.c = c;
    bx.transports = transports;
    bx.bug = bug;
    bx.quiet = !progress;
    bx.steps = cJSON_CreateArray();
    bx.pkg = (ml_rev_pkg){.repo = rg->repo, .package = rg->package, .subdir = rg->subdir,
                          .python_path = rg->co->py.python_path, .stop = &ml_cli_stop};
    bx.tmp = tmp;
    char s1[13], s2[13];
    ml_bisect_result r = {.status = ML_BISECT_ABORTED};
    if (progress)
        printf("bisect: %d commit%s after --old %s on the first-parent path to --new %s\n", n, n == 1 ? "" : "s",
               short_sha(rg->old_sha, s1), short_sha(rg->new_sha, s2));
    ml_bisect_ans a0 = point_verdict(&bx, 0);
    if (a0 == ML_BISECT_SAME) {
        if (progress)
            printf("old %s: %s (the reference)\n", short_sha(rg->old_sha, s1), bx.shown[0]);
        ml_bisect_fn fn = {judge, step, &bx};
        if (!ml_bisect(n, &fn, &r)) {
            snprintf(bx.err, sizeof bx.err, "out of memory");
            bx.failed = true;
        }
    }
    ml_rmtree(tmp);
    free(tmp);
    if (a0 == ML_BISECT_SKIP) {
        snprintf(out->err, sizeof out->err, "no verdict at %s (%s): %s", rg->old_rev, short_sha(rg->old_sha, s1),
                 bx.why[0]);
        out->status = ML_RB_NO_OLD;
    } else if (bx.failed || a0 == ML_BISECT_ABORT || r.status == ML_BISECT_ABORTED) {
        snprintf(out->err, sizeof out->err, "%s", bx.err[0] ? bx.err : "stopped");
        out->status = ml_cli_stop ? ML_RB_STOPPED : ML_RB_BROKEN;
    } else if (r.status == ML_BISECT_END_SKIPPED) {
        snprintf(out->err, sizeof out->err, "no verdict at %s (%s): %s", rg->new_rev, short_sha(rg->new_sha, s1),
                 bx.why[n]);
        out->status = ML_RB_NO_NEW;
    } else {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "memlayout", ML_VERSION);
        char *rp = realpath(rg->repo, NULL), *cp = realpath(case_path, NULL);
        cJSON_AddStringToObject(j, "repo", rp ? rp : rg->repo);
        cJSON_AddStringToObject(j, "package", rg->package);
        if (rg->subdir)
            cJSON_AddStringToObject(j, "subdir", rg->subdir);
        cJSON_AddStringToObject(j, "case", cp ? cp : case_path);
        free(rp);
        free(cp);
        if (bug)
            cJSON_AddStringToObject(j, "bug", bug);
        cJSON_AddStringToObject(j, "reducer", rg->co->py.reducer);
        cJSON_AddNumberToObject(j, "commits", n);
        cJSON_AddNumberToObject(j, "runs", r.runs + 1);
        ml_git_commit g;
        cJSON_AddItemToObject(j, "old", commit_json(&bx, 0, &g));
        cJSON_AddItemToObject(j, "new", commit_json(&bx, n, &g));
        if (r.status == ML_BISECT_NO_CHANGE) {
            cJSON_AddStringToObject(j, "result", "no change");
            out->status = ML_RB_NO_CHANGE;
        } else {
            bool was_finding = bug ? !strcmp(bx.key[0], "shows") : strncmp(bx.key[0], "pass", 4) != 0;
            bool is_finding = bug ? !strcmp(bx.key[r.first_diff], "shows")
                                  : strstr(bx.key[r.first_diff], "fail") || strstr(bx.key[r.first_diff], "error");
            const char *kind = was_finding && !is_finding ? "fixed" : !was_finding && is_finding ? "regression"
                                                                                              : "changed";
            cJSON_AddStringToObject(j, "result", kind);
            cJSON_AddItemToObject(j, "last_same", commit_json(&bx, r.last_same, &g));
            cJSON_AddItemToObject(j, "first_changed", commit_json(&bx, r.first_diff, &g));
            cJSON *sk = cJSON_AddArrayToObject(j, "skipped");
            for (int k = r.last_same + 1; k < r.first_diff; k++)
                cJSON_AddItemToArray(sk, commit_json(&bx, k, &g));
            out->status = ML_RB_FOUND;
        }
        cJSON_AddItemToObject(j, "steps", bx.steps);
        bx.steps = NULL;
        out->json = j;
    }
    cJSON_Delete(bx.steps);
    for (int i = 0; i <= n; i++) {
        free(bx.key[i]);
        free(bx.shown[i]);
        free(bx.why[i]);
    }
    free(bx.key);
    free(bx.shown);
    free(bx.why);
    return out->status;
}

const char *ml_rb_str(const cJSON *o, const char *k1, const char *k2)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k1);
    if (k2)
        v = cJSON_GetObjectItemCaseSensitive(v, k2);
    const char *s = cJSON_GetStringValue(v);
    return s ? s : "?";
}

void ml_rb_line(const cJSON *j, char *buf, size_t len)
{
    const char *result = ml_rb_str(j, "result", NULL);
    if (!strcmp(result, "no change")) {
        snprintf(buf, len, "no change between %.12s and %.12s (%s at both)", ml_rb_str(j, "old", "commit"),
                 ml_rb_str(j, "new", "commit"), ml_rb_str(j, "new", "verdict"));
        return;
    }
    int skipped = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "skipped"));
    int n = snprintf(buf, len, "first changed commit %s %.10s %s (%s)", ml_rb_str(j, "first_changed", "commit"),
                     ml_rb_str(j, "first_changed", "date"), ml_rb_str(j, "first_changed", "subject"), result);
    if (skipped && n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, ", between %.12s and %.12s, %d commit%s skipped",
                 ml_rb_str(j, "last_same", "commit"), ml_rb_str(j, "first_changed", "commit"), skipped,
                 skipped == 1 ? "" : "s");
}

/* memlayout bisect: the first commit of a pure-Python package's history
 * (joblib by default) where a case's verdict, or one bug's presence,
 * changes. The search is bisect.h's; the commits are gitrev.h's. */
#include "bisect.h"
#include "cli.h"
#include "fsutil.h"
#include "gitrev.h"
#include "signature.h"
#include "store.h"

#include <cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char bisect_help[] =
    "usage: memlayout bisect [options] --repo DIR --old REV --new REV CASE\n"
    "       memlayout bisect [options] --repo DIR --old REV --new REV --bug ID RUN_DIR\n"
    "\n"
    "Find the first commit of a pure-Python package's history where a case's\n"
    "verdict changes: where a bug appeared (a regression range) or went away\n"
    "(a fixed range). DIR is a git checkout of the package (joblib unless\n"
    "--package says otherwise). For each commit it tests, memlayout exports\n"
    "that commit's package folder (git archive) into its private temp dir,\n"
    "checks in a fresh Python that the package imports from there, and runs\n"
    "the case in a fresh Python child with that folder first on sys.path, as\n"
    "--python-path does. The checkout is only read: its work tree, index,\n"
    "HEAD and bisect state stay as they are.\n"
    "\n"
    "The verdict at --old is the reference. The answer is the first commit on\n"
    "the first-parent path from --old to --new (git rev-list --first-parent\n"
    "--reverse OLD..NEW) whose verdict differs from it, found by binary search\n"
    "in about log2(N) runs; each step prints the commit, its verdict and how\n"
    "many commits the range still holds. A commit where the package folder is\n"
    "missing, the package does not import or the case is invalid is skipped,\n"
    "as git bisect skip does: a neighbour is tested instead, and if only\n"
    "skipped commits separate the last commit with the old verdict from the\n"
    "first with another, the answer is that range (\"between A and B, N\n"
    "commits skipped\").\n"
    "\n"
    "--bug ID RUN_DIR bisects bug ID of a triaged run (RUN_DIR/triage.json, as\n"
    "memlayout run or triage --out write it): its minimized case\n"
    "(RUN_DIR/bugs/ID.json) is run, and the verdict is whether the outcome\n"
    "shows that bug (its root-cause signature, as triage names it), so another\n"
    "bug appearing on the way does not mislead the search.\n"
    "\n"
    "      --repo DIR       the git checkout (required)\n"
    "      --old REV        the reference commit: sha, tag, branch (required)\n"
    "      --new REV        a later commit; --old must be its ancestor (required)\n"
    "      --package NAME   the import name of the package (default joblib)\n"
    "      --subdir PATH    its folder in the repository (default NAME, else\n"
    "                       src/NAME, whichever the commit has)\n"
    "      --bug ID         bisect bug ID of the triaged run RUN_DIR\n"
    "      --out DIR        write DIR/bisect.json (default: RUN_DIR with --bug,\n"
    "                       where memlayout report shows the range; else\n"
    "                       out/bisect)\n"
    "  -T, --transport L    run the case through each of these transports\n"
    "                       instead of its own (comma-separated, all, pickle);\n"
    "                       a commit's verdict is then all of theirs\n"
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 a first changed commit found, 1 the verdict at --new is\n"
    "the one at --old (nothing to bisect), 2 bad arguments (not a git\n"
    "repository, an unknown revision, --old not an ancestor of --new, the\n"
    "package not importable at --old or --new, a bad case or bug), 3 broken\n"
    "environment (git, Python, disk), 130 interrupted by SIGINT, 143 SIGTERM,\n"
    "129 SIGHUP (the temp trees are removed)\n";

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

static void bad(const char *field, const char *reason)
{
    fprintf(stderr, "memlayout bisect: %s: %s\n", field, reason);
}

enum { OPT_REPO = 5000, OPT_OLD, OPT_NEW, OPT_PACKAGE, OPT_SUBDIR, OPT_BUG, OPT_OUT };

int ml_cmd_bisect(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    const char *repo = NULL, *old_rev = NULL, *new_rev = NULL, *package = "joblib", *subdir = NULL, *bug = NULL,
               *out = NULL;
    uint32_t transports = 0;
    static const struct option lo[] = {
        {"repo", required_argument, 0, OPT_REPO}, {"old", required_argument, 0, OPT_OLD},
        {"new", required_argument, 0, OPT_NEW}, {"package", required_argument, 0, OPT_PACKAGE},
        {"subdir", required_argument, 0, OPT_SUBDIR}, {"bug", required_argument, 0, OPT_BUG},
        {"out", required_argument, 0, OPT_OUT}, {"transport", required_argument, 0, 'T'},
        ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "T:j:qh", lo, NULL)) != -1) {
        if (ml_cli_common_option("bisect", opt, &co))
            continue;
        switch (opt) {
        case OPT_REPO: repo = optarg; break;
        case OPT_OLD: old_rev = optarg; break;
        case OPT_NEW: new_rev = optarg; break;
        case OPT_PACKAGE: package = optarg; break;
        case OPT_SUBDIR: subdir = optarg; break;
        case OPT_BUG: bug = optarg; break;
        case OPT_OUT: out = optarg; break;
        case 'T': transports = ml_cli_transports("bisect", optarg); break;
        case 'h': fputs(bisect_help, stdout); return ML_EXIT_OK;
        default: fputs(bisect_help, stderr); return ML_EXIT_USAGE;
        }
    }
    char err[1024];
    if (optind != argc - 1)
        ml_cli_usage("bisect", bug ? "expected one run directory (--bug ID RUN_DIR)%s" : "expected one case file%s",
                     "");
    const char *input = argv[optind];
    if (!repo || !old_rev || !new_rev) {
        bad(!repo ? "--repo" : !old_rev ? "--old" : "--new", "required");
        return ML_EXIT_USAGE;
    }
    if (!valid_package(package)) {
        bad("--package", "expected a Python import name (letters, digits, _)");
        return ML_EXIT_USAGE;
    }
    if (subdir && !valid_subdir(subdir)) {
        bad("--subdir", "expected a relative path inside the repository");
        return ML_EXIT_USAGE;
    }
    if (bug && (strlen(bug) != 8 || strspn(bug, "0123456789abcdef") != 8)) {
        bad("--bug", "expected a bug id: 8 hex digits, as triage names it");
        return ML_EXIT_USAGE;
    }
    /* the case, or the bug's minimized case */
    char case_path[4200];
    snprintf(case_path, sizeof case_path, "%s", input);
    if (bug && !ml_store_bug_case(input, bug, case_path, sizeof case_path, err, sizeof err)) {
        bad("--bug", err);
        return ML_EXIT_USAGE;
    }
    ml_case *c = malloc(sizeof *c);
    if (!c || !ml_cli_read_case("bisect", case_path, &co.lim, c)) {
        free(c);
        return ML_EXIT_USAGE;
    }
    /* the repository and the range */
    char old_sha[41], new_sha[41];
    if (!ml_git_check_repo(repo, err, sizeof err)) {
        bad("--repo", err);
        free(c);
        return ML_EXIT_USAGE;
    }
    if (!ml_git_resolve(repo, old_rev, old_sha, err, sizeof err) ||
        !ml_git_resolve(repo, new_rev, new_sha, err, sizeof err)) {
        bad(ml_git_resolve(repo, old_rev, old_sha, err, sizeof err) ? "--new" : "--old", err);
        free(c);
        return ML_EXIT_USAGE;
    }
    if (!strcmp(old_sha, new_sha) || ml_git_is_ancestor(repo, old_sha, new_sha) != 1) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s (%.12s) is %s --new %s", old_rev, old_sha,
                 !strcmp(old_sha, new_sha) ? "the same commit as" : "not an ancestor of", new_rev);
        bad("--old", msg);
        free(c);
        return ML_EXIT_USAGE;
    }
    int env_rc = ml_cli_common_env("bisect", &co);
    if (env_rc) {
        free(c);
        return env_rc;
    }
    bisect_ctx bx;
    memset(&bx, 0, sizeof bx);
    char (*path_shas)[41] = NULL;
    int n = ml_git_first_parent(repo, old_sha, new_sha, &path_shas, err, sizeof err);
    if (n < 1) {
        bad("--old", n < 0 ? err : "no commit on the first-parent path to --new");
        free(c);
        free(path_shas);
        return n < 0 ? ML_EXIT_ENV : ML_EXIT_USAGE;
    }
    bx.shas = calloc((size_t)n + 1, sizeof *bx.shas);
    bx.key = calloc((size_t)n + 1, sizeof *bx.key);
    bx.shown = calloc((size_t)n + 1, sizeof *bx.shown);
    bx.why = calloc((size_t)n + 1, sizeof *bx.why);
    if (!bx.shas || !bx.key || !bx.shown || !bx.why) {
        fprintf(stderr, "memlayout bisect: out of memory\n");
        return ML_EXIT_ENV;
    }
    memcpy(bx.shas[0], old_sha, 41);
    memcpy(bx.shas + 1, path_shas, sizeof *bx.shas * (size_t)n);
    free(path_shas);
    bx.n = n;
    bx.co = &co;
    bx.c = c;
    bx.transports = transports;
    bx.bug = bug;
    bx.quiet = co.quiet;
    bx.steps = cJSON_CreateArray();
    bx.pkg = (ml_rev_pkg){.repo = repo, .package = package, .subdir = subdir, .python_path = co.py.python_path,
                          .stop = &ml_cli_stop};

    ml_cli_install_signals();
    char *tmp = ml_tmpdir_create(err, sizeof err);
    if (!tmp) {
        fprintf(stderr, "memlayout bisect: %s\n", err);
        return ML_EXIT_ENV;
    }
    bx.tmp = tmp;
    int rc = ML_EXIT_OK;
    char s1[13], s2[13];
    ml_bisect_result r = {.status = ML_BISECT_ABORTED};
    if (!co.quiet)
        printf("bisect: %d commit%s after --old %s on the first-parent path to --new %s\n", n, n == 1 ? "" : "s",
               short_sha(old_sha, s1), short_sha(new_sha, s2));
    ml_bisect_ans a0 = point_verdict(&bx, 0);
    if (a0 == ML_BISECT_SKIP) {
        char msg[1400];
        snprintf(msg, sizeof msg, "no verdict at %s (%s): %s", old_rev, short_sha(old_sha, s1), bx.why[0]);
        bad("--old", msg);
        rc = ML_EXIT_USAGE;
    } else if (a0 == ML_BISECT_SAME) {
        if (!co.quiet)
            printf("old %s: %s (the reference)\n", short_sha(old_sha, s1), bx.shown[0]);
        ml_bisect_fn fn = {judge, step, &bx};
        if (!ml_bisect(n, &fn, &r)) {
            snprintf(bx.err, sizeof bx.err, "out of memory");
            bx.failed = true;
        }
    }
    ml_rmtree(tmp);
    free(tmp);
    if (rc == ML_EXIT_OK && (bx.failed || a0 == ML_BISECT_ABORT || r.status == ML_BISECT_ABORTED)) {
        if (ml_cli_stop) {
            rc = ml_cli_interrupted_exit();
        } else {
            fprintf(stderr, "memlayout bisect: %s\n", bx.err[0] ? bx.err : "stopped");
            rc = ML_EXIT_ENV;
        }
    } else if (rc == ML_EXIT_OK && r.status == ML_BISECT_END_SKIPPED) {
        char msg[1400];
        snprintf(msg, sizeof msg, "no verdict at %s (%s): %s", new_rev, short_sha(new_sha, s1), bx.why[n]);
        bad("--new", msg);
        rc = ML_EXIT_USAGE;
    } else if (rc == ML_EXIT_OK) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "memlayout", ML_VERSION);
        char *rp = realpath(repo, NULL), *cp = realpath(case_path, NULL);
        cJSON_AddStringToObject(j, "repo", rp ? rp : repo);
        cJSON_AddStringToObject(j, "package", package);
        if (subdir)
            cJSON_AddStringToObject(j, "subdir", subdir);
        cJSON_AddStringToObject(j, "case", cp ? cp : case_path);
        free(rp);
        free(cp);
        if (bug)
            cJSON_AddStringToObject(j, "bug", bug);
        cJSON_AddStringToObject(j, "reducer", co.py.reducer);
        cJSON_AddNumberToObject(j, "commits", n);
        cJSON_AddNumberToObject(j, "runs", r.runs + 1);
        ml_git_commit g0, g1, ga, gb;
        cJSON_AddItemToObject(j, "old", commit_json(&bx, 0, &g0));
        cJSON_AddItemToObject(j, "new", commit_json(&bx, n, &g1));
        if (r.status == ML_BISECT_NO_CHANGE) {
            cJSON_AddStringToObject(j, "result", "no change");
            if (!co.quiet)
                printf("no change: %s at --new %s as at --old %s\n", bx.shown[n], short_sha(new_sha, s1),
                       short_sha(old_sha, s2));
            rc = ML_EXIT_FINDINGS;
        } else {
            bool was_finding = bug ? !strcmp(bx.key[0], "shows") : strncmp(bx.key[0], "pass", 4) != 0;
            bool is_finding = bug ? !strcmp(bx.key[r.first_diff], "shows")
                                  : strstr(bx.key[r.first_diff], "fail") || strstr(bx.key[r.first_diff], "error");
            const char *kind = was_finding && !is_finding ? "fixed" : !was_finding && is_finding ? "regression"
                                                                                              : "changed";
            cJSON_AddStringToObject(j, "result", kind);
            cJSON_AddItemToObject(j, "last_same", commit_json(&bx, r.last_same, &ga));
            cJSON_AddItemToObject(j, "first_changed", commit_json(&bx, r.first_diff, &gb));
            cJSON *sk = cJSON_AddArrayToObject(j, "skipped");
            for (int k = r.last_same + 1; k < r.first_diff; k++) {
                ml_git_commit gk;
                cJSON_AddItemToArray(sk, commit_json(&bx, k, &gk));
            }
            printf("first changed commit: %s %.10s %s\n", gb.sha, gb.date, gb.subject);
            if (r.skipped)
                printf("  range: between %s and %s, %d commit%s skipped (the change is in one of them or in %s)\n",
                       short_sha(ga.sha, s1), short_sha(gb.sha, s2), r.skipped, r.skipped == 1 ? "" : "s", s2);
            for (int k = r.last_same + 1; k < r.first_diff; k++) {
                char sk_s[13];
                ml_git_commit gk;
                ml_git_commit_info(repo, bx.shas[k], &gk);
                printf("  skipped %s %s: %s\n", short_sha(gk.sha, sk_s), gk.subject,
                       bx.why[k] ? bx.why[k] : "not tested");
            }
            printf("  before: %s %s: %s\n", short_sha(ga.sha, s1), ga.subject, bx.shown[r.last_same]);
            printf("  at it:  %s %s: %s\n", short_sha(gb.sha, s2), gb.subject, bx.shown[r.first_diff]);
            printf("  %s range, %d run%s for %d commit%s\n", kind, r.runs + 1, r.runs ? "s" : "", n,
                   n == 1 ? "" : "s");
        }
        cJSON_AddItemToObject(j, "steps", bx.steps);
        bx.steps = NULL;
        char *text = cJSON_Print(j);
        cJSON_Delete(j);
        const char *dir = out ? out : bug ? input : "out/bisect";
        if (!text || !ml_store_write_bisect(dir, text, err, sizeof err)) {
            fprintf(stderr, "memlayout bisect: --out: %s\n", text ? err : "out of memory");
            rc = ML_EXIT_ENV;
        } else if (!co.quiet) {
            printf("wrote %s/%s\n", dir, ML_STORE_BISECT);
        }
        free(text);
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
    free(bx.shas);
    free(c);
    return rc;
}

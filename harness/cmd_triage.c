/* memlayout's triage and CI commands: minimize, triage, repro, ci, matrix.
 * The work is in the library (minimize.h, triage.h, repro.h, baseline.h);
 * this file parses arguments, prints, and maps results to exit codes. */
#include "baseline.h"
#include "ciout.h"
#include "campaign.h"
#include "cli.h"
#include "fsutil.h"
#include "minimize.h"
#include "repro.h"
#include "session.h"
#include "triage.h"

#include <cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static bool read_case(const char *cmd, const char *path, const ml_limits *lim, ml_case *c)
{
    char err[1024];
    bool ok = ml_case_load(path, lim, c, err, sizeof err);
    if (!ok)
        fprintf(stderr, "memlayout %s: %s: %s\n", cmd, path, err);
    return ok;
}

/* A session in a fresh private temp dir; *tmp must be removed by the caller. */
static ml_session *open_session(const char *cmd, ml_cli_common *co, const char *log, char **tmp)
{
    char err[1024];
    *tmp = ml_tmpdir_create(err, sizeof err);
    if (!*tmp) {
        fprintf(stderr, "memlayout %s: %s\n", cmd, err);
        return NULL;
    }
    co->py.tmpdir = *tmp;
    ml_session *s = ml_session_open(&co->py, co->timeout, log, err, sizeof err);
    if (!s) {
        fprintf(stderr, "memlayout %s: %s\n", cmd, err);
        ml_rmtree(*tmp);
        free(*tmp);
        *tmp = NULL;
    }
    return s;
}

static void close_session(ml_session *s, char *tmp)
{
    ml_session_close(s);
    if (tmp) {
        ml_rmtree(tmp);
        free(tmp);
    }
}

static int64_t view_elements(const ml_case *c, int *ndim)
{
    int64_t shape[ML_MAX_NDIM], n = 1;
    *ndim = ml_case_shape_after(c, c->nops, shape);
    for (int i = 0; i < *ndim; i++)
        n *= shape[i];
    return n;
}

/* ---- minimize ------------------------------------------------------------------ */

static const char minimize_help[] =
    "usage: memlayout minimize [options] CASE\n"
    "\n"
    "Shrink a failing case to the smallest case with the same signature class\n"
    "(transport kind, violated invariants, flag transition): fewer ops, fewer\n"
    "and smaller dims, the simplest dtype, zero offset, mode r, raw source, C\n"
    "order, the cheapest transport of the same family. Deterministic. The\n"
    "minimized case is printed on stdout (canonical JSON); a summary on stderr.\n"
    "\n"
    "  -o, --out FILE       also write the minimized case to FILE\n"
    "      --max-tries N    judge at most N cases (default 500)\n"
    "      --max-seconds S  stop after S seconds (default 60)\n"
    "      --keep-transport never change the transport\n"
    "  -v, --verbose        print each step that shrank the case\n"
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 minimized (also when a budget ran out: the smallest case\n"
    "found so far is printed and stderr says the search stopped early), 1 the\n"
    "case does not fail (nothing to minimize), 2 bad arguments or case, 3 broken\n"
    "environment, 130 interrupted\n";

enum { OPT_MAX_TRIES = 4000, OPT_MAX_SECONDS, OPT_KEEP_TRANSPORT, OPT_NO_MINIMIZE, OPT_JSON,
       OPT_REFERENCE, OPT_JUNIT, OPT_SARIF, OPT_BASELINE, OPT_UPDATE, OPT_ALLOW_FIXED, OPT_ENV,
       OPT_ENV_NAME, OPT_CASES };

int ml_cmd_minimize(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    ml_minimize_opts mo;
    memset(&mo, 0, sizeof mo);
    const char *out = NULL;
    bool verbose = false;
    static const struct option lo[] = {
        {"out", required_argument, 0, 'o'}, {"max-tries", required_argument, 0, OPT_MAX_TRIES},
        {"max-seconds", required_argument, 0, OPT_MAX_SECONDS},
        {"keep-transport", no_argument, 0, OPT_KEEP_TRANSPORT}, {"verbose", no_argument, 0, 'v'},
        ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "o:vj:qh", lo, NULL)) != -1) {
        if (ml_cli_common_option("minimize", opt, &co))
            continue;
        switch (opt) {
        case 'o': out = optarg; break;
        case 'v': verbose = true; break;
        case OPT_MAX_TRIES: mo.max_tries = (int)ml_cli_int("minimize", "--max-tries", optarg, 1, 1000000); break;
        case OPT_MAX_SECONDS: mo.max_seconds = ml_cli_seconds("minimize", "--max-seconds", optarg); break;
        case OPT_KEEP_TRANSPORT: mo.keep_transport = true; break;
        case 'h': fputs(minimize_help, stdout); return ML_EXIT_OK;
        default: fputs(minimize_help, stderr); return ML_EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        ml_cli_usage("minimize", "expected one case file%s", "");
    ml_case *in = malloc(sizeof *in), *min = malloc(sizeof *min);
    if (!in || !min || !read_case("minimize", argv[optind], &co.lim, in)) {
        free(in);
        free(min);
        return ML_EXIT_USAGE;
    }
    mo.lim = co.lim;
    mo.log = verbose ? stderr : NULL;
    mo.stop = &ml_cli_stop;
    ml_cli_install_signals();
    char *tmp;
    ml_session *s = open_session("minimize", &co, NULL, &tmp);
    if (!s) {
        free(in);
        free(min);
        return ML_EXIT_ENV;
    }
    ml_minimize_stats st;
    char err[1024];
    bool ok = ml_minimize(s, in, &mo, min, &st, err, sizeof err);
    close_session(s, tmp);
    int rc = ML_EXIT_OK;
    if (!ok) {
        fprintf(stderr, "memlayout minimize: %s: %s\n", argv[optind], err);
        rc = st.input_fails || st.tries > 1 || strncmp(err, "the case", 8) != 0 ? ML_EXIT_ENV
                                                                             : ML_EXIT_FINDINGS;
        if (ml_cli_stop)
            rc = ml_cli_interrupted_exit();
    } else {
        char *json = ml_case_write(min);
        if (json)
            fputs(json, stdout);
        if (out && json && !ml_write_atomic(out, json, strlen(json), err, sizeof err)) {
            fprintf(stderr, "memlayout minimize: --out: %s\n", err);
            rc = ML_EXIT_ENV;
        }
        free(json);
        char sig[512];
        int nd0, nd1;
        int64_t e0 = view_elements(in, &nd0), e1 = view_elements(min, &nd1);
        (void)e0;
        (void)e1;
        fprintf(stderr,
                "minimize: %s\n"
                "minimize: %d -> %d ops, backing %d -> %d dims and %lld -> %lld elements, "
                "view %d -> %d dims; %s -> %s\n"
                "minimize: %d cases tried, %d from memory, %d steps kept, in %.1f s%s%s\n",
                ml_sig_str(&st.sig, sig, sizeof sig), in->nops, min->nops, in->ndim, min->ndim,
                (long long)ml_case_elements(in), (long long)ml_case_elements(min), nd0, nd1,
                ml_transport_name(in->transport), ml_transport_name(min->transport), st.tries,
                st.cached, st.accepted, st.seconds,
                st.stopped_early ? "; stopped early: " : " (fixed point)",
                st.stopped_early ? st.stop_reason : "");
        if (st.stopped_early)
            fprintf(stderr, "minimize: the case printed is the smallest found so far; raise "
                            "--max-tries/--max-seconds to shrink further\n");
        if (ml_cli_stop)
            rc = ml_cli_interrupted_exit();
    }
    free(in);
    free(min);
    return rc;
}

/* ---- triage -------------------------------------------------------------------- */

static const char triage_help[] =
    "usage: memlayout triage [options] DIR\n"
    "\n"
    "List the distinct bugs among findings: DIR is a run's output directory\n"
    "(its findings/ is read) or a directory of finding case files, each with\n"
    "its observation (.obs) beside it when there is one (else the case is run).\n"
    "Findings are grouped by signature class (transport kind, violated\n"
    "invariants, flag transition); each bug is shown with its count, first-seen\n"
    "time (the finding file's time), its earliest finding and that finding\n"
    "minimized (the structure of the minimized case completes the signature).\n"
    "\n"
    "  -o, --out DIR        write DIR/triage.json and DIR/bugs/<id>.json\n"
    "      --no-minimize    group and count only (no Python needed when every\n"
    "                       finding has its .obs)\n"
    "      --max-tries N    minimizing: cases judged per bug (default 300)\n"
    "      --max-seconds S  minimizing: seconds per bug (default 30)\n"
    "      --json           print triage.json instead of the listing\n"
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 no findings, 1 bugs listed, 2 bad arguments, 3 broken\n"
    "environment, 130 interrupted\n";

static double file_mtime(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    return st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int ml_cmd_triage(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    ml_minimize_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.max_tries = 300;
    mo.max_seconds = 30;
    const char *out = NULL;
    bool minimize = true, json = false;
    static const struct option lo[] = {
        {"out", required_argument, 0, 'o'}, {"no-minimize", no_argument, 0, OPT_NO_MINIMIZE},
        {"max-tries", required_argument, 0, OPT_MAX_TRIES},
        {"max-seconds", required_argument, 0, OPT_MAX_SECONDS}, {"json", no_argument, 0, OPT_JSON},
        ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "o:j:qh", lo, NULL)) != -1) {
        if (ml_cli_common_option("triage", opt, &co))
            continue;
        switch (opt) {
        case 'o': out = optarg; break;
        case OPT_NO_MINIMIZE: minimize = false; break;
        case OPT_JSON: json = true; break;
        case OPT_MAX_TRIES: mo.max_tries = (int)ml_cli_int("triage", "--max-tries", optarg, 1, 1000000); break;
        case OPT_MAX_SECONDS: mo.max_seconds = ml_cli_seconds("triage", "--max-seconds", optarg); break;
        case 'h': fputs(triage_help, stdout); return ML_EXIT_OK;
        default: fputs(triage_help, stderr); return ML_EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        ml_cli_usage("triage", "expected one directory%s", "");
    const char *dir = argv[optind];
    char fdir[4096], err[1024];
    struct stat st;
    snprintf(fdir, sizeof fdir, "%s/findings", dir);
    if (stat(fdir, &st) != 0 || !S_ISDIR(st.st_mode))
        snprintf(fdir, sizeof fdir, "%s", dir);
    if (stat(fdir, &st) != 0 || !S_ISDIR(st.st_mode))
        ml_cli_usage("triage", "\"%s\" is not a directory", dir);
    char **files;
    int nf = ml_list_cases(fdir, &files, err, sizeof err);
    if (nf < 0) {
        fprintf(stderr, "memlayout triage: %s\n", err);
        return ML_EXIT_USAGE;
    }
    mo.lim = co.lim;
    mo.stop = &ml_cli_stop;
    ml_cli_install_signals();

    ml_bugs *bugs = ml_bugs_new();
    ml_session *s = NULL;
    char *tmp = NULL;
    int rc = ML_EXIT_OK, skipped = 0;
    ml_case *c = malloc(sizeof *c);
    ml_result *r = malloc(sizeof *r);
    ml_outcome *o = malloc(sizeof *o);
    if (!bugs || !c || !r || !o) {
        fprintf(stderr, "memlayout triage: out of memory\n");
        rc = ML_EXIT_ENV;
        goto done;
    }
    for (int i = 0; i < nf && !ml_cli_stop; i++) {
        size_t len;
        /* not findings: a run's own files, a fuzzer's originals and minimized raw findings */
        if (ml_not_a_finding(files[i]))
            continue;
        if (!ml_case_load(files[i], &co.lim, c, err, sizeof err)) {
            fprintf(stderr, "memlayout triage: %s: skipped: %s\n", files[i], err);
            skipped++;
            continue;
        }
        /* the run's finding id leads the name; else the listing order */
        const char *name = base_name(files[i]);
        uint64_t order = isdigit((unsigned char)name[0]) ? strtoull(name, NULL, 10) : (uint64_t)i;
        char obs[4096];
        snprintf(obs, sizeof obs, "%.*s.obs", (int)(strlen(files[i]) - 5), files[i]);
        char *otext = ml_read_file(obs, 16 << 20, &len, err, sizeof err);
        ml_verdict v;
        if (otext && ml_result_parse(otext, len, r, err, sizeof err)) {
            v = ml_oracle_judge(c, r);
        } else {
            if (!s && !(s = open_session("triage", &co, NULL, &tmp))) {
                free(otext);
                rc = ML_EXIT_ENV;
                goto done;
            }
            if (!ml_session_judge(s, c, o, err, sizeof err)) {
                fprintf(stderr, "memlayout triage: %s\n", err);
                free(otext);
                rc = ML_EXIT_ENV;
                goto done;
            }
            *r = o->r;
            v = o->v;
        }
        free(otext);
        ml_bugs_add(bugs, c, r, &v, name, file_mtime(files[i]), order);
    }
    ml_bugs_sort(bugs);
    if (minimize && ml_bugs_count(bugs) && !ml_cli_stop) {
        if (!s && !(s = open_session("triage", &co, NULL, &tmp))) {
            rc = ML_EXIT_ENV;
            goto done;
        }
        if (!ml_bugs_minimize(bugs, s, &mo, co.quiet ? NULL : stderr, err, sizeof err)) {
            fprintf(stderr, "memlayout triage: %s\n", err);
            rc = ML_EXIT_ENV;
            goto done;
        }
    }
    if (json) {
        char *t = ml_bugs_json(bugs);
        if (t)
            puts(t);
        free(t);
    } else {
        ml_bugs_print(bugs, stdout);
        if (skipped)
            printf("\n%d file%s skipped (not case files)\n", skipped, skipped == 1 ? "" : "s");
    }
    if (out && !ml_bugs_write(bugs, out, err, sizeof err)) {
        fprintf(stderr, "memlayout triage: --out: %s\n", err);
        rc = ML_EXIT_ENV;
        goto done;
    }
    rc = ml_cli_stop ? ml_cli_interrupted_exit() : ml_bugs_count(bugs) ? ML_EXIT_FINDINGS : ML_EXIT_OK;
done:
    close_session(s, tmp);
    for (int i = 0; i < nf; i++)
        free(files[i]);
    free(files);
    free(c);
    free(r);
    free(o);
    ml_bugs_free(bugs);
    return rc;
}

/* ---- running a list of cases (ci, matrix) ------------------------------------- */

typedef struct {
    int n, pos;
    ml_case *cases;
    char **paths;
    /* per case, filled by the campaign */
    char **verdict, **detail, **result_json;
    ml_vkind *kind;
    double *seconds;
} case_set;

static bool set_next(void *ctx, ml_case *c)
{
    case_set *cs = ctx;
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
    case_set *cs = ctx;
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
}

static void set_clear_results(case_set *cs)
{
    for (int i = 0; i < cs->n; i++) {
        free(cs->verdict[i]);
        free(cs->detail[i]);
        free(cs->result_json[i]);
        cs->verdict[i] = cs->detail[i] = cs->result_json[i] = NULL;
        cs->kind[i] = ML_V_INVALID;
        cs->seconds[i] = 0;
    }
    cs->pos = 0;
}

static void set_free(case_set *cs)
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
}

/* Reads the case files under each path; skip (may be NULL) is a file to
 * leave out (the baseline). False (message printed) on a bad case. */
static bool set_load(const char *cmd, case_set *cs, int npaths, char **paths, const char *skip,
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
            if (skip && strcmp(base_name(files[i]), base_name(skip)) == 0) {
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
            if (!read_case(cmd, files[i], lim, &cs->cases[cs->n])) {
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
    return ok;
}

/* Runs every case of cs with Python options py. Returns the campaign status;
 * *versions gets the runner's versions JSON (caller frees). */
static ml_camp_status set_run(const char *cmd, const ml_cli_common *co, const ml_py_opts *py,
                              case_set *cs, char **versions)
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

static const char *versions_line(const char *versions, char *buf, size_t len)
{
    cJSON *v = versions ? cJSON_Parse(versions) : NULL;
    const char *py = cJSON_GetStringValue(cJSON_GetObjectItem(v, "python"));
    const char *np = cJSON_GetStringValue(cJSON_GetObjectItem(v, "numpy"));
    const char *jl = cJSON_GetStringValue(cJSON_GetObjectItem(v, "joblib"));
    snprintf(buf, len, "joblib %s, NumPy %s, Python %s", jl ? jl : "?", np ? np : "?", py ? py : "?");
    cJSON_Delete(v);
    return buf;
}

/* ---- repro --------------------------------------------------------------------- */

static const char repro_help[] =
    "usage: memlayout repro [options] CASE\n"
    "\n"
    "Print a standalone Python script (NumPy, joblib and the standard library\n"
    "only) for an upstream bug report: it rebuilds the case's array the way a\n"
    "user would (the same file bytes, the view ops as NumPy calls), sends it\n"
    "through the case's transport, prints the parent's and the worker's flags,\n"
    "strides and leading values and whether the values are equal, and exits 1\n"
    "while the bug is present, 0 once the array arrives as it was sent.\n"
    "\n"
    "The script takes --reducer reference (or MEMLAYOUT_REDUCER=reference): it\n"
    "then patches memlayout's reference reducer into joblib first, importing\n"
    "memlayout_reference from $MEMLAYOUT_PYTHON or this build's harness/python;\n"
    "that is the correct-reducer environment, where it exits 0.\n"
    "\n"
    "  -o, --out FILE       write the script to FILE (executable) instead of stdout\n"
    "      --minimize       minimize the case first (budget: --max-tries, --max-seconds)\n"
    "      --max-tries N    minimizing: cases judged at most (default 500)\n"
    "      --max-seconds S  minimizing: seconds at most (default 60)\n"
    "      --no-run         do not run the case first (the script then does not\n"
    "                       say what memlayout saw)\n"
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 script written, 2 bad arguments or case, 3 broken\n"
    "environment or the script could not be written\n";

int ml_cmd_repro(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    ml_minimize_opts mo;
    memset(&mo, 0, sizeof mo);
    const char *out = NULL;
    bool minimize = false, run = true;
    enum { OPT_MINIMIZE = 5000, OPT_NO_RUN };
    static const struct option lo[] = {
        {"out", required_argument, 0, 'o'}, {"minimize", no_argument, 0, OPT_MINIMIZE},
        {"no-run", no_argument, 0, OPT_NO_RUN}, {"max-tries", required_argument, 0, OPT_MAX_TRIES},
        {"max-seconds", required_argument, 0, OPT_MAX_SECONDS}, ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "o:j:qh", lo, NULL)) != -1) {
        if (ml_cli_common_option("repro", opt, &co))
            continue;
        switch (opt) {
        case 'o': out = optarg; break;
        case OPT_MINIMIZE: minimize = true; break;
        case OPT_NO_RUN: run = false; break;
        case OPT_MAX_TRIES: mo.max_tries = (int)ml_cli_int("repro", "--max-tries", optarg, 1, 1000000); break;
        case OPT_MAX_SECONDS: mo.max_seconds = ml_cli_seconds("repro", "--max-seconds", optarg); break;
        case 'h': fputs(repro_help, stdout); return ML_EXIT_OK;
        default: fputs(repro_help, stderr); return ML_EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        ml_cli_usage("repro", "expected one case file%s", "");
    if (minimize && !run)
        ml_cli_usage("repro", "--minimize runs the case: it cannot go with --no-run%s", "");
    ml_case *c = malloc(sizeof *c), *min = malloc(sizeof *min);
    ml_outcome *o = malloc(sizeof *o);
    int rc = ML_EXIT_OK;
    char observed[512] = "", vline[256] = "", err[1024];
    if (!c || !min || !o || !read_case("repro", argv[optind], &co.lim, c)) {
        rc = ML_EXIT_USAGE;
        goto done;
    }
    if (run) {
        ml_cli_install_signals();
        char *tmp;
        ml_session *s = open_session("repro", &co, NULL, &tmp);
        if (!s) {
            rc = ML_EXIT_ENV;
            goto done;
        }
        if (minimize) {
            ml_minimize_stats st;
            mo.lim = co.lim;
            mo.stop = &ml_cli_stop;
            if (ml_minimize(s, c, &mo, min, &st, err, sizeof err)) {
                *c = *min;
                if (st.stopped_early)
                    fprintf(stderr, "memlayout repro: minimizing stopped early (%s)\n", st.stop_reason);
            } else {
                fprintf(stderr, "memlayout repro: not minimized: %s\n", err);
            }
        }
        bool ok = ml_session_judge(s, c, o, err, sizeof err);
        if (ok) {
            ml_sig sig;
            char vs[256];
            ml_sig_from(c, &o->r, &o->v, &sig);
            snprintf(observed, sizeof observed, "%s (%s, %s)", ml_verdict_str(&o->v, vs, sizeof vs),
                     sig.transition, ml_transport_name(c->transport));
            versions_line(ml_session_versions(s), vline, sizeof vline);
        }
        close_session(s, tmp);
        if (!ok) {
            fprintf(stderr, "memlayout repro: %s\n", err);
            rc = ML_EXIT_ENV;
            goto done;
        }
        if (ml_cli_stop) {
            rc = ml_cli_interrupted_exit();
            goto done;
        }
    }
    ml_repro_opts ro = {.observed = observed[0] ? observed : NULL, .versions = vline[0] ? vline : NULL};
    char *script = ml_repro_script(c, &ro);
    if (!script) {
        fprintf(stderr, "memlayout repro: out of memory\n");
        rc = ML_EXIT_ENV;
        goto done;
    }
    if (out) {
        if (!ml_write_atomic(out, script, strlen(script), err, sizeof err)) {
            fprintf(stderr, "memlayout repro: --out: %s\n", err);
            rc = ML_EXIT_ENV;
        } else {
            chmod(out, 0755);
            if (!co.quiet)
                fprintf(stderr, "memlayout repro: wrote %s%s%s\n", out, observed[0] ? "; memlayout saw " : "",
                        observed);
        }
    } else {
        fputs(script, stdout);
    }
    free(script);
done:
    free(c);
    free(min);
    free(o);
    return rc;
}

/* ---- ci ------------------------------------------------------------------------ */

static const char ci_help[] =
    "usage: memlayout ci [options] DIR\n"
    "\n"
    "The regression job: replay a corpus and read every verdict against the\n"
    "baseline of this environment (joblib and NumPy versions, and the reducer).\n"
    "DIR holds the cases in DIR/cases/ (else in DIR itself) and the baseline in\n"
    "DIR/baseline.json. A known failure is expected (xfail); a new or changed\n"
    "failure fails the job; a known failure that passes now (fixed upstream) is\n"
    "an XPASS and fails the job unless --allow-fixed. Update the baseline with\n"
    "--update-baseline once a change is understood.\n"
    "\n"
    "      --junit FILE     JUnit XML: one testcase per case file\n"
    "      --sarif FILE     SARIF 2.1.0: one result per case that is not a plain pass\n"
    "  -o, --out DIR        results.jsonl, summary.json and findings/ as `run`\n"
    "                       writes them (for `memlayout report DIR`)\n"
    "      --baseline FILE  the baseline (default DIR/baseline.json)\n"
    "      --env-name NAME  baseline key (default joblib-V+numpy-V[+reference])\n"
    "      --allow-fixed    an XPASS does not fail the job\n"
    "      --update-baseline  write this environment's verdicts into the baseline\n"
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 every verdict as expected (or the baseline was updated),\n"
    "1 new or changed failures, or XPASS without --allow-fixed, 2 bad arguments\n"
    "or cases (also a case NumPy refuses to build), 3 broken environment,\n"
    "130 interrupted\n";

/* Writes text (then frees it) to path, creating its directory. */
static bool write_text(const char *cmd, const char *opt, const char *path, char *text)
{
    char err[1024];
    if (!text) {
        fprintf(stderr, "memlayout %s: %s: out of memory\n", cmd, opt);
        return false;
    }
    char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir) {
        *slash = 0;
        ml_mkdirs(dir, err, sizeof err);
    }
    free(dir);
    bool ok = ml_write_atomic(path, text, strlen(text), err, sizeof err);
    free(text);
    if (!ok)
        fprintf(stderr, "memlayout %s: %s: %s\n", cmd, opt, err);
    return ok;
}

static void ops_names(const ml_case *c, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < c->nops && n + 16 < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "", ml_op_name(c->ops[i].kind));
}

/* DIR/results.jsonl, summary.json and findings/ in the layout `run` writes,
 * each line carrying the case, its expectation and the environment. */
static bool ci_write_out(const char *dir, const case_set *cs, char *const *keys, char *const *expected,
                         const ml_expect *st, const char *env, const char *versions, int argc,
                         char **argv)
{
    char path[4096], err[1024];
    snprintf(path, sizeof path, "%s/findings", dir);
    if (!ml_mkdirs(path, err, sizeof err)) {
        fprintf(stderr, "memlayout ci: --out: %s\n", err);
        return false;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return false;
    int counts[4] = {0};
    for (int i = 0; i < cs->n; i++) {
        const ml_case *c = &cs->cases[i];
        const char *v = cs->verdict[i] ? cs->verdict[i] : "error:protocol";
        char ops[256], dt[8];
        ops_names(c, ops, sizeof ops);
        counts[cs->kind[i]]++;
        cJSON *line = cJSON_CreateObject();
        cJSON_AddNumberToObject(line, "id", i);
        cJSON_AddStringToObject(line, "transport", ml_transport_name(c->transport));
        cJSON_AddStringToObject(line, "verdict", v);
        cJSON_AddNumberToObject(line, "ndim", c->ndim);
        char ord[2] = {c->order, 0};
        cJSON_AddStringToObject(line, "order", ord);
        cJSON_AddStringToObject(line, "source", c->source == ML_SRC_NPY ? "npy" : "raw");
        cJSON_AddStringToObject(line, "mode", ml_mode_name(c->mode));
        cJSON_AddStringToObject(line, "dtype", c->dtype.nfields ? "structured" : ml_scalar_str(&c->dtype.scalar, dt));
        cJSON_AddStringToObject(line, "ops", ops);
        cJSON_AddNumberToObject(line, "seconds", cs->seconds[i]);
        cJSON_AddStringToObject(line, "case", keys[i]);
        if (expected[i])
            cJSON_AddStringToObject(line, "expected", expected[i]);
        else
            cJSON_AddNullToObject(line, "expected");
        cJSON_AddStringToObject(line, "status", ml_expect_name(st[i]));
        cJSON_AddStringToObject(line, "env", env);
        char *s = cJSON_PrintUnformatted(line);
        if (s)
            fprintf(f, "%s\n", s);
        free(s);
        cJSON_Delete(line);
        if (cs->kind[i] == ML_V_FAIL || cs->kind[i] == ML_V_ERROR) {
            char slug[96];
            size_t k = 0;
            for (const char *p = v; *p && k + 1 < sizeof slug; p++)
                slug[k++] = (*p == ':' || *p == ',') ? '-' : *p;
            slug[k] = 0;
            snprintf(path, sizeof path, "%s/findings/%06d-%s-%s.obs", dir, i,
                     ml_transport_name(c->transport), slug);
            if (cs->result_json[i])
                ml_write_atomic(path, cs->result_json[i], strlen(cs->result_json[i]), err, sizeof err);
            char *cj = ml_case_write(c);
            snprintf(path + strlen(path) - 4, 6, ".json");
            if (cj)
                ml_write_atomic(path, cj, strlen(cj), err, sizeof err);
            free(cj);
        }
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    bool ok = text && ml_write_atomic(path, text, len, err, sizeof err);
    free(text);
    cJSON *s = cJSON_CreateObject();
    cJSON *cmd = cJSON_AddArrayToObject(s, "command");
    cJSON_AddItemToArray(cmd, cJSON_CreateString("memlayout"));
    for (int i = 0; i < argc; i++)
        cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    cJSON_AddStringToObject(s, "memlayout", ML_VERSION);
    cJSON *vj = versions ? cJSON_Parse(versions) : NULL;
    cJSON_AddItemToObject(s, "versions", vj ? vj : cJSON_CreateNull());
    cJSON_AddStringToObject(s, "env", env);
    cJSON_AddNumberToObject(s, "cases", cs->n);
    static const char *kinds[] = {"pass", "fail", "error", "invalid"};
    cJSON *cj = cJSON_AddObjectToObject(s, "counts");
    for (int k = 0; k < 4; k++)
        cJSON_AddNumberToObject(cj, kinds[k], counts[k]);
    char *st_text = cJSON_Print(s);
    cJSON_Delete(s);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    ok = ok && st_text && ml_write_atomic(path, st_text, strlen(st_text), err, sizeof err);
    free(st_text);
    if (!ok)
        fprintf(stderr, "memlayout ci: --out: %s\n", err);
    return ok;
}

int ml_cmd_ci(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    co.batch = 16;
    const char *junit = NULL, *sarif = NULL, *bpath = NULL, *env_name = NULL, *out = NULL;
    bool allow_fixed = false, update = false;
    static const struct option lo[] = {
        {"junit", required_argument, 0, OPT_JUNIT}, {"sarif", required_argument, 0, OPT_SARIF},
        {"baseline", required_argument, 0, OPT_BASELINE}, {"env-name", required_argument, 0, OPT_ENV_NAME},
        {"allow-fixed", no_argument, 0, OPT_ALLOW_FIXED}, {"update-baseline", no_argument, 0, OPT_UPDATE},
        {"out", required_argument, 0, 'o'}, ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "o:j:qh", lo, NULL)) != -1) {
        if (ml_cli_common_option("ci", opt, &co))
            continue;
        switch (opt) {
        case OPT_JUNIT: junit = optarg; break;
        case OPT_SARIF: sarif = optarg; break;
        case OPT_BASELINE: bpath = optarg; break;
        case OPT_ENV_NAME: env_name = optarg; break;
        case OPT_ALLOW_FIXED: allow_fixed = true; break;
        case OPT_UPDATE: update = true; break;
        case 'o': out = optarg; break;
        case 'h': fputs(ci_help, stdout); return ML_EXIT_OK;
        default: fputs(ci_help, stderr); return ML_EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        ml_cli_usage("ci", "expected one corpus directory%s", "");
    const char *dir = argv[optind];
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        ml_cli_usage("ci", "\"%s\" is not a directory", dir);
    char cdir[4096], bdef[4096], err[1024];
    snprintf(cdir, sizeof cdir, "%s/cases", dir);
    if (stat(cdir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        snprintf(cdir, sizeof cdir, "%s", dir);
    snprintf(bdef, sizeof bdef, "%s/baseline.json", dir);
    if (!bpath)
        bpath = bdef;
    bool existed;
    ml_baseline *base = ml_baseline_load(bpath, &existed, err, sizeof err);
    if (!base) {
        fprintf(stderr, "memlayout ci: --baseline: %s\n", err);
        return ML_EXIT_USAGE;
    }
    case_set cs;
    char *cpaths[1] = {cdir};
    if (!set_load("ci", &cs, 1, cpaths, bpath, &co.lim)) {
        set_free(&cs);
        ml_baseline_free(base);
        return ML_EXIT_USAGE;
    }
    ml_cli_install_signals();
    char *versions = NULL;
    ml_camp_status cst = set_run("ci", &co, &co.py, &cs, &versions);
    if (cst == ML_CAMP_ENV) {
        set_free(&cs);
        ml_baseline_free(base);
        return ML_EXIT_ENV;
    }
    char env[256], vline[256];
    if (env_name)
        snprintf(env, sizeof env, "%s", env_name);
    else
        ml_env_key(versions, co.py.reducer, env, sizeof env);
    versions_line(versions, vline, sizeof vline);

    /* keys: paths below the case folder */
    size_t clen = strlen(cdir);
    char **keys = calloc((size_t)cs.n, sizeof *keys), **expected = calloc((size_t)cs.n, sizeof *expected);
    ml_expect *st = calloc((size_t)cs.n, sizeof *st);
    ml_ci_row *rows = calloc((size_t)cs.n, sizeof *rows);
    int cnt[ML_EXPECT_INVALID + 1] = {0}, fails = 0;
    for (int i = 0; i < cs.n; i++) {
        const char *p = cs.paths[i];
        if (strncmp(p, cdir, clen) == 0 && p[clen] == '/')
            p += clen + 1;
        keys[i] = strdup(p);
        const char *e = ml_baseline_get(base, env, keys[i]);
        expected[i] = e ? strdup(e) : NULL;
        const char *v = cs.verdict[i] ? cs.verdict[i] : (cst == ML_CAMP_STOPPED ? NULL : "error:protocol");
        st[i] = ml_baseline_compare(expected[i], v);
        if (!v)
            continue;   /* interrupted before it ran */
        cnt[st[i]]++;
        fails += ml_expect_fails_job(st[i], allow_fixed) && st[i] != ML_EXPECT_INVALID;
        rows[i] = (ml_ci_row){.path = cs.paths[i], .key = keys[i],
                              .transport = ml_transport_name(cs.cases[i].transport),
                              .verdict = v, .expected = expected[i], .status = st[i],
                              .detail = cs.detail[i], .seconds = cs.seconds[i]};
    }
    char hint[4400];
    snprintf(hint, sizeof hint, "memlayout ci %s --update-baseline%s%s%s%s%s%s", dir,
             strcmp(co.py.reducer, "joblib") ? " --reducer " : "",
             strcmp(co.py.reducer, "joblib") ? co.py.reducer : "", env_name ? " --env-name " : "",
             env_name ? env_name : "", bpath == bdef ? "" : " --baseline ", bpath == bdef ? "" : bpath);
    ml_ci_meta meta = {.suite = "memlayout regress", .env = env, .version = ML_VERSION,
                       .allow_fixed = allow_fixed, .update_hint = hint};
    int ran = 0;
    for (int i = 0; i < cs.n; i++)
        ran += rows[i].path != NULL;

    printf("ci: %s (%s), %d cases, baseline %s%s\n", env, vline, cs.n, bpath,
           !existed ? " (missing: every failure is new)"
           : ml_baseline_has_env(base, env) ? "" : " (no entry for this environment: every failure is new)");
    for (int i = 0; i < cs.n; i++) {
        if (!rows[i].path)
            continue;
        static const char *tag[] = {"pass", "xfail", "NEW", "CHANGED", "XPASS", "INVALID"};
        printf("  %-8s %s [%s]: %s", tag[st[i]], keys[i], rows[i].transport, rows[i].verdict);
        if (st[i] != ML_EXPECT_PASS && st[i] != ML_EXPECT_XFAIL)
            printf("  (expected %s)", expected[i] ? expected[i] : "pass: not in the baseline");
        putchar('\n');
        if (st[i] == ML_EXPECT_NEW || st[i] == ML_EXPECT_CHANGED || st[i] == ML_EXPECT_INVALID)
            if (cs.detail[i])
                printf("           %s\n", cs.detail[i]);
    }
    printf("ci: %d pass, %d xfail, %d new failure%s, %d changed, %d XPASS%s, %d invalid\n",
           cnt[ML_EXPECT_PASS], cnt[ML_EXPECT_XFAIL], cnt[ML_EXPECT_NEW], cnt[ML_EXPECT_NEW] == 1 ? "" : "s",
           cnt[ML_EXPECT_CHANGED], cnt[ML_EXPECT_XPASS], allow_fixed ? " (allowed)" : "", cnt[ML_EXPECT_INVALID]);

    int rc = ML_EXIT_OK;
    if (junit && !write_text("ci", "--junit", junit, ml_ci_junit(rows, cs.n, &meta)))
        rc = ML_EXIT_ENV;
    if (sarif && !write_text("ci", "--sarif", sarif, ml_ci_sarif(rows, cs.n, &meta)))
        rc = ML_EXIT_ENV;
    if (out && !ci_write_out(out, &cs, keys, expected, st, env, versions, argc, argv))
        rc = ML_EXIT_ENV;
    if (cst == ML_CAMP_STOPPED) {
        rc = ml_cli_interrupted_exit();
    } else if (update) {
        ml_baseline_drop_env(base, env);
        int changed = 0;
        for (int i = 0; i < cs.n; i++) {
            if (!cs.verdict[i] || st[i] == ML_EXPECT_INVALID)
                continue;
            ml_baseline_set(base, env, keys[i], cs.verdict[i]);
            if (!expected[i] || strcmp(expected[i], cs.verdict[i]) != 0) {
                printf("ci: baseline %s: %s: %s -> %s\n", env, keys[i], expected[i] ? expected[i] : "(none)",
                       cs.verdict[i]);
                changed++;
            }
        }
        if (!ml_baseline_save(base, bpath, err, sizeof err)) {
            fprintf(stderr, "memlayout ci: --update-baseline: %s\n", err);
            rc = ML_EXIT_ENV;
        } else {
            printf("ci: baseline updated for %s in %s (%d entr%s changed)\n", env, bpath, changed,
                   changed == 1 ? "y" : "ies");
            rc = cnt[ML_EXPECT_INVALID] ? ML_EXIT_USAGE : rc;
        }
    } else if (rc == ML_EXIT_OK) {
        if (cnt[ML_EXPECT_INVALID])
            rc = ML_EXIT_USAGE;
        else if (fails)
            rc = ML_EXIT_FINDINGS;
        if (fails)
            printf("ci: FAILED: %d case%s not as the baseline expects\n", fails, fails == 1 ? "" : "s");
        else if (cnt[ML_EXPECT_XPASS])
            printf("ci: OK: no new failure (%d XPASS allowed)\n", cnt[ML_EXPECT_XPASS]);
        else
            printf("ci: OK: every verdict as the baseline expects\n");
        if (cnt[ML_EXPECT_XPASS])
            printf("ci: %d known failure%s pass%s now (fixed upstream?). Once understood, record it: %s\n",
                   cnt[ML_EXPECT_XPASS], cnt[ML_EXPECT_XPASS] == 1 ? "" : "s",
                   cnt[ML_EXPECT_XPASS] == 1 ? "es" : "", hint);
        if (cnt[ML_EXPECT_NEW] || cnt[ML_EXPECT_CHANGED])
            printf("ci: new failures are regressions (or a new environment: %s records it)\n", hint);
    }
    (void)ran;
    for (int i = 0; i < cs.n; i++) {
        free(keys[i]);
        free(expected[i]);
    }
    free(keys);
    free(expected);
    free(st);
    free(rows);
    free(versions);
    set_free(&cs);
    ml_baseline_free(base);
    return rc;
}

/* ---- matrix -------------------------------------------------------------------- */

static const char matrix_help[] =
    "usage: memlayout matrix [options] FILE|DIR...\n"
    "\n"
    "Replay the same cases in several environments and show cases x\n"
    "environments: where a verdict changes between two joblib or NumPy\n"
    "versions, a regression (or a fix) becomes visible.\n"
    "\n"
    "  -e, --env SPEC       an environment, SPEC = comma-separated key=value:\n"
    "                         name=LABEL       column label (default: its versions)\n"
    "                         reducer=R        joblib (default) or reference\n"
    "                         python-path=DIR  a joblib or NumPy checkout put first\n"
    "                                          on sys.path\n"
    "                       repeat for each environment; default: the installed\n"
    "                       joblib (with --reducer/--python-path if given) and\n"
    "                       reducer=reference, memlayout's correct reducer\n"
    "      --json FILE      the matrix as JSON\n"
    "  -T, --transport L    run every case through each of these transports\n"
    "                       instead of its own (comma-separated, all, pickle)\n"
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 every case gets the same verdict in every environment, 1\n"
    "some verdict differs between environments, 2 bad arguments or cases, 3\n"
    "an environment is broken, 130 interrupted\n";

#define MAX_ENVS 8

typedef struct {
    char name[128];
    char key[256];
    ml_py_opts py;
    char *path;        /* realpath of python-path, owned */
    char **verdict;    /* per case */
} matrix_env;

static void parse_env(const char *spec, const ml_cli_common *co, matrix_env *e)
{
    memset(e, 0, sizeof *e);
    e->py = co->py;
    e->py.reducer = "joblib";
    e->py.python_path = NULL;
    char *copy = strdup(spec), *save = NULL;
    for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            ml_cli_usage("matrix", "--env: expected key=value, got \"%s\"", kv);
        *eq = 0;
        const char *v = eq + 1;
        if (!strcmp(kv, "name")) {
            snprintf(e->name, sizeof e->name, "%s", v);
        } else if (!strcmp(kv, "reducer")) {
            if (strcmp(v, "joblib") && strcmp(v, "reference"))
                ml_cli_usage("matrix", "--env: reducer must be joblib or reference, got \"%s\"", v);
            e->py.reducer = !strcmp(v, "joblib") ? "joblib" : "reference";
        } else if (!strcmp(kv, "python-path")) {
            struct stat sb;
            if (stat(v, &sb) != 0 || !S_ISDIR(sb.st_mode))
                ml_cli_usage("matrix", "--env: python-path \"%s\" is not a directory", v);
            free(e->path);
            e->path = realpath(v, NULL);
            e->py.python_path = e->path;
        } else {
            ml_cli_usage("matrix", "--env: unknown key \"%s\" (name, reducer, python-path)", kv);
        }
    }
    free(copy);
}

int ml_cmd_matrix(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    co.batch = 16;
    matrix_env envs[MAX_ENVS];
    int nenv = 0;
    const char *json_out = NULL;
    uint32_t override = 0;
    static const struct option lo[] = {
        {"env", required_argument, 0, 'e'}, {"json", required_argument, 0, OPT_JSON},
        {"transport", required_argument, 0, 'T'}, ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    char *specs[MAX_ENVS];
    int nspec = 0, opt;
    while ((opt = getopt_long(argc, argv, "e:T:j:qh", lo, NULL)) != -1) {
        if (ml_cli_common_option("matrix", opt, &co))
            continue;
        switch (opt) {
        case 'e':
            if (nspec == MAX_ENVS)
                ml_cli_usage("matrix", "--env: at most 8 environments%s", "");
            specs[nspec++] = optarg;
            break;
        case OPT_JSON: json_out = optarg; break;
        case 'T': override = ml_cli_transports("matrix", optarg); break;
        case 'h': fputs(matrix_help, stdout); return ML_EXIT_OK;
        default: fputs(matrix_help, stderr); return ML_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        ml_cli_usage("matrix", "expected case files or directories%s", "");
    for (int i = 0; i < nspec; i++)
        parse_env(specs[i], &co, &envs[nenv++]);
    if (!nenv) {
        memset(&envs[0], 0, sizeof envs[0]);
        envs[0].py = co.py;
        parse_env("reducer=reference", &co, &envs[1]);
        nenv = 2;
    }
    case_set cs;
    if (!set_load("matrix", &cs, argc - optind, argv + optind, NULL, &co.lim)) {
        set_free(&cs);
        return ML_EXIT_USAGE;
    }
    if (override) {   /* every case through each chosen transport */
        int n = 0;
        for (int t = 0; t < ML_T_COUNT; t++)
            n += (override >> t) & 1;
        case_set x;
        memset(&x, 0, sizeof x);
        x.cases = malloc(sizeof *x.cases * (size_t)(cs.n * n));
        x.paths = malloc(sizeof *x.paths * (size_t)(cs.n * n));
        for (int i = 0; i < cs.n; i++)
            for (int t = 0; t < ML_T_COUNT; t++)
                if ((override >> t) & 1) {
                    x.cases[x.n] = cs.cases[i];
                    x.cases[x.n].transport = (ml_transport)t;
                    x.paths[x.n++] = strdup(cs.paths[i]);
                }
        x.verdict = calloc((size_t)x.n, sizeof *x.verdict);
        x.detail = calloc((size_t)x.n, sizeof *x.detail);
        x.result_json = calloc((size_t)x.n, sizeof *x.result_json);
        x.kind = calloc((size_t)x.n, sizeof *x.kind);
        x.seconds = calloc((size_t)x.n, sizeof *x.seconds);
        set_free(&cs);
        cs = x;
    }
    ml_cli_install_signals();
    int rc = ML_EXIT_OK;
    for (int e = 0; e < nenv && !ml_cli_stop; e++) {
        char *versions = NULL;
        ml_camp_status st = set_run("matrix", &co, &envs[e].py, &cs, &versions);
        if (st == ML_CAMP_ENV) {
            fprintf(stderr, "memlayout matrix: environment %d (%s) is broken\n", e + 1,
                    envs[e].name[0] ? envs[e].name : envs[e].py.reducer);
            rc = ML_EXIT_ENV;
            free(versions);
            break;
        }
        ml_env_key(versions, envs[e].py.reducer, envs[e].key, sizeof envs[e].key);
        if (!envs[e].name[0])
            snprintf(envs[e].name, sizeof envs[e].name, "%s", envs[e].key);
        free(versions);
        envs[e].verdict = calloc((size_t)cs.n, sizeof(char *));
        for (int i = 0; i < cs.n; i++) {
            envs[e].verdict[i] = cs.verdict[i];
            cs.verdict[i] = NULL;
        }
    }
    int differ = 0;
    if (rc == ML_EXIT_OK && !ml_cli_stop) {
        printf("matrix: %d case%s x %d environments\n", cs.n, cs.n == 1 ? "" : "s", nenv);
        for (int e = 0; e < nenv; e++)
            printf("  %c = %s%s%s  (reducer %s%s%s)\n", 'A' + e, envs[e].name,
                   strcmp(envs[e].name, envs[e].key) ? ": " : "",
                   strcmp(envs[e].name, envs[e].key) ? envs[e].key : "", envs[e].py.reducer,
                   envs[e].py.python_path ? ", python-path " : "",
                   envs[e].py.python_path ? envs[e].py.python_path : "");
        size_t w = 4;
        for (int i = 0; i < cs.n; i++)
            if (strlen(base_name(cs.paths[i])) > w)
                w = strlen(base_name(cs.paths[i]));
        printf("\n%-*s  %-15s", (int)w, "case", "transport");
        for (int e = 0; e < nenv; e++)
            printf("  %-28c", 'A' + e);
        putchar('\n');
        for (int i = 0; i < cs.n; i++) {
            bool same = true;
            for (int e = 1; e < nenv; e++)
                same &= envs[e].verdict[i] && envs[0].verdict[i] && !strcmp(envs[e].verdict[i], envs[0].verdict[i]);
            differ += !same;
            printf("%-*s  %-15s", (int)w, base_name(cs.paths[i]), ml_transport_name(cs.cases[i].transport));
            for (int e = 0; e < nenv; e++)
                printf("  %-28s", envs[e].verdict[i] ? envs[e].verdict[i] : "-");
            printf("%s\n", same ? "" : "  <- differs");
        }
        printf("\nmatrix: %d of %d case%s differ%s between environments\n", differ, cs.n, cs.n == 1 ? "" : "s",
               differ == 1 ? "s" : "");
        rc = differ ? ML_EXIT_FINDINGS : ML_EXIT_OK;
        if (json_out) {
            cJSON *root = cJSON_CreateObject();
            cJSON *je = cJSON_AddArrayToObject(root, "environments");
            for (int e = 0; e < nenv; e++) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "name", envs[e].name);
                cJSON_AddStringToObject(o, "key", envs[e].key);
                cJSON_AddStringToObject(o, "reducer", envs[e].py.reducer);
                if (envs[e].py.python_path)
                    cJSON_AddStringToObject(o, "python_path", envs[e].py.python_path);
                else
                    cJSON_AddNullToObject(o, "python_path");
                cJSON_AddItemToArray(je, o);
            }
            cJSON *jc = cJSON_AddArrayToObject(root, "cases");
            for (int i = 0; i < cs.n; i++) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "case", cs.paths[i]);
                cJSON_AddStringToObject(o, "transport", ml_transport_name(cs.cases[i].transport));
                cJSON *vv = cJSON_AddArrayToObject(o, "verdicts");
                for (int e = 0; e < nenv; e++)
                    cJSON_AddItemToArray(vv, envs[e].verdict[i] ? cJSON_CreateString(envs[e].verdict[i])
                                                                : cJSON_CreateNull());
                cJSON_AddItemToArray(jc, o);
            }
            if (!write_text("matrix", "--json", json_out, cJSON_Print(root)))
                rc = ML_EXIT_ENV;
            cJSON_Delete(root);
        }
    }
    if (ml_cli_stop)
        rc = ml_cli_interrupted_exit();
    for (int e = 0; e < nenv; e++) {
        for (int i = 0; envs[e].verdict && i < cs.n; i++)
            free(envs[e].verdict[i]);
        free(envs[e].verdict);
        free(envs[e].path);
    }
    set_free(&cs);
    return rc;
}

/* memlayout run: a random campaign; findings are written as found, then
 * each distinct bug is minimized and the report written. */
#include "campaign.h"
#include "case.h"
#include "cli.h"
#include "fsutil.h"
#include "gen.h"
#include "oracle.h"
#include "report.h"
#include "store.h"
#include "triage.h"

#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    ml_store *store;
    uint64_t seed, ncases, made;
    double deadline, start;
    ml_gen_opts gen;
    bool progress, tty;
    double last_progress;
} run_ctx;

static bool run_next(void *vctx, ml_case *c)
{
    run_ctx *rc = vctx;
    if (rc->ncases && rc->made >= rc->ncases)
        return false;
    if (rc->deadline && ml_now() >= rc->deadline)
        return false;
    if (ml_store_error(rc->store))
        return false;   /* a write failed: the run stops */
    ml_gen_nth(rc->seed, rc->made++, &rc->gen, c);
    return true;
}

/* Every case a line of results.jsonl, every finding its files (store.h). */
static void run_done(void *vctx, const ml_outcome *o)
{
    run_ctx *rc = vctx;
    char vs[256];
    ml_verdict_str(&o->v, vs, sizeof vs);
    ml_store_line l = {.id = o->id, .c = &o->c, .verdict = vs, .seconds = o->r.seconds,
                       .t = ml_now() - rc->start, .view_ndim = o->r.parent.present ? o->r.parent.ndim : -1,
                       .layout = ml_report_layout_class(&o->r.parent, true),
                       .child = ml_report_layout_class(&o->r.child, false)};
    ml_store_add(rc->store, &l, o->case_json, o->result_json, &o->r, &o->v);
}

static void run_tick(void *vctx)
{
    run_ctx *rc = vctx;
    ml_store_flush(rc->store);
    if (!rc->progress)
        return;
    double t = ml_now(), el = t - rc->start;
    if (!rc->tty && t - rc->last_progress < 30.0)
        return;   /* logs get a line every 30 s, terminals a live one */
    rc->last_progress = t;
    ml_store_totals tot;
    ml_store_totals_get(rc->store, &tot);
    fprintf(stderr, "%s[%6.1fs] %llu cases  %.0f/s  findings %llu  invalid %llu%s",
            rc->tty ? "\r" : "", el, (unsigned long long)tot.cases, el > 0 ? tot.cases / el : 0.0,
            (unsigned long long)(tot.kinds[ML_V_FAIL] + tot.kinds[ML_V_ERROR]),
            (unsigned long long)tot.kinds[ML_V_INVALID], rc->tty ? "   " : "\n");
}

static void print_versions_line(FILE *f, const char *versions)
{
    cJSON *v = versions ? cJSON_Parse(versions) : NULL;
    const char *py = cJSON_GetStringValue(cJSON_GetObjectItem(v, "python"));
    const char *np = cJSON_GetStringValue(cJSON_GetObjectItem(v, "numpy"));
    const char *jl = cJSON_GetStringValue(cJSON_GetObjectItem(v, "joblib"));
    fprintf(f, "memlayout %s, Python %s, NumPy %s, joblib %s\n", ML_VERSION,
            py ? py : "?", np ? np : "?", jl ? jl : "?");
    cJSON_Delete(v);
}

/* summary.json: the run's own members; the store adds the counts and bugs. */
static void write_summary(run_ctx *rc, ml_campaign *cp, int argc, char **argv, double elapsed, bool interrupted)
{
    cJSON *s = cJSON_CreateObject();
    cJSON *cmd = cJSON_AddArrayToObject(s, "command");
    for (int i = 0; i < argc; i++)
        cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    cJSON_AddStringToObject(s, "memlayout", ML_VERSION);
    cJSON *v = cp->versions ? cJSON_Parse(cp->versions) : NULL;
    cJSON_AddItemToObject(s, "versions", v ? v : cJSON_CreateNull());
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)rc->seed);
    cJSON_AddStringToObject(s, "seed", seed);
    cJSON_AddNumberToObject(s, "started", (double)time(NULL) - elapsed);
    cJSON_AddNumberToObject(s, "seconds", elapsed);
    ml_store_totals tot;
    ml_store_totals_get(rc->store, &tot);
    cJSON_AddNumberToObject(s, "cases_per_second", elapsed > 0 ? tot.cases / elapsed : 0);
    cJSON_AddBoolToObject(s, "interrupted", interrupted);
    cJSON_AddNumberToObject(s, "restarts", (double)cp->restarts);
    ml_store_finish(rc->store, s);
}

static const char run_help[] =
    "usage: memlayout run [options]\n"
    "\n"
    "Generate random cases, send each through its transport and judge what\n"
    "arrives. Every finding is written at once to OUT/findings/ as a canonical\n"
    "case file (replay it with `memlayout replay`) and its observation (.obs);\n"
    "OUT/results.jsonl has one line per case, OUT/summary.json the totals.\n"
    "\n"
    "  -s, --seed N         campaign seed (default: from the clock; printed)\n"
    "  -n, --cases N        stop after N cases (default 1000 unless --time)\n"
    "  -t, --time S         stop after S seconds\n"
    "  -T, --transport L    comma-separated transports to draw from, or all,\n"
    "                       or pickle (every protocol) (default reduce)\n"
    "  -o, --out DIR        output directory (default out/run-SEED)\n"
    "      --max-ops N      longest view-op chain generated (default 4, at most 16)\n"
    "      --max-ndim N     most backing dims generated (default 6, at most 32)\n"
    "      --no-minimize    skip minimizing each distinct bug at the end (by default\n"
    "                       at most 300 cases or 10 s a bug, into OUT/triage.json, OUT/bugs/)\n"
    "      --report FILE    HTML report written at the end (default: OUT/report.html with\n"
    "                       --out, else reports/run-SEED/index.html; none: no report)\n"
    "      --sync           fsync every finding (survives a machine crash; a finding\n"
    "                       always survives any crash of memlayout: atomic rename)\n"
    "      --keep N         finding files kept per bug (default 20, the first ones;\n"
    "                       0: all); results.jsonl and summary.json count every finding\n"
    "      --force          replace what OUT holds even when it is not a memlayout run\n"
    "                       directory (or holds symbolic links)\n"
    ML_CLI_COMMON_HELP
    "\n"
    "OUT is locked while the run writes (OUT/.memlayout.lock): a second run on it\n"
    "is refused at once. A previous run in OUT is replaced as a whole once the run\n"
    "starts. OUT (and what it holds) must be this user's and not a symbolic link.\n"
    "\n"
    "exit status: 0 nothing found, 1 findings, 2 bad arguments (also an OUT that\n"
    "is a link, another user's, or not a run directory without --force), 3 broken\n"
    "environment (also OUT in use by another run, or a write error such as a full\n"
    "disk: the run stops, summary.json says \"incomplete\"), 130 interrupted by\n"
    "SIGINT, 143 SIGTERM, 129 SIGHUP (findings so far are kept)\n";

int ml_cmd_run(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    run_ctx rc;
    memset(&rc, 0, sizeof rc);
    bool have_seed = false, minimize = true;
    double seconds = 0;
    enum { OPT_NO_MINIMIZE = 2100, OPT_REPORT, OPT_SYNC, OPT_KEEP, OPT_FORCE };
    ml_store_opts so = {.keep = ML_STORE_KEEP, .python_log = true};
    const char *out = NULL, *report = NULL;
    rc.gen.transports = 1u << ML_T_REDUCE;
    static const struct option lo[] = {
        {"seed", required_argument, 0, 's'}, {"cases", required_argument, 0, 'n'},
        {"time", required_argument, 0, 't'}, {"transport", required_argument, 0, 'T'},
        {"out", required_argument, 0, 'o'}, {"max-ops", required_argument, 0, ML_OPT_MAX_OPS},
        {"max-ndim", required_argument, 0, ML_OPT_MAX_NDIM}, {"no-minimize", no_argument, 0, OPT_NO_MINIMIZE},
        {"report", required_argument, 0, OPT_REPORT}, {"sync", no_argument, 0, OPT_SYNC},
        {"keep", required_argument, 0, OPT_KEEP}, {"force", no_argument, 0, OPT_FORCE},
        ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "s:n:t:T:o:j:qh", lo, NULL)) != -1) {
        if (ml_cli_common_option("run", opt, &co))
            continue;
        switch (opt) {
        case 's': rc.seed = (uint64_t)ml_cli_int("run", "--seed", optarg, 0, (long long)ML_MAX_SEED); have_seed = true; break;
        case 'n': rc.ncases = (uint64_t)ml_cli_int("run", "--cases", optarg, 1, 1LL << 40); break;
        case 't': seconds = ml_cli_seconds("run", "--time", optarg); break;
        case 'T': rc.gen.transports = ml_cli_transports("run", optarg); break;
        case 'o': out = optarg; break;
        case ML_OPT_MAX_OPS: rc.gen.max_ops = (int)ml_cli_int("run", "--max-ops", optarg, 0, ML_MAX_OPS); break;
        case ML_OPT_MAX_NDIM: rc.gen.max_ndim = (int)ml_cli_int("run", "--max-ndim", optarg, 0, ML_MAX_NDIM); break;
        case OPT_NO_MINIMIZE: minimize = false; break;
        case OPT_REPORT: report = optarg; break;
        case OPT_SYNC: ml_fs_set_sync(true); break;
        case OPT_KEEP: so.keep = (int)ml_cli_int("run", "--keep", optarg, 0, 1000000000); break;
        case OPT_FORCE: so.force = true; break;
        case 'h': fputs(run_help, stdout); return ML_EXIT_OK;
        default: fputs(run_help, stderr); return ML_EXIT_USAGE;
        }
    }
    if (optind < argc)
        ml_cli_usage("run", "unexpected argument \"%s\"", argv[optind]);
    int env_rc = ml_cli_common_env("run", &co);
    if (env_rc)
        return env_rc;
    if (!have_seed)
        rc.seed = ((uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid()) & ML_MAX_SEED;
    if (!rc.ncases && !seconds)
        rc.ncases = 1000;
    rc.gen.max_bytes = co.lim.max_bytes;

    char defout[64], err[1024];
    if (!out) {
        snprintf(defout, sizeof defout, "out/run-%llu", (unsigned long long)rc.seed);
        out = defout;
    }
    /* OUT: opened and locked first (a second run is refused at once), and
     * only emptied once this run has its temp dir */
    ml_store_status sst;
    rc.store = ml_store_open(out, &so, &sst, err, sizeof err);
    if (!rc.store) {
        fprintf(stderr, "memlayout run: --out: %s\n", err);
        return sst == ML_STORE_REFUSED ? ML_EXIT_USAGE : ML_EXIT_ENV;
    }
    ml_cli_install_signals();   /* before the temp dir exists: it never outlives a signal */
    char *tmp = ml_tmpdir_create(err, sizeof err);
    if (!tmp) {
        fprintf(stderr, "memlayout run: %s\n", err);
        ml_store_close(rc.store);
        return ML_EXIT_ENV;
    }
    co.py.tmpdir = tmp;
    if (!ml_store_begin(rc.store, argc, argv)) {
        fprintf(stderr, "memlayout run: %s\n", ml_store_error(rc.store));
        ml_rmtree(tmp);
        free(tmp);
        ml_store_close(rc.store);
        return ML_EXIT_ENV;
    }
    ml_bugs *bugs = ml_store_bugs(rc.store);

    rc.tty = isatty(2);
    rc.progress = !co.quiet;
    rc.start = rc.last_progress = ml_now();
    if (seconds)
        rc.deadline = rc.start + seconds;
    if (!co.quiet)
        fprintf(stderr, "memlayout run: seed %llu, output in %s\n", (unsigned long long)rc.seed, out);

    ml_campaign cp;
    memset(&cp, 0, sizeof cp);
    cp.py = co.py;
    cp.jobs = co.jobs;
    cp.timeout = co.timeout;
    cp.batch = co.batch;
    cp.log_fd = ml_store_log_fd(rc.store);
    cp.next = run_next;
    cp.done = run_done;
    cp.tick = run_tick;
    cp.ctx = &rc;
    cp.stop = &ml_cli_stop;
    ml_camp_status st = ml_campaign_run(&cp, err, sizeof err);
    double elapsed = ml_now() - rc.start;
    if (rc.progress && rc.tty)
        fputc('\n', stderr);
    ml_store_flush(rc.store);
    bool failed = ml_store_error(rc.store) != NULL;
    /* Each distinct bug minimized (per bug at most 300 cases or 10 s), into
     * OUT/triage.json and OUT/bugs/<id>.json. Not after an interrupt or a
     * write error. */
    bool triaged = false;
    if (st == ML_CAMP_DONE && !failed && minimize && ml_bugs_count(bugs)) {
        ml_minimize_opts mo = {.max_tries = 300, .max_seconds = 10, .lim = co.lim, .stop = &ml_cli_stop};
        char terr[1024];
        if (!co.quiet)
            fprintf(stderr, "memlayout run: minimizing %d distinct bug%s\n", ml_bugs_count(bugs),
                    ml_bugs_count(bugs) == 1 ? "" : "s");
        triaged = ml_bugs_finish(bugs, &co.py, co.timeout, &mo, NULL, NULL, terr, sizeof terr);
        if (!triaged)
            fprintf(stderr, "memlayout run: triage: %s\n", terr);
        else
            triaged = ml_store_write_triage(rc.store, NULL);
    }
    ml_rmtree(tmp);
    free(tmp);
    if (st == ML_CAMP_ENV) {
        fprintf(stderr, "memlayout run: %s\n", err);
        ml_store_abort(rc.store, err);   /* the summary says why there is nothing */
        write_summary(&rc, &cp, argc, argv, elapsed, false);
        free(cp.versions);
        ml_store_close(rc.store);
        return ML_EXIT_ENV;
    }
    /* A signal during the minimization interrupts the run as much as one
     * during the campaign. */
    bool interrupted = st == ML_CAMP_STOPPED || ml_cli_stop;
    write_summary(&rc, &cp, argc, argv, elapsed, interrupted);
    failed = ml_store_error(rc.store) != NULL;
    ml_store_totals tot;
    ml_store_totals_get(rc.store, &tot);
    uint64_t nfind = tot.kinds[ML_V_FAIL] + tot.kinds[ML_V_ERROR];
    print_versions_line(stdout, cp.versions);
    printf("%llu cases in %.1f s (%.0f cases/s), seed %llu%s%s\n", (unsigned long long)tot.cases, elapsed,
           elapsed > 0 ? tot.cases / elapsed : 0.0, (unsigned long long)rc.seed,
           interrupted ? ", interrupted" : "", failed ? ", stopped by a write error" : "");
    printf("pass %llu, fail %llu, error %llu, invalid %llu\n", (unsigned long long)tot.kinds[ML_V_PASS],
           (unsigned long long)tot.kinds[ML_V_FAIL], (unsigned long long)tot.kinds[ML_V_ERROR],
           (unsigned long long)tot.kinds[ML_V_INVALID]);
    const char *const *vnames;
    const uint64_t *vcounts;
    int nv = ml_store_verdicts(rc.store, &vnames, &vcounts);
    for (int i = 0; i < nv; i++)
        printf("  %-40s %llu\n", vnames[i], (unsigned long long)vcounts[i]);
    if (nfind)
        printf("findings in %s/findings\n", out);
    if (tot.not_kept)
        printf("  %llu finding files kept (--keep %d per bug), %llu not kept: every one is counted\n",
               (unsigned long long)tot.kept, so.keep, (unsigned long long)tot.not_kept);
    int nbugs = ml_bugs_count(bugs);
    if (nbugs) {
        printf("%d distinct bug%s, most harmful first%s\n", nbugs, nbugs == 1 ? "" : "s",
               triaged ? "" : " (not minimized)");
        for (int i = 0; i < nbugs; i++) {
            const ml_bug *g = ml_bugs_get(bugs, i);
            char sum[512];
            printf("  #%-2d %-14s %s  %s (%llu case%s)\n", i + 1, ml_severity_name(g->sig.severity), g->id,
                   ml_sig_summary(&g->sig, sum, sizeof sum), (unsigned long long)g->count,
                   g->count == 1 ? "" : "s");
        }
    }
    if (triaged)
        printf("minimized: %s/triage.json, %s/bugs/ (memlayout triage %s shows them)\n", out, out, out);
    /* after triage: the report shows its minimized cases; its failure leaves the exit status alone */
    char defreport[4096];
    if (!report && out != defout) {
        snprintf(defreport, sizeof defreport, "%s/report.html", out);
        report = defreport;
    }
    if (failed)   /* one line: the path and the reason; no report on a disk that failed */
        fprintf(stderr, "memlayout run: %s\n", ml_store_error(rc.store));
    else if (!report || strcmp(report, "none"))
        ml_report_after_run(out, report, false);
    free(cp.versions);
    ml_store_close(rc.store);   /* the lock last */
    if (interrupted)
        return ml_cli_interrupted_exit();
    if (failed)
        return ML_EXIT_ENV;
    return nfind ? ML_EXIT_FINDINGS : ML_EXIT_OK;
}

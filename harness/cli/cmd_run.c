/* memlayout run: a random campaign; findings are written as found, then
 * each distinct bug is minimized and the report written. */
#include "campaign.h"
#include "case.h"
#include "cli.h"
#include "fsutil.h"
#include "gen.h"
#include "oracle.h"
#include "report.h"
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
    const char *out;
    FILE *results;
    uint64_t seed, ncases, made;
    double deadline, start;
    ml_gen_opts gen;
    uint64_t counts[4];             /* by ml_vkind */
    uint64_t per_transport[ML_T_COUNT][4];
    char **verdicts;                /* distinct verdict strings */
    uint64_t *vcount;
    int nverdicts;
    bool progress, tty;
    double last_progress;
    volatile sig_atomic_t *stop;
    bool write_failed;
    ml_bugs *bugs;                  /* findings grouped by signature class (triage.h) */
} run_ctx;

static bool run_next(void *vctx, ml_case *c)
{
    run_ctx *rc = vctx;
    if (rc->ncases && rc->made >= rc->ncases)
        return false;
    if (rc->deadline && ml_now() >= rc->deadline)
        return false;
    ml_gen_nth(rc->seed, rc->made++, &rc->gen, c);
    return true;
}

static void ops_list(const ml_case *c, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < c->nops && n + 16 < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "", ml_op_name(c->ops[i].kind));
}

static void count_verdict(run_ctx *rc, const char *vs)
{
    for (int i = 0; i < rc->nverdicts; i++)
        if (strcmp(rc->verdicts[i], vs) == 0) {
            rc->vcount[i]++;
            return;
        }
    rc->verdicts = realloc(rc->verdicts, (rc->nverdicts + 1) * sizeof *rc->verdicts);
    rc->vcount = realloc(rc->vcount, (rc->nverdicts + 1) * sizeof *rc->vcount);
    rc->verdicts[rc->nverdicts] = strdup(vs);
    rc->vcount[rc->nverdicts++] = 1;
}

/* findings/<id>-<transport>-<verdict>.json, the sidecar observation first:
 * the case file appearing is what makes a finding, and it is never partial. */
static void save_finding(run_ctx *rc, const ml_outcome *o, const char *vs)
{
    char *base;
    char slug[96], path[4096], err[512];
    size_t k = 0;
    for (const char *p = vs; *p && k + 1 < sizeof slug; p++)
        slug[k++] = (*p == ':' || *p == ',') ? '-' : *p;
    slug[k] = 0;
    snprintf(path, sizeof path, "%s/findings/%06llu-%s-%s.obs", rc->out,
             (unsigned long long)o->id, ml_transport_name(o->c.transport), slug);
    bool ok = ml_write_atomic(path, o->result_json, strlen(o->result_json), err, sizeof err);
    snprintf(path + strlen(path) - 4, 6, ".json");
    ok = ok && ml_write_atomic(path, o->case_json, strlen(o->case_json), err, sizeof err);
    base = strrchr(path, '/');
    ml_bugs_add(rc->bugs, &o->c, &o->r, &o->v, base ? base + 1 : path, (double)time(NULL), o->id);
    if (!ok && !rc->write_failed) {
        fprintf(stderr, "\nmemlayout run: %s\n", err);
        rc->write_failed = true;
    }
}

static void run_done(void *vctx, const ml_outcome *o)
{
    run_ctx *rc = vctx;
    char vs[256], ops[256], dt[8];
    ml_verdict_str(&o->v, vs, sizeof vs);
    rc->counts[o->v.kind]++;
    rc->per_transport[o->c.transport][o->v.kind]++;
    if (o->v.kind == ML_V_FAIL || o->v.kind == ML_V_ERROR) {
        save_finding(rc, o, vs);
        count_verdict(rc, vs);
    }
    ops_list(&o->c, ops, sizeof ops);
    fprintf(rc->results,
            "{\"id\":%llu,\"transport\":\"%s\",\"verdict\":\"%s\",\"ndim\":%d,\"order\":\"%c\","
            "\"source\":\"%s\",\"mode\":\"%s\",\"dtype\":\"%s\",\"ops\":\"%s\",\"seconds\":%.6f,"
            "\"t\":%.3f,\"view_ndim\":%d,\"layout\":\"%s\",\"child\":\"%s\"}\n",
            (unsigned long long)o->id, ml_transport_name(o->c.transport), vs, o->c.ndim,
            o->c.order, o->c.source == ML_SRC_NPY ? "npy" : "raw", ml_mode_name(o->c.mode),
            o->c.dtype.nfields ? "structured" : ml_scalar_str(&o->c.dtype.scalar, dt), ops,
            o->r.seconds, ml_now() - rc->start, o->r.parent.present ? o->r.parent.ndim : -1,
            ml_report_layout_class(&o->r.parent, true), ml_report_layout_class(&o->r.child, false));
}

static void run_tick(void *vctx)
{
    run_ctx *rc = vctx;
    fflush(rc->results);
    if (!rc->progress)
        return;
    double t = ml_now(), el = t - rc->start;
    if (!rc->tty && t - rc->last_progress < 30.0)
        return;   /* logs get a line every 30 s, terminals a live one */
    rc->last_progress = t;
    uint64_t done = rc->counts[0] + rc->counts[1] + rc->counts[2] + rc->counts[3];
    fprintf(stderr, "%s[%6.1fs] %llu cases  %.0f/s  findings %llu  invalid %llu%s",
            rc->tty ? "\r" : "", el, (unsigned long long)done, el > 0 ? done / el : 0.0,
            (unsigned long long)(rc->counts[ML_V_FAIL] + rc->counts[ML_V_ERROR]),
            (unsigned long long)rc->counts[ML_V_INVALID], rc->tty ? "   " : "\n");
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
    uint64_t total = rc->counts[0] + rc->counts[1] + rc->counts[2] + rc->counts[3];
    cJSON_AddNumberToObject(s, "cases", (double)total);
    cJSON_AddNumberToObject(s, "cases_per_second", elapsed > 0 ? total / elapsed : 0);
    cJSON_AddBoolToObject(s, "interrupted", interrupted);
    cJSON_AddNumberToObject(s, "restarts", (double)cp->restarts);
    static const char *kinds[] = {"pass", "fail", "error", "invalid"};
    cJSON *c = cJSON_AddObjectToObject(s, "counts");
    for (int k = 0; k < 4; k++)
        cJSON_AddNumberToObject(c, kinds[k], (double)rc->counts[k]);
    cJSON *pt = cJSON_AddObjectToObject(s, "per_transport");
    for (int t = 0; t < ML_T_COUNT; t++) {
        uint64_t sum = 0;
        for (int k = 0; k < 4; k++)
            sum += rc->per_transport[t][k];
        if (!sum)
            continue;
        cJSON *o = cJSON_AddObjectToObject(pt, ml_transport_name((ml_transport)t));
        for (int k = 0; k < 4; k++)
            cJSON_AddNumberToObject(o, kinds[k], (double)rc->per_transport[t][k]);
    }
    cJSON *vd = cJSON_AddObjectToObject(s, "findings");
    for (int i = 0; i < rc->nverdicts; i++)
        cJSON_AddNumberToObject(vd, rc->verdicts[i], (double)rc->vcount[i]);
    /* the bugs as triage (triage.json) and the report count them: by id, ranked */
    cJSON *bugs = cJSON_AddArrayToObject(s, "bugs");
    for (int i = 0; i < ml_bugs_count(rc->bugs); i++) {
        const ml_bug *g = ml_bugs_get(rc->bugs, i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", g->id);
        cJSON_AddStringToObject(o, "severity", ml_severity_name(g->sig.severity));
        cJSON_AddNumberToObject(o, "count", (double)g->count);
        cJSON_AddItemToArray(bugs, o);
    }
    char *text = cJSON_Print(s);
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/summary.json", rc->out);
    if (text && !ml_write_atomic(path, text, strlen(text), err, sizeof err))
        fprintf(stderr, "memlayout run: %s\n", err);
    free(text);
    cJSON_Delete(s);
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
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 nothing found, 1 findings, 2 bad arguments, 3 broken\n"
    "environment, 130 interrupted (findings so far are kept)\n";

int ml_cmd_run(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    run_ctx rc;
    memset(&rc, 0, sizeof rc);
    bool have_seed = false, minimize = true;
    double seconds = 0;
    enum { OPT_NO_MINIMIZE = 2100, OPT_REPORT, OPT_SYNC };
    const char *out = NULL, *report = NULL;
    rc.gen.transports = 1u << ML_T_REDUCE;
    static const struct option lo[] = {
        {"seed", required_argument, 0, 's'}, {"cases", required_argument, 0, 'n'},
        {"time", required_argument, 0, 't'}, {"transport", required_argument, 0, 'T'},
        {"out", required_argument, 0, 'o'}, {"max-ops", required_argument, 0, ML_OPT_MAX_OPS},
        {"max-ndim", required_argument, 0, ML_OPT_MAX_NDIM}, {"no-minimize", no_argument, 0, OPT_NO_MINIMIZE},
        {"report", required_argument, 0, OPT_REPORT}, {"sync", no_argument, 0, OPT_SYNC},
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
    char findings[4096];
    snprintf(findings, sizeof findings, "%s/findings", out);
    if (!ml_mkdirs(findings, err, sizeof err)) {
        fprintf(stderr, "memlayout run: --out: %s\n", err);
        return ML_EXIT_USAGE;
    }
    rc.out = out;
    char path[4096];
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    rc.results = fopen(path, "w");
    if (!rc.results) {
        fprintf(stderr, "memlayout run: --out: %s: %s\n", path, strerror(errno));
        return ML_EXIT_USAGE;
    }
    char *tmp = ml_tmpdir_create(err, sizeof err);
    if (!tmp) {
        fprintf(stderr, "memlayout run: %s\n", err);
        fclose(rc.results);
        return ML_EXIT_ENV;
    }
    ml_cli_install_signals();
    co.py.tmpdir = tmp;
    char logp[4096];
    snprintf(logp, sizeof logp, "%s/python.log", out);

    rc.bugs = ml_bugs_new();
    rc.tty = isatty(2);
    rc.progress = !co.quiet;
    rc.start = rc.last_progress = ml_now();
    if (seconds)
        rc.deadline = rc.start + seconds;
    rc.stop = &ml_cli_stop;
    if (!co.quiet)
        fprintf(stderr, "memlayout run: seed %llu, output in %s\n", (unsigned long long)rc.seed, out);

    ml_campaign cp;
    memset(&cp, 0, sizeof cp);
    cp.py = co.py;
    cp.jobs = co.jobs;
    cp.timeout = co.timeout;
    cp.batch = co.batch;
    cp.log_path = logp;
    cp.next = run_next;
    cp.done = run_done;
    cp.tick = run_tick;
    cp.ctx = &rc;
    cp.stop = &ml_cli_stop;
    ml_camp_status st = ml_campaign_run(&cp, err, sizeof err);
    double elapsed = ml_now() - rc.start;
    if (rc.progress && rc.tty)
        fputc('\n', stderr);
    fclose(rc.results);
    /* Each distinct bug minimized (per bug at most 300 cases or 10 s), into
     * OUT/triage.json and OUT/bugs/<id>.json. Not after an interrupt. */
    bool triaged = false;
    if (st == ML_CAMP_DONE && minimize && ml_bugs_count(rc.bugs)) {
        ml_minimize_opts mo = {.max_tries = 300, .max_seconds = 10, .lim = co.lim, .stop = &ml_cli_stop};
        char terr[1024];
        if (!co.quiet)
            fprintf(stderr, "memlayout run: minimizing %d distinct bug%s\n", ml_bugs_count(rc.bugs),
                    ml_bugs_count(rc.bugs) == 1 ? "" : "s");
        triaged = ml_bugs_finish(rc.bugs, &co.py, co.timeout, &mo, out, NULL, terr, sizeof terr);
        if (!triaged)
            fprintf(stderr, "memlayout run: triage: %s\n", terr);
    }
    ml_rmtree(tmp);
    free(tmp);
    if (st == ML_CAMP_ENV) {
        fprintf(stderr, "memlayout run: %s\n", err);
        return ML_EXIT_ENV;
    }
    ml_bugs_sort(rc.bugs);
    write_summary(&rc, &cp, argc, argv, elapsed, st == ML_CAMP_STOPPED);
    uint64_t total = rc.counts[0] + rc.counts[1] + rc.counts[2] + rc.counts[3];
    uint64_t nfind = rc.counts[ML_V_FAIL] + rc.counts[ML_V_ERROR];
    print_versions_line(stdout, cp.versions);
    printf("%llu cases in %.1f s (%.0f cases/s), seed %llu%s\n", (unsigned long long)total, elapsed,
           elapsed > 0 ? total / elapsed : 0.0, (unsigned long long)rc.seed,
           st == ML_CAMP_STOPPED ? ", interrupted" : "");
    printf("pass %llu, fail %llu, error %llu, invalid %llu\n", (unsigned long long)rc.counts[0],
           (unsigned long long)rc.counts[1], (unsigned long long)rc.counts[2], (unsigned long long)rc.counts[3]);
    for (int i = 0; i < rc.nverdicts; i++)
        printf("  %-40s %llu\n", rc.verdicts[i], (unsigned long long)rc.vcount[i]);
    if (nfind)
        printf("findings in %s/findings\n", out);
    int nbugs = ml_bugs_count(rc.bugs);
    if (nbugs) {
        printf("%d distinct bug%s, most harmful first%s\n", nbugs, nbugs == 1 ? "" : "s",
               triaged ? "" : " (not minimized)");
        for (int i = 0; i < nbugs; i++) {
            const ml_bug *g = ml_bugs_get(rc.bugs, i);
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
    if (!report || strcmp(report, "none"))
        ml_report_after_run(out, report, false);
    ml_bugs_free(rc.bugs);
    free(cp.versions);
    for (int i = 0; i < rc.nverdicts; i++)
        free(rc.verdicts[i]);
    free(rc.verdicts);
    free(rc.vcount);
    if (st == ML_CAMP_STOPPED)
        return ml_cli_interrupted_exit();
    if (rc.write_failed)
        return ML_EXIT_ENV;
    return nfind ? ML_EXIT_FINDINGS : ML_EXIT_OK;
}

/* memlayout replay: run case files or directories and print verdicts. */
#include "campaign.h"
#include "case.h"
#include "cli.h"
#include "fsutil.h"
#include "oracle.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *path;
    ml_case c;
} replay_case;

typedef struct {
    replay_case *cases;
    int n, pos;
    char **lines;        /* per id: the line to print */
    int *kinds;
    bool show_obs;
} replay_ctx;

static bool replay_next(void *vctx, ml_case *c)
{
    replay_ctx *rx = vctx;
    if (rx->pos >= rx->n)
        return false;
    *c = rx->cases[rx->pos++].c;
    return true;
}

static void fmt_obs(char *buf, size_t len, const ml_obs *o)
{
    size_t n = (size_t)snprintf(buf, len, "%s%s strides [", o->c ? "C" : "", o->f ? "F" : "");
    if (!o->c && !o->f)
        n = (size_t)snprintf(buf, len, "- strides [");
    for (int i = 0; i < o->ndim && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%lld", i ? "," : "", (long long)o->strides[i]);
    if (n < len)
        snprintf(buf + n, len - n, "]%s", o->writeable ? " writeable" : "");
}

static void replay_done(void *vctx, const ml_outcome *o)
{
    replay_ctx *rx = vctx;
    char vs[256], line[2048];
    ml_verdict_str(&o->v, vs, sizeof vs);
    char shown[1024];
    int n = snprintf(line, sizeof line, "%s [%s]: %s", ml_printable(rx->cases[o->id].path, shown, sizeof shown),
                     ml_transport_name(o->c.transport), vs);
    if (o->v.kind == ML_V_FAIL && o->r.parent.present && o->r.child.present) {
        char p[256], c[256];
        fmt_obs(p, sizeof p, &o->r.parent);
        fmt_obs(c, sizeof c, &o->r.child);
        snprintf(line + n, sizeof line - n, "\n    parent %s\n    child  %s", p, c);
    } else if ((o->v.kind == ML_V_ERROR || o->v.kind == ML_V_INVALID) && o->r.message[0]) {
        snprintf(line + n, sizeof line - n, "\n    %s", o->r.message);
    }
    if (rx->show_obs) {
        size_t l = strlen(line);
        snprintf(line + l, sizeof line - l, "\n    %.1900s", o->result_json);
    }
    rx->lines[o->id] = strdup(line);
    rx->kinds[o->id] = o->v.kind;
}

static const char replay_help[] =
    "usage: memlayout replay [options] FILE|DIR...\n"
    "\n"
    "Run case files (DIR: every *.json below it) and print each verdict.\n"
    "\n"
    "  -T, --transport L    run every case through each of these transports\n"
    "                       instead of its own (comma-separated, all, pickle)\n"
    "      --show-obs       print the runner's observation of each case\n"
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 all pass, 1 any fail or error verdict, 2 bad input (a case\n"
    "that does not parse or that NumPy refuses to build), 3 broken environment,\n"
    "130 interrupted by SIGINT, 143 SIGTERM, 129 SIGHUP\n";

int ml_cmd_replay(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    co.batch = 16;
    uint32_t override = 0;
    bool show_obs = false;
    enum { OPT_SHOW_OBS = 2000 };
    static const struct option lo[] = {
        {"transport", required_argument, 0, 'T'}, {"show-obs", no_argument, 0, OPT_SHOW_OBS},
        ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "T:j:qh", lo, NULL)) != -1) {
        if (ml_cli_common_option("replay", opt, &co))
            continue;
        switch (opt) {
        case 'T': override = ml_cli_transports("replay", optarg); break;
        case OPT_SHOW_OBS: show_obs = true; break;
        case 'h': fputs(replay_help, stdout); return ML_EXIT_OK;
        default: fputs(replay_help, stderr); return ML_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        ml_cli_usage("replay", "expected case files or directories%s", "");
    int env_rc = ml_cli_common_env("replay", &co);
    if (env_rc)
        return env_rc;

    replay_ctx rx;
    memset(&rx, 0, sizeof rx);
    rx.show_obs = show_obs;
    int cap = 0, bad = 0;
    char err[1024];
    for (int a = optind; a < argc; a++) {
        char **files;
        int nf = ml_list_cases(argv[a], &files, err, sizeof err);
        if (nf < 0) {
            fprintf(stderr, "memlayout replay: %s\n", err);
            return ML_EXIT_USAGE;
        }
        for (int i = 0; i < nf; i++) {
            ml_case c;
            if (!ml_case_load(files[i], &co.lim, &c, err, sizeof err)) {
                char shown[1024];
                fprintf(stderr, "%s: %s\n", ml_printable(files[i], shown, sizeof shown), err);
                bad++;
                free(files[i]);
                continue;
            }
            for (int t = 0; t < ML_T_COUNT; t++) {
                if (override && !(override & (1u << t)))
                    continue;
                if (rx.n == cap) {
                    cap = cap ? cap * 2 : 64;
                    rx.cases = realloc(rx.cases, cap * sizeof *rx.cases);
                }
                rx.cases[rx.n].path = strdup(files[i]);
                rx.cases[rx.n].c = c;
                if (override)
                    rx.cases[rx.n].c.transport = (ml_transport)t;
                rx.n++;
                if (!override)
                    break;
            }
            free(files[i]);
        }
        free(files);
    }
    if (bad)
        return ML_EXIT_USAGE;
    if (!rx.n) {
        fprintf(stderr, "memlayout replay: no case files found\n");
        return ML_EXIT_USAGE;
    }
    rx.lines = calloc(rx.n, sizeof *rx.lines);
    rx.kinds = calloc(rx.n, sizeof *rx.kinds);
    ml_cli_install_signals();
    char *tmp = ml_tmpdir_create(err, sizeof err);
    if (!tmp) {
        fprintf(stderr, "memlayout replay: %s\n", err);
        return ML_EXIT_ENV;
    }
    co.py.tmpdir = tmp;
    ml_campaign cp;
    memset(&cp, 0, sizeof cp);
    cp.py = co.py;
    cp.jobs = co.jobs;
    cp.timeout = co.timeout;
    cp.batch = co.batch;
    cp.next = replay_next;
    cp.done = replay_done;
    cp.ctx = &rx;
    cp.stop = &ml_cli_stop;
    ml_camp_status st = ml_campaign_run(&cp, err, sizeof err);
    ml_rmtree(tmp);
    free(tmp);
    if (st == ML_CAMP_ENV)
        fprintf(stderr, "memlayout replay: %s\n", err);
    int counts[4] = {0};
    for (int i = 0; i < rx.n; i++) {
        if (!rx.lines[i])
            continue;
        if (st != ML_CAMP_ENV)
            puts(rx.lines[i]);
        counts[rx.kinds[i]]++;
        free(rx.lines[i]);
    }
    if (st != ML_CAMP_ENV)
        printf("replay: %d cases, %d pass, %d fail, %d error, %d invalid\n", rx.n,
               counts[ML_V_PASS], counts[ML_V_FAIL], counts[ML_V_ERROR], counts[ML_V_INVALID]);
    for (int i = 0; i < rx.n; i++)
        free(rx.cases[i].path);
    free(rx.cases);
    free(rx.lines);
    free(rx.kinds);
    free(cp.versions);
    if (st == ML_CAMP_ENV)
        return ML_EXIT_ENV;
    if (st == ML_CAMP_STOPPED)
        return ml_cli_interrupted_exit();
    if (counts[ML_V_INVALID])
        return ML_EXIT_USAGE;
    return counts[ML_V_FAIL] + counts[ML_V_ERROR] ? ML_EXIT_FINDINGS : ML_EXIT_OK;
}

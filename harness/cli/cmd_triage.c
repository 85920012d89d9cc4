/* memlayout triage: the distinct bugs among a run's findings, each minimized (triage.h). */
#include "cli.h"
#include "fsutil.h"
#include "minimize.h"
#include "session.h"
#include "store.h"
#include "triage.h"

#include <cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char triage_help[] =
    "usage: memlayout triage [options] DIR\n"
    "\n"
    "List the distinct bugs among findings: DIR is a run's output directory\n"
    "(its findings/ is read), a fuzz session's work dir or finding store\n"
    "(MLF_FINDINGS: its minimized findings and the raw ones not minimized yet),\n"
    "or a directory of finding case files, each with its observation (.obs)\n"
    "beside it when there is one (else the case is run).\n"
    "Findings are grouped into bugs, one per root cause (transport kind, defect,\n"
    "and the layout facts that cause it; a finding showing two defects counts\n"
    "toward both: docs/oracle.md), ranked by severity (corrupt, error, layout,\n"
    "representation), then count. Each bug is shown with a one-sentence\n"
    "summary, its variants (the verdicts it was seen with), count, first-seen\n"
    "time (the finding file's time), its earliest finding and that finding\n"
    "minimized for the bug's own defect.\n"
    "\n"
    "  -o, --out DIR        write DIR/triage.json and DIR/bugs/<id>.json (DIR: a\n"
    "                       new, empty or memlayout directory; locked as a run's)\n"
    "      --confirm        replay each bug's case through the real processes\n"
    "                       its transport stands for (reduce: loky and\n"
    "                       multiprocessing; reference: the same with the\n"
    "                       reference reducer; others: themselves; plus the\n"
    "                       worker transport a fuzz finding's input asked for):\n"
    "                       CONFIRMED when one shows the bug, else in-process only\n"
    "      --no-minimize    group and count only (no Python needed when every\n"
    "                       finding has its .obs)\n"
    "      --max-tries N    minimizing: cases judged per bug (default 300)\n"
    "      --max-seconds S  minimizing: seconds per bug (default 30)\n"
    "      --json           print triage.json instead of the listing\n"
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 no findings, 1 bugs listed, 2 bad arguments or no finding\n"
    "could be read, 3 broken\n"
    "environment, 130 interrupted (143 SIGTERM, 129 SIGHUP)\n";

static double file_mtime(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    return st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
}

enum { OPT_JSON = 4000, OPT_MAX_SECONDS, OPT_MAX_TRIES, OPT_NO_MINIMIZE, OPT_CONFIRM };

/* The transport each bug's example asked for: a fuzz finding's original
 * beside it (the entry its first_name names), else ML_T_COUNT. */
static ml_transport *asked_transports(ml_bugs *b, const ml_store_entry *files, int nf, const ml_limits *lim)
{
    ml_transport *asked = malloc(sizeof *asked * (size_t)(ml_bugs_count(b) + 1));
    for (int i = 0; asked && i < ml_bugs_count(b); i++) {
        const ml_bug *g = ml_bugs_get(b, i);
        asked[i] = ML_T_COUNT;
        for (int k = 0; k < nf; k++) {
            ml_case o;
            char err[ML_ERR_MAX];
            if (files[k].orig && !strcmp(ml_cli_base_name(files[k].path), g->first_name) &&
                ml_case_load(files[k].orig, lim, &o, err, sizeof err)) {
                asked[i] = o.transport;
                break;
            }
        }
    }
    return asked;
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
    bool minimize = true, json = false, confirm = false;
    static const struct option lo[] = {
        {"out", required_argument, 0, 'o'}, {"no-minimize", no_argument, 0, OPT_NO_MINIMIZE},
        {"max-tries", required_argument, 0, OPT_MAX_TRIES},
        {"max-seconds", required_argument, 0, OPT_MAX_SECONDS}, {"json", no_argument, 0, OPT_JSON},
        {"confirm", no_argument, 0, OPT_CONFIRM},
        ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "o:j:qh", lo, NULL)) != -1) {
        if (ml_cli_common_option("triage", opt, &co))
            continue;
        switch (opt) {
        case 'o': out = optarg; break;
        case OPT_NO_MINIMIZE: minimize = false; break;
        case OPT_JSON: json = true; break;
        case OPT_CONFIRM: confirm = true; break;
        case OPT_MAX_TRIES: mo.max_tries = (int)ml_cli_int("triage", "--max-tries", optarg, 1, 1000000); break;
        case OPT_MAX_SECONDS: mo.max_seconds = ml_cli_seconds("triage", "--max-seconds", optarg); break;
        case 'h': fputs(triage_help, stdout); return ML_EXIT_OK;
        default: fputs(triage_help, stderr); return ML_EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        ml_cli_usage("triage", "expected one directory%s", "");
    int env_rc = ml_cli_common_env("triage", &co);
    if (env_rc)
        return env_rc;
    if (minimize)
        co.py.detail = true;   /* the minimized cases' observations show values */
    const char *dir = argv[optind];
    char fdir[4096], err[1024];
    struct stat st;
    snprintf(fdir, sizeof fdir, "%s/findings", dir);
    if (stat(fdir, &st) != 0 || !S_ISDIR(st.st_mode))
        snprintf(fdir, sizeof fdir, "%s", dir);
    if (stat(fdir, &st) != 0 || !S_ISDIR(st.st_mode))
        ml_cli_usage("triage", "\"%s\" is not a directory", dir);
    ml_store_entry *files;
    int nf = ml_store_list_findings(fdir, &files, err, sizeof err);
    if (nf < 0) {
        fprintf(stderr, "memlayout triage: %s\n", err);
        return ML_EXIT_USAGE;
    }
    /* --out: refused or busy at once, not after minutes of minimizing */
    ml_store *os = NULL;
    if (out) {
        ml_store_status ost;
        if (!(os = ml_store_open_out(out, &ost, err, sizeof err))) {
            char shown[1024];
            fprintf(stderr, "memlayout triage: --out: %s\n", ml_printable(err, shown, sizeof shown));
            ml_store_entries_free(files, nf);
            return ost == ML_STORE_REFUSED ? ML_EXIT_USAGE : ML_EXIT_ENV;
        }
    }
    int raw_left = 0;
    for (int i = 0; i < nf; i++)
        raw_left += files[i].raw;
    mo.lim = co.lim;
    mo.stop = &ml_cli_stop;
    ml_cli_install_signals();

    ml_bugs *bugs = ml_bugs_new();
    ml_session *s = NULL, *cs = NULL, *ref = NULL;   /* judging and minimizing; confirming */
    char *tmp = NULL, *ctmp = NULL, *rtmp = NULL;
    ml_transport *asked = NULL;
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
        const ml_store_entry *f = &files[i];
        if (!ml_case_load(f->path, &co.lim, c, err, sizeof err)) {
            char shown[1024];
            fprintf(stderr, "memlayout triage: %s: skipped: %s\n", ml_printable(f->path, shown, sizeof shown), err);
            skipped++;
            continue;
        }
        /* the run's finding id leads the name; else the listing order */
        const char *name = ml_cli_base_name(f->path);
        uint64_t order = f->has_id ? f->id : (uint64_t)i;
        /* the verdict is the oracle's reading of the observation, not the name's */
        char *otext = f->obs ? ml_read_file(f->obs, 16 << 20, &len, err, sizeof err) : NULL;
        ml_verdict v;
        if (otext && ml_result_parse(otext, len, r, err, sizeof err)) {
            v = ml_oracle_judge(c, r);
        } else {
            if (!s && !(s = ml_cli_open_session("triage", &co, NULL, &tmp))) {
                free(otext);
                rc = ml_cli_stop ? ml_cli_interrupted_exit() : ML_EXIT_ENV;
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
        ml_bugs_add(bugs, c, r, &v, name, file_mtime(f->path), order);
    }
    /* a run that kept some files per bug (--keep) counted them all: its summary says how many */
    ml_store_complete_counts(fdir, bugs);
    ml_bugs_sort(bugs);
    if (minimize && ml_bugs_count(bugs) && !ml_cli_stop) {
        if (!s && !(s = ml_cli_open_session("triage", &co, NULL, &tmp))) {
            rc = ml_cli_stop ? ml_cli_interrupted_exit() : ML_EXIT_ENV;
            goto done;
        }
        if (!ml_bugs_minimize(bugs, s, &mo, co.quiet ? NULL : stderr, err, sizeof err)) {
            fprintf(stderr, "memlayout triage: %s\n", err);
            rc = ML_EXIT_ENV;
            goto done;
        }
    }
    if (confirm && ml_bugs_count(bugs) && !ml_cli_stop) {
        bool need_ref = false;
        for (int i = 0; i < ml_bugs_count(bugs); i++) {
            const ml_bug *g = ml_bugs_get(bugs, i);
            need_ref |= (g->minimized ? g->min : g->example).transport == ML_T_REFERENCE;
        }
        ml_cli_common cc = co;
        cc.py.detail = false;
        cc.py.reducer = "joblib";
        if (s && !strcmp(co.py.reducer, "joblib"))
            cs = s;
        else if (!(cs = ml_cli_open_session("triage", &cc, NULL, &ctmp))) {
            rc = ml_cli_stop ? ml_cli_interrupted_exit() : ML_EXIT_ENV;
            goto done;
        }
        cc.py.reducer = "reference";
        if (need_ref && !(ref = ml_cli_open_session("triage", &cc, NULL, &rtmp))) {
            rc = ml_cli_stop ? ml_cli_interrupted_exit() : ML_EXIT_ENV;
            goto done;
        }
        asked = asked_transports(bugs, files, nf, &co.lim);
        if (!asked || !ml_bugs_confirm(bugs, cs, ref, asked, err, sizeof err)) {
            fprintf(stderr, "memlayout triage: %s\n", asked ? err : "out of memory");
            rc = ML_EXIT_ENV;
            goto done;
        }
    }
    if (skipped && !ml_bugs_findings(bugs) && !ml_cli_stop) {
        char shown[1024];
        fprintf(stderr, "memlayout triage: %s: no finding could be read (%d file%s skipped)\n",
                ml_printable(dir, shown, sizeof shown), skipped, skipped == 1 ? "" : "s");
        rc = ML_EXIT_USAGE;
        goto done;
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
        if (raw_left) {
            char shown[1024];
            printf("\n%d raw finding%s in %s/raw not minimized yet: the fuzz target minimizes them "
                   "(make fuzz-findings)\n", raw_left, raw_left == 1 ? "" : "s",
                   ml_printable(fdir, shown, sizeof shown));
        }
    }
    if (os && !ml_store_write_triage(os, bugs)) {
        fprintf(stderr, "memlayout triage: --out: %s\n", ml_store_error(os));
        rc = ML_EXIT_ENV;
        goto done;
    }
    rc = ml_cli_stop ? ml_cli_interrupted_exit() : ml_bugs_count(bugs) ? ML_EXIT_FINDINGS : ML_EXIT_OK;
done:
    if (cs != s)
        ml_cli_close_session(cs, ctmp);
    ml_cli_close_session(ref, rtmp);
    ml_cli_close_session(s, tmp);
    ml_store_close(os);
    free(asked);
    ml_store_entries_free(files, nf);
    free(c);
    free(r);
    free(o);
    ml_bugs_free(bugs);
    return rc;
}

/* memlayout ci: the regression job, cases against baselines (baseline.h),
 * with JUnit and SARIF outputs (ciout.h). */
#include "baseline.h"
#include "case_set.h"
#include "ciout.h"
#include "cli.h"
#include "fsutil.h"
#include "rev_bisect.h"
#include "signature.h"
#include "store.h"

#include <cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char ci_help[] =
    "usage: memlayout ci [options] DIR\n"
    "\n"
    "The regression job: replay a corpus and read every verdict against the\n"
    "baseline of this environment (joblib and NumPy versions, and the reducer).\n"
    "DIR holds the cases in DIR/cases/ (else in DIR itself) and the baseline in\n"
    "DIR/baseline.json; when DIR is the cases folder itself and has no baseline,\n"
    "the one in its parent is used. A known failure is expected (xfail); a new or changed\n"
    "failure fails the job; a known failure that passes now (fixed upstream) is\n"
    "an XPASS and fails the job unless --allow-fixed. Update the baseline with\n"
    "--update-baseline once a change is understood.\n"
    "\n"
    "      --junit FILE     JUnit XML: one testcase per case file\n"
    "      --sarif FILE     SARIF 2.1.0: one result per case that is not a plain pass\n"
    "  -o, --out DIR        results.jsonl, summary.json and findings/ as `run`\n"
    "                       writes them (for `memlayout report DIR`); locked and\n"
    "                       replaced as `run` does (every finding file is kept)\n"
    "      --force          replace what DIR holds even when it is not a memlayout\n"
    "                       run directory\n"
    "      --baseline FILE  the baseline (default DIR/baseline.json, else\n"
    "                       DIR/../baseline.json when DIR has no cases/ folder)\n"
    "      --env-name NAME  baseline key (default joblib-V+numpy-V[+reference])\n"
    "      --allow-fixed    an XPASS does not fail the job\n"
    "      --fail-on LIST   only new or changed failures of these severities fail\n"
    "                       the job: corrupt, error, layout, representation\n"
    "                       (default all; the others are reported, SARIF level note)\n"
    "      --update-baseline  write this environment's verdicts into the baseline\n"
    "\n"
    "A commit range for each new failure (the bisection of memlayout bisect):\n"
    "      --repo DIR       a git checkout of the package under test (joblib\n"
    "                       unless --package): after the run, each NEW or\n"
    "                       CHANGED case is bisected between --old and --new,\n"
    "                       the package taken from each commit (git archive,\n"
    "                       first on sys.path), the case in a fresh Python per\n"
    "                       commit; xfail, XPASS and invalid cases are not\n"
    "                       bisected, and the baseline key stays the one of\n"
    "                       this run's environment. The range is printed under\n"
    "                       the case (\"range: first changed commit SHA DATE\n"
    "                       SUBJECT (regression)\", \"no change between OLD and\n"
    "                       NEW\", or the range widened over skipped commits),\n"
    "                       ends the case's JUnit text, is its SARIF result's\n"
    "                       properties.range, and with --out the bisections\n"
    "                       are written to DIR/ci-bisect.json\n"
    "      --old REV        the reference commit (required with --repo)\n"
    "      --new REV        a later commit, --old its ancestor (default HEAD)\n"
    "      --package NAME   the import name of the package (default joblib)\n"
    "      --subdir PATH    its folder in the repository (default NAME, else\n"
    "                       src/NAME)\n"
    "      --max-bisect N   bisect at most N cases, in corpus order (default 5);\n"
    "                       the others are named as left out\n"
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 every verdict as expected (or the baseline was updated),\n"
    "1 new or changed failures, or XPASS without --allow-fixed, 2 bad arguments\n"
    "or cases (also a case NumPy refuses to build; an --out that is a link,\n"
    "another user's or not a run directory; with --repo: not a git repository,\n"
    "an unknown revision, --old not an ancestor of --new), 3 broken environment\n"
    "(also an --out in use by another memlayout, a write error, git failing\n"
    "during a bisection), 130 interrupted (143 SIGTERM, 129 SIGHUP; during a\n"
    "bisection too, its temp trees removed). A case with no verdict at --old\n"
    "or --new (the package does not import there) gets that reason as its\n"
    "range; the exit status stays the job's.\n";

/* DIR/results.jsonl, summary.json and findings/ as `run` writes them
 * (store.h), each line carrying the case, its expectation and the
 * environment. */
static bool ci_write_out(ml_store *store, const ml_case_set *cs, char *const *keys, char *const *expected,
                         const ml_expect *st, const char *env, const char *versions, int argc, char **argv)
{
    ml_result *r = malloc(sizeof *r);
    for (int i = 0; r && i < cs->n && !ml_store_error(store); i++) {
        const ml_case *c = &cs->cases[i];
        const char *v = cs->verdict[i] ? cs->verdict[i] : "error:protocol";
        ml_store_line l = {.id = (uint64_t)i, .c = c, .verdict = v, .seconds = cs->seconds[i],
                           .case_key = keys[i], .expected = expected[i], .status = ml_expect_name(st[i]),
                           .env = env};
        /* a finding's bugs: the oracle's reading of its observation */
        char e[256];
        const char *obs = cs->result_json[i];
        bool judged = obs && ml_result_parse(obs, strlen(obs), r, e, sizeof e);
        ml_verdict vd = judged ? ml_oracle_judge(c, r) : (ml_verdict){.kind = cs->kind[i]};
        ml_store_add(store, &l, NULL, obs, judged ? r : NULL, judged ? &vd : NULL);
    }
    free(r);
    cJSON *s = cJSON_CreateObject();
    cJSON *cmd = cJSON_AddArrayToObject(s, "command");
    cJSON_AddItemToArray(cmd, cJSON_CreateString("memlayout"));
    for (int i = 0; i < argc; i++)
        cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    cJSON_AddStringToObject(s, "memlayout", ML_VERSION);
    cJSON *vj = versions ? cJSON_Parse(versions) : NULL;
    cJSON_AddItemToObject(s, "versions", vj ? vj : cJSON_CreateNull());
    cJSON_AddStringToObject(s, "env", env);
    bool ok = ml_store_finish(store, s);
    if (!ok)
        fprintf(stderr, "memlayout ci: --out: %s\n", ml_store_error(store));
    return ok;
}

enum { OPT_ALLOW_FIXED = 4000, OPT_BASELINE, OPT_ENV_NAME, OPT_JUNIT, OPT_SARIF, OPT_UPDATE, OPT_FAIL_ON, OPT_FORCE,
       OPT_REPO, OPT_OLD, OPT_NEW, OPT_PACKAGE, OPT_SUBDIR, OPT_MAX_BISECT };

/* One case's bisection: its range as one line, and as the object of the
 * SARIF result and of ci-bisect.json (bisect.json's document without its
 * steps, or the reason there is no range). */
static void range_of(const ml_rb_range *rg, const ml_case *c, const char *path, char **line, char **json,
                     cJSON *doc, ml_rb_status *st)
{
    ml_rb_out ro;
    *st = ml_rb_case(rg, c, path, 0, NULL, false, &ro);
    char buf[2048];
    cJSON *j = ro.json;
    if (j) {
        ml_rb_line(j, buf, sizeof buf);
        cJSON_DeleteItemFromObjectCaseSensitive(j, "steps");
    } else {
        snprintf(buf, sizeof buf, "%s", *st == ML_RB_STOPPED ? "interrupted" : ro.err);
        j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "result", *st == ML_RB_BROKEN || *st == ML_RB_STOPPED ? "error" : "no verdict");
        cJSON_AddStringToObject(j, "reason", buf);
    }
    *line = strdup(buf);
    *json = cJSON_PrintUnformatted(j);
    cJSON_AddItemToObject(doc, "bisect", j);
}


/* "corrupt,error" -> 1u << ml_severity each; exits with a one-line error on a bad name. */
static uint32_t parse_fail_on(const char *list)
{
    uint32_t mask = 0;
    char *copy = strdup(list), *save = NULL;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
        ml_severity sv;
        if (!ml_severity_from_name(t, &sv))
            ml_cli_usage("ci", "--fail-on: unknown severity \"%s\" (corrupt, error, layout, representation)", t);
        mask |= 1u << sv;
    }
    free(copy);
    if (!mask)
        ml_cli_usage("ci", "--fail-on: no severity in \"%s\"", list);
    return mask;
}

int ml_cmd_ci(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    co.batch = 16;
    const char *junit = NULL, *sarif = NULL, *bpath = NULL, *env_name = NULL, *out = NULL;
    bool allow_fixed = false, update = false;
    uint32_t fail_on = 0;
    static const struct option lo[] = {
        {"fail-on", required_argument, 0, OPT_FAIL_ON},
        {"junit", required_argument, 0, OPT_JUNIT}, {"sarif", required_argument, 0, OPT_SARIF},
        {"baseline", required_argument, 0, OPT_BASELINE}, {"env-name", required_argument, 0, OPT_ENV_NAME},
        {"allow-fixed", no_argument, 0, OPT_ALLOW_FIXED}, {"update-baseline", no_argument, 0, OPT_UPDATE},
        {"out", required_argument, 0, 'o'}, {"force", no_argument, 0, OPT_FORCE},
        {"repo", required_argument, 0, OPT_REPO}, {"old", required_argument, 0, OPT_OLD},
        {"new", required_argument, 0, OPT_NEW}, {"package", required_argument, 0, OPT_PACKAGE},
        {"subdir", required_argument, 0, OPT_SUBDIR}, {"max-bisect", required_argument, 0, OPT_MAX_BISECT},
        ML_CLI_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    ml_store_opts so = {.keep = 0};
    ml_rb_range rg = {.co = &co, .package = "joblib", .new_rev = "HEAD"};
    const char *range_opt = NULL;   /* a range option given, for "needs --repo" */
    int max_bisect = 5;
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
        case OPT_FAIL_ON: fail_on = parse_fail_on(optarg); break;
        case OPT_UPDATE: update = true; break;
        case 'o': out = optarg; break;
        case OPT_FORCE: so.force = true; break;
        case OPT_REPO: rg.repo = optarg; break;
        case OPT_OLD: rg.old_rev = optarg; range_opt = "--old"; break;
        case OPT_NEW: rg.new_rev = optarg; range_opt = "--new"; break;
        case OPT_PACKAGE: rg.package = optarg; range_opt = "--package"; break;
        case OPT_SUBDIR: rg.subdir = optarg; range_opt = "--subdir"; break;
        case OPT_MAX_BISECT:
            max_bisect = (int)ml_cli_int("ci", "--max-bisect", optarg, 0, 100000);
            range_opt = "--max-bisect";
            break;
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
    if (range_opt && !rg.repo)
        ml_cli_usage("ci", "%s: needs --repo", range_opt);
    if (rg.repo) {
        int rrc = ml_rb_open("ci", &rg);
        if (rrc)
            return rrc;
    }
    int env_rc = ml_cli_common_env("ci", &co);
    if (env_rc) {
        ml_rb_close(&rg);
        return env_rc;
    }
    char cdir[4096], bdef[4096], err[1024];
    snprintf(cdir, sizeof cdir, "%s/cases", dir);
    bool cases_in_dir = !(stat(cdir, &sb) == 0 && S_ISDIR(sb.st_mode));   /* DIR holds the cases */
    if (cases_in_dir)
        snprintf(cdir, sizeof cdir, "%s", dir);
    snprintf(bdef, sizeof bdef, "%s/baseline.json", dir);
    if (cases_in_dir && access(bdef, F_OK) != 0) {
        /* DIR is the cases folder of a corpus (corpus/regress/cases): the
         * baseline lives beside it, as `memlayout ci corpus/regress` reads it */
        char up[sizeof bdef];
        snprintf(up, sizeof up, "%s/../baseline.json", dir);
        if (access(up, F_OK) == 0)
            snprintf(bdef, sizeof bdef, "%s", up);
    }
    if (!bpath)
        bpath = bdef;
    bool existed;
    ml_baseline *base = ml_baseline_load(bpath, &existed, err, sizeof err);
    if (!base) {
        fprintf(stderr, "memlayout ci: --baseline: %s\n", err);
        ml_rb_close(&rg);
        return ML_EXIT_USAGE;
    }
    ml_case_set cs;
    char *cpaths[1] = {cdir};
    if (!ml_case_set_load("ci", &cs, 1, cpaths, bpath, &co.lim)) {
        ml_case_set_free(&cs);
        ml_baseline_free(base);
        ml_rb_close(&rg);
        return ML_EXIT_USAGE;
    }
    /* --out locked before the cases run: a second job on it is refused at once */
    ml_store *store = NULL;
    if (out) {
        ml_store_status sst;
        store = ml_store_open(out, &so, &sst, err, sizeof err);
        if (!store) {
            fprintf(stderr, "memlayout ci: --out: %s\n", err);
            ml_case_set_free(&cs);
            ml_baseline_free(base);
            ml_rb_close(&rg);
            return sst == ML_STORE_REFUSED ? ML_EXIT_USAGE : ML_EXIT_ENV;
        }
    }
    ml_cli_install_signals();
    char *versions = NULL;
    ml_camp_status cst = ml_case_set_run("ci", &co, &co.py, &cs, &versions);
    if (cst == ML_CAMP_ENV) {
        ml_store_close(store);
        ml_case_set_free(&cs);
        ml_baseline_free(base);
        ml_rb_close(&rg);
        return ML_EXIT_ENV;
    }
    char env[256], vline[256];
    if (env_name)
        snprintf(env, sizeof env, "%s", env_name);
    else
        ml_env_key(versions, co.py.reducer, env, sizeof env);
    ml_cli_versions_line(versions, vline, sizeof vline);

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
        rows[i] = (ml_ci_row){.path = cs.paths[i], .key = keys[i],
                              .transport = ml_transport_name(cs.cases[i].transport),
                              .verdict = v, .expected = expected[i], .status = st[i],
                              .detail = cs.detail[i], .seconds = cs.seconds[i],
                              .severity = cs.severity[i], .bug = cs.bug[i][0] ? cs.bug[i] : NULL};
    }
    char hint[4400];
    snprintf(hint, sizeof hint, "memlayout ci %s --update-baseline%s%s%s%s%s%s%s%s%s", dir,
             strcmp(co.py.reducer, "joblib") ? " --reducer " : "",
             strcmp(co.py.reducer, "joblib") ? co.py.reducer : "", env_name ? " --env-name " : "",
             env_name ? env_name : "", bpath == bdef ? "" : " --baseline ", bpath == bdef ? "" : bpath,
             co.with_reqs ? " --with \"" : "", co.with_reqs ? co.with_reqs : "", co.with_reqs ? "\"" : "");
    ml_ci_meta meta = {.suite = "memlayout regress", .env = env, .version = ML_VERSION,
                       .allow_fixed = allow_fixed, .update_hint = hint, .fail_on = fail_on};
    for (int i = 0; i < cs.n; i++)
        fails += rows[i].path && ml_ci_row_fails_job(&rows[i], &meta) && st[i] != ML_EXPECT_INVALID;
    int ran = 0;
    for (int i = 0; i < cs.n; i++)
        ran += rows[i].path != NULL;

    /* --repo: the commit range of each new or changed failure */
    char **rline = calloc((size_t)cs.n, sizeof *rline), **rjson = calloc((size_t)cs.n, sizeof *rjson);
    cJSON *bdoc = NULL;
    int nbisect = 0, left_out = 0, bisect_rc = 0;
    if (rg.repo && cst != ML_CAMP_STOPPED) {
        bdoc = cJSON_CreateObject();
        cJSON_AddStringToObject(bdoc, "memlayout", ML_VERSION);
        char *rp = realpath(rg.repo, NULL);
        cJSON_AddStringToObject(bdoc, "repo", rp ? rp : rg.repo);
        free(rp);
        cJSON_AddStringToObject(bdoc, "package", rg.package);
        cJSON_AddStringToObject(bdoc, "old", rg.old_sha);
        cJSON_AddStringToObject(bdoc, "new", rg.new_sha);
        cJSON_AddStringToObject(bdoc, "env", env);
        cJSON_AddNumberToObject(bdoc, "max_bisect", max_bisect);
        cJSON *jcases = cJSON_AddArrayToObject(bdoc, "cases"), *jleft = cJSON_AddArrayToObject(bdoc, "left_out");
        for (int i = 0; i < cs.n && !bisect_rc; i++) {
            if (!rows[i].path || (st[i] != ML_EXPECT_NEW && st[i] != ML_EXPECT_CHANGED))
                continue;
            if (nbisect == max_bisect) {
                cJSON_AddItemToArray(jleft, cJSON_CreateString(keys[i]));
                left_out++;
                continue;
            }
            nbisect++;
            if (!co.quiet) {
                char shown[1024];
                printf("ci: bisecting %s over %d commit%s of %s (%.12s..%.12s)\n",
                       ml_printable(keys[i], shown, sizeof shown), rg.n, rg.n == 1 ? "" : "s", rg.package,
                       rg.old_sha, rg.new_sha);
                fflush(stdout);
            }
            cJSON *jc = cJSON_CreateObject();
            cJSON_AddStringToObject(jc, "case", keys[i]);
            cJSON_AddStringToObject(jc, "status", ml_expect_name(st[i]));
            cJSON_AddStringToObject(jc, "verdict", rows[i].verdict);
            ml_rb_status bst;
            range_of(&rg, &cs.cases[i], cs.paths[i], &rline[i], &rjson[i], jc, &bst);
            cJSON_AddStringToObject(jc, "range", rline[i] ? rline[i] : "");
            cJSON_AddItemToArray(jcases, jc);
            rows[i].range = rline[i];
            rows[i].range_json = rjson[i];
            if (bst == ML_RB_STOPPED)
                bisect_rc = ml_cli_interrupted_exit();
            else if (bst == ML_RB_BROKEN) {
                fprintf(stderr, "memlayout ci: --repo: %s\n", rline[i] ? rline[i] : "broken");
                bisect_rc = ML_EXIT_ENV;
            }
        }
    }

    printf("ci: %s (%s), %d cases, baseline %s%s\n", env, vline, cs.n, bpath,
           !existed ? " (missing: every failure is new)"
           : ml_baseline_has_env(base, env) ? "" : " (no entry for this environment: every failure is new)");
    for (int i = 0; i < cs.n; i++) {
        if (!rows[i].path)
            continue;
        static const char *tag[] = {"pass", "xfail", "NEW", "CHANGED", "XPASS", "INVALID"};
        char shown[1024];
        printf("  %-8s %s [%s]: %s", tag[st[i]], ml_printable(keys[i], shown, sizeof shown), rows[i].transport,
               rows[i].verdict);
        if (rows[i].severity >= 0)
            printf("  (%s, bug %s)", ml_severity_name((ml_severity)rows[i].severity), rows[i].bug);
        if (st[i] != ML_EXPECT_PASS && st[i] != ML_EXPECT_XFAIL)
            printf("  (expected %s)", expected[i] ? expected[i] : "pass: not in the baseline");
        putchar('\n');
        if (st[i] == ML_EXPECT_NEW || st[i] == ML_EXPECT_CHANGED || st[i] == ML_EXPECT_INVALID)
            if (cs.detail[i])
                printf("           %s\n", cs.detail[i]);
        if (rline[i])
            printf("           range: %s\n", rline[i]);
    }
    printf("ci: %d pass, %d xfail, %d new failure%s, %d changed, %d XPASS%s, %d invalid\n",
           cnt[ML_EXPECT_PASS], cnt[ML_EXPECT_XFAIL], cnt[ML_EXPECT_NEW], cnt[ML_EXPECT_NEW] == 1 ? "" : "s",
           cnt[ML_EXPECT_CHANGED], cnt[ML_EXPECT_XPASS], allow_fixed ? " (allowed)" : "", cnt[ML_EXPECT_INVALID]);
    if (bdoc)
        printf("ci: %d case%s bisected in %s (%.12s..%.12s)%s", nbisect, nbisect == 1 ? "" : "s", rg.repo,
               rg.old_sha, rg.new_sha, left_out ? "" : "\n");
    if (left_out)
        printf(", %d more new or changed failure%s left out (--max-bisect %d)\n", left_out,
               left_out == 1 ? "" : "s", max_bisect);

    int rc = ML_EXIT_OK;
    if (junit && !ml_cli_write_text("ci", "--junit", junit, ml_ci_junit(rows, cs.n, &meta)))
        rc = ML_EXIT_ENV;
    if (sarif && !ml_cli_write_text("ci", "--sarif", sarif, ml_ci_sarif(rows, cs.n, &meta)))
        rc = ML_EXIT_ENV;
    if (store) {
        if (!ml_store_begin(store, argc, argv)) {
            fprintf(stderr, "memlayout ci: --out: %s\n", ml_store_error(store));
            rc = ML_EXIT_ENV;
        } else {
            char *btext = bdoc ? cJSON_Print(bdoc) : NULL;
            if (bdoc && (!btext || !ml_store_write_ci_bisect(store, btext, err, sizeof err))) {
                fprintf(stderr, "memlayout ci: --out: %s\n", btext ? err : "out of memory");
                rc = ML_EXIT_ENV;
            }
            free(btext);
            if (!ci_write_out(store, &cs, keys, expected, st, env, versions, argc, argv))
                rc = ML_EXIT_ENV;
        }
    }
    if (bisect_rc == ML_EXIT_ENV)
        rc = ML_EXIT_ENV;   /* git or the disk broke during a bisection */
    if (cst == ML_CAMP_STOPPED || (bisect_rc && bisect_rc != ML_EXIT_ENV)) {
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
    for (int i = 0; i < cs.n; i++) {
        free(rline[i]);
        free(rjson[i]);
    }
    free(rline);
    free(rjson);
    cJSON_Delete(bdoc);
    ml_rb_close(&rg);
    free(keys);
    free(expected);
    free(st);
    free(rows);
    free(versions);
    ml_store_close(store);
    ml_case_set_free(&cs);
    ml_baseline_free(base);
    return rc;
}

/* memlayout matrix: replay cases in several environments, cases x environments. */
#include "baseline.h"
#include "case_set.h"
#include "cli.h"
#include "fsutil.h"
#include "gitrev.h"

#include <cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    "                         with=REQS        pip requirements from PyPI, as --with\n"
    "                                          (last: takes the rest of SPEC)\n"
    "                       repeat for each environment; default: the installed\n"
    "                       joblib (with --reducer/--python-path/--with if given)\n"
    "                       and reducer=reference, memlayout's correct reducer\n"
    "      --with-each      every argument that is not a case file or folder is a\n"
    "                       requirement set, one environment each, in the order\n"
    "                       given (oldest release first): matrix --with-each\n"
    "                       \"joblib==1.2.0\" \"joblib==1.5.*\" \"joblib==1.6.0\" CASES\n"
    "                       prints, per case, the first environment that fails it\n"
    "                       and the first after that passes it (fixed)\n"
    "      --repo DIR --revs R1,R2,...\n"
    "                       one environment per revision (tag, branch or sha)\n"
    "                       of the git checkout DIR of a pure-Python package,\n"
    "                       oldest first: that commit's package folder exported\n"
    "                       (git archive) into the temp dir and put first on\n"
    "                       sys.path, as memlayout bisect does (the checkout is\n"
    "                       only read); prints the history as --with-each does.\n"
    "                       A revision where the package does not import is\n"
    "                       said on stderr and its column stays empty (-)\n"
    "      --package NAME   with --revs: the import name (default joblib)\n"
    "      --subdir PATH    with --revs: its folder in the repository (default\n"
    "                       NAME, else src/NAME)\n"
    "      --json FILE      the matrix as JSON\n"
    "  -T, --transport L    run every case through each of these transports\n"
    "                       instead of its own (comma-separated, all, pickle)\n"
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 every case gets the same verdict in every environment, 1\n"
    "some verdict differs between environments, 2 bad arguments or cases, 3\n"
    "an environment is broken, 130 interrupted (143 SIGTERM, 129 SIGHUP)\n";

#define MAX_ENVS 16

typedef struct {
    char name[128];
    char key[256];
    ml_py_opts py;
    char *path;        /* realpath of python-path, owned */
    char *with;        /* with=REQS as given (points into argv or the spec copy), or NULL */
    char *reqs, *site; /* its normalized requirements and sys.path folder, owned */
    char *joined;      /* python-path:site, or --revs: the export's, owned */
    bool skip;         /* --revs: the package does not import there: not run */
    char **verdict;    /* per case */
} matrix_env;

static void parse_env(const char *spec, const ml_cli_common *co, matrix_env *e)
{
    memset(e, 0, sizeof *e);
    e->py = co->py;
    e->py.reducer = "joblib";
    e->py.python_path = NULL;
    char *copy = strdup(spec), *save = NULL;
    char *with = strstr(copy, "with=");
    if (with && (with == copy || with[-1] == ',')) {   /* with=REQS: the rest, commas included */
        e->with = strdup(with + 5);
        if (with > copy)
            with[-1] = 0;
        else
            copy[0] = 0;
    }
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
            ml_cli_usage("matrix", "--env: unknown key \"%s\" (name, reducer, python-path, with)", kv);
        }
    }
    free(copy);
}

enum { OPT_JSON = 4000, OPT_WITH_EACH, OPT_REPO, OPT_REVS, OPT_PACKAGE, OPT_SUBDIR };

/* --revs: an environment per revision of the checkout, its package exported
 * into tmp. 0, or an exit status (one line printed). */
static int add_revs(const ml_cli_common *co, const char *repo, const char *revs, const char *package,
                    const char *subdir, const char *tmp, matrix_env *envs, int *nenv)
{
    char err[1024], why[1024];
    if (!ml_git_check_repo(repo, err, sizeof err)) {
        fprintf(stderr, "memlayout matrix: --repo: %s\n", err);
        return ML_EXIT_USAGE;
    }
    ml_rev_pkg pkg = {.repo = repo, .package = package, .subdir = subdir, .python_path = co->py.python_path,
                      .stop = &ml_cli_stop};
    char *copy = strdup(revs), *save = NULL;
    int rc = 0;
    for (char *r = strtok_r(copy, ",", &save); r && !rc; r = strtok_r(NULL, ",", &save)) {
        char sha[41], dest[4200];
        if (*nenv == MAX_ENVS) {
            fprintf(stderr, "memlayout matrix: --revs: at most %d environments\n", MAX_ENVS);
            rc = ML_EXIT_USAGE;
        } else if (!ml_git_resolve(repo, r, sha, err, sizeof err)) {
            fprintf(stderr, "memlayout matrix: --revs: %s\n", err);
            rc = ML_EXIT_USAGE;
        } else {
            matrix_env *e = &envs[(*nenv)++];
            parse_env("reducer=joblib", co, e);
            e->py.reducer = co->py.reducer;
            snprintf(e->name, sizeof e->name, "%s", r);
            snprintf(dest, sizeof dest, "%s/rev-%d", tmp, *nenv);
            ml_rev_status st = ml_rev_export(&pkg, sha, dest, &e->joined, why, sizeof why);
            if (st == ML_REV_STOPPED)
                rc = ml_cli_interrupted_exit();
            else if (st == ML_REV_FAIL)
                fprintf(stderr, "memlayout matrix: --revs: %s: %s\n", r, why), rc = ML_EXIT_ENV;
            else if (st == ML_REV_SKIP)
                fprintf(stderr, "memlayout matrix: --revs: %s (%.12s) is left out: %s\n", r, sha, why);
            e->py.python_path = e->joined;
            e->skip = st != ML_REV_OK;
        }
    }
    free(copy);
    return rc;
}

/* Installs (or finds) the environment of e->with and puts it on sys.path
 * after e's python-path. 0 or an exit status (message printed). */
static int env_with(const ml_cli_common *co, matrix_env *e, int idx)
{
    if (!e->with)
        return 0;
    char opt[64];
    snprintf(opt, sizeof opt, "environment %c", 'A' + idx);
    int rc = ml_cli_env_site("matrix", opt, e->with, co->env_dir, co->quiet, &e->reqs, &e->site);
    if (rc)
        return rc;
    if (e->py.python_path) {
        size_t n = strlen(e->py.python_path) + strlen(e->site) + 2;
        e->joined = malloc(n);
        if (!e->joined)
            return ML_EXIT_ENV;
        snprintf(e->joined, n, "%s:%s", e->py.python_path, e->site);
        e->py.python_path = e->joined;
    } else {
        e->py.python_path = e->site;
    }
    return 0;
}

static bool is_finding(const char *v)
{
    return v && (!strncmp(v, "fail", 4) || !strncmp(v, "error", 5));
}

/* Per case, through the environments in order: where it starts failing and
 * where it is fixed ("fails in A; fixed in C; fails again in E"). */
static void print_history(const ml_case_set *cs, const matrix_env *envs, int nenv, cJSON *jcases)
{
    printf("\nhistory, environments in the order given:\n");
    for (int i = 0; i < cs->n; i++) {
        char line[2048];
        size_t n = (size_t)snprintf(line, sizeof line, "  %s [%s]: ", ml_cli_base_name(cs->paths[i]),
                                    ml_transport_name(cs->cases[i].transport));
        int first_fail = -1, first_fixed = -1, prev = -1, changes = 0;
        for (int e = 0; e < nenv; e++) {
            const char *v = envs[e].verdict[i];
            if (!v || !strcmp(v, "invalid"))
                continue;   /* did not run there: no change */
            int f = is_finding(v);
            bool failed_before = first_fail >= 0;
            if (f && first_fail < 0)
                first_fail = e;
            if (!f && first_fail >= 0 && first_fixed < 0 && prev == 1)
                first_fixed = e;
            if (prev < 0)
                n += (size_t)snprintf(line + n, n < sizeof line ? sizeof line - n : 0, "%s from %c (%s)",
                                      f ? "fails" : "passes", 'A' + e, envs[e].name);
            else if (f != prev) {
                changes++;
                n += (size_t)snprintf(line + n, n < sizeof line ? sizeof line - n : 0, "; %s %c (%s)",
                                      !f ? "fixed in" : failed_before ? "fails again since" : "fails since",
                                      'A' + e, envs[e].name);
            }
            prev = f;
        }
        if (prev < 0) {
            snprintf(line + n, n < sizeof line ? sizeof line - n : 0, "ran nowhere");
        } else if (!changes) {
            n = (size_t)snprintf(line, sizeof line, "  %s [%s]: %s in every environment",
                                 ml_cli_base_name(cs->paths[i]), ml_transport_name(cs->cases[i].transport),
                                 prev ? "fails" : "passes");
        }
        puts(line);
        cJSON *o = cJSON_GetArrayItem(jcases, i);
        if (o) {
            cJSON_AddItemToObject(o, "first_failing",
                                  first_fail >= 0 ? cJSON_CreateString(envs[first_fail].name) : cJSON_CreateNull());
            cJSON_AddItemToObject(o, "first_fixed",
                                  first_fixed >= 0 ? cJSON_CreateString(envs[first_fixed].name) : cJSON_CreateNull());
        }
    }
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
        {"with-each", no_argument, 0, OPT_WITH_EACH}, {"repo", required_argument, 0, OPT_REPO},
        {"revs", required_argument, 0, OPT_REVS}, {"package", required_argument, 0, OPT_PACKAGE},
        {"subdir", required_argument, 0, OPT_SUBDIR},
        {"transport", required_argument, 0, 'T'}, ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    char *specs[MAX_ENVS];
    int nspec = 0, opt;
    bool with_each = false;
    const char *repo = NULL, *revs = NULL, *package = "joblib", *subdir = NULL;
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
        case OPT_WITH_EACH: with_each = true; break;
        case OPT_REPO: repo = optarg; break;
        case OPT_REVS: revs = optarg; break;
        case OPT_PACKAGE: package = optarg; break;
        case OPT_SUBDIR: subdir = optarg; break;
        case 'T': override = ml_cli_transports("matrix", optarg); break;
        case 'h': fputs(matrix_help, stdout); return ML_EXIT_OK;
        default: fputs(matrix_help, stderr); return ML_EXIT_USAGE;
        }
    }
    /* --with-each: the arguments that are not case files or folders are
     * requirement sets, one environment each */
    char *casev[argc > 0 ? argc : 1];
    int ncase = 0;
    for (int a = optind; a < argc; a++) {
        struct stat sb;
        if (!with_each || stat(argv[a], &sb) == 0) {
            casev[ncase++] = argv[a];
            continue;
        }
        if (nspec == MAX_ENVS)
            ml_cli_usage("matrix", "--with-each: at most 16 environments%s", "");
        specs[nspec++] = NULL;
        memset(&envs[nspec - 1], 0, sizeof envs[0]);
        envs[nspec - 1].with = argv[a];
    }
    if (!ncase)
        ml_cli_usage("matrix", "expected case files or directories%s", "");
    if (with_each && !nspec)
        ml_cli_usage("matrix", "--with-each: no requirement set among the arguments%s", "");
    if (!repo != !revs)
        ml_cli_usage("matrix", "%s", repo ? "--repo: goes with --revs" : "--revs: goes with --repo DIR");
    int env_rc = ml_cli_common_env("matrix", &co);
    if (env_rc)
        return env_rc;
    char *rev_tmp = NULL;
    if (revs) {
        char err[1024];
        ml_cli_install_signals();
        if (!(rev_tmp = ml_tmpdir_create(err, sizeof err))) {
            fprintf(stderr, "memlayout matrix: %s\n", err);
            return ML_EXIT_ENV;
        }
    }
    for (int i = 0; i < nspec; i++) {
        if (specs[i]) {
            parse_env(specs[i], &co, &envs[nenv++]);
        } else {   /* a --with-each set: joblib's reducer, the set's packages */
            char *with = envs[i].with;
            parse_env("reducer=joblib", &co, &envs[nenv++]);
            envs[i].with = strdup(with);
        }
    }
    for (int e = 0; e < nenv; e++)
        if ((env_rc = env_with(&co, &envs[e], e)))
            break;
    if (!env_rc && revs)
        env_rc = add_revs(&co, repo, revs, package, subdir, rev_tmp, envs, &nenv);
    if (!nenv) {
        memset(&envs[0], 0, sizeof envs[0]);
        envs[0].py = co.py;
        parse_env("reducer=reference", &co, &envs[1]);
        envs[1].py.python_path = co.py.python_path;   /* the same packages, the correct reducer */
        nenv = 2;
    }
    ml_case_set cs;
    memset(&cs, 0, sizeof cs);
    if (env_rc || !ml_case_set_load("matrix", &cs, ncase, casev, NULL, &co.lim)) {
        ml_case_set_free(&cs);
        for (int e = 0; e < nenv; e++) {
            free(envs[e].path);
            free(envs[e].with);
            free(envs[e].reqs);
            free(envs[e].site);
            free(envs[e].joined);
        }
        if (rev_tmp)
            ml_rmtree(rev_tmp);
        free(rev_tmp);
        return env_rc ? env_rc : ML_EXIT_USAGE;
    }
    if (override) {   /* every case through each chosen transport */
        int n = 0;
        for (int t = 0; t < ML_T_COUNT; t++)
            n += (override >> t) & 1;
        ml_case_set x;
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
        x.severity = calloc((size_t)x.n, sizeof *x.severity);
        x.bug = calloc((size_t)x.n, sizeof *x.bug);
        for (int i = 0; i < x.n; i++)
            x.severity[i] = -1;
        ml_case_set_free(&cs);
        cs = x;
    }
    ml_cli_install_signals();
    int rc = ML_EXIT_OK;
    for (int e = 0; e < nenv && !ml_cli_stop; e++) {
        char *versions = NULL;
        if (envs[e].skip) {   /* the package does not import there: an empty column */
            envs[e].verdict = calloc((size_t)cs.n, sizeof(char *));
            snprintf(envs[e].key, sizeof envs[e].key, "not importable");
            continue;
        }
        ml_camp_status st = ml_case_set_run("matrix", &co, &envs[e].py, &cs, &versions);
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
            printf("  %c = %s%s%s  (reducer %s%s%s%s%s)\n", 'A' + e, envs[e].name,
                   strcmp(envs[e].name, envs[e].key) ? ": " : "",
                   strcmp(envs[e].name, envs[e].key) ? envs[e].key : "", envs[e].py.reducer,
                   envs[e].reqs ? ", with " : "", envs[e].reqs ? envs[e].reqs : "",
                   envs[e].py.python_path && !envs[e].reqs ? ", python-path " : "",
                   envs[e].py.python_path && !envs[e].reqs ? envs[e].py.python_path : "");
        size_t w = 4;
        for (int i = 0; i < cs.n; i++)
            if (strlen(ml_cli_base_name(cs.paths[i])) > w)
                w = strlen(ml_cli_base_name(cs.paths[i]));
        printf("\n%-*s  %-15s", (int)w, "case", "transport");
        for (int e = 0; e < nenv; e++)
            printf("  %-28c", 'A' + e);
        putchar('\n');
        for (int i = 0; i < cs.n; i++) {
            bool same = true;
            const char *first = NULL;
            for (int e = 0; e < nenv; e++) {
                if (envs[e].skip)
                    continue;
                first = first ? first : envs[e].verdict[i];
                same &= envs[e].verdict[i] && first && !strcmp(envs[e].verdict[i], first);
            }
            differ += !same;
            printf("%-*s  %-15s", (int)w, ml_cli_base_name(cs.paths[i]), ml_transport_name(cs.cases[i].transport));
            for (int e = 0; e < nenv; e++)
                printf("  %-28s", envs[e].verdict[i] ? envs[e].verdict[i] : "-");
            printf("%s\n", same ? "" : "  <- differs");
        }
        cJSON *root = cJSON_CreateObject();
        cJSON *jc = cJSON_CreateArray();
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
        if (with_each || revs)
            print_history(&cs, envs, nenv, jc);
        printf("\nmatrix: %d of %d case%s differ%s between environments\n", differ, cs.n, cs.n == 1 ? "" : "s",
               differ == 1 ? "s" : "");
        rc = differ ? ML_EXIT_FINDINGS : ML_EXIT_OK;
        if (json_out) {
            cJSON *je = cJSON_AddArrayToObject(root, "environments");
            for (int e = 0; e < nenv; e++) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "name", envs[e].name);
                cJSON_AddStringToObject(o, "key", envs[e].key);
                cJSON_AddStringToObject(o, "reducer", envs[e].py.reducer);
                if (envs[e].reqs)
                    cJSON_AddStringToObject(o, "with", envs[e].reqs);
                if (envs[e].py.python_path)
                    cJSON_AddStringToObject(o, "python_path", envs[e].py.python_path);
                else
                    cJSON_AddNullToObject(o, "python_path");
                cJSON_AddItemToArray(je, o);
            }
            cJSON_AddItemToObject(root, "cases", jc);
            jc = NULL;
            if (!ml_cli_write_text("matrix", "--json", json_out, cJSON_Print(root)))
                rc = ML_EXIT_ENV;
        }
        cJSON_Delete(jc);
        cJSON_Delete(root);
    }
    if (ml_cli_stop)
        rc = ml_cli_interrupted_exit();
    for (int e = 0; e < nenv; e++) {
        for (int i = 0; envs[e].verdict && i < cs.n; i++)
            free(envs[e].verdict[i]);
        free(envs[e].verdict);
        free(envs[e].path);
        free(envs[e].with);
        free(envs[e].reqs);
        free(envs[e].site);
        free(envs[e].joined);
    }
    ml_case_set_free(&cs);
    if (rev_tmp)
        ml_rmtree(rev_tmp);
    free(rev_tmp);
    return rc;
}

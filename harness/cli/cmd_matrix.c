/* memlayout matrix: replay cases in several environments, cases x environments. */
#include "baseline.h"
#include "case_set.h"
#include "cli.h"
#include "fsutil.h"

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

enum { OPT_JSON = 4000 };

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
    int env_rc = ml_cli_common_env("matrix", &co);
    if (env_rc)
        return env_rc;
    for (int i = 0; i < nspec; i++)
        parse_env(specs[i], &co, &envs[nenv++]);
    if (!nenv) {
        memset(&envs[0], 0, sizeof envs[0]);
        envs[0].py = co.py;
        parse_env("reducer=reference", &co, &envs[1]);
        nenv = 2;
    }
    ml_case_set cs;
    if (!ml_case_set_load("matrix", &cs, argc - optind, argv + optind, NULL, &co.lim)) {
        ml_case_set_free(&cs);
        return ML_EXIT_USAGE;
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
        ml_case_set_free(&cs);
        cs = x;
    }
    ml_cli_install_signals();
    int rc = ML_EXIT_OK;
    for (int e = 0; e < nenv && !ml_cli_stop; e++) {
        char *versions = NULL;
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
            printf("  %c = %s%s%s  (reducer %s%s%s)\n", 'A' + e, envs[e].name,
                   strcmp(envs[e].name, envs[e].key) ? ": " : "",
                   strcmp(envs[e].name, envs[e].key) ? envs[e].key : "", envs[e].py.reducer,
                   envs[e].py.python_path ? ", python-path " : "",
                   envs[e].py.python_path ? envs[e].py.python_path : "");
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
            for (int e = 1; e < nenv; e++)
                same &= envs[e].verdict[i] && envs[0].verdict[i] && !strcmp(envs[e].verdict[i], envs[0].verdict[i]);
            differ += !same;
            printf("%-*s  %-15s", (int)w, ml_cli_base_name(cs.paths[i]), ml_transport_name(cs.cases[i].transport));
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
            if (!ml_cli_write_text("matrix", "--json", json_out, cJSON_Print(root)))
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
    ml_case_set_free(&cs);
    return rc;
}

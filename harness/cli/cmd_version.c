/* memlayout --version: versions of memlayout, Python, NumPy and joblib, in
 * the parent and in a worker of each worker transport. */
#include "cli.h"
#include "fsutil.h"
#include "sup.h"

#include <cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ML_VERSION
#define ML_VERSION "0"
#endif

static const char version_help[] =
    "usage: memlayout --version [options]   (or memlayout version)\n"
    "\n"
    "Print the versions of memlayout, Python, NumPy and joblib and where NumPy\n"
    "and joblib are imported from, then the same as seen by a worker of each\n"
    "worker transport (loky, multiprocessing, pool-spawn, pool-forkserver).\n"
    "\n"
    "      --with REQS      the environment of these pip requirements (installed\n"
    "                       into the environment cache first if needed)\n"
    "      --env-dir DIR    the environment cache\n"
    "      --python-path D  put D first on sys.path\n"
    "  -q, --quiet          no progress lines while installing\n"
    "  -h, --help           this text\n"
    "\n"
    "exit status: 0, 2 bad arguments, 3 Python does not start, a worker imports\n"
    "another NumPy or joblib than its parent, or this joblib cannot send a\n"
    "memmap with this NumPy (the line \"problem\" says why)\n";

/* "numpy 2.3.5 /path, joblib 1.6.0 /path" of a worker; false if it differs from the parent's. */
static bool print_worker(const char *kind, cJSON *w, cJSON *parent)
{
    const char *err = cJSON_GetStringValue(cJSON_GetObjectItem(w, "error"));
    static const char *keys[] = {"numpy", "numpy_path", "joblib", "joblib_path"};
    const char *v[4];
    bool same = !err;
    for (int i = 0; i < 4; i++) {
        v[i] = cJSON_GetStringValue(cJSON_GetObjectItem(w, keys[i]));
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(parent, keys[i]));
        same &= v[i] && p && !strcmp(v[i], p);
        if (!v[i])
            v[i] = "?";
    }
    printf("worker %s numpy %s %s, joblib %s %s%s%s\n", kind, v[0], v[1], v[2], v[3],
           err ? ": " : same ? "" : "  (not the parent's)", err ? err : "");
    return same;
}

int ml_cmd_version(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    static const struct option lo[] = {ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
        if (opt == 'h') {
            fputs(version_help, stdout);
            return ML_EXIT_OK;
        }
        if (opt == '?' || !ml_cli_common_option("version", opt, &co)) {
            fputs(version_help, stderr);
            return ML_EXIT_USAGE;
        }
    }
    if (optind < argc)
        ml_cli_usage("version", "unexpected argument \"%s\"", argv[optind]);
    int env_rc = ml_cli_common_env("version", &co);
    if (env_rc)
        return env_rc;
    char err[1024], *versions = NULL;
    printf("memlayout %s\n", ML_VERSION);
    fflush(stdout);
    char *tmp = ml_tmpdir_create(err, sizeof err);
    if (!tmp) {
        fprintf(stderr, "memlayout: %s\n", err);
        return ML_EXIT_ENV;
    }
    ml_py_opts o = {.tmpdir = tmp, .reducer = "joblib", .workers = 2, .python_path = co.py.python_path,
                    .versions_only = true};
    ml_child ch;
    bool ok = ml_child_start(&ch, &o, NULL, &versions, err, sizeof err);
    if (ok)
        ml_child_stop(&ch, 5.0);
    ml_rmtree(tmp);
    free(tmp);
    if (!ok) {
        fprintf(stderr, "memlayout: %s\n", err);
        return ML_EXIT_ENV;
    }
    cJSON *v = cJSON_Parse(versions);
    static const char *keys[] = {"python", "numpy", "joblib", "numpy_path", "joblib_path", "executable"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(v, keys[i]));
        printf("%s %s\n", keys[i], s ? s : "?");
    }
    if (co.with_reqs)
        printf("environment %s %s\n", co.with_reqs, co.env_site);
    int rc = ML_EXIT_OK;
    cJSON *workers = cJSON_GetObjectItem(v, "workers"), *w;
    cJSON_ArrayForEach(w, workers) {
        if (!print_worker(w->string, w, v))
            rc = ML_EXIT_ENV;
    }
    const char *problem = cJSON_GetStringValue(cJSON_GetObjectItem(v, "problem"));
    if (problem) {
        printf("problem %s\n", problem);
        rc = ML_EXIT_ENV;
    }
    cJSON_Delete(v);
    free(versions);
    return rc;
}

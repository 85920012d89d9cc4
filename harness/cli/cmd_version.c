/* memlayout --version: versions of memlayout, Python, NumPy and joblib. */
#include "cli.h"
#include "fsutil.h"
#include "sup.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef ML_VERSION
#define ML_VERSION "0"
#endif

int ml_cmd_version(int argc, char **argv)
{
    (void)argc;   /* nothing to parse: --version and version take no options */
    (void)argv;
    char err[1024], *versions = NULL;
    printf("memlayout %s\n", ML_VERSION);
    fflush(stdout);
    char *tmp = ml_tmpdir_create(err, sizeof err);
    if (!tmp) {
        fprintf(stderr, "memlayout: %s\n", err);
        return ML_EXIT_ENV;
    }
    ml_py_opts o = {.tmpdir = tmp, .reducer = "joblib", .workers = 2};
    ml_child ch;
    bool ok = ml_child_start(&ch, &o, NULL, &versions, err, sizeof err);
    if (ok)
        ml_child_stop(&ch, 2.0);
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
    cJSON_Delete(v);
    free(versions);
    return ML_EXIT_OK;
}

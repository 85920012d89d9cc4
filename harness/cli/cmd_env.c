/* memlayout env: the cache of Python environments from PyPI (env.h). */
#include "cli.h"
#include "env.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char env_help[] =
    "usage: memlayout env [options] list\n"
    "       memlayout env [options] add REQS...\n"
    "       memlayout env [options] path REQS...\n"
    "       memlayout env [options] rm REQS... | --all\n"
    "\n"
    "The environments --with REQS runs in: a pip requirement set (\"joblib==1.6.0\n"
    "numpy==2.3.*\", one or several arguments) installed once from PyPI with\n"
    "/usr/bin/python3 -m pip install --target DIR --only-binary :all: (wheels\n"
    "only, no compiler runs) into a cache directory keyed by the requirement set\n"
    "and then by the versions pip resolved. A cached environment needs no network.\n"
    "\n"
    "  list                 the cached environments: requirements, resolved\n"
    "                       versions, size and the folder put on sys.path\n"
    "  add REQS             install REQS unless cached; prints the folder\n"
    "  path REQS            print the folder of cached REQS (exit 1 if not cached)\n"
    "  rm REQS              remove the environment of REQS (every resolution)\n"
    "\n"
    "      --env-dir DIR    the cache (default $XDG_CACHE_HOME/memlayout/envs,\n"
    "                       else ~/.cache/memlayout/envs)\n"
    "      --refresh        add: resolve and install again even when cached (a\n"
    "                       newer release matching REQS becomes the one used)\n"
    "      --all            rm: remove every environment\n"
    "  -q, --quiet          no progress lines\n"
    "  -h, --help           this text\n"
    "\n"
    "exit status: 0 done, 1 path/rm: not cached, 2 bad arguments or requirements,\n"
    "3 the install failed (pip's reason on one line) or the cache is unusable,\n"
    "130 interrupted (nothing is left of an interrupted install)\n";

typedef struct {
    char last_set[256];
    int n;
    unsigned long long bytes;
} list_ctx;

static void print_env(void *vctx, const ml_env_info *e)
{
    list_ctx *lc = vctx;
    if (strcmp(lc->last_set, e->set)) {
        printf("%s\n", e->reqs);
        snprintf(lc->last_set, sizeof lc->last_set, "%s", e->set);
    }
    printf("    %s (Python %s, %.1f MB%s)\n    %s\n", e->resolved, e->python, (double)e->bytes / 1e6,
           e->current ? "" : ", not current", e->site);
    lc->n++;
    lc->bytes += e->bytes;
}

int ml_cmd_env(int argc, char **argv)
{
    const char *env_dir = NULL;
    bool refresh = false, all = false, quiet = false;
    enum { OPT_ENV_DIR = 6000, OPT_REFRESH, OPT_ALL };
    static const struct option lo[] = {
        {"env-dir", required_argument, 0, OPT_ENV_DIR}, {"refresh", no_argument, 0, OPT_REFRESH},
        {"all", no_argument, 0, OPT_ALL}, {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
        switch (opt) {
        case OPT_ENV_DIR:
            if (!*optarg)
                ml_cli_usage("env", "--env-dir: empty path%s", "");
            env_dir = optarg;
            break;
        case OPT_REFRESH: refresh = true; break;
        case OPT_ALL: all = true; break;
        case 'q': quiet = true; break;
        case 'h': fputs(env_help, stdout); return ML_EXIT_OK;
        default: fputs(env_help, stderr); return ML_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        ml_cli_usage("env", "expected list, add, path or rm%s", "");
    const char *sub = argv[optind++];
    bool list = !strcmp(sub, "list"), add = !strcmp(sub, "add"), path = !strcmp(sub, "path"),
         rm = !strcmp(sub, "rm");
    if (!list && !add && !path && !rm)
        ml_cli_usage("env", "unknown subcommand \"%s\" (list, add, path, rm)", sub);
    if (list && optind < argc)
        ml_cli_usage("env", "list: unexpected argument \"%s\"", argv[optind]);
    if (refresh && !add)
        ml_cli_usage("env", "--refresh goes with add%s", "");
    if (all && !rm)
        ml_cli_usage("env", "--all goes with rm%s", "");
    if (all && optind < argc)
        ml_cli_usage("env", "rm: --all or requirements, not both%s", "");
    if (!list && !all && optind >= argc)
        ml_cli_usage("env", "%s: expected requirements", sub);

    char err[1536];
    char *reqs = NULL;
    if (!list && !all) {
        reqs = ml_env_normalize((const char *const *)argv + optind, argc - optind, err, sizeof err);
        if (!reqs) {
            fprintf(stderr, "memlayout env: %s: %s\n", sub, err);
            return ML_EXIT_USAGE;
        }
    }
    char *root = ml_cli_env_root(env_dir);
    int rc = ML_EXIT_OK;
    if (list) {
        list_ctx lc = {0};
        int n = ml_env_list(root, print_env, &lc, err, sizeof err);
        if (n < 0) {
            fprintf(stderr, "memlayout env: list: %s\n", err);
            rc = ML_EXIT_ENV;
        } else if (!n) {
            printf("env: no environments in %s\n", root);
        } else {
            printf("env: %d environment%s, %.1f MB in %s\n", n, n == 1 ? "" : "s", (double)lc.bytes / 1e6, root);
        }
    } else if (add) {
        ml_env_opts eo = {.quiet = quiet, .refresh = refresh, .who = "memlayout env"};
        char *site = NULL;
        bool installed;
        int sig;
        ml_env_status st = ml_env_ensure(root, reqs, &eo, &site, &installed, &sig, err, sizeof err);
        if (st == ML_ENV_OK) {
            if (!installed && !quiet)
                fprintf(stderr, "memlayout env: %s: cached\n", reqs);
            printf("%s\n", site);
        } else {
            fprintf(stderr, "memlayout env: add \"%s\": %s\n", reqs, err);
            rc = st == ML_ENV_INTERRUPTED ? 128 + sig : ML_EXIT_ENV;
        }
        free(site);
    } else if (path) {
        char *site = ml_env_find(root, reqs);
        if (site)
            printf("%s\n", site);
        else {
            fprintf(stderr, "memlayout env: path: \"%s\" is not cached in %s (memlayout env add installs it)\n",
                    reqs, root);
            rc = ML_EXIT_FINDINGS;
        }
        free(site);
    } else {
        int n = ml_env_remove(root, reqs, err, sizeof err);
        if (n < 0) {
            fprintf(stderr, "memlayout env: rm: %s\n", err);
            rc = ML_EXIT_ENV;
        } else if (!n && reqs) {
            fprintf(stderr, "memlayout env: rm: \"%s\" is not cached in %s\n", reqs, root);
            rc = ML_EXIT_FINDINGS;
        } else if (!quiet) {
            if (reqs)
                fprintf(stderr, "memlayout env: removed %s\n", reqs);
            else
                fprintf(stderr, "memlayout env: removed %d environment%s\n", n, n == 1 ? "" : "s");
        }
    }
    free(reqs);
    free(root);
    return rc;
}

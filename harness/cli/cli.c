/* Shared command-line parsing for memlayout's commands. */
#include "cli.h"
#include "env.h"
#include "fsutil.h"

#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

volatile sig_atomic_t ml_cli_stop;

static void on_signal(int sig)
{
    ml_cli_stop = sig;
}

void ml_cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;   /* no SA_RESTART: poll() must wake up */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);   /* a closed terminal or ssh session: stop as cleanly */
    signal(SIGPIPE, SIG_IGN);
}

int ml_cli_interrupted_exit(void)
{
    return ml_cli_stop > 0 ? 128 + ml_cli_stop : ML_EXIT_INTERRUPTED;
}

void ml_cli_usage(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "memlayout %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see memlayout %s --help)\n", cmd);
    exit(ML_EXIT_USAGE);
}

long long ml_cli_int(const char *cmd, const char *opt, const char *s, long long lo, long long hi)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "memlayout %s: %s: expected an integer from %lld to %lld, got \"%s\"\n",
                cmd, opt, lo, hi, s);
        exit(ML_EXIT_USAGE);
    }
    return v;
}

double ml_cli_seconds(const char *cmd, const char *opt, const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v > 0) || v > 1e7) {
        fprintf(stderr, "memlayout %s: %s: expected a positive number of seconds, got \"%s\"\n", cmd, opt, s);
        exit(ML_EXIT_USAGE);
    }
    return v;
}

/* "reduce,loky", "all", "pickle" (every protocol) -> bit mask. */
uint32_t ml_cli_transports(const char *cmd, const char *list)
{
    uint32_t mask = 0;
    char *copy = strdup(list), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        ml_transport tr;
        if (strcmp(t, "all") == 0)
            mask |= (1u << ML_T_COUNT) - 1;
        else if (strcmp(t, "pickle") == 0)
            mask |= 1u << ML_T_PICKLE2 | 1u << ML_T_PICKLE3 | 1u << ML_T_PICKLE4 |
                    1u << ML_T_PICKLE5 | 1u << ML_T_PICKLE5_OOB;
        else if (ml_transport_from_name(t, &tr))
            mask |= 1u << tr;
        else
            ml_cli_usage(cmd, "--transport: unknown transport \"%s\"", t);   /* exits; copy dies with us */
    }
    free(copy);
    if (!mask)
        ml_cli_usage(cmd, "--transport: empty list%s", "");
    return mask;
}

/* ---- shared options ------------------------------------------------------ */




/* The strings the shared options allocate live as long as the process (one
 * command per process): held here, they stay reachable. */
static struct {
    char *python_path, *with, *reqs, *site, *path;
} owned;

static char *own(char **slot, char *s)
{
    free(*slot);
    return *slot = s;
}

/* Handles an option every Python-running command shares; false if not one. */
bool ml_cli_common_option(const char *cmd, int opt, ml_cli_common *co)
{
    switch (opt) {
    case 'j': co->jobs = (int)ml_cli_int(cmd, "--jobs", optarg, 1, 64); return true;
    case ML_OPT_TIMEOUT: co->timeout = ml_cli_seconds(cmd, "--timeout", optarg); return true;
    case ML_OPT_MAX_BYTES: co->lim.max_bytes = (uint64_t)ml_cli_int(cmd, "--max-bytes", optarg, 1, 1LL << 40); return true;
    case ML_OPT_BATCH: co->batch = (int)ml_cli_int(cmd, "--batch", optarg, 1, 4096); return true;
    case ML_OPT_DETAIL: co->py.detail = true; return true;
    case ML_OPT_REDUCER:
        if (strcmp(optarg, "joblib") && strcmp(optarg, "reference"))
            ml_cli_usage(cmd, "--reducer: expected joblib or reference, got \"%s\"", optarg);
        co->py.reducer = optarg;
        return true;
    case ML_OPT_PYPATH: {
        struct stat st;
        if (stat(optarg, &st) != 0 || !S_ISDIR(st.st_mode))
            ml_cli_usage(cmd, "--python-path: \"%s\" is not a directory", optarg);
        co->py.python_path = own(&owned.python_path, realpath(optarg, NULL));
        return true;
    }
    case 'q': co->quiet = true; return true;
    case ML_OPT_WITH: {
        size_t n = co->with ? strlen(co->with) : 0;
        char *w = malloc(n + strlen(optarg) + 2);
        if (!w)
            ml_cli_usage(cmd, "--with: out of memory%s", "");
        snprintf(w, n + strlen(optarg) + 2, "%s%s%s", n ? co->with : "", n ? " " : "", optarg);
        co->with = own(&owned.with, w);
        return true;
    }
    case ML_OPT_ENV_DIR:
        if (!*optarg)
            ml_cli_usage(cmd, "--env-dir: empty path%s", "");
        co->env_dir = optarg;
        return true;
    }
    return false;
}

char *ml_cli_env_root(const char *env_dir)
{
    if (!env_dir)
        return ml_env_default_root();
    if (env_dir[0] == '/')
        return strdup(env_dir);
    char cwd[4096], buf[8192];
    if (!getcwd(cwd, sizeof cwd))
        return strdup(env_dir);
    snprintf(buf, sizeof buf, "%s/%s", cwd, env_dir);
    return strdup(buf);
}

int ml_cli_env_site(const char *cmd, const char *opt, const char *with, const char *env_dir, bool quiet,
                    char **reqs_out, char **site_out)
{
    char err[1536], who[64];
    char *reqs = ml_env_normalize(&with, 1, err, sizeof err);
    *reqs_out = *site_out = NULL;
    if (!reqs) {
        fprintf(stderr, "memlayout %s: %s: %s\n", cmd, opt, err);
        return ML_EXIT_USAGE;
    }
    char *root = ml_cli_env_root(env_dir);
    if (strchr(root, ':')) {   /* sys.path and PYTHONPATH lists are ':'-separated */
        fprintf(stderr, "memlayout %s: the environment cache %s has a ':' in its path, which PYTHONPATH "
                "cannot hold (--env-dir DIR moves it)\n", cmd, root);
        free(root);
        free(reqs);
        return ML_EXIT_ENV;
    }
    snprintf(who, sizeof who, "memlayout %s", cmd);
    ml_env_opts eo = {.quiet = quiet, .who = who};
    char *site = NULL;
    bool installed;
    int sig;
    ml_env_status st = ml_env_ensure(root, reqs, &eo, &site, &installed, &sig, err, sizeof err);
    free(root);
    if (st != ML_ENV_OK) {
        fprintf(stderr, "memlayout %s: %s \"%s\": %s\n", cmd, opt, reqs, err);
        free(reqs);
        return st == ML_ENV_INTERRUPTED ? 128 + sig : ML_EXIT_ENV;
    }
    *reqs_out = reqs;
    *site_out = site;
    return ML_EXIT_OK;
}

int ml_cli_common_env(const char *cmd, ml_cli_common *co)
{
    if (!co->with)
        return ML_EXIT_OK;
    char *reqs, *site;
    int rc = ml_cli_env_site(cmd, "--with", co->with, co->env_dir, co->quiet, &reqs, &site);
    if (rc)
        return rc;
    co->with_reqs = own(&owned.reqs, reqs);
    co->env_site = own(&owned.site, site);
    if (co->py.python_path) {   /* --python-path first: a checkout over the environment */
        size_t n = strlen(co->py.python_path) + strlen(site) + 2;
        char *both = malloc(n);
        if (!both)
            return ML_EXIT_ENV;
        snprintf(both, n, "%s:%s", co->py.python_path, site);
        co->py.python_path = own(&owned.path, both);
    } else {
        co->py.python_path = site;
    }
    return ML_EXIT_OK;
}

void ml_cli_common_init(ml_cli_common *co)
{
    memset(co, 0, sizeof *co);
    co->jobs = 1;
    co->timeout = 10.0;
    co->batch = 64;
    co->py.reducer = "joblib";
    co->py.workers = 2;
    co->py.fault = getenv("MEMLAYOUT_FAULT");   /* test-only fault injection */
}

/* ---- helpers of several commands ---------------------------------------- */

bool ml_cli_read_case(const char *cmd, const char *path, const ml_limits *lim, ml_case *c)
{
    char err[1024];
    bool ok = ml_case_load(path, lim, c, err, sizeof err);
    if (!ok)
        fprintf(stderr, "memlayout %s: %s: %s\n", cmd, path, err);
    return ok;
}

ml_session *ml_cli_open_session(const char *cmd, ml_cli_common *co, const char *log, char **tmp)
{
    char err[1024];
    *tmp = ml_tmpdir_create(err, sizeof err);
    if (!*tmp) {
        fprintf(stderr, "memlayout %s: %s\n", cmd, err);
        return NULL;
    }
    co->py.tmpdir = *tmp;
    ml_session *s = ml_session_open(&co->py, co->timeout, log, err, sizeof err);
    if (!s) {
        if (!ml_cli_stop)   /* a signal that cut the handshake short is no broken Python */
            fprintf(stderr, "memlayout %s: %s\n", cmd, err);
        ml_rmtree(*tmp);
        free(*tmp);
        *tmp = NULL;
    }
    return s;
}

void ml_cli_close_session(ml_session *s, char *tmp)
{
    ml_session_close(s);
    if (tmp) {
        ml_rmtree(tmp);
        free(tmp);
    }
}

const char *ml_cli_base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

const char *ml_cli_versions_line(const char *versions, char *buf, size_t len)
{
    cJSON *v = versions ? cJSON_Parse(versions) : NULL;
    const char *py = cJSON_GetStringValue(cJSON_GetObjectItem(v, "python"));
    const char *np = cJSON_GetStringValue(cJSON_GetObjectItem(v, "numpy"));
    const char *jl = cJSON_GetStringValue(cJSON_GetObjectItem(v, "joblib"));
    snprintf(buf, len, "joblib %s, NumPy %s, Python %s", jl ? jl : "?", np ? np : "?", py ? py : "?");
    cJSON_Delete(v);
    return buf;
}

bool ml_cli_write_text(const char *cmd, const char *opt, const char *path, char *text)
{
    char err[1024];
    if (!text) {
        fprintf(stderr, "memlayout %s: %s: out of memory\n", cmd, opt);
        return false;
    }
    char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir) {
        *slash = 0;
        ml_mkdirs(dir, err, sizeof err);
    }
    free(dir);
    bool ok = ml_write_atomic(path, text, strlen(text), err, sizeof err);
    free(text);
    if (!ok)
        fprintf(stderr, "memlayout %s: %s: %s\n", cmd, opt, err);
    return ok;
}


/* memlayout command line: exit codes every command uses, the options they
 * share, and the commands (one file each, cmd_NAME.c). Each command takes
 * argv with argv[0] being the command's name and returns an ml_exit. */
#ifndef ML_CLI_H
#define ML_CLI_H

typedef enum {
    ML_EXIT_OK = 0,           /* ran, nothing found (ci: every verdict as expected) */
    ML_EXIT_FINDINGS = 1,     /* ran, at least one fail or error verdict (ci: regressions) */
    ML_EXIT_USAGE = 2,        /* bad arguments or bad input cases */
    ML_EXIT_ENV = 3,          /* the environment is broken: Python, NumPy, joblib, disk */
    ML_EXIT_INTERRUPTED = 130 /* SIGINT (SIGTERM: 143, SIGHUP: 129); what was found so far is on disk */
} ml_exit;

#include "case.h"
#include "py.h"

#include <stdbool.h>
#include <stdint.h>

/* Options shared by every command that runs Python. */
typedef struct {
    ml_py_opts py;
    int jobs;
    double timeout;
    int batch;
    ml_limits lim;
    bool quiet;
    char *with;             /* --with: requirement strings as given, joined by spaces */
    char *with_reqs;        /* the same normalized, once ml_cli_common_env ran */
    const char *env_dir;    /* --env-dir: the environment cache */
    char *env_site;         /* the environment's sys.path entry */
} ml_cli_common;

enum { ML_OPT_TIMEOUT = 1000, ML_OPT_MAX_BYTES, ML_OPT_REDUCER, ML_OPT_PYPATH, ML_OPT_BATCH, ML_OPT_MAX_OPS, ML_OPT_MAX_NDIM, ML_OPT_DETAIL,
       ML_OPT_WITH, ML_OPT_ENV_DIR };

#define ML_CLI_COMMON_LONGOPTS \
    {"jobs", required_argument, 0, 'j'}, {"timeout", required_argument, 0, ML_OPT_TIMEOUT}, \
    {"max-bytes", required_argument, 0, ML_OPT_MAX_BYTES}, {"reducer", required_argument, 0, ML_OPT_REDUCER}, \
    {"python-path", required_argument, 0, ML_OPT_PYPATH}, {"batch", required_argument, 0, ML_OPT_BATCH}, \
    {"detail", no_argument, 0, ML_OPT_DETAIL}, {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, \
    {"with", required_argument, 0, ML_OPT_WITH}, {"env-dir", required_argument, 0, ML_OPT_ENV_DIR}

#define ML_CLI_ENV_HELP \
    "      --with REQS      run in a Python environment from PyPI: pip requirements\n" \
    "                       such as \"joblib==1.6.0 numpy==2.3.*\", installed once\n" \
    "                       (wheels only) into the environment cache and put at\n" \
    "                       the front of sys.path of every Python process, behind\n" \
    "                       --python-path folders if any (see memlayout env --help)\n" \
    "      --env-dir DIR    the environment cache (default\n" \
    "                       $XDG_CACHE_HOME/memlayout/envs, else ~/.cache/memlayout/envs)\n"

#define ML_CLI_COMMON_HELP \
    "  -j, --jobs N         Python children running cases in parallel (default 1)\n" \
    "      --timeout S      seconds a case may take before it is an error:timeout (default 10)\n" \
    "      --max-bytes N    cap on a case's backing data (default 67108864)\n" \
    "      --reducer R      joblib (default) or reference: memlayout's correct reducer\n" \
    "                       patched into joblib for every transport\n" \
    "      --python-path D  put D first on sys.path (another joblib or NumPy checkout)\n" \
    ML_CLI_ENV_HELP \
    "      --batch N        cases per batch sent to a child (default 64)\n" \
    "      --detail         observations carry the leading elements of each array\n" \
    "  -q, --quiet          no progress line\n" \
    "  -h, --help           this text\n"


void ml_cli_common_init(ml_cli_common *co);
/* Handles an option of ML_CLI_COMMON_LONGOPTS; false if opt is not one. */
bool ml_cli_common_option(const char *cmd, int opt, ml_cli_common *co);
/* After the options: the --with environment, found in the cache or installed
 * (env.h), goes on co->py.python_path after any --python-path folders.
 * Returns 0, or an exit status after one line on stderr: 2 a malformed
 * requirement, 3 the install failed, 130/143 interrupted. */
int ml_cli_common_env(const char *cmd, ml_cli_common *co);
/* The environment of the requirement string with (option opt, for messages),
 * found or installed: *reqs the normalized requirements, *site its sys.path
 * folder (both malloc'd). 0, or an exit status after one line on stderr. */
int ml_cli_env_site(const char *cmd, const char *opt, const char *with, const char *env_dir, bool quiet,
                    char **reqs, char **site);
/* The environment cache: --env-dir, else the default (malloc'd). */
char *ml_cli_env_root(const char *env_dir);

/* SIGINT, SIGTERM and SIGHUP set ml_cli_stop to the signal's number (no
 * SA_RESTART, so poll() wakes up); commands pass &ml_cli_stop to campaigns
 * and minimizers. SIGPIPE ignored. */
#include <signal.h>
extern volatile sig_atomic_t ml_cli_stop;
void ml_cli_install_signals(void);
/* The exit status after an interruption: 128 + the signal's number, 130
 * (SIGINT), 143 (SIGTERM) or 129 (SIGHUP). */
int ml_cli_interrupted_exit(void);

/* Argument parsers: on bad input they print one line naming the option and
 * exit with ML_EXIT_USAGE. */
void ml_cli_usage(const char *cmd, const char *fmt, const char *arg) __attribute__((noreturn));
long long ml_cli_int(const char *cmd, const char *opt, const char *s, long long lo, long long hi);
double ml_cli_seconds(const char *cmd, const char *opt, const char *s);
/* "reduce,loky", "all", "pickle" (every protocol) -> mask of 1u << ml_transport. */
uint32_t ml_cli_transports(const char *cmd, const char *list);

/* Helpers of several commands; each prints its own one-line error as
 * "memlayout CMD: ..." and returns NULL/false. */
#include "session.h"
bool ml_cli_read_case(const char *cmd, const char *path, const ml_limits *lim, ml_case *c);
/* A session in a fresh private temp dir (*tmp); ml_cli_close_session removes both. */
ml_session *ml_cli_open_session(const char *cmd, ml_cli_common *co, const char *log, char **tmp);
void ml_cli_close_session(ml_session *s, char *tmp);
/* The last component of a path (a pointer into p). */
const char *ml_cli_base_name(const char *p);
/* "joblib X, NumPy Y, Python Z" from the runner's versions JSON, into buf. */
const char *ml_cli_versions_line(const char *versions, char *buf, size_t len);
/* Writes text (then frees it) to path atomically, creating its directory. */
bool ml_cli_write_text(const char *cmd, const char *opt, const char *path, char *text);

/* The commands. */
int ml_cmd_run(int argc, char **argv);
int ml_cmd_replay(int argc, char **argv);
int ml_cmd_gen(int argc, char **argv);
int ml_cmd_version(int argc, char **argv);
int ml_cmd_minimize(int argc, char **argv);
int ml_cmd_triage(int argc, char **argv);
int ml_cmd_repro(int argc, char **argv);
int ml_cmd_ci(int argc, char **argv);
int ml_cmd_matrix(int argc, char **argv);
/* memlayout bisect: the commit of a package's history where a verdict changes. */
int ml_cmd_bisect(int argc, char **argv);
/* memlayout env list|add|rm|path: the environment cache. */
int ml_cmd_env(int argc, char **argv);
/* memlayout report RESULTS [-o FILE]: the HTML report. */
int ml_cmd_report(int argc, char **argv);
/* The report a campaign writes when it ends: into report_path, or NULL for
 * reports/<last component of out_dir>/index.html. Prints the path unless
 * quiet; on failure prints one line to stderr and returns false (the
 * campaign's own exit status should not change). */
bool ml_report_after_run(const char *out_dir, const char *report_path, bool quiet);

#endif

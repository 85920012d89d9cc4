/* memlayout environments: a pip requirement set ("joblib==1.6.0 numpy==2.3.*")
 * installed once from PyPI, wheels only, into a cache directory that is then
 * put first on sys.path (and PYTHONPATH) of every Python process of a run.
 *
 * Cache layout, under the root (--env-dir, else $XDG_CACHE_HOME/memlayout/envs,
 * else ~/.cache/memlayout/envs):
 *
 *   ROOT/SET/                   one requirement set: SET = readable slug of the
 *                               normalized requirements + a hash of them and of
 *                               the Python version (wheels are per Python)
 *   ROOT/SET/RESOLVED/          one resolution of it, RESOLVED = the installed
 *                               distributions ("cloudpickle-3.1.3+joblib-1.6.0")
 *   ROOT/SET/RESOLVED/site/     pip install --target: the sys.path entry
 *   ROOT/SET/RESOLVED/env.json  requirements, Python, versions, install time
 *   ROOT/SET/RESOLVED/pip.log   what pip said
 *   ROOT/SET/current            symlink to the RESOLVED a run uses
 *
 * An install runs pip into ROOT/.tmp-SET-PID-XXXXXX and renames the finished
 * RESOLVED directory into place; installs into one root take a lock (flock on
 * ROOT), and a rename that finds the same RESOLVED already there keeps that
 * one, so two installs at once cannot corrupt the cache and a failed or
 * interrupted install leaves nothing behind. A cached set is used without any
 * network access. */
#ifndef ML_ENV_H
#define ML_ENV_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { ML_ENV_OK, ML_ENV_FAIL, ML_ENV_INTERRUPTED } ml_env_status;

/* The default cache root, malloc'd. */
char *ml_env_default_root(void);

/* Normalizes requirement strings (each holds whitespace-separated pip
 * requirements): package names lower-case with runs of [-_.] as '-',
 * sorted, duplicates dropped, joined by one space. Rejects pip options,
 * paths and URLs (err: one line). Malloc'd; NULL on error. */
char *ml_env_normalize(const char *const *specs, int n, char *err, size_t errlen);

/* The directory name of a normalized requirement set (ROOT/SET), malloc'd. */
char *ml_env_set_name(const char *reqs);

typedef struct {
    bool quiet;        /* no "installing ..." lines on stderr */
    bool refresh;      /* resolve and install again even when cached */
    const char *who;   /* prefix of messages, "memlayout run" */
} ml_env_opts;

/* The site directory (malloc'd) of the cached environment of reqs, or NULL. */
char *ml_env_find(const char *root, const char *reqs);

/* The cached environment of reqs, installing it first if needed: *site gets
 * its site directory (malloc'd), *installed whether pip ran. ML_ENV_FAIL:
 * err is one line naming the requirements and pip's reason. SIGINT and
 * SIGTERM during an install stop pip and return ML_ENV_INTERRUPTED, with
 * *signo the signal (the install leaves nothing). */
ml_env_status ml_env_ensure(const char *root, const char *reqs, const ml_env_opts *o,
                            char **site, bool *installed, int *signo, char *err, size_t errlen);

typedef struct {
    const char *set;        /* SET directory name */
    const char *reqs;       /* normalized requirements */
    const char *resolved;   /* "cloudpickle 3.1.3, joblib 1.6.0, numpy 2.3.5" */
    const char *python;     /* "3.11" */
    const char *site;       /* the sys.path entry */
    bool current;           /* the resolution a run uses */
    unsigned long long bytes;
} ml_env_info;

/* Calls cb for every installed resolution, sets in name order. Returns the
 * count, or -1 (err set) when the root cannot be read; a missing root has none. */
int ml_env_list(const char *root, void (*cb)(void *ctx, const ml_env_info *e), void *ctx,
                char *err, size_t errlen);

/* Removes the set of reqs (every resolution of it), or with reqs NULL every
 * set. Returns how many sets were removed, or -1 (err set). */
int ml_env_remove(const char *root, const char *reqs, char *err, size_t errlen);

#endif

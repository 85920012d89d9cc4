/* memlayout environments from PyPI: see env.h for the cache layout. */
#include "env.h"
#include "fsutil.h"
#include "proc.h"
#include "py.h"

#include <cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <patchlevel.h>   /* the embedded Python's version: wheels are per Python */
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STR_(x) #x
#define STR(x) STR_(x)
#define PY_XY STR(PY_MAJOR_VERSION) "." STR(PY_MINOR_VERSION)

/* ---- names ------------------------------------------------------------------ */

char *ml_env_default_root(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char buf[4096];
    if (xdg && xdg[0] == '/') {   /* the XDG spec ignores relative paths */
        snprintf(buf, sizeof buf, "%s/memlayout/envs", xdg);
        return strdup(buf);
    }
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw && pw->pw_dir ? pw->pw_dir : "/tmp";
    }
    snprintf(buf, sizeof buf, "%s/.cache/memlayout/envs", home);
    return strdup(buf);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One requirement, normalized into a malloc'd string; NULL with err set. */
static char *normalize_one(const char *w, char *err, size_t errlen)
{
    if (w[0] == '-') {
        snprintf(err, errlen, "\"%s\" is a pip option, not a requirement", w);
        return NULL;
    }
    if (strchr(w, '/') || strchr(w, '\\') || w[0] == '.' || w[0] == '~') {
        snprintf(err, errlen, "\"%s\" is a path or URL: --with takes PyPI requirements "
                 "(--python-path puts a local checkout first on sys.path)", w);
        return NULL;
    }
    size_t n = 0;
    while (isalnum((unsigned char)w[n]) || w[n] == '-' || w[n] == '_' || w[n] == '.')
        n++;
    if (!n || !isalnum((unsigned char)w[0])) {
        snprintf(err, errlen, "\"%s\" does not start with a package name", w);
        return NULL;
    }
    char *out = malloc(strlen(w) + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {   /* PEP 503: lower-case, runs of -_. as one - */
        char ch = w[i];
        if (ch == '-' || ch == '_' || ch == '.') {
            if (o == out || o[-1] != '-')
                *o++ = '-';
        } else {
            *o++ = (char)tolower((unsigned char)ch);
        }
    }
    strcpy(o, w + n);
    return out;
}

char *ml_env_normalize(const char *const *specs, int n, char *err, size_t errlen)
{
    char **words = NULL;
    int nw = 0, cap = 0;
    char *out = NULL;
    for (int i = 0; i < n; i++) {
        char *copy = strdup(specs[i] ? specs[i] : ""), *save = NULL;
        if (!copy)
            goto done;
        for (char *w = strtok_r(copy, " \t\n\r", &save); w; w = strtok_r(NULL, " \t\n\r", &save)) {
            char *norm = normalize_one(w, err, errlen);
            if (!norm) {
                free(copy);
                goto done;
            }
            if (nw == cap) {
                cap = cap ? cap * 2 : 8;
                char **g = realloc(words, (size_t)cap * sizeof *words);
                if (!g) {
                    free(norm);
                    free(copy);
                    goto done;
                }
                words = g;
            }
            words[nw++] = norm;
        }
        free(copy);
    }
    if (!nw) {
        snprintf(err, errlen, "no requirement given");
        goto done;
    }
    qsort(words, (size_t)nw, sizeof *words, cmp_str);
    size_t len = 1;
    for (int i = 0; i < nw; i++)
        len += strlen(words[i]) + 1;
    out = malloc(len);
    if (!out)
        goto done;
    out[0] = 0;
    for (int i = 0; i < nw; i++) {
        if (i && !strcmp(words[i], words[i - 1]))
            continue;
        if (out[0])
            strcat(out, " ");
        strcat(out, words[i]);
    }
done:
    for (int i = 0; i < nw; i++)
        free(words[i]);
    free(words);
    return out;
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* A directory name from text: [A-Za-z0-9.+] kept, other runs as one '-'. */
static void slug(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 1 < cap; p++) {
        char ch = *p;
        if (ch == '*')
            ch = 'x';
        if (isalnum((unsigned char)ch) || ch == '.' || ch == '+')
            out[o++] = ch;
        else if (o && out[o - 1] != '-' && out[o - 1] != '_')
            out[o++] = ch == ' ' ? '_' : '-';
    }
    while (o && (out[o - 1] == '-' || out[o - 1] == '_'))
        o--;
    out[o] = 0;
}

char *ml_env_set_name(const char *reqs)
{
    char s[64], buf[128];
    slug(reqs, s, 49);
    uint64_t h = fnv1a(reqs, fnv1a("python " PY_XY "\n", 14695981039346656037ull));
    snprintf(buf, sizeof buf, "%s%spy" PY_XY "-%012llx", s, s[0] ? "-" : "",
             (unsigned long long)(h & 0xffffffffffffull));
    return strdup(buf);
}

/* ---- finding a cached environment --------------------------------------------- */

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ROOT/SET/<current's target>, malloc'd, if it holds a site directory. */
static char *current_dir(const char *root, const char *set)
{
    char link[4096], target[512], dir[4096], site[4200];
    snprintf(link, sizeof link, "%s/%s/current", root, set);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return NULL;
    target[n] = 0;
    if (strchr(target, '/'))
        return NULL;   /* not one we made */
    snprintf(dir, sizeof dir, "%s/%s/%s", root, set, target);
    snprintf(site, sizeof site, "%s/site", dir);
    return is_dir(site) ? strdup(dir) : NULL;
}

char *ml_env_find(const char *root, const char *reqs)
{
    char *set = ml_env_set_name(reqs);
    char *dir = set ? current_dir(root, set) : NULL;
    free(set);
    if (!dir)
        return NULL;
    char site[4200];
    snprintf(site, sizeof site, "%s/site", dir);
    free(dir);
    return strdup(site);
}

/* ---- running pip ------------------------------------------------------------------ */

static volatile sig_atomic_t env_signal;

static void on_env_signal(int sig)
{
    env_signal = sig;
}

/* pip install --target site REQS, in its own process group, output to log.
 * Returns its exit status (0 ok), -1 if it could not start, -2 interrupted. */
static int run_pip(const char *tmp, const char *site, const char *reqs, const char *log)
{
    char *copy = strdup(reqs), *save = NULL;
    size_t words = 1;
    for (const char *p = reqs; *p; p++)
        words += *p == ' ';
    const char **argv = malloc((words + 16) * sizeof *argv);
    int a = 0;
    if (!copy || !argv) {
        free(copy);
        free(argv);
        return -1;
    }
    argv[a++] = ml_py_executable();
    argv[a++] = "-m";
    argv[a++] = "pip";
    argv[a++] = "install";
    argv[a++] = "--target";
    argv[a++] = site;
    argv[a++] = "--only-binary";
    argv[a++] = ":all:";   /* wheels only: no compiler runs */
    argv[a++] = "--no-input";
    argv[a++] = "--disable-pip-version-check";
    argv[a++] = "--no-warn-script-location";
    argv[a++] = "--root-user-action=ignore";
    argv[a++] = "--progress-bar";
    argv[a++] = "off";
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
        argv[a++] = w;
    argv[a] = NULL;
    /* pip's own temporary files: inside the install's folder (removed with
     * it, whatever happens) and on the target's file system */
    char pip_tmp[4200], tmpdir_var[4300];
    snprintf(pip_tmp, sizeof pip_tmp, "%s/pip-tmp", tmp);
    snprintf(tmpdir_var, sizeof tmpdir_var, "TMPDIR=%s", pip_tmp);
    const char *set[] = {mkdir(pip_tmp, 0700) == 0 ? tmpdir_var : NULL, NULL};
    /* the caller's PYTHON* variables and pip settings that move the install
     * elsewhere must not reach pip; index and proxy settings may */
    static const char *const unset[] = {"PIP_TARGET", "PIP_PREFIX", "PIP_ROOT", "PIP_USER",
                                        "PIP_REQUIRE_VIRTUALENV", "PIP_NO_BINARY", "PIP_ONLY_BINARY",
                                        "PYTHON*", NULL};
    int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int st = ML_PROC_FAILED;
    if (out >= 0) {
        /* cwd: no local folder taken for a package */
        ml_proc_opts o = {.cwd = tmp, .out_fd = out, .unset = unset, .set = set, .stop = &env_signal};
        st = ml_proc_run(argv, &o, NULL, 0);
        close(out);
    }
    free(copy);
    free(argv);
    if (st == ML_PROC_STOPPED || env_signal)
        return -2;
    return st == ML_PROC_FAILED ? -1 : st;
}

/* pip's reason, from its log: the last "ERROR:" line (the first one can list
 * every version on PyPI), with why the index was unreachable if it was. */
static void pip_reason(const char *log, int status, char *out, size_t len)
{
    char err[256];
    size_t n = 0;
    char *text = ml_read_file(log, 8u << 20, &n, err, sizeof err);
    char last_error[1024] = "", last_line[1024] = "", net[512] = "";
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        size_t l = strlen(s);
        while (l && (s[l - 1] == '\r' || s[l - 1] == ' '))
            s[--l] = 0;
        if (!l)
            continue;
        snprintf(last_line, sizeof last_line, "%s", s);
        if (!strncmp(s, "ERROR: ", 7))
            snprintf(last_error, sizeof last_error, "%s", s + 7);
        const char *c = strstr(s, "Failed to establish a new connection: ");
        if (c) {
            c += strlen("Failed to establish a new connection: ");
            size_t k = strcspn(c, "'\")");
            snprintf(net, sizeof net, "%.*s", (int)(k < 200 ? k : 200), c);
        } else if (!net[0] && strstr(s, "Retrying (Retry(")) {
            const char *b = strstr(s, "after connection broken by '");
            if (b) {
                b += strlen("after connection broken by '");
                size_t k = strcspn(b, "(':");
                snprintf(net, sizeof net, "%.*s", (int)(k < 120 ? k : 120), b);
            } else {
                snprintf(net, sizeof net, "network error");
            }
        }
    }
    const char *why = last_error[0] ? last_error : last_line[0] ? last_line : "no output";
    int k = snprintf(out, len, "%s", why);
    if (net[0] && k >= 0 && (size_t)k < len)
        k += snprintf(out + k, len - (size_t)k, " (PyPI unreachable: %s)", net);
    if (text && strstr(text, "No module named pip") && k >= 0 && (size_t)k < len)
        k += snprintf(out + k, len - (size_t)k, " (install Debian's python3-pip: sh ci/install-deps.sh)");
    if (!text && status && k >= 0 && (size_t)k < len)
        snprintf(out + k, len - (size_t)k, " (pip exited %d)", status);
    free(text);
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
}

/* ---- what got installed ----------------------------------------------------------- */

typedef struct {
    char **names, **versions;   /* lower-case distribution names, sorted with their versions */
    int n;
} dists;

static void dists_free(dists *d)
{
    for (int i = 0; i < d->n; i++) {
        free(d->names[i]);
        free(d->versions[i]);
    }
    free(d->names);
    free(d->versions);
    memset(d, 0, sizeof *d);
}

static int cmp_idx_name(const void *a, const void *b, void *names)
{
    char **nm = names;
    return strcmp(nm[*(const int *)a], nm[*(const int *)b]);
}

/* The NAME-VERSION.dist-info directories in site. */
static bool read_dists(const char *site, dists *d)
{
    memset(d, 0, sizeof *d);
    DIR *dir = opendir(site);
    if (!dir)
        return false;
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t l = strlen(e->d_name);
        if (l < 11 || strcmp(e->d_name + l - 10, ".dist-info"))
            continue;
        char base[512];
        snprintf(base, sizeof base, "%.*s", (int)(l - 10), e->d_name);
        char *dash = strchr(base, '-');
        if (!dash)
            continue;
        *dash = 0;
        if (d->n == cap) {
            cap = cap ? cap * 2 : 8;
            d->names = realloc(d->names, (size_t)cap * sizeof *d->names);
            d->versions = realloc(d->versions, (size_t)cap * sizeof *d->versions);
            if (!d->names || !d->versions) {
                closedir(dir);
                return false;
            }
        }
        for (char *p = base; *p; p++)
            *p = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
        d->names[d->n] = strdup(base);
        d->versions[d->n] = strdup(dash + 1);
        d->n++;
    }
    closedir(dir);
    /* sort both by name */
    int *idx = malloc(sizeof *idx * (size_t)(d->n ? d->n : 1));
    char **nn = malloc(sizeof *nn * (size_t)(d->n ? d->n : 1)), **vv = malloc(sizeof *vv * (size_t)(d->n ? d->n : 1));
    if (!idx || !nn || !vv) {
        free(idx);
        free(nn);
        free(vv);
        return false;
    }
    for (int i = 0; i < d->n; i++)
        idx[i] = i;
    qsort_r(idx, (size_t)d->n, sizeof *idx, cmp_idx_name, d->names);
    for (int i = 0; i < d->n; i++) {
        nn[i] = d->names[idx[i]];
        vv[i] = d->versions[idx[i]];
    }
    free(d->names);
    free(d->versions);
    free(idx);
    d->names = nn;
    d->versions = vv;
    return d->n > 0;
}

/* "cloudpickle-3.1.3+joblib-1.6.0": the RESOLVED directory name. */
static void resolved_name(const dists *d, char *out, size_t cap)
{
    char raw[4096];
    size_t o = 0;
    for (int i = 0; i < d->n && o < sizeof raw; i++)
        o += (size_t)snprintf(raw + o, sizeof raw - o, "%s%s-%s", i ? "+" : "", d->names[i], d->versions[i]);
    char s[4096];
    slug(raw, s, sizeof s);
    if (strlen(s) <= 160) {
        snprintf(out, cap, "%s", s);
    } else {
        uint64_t h = fnv1a(raw, 14695981039346656037ull);
        snprintf(out, cap, "%.140s-%012llx", s, (unsigned long long)(h & 0xffffffffffffull));
    }
}

static bool write_env_json(const char *dir, const char *reqs, const dists *d, double seconds)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "memlayout_env", 1);
    cJSON_AddStringToObject(j, "requirements", reqs);
    cJSON_AddStringToObject(j, "python", PY_XY);
    cJSON *r = cJSON_AddObjectToObject(j, "resolved");
    for (int i = 0; i < d->n; i++)
        cJSON_AddStringToObject(r, d->names[i], d->versions[i]);
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    cJSON_AddStringToObject(j, "installed", when);
    cJSON_AddNumberToObject(j, "install_seconds", (double)(long)(seconds * 10) / 10);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    char path[4200], err[256];
    snprintf(path, sizeof path, "%s/env.json", dir);
    bool ok = text && ml_write_atomic(path, text, strlen(text), err, sizeof err);
    free(text);
    return ok;
}

/* ---- installing --------------------------------------------------------------------- */

/* Removes .tmp-* and .rm-* directories whose installing process is gone. */
static void clean_stale(const char *root)
{
    DIR *dir = opendir(root);
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir))) {
        const char *p = NULL;
        if (!strncmp(e->d_name, ".tmp-", 5) || !strncmp(e->d_name, ".rm-", 4))
            p = strrchr(e->d_name, '@');   /* ...@PID-XXXXXX */
        if (!p)
            continue;
        long pid = strtol(p + 1, NULL, 10);
        if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", root, e->d_name);
        ml_rmtree(path);
    }
    closedir(dir);
}

/* Exclusive lock on the root directory; false if interrupted. */
static bool lock_root(int fd, const ml_env_opts *o, const char *root)
{
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return true;
    if (errno != EWOULDBLOCK)
        return true;   /* no locks here (some network file systems): renames still keep it whole */
    if (!o->quiet)
        fprintf(stderr, "%s: waiting for another memlayout installing into %s\n", o->who, root);
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR)
            return true;
        if (env_signal)
            return false;
    }
    return true;
}

ml_env_status ml_env_ensure(const char *root, const char *reqs, const ml_env_opts *o,
                            char **site, bool *installed, int *signo, char *err, size_t errlen)
{
    *site = NULL;
    *installed = false;
    *signo = 0;
    if (!o->refresh && (*site = ml_env_find(root, reqs)))
        return ML_ENV_OK;
    char e2[512];
    if (!ml_mkdirs(root, e2, sizeof e2)) {
        snprintf(err, errlen, "--env-dir: %s", e2);
        return ML_ENV_FAIL;
    }
    /* SIGINT/SIGTERM: stop pip and leave nothing */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_env_signal;   /* no SA_RESTART: waitpid and flock wake up */
    env_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    ml_env_status rc = ML_ENV_FAIL;
    char *set = ml_env_set_name(reqs), *tmp = NULL;
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (!set || fd < 0) {
        snprintf(err, errlen, "--env-dir: %s: %s", root, strerror(errno));
        goto out;
    }
    if (!lock_root(fd, o, root))
        goto interrupted;
    if (!o->refresh && (*site = ml_env_find(root, reqs))) {   /* installed while we waited */
        rc = ML_ENV_OK;
        goto out;
    }
    clean_stale(root);
    char tpl[4200];
    snprintf(tpl, sizeof tpl, "%s/.tmp-%s@%ld-XXXXXX", root, set, (long)getpid());
    if (!mkdtemp(tpl)) {
        snprintf(err, errlen, "--env-dir: %s: %s", root, strerror(errno));
        goto out;
    }
    tmp = strdup(tpl);
    char tsite[4300], log[4300];
    snprintf(tsite, sizeof tsite, "%s/site", tmp);
    snprintf(log, sizeof log, "%s/pip.log", tmp);
    if (mkdir(tsite, 0755) != 0) {
        snprintf(err, errlen, "--env-dir: %s: %s", tsite, strerror(errno));
        goto out;
    }
    if (!o->quiet)
        fprintf(stderr, "%s: installing %s with pip (wheels only) into %s ...\n", o->who, reqs, root);
    double t0 = ml_now();
    int st = run_pip(tmp, tsite, reqs, log);
    double secs = ml_now() - t0;
    if (st == -2 || env_signal)
        goto interrupted;
    if (st != 0) {
        char why[1024];
        if (st == -1)
            snprintf(why, sizeof why, "cannot run %s -m pip: %s", ml_py_executable(), strerror(errno));
        else
            pip_reason(log, st, why, sizeof why);
        snprintf(err, errlen, "pip install failed: %s", why);
        goto out;
    }
    char ptmp[4300];
    snprintf(ptmp, sizeof ptmp, "%s/pip-tmp", tmp);
    ml_rmtree(ptmp);
    dists d;
    if (!read_dists(tsite, &d)) {
        dists_free(&d);
        snprintf(err, errlen, "pip installed nothing into %s", tsite);
        goto out;
    }
    char rname[256], setdir[4300], final[4600];
    resolved_name(&d, rname, sizeof rname);
    bool wrote = write_env_json(tmp, reqs, &d, secs);
    char pretty[1024];
    size_t pl = 0;
    pretty[0] = 0;
    for (int i = 0; i < d.n && pl < sizeof pretty; i++)
        pl += (size_t)snprintf(pretty + pl, sizeof pretty - pl, "%s%s %s", i ? ", " : "", d.names[i], d.versions[i]);
    dists_free(&d);
    if (!wrote) {
        snprintf(err, errlen, "--env-dir: cannot write %s/env.json", tmp);
        goto out;
    }
    snprintf(setdir, sizeof setdir, "%s/%s", root, set);
    if (mkdir(setdir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "--env-dir: %s: %s", setdir, strerror(errno));
        goto out;
    }
    snprintf(final, sizeof final, "%s/%s", setdir, rname);
    if (rename(tmp, final) != 0) {
        if (errno != EEXIST && errno != ENOTEMPTY) {
            snprintf(err, errlen, "--env-dir: %s: %s", final, strerror(errno));
            goto out;
        }
        ml_rmtree(tmp);   /* the same resolution is already there: keep that one */
    }
    free(tmp);
    tmp = NULL;
    char cur[4400], link[4400];
    snprintf(link, sizeof link, "%s/.current@%ld", setdir, (long)getpid());
    snprintf(cur, sizeof cur, "%s/current", setdir);
    unlink(link);
    if (symlink(rname, link) != 0 || rename(link, cur) != 0) {
        unlink(link);
        snprintf(err, errlen, "--env-dir: %s: %s", cur, strerror(errno));
        goto out;
    }
    char fsite[4700];
    snprintf(fsite, sizeof fsite, "%s/site", final);
    *site = strdup(fsite);
    *installed = true;
    if (!o->quiet)
        fprintf(stderr, "%s: installed %s in %.1f s\n", o->who, pretty, secs);
    rc = ML_ENV_OK;
    goto out;
interrupted:
    rc = ML_ENV_INTERRUPTED;
    *signo = env_signal ? env_signal : SIGINT;
    snprintf(err, errlen, "interrupted while installing %s", reqs);
out:
    if (tmp) {
        ml_rmtree(tmp);
        free(tmp);
    }
    if (fd >= 0)
        close(fd);   /* releases the lock */
    free(set);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc;
}

/* ---- listing and removing -------------------------------------------------------------- */

static unsigned long long du_total;

static int du_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)p;
    (void)flag;
    (void)f;
    du_total += (unsigned long long)st->st_blocks * 512ull;
    return 0;
}

static int cmp_dirent_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int visible(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

int ml_env_list(const char *root, void (*cb)(void *ctx, const ml_env_info *e), void *ctx,
                char *err, size_t errlen)
{
    struct dirent **sets;
    int ns = scandir(root, &sets, visible, cmp_dirent_name);
    if (ns < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", root, strerror(errno));
        return -1;
    }
    int count = 0;
    for (int i = 0; i < ns; i++) {
        char setdir[4300], link[4400], cur[512] = "";
        snprintf(setdir, sizeof setdir, "%s/%s", root, sets[i]->d_name);
        snprintf(link, sizeof link, "%s/current", setdir);
        ssize_t n = readlink(link, cur, sizeof cur - 1);
        cur[n > 0 ? n : 0] = 0;
        struct dirent **res;
        int nr = is_dir(setdir) ? scandir(setdir, &res, visible, cmp_dirent_name) : -1;
        for (int k = 0; k < nr; k++) {
            char dir[4700], jp[4800], site[4800];
            snprintf(dir, sizeof dir, "%s/%s", setdir, res[k]->d_name);
            snprintf(jp, sizeof jp, "%s/env.json", dir);
            snprintf(site, sizeof site, "%s/site", dir);
            char e2[256];
            size_t len;
            char *text = strcmp(res[k]->d_name, "current") ? ml_read_file(jp, 1 << 20, &len, e2, sizeof e2) : NULL;
            cJSON *j = text ? cJSON_Parse(text) : NULL;
            free(text);
            const char *reqs = cJSON_GetStringValue(cJSON_GetObjectItem(j, "requirements"));
            if (reqs) {
                char pretty[1024];
                size_t pl = 0;
                pretty[0] = 0;
                cJSON *r = cJSON_GetObjectItem(j, "resolved"), *it;
                cJSON_ArrayForEach(it, r) {
                    if (pl < sizeof pretty && cJSON_IsString(it))
                        pl += (size_t)snprintf(pretty + pl, sizeof pretty - pl, "%s%s %s", pl ? ", " : "",
                                               it->string, it->valuestring);
                }
                du_total = 0;
                nftw(dir, du_one, 16, FTW_PHYS);
                const char *py = cJSON_GetStringValue(cJSON_GetObjectItem(j, "python"));
                ml_env_info info = {.set = sets[i]->d_name, .reqs = reqs, .resolved = pretty,
                                    .python = py ? py : "?", .site = site,
                                    .current = !strcmp(cur, res[k]->d_name), .bytes = du_total};
                cb(ctx, &info);
                count++;
            }
            cJSON_Delete(j);
            free(res[k]);
        }
        if (nr >= 0)
            free(res);
        free(sets[i]);
    }
    free(sets);
    return count;
}

/* Moves ROOT/SET aside (so that no run finds half of it), then deletes it. */
static bool remove_set(const char *root, const char *set, char *err, size_t errlen)
{
    char from[4300], to[4400];
    snprintf(from, sizeof from, "%s/%s", root, set);
    snprintf(to, sizeof to, "%s/.rm-%s@%ld-%ld", root, set, (long)getpid(), (long)time(NULL));
    if (rename(from, to) != 0) {
        snprintf(err, errlen, "%s: %s", from, strerror(errno));
        return false;
    }
    ml_rmtree(to);
    return true;
}

int ml_env_remove(const char *root, const char *reqs, char *err, size_t errlen)
{
    if (reqs) {
        char *set = ml_env_set_name(reqs), path[4300];
        if (!set)
            return -1;
        snprintf(path, sizeof path, "%s/%s", root, set);
        int r = !is_dir(path) ? 0 : remove_set(root, set, err, errlen) ? 1 : -1;
        free(set);
        return r;
    }
    struct dirent **sets;
    int ns = scandir(root, &sets, visible, cmp_dirent_name), removed = 0;
    if (ns < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", root, strerror(errno));
        return -1;
    }
    for (int i = 0; i < ns; i++) {
        if (removed >= 0 && remove_set(root, sets[i]->d_name, err, errlen))
            removed++;
        else
            removed = -1;
        free(sets[i]);
    }
    free(sets);
    return removed;
}

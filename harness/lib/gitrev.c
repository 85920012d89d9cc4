/* memlayout revisions (gitrev.h). */
#include "gitrev.h"
#include "fsutil.h"
#include "proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* What the user's environment may say about another repository, index or
 * work tree must not reach the git memlayout runs. */
static const char *const git_unset[] = {"GIT_*", NULL};
static const char *const git_set[] = {"LC_ALL=C", "GIT_TERMINAL_PROMPT=0", NULL};

#define GIT_OUT_MAX (16u << 20)

/* git -C repo ARGS...: its status; *out (may be NULL) what it wrote. */
static int git(const char *repo, volatile sig_atomic_t *stop, char **out, const char *a1, const char *a2,
               const char *a3, const char *a4, const char *a5, const char *a6, const char *a7)
{
    const char *argv[] = {"git", "-C", repo, a1, a2, a3, a4, a5, a6, a7, NULL};
    ml_proc_opts o = {.out_fd = -1, .unset = git_unset, .set = git_set, .stop = stop};
    return ml_proc_run(argv, &o, out, GIT_OUT_MAX);
}

static bool is_sha(const char *s)
{
    if (strlen(s) != 40)
        return false;
    for (int i = 0; i < 40; i++)
        if (!strchr("0123456789abcdef", s[i]))
            return false;
    return true;
}

bool ml_git_check_repo(const char *repo, char *err, size_t errlen)
{
    struct stat st;
    if (stat(repo, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "\"%s\" is not a directory", repo);
        return false;
    }
    char *out = NULL, line[512];
    int rc = git(repo, NULL, &out, "rev-parse", "--git-dir", NULL, NULL, NULL, NULL, NULL);
    if (rc != 0)
        snprintf(err, errlen, "\"%s\" is not a git repository (%s)", repo,
                 rc == ML_PROC_FAILED ? "cannot run git" : ml_proc_last_line(out, line, sizeof line));
    free(out);
    return rc == 0;
}

bool ml_git_resolve(const char *repo, const char *rev, char sha[41], char *err, size_t errlen)
{
    char spec[1100], *out = NULL;
    if (!*rev || rev[0] == '-' || strlen(rev) > 1000) {
        snprintf(err, errlen, "\"%s\" is not a revision", rev);
        return false;
    }
    snprintf(spec, sizeof spec, "%s^{commit}", rev);
    int rc = git(repo, NULL, &out, "rev-parse", "--verify", "--quiet", "--end-of-options", spec, NULL, NULL);
    char line[64] = "";
    ml_proc_last_line(out, line, sizeof line);
    free(out);
    if (rc != 0 || !is_sha(line)) {
        snprintf(err, errlen, "unknown revision \"%s\" in %s", rev, repo);
        return false;
    }
    memcpy(sha, line, 41);
    return true;
}

int ml_git_is_ancestor(const char *repo, const char *a, const char *b)
{
    int rc = git(repo, NULL, NULL, "merge-base", "--is-ancestor", a, b, NULL, NULL, NULL);
    return rc == 0 ? 1 : rc == 1 ? 0 : -1;
}

int ml_git_first_parent(const char *repo, const char *old, const char *new_, char (**shas)[41], char *err,
                        size_t errlen)
{
    char range[100], *out = NULL, line[512];
    snprintf(range, sizeof range, "%s..%s", old, new_);
    *shas = NULL;
    int rc = git(repo, NULL, &out, "rev-list", "--first-parent", "--reverse", range, NULL, NULL, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "git rev-list %s: %s", range, ml_proc_last_line(out, line, sizeof line));
        free(out);
        return -1;
    }
    int n = 0, cap = 0;
    for (char *p = out, *next; p && *p; p = next) {
        next = strchr(p, '\n');
        if (next)
            *next++ = 0;
        else
            next = p + strlen(p);
        if (!is_sha(p))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char (*grown)[41] = realloc(*shas, sizeof **shas * (size_t)cap);
            if (!grown) {
                snprintf(err, errlen, "out of memory");
                free(*shas);
                free(out);
                *shas = NULL;
                return -1;
            }
            *shas = grown;
        }
        memcpy((*shas)[n++], p, 41);
    }
    free(out);
    return n;
}

bool ml_git_commit_info(const char *repo, const char *sha, ml_git_commit *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->sha, sizeof c->sha, "%s", sha);
    char *out = NULL;
    int rc = git(repo, NULL, &out, "log", "-1", "--no-show-signature", "--format=%cI%x09%s", sha, "--", NULL);
    if (rc == 0 && out) {
        char *tab = strchr(out, '\t'), *nl;
        if (tab) {
            *tab = 0;
            if ((nl = strchr(tab + 1, '\n')))
                *nl = 0;
            snprintf(c->date, sizeof c->date, "%s", out);
            ml_printable(tab + 1, c->subject, sizeof c->subject);
        }
    }
    free(out);
    return rc == 0;
}

/* The package's folder at sha: pkg->subdir, else PACKAGE or src/PACKAGE,
 * whichever is a folder there. */
static bool find_subdir(const ml_rev_pkg *pkg, const char *sha, char *out, size_t len)
{
    char src[1100];
    const char *cand[2];
    int n = 0;
    if (pkg->subdir) {
        cand[n++] = pkg->subdir;
    } else {
        snprintf(src, sizeof src, "src/%s", pkg->package);
        cand[n++] = pkg->package;
        cand[n++] = src;
    }
    for (int i = 0; i < n; i++) {
        char spec[1200], *t = NULL, line[32];
        if (strlen(cand[i]) > 1000)
            continue;
        snprintf(spec, sizeof spec, "%.40s:%.1000s", sha, cand[i]);
        int rc = git(pkg->repo, pkg->stop, &t, "cat-file", "-t", spec, NULL, NULL, NULL, NULL);
        ml_proc_last_line(t, line, sizeof line);
        free(t);
        if (rc == 0 && !strcmp(line, "tree")) {
            snprintf(out, len, "%s", cand[i]);
            return true;
        }
    }
    return false;
}

/* Python: put the folders of argv[1] (':'-separated) first on sys.path,
 * import argv[2], print where it came from. */
static const char import_check[] =
    "import importlib, os, sys\n"
    "sys.path[0:0] = [p for p in sys.argv[1].split(':') if p]\n"
    "m = importlib.import_module(sys.argv[2])\n"
    "print('from', os.path.realpath(getattr(m, '__file__', None) or '?'))\n";

static const char *const py_unset[] = {"PYTHON*", NULL};

ml_rev_status ml_rev_export(const ml_rev_pkg *pkg, const char *sha, const char *dest, char **path, char *why,
                            size_t whylen)
{
    *path = NULL;
    char sub[1100], tar[4200], site[4200], prefix[300], tree[1200], line[512];
    if (!find_subdir(pkg, sha, sub, sizeof sub)) {
        if (pkg->stop && *pkg->stop)
            return ML_REV_STOPPED;
        if (pkg->subdir)
            snprintf(why, whylen, "no folder %s in this commit", pkg->subdir);
        else
            snprintf(why, whylen, "no folder %s or src/%s in this commit", pkg->package, pkg->package);
        return ML_REV_SKIP;
    }
    if (!ml_mkdirs(dest, why, whylen))
        return ML_REV_FAIL;
    snprintf(tar, sizeof tar, "%s/tree.tar", dest);
    snprintf(site, sizeof site, "%s/site", dest);
    snprintf(prefix, sizeof prefix, "--prefix=%s/", pkg->package);
    snprintf(tree, sizeof tree, "%.40s:%.1000s", sha, sub);
    char *out = NULL;
    int rc = git(pkg->repo, pkg->stop, &out, "archive", "--format=tar", "-o", tar, prefix, tree, NULL);
    if (rc == 0) {
        free(out);
        out = NULL;
        if (!ml_mkdirs(site, why, whylen))
            return ML_REV_FAIL;
        const char *targv[] = {"tar", "-x", "-f", tar, "-C", site, NULL};
        ml_proc_opts to = {.out_fd = -1, .stop = pkg->stop};
        rc = ml_proc_run(targv, &to, &out, 1u << 16);
        remove(tar);
    }
    if (rc == ML_PROC_STOPPED) {
        free(out);
        return ML_REV_STOPPED;
    }
    if (rc != 0) {
        snprintf(why, whylen, "cannot export %s: %s", tree,
                 rc == ML_PROC_FAILED ? "cannot run git or tar" : ml_proc_last_line(out, line, sizeof line));
        free(out);
        return ML_REV_FAIL;
    }
    free(out);
    size_t n = strlen(site) + (pkg->python_path ? strlen(pkg->python_path) + 1 : 0) + 1;
    char *joined = malloc(n);
    if (!joined) {
        snprintf(why, whylen, "out of memory");
        return ML_REV_FAIL;
    }
    snprintf(joined, n, "%s%s%s", site, pkg->python_path ? ":" : "", pkg->python_path ? pkg->python_path : "");
    const char *pargv[] = {ML_PY_EXE, "-c", import_check, joined, pkg->package, NULL};
    ml_proc_opts po = {.out_fd = -1, .cwd = dest, .unset = py_unset, .stop = pkg->stop};
    out = NULL;
    rc = ml_proc_run(pargv, &po, &out, 1u << 16);
    ml_proc_last_line(out, line, sizeof line);
    free(out);
    if (rc == ML_PROC_STOPPED) {
        free(joined);
        return ML_REV_STOPPED;
    }
    char *real = realpath(site, NULL);
    size_t rl = real ? strlen(real) : 0;
    bool ours = rc == 0 && real && !strncmp(line, "from ", 5) && !strncmp(line + 5, real, rl) && line[5 + rl] == '/';
    free(real);
    if (!ours) {
        if (rc == 0)
            snprintf(why, whylen, "%s imports from elsewhere (%s)", pkg->package, line);
        else
            snprintf(why, whylen, "%s does not import: %s", pkg->package,
                     rc == ML_PROC_FAILED ? "cannot run Python" : line);
        free(joined);
        return ML_REV_SKIP;
    }
    *path = joined;
    return ML_REV_OK;
}

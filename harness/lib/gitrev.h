/* memlayout revisions: a pure-Python package (joblib by default) at the
 * commits of a git checkout, for `bisect` and `matrix --revs`. The checkout
 * is only read (git rev-parse, rev-list, log, archive): a commit's package
 * folder is exported with `git archive` into a folder of memlayout's temp
 * dir, which then goes first on sys.path as --python-path does. No
 * worktree, index or bisect state of the user's checkout changes. */
#ifndef ML_GITREV_H
#define ML_GITREV_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char sha[41];
    char date[40];          /* committer date, ISO 8601 */
    char subject[256];
} ml_git_commit;

typedef struct {
    const char *repo;       /* the checkout */
    const char *package;    /* the import name ("joblib") */
    const char *subdir;     /* its folder in the repository; NULL: PACKAGE, else src/PACKAGE */
    const char *python_path;/* what goes on sys.path after the export (may be NULL) */
    volatile sig_atomic_t *stop;
} ml_rev_pkg;

/* False (err: "<reason>") when repo is not a git checkout. */
bool ml_git_check_repo(const char *repo, char *err, size_t errlen);
/* The commit rev names (a sha, tag, branch, HEAD~3). False when unknown. */
bool ml_git_resolve(const char *repo, const char *rev, char sha[41], char *err, size_t errlen);
/* 1 when a is an ancestor of b (or the same commit), 0 when not, -1 on error. */
int ml_git_is_ancestor(const char *repo, const char *a, const char *b);
/* The commits on the first-parent path from old (excluded) to new
 * (included), oldest first (git rev-list --first-parent --reverse
 * old..new). Returns the count (*shas malloc'd), or -1 (err set). */
int ml_git_first_parent(const char *repo, const char *old, const char *new_, char (**shas)[41], char *err,
                        size_t errlen);
/* A commit's date and subject. */
bool ml_git_commit_info(const char *repo, const char *sha, ml_git_commit *c);

typedef enum {
    ML_REV_OK,              /* exported; the package imports from it */
    ML_REV_SKIP,            /* no package folder there, or it does not import (why: reason) */
    ML_REV_FAIL,            /* git or the file system failed (why) */
    ML_REV_STOPPED,         /* *stop was set */
} ml_rev_status;

/* Exports the package of commit sha into dest (a folder to create, inside a
 * private temp dir) and checks in a fresh Python that it imports from
 * there. On ML_REV_OK, *path (malloc'd) is the sys.path entry to run with:
 * the export first, then pkg->python_path. why gets one line otherwise. */
ml_rev_status ml_rev_export(const ml_rev_pkg *pkg, const char *sha, const char *dest, char **path, char *why,
                            size_t whylen);

#endif

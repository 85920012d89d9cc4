/* The bisection of one case over a range of a package's git history, as
 * `memlayout bisect` runs it and `memlayout ci --repo` attaches it to a new
 * failure: the range checked once (ml_rb_open), then each case searched
 * (ml_rb_case) with the skip-aware search of bisect.h over the commits
 * gitrev.h exports. */
#ifndef ML_REV_BISECT_H
#define ML_REV_BISECT_H

#include "case.h"
#include "cli.h"

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const ml_cli_common *co;
    const char *repo, *package, *subdir;   /* package: the import name; subdir NULL: NAME, else src/NAME */
    const char *old_rev, *new_rev;         /* as given */
    char old_sha[41], new_sha[41];
    char (*shas)[41];                      /* ml_rb_open: points 0..n, 0 is old */
    int n;                                 /* commits after old on the first-parent path to new */
} ml_rb_range;

/* Checks the package name, subdir, repository, both revisions and that old
 * is an ancestor of new, and lists the commits between them. On bad input
 * prints "memlayout CMD: --FIELD: why" (one line) and returns ML_EXIT_USAGE
 * (ML_EXIT_ENV when git breaks); 0 when the range is ready. */
int ml_rb_open(const char *cmd, ml_rb_range *rg);
void ml_rb_close(ml_rb_range *rg);

typedef enum {
    ML_RB_FOUND,        /* a first changed commit */
    ML_RB_NO_CHANGE,    /* the verdict at new is the one at old */
    ML_RB_NO_OLD,       /* no verdict at old (err says why) */
    ML_RB_NO_NEW,       /* no verdict at new (err says why) */
    ML_RB_BROKEN,       /* git, Python or the disk broke (err) */
    ML_RB_STOPPED,      /* ml_cli_stop */
} ml_rb_status;

typedef struct {
    ml_rb_status status;
    char err[1400];
    cJSON *json;        /* FOUND, NO_CHANGE: bisect.json's document; the caller deletes it */
} ml_rb_out;

/* Bisects case c (read from case_path) over the range: the verdict at old
 * is the reference, the answer the first commit whose verdict differs.
 * transports: 0 the case's own, else a mask of ml_transport; bug: a bug id
 * whose presence is the verdict, or NULL. progress: print the header and a
 * line per step. */
ml_rb_status ml_rb_case(const ml_rb_range *rg, const ml_case *c, const char *case_path, uint32_t transports,
                        const char *bug, bool progress, ml_rb_out *out);

/* The string o[k1][k2] (o[k1] when k2 is NULL) of a bisect.json document,
 * "?" when missing. */
const char *ml_rb_str(const cJSON *o, const char *k1, const char *k2);

/* One line for a bisect.json document: "first changed commit SHA DATE
 * SUBJECT (regression)", with ", between A and B, N commits skipped" when
 * the range was widened, or "no change between OLD and NEW". */
void ml_rb_line(const cJSON *j, char *buf, size_t len);

#endif

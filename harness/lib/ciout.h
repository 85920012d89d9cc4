/* memlayout CI output: JUnit XML and SARIF 2.1.0 from the rows of a
 * regression job (`memlayout ci`).
 *
 * JUnit: one <testsuite>, one <testcase> per case file; a known failure
 * (xfail) is <skipped> with a message, a new or changed failure and an
 * unexpected pass (XPASS, unless allowed) are <failure>, an invalid case is
 * <error>. SARIF: one run, tool.driver "memlayout" with a rule per status,
 * one result per row that is not a plain pass, located at the case file.
 *
 * Every string from a case, a path or an environment is escaped. Returned
 * strings are malloc'd; the caller frees them (NULL on OOM). */
#ifndef ML_CIOUT_H
#define ML_CIOUT_H

#include "baseline.h"

typedef struct {
    const char *path;         /* the case file as given on the command line */
    const char *key;          /* its baseline key */
    const char *transport;
    const char *verdict;      /* what it got */
    const char *expected;     /* what the baseline says, or NULL */
    ml_expect status;
    const char *detail;       /* parent/child layouts or the error message, or NULL */
    double seconds;
} ml_ci_row;

typedef struct {
    const char *suite;        /* testsuite name, e.g. "memlayout regress" */
    const char *env;          /* environment key */
    const char *version;      /* memlayout's version */
    bool allow_fixed;         /* XPASS does not fail */
    const char *update_hint;  /* the command that updates the baseline */
} ml_ci_meta;

char *ml_ci_junit(const ml_ci_row *rows, int n, const ml_ci_meta *m);
char *ml_ci_sarif(const ml_ci_row *rows, int n, const ml_ci_meta *m);

/* The one-line message of a row ("known failure fail:data,flags (expected)"). */
void ml_ci_message(const ml_ci_row *r, const ml_ci_meta *m, char *buf, size_t len);

#endif

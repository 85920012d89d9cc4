/* memlayout CI output: JUnit XML and SARIF 2.1.0 from the rows of a
 * regression job (`memlayout ci`).
 *
 * JUnit: one <testsuite>, one <testcase> per case file; a known failure
 * (xfail) is <skipped> with a message, a new or changed failure and an
 * unexpected pass (XPASS, unless allowed) are <failure>, an invalid case is
 * <error>. SARIF: one run, tool.driver "memlayout" with a rule per status,
 * one result per row that is not a plain pass, located at the case file.
 * A row's commit range (`ci --repo`) ends its JUnit text ("range: ...")
 * and is its SARIF result's properties.range.
 *
 * Every string from a case, a path or an environment is escaped. Returned
 * strings are malloc'd; the caller frees them (NULL on OOM). */
#ifndef ML_CIOUT_H
#define ML_CIOUT_H

#include "baseline.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *path;         /* the case file as given on the command line */
    const char *key;          /* its baseline key */
    const char *transport;
    const char *verdict;      /* what it got */
    const char *expected;     /* what the baseline says, or NULL */
    ml_expect status;
    const char *detail;       /* parent/child layouts or the error message, or NULL */
    double seconds;
    int severity;             /* ml_severity of its most severe defect; -1 for a pass */
    const char *bug;          /* that defect's bug id (ml_sig_id), or NULL */
    const char *range;        /* `ci --repo`: the commit range of the failure, one line, or NULL */
    const char *range_json;   /* ... and as a JSON object (SARIF properties.range), or NULL */
} ml_ci_row;

typedef struct {
    const char *suite;        /* testsuite name, e.g. "memlayout regress" */
    const char *env;          /* environment key */
    const char *version;      /* memlayout's version */
    bool allow_fixed;         /* XPASS does not fail */
    const char *update_hint;  /* the command that updates the baseline */
    uint32_t fail_on;         /* severities (1u << ml_severity) whose new or changed
                                 failures fail the job; 0: every severity */
} ml_ci_meta;

/* Whether the row fails the job: a new or changed failure of a severity in
 * fail_on, an XPASS without allow_fixed, an invalid case. */
bool ml_ci_row_fails_job(const ml_ci_row *r, const ml_ci_meta *m);

char *ml_ci_junit(const ml_ci_row *rows, int n, const ml_ci_meta *m);
char *ml_ci_sarif(const ml_ci_row *rows, int n, const ml_ci_meta *m);

/* The one-line message of a row ("known failure fail:data,flags (expected)"). */
void ml_ci_message(const ml_ci_row *r, const ml_ci_meta *m, char *buf, size_t len);

#endif

/* memlayout baselines: the verdicts a regression corpus is expected to get,
 * per environment, and how `memlayout ci` reads a verdict against them.
 *
 * The file (corpus/regress/baseline.json) is JSON:
 *   {"memlayout_baseline": 1,
 *    "environments": {"joblib-1.2.0+numpy-1.24.2": {"<case path>": "<verdict>", ...},
 *                     "joblib-1.2.0+numpy-1.24.2+reference": {...}}}
 * An environment key names the joblib and NumPy versions the runner
 * imported, and the reducer when it is not joblib's own. Case paths are
 * relative to the corpus's case folder. Saved with sorted keys, one entry a
 * line, so a baseline update is a readable diff.
 *
 * Ownership: ml_baseline is opaque (ml_baseline_load / ml_baseline_free).
 * Strings it returns belong to it. */
#ifndef ML_BASELINE_H
#define ML_BASELINE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ml_baseline ml_baseline;

/* A missing file is an empty baseline (*existed false); a file that is not a
 * baseline is an error (NULL, err set). */
ml_baseline *ml_baseline_load(const char *path, bool *existed, char *err, size_t errlen);
void ml_baseline_free(ml_baseline *b);

bool ml_baseline_has_env(const ml_baseline *b, const char *env);
/* The expected verdict of a case, or NULL when the baseline has none. */
const char *ml_baseline_get(const ml_baseline *b, const char *env, const char *key);
bool ml_baseline_set(ml_baseline *b, const char *env, const char *key, const char *verdict);
/* Forget an environment's entries (an update rewrites them all). */
void ml_baseline_drop_env(ml_baseline *b, const char *env);
bool ml_baseline_save(const ml_baseline *b, const char *path, char *err, size_t errlen);

/* "joblib-1.2.0+numpy-1.24.2" from the runner's versions JSON, with
 * "+reference" appended for reducer "reference". Writes into buf. */
const char *ml_env_key(const char *versions_json, const char *reducer, char *buf, size_t len);

/* A verdict read against its expectation. */
typedef enum {
    ML_EXPECT_PASS,      /* passes, as expected (or new and passing) */
    ML_EXPECT_XFAIL,     /* fails exactly as expected: a known bug */
    ML_EXPECT_NEW,       /* fails, expected to pass (or not in the baseline): a regression */
    ML_EXPECT_CHANGED,   /* fails otherwise than expected */
    ML_EXPECT_XPASS,     /* passes, expected to fail: fixed upstream */
    ML_EXPECT_INVALID    /* the case could not be built */
} ml_expect;

ml_expect ml_baseline_compare(const char *expected, const char *actual);
/* "pass", "xfail", "new failure", "changed failure", "XPASS", "invalid" */
const char *ml_expect_name(ml_expect e);
/* True for the statuses that fail a CI job (XPASS unless allow_fixed). */
bool ml_expect_fails_job(ml_expect e, bool allow_fixed);

#endif

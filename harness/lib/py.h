/* memlayout embedding: the one way to start Python, shared by the CLI's child
 * processes, the fuzz targets and the tests. Python is initialized at most
 * once per process. Returned strings are malloc'd; the caller frees them. */
#ifndef ML_PY_H
#define ML_PY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *tmpdir;       /* private directory for backing files (must exist) */
    const char *reducer;      /* "joblib" (default) or "reference" */
    int workers;              /* processes per joblib/multiprocessing pool (default 2) */
    bool detail;              /* observations carry the leading elements */
    const char *fault;        /* test-only fault injection, "crash:<seed>" / "hang:<seed>" */
    const char *python_path;  /* colon-separated dirs put first on sys.path, or NULL */
    bool versions_only;       /* only to report versions: the runner also asks a worker of
                                 each worker transport, and reports (not raises) a joblib
                                 that cannot send a memmap with this NumPy */
} ml_py_opts;

/* Initialize Python and the runner. On success returns true and, if versions
 * is not NULL, the runner's versions JSON (caller frees). On failure err holds
 * one line and the process should not try again. */
bool ml_py_init(const ml_py_opts *o, char **versions, char *err, size_t errlen);

/* Run one case (canonical JSON); returns the observation line (no newline).
 * NULL only when Python itself failed; err then says why. */
char *ml_py_run_one(const char *case_json, char *err, size_t errlen);

/* Run n cases as one batch (the runner groups worker transports per call).
 * Fills out[0..n-1]; returns false (err set, out untouched) on failure. */
bool ml_py_run_batch(char *const *cases, int n, char **out, char *err, size_t errlen);

/* The interpreter workers run (sys.executable): ML_PY_EXE, whose leading
 * "$ORIGIN/" stands for the running executable's folder. */
const char *ml_py_executable(void);

/* Close pools; Python stays initialized (finalizing NumPy is not supported). */
void ml_py_shutdown(void);

#endif

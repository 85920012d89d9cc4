/* memlayout reproducers: standalone Python scripts, NumPy and the standard
 * library plus the transport's own package (joblib for its backends), that
 * rebuild a case's array the way a user would (the same backing file bytes as
 * memlayout's runner, the view ops written out as NumPy calls), send it
 * through the case's transport and exit 1 while what arrives differs from
 * what was sent, 0 once it is the same.
 *
 * The short script (the default, `memlayout repro`) is the one to paste into
 * an upstream bug report: 20 to 40 lines for the usual case, public API only,
 * the transport called as a user calls it (`reduce` and `loky` as
 * joblib.Parallel(n_jobs=2, backend="loky"), `multiprocessing` as that
 * backend, the pools as multiprocessing.get_context(...).Pool(2), the pickle
 * transports as pickle.dumps/loads, `threading` as that joblib backend;
 * `reference` rebuilds with memlayout_reference, from $MEMLAYOUT_PYTHON or
 * the runner folder). It prints the parent's and the receiver's shape,
 * strides, dtype, flags and first values side by side and makes only the
 * checks of the case's transport class (docs/oracle.md): shape, dtype and
 * values always (values compared as values, so that a byte order change shows
 * as "byte order" alone); layout, writeability and the file position of
 * a[0, ...] for a shared memmap view and for a thread; C/F order for a copy;
 * the bounds of the rebuilt view when a slice steps backwards; whether a
 * write in the worker reaches the parent for modes r+, w+ and c. It does not
 * check NumPy's own contiguity flags against memlayout's model (`model`).
 *
 * The full script (`memlayout repro --full`) is memlayout's whole judge in
 * Python, invariant by invariant (verdict line "verdict: pass|fail:...|error"),
 * with the transport sent the way memlayout's runner sends it (for `reduce`,
 * joblib's private forward reducer called in process). `python3 repro.py --reducer
 * reference` (or MEMLAYOUT_REDUCER=reference) first patches memlayout's
 * reference reducer into joblib, as `memlayout --reducer reference` does: the
 * control showing what a fix does. It imports memlayout_reference from
 * $MEMLAYOUT_PYTHON, else from the runner folder this memlayout was built
 * with. */
#ifndef ML_REPRO_H
#define ML_REPRO_H

#include "case.h"

typedef struct {
    const char *observed;     /* what memlayout saw, e.g. "fail:data,flags,strides (C>F)", or NULL */
    const char *versions;     /* "joblib 1.2.0, NumPy 1.24.2, Python 3.11.2", or NULL */
    const char *runner_dir;   /* where memlayout_reference.py lives; NULL: the built-in path */
    bool full;                /* the full self-checking script instead of the short one */
} ml_repro_opts;

/* The script (NUL-terminated, caller frees), or NULL on OOM. */
char *ml_repro_script(const ml_case *c, const ml_repro_opts *o);

#endif

/* memlayout reproducer: a standalone Python script (NumPy, joblib and the
 * standard library only) that rebuilds a case's array the way a user would
 * (the same backing file bytes as memlayout's runner, the same view ops
 * written out as NumPy calls), sends it through the case's transport, and
 * prints the parent's and the receiver's flags, strides and leading values,
 * whether the values are equal and which invariants broke. It exits 1 while
 * the bug is present, 0 when the array arrives as it was sent.
 *
 * `python3 repro.py --reducer reference` (or MEMLAYOUT_REDUCER=reference)
 * first patches memlayout's reference reducer into joblib, as
 * `memlayout --reducer reference` does: the control showing what a fix
 * does. It imports memlayout_reference from $MEMLAYOUT_PYTHON, else from the
 * runner folder this memlayout was built with. */
#ifndef ML_REPRO_H
#define ML_REPRO_H

#include "case.h"

typedef struct {
    const char *observed;     /* what memlayout saw, e.g. "fail:data,flags,strides (C>F)", or NULL */
    const char *versions;     /* "joblib 1.2.0, NumPy 1.24.2, Python 3.11.2", or NULL */
    const char *runner_dir;   /* where memlayout_reference.py lives; NULL: the built-in path */
} ml_repro_opts;

/* The script (NUL-terminated, caller frees), or NULL on OOM. */
char *ml_repro_script(const ml_case *c, const ml_repro_opts *o);

#endif

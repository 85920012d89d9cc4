/* memlayout minimizer: shrink a failing case to the smallest case that still
 * shows the same defect (signature.h: transport kind, aspect, cause): by
 * default the input's most severe one, or a given target.
 *
 * Structured reduction in the spirit of Hypothesis's shrinker, not byte
 * deletion: passes propose simpler cases (cheaper transport of the same
 * family, fewer ops, fewer and smaller backing dims, smaller reshape and
 * broadcast shapes, simpler op parameters, the simplest dtype, zero offset,
 * mode "r", raw source, C order, seed 0) and a proposal is kept when it is
 * strictly smaller in a fixed order of case costs and still reproduces. When
 * the backing shape changes, the op chain is repaired (reshape shapes
 * re-fitted, slice bounds and indices clamped) and every candidate must pass
 * ml_case_validate; a verdict "invalid" does not reproduce. Deterministic:
 * the same input and judge give the same output.
 *
 * Bounded: it stops after max_tries judged cases or max_seconds, whichever
 * comes first, and says so in the stats. */
#ifndef ML_MINIMIZE_H
#define ML_MINIMIZE_H

#include "campaign.h"
#include "signature.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

/* Judges one case (runs it and applies the oracle). False only when no case
 * can be run any more (err set); a crashed or hung case is a verdict. */
typedef bool (*ml_judge_fn)(void *ctx, const ml_case *c, ml_outcome *out, char *err, size_t errlen);

typedef struct {
    int max_tries;            /* cases judged, the input included (0: 500) */
    double max_seconds;       /* wall-clock budget (0: 60) */
    ml_limits lim;            /* candidates must validate under these */
    bool keep_transport;      /* never change the transport */
    FILE *log;                /* one line per accepted step, or NULL */
    volatile sig_atomic_t *stop;   /* non-zero: stop as at a budget's end (may be NULL) */
    const ml_sig *target;     /* the defect to keep; NULL: the input's most severe */
} ml_minimize_opts;

typedef struct {
    int tries;                /* cases judged, the input included */
    int cached;               /* proposals answered from memory */
    int accepted;             /* steps that shrank the case */
    int rejected_invalid;     /* proposals that did not validate (never run) */
    double seconds;
    bool input_fails;         /* the input reproduced a fail or error verdict */
    bool stopped_early;       /* the budget ran out before a fixed point */
    char stop_reason[64];     /* "500 cases tried" / "60 s budget" / "" */
    ml_sig sig;               /* the defect kept; structure of the output */
} ml_minimize_stats;

/* Shrinks in into out with any judge. Returns false when the input does not
 * fail (err: "the case does not fail (pass)"), or the judge fails (err set);
 * out then holds the input. With a budget stop, returns true and out holds
 * the smallest reproducing case found so far. */
bool ml_minimize_with(ml_judge_fn judge, void *ctx, const ml_case *in, const ml_minimize_opts *o,
                      ml_case *out, ml_minimize_stats *st, char *err, size_t errlen);

/* The same through a session (one supervised Python child): ml_minimize,
 * session.h. The fuzz targets judge in process and link no supervisor. */

/* Size of a case, for reports and tests: backing elements, dims of the
 * final view, op count. */
int64_t ml_case_elements(const ml_case *c);

#endif

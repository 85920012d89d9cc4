/* memlayout signatures: what makes two findings the same bug.
 *
 * A signature has four parts:
 *   kind        the transport kind: the class the oracle judged the case as
 *               (share, copy, identity) and the family that carried it
 *               (joblib for reduce/loky/multiprocessing, reference, pickle,
 *               pool, threading), so that one joblib bug found through
 *               reduce, loky and multiprocessing is one bug;
 *   verdict     the violated invariants, or the error kind ("fail:data,flags");
 *               when the layout broke (flags, strides, backing, oob) the class
 *               leaves "data" out: it follows from the layout, and whether
 *               the values happen to match must not split a bug;
 *   transition  the parent's contiguity flags and the receiver's ("C>F")
 *               when the flags invariant broke, else "=" (so one bug seen on
 *               C, F and strided views is one bug);
 *   structure   the shape of the *minimized* case: backing source, dims and
 *               order, mode, dtype, and the op chain with the parameters that
 *               steer joblib (reshape order, slice step sign, ...), without
 *               sizes, so two starting points that shrink to the same bug meet.
 * The first three are the *class*; they are known from one observation and
 * are what the minimizer keeps while it shrinks. The structure is known once
 * a case of the class is minimized; until then it is "".
 *
 * Plain values, no heap memory. */
#ifndef ML_SIGNATURE_H
#define ML_SIGNATURE_H

#include "case.h"
#include "oracle.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ML_SIG_PART 192

typedef struct {
    char kind[24];          /* "share/joblib" */
    char verdict[128];      /* "fail:data,flags,strides", "error:crash" */
    char transition[16];    /* "C>F", "CF>C", "->C"; "=" when the flags held */
    char structure[ML_SIG_PART];   /* "raw 1d C r <f8: reshape(C,2d)" or "" */
} ml_sig;

/* The transport family: "joblib", "reference", "threading", "pickle", "pool". */
const char *ml_sig_family(ml_transport t);

/* The class of a judged case (structure left empty). */
void ml_sig_from(const ml_case *c, const ml_result *r, const ml_verdict *v, ml_sig *out);

/* The structure of a case (meant for a minimized one). Writes into buf. */
const char *ml_sig_structure(const ml_case *c, char *buf, size_t len);

/* Same kind, verdict (as the class sees it: above) and transition: the
 * minimizer's notion of "reproduces". */
bool ml_sig_same_class(const ml_sig *a, const ml_sig *b);
/* Same class and structure. */
bool ml_sig_equal(const ml_sig *a, const ml_sig *b);

/* "share/joblib fail:data,flags C>F | raw 1d C r <f8: reshape(C,2d)" (the
 * " | structure" part only when known). Writes into buf. */
const char *ml_sig_str(const ml_sig *s, char *buf, size_t len);

/* A short stable name for a signature: 8 hex digits of a hash of the class
 * (and the structure when with_structure). */
const char *ml_sig_id(const ml_sig *s, bool with_structure, char out[9]);

/* Contiguity flags of an observation as "C", "F", "CF" or "-" ("?" when
 * not observed). */
const char *ml_sig_flags(const ml_obs *o);

#endif

/* memlayout signatures: what makes two findings the same bug.
 *
 * A bug is a root cause, not a set of symptoms. A finding's verdict lists
 * every invariant the case broke; those fall into *aspects*, each a defect
 * of its own (docs/oracle.md, "Signatures and severity"):
 *   order      flags or strides changed (the values follow, or not)
 *   bounds     the receiver's view starts elsewhere or leaves the mapping
 *   writeable  writeability changed
 *   rebuild    the receiver could not rebuild the view, or rebuilding it
 *              changed the user's file (one defect: which of the two a
 *              user sees depends only on the mode)
 *   values     the values differ while the layout held
 *   shape, dtype, write, model, crash, build, protocol
 * A finding breaking two aspects counts toward two bugs. Each defect is
 * keyed by the transport kind, its aspect and its *cause*: the layout facts
 * of the parent view and its backing that steer a reducer (contiguity of
 * view and backing, backing dims, negative or zero strides, an empty view
 * and where its data pointer lies, a byte-order-only dtype change), so the
 * same cause met with other symptoms, modes or transports is one bug.
 *
 * The parts of a signature:
 *   kind        the transport kind: the class the oracle judged the case as
 *               (share, copy, identity) and the family that carried it
 *               (joblib for reduce/loky/multiprocessing, reference, pickle,
 *               pool, threading), so that one joblib bug found through
 *               reduce, loky and multiprocessing is one bug; every copy is
 *               made by pickling, so a copy's family is "pickle" whichever
 *               transport carried it;
 *   aspect, cause   as above: with kind, the *class* (the bug);
 *   severity    how much harm this finding of the defect does: corrupt (the
 *               receiver sees other values, reads outside the mapping, the
 *               user's file changes, or a process dies), error (the
 *               transport raises), layout (same values, other flags,
 *               strides or order), representation (same values, other
 *               writeability or byte order);
 *   verdict     the finding's whole verdict ("fail:data,flags,strides"), a
 *               variant of the bug;
 *   transition  the parent's contiguity flags and the receiver's ("C>F")
 *               when the flags broke, else "=";
 *   structure   the shape of the *minimized* case: backing source, dims and
 *               order, mode, dtype, and the op chain with the parameters that
 *               steer joblib (reshape order, slice step sign, ...), without
 *               sizes. Known once a case of the class is minimized; until
 *               then "".
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
#define ML_SIG_MAX 12            /* defects one finding can show: one per aspect */

/* Severities, most harmful first: the order bugs are ranked in. */
typedef enum { ML_SEV_CORRUPT, ML_SEV_ERROR, ML_SEV_LAYOUT, ML_SEV_REPRESENTATION, ML_SEV_COUNT } ml_severity;

typedef struct {
    char kind[24];          /* "share/joblib" */
    char aspect[16];        /* "order", "bounds", ... (above) */
    char cause[96];         /* "C view of a 1-d backing arrives F" */
    ml_severity severity;
    char verdict[128];      /* "fail:data,flags,strides", "error:crash" */
    char transition[16];    /* "C>F", "CF>C", "->C"; "=" when the flags held */
    char structure[ML_SIG_PART];   /* "raw 1d C r <f8: reshape(C,2d)" or "" */
} ml_sig;

/* "corrupt", "error", "layout", "representation". */
const char *ml_severity_name(ml_severity s);
/* Parses a name of ml_severity_name; false if it is none. */
bool ml_severity_from_name(const char *name, ml_severity *out);

/* The transport family: "joblib", "reference", "threading", "pickle", "pool",
 * "dask". */
const char *ml_sig_family(ml_transport t);

/* Every defect a judged finding shows, most severe first (structure left
 * empty); 0 for a pass or an invalid case. out holds ML_SIG_MAX. */
int ml_sig_all(const ml_case *c, const ml_result *r, const ml_verdict *v, ml_sig out[ML_SIG_MAX]);

/* The finding's most severe defect (its primary bug); for a pass, a
 * signature with aspect "" and the verdict. */
void ml_sig_from(const ml_case *c, const ml_result *r, const ml_verdict *v, ml_sig *out);

/* Whether a finding shows the defect of class target (any of its defects). */
bool ml_sig_shows(const ml_case *c, const ml_result *r, const ml_verdict *v, const ml_sig *target);

/* The structure of a case (meant for a minimized one). Writes into buf. */
const char *ml_sig_structure(const ml_case *c, char *buf, size_t len);

/* Same kind, aspect and cause: the same bug. */
bool ml_sig_same_class(const ml_sig *a, const ml_sig *b);
/* Same class and structure. */
bool ml_sig_equal(const ml_sig *a, const ml_sig *b);

/* "share/joblib order: C view of a 1-d backing arrives F" and, when known,
 * " | raw 1d C r <f8: reshape(C,2d)". Writes into buf. */
const char *ml_sig_str(const ml_sig *s, char *buf, size_t len);

/* A short stable name for a signature: 8 hex digits of a hash of the class
 * (kind, aspect, cause; and the structure when with_structure). */
const char *ml_sig_id(const ml_sig *s, bool with_structure, char out[9]);

/* One plain sentence a maintainer reads: what the defect does, through what
 * ("joblib: a C-contiguous view of a 1-d backing arrives F-contiguous;
 * the worker computes on scrambled values"). Writes into buf. */
const char *ml_sig_summary(const ml_sig *s, char *buf, size_t len);

/* Contiguity flags of an observation as "C", "F", "CF" or "-" ("?" when
 * not observed). */
const char *ml_sig_flags(const ml_obs *o);

#endif

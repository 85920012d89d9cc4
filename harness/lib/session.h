/* memlayout session: one supervised Python child answering one case at a
 * time, synchronously. For tools that decide the next case from the last
 * verdict (the minimizer, confirmation of fuzz findings). A case that crashes
 * or hangs the child is judged error:crash / error:timeout and the child is
 * replaced on the next call. */
#ifndef ML_SESSION_H
#define ML_SESSION_H

#include "campaign.h"
#include "minimize.h"

typedef struct ml_session ml_session;

/* NULL (err set) when Python cannot be started. */
ml_session *ml_session_open(const ml_py_opts *o, double timeout, const char *log_path,
                            char *err, size_t errlen);

/* Runs and judges one case. out's strings belong to the session and stay
 * valid until the next call. False only when no child can be started. */
bool ml_session_judge(ml_session *s, const ml_case *c, ml_outcome *out, char *err, size_t errlen);

/* The runner's versions JSON (owned by the session). */
const char *ml_session_versions(const ml_session *s);

void ml_session_close(ml_session *s);

/* ml_minimize_with judged through the session s (one supervised Python child). */
bool ml_minimize(ml_session *s, const ml_case *in, const ml_minimize_opts *o, ml_case *out,
                 ml_minimize_stats *st, char *err, size_t errlen);

#endif

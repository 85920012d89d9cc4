/* memlayout campaign loop: feeds cases to supervised Python children, judges
 * each answer with the oracle and hands every verdict to the caller, who
 * records it. Shared by `run`, `replay` and the tests. */
#ifndef ML_CAMPAIGN_H
#define ML_CAMPAIGN_H

#include "case.h"
#include "oracle.h"
#include "py.h"

#include <signal.h>
#include <stdint.h>

typedef struct {
    uint64_t id;              /* order in which next() produced it, from 0 */
    ml_case c;
    const char *case_json;    /* canonical */
    const char *result_json;  /* the runner's line, or one the supervisor made (crash, timeout) */
    ml_result r;
    ml_verdict v;
} ml_outcome;

typedef struct {
    ml_py_opts py;
    int jobs;                 /* children, each with its own Python (default 1) */
    double timeout;           /* seconds a case may take (default 10) */
    int batch;                /* cases per batch (default 64) */
    const char *log_path;     /* children's stdout/stderr, NULL: discarded */
    int log_fd;               /* > 0: an open file for that instead (store.h's python.log) */
    /* Fill *c with the next case; false when there are no more. */
    bool (*next)(void *ctx, ml_case *c);
    /* Called once per case, in completion order. */
    void (*done)(void *ctx, const ml_outcome *o);
    /* Called a few times a second (progress), may be NULL. */
    void (*tick)(void *ctx);
    void *ctx;
    volatile sig_atomic_t *stop;   /* non-zero: finish what is in hand, start nothing new */
    /* Filled by ml_campaign_run: the runner's versions JSON (caller frees). */
    char *versions;
    uint64_t restarts;        /* children replaced after a crash or timeout */
} ml_campaign;

typedef enum { ML_CAMP_DONE = 0, ML_CAMP_STOPPED = 1, ML_CAMP_ENV = -1 } ml_camp_status;

/* Runs until next() is exhausted or *stop is set. ML_CAMP_ENV (err set) when
 * no Python child could be started at all. */
ml_camp_status ml_campaign_run(ml_campaign *cp, char *err, size_t errlen);

#endif

/* memlayout triage: group findings into distinct bugs by signature class
 * (signature.h: one bug per root cause; a finding that shows two defects
 * counts toward both), keep each bug's count, severity, variants, first-seen
 * time and earliest finding, and minimize that finding for the bug's own
 * defect so the bug is shown by its smallest case. Bugs are ranked by
 * severity, then count. Shared by `memlayout triage` and by `run`, which triages what it
 * found at the end.
 *
 * Ownership: ml_bugs is opaque, made by ml_bugs_new and freed by
 * ml_bugs_free; the ml_bug pointers it hands out stay valid until the next
 * ml_bugs_add or ml_bugs_free. Strings returned are malloc'd; the caller
 * frees them. */
#ifndef ML_TRIAGE_H
#define ML_TRIAGE_H

#include "minimize.h"
#include "session.h"
#include "signature.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define ML_BUG_VARIANTS 8     /* distinct verdicts listed per bug; the rest counted */

typedef struct {
    ml_sig sig;               /* class; structure once minimized; severity: the worst seen */
    char id[9];               /* ml_sig_id of the class: names the bug's files */
    uint64_t count;
    uint64_t kept;            /* finding files kept for it (store.h: --keep), 0 if unknown */
    uint64_t per_transport[ML_T_COUNT];
    uint64_t per_severity[ML_SEV_COUNT];
    char variants[ML_BUG_VARIANTS][64];   /* the verdicts it was seen with ("error:rebuild") */
    int nvariants;
    uint64_t more_variants;   /* findings whose verdict did not fit the list */
    double first_seen;        /* unix time of the earliest finding, 0 if unknown */
    uint64_t first_order;     /* its position in the run (finding id) */
    char first_name[256];     /* its file name, or "" */
    ml_case example;          /* its case */
    bool minimized;           /* min holds the minimized case */
    ml_case min;
    ml_minimize_stats mst;
    char min_error[ML_ERR_MAX];   /* why minimizing failed, or "" */
    char *min_observation;    /* the runner's line for the minimized case, run once more with the
                                 leading values (session opened with detail), or NULL */
    int confirmed;            /* ml_bugs_confirm: 1 a real process shows the bug, -1 none does
                                 ("in-process only"), 0 not tried */
    char real_process[256];   /* what each real process showed: "loky fail:data,flags; ..." */
} ml_bug;

typedef struct ml_bugs ml_bugs;

ml_bugs *ml_bugs_new(void);
void ml_bugs_free(ml_bugs *b);

/* Counts a judged finding under each of its bugs (ml_sig_all). Verdicts
 * other than fail and error are not findings: returns -1. Else the index of
 * its most severe bug. A bug's example is its earliest finding by (seen,
 * order). */
int ml_bugs_add(ml_bugs *b, const ml_case *c, const ml_result *r, const ml_verdict *v,
                const char *name, double seen, uint64_t order);
/* The same with the finding's defects already known (ml_sig_all: all, n). */
int ml_bugs_add_sigs(ml_bugs *b, const ml_case *c, const ml_sig *all, int n, const char *name, double seen,
                     uint64_t order);
/* The index of the bug of s's class, -1 if there is none yet. */
int ml_bugs_find(const ml_bugs *b, const ml_sig *s);

/* Complete counts for bug id when only some of its findings were read
 * (a run that kept --keep files per bug): count, transports (may be NULL)
 * and the worst severity, each where larger (worse) than what was read.
 * False when no bug has that id. */
bool ml_bugs_complete(ml_bugs *b, const char *id, uint64_t count, const uint64_t *per_transport,
                      int severity);
/* The number of findings, when it is more than were read. */
void ml_bugs_complete_findings(ml_bugs *b, uint64_t findings);

int ml_bugs_count(const ml_bugs *b);
uint64_t ml_bugs_findings(const ml_bugs *b);
ml_bug *ml_bugs_get(ml_bugs *b, int i);

/* Ranks bugs: most severe first, then most findings, then by id (so that a
 * run and a later triage of its files rank alike). */
void ml_bugs_sort(ml_bugs *b);

/* Minimizes each bug's example with the budget in o (per bug), then runs the
 * minimized case once more to keep its observation (open s with detail for
 * its leading values). log (may be NULL) gets one progress line per bug. False only when Python cannot be run
 * (err set); a bug whose example no longer fails keeps min_error. */
bool ml_bugs_minimize(ml_bugs *b, ml_session *s, const ml_minimize_opts *o, FILE *log,
                      char *err, size_t errlen);

/* Replays each bug's case (minimized, else its example) through the real
 * processes its transport stands for (ml_transport_real_processes; asked:
 * per bug, the transport its example's input asked for, or NULL), in s
 * (its reducer joblib) and ref (reducer reference, opened by the caller
 * only when needed: may be NULL), and sets confirmed and real_process.
 * False only when Python cannot be run (err set). */
bool ml_bugs_confirm(ml_bugs *b, ml_session *s, ml_session *ref, const ml_transport *asked, char *err,
                     size_t errlen);

/* The end of a campaign in one call: sorts the bugs, opens a session with
 * py (py->tmpdir must exist) and timeout, minimizes each bug with o, writes
 * dir/triage.json and dir/bugs/ (ml_store_write_triage_dir; dir NULL:
 * nothing written) and closes the session. False (err set) when Python
 * cannot be started or dir cannot be written; the bugs keep what was done. */
bool ml_bugs_finish(ml_bugs *b, const ml_py_opts *py, double timeout, const ml_minimize_opts *o,
                    const char *dir, FILE *log, char *err, size_t errlen);

/* The listing a maintainer reads: one block per bug. */
void ml_bugs_print(const ml_bugs *b, FILE *f);

/* triage.json: {"findings": N, "bugs": [{id, rank, severity, summary,
 * signature, kind, aspect, cause, verdict, variants, transition, structure,
 * count, transports, first_seen, first_finding (its file name, "" when its
 * file was not kept), example, minimized, observation (of the minimized
 * case), what_changed (ml_result_describe), minimize, confirmed ("CONFIRMED",
 * "in-process only" or null: not tried), real_process}]}, bugs in rank order.
 * NULL on OOM. Written, with bugs/<id>.json (each bug's minimized case,
 * else its example: `memlayout replay DIR/bugs` replays them), by store.h. */
char *ml_bugs_json(const ml_bugs *b);

#endif

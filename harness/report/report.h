/* memlayout report: one self-contained HTML page (inline CSS and SVG, no
 * script, no network request) from what a run, a fuzzing session or ci left
 * on disk.
 *
 * Inputs, all optional except that one must exist:
 *   summary.json   versions, command line, seed, duration, totals
 *   results.jsonl  one line per case, streamed and aggregated (never held);
 *                  with "expected" verdicts (ci) it fills the regression view
 *   findings/      <id>-<transport>-<verdict>.json case files and their .obs
 *                  (a fuzzing session's store: cases, .orig.json, log.tsv)
 *   triage.json    (or triage/triage.json) minimized cases, signatures
 * A fuzzing session may hand a directory of case files (+ .obs) alone.
 *
 * Every string read from those files is escaped (html.h): case fields,
 * versions, paths and the command line never become markup.
 *
 * Ownership: ml_report is opaque; ml_report_new's result is freed with
 * ml_report_free. Functions that fail return false and fill err with one
 * line. */
#ifndef ML_REPORT_H
#define ML_REPORT_H

#include "oracle.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *title;        /* NULL: "memlayout report — <input name>" */
    const char *source;       /* shown in the footer (the input path); may be NULL */
    int max_findings;         /* distinct findings shown in full (0: 40); the table lists all */
} ml_report_opts;

typedef struct {
    uint64_t lines, bad_lines;  /* results.jsonl lines read, lines that did not parse */
    uint64_t findings;          /* finding files read */
    int distinct;               /* distinct findings (signatures) */
    size_t bytes;               /* size of the HTML written */
} ml_report_stats;

typedef struct ml_report ml_report;

ml_report *ml_report_new(const ml_report_opts *o);
void ml_report_free(ml_report *r);

/* Feeding, in this order: summary (any time), findings, then result lines
 * (a finding's first-seen time comes from the result line with its id). */
bool ml_report_add_summary(ml_report *r, const char *json, size_t len, char *err, size_t errlen);
/* name: the case file's name (shown); case_json, obs_json: file contents,
 * obs_json may be NULL; mtime: the file's modification time (unix seconds,
 * 0 if unknown), used as first-seen time when no result line has it. */
void ml_report_add_finding(ml_report *r, const char *name, const char *case_json, size_t case_len,
                           const char *obs_json, size_t obs_len, double mtime);
/* One results.jsonl line; false (and counted) when it does not parse. */
bool ml_report_add_result(ml_report *r, const char *line, size_t len);
/* triage.json (triage.h): minimized cases and full signatures of the
 * distinct findings. Any time before ml_report_html. */
bool ml_report_add_triage(ml_report *r, const char *json, size_t len, char *err, size_t errlen);
/* bisect.json (memlayout bisect --bug): the commit range of one bug, shown
 * beside the bugs. */
bool ml_report_add_bisect(ml_report *r, const char *json, size_t len, char *err, size_t errlen);
/* `memlayout matrix --json` output: cases x environments; each environment
 * is read against the first one in the regression view. */
bool ml_report_add_matrix(ml_report *r, const char *json, size_t len, char *err, size_t errlen);
/* One line of a fuzz store's log.tsv (store.h: ml_fstore_log_parse): the
 * signature and time of each stored finding. Before the findings. */
void ml_report_add_fuzz_log(ml_report *r, const char *line, size_t len);

/* The page (NUL-terminated, caller frees), or NULL on OOM. */
char *ml_report_html(ml_report *r, size_t *len);
void ml_report_stats_get(const ml_report *r, ml_report_stats *st);

typedef enum {
    ML_REPORT_OK = 0,
    ML_REPORT_BAD_INPUT,   /* not a results directory or file, or nothing in it to report */
    ML_REPORT_IO           /* reading the input or writing the page failed, or out of memory */
} ml_report_status;

/* Everything from a path: a run or ci directory, a results.jsonl file (its
 * directory's summary.json and findings/ are used when present), a
 * directory of finding case files, or a matrix JSON file (or matrix.json in
 * the directory). Writes out_html atomically, creating its
 * directory. st may be NULL. On failure err holds one line. */
ml_report_status ml_report_build(const char *in, const char *out_html, const ml_report_opts *o,
                                 ml_report_stats *st, char *err, size_t errlen);

/* "reports/<name>/index.html" for input path in (name: its last component,
 * or its directory's for a results.jsonl). Caller frees. */
char *ml_report_default_path(const char *in);

/* Layout class of an observed array, the report's column in the verdict
 * matrix: "C+F", "C", "F", "strided" (neither), "broadcast" (a zero stride
 * on an axis longer than 1), "empty" (a dim of 0), "copy" (with_backing and
 * no memmap under it), "none" (not observed). `run` writes it into
 * results.jsonl ("layout" for the parent's view, "child" for the rebuilt
 * array) so that reports need no observation per case. */
const char *ml_report_layout_class(const ml_obs *o, bool with_backing);

#endif

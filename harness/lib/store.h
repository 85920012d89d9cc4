/* memlayout run directory: the one owner of its format. What `run` and
 * `ci --out` write, and what `triage` and `report` read:
 *
 *   results.jsonl     one line per case (ml_store_add), whole lines only
 *   findings/         NNNNNN-<transport>-<verdict slug>.json: the canonical
 *                     case of a finding, .obs beside it: the runner's
 *                     observation (the verdict is the oracle's reading of it;
 *                     the name only repeats it). At most opts.keep per bug.
 *   summary.json      totals, per-bug counts, files kept and not kept;
 *                     "incomplete": true (and "error") until the run ends
 *                     cleanly, or when a write failed
 *   triage.json, bugs/<id>.json   the distinct bugs, minimized (triage.h)
 *   python.log        the Python children's stdout and stderr
 *   bisect.json       `memlayout bisect --bug`: the commit range where one
 *                     of the run's bugs appeared or went away
 *   ci-bisect.json    `memlayout ci --repo`: the commit range of each new
 *                     or changed failure
 *   .memlayout.lock   flock'd while a run writes here; marks the directory
 *                     as a memlayout run directory
 *
 * The fuzz targets' finding store (MLF_FINDINGS) is the other format this
 * module owns: see "the fuzz store" below.
 *
 * Safe by construction: the directory is opened once without following a
 * link and every file under it is opened relative to it with O_NOFOLLOW;
 * new files are created with O_EXCL, whole files replaced through a temp
 * file with a name no one can guess (ml_write_atomic_at). The directory,
 * and each directory in it, must belong to this user and not be a symbolic
 * link; the directory must not be group- or world-writable. A reused run directory is emptied (ml_store_begin) before the new
 * run writes: its files never mix with the previous run's.
 *
 * Every write and close is checked: the first failure (ENOSPC, EIO, ...)
 * is kept as one line "<path>: cannot write: <reason>" (ml_store_error),
 * every later write is skipped, and the caller stops. results.jsonl never
 * keeps a torn line (a short write is truncated back to the last whole
 * line); the summary then says "incomplete": true and the error. */
#ifndef ML_STORE_H
#define ML_STORE_H

#include "case.h"
#include "oracle.h"
#include "triage.h"

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ML_STORE_KEEP 20                    /* finding files kept per bug by default */
#define ML_STORE_LOCK ".memlayout.lock"

typedef enum {
    ML_STORE_OK,
    ML_STORE_REFUSED,   /* not a directory memlayout may write: a link, another user's, not a run (exit 2) */
    ML_STORE_BUSY,      /* another memlayout writes there (exit 3) */
    ML_STORE_IO,        /* cannot create, open or lock it (exit 3) */
} ml_store_status;

typedef struct {
    bool force;         /* empty a directory that is not a memlayout run (or holds links) all the same */
    int keep;           /* finding files kept per bug; 0: every one */
    bool python_log;    /* create python.log (ml_store_log_fd) */
} ml_store_opts;

typedef struct ml_store ml_store;

/* Opens dir as a run directory, creating it (and its parents) if missing,
 * and locks it. Refused (ML_STORE_REFUSED) when dir is a symbolic link,
 * another user's, holds a symbolic link or another user's directory, or is
 * neither empty nor a memlayout run directory (o->force empties it all the
 * same, links included; never another user's). ML_STORE_BUSY when another
 * memlayout holds the lock. Changes nothing in dir but the lock file.
 * err: one line naming dir. */
ml_store *ml_store_open(const char *dir, const ml_store_opts *o, ml_store_status *st, char *err, size_t errlen);

/* Starts the run: removes everything in the directory but the lock (the
 * previous run's files), writes summary.json saying the run is incomplete
 * (command: argv), creates findings/, results.jsonl and python.log. Call
 * it once the run can start (its temp dir exists): nothing of the previous
 * run is touched before. False: ml_store_error says why. */
bool ml_store_begin(ml_store *s, int argc, char **argv);

/* python.log opened for appending (O_NOFOLLOW): hand it to the children
 * (ml_campaign.log_fd). -1 without opts.python_log or before begin. */
int ml_store_log_fd(const ml_store *s);

/* One case's line of results.jsonl. */
typedef struct {
    uint64_t id;
    const ml_case *c;
    const char *verdict;      /* ml_verdict_str */
    double seconds;           /* the runner's time for the case */
    /* run: written when layout is set */
    double t;                 /* seconds since the run started */
    int view_ndim;            /* the parent view's ndim, -1: not observed */
    const char *layout, *child;   /* ml_report_layout_class of both views */
    /* ci: written when case_key is set */
    const char *case_key, *expected, *status, *env;   /* expected NULL: null */
} ml_store_line;

/* Records one case: its line, and for a fail or error verdict the finding.
 * A finding is judged into its bugs (ml_sig_all, r and v: NULL when there
 * is no observation) and counted under each (ml_store_bugs); its files
 * (case_json, and obs_json when given) are written while one of its bugs
 * has fewer than opts.keep files kept for it; that bug keeps it. Its line
 * says "bugs": [ids] and "finding": its file name, or null when not kept.
 * False once a write failed (this or an earlier one). */
bool ml_store_add(ml_store *s, const ml_store_line *l, const char *case_json, const char *obs_json,
                  const ml_result *r, const ml_verdict *v);

/* Writes the lines added so far (a few times a second: the run's tick). */
bool ml_store_flush(ml_store *s);

/* Totals of what was added. */
typedef struct {
    uint64_t cases;
    uint64_t kinds[ML_V_INVALID + 1];     /* by ml_vkind */
    uint64_t kept, not_kept;              /* findings with files, findings without (--keep) */
} ml_store_totals;
void ml_store_totals_get(const ml_store *s, ml_store_totals *t);
/* The distinct verdicts of findings in first-seen order, with counts. */
int ml_store_verdicts(const ml_store *s, const char *const **names, const uint64_t **counts);
/* The findings grouped into bugs (owned by the store). */
ml_bugs *ml_store_bugs(ml_store *s);

/* triage.json and bugs/<id>.json of b (NULL: the store's bugs; ml_bugs_json). */
bool ml_store_write_triage(ml_store *s, const ml_bugs *b);

/* `memlayout triage --out DIR`: opens DIR as ml_store_open does (created;
 * refused when a link, another user's, group- or world-writable, or
 * neither empty nor a memlayout run directory) and takes its lock
 * (ML_STORE_BUSY while a run or another triage writes there), but empties
 * nothing: ml_store_write_triage(s, b) then writes triage.json and bugs/.
 * ml_store_close releases the lock. */
ml_store *ml_store_open_out(const char *dir, ml_store_status *st, char *err, size_t errlen);

/* The summary: summary (made by the caller, with its own members, e.g.
 * "command", "seed", "seconds"; taken over) gets "cases", "counts",
 * "per_transport", "findings" (per verdict), "bugs" ([{id, severity,
 * count, kept, transports}], ranked), "keep", "findings_kept",
 * "findings_not_kept" and "incomplete" (with "error" when a write failed),
 * and is written; results.jsonl and python.log are closed. */
bool ml_store_finish(ml_store *s, cJSON *summary);

/* The run could not go on for another reason (no Python): the summary
 * ml_store_finish writes says "incomplete" with why. */
void ml_store_abort(ml_store *s, const char *why);

/* The first write error ("<path>: cannot write: <reason>"), NULL if none. */
const char *ml_store_error(const ml_store *s);
const char *ml_store_dir(const ml_store *s);

/* Releases the lock and frees s (finishing nothing). */
void ml_store_close(ml_store *s);

/* ---- the names and the readers ------------------------------------------- */

/* "000042-loky-fail-data-flags" (no extension): a finding's name. */
void ml_store_finding_name(uint64_t id, ml_transport t, const char *verdict, char *buf, size_t len);
/* Parses such a name (any directory before it, any extension after):
 * false if it is not one. transport and verdict are what the name repeats
 * ("fail:data,flags"); readers judge the observation where there is one. */
bool ml_store_parse_name(const char *name, uint64_t *id, char *transport, size_t tlen, char *verdict,
                         size_t vlen);

/* A finding on disk. */
typedef struct {
    char *path;               /* the case file */
    char *obs;                /* its observation file, NULL when there is none */
    char *orig;               /* a fuzz store's original case beside it, or NULL */
    bool raw;                 /* a fuzz store's raw finding, not minimized yet */
    bool has_id;
    uint64_t id;              /* from its name */
} ml_store_entry;

/* The findings under dir (a run's findings/, a fuzz store, or any
 * directory of finding case files), sorted by path: every *.json that is
 * a finding (not summary.json, triage.json, bugs/ nor ml_fstore_not_a_finding).
 * Returns the count, or -1 (err set). */
int ml_store_list_findings(const char *dir, ml_store_entry **out, char *err, size_t errlen);
void ml_store_entries_free(ml_store_entry *e, int n);

/* Complete counts for bugs read back from the files of findings_dir: when
 * it is a run's findings/ and the run kept only some files per bug, its
 * summary.json has every bug's count, transports and severity, and the
 * number of findings. True when they were applied. */
bool ml_store_complete_counts(const char *findings_dir, ml_bugs *b);

/* ml_store_open_out, ml_store_write_triage and ml_store_close in one call. */
ml_store_status ml_store_write_triage_dir(const char *dir, const ml_bugs *b, char *err, size_t errlen);

/* ---- directories --------------------------------------------------------- */

/* Opens path as a directory memlayout may write into: not a symbolic link,
 * this user's, not group- or world-writable; created with its parents when
 * missing and create. -1 with err one line naming path; *refused when it
 * is such a directory (exit 2), else it could not be created or opened. */
int ml_store_open_dir(const char *path, bool create, bool *refused, char *err, size_t errlen);
/* dfd/name the same way, relative to dfd (dir: what err calls dfd); errno
 * ENOENT when it is missing and not create. */
int ml_store_open_subdir(int dfd, const char *dir, const char *name, bool create, char *err, size_t errlen);

/* ---- the fuzz store ------------------------------------------------------ */

/* The fuzz targets' finding store, MLF_FINDINGS (fuzz/README.md), written
 * by fuzz/run.c, by several processes of a session at once (libFuzzer's
 * -jobs, AFL++'s instances and their forked children), read by `memlayout
 * triage` and `memlayout report`:
 *
 *   raw/<slug>.json       a finding as found, the case as the target ran it
 *                         (in process): the first of each signature class
 *                         with a new set of op kinds (MLF_ON_FINDING=store)
 *   raw/<slug>.orig.json  the same case with the transport the input asked for
 *   raw/<slug>.min        what became of the raw finding when the target
 *                         minimized the store (MLF_MINIMIZE_STORE=1): the
 *                         minimized finding's name, "duplicate <name>",
 *                         "unreproduced" or "unreadable"; present: done
 *   <slug>.json           a minimized finding, one per full signature (or
 *                         one stored when the target aborted on it)
 *   <slug>.orig.json      the case it came from, as the input asked for it
 *   log.tsv               a line per case stored: seconds, inputs, pid,
 *                         target, what ("raw", "new": minimized, "abort"),
 *                         signature, file (relative, no extension: "raw/<slug>"
 *                         or "<slug>"), class id (ml_sig_id)
 *   .seen/<16 hex>        a key some process of the session stored already
 *
 * Its findings are every <slug>.json and every raw one not yet minimized
 * (ml_store_list_findings). The directory, raw/ and .seen/ are opened as
 * ml_store_open_dir does; every file relative to them with O_NOFOLLOW; cases
 * and markers written atomically (ml_write_atomic_at); each log line
 * appended whole with one checked write (a short one is cut off again, and
 * readers skip a line without its end). No lock: a session's processes
 * share the store. */
typedef struct ml_fstore ml_fstore;

/* Opens the store at dir; create: make dir, raw/ and .seen/ (a writer),
 * else a reader (raw/ may be missing). NULL with err one line. */
ml_fstore *ml_fstore_open(const char *dir, bool create, char *err, size_t errlen);
void ml_fstore_close(ml_fstore *f);
const char *ml_fstore_dir(const ml_fstore *f);

/* <slug> for a signature: its letters and digits, '-' between, and a hash. */
void ml_fstore_slug(const char *sig, char *buf, size_t len);

/* Writes <name>.orig.json (when orig_json) then <name>.json, into raw/ when
 * raw, else at the top. False with err "<path>: cannot write: <reason>". */
bool ml_fstore_put(ml_fstore *f, bool raw, const char *name, const char *case_json, const char *orig_json,
                   char *err, size_t errlen);
/* Reads raw/<name>.json (raw) or <name>.json, <name>.orig.json with orig:
 * a regular file of at most 1 MiB. Caller frees; NULL with err. */
char *ml_fstore_read(const ml_fstore *f, bool raw, const char *name, bool orig, size_t *len, char *err,
                     size_t errlen);

/* One line of log.tsv. */
typedef struct {
    double t;                 /* seconds since the target started */
    unsigned long long inputs;
    long pid;
    char target[64], what[16], sig[512], file[256], class_id[9];
} ml_fstore_log_line;
/* Appends l as one whole line (tabs and line ends in its fields become
 * spaces). False with err. */
bool ml_fstore_log(ml_fstore *f, const ml_fstore_log_line *l, char *err, size_t errlen);
/* Parses one line, with its '\n' (a line without it is torn: false). */
bool ml_fstore_log_parse(const char *line, size_t len, ml_fstore_log_line *l);
/* The lines that parse, in order (*out: caller frees); 0 without a log. */
int ml_fstore_log_read(const ml_fstore *f, ml_fstore_log_line **out);

/* True when key was stored already by any process of the session (its
 * marker exists); else makes the marker and returns false. */
bool ml_fstore_seen(ml_fstore *f, uint64_t key);
/* raw/<name>.min: what became of raw finding name; present means done. */
bool ml_fstore_mark(ml_fstore *f, const char *name, const char *what, char *err, size_t errlen);
bool ml_fstore_marked(const ml_fstore *f, const char *name);
/* The raw findings' names in the order found (the log's, shared by every
 * process), then any the log lacks, by name. -1 on OOM. */
int ml_fstore_raw(const ml_fstore *f, char ***names);
void ml_fstore_names_free(char **names, int n);

/* Path readers, for listings of finding files: dir holds a fuzz store
 * (log.tsv or raw/); path is no finding of its own (an original, or a raw
 * finding already minimized); path is a raw finding not yet minimized; the
 * original beside path (into buf, false when there is none). */
bool ml_fstore_is(const char *dir);
bool ml_fstore_not_a_finding(const char *path);
bool ml_fstore_raw_pending(const char *path);
bool ml_fstore_orig_of(const char *path, char *buf, size_t len);

/* ---- bisect ----------------------------------------------------------------- */

#define ML_STORE_BISECT "bisect.json"

/* The case file of bug id of a triaged directory dir (a run, or `triage
 * --out`): dir/bugs/<id>.json, once dir/triage.json lists the bug. Its
 * signature class is the id (ml_sig_id without structure). False with err
 * one line. */
bool ml_store_bug_case(const char *dir, const char *id, char *path, size_t len, char *err, size_t errlen);

/* Writes json as dir/bisect.json, dir opened and locked as by
 * ml_store_open_out (created; refused as it refuses; busy while another
 * memlayout writes there). */
bool ml_store_write_bisect(const char *dir, const char *json, char *err, size_t errlen);

#define ML_STORE_CI_BISECT "ci-bisect.json"

/* Writes json as ci-bisect.json into s, after ml_store_begin; false with
 * err one line. */
bool ml_store_write_ci_bisect(ml_store *s, const char *json, char *err, size_t errlen);

#endif

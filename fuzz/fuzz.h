/* memlayout fuzzing: the driver every fuzz target shares.
 *
 * A target is bytes -> case -> run -> verdict. The case runs in this process
 * through an in-process transport (no worker processes: they deadlock under
 * AFL++'s fork server and cost milliseconds under libFuzzer), the oracle
 * judges it, the layout of what happened is fed back to the fuzzer, and a
 * failing verdict is a finding: aborted on (the engine records a crash) or
 * stored and fuzzing goes on (MLF_ON_FINDING=store, what `make fuzz` uses).
 *
 * Options come from the environment, so the same binary serves libFuzzer,
 * AFL++, OSS-Fuzz and the corpus replay (fuzz/README.md lists them all).
 * Nothing here allocates for the caller unless a comment says so. */
#ifndef MLF_FUZZ_H
#define MLF_FUZZ_H

#include "case.h"
#include "gen.h"
#include "oracle.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Input caps, each with the reason. */
#define MLF_MAX_JSON 16384        /* a canonical case of 16 ops of 32 dims is ~9 KiB; more only feeds cJSON */
#define MLF_MAX_DECODE 1024       /* a case of 16 ops draws < 400 bytes; a longer tail is never read */
#define MLF_FUZZ_MAX_DATA (1u << 20) /* backing bytes per case: 64 MiB files take ~50 ms to write, 1 MiB < 1 ms */

typedef enum {
    MLF_FINDING_ABORT,   /* print the signature, write the case next to the crash file, abort() */
    MLF_FINDING_STORE,   /* record it in the finding store (MLF_FINDINGS) and go on */
    MLF_FINDING_REPORT,  /* only remember it in mlf_last() (the corpus replay) */
    MLF_FINDING_LIST     /* print each defect's bug id, severity and class on stdout, go on (fuzz/known.sh) */
} mlf_on_finding;

/* Which feedback reaches the engine (MLF_FEEDBACK). */
enum { MLF_FB_LAYOUT = 1, MLF_FB_PYTHON = 2 };

typedef struct {
    const char *target;        /* "case_json", ... */
    mlf_on_finding on_finding;
    unsigned feedback;         /* MLF_FB_* bits */
    ml_limits lim;             /* backing-data cap while fuzzing */
    ml_gen_opts gen;           /* case_bytes decoding */
    bool minimize;             /* shrink findings (MLF_MINIMIZE=0: keep them as found) */
    bool minimize_store;       /* MLF_MINIMIZE_STORE=1: minimize the store, exit */
    double minimize_time;      /* MLF_MINIMIZE_TIME: seconds for variants beyond the first of each class */
    const char *findings;      /* finding store directory */
    bool findings_set;         /* MLF_FINDINGS given: abort mode records there too */
    char artifact_prefix[1024];/* libFuzzer's -artifact_prefix (crash files) */
    bool quiet;
    double progress;           /* MLF_PROGRESS: seconds between progress lines, 0 none */
} mlf_config;

/* The outcome of the last case run by mlf_run (what the replay checks). */
typedef struct {
    bool ran;
    ml_case c;                 /* as run: transport mapped to an in-process one */
    ml_transport asked;        /* the transport the input asked for */
    ml_result r;
    ml_verdict v;
    bool finding;              /* fail or error */
    char verdict[256];
    char key[256];             /* signature class (signature.h) as text, before minimization */
    char class_id[9];          /* its id (ml_sig_id): what "the same bug" means */
} mlf_outcome;

/* ---- fuzz.c: configuration, input decoding, counters (no Python) --------- */

/* Reads the environment and libFuzzer's argv once. Python targets then call
 * mlf_python_init. Never fails. */
void mlf_init(const char *target, int *argc, char ***argv);
mlf_config *mlf_cfg(void);

/* case_json's front door: false (and counted as a reject) when the bytes are
 * not a valid case. */
bool mlf_parse_case(const uint8_t *data, size_t size, ml_case *c);
/* case_bytes' front door: every byte string decodes to a valid case. */
void mlf_decode_case(const uint8_t *data, size_t size, ml_case *c);

/* Counters printed at exit ("memlayout-fuzz: case_json: ..."). */
typedef struct {
    uint64_t inputs, rejected, invalid, findings;
    uint64_t classes;          /* signature classes first seen by this process */
    uint64_t stored;           /* raw findings written (a class with a new set of op kinds) */
    uint64_t minimized;
    uint64_t known;            /* findings showing known bugs only (MLF_KNOWN), not aborted on */
    uint64_t known_bugs;       /* distinct known bugs those showed */
    uint64_t known_listed;     /* ids in the known list; 0: none loaded */
    double start;
} mlf_stats;
mlf_stats *mlf_stats_get(void);
double mlf_now(void);

/* The in-process transport that stands in for a worker one while fuzzing:
 * loky/multiprocessing -> reduce (the reducer those pools call), the pools ->
 * pickle4 (multiprocessing's default protocol). Real processes confirm. */
ml_transport mlf_fuzz_transport(ml_transport t);

/* Aborts with one line on stderr: a bug in the harness itself, never a finding. */
void mlf_harness_bug(const char *what, const char *detail) __attribute__((noreturn));

/* A set of non-zero 64-bit hashes, open addressing, grown at half full: a
 * session of hours stores tens of thousands of finding keys. Zero it to
 * start; free(s.v) to drop it. */
typedef struct {
    uint64_t *v;
    size_t cap, n;
} mlf_hset;
/* Adds h (non-zero); true when it was there already. */
bool mlf_hset_add(mlf_hset *s, uint64_t h);
/* Whether h is in the set. */
bool mlf_hset_has(const mlf_hset *s, uint64_t h);

/* SHA-1 of data as 40 hex digits: libFuzzer names crash files crash-<sha1>. */
void mlf_sha1_hex(const uint8_t *data, size_t size, char out[41]);

/* ---- run.c: Python, the run, findings ------------------------------------ */

/* Starts Python and the runner once; aborts loudly when it cannot. With
 * MLF_MINIMIZE_STORE=1 it then minimizes the store and exits instead. */
void mlf_python_init(void);
/* After a session: minimizes the raw findings of the store (MLF_FINDINGS/raw)
 * in the order they were found, the first of each signature class always,
 * the others while budget seconds last, and stores each new full signature
 * as <slug>.json (minimized) and <slug>.orig.json; raw/<name>.min records
 * what became of each, so a second call goes on where one stopped. */
int mlf_store_minimize(double budget);
/* The runner's versions JSON ({"python": ..., "numpy": ..., "joblib": ...}). */
const char *mlf_versions(void);
/* In a child forked by AFL++'s fork server (from C, holding the GIL): lets
 * Python's own after-fork handlers run. Weak: case_parse has no Python. */
void mlf_after_fork(void) __attribute__((weak));

/* Runs one case in process, judges it, feeds the features, and handles a
 * finding as configured. input/size: the fuzzer's bytes (crash file name). */
const mlf_outcome *mlf_run(const ml_case *c, const uint8_t *input, size_t size);
/* The same without feedback or finding handling (minimizer, tests). */
const mlf_outcome *mlf_run_quiet(const ml_case *c);
const mlf_outcome *mlf_last(void);

/* Minimizes c in place with the harness's minimizer (minimize.h) and an
 * in-process judge, at most max_tries runs; sig (may be NULL) gets the
 * signature of the result (signature.h: class | structure). False when c
 * does not fail. */
bool mlf_minimize(ml_case *c, int max_tries, char *sig, size_t siglen);

/* ---- crash.c: the frames a finding aborts through, known bugs ------------- */

/* Aborts through three frames that name the bug: mlf_finding_<aspect>, then
 * one chosen by the first hex digit of its id, then one by the second (the
 * crash state ClusterFuzz groups crashes by). */
void mlf_crash_bug(const char *aspect, const char *id) __attribute__((noreturn));
/* Whether a bug id (ml_sig_id, 8 hex digits) is in the known list: MLF_KNOWN
 * (a file of ids, one a line, or a JSON list; "" or "none": no list), else
 * memlayout_known.txt beside the binary. Loaded once; a malformed list is a
 * harness error. */
bool mlf_known(const char *id);

/* The folder of the running target (where $OUT ships what it needs beside
 * it) into buf; false when it cannot be known or does not fit. */
bool mlf_exe_dir(char *buf, size_t len);
/* Ids in the known list (loads it). */
size_t mlf_known_count(void);

/* ---- mutate.c: structure-aware mutation (libFuzzer and AFL++) ------------ */

/* Byte-level fallback for inputs that are not cases (libFuzzer's
 * LLVMFuzzerMutate), or NULL. */
typedef size_t (*mlf_bytes_mutator)(uint8_t *data, size_t size, size_t max);

/* Mutates a JSON case in place: parse, change its structure, write canonical
 * JSON. Returns the new size (<= max). Inputs that do not parse are replaced
 * by a generated case or handed to fallback. */
size_t mlf_mutate(uint8_t *data, size_t size, size_t max, unsigned seed, mlf_bytes_mutator fallback);
/* Combines two JSON cases (backing of one, ops of the other, splices). */
size_t mlf_crossover(const uint8_t *a, size_t asize, const uint8_t *b, size_t bsize,
                     uint8_t *out, size_t max, unsigned seed);
/* Name of the last structural mutation applied ("op-insert", ...). */
const char *mlf_mutation_name(void);

/* One structural mutation of a valid case (used by the above and by
 * case_parse's property checks). False if no valid mutant was found. */
bool mlf_mutate_case(ml_case *c, const ml_limits *lim, ml_src *r);

/* ---- feedback.c: features for the engine ----------------------------------- */

#define MLF_LAYOUT_SLOTS 4096
#define MLF_PY_SLOTS 16384

/* Layout features of one judged case: parent and child flags, ndim, how the
 * view relates to its backing memmap, op kinds, dtype, verdict. Counted for
 * the exit statistics always; fed to the engine when MLF_FB_LAYOUT is set. */
void mlf_feedback_case(const ml_case *c, const ml_result *r, const ml_verdict *v);
/* A Python arc (pytrace.c) */
void mlf_feedback_arc(uint32_t h);
/* While suspended (the minimizer's runs) nothing reaches the engine. */
void mlf_feedback_suspend(bool on);
/* Distinct layout features and Python arcs seen by this process. */
void mlf_feedback_counts(uint64_t *layout, uint64_t *arcs);

/* ---- pytrace.c: Python arc coverage of joblib and numpy.memmap ----------- */

void mlf_pytrace_begin(void);
void mlf_pytrace_end(void);

/* ---- the targets, callable without an engine (fuzz/replay.c) ------------- */

int mlf_case_json(const uint8_t *data, size_t size);
int mlf_case_bytes(const uint8_t *data, size_t size);
int mlf_case_parse(const uint8_t *data, size_t size);

/* libFuzzer's entry points for a target; the replay build (MLF_REPLAY) gets
 * none, so all targets link into one binary. */
#ifdef MLF_REPLAY
#define MLF_ENTRY(fn, name, python)
#define MLF_JSON_MUTATOR()
#else
#define MLF_ENTRY(fn, name, python)                                            \
    int LLVMFuzzerInitialize(int *argc, char ***argv);                         \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);              \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                          \
    {                                                                          \
        mlf_init(name, argc, argv);                                            \
        if (python)                                                            \
            mlf_python_init();                                                 \
        return 0;                                                              \
    }                                                                          \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)               \
    {                                                                          \
        return fn(data, size);                                                 \
    }
/* LLVMFuzzerMutate is weak: AFL++'s and other engines' drivers lack it. */
#define MLF_JSON_MUTATOR()                                                     \
    size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max)            \
        __attribute__((weak));                                                 \
    size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max,     \
                                   unsigned int seed);                         \
    size_t LLVMFuzzerCustomCrossOver(const uint8_t *a, size_t asize,           \
                                     const uint8_t *b, size_t bsize,           \
                                     uint8_t *out, size_t max,                 \
                                     unsigned int seed);                       \
    size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max,     \
                                   unsigned int seed)                          \
    {                                                                          \
        return mlf_mutate(data, size, max, seed, LLVMFuzzerMutate);            \
    }                                                                          \
    size_t LLVMFuzzerCustomCrossOver(const uint8_t *a, size_t asize,           \
                                     const uint8_t *b, size_t bsize,           \
                                     uint8_t *out, size_t max,                 \
                                     unsigned int seed)                        \
    {                                                                          \
        return mlf_crossover(a, asize, b, bsize, out, max, seed);              \
    }
#endif

#endif

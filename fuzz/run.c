/* Running a case inside the fuzzer: Python in this process (started once,
 * before AFL++'s fork server), an in-process transport, the oracle, the
 * features, and what a finding becomes: an abort with a one-line signature
 * and the canonical case next to the crash file, or an entry in the finding
 * store that survives the process (store.h: the fuzz store; raw/, one per signature class
 * and set of op kinds), after which fuzzing goes on. After the session the
 * store's raw findings are minimized and deduplicated by full signature
 * (mlf_store_minimize, MLF_MINIMIZE_STORE=1). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "fuzz.h"
#include "fsutil.h"
#include "minimize.h"
#include "py.h"
#include "signature.h"
#include "store.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIN_BUDGET 300          /* candidates per minimization: ~1 ms each in process */
#define MIN_SECONDS 10.0        /* and wall-clock, per finding */

static char *tmpdir;
static const ml_sig *min_target;   /* the defect a minimization keeps; NULL: the most severe */
static char *versions;   /* the runner's versions JSON */
static pid_t tmpdir_owner;
static mlf_outcome out;

static void drop_tmpdir(void)
{
    /* AFL++'s forked children exit through here too: only the creator cleans. */
    if (tmpdir && getpid() == tmpdir_owner)
        ml_rmtree(tmpdir);
}

/* In an OSS-Fuzz $OUT the runner travels next to the binary. */
static void runner_beside_binary(char *buf, size_t len)
{
    char exe[PATH_MAX];
    buf[0] = 0;
    if (!mlf_exe_dir(exe, sizeof exe))
        return;
    char probe[PATH_MAX + 64];
    if (strlen(exe) + 48 > sizeof probe || strlen(exe) + 24 > len)
        return;
    snprintf(probe, sizeof probe, "%s/memlayout_python/memlayout_runner.py", exe);
    if (access(probe, R_OK) == 0) {
        memcpy(buf, exe, strlen(exe));
        memcpy(buf + strlen(exe), "/memlayout_python", sizeof "/memlayout_python");
    }
}

void mlf_python_init(void)
{
    static bool done;
    char err[1024], pypath[PATH_MAX];
    if (done)
        return;
    done = true;
    /* The known list first: a bad one fails at start, before a temp dir exists. */
    if (mlf_cfg()->on_finding == MLF_FINDING_ABORT && !mlf_cfg()->minimize_store)
        mlf_known_count();
    /* One BLAS thread: nothing here multiplies matrices, and a fork server
     * must not fork a process with threads in it. */
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    setenv("OMP_NUM_THREADS", "1", 0);
    tmpdir = ml_tmpdir_create(err, sizeof err);
    if (!tmpdir)
        mlf_harness_bug("temp dir", err);
    tmpdir_owner = getpid();
    atexit(drop_tmpdir);
    runner_beside_binary(pypath, sizeof pypath);
    ml_py_opts o = {.tmpdir = tmpdir, .reducer = "joblib", .workers = 2,
                    .python_path = pypath[0] ? pypath : getenv("MLF_PYTHON_PATH")};
    if (!ml_py_init(&o, &versions, err, sizeof err))
        mlf_harness_bug("cannot start Python", err);
    if (!mlf_cfg()->quiet) {
        cJSON *v = versions ? cJSON_Parse(versions) : NULL;
        const char *py = cJSON_GetStringValue(cJSON_GetObjectItem(v, "python"));
        const char *np = cJSON_GetStringValue(cJSON_GetObjectItem(v, "numpy"));
        const char *jl = cJSON_GetStringValue(cJSON_GetObjectItem(v, "joblib"));
        fprintf(stderr, "memlayout-fuzz: %s: Python %s, NumPy %s, joblib %s, on finding: %s, feedback:%s%s\n",
                mlf_cfg()->target, py ? py : "?", np ? np : "?", jl ? jl : "?",
                (const char *[]){"abort", "store", "report", "list"}[mlf_cfg()->on_finding],
                mlf_cfg()->feedback & MLF_FB_LAYOUT ? " layout" : "",
                mlf_cfg()->feedback & MLF_FB_PYTHON ? " python" : (mlf_cfg()->feedback ? "" : " none"));
        cJSON_Delete(v);
    }
    if (mlf_cfg()->minimize_store)
        exit(mlf_store_minimize(mlf_cfg()->minimize_time));

}

const char *mlf_versions(void)
{
    return versions ? versions : "{}";
}

void mlf_after_fork(void)
{
    if (Py_IsInitialized())
        PyOS_AfterFork_Child();
}

const mlf_outcome *mlf_last(void)
{
    return &out;
}

/* The class of a judged case, the harness's notion of "the same bug"
 * (signature.h): transport kind, verdict, flag transition; as text and as
 * its id, which ignores values that happen to match once a layout broke. */
static void class_key(void)
{
    ml_sig sig;
    ml_sig_from(&out.c, &out.r, &out.v, &sig);
    ml_sig_str(&sig, out.key, sizeof out.key);
    ml_sig_id(&sig, false, out.class_id);
}

static const mlf_outcome *run_case(const ml_case *in, bool traced)
{
    char err[1024];
    out.ran = true;
    out.asked = in->transport;
    out.c = *in;
    out.c.transport = mlf_fuzz_transport(in->transport);
    char *json = ml_case_write(&out.c);
    if (!json)
        mlf_harness_bug("ml_case_write", "out of memory");
    if (traced)
        mlf_pytrace_begin();
    char *line = ml_py_run_one(json, err, sizeof err);
    if (traced)
        mlf_pytrace_end();
    if (!line)
        mlf_harness_bug("python", err);
    if (!ml_result_parse(line, strlen(line), &out.r, err, sizeof err)) {
        fprintf(stderr, "memlayout-fuzz: case %s", json);
        mlf_harness_bug("the runner answered an unreadable observation", err);
    }
    free(line);
    free(json);
    out.v = ml_oracle_judge(&out.c, &out.r);
    ml_verdict_str(&out.v, out.verdict, sizeof out.verdict);
    out.finding = out.v.kind == ML_V_FAIL || out.v.kind == ML_V_ERROR;
    if (out.finding) {
        class_key();
    } else {
        out.key[0] = 0;
        out.class_id[0] = 0;
    }
    return &out;
}

const mlf_outcome *mlf_run_quiet(const ml_case *c)
{
    return run_case(c, false);
}

/* ---- minimizing ------------------------------------------------------------------ */

/* The harness's minimizer (minimize.h) with an in-process judge: a candidate
 * costs a millisecond, not a round trip to a worker. */
static bool judge_in_process(void *ctx, const ml_case *c, ml_outcome *o, char *err, size_t errlen)
{
    (void)ctx;
    (void)err;
    (void)errlen;
    run_case(c, false);
    memset(o, 0, sizeof *o);
    o->c = out.c;
    o->r = out.r;
    o->v = out.v;
    o->case_json = "";
    o->result_json = "";
    return true;
}

bool mlf_minimize(ml_case *c, int max_tries, char *sig, size_t siglen)
{
    static ml_case m;
    ml_minimize_opts o;
    ml_minimize_stats st;
    char err[ML_ERR_MAX];
    memset(&o, 0, sizeof o);
    o.max_tries = max_tries;
    o.max_seconds = MIN_SECONDS;
    o.lim = mlf_cfg()->lim;
    o.keep_transport = true;
    o.target = min_target;
    bool ok = ml_minimize_with(judge_in_process, NULL, c, &o, &m, &st, err, sizeof err);
    if (ok)
        *c = m;
    run_case(c, false);   /* out: the run of the result */
    if (sig) {
        ml_sig s;
        ml_sig_from(&out.c, &out.r, &out.v, &s);
        ml_sig_structure(&out.c, s.structure, sizeof s.structure);
        ml_sig_str(&s, sig, siglen);
    }
    return ok;
}

/* Shrinks a copy of the finding; on return out holds its run, sig its
 * signature with the structure of the minimized case. */
static void minimize(ml_case *m, char *sig, size_t siglen)
{
    mlf_minimize(m, mlf_cfg()->minimize ? MIN_BUDGET : 1, sig, siglen);
    mlf_stats_get()->minimized++;
}

/* ---- the finding store (store.h: the fuzz store) ------------------------------------ */

static uint64_t fnv(const char *s, uint64_t h)
{
    for (h ^= 1469598103934665603ull; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h ? h : 1;
}

/* MLF_FINDINGS, opened once (in each of AFL++'s forked children: their
 * first finding opens it); a link, another user's or a group-writable
 * directory stops the target before it writes anything. */
static ml_fstore *fstore(void)
{
    static ml_fstore *fs;
    char err[1024];
    if (!fs && !(fs = ml_fstore_open(mlf_cfg()->findings, true, err, sizeof err)))
        mlf_harness_bug("MLF_FINDINGS", err);
    return fs;
}

/* A write to the store failed: said once per failure, fuzzing goes on (the
 * finding is counted all the same). */
static void store_failed(const char *err)
{
    fprintf(stderr, "memlayout-fuzz: %s\n", err);
}

/* Seen in this process, or (marker file) by any process sharing the store. */
static bool seen_before(uint64_t h)
{
    static mlf_hset seen;
    if (mlf_hset_add(&seen, h))
        return true;
    return ml_fstore_seen(fstore(), h);
}

static void write_text(const char *path, const char *text)
{
    char err[512];
    if (!ml_write_atomic(path, text, strlen(text), err, sizeof err))
        fprintf(stderr, "memlayout-fuzz: %s\n", err);
}

/* One line per stored case: what ("raw", "new", "abort"), signature, file
 * (relative to the store), class id (of out: the case stored). */
static void log_line(const char *what, const char *sig, const char *file)
{
    ml_fstore_log_line l = {.t = mlf_now() - mlf_stats_get()->start, .inputs = mlf_stats_get()->inputs,
                            .pid = (long)getpid()};
    char err[1024];
    snprintf(l.target, sizeof l.target, "%s", mlf_cfg()->target);
    snprintf(l.what, sizeof l.what, "%s", what);
    snprintf(l.sig, sizeof l.sig, "%s", sig);
    snprintf(l.file, sizeof l.file, "%s", file);
    snprintf(l.class_id, sizeof l.class_id, "%s", out.class_id);
    if (!ml_fstore_log(fstore(), &l, err, sizeof err))
        store_failed(err);
}

/* name's case (c) and original (orig), into raw/ or at the top. */
static bool put_case(bool raw, const char *name, const ml_case *c, const ml_case *orig)
{
    char *json = ml_case_write(c), *ojson = ml_case_write(orig), err[1024];
    if (!json || !ojson)
        mlf_harness_bug("ml_case_write", "out of memory");
    bool ok = ml_fstore_put(fstore(), raw, name, json, ojson, err, sizeof err);
    if (!ok)
        store_failed(err);
    free(json);
    free(ojson);
    return ok;
}

/* In the loop a finding costs two hash lookups: the first of each signature
 * class with a new set of op kinds is written as it was found (raw/, atomic,
 * before anything else can fail) and fuzzing goes on. Minimizing costs
 * hundreds of runs per finding, so it happens after the session
 * (mlf_store_minimize), not in the loop. */
static void store(const ml_case *run, const ml_case *orig)
{
    uint32_t opset = 0;
    for (int i = 0; i < run->nops; i++)
        opset |= 1u << run->ops[i].kind;
    char opkey[300], idkey[32];
    snprintf(idkey, sizeof idkey, "%s|%x", out.class_id, opset);
    bool new_class = !seen_before(fnv(out.class_id, 1));
    if (seen_before(fnv(idkey, 2)))
        return;
    /* the file is named by class and op kinds; the log names the class */
    snprintf(opkey, sizeof opkey, "%s|%x", out.key, opset);
    char name[160], rel[200];
    ml_fstore_slug(opkey, name, sizeof name);
    if (!put_case(true, name, run, orig))
        return;
    snprintf(rel, sizeof rel, "raw/%s", name);
    log_line("raw", out.key, rel);
    mlf_stats_get()->stored++;
    if (new_class) {
        mlf_stats_get()->classes++;
        if (!mlf_cfg()->quiet)
            fprintf(stderr, "memlayout-fuzz: NEW FINDING %s -> %s/%s.json\n", out.key, mlf_cfg()->findings, rel);
    }
}

/* Writes the minimized run (out) and the original case under the signature. */
static void store_write(const char *sig, const ml_case *orig, const char *what, char *name, size_t namelen)
{
    mlf_config *cfg = mlf_cfg();
    ml_fstore_slug(sig, name, namelen);
    if (!put_case(false, name, &out.c, orig))
        return;
    log_line(what, sig, name);
    if (!cfg->quiet)
        fprintf(stderr, "memlayout-fuzz: %s %s -> %s/%s.json\n", !strcmp(what, "abort") ? "STORED" : "MINIMIZED",
                sig, cfg->findings, name);
}

/* ---- after the session: minimizing the store ---------------------------------------- */

/* raw/<name>.min: what became of a raw finding (store.h) */
static void raw_mark(const char *name, const char *what)
{
    char err[1024];
    if (!ml_fstore_mark(fstore(), name, what, err, sizeof err))
        store_failed(err);
}

/* A case of the store; false (said) when it cannot be read. */
static bool load_case(bool raw, const char *name, bool orig, ml_case *c, bool quiet)
{
    char err[1024], perr[ML_ERR_MAX];
    size_t len;
    char *text = ml_fstore_read(fstore(), raw, name, orig, &len, err, sizeof err);
    bool ok = text && ml_case_parse(text, len, &mlf_cfg()->lim, c, perr, sizeof perr);
    if (!ok && !quiet) {
        if (text)
            fprintf(stderr, "memlayout-fuzz: %s/raw/%s.json: %s\n", mlf_cfg()->findings, name, perr);
        else
            fprintf(stderr, "memlayout-fuzz: %s\n", err);
    }
    free(text);
    return ok;
}

typedef struct {
    int minimized, duplicates, unreproduced, unreadable, left;
} store_tally;

/* Minimizes one raw finding (whose run is in out) and stores it under its
 * full signature unless that signature is already stored. */
static void minimize_raw(const char *name, ml_case *c, const ml_case *orig, store_tally *t)
{
    char sig[512], file[160], what[200];
    minimize(c, sig, sizeof sig);
    t->minimized++;
    if (!out.finding) {   /* it failed when the minimizer began: a flaky case */
        raw_mark(name, "unreproduced");
        t->unreproduced++;
        return;
    }
    if (seen_before(fnv(sig, 3))) {
        ml_fstore_slug(sig, file, sizeof file);
        snprintf(what, sizeof what, "duplicate %s", file);
        raw_mark(name, what);
        t->duplicates++;
        return;
    }
    store_write(sig, orig, "new", file, sizeof file);
    raw_mark(name, file);
}

int mlf_store_minimize(double budget)
{
    mlf_config *cfg = mlf_cfg();
    char **names;
    mlf_hset classes = {0};   /* class ids given their first minimization */
    store_tally t = {0};
    int n = ml_fstore_raw(fstore(), &names);
    if (n < 0)
        mlf_harness_bug("store", "out of memory");
    bool *defer = calloc((size_t)n + 1, sizeof *defer);
    if (!defer)
        mlf_harness_bug("store", "out of memory");
    double t0 = mlf_now(), shown = t0;
    int todo = 0;
    for (int i = 0; i < n; i++)
        todo += !ml_fstore_marked(fstore(), names[i]);
    if (!cfg->quiet)
        fprintf(stderr, "memlayout-fuzz: minimizing %d raw finding%s in %s (first of each class, then the others for %.0f s)\n",
                todo, todo == 1 ? "" : "s", cfg->findings, budget);
    mlf_feedback_suspend(true);
    /* Pass 0 takes the first raw finding of each class, whatever the budget:
     * every bug gets a minimized case. Pass 1 takes the other variants while
     * the budget lasts; the rest stay raw for a later call. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++) {
            static ml_case c, orig;
            if (ml_fstore_marked(fstore(), names[i]) || (pass == 1 && !defer[i]))
                continue;
            if (pass == 1 && mlf_now() - t0 > budget) {
                t.left++;
                continue;
            }
            if (!load_case(true, names[i], false, &c, false)) {
                raw_mark(names[i], "unreadable");
                t.unreadable++;
                continue;
            }
            if (!load_case(true, names[i], true, &orig, true))
                orig = c;
            if (pass == 0) {
                run_case(&c, false);
                if (!out.finding) {
                    raw_mark(names[i], "unreproduced");
                    t.unreproduced++;
                    continue;
                }
                if (mlf_hset_add(&classes, fnv(out.class_id, 5))) {
                    defer[i] = true;
                    continue;
                }
            }
            minimize_raw(names[i], &c, &orig, &t);
            if (!cfg->quiet && mlf_now() - shown > 10) {
                shown = mlf_now();
                fprintf(stderr, "memlayout-fuzz: %d of %d minimized, %.0f s\n", t.minimized, todo, shown - t0);
            }
        }
    }
    mlf_feedback_suspend(false);
    if (!cfg->quiet)
        fprintf(stderr, "memlayout-fuzz: minimized %d raw finding%s of %d class%s in %.1f s: %d new signature%s, "
                "%d duplicate%s, %d not reproduced%s; %d left raw%s\n",
                t.minimized, t.minimized == 1 ? "" : "s", (int)classes.n, classes.n == 1 ? "" : "es", mlf_now() - t0,
                t.minimized - t.duplicates - t.unreproduced, t.minimized - t.duplicates - t.unreproduced == 1 ? "" : "s",
                t.duplicates, t.duplicates == 1 ? "" : "s", t.unreproduced,
                t.unreadable ? ", some unreadable" : "", t.left,
                t.left ? " (the time budget ran out; MLF_MINIMIZE_TIME)" : "");
    free(defer);
    ml_fstore_names_free(names, n);
    free(classes.v);
    return 0;
}

/* abort(): the engine keeps the input as crash-<sha1>; the canonical case
 * (and its minimized form, which keeps the bug) lands beside it. One line
 * names the bug, then the abort goes through frames that name it too
 * (crash.c), so that each bug is one crash state. */
static void abort_on(const ml_case *run, const ml_case *orig, const uint8_t *input, size_t size,
                     const ml_sig *bug)
{
    mlf_config *cfg = mlf_cfg();
    char sha[41], path[PATH_MAX + 64], min_path[PATH_MAX + 64], sig[512], id[9];
    ml_sig_id(bug, false, id);
    mlf_sha1_hex(input ? input : (const uint8_t *)"", input ? size : 0, sha);
    char *json = ml_case_write(&out.c);
    snprintf(path, sizeof path, "%scrash-%s.json", cfg->artifact_prefix, sha);
    if (json)
        write_text(path, json);
    free(json);
    static ml_case m;
    m = *run;
    min_target = bug;
    mlf_minimize(&m, cfg->minimize ? MIN_BUDGET : 1, NULL, 0);
    min_target = NULL;
    mlf_stats_get()->minimized++;
    ml_sig s = *bug;
    if (ml_sig_shows(&out.c, &out.r, &out.v, bug))
        ml_sig_structure(&out.c, s.structure, sizeof s.structure);
    ml_sig_str(&s, sig, sizeof sig);
    json = ml_case_write(&out.c);
    snprintf(min_path, sizeof min_path, "%scrash-%s.min.json", cfg->artifact_prefix, sha);
    if (json)
        write_text(min_path, json);
    free(json);
    char name[160];
    memcpy(out.class_id, id, sizeof id);
    if (cfg->findings_set)
        store_write(sig, orig, "abort", name, sizeof name);
    fprintf(stderr, "memlayout-fuzz: FINDING %s %s %s\n", id, ml_severity_name(bug->severity), sig);
    fprintf(stderr, "memlayout-fuzz: case %s, minimized %s\n", path, min_path);
    fflush(stderr);
    drop_tmpdir();   /* abort() skips atexit */
    mlf_crash_bug(bug->aspect, id);
}

/* The most severe defect of the finding in out whose bug is not known
 * (MLF_KNOWN); false when every defect is a known bug. */
static bool new_bug(ml_sig *bug)
{
    static mlf_hset seen_known;
    ml_sig all[ML_SIG_MAX];
    char id[9];
    int n = ml_sig_all(&out.c, &out.r, &out.v, all);
    if (!n) {   /* a verdict no aspect covers: new by definition */
        ml_sig_from(&out.c, &out.r, &out.v, bug);
        return true;
    }
    for (int i = 0; i < n; i++)
        if (!mlf_known(ml_sig_id(&all[i], false, id))) {
            *bug = all[i];
            return true;
        }
    mlf_stats_get()->known++;
    for (int i = 0; i < n; i++)
        if (!mlf_hset_add(&seen_known, 0x100000000ull | strtoul(ml_sig_id(&all[i], false, id), NULL, 16)))
            mlf_stats_get()->known_bugs++;
    return false;
}

const mlf_outcome *mlf_run(const ml_case *c, const uint8_t *input, size_t size)
{
    mlf_config *cfg = mlf_cfg();
    run_case(c, (cfg->feedback & MLF_FB_PYTHON) != 0);
    if (out.v.kind == ML_V_INVALID)
        mlf_stats_get()->invalid++;
    mlf_feedback_case(&out.c, &out.r, &out.v);
    if (!out.finding || cfg->on_finding == MLF_FINDING_REPORT)
        return &out;
    mlf_stats_get()->findings++;
    if (cfg->on_finding == MLF_FINDING_LIST) {
        ml_sig all[ML_SIG_MAX];
        char id[9], text[512];
        int n = ml_sig_all(&out.c, &out.r, &out.v, all);
        for (int i = 0; i < n; i++)
            printf("memlayout-fuzz: BUG %s %s %s\n", ml_sig_id(&all[i], false, id),
                   ml_severity_name(all[i].severity), ml_sig_str(&all[i], text, sizeof text));
        fflush(stdout);
        return &out;
    }
    static ml_case run, orig;
    run = orig = out.c;
    orig.transport = out.asked;
    if (cfg->on_finding == MLF_FINDING_ABORT) {
        static ml_sig bug;
        if (new_bug(&bug)) {
            mlf_feedback_suspend(true);
            abort_on(&run, &orig, input, size, &bug);
        }
        /* a known bug: counted, and stored where a store was asked for */
        if (!cfg->findings_set)
            return &out;
    }
    /* store: the outcome the caller sees stays the input's own */
    static mlf_outcome keep;
    keep = out;
    mlf_feedback_suspend(true);
    store(&run, &orig);
    mlf_feedback_suspend(false);
    out = keep;
    return &out;
}

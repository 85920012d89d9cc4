/* memlayout report internals, shared by report.c (reading what a run,
 * fuzzing session or ci left on disk into the tables below) and
 * report_html.c (writing the page from them). Not an API: report.h is. */
#ifndef ML_REPORT_INT_H
#define ML_REPORT_INT_H

#include "report.h"

#include "case.h"
#include "signature.h"

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#ifndef ML_VERSION
#define ML_VERSION "0"
#endif

#define ML_RP_MAX_T 32          /* transports: 12 exist; the rest is hostile or future input */
#define ML_RP_MAX_L 16          /* layout classes: 8 exist (+ 4 fallback classes) */
#define ML_RP_MAX_V 64          /* distinct verdict strings */
#define ML_RP_MAX_D 64          /* dtypes: ~25 scalar ones exist, plus "structured" */
#define ML_RP_MAX_SM 8          /* sources, modes */
#define ML_RP_MAX_ENV 32        /* ci matrix environments */
#define ML_RP_MAX_GROUPS 400    /* distinct findings; a campaign that finds more has other problems */
#define ML_RP_NDIM_ROWS (ML_MAX_NDIM + 2)   /* 0..32, then "other" */
#define ML_RP_OP_COLS (ML_OP_COUNT + 2)     /* "no ops", each op kind, "other" */
#define ML_RP_CHAIN_ROWS (ML_MAX_OPS + 2)
#define ML_RP_NB 256            /* time histogram buckets */
#define ML_RP_CHART_POINTS 64   /* points drawn per chart */
#define ML_RP_REG_LIST_MAX 200  /* rows listed per regression category; the rest counted */
#define ML_RP_TEXT_MAX (256 * 1024)   /* case/observation text kept per distinct finding */
#define ML_RP_MAX_FINDING_FILE (4u << 20)
#define ML_RP_MAX_LINE (1u << 20)

enum { ML_RP_K_PASS, ML_RP_K_FAIL, ML_RP_K_ERROR, ML_RP_K_INVALID, ML_RP_K_OTHER, ML_RP_NK };
const char *ml_rp_kind_name(int k);   /* "pass", "fail", "error", "invalid" (ml_vkind_name), "other" */

/* How a verdict reads against its expectation (baseline.h's ml_expect, in
 * the order the page lists them). */
enum { ML_RP_R_NEW, ML_RP_R_CHANGED, ML_RP_R_FIXED, ML_RP_R_INVALID, ML_RP_R_XFAIL, ML_RP_R_OK, ML_RP_NR };
extern const char *const ml_rp_reg_names[ML_RP_NR];    /* as the page titles them */

/* ---- string tables ------------------------------------------------------- */

typedef struct {
    char *s[64];
    int n, max, other;   /* other: index of "(other)", -1 until needed */
} ml_rp_stab;

/* ---- findings ------------------------------------------------------------ */

/* A distinct finding: findings with the same signature class. */
typedef struct {
    char *key;              /* the class: what makes two findings the same bug */
    char *verdict, *kind, *transition;   /* its parts, shown */
    char sig_id[9];         /* ml_sig_id of the class ("" when the case did not parse) */
    int severity;           /* ml_severity, the worst seen; ML_SEV_COUNT when unknown */
    bool baseline_new, baseline_known;   /* ci: a finding of it is a new/changed or an expected failure */
    char *summary;          /* ml_sig_summary: the sentence a maintainer reads, or NULL */
    uint64_t count;
    uint64_t per_t[ML_T_COUNT + 1];      /* by transport; the last slot: unknown names */
    bool has_id;
    uint64_t first_id;
    bool seen;              /* first sighting placed on the results timeline */
    double first_x;
    double fuzz_t;          /* seconds into a fuzzing session (its log), -1 unknown */
    double first_mtime;
    char *rep_name, *rep_case, *rep_obs;  /* the smallest recorded case and its observation */
    double rep_score[3];
    uint64_t rep_id;
    bool rep_has_id;
    /* from triage.json */
    char *min_case, *signature, *min_note;
    char *min_obs, *what_changed;   /* the minimized case's observation and ml_result_describe */
} ml_rp_fgroup;

typedef struct {
    char *name, *sig;
    char id[9];             /* the class id the fuzzer logged (ml_sig_id), or "" */
    double t;
} ml_rp_fuzzlog;

typedef struct {
    uint64_t id;
    int g;
} ml_rp_idmap;

typedef struct {
    char *caseid, *transport, *expected, *actual, *env;
} ml_rp_regrow;

typedef struct {
    uint64_t n[ML_RP_NK];
    double secs, secs_max;
} ml_rp_tstat;

#define ML_RP_MX_ENVS 8         /* memlayout matrix takes at most 8 environments */
#define ML_RP_MX_ROWS 300       /* differing cases listed */

typedef struct {
    char *caseid, *transport;
    char *v[ML_RP_MX_ENVS];
} ml_rp_mxrow;

typedef struct {
    uint64_t cases, bad;
} ml_rp_cnt2;

struct ml_report {
    ml_report_opts o;
    cJSON *summary;

    /* results.jsonl */
    uint64_t lines, bad_lines;
    ml_rp_stab transports, layouts, verdicts, dtypes, sources, modes, envs;
    ml_rp_tstat per_t[ML_RP_MAX_T];
    uint64_t matrix[ML_RP_MAX_T][ML_RP_MAX_L][ML_RP_NK];
    uint64_t trans[ML_RP_MAX_L][ML_RP_MAX_L];        /* failures: parent class x child class */
    bool has_layout, has_child, fallback_layout;
    ml_rp_cnt2 cov[2][ML_RP_NDIM_ROWS][ML_RP_OP_COLS];     /* backing order C, F */
    uint64_t cov_other_order;
    ml_rp_cnt2 vndim[ML_RP_NDIM_ROWS];
    bool has_vndim;
    ml_rp_cnt2 dtype_n[ML_RP_MAX_D];
    ml_rp_cnt2 srcmode[ML_RP_MAX_SM][ML_RP_MAX_SM];
    ml_rp_cnt2 chain[ML_RP_CHAIN_ROWS];
    uint64_t verdict_n[ML_RP_MAX_V];
    uint64_t kinds[ML_RP_NK];

    /* time: x is "t" when lines carry it, else the running sum of "seconds" */
    int time_mode;                        /* 0 unknown, 1 t, 2 summed seconds */
    double cum_secs, last_x, x_max;
    uint64_t bucket[ML_RP_NB];
    double bw;
    double *events;                       /* x of each new distinct finding */
    int nevents;

    /* findings */
    ml_rp_fuzzlog *flog;
    int nflog;
    cJSON *triage;                        /* triage.json, when there is one */
    cJSON *bisect;                        /* bisect.json, when there is one */
    ml_rp_fgroup *groups;
    int ngroups;
    uint64_t nfindings;       /* finding files read */
    uint64_t failing;         /* failing cases: ml_rp_apply_triage, complete when the run kept only some files */
    bool findings_loaded;
    ml_rp_idmap *ids;
    size_t nids, capids;
    bool ids_sorted;
    int other_group;

    /* matrix (memlayout matrix --json) */
    cJSON *mx_envs;
    int mx_n;
    uint64_t mx_cases, mx_differ;
    ml_rp_mxrow *mx_rows;
    int mx_nrows;

    /* regression */
    bool has_expected;
    uint64_t reg[ML_RP_MAX_ENV][ML_RP_NR];
    ml_rp_regrow *reglist[ML_RP_NR];
    int nreglist[ML_RP_NR];

    size_t last_bytes;
    char *html_dir;     /* the page's folder (real path) when known: commands name files relative to it */
};

/* ---- report.c's helpers the page uses ----------------------------------- */

const char *ml_rp_jstr(const cJSON *o, const char *k);
bool ml_rp_jnum(const cJSON *o, const char *k, double *v);
int ml_rp_jbool(const cJSON *o, const char *k);   /* -1 absent */
int ml_rp_verdict_kind(const char *v);            /* K_* */
int ml_rp_class_rank(const char *s);              /* layout classes in page order */
int ml_rp_transport_rank(const char *s);          /* transports in page order */
/* The indexes of t's strings sorted by rank, then name; returns the count. */
int ml_rp_ordered(const ml_rp_stab *t, int (*rank)(const char *), int *idx);
/* Folds triage.json (minimized cases, signatures) into the groups, and
 * the complete per-bug counts of summary.json and triage.json (a run keeps
 * only --keep finding files per bug). */
void ml_rp_apply_triage(ml_report *r);

#endif

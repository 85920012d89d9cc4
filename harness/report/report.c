/* memlayout report: aggregate what a run, fuzzing session or ci left on disk
 * and write one self-contained HTML page (see report.h).
 *
 * Nothing per case is kept: results.jsonl is folded line by line into fixed
 * tables (transport x layout class, ndim x order x op kind, dtypes, a time
 * histogram that halves its resolution as the run grows), so the page of a
 * 100,000-case run is as large as the page of a 100-case one. Findings are
 * grouped by signature as they are read; each group keeps its count, first
 * sighting and its smallest case, nothing else. Every table that takes
 * strings from the input has a cap; what overflows is counted as "(other)".
 *
 * Every string from the input reaches the page through ml_html_text. */
#include "report_int.h"

#include "baseline.h"
#include "fsutil.h"
#include "oracle.h"
#include "signature.h"
#include "store.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The verdict kinds are ml_vkind's (oracle.h has their one name table), and "other". */
_Static_assert((int)ML_RP_K_PASS == (int)ML_V_PASS && (int)ML_RP_K_FAIL == (int)ML_V_FAIL &&
                   (int)ML_RP_K_ERROR == (int)ML_V_ERROR && (int)ML_RP_K_INVALID == (int)ML_V_INVALID,
               "report kinds follow ml_vkind");

const char *ml_rp_kind_name(int k)
{
    return k >= ML_RP_K_PASS && k <= ML_RP_K_INVALID ? ml_vkind_name((ml_vkind)k) : "other";
}
const char *const ml_rp_reg_names[ML_RP_NR] = {"new failures", "changed failures", "fixed (XPASS)", "invalid",
                                                "expected failures", "pass as expected"};

static void stab_init(ml_rp_stab *t, int max)
{
    memset(t, 0, sizeof *t);
    t->max = max > 64 ? 64 : max;
    t->other = -1;
}

static void stab_free(ml_rp_stab *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->s[i]);
}

static int stab_find(const ml_rp_stab *t, const char *s)
{
    for (int i = 0; i < t->n; i++)
        if (i != t->other && strcmp(t->s[i], s) == 0)
            return i;
    return -1;
}

static int stab_get(ml_rp_stab *t, const char *s)
{
    if (!s)
        s = "?";
    int i = stab_find(t, s);
    if (i >= 0)
        return i;
    if (t->n < t->max - 1 || (t->n < t->max && t->other >= 0)) {
        char *d = strdup(strlen(s) > 200 ? "(long)" : s);
        if (d) {
            t->s[t->n] = d;
            return t->n++;
        }
    }
    if (t->other < 0) {
        t->s[t->n] = strdup("(other)");
        t->other = t->n++;
    }
    return t->other;
}

ml_report *ml_report_new(const ml_report_opts *o)
{
    ml_report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (o)
        r->o = *o;
    if (r->o.max_findings <= 0)
        r->o.max_findings = 40;
    stab_init(&r->transports, ML_RP_MAX_T);
    stab_init(&r->layouts, ML_RP_MAX_L);
    stab_init(&r->verdicts, ML_RP_MAX_V);
    stab_init(&r->dtypes, ML_RP_MAX_D);
    stab_init(&r->sources, ML_RP_MAX_SM);
    stab_init(&r->modes, ML_RP_MAX_SM);
    stab_init(&r->envs, ML_RP_MAX_ENV);
    r->bw = 0.05;
    r->other_group = -1;
    return r;
}

static void free_regrow(ml_rp_regrow *w)
{
    free(w->caseid);
    free(w->transport);
    free(w->expected);
    free(w->actual);
    free(w->env);
}

void ml_report_free(ml_report *r)
{
    if (!r)
        return;
    cJSON_Delete(r->summary);
    free(r->html_dir);
    stab_free(&r->transports);
    stab_free(&r->layouts);
    stab_free(&r->verdicts);
    stab_free(&r->dtypes);
    stab_free(&r->sources);
    stab_free(&r->modes);
    stab_free(&r->envs);
    for (int i = 0; i < r->ngroups; i++) {
        ml_rp_fgroup *g = &r->groups[i];
        free(g->key);
        free(g->verdict);
        free(g->kind);
        free(g->transition);
        free(g->rep_name);
        free(g->rep_case);
        free(g->rep_obs);
        free(g->min_case);
        free(g->signature);
        free(g->summary);
        free(g->min_obs);
        free(g->what_changed);
        free(g->min_note);
    }
    free(r->groups);
    for (int i = 0; i < r->nflog; i++) {
        free(r->flog[i].name);
        free(r->flog[i].sig);
    }
    free(r->flog);
    cJSON_Delete(r->triage);
    cJSON_Delete(r->bisect);
    cJSON_Delete(r->mx_envs);
    for (int i = 0; i < r->mx_nrows; i++) {
        free(r->mx_rows[i].caseid);
        free(r->mx_rows[i].transport);
        for (int e = 0; e < ML_RP_MX_ENVS; e++)
            free(r->mx_rows[i].v[e]);
    }
    free(r->mx_rows);
    free(r->ids);
    free(r->events);
    for (int k = 0; k < ML_RP_NR; k++) {
        for (int i = 0; i < r->nreglist[k]; i++)
            free_regrow(&r->reglist[k][i]);
        free(r->reglist[k]);
    }
    free(r);
}

/* ---- small JSON helpers -------------------------------------------------- */

const char *ml_rp_jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

bool ml_rp_jnum(const cJSON *o, const char *k, double *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(x))
        return false;
    *v = x->valuedouble;
    return true;
}

int ml_rp_jbool(const cJSON *o, const char *k)   /* -1 absent */
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsBool(x) ? cJSON_IsTrue(x) : -1;
}

int ml_rp_verdict_kind(const char *v)
{
    ml_vkind k;
    return ml_vkind_of(v, &k) ? (int)k : ML_RP_K_OTHER;   /* K_PASS..K_INVALID are ml_vkind's order */
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---- layout classes ------------------------------------------------------ */

static const char *const class_order[] = {"C+F", "C", "F", "strided", "broadcast", "empty", "copy", "none",
                                          "C backing, no ops", "C backing, ops", "F backing, no ops",
                                          "F backing, ops"};

static const char *layout_class(bool present, bool backed, bool with_backing, bool c, bool f, int ndim,
                                const int64_t *shape, const int64_t *strides)
{
    if (!present)
        return "none";
    if (with_backing && !backed)
        return "copy";
    for (int i = 0; i < ndim; i++)
        if (shape[i] == 0)
            return "empty";
    for (int i = 0; i < ndim; i++)
        if (shape[i] > 1 && strides[i] == 0)
            return "broadcast";
    return c && f ? "C+F" : c ? "C" : f ? "F" : "strided";
}

const char *ml_report_layout_class(const ml_obs *o, bool with_backing)
{
    if (!o)
        return "none";
    return layout_class(o->present, o->backed, with_backing, o->c, o->f, o->ndim, o->shape, o->strides);
}

int ml_rp_class_rank(const char *s)
{
    for (size_t i = 0; i < sizeof class_order / sizeof *class_order; i++)
        if (!strcmp(s, class_order[i]))
            return (int)i;
    return 100;
}

int ml_rp_transport_rank(const char *s)
{
    ml_transport t;
    return ml_transport_from_name(s, &t) ? (int)t : 100;
}

/* Indices 0..t->n-1 ml_rp_ordered by rank, then first appearance; "(other)" last. */
int ml_rp_ordered(const ml_rp_stab *t, int (*rank)(const char *), int *idx)
{
    int n = 0;
    for (int i = 0; i < t->n; i++)
        idx[n++] = i;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0; j--) {
            int a = idx[j - 1], b = idx[j];
            int ra = a == t->other ? 1000 : rank ? rank(t->s[a]) : 0;
            int rb = b == t->other ? 1000 : rank ? rank(t->s[b]) : 0;
            if (ra < rb || (ra == rb && a < b))
                break;
            idx[j - 1] = b;
            idx[j] = a;
        }
    return n;
}

/* ---- summary ------------------------------------------------------------- */

bool ml_report_add_summary(ml_report *r, const char *json, size_t len, char *err, size_t errlen)
{
    cJSON *s = ml_json_parse_exact(json, len);
    if (!cJSON_IsObject(s)) {
        cJSON_Delete(s);
        snprintf(err, errlen, "summary.json: not one JSON object (or trailing bytes after it)");
        return false;
    }
    cJSON_Delete(r->summary);
    r->summary = s;
    return true;
}

/* ---- findings ------------------------------------------------------------ */

/* Smaller is a better representative: fewer ops, fewer elements, fewer dims. */
static void case_score(const cJSON *c, double score[3])
{
    const cJSON *backing = cJSON_GetObjectItemCaseSensitive(c, "backing");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(backing, "shape");
    double el = 1;
    const cJSON *d;
    cJSON_ArrayForEach(d, shape) el *= cJSON_IsNumber(d) ? d->valuedouble : 1;
    score[0] = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c, "ops"));
    score[1] = el;
    score[2] = cJSON_GetArraySize(shape);
}

static bool better(const double a[3], const double b[3])
{
    for (int i = 0; i < 3; i++)
        if (a[i] != b[i])
            return a[i] < b[i];
    return false;
}

static int group_get(ml_report *r, const char *key, const char *verdict, const char *kind,
                     const char *transition)
{
    for (int i = 0; i < r->ngroups; i++)
        if (!strcmp(r->groups[i].key, key))
            return i;
    if (r->ngroups >= ML_RP_MAX_GROUPS) {
        if (r->other_group >= 0)
            return r->other_group;
        key = verdict = kind = transition = "(other)";
    }
    ml_rp_fgroup *ng = realloc(r->groups, (size_t)(r->ngroups + 1) * sizeof *ng);
    if (!ng)
        return -1;
    r->groups = ng;
    ml_rp_fgroup *g = &ng[r->ngroups];
    memset(g, 0, sizeof *g);
    g->fuzz_t = -1;
    g->severity = ML_SEV_COUNT;
    g->key = strdup(key);
    g->verdict = strdup(verdict);
    g->kind = strdup(kind);
    g->transition = strdup(transition);
    if (!g->key || !g->verdict || !g->kind || !g->transition) {
        free(g->key);
        free(g->verdict);
        free(g->kind);
        free(g->transition);
        return -1;
    }
    if (r->ngroups >= ML_RP_MAX_GROUPS)
        r->other_group = r->ngroups;
    return r->ngroups++;
}

static char *cut_text(const char *s, size_t len)
{
    if (!s)
        return NULL;
    if (len > ML_RP_TEXT_MAX)
        len = ML_RP_TEXT_MAX;
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = 0;
    }
    return d;
}

/* Contiguity flags of an observation as JSON, as ml_sig_flags spells them. */
static const char *obs_flags(const cJSON *obs)
{
    if (!cJSON_IsObject(obs))
        return "?";
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(obs, "flags");
    bool c = ml_rp_jbool(f, "c") == 1, fo = ml_rp_jbool(f, "f") == 1;
    return c && fo ? "CF" : c ? "C" : fo ? "F" : "-";
}

static const ml_rp_fuzzlog *fuzz_entry(const ml_report *r, const char *name)
{
    const char *b = name ? strrchr(name, '/') : NULL;
    b = b ? b + 1 : name;
    if (!b)
        return NULL;
    size_t n = strlen(b);
    if (n > 5 && !strcmp(b + n - 5, ".json"))
        n -= 5;
    for (int i = 0; i < r->nflog; i++)
        if (strlen(r->flog[i].name) == n && !strncmp(r->flog[i].name, b, n))
            return &r->flog[i];
    return NULL;
}

static void add_fuzz_log(ml_report *r, const ml_fstore_log_line *fl)
{
    if (r->nflog >= 100000)
        return;
    ml_rp_fuzzlog *l = realloc(r->flog, (size_t)(r->nflog + 1) * sizeof *l);
    if (!l)
        return;
    r->flog = l;
    const char *slash = strrchr(fl->file, '/');   /* "raw/<name>" as found */
    l[r->nflog].name = strdup(slash ? slash + 1 : fl->file);
    l[r->nflog].sig = strdup(fl->sig);
    l[r->nflog].t = fl->t;
    snprintf(l[r->nflog].id, sizeof l[r->nflog].id, "%s", fl->class_id);
    if (l[r->nflog].name && l[r->nflog].sig)
        r->nflog++;
}

void ml_report_add_fuzz_log(ml_report *r, const char *line, size_t len)
{
    ml_fstore_log_line fl;
    if (ml_fstore_log_parse(line, len, &fl))
        add_fuzz_log(r, &fl);
}

/* The classes of one finding. With its case and observation the triage
 * module's (signature.h): one per defect, so the report's bugs are
 * triage's bugs, by id; a fuzzing session's file: the signature its log
 * gives; else what the file name and the observation say. */
typedef struct {
    char key[640], verdict[256], kind[64], transition[32], sig_id[9], summary[512];
    int severity;
} finding_class;

static int finding_classes(const char *case_json, size_t case_len, const char *obs_json, size_t obs_len,
                           const cJSON *cj, const cJSON *oj, const ml_rp_fuzzlog *fl,
                           const char *name_transport, const char *name_verdict,
                           finding_class out[ML_SIG_MAX], int *transport)
{
    ml_case *c = malloc(sizeof *c);
    ml_result *res = malloc(sizeof *res);
    char e[ML_ERR_MAX];
    bool have_case = c && case_json && ml_case_parse(case_json, case_len, NULL, c, e, sizeof e);
    bool have_res = have_case && res && obs_json && ml_result_parse(obs_json, obs_len, res, e, sizeof e);
    const char *tname = ml_rp_jstr(cj, "transport");
    if (!tname)
        tname = name_transport && *name_transport ? name_transport : "?";
    ml_transport t;
    *transport = have_case ? (int)c->transport : ml_transport_from_name(tname, &t) ? (int)t : ML_T_COUNT;
    int n = 0;
    if (have_res) {
        ml_verdict v = ml_oracle_judge(c, res);
        ml_sig all[ML_SIG_MAX];
        n = ml_sig_all(c, res, &v, all);
        for (int i = 0; i < n; i++) {
            finding_class *f = &out[i];
            snprintf(f->verdict, sizeof f->verdict, "%s", all[i].verdict);
            snprintf(f->kind, sizeof f->kind, "%s", all[i].kind);
            snprintf(f->transition, sizeof f->transition, "%s", all[i].transition);
            ml_sig_id(&all[i], false, f->sig_id);
            ml_sig_summary(&all[i], f->summary, sizeof f->summary);
            f->severity = (int)all[i].severity;
            snprintf(f->key, sizeof f->key, "bug %s", f->sig_id);   /* the fuzz log's classes meet these */
        }
    }
    if (!n) {
        finding_class *f = &out[0];
        memset(f, 0, sizeof *f);
        f->severity = ML_SEV_COUNT;
        n = 1;
        if (fl) {
            /* "<transport> <verdict> <P->C | P kept>[, ...]" */
            char tr[64] = "", vs[256] = "", a[32] = "", b[32] = "";
            sscanf(fl->sig, "%63s %255s %31s %31s", tr, vs, a, b);
            snprintf(f->verdict, sizeof f->verdict, "%s", vs[0] ? vs : "unknown");
            snprintf(f->kind, sizeof f->kind, "%s", tr[0] ? tr : tname);
            char *arrow = strstr(a, "->");
            if (arrow) {
                *arrow = 0;
                snprintf(f->transition, sizeof f->transition, "%s>%.8s", a, arrow + 2);
                f->transition[strcspn(f->transition, ",")] = 0;
            } else {
                snprintf(f->transition, sizeof f->transition, "%s>%s", a, a);
            }
            if (fl->id[0]) {   /* the class, whatever structure its variants minimized to */
                snprintf(f->key, sizeof f->key, "bug %s", fl->id);
                snprintf(f->sig_id, sizeof f->sig_id, "%s", fl->id);
                snprintf(f->summary, sizeof f->summary, "%.*s", (int)strcspn(fl->sig, "|"), fl->sig);
            } else {
                snprintf(f->key, sizeof f->key, "fuzz %s", fl->sig);
            }
        } else {
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(oj, "parent"),
                        *ch = cJSON_GetObjectItemCaseSensitive(oj, "child");
            snprintf(f->verdict, sizeof f->verdict, "%s", name_verdict && *name_verdict ? name_verdict : "unknown");
            snprintf(f->kind, sizeof f->kind, "%s", tname);
            snprintf(f->transition, sizeof f->transition, "%s>%s", obs_flags(p), obs_flags(ch));
            snprintf(f->key, sizeof f->key, "file %s|%s|%s", f->kind, f->verdict, f->transition);
        }
    }
    free(c);
    free(res);
    return n;
}

void ml_report_add_finding(ml_report *r, const char *name, const char *case_json, size_t case_len,
                           const char *obs_json, size_t obs_len, double mtime)
{
    r->findings_loaded = true;
    r->nfindings++;
    cJSON *cj = case_json ? cJSON_ParseWithLength(case_json, case_len) : NULL;
    cJSON *oj = obs_json ? cJSON_ParseWithLength(obs_json, obs_len) : NULL;
    uint64_t id = 0;
    char ftrans[64] = "", fverdict[128] = "";
    /* the name repeats the verdict: used only when there is no observation to judge */
    bool has_id = name && ml_store_parse_name(name, &id, ftrans, sizeof ftrans, fverdict, sizeof fverdict);
    const ml_rp_fuzzlog *fl = fuzz_entry(r, name);
    finding_class *fc = malloc(sizeof *fc * ML_SIG_MAX);
    int t, nclasses = fc ? finding_classes(case_json, case_len, obs_json, obs_len, cj, oj, fl, ftrans, fverdict,
                                           fc, &t) : 0;
    for (int k = 0; k < nclasses; k++) {
        int gi = group_get(r, fc[k].key, fc[k].verdict, fc[k].kind, fc[k].transition);
        if (gi < 0)
            continue;
        ml_rp_fgroup *g = &r->groups[gi];
        g->count++;
        g->per_t[t >= 0 && t < ML_T_COUNT ? t : ML_T_COUNT]++;
        snprintf(g->sig_id, sizeof g->sig_id, "%s", fc[k].sig_id);
        /* the sentence of the worst finding: it says what the bug can do */
        if (fc[k].summary[0] && (!g->summary || fc[k].severity < g->severity)) {
            free(g->summary);
            g->summary = strdup(fc[k].summary);
        }
        if (fc[k].severity < g->severity)
            g->severity = fc[k].severity;
        if (has_id && (!g->has_id || id < g->first_id)) {
            g->has_id = true;
            g->first_id = id;
        }
        if (fl && (g->fuzz_t < 0 || fl->t < g->fuzz_t))
            g->fuzz_t = fl->t;
        if (mtime > 0 && (g->first_mtime == 0 || mtime < g->first_mtime))
            g->first_mtime = mtime;
        double score[3] = {1e300, 1e300, 1e300};
        if (cj)
            case_score(cj, score);
        if (!g->rep_name || better(score, g->rep_score) ||
            (!better(g->rep_score, score) && has_id && g->rep_has_id && id < g->rep_id)) {
            free(g->rep_name);
            free(g->rep_case);
            free(g->rep_obs);
            g->rep_name = xstrdup(name ? name : "?");
            g->rep_case = cut_text(case_json, case_len);
            g->rep_obs = cut_text(obs_json, obs_len);
            memcpy(g->rep_score, score, sizeof score);
            g->rep_id = id;
            g->rep_has_id = has_id;
        }
        if (has_id) {
            if (r->nids == r->capids) {
                size_t cap = r->capids ? r->capids * 2 : 256;
                ml_rp_idmap *n = realloc(r->ids, cap * sizeof *n);
                if (n) {
                    r->ids = n;
                    r->capids = cap;
                }
            }
            if (r->nids < r->capids) {
                r->ids[r->nids].id = id;
                r->ids[r->nids++].g = gi;
                r->ids_sorted = false;
            }
        }
    }
    free(fc);
    cJSON_Delete(cj);
    cJSON_Delete(oj);
}

/* triage.json (triage.h): each bug's minimized case and full signature go
 * to the distinct finding of the same class; a bug no finding file shows
 * becomes a distinct finding of its own. */
bool ml_report_add_triage(ml_report *r, const char *json, size_t len, char *err, size_t errlen)
{
    cJSON *t = ml_json_parse_exact(json, len);
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(t, "bugs"))) {
        cJSON_Delete(t);
        snprintf(err, errlen, "triage.json: no \"bugs\" array");
        return false;
    }
    cJSON_Delete(r->triage);
    r->triage = t;
    return true;
}

bool ml_report_add_bisect(ml_report *r, const char *json, size_t len, char *err, size_t errlen)
{
    cJSON *b = ml_json_parse_exact(json, len);
    if (!cJSON_IsObject(b) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(b, "result"))) {
        cJSON_Delete(b);
        snprintf(err, errlen, "%s: not a bisect result", ML_STORE_BISECT);
        return false;
    }
    cJSON_Delete(r->bisect);
    r->bisect = b;
    return true;
}

static void complete_counts(ml_report *r);

/* Applied when the page is made, once every finding file is in. */
void ml_rp_apply_triage(ml_report *r)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(r->triage, "bugs"))
    {
        const char *id = ml_rp_jstr(b, "id");
        if (!id)
            continue;
        int gi = -1;
        for (int i = 0; i < r->ngroups && gi < 0; i++)
            if (r->groups[i].sig_id[0] && !strcmp(r->groups[i].sig_id, id))
                gi = i;
        if (gi < 0) {
            char key[320];
            snprintf(key, sizeof key, "triage %.300s", id);
            const char *v = ml_rp_jstr(b, "verdict"), *k = ml_rp_jstr(b, "kind"), *tr = ml_rp_jstr(b, "transition");
            gi = group_get(r, key, v ? v : "unknown", k ? k : "?", tr ? tr : "?");
            if (gi < 0)
                continue;
            ml_rp_fgroup *g = &r->groups[gi];
            if (g->min_case || g->signature)
                continue;   /* the (other) group */
            double cnt;
            g->count = ml_rp_jnum(b, "count", &cnt) && cnt > 0 ? (uint64_t)cnt : 1;
            snprintf(g->sig_id, sizeof g->sig_id, "%.8s", id);
            const cJSON *tt;
            cJSON_ArrayForEach(tt, cJSON_GetObjectItemCaseSensitive(b, "transports"))
            {
                ml_transport x;
                g->per_t[ml_transport_from_name(tt->string, &x) ? (int)x : ML_T_COUNT] +=
                    cJSON_IsNumber(tt) ? (uint64_t)tt->valuedouble : 0;
            }
            const cJSON *ex = cJSON_GetObjectItemCaseSensitive(b, "example");
            if (cJSON_IsObject(ex)) {
                g->rep_case = cJSON_PrintUnformatted(ex);
                g->rep_name = xstrdup(ml_rp_jstr(b, "first_finding"));
                if (!g->rep_name)
                    g->rep_name = strdup("(triage example)");
            }
        }
        ml_rp_fgroup *g = &r->groups[gi];
        if (g->min_case || g->signature)
            continue;
        g->signature = xstrdup(ml_rp_jstr(b, "signature"));
        ml_severity sev;
        const char *sevname = ml_rp_jstr(b, "severity");
        if (sevname && ml_severity_from_name(sevname, &sev) && (int)sev < g->severity)
            g->severity = (int)sev;
        if (ml_rp_jstr(b, "summary")) {   /* triage's sentence is the bug's, at its worst severity */
            free(g->summary);
            g->summary = xstrdup(ml_rp_jstr(b, "summary"));
        }
        const cJSON *mn = cJSON_GetObjectItemCaseSensitive(b, "minimized");
        if (cJSON_IsObject(mn))
            g->min_case = cJSON_PrintUnformatted(mn);
        const cJSON *ob = cJSON_GetObjectItemCaseSensitive(b, "observation");
        if (g->min_case && cJSON_IsObject(ob))
            g->min_obs = cJSON_PrintUnformatted(ob);
        g->what_changed = xstrdup(ml_rp_jstr(b, "what_changed"));
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(b, "minimize");
        char note[400];
        double tries = 0, secs = 0;
        ml_rp_jnum(m, "tries", &tries);
        ml_rp_jnum(m, "seconds", &secs);
        const char *why = ml_rp_jstr(m, "error"), *stop = ml_rp_jstr(m, "stop_reason");
        if (why && *why)
            snprintf(note, sizeof note, "not minimized: %s", why);
        else if (g->min_case)
            snprintf(note, sizeof note, "minimized in %.0f tries, %.1f s%s%s", tries, secs,
                     stop && *stop ? "; stopped early: " : "", stop && *stop ? stop : "");
        else
            snprintf(note, sizeof note, "not minimized");
        g->min_note = strdup(note);
    }
    complete_counts(r);
}

/* A bug's complete count (summary.json or triage.json: {id, count,
 * transports}) where more than its finding files show. */
static void complete_count(ml_report *r, const cJSON *b)
{
    const char *id = ml_rp_jstr(b, "id");
    double cnt;
    if (!id || !ml_rp_jnum(b, "count", &cnt) || cnt < 0)
        return;
    for (int i = 0; i < r->ngroups; i++) {
        ml_rp_fgroup *g = &r->groups[i];
        if (!g->sig_id[0] || strcmp(g->sig_id, id) || (double)g->count >= cnt)
            continue;
        g->count = (uint64_t)cnt;
        const cJSON *tt, *tr = cJSON_GetObjectItemCaseSensitive(b, "transports");
        if (cJSON_IsObject(tr)) {
            memset(g->per_t, 0, sizeof g->per_t);
            cJSON_ArrayForEach(tt, tr)
            {
                ml_transport x;
                g->per_t[ml_transport_from_name(tt->string, &x) ? (int)x : ML_T_COUNT] +=
                    cJSON_IsNumber(tt) && tt->valuedouble > 0 ? (uint64_t)tt->valuedouble : 0;
            }
        }
    }
}

static void complete_counts(ml_report *r)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(r->summary, "bugs")) complete_count(r, b);
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(r->triage, "bugs")) complete_count(r, b);
    r->failing = r->nfindings;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(r->summary, "counts");
    double f = 0, e = 0;
    if (ml_rp_jnum(c, "fail", &f) && ml_rp_jnum(c, "error", &e) && f + e > (double)r->failing)
        r->failing = (uint64_t)(f + e);
    if (r->lines && r->kinds[ML_RP_K_FAIL] + r->kinds[ML_RP_K_ERROR] > r->failing)
        r->failing = r->kinds[ML_RP_K_FAIL] + r->kinds[ML_RP_K_ERROR];
}

static int cmp_idmap(const void *a, const void *b)
{
    const ml_rp_idmap *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The index of the first entry of id in the sorted id map (r->nids if none
 * is greater or equal). A finding of two bugs has an entry for each. */
static size_t first_of_id(ml_report *r, uint64_t id)
{
    if (!r->ids_sorted) {
        qsort(r->ids, r->nids, sizeof *r->ids, cmp_idmap);
        r->ids_sorted = true;
    }
    size_t lo = 0, hi = r->nids;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->ids[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int group_of_id(ml_report *r, uint64_t id)
{
    size_t lo = first_of_id(r, id);
    return lo < r->nids && r->ids[lo].id == id ? r->ids[lo].g : -1;
}

/* ---- results ------------------------------------------------------------- */

static void bucket_add(ml_report *r, double x)
{
    if (!(x >= 0))
        x = 0;
    while (x >= ML_RP_NB * r->bw) {
        for (int i = 0; i < ML_RP_NB / 2; i++)
            r->bucket[i] = r->bucket[2 * i] + r->bucket[2 * i + 1];
        memset(r->bucket + ML_RP_NB / 2, 0, ML_RP_NB / 2 * sizeof *r->bucket);
        r->bw *= 2;
    }
    r->bucket[(int)(x / r->bw)]++;
    if (x > r->x_max)
        r->x_max = x;
}

static void event_add(ml_report *r, double x)
{
    double *e = realloc(r->events, (size_t)(r->nevents + 1) * sizeof *e);
    if (!e)
        return;
    r->events = e;
    r->events[r->nevents++] = x;
}

static int op_col(const char *name, size_t n)
{
    for (int k = 0; k < ML_OP_COUNT; k++) {
        const char *s = ml_op_name((ml_opkind)k);
        if (strlen(s) == n && !strncmp(s, name, n))
            return k + 1;
    }
    return ML_RP_OP_COLS - 1;
}

static int expect_category(const char *status, const char *expected, const char *actual)
{
    static const int of[] = {[ML_EXPECT_PASS] = ML_RP_R_OK, [ML_EXPECT_XFAIL] = ML_RP_R_XFAIL, [ML_EXPECT_NEW] = ML_RP_R_NEW,
                             [ML_EXPECT_CHANGED] = ML_RP_R_CHANGED, [ML_EXPECT_XPASS] = ML_RP_R_FIXED,
                             [ML_EXPECT_INVALID] = ML_RP_R_INVALID};
    for (int e = ML_EXPECT_PASS; status && e <= ML_EXPECT_INVALID; e++)
        if (!strcmp(status, ml_expect_name((ml_expect)e)))
            return of[e];
    return of[ml_baseline_compare(expected, actual)];
}

static void reg_add(ml_report *r, int cat, const char *caseid, const char *transport, const char *expected,
                    const char *actual, const char *env)
{
    if (r->nreglist[cat] >= ML_RP_REG_LIST_MAX || cat == ML_RP_R_OK)
        return;
    ml_rp_regrow *l = realloc(r->reglist[cat], (size_t)(r->nreglist[cat] + 1) * sizeof *l);
    if (!l)
        return;
    r->reglist[cat] = l;
    ml_rp_regrow *w = &l[r->nreglist[cat]++];
    w->caseid = cut_text(caseid, strlen(caseid));
    w->transport = xstrdup(transport);
    w->expected = xstrdup(expected);
    w->actual = xstrdup(actual);
    w->env = xstrdup(env);
}

bool ml_report_add_result(ml_report *r, const char *line, size_t len)
{
    r->lines++;
    cJSON *j = cJSON_ParseWithLength(line, len);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        r->bad_lines++;
        return false;
    }
    const char *transport = ml_rp_jstr(j, "transport"), *verdict = ml_rp_jstr(j, "verdict");
    const char *order = ml_rp_jstr(j, "order"), *ops = ml_rp_jstr(j, "ops");
    double idd = -1, ndimd = -1, secs = 0, t = -1, vnd = -1;
    ml_rp_jnum(j, "id", &idd);
    ml_rp_jnum(j, "ndim", &ndimd);
    ml_rp_jnum(j, "seconds", &secs);
    bool has_t = ml_rp_jnum(j, "t", &t);
    bool has_vnd = ml_rp_jnum(j, "view_ndim", &vnd);
    int k = ml_rp_verdict_kind(verdict);
    bool bad = k == ML_RP_K_FAIL || k == ML_RP_K_ERROR;
    r->kinds[k]++;

    int ti = stab_get(&r->transports, transport);
    r->per_t[ti].n[k]++;
    if (secs > 0 && secs < 1e7) {
        r->per_t[ti].secs += secs;
        if (secs > r->per_t[ti].secs_max)
            r->per_t[ti].secs_max = secs;
    }
    r->verdict_n[stab_get(&r->verdicts, verdict)]++;

    /* layout class: what `run` recorded, else a coarse class from the case */
    const char *layout = ml_rp_jstr(j, "layout"), *child = ml_rp_jstr(j, "child");
    char fb[64];
    if (layout) {
        r->has_layout = true;
    } else {
        snprintf(fb, sizeof fb, "%s backing, %s", order && !strcmp(order, "F") ? "F" : "C",
                 ops && *ops ? "ops" : "no ops");
        layout = fb;
        r->fallback_layout = true;
    }
    int li = stab_get(&r->layouts, layout);
    r->matrix[ti][li][k]++;
    if (child) {
        r->has_child = true;
        int ci = stab_get(&r->layouts, child);
        if (bad)
            r->trans[li][ci]++;
    }

    /* coverage */
    int oi = order && !strcmp(order, "C") ? 0 : order && !strcmp(order, "F") ? 1 : -1;
    int nd = ndimd >= 0 && ndimd <= ML_MAX_NDIM && ndimd == floor(ndimd) ? (int)ndimd : ML_RP_NDIM_ROWS - 1;
    int chain = 0;
    if (oi < 0) {
        r->cov_other_order++;
    } else if (!ops || !*ops) {
        r->cov[oi][nd][0].cases++;
        r->cov[oi][nd][0].bad += bad;
    } else {
        bool seen[ML_RP_OP_COLS] = {false};
        for (const char *p = ops; *p;) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            seen[op_col(p, n)] = true;
            chain++;
            p += n + (e ? 1 : 0);
        }
        for (int c = 1; c < ML_RP_OP_COLS; c++)
            if (seen[c]) {
                r->cov[oi][nd][c].cases++;
                r->cov[oi][nd][c].bad += bad;
            }
    }
    if (!ops)
        chain = ML_RP_CHAIN_ROWS - 1;
    r->chain[chain < ML_RP_CHAIN_ROWS ? chain : ML_RP_CHAIN_ROWS - 1].cases++;
    r->chain[chain < ML_RP_CHAIN_ROWS ? chain : ML_RP_CHAIN_ROWS - 1].bad += bad;
    if (has_vnd) {
        r->has_vndim = true;
        int v = vnd >= 0 && vnd <= ML_MAX_NDIM ? (int)vnd : ML_RP_NDIM_ROWS - 1;
        r->vndim[v].cases++;
        r->vndim[v].bad += bad;
    }
    int di = stab_get(&r->dtypes, ml_rp_jstr(j, "dtype"));
    r->dtype_n[di].cases++;
    r->dtype_n[di].bad += bad;
    int si = stab_get(&r->sources, ml_rp_jstr(j, "source")), mi = stab_get(&r->modes, ml_rp_jstr(j, "mode"));
    r->srcmode[si][mi].cases++;
    r->srcmode[si][mi].bad += bad;

    /* time */
    if (!r->time_mode)
        r->time_mode = has_t ? 1 : 2;
    double x;
    if (r->time_mode == 1) {
        x = has_t && t >= 0 && t < 1e9 ? t : r->last_x;
    } else {
        if (secs > 0 && secs < 1e7)
            r->cum_secs += secs;
        x = r->cum_secs;
    }
    r->last_x = x;
    bucket_add(r, x);

    /* findings over time */
    if (bad) {
        int g = -1;
        if (r->findings_loaded) {
            if (idd >= 0)
                g = group_of_id(r, (uint64_t)idd);
        } else {
            /* No finding files: group what the lines say. */
            char key[640], tr[80];
            const char *tn = r->transports.s[ti], *vn = verdict ? verdict : "?";
            snprintf(tr, sizeof tr, "%.38s>%.38s", layout, child ? child : "?");
            snprintf(key, sizeof key, "line %.200s|%.200s|%s", tn, vn, tr);
            g = group_get(r, key, vn, tn, tr);
            if (g >= 0) {
                ml_rp_fgroup *gr = &r->groups[g];
                ml_transport tt;
                gr->count++;
                gr->per_t[ml_transport_from_name(tn, &tt) ? (int)tt : ML_T_COUNT]++;
                if (idd >= 0 && (!gr->has_id || (uint64_t)idd < gr->first_id)) {
                    gr->has_id = true;
                    gr->first_id = (uint64_t)idd;
                }
            }
        }
        if (g >= 0 && !r->groups[g].seen) {
            r->groups[g].seen = true;
            r->groups[g].first_x = x;
            event_add(r, x);
        }
    }

    /* regression: ci's lines carry the expectation (and its reading, "status") */
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(j, "expected");
    if (ex) {
        r->has_expected = true;
        const char *exp = cJSON_GetStringValue(ex);
        const char *env = ml_rp_jstr(j, "env");
        int ei = stab_get(&r->envs, env ? env : "");
        const char *act = verdict ? verdict : "?";
        int cat = expect_category(ml_rp_jstr(j, "status"), exp, act);
        r->reg[ei][cat]++;
        /* every bug of this line's finding is new or known against the baseline */
        if (bad && idd >= 0 && r->findings_loaded && group_of_id(r, (uint64_t)idd) >= 0) {
            for (size_t e = first_of_id(r, (uint64_t)idd); e < r->nids && r->ids[e].id == (uint64_t)idd; e++) {
                ml_rp_fgroup *gr = &r->groups[r->ids[e].g];
                if (cat == ML_RP_R_NEW || cat == ML_RP_R_CHANGED)
                    gr->baseline_new = true;
                else if (cat == ML_RP_R_XFAIL)
                    gr->baseline_known = true;
            }
        }
        const char *cs = ml_rp_jstr(j, "case");
        char idbuf[32];
        if (!cs) {
            snprintf(idbuf, sizeof idbuf, "#%.0f", idd);
            cs = idbuf;
        }
        reg_add(r, cat, cs, transport ? transport : "?", exp ? exp : "(none)", act, env ? env : "");
    }
    cJSON_Delete(j);
    return true;
}

bool ml_report_add_matrix(ml_report *r, const char *json, size_t len, char *err, size_t errlen)
{
    cJSON *m = cJSON_ParseWithLength(json, len);
    cJSON *envs = cJSON_DetachItemFromObjectCaseSensitive(m, "environments");
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(m, "cases");
    int ne = cJSON_GetArraySize(envs);
    if (!cJSON_IsArray(envs) || !cJSON_IsArray(cases) || ne < 1 || ne > ML_RP_MX_ENVS) {
        snprintf(err, errlen, "matrix: expected \"environments\" (1 to %d) and \"cases\"", ML_RP_MX_ENVS);
        cJSON_Delete(envs);
        cJSON_Delete(m);
        return false;
    }
    cJSON_Delete(r->mx_envs);
    r->mx_envs = envs;
    r->mx_n = ne;
    r->has_expected = true;
    const char *name0 = ml_rp_jstr(cJSON_GetArrayItem(envs, 0), "name");
    const cJSON *c;
    cJSON_ArrayForEach(c, cases)
    {
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(c, "verdicts");
        const char *cs = ml_rp_jstr(c, "case"), *tr = ml_rp_jstr(c, "transport");
        const char *v0 = cJSON_GetStringValue(cJSON_GetArrayItem(vs, 0));
        bool same = true;
        r->mx_cases++;
        /* each environment read against the first, as ci reads a run against its baseline */
        for (int e = 1; e < ne; e++) {
            const char *ve = cJSON_GetStringValue(cJSON_GetArrayItem(vs, e));
            same &= v0 && ve && !strcmp(v0, ve);
            char label[300];
            snprintf(label, sizeof label, "%.140s vs %.140s", ml_rp_jstr(cJSON_GetArrayItem(envs, e), "name") ?
                     ml_rp_jstr(cJSON_GetArrayItem(envs, e), "name") : "?", name0 ? name0 : "?");
            int cat = expect_category(NULL, v0, ve);
            r->reg[stab_get(&r->envs, label)][cat]++;
            reg_add(r, cat, cs ? cs : "?", tr ? tr : "?", v0 ? v0 : "(none)", ve ? ve : "(none)", label);
        }
        if (same)
            continue;
        r->mx_differ++;
        if (r->mx_nrows >= ML_RP_MX_ROWS)
            continue;
        ml_rp_mxrow *rows = realloc(r->mx_rows, (size_t)(r->mx_nrows + 1) * sizeof *rows);
        if (!rows)
            continue;
        r->mx_rows = rows;
        ml_rp_mxrow *w = &rows[r->mx_nrows++];
        memset(w, 0, sizeof *w);
        w->caseid = xstrdup(cs ? cs : "?");
        w->transport = xstrdup(tr ? tr : "?");
        for (int e = 0; e < ne; e++)
            w->v[e] = xstrdup(cJSON_GetStringValue(cJSON_GetArrayItem(vs, e)));
    }
    cJSON_Delete(m);
    return true;
}

void ml_report_stats_get(const ml_report *r, ml_report_stats *st)
{
    memset(st, 0, sizeof *st);
    st->lines = r->lines;
    st->bad_lines = r->bad_lines;
    st->findings = r->nfindings;
    st->distinct = r->ngroups;
    st->bytes = r->last_bytes;
}


/* ---- from disk ----------------------------------------------------------- */

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static bool dir_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return false;
    const struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty;
}

static int load_findings(ml_report *r, const char *dir, char *err, size_t errlen)
{
    if (dir_empty(dir))   /* a clean run's findings/ */
        return 0;
    ml_store_entry *files;
    int n = ml_store_list_findings(dir, &files, err, errlen);
    if (n < 0)
        return -1;
    int used = 0;
    for (int i = 0; i < n; i++) {
        const char *f = files[i].path;
        size_t cl = 0, ol = 0;
        char e[256];
        char *ct = ml_read_file(f, ML_RP_MAX_FINDING_FILE, &cl, e, sizeof e);
        char *ot = files[i].obs ? ml_read_file(files[i].obs, ML_RP_MAX_FINDING_FILE, &ol, e, sizeof e) : NULL;
        struct stat st;
        double mt = stat(f, &st) == 0 ? (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9 : 0;
        if (ct) {
            ml_report_add_finding(r, f, ct, cl, ot, ol, mt);
            used++;
        }
        free(ct);
        free(ot);
    }
    ml_store_entries_free(files, n);
    return used;
}

static bool load_results(ml_report *r, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) != -1) {
        if (n <= 1 || (size_t)n > ML_RP_MAX_LINE) {
            if ((size_t)n > ML_RP_MAX_LINE) {
                r->lines++;
                r->bad_lines++;
            }
            continue;
        }
        ml_report_add_result(r, line, (size_t)n);
    }
    free(line);
    bool ok = !ferror(f);
    if (!ok)
        snprintf(err, errlen, "%s: read error", path);
    fclose(f);
    return ok;
}

char *ml_report_default_path(const char *in)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", in);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = 0;
    if (has_suffix(buf, ".jsonl")) {
        char *s = strrchr(buf, '/');
        if (s)
            *s = 0;
        else
            snprintf(buf, sizeof buf, ".");
    }
    const char *name = strrchr(buf, '/');
    name = name ? name + 1 : buf;
    if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
        name = "report";
    char out[4200];
    snprintf(out, sizeof out, "reports/%s/index.html", name);
    return strdup(out);
}

ml_report_status ml_report_build(const char *in, const char *out_html, const ml_report_opts *o,
                                 ml_report_stats *st, char *err, size_t errlen)
{
    char dir[4096], results[4200] = "", path[4200];
    ml_report_status ret = ML_REPORT_IO;
    snprintf(dir, sizeof dir, "%s", in);
    if (is_file(in) && has_suffix(in, ".jsonl")) {
        snprintf(results, sizeof results, "%s", in);
        char *s = strrchr(dir, '/');
        if (s)
            *s = 0;
        else
            snprintf(dir, sizeof dir, ".");
    } else if (!is_dir(in) && !(is_file(in) && has_suffix(in, ".json"))) {
        snprintf(err, errlen, "%s: not a results directory, results.jsonl or matrix JSON file", in);
        return ML_REPORT_BAD_INPUT;
    }
    bool matrix_file = is_file(in) && has_suffix(in, ".json");
    if (matrix_file) {   /* memlayout matrix --json FILE */
        char *s = strrchr(dir, '/');
        if (s)
            *s = 0;
        else
            snprintf(dir, sizeof dir, ".");
    }
    ml_report_opts opts = o ? *o : (ml_report_opts){0};
    if (!opts.source)
        opts.source = in;
    char title[512];
    if (!opts.title) {
        char *d = ml_report_default_path(in);   /* reports/<name>/index.html */
        char *name = d ? d + 8 : NULL;
        if (name && strrchr(name, '/'))
            *strrchr(name, '/') = 0;
        snprintf(title, sizeof title, "memlayout report — %s", name ? name : in);
        free(d);
        opts.title = title;
    }
    ml_report *r = ml_report_new(&opts);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return ML_REPORT_IO;
    }
    bool any = false;
    if (matrix_file || (snprintf(path, sizeof path, "%s/matrix.json", dir), is_file(path))) {
        size_t len;
        char *s = ml_read_file(matrix_file ? in : path, 64u << 20, &len, err, errlen);
        if (!s || !ml_report_add_matrix(r, s, len, err, errlen)) {
            ret = s ? ML_REPORT_BAD_INPUT : ML_REPORT_IO;
            free(s);
            goto fail;
        }
        free(s);
        any = true;
        if (matrix_file)
            goto write;   /* the file is the whole input */
    }
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (is_file(path)) {
        size_t len;
        char *s = ml_read_file(path, 16u << 20, &len, err, errlen);
        if (!s || !ml_report_add_summary(r, s, len, err, errlen)) {
            ret = s ? ML_REPORT_BAD_INPUT : ML_REPORT_IO;
            free(s);
            goto fail;
        }
        free(s);
        any = true;
    }
    /* triage's output: beside the findings, or in DIR/triage/ */
    static const char *const tri[] = {"%s/triage.json", "%s/triage/triage.json"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, tri[i], dir);
        if (!is_file(path))
            continue;
        size_t len;
        char *s = ml_read_file(path, 64u << 20, &len, err, errlen);
        if (!s || !ml_report_add_triage(r, s, len, err, errlen)) {
            ret = s ? ML_REPORT_BAD_INPUT : ML_REPORT_IO;
            free(s);
            goto fail;
        }
        free(s);
        any = true;
        break;
    }
    /* memlayout bisect --bug: a commit range beside the run */
    snprintf(path, sizeof path, "%s/%s", dir, ML_STORE_BISECT);
    if (is_file(path)) {
        size_t len;
        char *s = ml_read_file(path, 16u << 20, &len, err, errlen);
        if (!s || !ml_report_add_bisect(r, s, len, err, errlen)) {
            ret = s ? ML_REPORT_BAD_INPUT : ML_REPORT_IO;
            free(s);
            goto fail;
        }
        free(s);
    }
    /* a fuzz store (store.h): its log names each finding's signature and time */
    snprintf(path, sizeof path, "%s/findings", dir);
    if (!ml_fstore_is(path))
        snprintf(path, sizeof path, "%s", dir);
    char ferr[512];
    ml_fstore *fs = ml_fstore_is(path) ? ml_fstore_open(path, false, ferr, sizeof ferr) : NULL;
    ml_fstore_log_line *log = NULL;
    int nlog = fs ? ml_fstore_log_read(fs, &log) : 0;
    for (int i = 0; i < nlog; i++)
        add_fuzz_log(r, &log[i]);
    free(log);
    ml_fstore_close(fs);
    snprintf(path, sizeof path, "%s/findings", dir);
    int nf = 0;
    if (is_dir(path))
        nf = load_findings(r, path, err, errlen);
    else if (!results[0] && !is_file((snprintf(path, sizeof path, "%s/results.jsonl", dir), path)))
        nf = load_findings(r, dir, err, errlen);   /* a fuzzing session's directory of cases */
    if (nf < 0)
        goto fail;
    any |= nf > 0;
    if (!results[0]) {
        snprintf(path, sizeof path, "%s/results.jsonl", dir);
        if (is_file(path))
            snprintf(results, sizeof results, "%s", path);
    }
    if (results[0]) {
        if (!load_results(r, results, err, errlen))
            goto fail;
        any = true;
    }
    if (!any) {
        snprintf(err, errlen, "%s: no summary.json, results.jsonl or finding files", in);
        ret = ML_REPORT_BAD_INPUT;
        goto fail;
    }
write:;
    char odir[4096];
    snprintf(odir, sizeof odir, "%s", out_html);
    char *slash = strrchr(odir, '/');
    if (slash && slash != odir) {
        *slash = 0;
        if (!ml_mkdirs(odir, err, errlen))
            goto fail;
    } else {
        snprintf(odir, sizeof odir, "%s", slash ? "/" : ".");
    }
    r->html_dir = realpath(odir, NULL);   /* NULL: commands keep the names as read */
    size_t len;
    char *html = ml_report_html(r, &len);
    if (!html) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (ml_write_atomic(out_html, html, len, err, errlen))
        ret = ML_REPORT_OK;
    free(html);
    if (st)
        ml_report_stats_get(r, st);
fail:
    ml_report_free(r);
    return ret;
}

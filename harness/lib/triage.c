/* Grouping findings into bugs: see triage.h. */
#include "triage.h"
#include "fsutil.h"
#include "store.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ml_bugs {
    ml_bug **v;
    int n, cap;
    uint64_t findings;
};

ml_bugs *ml_bugs_new(void)
{
    return calloc(1, sizeof(ml_bugs));
}

void ml_bugs_free(ml_bugs *b)
{
    if (!b)
        return;
    for (int i = 0; i < b->n; i++) {
        free(b->v[i]->min_observation);
        free(b->v[i]);
    }
    free(b->v);
    free(b);
}

int ml_bugs_count(const ml_bugs *b)
{
    return b->n;
}

uint64_t ml_bugs_findings(const ml_bugs *b)
{
    return b->findings;
}

ml_bug *ml_bugs_get(ml_bugs *b, int i)
{
    return i >= 0 && i < b->n ? b->v[i] : NULL;
}

static bool earlier(double seen_a, uint64_t order_a, double seen_b, uint64_t order_b)
{
    if (seen_a != seen_b && seen_a > 0 && seen_b > 0)
        return seen_a < seen_b;
    return order_a < order_b;
}

static void note_variant(ml_bug *g, const char *verdict)
{
    for (int i = 0; i < g->nvariants; i++)
        if (!strcmp(g->variants[i], verdict))
            return;
    if (g->nvariants < ML_BUG_VARIANTS)
        snprintf(g->variants[g->nvariants++], sizeof g->variants[0], "%.*s", (int)sizeof g->variants[0] - 1, verdict);
    else
        g->more_variants++;
}

int ml_bugs_find(const ml_bugs *b, const ml_sig *s)
{
    for (int i = 0; i < b->n; i++)
        if (ml_sig_same_class(&b->v[i]->sig, s))
            return i;
    return -1;
}

static int add_defect(ml_bugs *b, const ml_sig *s, const ml_case *c, const char *name, double seen,
                      uint64_t order)
{
    int i = ml_bugs_find(b, s);
    if (i < 0) {
        i = b->n;
        if (b->n == b->cap) {
            int ncap = b->cap ? b->cap * 2 : 16;
            ml_bug **nv = realloc(b->v, sizeof *nv * (size_t)ncap);
            if (!nv)
                return -1;
            b->v = nv;
            b->cap = ncap;
        }
        ml_bug *g = calloc(1, sizeof *g);
        if (!g)
            return -1;
        g->sig = *s;
        ml_sig_id(s, false, g->id);
        g->first_seen = seen;
        g->first_order = order;
        snprintf(g->first_name, sizeof g->first_name, "%s", name ? name : "");
        g->example = *c;
        b->v[b->n++] = g;
    } else {
        ml_bug *g = b->v[i];
        if (earlier(seen, order, g->first_seen, g->first_order)) {
            g->first_seen = seen;
            g->first_order = order;
            snprintf(g->first_name, sizeof g->first_name, "%s", name ? name : "");
            g->example = *c;
        }
        if (s->severity < g->sig.severity)
            g->sig.severity = s->severity;
    }
    ml_bug *g = b->v[i];
    g->count++;
    if ((unsigned)c->transport < ML_T_COUNT)
        g->per_transport[c->transport]++;
    g->per_severity[s->severity]++;
    note_variant(g, s->verdict);
    return i;
}

int ml_bugs_add(ml_bugs *b, const ml_case *c, const ml_result *r, const ml_verdict *v,
                const char *name, double seen, uint64_t order)
{
    ml_sig all[ML_SIG_MAX];
    return ml_bugs_add_sigs(b, c, all, ml_sig_all(c, r, v, all), name, seen, order);
}

bool ml_bugs_complete(ml_bugs *b, const char *id, uint64_t count, const uint64_t *per_transport,
                      int severity)
{
    for (int i = 0; i < b->n; i++) {
        ml_bug *g = b->v[i];
        if (strcmp(g->id, id))
            continue;
        if (count > g->count) {
            g->count = count;
            for (int t = 0; per_transport && t < ML_T_COUNT; t++)
                g->per_transport[t] = per_transport[t];
        }
        if (severity >= 0 && severity < (int)g->sig.severity)
            g->sig.severity = (ml_severity)severity;
        return true;
    }
    return false;
}

void ml_bugs_complete_findings(ml_bugs *b, uint64_t findings)
{
    if (findings > b->findings)
        b->findings = findings;
}

int ml_bugs_add_sigs(ml_bugs *b, const ml_case *c, const ml_sig *all, int n, const char *name, double seen,
                     uint64_t order)
{
    if (n <= 0)
        return -1;
    int first = -1;
    for (int k = 0; k < n; k++) {
        int i = add_defect(b, &all[k], c, name, seen, order);
        if (k == 0)
            first = i;
    }
    b->findings++;
    return first;
}

static int cmp_bug(const void *pa, const void *pb)
{
    const ml_bug *a = *(ml_bug *const *)pa, *b = *(ml_bug *const *)pb;
    if (a->sig.severity != b->sig.severity)
        return (int)a->sig.severity - (int)b->sig.severity;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->id, b->id);   /* not first-seen: a run and a triage of its files must agree */
}

void ml_bugs_sort(ml_bugs *b)
{
    if (b->n > 1)
        qsort(b->v, (size_t)b->n, sizeof *b->v, cmp_bug);
}

static void interrupted(ml_bug *g)
{
    g->mst.stopped_early = true;
    snprintf(g->mst.stop_reason, sizeof g->mst.stop_reason, "interrupted");
}

bool ml_bugs_minimize(ml_bugs *b, ml_session *s, const ml_minimize_opts *o, FILE *log,
                      char *err, size_t errlen)
{
    for (int i = 0; i < b->n; i++) {
        ml_bug *g = b->v[i];
        char e[ML_ERR_MAX];
        ml_minimize_opts mo = *o;
        mo.target = &g->sig;   /* this bug's defect, not the example's other ones */
        bool ok = ml_minimize(s, &g->example, &mo, &g->min, &g->mst, e, sizeof e);
        if (!ok && o->stop && *o->stop) {
            /* A signal, e.g. during a child's handshake: not a broken Python. */
            interrupted(g);
            snprintf(e, sizeof e, "interrupted");
        } else if (!ok && !g->mst.input_fails && g->mst.tries <= 1 && strncmp(e, "the case", 8) != 0) {
            snprintf(err, errlen, "%s", e);   /* Python could not run the case at all */
            return false;
        }
        g->minimized = ok;
        if (ok) {
            /* the class stays the one counted; the structure is the minimized case's */
            snprintf(g->sig.structure, sizeof g->sig.structure, "%s", g->mst.sig.structure);
            ml_outcome *oc = malloc(sizeof *oc);
            if (oc && ml_session_judge(s, &g->min, oc, e, sizeof e) && oc->result_json) {
                free(g->min_observation);
                g->min_observation = strdup(oc->result_json);
            }
            free(oc);
        } else {
            snprintf(g->min_error, sizeof g->min_error, "%s", e);
        }
        if (log)
            fprintf(log, "triage: bug %d/%d %s: %s (%d cases in %.1f s%s%s)\n", i + 1, b->n, g->id,
                    ok ? "minimized" : e, g->mst.tries, g->mst.seconds,
                    g->mst.stopped_early ? ", stopped early: " : "",
                    g->mst.stopped_early ? g->mst.stop_reason : "");
    }
    return true;
}

bool ml_bugs_confirm(ml_bugs *b, ml_session *s, ml_session *ref, const ml_transport *asked, char *err,
                     size_t errlen)
{
    ml_outcome *o = malloc(sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    bool ok = true;
    for (int i = 0; ok && i < b->n; i++) {
        ml_bug *g = b->v[i];
        const ml_case *c = g->minimized ? &g->min : &g->example;
        const char *reducer;
        uint32_t m = ml_transport_real_processes(c->transport, asked ? asked[i] : ML_T_COUNT, &reducer);
        ml_session *in = strcmp(reducer, "reference") ? s : ref;
        size_t n = 0;
        g->confirmed = -1;
        g->real_process[0] = 0;
        for (int t = 0; ok && in && t < ML_T_COUNT; t++) {
            if (!(m & 1u << t))
                continue;
            ml_case rc = *c;
            rc.transport = (ml_transport)t;
            char e[ML_ERR_MAX], vs[128];
            if (!ml_session_judge(in, &rc, o, e, sizeof e)) {
                snprintf(err, errlen, "%s", e);
                ok = false;
                break;
            }
            /* confirmed: a real process shows this bug, not just any failure */
            ml_sig all[ML_SIG_MAX];
            int k = ml_sig_all(&rc, &o->r, &o->v, all);
            for (int j = 0; j < k; j++)
                if (ml_sig_same_class(&all[j], &g->sig))
                    g->confirmed = 1;
            ml_verdict_str(&o->v, vs, sizeof vs);
            if (n < sizeof g->real_process)
                n += (size_t)snprintf(g->real_process + n, sizeof g->real_process - n, "%s%s%s%s %s",
                                      n ? "; " : "", ml_transport_name((ml_transport)t),
                                      strcmp(reducer, "joblib") ? " --reducer " : "",
                                      strcmp(reducer, "joblib") ? reducer : "", vs);
        }
        if (!in)
            snprintf(g->real_process, sizeof g->real_process, "no session with the %s reducer", reducer);
    }
    free(o);
    return ok;
}

bool ml_bugs_finish(ml_bugs *b, const ml_py_opts *py, double timeout, const ml_minimize_opts *o,
                    const char *dir, FILE *log, char *err, size_t errlen)
{
    ml_bugs_sort(b);
    if (b->n) {
        ml_py_opts with_values = *py;
        with_values.detail = true;   /* the minimized cases' observations show values */
        ml_session *s = ml_session_open(&with_values, timeout, NULL, err, errlen);
        bool stopped = !s && o->stop && *o->stop;   /* a signal cut the handshake short */
        if (!s && !stopped)
            return false;
        for (int i = 0; stopped && i < b->n; i++) {
            interrupted(b->v[i]);
            snprintf(b->v[i]->min_error, sizeof b->v[i]->min_error, "interrupted");
        }
        bool ok = stopped || ml_bugs_minimize(b, s, o, log, err, errlen);
        ml_session_close(s);
        if (!ok)
            return false;
    }
    return !dir || ml_store_write_triage_dir(dir, b, err, errlen) == ML_STORE_OK;
}

/* ---- output ---------------------------------------------------------------- */

static const char *time_str(double t, char buf[32])
{
    if (t <= 0)
        return "unknown";
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

static void final_shape(const ml_case *c, char *buf, size_t len)
{
    int64_t shape[ML_MAX_NDIM];
    int nd = ml_case_shape_after(c, c->nops, shape);
    size_t n = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < nd && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (n < len)
        snprintf(buf + n, len - n, "%s)", nd == 1 ? "," : "");
}

/* What the minimized case's observation shows (ml_result_describe); false
 * when there is none. */
static bool describe_min(const ml_bug *g, char *buf, size_t len)
{
    if (!g->min_observation || !g->minimized)
        return false;
    ml_result *r = malloc(sizeof *r);
    char e[ML_ERR_MAX];
    bool ok = r && ml_result_parse(g->min_observation, strlen(g->min_observation), r, e, sizeof e);
    if (ok) {
        ml_verdict v = ml_oracle_judge(&g->min, r);
        ml_result_describe(r, &v, buf, len);
    }
    free(r);
    return ok;
}

void ml_bugs_print(const ml_bugs *b, FILE *f)
{
    fprintf(f, "%d distinct bug%s in %llu finding%s, most harmful first\n", b->n, b->n == 1 ? "" : "s",
            (unsigned long long)b->findings, b->findings == 1 ? "" : "s");
    for (int i = 0; i < b->n; i++) {
        const ml_bug *g = b->v[i];
        char ts[32], sig[512], shp[256];
        char sum[512], shown[1024];
        fprintf(f, "\n#%d bug %s  %s  %llu finding%s  first seen %s%s%s%s\n", i + 1, g->id,
                ml_severity_name(g->sig.severity), (unsigned long long)g->count, g->count == 1 ? "" : "s",
                time_str(g->first_seen, ts), g->first_name[0] ? " (" : "",
                ml_printable(g->first_name, shown, sizeof shown),
                g->first_name[0] ? ")" : "");
        fprintf(f, "  summary     %s\n", ml_sig_summary(&g->sig, sum, sizeof sum));
        fprintf(f, "  signature   %s\n", ml_sig_str(&g->sig, sig, sizeof sig));
        fprintf(f, "  variants   ");
        for (int k = 0; k < g->nvariants; k++)
            fprintf(f, "%s %s", k ? "," : "", g->variants[k]);
        if (g->more_variants)
            fprintf(f, " (+%llu findings with other verdicts)", (unsigned long long)g->more_variants);
        fputc('\n', f);
        if (g->confirmed)
            fprintf(f, "  confirmed   %s: %s\n", g->confirmed > 0 ? "CONFIRMED" : "in-process only",
                    g->real_process);
        fprintf(f, "  transports ");
        for (int t = 0; t < ML_T_COUNT; t++)
            if (g->per_transport[t])
                fprintf(f, " %s %llu", ml_transport_name((ml_transport)t),
                        (unsigned long long)g->per_transport[t]);
        fputc('\n', f);
        const ml_case *c = g->minimized ? &g->min : &g->example;
        char *json = ml_case_write(c);
        final_shape(c, shp, sizeof shp);
        if (g->minimized) {
            fprintf(f, "  minimized   %d dim%s, %d op%s, %lld element%s, view %s; %d cases in %.1f s%s%s\n",
                    c->ndim, c->ndim == 1 ? "" : "s", c->nops, c->nops == 1 ? "" : "s",
                    (long long)ml_case_elements(c), ml_case_elements(c) == 1 ? "" : "s", shp,
                    g->mst.tries, g->mst.seconds, g->mst.stopped_early ? ", stopped early: " : "",
                    g->mst.stopped_early ? g->mst.stop_reason : "");
        } else {
            fprintf(f, "  not minimized%s%s\n", g->min_error[0] ? ": " : "", g->min_error);
        }
        char what[2048];
        if (describe_min(g, what, sizeof what)) {
            for (char *line = what, *nl; *line; line = nl + 1) {
                nl = strchr(line, '\n');
                if (!nl)
                    break;
                fprintf(f, "  %-11s %.*s\n", line == what ? "seen" : "", (int)(nl - line), line);
            }
        }
        fprintf(f, "  case        %s", json ? json : "(out of memory)\n");
        free(json);
    }
}

char *ml_bugs_json(const ml_bugs *b)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "findings", (double)b->findings);
    cJSON *arr = cJSON_AddArrayToObject(root, "bugs");
    for (int i = 0; i < b->n; i++) {
        const ml_bug *g = b->v[i];
        char sig[512], ts[32];
        cJSON *o = cJSON_CreateObject();
        char sum[512];
        cJSON_AddStringToObject(o, "id", g->id);
        cJSON_AddNumberToObject(o, "rank", i + 1);
        cJSON_AddStringToObject(o, "severity", ml_severity_name(g->sig.severity));
        cJSON_AddStringToObject(o, "summary", ml_sig_summary(&g->sig, sum, sizeof sum));
        cJSON_AddStringToObject(o, "signature", ml_sig_str(&g->sig, sig, sizeof sig));
        cJSON_AddStringToObject(o, "kind", g->sig.kind);
        cJSON_AddStringToObject(o, "aspect", g->sig.aspect);
        cJSON_AddStringToObject(o, "cause", g->sig.cause);
        cJSON_AddStringToObject(o, "verdict", g->sig.verdict);
        cJSON *va = cJSON_AddArrayToObject(o, "variants");
        for (int k = 0; k < g->nvariants; k++)
            cJSON_AddItemToArray(va, cJSON_CreateString(g->variants[k]));
        cJSON_AddStringToObject(o, "transition", g->sig.transition);
        cJSON_AddStringToObject(o, "structure", g->sig.structure);
        cJSON_AddNumberToObject(o, "count", (double)g->count);
        cJSON *tr = cJSON_AddObjectToObject(o, "transports");
        for (int t = 0; t < ML_T_COUNT; t++)
            if (g->per_transport[t])
                cJSON_AddNumberToObject(tr, ml_transport_name((ml_transport)t), (double)g->per_transport[t]);
        if (g->first_seen > 0)
            cJSON_AddStringToObject(o, "first_seen", time_str(g->first_seen, ts));
        else
            cJSON_AddNullToObject(o, "first_seen");
        cJSON_AddStringToObject(o, "first_finding", g->first_name);
        char *ex = ml_case_write(&g->example);
        cJSON *exj = ex ? cJSON_Parse(ex) : NULL;
        cJSON_AddItemToObject(o, "example", exj ? exj : cJSON_CreateNull());
        free(ex);
        if (g->minimized) {
            char *mn = ml_case_write(&g->min);
            cJSON *mj = mn ? cJSON_Parse(mn) : NULL;
            cJSON_AddItemToObject(o, "minimized", mj ? mj : cJSON_CreateNull());
            free(mn);
        } else {
            cJSON_AddNullToObject(o, "minimized");
        }
        cJSON *obs = g->min_observation ? cJSON_Parse(g->min_observation) : NULL;
        cJSON_AddItemToObject(o, "observation", obs ? obs : cJSON_CreateNull());
        char what[2048];
        if (describe_min(g, what, sizeof what))
            cJSON_AddStringToObject(o, "what_changed", what);
        else
            cJSON_AddNullToObject(o, "what_changed");
        cJSON *m = cJSON_AddObjectToObject(o, "minimize");
        cJSON_AddNumberToObject(m, "tries", g->mst.tries);
        cJSON_AddNumberToObject(m, "seconds", g->mst.seconds);
        cJSON_AddBoolToObject(m, "stopped_early", g->mst.stopped_early);
        cJSON_AddStringToObject(m, "stop_reason", g->mst.stop_reason);
        cJSON_AddStringToObject(m, "error", g->min_error);
        if (g->confirmed) {
            cJSON_AddStringToObject(o, "confirmed", g->confirmed > 0 ? "CONFIRMED" : "in-process only");
            cJSON_AddStringToObject(o, "real_process", g->real_process);
        } else {
            cJSON_AddNullToObject(o, "confirmed");
            cJSON_AddNullToObject(o, "real_process");
        }
        cJSON_AddItemToArray(arr, o);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

/* JUnit and SARIF writers: see ciout.h. */
#include "ciout.h"
#include "signature.h"
#include "fsutil.h"

#include <cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ml_ci_row_fails_job(const ml_ci_row *r, const ml_ci_meta *m)
{
    if (!ml_expect_fails_job(r->status, m->allow_fixed))
        return false;
    if ((r->status != ML_EXPECT_NEW && r->status != ML_EXPECT_CHANGED) || !m->fail_on)
        return true;
    return r->severity < 0 || r->severity >= ML_SEV_COUNT || (m->fail_on & (1u << r->severity));
}

/* SARIF's level of a result: what fails the job by its severity (corrupt:
 * error; error and layout: warning; representation: note), a known failure
 * a note. */
static const char *sarif_level(const ml_ci_row *r, const ml_ci_meta *m)
{
    if (r->status == ML_EXPECT_XFAIL)
        return "note";
    if (r->status == ML_EXPECT_NEW || r->status == ML_EXPECT_CHANGED) {
        if (!ml_ci_row_fails_job(r, m))
            return "note";
        switch (r->severity) {
        case ML_SEV_ERROR:
        case ML_SEV_LAYOUT: return "warning";
        case ML_SEV_REPRESENTATION: return "note";
        default: return "error";
        }
    }
    return ml_ci_row_fails_job(r, m) ? "error" : "warning";
}

void ml_ci_message(const ml_ci_row *r, const ml_ci_meta *m, char *buf, size_t len)
{
    const char *exp = r->expected ? r->expected : "(not in the baseline)";
    const char *sev = r->severity >= 0 ? ml_severity_name((ml_severity)r->severity) : "unranked";
    switch (r->status) {
    case ML_EXPECT_PASS:
        snprintf(buf, len, "pass");
        break;
    case ML_EXPECT_XFAIL:
        snprintf(buf, len, "known failure %s (expected by the baseline of %s)", r->verdict, m->env);
        break;
    case ML_EXPECT_NEW:
        snprintf(buf, len, "new %s failure%s%s: %s, expected %s in %s", sev, r->bug ? " of bug " : "",
                 r->bug ? r->bug : "", r->verdict, exp, m->env);
        break;
    case ML_EXPECT_CHANGED:
        snprintf(buf, len, "failure changed (%s%s%s): %s, expected %s in %s", sev, r->bug ? ", bug " : "",
                 r->bug ? r->bug : "", r->verdict, exp, m->env);
        break;
    case ML_EXPECT_XPASS:
        snprintf(buf, len, "XPASS: passes now, expected %s in %s (fixed upstream?); if so, update "
                 "the baseline: %s", exp, m->env, m->update_hint ? m->update_hint : "--update-baseline");
        break;
    default:
        snprintf(buf, len, "invalid case: NumPy refused to build it");
        break;
    }
}

/* ---- XML -------------------------------------------------------------------- */

/* Escapes for text and attribute values alike; characters XML 1.0 cannot
 * hold (controls other than tab, LF, CR) become '?'. */
/* Text for a report: control characters and bytes that are not UTF-8
 * written as \\xNN (ml_printable). Caller frees; NULL for NULL or OOM. */
static char *clean(const char *s)
{
    if (!s)
        return NULL;
    size_t len = strlen(s) * 4 + 1;
    char *buf = malloc(len);
    return buf ? (char *)ml_printable(s, buf, len) : NULL;
}

/* A file path as a URI reference: every byte outside RFC 3986's unreserved
 * set and '/' percent-encoded. Caller frees. */
static char *uri_of(const char *path)
{
    char *u = malloc(strlen(path) * 3 + 1), *o = u;
    for (const unsigned char *p = (const unsigned char *)path; u && *p; p++) {
        if (isalnum(*p) || strchr("-._~/", *p))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    if (u)
        *o = 0;
    return u;
}

static void xml(FILE *f, const char *raw)
{
    char *text = clean(raw);
    for (const char *s = text; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            fputc(c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? '?' : c, f);
        }
    }
    free(text);
}

/* Closes a memstream: only then does *text hold the final buffer. */
static char *finish(FILE *f, char **text)
{
    if (fclose(f) != 0) {
        free(*text);
        return NULL;
    }
    return *text;
}

char *ml_ci_junit(const ml_ci_row *rows, int n, const ml_ci_meta *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    int failures = 0, errors = 0, skipped = 0;
    double total = 0;
    for (int i = 0; i < n; i++) {
        total += rows[i].seconds;
        if (rows[i].status == ML_EXPECT_INVALID)
            errors++;
        else if (ml_ci_row_fails_job(&rows[i], m))
            failures++;
        else if (rows[i].status != ML_EXPECT_PASS)
            skipped++;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<testsuites tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
            n, failures, errors, skipped, total);
    fputs("  <testsuite name=\"", f);
    xml(f, m->suite ? m->suite : "memlayout");
    fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n", n,
            failures, errors, skipped, total);
    fputs("    <properties>\n      <property name=\"environment\" value=\"", f);
    xml(f, m->env);
    fputs("\"/>\n      <property name=\"memlayout\" value=\"", f);
    xml(f, m->version);
    fputs("\"/>\n    </properties>\n", f);
    for (int i = 0; i < n; i++) {
        const ml_ci_row *r = &rows[i];
        char msg[1024];
        ml_ci_message(r, m, msg, sizeof msg);
        fputs("    <testcase classname=\"", f);
        xml(f, m->suite ? m->suite : "memlayout");
        fputs("\" name=\"", f);
        xml(f, r->key);
        fprintf(f, "\" file=\"");
        xml(f, r->path);
        fprintf(f, "\" time=\"%.3f\"", r->seconds);
        const char *tag = NULL;
        if (r->status == ML_EXPECT_INVALID)
            tag = "error";
        else if (ml_ci_row_fails_job(r, m))
            tag = "failure";
        else if (r->status != ML_EXPECT_PASS)
            tag = "skipped";
        if (!tag) {
            fputs("/>\n", f);
            continue;
        }
        fprintf(f, ">\n      <%s message=\"", tag);
        xml(f, msg);
        fputs("\" type=\"", f);
        xml(f, ml_expect_name(r->status));
        fputs("\">", f);
        xml(f, r->path);
        fputs(" [", f);
        xml(f, r->transport);
        fputs("]: ", f);
        xml(f, r->verdict);
        if (r->detail) {
            fputc('\n', f);
            xml(f, r->detail);
        }
        if (r->range) {
            fputs("\nrange: ", f);
            xml(f, r->range);
        }
        fprintf(f, "</%s>\n    </testcase>\n", tag);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    return finish(f, &text);
}

/* ---- SARIF ------------------------------------------------------------------ */

static const struct {
    ml_expect status;
    const char *id, *text;
} rules[] = {
    {ML_EXPECT_NEW, "memlayout/new-failure",
     "A regression case fails that the baseline expects to pass: a new layout bug."},
    {ML_EXPECT_CHANGED, "memlayout/changed-failure",
     "A regression case fails otherwise than the baseline expects."},
    {ML_EXPECT_XPASS, "memlayout/fixed",
     "A known failure passes now (fixed upstream?): update the baseline."},
    {ML_EXPECT_XFAIL, "memlayout/known-failure",
     "A known layout bug of this environment, expected by the baseline."},
    {ML_EXPECT_INVALID, "memlayout/invalid-case", "NumPy refused to build the case."},
};
#define NRULES (int)(sizeof rules / sizeof *rules)

static int rule_of(ml_expect e)
{
    for (int i = 0; i < NRULES; i++)
        if (rules[i].status == e)
            return i;
    return -1;
}

char *ml_ci_sarif(const ml_ci_row *rows, int n, const ml_ci_meta *m)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    cJSON_AddStringToObject(root, "version", "2.1.0");
    cJSON *run = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "runs"), run);
    cJSON *driver = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"), "driver");
    cJSON_AddStringToObject(driver, "name", "memlayout");
    cJSON_AddStringToObject(driver, "version", m->version ? m->version : "0");
    cJSON *jr = cJSON_AddArrayToObject(driver, "rules");
    for (int i = 0; i < NRULES; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "id", rules[i].id);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "shortDescription"), "text", rules[i].text);
        cJSON_AddItemToArray(jr, r);
    }
    cJSON *props = cJSON_AddObjectToObject(run, "properties");
    cJSON_AddStringToObject(props, "environment", m->env ? m->env : "");
    cJSON *results = cJSON_AddArrayToObject(run, "results");
    for (int i = 0; i < n; i++) {
        const ml_ci_row *row = &rows[i];
        int ri = rule_of(row->status);
        if (ri < 0)
            continue;   /* a plain pass is not a result */
        char msg[1024];
        ml_ci_message(row, m, msg, sizeof msg);
        cJSON *res = cJSON_CreateObject();
        cJSON_AddStringToObject(res, "ruleId", rules[ri].id);
        cJSON_AddNumberToObject(res, "ruleIndex", ri);
        cJSON_AddStringToObject(res, "level", sarif_level(row, m));
        char *cmsg = clean(msg);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(res, "message"), "text", cmsg ? cmsg : "");
        free(cmsg);
        cJSON *loc = cJSON_CreateObject();
        cJSON *art = cJSON_AddObjectToObject(cJSON_AddObjectToObject(loc, "physicalLocation"),
                                             "artifactLocation");
        const char *path = row->path;
        while (path[0] == '.' && path[1] == '/')
            path += 2;
        char *uri = uri_of(path);
        cJSON_AddStringToObject(art, "uri", uri ? uri : "");
        free(uri);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(res, "locations"), loc);
        cJSON *rp = cJSON_AddObjectToObject(res, "properties");
        cJSON_AddStringToObject(rp, "verdict", row->verdict);
        if (row->expected)
            cJSON_AddStringToObject(rp, "expected", row->expected);
        else
            cJSON_AddNullToObject(rp, "expected");
        cJSON_AddStringToObject(rp, "transport", row->transport);
        if (row->severity >= 0 && row->severity < ML_SEV_COUNT)
            cJSON_AddStringToObject(rp, "severity", ml_severity_name((ml_severity)row->severity));
        if (row->bug)
            cJSON_AddStringToObject(rp, "bug", row->bug);
        if (row->detail) {
            char *d = clean(row->detail);
            cJSON_AddStringToObject(rp, "detail", d ? d : "");
            free(d);
        }
        cJSON *range = row->range_json ? cJSON_Parse(row->range_json) : NULL;
        if (range)
            cJSON_AddItemToObject(rp, "range", range);
        cJSON_AddItemToArray(results, res);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

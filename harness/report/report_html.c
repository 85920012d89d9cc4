/* memlayout report: the page (see report.h), written from the tables
 * report.c fills (report_int.h). One self-contained HTML document: inline
 * CSS and SVG, no script, a strict Content-Security-Policy.
 *
 * Every string from the input reaches the page through ml_html_text. */
#include "report_int.h"

#include "baseline.h"
#include "html.h"
#include "oracle.h"
#include "repro.h"
#include "signature.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- rendering helpers --------------------------------------------------- */

static const char css[] =
    ":root{--fg:#1d2330;--mut:#5f6b7a;--line:#dfe3ea;--bg:#fff;--soft:#f5f7fa;--pass:#2f8f4e;--fail:#c0392b;"
    "--error:#d9822b;--invalid:#8a94a3;--acc:#2b6cb0}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "color:var(--fg);background:var(--soft)}"
    "header.top{background:#1d2330;color:#fff;padding:18px 28px 14px}"
    "header.top h1{margin:0 0 4px;font-size:21px;font-weight:600}"
    "header.top .sub{color:#b8c2d0;font-size:13px}"
    "header.top code{color:#e6edf6;background:#2c3444;padding:1px 5px;border-radius:4px;word-break:break-all}"
    "nav{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid var(--line);padding:8px 28px;"
    "display:flex;gap:18px;flex-wrap:wrap;font-size:13px}"
    "nav a{color:var(--acc);text-decoration:none}"
    "main{padding:18px 28px 40px;max-width:1500px}"
    "section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:0 0 18px}"
    "h2{font-size:17px;margin:0 0 10px}h3{font-size:14px;margin:16px 0 6px}"
    ".note{color:var(--mut);font-size:12.5px;margin:6px 0}"
    ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:4px 0 14px}"
    ".card{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:120px;background:var(--soft)}"
    ".card b{display:block;font-size:20px;font-weight:600}.card span{color:var(--mut);font-size:12px}"
    ".card.bad b{color:var(--fail)}"
    "dl.env{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0 0 12px}"
    "dl.env dt{color:var(--mut)}dl.env dd{margin:0;word-break:break-all}"
    "table{border-collapse:collapse;font-size:13px}"
    "th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}"
    "th{background:var(--soft);font-weight:600}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".k-pass{color:var(--pass)}.k-fail{color:var(--fail)}.k-error{color:var(--error)}.k-invalid{color:var(--invalid)}"
    ".sb{display:flex;width:160px;height:10px;border-radius:3px;overflow:hidden;background:#eee;margin-top:4px}"
    ".sb i{display:block;height:100%}"
    ".b-pass{background:var(--pass)}.b-fail{background:var(--fail)}.b-error{background:var(--error)}"
    ".b-invalid{background:var(--invalid)}"
    "table.heat td{text-align:center;min-width:62px;border-color:#fff}"
    "table.heat td b{display:block;font-size:14px}table.heat td small{opacity:.8}"
    "table.heat td.dk{color:#fff}table.heat td.z{background:repeating-linear-gradient(45deg,#f6f6f4,#f6f6f4 4px,"
    "#ecece8 4px,#ecece8 8px);color:#a0a6ae}"
    "table.heat td.hf{box-shadow:inset 3px 0 0 var(--fail)}"
    "table.cov td{min-width:44px;padding:3px 5px;font-size:12px}"
    ".covs{display:flex;flex-wrap:wrap;gap:24px}"
    ".legend{display:flex;align-items:center;gap:8px;font-size:12px;color:var(--mut);margin:8px 0}"
    "code,pre{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12.5px}"
    "pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow-x:auto;"
    "white-space:pre-wrap;word-break:break-all;margin:6px 0}"
    "details.f{border:1px solid var(--line);border-radius:8px;margin:10px 0;background:#fff}"
    "details.f>summary{cursor:pointer;padding:9px 12px;font-weight:600;list-style-position:inside}"
    "details.f[open]>summary{border-bottom:1px solid var(--line);background:var(--soft)}"
    "details.f .body{padding:6px 14px 12px}"
    ".tag{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;"
    "background:#eef2f7;color:var(--fg);margin-right:4px}"
    ".tag.fail{background:#fbe3e0;color:var(--fail)}.tag.error{background:#fcebd9;color:#a35a12}"
    ".tag.layout{background:#e6eefb;color:#2c5aa0}.tag.repr{background:#eef2f7;color:var(--mut)}"
    "i.only{display:none}"
    "#only-corrupt:target~table#findings tbody tr:not(.sev-corrupt),"
    "#only-error:target~table#findings tbody tr:not(.sev-error),"
    "#only-layout:target~table#findings tbody tr:not(.sev-layout),"
    "#only-representation:target~table#findings tbody tr:not(.sev-representation){display:none}"
    "table#findings tbody.by-count,table#findings tbody.by-first{display:none}"
    "#sort-count:target~table#findings tbody.by-harm,#sort-first:target~table#findings tbody.by-harm{display:none}"
    "#sort-count:target~table#findings tbody.by-count,#sort-first:target~table#findings tbody.by-first"
    "{display:table-row-group}"
    "table.obs td.d{background:#f7f3e6}table.obs td.d.k{background:#fff3c4}"
    "table.obs td.d.k.c{background:#ffe08a;font-weight:600}"
    "table.obs mark{background:#ffb84d;padding:0 2px;border-radius:2px}"
    "table.obs td:first-child{color:var(--mut);white-space:nowrap}"
    "table.obs td{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12px;"
    "word-break:break-all;max-width:420px}"
    ".two{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:18px}"
    "@media(max-width:1000px){.two{grid-template-columns:1fr}}"
    "svg.chart{max-width:100%;height:auto;background:#fff}"
    "svg .pa{fill:#fbfcfd;stroke:#dfe3ea}svg .gr{stroke:#e8ebf0}svg .tk{stroke:#9aa4b1}"
    "svg text{font:11px system-ui,sans-serif;fill:#5f6b7a}svg .ct{font-size:13px;font-weight:600;fill:#1d2330}"
    "svg .yl{text-anchor:end}svg .xl,svg .al,svg .nd{text-anchor:middle}"
    "svg .ln{fill:none;stroke-width:2}svg .ar{opacity:.12}"
    "details.repro{margin:6px 0}details.repro>summary{cursor:pointer;color:var(--acc)}"
    "pre.script{max-height:420px;overflow:auto;white-space:pre;word-break:normal}"
    ".ok{color:var(--pass);font-weight:600}.badtxt{color:var(--fail);font-weight:600}"
    "footer{color:var(--mut);font-size:12px;padding:0 28px 24px}";

static void fmt_count(char *buf, size_t len, double v)
{
    snprintf(buf, len, "%.0f", v);
}

static void td_count(ml_html *h, uint64_t v)
{
    ml_html_fmt(h, "<td class=\"n\">%llu</td>", (unsigned long long)v);
}

static void fmt_seconds(char *buf, size_t len, double s)
{
    if (s < 0.001)
        snprintf(buf, len, "%.0f µs", s * 1e6);
    else if (s < 1)
        snprintf(buf, len, "%.1f ms", s * 1e3);
    else if (s < 120)
        snprintf(buf, len, "%.1f s", s);
    else if (s < 7200)
        snprintf(buf, len, "%.1f min", s / 60);
    else
        snprintf(buf, len, "%.1f h", s / 3600);
}

static void utc(char *buf, size_t len, double t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(buf, len, "?");
}

/* A shell-quoted command line, for reading and copying. */
static void html_command(ml_html *h, const cJSON *cmd)
{
    const cJSON *a;
    bool first = true;
    cJSON_ArrayForEach(a, cmd)
    {
        const char *s = cJSON_GetStringValue(a);
        if (!s)
            continue;
        if (!first)
            ml_html_raw(h, " ");
        first = false;
        bool plain = *s != 0;
        for (const char *p = s; *p; p++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./,:+@%", *p))
                plain = false;
        if (plain) {
            ml_html_text(h, s);
            continue;
        }
        ml_html_raw(h, "&#39;");
        for (const char *p = s; *p;) {
            const char *q = strchr(p, '\'');
            size_t n = q ? (size_t)(q - p) : strlen(p);
            ml_html_textn(h, p, n);
            if (!q)
                break;
            ml_html_raw(h, "&#39;\\&#39;&#39;");
            p = q + 1;
        }
        ml_html_raw(h, "&#39;");
    }
}

static const char *command_option(const cJSON *cmd, const char *opt)
{
    size_t n = strlen(opt);
    int sz = cJSON_GetArraySize(cmd);
    for (int i = 0; i < sz; i++) {
        const char *s = cJSON_GetStringValue(cJSON_GetArrayItem(cmd, i));
        if (!s)
            continue;
        if (!strcmp(s, opt))
            return cJSON_GetStringValue(cJSON_GetArrayItem(cmd, i + 1));
        if (!strncmp(s, opt, n) && s[n] == '=')
            return s + n + 1;
    }
    return NULL;
}

static void kind_bar(ml_html *h, const uint64_t n[ML_RP_NK])
{
    uint64_t total = 0;
    for (int k = 0; k < ML_RP_NK; k++)
        total += n[k];
    ml_html_raw(h, "<div class=\"sb\">");
    for (int k = 0; k < ML_RP_K_OTHER && total; k++)
        if (n[k])
            ml_html_fmt(h, "<i class=\"b-%s\" style=\"width:%.2f%%\"></i>", ml_rp_kind_name(k), 100.0 * n[k] / total);
    ml_html_raw(h, "</div>");
}

/* ---- header -------------------------------------------------------------- */

static void env_row(ml_html *h, const char *label, const char *value)
{
    ml_html_fmt(h, "<dt>%s</dt><dd>", label);
    if (value)
        ml_html_text(h, value);
    else
        ml_html_raw(h, "<span class=\"note\">not recorded</span>");
    ml_html_raw(h, "</dd>");
}

static void section_header(ml_html *h, ml_report *r)
{
    const cJSON *s = r->summary, *v = cJSON_GetObjectItemCaseSensitive(s, "versions");
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(s, "command");
    ml_html_raw(h, "<section id=\"overview\"><h2>Run</h2>");

    /* cards */
    double cases = 0, secs = -1, rate = -1;
    bool have_cases = ml_rp_jnum(s, "cases", &cases);
    if (!have_cases && r->lines) {
        cases = (double)(r->lines - r->bad_lines);
        have_cases = true;
    }
    ml_rp_jnum(s, "seconds", &secs);
    if (!ml_rp_jnum(s, "cases_per_second", &rate) && secs > 0 && have_cases)
        rate = cases / secs;
    uint64_t nfind = r->kinds[ML_RP_K_FAIL] + r->kinds[ML_RP_K_ERROR];
    if (!r->lines)
        nfind = r->nfindings;
    char buf[64];
    ml_html_raw(h, "<div class=\"cards\">");
    if (have_cases) {
        fmt_count(buf, sizeof buf, cases);
        ml_html_fmt(h, "<div class=\"card\"><b>%s</b><span>cases</span></div>", buf);
    }
    if (secs >= 0) {
        fmt_seconds(buf, sizeof buf, secs);
        ml_html_fmt(h, "<div class=\"card\"><b>%s</b><span>duration</span></div>", buf);
    }
    if (rate >= 0)
        ml_html_fmt(h, "<div class=\"card\"><b>%.0f</b><span>cases/s</span></div>", rate);
    ml_html_fmt(h, "<div class=\"card%s\"><b>%d</b><span>distinct bugs</span></div>", r->ngroups ? " bad" : "",
                r->ngroups);
    ml_html_fmt(h, "<div class=\"card%s\"><b>%llu</b><span>failing cases</span></div>", nfind ? " bad" : "",
                (unsigned long long)nfind);
    if (r->lines)
        ml_html_fmt(h, "<div class=\"card\"><b>%llu</b><span>invalid (not findings)</span></div>",
                    (unsigned long long)r->kinds[ML_RP_K_INVALID]);
    ml_html_raw(h, "</div>");
    if (ml_rp_jbool(s, "interrupted") == 1)
        ml_html_raw(h, "<p class=\"badtxt\">The run was interrupted; the figures cover what ran.</p>");

    /* environment */
    ml_html_raw(h, "<dl class=\"env\">");
    const char *mv = ml_rp_jstr(s, "memlayout");
    env_row(h, "memlayout", mv);
    env_row(h, "Python", ml_rp_jstr(v, "python"));
    env_row(h, "NumPy", ml_rp_jstr(v, "numpy"));
    env_row(h, "joblib", ml_rp_jstr(v, "joblib"));
    const char *pp = ml_rp_jstr(s, "python_path");
    if (!pp)
        pp = command_option(cmd, "--python-path");
    if (pp)
        env_row(h, "--python-path", pp);
    const char *red = ml_rp_jstr(s, "reducer");
    if (!red)
        red = command_option(cmd, "--reducer");
    if (red)
        env_row(h, "--reducer", red);
    if (ml_rp_jstr(v, "numpy_path"))
        env_row(h, "NumPy from", ml_rp_jstr(v, "numpy_path"));
    if (ml_rp_jstr(v, "joblib_path"))
        env_row(h, "joblib from", ml_rp_jstr(v, "joblib_path"));
    if (ml_rp_jstr(v, "executable"))
        env_row(h, "interpreter", ml_rp_jstr(v, "executable"));
    ml_html_raw(h, "<dt>command</dt><dd>");
    if (cJSON_IsArray(cmd)) {
        /* `run` records its own argv, which starts at the command's name */
        const char *a0 = cJSON_GetStringValue(cJSON_GetArrayItem(cmd, 0));
        ml_html_raw(h, "<code>");
        if (a0 && !strstr(a0, "memlayout"))
            ml_html_raw(h, "memlayout ");
        html_command(h, cmd);
        ml_html_raw(h, "</code>");
    }
    else
        ml_html_raw(h, "<span class=\"note\">not recorded</span>");
    ml_html_raw(h, "</dd>");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(s, "seed");
    if (cJSON_IsString(seed))
        env_row(h, "seed", seed->valuestring);
    else if (cJSON_IsNumber(seed))
        ml_html_fmt(h, "<dt>seed</dt><dd>%.0f</dd>", seed->valuedouble);
    else if (!ml_rp_jstr(s, "env"))
        env_row(h, "seed", NULL);   /* ci replays a corpus: no seed to miss */
    if (ml_rp_jstr(s, "env"))
        env_row(h, "baseline environment", ml_rp_jstr(s, "env"));
    double started;
    if (ml_rp_jnum(s, "started", &started)) {
        utc(buf, sizeof buf, started);
        env_row(h, "started", buf);
    }
    double restarts;
    if (ml_rp_jnum(s, "restarts", &restarts) && restarts > 0)
        ml_html_fmt(h, "<dt>child restarts</dt><dd>%.0f (after crashes or timeouts)</dd>", restarts);
    ml_html_raw(h, "</dl>");

    /* verdicts per transport */
    ml_html_raw(h, "<h3>Verdicts per transport</h3><table id=\"per-transport\"><thead><tr><th>transport</th>"
                   "<th class=\"n\">cases</th><th class=\"n\">pass</th><th class=\"n\">fail</th>"
                   "<th class=\"n\">error</th><th class=\"n\">invalid</th><th>share</th>"
                   "<th class=\"n\">mean time/case</th><th class=\"n\">slowest</th></tr></thead><tbody>");
    if (r->lines) {
        int idx[64], n = ml_rp_ordered(&r->transports, ml_rp_transport_rank, idx);
        for (int i = 0; i < n; i++) {
            const ml_rp_tstat *t = &r->per_t[idx[i]];
            uint64_t tot = 0;
            for (int k = 0; k < ML_RP_NK; k++)
                tot += t->n[k];
            ml_html_raw(h, "<tr><td>");
            ml_html_text(h, r->transports.s[idx[i]]);
            ml_html_raw(h, "</td>");
            td_count(h, tot);
            for (int k = 0; k < ML_RP_K_OTHER; k++)
                ml_html_fmt(h, "<td class=\"n%s\">%llu</td>", t->n[k] && k ? (k == 1 ? " k-fail" : k == 2 ? " k-error" : "") : "",
                            (unsigned long long)t->n[k]);
            ml_html_raw(h, "<td>");
            kind_bar(h, t->n);
            char a[32], b[32];
            fmt_seconds(a, sizeof a, tot ? t->secs / tot : 0);
            fmt_seconds(b, sizeof b, t->secs_max);
            ml_html_fmt(h, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>", a, b);
        }
        if (r->kinds[ML_RP_K_OTHER])
            ml_html_fmt(h, "<tr><td colspan=\"9\" class=\"note\">%llu lines had a verdict memlayout does not know</td></tr>",
                        (unsigned long long)r->kinds[ML_RP_K_OTHER]);
    } else {
        /* No results.jsonl: the summary's totals. */
        const cJSON *pt = cJSON_GetObjectItemCaseSensitive(s, "per_transport"), *t;
        int rows = 0;
        cJSON_ArrayForEach(t, pt)
        {
            uint64_t n[ML_RP_NK] = {0}, tot = 0;
            double d;
            for (int k = 0; k < ML_RP_K_OTHER; k++)
                if (ml_rp_jnum(t, ml_rp_kind_name(k), &d) && d >= 0)
                    tot += n[k] = (uint64_t)d;
            ml_html_raw(h, "<tr><td>");
            ml_html_text(h, t->string);
            ml_html_raw(h, "</td>");
            td_count(h, tot);
            for (int k = 0; k < ML_RP_K_OTHER; k++)
                td_count(h, n[k]);
            ml_html_raw(h, "<td>");
            kind_bar(h, n);
            ml_html_raw(h, "</td><td></td><td></td></tr>");
            rows++;
        }
        if (!rows)
            ml_html_raw(h, "<tr><td colspan=\"9\" class=\"note\">no per-case results in this input</td></tr>");
    }
    ml_html_raw(h, "</tbody></table>");
    if (r->bad_lines)
        ml_html_fmt(h, "<p class=\"badtxt\">%llu of %llu lines of results.jsonl did not parse and are left out.</p>",
                    (unsigned long long)r->bad_lines, (unsigned long long)r->lines);
    ml_html_raw(h, "</section>");
}

/* ---- findings ------------------------------------------------------------ */

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static const struct { const char *name, *what; } inv_doc[] = {
    {"shape", "the shape that arrived differs"},
    {"dtype", "the dtype that arrived differs"},
    {"data", "the logical contents differ (hash of the C-order bytes)"},
    {"flags", "C/F contiguity (or alignment) changed on the way"},
    {"strides", "strides differ on an axis longer than 1"},
    {"writeable", "writeability does not match the parent or the mode"},
    {"backing", "the child is not mapped from the same file position or mode"},
    {"oob", "the rebuilt array addresses bytes outside its mapping"},
    {"write", "a write through the child was (r+/w+: not) seen by the parent"},
    {"file", "the user's backing file changed"},
    {"model", "NumPy's contiguity flags disagree with memlayout's C layout model"},
    {"crash", "the process running the case died"},
    {"timeout", "the case stopped answering"},
    {"build", "building the parent view raised"},
    {"send", "sending raised"},
    {"rebuild", "rebuilding in the receiver raised"},
    {"worker", "the worker raised"},
    {"protocol", "the runner answered something unreadable"},
};

static void explain_verdict(ml_html *h, const char *verdict)
{
    const char *p = strchr(verdict, ':');
    if (!p)
        return;
    ml_html_raw(h, "<ul class=\"note\">");
    for (p++; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        for (size_t i = 0; i < sizeof inv_doc / sizeof *inv_doc; i++)
            if (strlen(inv_doc[i].name) == n && !strncmp(inv_doc[i].name, p, n))
                ml_html_fmt(h, "<li><b>%s</b>: %s</li>", inv_doc[i].name, inv_doc[i].what);
        p += n + (e ? 1 : 0);
    }
    ml_html_raw(h, "</ul>");
}

static void severity_tag(ml_html *h, int severity)
{
    static const char *const cls[ML_SEV_COUNT] = {"fail", "error", "layout", "repr"};
    if (severity < 0 || severity >= ML_SEV_COUNT) {
        ml_html_raw(h, "<span class=\"tag\">?</span>");
        return;
    }
    ml_html_fmt(h, "<span class=\"tag %s\">%s</span>", cls[severity], ml_severity_name((ml_severity)severity));
}

static void verdict_tag(ml_html *h, const char *verdict)
{
    int k = ml_rp_verdict_kind(verdict);
    ml_html_fmt(h, "<span class=\"tag %s\">", k == ML_RP_K_FAIL ? "fail" : k == ML_RP_K_ERROR ? "error" : "");
    ml_html_text(h, verdict);
    ml_html_raw(h, "</span>");
}

/* The case, one top-level key a line and one op a line: readable, still
 * valid JSON, and made from the file's own text, so numbers (a 53-bit seed)
 * are shown exactly as written. False when the text is not a JSON object. */
static bool pretty_case(ml_html *h, const char *text)
{
    const char *p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p != '{')
        return false;
    ml_html_raw(h, "<pre class=\"case\">");
    int depth = 0;
    bool in_str = false, ops = false;   /* ops: inside the top-level "ops" array */
    const char *key = NULL, *run = p;
    for (; *p; p++) {
        char ch = *p;
        if (in_str) {
            if (ch == '\\' && p[1])
                p++;
            else if (ch == '"')
                in_str = false;
            continue;
        }
        const char *nl = NULL;
        if (ch == '"') {
            in_str = true;
            if (depth == 1)
                key = p;
        } else if (ch == '{' || ch == '[') {
            depth++;
            if (depth == 1)
                nl = "\n  ";
            if (depth == 2 && ch == '[' && key && !strncmp(key, "\"ops\"", 5) && p[1] != ']') {
                ops = true;
                nl = "\n    ";
            }
        } else if (ch == '}' || ch == ']') {
            if (depth == 2 && ops) {
                ops = false;
                ml_html_textn(h, run, (size_t)(p - run));
                ml_html_raw(h, "\n  ");
                run = p;
            } else if (depth == 1) {
                ml_html_textn(h, run, (size_t)(p - run));
                ml_html_raw(h, "\n");
                run = p;
            }
            depth--;
        } else if (ch == ',') {
            if (depth == 1)
                nl = "\n  ";
            else if (depth == 2 && ops)
                nl = "\n    ";
        } else if (ch == ':' && depth == 1) {
            ml_html_textn(h, run, (size_t)(p + 1 - run));
            ml_html_raw(h, " ");
            run = p + 1;
        } else if (ch == '\n' || ch == '\r') {
            ml_html_textn(h, run, (size_t)(p - run));
            run = p + 1;
        }
        if (nl) {
            ml_html_textn(h, run, (size_t)(p + 1 - run));
            ml_html_raw(h, nl);
            run = p + 1;
        }
        if (depth == 0 && ch == '}') {
            p++;
            break;
        }
    }
    ml_html_textn(h, run, (size_t)(p - run));
    ml_html_raw(h, "</pre>");
    return true;
}

static void json_value_text(ml_html *h, const cJSON *v)
{
    if (!v || cJSON_IsNull(v)) {
        ml_html_raw(h, "—");
        return;
    }
    if (cJSON_IsString(v)) {
        ml_html_text(h, v->valuestring);
        return;
    }
    if (cJSON_IsBool(v)) {
        ml_html_raw(h, cJSON_IsTrue(v) ? "true" : "false");
        return;
    }
    char *s = cJSON_PrintUnformatted(v);
    ml_html_text(h, s);
    free(s);
}

static bool json_equal(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return !a && !b;
    return cJSON_Compare(a, b, true);
}

/* A row of the observation table; an array shows its differing items marked.
 * key: the row belongs to an invariant the verdict names (a strong mark);
 * other differences are marked lightly (a copying transport changes
 * strides and backing by design). */
static void obs_row(ml_html *h, const char *label, const cJSON *p, const cJSON *c, bool have_child, bool key)
{
    bool diff = have_child && !json_equal(p, c);
    ml_html_fmt(h, "<tr><td>%s</td>", label);
    for (int side = 0; side < 2; side++) {
        const cJSON *v = side ? c : p, *o = side ? p : c;
        if (side && !have_child) {
            ml_html_raw(h, "<td>—</td>");
            continue;
        }
        ml_html_fmt(h, "<td%s>", !diff ? "" : key ? (side ? " class=\"d k c\"" : " class=\"d k\"") : " class=\"d\"");
        if (diff && cJSON_IsArray(v) && cJSON_IsArray(o)) {
            ml_html_raw(h, "[");
            int n = cJSON_GetArraySize(v);
            for (int i = 0; i < n; i++) {
                const cJSON *x = cJSON_GetArrayItem(v, i), *y = cJSON_GetArrayItem(o, i);
                bool d = !json_equal(x, y);
                ml_html_raw(h, i ? ", " : "");
                if (d)
                    ml_html_raw(h, "<mark>");
                json_value_text(h, x);
                if (d)
                    ml_html_raw(h, "</mark>");
            }
            ml_html_raw(h, "]");
        } else {
            json_value_text(h, v);
        }
        ml_html_raw(h, "</td>");
    }
    ml_html_raw(h, "</tr>");
}

static const cJSON *sub(const cJSON *o, const char *k1, const char *k2)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k1);
    return k2 ? cJSON_GetObjectItemCaseSensitive(x, k2) : x;
}

/* Element bytes (hex) as a number of dtype dt ("<f8", ">i4", "|b1", ...). */
static bool decode_element(const char *dt, const char *hex, char *out, size_t len)
{
    if (!dt || !hex || strlen(dt) < 3)
        return false;
    char bo = dt[0], kind = dt[1];
    int size = atoi(dt + 2);
    if (!strncmp(hex, "0x", 2))
        hex += 2;
    if (size < 1 || size > 16 || (int)strlen(hex) != 2 * size)
        return false;
    unsigned char b[16];
    for (int i = 0; i < size; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return false;
        b[i] = (unsigned char)v;
    }
    bool big = bo == '>' || (bo == '=' && 0);
    unsigned char le[16];   /* little-endian order (the host's: x86 and arm64) */
    if (kind == 'c') {
        int half = size / 2;
        for (int part = 0; part < 2; part++)
            for (int i = 0; i < half; i++)
                le[part * half + i] = big ? b[part * half + half - 1 - i] : b[part * half + i];
    } else {
        for (int i = 0; i < size; i++)
            le[i] = big ? b[size - 1 - i] : b[i];
    }
    uint64_t u = 0;
    if (kind != 'c')
        for (int i = size - 1; i >= 0 && i < 8; i--)
            u = u << 8 | le[i];
    switch (kind) {
    case 'b':
        snprintf(out, len, "%s", u ? "True" : "False");
        return size == 1;
    case 'u':
        if (size > 8)
            return false;
        snprintf(out, len, "%llu", (unsigned long long)u);
        return true;
    case 'i':
        if (size > 8)
            return false;
        if (size < 8 && (u >> (8 * size - 1)) & 1)
            u |= ~(uint64_t)0 << (8 * size);
        snprintf(out, len, "%lld", (long long)(int64_t)u);
        return true;
    case 'f':
        if (size == 2) {
            int e = (int)(u >> 10) & 31, m = (int)(u & 1023), sgn = (int)(u >> 15) & 1;
            double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
            snprintf(out, len, "%.5g", sgn ? -v : v);
            return true;
        }
        if (size == 4) {
            float f;
            uint32_t w = (uint32_t)u;
            memcpy(&f, &w, 4);
            snprintf(out, len, "%.9g", f);
            return true;
        }
        if (size == 8) {
            double d;
            memcpy(&d, &u, 8);
            snprintf(out, len, "%.17g", d);
            return true;
        }
        return false;
    case 'c':
        if (size == 8) {
            float re, im;
            memcpy(&re, le, 4);
            memcpy(&im, le + 4, 4);
            snprintf(out, len, "%.9g%+.9gj", re, im);
            return true;
        }
        if (size == 16) {
            double re, im;
            memcpy(&re, le, 8);
            memcpy(&im, le + 8, 8);
            snprintf(out, len, "%.17g%+.17gj", re, im);
            return true;
        }
        return false;
    default:
        return false;
    }
}

static void element_text(ml_html *h, const char *dt, const char *hex)
{
    char v[96];
    if (decode_element(dt, hex, v, sizeof v)) {
        ml_html_text(h, v);
        ml_html_raw(h, " <span class=\"note\">(");
        ml_html_text(h, hex);
        ml_html_raw(h, ")</span>");
    } else {
        ml_html_text(h, hex);
    }
}

/* [i, j, k] of flat C-order index i in shape. */
static void multi_index(ml_html *h, const cJSON *shape, long flat)
{
    int n = cJSON_GetArraySize(shape);
    long idx[ML_MAX_NDIM];
    if (n <= 0 || n > ML_MAX_NDIM) {
        ml_html_fmt(h, "#%ld", flat);
        return;
    }
    for (int i = n - 1; i >= 0; i--) {
        double d = cJSON_GetNumberValue(cJSON_GetArrayItem(shape, i));
        long dim = d >= 1 && d < 1e15 ? (long)d : 1;
        idx[i] = flat % dim;
        flat /= dim;
    }
    ml_html_raw(h, "[");
    for (int i = 0; i < n; i++)
        ml_html_fmt(h, "%s%ld", i ? ", " : "", idx[i]);
    ml_html_raw(h, "]");
}

static void first_difference(ml_html *h, const cJSON *p, const cJSON *c, const char *replay_cmd)
{
    const cJSON *ph = sub(p, "head", NULL), *ch = sub(c, "head", NULL);
    const char *phash = ml_rp_jstr(p, "hash"), *chash = ml_rp_jstr(c, "hash");
    const char *pdt = ml_rp_jstr(p, "dtype"), *cdt = ml_rp_jstr(c, "dtype");
    ml_html_raw(h, "<p><b>First differing element:</b> ");
    if (!c) {
        ml_html_raw(h, "nothing arrived to compare.</p>");
        return;
    }
    if (cJSON_IsArray(ph) && cJSON_IsArray(ch)) {
        int np = cJSON_GetArraySize(ph), nc = cJSON_GetArraySize(ch), n = np < nc ? np : nc;
        for (int i = 0; i < n; i++) {
            const char *a = cJSON_GetStringValue(cJSON_GetArrayItem(ph, i));
            const char *b = cJSON_GetStringValue(cJSON_GetArrayItem(ch, i));
            if (a && b && strcmp(a, b)) {
                ml_html_raw(h, "element ");
                multi_index(h, sub(p, "shape", NULL), i);
                ml_html_fmt(h, " (#%d in C order): parent <code>", i);
                element_text(h, pdt, a);
                ml_html_raw(h, "</code>, child <code>");
                element_text(h, cdt ? cdt : pdt, b);
                ml_html_raw(h, "</code>.</p>");
                return;
            }
        }
        if (phash && chash && strcmp(phash, chash))
            ml_html_fmt(h, "the %d leading elements captured agree; the contents differ further in "
                           "(hashes differ).</p>", n);
        else
            ml_html_raw(h, "none: the captured elements and the content hashes agree.</p>");
        return;
    }
    if (phash && chash && !strcmp(phash, chash)) {
        ml_html_raw(h, "none: the content hashes agree.</p>");
        return;
    }
    if (phash && !chash)
        ml_html_raw(h, "the child was not read (its byte range leaves its mapping), so there are no elements "
                       "to compare.</p>");
    else
        ml_html_raw(h, "not captured: this run observed hashes only (the hashes differ). "
                       "Replay the case with <code>--detail</code> to see the leading elements of both: ");
    if (!(phash && !chash)) {
        ml_html_raw(h, "<code>");
        ml_html_text(h, replay_cmd);
        ml_html_raw(h, " --detail --show-obs</code></p>");
    }
}

/* Does verdict ("fail:data,flags") name any of the invariants in list ("data,model")? */
static bool names(const char *verdict, const char *list)
{
    const char *v = verdict ? strchr(verdict, ':') : NULL;
    if (!v || strncmp(verdict, "fail", 4))
        return false;
    for (const char *l = list; *l;) {
        size_t n = strcspn(l, ",");
        for (const char *p = v + 1; *p;) {
            size_t m = strcspn(p, ",");
            if (m == n && !strncmp(p, l, n))
                return true;
            p += m + (p[m] ? 1 : 0);
        }
        l += n + (l[n] ? 1 : 0);
    }
    return false;
}

static const char *base(const char *p)
{
    const char *b = p ? strrchr(p, '/') : NULL;
    return b ? b + 1 : p;
}

static void observation_table(ml_html *h, const cJSON *obs, const char *verdict, const char *replay_cmd)
{
    const cJSON *p = sub(obs, "parent", NULL), *c = sub(obs, "child", NULL);
    const char *status = ml_rp_jstr(obs, "status"), *msg = ml_rp_jstr(obs, "message");
    if (msg && *msg) {
        ml_html_raw(h, "<p><b>");
        ml_html_text(h, status ? status : "message");
        if (ml_rp_jstr(obs, "error_kind")) {
            ml_html_raw(h, " (");
            ml_html_text(h, ml_rp_jstr(obs, "error_kind"));
            ml_html_raw(h, ")");
        }
        ml_html_raw(h, ":</b></p><pre>");
        ml_html_text(h, msg);
        ml_html_raw(h, "</pre>");
    }
    if (!cJSON_IsObject(p)) {
        ml_html_raw(h, "<p class=\"note\">No observation of the parent's array was recorded.</p>");
        return;
    }
    bool hc = cJSON_IsObject(c);
    ml_html_raw(h, "<table class=\"obs\"><thead><tr><th></th><th>parent (sent)</th><th>child (arrived)</th>"
                   "</tr></thead><tbody>");
    obs_row(h, "type", sub(p, "type", NULL), sub(c, "type", NULL), hc, false);
    obs_row(h, "shape", sub(p, "shape", NULL), sub(c, "shape", NULL), hc, names(verdict, "shape"));
    obs_row(h, "strides", sub(p, "strides", NULL), sub(c, "strides", NULL), hc, names(verdict, "strides"));
    obs_row(h, "dtype", sub(p, "dtype", NULL), sub(c, "dtype", NULL), hc, names(verdict, "dtype"));
    obs_row(h, "itemsize", sub(p, "itemsize", NULL), sub(c, "itemsize", NULL), hc, names(verdict, "dtype"));
    static const char *const flags[][3] = {{"c", "C_CONTIGUOUS", "flags,model"}, {"f", "F_CONTIGUOUS", "flags,model"},
                                           {"writeable", "WRITEABLE", "writeable"}, {"aligned", "ALIGNED", "flags"},
                                           {"owndata", "OWNDATA", ""}};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        obs_row(h, flags[i][1], sub(p, "flags", flags[i][0]), sub(c, "flags", flags[i][0]), hc,
                names(verdict, flags[i][2]));
    const cJSON *pb = sub(p, "backing", NULL), *cb = sub(c, "backing", NULL);
    if (pb || cb) {
        static const char *const bk[][3] = {{"file", "memmap file (memlayout's temp dir)", "backing"},
                                            {"mode", "memmap mode", "backing"},
                                            {"offset", "memmap offset", ""},
                                            {"first", "file offset of [0,…]", "backing"},
                                            {"lo", "lowest byte (rel.)", "oob"}, {"hi", "end byte (rel.)", "oob"},
                                            {"len", "mapping bytes", "oob"}};
        for (size_t i = 0; i < sizeof bk / sizeof *bk; i++) {
            const cJSON *pv = sub(pb, bk[i][0], NULL), *cv = sub(cb, bk[i][0], NULL);
            /* a temp path means nothing once the report is an artifact: its name, compared as such */
            cJSON *pn = NULL, *cn = NULL;
            if (!strcmp(bk[i][0], "file")) {
                pv = pn = cJSON_IsString(pv) ? cJSON_CreateString(base(pv->valuestring)) : NULL;
                cv = cn = cJSON_IsString(cv) ? cJSON_CreateString(base(cv->valuestring)) : NULL;
                if (pn && cn && strcmp(pn->valuestring, cn->valuestring) == 0 &&
                    strcmp(cJSON_GetStringValue(sub(pb, "file", NULL)), cJSON_GetStringValue(sub(cb, "file", NULL))))
                    cJSON_SetValuestring(cn, "(another file of that name)");
            }
            obs_row(h, bk[i][1], pv, cv, hc, names(verdict, bk[i][2]));
            cJSON_Delete(pn);
            cJSON_Delete(cn);
        }
    } else {
        obs_row(h, "memmap", NULL, NULL, hc, false);
    }
    obs_row(h, "content hash", sub(p, "hash", NULL), sub(c, "hash", NULL), hc, names(verdict, "data"));
    if (sub(p, "values", NULL) || sub(c, "values", NULL))
        obs_row(h, "leading values", sub(p, "values", NULL), sub(c, "values", NULL), hc, names(verdict, "data"));
    if (sub(p, "head", NULL) || sub(c, "head", NULL))
        obs_row(h, "leading elements (bytes)", sub(p, "head", NULL), sub(c, "head", NULL), hc, names(verdict, "data"));
    ml_html_raw(h, "</tbody></table>");
    first_difference(h, p, hc ? c : NULL, replay_cmd);
    const cJSON *w = sub(obs, "write", NULL);
    if (cJSON_IsObject(w))
        ml_html_fmt(h, "<p%s>A byte written through the child %s seen by the parent.</p>",
                    names(verdict, "write") ? " class=\"badtxt\"" : " class=\"note\"",
                    ml_rp_jbool(w, "parent_sees") == 1 ? "was" : "was not");
    const cJSON *f = sub(obs, "file", NULL);
    if (cJSON_IsObject(f)) {
        ml_html_raw(h, "<table class=\"obs\"><thead><tr><th>user&#39;s file</th><th>before</th><th>after</th>"
                       "</tr></thead><tbody>");
        bool key = names(verdict, "file");
        obs_row(h, "size", sub(f, "size_before", NULL), sub(f, "size_after", NULL), true, key);
        obs_row(h, "content hash", sub(f, "hash_before", NULL), sub(f, "hash_after", NULL), true, key);
        ml_html_raw(h, "</tbody></table>");
    }
}

/* Most cases first (the bug a user most likely meets), then first sighting. */
/* First sighting: results line order, else id, else fuzz log, else file time. */
static int cmp_first_seen(const ml_rp_fgroup *x, const ml_rp_fgroup *y)
{
    if (x->seen != y->seen)
        return x->seen ? -1 : 1;
    if (x->seen && x->first_x != y->first_x)
        return x->first_x < y->first_x ? -1 : 1;
    if (x->has_id != y->has_id)
        return x->has_id ? -1 : 1;
    if (x->has_id && x->first_id != y->first_id)
        return x->first_id < y->first_id ? -1 : 1;
    if (x->fuzz_t != y->fuzz_t)
        return x->fuzz_t < y->fuzz_t ? -1 : 1;
    if (x->first_mtime != y->first_mtime)
        return x->first_mtime < y->first_mtime ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int cmp_count(const ml_rp_fgroup *x, const ml_rp_fgroup *y)
{
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return cmp_first_seen(x, y);
}

/* The rank: most harmful first (ML_SEV_COUNT: unknown, last), then count. */
static int cmp_groups(const void *a, const void *b, void *ctx)
{
    const ml_rp_fgroup *g = ctx;
    const ml_rp_fgroup *x = &g[*(const int *)a], *y = &g[*(const int *)b];
    if (x->severity != y->severity)
        return x->severity < y->severity ? -1 : 1;
    return cmp_count(x, y);
}

static int cmp_by_count(const void *a, const void *b, void *ctx)
{
    const ml_rp_fgroup *g = ctx;
    return cmp_count(&g[*(const int *)a], &g[*(const int *)b]);
}

static int cmp_by_first(const void *a, const void *b, void *ctx)
{
    const ml_rp_fgroup *g = ctx;
    return cmp_first_seen(&g[*(const int *)a], &g[*(const int *)b]);
}

static double time_scale(const ml_report *r, bool *approx);

static void first_seen(ml_html *h, const ml_report *r, const ml_rp_fgroup *g)
{
    bool approx;
    double sc = time_scale(r, &approx);
    bool any = false;
    char b[48];
    if (g->has_id)
        ml_html_fmt(h, "case #%llu", (unsigned long long)g->first_id), any = true;
    if (g->seen) {
        fmt_seconds(b, sizeof b, g->first_x * sc);
        ml_html_fmt(h, "%s%s%s", any ? ", " : "", approx ? "≈ " : "", b);
        any = true;
    } else if (g->fuzz_t >= 0) {
        fmt_seconds(b, sizeof b, g->fuzz_t);
        ml_html_fmt(h, "%s%s into the session", any ? ", " : "", b);
        any = true;
    } else if (g->first_mtime > 0) {
        utc(b, sizeof b, g->first_mtime);
        ml_html_fmt(h, "%s%s", any ? ", " : "", b);
        any = true;
    }
    if (!any)
        ml_html_raw(h, "—");
}

/* "C>F" as "C → F"; "=" (signature.h: the flags are not what broke) in words */
static void transition_text(ml_html *h, const char *t)
{
    if (!strcmp(t, "=")) {
        ml_html_raw(h, "<span class=\"note\" title=\"the contiguity flags are not what broke\">not at issue</span>");
        return;
    }
    const char *gt = strchr(t, '>');
    if (!gt) {
        ml_html_text(h, t);
        return;
    }
    ml_html_textn(h, t, (size_t)(gt - t));
    ml_html_raw(h, " → ");
    ml_html_text(h, gt + 1);
}

static void transports_text(ml_html *h, const ml_rp_fgroup *g)
{
    bool any = false;
    for (int t = 0; t <= ML_T_COUNT; t++)
        if (g->per_t[t]) {
            ml_html_fmt(h, "%s%s&nbsp;%llu", any ? ", " : "", t < ML_T_COUNT ? ml_transport_name((ml_transport)t) : "other",
                        (unsigned long long)g->per_t[t]);
            any = true;
        }
    if (!any)
        ml_html_raw(h, "—");
}


/* path as named from the page's folder (r->html_dir), so that the page's
 * commands hold no absolute scratch paths and work where run and report are
 * kept side by side; path unchanged when that folder is not known or path is
 * not a file. */
static void from_page(const ml_report *r, const char *path, char *out, size_t outlen)
{
    char *a = r->html_dir && path ? realpath(path, NULL) : NULL;
    if (!a) {
        snprintf(out, outlen, "%s", path ? path : "");
        return;
    }
    const char *d = r->html_dir;
    size_t i = 0, dcut = 0, acut = 0;   /* where the components d and a share end */
    while (d[i] && d[i] == a[i]) {
        i++;
        if (d[i - 1] == '/')
            dcut = acut = i;
    }
    if (!d[i] && (a[i] == '/' || !a[i])) {   /* d is a whole-component prefix of a */
        dcut = i;
        acut = a[i] ? i + 1 : i;
    }
    size_t n = 0;
    out[0] = 0;
    if (d[dcut]) {   /* one ".." per component of d after the shared ones */
        for (const char *p = d + dcut; p; p = strchr(p + 1, '/'))
            n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "../");
    }
    snprintf(out + (n < outlen ? n : outlen - 1), n < outlen ? outlen - n : 1, "%s", a + acut);
    free(a);
}

/* The standalone Python reproducer (repro.h) of a case, folded: the short
 * script, the one to paste into a bug report. */
static void repro_block(ml_html *h, ml_report *r, const ml_rp_fgroup *g, const char *case_text)
{
    ml_case *c = malloc(sizeof *c);
    char e[ML_ERR_MAX];
    if (!c || !case_text || !ml_case_parse(case_text, strlen(case_text), NULL, c, e, sizeof e)) {
        free(c);
        return;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->summary, "versions");
    char observed[400], versions[256];
    snprintf(observed, sizeof observed, "%s (%s, %s)", g->verdict, g->transition, ml_transport_name(c->transport));
    snprintf(versions, sizeof versions, "joblib %s, NumPy %s, Python %s", ml_rp_jstr(v, "joblib") ? ml_rp_jstr(v, "joblib") : "?",
             ml_rp_jstr(v, "numpy") ? ml_rp_jstr(v, "numpy") : "?", ml_rp_jstr(v, "python") ? ml_rp_jstr(v, "python") : "?");
    ml_repro_opts ro = {.observed = observed, .versions = v ? versions : NULL};
    char *script = ml_repro_script(c, &ro);
    free(c);
    if (!script)
        return;
    ml_html_fmt(h, "<details class=\"repro\"><summary>Reproducer script <span class=\"note\">(for a bug report: "
                   "NumPy and the transport's public API only; save as repro.py, run <code>python3 repro.py</code>; "
                   "exits 1 while the bug is present; %zu lines; <code>memlayout repro --full</code> prints the "
                   "self-checking one)</span></summary><pre class=\"script\">",
                (size_t)count_lines(script));
    ml_html_text(h, script);
    ml_html_raw(h, "</pre></details>");
    free(script);
}

/* The rows of the bugs table in the given order; each shows its rank. */
static void finding_rows(ml_html *h, const ml_report *r, const int *order, const int *rank)
{
    for (int i = 0; i < r->ngroups; i++) {
        const ml_rp_fgroup *g = &r->groups[order[i]];
        int n = rank[order[i]] + 1;
        bool full = rank[order[i]] < r->o.max_findings && (g->rep_case || g->min_case);
        const char *sev = g->severity >= 0 && g->severity < ML_SEV_COUNT ? ml_severity_name((ml_severity)g->severity)
                                                                        : "unknown";
        if (full)
            ml_html_fmt(h, "<tr class=\"sev-%s\"><td class=\"n\"><a href=\"#f%d\">%d</a></td><td>", sev, n, n);
        else
            ml_html_fmt(h, "<tr class=\"sev-%s\"><td class=\"n\">%d</td><td>", sev, n);
        severity_tag(h, g->severity);
        if (g->baseline_new)   /* against ci's baseline */
            ml_html_raw(h, " <span class=\"tag fail\">new</span>");
        else if (g->baseline_known)
            ml_html_raw(h, " <span class=\"tag\">known</span>");
        ml_html_raw(h, "</td><td>");
        ml_html_text(h, g->summary ? g->summary : g->kind);
        ml_html_raw(h, "</td><td>");
        verdict_tag(h, g->verdict);
        ml_html_raw(h, "</td><td>");
        transition_text(h, g->transition);
        ml_html_raw(h, "</td><td>");
        transports_text(h, g);
        ml_html_raw(h, "</td>");
        td_count(h, g->count);
        ml_html_raw(h, "<td>");
        first_seen(h, r, g);
        ml_html_raw(h, "</td><td><code>");
        ml_html_text(h, g->rep_name ? base(g->rep_name) : "—");
        ml_html_raw(h, g->min_case ? "</code> (minimized)</td></tr>" : "</code></td></tr>");
    }
}

static void bisect_commit(ml_html *h, const cJSON *c)
{
    ml_html_raw(h, "<code>");
    ml_html_textf(h, "%.12s", ml_rp_jstr(c, "commit") ? ml_rp_jstr(c, "commit") : "?");
    ml_html_raw(h, "</code> ");
    ml_html_textf(h, "%.10s %s", ml_rp_jstr(c, "date") ? ml_rp_jstr(c, "date") : "",
                  ml_rp_jstr(c, "subject") ? ml_rp_jstr(c, "subject") : "");
    if (ml_rp_jstr(c, "verdict")) {
        ml_html_raw(h, ": ");
        ml_html_text(h, ml_rp_jstr(c, "verdict"));
    }
}

/* bisect.json: where in the package's history the bug appeared or went away. */
static void section_bisect(ml_html *h, const ml_report *r)
{
    const cJSON *b = r->bisect;
    if (!b)
        return;
    const char *result = ml_rp_jstr(b, "result");
    ml_html_raw(h, "<section id=\"bisect\"><h2>Commit range</h2><p>");
    ml_html_textf(h, "memlayout bisect of %s%s in %s (%s): ", ml_rp_jstr(b, "bug") ? "bug " : "case ",
                  ml_rp_jstr(b, "bug") ? ml_rp_jstr(b, "bug") : ml_rp_jstr(b, "case") ? ml_rp_jstr(b, "case") : "?",
                  ml_rp_jstr(b, "repo") ? ml_rp_jstr(b, "repo") : "?",
                  ml_rp_jstr(b, "package") ? ml_rp_jstr(b, "package") : "?");
    const cJSON *first = cJSON_GetObjectItemCaseSensitive(b, "first_changed");
    if (!first) {
        ml_html_text(h, result);
        ml_html_raw(h, " between the two ends.</p><ul><li>old ");
        bisect_commit(h, cJSON_GetObjectItemCaseSensitive(b, "old"));
        ml_html_raw(h, "</li><li>new ");
        bisect_commit(h, cJSON_GetObjectItemCaseSensitive(b, "new"));
        ml_html_raw(h, "</li></ul></section>");
        return;
    }
    const cJSON *sk = cJSON_GetObjectItemCaseSensitive(b, "skipped"), *c;
    ml_html_textf(h, "%s range", result);
    if (cJSON_GetArraySize(sk))
        ml_html_textf(h, ", %d skipped commit%s in it", cJSON_GetArraySize(sk), cJSON_GetArraySize(sk) == 1 ? "" : "s");
    ml_html_raw(h, ".</p><ul><li>last as before: ");
    bisect_commit(h, cJSON_GetObjectItemCaseSensitive(b, "last_same"));
    cJSON_ArrayForEach(c, sk) {
        ml_html_raw(h, "</li><li>skipped: ");
        bisect_commit(h, c);
        ml_html_raw(h, " (");
        ml_html_text(h, ml_rp_jstr(c, "skipped") ? ml_rp_jstr(c, "skipped") : "not tested");
        ml_html_raw(h, ")");
    }
    ml_html_raw(h, "</li><li><b>first changed commit</b>: ");
    bisect_commit(h, first);
    ml_html_raw(h, "</li></ul></section>");
}

static void section_findings(ml_html *h, ml_report *r)
{
    ml_html_raw(h, "<section id=\"findings-section\"><h2>Bugs</h2>");
    if (r->findings_loaded || r->triage)
        ml_html_fmt(h, "<p class=\"note\">%llu failing cases in %d distinct bugs, one per root cause (the "
                       "transport kind, the defect and the layout facts that cause it; a case showing two "
                       "defects counts toward both), most harmful first, then most cases. Each shows the "
                       "observation of its smallest recorded case, and its minimized case when triage "
                       "minimized it.</p>",
                    (unsigned long long)r->failing, r->ngroups);
    else if (r->ngroups)
        ml_html_fmt(h, "<p class=\"note\">No finding files were found next to the results: the %d groups below "
                       "come from results.jsonl alone (transport, verdict, layout), without cases or "
                       "observations.</p>",
                    r->ngroups);
    int *order = malloc(sizeof(int) * (size_t)(r->ngroups ? r->ngroups : 1));
    if (!order) {
        h->b.oom = true;
        return;
    }
    for (int i = 0; i < r->ngroups; i++)
        order[i] = i;
    qsort_r(order, (size_t)r->ngroups, sizeof *order, cmp_groups, r->groups);

    /* Filtering without a script (the page runs none): a link targets an
     * empty marker, and the stylesheet hides the other severities' rows. */
    ml_html_raw(h, "<p class=\"note filters\">show: <a href=\"#findings-section\">all</a>");
    for (int k = 0; k < ML_SEV_COUNT; k++)
        ml_html_fmt(h, " · <a href=\"#only-%s\">%s</a>", ml_severity_name((ml_severity)k),
                    ml_severity_name((ml_severity)k));
    ml_html_raw(h, " &nbsp; sort: <a href=\"#findings-section\">by harm</a> · <a href=\"#sort-count\">by cases</a>"
                   " · <a href=\"#sort-first\">by first seen</a></p>");
    for (int k = 0; k < ML_SEV_COUNT; k++)
        ml_html_fmt(h, "<i id=\"only-%s\" class=\"only\"></i>", ml_severity_name((ml_severity)k));
    ml_html_raw(h, "<i id=\"sort-count\" class=\"only\"></i><i id=\"sort-first\" class=\"only\"></i>");
    ml_html_raw(h, "<table id=\"findings\"><thead><tr><th class=\"n\">#</th><th>severity</th><th>bug</th>"
                   "<th>verdict</th><th>flags: parent → child</th><th>transports</th><th class=\"n\">cases</th>"
                   "<th>first seen</th><th>case</th></tr></thead><tbody class=\"by-harm\">");
    if (!r->ngroups)
        ml_html_raw(h, "<tr><td colspan=\"9\" class=\"ok\">No findings: every case passed (or was invalid).</td></tr>");
    /* the rank of each group, for the rows of the other orders */
    int *rank = malloc(sizeof(int) * (size_t)(r->ngroups ? r->ngroups : 1)),
        *other = malloc(sizeof(int) * (size_t)(r->ngroups ? r->ngroups : 1));
    if (!rank || !other) {
        free(rank);
        free(other);
        free(order);
        h->b.oom = true;
        return;
    }
    for (int i = 0; i < r->ngroups; i++)
        rank[order[i]] = i;
    finding_rows(h, r, order, rank);
    /* the same rows in the other orders, shown by the sort links */
    static const struct { const char *cls; int (*cmp)(const void *, const void *, void *); } sorts[] = {
        {"by-count", cmp_by_count}, {"by-first", cmp_by_first}};
    for (size_t k = 0; k < sizeof sorts / sizeof *sorts && r->ngroups; k++) {
        memcpy(other, order, sizeof(int) * (size_t)r->ngroups);
        qsort_r(other, (size_t)r->ngroups, sizeof *other, sorts[k].cmp, r->groups);
        ml_html_fmt(h, "</tbody><tbody class=\"%s\">", sorts[k].cls);
        finding_rows(h, r, other, rank);
    }
    free(rank);
    free(other);
    ml_html_raw(h, "</tbody></table>");

    int shown = 0;
    for (int i = 0; i < r->ngroups && shown < r->o.max_findings; i++) {
        const ml_rp_fgroup *g = &r->groups[order[i]];
        if (!g->rep_case && !g->min_case)
            continue;
        shown++;
        ml_html_fmt(h, "<details class=\"f\" id=\"f%d\"%s><summary>#%d ", i + 1, shown <= 3 ? " open" : "", i + 1);
        severity_tag(h, g->severity);
        ml_html_text(h, g->summary ? g->summary : g->kind);
        ml_html_raw(h, " ");
        verdict_tag(h, g->verdict);
        ml_html_fmt(h, " <span class=\"note\">· %llu case%s · first seen ", (unsigned long long)g->count,
                    g->count == 1 ? "" : "s");
        first_seen(h, r, g);
        ml_html_raw(h, "</span></summary><div class=\"body\">");
        explain_verdict(h, g->verdict);
        ml_html_raw(h, "<p class=\"note\">");
        if (g->sig_id[0]) {
            ml_html_raw(h, "bug <code>");
            ml_html_text(h, g->sig_id);
            ml_html_raw(h, "</code> · ");
        }
        ml_html_raw(h, "signature <code>");
        ml_html_text(h, g->signature ? g->signature : g->key);
        ml_html_raw(h, "</code> · transports ");
        transports_text(h, g);
        ml_html_raw(h, "</p>");

        const char *shown_case = g->min_case ? g->min_case : g->rep_case;
        char replay[1024];
        char rel[900];
        from_page(r, g->rep_name ? g->rep_name : "CASE.json", rel, sizeof rel);
        snprintf(replay, sizeof replay, "memlayout replay %s", rel);
        cJSON *oj = g->min_obs ? cJSON_Parse(g->min_obs) : g->rep_obs ? cJSON_Parse(g->rep_obs) : NULL;
        if (g->what_changed) {
            ml_html_raw(h, "<h3>What changed</h3><pre class=\"what\">");
            ml_html_text(h, g->what_changed);
            ml_html_raw(h, "</pre>");
        }
        ml_html_raw(h, "<div class=\"two\"><div><h3>Observations</h3>");
        if (g->min_obs) {
            ml_html_raw(h, "<p class=\"note\">of the minimized case, run once more with its leading values</p>");
        } else if (g->rep_name) {
            ml_html_raw(h, "<p class=\"note\">of <code>");
            ml_html_text(h, base(g->rep_name));
            ml_html_raw(h, "</code>, the smallest recorded case</p>");
        }
        if (oj)
            observation_table(h, oj, g->verdict, replay);
        else
            ml_html_fmt(h, "<p class=\"note\">No observation was recorded for this case%s. See both arrays with "
                           "<code>memlayout replay --detail --show-obs</code> on the case file.</p>",
                        r->nflog ? " (a fuzzing session stores cases only)" : "");
        ml_html_raw(h, "</div><div>");
        if (g->min_case) {
            ml_html_raw(h, "<h3>Minimized case</h3><p class=\"note\">");
            ml_html_text(h, g->min_note);
            ml_html_raw(h, "</p>");
        } else {
            ml_html_raw(h, "<h3>Smallest recorded case</h3><p class=\"note\">");
            if (g->min_note)
                ml_html_text(h, g->min_note);
            else
                ml_html_raw(h, "not minimized: <code>memlayout triage DIR -o DIR</code> minimizes each distinct "
                               "finding, and the report shows the result");
            ml_html_raw(h, "</p>");
        }
        if (!pretty_case(h, shown_case)) {
            ml_html_raw(h, "<pre>");
            ml_html_text(h, shown_case);
            ml_html_raw(h, "</pre>");
        }
        ml_html_raw(h, r->html_dir ? "<h3>Reproduce</h3><p class=\"note\">from this page's folder</p><pre class=\"repro\">"
                                   : "<h3>Reproduce</h3><pre class=\"repro\">");
        ml_html_text(h, replay);
        ml_html_raw(h, "\n");
        ml_html_text(h, replay);
        ml_html_raw(h, " -T all          # every transport\n");
        ml_html_text(h, replay);
        ml_html_raw(h, " --detail --show-obs   # leading elements of both arrays</pre>");
        repro_block(h, r, g, shown_case);
        ml_html_raw(h, "</div></div></div></details>");
        cJSON_Delete(oj);
    }
    if (shown < r->ngroups && r->ngroups > 0 && (r->findings_loaded || r->triage))
        ml_html_fmt(h, "<p class=\"note\">%d of %d distinct bugs are shown in full above.</p>", shown,
                    r->ngroups);
    free(order);
    ml_html_raw(h, "</section>");
}

/* ---- verdict matrix ------------------------------------------------------ */

static void heat_legend(ml_html *h)
{
    ml_html_raw(h, "<div class=\"legend\">share failing: <svg width=\"220\" height=\"14\" aria-hidden=\"true\">");
    for (int i = 0; i < 44; i++) {
        char col[8];
        double v = pow(i / 43.0, 2.2);
        ml_html_heat(ML_HEAT_BAD, v, col, NULL);
        ml_html_fmt(h, "<rect x=\"%d\" y=\"0\" width=\"5\" height=\"14\" fill=\"%s\"/>", i * 5, col);
    }
    ml_html_raw(h, "</svg> 0% → 100% (fail + error among judged cases; invalid cases are not judged)</div>");
}

static void heat_cell(ml_html *h, const uint64_t n[ML_RP_NK], bool show_n)
{
    uint64_t judged = n[ML_RP_K_PASS] + n[ML_RP_K_FAIL] + n[ML_RP_K_ERROR], bad = n[ML_RP_K_FAIL] + n[ML_RP_K_ERROR];
    uint64_t tot = judged + n[ML_RP_K_INVALID] + n[ML_RP_K_OTHER];
    if (!tot) {
        ml_html_raw(h, "<td class=\"z\" title=\"not explored\">·</td>");
        return;
    }
    char col[8];
    bool dark;
    double v = judged ? (double)bad / judged : -1;
    ml_html_heat(ML_HEAT_BAD, v, col, &dark);
    ml_html_fmt(h, "<td class=\"%s\" style=\"background:%s\" title=\"%llu cases: %llu pass, %llu fail, %llu error, "
                   "%llu invalid\">",
                dark ? "dk" : "", col, (unsigned long long)tot, (unsigned long long)n[ML_RP_K_PASS],
                (unsigned long long)n[ML_RP_K_FAIL], (unsigned long long)n[ML_RP_K_ERROR], (unsigned long long)n[ML_RP_K_INVALID]);
    if (judged)
        ml_html_fmt(h, "<b>%.*f%%</b>", bad && bad * 1000 < judged ? 1 : 0, 100.0 * bad / judged);
    else
        ml_html_raw(h, "<b>–</b>");
    if (show_n)
        ml_html_fmt(h, "<small>%llu</small>", (unsigned long long)tot);
    ml_html_raw(h, "</td>");
}

static void section_matrix(ml_html *h, ml_report *r)
{
    ml_html_raw(h, "<section id=\"matrix-section\"><h2>Verdict matrix: transport × layout class</h2>");
    if (!r->lines) {
        ml_html_raw(h, "<table id=\"verdict-matrix\" class=\"heat\"><tbody><tr><td class=\"note\">No per-case "
                       "results in this input (results.jsonl).</td></tr></tbody></table></section>");
        return;
    }
    if (r->has_layout && !r->fallback_layout)
        ml_html_raw(h, "<p class=\"note\">Columns: the layout of the parent's view as observed before sending "
                       "(C+F, C, F, strided = neither, broadcast = a zero stride, empty = a 0 dim, copy = no memmap "
                       "under it, so joblib pickles a copy; none = not built). Cell: share of judged cases that "
                       "failed, number of cases below.</p>");
    else
        ml_html_raw(h, "<p class=\"note\">This run did not record the parent view's layout (results.jsonl has no "
                       "<code>layout</code> field), so columns are coarse classes from the case: backing order and "
                       "whether view ops were applied. Cell: share of judged cases that failed, number of cases "
                       "below.</p>");
    int ti[64], li[64];
    int nt = ml_rp_ordered(&r->transports, ml_rp_transport_rank, ti);
    /* only the classes that appear as a parent layout */
    int nl0 = ml_rp_ordered(&r->layouts, ml_rp_class_rank, li), nl = 0;
    for (int j = 0; j < nl0; j++) {
        uint64_t any = 0;
        for (int i = 0; i < nt; i++)
            for (int k = 0; k < ML_RP_NK; k++)
                any += r->matrix[ti[i]][li[j]][k];
        if (any)
            li[nl++] = li[j];
    }
    ml_html_raw(h, "<table id=\"verdict-matrix\" class=\"heat\"><thead><tr><th>transport</th>");
    for (int j = 0; j < nl; j++) {
        ml_html_raw(h, "<th>");
        ml_html_text(h, r->layouts.s[li[j]]);
        ml_html_raw(h, "</th>");
    }
    ml_html_raw(h, "<th>all</th></tr></thead><tbody>");
    uint64_t col_tot[64][ML_RP_NK];
    memset(col_tot, 0, sizeof col_tot);
    uint64_t all[ML_RP_NK] = {0};
    for (int i = 0; i < nt; i++) {
        ml_html_raw(h, "<tr><th>");
        ml_html_text(h, r->transports.s[ti[i]]);
        ml_html_raw(h, "</th>");
        uint64_t row[ML_RP_NK] = {0};
        for (int j = 0; j < nl; j++) {
            const uint64_t *n = r->matrix[ti[i]][li[j]];
            heat_cell(h, n, true);
            for (int k = 0; k < ML_RP_NK; k++) {
                row[k] += n[k];
                col_tot[j][k] += n[k];
                all[k] += n[k];
            }
        }
        heat_cell(h, row, true);
        ml_html_raw(h, "</tr>");
    }
    ml_html_raw(h, "<tr><th>all</th>");
    for (int j = 0; j < nl; j++)
        heat_cell(h, col_tot[j], true);
    heat_cell(h, all, true);
    ml_html_raw(h, "</tr></tbody></table>");
    heat_legend(h);

    if (r->has_child) {
        ml_html_raw(h, "<h3>Layout transitions of failing cases (parent → child)</h3>");
        int cl[64], nc = 0;
        /* rows and columns: classes that occur among failures */
        int all_idx[64], na = ml_rp_ordered(&r->layouts, ml_rp_class_rank, all_idx), rows[64], nr = 0;
        for (int a = 0; a < na; a++) {
            uint64_t rs = 0, cs = 0;
            for (int b = 0; b < na; b++) {
                rs += r->trans[all_idx[a]][all_idx[b]];
                cs += r->trans[all_idx[b]][all_idx[a]];
            }
            if (rs)
                rows[nr++] = all_idx[a];
            if (cs)
                cl[nc++] = all_idx[a];
        }
        if (!nr) {
            ml_html_raw(h, "<p class=\"note\">No failing case.</p>");
        } else {
            uint64_t mx = 1;
            for (int a = 0; a < nr; a++)
                for (int b = 0; b < nc; b++)
                    if (r->trans[rows[a]][cl[b]] > mx)
                        mx = r->trans[rows[a]][cl[b]];
            ml_html_raw(h, "<table id=\"transitions\" class=\"heat\"><thead><tr><th>parent \\ child</th>");
            for (int b = 0; b < nc; b++) {
                ml_html_raw(h, "<th>");
                ml_html_text(h, r->layouts.s[cl[b]]);
                ml_html_raw(h, "</th>");
            }
            ml_html_raw(h, "</tr></thead><tbody>");
            for (int a = 0; a < nr; a++) {
                ml_html_raw(h, "<tr><th>");
                ml_html_text(h, r->layouts.s[rows[a]]);
                ml_html_raw(h, "</th>");
                for (int b = 0; b < nc; b++) {
                    uint64_t v = r->trans[rows[a]][cl[b]];
                    if (!v) {
                        ml_html_raw(h, "<td class=\"z\">·</td>");
                        continue;
                    }
                    char col[8];
                    bool dark;
                    ml_html_heat(ML_HEAT_COUNT, log1p((double)v) / log1p((double)mx), col, &dark);
                    ml_html_fmt(h, "<td class=\"%s\" style=\"background:%s\"><b>%llu</b></td>", dark ? "dk" : "", col,
                                (unsigned long long)v);
                }
                ml_html_raw(h, "</tr>");
            }
            ml_html_raw(h, "</tbody></table>");
        }
    }
    ml_html_raw(h, "</section>");
}

/* ---- coverage ------------------------------------------------------------ */

static void count_cell(ml_html *h, const ml_rp_cnt2 *c, uint64_t mx)
{
    if (!c->cases) {
        ml_html_raw(h, "<td class=\"z\" title=\"not explored\">·</td>");
        return;
    }
    char col[8];
    bool dark;
    ml_html_heat(ML_HEAT_COUNT, mx ? log1p((double)c->cases) / log1p((double)mx) : 0, col, &dark);
    ml_html_fmt(h, "<td class=\"%s%s\" style=\"background:%s\" title=\"%llu cases, %llu failing\">%llu</td>",
                dark ? "dk" : "", c->bad ? " hf" : "", col, (unsigned long long)c->cases,
                (unsigned long long)c->bad, (unsigned long long)c->cases);
}

/* dtypes as kind+size x byte order, so the ones never drawn show as gaps;
 * anything else (future or hostile input) is listed below the grid. */
static void dtype_grid(ml_html *h, ml_report *r)
{
    static const char *const rows[] = {"b1", "i1", "u1", "i2", "i4", "i8", "u2", "u4", "u8",
                                       "f2", "f4", "f8", "c8", "c16"};
    static const char orders[] = {'<', '>', '|'};
    enum { NROWS = sizeof rows / sizeof *rows };
    ml_rp_cnt2 grid[NROWS][3], structured = {0, 0};
    memset(grid, 0, sizeof grid);
    bool listed[64] = {false};
    uint64_t mx = 1;
    for (int i = 0; i < r->dtypes.n; i++) {
        const char *d = r->dtypes.s[i];
        int row = -1, col = -1;
        if (i != r->dtypes.other && strlen(d) >= 3)
            for (int k = 0; k < NROWS; k++)
                if (!strcmp(d + 1, rows[k]))
                    row = k;
        for (int o = 0; o < 3 && row >= 0; o++)
            if (d[0] == orders[o])
                col = o;
        if (row >= 0 && col >= 0) {
            grid[row][col].cases += r->dtype_n[i].cases;
            grid[row][col].bad += r->dtype_n[i].bad;
            if (grid[row][col].cases > mx)
                mx = grid[row][col].cases;
        } else if (!strcmp(d, "structured") && i != r->dtypes.other) {
            structured = r->dtype_n[i];
        } else {
            listed[i] = true;
        }
    }
    if (structured.cases > mx)
        mx = structured.cases;
    ml_html_raw(h, "<table class=\"heat cov\" id=\"coverage-dtype\"><thead><tr><th>dtype</th><th>&lt; little</th>"
                   "<th>&gt; big</th><th>| none</th></tr></thead><tbody>");
    for (int k = 0; k < NROWS; k++) {
        ml_html_fmt(h, "<tr><th>%s</th>", rows[k]);
        bool one = rows[k][1] == '1' && !rows[k][2];
        for (int o = 0; o < 3; o++) {
            if (one != (o == 2) && !grid[k][o].cases)
                ml_html_raw(h, "<td></td>");   /* NumPy has no such dtype string */
            else
                count_cell(h, &grid[k][o], mx);
        }
        ml_html_raw(h, "</tr>");
    }
    ml_html_raw(h, "<tr><th>structured</th>");
    count_cell(h, &structured, mx);
    ml_html_raw(h, "<td></td><td></td></tr></tbody></table>");
    bool any = false;
    for (int i = 0; i < r->dtypes.n; i++)
        if (listed[i]) {
            ml_html_raw(h, any ? ", " : "<p class=\"note\">other dtype strings: ");
            any = true;
            ml_html_raw(h, "<code>");
            ml_html_text(h, r->dtypes.s[i]);
            ml_html_fmt(h, "</code> (%llu)", (unsigned long long)r->dtype_n[i].cases);
        }
    if (any)
        ml_html_raw(h, "</p>");
}

static void section_coverage(ml_html *h, ml_report *r)
{
    ml_html_raw(h, "<section id=\"coverage\"><h2>Coverage of the layout space</h2>");
    if (!r->lines) {
        ml_html_raw(h, "<p class=\"note\">No per-case results in this input (results.jsonl).</p></section>");
        return;
    }
    ml_html_raw(h, "<p class=\"note\">Cases per backing ndim × op kind, for each backing order. A case counts once "
                   "under every op kind its chain uses. Hatched: never explored (some gaps cannot be filled: a 0-d "
                   "backing has no axis to swap, an .npy file does not open with w+). A red edge: some of those "
                   "cases failed.</p><div class=\"covs\">");
    int maxnd = 6;
    for (int o = 0; o < 2; o++)
        for (int d = 0; d < ML_RP_NDIM_ROWS; d++)
            for (int c = 0; c < ML_RP_OP_COLS; c++)
                if (r->cov[o][d][c].cases && d > maxnd)
                    maxnd = d;
    uint64_t mx = 1;
    for (int o = 0; o < 2; o++)
        for (int d = 0; d < ML_RP_NDIM_ROWS; d++)
            for (int c = 0; c < ML_RP_OP_COLS; c++)
                if (r->cov[o][d][c].cases > mx)
                    mx = r->cov[o][d][c].cases;
    bool other_ops = false;
    for (int o = 0; o < 2; o++)
        for (int d = 0; d < ML_RP_NDIM_ROWS; d++)
            other_ops |= r->cov[o][d][ML_RP_OP_COLS - 1].cases > 0;
    int ncols = other_ops ? ML_RP_OP_COLS : ML_RP_OP_COLS - 1;
    for (int o = 0; o < 2; o++) {
        ml_html_fmt(h, "<div><h3>backing order %c</h3><table class=\"heat cov\" id=\"coverage-%c\"><thead><tr>"
                       "<th>ndim</th>",
                    o ? 'F' : 'C', o ? 'F' : 'C');
        for (int c = 0; c < ncols; c++)
            ml_html_fmt(h, "<th>%s</th>", c == 0 ? "no ops" : c == ML_RP_OP_COLS - 1 ? "other" : ml_op_name((ml_opkind)(c - 1)));
        ml_html_raw(h, "</tr></thead><tbody>");
        for (int d = 0; d <= maxnd || d == ML_RP_NDIM_ROWS - 1; d++) {
            if (d == ML_RP_NDIM_ROWS - 1) {
                uint64_t any = 0;
                for (int c = 0; c < ML_RP_OP_COLS; c++)
                    any += r->cov[o][d][c].cases;
                if (!any)
                    break;
                ml_html_raw(h, "<tr><th>other</th>");
            } else {
                ml_html_fmt(h, "<tr><th>%d</th>", d);
            }
            for (int c = 0; c < ncols; c++)
                count_cell(h, &r->cov[o][d][c], mx);
            ml_html_raw(h, "</tr>");
            if (d == maxnd && d < ML_RP_NDIM_ROWS - 1)
                d = ML_RP_NDIM_ROWS - 2;
        }
        ml_html_raw(h, "</tbody></table></div>");
    }
    ml_html_raw(h, "</div>");
    if (r->cov_other_order)
        ml_html_fmt(h, "<p class=\"note\">%llu cases had a backing order other than C or F.</p>",
                    (unsigned long long)r->cov_other_order);

    ml_html_raw(h, "<div class=\"covs\"><div><h3>dtypes</h3>");
    dtype_grid(h, r);
    ml_html_raw(h, "</div><div><h3>backing source × mode</h3><table class=\"heat cov\" id=\"coverage-mode\"><thead>"
                   "<tr><th>source</th>");
    int si[64], mi[64], ns = ml_rp_ordered(&r->sources, NULL, si), nm = ml_rp_ordered(&r->modes, NULL, mi);
    uint64_t smx = 1;
    for (int a = 0; a < ns; a++)
        for (int b = 0; b < nm; b++)
            if (r->srcmode[si[a]][mi[b]].cases > smx)
                smx = r->srcmode[si[a]][mi[b]].cases;
    for (int b = 0; b < nm; b++) {
        ml_html_raw(h, "<th>");
        ml_html_text(h, r->modes.s[mi[b]]);
        ml_html_raw(h, "</th>");
    }
    ml_html_raw(h, "</tr></thead><tbody>");
    for (int a = 0; a < ns; a++) {
        ml_html_raw(h, "<tr><th>");
        ml_html_text(h, r->sources.s[si[a]]);
        ml_html_raw(h, "</th>");
        for (int b = 0; b < nm; b++)
            count_cell(h, &r->srcmode[si[a]][mi[b]], smx);
        ml_html_raw(h, "</tr>");
    }
    ml_html_raw(h, "</tbody></table>");

    ml_html_raw(h, "<h3>op chain length</h3><table class=\"heat cov\" id=\"coverage-chain\"><thead><tr><th>ops</th>");
    int maxc = 0;
    uint64_t cmx = 1;
    for (int c = 0; c < ML_RP_CHAIN_ROWS - 1; c++)
        if (r->chain[c].cases) {
            maxc = c;
            if (r->chain[c].cases > cmx)
                cmx = r->chain[c].cases;
        }
    for (int c = 0; c <= maxc; c++)
        ml_html_fmt(h, "<th>%d</th>", c);
    ml_html_raw(h, "</tr></thead><tbody><tr><th>cases</th>");
    for (int c = 0; c <= maxc; c++)
        count_cell(h, &r->chain[c], cmx);
    ml_html_raw(h, "</tr></tbody></table>");
    if (r->has_vndim) {
        ml_html_raw(h, "<h3>ndim of the view sent</h3><table class=\"heat cov\" id=\"coverage-view-ndim\"><thead><tr>"
                       "<th>ndim</th>");
        int mv = 0;
        uint64_t vmx = 1;
        for (int d = 0; d < ML_RP_NDIM_ROWS; d++)
            if (r->vndim[d].cases) {
                mv = d;
                if (r->vndim[d].cases > vmx)
                    vmx = r->vndim[d].cases;
            }
        for (int d = 0; d <= mv; d++)
            ml_html_fmt(h, d == ML_RP_NDIM_ROWS - 1 ? "<th>other</th>" : "<th>%d</th>", d);
        ml_html_raw(h, "</tr></thead><tbody><tr><th>cases</th>");
        for (int d = 0; d <= mv; d++)
            count_cell(h, &r->vndim[d], vmx);
        ml_html_raw(h, "</tr></tbody></table>");
    }
    ml_html_raw(h, "</div></div></section>");
}

/* ---- charts -------------------------------------------------------------- */

/* Seconds of wall time per unit of x: 1 when lines carry "t"; else summed
 * case seconds are stretched over the run's duration (approx). */
static double time_scale(const ml_report *r, bool *approx)
{
    *approx = false;
    if (r->time_mode != 2)
        return 1;
    double secs;
    *approx = true;
    if (ml_rp_jnum(r->summary, "seconds", &secs) && secs > 0 && r->cum_secs > 0)
        return secs / r->cum_secs;
    return 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void section_charts(ml_html *h, ml_report *r)
{
    ml_html_raw(h, "<section id=\"charts\"><h2>Over time</h2>");
    bool approx;
    double sc = time_scale(r, &approx);
    double xs[ML_RP_CHART_POINTS + 2], ys[ML_RP_CHART_POINTS + 2];
    int n = 0;
    const char *xlabel = "seconds since start";
    if (r->lines) {
        int used = (int)(r->x_max / r->bw) + 1;
        if (used > ML_RP_NB)
            used = ML_RP_NB;
        int per = (used + ML_RP_CHART_POINTS - 1) / ML_RP_CHART_POINTS;
        uint64_t prev_c = 0;
        double prev_x0 = 0;
        for (int i = 0; i < used; i += per) {
            uint64_t c = 0;
            for (int j = i; j < i + per && j < used; j++)
                c += r->bucket[j];
            double x0 = i * r->bw, x1 = (i + per) * r->bw;
            if (x1 > r->x_max)
                x1 = r->x_max;
            if (!(x1 > x0))
                x1 = x0 + r->bw;
            /* a last bucket cut short by the end of the run holds a few cases
             * in a sliver of time: its rate would spike; it joins the one before */
            if (n > 0 && x1 - x0 < 0.5 * per * r->bw) {
                c += prev_c;
                x0 = prev_x0;
                n--;
            }
            prev_c = c;
            prev_x0 = x0;
            xs[n] = (x0 + x1) / 2 * sc;
            ys[n++] = (double)c / ((x1 - x0) * sc);
        }
    } else {
        /* a fuzzing session's own series: summary "timeline": [[t, cases so far], ...] */
        const cJSON *tl = cJSON_GetObjectItemCaseSensitive(r->summary, "timeline");
        int m = cJSON_GetArraySize(tl), per = (m + ML_RP_CHART_POINTS - 1) / ML_RP_CHART_POINTS;
        double pt = 0, pc = 0;
        for (int i = per; i < m && per > 0 && n < ML_RP_CHART_POINTS; i += per) {
            const cJSON *e = cJSON_GetArrayItem(tl, i);
            double t = cJSON_GetNumberValue(cJSON_GetArrayItem(e, 0)), c = cJSON_GetNumberValue(cJSON_GetArrayItem(e, 1));
            if (t > pt && c >= pc) {
                xs[n] = (t + pt) / 2;
                ys[n++] = (c - pc) / (t - pt);
            }
            pt = t;
            pc = c;
        }
    }
    ml_html_raw(h, "<div class=\"two\"><div>");
    ml_html_chart c1 = {.title = "cases per second", .xlabel = xlabel, .ylabel = "cases/s", .n = n, .x = xs,
                        .y = ys, .area = true, .color = "#2b6cb0"};
    ml_html_svg_chart(h, &c1);
    ml_html_raw(h, "</div><div>");

    /* distinct findings: a step per first sighting */
    double *ev = NULL;
    int ne = 0;
    double end = r->x_max * sc;
    const char *fx = xlabel;
    if (r->lines) {
        ev = malloc(sizeof *ev * (size_t)(r->nevents + 1));
        for (int i = 0; ev && i < r->nevents; i++)
            ev[ne++] = r->events[i] * sc;
    } else if (r->ngroups) {
        /* file times: seconds after the run started, else after the first finding */
        double base = 0, started;
        bool fuzz = false;
        for (int i = 0; i < r->ngroups; i++) {
            fuzz |= r->groups[i].fuzz_t >= 0;
            if (r->groups[i].first_mtime > 0 && (base == 0 || r->groups[i].first_mtime < base))
                base = r->groups[i].first_mtime;
        }
        if (fuzz)
            fx = "seconds into the fuzzing session";
        else if (ml_rp_jnum(r->summary, "started", &started) && started > 0 && started <= base)
            base = started;
        else
            fx = "seconds since the first finding file";
        ev = malloc(sizeof *ev * (size_t)(r->ngroups + 1));
        for (int i = 0; ev && i < r->ngroups; i++)
            if (fuzz ? r->groups[i].fuzz_t >= 0 : r->groups[i].first_mtime > 0)
                ev[ne++] = fuzz ? r->groups[i].fuzz_t : r->groups[i].first_mtime - base;
        double secs;
        end = 0;
        if (ml_rp_jnum(r->summary, "seconds", &secs))
            end = secs;
    }
    if (ev)
        qsort(ev, (size_t)ne, sizeof *ev, cmp_double);
    /* cap the points: the count only matters where it changes */
    double fxs[2 * ML_RP_CHART_POINTS + 4], fys[2 * ML_RP_CHART_POINTS + 4];
    int fn = 0;
    if (ne || r->lines) {
        fxs[fn] = 0;
        fys[fn++] = 0;
        int step = (ne + ML_RP_CHART_POINTS - 1) / ML_RP_CHART_POINTS;
        if (step < 1)
            step = 1;
        for (int i = 0; i < ne; i += step) {
            int j = i + step - 1 < ne ? i + step - 1 : ne - 1;
            fxs[fn] = ev[i];
            fys[fn++] = i + 1;
            if (j != i) {
                fxs[fn] = ev[j];
                fys[fn++] = j + 1;
            }
        }
        if (end < (fn ? fxs[fn - 1] : 0))
            end = fxs[fn - 1];
        fxs[fn] = end;
        fys[fn++] = ne;
    }
    ml_html_chart c2 = {.title = "distinct findings", .xlabel = fx, .ylabel = "distinct findings", .n = fn,
                        .x = fxs, .y = fys, .step = true, .area = true, .color = "#c0392b"};
    ml_html_svg_chart(h, &c2);
    free(ev);
    ml_html_raw(h, "</div></div>");
    if (r->lines && approx)
        ml_html_raw(h, "<p class=\"note\">This run did not record completion times (results.jsonl has no "
                       "<code>t</code> field): the time axis is the running sum of per-case seconds, stretched over "
                       "the run's duration, so the shape is approximate.</p>");
    if (!r->lines && !cJSON_GetObjectItemCaseSensitive(r->summary, "timeline"))
        ml_html_raw(h, "<p class=\"note\">No per-case results: the rate was not recorded; findings are placed by "
                       "the time their files were written.</p>");
    ml_html_raw(h, "</section>");
}

/* ---- regression ---------------------------------------------------------- */

static void section_regression(ml_html *h, ml_report *r)
{
    ml_html_raw(h, "<section id=\"regression\"><h2>Regressions</h2>");
    if (r->mx_n) {
        ml_html_fmt(h, "<p>memlayout matrix: %llu cases × %d environments; <span class=\"%s\">%llu differ</span>. "
                       "Each environment is read against the first one.</p><table id=\"matrix-envs\"><thead><tr>"
                       "<th></th><th>environment</th><th>versions</th><th>reducer</th><th>--python-path</th></tr>"
                       "</thead><tbody>",
                    (unsigned long long)r->mx_cases, r->mx_n, r->mx_differ ? "badtxt" : "ok",
                    (unsigned long long)r->mx_differ);
        for (int e = 0; e < r->mx_n; e++) {
            const cJSON *en = cJSON_GetArrayItem(r->mx_envs, e);
            ml_html_fmt(h, "<tr><td>%c</td><td>", 'A' + e);
            ml_html_text(h, ml_rp_jstr(en, "name"));
            ml_html_raw(h, "</td><td>");
            ml_html_text(h, ml_rp_jstr(en, "key"));
            ml_html_raw(h, "</td><td>");
            ml_html_text(h, ml_rp_jstr(en, "reducer"));
            ml_html_raw(h, "</td><td>");
            ml_html_text(h, ml_rp_jstr(en, "python_path") ? ml_rp_jstr(en, "python_path") : "—");
            ml_html_raw(h, "</td></tr>");
        }
        ml_html_raw(h, "</tbody></table>");
        if (r->mx_nrows) {
            ml_html_raw(h, "<h3>Cases whose verdict differs between environments</h3><table id=\"matrix-diff\">"
                           "<thead><tr><th>case</th><th>transport</th>");
            for (int e = 0; e < r->mx_n; e++)
                ml_html_fmt(h, "<th>%c</th>", 'A' + e);
            ml_html_raw(h, "</tr></thead><tbody>");
            for (int i = 0; i < r->mx_nrows; i++) {
                const ml_rp_mxrow *w = &r->mx_rows[i];
                ml_html_raw(h, "<tr><td><code>");
                ml_html_text(h, w->caseid);
                ml_html_raw(h, "</code></td><td>");
                ml_html_text(h, w->transport);
                ml_html_raw(h, "</td>");
                for (int e = 0; e < r->mx_n; e++) {
                    ml_html_raw(h, "<td>");
                    verdict_tag(h, w->v[e] ? w->v[e] : "—");
                    ml_html_raw(h, "</td>");
                }
                ml_html_raw(h, "</tr>");
            }
            if (r->mx_differ > (uint64_t)r->mx_nrows)
                ml_html_fmt(h, "<tr><td colspan=\"%d\" class=\"note\">and %llu more</td></tr>", r->mx_n + 2,
                            (unsigned long long)(r->mx_differ - (uint64_t)r->mx_nrows));
            ml_html_raw(h, "</tbody></table>");
        }
    }
    if (!r->has_expected) {
        ml_html_raw(h, "<p class=\"note\">No expected verdicts in this input: the regression view is filled by "
                       "<code>memlayout ci</code>, whose results carry each case's expected verdict.</p></section>");
        return;
    }
    uint64_t tot[ML_RP_NR] = {0};
    for (int e = 0; e < r->envs.n; e++)
        for (int c = 0; c < ML_RP_NR; c++)
            tot[c] += r->reg[e][c];
    uint64_t unexpected = tot[ML_RP_R_NEW] + tot[ML_RP_R_CHANGED] + tot[ML_RP_R_FIXED];
    const char *against = r->mx_n ? "the first environment" : "the baseline";
    if (unexpected)
        ml_html_fmt(h, "<p class=\"badtxt\">%llu verdicts differ from %s.</p>", (unsigned long long)unexpected, against);
    else
        ml_html_fmt(h, "<p class=\"ok\">Every verdict is as expected (as %s says).</p>", against);
    ml_html_raw(h, "<table id=\"regression-summary\"><thead><tr><th>environment</th>");
    for (int c = 0; c < ML_RP_NR; c++)
        ml_html_fmt(h, "<th class=\"n\">%s</th>", ml_rp_reg_names[c]);
    ml_html_raw(h, "</tr></thead><tbody>");
    int ei[64], ne = ml_rp_ordered(&r->envs, NULL, ei);
    for (int e = 0; e < ne; e++) {
        ml_html_raw(h, "<tr><td>");
        if (r->envs.s[ei[e]][0])
            ml_html_text(h, r->envs.s[ei[e]]);
        else
            ml_html_raw(h, "this environment");
        ml_html_raw(h, "</td>");
        for (int c = 0; c < ML_RP_NR; c++)
            ml_html_fmt(h, "<td class=\"n%s\">%llu</td>", r->reg[ei[e]][c] && c <= ML_RP_R_CHANGED ? " k-fail" : "",
                        (unsigned long long)r->reg[ei[e]][c]);
        ml_html_raw(h, "</tr>");
    }
    ml_html_raw(h, "</tbody></table>");
    for (int c = 0; c < ML_RP_R_OK; c++) {
        if (!tot[c])
            continue;
        ml_html_fmt(h, "<h3>%s (%llu)</h3><table class=\"reg\" id=\"regression-%d\"><thead><tr><th>case</th>"
                       "<th>transport</th><th>expected</th><th>now</th>%s</tr></thead><tbody>",
                    ml_rp_reg_names[c], (unsigned long long)tot[c], c, ne > 1 ? "<th>environment</th>" : "");
        for (int i = 0; i < r->nreglist[c]; i++) {
            const ml_rp_regrow *w = &r->reglist[c][i];
            ml_html_raw(h, "<tr><td><code>");
            ml_html_text(h, w->caseid);
            ml_html_raw(h, "</code></td><td>");
            ml_html_text(h, w->transport);
            ml_html_raw(h, "</td><td>");
            verdict_tag(h, w->expected);
            ml_html_raw(h, "</td><td>");
            verdict_tag(h, w->actual);
            ml_html_raw(h, "</td>");
            if (ne > 1) {
                ml_html_raw(h, "<td>");
                ml_html_text(h, w->env);
                ml_html_raw(h, "</td>");
            }
            ml_html_raw(h, "</tr>");
        }
        if (tot[c] > (uint64_t)r->nreglist[c])
            ml_html_fmt(h, "<tr><td colspan=\"5\" class=\"note\">and %llu more</td></tr>",
                        (unsigned long long)(tot[c] - (uint64_t)r->nreglist[c]));
        ml_html_raw(h, "</tbody></table>");
    }
    ml_html_raw(h, "</section>");
}

/* ---- the page ------------------------------------------------------------ */

char *ml_report_html(ml_report *r, size_t *len)
{
    ml_html h;
    ml_html_init(&h);
    const char *title = r->o.title;
    ml_html_raw(&h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                    "style-src 'unsafe-inline'\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<meta name=\"generator\" content=\"memlayout " ML_VERSION "\"><title>");
    if (title)
        ml_html_text(&h, title);
    else
        ml_html_raw(&h, "memlayout report");
    ml_html_raw(&h, "</title><style>");
    ml_html_raw(&h, css);
    ml_html_raw(&h, "</style></head><body><header class=\"top\"><h1>");
    if (title)
        ml_html_text(&h, title);
    else
        ml_html_raw(&h, "memlayout report");
    ml_html_raw(&h, "</h1><div class=\"sub\">NumPy memmap layout across process boundaries");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->summary, "versions");
    if (ml_rp_jstr(v, "numpy") || ml_rp_jstr(v, "joblib")) {
        ml_html_raw(&h, " · NumPy ");
        ml_html_text(&h, ml_rp_jstr(v, "numpy") ? ml_rp_jstr(v, "numpy") : "?");
        ml_html_raw(&h, " · joblib ");
        ml_html_text(&h, ml_rp_jstr(v, "joblib") ? ml_rp_jstr(v, "joblib") : "?");
    }
    ml_html_raw(&h, "</div></header><nav><a href=\"#overview\">Run</a><a href=\"#findings-section\">Bugs</a>"
                    "<a href=\"#matrix-section\">Verdict matrix</a><a href=\"#coverage\">Coverage</a>"
                    "<a href=\"#charts\">Over time</a><a href=\"#regression\">Regressions</a></nav><main>");
    ml_rp_apply_triage(r);
    section_header(&h, r);
    section_findings(&h, r);
    section_bisect(&h, r);
    section_matrix(&h, r);
    section_coverage(&h, r);
    section_charts(&h, r);
    section_regression(&h, r);
    char now[48];
    utc(now, sizeof now, (double)time(NULL));
    ml_html_raw(&h, "</main><footer>memlayout " ML_VERSION " report");
    if (r->o.source) {
        ml_html_raw(&h, " of <code>");
        ml_html_text(&h, r->o.source);
        ml_html_raw(&h, "</code>");
    }
    ml_html_fmt(&h, ", %llu result lines, %llu finding files, generated %s.</footer></body></html>\n",
                (unsigned long long)r->lines, (unsigned long long)r->nfindings, now);
    char *s = ml_html_take(&h, len);
    r->last_bytes = s && len ? *len : 0;
    return s;
}


/* Unit tests of the HTML report: escaping, aggregation, size, inputs. */
#include "check.h"
#include "fsutil.h"
#include "html.h"
#include "report.h"
#include "signature.h"
#include "store.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOSTILE "<script>alert(\"x\")</script>'\"><img src=x onerror=alert(1)>&amp;\x01\xff"

static char *esc(const char *s)
{
    static char buf[4096];
    char *e = ml_html_escape(s);
    snprintf(buf, sizeof buf, "%s", e ? e : "(null)");
    free(e);
    return buf;
}

/* ---- a small HTML tokenizer: the page may hold only our own markup ------- */

static const char *const tags[] = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "div", "nav", "a", "main",
    "section", "p", "span", "b", "i", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "small",
    "dl", "dt", "dd", "ul", "li", "details", "summary", "mark", "footer", "svg", "rect", "line", "text",
    "path", "circle", NULL};
static const char *const attrs[] = {
    "lang", "charset", "http-equiv", "content", "name", "class", "id", "style", "href", "title", "colspan",
    "open", "viewBox", "width", "height", "role", "x", "y", "x1", "x2", "y1", "y2", "d", "fill", "transform",
    "cx", "cy", "r", "aria-hidden", NULL};

static bool in(const char *const *list, const char *s, size_t n)
{
    for (; *list; list++)
        if (strlen(*list) == n && !strncmp(*list, s, n))
            return true;
    return false;
}

/* NULL when every tag and attribute is ours, else where it went wrong. */
static const char *markup_problem(const char *html)
{
    static char why[200];
    const char *p = html;
    if (!strncmp(p, "<!DOCTYPE html>", 15))
        p += 15;
    while (*p) {
        if (*p == '>' || *p == '"') {
            snprintf(why, sizeof why, "bare %c in text: %.60s", *p, p);
            return why;
        }
        if (*p != '<') {
            p++;
            continue;
        }
        const char *t = ++p;
        bool close = *t == '/';
        if (close)
            t++;
        size_t n = 0;
        while (isalnum((unsigned char)t[n]))
            n++;
        if (!n || !in(tags, t, n)) {
            snprintf(why, sizeof why, "tag not ours: <%.60s", t);
            return why;
        }
        bool is_style = !close && n == 5 && !strncmp(t, "style", 5);
        p = t + n;
        while (*p && *p != '>') {
            while (*p == ' ' || *p == '/')
                p++;
            if (*p == '>')
                break;
            const char *a = p;
            while (isalnum((unsigned char)*p) || *p == '-')
                p++;
            if (p == a || !in(attrs, a, (size_t)(p - a))) {
                snprintf(why, sizeof why, "attribute not ours: %.60s", a);
                return why;
            }
            bool href = p - a == 4 && !strncmp(a, "href", 4), style = p - a == 5 && !strncmp(a, "style", 5);
            if (*p == '=') {
                if (p[1] != '"') {
                    snprintf(why, sizeof why, "unquoted value: %.60s", a);
                    return why;
                }
                const char *v = p + 2, *e = strchr(v, '"');
                if (!e)
                    return "unterminated attribute";
                if (href && *v != '#') {
                    snprintf(why, sizeof why, "link out of the page: %.60s", a);
                    return why;
                }
                for (const char *c = v; style && c < e; c++)
                    if (!isalnum((unsigned char)*c) && !strchr("#:;.%- ", *c)) {
                        snprintf(why, sizeof why, "odd style: %.60s", a);
                        return why;
                    }
                p = e + 1;
            }
        }
        if (*p == '>')
            p++;
        if (is_style) {   /* our CSS: skip to its end tag */
            const char *e = strstr(p, "</style>");
            if (!e)
                return "unterminated style";
            if (strstr(p, "url(") && strstr(p, "url(") < e)
                return "css fetches something";
            p = e;
        }
    }
    return NULL;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* ---- fixtures ------------------------------------------------------------- */

static const char public_case[] =
    "{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",\"shape\":[15],\"order\":\"C\","
    "\"offset\":0,\"mode\":\"r\"},\"ops\":[{\"op\":\"reshape\",\"shape\":[5,3],\"order\":\"C\"}],"
    "\"transport\":\"loky\",\"seed\":1}\n";

static const char public_obs[] =
    "{\"status\":\"ok\",\"parent\":{\"type\":\"memmap\",\"shape\":[5,3],\"strides\":[24,8],\"dtype\":\"<f8\","
    "\"itemsize\":8,\"flags\":{\"c\":true,\"f\":false,\"writeable\":false,\"aligned\":true,\"owndata\":false},"
    "\"backing\":{\"file\":\"/tmp/d.bin\",\"mode\":\"r\",\"offset\":0,\"first\":0,\"lo\":0,\"hi\":120,\"len\":120},"
    "\"hash\":\"aa\",\"head\":[\"0000000000000000\",\"000000000000f03f\"]},"
    "\"child\":{\"type\":\"memmap\",\"shape\":[5,3],\"strides\":[8,40],\"dtype\":\"<f8\",\"itemsize\":8,"
    "\"flags\":{\"c\":false,\"f\":true,\"writeable\":false,\"aligned\":true,\"owndata\":false},"
    "\"backing\":{\"file\":\"/tmp/d.bin\",\"mode\":\"r\",\"offset\":0,\"first\":0,\"lo\":0,\"hi\":120,\"len\":120},"
    "\"hash\":\"bb\",\"head\":[\"0000000000000000\",\"0000000000001440\"]},\"write\":null,"
    "\"file\":{\"size_before\":120,\"size_after\":120,\"hash_before\":\"ff\",\"hash_after\":\"ff\"},"
    "\"seconds\":0.01}\n";

static ml_report *hostile_report(void)
{
    ml_report_opts o = {.title = "t " HOSTILE, .source = "dir/" HOSTILE};
    ml_report *r = ml_report_new(&o);
    char err[256];
    const char *summary =
        "{\"command\":[\"memlayout\",\"run\",\"--python-path\",\"" "<script>x</script>\\\" onload=\\\"y" "\"],"
        "\"memlayout\":\"<b>0</b>\",\"versions\":{\"python\":\"<i>3</i>\",\"numpy\":\"1.24\\\"><script>\","
        "\"joblib\":\"'><svg onload=alert(1)>\",\"numpy_path\":\"</dd><script>\",\"executable\":\"&lt;\"},"
        "\"seed\":\"<script>1</script>\",\"seconds\":10,\"cases\":4,\"started\":1700000000,"
        "\"python_path\":\"<script>pp</script>\"}";
    CHECK(ml_report_add_summary(r, summary, strlen(summary), err, sizeof err));
    char name[256];
    snprintf(name, sizeof name, "findings/000001-loky-fail-data-flags<script>.json");
    ml_report_add_finding(r, name, public_case, strlen(public_case), public_obs, strlen(public_obs), 1.7e9);
    const char *bad_case = "{\"memlayout\":1,\"dtype\":\"<script>alert(1)</script>\",\"transport\":\"<b>t</b>\","
                           "\"ops\":[{\"op\":\"\\\"><script>\"}]}";
    const char *bad_obs = "{\"status\":\"error\",\"error_kind\":\"<i>k</i>\",\"message\":\"</pre><script>m</script>\","
                          "\"parent\":{\"type\":\"<x>\",\"shape\":[1],\"strides\":[8],\"dtype\":\"<script>\","
                          "\"flags\":{\"c\":true,\"f\":true},\"backing\":{\"file\":\"\\\"><img src=x>\"},"
                          "\"hash\":\"<h>\",\"head\":[\"<script>\"]},\"child\":null}";
    ml_report_add_finding(r, "findings/000002-<b>-error-<i>.json", bad_case, strlen(bad_case), bad_obs,
                          strlen(bad_obs), 0);
    ml_report_add_finding(r, "x\"><script>.json", "not json <script>", 17, NULL, 0, 0);
    static const char *const lines[] = {
        "{\"id\":1,\"transport\":\"loky\",\"verdict\":\"fail:data,flags\",\"ndim\":1,\"order\":\"C\",\"source\":\"raw\","
        "\"mode\":\"r\",\"dtype\":\"<f8\",\"ops\":\"reshape\",\"seconds\":0.01,\"t\":1.5,\"layout\":\"C\",\"child\":\"F\"}",
        "{\"id\":2,\"transport\":\"<script>t</script>\",\"verdict\":\"<script>v</script>\",\"ndim\":2,"
        "\"order\":\"<o>\",\"source\":\"<s>\",\"mode\":\"\\\"m\",\"dtype\":\"<script>d</script>\","
        "\"ops\":\"<script>,reshape\",\"seconds\":0.01,\"t\":2,\"layout\":\"<script>l</script>\","
        "\"child\":\"'><svg onload=1>\",\"expected\":\"<i>e</i>\",\"case\":\"<script>c</script>\","
        "\"env\":\"<script>env</script>\"}",
        "{\"id\":3,\"transport\":\"loky\",\"verdict\":\"fail:<script>\",\"ndim\":1,\"order\":\"F\",\"source\":\"raw\","
        "\"mode\":\"r\",\"dtype\":\"|b1\",\"ops\":\"\",\"seconds\":0.01,\"t\":3,\"layout\":\"F\",\"child\":\"F\","
        "\"expected\":\"pass\",\"case\":\"a\\\"b\",\"env\":\"\\u0000<x>\"}",
        "not json <script>",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        ml_report_add_result(r, lines[i], strlen(lines[i]));
    return r;
}

static char *results_line(uint64_t i)
{
    static const char *const tr[] = {"reduce", "loky", "multiprocessing", "threading", "pickle5", "pool-spawn"};
    static const char *const lay[] = {"C+F", "C", "F", "strided", "broadcast", "empty", "copy", "none"};
    static const char *const ops[] = {"", "reshape", "transpose,slice", "reshape,view,ravel", "broadcast"};
    static const char *const dt[] = {"<f8", ">i2", "|u1", "<c16", "structured"};
    static char buf[512];
    bool bad = i % 7 == 0;
    snprintf(buf, sizeof buf,
             "{\"id\":%llu,\"transport\":\"%s\",\"verdict\":\"%s\",\"ndim\":%llu,\"order\":\"%c\",\"source\":\"raw\","
             "\"mode\":\"r\",\"dtype\":\"%s\",\"ops\":\"%s\",\"seconds\":0.001,\"t\":%.3f,\"view_ndim\":%llu,"
             "\"layout\":\"%s\",\"child\":\"%s\"}",
             (unsigned long long)i, tr[i % 6], bad ? (i % 3 ? "fail:data,flags" : "fail:strides") : "pass",
             (unsigned long long)(i % 7), i % 2 ? 'C' : 'F', dt[i % 5], ops[i % 5], i * 0.0005,
             (unsigned long long)(i % 5), lay[i % 8], bad ? "F" : lay[i % 8]);
    return buf;
}

/* ---- tests ----------------------------------------------------------------- */

static void html_text_should_escape_markup_characters(void)
{
    CHECK_STR(esc("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    CHECK_STR(esc("plain text"), "plain text");
}

static void html_text_should_replace_control_bytes_and_invalid_utf8(void)
{
    CHECK_STR(esc("a\x01" "b\x7f" "c"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c");
    CHECK_STR(esc("\xff<"), "\xEF\xBF\xBD&lt;");
    CHECK_STR(esc("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");          /* overlong '/' */
    CHECK_STR(esc("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");   /* a surrogate */
    CHECK_STR(esc("\xE2\x86"), "\xEF\xBF\xBD\xEF\xBF\xBD");          /* cut short */
}

static void html_text_should_keep_valid_utf8_and_whitespace(void)
{
    CHECK_STR(esc("\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x90\x8D\t\n"), "\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x90\x8D\t\n");
}

static void html_textf_should_escape_formatted_arguments(void)
{
    ml_html h;
    ml_html_init(&h);
    ml_html_textf(&h, "%s=%d", "<b>", 3);
    char *s = ml_html_take(&h, NULL);
    CHECK_STR(s, "&lt;b&gt;=3");
    free(s);
}

static void ticks_should_be_round_numbers_covering_the_range(void)
{
    double t[16];
    int n = ml_html_ticks(0, 97, 5, t);
    CHECK(n >= 3 && n <= 6);
    CHECK(t[0] == 0);
    CHECK(t[1] == 20);
    n = ml_html_ticks(0, 0, 5, t);
    CHECK(n == 1);
}

static void hostile_strings_should_never_become_markup(void)
{
    ml_report *r = hostile_report();
    size_t len;
    char *html = ml_report_html(r, &len);
    CHECK(html != NULL);
    if (html) {
        const char *why = markup_problem(html);
        if (why)
            fprintf(stderr, "  %s\n", why);
        CHECK(why == NULL);
        CHECK(count(html, "<script") == 0);
        CHECK(count(html, "<img") == 0);
        CHECK(count(html, "<svg onload") == 0);
        CHECK(count(html, "onload=\"") == 0);
        /* ...and the strings did reach the page, as text */
        CHECK(count(html, "&lt;script&gt;") >= 10);
        CHECK(count(html, "&lt;script&gt;pp&lt;/script&gt;") >= 1);        /* --python-path */
        CHECK(count(html, "&lt;script&gt;env&lt;/script&gt;") >= 1);       /* ci environment */
        CHECK(count(html, "&lt;/pre&gt;&lt;script&gt;m&lt;/script&gt;") == 1);   /* runner message */
        CHECK(count(html, "&#39;&gt;&lt;svg onload=alert(1)&gt;") >= 1);     /* joblib version */
    }
    free(html);
    ml_report_free(r);
}

static void report_should_have_every_section_and_no_outside_request(void)
{
    ml_report *r = hostile_report();
    char *html = ml_report_html(r, NULL);
    CHECK(html && strstr(html, "id=\"findings\""));
    CHECK(html && strstr(html, "id=\"verdict-matrix\""));
    CHECK(html && strstr(html, "id=\"coverage-C\""));
    CHECK(html && strstr(html, "id=\"coverage-dtype\""));
    CHECK(html && strstr(html, "id=\"charts\""));
    CHECK(html && strstr(html, "id=\"regression-summary\""));
    CHECK(html && strstr(html, "Content-Security-Policy"));
    CHECK(html && !strstr(html, "src=\"") && !strstr(html, "http://") && !strstr(html, "https://"));
    free(html);
    ml_report_free(r);
}

static void finding_should_show_both_observations_and_the_first_differing_element(void)
{
    ml_report *r = ml_report_new(NULL);
    ml_report_add_finding(r, "f/000007-loky-fail-data-flags.json", public_case, strlen(public_case), public_obs,
                          strlen(public_obs), 0);
    char *html = ml_report_html(r, NULL);
    CHECK(html && strstr(html, "element [0, 1] (#1 in C order): parent <code>1 "));
    CHECK(html && strstr(html, "child <code>5 "));
    /* the oracle's verdict, not the file name's: strides are named too */
    CHECK(html && strstr(html, "fail:data,flags,strides"));
    CHECK(html && strstr(html, "<td class=\"d k\">[<mark>24</mark>, <mark>8</mark>]</td>"));
    CHECK(html && strstr(html, "<td class=\"d k c\">[<mark>8</mark>, <mark>40</mark>]</td>"));
    /* a difference no invariant names gets a light mark */
    CHECK(html && strstr(html, "<td>type</td><td>memmap</td>"));
    /* flags are named: a strong mark, strongest on the child */
    CHECK(html && strstr(html, "<td>F_CONTIGUOUS</td><td class=\"d k\">false</td><td class=\"d k c\">true</td>"));
    CHECK(html && strstr(html, "<td>shape</td><td>[5,3]</td><td>[5,3]</td>"));   /* equal: not marked */
    CHECK(html && strstr(html, "memlayout replay f/000007-loky-fail-data-flags.json"));
    CHECK(html && strstr(html, "C → F"));
    CHECK(html && strstr(html, "&quot;seed&quot;: 1\n}"));   /* the case, pretty-printed from its text */
    CHECK(html && strstr(html, "&quot;ops&quot;: [\n    {&quot;op&quot;:&quot;reshape&quot;"));
    free(html);
    ml_report_free(r);
}

static void finding_without_detail_should_say_the_elements_were_not_captured(void)
{
    char obs[sizeof public_obs];
    snprintf(obs, sizeof obs, "%s", public_obs);
    /* drop both heads */
    for (char *p; (p = strstr(obs, ",\"head\":["));) {
        char *e = strchr(p, ']');
        memmove(p, e + 1, strlen(e + 1) + 1);
    }
    ml_report *r = ml_report_new(NULL);
    ml_report_add_finding(r, "000007-loky-fail-data-flags.json", public_case, strlen(public_case), obs,
                          strlen(obs), 0);
    char *html = ml_report_html(r, NULL);
    CHECK(html && strstr(html, "not captured"));
    CHECK(html && strstr(html, "--detail --show-obs"));
    free(html);
    ml_report_free(r);
}

static char *with_transport(const char *tr)
{
    static char buf[1024];
    const char *p = strstr(public_case, "\"loky\"");
    snprintf(buf, sizeof buf, "%.*s\"%s\"%s", (int)(p - public_case), public_case, tr, p + 6);
    return buf;
}

static void findings_should_group_by_signature_and_keep_the_smallest_case(void)
{
    ml_report *r = ml_report_new(NULL);
    char big[1024];   /* same signature, one op more */
    const char *end = strstr(public_case, "}],");
    snprintf(big, sizeof big, "%.*s},{\"op\":\"transpose\",\"axes\":null%s", (int)(end - public_case), public_case,
             end);
    ml_report_add_finding(r, "000009-loky-fail-data-flags.json", big, strlen(big), public_obs, strlen(public_obs), 0);
    ml_report_add_finding(r, "000012-loky-fail-data-flags.json", public_case, strlen(public_case), public_obs,
                          strlen(public_obs), 0);
    /* joblib's reducer in process and through multiprocessing: the same bug */
    char *c = with_transport("multiprocessing");
    ml_report_add_finding(r, "000020-multiprocessing-fail-data-flags.json", c, strlen(c), public_obs,
                          strlen(public_obs), 0);
    /* a copying transport: another class */
    c = with_transport("pickle5");
    ml_report_add_finding(r, "000030-pickle5-fail-data-flags.json", c, strlen(c), public_obs, strlen(public_obs), 0);
    ml_report_stats st;
    char *html = ml_report_html(r, NULL);
    ml_report_stats_get(r, &st);
    CHECK(st.findings == 4);
    CHECK(st.distinct == 2);
    CHECK(html && strstr(html, "<td><span class=\"tag fail\">corrupt</span></td><td>joblib: a C-contiguous view "
                               "of a 1-d backing arrives F-contiguous; the worker computes on scrambled values</td>"));
    CHECK(html && strstr(html, "<td>C → F</td><td>loky&nbsp;2, multiprocessing&nbsp;1</td>"
                               "<td class=\"n\">3</td><td>case #9</td>"));   /* first seen: the lowest id */
    CHECK(html && strstr(html, "fail:data,flags,strides"));
    CHECK(html && strstr(html, "<code>000012-loky-fail-data-flags.json</code>"));   /* fewer ops */
    CHECK(html && !strstr(html, "<code>000009-loky"));
    CHECK(html && strstr(html, "pickle: a C-contiguous view"));
    /* the same rows in three orders, for the sort links; the filter markers */
    CHECK(html && strstr(html, "<tbody class=\"by-harm\">") && strstr(html, "<tbody class=\"by-count\">") &&
          strstr(html, "<tbody class=\"by-first\">"));
    CHECK(html && strstr(html, "<i id=\"only-corrupt\" class=\"only\"></i>"));
    int rows = 0;
    for (const char *p = html; p && (p = strstr(p, "<tr class=\"sev-")); p++)
        rows++;
    CHECK(rows == 3 * st.distinct);
    CHECK(html && strstr(html, "Reproducer script"));      /* repro.h's short script, folded */
    CHECK(html && strstr(html, "from joblib import Parallel, delayed"));
    CHECK(html && !strstr(html, "_memmapping_reducer"));  /* public API only */
    free(html);
    ml_report_free(r);
}

static void triage_should_bring_the_minimized_case(void)
{
    ml_report *r = ml_report_new(NULL);
    ml_report_add_finding(r, "000012-loky-fail-data-flags.json", public_case, strlen(public_case), public_obs,
                          strlen(public_obs), 0);
    ml_report_stats st;
    char *html = ml_report_html(r, NULL);
    free(html);
    /* the id triage gives this class */
    ml_case c;
    ml_result res;
    char e[256], id[9];
    CHECK(ml_case_parse(public_case, strlen(public_case), NULL, &c, e, sizeof e));
    CHECK(ml_result_parse(public_obs, strlen(public_obs), &res, e, sizeof e));
    ml_verdict v = ml_oracle_judge(&c, &res);
    ml_sig sig;
    ml_sig_from(&c, &res, &v, &sig);
    ml_sig_id(&sig, false, id);
    char tj[2048];
    snprintf(tj, sizeof tj,
             "{\"findings\":1,\"bugs\":[{\"id\":\"%s\",\"signature\":\"share/joblib fail:data,flags C>F | raw 1d\","
             "\"kind\":\"share/joblib\",\"verdict\":\"fail:data,flags\",\"transition\":\"C>F\",\"count\":1,"
             "\"minimized\":{\"memlayout\":1,\"dtype\":\"|u1\",\"backing\":{\"source\":\"raw\",\"shape\":[4],"
             "\"order\":\"C\",\"offset\":0,\"mode\":\"r\"},\"ops\":[{\"op\":\"reshape\",\"shape\":[2,2],"
             "\"order\":\"C\"}],\"transport\":\"reduce\",\"seed\":0},"
             "\"minimize\":{\"tries\":41,\"seconds\":2.5,\"stopped_early\":false,\"stop_reason\":\"\",\"error\":\"\"}},"
             "{\"id\":\"deadbeef\",\"signature\":\"<script>s</script>\",\"kind\":\"copy/pool\","
             "\"verdict\":\"error:crash\",\"transition\":\"C>?\",\"count\":2,\"transports\":{\"pool-spawn\":2},"
             "\"example\":{\"memlayout\":1},\"minimized\":null,\"first_finding\":\"x.json\","
             "\"minimize\":{\"error\":\"<b>no</b>\"}}]}",
             id);
    CHECK(ml_report_add_triage(r, tj, strlen(tj), e, sizeof e));
    html = ml_report_html(r, NULL);
    ml_report_stats_get(r, &st);
    CHECK(st.distinct == 2);
    CHECK(html && strstr(html, "Minimized case"));
    CHECK(html && strstr(html, "minimized in 41 tries, 2.5 s"));
    CHECK(html && strstr(html, "&quot;dtype&quot;: &quot;|u1&quot;"));
    CHECK(html && strstr(html, "share/joblib fail:data,flags C&gt;F | raw 1d"));
    CHECK(html && strstr(html, "pool-spawn&nbsp;2"));
    CHECK(html && strstr(html, "not minimized: &lt;b&gt;no&lt;/b&gt;"));
    CHECK(html && markup_problem(html) == NULL);
    CHECK(!ml_report_add_triage(r, "{}", 2, e, sizeof e));
    free(html);
    ml_report_free(r);
}

static void fuzz_log_should_name_and_time_a_session_s_findings(void)
{
    ml_report *r = ml_report_new(NULL);
    const char *log = "12.5\t900\t77\tcase_json\tnew\treduce fail:data,flags C->F, backing C\tcase-ab12\n";
    ml_report_add_fuzz_log(r, log, strlen(log));
    char *c = with_transport("reduce");
    ml_report_add_finding(r, "work/findings/case-ab12.json", c, strlen(c), NULL, 0, 0);
    char *html = ml_report_html(r, NULL);
    CHECK(html && strstr(html, "12.5 s into the session"));
    CHECK(html && strstr(html, "fuzz reduce fail:data,flags C-&gt;F, backing C"));
    CHECK(html && strstr(html, "a fuzzing session stores cases only"));
    free(html);
    ml_report_free(r);
}

static void results_should_be_counted_per_transport_and_layout(void)
{
    ml_report *r = ml_report_new(NULL);
    for (uint64_t i = 0; i < 600; i++)
        ml_report_add_result(r, results_line(i), strlen(results_line(i)));
    CHECK(!ml_report_add_result(r, "{oops", 5));
    ml_report_stats st;
    char *html = ml_report_html(r, NULL);
    ml_report_stats_get(r, &st);
    CHECK(st.lines == 601 && st.bad_lines == 1);
    /* 600 lines over 6 transports: 100 each; fails where i % 7 == 0 */
    CHECK(html && strstr(html, "<tr><td>reduce</td><td class=\"n\">100</td>"));
    CHECK(html && strstr(html, "1 of 601 lines of results.jsonl did not parse"));
    CHECK(html && strstr(html, "<th>broadcast</th>"));
    /* without finding files, groups come from the lines */
    CHECK(st.distinct > 0);
    free(html);
    ml_report_free(r);
}

static void regression_view_should_sort_verdicts_against_the_baseline(void)
{
    ml_report *r = ml_report_new(NULL);
    static const char *const lines[] = {
        "{\"id\":0,\"transport\":\"loky\",\"verdict\":\"pass\",\"expected\":\"pass\",\"case\":\"a.json\"}",
        "{\"id\":1,\"transport\":\"loky\",\"verdict\":\"fail:data\",\"expected\":\"pass\",\"case\":\"new.json\"}",
        "{\"id\":2,\"transport\":\"loky\",\"verdict\":\"pass\",\"expected\":\"fail:data\",\"case\":\"fixed.json\"}",
        "{\"id\":3,\"transport\":\"loky\",\"verdict\":\"fail:data\",\"expected\":\"fail:data\",\"case\":\"x.json\"}",
        "{\"id\":4,\"transport\":\"loky\",\"verdict\":\"fail:flags\",\"expected\":\"fail:data\",\"case\":\"ch.json\"}",
        "{\"id\":5,\"transport\":\"loky\",\"verdict\":\"pass\",\"expected\":null,\"case\":\"nb.json\"}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        ml_report_add_result(r, lines[i], strlen(lines[i]));
    char *html = ml_report_html(r, NULL);
    CHECK(html && strstr(html, "3 verdicts differ from the baseline"));
    CHECK(html && strstr(html, "new failures (1)"));
    CHECK(html && strstr(html, "fixed (XPASS) (1)"));
    CHECK(html && strstr(html, "expected failures (1)"));
    CHECK(html && strstr(html, "changed failures (1)"));
    CHECK(html && strstr(html, "<code>new.json</code>"));
    /* a case the baseline does not know passes as expected (baseline.h) */
    CHECK(html && strstr(html, "<td class=\"n\">2</td></tr>"));
    free(html);
    ml_report_free(r);
}

static void matrix_should_read_each_environment_against_the_first(void)
{
    ml_report *r = ml_report_new(NULL);
    const char *m =
        "{\"environments\":[{\"name\":\"A <b>\",\"key\":\"joblib-1.2.0+numpy-1.24.2\",\"reducer\":\"joblib\","
        "\"python_path\":null},{\"name\":\"ref\",\"key\":\"k\",\"reducer\":\"reference\","
        "\"python_path\":\"/x/<script>\"}],\"cases\":["
        "{\"case\":\"a.json\",\"transport\":\"loky\",\"verdicts\":[\"fail:data,flags\",\"pass\"]},"
        "{\"case\":\"b.json\",\"transport\":\"loky\",\"verdicts\":[\"pass\",\"pass\"]},"
        "{\"case\":\"c.json\",\"transport\":\"reduce\",\"verdicts\":[\"pass\",\"fail:oob\"]}]}";
    char e[256];
    CHECK(ml_report_add_matrix(r, m, strlen(m), e, sizeof e));
    CHECK(!ml_report_add_matrix(r, "{\"cases\":[]}", 12, e, sizeof e));
    char *html = ml_report_html(r, NULL);
    CHECK(html && strstr(html, "3 cases × 2 environments; <span class=\"badtxt\">2 differ</span>"));
    CHECK(html && strstr(html, "id=\"matrix-diff\""));
    CHECK(html && strstr(html, "<td>ref vs A &lt;b&gt;</td>"));
    CHECK(html && strstr(html, "fixed (XPASS) (1)"));
    CHECK(html && strstr(html, "new failures (1)"));
    CHECK(html && strstr(html, "/x/&lt;script&gt;"));
    CHECK(html && markup_problem(html) == NULL);
    free(html);
    ml_report_free(r);
}

static void report_of_100000_cases_should_stay_under_2_megabytes(void)
{
    ml_report *r = ml_report_new(NULL);
    for (int i = 0; i < 3000; i++) {
        char name[64];
        snprintf(name, sizeof name, "%06d-%s-fail-data-flags.json", i * 7, i % 2 ? "loky" : "reduce");
        ml_report_add_finding(r, name, public_case, strlen(public_case), public_obs, strlen(public_obs), 0);
    }
    for (uint64_t i = 0; i < 100000; i++)
        ml_report_add_result(r, results_line(i), strlen(results_line(i)));
    size_t len;
    char *html = ml_report_html(r, &len);
    CHECK(html != NULL);
    CHECK(len < 2000000);
    CHECK(html && markup_problem(html) == NULL);
    printf("  100000 cases, 3000 findings: %zu bytes\n", len);
    free(html);
    ml_report_free(r);
}

static void layout_class_should_follow_flags_strides_and_backing(void)
{
    ml_obs o;
    memset(&o, 0, sizeof o);
    CHECK_STR(ml_report_layout_class(&o, true), "none");
    o.present = true;
    o.ndim = 2;
    o.shape[0] = 5, o.shape[1] = 3;
    o.strides[0] = 24, o.strides[1] = 8;
    o.c = true;
    CHECK_STR(ml_report_layout_class(&o, true), "copy");
    o.backed = true;
    CHECK_STR(ml_report_layout_class(&o, true), "C");
    o.c = false, o.f = true;
    CHECK_STR(ml_report_layout_class(&o, true), "F");
    o.f = false;
    CHECK_STR(ml_report_layout_class(&o, true), "strided");
    o.strides[0] = 0;
    CHECK_STR(ml_report_layout_class(&o, true), "broadcast");
    o.shape[1] = 0;
    CHECK_STR(ml_report_layout_class(&o, false), "empty");
    o.shape[1] = 3, o.strides[0] = 24, o.c = o.f = true;
    CHECK_STR(ml_report_layout_class(&o, false), "C+F");
}

static void default_path_should_be_named_after_the_input(void)
{
    char *p = ml_report_default_path("out/run-7/");
    CHECK_STR(p, "reports/run-7/index.html");
    free(p);
    p = ml_report_default_path("/tmp/x/ci/results.jsonl");
    CHECK_STR(p, "reports/ci/index.html");
    free(p);
    p = ml_report_default_path("results.jsonl");
    CHECK_STR(p, "reports/report/index.html");
    free(p);
}

static void build_should_refuse_what_is_not_a_results_directory(void)
{
    char dir[] = "/tmp/test_report.XXXXXX", err[512], out[600], path[600];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(out, sizeof out, "%s/r/index.html", dir);
    CHECK(ml_report_build(dir, out, NULL, NULL, err, sizeof err) == ML_REPORT_BAD_INPUT);
    CHECK(ml_report_build("/nonexistent/x", out, NULL, NULL, err, sizeof err) == ML_REPORT_BAD_INPUT);
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(results_line(1), f);
        fputs("\n", f);
        fclose(f);
    }
    ml_report_stats st;
    CHECK(ml_report_build(dir, out, NULL, &st, err, sizeof err) == ML_REPORT_OK);
    CHECK(st.lines == 1 && st.bytes > 1000);
    struct stat sb;
    CHECK(stat(out, &sb) == 0 && (size_t)sb.st_size == st.bytes);
    unlink(out);
    snprintf(path, sizeof path, "%s/r", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    unlink(path);
    rmdir(dir);
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[700], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK(ml_write_atomic(path, text, strlen(text), err, sizeof err));
}

/* A fuzzing store: minimized files and their originals, raw findings done
 * (raw/<name>.min) and pending. Each finding counts once. */
static void a_fuzz_store_should_count_each_finding_once(void)
{
    char dir[] = "/tmp/test_report.XXXXXX", err[512], out[600], path[600];
    CHECK(mkdtemp(dir) != NULL);
    static const char *const c =
        "{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",\"shape\":[4],\"order\":\"C\","
        "\"offset\":0,\"mode\":\"r\"},\"ops\":[],\"transport\":\"reduce\",\"seed\":0}";
    snprintf(path, sizeof path, "%s/findings/raw", dir);
    CHECK(ml_mkdirs(path, err, sizeof err));
    snprintf(path, sizeof path, "%s/findings", dir);
    put(path, "min-a.json", c);
    put(path, "min-a.orig.json", c);
    put(path, "raw/done.json", c);
    put(path, "raw/done.orig.json", c);
    put(path, "raw/done.min", "min-a\n");
    put(path, "raw/pending.json", c);
    put(path, "raw/pending.orig.json", c);
    snprintf(path, sizeof path, "%s/findings/raw/done.json", dir);
    CHECK(ml_fstore_not_a_finding(path));
    snprintf(path, sizeof path, "%s/findings/raw/pending.json", dir);
    CHECK(!ml_fstore_not_a_finding(path));
    snprintf(path, sizeof path, "%s/findings/min-a.orig.json", dir);
    CHECK(ml_fstore_not_a_finding(path));
    snprintf(path, sizeof path, "%s/findings/min-a.json", dir);
    CHECK(!ml_fstore_not_a_finding(path));
    ml_report_stats st;
    snprintf(out, sizeof out, "%s/r.html", dir);
    CHECK(ml_report_build(dir, out, NULL, &st, err, sizeof err) == ML_REPORT_OK);
    CHECK(st.findings == 2);
    ml_rmtree(dir);
}

int main(void)
{
    RUN(html_text_should_escape_markup_characters);
    RUN(html_text_should_replace_control_bytes_and_invalid_utf8);
    RUN(html_text_should_keep_valid_utf8_and_whitespace);
    RUN(html_textf_should_escape_formatted_arguments);
    RUN(ticks_should_be_round_numbers_covering_the_range);
    RUN(hostile_strings_should_never_become_markup);
    RUN(report_should_have_every_section_and_no_outside_request);
    RUN(finding_should_show_both_observations_and_the_first_differing_element);
    RUN(finding_without_detail_should_say_the_elements_were_not_captured);
    RUN(findings_should_group_by_signature_and_keep_the_smallest_case);
    RUN(triage_should_bring_the_minimized_case);
    RUN(fuzz_log_should_name_and_time_a_session_s_findings);
    RUN(a_fuzz_store_should_count_each_finding_once);
    RUN(results_should_be_counted_per_transport_and_layout);
    RUN(regression_view_should_sort_verdicts_against_the_baseline);
    RUN(matrix_should_read_each_environment_against_the_first);
    RUN(report_of_100000_cases_should_stay_under_2_megabytes);
    RUN(layout_class_should_follow_flags_strides_and_backing);
    RUN(default_path_should_be_named_after_the_input);
    RUN(build_should_refuse_what_is_not_a_results_directory);
    return check_summary("test_report");
}

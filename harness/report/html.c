/* HTML buffer, escaping and SVG charts for the report (see html.h). */
#include "html.h"
#include "fsutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ml_html_init(ml_html *h)
{
    memset(h, 0, sizeof *h);
}

void ml_html_free(ml_html *h)
{
    free(h->b.p);
    memset(h, 0, sizeof *h);
}

char *ml_html_take(ml_html *h, size_t *len)
{
    if (h->b.oom) {
        ml_html_free(h);
        return NULL;
    }
    char *s = h->b.p ? h->b.p : strdup("");
    if (len)
        *len = h->b.len;
    memset(h, 0, sizeof *h);
    return s;
}

static void put(ml_html *h, const char *s, size_t n)
{
    ml_strbuf_put(&h->b, s, n);
}

void ml_html_raw(ml_html *h, const char *s)
{
    put(h, s, strlen(s));
}

void ml_html_fmt(ml_html *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ml_strbuf_vfmt(&h->b, fmt, ap);
    va_end(ap);
}

void ml_html_textn(ml_html *h, const char *str, size_t n)
{
    static const char repl[] = "\xEF\xBF\xBD";   /* U+FFFD */
    const unsigned char *s = (const unsigned char *)str;
    if (!s)
        return;
    size_t i = 0, run = 0;   /* run: bytes at s+i-run.. that need no escaping */
    while (i < n) {
        unsigned c = s[i];
        const char *esc = NULL;
        size_t skip = 1;
        switch (c) {
        case '&': esc = "&amp;"; break;
        case '<': esc = "&lt;"; break;
        case '>': esc = "&gt;"; break;
        case '"': esc = "&quot;"; break;
        case '\'': esc = "&#39;"; break;
        case '\t': case '\n': break;
        default:
            if (c < 0x20 || c == 0x7F) {
                esc = repl;
            } else if (c >= 0x80) {
                size_t l = ml_utf8_len(s + i, n - i);
                if (!l)
                    esc = repl;
                else
                    skip = l;
            }
        }
        if (esc) {
            put(h, (const char *)s + i - run, run);
            run = 0;
            put(h, esc, strlen(esc));
            i += 1;
        } else {
            run += skip;
            i += skip;
        }
    }
    put(h, (const char *)s + i - run, run);
}

void ml_html_text(ml_html *h, const char *s)
{
    if (s)
        ml_html_textn(h, s, strlen(s));
}

void ml_html_textf(ml_html *h, const char *fmt, ...)
{
    ml_strbuf t = {0};
    va_list ap;
    va_start(ap, fmt);
    ml_strbuf_vfmt(&t, fmt, ap);
    va_end(ap);
    if (t.oom)
        h->b.oom = true;
    else if (t.p)
        ml_html_textn(h, t.p, t.len);
    free(t.p);
}

char *ml_html_escape(const char *s)
{
    ml_html h;
    ml_html_init(&h);
    ml_html_text(&h, s);
    return ml_html_take(&h, NULL);
}

/* ---- colours ------------------------------------------------------------- */

typedef struct { double at; int r, g, b; } stop;

static void ramp(const stop *st, int n, double v, char out[8], bool *dark)
{
    int i = 0;
    while (i < n - 2 && v > st[i + 1].at)
        i++;
    double f = (v - st[i].at) / (st[i + 1].at - st[i].at);
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    int r = (int)lround(st[i].r + f * (st[i + 1].r - st[i].r));
    int g = (int)lround(st[i].g + f * (st[i + 1].g - st[i].g));
    int b = (int)lround(st[i].b + f * (st[i + 1].b - st[i].b));
    snprintf(out, 8, "#%02x%02x%02x", r & 255, g & 255, b & 255);
    if (dark)
        *dark = 0.299 * r + 0.587 * g + 0.114 * b < 140;
}

void ml_html_heat(ml_heat kind, double v, char out[8], bool *dark)
{
    static const stop count[] = {{0, 0xe8, 0xf0, 0xfb}, {0.5, 0x6b, 0x9f, 0xd8}, {1, 0x1c, 0x3f, 0x8c}};
    static const stop bad[] = {{0, 0xd9, 0xf2, 0xdf}, {0.02, 0xf6, 0xe7, 0x9b}, {0.3, 0xf0, 0x9a, 0x52},
                               {1, 0xb3, 0x1b, 0x1b}};
    if (v < 0 || v != v) {
        snprintf(out, 8, "#f6f6f4");
        if (dark)
            *dark = false;
        return;
    }
    if (v > 1)
        v = 1;
    if (kind == ML_HEAT_COUNT)
        ramp(count, 3, v, out, dark);
    else
        ramp(bad, 4, v, out, dark);
}

/* ---- charts -------------------------------------------------------------- */

int ml_html_ticks(double lo, double hi, int max, double ticks[16])
{
    if (max < 2)
        max = 2;
    if (max > 16)
        max = 16;
    if (!(hi > lo)) {
        ticks[0] = lo;
        return 1;
    }
    double raw = (hi - lo) / (max - 1), mag = pow(10, floor(log10(raw))), step = mag;
    static const double mult[] = {1, 2, 5, 10};
    for (size_t i = 0; i < sizeof mult / sizeof *mult; i++)
        if (floor((hi - lo) / (step = mult[i] * mag) + 1e-9) + 1 <= max)
            break;
    int n = 0;
    for (double t = ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9 && n < 16; t += step)
        ticks[n++] = fabs(t) < step * 1e-9 ? 0 : t;
    return n;
}

static void fmt_num(char *buf, size_t len, double v)
{
    double a = fabs(v);
    if (a >= 1e6)
        snprintf(buf, len, "%gM", v / 1e6);
    else if (a >= 1e4)
        snprintf(buf, len, "%gk", v / 1e3);
    else
        snprintf(buf, len, "%g", v);
}

void ml_html_svg_chart(ml_html *h, const ml_html_chart *c)
{
    const double W = 560, H = 240, L = 58, R = 14, T = 30, B = 44;
    double pw = W - L - R, ph = H - T - B;
    ml_html_fmt(h, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\">",
                W, H, W, H);
    ml_html_raw(h, "<title>");
    ml_html_text(h, c->title);
    ml_html_raw(h, "</title><text class=\"ct\" x=\"8\" y=\"18\">");
    ml_html_text(h, c->title);
    ml_html_raw(h, "</text>");
    if (c->n <= 0) {
        ml_html_fmt(h, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" class=\"pa\"/>"
                       "<text class=\"nd\" x=\"%.0f\" y=\"%.0f\">no data</text></svg>",
                    L, T, pw, ph, L + pw / 2, T + ph / 2);
        return;
    }
    double x0 = c->x[0], x1 = c->x[0], y1 = 0;
    for (int i = 0; i < c->n; i++) {
        if (c->x[i] < x0) x0 = c->x[i];
        if (c->x[i] > x1) x1 = c->x[i];
        if (c->y[i] > y1) y1 = c->y[i];
    }
    if (x0 > 0)
        x0 = 0;
    if (!(x1 > x0))
        x1 = x0 + 1;
    double yt[16], xt[16];
    int nyt = ml_html_ticks(0, y1 > 0 ? y1 : 1, 5, yt);
    if (nyt >= 2 && yt[nyt - 1] < y1 && nyt < 16) {   /* the top gets a tick too */
        yt[nyt] = yt[nyt - 1] + (yt[1] - yt[0]);
        nyt++;
    }
    double ytop = yt[nyt - 1] < y1 ? y1 : yt[nyt - 1];
    if (!(ytop > 0))
        ytop = 1;
    int nxt = ml_html_ticks(x0, x1, 7, xt);
#define SX(v) (L + ((v) - x0) / (x1 - x0) * pw)
#define SY(v) (T + ph - (v) / ytop * ph)
    ml_html_fmt(h, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" class=\"pa\"/>", L, T, pw, ph);
    char num[32];
    for (int i = 0; i < nyt; i++) {
        fmt_num(num, sizeof num, yt[i]);
        ml_html_fmt(h, "<line class=\"gr\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                       "<text class=\"yl\" x=\"%.1f\" y=\"%.1f\">%s</text>",
                    L, L + pw, SY(yt[i]), SY(yt[i]), L - 6, SY(yt[i]) + 4, num);
    }
    for (int i = 0; i < nxt; i++) {
        fmt_num(num, sizeof num, xt[i]);
        ml_html_fmt(h, "<line class=\"tk\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                       "<text class=\"xl\" x=\"%.1f\" y=\"%.1f\">%s</text>",
                    SX(xt[i]), SX(xt[i]), T + ph, T + ph + 4, SX(xt[i]), T + ph + 17, num);
    }
    /* The path: numbers only. */
    ml_html *p = h;
    ml_html_fmt(p, "<path class=\"ln\" style=\"stroke:%s\" d=\"", c->color ? c->color : "#2b6cb0");
    for (int i = 0; i < c->n; i++) {
        if (i && c->step)
            ml_html_fmt(p, "L%.1f %.1f", SX(c->x[i]), SY(c->y[i - 1]));
        ml_html_fmt(p, "%s%.1f %.1f", i ? "L" : "M", SX(c->x[i]), SY(c->y[i]));
    }
    ml_html_raw(p, "\"/>");
    if (c->area) {
        ml_html_fmt(p, "<path class=\"ar\" style=\"fill:%s\" d=\"M%.1f %.1f", c->color ? c->color : "#2b6cb0",
                    SX(c->x[0]), SY(0));
        for (int i = 0; i < c->n; i++) {
            if (i && c->step)
                ml_html_fmt(p, "L%.1f %.1f", SX(c->x[i]), SY(c->y[i - 1]));
            ml_html_fmt(p, "L%.1f %.1f", SX(c->x[i]), SY(c->y[i]));
        }
        ml_html_fmt(p, "L%.1f %.1fZ\"/>", SX(c->x[c->n - 1]), SY(0));
    }
    if (c->n == 1)
        ml_html_fmt(p, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" style=\"fill:%s\"/>", SX(c->x[0]), SY(c->y[0]),
                    c->color ? c->color : "#2b6cb0");
    ml_html_fmt(h, "<text class=\"al\" x=\"%.1f\" y=\"%.1f\">", L + pw / 2, H - 6);
    ml_html_text(h, c->xlabel);
    ml_html_fmt(h, "</text><text class=\"al\" transform=\"translate(13 %.1f) rotate(-90)\">", T + ph / 2);
    ml_html_text(h, c->ylabel);
    ml_html_raw(h, "</text></svg>");
#undef SX
#undef SY
}

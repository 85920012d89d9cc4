/* Growable strings: see strbuf.h. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ml_strbuf_put(ml_strbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void ml_strbuf_vfmt(ml_strbuf *b, const char *fmt, va_list ap)
{
    char tmp[512];
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(tmp, sizeof tmp, fmt, aq);
    va_end(aq);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        ml_strbuf_put(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);   /* longer than the stack buffer: format again */
    if (!big) {
        b->oom = true;
        return;
    }
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    ml_strbuf_put(b, big, (size_t)n);
    free(big);
}

void ml_strbuf_fmt(ml_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ml_strbuf_vfmt(b, fmt, ap);
    va_end(ap);
}

void ml_strbuf_json(ml_strbuf *b, const char *s, size_t maxlen, bool ascii_only)
{
    ml_strbuf_put(b, "\"", 1);
    for (size_t i = 0; i < maxlen && s[i]; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            char esc[2] = {'\\', (char)ch};
            ml_strbuf_put(b, esc, 2);
        } else if (ch < 0x20 || (ascii_only && ch >= 0x7f)) {
            ml_strbuf_fmt(b, "\\u%04x", ch);
        } else {
            ml_strbuf_put(b, (const char *)&ch, 1);
        }
    }
    ml_strbuf_put(b, "\"", 1);
}


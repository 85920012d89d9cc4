/* memlayout's growable string: text built piece by piece (canonical case
 * JSON, result lines). Always NUL-terminated once anything was put; on
 * out-of-memory it stops growing and says so in oom, so a caller checks once
 * at the end. The caller frees p. */
#ifndef ML_STRBUF_H
#define ML_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} ml_strbuf;

/* Appends n bytes of s. */
void ml_strbuf_put(ml_strbuf *b, const char *s, size_t n);
/* Appends printf-formatted text. */
void ml_strbuf_fmt(ml_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ml_strbuf_vfmt(ml_strbuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Appends s (at most maxlen bytes) as a JSON string, quotes included: '"'
 * and '\\' escaped, control characters as \\u00XX, and with ascii_only
 * bytes from 0x7f up as well (the canonical case format is ASCII). */
void ml_strbuf_json(ml_strbuf *b, const char *s, size_t maxlen, bool ascii_only);

#endif

/* memlayout HTML output: a growing string buffer that keeps trusted markup
 * apart from untrusted text, and the few SVG pieces the report draws with.
 *
 * The rule: markup goes in through ml_html_raw/ml_html_fmt, whose arguments
 * must be string literals or numbers; every string that comes from a case, an
 * observation, an environment or a file name goes in through ml_html_text
 * (or textf), which escapes it for HTML text and for double-quoted attribute
 * values alike, replaces control characters and invalid UTF-8 by U+FFFD.
 *
 * Ownership: an ml_html owns its buffer until ml_html_take hands it over.
 * Out of memory is sticky: later calls do nothing and ml_html_take returns
 * NULL, so callers check once at the end. */
#ifndef ML_HTML_H
#define ML_HTML_H

#include "strbuf.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    ml_strbuf b;
} ml_html;

void ml_html_init(ml_html *h);
void ml_html_free(ml_html *h);
/* The text so far (NUL-terminated, caller frees), or NULL after an OOM. */
char *ml_html_take(ml_html *h, size_t *len);

/* Trusted markup. */
void ml_html_raw(ml_html *h, const char *s);
void ml_html_fmt(ml_html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Untrusted text: escaped. A NULL string writes nothing. */
void ml_html_text(ml_html *h, const char *s);
void ml_html_textn(ml_html *h, const char *s, size_t n);
/* Formats, then escapes the whole result (so %s arguments may be untrusted). */
void ml_html_textf(ml_html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Escaped copy of s (malloc'd, caller frees; NULL on OOM). */
char *ml_html_escape(const char *s);

/* Colour of a heatmap cell for v in [0, 1] (v < 0: the "nothing here"
 * colour), as "#rrggbb"; *dark says whether text on it should be white.
 * ML_HEAT_COUNT: white to blue; ML_HEAT_BAD: green to amber to red. */
typedef enum { ML_HEAT_COUNT, ML_HEAT_BAD } ml_heat;
void ml_html_heat(ml_heat kind, double v, char out[8], bool *dark);

/* A line chart as inline SVG. Labels are trusted text (literals); points
 * are numbers. n may be 0 (the chart says "no data"). */
typedef struct {
    const char *title, *xlabel, *ylabel;
    int n;
    const double *x, *y;
    bool step;          /* step line (counts that jump), else straight segments */
    bool area;          /* fill under the line */
    const char *color;  /* "#rrggbb" */
} ml_html_chart;
void ml_html_svg_chart(ml_html *h, const ml_html_chart *c);

/* Tick positions for an axis from lo to hi: a 1-2-5 step, up to max ticks.
 * Returns the count written to ticks (at most 16). */
int ml_html_ticks(double lo, double hi, int max, double ticks[16]);

#endif

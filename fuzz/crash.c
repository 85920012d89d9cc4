/* What a finding aborts through, and which bugs are known.
 *
 * ClusterFuzz (OSS-Fuzz, ClusterFuzzLite) groups crashes by their top three
 * frames, less abort(), raise() and the engine's own. So a finding does not
 * abort from one place: it aborts through three frames that name its bug,
 * innermost first
 *
 *     mlf_bug_id_2nd_digit_<d2>   the second hex digit of the bug id
 *     mlf_bug_id_1st_digit_<d1>   its first hex digit
 *     mlf_finding_<aspect>        the defect's aspect (signature.h)
 *
 * The same bug (ml_sig_id: kind, aspect, cause) always gives the same three
 * frames; two bugs give different ones unless they share the aspect and the
 * first two digits of their ids (1 in 256 for two bugs of one aspect).
 * Every frame is a function of its own: noinline, without arguments (so
 * nothing specializes or clones it), a distinct body (a volatile store of
 * its own constant, so no identical-code folding merges two), reached by an
 * indirect call through a volatile table that is followed by another store
 * (so no call is a tail call that would drop the caller's frame). The names
 * avoid the prefixes ClusterFuzz ignores ("abort", "main", "new", ...).
 *
 * Known bugs (MLF_KNOWN): a list of bug ids; a finding all of whose defects
 * are known is counted (and stored when MLF_FINDINGS is set) instead of
 * aborting, so that fuzzing CI fails on new bugs only. */
#include "fuzz.h"
#include "fsutil.h"

#include <cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__clang__)
#define MLF_FRAME __attribute__((noinline, used, disable_tail_calls))
#elif defined(__GNUC__)
#define MLF_FRAME __attribute__((noinline, noclone, used, optimize("no-optimize-sibling-calls")))
#else
#define MLF_FRAME
#endif

typedef void (*mlf_frame_fn)(void);

static volatile unsigned frame_sink;
static volatile unsigned digit[2];   /* the first two hex digits of the bug id */

/* The innermost frame: the second digit, then abort(). */
#define MLF_DIGIT2(x)                                                          \
    static MLF_FRAME void mlf_bug_id_2nd_digit_##x(void)                       \
    {                                                                          \
        frame_sink = 0x200 + 0x##x;                                            \
        abort();                                                               \
    }
MLF_DIGIT2(0) MLF_DIGIT2(1) MLF_DIGIT2(2) MLF_DIGIT2(3) MLF_DIGIT2(4) MLF_DIGIT2(5) MLF_DIGIT2(6) MLF_DIGIT2(7)
MLF_DIGIT2(8) MLF_DIGIT2(9) MLF_DIGIT2(a) MLF_DIGIT2(b) MLF_DIGIT2(c) MLF_DIGIT2(d) MLF_DIGIT2(e) MLF_DIGIT2(f)

static mlf_frame_fn volatile second[16] = {
    mlf_bug_id_2nd_digit_0, mlf_bug_id_2nd_digit_1, mlf_bug_id_2nd_digit_2, mlf_bug_id_2nd_digit_3,
    mlf_bug_id_2nd_digit_4, mlf_bug_id_2nd_digit_5, mlf_bug_id_2nd_digit_6, mlf_bug_id_2nd_digit_7,
    mlf_bug_id_2nd_digit_8, mlf_bug_id_2nd_digit_9, mlf_bug_id_2nd_digit_a, mlf_bug_id_2nd_digit_b,
    mlf_bug_id_2nd_digit_c, mlf_bug_id_2nd_digit_d, mlf_bug_id_2nd_digit_e, mlf_bug_id_2nd_digit_f,
};

#define MLF_DIGIT1(x)                                                          \
    static MLF_FRAME void mlf_bug_id_1st_digit_##x(void)                       \
    {                                                                          \
        frame_sink = 0x100 + 0x##x;                                            \
        second[digit[1] & 15]();                                               \
        frame_sink = 0x110 + 0x##x;                                            \
    }
MLF_DIGIT1(0) MLF_DIGIT1(1) MLF_DIGIT1(2) MLF_DIGIT1(3) MLF_DIGIT1(4) MLF_DIGIT1(5) MLF_DIGIT1(6) MLF_DIGIT1(7)
MLF_DIGIT1(8) MLF_DIGIT1(9) MLF_DIGIT1(a) MLF_DIGIT1(b) MLF_DIGIT1(c) MLF_DIGIT1(d) MLF_DIGIT1(e) MLF_DIGIT1(f)

static mlf_frame_fn volatile first[16] = {
    mlf_bug_id_1st_digit_0, mlf_bug_id_1st_digit_1, mlf_bug_id_1st_digit_2, mlf_bug_id_1st_digit_3,
    mlf_bug_id_1st_digit_4, mlf_bug_id_1st_digit_5, mlf_bug_id_1st_digit_6, mlf_bug_id_1st_digit_7,
    mlf_bug_id_1st_digit_8, mlf_bug_id_1st_digit_9, mlf_bug_id_1st_digit_a, mlf_bug_id_1st_digit_b,
    mlf_bug_id_1st_digit_c, mlf_bug_id_1st_digit_d, mlf_bug_id_1st_digit_e, mlf_bug_id_1st_digit_f,
};

/* The outermost of the three: one per aspect (signature.c's ml_sig_all). */
#define MLF_ASPECT(name, k)                                                    \
    static MLF_FRAME void mlf_finding_##name(void)                             \
    {                                                                          \
        frame_sink = 0x300 + (k);                                              \
        first[digit[0] & 15]();                                                \
        frame_sink = 0x400 + (k);                                              \
    }
MLF_ASPECT(order, 0)
MLF_ASPECT(bounds, 1)
MLF_ASPECT(rebuild, 2)
MLF_ASPECT(writeable, 3)
MLF_ASPECT(dtype, 4)
MLF_ASPECT(values, 5)
MLF_ASPECT(shape, 6)
MLF_ASPECT(write, 7)
MLF_ASPECT(crash, 8)
MLF_ASPECT(model, 9)
MLF_ASPECT(build, 10)
MLF_ASPECT(protocol, 11)
MLF_ASPECT(other, 12)   /* a verdict with no aspect: never expected */

static const struct {
    const char *aspect;
    mlf_frame_fn fn;
} aspects[] = {
    {"order", mlf_finding_order},         {"bounds", mlf_finding_bounds},
    {"rebuild", mlf_finding_rebuild},     {"writeable", mlf_finding_writeable},
    {"dtype", mlf_finding_dtype},         {"values", mlf_finding_values},
    {"shape", mlf_finding_shape},         {"write", mlf_finding_write},
    {"crash", mlf_finding_crash},         {"model", mlf_finding_model},
    {"build", mlf_finding_build},         {"protocol", mlf_finding_protocol},
};

static unsigned hexval(char ch)
{
    return ch >= '0' && ch <= '9' ? (unsigned)(ch - '0') : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
         : ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10) : 0;
}

void mlf_crash_bug(const char *aspect, const char *id)
{
    static mlf_frame_fn volatile fn;
    fn = mlf_finding_other;
    for (size_t i = 0; i < sizeof aspects / sizeof aspects[0]; i++)
        if (aspect && !strcmp(aspect, aspects[i].aspect))
            fn = aspects[i].fn;
    digit[0] = id && id[0] ? hexval(id[0]) : 0;
    digit[1] = id && id[0] && id[1] ? hexval(id[1]) : 0;
    fn();
    abort();   /* not reached */
}

/* ---- known bugs ------------------------------------------------------------------ */

static mlf_hset known;
static bool known_loaded;

static bool is_id(const char *s, size_t n)
{
    if (n != 8)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* An id as a non-zero key. */
static uint64_t id_key(const char *s)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 4 | hexval(s[i]);
    return v | (uint64_t)1 << 32;
}

static void known_add(const char *s, size_t n, const char *path, int line)
{
    if (!is_id(s, n)) {
        char what[PATH_MAX + 64];
        snprintf(what, sizeof what, "%s%s%d: expected a bug id (8 hex digits)", path, line ? ":" : "",
                 line);
        if (!line)
            snprintf(what, sizeof what, "%s: expected a JSON list of bug ids (8 hex digits)", path);
        mlf_harness_bug("MLF_KNOWN", what);
    }
    mlf_hset_add(&known, id_key(s));
}

/* One id a line (the first word; blank lines and # comments skipped), or a
 * JSON list of ids. */
static void known_parse(const char *path, const char *text)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '[') {
        cJSON *list = cJSON_Parse(text);
        if (!cJSON_IsArray(list))
            known_add("", 0, path, 0);
        cJSON *it;
        cJSON_ArrayForEach(it, list) {
            const char *s = cJSON_GetStringValue(it);
            known_add(s ? s : "", s ? strlen(s) : 0, path, 0);
        }
        cJSON_Delete(list);
        return;
    }
    int line = 0;
    for (const char *l = text, *next; *l; l = next) {
        next = strchr(l, '\n');
        next = next ? next + 1 : l + strlen(l);
        line++;
        while (l < next && (*l == ' ' || *l == '\t'))
            l++;
        if (l == next || *l == '\n' || *l == '\r' || *l == '#')
            continue;
        size_t n = strcspn(l, " \t\r\n");
        known_add(l, n, path, line);
    }
}

/* MLF_KNOWN=FILE; unset: memlayout_known.txt beside the binary (an OSS-Fuzz
 * $OUT, fuzz/build.sh puts it there); "" or "none": no known bugs. */
static void known_load(void)
{
    if (known_loaded)
        return;
    known_loaded = true;
    const char *env = getenv("MLF_KNOWN");
    char path[PATH_MAX + 32];
    path[0] = 0;
    if (env) {
        if (!*env || !strcmp(env, "none"))
            return;
        snprintf(path, sizeof path, "%s", env);
    } else {
        char exe[PATH_MAX];
        if (!mlf_exe_dir(exe, sizeof exe))
            return;
        snprintf(path, sizeof path, "%s/memlayout_known.txt", exe);
        if (access(path, R_OK) != 0)
            return;
    }
    char err[512];
    size_t len;
    char *text = ml_read_file(path, (size_t)1 << 20, &len, err, sizeof err);
    if (!text)
        mlf_harness_bug("MLF_KNOWN", err);
    known_parse(path, text);
    free(text);
    mlf_stats_get()->known_listed = known.n;
    if (!mlf_cfg()->quiet)
        fprintf(stderr, "memlayout-fuzz: %zu known bug%s (%s): findings of only those do not abort\n", known.n,
                known.n == 1 ? "" : "s", path);
}

size_t mlf_known_count(void)
{
    known_load();
    return known.n;
}

bool mlf_known(const char *id)
{
    known_load();
    return known.n && id && is_id(id, strlen(id)) && mlf_hset_has(&known, id_key(id));
}

/* Unit tests of the case model (harness/lib/case.c): the malformed cases in
 * tests/bad with their exact messages (tests/bad/EXPECTED), the canonical
 * cases in tests/good round-tripping byte for byte, NumPy's shape rules for
 * each op, and parsing that never crashes on mangled input.
 * Runs from the repository root. */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>

#include "case.h"
#include "check.h"
#include "layout.h"

#define EXAMPLE "{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",\"shape\":[15]," \
                "\"order\":\"C\",\"offset\":0,\"mode\":\"r\"},\"ops\":[{\"op\":\"reshape\"," \
                "\"shape\":[5,3],\"order\":\"C\"}],\"transport\":\"loky\",\"seed\":1}\n"

/* Whole file, NULs and all; NULL if unreadable. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (buf)
        *len = n;
    return buf;
}

static bool parse(const char *s, ml_case *c, char err[ML_ERR_MAX])
{
    return ml_case_parse(s, strlen(s), NULL, c, err, ML_ERR_MAX);
}

/* The error parsing s gives, or "ok". */
static const char *error_of(const char *s)
{
    static char err[ML_ERR_MAX];
    ml_case c;
    return parse(s, &c, err) ? "ok" : err;
}

/* The example case with its ops array replaced. */
static const char *with_ops(const char *backing_shape, const char *ops)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"npy\",\"shape\":%s,"
             "\"order\":\"C\",\"offset\":0,\"mode\":\"r\"},\"ops\":[%s],\"transport\":\"loky\","
             "\"seed\":1}",
             backing_shape, ops);
    return buf;
}

/* Final shape after the ops as "[a,b]", or the error. */
static const char *shape_of(const char *backing_shape, const char *ops)
{
    static char out[ML_ERR_MAX];
    ml_case c;
    if (!parse(with_ops(backing_shape, ops), &c, out))
        return out;
    int64_t shape[ML_MAX_NDIM];
    int nd = ml_case_shape_after(&c, c.nops, shape);
    size_t o = 0;
    out[o++] = '[';
    for (int i = 0; i < nd; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%lld", i ? "," : "", (long long)shape[i]);
    snprintf(out + o, sizeof out - o, "]");
    return nd < 0 ? "invalid" : out;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

static void bad_cases_should_fail_with_their_expected_message(void)
{
    size_t len;
    char *expected = slurp("tests/bad/EXPECTED", &len);
    CHECK(expected != NULL);
    if (!expected)
        return;
    expected = realloc(expected, len + 1);
    expected[len] = '\0';
    int listed = 0;
    for (char *line = strtok(expected, "\n"); line; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t'), path[512], err[ML_ERR_MAX];
        CHECK(tab != NULL);
        if (!tab)
            continue;
        *tab = '\0';
        snprintf(path, sizeof path, "tests/bad/%s", line);
        size_t n;
        char *text = slurp(path, &n);
        CHECK(text != NULL);
        if (!text)
            continue;
        ml_case c;
        bool ok = ml_case_parse(text, n, NULL, &c, err, sizeof err);
        CHECK(!ok);
        if (ok || strcmp(err, tab + 1) != 0)
            fprintf(stderr, "  in %s\n", path);
        CHECK_STR(ok ? "(accepted)" : err, tab + 1);
        free(text);
        listed++;
    }
    free(expected);

    /* Every file in tests/bad is listed, so none is silently skipped. */
    int files = 0;
    DIR *d = opendir("tests/bad");
    CHECK(d != NULL);
    for (struct dirent *e; d && (e = readdir(d));)
        files += ends_with(e->d_name, ".json");
    if (d)
        closedir(d);
    CHECK(files == listed);
    CHECK(listed >= 25);
}

static void good_cases_should_round_trip_byte_for_byte(void)
{
    int seen = 0;
    DIR *d = opendir("tests/good");
    CHECK(d != NULL);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!ends_with(e->d_name, ".json"))
            continue;
        char path[512], err[ML_ERR_MAX];
        size_t n;
        snprintf(path, sizeof path, "tests/good/%s", e->d_name);
        char *text = slurp(path, &n);
        CHECK(text != NULL);
        if (!text)
            continue;
        ml_case c, again;
        bool ok = ml_case_parse(text, n, NULL, &c, err, sizeof err);
        if (!ok)
            fprintf(stderr, "  %s: %s\n", path, err);
        CHECK(ok);
        CHECK(ml_case_validate(&c, NULL, err, sizeof err));
        char *out = ok ? ml_case_write(&c) : NULL;
        CHECK(out && strlen(out) == n && memcmp(out, text, n) == 0);
        if (out && (strlen(out) != n || memcmp(out, text, n) != 0))
            fprintf(stderr, "  %s rewrites as %s", path, out);
        CHECK(out && ml_case_parse(out, strlen(out), NULL, &again, err, sizeof err) &&
              ml_case_equal(&c, &again));
        free(out);
        free(text);
        seen++;
    }
    if (d)
        closedir(d);
    CHECK(seen >= 10);
}

static void parse_should_accept_the_example_of_the_docs(void)
{
    ml_case c;
    char err[ML_ERR_MAX];
    CHECK(parse(EXAMPLE, &c, err));
    CHECK(c.dtype.nfields == 0 && c.dtype.scalar.kind == 'f' && c.dtype.scalar.size == 8);
    CHECK(c.source == ML_SRC_RAW && c.ndim == 1 && c.shape[0] == 15 && c.order == 'C');
    CHECK(c.nops == 1 && c.ops[0].kind == ML_OP_RESHAPE && c.ops[0].ndim == 2);
    CHECK(c.transport == ML_T_LOKY && c.seed == 1);
    char *out = ml_case_write(&c);
    CHECK_STR(out, EXAMPLE);
    free(out);
}

static void parse_should_accept_any_key_order_and_spacing_and_write_it_canonically(void)
{
    const char *loose =
        " {\n\t\"seed\" : 1, \"transport\":\"loky\", \"ops\":[ {\"order\":\"C\",\"shape\":[5, 3],"
        "\"op\":\"reshape\"} ],\r\n\"backing\":{\"mode\":\"r\",\"offset\":0,\"order\":\"C\","
        "\"shape\":[15.0],\"source\":\"raw\"}, \"dtype\":\"\\u003cf8\", \"memlayout\":1e0 }\n\n";
    ml_case c;
    char err[ML_ERR_MAX];
    CHECK(parse(loose, &c, err));
    char *out = ml_case_write(&c);
    CHECK_STR(out, EXAMPLE);
    free(out);
}

static void parse_should_read_only_len_bytes(void)
{
    char buf[sizeof EXAMPLE + 16];
    ml_case c;
    char err[ML_ERR_MAX];
    memcpy(buf, EXAMPLE, sizeof EXAMPLE - 1);
    memcpy(buf + sizeof EXAMPLE - 1, "garbage{[\"\0\"x", 14);
    CHECK(ml_case_parse(buf, sizeof EXAMPLE - 1, NULL, &c, err, sizeof err));
    /* One byte more is trailing data. */
    CHECK(!ml_case_parse(buf, sizeof EXAMPLE, NULL, &c, err, sizeof err));
    CHECK_STR(err, "$: not valid JSON near byte 183");
}

static void parse_should_reject_embedded_nuls(void)
{
    char buf[sizeof EXAMPLE];
    ml_case c;
    char err[ML_ERR_MAX];
    memcpy(buf, EXAMPLE, sizeof EXAMPLE);
    buf[168] = '\0';            /* inside "loky" */
    CHECK(!ml_case_parse(buf, sizeof EXAMPLE - 1, NULL, &c, err, sizeof err));
    CHECK_STR(err, "$: not valid JSON near byte 168");
    CHECK(!ml_case_parse(NULL, 0, NULL, &c, err, sizeof err));
    CHECK_STR(err, "$: not valid JSON near byte 0");
}

static void parse_should_reject_every_truncation_of_a_good_case(void)
{
    size_t n = strlen(EXAMPLE);
    ml_case c;
    char err[ML_ERR_MAX];
    for (size_t k = 0; k + 1 < n; k++) {
        bool ok = ml_case_parse(EXAMPLE, k, NULL, &c, err, sizeof err);
        CHECK(!ok);
        if (ok)
            fprintf(stderr, "  accepted the first %zu bytes\n", k);
    }
    CHECK(ml_case_parse(EXAMPLE, n - 1, NULL, &c, err, sizeof err));   /* without '\n' */
}

static void parse_should_reject_wrong_types_with_the_expected_type(void)
{
    CHECK_STR(error_of("{\"memlayout\":\"1\"}"), "memlayout: expected integer");
    CHECK_STR(error_of("{\"memlayout\":1.5}"), "memlayout: expected integer");
    CHECK_STR(error_of("{\"memlayout\":true}"), "memlayout: expected integer");
    CHECK_STR(error_of("{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":[]}"), "backing: expected object");
    CHECK_STR(error_of(with_ops("[3]", "{\"op\":\"transpose\",\"axes\":0}")),
              "ops[0].axes: expected array or null");
    CHECK_STR(error_of(with_ops("[3]", "{\"op\":\"slice\",\"axis\":0,\"start\":\"1\",\"stop\":null,\"step\":1}")),
              "ops[0].start: expected integer or null");
    CHECK_STR(error_of(with_ops("[3]", "{\"op\":\"slice\",\"axis\":0,\"start\":1,\"stop\":null,\"step\":null}")),
              "ops[0].step: expected integer");
    CHECK_STR(error_of(with_ops("[3]", "[]")), "ops[0]: expected object");
    CHECK_STR(error_of(with_ops("[3]", "{\"op\":7}")), "ops[0].op: expected string");
    CHECK_STR(error_of(with_ops("[3]", "{\"shape\":[3]}")), "ops[0].op: missing");
    CHECK_STR(error_of(with_ops("[3]", "{\"op\":\"view\",\"dtype\":[[\"a\"]]}")),
              "ops[0].dtype[0]: expected a [name, dtype] pair or a [name, dtype, shape] triple");
    CHECK_STR(error_of(with_ops("[3]", "{\"op\":\"view\",\"dtype\":[[\"a\",8]]}")),
              "ops[0].dtype[0][1]: expected string or array");
    CHECK_STR(error_of(with_ops("[3]", "{\"op\":\"ravel\",\"order\":\"CF\"}")),
              "ops[0].order: must be \"C\", \"F\", \"A\" or \"K\"");
}

static void parse_should_accept_integers_up_to_2_53_only(void)
{
    char err[ML_ERR_MAX];
    ml_case c;
    const char *max = "{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",\"shape\":[1],"
                      "\"order\":\"C\",\"offset\":0,\"mode\":\"r\"},\"ops\":[],\"transport\":\"loky\","
                      "\"seed\":9007199254740991}\n";
    CHECK(parse(max, &c, err));
    CHECK(c.seed == ML_MAX_SEED);
    char *out = ml_case_write(&c);
    CHECK_STR(out, max);        /* printed as digits, never 9.007e+15 */
    free(out);
    /* 2^53 + 1 reads as 2^53 (a double), the next double is refused. */
    CHECK_STR(error_of(with_ops("[3]", "{\"op\":\"index\",\"axis\":0,\"index\":9007199254740994}")),
              "ops[0].index: integer out of range (magnitude above 2^53)");
    CHECK_STR(error_of(with_ops("[3]", "{\"op\":\"index\",\"axis\":0,\"index\":1e400}")),
              "ops[0].index: integer out of range (magnitude above 2^53)");
    CHECK_STR(error_of(with_ops("[3]", "{\"op\":\"index\",\"axis\":0,\"index\":-9007199254740992}")),
              "ops[0].index: index -9007199254740992 is out of range for a dim of size 3");
}

static void parse_should_quote_user_text_on_one_clean_line(void)
{
    const char *s = with_ops("[3]", "{\"op\":\"view\",\"dtype\":\"\\n\\u00e9\\\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}");
    CHECK_STR(error_of(s),
              "ops[0].dtype: unknown dtype \"\\x0a\\xc3\\xa9\\x22xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"");
    CHECK_STR(error_of("{\"memlayout\":1,\"a\\tb\":2}"), "a\\x09b: unknown key");
}

static void errors_should_fit_any_buffer(void)
{
    char small[12];
    ml_case c;
    memset(small, 'x', sizeof small);
    CHECK(!ml_case_parse("{\"memlayout\":2}", 15, NULL, &c, small, sizeof small));
    CHECK_STR(small, "memlayout: ");
    CHECK(!ml_case_parse("{\"memlayout\":2}", 15, NULL, &c, NULL, 0));
    CHECK(!ml_case_parse("{\"memlayout\":2}", 15, NULL, &c, small, 0));
}

static void the_byte_cap_should_follow_the_limits_and_count_the_offset(void)
{
    ml_limits lim = {1000};
    ml_case c;
    char err[ML_ERR_MAX];
    const char *fits = "{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",\"shape\":[125],"
                       "\"order\":\"C\",\"offset\":0,\"mode\":\"r\"},\"ops\":[],\"transport\":\"loky\",\"seed\":1}";
    CHECK(ml_case_parse(fits, strlen(fits), &lim, &c, err, sizeof err));
    c.shape[0] = 126;
    CHECK(!ml_case_validate(&c, &lim, err, sizeof err));
    CHECK_STR(err, "backing.shape: 126 elements of 8 bytes exceed the 1000-byte cap");
    c.shape[0] = 124;
    c.offset = 9;
    CHECK(!ml_case_validate(&c, &lim, err, sizeof err));
    CHECK_STR(err, "backing.offset: 9 bytes of offset and 992 bytes of data exceed the 1000-byte cap");
    c.offset = 8;
    CHECK(ml_case_validate(&c, &lim, err, sizeof err));
    CHECK(!ml_case_validate(&c, &(ml_limits){10}, err, sizeof err));
    CHECK(ml_case_validate(&c, NULL, err, sizeof err));     /* default: 64 MiB */
}

static void reshape_should_resolve_minus_one_like_numpy(void)
{
    CHECK_STR(shape_of("[12]", "{\"op\":\"reshape\",\"shape\":[-1,4],\"order\":\"C\"}"), "[3,4]");
    CHECK_STR(shape_of("[12]", "{\"op\":\"reshape\",\"shape\":[2,-1,2],\"order\":\"F\"}"), "[2,3,2]");
    CHECK_STR(shape_of("[0,4]", "{\"op\":\"reshape\",\"shape\":[-1,8],\"order\":\"C\"}"), "[0,8]");
    CHECK_STR(shape_of("[1]", "{\"op\":\"reshape\",\"shape\":[],\"order\":\"C\"}"), "[]");
    CHECK_STR(shape_of("[]", "{\"op\":\"reshape\",\"shape\":[-1],\"order\":\"C\"}"), "[1]");
    /* NumPy will not guess -1 next to a 0, even for an empty array. */
    CHECK_STR(shape_of("[0]", "{\"op\":\"reshape\",\"shape\":[-1,0],\"order\":\"C\"}"),
              "ops[0].reshape: 0 elements cannot take shape [-1,0]");
    CHECK_STR(shape_of("[12]", "{\"op\":\"reshape\",\"shape\":[5,-1],\"order\":\"C\"}"),
              "ops[0].reshape: 12 elements cannot take shape [5,-1]");
    CHECK_STR(shape_of("[12]", "{\"op\":\"reshape\",\"shape\":[-2,6],\"order\":\"C\"}"),
              "ops[0].shape[0]: must be >= -1");
    CHECK_STR(shape_of("[12]", "{\"op\":\"reshape\",\"shape\":[12],\"order\":\"A\"}"),
              "ops[0].order: must be \"C\" or \"F\"");
}

static void slice_should_count_like_python_slices(void)
{
    /* Expected lengths from len(range(n)[start:stop:step]). */
    static const struct {
        const char *start, *stop;
        int step;
        const char *shape;
    } t[] = {
        {"null", "null", 1, "[7]"}, {"null", "null", -1, "[7]"}, {"null", "null", 2, "[4]"},
        {"null", "null", -3, "[3]"}, {"1", "-1", 1, "[5]"}, {"-1", "1", -1, "[5]"},
        {"7", "null", -1, "[7]"}, {"-7", "null", -2, "[1]"}, {"5", "2", 1, "[0]"},
        {"null", "-7", -1, "[6]"}, {"0", "7", 100, "[1]"}, {"7", "-7", -100, "[1]"},
        {"null", "0", -1, "[6]"}, {"3", "3", -1, "[0]"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char op[256];
        snprintf(op, sizeof op, "{\"op\":\"slice\",\"axis\":0,\"start\":%s,\"stop\":%s,\"step\":%d}",
                 t[i].start, t[i].stop, t[i].step);
        const char *got = shape_of("[7]", op);
        if (strcmp(got, t[i].shape) != 0)
            fprintf(stderr, "  [%s:%s:%d] of 7\n", t[i].start, t[i].stop, t[i].step);
        CHECK_STR(got, t[i].shape);
    }
    CHECK_STR(shape_of("[0]", "{\"op\":\"slice\",\"axis\":0,\"start\":0,\"stop\":0,\"step\":-1}"), "[0]");
    CHECK_STR(shape_of("[7]", "{\"op\":\"slice\",\"axis\":0,\"start\":-8,\"stop\":null,\"step\":1}"),
              "ops[0].start: -8 is out of range [-7, 7]");
    CHECK_STR(shape_of("[7]", "{\"op\":\"slice\",\"axis\":0,\"start\":null,\"stop\":8,\"step\":1}"),
              "ops[0].stop: 8 is out of range [-7, 7]");
}

static void axis_ops_should_move_dims_like_numpy(void)
{
    CHECK_STR(shape_of("[2,3,4]", "{\"op\":\"transpose\",\"axes\":null}"), "[4,3,2]");
    CHECK_STR(shape_of("[2,3,4]", "{\"op\":\"transpose\",\"axes\":[1,-1,0]}"), "[3,4,2]");
    CHECK_STR(shape_of("[]", "{\"op\":\"transpose\",\"axes\":[]}"), "[]");
    CHECK_STR(shape_of("[2,3,4]", "{\"op\":\"swapaxes\",\"axis1\":0,\"axis2\":-1}"), "[4,3,2]");
    CHECK_STR(shape_of("[2,3,4]", "{\"op\":\"moveaxis\",\"source\":0,\"destination\":-1}"), "[3,4,2]");
    CHECK_STR(shape_of("[2,3,4]", "{\"op\":\"moveaxis\",\"source\":-1,\"destination\":0}"), "[4,2,3]");
    CHECK_STR(shape_of("[2,3,4]", "{\"op\":\"moveaxis\",\"source\":1,\"destination\":1}"), "[2,3,4]");
    CHECK_STR(shape_of("[2,3,4]", "{\"op\":\"index\",\"axis\":-2,\"index\":-3}"), "[2,4]");
    CHECK_STR(shape_of("[2,3]", "{\"op\":\"newaxis\",\"axis\":2}"), "[2,3,1]");
    CHECK_STR(shape_of("[2,3]", "{\"op\":\"newaxis\",\"axis\":-1}"), "[2,3,1]");
    CHECK_STR(shape_of("[2,3]", "{\"op\":\"newaxis\",\"axis\":-3}"), "[1,2,3]");
    CHECK_STR(shape_of("[2,3]", "{\"op\":\"newaxis\",\"axis\":3}"),
              "ops[0].axis: axis 3 is out of range for inserting into 2 dims");
    CHECK_STR(shape_of("[2,1,3]", "{\"op\":\"squeeze\",\"axis\":-2}"), "[2,3]");
    CHECK_STR(shape_of("[2,3,4]", "{\"op\":\"ravel\",\"order\":\"K\"}"), "[24]");
    CHECK_STR(shape_of("[]", "{\"op\":\"ravel\",\"order\":\"C\"}"), "[1]");
    CHECK_STR(shape_of("[]", "{\"op\":\"swapaxes\",\"axis1\":0,\"axis2\":0}"),
              "ops[0].axis1: axis 0 is out of range for 0 dims");
    CHECK_STR(shape_of("[0]", "{\"op\":\"index\",\"axis\":0,\"index\":0}"),
              "ops[0].index: index 0 is out of range for a dim of size 0");
    /* NumPy lets squeeze(0) and squeeze(-1) through on a 0-dim array. */
    CHECK_STR(shape_of("[]", "{\"op\":\"squeeze\",\"axis\":-1},{\"op\":\"squeeze\",\"axis\":0}"), "[]");
    CHECK_STR(shape_of("[]", "{\"op\":\"squeeze\",\"axis\":1}"),
              "ops[0].axis: axis 1 is out of range for 0 dims");
}

static void newaxis_should_stop_at_32_dims(void)
{
    char shape[128], ops[64];
    snprintf(shape, sizeof shape, "[%s1]", "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,");
    snprintf(ops, sizeof ops, "{\"op\":\"newaxis\",\"axis\":0}");
    CHECK_STR(shape_of(shape, ops), "ops[0].newaxis: the result would have 33 dims, more than 32");
}

static void view_should_recut_the_last_axis_like_numpy(void)
{
    CHECK_STR(shape_of("[2,3]", "{\"op\":\"view\",\"dtype\":\"<i4\"}"), "[2,6]");
    CHECK_STR(shape_of("[2,4]", "{\"op\":\"view\",\"dtype\":\"<c16\"}"), "[2,2]");
    CHECK_STR(shape_of("[2,0]", "{\"op\":\"view\",\"dtype\":\"<c16\"}"), "[2,0]");
    CHECK_STR(shape_of("[3]", "{\"op\":\"view\",\"dtype\":[[\"a\",\"<i4\"],[\"b\",\"<i2\"],[\"c\",\"<i2\"]]}"), "[3]");
    CHECK_STR(shape_of("[]", "{\"op\":\"view\",\"dtype\":\">u8\"}"), "[]");
    CHECK_STR(shape_of("[3]", "{\"op\":\"view\",\"dtype\":\"<c16\"}"),
              "ops[0].view: the last axis of 24 bytes is not a multiple of the 16-byte item size");
    CHECK_STR(shape_of("[3]", "{\"op\":\"view\",\"dtype\":\"<i4\"},{\"op\":\"view\",\"dtype\":\"<c8\"}"), "[3]");
    CHECK_STR(shape_of("[3]", "{\"op\":\"view\",\"dtype\":\"|b1\"},{\"op\":\"index\",\"axis\":0,\"index\":23}"), "[]");
    /* The last axis must be contiguous, wherever the view comes in the chain. */
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"slice\",\"axis\":0,\"start\":null,\"stop\":null,\"step\":2},"
                                "{\"op\":\"view\",\"dtype\":\"<f4\"}"), "[2,12]");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"slice\",\"axis\":1,\"start\":null,\"stop\":null,\"step\":2},"
                                "{\"op\":\"view\",\"dtype\":\"<f4\"}"),
              "ops[1].view: the last axis is not contiguous (stride 16, item size 8)");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"transpose\",\"axes\":null},{\"op\":\"slice\",\"axis\":1,"
                                "\"start\":0,\"stop\":1,\"step\":1},{\"op\":\"view\",\"dtype\":\"<f4\"}"), "[6,2]");
}

static void broadcast_should_follow_numpy_broadcast_to(void)
{
    CHECK_STR(shape_of("[3,1]", "{\"op\":\"broadcast\",\"shape\":[2,3,4]}"), "[2,3,4]");
    CHECK_STR(shape_of("[1]", "{\"op\":\"broadcast\",\"shape\":[0]}"), "[0]");
    CHECK_STR(shape_of("[]", "{\"op\":\"broadcast\",\"shape\":[]}"), "[]");
    CHECK_STR(shape_of("[0]", "{\"op\":\"broadcast\",\"shape\":[1]}"),
              "ops[0].broadcast: cannot broadcast shape [0] to [1]");
    CHECK_STR(shape_of("[2,3]", "{\"op\":\"broadcast\",\"shape\":[3]}"),
              "ops[0].broadcast: cannot broadcast shape [2,3] to [3]");
    CHECK_STR(shape_of("[2]", "{\"op\":\"broadcast\",\"shape\":[-1,2]}"), "ops[0].shape[0]: must be >= 0");
}

static void shape_after_should_stop_at_nops_and_refuse_broken_chains(void)
{
    ml_case c;
    char err[ML_ERR_MAX];
    int64_t shape[ML_MAX_NDIM];
    CHECK(parse(EXAMPLE, &c, err));
    CHECK(ml_case_shape_after(&c, 0, shape) == 1 && shape[0] == 15);
    CHECK(ml_case_shape_after(&c, 1, shape) == 2 && shape[0] == 5 && shape[1] == 3);
    CHECK(ml_case_shape_after(&c, 2, shape) == -1);
    CHECK(ml_case_shape_after(&c, -1, shape) == -1);
    c.ops[0].shape[0] = 4;
    CHECK(ml_case_shape_after(&c, 1, shape) == -1);
    CHECK(ml_case_shape_after(&c, 0, shape) == 1);
    /* No byte cap here: only the chain's own rules. */
    c.shape[0] = ML_MAX_DIM;
    c.nops = 0;
    CHECK(ml_case_shape_after(&c, 0, shape) == 1 && shape[0] == ML_MAX_DIM);
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
}

static void validate_should_give_parse_messages_for_c_built_cases(void)
{
    ml_case c;
    char err[ML_ERR_MAX];
    CHECK(parse(EXAMPLE, &c, err));
    c.ops[0].shape[1] = 4;
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "ops[0].reshape: 15 elements cannot take shape [5,4]");
    c.ops[0] = (ml_op){.kind = ML_OP_SQUEEZE, .axis = 0};
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "ops[0].axis: cannot squeeze axis 0 of size 15");
    c.ops[0] = (ml_op){.kind = ML_OP_RAVEL, .order = 'Z'};
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "ops[0].order: must be \"C\", \"F\", \"A\" or \"K\"");
    c.ops[0] = (ml_op){.kind = ML_OP_COUNT};
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "ops[0].op: unknown op 21");
    c.nops = 0;
    c.dtype.scalar.byteorder = '=';
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "dtype: dtype \"=f8\" needs byte order \"<\" or \">\"");
    c.dtype.nfields = 2;
    strcpy(c.dtype.names[0], "a");
    memset(c.dtype.names[1], 'b', ML_FIELD_NAME_MAX);   /* not terminated */
    c.dtype.fields[0] = c.dtype.fields[1] = (ml_scalar){'i', '<', 4};
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "dtype[1][0]: field name \"bbbbbbbbbbbbbbbb\" must be 1 to 15 characters of "
                   "[A-Za-z0-9_], not starting with a digit");
    c.dtype.nfields = 0;
    c.dtype.scalar.byteorder = '<';
    c.transport = ML_T_COUNT;
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "transport: unknown transport 13");
    c.transport = ML_T_LOKY;
    c.seed = ML_MAX_SEED + 1;
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "seed: must be <= 9007199254740991");
    c.seed = 0;
    c.nops = ML_MAX_OPS + 1;
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "ops: 17 ops, more than 16");
}

static void equal_should_ignore_fields_an_op_does_not_use(void)
{
    ml_case a, b;
    char err[ML_ERR_MAX];
    CHECK(parse(EXAMPLE, &a, err));
    b = a;
    b.ops[0].axis = 7;
    b.ops[0].axes[0] = 3;
    b.ops[0].shape[5] = 99;
    CHECK(ml_case_equal(&a, &b));
    b.ops[0].order = 'F';
    CHECK(!ml_case_equal(&a, &b));
    b = a;
    b.seed = 2;
    CHECK(!ml_case_equal(&a, &b));
}

static void write_should_never_break_json_for_a_broken_struct(void)
{
    ml_case c;
    char err[ML_ERR_MAX];
    memset(&c, 0x7f, sizeof c);
    c.dtype.nfields = 1;
    char *out = ml_case_write(&c);
    CHECK(out != NULL);
    if (out) {
        ml_case back;
        /* Valid JSON (the case itself is rejected for what it holds). */
        CHECK(!ml_case_parse(out, strlen(out), NULL, &back, err, sizeof err));
        CHECK(strncmp(err, "$:", 2) != 0);
        CHECK(strchr(out, '\n') == out + strlen(out) - 1);
    }
    free(out);
}

static void names_and_classes_should_match_the_docs(void)
{
    static const char *const names[ML_T_COUNT] = {
        "reduce", "reference", "loky", "multiprocessing", "threading", "pickle2", "pickle3",
        "pickle4", "pickle5", "pickle5-oob", "pool-spawn", "pool-forkserver", "dask",
    };
    for (int t = 0; t < ML_T_COUNT; t++) {
        ml_transport back;
        CHECK_STR(ml_transport_name((ml_transport)t), names[t]);
        CHECK(ml_transport_from_name(names[t], &back) && back == (ml_transport)t);
    }
    CHECK(!ml_transport_from_name("Loky", NULL));
    CHECK(!ml_transport_from_name("", NULL));
    CHECK_STR(ml_transport_name(ML_T_COUNT), "?");
    CHECK(ml_transport_class(ML_T_REDUCE) == ML_CLASS_SHARE);
    CHECK(ml_transport_class(ML_T_REFERENCE) == ML_CLASS_SHARE);
    CHECK(ml_transport_class(ML_T_LOKY) == ML_CLASS_SHARE);
    CHECK(ml_transport_class(ML_T_MULTIPROCESSING) == ML_CLASS_SHARE);
    CHECK(ml_transport_class(ML_T_THREADING) == ML_CLASS_IDENTITY);
    CHECK(ml_transport_class(ML_T_PICKLE2) == ML_CLASS_COPY);
    CHECK(ml_transport_class(ML_T_PICKLE5_OOB) == ML_CLASS_COPY);
    CHECK(ml_transport_class(ML_T_POOL_SPAWN) == ML_CLASS_COPY);
    CHECK(ml_transport_class(ML_T_POOL_FORKSERVER) == ML_CLASS_COPY);
    CHECK(ml_transport_in_process(ML_T_REDUCE) && ml_transport_in_process(ML_T_REFERENCE));
    CHECK(ml_transport_in_process(ML_T_THREADING) && ml_transport_in_process(ML_T_PICKLE3));
    CHECK(ml_transport_in_process(ML_T_PICKLE5_OOB));
    CHECK(!ml_transport_in_process(ML_T_LOKY) && !ml_transport_in_process(ML_T_MULTIPROCESSING));
    CHECK(!ml_transport_in_process(ML_T_POOL_SPAWN) && !ml_transport_in_process(ML_T_POOL_FORKSERVER));
    CHECK(ml_transport_class(ML_T_DASK) == ML_CLASS_COPY && !ml_transport_in_process(ML_T_DASK));
    CHECK(ml_transport_stand_in(ML_T_DASK) == ML_T_PICKLE5_OOB);
    CHECK(ml_transport_start_s(ML_T_DASK) > 25.0 && ml_transport_start_s(ML_T_LOKY) == 0.0);
    CHECK_STR(ml_mode_name(ML_MODE_RPLUS), "r+");
    CHECK_STR(ml_mode_name(ML_MODE_WPLUS), "w+");
    CHECK_STR(ml_op_name(ML_OP_BROADCAST), "broadcast");
    CHECK_STR(ml_op_name(ML_OP_COUNT), "?");
}

static void dtype_strings_and_sizes_should_match_numpy(void)
{
    char buf[8];
    CHECK_STR(ml_scalar_str(&(ml_scalar){'f', '<', 8}, buf), "<f8");
    CHECK_STR(ml_scalar_str(&(ml_scalar){'b', '|', 1}, buf), "|b1");
    CHECK_STR(ml_scalar_str(&(ml_scalar){'c', '>', 16}, buf), ">c16");
    ml_case c;
    char err[ML_ERR_MAX];
    CHECK(parse("{\"memlayout\":1,\"dtype\":[[\"x\",\"<i4\"],[\"y\",\">f8\"]],\"backing\":{\"source\":\"raw\","
                "\"shape\":[1],\"order\":\"C\",\"offset\":0,\"mode\":\"r\"},\"ops\":[],\"transport\":\"loky\","
                "\"seed\":1}", &c, err));
    CHECK(ml_dtype_itemsize(&c.dtype) == 12);
    CHECK(c.dtype.nfields == 2 && strcmp(c.dtype.names[1], "y") == 0 && c.dtype.fields[1].byteorder == '>');
    static const char *const ok[] = {"|b1", "|i1", "|u1", "<i2", ">u2", "<f2", "<i4", ">f4",
                                     "<u8", ">i8", "<f8", "<c8", ">c16"};
    static const char *const bad[] = {"<b1", "|i2", "<f1", "<f16", "<c4", "<i3", "<i08", "f8",
                                      "<f8 ", "<U8", "<M8", "=f8", "<f", ""};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char op[128];
        snprintf(op, sizeof op, "{\"op\":\"view\",\"dtype\":\"%s\"}", ok[i]);
        CHECK(strcmp(shape_of("[16]", op), "invalid") != 0 && strchr(shape_of("[16]", op), ':') == NULL);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char op[128];
        snprintf(op, sizeof op, "{\"op\":\"view\",\"dtype\":\"%s\"}", bad[i]);
        CHECK(strncmp(shape_of("[16]", op), "ops[0].dtype: ", 14) == 0);
    }
}

/* xorshift64*: mutations must not depend on the code under test. */
static uint64_t rnd(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545f4914f6cdd1dull;
}

static void parse_should_survive_mangled_input_and_canonicalize_what_it_accepts(void)
{
    static const char *const seeds[] = {
        EXAMPLE,
        "{\"memlayout\":1,\"dtype\":[[\"x\",\"<i4\"],[\"y\",\">f8\"]],\"backing\":{\"source\":\"npy\","
        "\"shape\":[4,3,2],\"order\":\"F\",\"offset\":0,\"mode\":\"c\"},\"ops\":[{\"op\":\"slice\",\"axis\":1,"
        "\"start\":-2,\"stop\":null,\"step\":-1},{\"op\":\"transpose\",\"axes\":[2,0,1]},{\"op\":\"view\","
        "\"dtype\":\"<c8\"},{\"op\":\"broadcast\",\"shape\":[2,2,3,4]}],\"transport\":\"pickle5\",\"seed\":7}\n",
    };
    static const char *const tokens[] = {"null", "-1", "0", "[]", "{}", "\"", "1e999", "\\u0000",
                                         ",", ":", "[[\"a\",\"<f8\"]]", "33", "\"w+\"", "\xff"};
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int accepted = 0;
    for (int iter = 0; iter < 200000; iter++) {
        char buf[1024];
        const char *seed = seeds[iter % 2];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        for (int m = 1 + (int)(rnd(&x) % 3); m > 0; m--) {
            size_t at = n ? rnd(&x) % n : 0;
            switch (rnd(&x) % 4) {
            case 0:
                buf[at] ^= (char)(1u << (rnd(&x) % 8));
                break;
            case 1:
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            case 2:
                buf[at] = (char)(rnd(&x) % 4 == 0 ? 0 : "0123456789-.e,[]{}\""[rnd(&x) % 19]);
                break;
            default: {
                const char *t = tokens[rnd(&x) % (sizeof tokens / sizeof tokens[0])];
                size_t tl = strlen(t);
                if (n + tl < sizeof buf) {
                    memmove(buf + at + tl, buf + at, n - at);
                    memcpy(buf + at, t, tl);
                    n += tl;
                }
            }
            }
        }
        ml_case c, again;
        char err[ML_ERR_MAX];
        memset(err, 'x', sizeof err);
        if (!ml_case_parse(buf, n, NULL, &c, err, sizeof err)) {
            CHECK(strlen(err) > 3 && strchr(err, '\n') == NULL && strstr(err, ": ") != NULL);
            continue;
        }
        accepted++;
        CHECK(ml_case_validate(&c, NULL, err, sizeof err));
        char *out = ml_case_write(&c);
        CHECK(out && ml_case_parse(out, strlen(out), NULL, &again, err, sizeof err));
        CHECK(ml_case_equal(&c, &again));
        char *out2 = ml_case_write(&again);
        CHECK(out && out2 && strcmp(out, out2) == 0);
        free(out);
        free(out2);
    }
    CHECK(accepted > 100);   /* the mutations do reach the checks past the JSON */
}


/* ---- the new ops and sub-array fields ----------------------------------- */

/* A canonical case: npy backing, mode "r", loky, seed 1; the op list and
 * dtype as written. */
static const char *cj(const char *dtype, const char *shape, const char *ops)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"memlayout\":1,\"dtype\":%s,\"backing\":{\"source\":\"npy\",\"shape\":%s,"
             "\"order\":\"C\",\"offset\":0,\"mode\":\"r\"},\"ops\":[%s],\"transport\":\"loky\","
             "\"seed\":1}\n",
             dtype, shape, ops);
    return buf;
}

#define REC "[[\"x\",\"<f8\"],[\"y\",\"<i2\"],[\"v\",\"<f4\",[2,3]]]"
#define CPLX "\"<c16\""
#define NESTED "[[\"x\",\"<i4\"],[\"p\",[[\"a\",\"<i2\"],[\"b\",\">f8\"]],[2]]]"
#define F8 "\"<f8\""

/* Each canonical case parses, writes back byte for byte, and the write
 * parses to an equal case. */
static void new_ops_and_sub_array_fields_should_round_trip_byte_for_byte(void)
{
    const char *cases[][3] = {
        {REC, "[4]", "{\"op\":\"field\",\"name\":\"v\"}"},
        {REC, "[4]", "{\"op\":\"field\",\"name\":\"y\"}"},
        {REC, "[4]", "{\"op\":\"fields\",\"names\":[\"v\",\"x\"]}"},
        {REC, "[4]", "{\"op\":\"fields\",\"names\":[\"y\"]},{\"op\":\"field\",\"name\":\"y\"}"},
        {"[[\"a\",\">c8\",[16,16]],[\"b\",\"|u1\",[1]]]", "[2]", "{\"op\":\"field\",\"name\":\"a\"},{\"op\":\"imag\"}"},
        {CPLX, "[3]", "{\"op\":\"real\"}"},
        {CPLX, "[3]", "{\"op\":\"imag\"}"},
        {F8, "[4,6]", "{\"op\":\"flip\",\"axis\":null},{\"op\":\"as_strided\",\"shape\":[3,3],\"strides\":[-8,-48]}"},
        {F8, "[4,6]", "{\"op\":\"as_strided\",\"shape\":[],\"strides\":[]}"},
        {F8, "[4,6]", "{\"op\":\"sliding_window\",\"window\":[2,3],\"axis\":null}"},
        {F8, "[4,6]", "{\"op\":\"sliding_window\",\"window\":[0,2],\"axis\":[-1,-1]}"},
        {F8, "[4,6]", "{\"op\":\"diagonal\",\"offset\":-9,\"axis1\":1,\"axis2\":-2}"},
        {F8, "[4,6]", "{\"op\":\"flip\",\"axis\":null}"},
        {F8, "[4,6]", "{\"op\":\"flip\",\"axis\":-1}"},
        {F8, "[4,6]", "{\"op\":\"rot90\",\"k\":-7,\"axes\":[1,0]}"},
        {F8, "[4,6]", "{\"op\":\"asarray\",\"via\":\"asarray\"}"},
        {F8, "[4,6]", "{\"op\":\"asarray\",\"via\":\"view\"}"},
        {REC, "[4]", "{\"op\":\"view\",\"dtype\":[[\"p\",\"<i2\",[5]],[\"q\",\"<f8\",[1,3]]]}"},
        {NESTED, "[4]", "{\"op\":\"field\",\"name\":\"p\"},{\"op\":\"field\",\"name\":\"b\"}"},
        {NESTED, "[4]", "{\"op\":\"fields\",\"names\":[\"p\"]},{\"op\":\"field\",\"name\":\"p\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *json = cj(cases[i][0], cases[i][1], cases[i][2]);
        ml_case c, again;
        char err[ML_ERR_MAX];
        bool ok = parse(json, &c, err);
        if (!ok)
            fprintf(stderr, "  %s  -> %s\n", cases[i][2], err);
        CHECK(ok);
        char *out = ok ? ml_case_write(&c) : NULL;
        CHECK_STR(out, json);
        CHECK(out && parse(out, &again, err) && ml_case_equal(&c, &again));
        CHECK(ok && ml_case_validate(&c, NULL, err, sizeof err));
        free(out);
    }
}

/* Pairs of cases that differ in one parameter of a new op are not equal;
 * each is equal to itself parsed again. */
static void equal_should_see_every_parameter_of_the_new_ops(void)
{
    const char *pairs[][4] = {
        {REC, "[4]", "{\"op\":\"field\",\"name\":\"x\"}", "{\"op\":\"field\",\"name\":\"y\"}"},
        {REC, "[4]", "{\"op\":\"fields\",\"names\":[\"x\",\"y\"]}", "{\"op\":\"fields\",\"names\":[\"y\",\"x\"]}"},
        {REC, "[4]", "{\"op\":\"fields\",\"names\":[\"x\",\"y\"]}", "{\"op\":\"fields\",\"names\":[\"x\"]}"},
        {REC, "[4]", "{\"op\":\"fields\",\"names\":[\"x\"]}", "{\"op\":\"field\",\"name\":\"x\"}"},
        {CPLX, "[3]", "{\"op\":\"real\"}", "{\"op\":\"imag\"}"},
        {F8, "[4,6]", "{\"op\":\"as_strided\",\"shape\":[3,3],\"strides\":[0,8]}",
                      "{\"op\":\"as_strided\",\"shape\":[3,3],\"strides\":[8,8]}"},
        {F8, "[4,6]", "{\"op\":\"as_strided\",\"shape\":[3,3],\"strides\":[0,8]}",
                      "{\"op\":\"as_strided\",\"shape\":[3,2],\"strides\":[0,8]}"},
        {F8, "[4,6]", "{\"op\":\"as_strided\",\"shape\":[3],\"strides\":[0]}",
                      "{\"op\":\"as_strided\",\"shape\":[3,1],\"strides\":[0,0]}"},
        {F8, "[4,6]", "{\"op\":\"sliding_window\",\"window\":[2,3],\"axis\":null}",
                      "{\"op\":\"sliding_window\",\"window\":[2,3],\"axis\":[0,1]}"},
        {F8, "[4,6]", "{\"op\":\"sliding_window\",\"window\":[2,3],\"axis\":[1,1]}",
                      "{\"op\":\"sliding_window\",\"window\":[2,3],\"axis\":[0,1]}"},
        {F8, "[4,6]", "{\"op\":\"sliding_window\",\"window\":[2,3],\"axis\":null}",
                      "{\"op\":\"sliding_window\",\"window\":[2,2],\"axis\":null}"},
        {F8, "[4,6]", "{\"op\":\"diagonal\",\"offset\":1,\"axis1\":0,\"axis2\":1}",
                      "{\"op\":\"diagonal\",\"offset\":2,\"axis1\":0,\"axis2\":1}"},
        {F8, "[4,6]", "{\"op\":\"diagonal\",\"offset\":1,\"axis1\":0,\"axis2\":1}",
                      "{\"op\":\"diagonal\",\"offset\":1,\"axis1\":-2,\"axis2\":1}"},
        {F8, "[4,6]", "{\"op\":\"diagonal\",\"offset\":1,\"axis1\":0,\"axis2\":1}",
                      "{\"op\":\"diagonal\",\"offset\":1,\"axis1\":0,\"axis2\":-1}"},
        {F8, "[4,6]", "{\"op\":\"flip\",\"axis\":null}", "{\"op\":\"flip\",\"axis\":0}"},
        {F8, "[4,6]", "{\"op\":\"flip\",\"axis\":1}", "{\"op\":\"flip\",\"axis\":0}"},
        {F8, "[4,6]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[0,1]}", "{\"op\":\"rot90\",\"k\":5,\"axes\":[0,1]}"},
        {F8, "[4,6]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[0,1]}", "{\"op\":\"rot90\",\"k\":1,\"axes\":[1,0]}"},
        {F8, "[4,6]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[0,1]}", "{\"op\":\"rot90\",\"k\":1,\"axes\":[0,-1]}"},
        {F8, "[4,6]", "{\"op\":\"asarray\",\"via\":\"asarray\"}", "{\"op\":\"asarray\",\"via\":\"view\"}"},
        {REC, "[4]", "", ""},   /* the dtypes below differ */
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        ml_case a, a2, b;
        char err[ML_ERR_MAX], one[4096];
        snprintf(one, sizeof one, "%s", cj(pairs[i][0], pairs[i][1], pairs[i][2]));
        bool ok = parse(one, &a, err) && parse(one, &a2, err) &&
                  parse(cj(pairs[i][0], pairs[i][1], pairs[i][3]), &b, err);
        if (!ok)
            fprintf(stderr, "  pair %zu: %s\n", i, err);
        CHECK(ok);
        CHECK(ml_case_equal(&a, &a2));
        if (pairs[i][2][0])
            CHECK(ok && !ml_case_equal(&a, &b));
    }
    /* sub-array fields: the shape, its dims, the field without one */
    const char *dtypes[] = {
        "[[\"x\",\"<f8\"],[\"v\",\"<f4\",[2,3]]]", "[[\"x\",\"<f8\"],[\"v\",\"<f4\",[3,2]]]",
        "[[\"x\",\"<f8\"],[\"v\",\"<f4\",[6]]]", "[[\"x\",\"<f8\"],[\"v\",\"<f4\"]]",
        "[[\"x\",\"<f8\",[1]],[\"v\",\"<f4\",[2,3]]]",
    };
    for (int i = 0; i < 5; i++) {
        for (int j = 0; j < 5; j++) {
            ml_case a, b;
            char err[ML_ERR_MAX], one[4096];
            snprintf(one, sizeof one, "%s", cj(dtypes[i], "[2]", ""));
            CHECK(parse(one, &a, err) && parse(cj(dtypes[j], "[2]", ""), &b, err));
            CHECK(ml_case_equal(&a, &b) == (i == j));
        }
    }
    /* what an op does not write is not compared: flip null's axis, asarray's shape */
    ml_case a, b;
    char err[ML_ERR_MAX];
    CHECK(parse(cj(F8, "[4,6]", "{\"op\":\"flip\",\"axis\":null},{\"op\":\"asarray\",\"via\":\"view\"}"), &a, err));
    b = a;
    b.ops[0].axis = 1;
    b.ops[1].shape[0] = 5;
    b.ops[1].ndim = 3;
    CHECK(ml_case_equal(&a, &b));
}

/* The error of a case built by cj(). */
static const char *cj_error(const char *dtype, const char *shape, const char *ops)
{
    return error_of(cj(dtype, shape, ops));
}

#define ONES31 "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]"

static void field_and_fields_should_refuse_with_numpys_reasons(void)
{
    CHECK_STR(cj_error(F8, "[4]", "{\"op\":\"field\",\"name\":\"x\"}"),
              "ops[0].field: the dtype has no fields");
    CHECK_STR(cj_error(F8, "[4]", "{\"op\":\"fields\",\"names\":[\"x\"]}"),
              "ops[0].fields: the dtype has no fields");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"field\",\"name\":\"x\"},{\"op\":\"field\",\"name\":\"x\"}"),
              "ops[1].field: the dtype has no fields");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"field\",\"name\":\"q\"}"),
              "ops[0].name: no field \"q\" in the dtype");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"fields\",\"names\":[\"x\",\"q\"]}"),
              "ops[0].names[1]: no field \"q\" in the dtype");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"fields\",\"names\":[\"x\"]},{\"op\":\"field\",\"name\":\"y\"}"),
              "ops[1].name: no field \"y\" in the dtype");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"fields\",\"names\":[\"x\",\"v\",\"x\"]}"),
              "ops[0].names[2]: duplicate field name \"x\"");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"fields\",\"names\":[]}"),
              "ops[0].names: needs 1 to 8 names, not 0");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"fields\",\"names\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}"),
              "ops[0].names: needs 1 to 8 names, not 9");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"fields\",\"names\":\"x\"}"), "ops[0].names: expected array");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"fields\",\"names\":[\"x\",3]}"), "ops[0].names[1]: expected string");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"field\",\"name\":[\"x\"]}"), "ops[0].name: expected string");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"field\",\"name\":\"1x\"}"),
              "ops[0].name: field name \"1x\" must be 1 to 15 characters of [A-Za-z0-9_], not starting with a digit");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"fields\",\"names\":[\"x\",\"\"]}"),
              "ops[0].names[1]: field name \"\" must be 1 to 15 characters of [A-Za-z0-9_], not starting with a digit");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"field\"}"), "ops[0].name: missing");
    CHECK_STR(cj_error(REC, "[4]", "{\"op\":\"field\",\"name\":\"x\",\"names\":[\"x\"]}"), "ops[0].names: unknown key");
    /* a sub-array's dims follow the array's: 31 + 2 is one too many, 30 + 2 fits */
    CHECK_STR(cj_error("[[\"v\",\"<f4\",[2,3]]]", ONES31, "{\"op\":\"field\",\"name\":\"v\"}"),
              "ops[0].field: the result would have 33 dims, more than 32");
    CHECK_STR(cj_error("[[\"v\",\"<f4\",[2,3]]]", ONES31, "{\"op\":\"squeeze\",\"axis\":0},{\"op\":\"field\",\"name\":\"v\"}"),
              "ok");
    CHECK_STR(cj_error("[[\"v\",\"<f4\",[6]]]", ONES31, "{\"op\":\"field\",\"name\":\"v\"}"), "ok");
    /* a multi-field view adds no dims */
    CHECK_STR(cj_error("[[\"v\",\"<f4\",[2,3]]]", ONES31, "{\"op\":\"fields\",\"names\":[\"v\"]}"), "ok");
}

static void fields_built_in_c_should_get_the_parse_messages(void)
{
    ml_case c;
    char err[ML_ERR_MAX];
    CHECK(parse(cj(REC, "[4]", "{\"op\":\"fields\",\"names\":[\"x\"]}"), &c, err));
    c.ops[0].nnames = 2;
    memcpy(c.ops[0].names[1], "x", 2);
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "ops[0].names[1]: duplicate field name \"x\"");
    c.ops[0].nnames = -1;
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "ops[0].names: needs 1 to 8 names, not -1");
    c.ops[0].kind = ML_OP_FIELD;
    c.ops[0].nnames = 2;
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "ops[0].name: needs 1 name, not 2");
    /* An empty name list: the same words parsing gives for "names":[] */
    c.ops[0].kind = ML_OP_FIELDS;
    c.ops[0].nnames = 0;
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "ops[0].names: needs 1 to 8 names, not 0");
}

static void real_and_imag_should_need_a_complex_dtype(void)
{
    CHECK_STR(cj_error(F8, "[3]", "{\"op\":\"real\"}"), "ops[0].real: needs a complex dtype");
    CHECK_STR(cj_error("\"<f4\"", "[3]", "{\"op\":\"imag\"}"), "ops[0].imag: needs a complex dtype");
    CHECK_STR(cj_error("[[\"c\",\"<c8\"]]", "[3]", "{\"op\":\"imag\"}"), "ops[0].imag: needs a complex dtype");
    CHECK_STR(cj_error(CPLX, "[3]", "{\"op\":\"real\"},{\"op\":\"imag\"}"), "ops[1].imag: needs a complex dtype");
    CHECK_STR(cj_error("[[\"c\",\"<c8\"]]", "[3]", "{\"op\":\"field\",\"name\":\"c\"},{\"op\":\"imag\"}"), "ok");
    CHECK_STR(cj_error(CPLX, "[3]", "{\"op\":\"real\",\"axis\":0}"), "ops[0].axis: unknown key");
    CHECK_STR(cj_error(CPLX, "[]", "{\"op\":\"imag\"}"), "ok");
}

static void as_strided_should_stay_inside_the_memory_viewed(void)
{
    /* 48 bytes: 6 items of 8 */
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[6],\"strides\":[8]}"), "ok");
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[2],\"strides\":[40]}"), "ok");
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[2],\"strides\":[41]}"),
              "ops[0].as_strided: reaches bytes [0, 49) outside the 48 bytes of memory viewed");
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[7],\"strides\":[8]}"),
              "ops[0].as_strided: reaches bytes [0, 56) outside the 48 bytes of memory viewed");
    /* bytes, not items: a 1-byte view of the last byte fits, of one more not */
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"view\",\"dtype\":\"|u1\"},"
                                  "{\"op\":\"as_strided\",\"shape\":[2],\"strides\":[47]}"), "ok");
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"view\",\"dtype\":\"|u1\"},"
                                  "{\"op\":\"as_strided\",\"shape\":[2],\"strides\":[48]}"),
              "ops[1].as_strided: reaches bytes [0, 49) outside the 48 bytes of memory viewed");
    /* from the pointer where the ops before left it: a[5::-1] starts at byte 40 */
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"slice\",\"axis\":0,\"start\":5,\"stop\":null,\"step\":-1},"
                                  "{\"op\":\"as_strided\",\"shape\":[6],\"strides\":[-8]}"), "ok");
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"slice\",\"axis\":0,\"start\":5,\"stop\":null,\"step\":-1},"
                                  "{\"op\":\"as_strided\",\"shape\":[7],\"strides\":[-8]}"),
              "ops[1].as_strided: reaches bytes [-8, 48) outside the 48 bytes of memory viewed");
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"slice\",\"axis\":0,\"start\":5,\"stop\":null,\"step\":-1},"
                                  "{\"op\":\"as_strided\",\"shape\":[2],\"strides\":[8]}"),
              "ops[1].as_strided: reaches bytes [40, 56) outside the 48 bytes of memory viewed");
    /* the imaginary halves of 3 complex items: the last ends at byte 48 */
    CHECK_STR(cj_error(CPLX, "[3]", "{\"op\":\"imag\"},{\"op\":\"as_strided\",\"shape\":[5],\"strides\":[8]}"), "ok");
    CHECK_STR(cj_error(CPLX, "[3]", "{\"op\":\"imag\"},{\"op\":\"as_strided\",\"shape\":[6],\"strides\":[8]}"),
              "ops[1].as_strided: reaches bytes [8, 56) outside the 48 bytes of memory viewed");
    /* a 0-dim result is one item at the pointer */
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[],\"strides\":[]}"), "ok");
    CHECK_STR(cj_error(F8, "[0]", "{\"op\":\"as_strided\",\"shape\":[],\"strides\":[]}"),
              "ops[0].as_strided: reaches bytes [0, 8) outside the 0 bytes of memory viewed");
    /* an empty shape reaches nothing: any strides */
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[0,3],\"strides\":[1099511627776,-1099511627776]}"),
              "ok");
    CHECK_STR(cj_error(F8, "[0]", "{\"op\":\"as_strided\",\"shape\":[3,0],\"strides\":[-8,8]}"), "ok");
    /* shape and strides themselves */
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[2],\"strides\":[8,8]}"),
              "ops[0].strides: 2 strides for 1 dims");
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[-1],\"strides\":[8]}"),
              "ops[0].shape[0]: must be >= 0");
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[1099511627777],\"strides\":[0]}"),
              "ops[0].shape[0]: must be <= 1099511627776");
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[0],\"strides\":[-1099511627777]}"),
              "ops[0].strides[0]: must lie in [-1099511627776, 1099511627776]");
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[6],\"strides\":8}"),
              "ops[0].strides: expected array");
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[6]}"), "ops[0].strides: missing");
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[1099511627776,1099511627776,8],\"strides\":[0,0,0]}"),
              "ops[0].as_strided: element count overflows int64");
    CHECK_STR(cj_error(F8, "[6]", "{\"op\":\"as_strided\",\"shape\":[8388609],\"strides\":[0]}"),
              "ops[0].as_strided: 8388609 elements of 8 bytes exceed the 67108864-byte cap");
    CHECK_STR(cj_error("\"|u1\"", "[6]", "{\"op\":\"as_strided\",\"shape\":[67108864],\"strides\":[1099511627776]}"),
              "ops[0].as_strided: the bytes reached overflow int64");
}

static void as_strided_with_an_empty_shape_should_be_valid_wherever_the_pointer_is(void)
{
    /* np.flip of an empty (0,3) array leaves the pointer at byte 16 of 0;
     * as_strided(that, (0,), (8,)) reads nothing and NumPy makes it. */
    CHECK_STR(cj_error(F8, "[0,3]", "{\"op\":\"flip\",\"axis\":null},"
                                    "{\"op\":\"as_strided\",\"shape\":[0],\"strides\":[8]}"), "ok");
    /* the same after a[:, 2] */
    CHECK_STR(cj_error(F8, "[0,3]", "{\"op\":\"index\",\"axis\":1,\"index\":2},"
                                    "{\"op\":\"as_strided\",\"shape\":[0,4],\"strides\":[0,0]}"), "ok");
}

static void sliding_window_should_follow_sliding_window_view(void)
{
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"sliding_window\",\"window\":[2,3],\"axis\":null}"), "[3,4,2,3]");
    /* repeated axes shrink the axis each time: (4,) -> 3 -> 1 */
    CHECK_STR(shape_of("[4]", "{\"op\":\"sliding_window\",\"window\":[2,3],\"axis\":[0,-1]}"), "[1,2,3]");
    CHECK_STR(shape_of("[4]", "{\"op\":\"sliding_window\",\"window\":[3,3],\"axis\":[0,0]}"),
              "ops[0].window[1]: window 3 is larger than axis 0 of size 2");
    CHECK_STR(shape_of("[4]", "{\"op\":\"sliding_window\",\"window\":[5],\"axis\":null}"),
              "ops[0].window[0]: window 5 is larger than axis 0 of size 4");
    /* a window of 0 is allowed and grows the axis by one */
    CHECK_STR(shape_of("[4]", "{\"op\":\"sliding_window\",\"window\":[0],\"axis\":null}"), "[5,0]");
    CHECK_STR(shape_of("[0]", "{\"op\":\"sliding_window\",\"window\":[0,0],\"axis\":[0,0]}"), "[2,0,0]");
    CHECK_STR(shape_of("[4]", "{\"op\":\"sliding_window\",\"window\":[],\"axis\":null}"),
              "ops[0].window: needs at least 1 dim");
    CHECK_STR(shape_of("[4]", "{\"op\":\"sliding_window\",\"window\":[-1],\"axis\":null}"),
              "ops[0].window[0]: must be >= 0");
    CHECK_STR(shape_of("[4]", "{\"op\":\"sliding_window\",\"window\":[1099511627777],\"axis\":[0]}"),
              "ops[0].window[0]: must be <= 1099511627776");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"sliding_window\",\"window\":[2],\"axis\":null}"),
              "ops[0].window: 1 dims for an array of 2 (with axis null)");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"sliding_window\",\"window\":[2],\"axis\":[0,1]}"),
              "ops[0].axis: 2 axes for a window of 1 dims");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"sliding_window\",\"window\":[2],\"axis\":[2]}"),
              "ops[0].axis[0]: axis 2 is out of range for 2 dims");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"sliding_window\",\"window\":[2,2],\"axis\":[1,-3]}"),
              "ops[0].axis[1]: axis -3 is out of range for 2 dims");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"sliding_window\",\"window\":[2],\"axis\":[2000000]}"),
              "ops[0].axis[0]: axis 2000000 is out of range for 2 dims");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"sliding_window\",\"window\":[2],\"axis\":1}"),
              "ops[0].axis: expected array or null");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"sliding_window\",\"window\":2,\"axis\":null}"),
              "ops[0].window: expected array");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"sliding_window\",\"window\":[2]}"), "ops[0].axis: missing");
    CHECK_STR(shape_of(ONES31, "{\"op\":\"sliding_window\",\"window\":[1,1],\"axis\":[0,1]}"),
              "ops[0].sliding_window: the result would have 33 dims, more than 32");
    CHECK_STR(shape_of(ONES31, "{\"op\":\"sliding_window\",\"window\":[1],\"axis\":[0]}"),
              "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]");
    /* sizes: 1000 - 10 * 99 = 10 windows of 100^10 elements overflow; 103 * 300^3 pass the cap */
    CHECK_STR(shape_of("[1000]", "{\"op\":\"sliding_window\",\"window\":[100,100,100,100,100,100,100,100,100,100],"
                                 "\"axis\":[0,0,0,0,0,0,0,0,0,0]}"),
              "ops[0].sliding_window: element count overflows int64");
    CHECK_STR(shape_of("[1000]", "{\"op\":\"sliding_window\",\"window\":[300,300,300],\"axis\":[0,0,0]}"),
              "ops[0].sliding_window: 2781000000 elements of 8 bytes exceed the 67108864-byte cap");
}

static void sliding_window_built_in_c_should_get_the_parse_messages(void)
{
    ml_case c;
    char err[ML_ERR_MAX], parsed[ML_ERR_MAX];
    CHECK(parse(cj(F8, "[4]", "{\"op\":\"sliding_window\",\"window\":[2],\"axis\":[0]}"), &c, err));
    c.ops[0].ndim = 0;
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "ops[0].window: needs at least 1 dim");
    /* 33 window dims: whatever the words, the same from a file and from C */
    char ops[512];
    size_t o = (size_t)snprintf(ops, sizeof ops, "{\"op\":\"sliding_window\",\"window\":[1");
    for (int j = 1; j < 33; j++)
        o += (size_t)snprintf(ops + o, sizeof ops - o, ",1");
    snprintf(ops + o, sizeof ops - o, "],\"axis\":null}");
    snprintf(parsed, sizeof parsed, "%s", cj_error(F8, "[4]", ops));
    c.ops[0].ndim = 33;
    c.ops[0].has_axes = false;
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, parsed);
}

static void diagonal_should_take_any_offset_and_two_distinct_axes(void)
{
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"diagonal\",\"offset\":2,\"axis1\":0,\"axis2\":1}"), "[4]");
    /* offsets past the dims give an empty diagonal, never an error */
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"diagonal\",\"offset\":7,\"axis1\":0,\"axis2\":1}"), "[0]");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"diagonal\",\"offset\":-4,\"axis1\":0,\"axis2\":1}"), "[0]");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"diagonal\",\"offset\":-9007199254740992,\"axis1\":0,\"axis2\":1}"), "[0]");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"diagonal\",\"offset\":9007199254740992,\"axis1\":1,\"axis2\":0}"), "[0]");
    CHECK_STR(shape_of("[2,3,4]", "{\"op\":\"diagonal\",\"offset\":0,\"axis1\":2,\"axis2\":0}"), "[3,2]");
    CHECK_STR(shape_of("[4]", "{\"op\":\"diagonal\",\"offset\":0,\"axis1\":0,\"axis2\":1}"),
              "ops[0].diagonal: needs at least 2 dims, not 1");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"diagonal\",\"offset\":0,\"axis1\":0,\"axis2\":-2}"),
              "ops[0].axis2: axis1 and axis2 are the same axis");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"diagonal\",\"offset\":0,\"axis1\":2,\"axis2\":0}"),
              "ops[0].axis1: axis 2 is out of range for 2 dims");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"diagonal\",\"offset\":0,\"axis1\":0,\"axis2\":-3}"),
              "ops[0].axis2: axis -3 is out of range for 2 dims");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"diagonal\",\"offset\":0,\"axis1\":0,\"axis2\":-3000000}"),
              "ops[0].axis2: axis -3000000 is out of range for 2 dims");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"diagonal\",\"offset\":0.5,\"axis1\":0,\"axis2\":1}"),
              "ops[0].offset: expected integer");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"diagonal\",\"offset\":0,\"axis1\":0}"), "ops[0].axis2: missing");
}

static void flip_should_refuse_a_0_dim_array_and_foreign_axes(void)
{
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"flip\",\"axis\":null}"), "[4,6]");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"flip\",\"axis\":-2}"), "[4,6]");
    /* np.flip(a) of a 0-dim array is a scalar, not a view */
    CHECK_STR(shape_of("[]", "{\"op\":\"flip\",\"axis\":null}"), "ops[0].flip: a 0-dim array has no axis to flip");
    CHECK_STR(shape_of("[]", "{\"op\":\"flip\",\"axis\":0}"), "ops[0].axis: axis 0 is out of range for 0 dims");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"flip\",\"axis\":2}"), "ops[0].axis: axis 2 is out of range for 2 dims");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"flip\",\"axis\":-3}"), "ops[0].axis: axis -3 is out of range for 2 dims");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"flip\",\"axis\":2000000}"),
              "ops[0].axis: axis 2000000 is out of range for 2 dims");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"flip\",\"axis\":[0]}"), "ops[0].axis: expected integer or null");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"flip\"}"), "ops[0].axis: missing");
}

static void rot90_should_refuse_axes_numpy_calls_the_same(void)
{
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[0,1]}"), "[6,4]");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"rot90\",\"k\":-2,\"axes\":[0,1]}"), "[4,6]");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"rot90\",\"k\":9007199254740991,\"axes\":[-1,0]}"), "[6,4]");
    /* NumPy: "Axes must be different." when equal as written or ndim apart */
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[1,1]}"), "ops[0].axes: axes must be different");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[1,-1]}"), "ops[0].axes: axes must be different");
    CHECK_STR(shape_of("[2,3,4]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[0,-3]}"), "ops[0].axes: axes must be different");
    CHECK_STR(shape_of("[2,3,4]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[-4,-1]}"), "ops[0].axes: axes must be different");
    /* ...checked before the range, as NumPy does */
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[7,7]}"), "ops[0].axes: axes must be different");
    CHECK_STR(shape_of("[2,3,4]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[0,-4]}"),
              "ops[0].axes[1]: axis -4 is out of range for 3 dims");
    CHECK_STR(shape_of("[2,3,4]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[3,1]}"),
              "ops[0].axes[0]: axis 3 is out of range for 3 dims");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[0,2000000]}"),
              "ops[0].axes[1]: axis 2000000 is out of range for 2 dims");
    CHECK_STR(shape_of("[4]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[0,1]}"),
              "ops[0].rot90: needs at least 2 dims, not 1");
    CHECK_STR(shape_of("[]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[0,1]}"),
              "ops[0].rot90: needs at least 2 dims, not 0");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[0]}"), "ops[0].axes: needs 2 axes, not 1");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"rot90\",\"k\":1,\"axes\":[0,1,2]}"), "ops[0].axes: 3 values, more than 2");
    CHECK_STR(shape_of("[4,6]", "{\"op\":\"rot90\",\"k\":null,\"axes\":[0,1]}"), "ops[0].k: expected integer");
}

static void asarray_should_know_its_two_ways(void)
{
    CHECK_STR(shape_of("[]", "{\"op\":\"asarray\",\"via\":\"asarray\"},{\"op\":\"asarray\",\"via\":\"view\"}"), "[]");
    CHECK_STR(shape_of("[4]", "{\"op\":\"asarray\",\"via\":\"copy\"}"), "ops[0].via: must be \"asarray\" or \"view\"");
    CHECK_STR(shape_of("[4]", "{\"op\":\"asarray\",\"via\":1}"), "ops[0].via: expected string");
    CHECK_STR(shape_of("[4]", "{\"op\":\"asarray\"}"), "ops[0].via: missing");
}

static void inner_structures_should_be_checked_and_viewed(void)
{
    CHECK_STR(cj_error("[[\"p\",[]]]", "[2]", ""), "dtype[0][1]: an inner structure needs 1 to 4 fields, not 0");
    CHECK_STR(cj_error("[[\"p\",[[\"a\",\"<i2\"],[\"a\",\"<i4\"]]]]", "[2]", ""),
              "dtype[0][1][1][0]: duplicate field name \"a\"");
    CHECK_STR(cj_error("[[\"p\",[[\"a\",[[\"b\",\"<i2\"]]]]]]", "[2]", ""),
              "dtype[0][1][0][1]: expected string");
    CHECK_STR(cj_error("[[\"p\",[[\"a\",\"<i3\"]]]]", "[2]", ""), "dtype[0][1][0][1]: unknown dtype \"<i3\"");
    CHECK_STR(cj_error(NESTED, "[2]", "{\"op\":\"field\",\"name\":\"a\"}"),
              "ops[0].name: no field \"a\" in the dtype");
    /* a["p"]["b"]: the inner structure at byte 4 of 24, then its field at 2,
     * the sub-array's dim after the array's (NumPy: strides (24, 10), +6) */
    ml_case c;
    ml_view v[ML_MAX_OPS + 1];
    char err[ML_ERR_MAX];
    CHECK(parse(cj(NESTED, "[3]", "{\"op\":\"field\",\"name\":\"p\"},{\"op\":\"field\",\"name\":\"b\"}"),
                &c, err));
    CHECK(ml_dtype_itemsize(&c.dtype) == 24);
    CHECK(ml_layout_case(&c, 2, v));
    CHECK(v[1].itemsize == 10 && v[1].dtype.nfields == 2 && v[1].field_offset[1] == 2);
    CHECK(v[1].ndim == 2 && v[1].shape[1] == 2 && v[1].strides[0] == 24 && v[1].strides[1] == 10);
    CHECK(v[1].offset == 4);
    CHECK(v[2].itemsize == 8 && v[2].dtype.nfields == 0 && v[2].dtype.scalar.byteorder == '>');
    CHECK(v[2].offset == 6 && v[2].strides[1] == 10);
}

static void sub_array_fields_should_be_checked_like_numpy_dtypes(void)
{
    CHECK_STR(cj_error("[[\"v\",\"<f4\",[16,16]]]", "[2]", ""), "ok");
    CHECK_STR(cj_error("[[\"v\",\"<f4\",[]]]", "[2]", ""), "dtype[0][2]: a sub-array needs 1 to 2 dims, not 0");
    CHECK_STR(cj_error("[[\"v\",\"<f4\",[1,2,3]]]", "[2]", ""), "dtype[0][2]: a sub-array needs 1 to 2 dims, not 3");
    CHECK_STR(cj_error("[[\"x\",\"<f8\"],[\"v\",\"<f4\",[2,17]]]", "[2]", ""), "dtype[1][2][1]: must be 1 to 16");
    CHECK_STR(cj_error("[[\"v\",\"<f4\",[0]]]", "[2]", ""), "dtype[0][2][0]: must be 1 to 16");
    CHECK_STR(cj_error("[[\"v\",\"<f4\",[1.5]]]", "[2]", ""), "dtype[0][2][0]: expected integer");
    CHECK_STR(cj_error("[[\"v\",\"<f4\",3]]", "[2]", ""), "dtype[0][2]: expected array");
    CHECK_STR(cj_error("[[\"v\",\"<f4\",[2],1]]", "[2]", ""),
              "dtype[0]: expected a [name, dtype] pair or a [name, dtype, shape] triple");
    CHECK_STR(cj_error("[[\"v\",\"<f5\",[2]]]", "[2]", ""), "dtype[0][1]: unknown dtype \"<f5\"");
    CHECK_STR(cj_error("[[\"v\",\"<f4\",[2]],[\"v\",\"<f4\"]]", "[2]", ""), "dtype[1][0]: duplicate field name \"v\"");
    /* the item counts the sub-array whole: 1 + 16 * 16 * 8 = 2049 bytes */
    CHECK_STR(cj_error("[[\"a\",\"|u1\"],[\"b\",\"<f8\",[16,16]]]", "[32752]", ""), "ok");
    CHECK_STR(cj_error("[[\"a\",\"|u1\"],[\"b\",\"<f8\",[16,16]]]", "[32753]", ""),
              "backing.shape: 32753 elements of 2049 bytes exceed the 67108864-byte cap");
    /* in a view, under ops[i].dtype */
    CHECK_STR(cj_error(F8, "[4]", "{\"op\":\"view\",\"dtype\":[[\"v\",\"<f4\",[3]]]}"),
              "ops[0].view: the last axis of 32 bytes is not a multiple of the 12-byte item size");
    CHECK_STR(cj_error(F8, "[3]", "{\"op\":\"view\",\"dtype\":[[\"v\",\"<f4\",[3]]]}"), "ok");
    CHECK_STR(cj_error(F8, "[4]", "{\"op\":\"view\",\"dtype\":[[\"v\",\"<f4\",[2]]]}"), "ok");
    CHECK_STR(cj_error(F8, "[4]", "{\"op\":\"view\",\"dtype\":[[\"v\",\"<f4\",[2,0]]]}"),
              "ops[0].dtype[0][2][1]: must be 1 to 16");
    /* built in C */
    ml_case c;
    char err[ML_ERR_MAX];
    CHECK(parse(cj("[[\"x\",\"<f8\"],[\"v\",\"<f4\",[2,3]]]", "[2]", ""), &c, err));
    CHECK(ml_dtype_itemsize(&c.dtype) == 32 && ml_field_size(&c.dtype, 1) == 24);
    c.dtype.subndim[1] = 3;
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "dtype[1][2]: a sub-array needs 1 to 2 dims, not 3");
    c.dtype.subndim[1] = 2;
    c.dtype.subshape[1][1] = 0;
    CHECK(!ml_case_validate(&c, NULL, err, sizeof err));
    CHECK_STR(err, "dtype[1][2][1]: must be 1 to 16");
}

static void w_plus_should_be_valid_with_either_source(void)
{
    CHECK_STR(error_of("{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"npy\",\"shape\":[],"
                       "\"order\":\"C\",\"offset\":0,\"mode\":\"w+\"},\"ops\":[],\"transport\":\"loky\",\"seed\":1}"),
              "ok");
    CHECK_STR(error_of("{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",\"shape\":[2],"
                       "\"order\":\"F\",\"offset\":3,\"mode\":\"w+\"},\"ops\":[],\"transport\":\"loky\",\"seed\":1}"),
              "ok");
}

int main(void)
{
    RUN(bad_cases_should_fail_with_their_expected_message);
    RUN(good_cases_should_round_trip_byte_for_byte);
    RUN(parse_should_accept_the_example_of_the_docs);
    RUN(parse_should_accept_any_key_order_and_spacing_and_write_it_canonically);
    RUN(parse_should_read_only_len_bytes);
    RUN(parse_should_reject_embedded_nuls);
    RUN(parse_should_reject_every_truncation_of_a_good_case);
    RUN(parse_should_reject_wrong_types_with_the_expected_type);
    RUN(parse_should_accept_integers_up_to_2_53_only);
    RUN(parse_should_quote_user_text_on_one_clean_line);
    RUN(errors_should_fit_any_buffer);
    RUN(the_byte_cap_should_follow_the_limits_and_count_the_offset);
    RUN(reshape_should_resolve_minus_one_like_numpy);
    RUN(slice_should_count_like_python_slices);
    RUN(axis_ops_should_move_dims_like_numpy);
    RUN(newaxis_should_stop_at_32_dims);
    RUN(view_should_recut_the_last_axis_like_numpy);
    RUN(broadcast_should_follow_numpy_broadcast_to);
    RUN(shape_after_should_stop_at_nops_and_refuse_broken_chains);
    RUN(validate_should_give_parse_messages_for_c_built_cases);
    RUN(equal_should_ignore_fields_an_op_does_not_use);
    RUN(write_should_never_break_json_for_a_broken_struct);
    RUN(names_and_classes_should_match_the_docs);
    RUN(dtype_strings_and_sizes_should_match_numpy);
    RUN(parse_should_survive_mangled_input_and_canonicalize_what_it_accepts);
    RUN(new_ops_and_sub_array_fields_should_round_trip_byte_for_byte);
    RUN(equal_should_see_every_parameter_of_the_new_ops);
    RUN(field_and_fields_should_refuse_with_numpys_reasons);
    RUN(fields_built_in_c_should_get_the_parse_messages);
    RUN(real_and_imag_should_need_a_complex_dtype);
    RUN(as_strided_should_stay_inside_the_memory_viewed);
    RUN(as_strided_with_an_empty_shape_should_be_valid_wherever_the_pointer_is);
    RUN(sliding_window_should_follow_sliding_window_view);
    RUN(sliding_window_built_in_c_should_get_the_parse_messages);
    RUN(diagonal_should_take_any_offset_and_two_distinct_axes);
    RUN(flip_should_refuse_a_0_dim_array_and_foreign_axes);
    RUN(rot90_should_refuse_axes_numpy_calls_the_same);
    RUN(asarray_should_know_its_two_ways);
    RUN(sub_array_fields_should_be_checked_like_numpy_dtypes);
    RUN(inner_structures_should_be_checked_and_viewed);
    RUN(w_plus_should_be_valid_with_either_source);
    return check_summary("case");
}

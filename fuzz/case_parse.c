/* case_parse: the C side alone, no Python. Every input is read four ways,
 * and each way has a property that must hold:
 *   as JSON:        parse succeeds, or fails with one line naming a path;
 *                   a parsed case validates and round-trips (write, parse,
 *                   equal, write again byte for byte);
 *   as bytes:       decodes to a case that validates and round-trips;
 *   mutated:        structural mutants and crossovers of those cases are
 *                   valid, canonical cases too;
 *   as observation: the oracle parses or rejects it, and judges it against
 *                   the decoded case without faulting.
 * A violated property aborts: it is a bug in the harness's own code. */
#include "fuzz.h"
#include "layout.h"

#include <stdlib.h>
#include <string.h>

static void round_trip(const ml_case *c, const char *how)
{
    static ml_case back;
    char err[ML_ERR_MAX];
    int64_t shape[ML_MAX_NDIM];
    if (!ml_case_validate(c, &mlf_cfg()->lim, err, sizeof err))
        mlf_harness_bug(how, err);
    char *w = ml_case_write(c);
    size_t n = w ? strlen(w) : 0;
    if (!w || n < 2 || w[n - 1] != '\n' || memchr(w, '\n', n - 1) || strpbrk(w, " \t\r"))
        mlf_harness_bug(how, "canonical JSON is not one line without whitespace");
    if (!ml_case_parse(w, n, &mlf_cfg()->lim, &back, err, sizeof err))
        mlf_harness_bug(how, err);
    if (!ml_case_equal(c, &back))
        mlf_harness_bug(how, w);
    char *w2 = ml_case_write(&back);
    if (!w2 || strcmp(w, w2))
        mlf_harness_bug(how, "writing the parsed canonical case changed it");
    for (int i = 0; i <= c->nops; i++)
        if (ml_case_shape_after(c, i, shape) < 0)
            mlf_harness_bug(how, "ml_case_shape_after rejects a valid chain");
    free(w);
    free(w2);
}

/* One line, "<json path>: <reason>"; a long one is cut at ML_ERR_MAX - 1. */
static void error_line(const char *err)
{
    size_t n = strlen(err);
    if (!n || n > ML_ERR_MAX - 1 || strchr(err, '\n') || !strstr(err, ": "))
        mlf_harness_bug("parse error is not one \"<path>: <reason>\" line", err);
}

static void observation(const uint8_t *data, size_t size, const ml_case *c)
{
    static ml_result r;
    char err[ML_ERR_MAX], vs[256];
    if (!ml_result_parse((const char *)data, size, &r, err, sizeof err))
        return;
    ml_verdict v = ml_oracle_judge(c, &r);
    ml_verdict_str(&v, vs, sizeof vs);
    const ml_obs *o[2] = {&r.parent, &r.child};
    for (int k = 0; k < 2; k++)
        if (o[k]->present) {
            ml_layout_c_contiguous(o[k]->ndim, o[k]->shape, o[k]->strides, o[k]->itemsize);
            ml_layout_f_contiguous(o[k]->ndim, o[k]->shape, o[k]->strides, o[k]->itemsize);
        }
}

int mlf_case_parse(const uint8_t *data, size_t size)
{
    static ml_case c, g;
    static uint8_t buf[MLF_MAX_JSON];
    char err[ML_ERR_MAX];
    /* MLF_MAX_JSON: parsing is linear, a larger input finds nothing new. */
    if (size > MLF_MAX_JSON)
        return -1;
    mlf_stats_get()->inputs++;
    bool parsed = ml_case_parse((const char *)data, size, &mlf_cfg()->lim, &c, err, sizeof err);
    if (parsed)
        round_trip(&c, "json");
    else
        error_line(err);

    ml_src s;
    ml_gen_opts go = mlf_cfg()->gen;
    go.transports = size ? (uint32_t)data[0] << 4 | data[size - 1] : 0;
    go.max_ops = size > 1 ? 1 + data[1] % ML_MAX_OPS : 0;
    ml_src_bytes(&s, data, size < MLF_MAX_DECODE ? size : MLF_MAX_DECODE);
    ml_gen_case(&s, &go, &g);
    round_trip(&g, "decode");

    ml_src r;
    char sha[41];
    mlf_sha1_hex(data, size, sha);
    ml_src_seed(&r, strtoull(sha + 24, NULL, 16));
    for (int k = 0; k < 3; k++)
        if (mlf_mutate_case(&g, &mlf_cfg()->lim, &r))
            round_trip(&g, mlf_mutation_name());
    char *a = ml_case_write(parsed ? &c : &g), *b = ml_case_write(&g);
    if (!a || !b)
        mlf_harness_bug("ml_case_write", "out of memory");
    size_t n = strlen(a);
    memcpy(buf, a, n);
    n = mlf_mutate(buf, n, sizeof buf, (unsigned)r.s[0], NULL);
    if (!ml_case_parse((const char *)buf, n, &mlf_cfg()->lim, &c, err, sizeof err))
        mlf_harness_bug("mutator output", err);
    n = mlf_crossover((const uint8_t *)a, strlen(a), (const uint8_t *)b, strlen(b), buf, sizeof buf, (unsigned)r.s[1]);
    if (n && !ml_case_parse((const char *)buf, n, &mlf_cfg()->lim, &c, err, sizeof err))
        mlf_harness_bug("crossover output", err);
    free(a);
    free(b);

    observation(data, size, &g);
    return 0;
}

MLF_ENTRY(mlf_case_parse, "case_parse", false)
MLF_JSON_MUTATOR()

/* memlayout generator: random cases from a seed, or from fuzzer bytes.
 *
 * One generator, two sources of choices: a seeded PRNG (campaigns, `gen`) or
 * a byte string (the case_bytes fuzz target), so every byte string decodes to
 * a valid case. All results pass ml_case_validate. */
#ifndef ML_GEN_H
#define ML_GEN_H

#include "case.h"

typedef struct {
    uint64_t s[4];           /* xoshiro256** state */
    const uint8_t *bytes;    /* when non-NULL, choices come from here */
    size_t len, pos;
} ml_src;

typedef struct {
    uint32_t transports;     /* bit mask of 1u << ml_transport; 0 = reduce only */
    uint64_t max_bytes;      /* 0 = ML_DEFAULT_MAX_BYTES; generated cases stay far below */
    int max_ops;             /* 0 = 4 */
    int max_ndim;            /* 0 = 6 */
} ml_gen_opts;

void ml_src_seed(ml_src *s, uint64_t seed);
void ml_src_bytes(ml_src *s, const uint8_t *data, size_t len);
uint64_t ml_src_next(ml_src *s);                 /* 64 random bits (0 once bytes run out) */
uint64_t ml_src_below(ml_src *s, uint64_t n);    /* uniform-ish in [0, n), n > 0 */

/* Fill out with a valid case. Deterministic in the source's state. */
void ml_gen_case(ml_src *s, const ml_gen_opts *o, ml_case *out);

/* Case number i of campaign seed: same (seed, i) gives the same case,
 * independent of how cases are spread over jobs. */
void ml_gen_nth(uint64_t seed, uint64_t i, const ml_gen_opts *o, ml_case *out);

#endif

/* AFL++ custom mutator (AFL_CUSTOM_MUTATOR_LIBRARY) over the same
 * structure-aware mutator libFuzzer uses: afl_custom_fuzz mutates a JSON
 * case, or crosses it with the splice partner AFL++ hands in. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *buf;
    size_t cap;
    unsigned seed;
} mlf_afl;

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
const char *afl_custom_describe(void *data, size_t max_description_len);
void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
    (void)afl;
    mlf_init("afl-mutator", NULL, NULL);
    mlf_afl *m = calloc(1, sizeof *m);
    if (m)
        m->seed = seed;
    return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
    mlf_afl *m = data;
    if (max_size > MLF_MAX_JSON)
        max_size = MLF_MAX_JSON;   /* larger cases are rejected by the target anyway */
    if (m->cap < max_size) {
        uint8_t *nb = realloc(m->buf, max_size);
        if (!nb) {
            *out_buf = buf;
            return buf_size;
        }
        m->buf = nb;
        m->cap = max_size;
    }
    size_t n;
    unsigned seed = m->seed++;
    if (add_buf && add_buf_size && seed % 4 == 0) {
        n = mlf_crossover(buf, buf_size, add_buf, add_buf_size, m->buf, max_size, seed);
    } else {
        n = buf_size < max_size ? buf_size : max_size;
        memcpy(m->buf, buf, n);
        n = mlf_mutate(m->buf, n, max_size, seed, NULL);
    }
    *out_buf = m->buf;
    return n;
}

const char *afl_custom_describe(void *data, size_t max_description_len)
{
    (void)data;
    (void)max_description_len;
    return mlf_mutation_name();
}

void afl_custom_deinit(void *data)
{
    mlf_afl *m = data;
    if (m)
        free(m->buf);
    free(m);
}

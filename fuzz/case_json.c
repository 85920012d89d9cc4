/* case_json: the input is a JSON case (docs/case-format.md). Malformed or
 * invalid input is rejected fast (returns -1: libFuzzer keeps it out of the
 * corpus) and counted, never a finding. A valid case runs in process; a
 * failing verdict is a finding (fuzz.h: abort, or store and go on).
 * Mutated structurally (mutate.c), not byte by byte. */
#include "fuzz.h"

int mlf_case_json(const uint8_t *data, size_t size)
{
    static ml_case c;   /* ~14 KiB */
    /* MLF_MAX_JSON caps the size: larger inputs cannot be canonical cases. */
    if (!mlf_parse_case(data, size, &c))
        return -1;
    mlf_run(&c, data, size);
    return 0;
}

MLF_ENTRY(mlf_case_json, "case_json", true)
MLF_JSON_MUTATOR()

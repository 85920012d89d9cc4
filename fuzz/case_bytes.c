/* case_bytes: every byte string decodes to a valid case (gen.h's byte
 * source drives the same generator as campaigns), so no input is wasted on
 * syntax. Transports come from MLF_TRANSPORTS (default reduce). */
#include "fuzz.h"

int mlf_case_bytes(const uint8_t *data, size_t size)
{
    static ml_case c;
    /* MLF_MAX_DECODE: the decoder draws a whole case from far fewer bytes; a
     * longer input only repeats a shorter one, so it stays out of the corpus. */
    if (size > MLF_MAX_DECODE)
        return -1;
    mlf_decode_case(data, size, &c);
    mlf_run(&c, data, size);
    return 0;
}

MLF_ENTRY(mlf_case_bytes, "case_bytes", true)

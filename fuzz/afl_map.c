/* Pausing AFL++'s coverage map. Built without AFL++'s instrumentation: it
 * declares __afl_area_ptr in every module it instruments, so this file must
 * not be one of them.
 *
 * A finding is written to the store the first time it is seen only; left in
 * the map, that work would make the same input look different on a rerun
 * (AFL++'s "stability"), so meanwhile the map points at scratch memory. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

extern uint8_t *__afl_area_ptr;
extern uint32_t __afl_map_size;

void mlf_afl_pause(bool on);

void mlf_afl_pause(bool on)
{
    static uint8_t *saved, *scratch;
    static uint32_t scratch_len;
    if (on && !saved) {
        if (scratch_len < __afl_map_size) {
            free(scratch);
            scratch = calloc(__afl_map_size, 1);
            scratch_len = scratch ? __afl_map_size : 0;
        }
        if (scratch) {
            saved = __afl_area_ptr;
            __afl_area_ptr = scratch;
        }
    } else if (!on && saved) {
        __afl_area_ptr = saved;
        saved = NULL;
    }
}

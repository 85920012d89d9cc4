/* LeakSanitizer's defaults, compiled into the Python targets (and the
 * corpus replay), so that a bare run (no LSAN_OPTIONS, as ClusterFuzz and
 * `env -i` start it) ends clean: Python is never finalized, and the
 * interpreter's, NumPy's and OpenSSL's process-lifetime allocations are
 * suppressed by fuzz/lsan.supp, whose text the build turns into
 * lsan_supp.h. The harness's own code is never suppressed. Options given
 * in LSAN_OPTIONS still win over these. */
#include "fuzz.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);

const char *__lsan_default_suppressions(void)
{
    return
#include "lsan_supp.h"
        ;
}

const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}

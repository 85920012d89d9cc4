/* AFL++ driver for the fuzz targets: Python, NumPy and joblib are imported
 * first (LLVMFuzzerInitialize), then the deferred fork server starts, so
 * every child begins with an initialized interpreter; each child then runs
 * MLF_AFL_LOOP inputs in persistent mode, read from AFL++'s shared memory.
 * Without afl-fuzz it runs the files named on the command line (or stdin). */
#include "fuzz.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef MLF_AFL_LOOP
#define MLF_AFL_LOOP 10000   /* inputs per forked child: state drifts slowly, forks cost ~1 ms */
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__AFL_FUZZ_INIT();

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    pid_t before = getpid();
    __AFL_INIT();
    if (getpid() != before && mlf_after_fork)
        mlf_after_fork();
    if (argc > 1 && !getenv("__AFL_SHM_ID")) {
        for (int i = 1; i < argc; i++) {
            char err[512];
            size_t len;
            char *data = ml_read_file(argv[i], 1 << 20, &len, err, sizeof err);
            if (!data) {
                fprintf(stderr, "%s\n", err);
                return 2;
            }
            LLVMFuzzerTestOneInput((const uint8_t *)data, len);
            free(data);
        }
        return 0;
    }
    unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(MLF_AFL_LOOP)) {
        int len = __AFL_FUZZ_TESTCASE_LEN;
        LLVMFuzzerTestOneInput(buf, (size_t)len);
    }
    return 0;
}

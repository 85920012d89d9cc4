/* AFL++ driver for the fuzz targets: Python, NumPy and joblib are imported
 * first (LLVMFuzzerInitialize), then the deferred fork server starts, so
 * every child begins with an initialized interpreter; each child then runs
 * MLF_AFL_LOOP inputs in persistent mode, read from AFL++'s shared memory.
 * Without afl-fuzz it runs the files named on the command line (or stdin). */
#include "fuzz.h"
#include "fsutil.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MLF_AFL_LOOP
#define MLF_AFL_LOOP 10000   /* inputs per forked child: state drifts slowly, forks cost ~1 ms */
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__AFL_FUZZ_INIT();

/* MLF_AFL_EXECS=FILE: a count of inputs run, shared by every forked child
 * (a file mapped before the fork server starts). AFL++ 4.04c writes its
 * fuzzer_stats once a minute and its plot_data only after the first minute;
 * fuzz/session.sh reads this to say how a session goes meanwhile. */
static uint64_t *execs_counter;

static void execs_counter_map(void)
{
    const char *path = getenv("MLF_AFL_EXECS");
    if (!path || !*path)
        return;
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0)
        return;
    if (ftruncate(fd, 4096) == 0) {
        void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m != MAP_FAILED)
            execs_counter = m;
    }
    close(fd);
}

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    execs_counter_map();
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
        if (execs_counter)
            __atomic_fetch_add(execs_counter, 1, __ATOMIC_RELAXED);
        LLVMFuzzerTestOneInput(buf, (size_t)len);
    }
    return 0;
}

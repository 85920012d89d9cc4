/* memlayout subprocesses: a program run to its end (pip, git, a Python
 * import check), in a process group of its own that dies with memlayout
 * (SIGKILL as parent-death signal) and is stopped when the caller's stop
 * flag is set, so nothing it starts outlives memlayout. */
#ifndef ML_PROC_H
#define ML_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *cwd;                    /* chdir in the child first; NULL: stay */
    int out_fd;                         /* the child's stdout and stderr; -1: captured (out) */
    const char *const *unset;           /* variables removed from the child's environment;
                                           "NAME*" removes every NAME... */
    const char *const *set;             /* "NAME=VALUE" set in the child's environment */
    volatile sig_atomic_t *stop;        /* nonzero: SIGTERM to the group, SIGKILL 5 s later */
} ml_proc_opts;

#define ML_PROC_FAILED (-1)             /* could not start it */
#define ML_PROC_STOPPED (-2)            /* *stop was set; the group is gone */

/* Runs argv (argv[0] a path, or a name looked up in PATH) with stdin from
 * /dev/null. Returns its exit status, 128 + the signal that killed it, or
 * ML_PROC_FAILED / ML_PROC_STOPPED. With out_fd -1 and out not NULL, *out
 * gets what it wrote (stdout and stderr, at most max bytes, the rest
 * dropped; malloc'd, NUL-terminated). */
int ml_proc_run(const char *const *argv, const ml_proc_opts *o, char **out, size_t max);

/* The last non-empty line of text, white space trimmed, into buf. */
const char *ml_proc_last_line(const char *text, char *buf, size_t len);

#endif

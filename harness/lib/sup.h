/* memlayout supervision: cases run in child processes that initialize Python
 * once and serve many batches (like a fork server). A child that dies or goes
 * silent is killed with its whole process group (pool workers included) and
 * replaced; the supervising process itself never runs Python.
 *
 * Wire format (pipes, one line per message):
 *   supervisor -> child: "<idx> <g> <case json>\n" ... ".\n"   (g=1: worker transport, grouped)
 *   child -> supervisor: "READY <versions json>\n" | "FAIL <reason>\n" once,
 *                        then "<idx> <observation json>\n" per case. */
#ifndef ML_SUP_H
#define ML_SUP_H

#include "py.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;           /* also the id of its process group */
    int to_fd, from_fd;
    int ctl_fd;          /* closed by the supervisor: "finish the batch at hand and stop" */
    char *buf;           /* partial input line(s) */
    size_t len, cap;
    bool eof;
} ml_child;

/* Fork a child, initialize Python in it and wait for its handshake.
 * log_path receives the child's stdout/stderr (NULL: /dev/null; a symbolic
 * link there is not followed).
 * versions (may be NULL) gets the runner's versions JSON; caller frees.
 * The child runs in its own process group (its pool workers, resource
 * trackers and forkserver join it) and dies with this process (SIGKILL as
 * parent-death signal). Before Python starts it forks a small guard process
 * of its own that outlives it: once the child is gone the guard waits up to
 * a second for the group to empty, SIGKILLs what is left of it, removes the
 * child's semaphores (ml_child_sweep) and, when the owner of o->tmpdir is
 * gone too (ml_tmpdir_orphaned), that directory. So every process a child
 * starts dies with it, also when the supervisor is killed with SIGKILL. */
bool ml_child_start(ml_child *c, const ml_py_opts *o, const char *log_path,
                    char **versions, char *err, size_t errlen);
/* The same with the log an open file (appending: the run directory's
 * python.log, store.h): the child writes to it, whatever its path is now. */
bool ml_child_start_fd(ml_child *c, const ml_py_opts *o, int log_fd, char **versions, char *err, size_t errlen);

/* Send one batch. False if the child is gone. */
bool ml_child_send(ml_child *c, int n, const int *idx, char *const *json, const bool *grouped);

/* Read what is available (the fd is readable); calls on_line for every
 * complete result line. Returns false once the child closed its end. */
bool ml_child_read(ml_child *c, void (*on_line)(void *ctx, int idx, const char *json),
                   void *ctx);

/* Kill the child's process group, reap the child and sweep its semaphores.
 * Returns a one-line description of how it ended ("killed by signal 11
 * (Segmentation fault)") in why. */
void ml_child_kill(ml_child *c, char *why, size_t whylen);

/* Ask the child to stop: it finishes the batch at hand, skips the ones
 * queued behind it, shuts its pools and executors down (runner shutdown())
 * and exits. Returns at once; ml_child_stop waits. Idempotent. */
void ml_child_ask_stop(ml_child *c);

/* Ask the child to stop and wait up to grace seconds for it to exit and
 * for its process group to empty (resource trackers unlink what the
 * child's pools registered once the last of them is gone), then SIGKILL
 * what is left and sweep the child's semaphores (ml_child_sweep). */
void ml_child_stop(ml_child *c, double grace);

/* The one place that removes the named POSIX semaphores a child's Python
 * may leave behind when it does not finish its shutdown: loky names them
 * /loky-<creator pid>-<random>, multiprocessing <semprefix>-<random> with
 * the semprefix /mp-ml<child pid> the runner sets (memlayout_runner.init);
 * both live as sem.<name> in /dev/shm. Removes those of child pid; returns
 * how many. Call it only once that child and its process group are gone. */
int ml_child_sweep(pid_t pid);

/* An observation line with status error, for a case whose runner raised or
 * whose process ended ("runner process killed by signal 11 ..."). Escapes
 * msg. Caller frees; NULL on OOM. */
char *ml_error_line(const char *kind, const char *msg);

/* The child's side: serve batches until the input closes or ctl_fd (-1:
 * none) reports the supervisor's end closed, then shut the runner down.
 * Never returns. */
void ml_child_serve(int in_fd, int out_fd, int ctl_fd, const ml_py_opts *o) __attribute__((noreturn));

#endif

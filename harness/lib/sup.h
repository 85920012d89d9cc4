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
    pid_t pid;
    int to_fd, from_fd;
    char *buf;           /* partial input line(s) */
    size_t len, cap;
    bool eof;
} ml_child;

/* Fork a child, initialize Python in it and wait for its handshake.
 * log_path receives the child's stdout/stderr (NULL: /dev/null).
 * versions (may be NULL) gets the runner's versions JSON; caller frees. */
bool ml_child_start(ml_child *c, const ml_py_opts *o, const char *log_path,
                    char **versions, char *err, size_t errlen);

/* Send one batch. False if the child is gone. */
bool ml_child_send(ml_child *c, int n, const int *idx, char *const *json, const bool *grouped);

/* Read what is available (the fd is readable); calls on_line for every
 * complete result line. Returns false once the child closed its end. */
bool ml_child_read(ml_child *c, void (*on_line)(void *ctx, int idx, const char *json),
                   void *ctx);

/* Kill the child's process group and reap it. Returns a one-line description
 * of how it ended ("killed by signal 11 (Segmentation fault)") in why. */
void ml_child_kill(ml_child *c, char *why, size_t whylen);

/* Ask the child to finish (close its input), wait up to grace seconds, then kill. */
void ml_child_stop(ml_child *c, double grace);

/* An observation line with status error, for a case whose runner raised or
 * whose process ended ("runner process killed by signal 11 ..."). Escapes
 * msg. Caller frees; NULL on OOM. */
char *ml_error_line(const char *kind, const char *msg);

/* The child's side: serve batches until the input closes. Never returns. */
void ml_child_serve(int in_fd, int out_fd, const ml_py_opts *o) __attribute__((noreturn));

#endif

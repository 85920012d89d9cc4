/* memlayout subprocesses (proc.h). */
#include "proc.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void unset_matching(const char *pat)
{
    size_t n = strlen(pat);
    if (!n || pat[n - 1] != '*') {
        unsetenv(pat);
        return;
    }
    n--;
    for (;;) {
        char **e = environ;
        while (e && *e && strncmp(*e, pat, n) != 0)
            e++;
        if (!e || !*e)
            return;
        char name[256];
        size_t l = strcspn(*e, "=");
        l = l < sizeof name ? l : sizeof name - 1;
        memcpy(name, *e, l);
        name[l] = 0;
        unsetenv(name);
    }
}

static void child(const char *const *argv, const ml_proc_opts *o, int out, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)   /* memlayout died before the line above */
        _exit(127);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || (o->cwd && chdir(o->cwd) != 0)) {
        dprintf(out, "cannot enter %s: %s\n", o->cwd ? o->cwd : "/dev/null", strerror(errno));
        _exit(126);
    }
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    for (const char *const *u = o->unset; u && *u; u++)
        unset_matching(*u);
    for (const char *const *s = o->set; s && *s; s++) {
        char name[256];
        size_t l = strcspn(*s, "=");
        if (!(*s)[l] || l >= sizeof name)
            continue;
        memcpy(name, *s, l);
        name[l] = 0;
        setenv(name, *s + l + 1, 1);
    }
    execvp(argv[0], (char *const *)argv);
    dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

int ml_proc_run(const char *const *argv, const ml_proc_opts *o, char **out, size_t max)
{
    static const ml_proc_opts none = {.out_fd = -1};
    if (!o)
        o = &none;
    if (out)
        *out = NULL;
    int pfd[2] = {-1, -1};
    bool capture = o->out_fd < 0;
    if (capture && pipe2(pfd, O_CLOEXEC) != 0)
        return ML_PROC_FAILED;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        if (capture) {
            close(pfd[0]);
            close(pfd[1]);
        }
        return ML_PROC_FAILED;
    }
    if (pid == 0)
        child(argv, o, capture ? pfd[1] : o->out_fd, parent);
    setpgid(pid, pid);   /* whoever runs first */
    char *buf = NULL;
    size_t n = 0;
    if (capture) {
        close(pfd[1]);
        buf = malloc(max + 1);
    }
    bool killed = false;
    double kill_at = 0;
    int st = 0;
    for (;;) {
        if (o->stop && *o->stop && !killed) {
            kill(-pid, SIGTERM);
            killed = true;
            kill_at = ml_now() + 5;
        }
        if (killed && ml_now() > kill_at)
            kill(-pid, SIGKILL);
        if (pfd[0] >= 0) {   /* read until the pipe closes, then reap */
            struct pollfd p = {.fd = pfd[0], .events = POLLIN};
            if (poll(&p, 1, 100) > 0) {
                char chunk[4096];
                ssize_t r = read(pfd[0], chunk, sizeof chunk);
                if (r > 0) {
                    size_t take = buf && n < max ? ((size_t)r < max - n ? (size_t)r : max - n) : 0;
                    memcpy(buf + n, chunk, take);
                    n += take;
                } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                    close(pfd[0]);
                    pfd[0] = -1;
                }
            }
            continue;
        }
        pid_t r = waitpid(pid, &st, killed ? WNOHANG : 0);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            free(buf);
            return ML_PROC_FAILED;
        }
        if (killed) {
            struct timespec ts = {0, 50 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    if (buf)
        buf[n] = 0;
    if (out)
        *out = buf;
    else
        free(buf);
    if (killed || (o->stop && *o->stop))
        return ML_PROC_STOPPED;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

const char *ml_proc_last_line(const char *text, char *buf, size_t len)
{
    const char *best = NULL, *end = NULL;
    for (const char *p = text ? text : ""; *p;) {
        const char *e = strchr(p, '\n');
        if (!e)
            e = p + strlen(p);
        const char *a = p, *b = e;
        while (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
            b--;
        if (b > a) {
            best = a;
            end = b;
        }
        p = *e ? e + 1 : e;
    }
    size_t l = best ? (size_t)(end - best) : 0;
    if (len) {
        l = l < len - 1 ? l : len - 1;
        memcpy(buf, best ? best : "", l);
        buf[l] = 0;
    }
    return buf;
}

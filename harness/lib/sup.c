#include "sup.h"
#include "fsutil.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HANDSHAKE_SECONDS 60.0   /* importing NumPy and joblib takes ~0.4 s; a cold disk far more */
#define GROUP_SECONDS 1.0        /* a guard's wait for a dead child's group to empty */
#define SEM_DIR "/dev/shm"       /* where glibc keeps named POSIX semaphores */

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Does process group pgid have a member that is not a zombie? Zombies
 * count as gone: once reparented, they wait for init to reap them, which
 * some inits do only every second or two. */
static bool group_alive(pid_t pgid)
{
    if (kill(-pgid, 0) != 0 && errno == ESRCH)
        return false;
    DIR *d = opendir("/proc");
    if (!d)
        return true;
    bool alive = false;
    struct dirent *e;
    char path[64], buf[512];
    while (!alive && (e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%.20s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
            continue;
        buf[n] = 0;
        char *p = strrchr(buf, ')'), state;
        int ppid, pgrp;
        if (p && sscanf(p + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == (int)pgid)
            alive = state != 'Z' && state != 'X';
    }
    closedir(d);
    return alive;
}

/* Waits until process group pgid has no live member left; false at end. */
static bool group_gone(pid_t pgid, double end)
{
    for (;;) {
        if (!group_alive(pgid))
            return true;
        if (ml_now() >= end)
            return false;
        nap_ms(10);
    }
}

int ml_child_sweep(pid_t pid)
{
    char loky[48], mp[48];
    int nl = snprintf(loky, sizeof loky, "sem.loky-%d-", (int)pid);
    int nm = snprintf(mp, sizeof mp, "sem.mp-ml%d-", (int)pid);
    DIR *d = pid > 0 ? opendir(SEM_DIR) : NULL;
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, loky, (size_t)nl) || !strncmp(e->d_name, mp, (size_t)nm))
            n += unlinkat(dirfd(d), e->d_name, 0) == 0;
    closedir(d);
    return n;
}

/* Closes every descriptor from lo up, except the (ascending) ones in keep. */
static void close_from(int lo, const int *keep, int nkeep)
{
    struct rlimit rl;
    unsigned top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (unsigned)rl.rlim_cur : 65536;
    for (int k = 0; k <= nkeep; k++) {
        unsigned hi = k < nkeep ? (unsigned)keep[k] : ~0U;
        if (hi > (unsigned)lo && close_range((unsigned)lo, hi - 1, 0) != 0)
            for (unsigned fd = (unsigned)lo; fd < hi && fd < top; fd++)
                close((int)fd);
        if (k < nkeep && keep[k] >= lo)
            lo = keep[k] + 1;
    }
}

/* The guard of a child (sup.h): forked by the child before Python starts,
 * in its own session, with no descriptor of anyone's. */
static void guard(pid_t child, const char *tmpdir) __attribute__((noreturn));
static void guard(pid_t child, const char *tmpdir)
{
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    prctl(PR_SET_PDEATHSIG, SIGUSR1);
    if (setsid() < 0)
        setpgid(0, 0);
    prctl(PR_SET_NAME, "memlayout-guard");
    close_from(0, NULL, 0);
    if (getppid() == child)   /* else it died before the prctl */
        while (sigwaitinfo(&usr1, NULL) < 0 && errno == EINTR)
            ;
    /* Resource trackers clean up once the last process of the group is
     * gone; pool workers of a child that did not shut down never leave. */
    if (!group_gone(child, ml_now() + GROUP_SECONDS)) {
        kill(-child, SIGKILL);
        group_gone(child, ml_now() + GROUP_SECONDS);
    }
    ml_child_sweep(child);
    if (tmpdir && ml_tmpdir_orphaned(tmpdir))
        ml_rmtree(tmpdir);
    _exit(0);
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* ---- child side ---------------------------------------------------------- */

typedef struct {
    FILE *in;
    int out;
    char *line;
    size_t cap;
} serve_io;

char *ml_error_line(const char *kind, const char *msg)
{
    ml_strbuf b = {0};
    ml_strbuf_fmt(&b, "{\"status\":\"error\",\"error_kind\":\"%s\",\"message\":", kind);
    ml_strbuf_json(&b, msg, strlen(msg), false);
    ml_strbuf_put(&b, "}", 1);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* Has the supervisor closed its end of the control pipe? */
static bool stop_asked(int ctl_fd)
{
    struct pollfd p = {.fd = ctl_fd, .events = POLLIN};
    return ctl_fd >= 0 && poll(&p, 1, 0) > 0;
}

void ml_child_serve(int in_fd, int out_fd, int ctl_fd, const ml_py_opts *o)
{
    char err[512];
    char *versions = NULL;
    if (!ml_py_init(o, &versions, err, sizeof err)) {
        dprintf(out_fd, "FAIL %s\n", err);
        _exit(3);
    }
    dprintf(out_fd, "READY %s\n", versions ? versions : "{}");
    free(versions);

    FILE *in = fdopen(in_fd, "r");
    char *line = NULL;
    size_t cap = 0;
    int n = 0, ncap = 0;
    int *idx = NULL;
    char **json = NULL;
    bool *grouped = NULL;
    ssize_t len;
    while (in && (len = getline(&line, &cap, in)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = 0;
        if (n == 0 && stop_asked(ctl_fd))
            break;   /* batches still queued are not wanted any more */
        if (strcmp(line, ".") != 0) {
            int i, g, off = 0;
            if (sscanf(line, "%d %d %n", &i, &g, &off) < 2 || off == 0)
                continue;
            if (n == ncap) {
                ncap = ncap ? 2 * ncap : 64;
                idx = realloc(idx, ncap * sizeof *idx);
                json = realloc(json, ncap * sizeof *json);
                grouped = realloc(grouped, ncap * sizeof *grouped);
                if (!idx || !json || !grouped)
                    _exit(3);
            }
            idx[n] = i;
            grouped[n] = g != 0;
            json[n] = strdup(line + off);
            n++;
            continue;
        }
        /* One Python call and one write per batch: the supervisor wakes once
         * per batch. A case that kills this process takes the batch's answers
         * with it; the supervisor re-runs those cases one by one. */
        char **res = calloc(n, sizeof *res);
        bool ok = res && ml_py_run_batch(json, n, res, err, sizeof err);
        char *fallback = ok ? NULL : ml_error_line("protocol", err);
        size_t total = 0;
        for (int k = 0; k < n; k++)
            total += strlen(ok ? res[k] : fallback ? fallback : "{}") + 16;
        char *buf = malloc(total + 1), *p = buf;
        for (int k = 0; k < n && buf; k++) {
            const char *r = ok ? res[k] : fallback ? fallback : "{}";
            p += sprintf(p, "%d %s\n", idx[k], r);
        }
        bool sent = buf && write_all(out_fd, buf, (size_t)(p - buf));
        free(buf);
        free(fallback);
        for (int k = 0; k < n; k++) {
            if (res)
                free(res[k]);
            free(json[k]);
        }
        free(res);
        n = 0;
        if (!sent)
            break;   /* supervisor gone, or no memory: nothing left to serve */
    }
    ml_py_shutdown();
    _exit(0);
}

/* ---- supervisor side ------------------------------------------------------ */

/* Reads what the child has written, growing the buffer; read()'s result
 * (-1 with errno ENOMEM when the buffer cannot grow). */
static ssize_t read_more(ml_child *c)
{
    if (c->len + 65536 > c->cap) {
        size_t cap = c->cap * 2 + 65536;
        char *nb = realloc(c->buf, cap);
        if (!nb) {
            errno = ENOMEM;
            return -1;
        }
        c->buf = nb;
        c->cap = cap;
    }
    return read(c->from_fd, c->buf + c->len, c->cap - c->len);
}

static bool read_line_blocking(ml_child *c, char **line, double timeout)
{
    double end = ml_now() + timeout;
    for (;;) {
        char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
        if (nl) {
            *nl = 0;
            *line = strdup(c->buf);
            size_t used = (size_t)(nl - c->buf) + 1;
            memmove(c->buf, nl + 1, c->len - used);
            c->len -= used;
            return *line != NULL;
        }
        double left = end - ml_now();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = c->from_fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            return false;   /* a signal: let the caller decide */
        if (r <= 0)
            continue;
        ssize_t got = read_more(c);
        if (got <= 0)
            return false;
        c->len += (size_t)got;
    }
}

static bool child_start(ml_child *c, const ml_py_opts *o, const char *log_path, int log_fd,
                        char **versions, char *err, size_t errlen);

bool ml_child_start(ml_child *c, const ml_py_opts *o, const char *log_path,
                    char **versions, char *err, size_t errlen)
{
    return child_start(c, o, log_path, -1, versions, err, errlen);
}

bool ml_child_start_fd(ml_child *c, const ml_py_opts *o, int log_fd, char **versions, char *err, size_t errlen)
{
    return child_start(c, o, NULL, log_fd, versions, err, errlen);
}

static bool child_start(ml_child *c, const ml_py_opts *o, const char *log_path, int log_fd,
                        char **versions, char *err, size_t errlen)
{
    int down[2], up[2], ctl[2];
    memset(c, 0, sizeof *c);
    c->pid = -1;
    c->to_fd = c->from_fd = c->ctl_fd = -1;
    if (pipe2(down, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "runner: pipe: %s", strerror(errno));
        return false;
    }
    if (pipe2(up, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "runner: pipe: %s", strerror(errno));
        close(down[0]); close(down[1]);
        return false;
    }
    if (pipe2(ctl, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "runner: pipe: %s", strerror(errno));
        close(down[0]); close(down[1]); close(up[0]); close(up[1]);
        return false;
    }
    /* Large pipes: a whole batch fits without either side blocking. */
    fcntl(down[1], F_SETPIPE_SZ, 1 << 20);
    fcntl(up[1], F_SETPIPE_SZ, 1 << 20);
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "runner: fork: %s", strerror(errno));
        close(down[0]); close(down[1]); close(up[0]); close(up[1]); close(ctl[0]); close(ctl[1]);
        return false;
    }
    if (pid == 0) {
        /* Own process group: the supervisor kills pool workers with us, and a
         * terminal's Ctrl-C reaches the supervisor only, which cleans up. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(3);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        /* the log: the supervisor's open file, else opened here, never through a link */
        int fd = log_fd >= 0 ? dup(log_fd)
                             : open(log_path ? log_path : "/dev/null",
                                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (log_path ? O_NOFOLLOW : 0), 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) {
            dup2(nul, 0);
            close(nul);
        }
        /* Nothing of the supervisor's: another child's pipe end held here
         * would keep that child from ever seeing the end of its input. */
        int keep[3] = {down[0], up[1], ctl[0]};
        for (int i = 1; i < 3; i++)
            for (int k = i; k > 0 && keep[k] < keep[k - 1]; k--) {
                int t = keep[k];
                keep[k] = keep[k - 1];
                keep[k - 1] = t;
            }
        close_from(3, keep, 3);
        pid_t me = getpid();
        pid_t g = fork();
        if (g == 0)
            guard(me, o->tmpdir);
        ml_child_serve(down[0], up[1], ctl[0], o);
    }
    setpgid(pid, pid);   /* also here: no race with an early kill */
    /* For tests and diagnosis: which processes were memlayout's children
     * (their pids name what they leave in /dev/shm). */
    const char *pids = getenv("MEMLAYOUT_CHILD_PIDS");
    int pfd = pids && *pids ? open(pids, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
    if (pfd >= 0) {
        dprintf(pfd, "%d\n", (int)pid);
        close(pfd);
    }
    close(down[0]);
    close(up[1]);
    close(ctl[0]);
    c->pid = pid;
    c->to_fd = down[1];
    c->from_fd = up[0];
    c->ctl_fd = ctl[1];

    char *line = NULL;
    if (!read_line_blocking(c, &line, HANDSHAKE_SECONDS)) {
        char why[128];
        ml_child_kill(c, why, sizeof why);
        snprintf(err, errlen, "runner: no answer from the Python child (%s)", why);
        return false;
    }
    if (strncmp(line, "READY ", 6) != 0) {
        char why[128];
        snprintf(err, errlen, "%s", strncmp(line, "FAIL ", 5) == 0 ? line + 5 : line);
        free(line);
        ml_child_kill(c, why, sizeof why);
        return false;
    }
    if (versions)
        *versions = strdup(line + 6);
    free(line);
    return true;
}

bool ml_child_send(ml_child *c, int n, const int *idx, char *const *json, const bool *grouped)
{
    size_t total = 3;
    for (int i = 0; i < n; i++)
        total += strlen(json[i]) + 32;
    char *msg = malloc(total), *p = msg;
    if (!msg)
        return false;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(json[i]);
        while (l && json[i][l - 1] == '\n')
            l--;   /* canonical JSON ends in a newline; the wire adds its own */
        p += sprintf(p, "%d %d ", idx[i], grouped[i] ? 1 : 0);
        memcpy(p, json[i], l);
        p += l;
        *p++ = '\n';
    }
    *p++ = '.';
    *p++ = '\n';
    bool ok = write_all(c->to_fd, msg, (size_t)(p - msg));
    free(msg);
    return ok;
}

bool ml_child_read(ml_child *c, void (*on_line)(void *ctx, int idx, const char *json), void *ctx)
{
    ssize_t got = read_more(c);
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (got <= 0) {
        c->eof = true;
        return false;
    }
    c->len += (size_t)got;
    size_t start = 0;
    for (;;) {
        char *nl = memchr(c->buf + start, '\n', c->len - start);
        if (!nl)
            break;
        *nl = 0;
        char *line = c->buf + start, *sp = strchr(line, ' ');
        if (sp)
            on_line(ctx, atoi(line), sp + 1);
        start = (size_t)(nl - c->buf) + 1;
    }
    memmove(c->buf, c->buf + start, c->len - start);
    c->len -= start;
    return true;
}

static void describe_status(int status, char *why, size_t whylen)
{
    if (WIFSIGNALED(status))
        snprintf(why, whylen, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(why, whylen, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(why, whylen, "ended");
}

static void close_fds(ml_child *c)
{
    if (c->to_fd >= 0)
        close(c->to_fd);
    if (c->from_fd >= 0)
        close(c->from_fd);
    if (c->ctl_fd >= 0)
        close(c->ctl_fd);
    c->to_fd = c->from_fd = c->ctl_fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
}

void ml_child_kill(ml_child *c, char *why, size_t whylen)
{
    snprintf(why, whylen, "not running");
    if (c->pid > 0) {
        int status = 0;
        /* Reap first if it already died, so its own death is reported; after
         * end of input it is dying, give it a moment to finish. */
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        for (int i = 0; r == 0 && c->eof && i < 100; i++) {
            nap_ms(10);
            r = waitpid(c->pid, &status, WNOHANG);
        }
        kill(-c->pid, SIGKILL);
        if (r == 0) {
            kill(c->pid, SIGKILL);
            while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
                ;
            snprintf(why, whylen, "stopped answering and was killed");
        } else if (r == c->pid) {
            describe_status(status, why, whylen);
        }
        ml_child_sweep(c->pid);
        c->pid = -1;
    }
    close_fds(c);
}

void ml_child_ask_stop(ml_child *c)
{
    if (c->ctl_fd >= 0)
        close(c->ctl_fd);
    if (c->to_fd >= 0)
        close(c->to_fd);
    c->ctl_fd = c->to_fd = -1;
}

void ml_child_stop(ml_child *c, double grace)
{
    if (c->pid <= 0) {
        close_fds(c);
        return;
    }
    ml_child_ask_stop(c);
    double end = ml_now() + grace;
    int status;
    char sink[65536];
    while (ml_now() < end) {
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == c->pid) {
            /* Its resource trackers unlink what it left registered once the
             * last process of the group is gone: give them that moment. */
            double now = ml_now();
            if (!group_gone(c->pid, end > now + 0.5 ? end : now + 0.5))
                kill(-c->pid, SIGKILL);   /* leftover pool workers */
            ml_child_sweep(c->pid);
            c->pid = -1;
            close_fds(c);
            return;
        }
        /* Answers to the batch it finishes are not wanted; a full pipe
         * must not keep it from reaching its shutdown. */
        struct pollfd p = {.fd = c->from_fd, .events = POLLIN};
        if (c->from_fd >= 0 && poll(&p, 1, 10) > 0 && read(c->from_fd, sink, sizeof sink) == 0) {
            close(c->from_fd);
            c->from_fd = -1;
        } else if (c->from_fd < 0) {
            nap_ms(10);
        }
    }
    char why[64];
    ml_child_kill(c, why, sizeof why);
}

#include "sup.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HANDSHAKE_SECONDS 60.0   /* importing NumPy and joblib takes ~0.4 s; a cold disk far more */

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
    size_t n = strlen(msg) * 6 + 96;
    char *s = malloc(n), *p;
    if (!s)
        return NULL;
    p = s + sprintf(s, "{\"status\":\"error\",\"error_kind\":\"%s\",\"message\":\"", kind);
    for (const unsigned char *m = (const unsigned char *)msg; *m; m++) {
        if (*m == '"' || *m == '\\')
            p += sprintf(p, "\\%c", *m);
        else if (*m < 0x20)
            p += sprintf(p, "\\u%04x", *m);
        else
            *p++ = (char)*m;
    }
    strcpy(p, "\"}");
    return s;
}

void ml_child_serve(int in_fd, int out_fd, const ml_py_opts *o)
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
        if (!buf || !write_all(out_fd, buf, (size_t)(p - buf)))
            _exit(0);   /* supervisor gone, or no memory: nothing left to serve */
        free(buf);
        free(fallback);
        for (int k = 0; k < n; k++) {
            if (res)
                free(res[k]);
            free(json[k]);
        }
        free(res);
        n = 0;
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

bool ml_child_start(ml_child *c, const ml_py_opts *o, const char *log_path,
                    char **versions, char *err, size_t errlen)
{
    int down[2], up[2];
    memset(c, 0, sizeof *c);
    c->pid = -1;
    if (pipe2(down, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "runner: pipe: %s", strerror(errno));
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
        close(down[0]); close(down[1]); close(up[0]); close(up[1]);
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
        int fd = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
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
        close(down[1]);
        close(up[0]);
        ml_child_serve(down[0], up[1], o);
    }
    setpgid(pid, pid);   /* also here: no race with an early kill */
    close(down[0]);
    close(up[1]);
    c->pid = pid;
    c->to_fd = down[1];
    c->from_fd = up[0];

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
    c->to_fd = c->from_fd = -1;
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
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
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
        c->pid = -1;
    }
    close_fds(c);
}

void ml_child_stop(ml_child *c, double grace)
{
    if (c->pid <= 0) {
        close_fds(c);
        return;
    }
    close(c->to_fd);
    c->to_fd = -1;
    double end = ml_now() + grace;
    int status;
    while (ml_now() < end) {
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == c->pid) {
            kill(-c->pid, SIGKILL);   /* leftover pool workers */
            c->pid = -1;
            close_fds(c);
            return;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    char why[64];
    ml_child_kill(c, why, sizeof why);
}

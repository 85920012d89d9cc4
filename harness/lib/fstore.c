/* The store's directories, opened safely, and the fuzz targets' finding
 * store: see store.h. Apart from store.c so that the fuzz targets link it
 * without the run directory's triage and summary. */
#include "store.h"

#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAW "raw"
#define SEEN ".seen"
#define LOG "log.tsv"
#define ORIG ".orig.json"
#define MIN ".min"

/* ---- directories ------------------------------------------------------------ */

/* Why st may not hold what memlayout writes, or NULL. */
static const char *unsafe_dir(const struct stat *st)
{
    if (st->st_uid != geteuid())
        return "belongs to another user: memlayout writes only into its user's directories";
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return "is group- or world-writable: another user could replace what memlayout writes there "
               "(chmod go-w)";
    return NULL;
}

int ml_store_open_dir(const char *path, bool create, bool *refused, char *err, size_t errlen)
{
    *refused = false;
    char *p = strdup(path);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')   /* "dir/" would follow a link named dir */
        p[--n] = 0;
    struct stat st;
    if (create && lstat(p, &st) != 0 && errno == ENOENT) {
        char *slash = strrchr(p, '/');
        if (slash && slash != p) {
            *slash = 0;
            bool ok = ml_mkdirs(p, err, errlen);
            *slash = '/';
            if (!ok) {
                free(p);
                return -1;
            }
        }
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "%s: cannot create directory: %s", path, strerror(errno));
            free(p);
            return -1;
        }
    }
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    if (fd < 0) {
        if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode)) {
            *refused = true;
            snprintf(err, errlen, "%s is a symbolic link: memlayout writes only into a real directory", path);
        } else if (e == ENOTDIR) {
            *refused = true;
            snprintf(err, errlen, "%s is not a directory", path);
        } else {
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
        }
        free(p);
        return -1;
    }
    free(p);
    const char *why = fstat(fd, &st) != 0 ? strerror(errno) : unsafe_dir(&st);
    if (why) {
        *refused = true;
        snprintf(err, errlen, "%s %s", path, why);
        close(fd);
        return -1;
    }
    return fd;
}

int ml_store_open_subdir(int dfd, const char *dir, const char *name, bool create, char *err, size_t errlen)
{
    if (create && mkdirat(dfd, name, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s/%s: cannot create directory: %s", dir, name, strerror(errno));
        return -1;
    }
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s/%s%s%s", dir, name,
                 e == ELOOP || e == ENOTDIR ? " is not a directory (a symbolic link?)" : ": ",
                 e == ELOOP || e == ENOTDIR ? "" : strerror(e));
        errno = e;
        return -1;
    }
    struct stat st;
    const char *why = fstat(fd, &st) != 0 ? strerror(errno) : unsafe_dir(&st);
    if (why) {
        snprintf(err, errlen, "%s/%s %s", dir, name, why);
        close(fd);
        errno = EPERM;
        return -1;
    }
    return fd;
}

/* ---- the fuzz store ----------------------------------------------------------- */

struct ml_fstore {
    char *dir;
    int dfd, raw_fd, seen_fd;
};

ml_fstore *ml_fstore_open(const char *dir, bool create, char *err, size_t errlen)
{
    ml_fstore *f = calloc(1, sizeof *f);
    if (!f || !(f->dir = strdup(dir))) {
        free(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->raw_fd = f->seen_fd = -1;
    bool refused;
    f->dfd = ml_store_open_dir(dir, create, &refused, err, errlen);
    if (f->dfd >= 0) {
        f->raw_fd = ml_store_open_subdir(f->dfd, dir, RAW, create, err, errlen);
        /* a reader of a store without raw/ (all minimized, raw/ removed) is fine */
        if (f->raw_fd < 0 && !create && errno == ENOENT)
            err[0] = 0;
        else if (f->raw_fd < 0)
            goto fail;
    }
    if (f->dfd >= 0 && create && (f->seen_fd = ml_store_open_subdir(f->dfd, dir, SEEN, true, err, errlen)) < 0)
        goto fail;
    if (f->dfd >= 0)
        return f;
fail:
    ml_fstore_close(f);
    return NULL;
}

void ml_fstore_close(ml_fstore *f)
{
    if (!f)
        return;
    int fds[] = {f->dfd, f->raw_fd, f->seen_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(f->dir);
    free(f);
}

const char *ml_fstore_dir(const ml_fstore *f)
{
    return f->dir;
}

static uint64_t fnv(const char *s, uint64_t h)
{
    for (h ^= 1469598103934665603ull; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h ? h : 1;
}

void ml_fstore_slug(const char *sig, char *buf, size_t len)
{
    size_t k = 0;
    for (const char *p = sig; *p && k + 18 < len && k < 96; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (ok)
            buf[k++] = ch;
        else if (k && buf[k - 1] != '-')
            buf[k++] = '-';
    }
    snprintf(buf + k, len - k, "%s%08llx", k && buf[k - 1] == '-' ? "" : "-",
             (unsigned long long)(fnv(sig, 7) & 0xffffffffu));
}

/* A name of the store: one path component of letters, digits, '-', '_', '.'. */
static bool good_name(const char *name, char *err, size_t errlen)
{
    bool ok = name[0] && name[0] != '.' && strlen(name) < 200;
    for (const char *p = name; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
             *p == '_' || *p == '.';
    if (!ok)
        snprintf(err, errlen, "\"%.60s\": not a name of the finding store", name);
    return ok;
}

static int where(const ml_fstore *f, bool raw)
{
    return raw ? f->raw_fd : f->dfd;
}

bool ml_fstore_put(ml_fstore *f, bool raw, const char *name, const char *case_json, const char *orig_json,
                   char *err, size_t errlen)
{
    if (!good_name(name, err, errlen))
        return false;
    if (where(f, raw) < 0) {
        snprintf(err, errlen, "%s/%s: not open", f->dir, RAW);
        return false;
    }
    char file[256], shown[PATH_MAX + 300];
    const char *texts[2] = {orig_json, case_json}, *ext[2] = {ORIG, ".json"};
    for (int i = 0; i < 2; i++) {   /* the original first: the case names a complete pair */
        if (!texts[i])
            continue;
        snprintf(file, sizeof file, "%s%s", name, ext[i]);
        snprintf(shown, sizeof shown, "%s/%s%s%s", f->dir, raw ? RAW "/" : "", file, "");
        if (!ml_write_atomic_at(where(f, raw), file, shown, texts[i], strlen(texts[i]), err, errlen))
            return false;
    }
    return true;
}

char *ml_fstore_read(const ml_fstore *f, bool raw, const char *name, bool orig, size_t *len, char *err,
                     size_t errlen)
{
    char file[256];
    if (!good_name(name, err, errlen))
        return NULL;
    snprintf(file, sizeof file, "%s%s", name, orig ? ORIG : ".json");
    int fd = where(f, raw) >= 0 ? openat(where(f, raw), file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                                : -1;
    struct stat st;
    char *buf = NULL;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s/%s%s: %s", f->dir, raw ? RAW "/" : "", file,
                 errno == ELOOP ? "a symbolic link" : strerror(errno));
    } else if (!S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
        snprintf(err, errlen, "%s/%s%s: %s", f->dir, raw ? RAW "/" : "", file,
                 S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a regular file");
    } else if ((buf = malloc((size_t)st.st_size + 1))) {
        ssize_t n = read(fd, buf, (size_t)st.st_size);
        if (n < 0) {
            snprintf(err, errlen, "%s/%s%s: %s", f->dir, raw ? RAW "/" : "", file, strerror(errno));
            free(buf);
            buf = NULL;
        } else {
            buf[n] = 0;
            *len = (size_t)n;
        }
    } else {
        snprintf(err, errlen, "out of memory");
    }
    if (fd >= 0)
        close(fd);
    return buf;
}

/* ---- log.tsv ------------------------------------------------------------------- */

/* s without tabs and line ends, into buf */
static const char *field(const char *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s", s ? s : "");
    for (char *p = buf; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
    return buf;
}

bool ml_fstore_log(ml_fstore *f, const ml_fstore_log_line *l, char *err, size_t errlen)
{
    char line[1400], a[64], b[16], c[512], d[256], e[16];
    int n = snprintf(line, sizeof line, "%.3f\t%llu\t%ld\t%s\t%s\t%s\t%s\t%s\n", l->t, l->inputs, l->pid,
                     field(l->target, a, sizeof a), field(l->what, b, sizeof b), field(l->sig, c, sizeof c),
                     field(l->file, d, sizeof d), field(l->class_id, e, sizeof e));
    if (n < 0 || n >= (int)sizeof line) {
        snprintf(err, errlen, "%s/%s: a line too long", f->dir, LOG);
        return false;
    }
    int fd = openat(f->dfd, LOG, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s/%s: cannot write: %s", f->dir, LOG,
                 fd < 0 && errno == ELOOP ? "a symbolic link" : fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return false;
    }
    /* One write with O_APPEND: the lines of the session's processes never
     * interleave. A short one (a full disk) is cut off again when no other
     * line followed it, so that no reader sees a torn line. */
    ssize_t w;
    do
        w = write(fd, line, (size_t)n);
    while (w < 0 && errno == EINTR);
    bool ok = w == n;
    if (!ok) {
        int e2 = w < 0 ? errno : ENOSPC;
        off_t end = lseek(fd, 0, SEEK_CUR);
        if (w > 0 && end >= w && fstat(fd, &st) == 0 && st.st_size == end && ftruncate(fd, end - w) != 0) {
            /* the reader skips a line without its end */
        }
        snprintf(err, errlen, "%s/%s: cannot write: %s", f->dir, LOG, strerror(e2));
    }
    if (close(fd) != 0 && ok) {
        snprintf(err, errlen, "%s/%s: cannot write: %s", f->dir, LOG, strerror(errno));
        ok = false;
    }
    return ok;
}

bool ml_fstore_log_parse(const char *line, size_t len, ml_fstore_log_line *l)
{
    char buf[1400];
    memset(l, 0, sizeof *l);
    if (len >= sizeof buf || !len || line[len - 1] != '\n')
        return false;   /* too long, or torn */
    memcpy(buf, line, len);
    buf[len - 1] = 0;
    char *f[8];
    int n = 0;
    for (char *p = buf; n < 8; n++) {
        f[n] = p;
        char *tab = strchr(p, '\t');
        if (!tab) {
            n++;
            break;
        }
        *tab = 0;
        p = tab + 1;
    }
    if (n < 7)
        return false;
    char *end;
    l->t = strtod(f[0], &end);
    if (end == f[0])
        return false;
    l->inputs = strtoull(f[1], NULL, 10);
    l->pid = strtol(f[2], NULL, 10);
    snprintf(l->target, sizeof l->target, "%s", f[3]);
    snprintf(l->what, sizeof l->what, "%s", f[4]);
    snprintf(l->sig, sizeof l->sig, "%s", f[5]);
    snprintf(l->file, sizeof l->file, "%s", f[6]);
    snprintf(l->class_id, sizeof l->class_id, "%.8s", n > 7 ? f[7] : "");
    return l->what[0] && l->file[0];
}

int ml_fstore_log_read(const ml_fstore *f, ml_fstore_log_line **out)
{
    *out = NULL;
    int fd = openat(f->dfd, LOG, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    FILE *in = NULL;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(in = fdopen(fd, "r"))) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    int n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, in)) > 0) {
        ml_fstore_log_line l;
        if (!ml_fstore_log_parse(line, (size_t)len, &l))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            ml_fstore_log_line *v = realloc(*out, (size_t)cap * sizeof *v);
            if (!v)
                break;
            *out = v;
        }
        (*out)[n++] = l;
    }
    free(line);
    fclose(in);
    return n;
}

/* ---- markers ----------------------------------------------------------------------- */

bool ml_fstore_seen(ml_fstore *f, uint64_t key)
{
    char name[32];
    snprintf(name, sizeof name, "%016llx", (unsigned long long)key);
    int fd = f->seen_fd >= 0 ? openat(f->seen_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)
                             : -1;
    if (fd < 0)
        return errno == EEXIST;
    close(fd);
    return false;
}

bool ml_fstore_mark(ml_fstore *f, const char *name, const char *what, char *err, size_t errlen)
{
    char file[256], text[400], shown[PATH_MAX + 300];
    if (!good_name(name, err, errlen))
        return false;
    snprintf(file, sizeof file, "%s" MIN, name);
    int n = snprintf(text, sizeof text, "%s\n", what);
    snprintf(shown, sizeof shown, "%s/" RAW "/%s", f->dir, file);
    return ml_write_atomic_at(f->raw_fd, file, shown, text, (size_t)n, err, errlen);
}

bool ml_fstore_marked(const ml_fstore *f, const char *name)
{
    char file[256];
    struct stat st;
    snprintf(file, sizeof file, "%s" MIN, name);
    return f->raw_fd >= 0 && fstatat(f->raw_fd, file, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* ---- the raw findings in found order --------------------------------------------------- */

typedef struct {
    char **v;
    int n, cap;
    bool oom;
} names;

static void names_add(names *ns, const char *s, size_t len)
{
    for (int i = ns->n - 1; i >= 0; i--)   /* the log names each raw finding once: short scans */
        if (strlen(ns->v[i]) == len && !strncmp(ns->v[i], s, len))
            return;
    if (ns->n == ns->cap) {
        int cap = ns->cap ? 2 * ns->cap : 64;
        char **v = realloc(ns->v, (size_t)cap * sizeof *v);
        if (!v) {
            ns->oom = true;
            return;
        }
        ns->v = v;
        ns->cap = cap;
    }
    if (!(ns->v[ns->n] = strndup(s, len)))
        ns->oom = true;
    else
        ns->n++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ml_fstore_raw(const ml_fstore *f, char ***out)
{
    names ns = {0};
    *out = NULL;
    ml_fstore_log_line *log;
    int nl = ml_fstore_log_read(f, &log);
    for (int i = 0; i < nl; i++)
        if (!strcmp(log[i].what, "raw") && !strncmp(log[i].file, RAW "/", 4) && log[i].file[4])
            names_add(&ns, log[i].file + 4, strlen(log[i].file + 4));
    free(log);
    int logged = ns.n;
    int fd = f->raw_fd >= 0 ? openat(f->raw_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d && fd >= 0)
        close(fd);
    const struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t bl = strlen(e->d_name);
        if (bl > 5 && !strcmp(e->d_name + bl - 5, ".json") &&
            (bl <= strlen(ORIG) || strcmp(e->d_name + bl - strlen(ORIG), ORIG)) && e->d_name[0] != '.')
            names_add(&ns, e->d_name, bl - 5);
    }
    if (d)
        closedir(d);
    if (ns.n > logged)   /* the ones the log lacks, by name */
        qsort(ns.v + logged, (size_t)(ns.n - logged), sizeof *ns.v, cmp_str);
    if (ns.oom) {
        ml_fstore_names_free(ns.v, ns.n);
        return -1;
    }
    *out = ns.v;
    return ns.n;
}

void ml_fstore_names_free(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* ---- what is a finding -------------------------------------------------------------------- */

bool ml_fstore_is(const char *dir)
{
    char p[PATH_MAX];
    struct stat st;
    snprintf(p, sizeof p, "%s/" LOG, dir);
    if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
        return true;
    snprintf(p, sizeof p, "%s/" RAW, dir);
    return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

bool ml_fstore_orig_of(const char *path, char *buf, size_t len)
{
    size_t pl = strlen(path);
    if (pl <= 5 || strcmp(path + pl - 5, ".json") || ml_fstore_not_a_finding(path))
        return false;
    snprintf(buf, len, "%.*s" ORIG, (int)(pl - 5), path);
    struct stat st;
    return lstat(buf, &st) == 0 && S_ISREG(st.st_mode);
}

bool ml_fstore_raw_pending(const char *path)
{
    size_t pl = strlen(path);
    const char *b = strrchr(path, '/');
    return b && b - path >= 4 && !strncmp(b - 4, "/" RAW, 4) && pl > 5 && !strcmp(path + pl - 5, ".json") &&
           !ml_fstore_not_a_finding(path);
}

bool ml_fstore_not_a_finding(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t bl = strlen(b), pl = strlen(path), ol = strlen(ORIG);
    if (bl > ol && !strcmp(b + bl - ol, ORIG))
        return true;
    if (pl <= 5 || strcmp(path + pl - 5, ".json") || b - path < 5 || strncmp(b - 5, "/" RAW "/", 5))
        return false;
    char mark[PATH_MAX];
    snprintf(mark, sizeof mark, "%.*s" MIN, (int)(pl - 5), path);
    struct stat st;
    return lstat(mark, &st) == 0;
}

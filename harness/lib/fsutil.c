#include "fsutil.h"

#include <dirent.h>
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the private temp directory and its owner record ---------------------- */

#define OWNER_FILE "owner"

typedef struct {
    long pid;
    unsigned long long start;   /* /proc/PID/stat field 22: clock ticks after boot */
    char boot[40];              /* /proc/sys/kernel/random/boot_id, "" if unknown */
    unsigned long long ns;      /* inode of /proc/self/ns/pid, 0 if unknown */
} owner_rec;

static void read_boot_id(char *buf, size_t len)
{
    buf[0] = 0;
    int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    buf[strcspn(buf, " \t\r\n")] = 0;
}

static unsigned long long pid_ns(void)
{
    struct stat st;
    return stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

/* 1: pid is a live process (*start set), 0: it is gone (or a zombie),
 * -1: cannot tell. */
static int proc_alive(long pid, unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)   /* no such entry, or no /proc: ask the kernel */
        return kill((pid_t)pid, 0) != 0 && errno == ESRCH ? 0 : -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return n < 0 && errno == ESRCH ? 0 : -1;   /* ESRCH: reaped since open */
    buf[n] = 0;
    char *p = strrchr(buf, ')');   /* the command name may hold anything */
    if (!p || p[1] != ' ')
        return -1;
    char state = p[2];
    if (state == 'Z' || state == 'X' || state == 'x')
        return 0;
    /* field 3 is the state; field 22 the start time, 19 fields further */
    p += 2;
    for (int f = 3; f < 22 && p; f++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    if (!p || sscanf(p, "%llu", start) != 1)
        return -1;
    return 1;
}

static bool read_owner(const char *dir, owner_rec *o)
{
    char path[PATH_MAX], buf[256];
    if (snprintf(path, sizeof path, "%s/" OWNER_FILE, dir) >= (int)sizeof path)
        return false;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    struct stat st;
    ssize_t n = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        st.st_size < (off_t)sizeof buf)
        n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = 0;
    memset(o, 0, sizeof *o);
    return sscanf(buf, "pid=%ld start=%llu boot=%39s ns=%llu", &o->pid, &o->start, o->boot, &o->ns) == 4 &&
           o->pid > 0;
}

bool ml_tmpdir_orphaned(const char *dir)
{
    struct stat st;
    owner_rec o;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || !read_owner(dir, &o))
        return false;
    char boot[40];
    read_boot_id(boot, sizeof boot);
    if (boot[0] && strcmp(o.boot, "-") != 0 && strcmp(boot, o.boot) != 0)
        return true;   /* made before the last boot: its owner is long gone */
    unsigned long long ns = pid_ns();
    if (!ns || !o.ns || ns != o.ns)
        return false;  /* its pid means nothing here */
    unsigned long long start;
    int alive = proc_alive(o.pid, &start);
    return alive == 0 || (alive == 1 && start != o.start);
}

/* Removes the memlayout-* directories in base whose owner is gone. */
static void sweep_orphans(const char *base, const char *mine)
{
    DIR *d = opendir(base);
    if (!d)
        return;
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "memlayout-", 10) != 0 ||
            snprintf(path, sizeof path, "%s/%s", base, e->d_name) >= (int)sizeof path || !strcmp(path, mine))
            continue;
        if (ml_tmpdir_orphaned(path))
            ml_rmtree(path);
    }
    closedir(d);
}

char *ml_tmpdir_create(char *err, size_t errlen)
{
    const char *base = getenv("TMPDIR");
    struct stat st;
    if (!base || !*base)
        base = (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
                   ? "/dev/shm" : "/tmp";
    size_t n = strlen(base) + 32;
    char *p = malloc(n);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(p, n, "%s/memlayout-XXXXXX", base);
    if (!mkdtemp(p)) {   /* mkdtemp makes it 0700 */
        snprintf(err, errlen, "TMPDIR: cannot create a directory in %s: %s", base, strerror(errno));
        free(p);
        return NULL;
    }
    /* The owner record: what tells a later run (or this run's guard
     * processes, sup.h) whether the directory's owner is gone. */
    owner_rec o = {.pid = (long)getpid(), .ns = pid_ns()};
    read_boot_id(o.boot, sizeof o.boot);
    char rec[160], path[PATH_MAX], werr[256];
    if (proc_alive(o.pid, &o.start) == 1 && o.ns) {
        int len = snprintf(rec, sizeof rec, "pid=%ld start=%llu boot=%s ns=%llu\n", o.pid, o.start,
                           o.boot[0] ? o.boot : "-", o.ns);
        snprintf(path, sizeof path, "%s/" OWNER_FILE, p);
        ml_write_atomic(path, rec, (size_t)len, werr, sizeof werr);   /* without it: never swept */
    }
    sweep_orphans(base, p);
    return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

void ml_rmtree(const char *path)
{
    if (path && *path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static bool sync_writes;

void ml_fs_set_sync(bool on)
{
    sync_writes = on;
}

bool ml_fs_sync_on(void)
{
    return sync_writes;
}

/* A name no one can guess: "." name "." 12 random letters ".tmp". */
static bool tmp_name(const char *name, char *buf, size_t len)
{
    static const char abc[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char rnd[12];
    size_t got = 0;
    while (got < sizeof rnd) {
        ssize_t n = getrandom(rnd + got, sizeof rnd - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    char suf[sizeof rnd + 1];
    for (size_t i = 0; i < sizeof rnd; i++)
        suf[i] = abc[rnd[i] % (sizeof abc - 1)];
    suf[sizeof rnd] = 0;
    return snprintf(buf, len, ".%.200s.%s.tmp", name, suf) < (int)len;
}

bool ml_write_atomic_at(int dfd, const char *name, const char *shown, const char *data, size_t len,
                        char *err, size_t errlen)
{
    char tmp[300];
    int fd = -1, e = 0;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        if (!tmp_name(name, tmp, sizeof tmp)) {
            e = errno ? errno : ENAMETOOLONG;
            break;
        }
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        e = fd < 0 ? errno : 0;
        if (fd < 0 && e != EEXIST)
            break;
    }
    size_t off = 0;
    while (!e && off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            e = w < 0 ? errno : ENOSPC;
        else
            off += (size_t)w;
    }
    if (!e && sync_writes && fsync(fd) != 0)
        e = errno;
    if (fd >= 0 && close(fd) != 0 && !e)
        e = errno;
    if (!e && renameat(dfd, tmp, dfd, name) != 0)
        e = errno;
    if (e) {
        snprintf(err, errlen, "%s: cannot write: %s", shown ? shown : name, strerror(e));
        if (fd >= 0)
            unlinkat(dfd, tmp, 0);
        return false;
    }
    if (sync_writes)
        fsync(dfd);   /* the rename itself must survive a crash of the machine too */
    return true;
}

bool ml_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (dfd < 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return false;
    }
    bool ok = ml_write_atomic_at(dfd, slash ? slash + 1 : path, path, data, len, err, errlen);
    close(dfd);
    return ok;
}

bool ml_mkdirs(const char *path, char *err, size_t errlen)
{
    char *p = strdup(path);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (char *s = p + 1;; s++) {
        char c = *s;
        if (c == '/' || c == 0) {
            *s = 0;
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "%s: cannot create directory: %s", p, strerror(errno));
                free(p);
                return false;
            }
            *s = c;
        }
        if (!c)
            break;
    }
    free(p);
    return true;
}

/* A whole regular file; on failure why says the reason alone. */
static char *read_whole(const char *path, size_t max, size_t *len, char *why, size_t whylen)
{
    /* O_NONBLOCK: a FIFO must not block the open; only regular files are read */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(why, whylen, "cannot read: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file");
        close(fd);
        return NULL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        snprintf(why, whylen, "cannot read: %s", strerror(errno));
        close(fd);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            if (cap > max) {
                snprintf(why, whylen, "larger than %zu bytes", max);
                free(buf);
                fclose(f);
                return NULL;
            }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf || bad || n > max) {
        snprintf(why, whylen, "%s", !buf ? "out of memory" : bad ? "read error" : "larger than the limit");
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

char *ml_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
    char why[256], shown[512];
    char *text = read_whole(path, max, len, why, sizeof why);
    if (!text)
        snprintf(err, errlen, "%s: %s", ml_printable(path, shown, sizeof shown), why);
    return text;
}

bool ml_case_load(const char *path, const ml_limits *lim, ml_case *c, char *err, size_t errlen)
{
    size_t len;
    /* the caller names the file: the reason alone */
    char *text = read_whole(path, 1 << 20, &len, err, errlen);
    bool ok = text && ml_case_parse(text, len, lim, c, err, errlen);
    free(text);
    return ok;
}

double ml_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct {
    char **v;
    int n, cap;
} strvec;

static bool push(strvec *sv, const char *s)
{
    if (sv->n == sv->cap) {
        sv->cap = sv->cap ? sv->cap * 2 : 64;
        char **nv = realloc(sv->v, sv->cap * sizeof *nv);
        if (!nv)
            return false;
        sv->v = nv;
    }
    return (sv->v[sv->n++] = strdup(s)) != NULL;
}

/* Directories already walked, by device and inode: a symlinked directory
 * (a loop, or two links to one folder) is listed once. */
typedef struct {
    struct { dev_t dev; ino_t ino; } *v;
    size_t n, cap;
} dirset;

static bool dirset_add(dirset *s, const struct stat *st)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].dev == st->st_dev && s->v[i].ino == st->st_ino)
            return false;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        void *nv = realloc(s->v, cap * sizeof *s->v);
        if (!nv)
            return false;
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n].dev = st->st_dev;
    s->v[s->n++].ino = st->st_ino;
    return true;
}

static bool walk(const char *dir, strvec *sv, dirset *seen)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *e;
    bool ok = true;
    while (ok && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (!p) {
            ok = false;
            break;
        }
        snprintf(p, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0) {
            size_t l = strlen(e->d_name);
            bool json = l > 5 && strcmp(e->d_name + l - 5, ".json") == 0;
            if (S_ISDIR(st.st_mode)) {
                if (dirset_add(seen, &st))
                    ok = walk(p, sv, seen);
            } else if (json && S_ISREG(st.st_mode)) {
                ok = push(sv, p);
            } else if (json) {
                char shown[512];
                fprintf(stderr, "memlayout: skipping %s: not a regular file\n",
                        ml_printable(p, shown, sizeof shown));
            }
        }
        free(p);
    }
    closedir(d);
    return ok;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ml_list_cases(const char *path, char ***out, char *err, size_t errlen)
{
    strvec sv = {0};
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    dirset seen = {0};
    bool ok = S_ISDIR(st.st_mode) ? dirset_add(&seen, &st) && walk(path, &sv, &seen) : push(&sv, path);
    free(seen.v);
    if (!ok) {
        snprintf(err, errlen, "%s: cannot list: %s", path, strerror(errno));
        for (int i = 0; i < sv.n; i++)
            free(sv.v[i]);
        free(sv.v);
        return -1;
    }
    if (sv.n)
        qsort(sv.v, sv.n, sizeof *sv.v, cmp_str);
    *out = sv.v;
    return sv.n;
}

size_t ml_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;   /* overlong, out of range, or a surrogate */
    return len;
}


const char *ml_printable(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    if (!len)
        return buf;
    const unsigned char *end = (const unsigned char *)s + strlen(s);
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 5 < len;) {
        int u = (int)ml_utf8_len(p, (size_t)(end - p));
        if (u == 0 || (u == 1 && (*p < 0x20 || *p == 0x7f))) {
            n += (size_t)snprintf(buf + n, len - n, "\\x%02x", *p);
            p++;
        } else if (n + (size_t)u < len) {
            memcpy(buf + n, p, (size_t)u);
            n += (size_t)u;
            p += u;
        } else {
            break;
        }
    }
    buf[n] = 0;
    return buf;
}

cJSON *ml_json_parse_exact(const char *text, size_t len)
{
    const char *end = NULL;
    cJSON *j = text ? cJSON_ParseWithLengthOpts(text, len, &end, false) : NULL;
    if (!j)
        return NULL;
    for (const char *p = end; p && p < text + len; p++)
        if (!strchr(" \t\r\n", *p)) {
            cJSON_Delete(j);
            return NULL;
        }
    return j;
}

bool ml_exe_dir(char *buf, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = 0;
    if (strlen(exe) + 1 > len)
        return false;
    memcpy(buf, exe, strlen(exe) + 1);
    return true;
}

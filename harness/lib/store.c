/* The run directory: see store.h. */
#include "store.h"
#include "strbuf.h"

#include "fsutil.h"
#include "signature.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RESULTS "results.jsonl"
#define SUMMARY "summary.json"
#define FINDINGS "findings"
#define BUGS "bugs"
#define PYLOG "python.log"
#define TRIAGE "triage.json"
#define RBUF (64 * 1024)      /* results lines written at once */

struct ml_store {
    char *dir;                /* as given, for messages */
    int dfd, lock_fd, findings_fd, results_fd, log_fd;
    ml_store_opts o;
    char *buf;                /* whole lines not yet written */
    size_t blen;
    off_t roff;               /* results.jsonl's length: whole lines only */
    char error[1024];
    bool failed, begun;
    bool results_failed;      /* results.jsonl itself: nothing more is written to it */
    ml_store_totals tot;
    uint64_t per_transport[ML_T_COUNT][ML_V_INVALID + 1];
    char **verdicts;          /* distinct verdicts of findings */
    uint64_t *vcount;
    int nverdicts;
    uint64_t unclassed_kept;  /* findings without an observation to judge */
    ml_bugs *bugs;
    cJSON *command;
};

/* ---- small helpers --------------------------------------------------------- */

static void fail(ml_store *s, const char *what, int e)
{
    if (s->failed)
        return;
    s->failed = true;
    snprintf(s->error, sizeof s->error, "%s/%s: cannot write: %s", s->dir, what, strerror(e));
}

static void fail_msg(ml_store *s, const char *msg)
{
    if (s->failed)
        return;
    s->failed = true;
    size_t n = strlen(msg);
    n = n < sizeof s->error ? n : sizeof s->error - 1;
    memcpy(s->error, msg, n);
    s->error[n] = 0;
}

/* A directory of ours at dfd/name, not a link: its fd, or -1 (errno set). */
static int open_own_dir(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_uid != geteuid())) {
        close(fd);
        errno = EPERM;
        return -1;
    }
    return fd;
}

/* Reads at most max bytes of dfd/name when it is a regular file (no link). */
static char *read_at(int dfd, const char *name, size_t max, size_t *len)
{
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (buf = malloc(max + 1))) {
        ssize_t n = read(fd, buf, max);
        if (n < 0) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = 0;
            *len = (size_t)n;
        }
    }
    close(fd);
    return buf;
}

/* ---- is it a run directory? ----------------------------------------------- */

/* A summary.json of ours: a JSON object with a "memlayout" member. */
static bool our_summary(int dfd)
{
    size_t len = 0;
    char *t = read_at(dfd, SUMMARY, 1 << 20, &len);
    cJSON *j = t ? cJSON_ParseWithLength(t, len) : NULL;
    bool ours = cJSON_IsObject(j) && cJSON_GetObjectItemCaseSensitive(j, "memlayout");
    cJSON_Delete(j);
    free(t);
    return ours;
}

/* A results.jsonl of ours: empty, or its first line an object with "id" and "verdict". */
static bool our_results(int dfd)
{
    size_t len = 0;
    char *t = read_at(dfd, RESULTS, 8192, &len);
    if (!t)
        return false;
    char *nl = strchr(t, '\n');
    cJSON *j = cJSON_ParseWithLength(t, nl ? (size_t)(nl - t) : len);
    bool ours = len == 0 || (cJSON_IsObject(j) && cJSON_GetObjectItemCaseSensitive(j, "id") &&
                             cJSON_GetObjectItemCaseSensitive(j, "verdict"));
    cJSON_Delete(j);
    free(t);
    return ours;
}

/* A triage.json of ours (triage --out): an object with "findings" and "bugs". */
static bool our_triage(int dfd)
{
    size_t len = 0;
    char *t = read_at(dfd, TRIAGE, 64u << 20, &len);
    cJSON *j = t ? cJSON_ParseWithLength(t, len) : NULL;
    bool ours = cJSON_IsObject(j) && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "findings")) &&
                cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "bugs"));
    cJSON_Delete(j);
    free(t);
    return ours;
}

/* A findings/ of ours: every entry named as a run names its findings. */
static bool our_findings(int dfd)
{
    int fd = open_own_dir(dfd, FINDINGS);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    bool ours = true;
    const struct dirent *e;
    uint64_t id;
    char t[64], v[128];
    while (ours && (e = readdir(d)))
        ours = e->d_name[0] == '.' || ml_store_parse_name(e->d_name, &id, t, sizeof t, v, sizeof v);
    closedir(d);
    return ours;
}

/* Looks at what dir holds: refuses links (unless force) and other users'
 * directories; *ours when it is a run directory (the lock file, or files
 * of an earlier memlayout), *empty when it holds nothing but the lock. */
static bool inspect(int dfd, const char *dir, bool force, bool *ours, bool *empty, char *err, size_t errlen)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);   /* its own position */
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        snprintf(err, errlen, "%s: cannot list: %s", dir, strerror(errno));
        return false;
    }
    *ours = *empty = false;
    bool any = false, ok = true, lock = false, marks = false;
    const struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;   /* gone meanwhile */
        if (!strcmp(e->d_name, ML_STORE_LOCK)) {
            lock = S_ISREG(st.st_mode) && st.st_uid == geteuid();
            if (!lock) {
                snprintf(err, errlen, "%s/%s is not a lock file of this user's memlayout", dir, e->d_name);
                ok = false;
            }
            continue;
        }
        any = true;
        if (S_ISLNK(st.st_mode) && !force) {
            snprintf(err, errlen,
                     "%s/%s is a symbolic link: memlayout never writes through one (remove it, or --force "
                     "replaces it)", dir, e->d_name);
            ok = false;
        } else if (S_ISDIR(st.st_mode) && st.st_uid != geteuid()) {
            snprintf(err, errlen, "%s/%s belongs to another user: memlayout writes only into its user's "
                     "directories", dir, e->d_name);
            ok = false;
        } else if (!strcmp(e->d_name, SUMMARY) && S_ISREG(st.st_mode)) {
            marks |= our_summary(dfd);
        } else if (!strcmp(e->d_name, RESULTS) && S_ISREG(st.st_mode)) {
            marks |= our_results(dfd);
        } else if (!strcmp(e->d_name, FINDINGS) && S_ISDIR(st.st_mode)) {
            marks |= our_findings(dfd);
        } else if (!strcmp(e->d_name, TRIAGE) && S_ISREG(st.st_mode)) {
            marks |= our_triage(dfd);
        }
    }
    closedir(d);
    *ours = lock || marks;
    *empty = !any;
    return ok;
}

/* Takes the lock: ML_STORE_BUSY when another memlayout holds it. Without
 * create, no lock file yet is fine (made once the directory is known to
 * be ours). */
static ml_store_status take_lock(ml_store *s, bool create, char *err, size_t errlen)
{
    int fd = openat(s->dfd, ML_STORE_LOCK, O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0) {
        if (!create && errno == ENOENT)
            return ML_STORE_OK;
        snprintf(err, errlen, "%s/%s: cannot open: %s", s->dir, ML_STORE_LOCK, strerror(errno));
        return errno == ELOOP ? ML_STORE_REFUSED : ML_STORE_IO;   /* a link there */
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s/%s is not a lock file of this user's memlayout", s->dir, ML_STORE_LOCK);
        close(fd);
        return ML_STORE_REFUSED;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char who[64] = "";
        ssize_t n = e == EWOULDBLOCK ? pread(fd, who, sizeof who - 1, 0) : -1;
        who[n > 0 ? n : 0] = 0;
        who[strcspn(who, "\n")] = 0;
        if (e == EWOULDBLOCK)
            snprintf(err, errlen, "%s is in use by another memlayout%s%s%s: one run at a time per directory",
                     s->dir, who[0] ? " (" : "", who, who[0] ? ")" : "");
        else
            snprintf(err, errlen, "%s/%s: cannot lock: %s", s->dir, ML_STORE_LOCK, strerror(e));
        close(fd);
        return e == EWOULDBLOCK ? ML_STORE_BUSY : ML_STORE_IO;
    }
    /* the lock of the file that is there now, not of one unlinked meanwhile */
    struct stat now;
    if (fstatat(s->dfd, ML_STORE_LOCK, &now, AT_SYMLINK_NOFOLLOW) != 0 || now.st_ino != st.st_ino ||
        now.st_dev != st.st_dev) {
        snprintf(err, errlen, "%s is in use by another memlayout: one run at a time per directory", s->dir);
        close(fd);
        return ML_STORE_BUSY;
    }
    char rec[64];
    int len = snprintf(rec, sizeof rec, "pid %ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, rec, (size_t)len, 0) != len) {
        /* only names the holder in a refusal: the lock holds without it */
    }
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    s->lock_fd = fd;
    return ML_STORE_OK;
}

ml_store *ml_store_open(const char *dir, const ml_store_opts *o, ml_store_status *st, char *err, size_t errlen)
{
    *st = ML_STORE_IO;
    ml_store *s = calloc(1, sizeof *s);
    if (s)
        s->dfd = s->lock_fd = s->findings_fd = s->results_fd = s->log_fd = -1;
    if (!s || !(s->dir = strdup(dir)) || !(s->bugs = ml_bugs_new())) {
        snprintf(err, errlen, "out of memory");
        ml_store_close(s);
        return NULL;
    }
    if (o)
        s->o = *o;
    bool refused, ours, empty;
    s->dfd = ml_store_open_dir(dir, true, &refused, err, errlen);
    if (s->dfd < 0) {
        *st = refused ? ML_STORE_REFUSED : ML_STORE_IO;
        ml_store_close(s);
        return NULL;
    }
    /* A lock file there: another run may hold it, say so first. */
    if ((*st = take_lock(s, false, err, errlen)) != ML_STORE_OK) {
        ml_store_close(s);
        return NULL;
    }
    if (!inspect(s->dfd, dir, s->o.force, &ours, &empty, err, errlen)) {
        *st = ML_STORE_REFUSED;
        ml_store_close(s);
        return NULL;
    }
    if (!ours && !empty && !s->o.force) {
        snprintf(err, errlen,
                 "%s is not empty and not a memlayout run directory (--force replaces what it holds)", dir);
        *st = ML_STORE_REFUSED;
        ml_store_close(s);
        return NULL;
    }
    if (s->lock_fd < 0 && (*st = take_lock(s, true, err, errlen)) != ML_STORE_OK) {
        ml_store_close(s);
        return NULL;
    }
    *st = ML_STORE_OK;
    return s;
}

/* Removes dfd/name and what it holds, never following a link, never
 * entering another user's directory. */
static bool remove_at(int dfd, const char *name, int depth)
{
    if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
        return true;
    if ((errno != EISDIR && errno != EPERM) || depth > 64)
        return false;
    int fd = open_own_dir(dfd, name);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    bool ok = true;
    const struct dirent *e;
    while (ok && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            ok = remove_at(fd, e->d_name, depth + 1);
    closedir(d);
    return ok && (unlinkat(dfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT);
}

/* Empties the run directory but for the lock. */
static bool clear_dir(ml_store *s)
{
    int fd = openat(s->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);   /* its own position */
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        snprintf(s->error, sizeof s->error, "%s: cannot list: %s", s->dir, strerror(errno));
        return false;
    }
    /* names first: removing while reading may skip entries */
    char **names = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    const struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, ML_STORE_LOCK))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof *nn);
            ok = nn != NULL;
            names = ok ? nn : names;
        }
        if (ok)
            ok = (names[n++] = strdup(e->d_name)) != NULL;
    }
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        if (ok && !remove_at(s->dfd, names[i], 0)) {
            snprintf(s->error, sizeof s->error, "%s/%s: cannot remove the previous run's file: %s", s->dir,
                     names[i], strerror(errno));
            ok = false;
        }
        free(names[i]);
    }
    free(names);
    return ok;
}

static bool write_file(ml_store *s, int dfd, const char *rel, const char *name, const char *data, size_t len)
{
    char shown[4096], err[4400];
    snprintf(shown, sizeof shown, "%s/%s%s%s", s->dir, rel ? rel : "", rel ? "/" : "", name);
    if (ml_write_atomic_at(dfd, name, shown, data, len, err, sizeof err))
        return true;
    fail_msg(s, err);
    return false;
}

bool ml_store_begin(ml_store *s, int argc, char **argv)
{
    if (s->failed)
        return false;
    if (!clear_dir(s)) {
        s->failed = true;
        return false;
    }
    s->command = cJSON_CreateArray();
    for (int i = 0; s->command && i < argc; i++)
        cJSON_AddItemToArray(s->command, cJSON_CreateString(argv[i]));
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "command", cJSON_Duplicate(s->command, true));
    cJSON_AddStringToObject(j, "memlayout", ML_VERSION);
    cJSON_AddBoolToObject(j, "incomplete", true);
    cJSON_AddStringToObject(j, "error", "the run has not ended (it is running, or was killed)");
    char *t = cJSON_Print(j);
    cJSON_Delete(j);
    if (!t) {
        fail_msg(s, "out of memory");
        return false;
    }
    bool ok = write_file(s, s->dfd, NULL, SUMMARY, t, strlen(t));
    free(t);
    if (!ok)
        return false;
    if (mkdirat(s->dfd, FINDINGS, 0755) != 0 || (s->findings_fd = open_own_dir(s->dfd, FINDINGS)) < 0) {
        fail(s, FINDINGS, errno);
        return false;
    }
    s->results_fd = openat(s->dfd, RESULTS, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (s->results_fd < 0) {
        fail(s, RESULTS, errno);
        return false;
    }
    if (s->o.python_log) {
        s->log_fd = openat(s->dfd, PYLOG, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (s->log_fd < 0) {
            fail(s, PYLOG, errno);
            return false;
        }
    }
    if (!(s->buf = malloc(RBUF))) {
        fail_msg(s, "out of memory");
        return false;
    }
    s->begun = true;
    return true;
}

int ml_store_log_fd(const ml_store *s)
{
    return s ? s->log_fd : -1;
}

/* ---- results.jsonl --------------------------------------------------------- */

/* Writes the buffered lines. A short write is cut back to its last whole
 * line: results.jsonl never ends in a torn line. */
static bool flush_results(ml_store *s)
{
    size_t off = 0;
    while (off < s->blen && !s->results_failed) {
        ssize_t w = write(s->results_fd, s->buf + off, s->blen - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            size_t whole = off;
            while (whole > 0 && s->buf[whole - 1] != '\n')
                whole--;
            if (whole != off && ftruncate(s->results_fd, s->roff + (off_t)whole) != 0) {
                /* nothing better to do: the error below stops the run */
            }
            s->roff += (off_t)whole;
            s->results_failed = true;
            fail(s, RESULTS, e);
            off = 0;
            break;
        }
        off += (size_t)w;
    }
    s->roff += (off_t)off;
    s->blen = 0;
    return !s->failed;
}

/* After another file failed too: the lines of the cases judged so far
 * still go out (whole lines only). */
bool ml_store_flush(ml_store *s)
{
    return s->begun && s->blen ? flush_results(s) : !s->failed;
}

typedef ml_strbuf sbuf;

/* ,"key":"escaped value" (NULL: null) */
static void sb_str(sbuf *b, const char *key, const char *v)
{
    ml_strbuf_fmt(b, ",\"%s\":", key);
    if (!v) {
        ml_strbuf_put(b, "null", 4);
        return;
    }
    ml_strbuf_json(b, v, (size_t)-1, false);
}

static void ops_list(const ml_case *c, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < c->nops && n + 16 < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "", ml_op_name(c->ops[i].kind));
}

static void count_verdict(ml_store *s, const char *vs)
{
    for (int i = 0; i < s->nverdicts; i++)
        if (!strcmp(s->verdicts[i], vs)) {
            s->vcount[i]++;
            return;
        }
    char **nv = realloc(s->verdicts, (size_t)(s->nverdicts + 1) * sizeof *nv);
    if (nv)
        s->verdicts = nv;
    uint64_t *nc = realloc(s->vcount, (size_t)(s->nverdicts + 1) * sizeof *nc);
    if (nc)
        s->vcount = nc;
    char *d = nv && nc ? strdup(vs) : NULL;
    if (!d)
        return;
    s->verdicts[s->nverdicts] = d;
    s->vcount[s->nverdicts++] = 1;
}

void ml_store_finding_name(uint64_t id, ml_transport t, const char *verdict, char *buf, size_t len)
{
    char slug[128];
    size_t k = 0;
    for (const char *p = verdict ? verdict : "?"; *p && k + 1 < sizeof slug; p++) {
        char ch = *p;
        bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
        slug[k++] = plain ? ch : '-';   /* "fail:data,flags" -> "fail-data-flags" */
    }
    slug[k] = 0;
    snprintf(buf, len, "%06llu-%s-%s", (unsigned long long)id, ml_transport_name(t), slug);
}

bool ml_store_parse_name(const char *name, uint64_t *id, char *transport, size_t tlen, char *verdict,
                         size_t vlen)
{
    const char *b = strrchr(name, '/');
    b = b ? b + 1 : name;
    if (*b < '0' || *b > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(b, &end, 10);
    if (*end != '-' || errno)
        return false;
    const char *rest = end + 1, *vs = NULL;
    for (int k = ML_V_PASS; k <= ML_V_INVALID && !vs; k++) {
        char key[16];
        int kl = snprintf(key, sizeof key, "-%s", ml_vkind_name((ml_vkind)k));
        for (const char *p = strstr(rest, key); p && !vs; p = strstr(p + 1, key))
            if (p[kl] == '-' || p[kl] == '.' || !p[kl])
                vs = p;
    }
    if (!vs || vs == rest)
        return false;
    *id = v;
    snprintf(transport, tlen, "%.*s", (int)(vs - rest), rest);
    const char *dot = strrchr(vs, '.');
    size_t n = dot ? (size_t)(dot - vs - 1) : strlen(vs + 1);
    if (n + 1 > vlen)
        n = vlen - 1;
    memcpy(verdict, vs + 1, n);
    verdict[n] = 0;
    char *dash = strchr(verdict, '-');
    if (dash) {   /* "fail-data-flags" -> "fail:data,flags" */
        *dash = ':';
        for (char *p = dash + 1; *p; p++)
            if (*p == '-')
                *p = ',';
    }
    return true;
}

/* Writes the finding's files: the observation first, the case file last
 * (its appearing is what makes a finding, and it is never partial). */
static bool write_finding(ml_store *s, const char *name, const char *case_json, const char *obs_json)
{
    char f[300];
    if (obs_json) {
        snprintf(f, sizeof f, "%s.obs", name);
        if (!write_file(s, s->findings_fd, FINDINGS, f, obs_json, strlen(obs_json)))
            return false;
    }
    snprintf(f, sizeof f, "%s.json", name);
    if (write_file(s, s->findings_fd, FINDINGS, f, case_json, strlen(case_json)))
        return true;
    if (obs_json) {   /* not a finding without its case */
        snprintf(f, sizeof f, "%s.obs", name);
        unlinkat(s->findings_fd, f, 0);
    }
    return false;
}

bool ml_store_add(ml_store *s, const ml_store_line *l, const char *case_json, const char *obs_json,
                  const ml_result *r, const ml_verdict *v)
{
    if (s->failed || !s->begun)
        return false;
    ml_vkind kind;
    if (v)
        kind = v->kind;
    else if (!ml_vkind_of(l->verdict, &kind))
        kind = ML_V_ERROR;
    bool finding = kind == ML_V_FAIL || kind == ML_V_ERROR;
    char name[256] = "";
    char ids[ML_SIG_MAX][9];
    int nsig = 0;
    ml_severity worst = ML_SEV_COUNT;
    bool kept = false;
    if (finding) {
        ml_sig *all = malloc(sizeof *all * ML_SIG_MAX);
        nsig = all && r && v ? ml_sig_all(l->c, r, v, all) : 0;
        /* kept while one of its bugs (most severe first) has fewer than keep files kept for it */
        int account = -1;
        for (int k = 0; k < nsig; k++) {
            ml_sig_id(&all[k], false, ids[k]);
            if (all[k].severity < worst)
                worst = all[k].severity;
            int i = ml_bugs_find(s->bugs, &all[k]);
            uint64_t have = i >= 0 ? ml_bugs_get(s->bugs, i)->kept : 0;
            if (account < 0 && (s->o.keep <= 0 || have < (uint64_t)s->o.keep))
                account = k;
        }
        kept = nsig ? account >= 0 : (s->o.keep <= 0 || s->unclassed_kept < (uint64_t)s->o.keep);
        char *own = NULL;
        if (kept && !case_json)
            case_json = own = ml_case_write(l->c);
        if (kept) {
            ml_store_finding_name(l->id, l->c->transport, l->verdict, name, sizeof name);
            if (!case_json || !write_finding(s, name, case_json, obs_json)) {
                if (!case_json)
                    fail_msg(s, "out of memory");
                free(own);
                free(all);
                return false;
            }
        }
        free(own);
        char file[300] = "";
        if (kept)
            snprintf(file, sizeof file, "%s.json", name);
        if (nsig) {
            ml_bugs_add_sigs(s->bugs, l->c, all, nsig, file, (double)time(NULL), l->id);
            if (kept)
                ml_bugs_get(s->bugs, ml_bugs_find(s->bugs, &all[account]))->kept++;
        } else if (kept) {
            s->unclassed_kept++;
        }
        free(all);
        if (kept)
            snprintf(name, sizeof name, "%s", file);
        s->tot.kept += kept;
        s->tot.not_kept += !kept;
        count_verdict(s, l->verdict);
    }
    s->tot.cases++;
    s->tot.kinds[kind]++;
    if ((unsigned)l->c->transport < ML_T_COUNT)
        s->per_transport[l->c->transport][kind]++;

    /* the line */
    char ops[256], dt[8];
    ops_list(l->c, ops, sizeof ops);
    sbuf b = {0};
    ml_strbuf_fmt(&b, "{\"id\":%llu", (unsigned long long)l->id);
    sb_str(&b, "transport", ml_transport_name(l->c->transport));
    sb_str(&b, "verdict", l->verdict);
    ml_strbuf_fmt(&b, ",\"ndim\":%d,\"order\":\"%c\"", l->c->ndim, l->c->order == 'F' ? 'F' : 'C');
    sb_str(&b, "source", l->c->source == ML_SRC_NPY ? "npy" : "raw");
    sb_str(&b, "mode", ml_mode_name(l->c->mode));
    sb_str(&b, "dtype", l->c->dtype.nfields ? "structured" : ml_scalar_str(&l->c->dtype.scalar, dt));
    sb_str(&b, "ops", ops);
    ml_strbuf_fmt(&b, ",\"seconds\":%.6f", l->seconds >= 0 && l->seconds < 1e12 ? l->seconds : 0.0);
    if (l->layout) {
        ml_strbuf_fmt(&b, ",\"t\":%.3f,\"view_ndim\":%d", l->t, l->view_ndim);
        sb_str(&b, "layout", l->layout);
        sb_str(&b, "child", l->child ? l->child : "none");
    }
    if (l->case_key) {
        sb_str(&b, "case", l->case_key);
        sb_str(&b, "expected", l->expected);
        sb_str(&b, "status", l->status ? l->status : "");
        sb_str(&b, "env", l->env ? l->env : "");
    }
    if (finding) {
        ml_strbuf_put(&b, ",\"bugs\":[", 9);
        for (int k = 0; k < nsig; k++)
            ml_strbuf_fmt(&b, "%s\"%s\"", k ? "," : "", ids[k]);
        ml_strbuf_put(&b, "]", 1);
        sb_str(&b, "severity", worst < ML_SEV_COUNT ? ml_severity_name(worst) : NULL);
        sb_str(&b, "finding", kept ? name : NULL);
    }
    ml_strbuf_put(&b, "}\n", 2);
    if (b.oom) {
        free(b.p);
        fail_msg(s, "out of memory");
        return false;
    }
    if (s->blen + b.len > RBUF && !flush_results(s)) {
        free(b.p);
        return false;
    }
    if (b.len > RBUF) {   /* a line larger than the buffer: written on its own */
        char *own = s->buf;
        s->buf = b.p;
        s->blen = b.len;
        bool ok = flush_results(s);
        s->buf = own;
        free(b.p);
        return ok;
    }
    memcpy(s->buf + s->blen, b.p, b.len);
    s->blen += b.len;
    free(b.p);
    return true;
}

void ml_store_totals_get(const ml_store *s, ml_store_totals *t)
{
    *t = s->tot;
}

int ml_store_verdicts(const ml_store *s, const char *const **names, const uint64_t **counts)
{
    *names = (const char *const *)s->verdicts;
    *counts = s->vcount;
    return s->nverdicts;
}

ml_bugs *ml_store_bugs(ml_store *s)
{
    return s->bugs;
}

void ml_store_abort(ml_store *s, const char *why)
{
    fail_msg(s, why);
}

const char *ml_store_error(const ml_store *s)
{
    return s && s->failed ? s->error : NULL;
}

const char *ml_store_dir(const ml_store *s)
{
    return s->dir;
}

/* ---- triage and summary ---------------------------------------------------- */

static bool write_triage_at(int dfd, const char *dir, const ml_bugs *b, char *err, size_t errlen)
{
    if (mkdirat(dfd, BUGS, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s/%s: cannot create directory: %s", dir, BUGS, strerror(errno));
        return false;
    }
    int bfd = open_own_dir(dfd, BUGS);
    if (bfd < 0) {
        snprintf(err, errlen, "%s/%s: %s", dir, BUGS,
                 errno == ELOOP || errno == ENOTDIR ? "not a directory (a symbolic link?)"
                 : errno == EPERM                   ? "belongs to another user"
                                                    : strerror(errno));
        return false;
    }
    ml_bugs *mb = (ml_bugs *)b;   /* read only: ml_bugs_get hands out pointers */
    char shown[4400], name[32];
    bool ok = true;
    for (int i = 0; ok && i < ml_bugs_count(b); i++) {
        const ml_bug *g = ml_bugs_get(mb, i);
        char *json = ml_case_write(g->minimized ? &g->min : &g->example);
        snprintf(name, sizeof name, "%s.json", g->id);
        snprintf(shown, sizeof shown, "%s/%s/%s", dir, BUGS, name);
        ok = json && ml_write_atomic_at(bfd, name, shown, json, strlen(json), err, errlen);
        if (!json)
            snprintf(err, errlen, "out of memory");
        free(json);
    }
    close(bfd);
    char *t = ok ? ml_bugs_json(b) : NULL;
    snprintf(shown, sizeof shown, "%s/%s", dir, TRIAGE);
    if (ok && !t)
        snprintf(err, errlen, "out of memory");
    ok = ok && t && ml_write_atomic_at(dfd, TRIAGE, shown, t, strlen(t), err, errlen);
    free(t);
    return ok;
}

bool ml_store_write_triage(ml_store *s, const ml_bugs *b)
{
    if (s->failed)
        return false;
    char err[4400];
    if (write_triage_at(s->dfd, s->dir, b ? b : s->bugs, err, sizeof err))
        return true;
    fail_msg(s, err);
    return false;
}

ml_store *ml_store_open_out(const char *dir, ml_store_status *st, char *err, size_t errlen)
{
    ml_store *s = ml_store_open(dir, NULL, st, err, errlen);
    char *force = s ? NULL : strstr(err, " (--force");
    if (force)   /* triage offers no --force: it empties nothing */
        *force = 0;
    return s;
}

ml_store_status ml_store_write_triage_dir(const char *dir, const ml_bugs *b, char *err, size_t errlen)
{
    ml_store_status st;
    ml_store *s = ml_store_open_out(dir, &st, err, errlen);
    if (!s)
        return st;
    bool ok = ml_store_write_triage(s, b);
    if (!ok)
        snprintf(err, errlen, "%s", s->error);
    ml_store_close(s);
    return ok ? ML_STORE_OK : ML_STORE_IO;
}

static void close_fd(ml_store *s, int *fd, const char *what)
{
    if (*fd >= 0 && close(*fd) != 0)
        fail(s, what, errno);
    *fd = -1;
}

bool ml_store_finish(ml_store *s, cJSON *j)
{
    if (s->begun) {
        flush_results(s);
        if (s->o.python_log)
            close_fd(s, &s->log_fd, PYLOG);
        if (s->results_fd >= 0 && !s->failed && ml_fs_sync_on() && fsync(s->results_fd) != 0)
            fail(s, RESULTS, errno);
        close_fd(s, &s->results_fd, RESULTS);
    }
    if (!j)
        j = cJSON_CreateObject();
    if (!cJSON_GetObjectItemCaseSensitive(j, "command") && s->command)
        cJSON_AddItemToObject(j, "command", cJSON_Duplicate(s->command, true));
    if (!cJSON_GetObjectItemCaseSensitive(j, "memlayout"))
        cJSON_AddStringToObject(j, "memlayout", ML_VERSION);
    cJSON_AddNumberToObject(j, "cases", (double)s->tot.cases);
    cJSON *c = cJSON_AddObjectToObject(j, "counts");
    for (int k = ML_V_PASS; k <= ML_V_INVALID; k++)
        cJSON_AddNumberToObject(c, ml_vkind_name((ml_vkind)k), (double)s->tot.kinds[k]);
    cJSON *pt = cJSON_AddObjectToObject(j, "per_transport");
    for (int t = 0; t < ML_T_COUNT; t++) {
        uint64_t sum = 0;
        for (int k = ML_V_PASS; k <= ML_V_INVALID; k++)
            sum += s->per_transport[t][k];
        if (!sum)
            continue;
        cJSON *o = cJSON_AddObjectToObject(pt, ml_transport_name((ml_transport)t));
        for (int k = ML_V_PASS; k <= ML_V_INVALID; k++)
            cJSON_AddNumberToObject(o, ml_vkind_name((ml_vkind)k), (double)s->per_transport[t][k]);
    }
    cJSON *vd = cJSON_AddObjectToObject(j, "findings");
    for (int i = 0; i < s->nverdicts; i++)
        cJSON_AddNumberToObject(vd, s->verdicts[i], (double)s->vcount[i]);
    /* the bugs as triage (triage.json) and the report count them: by id, ranked */
    ml_bugs_sort(s->bugs);
    cJSON *bugs = cJSON_AddArrayToObject(j, "bugs");
    for (int i = 0; i < ml_bugs_count(s->bugs); i++) {
        const ml_bug *g = ml_bugs_get(s->bugs, i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", g->id);
        cJSON_AddStringToObject(o, "severity", ml_severity_name(g->sig.severity));
        cJSON_AddNumberToObject(o, "count", (double)g->count);
        cJSON_AddNumberToObject(o, "kept", (double)g->kept);
        cJSON *tr = cJSON_AddObjectToObject(o, "transports");
        for (int t = 0; t < ML_T_COUNT; t++)
            if (g->per_transport[t])
                cJSON_AddNumberToObject(tr, ml_transport_name((ml_transport)t), (double)g->per_transport[t]);
        cJSON_AddItemToArray(bugs, o);
    }
    cJSON_AddNumberToObject(j, "keep", s->o.keep > 0 ? s->o.keep : 0);
    cJSON_AddNumberToObject(j, "findings_kept", (double)s->tot.kept);
    cJSON_AddNumberToObject(j, "findings_not_kept", (double)s->tot.not_kept);
    cJSON_AddBoolToObject(j, "incomplete", s->failed);
    if (s->failed)
        cJSON_AddStringToObject(j, "error", s->error);
    char *t = cJSON_Print(j);
    cJSON_Delete(j);
    if (!t) {
        fail_msg(s, "out of memory");
        return false;
    }
    /* written after a write error too: a summary that says so, if it fits */
    char err[4400], shown[4200];
    snprintf(shown, sizeof shown, "%s/%s", s->dir, SUMMARY);
    bool ok = ml_write_atomic_at(s->dfd, SUMMARY, shown, t, strlen(t), err, sizeof err);
    free(t);
    if (!ok) {
        fail_msg(s, err);
        /* a full disk has no room for a new file: rewrite the one begun
         * wrote in its own block, so that it says what went wrong */
        cJSON *m = cJSON_CreateObject();
        cJSON_AddItemToObject(m, "command", cJSON_Duplicate(s->command, true));
        cJSON_AddStringToObject(m, "memlayout", ML_VERSION);
        cJSON_AddNumberToObject(m, "cases", (double)s->tot.cases);
        cJSON *mc = cJSON_AddObjectToObject(m, "counts");
        for (int k = ML_V_PASS; k <= ML_V_INVALID; k++)
            cJSON_AddNumberToObject(mc, ml_vkind_name((ml_vkind)k), (double)s->tot.kinds[k]);
        cJSON_AddBoolToObject(m, "incomplete", true);
        cJSON_AddStringToObject(m, "error", s->error);
        char *mt = cJSON_PrintUnformatted(m);
        cJSON_Delete(m);
        int fd = mt && strlen(mt) < 4000 ? openat(s->dfd, SUMMARY, O_WRONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
            pwrite(fd, mt, strlen(mt), 0) == (ssize_t)strlen(mt) && ftruncate(fd, (off_t)strlen(mt)) == 0) {
            /* in place: not atomic, the one way left */
        }
        if (fd >= 0)
            close(fd);
        free(mt);
    }
    return ok && !s->failed;
}

void ml_store_close(ml_store *s)
{
    if (!s)
        return;
    int *fds[] = {&s->dfd, &s->lock_fd, &s->findings_fd, &s->results_fd, &s->log_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (*fds[i] >= 0)
            close(*fds[i]);   /* the lock goes with its fd */
    free(s->dir);
    free(s->buf);
    for (int i = 0; i < s->nverdicts; i++)
        free(s->verdicts[i]);
    free(s->verdicts);
    free(s->vcount);
    ml_bugs_free(s->bugs);
    cJSON_Delete(s->command);
    free(s);
}

/* ---- readers ---------------------------------------------------------------- */

int ml_store_list_findings(const char *dir, ml_store_entry **out, char *err, size_t errlen)
{
    char **files = NULL;
    *out = NULL;
    int n = ml_list_cases(dir, &files, err, errlen);
    if (n < 0)
        return -1;
    ml_store_entry *e = calloc((size_t)n + 1, sizeof *e);
    int m = 0;
    for (int i = 0; i < n; i++) {
        const char *f = files[i];
        /* not findings: run and triage files, bugs/ (triage's cases), a fuzz
         * store's originals and minimized raw findings */
        const char *base = strrchr(f, '/');
        base = base ? base + 1 : f;
        if (!e || !strcmp(base, SUMMARY) || !strcmp(base, TRIAGE) || ml_fstore_not_a_finding(f) ||
            strstr(f, "/" BUGS "/")) {
            free(files[i]);
            continue;
        }
        ml_store_entry *x = &e[m++];
        x->path = files[i];
        char orig[4200];
        x->orig = ml_fstore_orig_of(f, orig, sizeof orig) ? strdup(orig) : NULL;
        x->raw = ml_fstore_raw_pending(f);
        size_t len = strlen(f);
        char *obs = malloc(len + 1);
        if (obs) {
            snprintf(obs, len + 1, "%.*s.obs", (int)(len - 5), f);
            struct stat st;
            if (stat(obs, &st) != 0 || !S_ISREG(st.st_mode)) {
                free(obs);
                obs = NULL;
            }
        }
        x->obs = obs;
        char t[64], v[128];
        x->has_id = ml_store_parse_name(f, &x->id, t, sizeof t, v, sizeof v);
        if (!x->has_id) {   /* at least the number leading the name */
            const char *b = strrchr(f, '/');
            b = b ? b + 1 : f;
            char *end;
            unsigned long long id = strtoull(b, &end, 10);
            x->has_id = *b >= '0' && *b <= '9' && end != b;
            x->id = x->has_id ? id : 0;
        }
    }
    free(files);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *out = e;
    return m;
}

void ml_store_entries_free(ml_store_entry *e, int n)
{
    for (int i = 0; e && i < n; i++) {
        free(e[i].path);
        free(e[i].obs);
        free(e[i].orig);
    }
    free(e);
}

bool ml_store_complete_counts(const char *findings_dir, ml_bugs *b)
{
    char path[4200];
    size_t n = strlen(findings_dir);
    while (n > 1 && findings_dir[n - 1] == '/')
        n--;
    if (n < 8 || strncmp(findings_dir + n - 8, FINDINGS, 8) || (n > 8 && findings_dir[n - 9] != '/'))
        return false;
    snprintf(path, sizeof path, "%.*s" SUMMARY, (int)(n - 8), findings_dir);   /* beside findings/ */
    size_t len;
    char err[256];
    char *t = ml_read_file(path, 16u << 20, &len, err, sizeof err);
    cJSON *j = t ? cJSON_ParseWithLength(t, len) : NULL;
    free(t);
    const cJSON *bugs = cJSON_GetObjectItemCaseSensitive(j, "bugs"), *g;
    bool any = false;
    cJSON_ArrayForEach(g, bugs)
    {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "id"));
        const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(g, "count");
        if (!id || !cJSON_IsNumber(cnt) || cnt->valuedouble < 0)
            continue;
        uint64_t per[ML_T_COUNT] = {0};
        const cJSON *tt;
        cJSON_ArrayForEach(tt, cJSON_GetObjectItemCaseSensitive(g, "transports"))
        {
            ml_transport x;
            if (ml_transport_from_name(tt->string, &x) && cJSON_IsNumber(tt) && tt->valuedouble >= 0)
                per[x] = (uint64_t)tt->valuedouble;
        }
        ml_severity sev;
        const char *sn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "severity"));
        any |= ml_bugs_complete(b, id, (uint64_t)cnt->valuedouble,
                                cJSON_GetObjectItemCaseSensitive(g, "transports") ? per : NULL,
                                sn && ml_severity_from_name(sn, &sev) ? (int)sev : -1);
    }
    const cJSON *counts = cJSON_GetObjectItemCaseSensitive(j, "counts");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(counts, "fail"), *e = cJSON_GetObjectItemCaseSensitive(counts, "error");
    if (any && cJSON_IsNumber(f) && cJSON_IsNumber(e))
        ml_bugs_complete_findings(b, (uint64_t)(f->valuedouble + e->valuedouble));
    cJSON_Delete(j);
    return any;
}

/* ---- bisect ------------------------------------------------------------------ */

bool ml_store_bug_case(const char *dir, const char *id, char *path, size_t len, char *err, size_t errlen)
{
    char tpath[4200], e[1024];
    snprintf(tpath, sizeof tpath, "%s/%s", dir, TRIAGE);
    size_t n = 0;
    char *text = ml_read_file(tpath, 64u << 20, &n, e, sizeof e);
    if (!text) {
        snprintf(err, errlen, "%s (not a triaged run: memlayout run or triage --out writes it)", e);
        return false;
    }
    cJSON *j = ml_json_parse_exact(text, n), *b;
    free(text);
    bool found = false;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(j, "bugs")) {
        const char *bid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "id"));
        found |= bid && !strcmp(bid, id);
    }
    if (!j)
        snprintf(err, errlen, "%s: not valid JSON", tpath);
    else if (!found)
        snprintf(err, errlen, "no bug \"%s\" in %s", id, tpath);
    cJSON_Delete(j);
    if (!found)
        return false;
    snprintf(path, len, "%s/%s/%s.json", dir, BUGS, id);
    return true;
}

static bool put_file(ml_store *s, const char *name, const char *json, char *err, size_t errlen)
{
    char shown[4200];
    snprintf(shown, sizeof shown, "%s/%s", s->dir, name);
    return ml_write_atomic_at(s->dfd, name, shown, json, strlen(json), err, errlen);
}

bool ml_store_write_bisect(const char *dir, const char *json, char *err, size_t errlen)
{
    ml_store_status st;
    ml_store *s = ml_store_open_out(dir, &st, err, errlen);
    if (!s)
        return false;
    bool ok = put_file(s, ML_STORE_BISECT, json, err, errlen);
    ml_store_close(s);
    return ok;
}

bool ml_store_write_ci_bisect(ml_store *s, const char *json, char *err, size_t errlen)
{
    return put_file(s, ML_STORE_CI_BISECT, json, err, errlen);
}

/* memlayout files: the private temp directory, atomic writes, listing. */
#ifndef ML_FSUTIL_H
#define ML_FSUTIL_H

#include "case.h"

#include <stdbool.h>
#include <stddef.h>

/* Creates a 0700 directory "memlayout-XXXXXX" under $TMPDIR, else /dev/shm
 * where it exists, else /tmp. Returns a malloc'd path or NULL (err set).
 * The directory carries a file "owner" naming this process (pid, start
 * time, boot id, pid namespace). Sibling memlayout-* directories whose
 * owner is gone (ml_tmpdir_orphaned: a memlayout killed with SIGKILL)
 * are removed first. */
char *ml_tmpdir_create(char *err, size_t errlen);

/* True when dir is a directory of this user (not a symlink) with an owner
 * record whose process is gone: no longer alive, a zombie, a later process
 * with the same pid (another start time) or one of an earlier boot. False
 * for anything it cannot tell (no record, another pid namespace). */
bool ml_tmpdir_orphaned(const char *dir);

/* Removes a directory tree; quiet about what is already gone. */
void ml_rmtree(const char *path);

/* Writes data to path through a hidden temp file in the same directory and
 * renames it, so readers see the old file or the whole new one, whatever
 * process dies when. The temp file has a name no one can guess
 * (".NAME.<12 random letters>.tmp") and is created with O_EXCL|O_NOFOLLOW:
 * a link planted there is never followed, and the rename replaces a link
 * at path instead of writing through it. With ml_fs_set_sync(true) it also
 * fsyncs the file and the directory, so the file survives a crash of the
 * machine too. err: "<path>: cannot write: <reason>". */
bool ml_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* The same in the directory open as dfd (name: one path component; shown:
 * what err calls it, NULL: name). */
bool ml_write_atomic_at(int dfd, const char *name, const char *shown, const char *data, size_t len,
                        char *err, size_t errlen);

/* Off by default: an fsync per finding costs more than a case on a disk. */
void ml_fs_set_sync(bool on);
bool ml_fs_sync_on(void);

/* mkdir -p with mode 0755. */
bool ml_mkdirs(const char *path, char *err, size_t errlen);

/* Reads a whole file (at most max bytes; more is an error). Caller frees. */
char *ml_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen);

/* Reads and parses a case file (at most 1 MiB: a canonical case is ~9 KiB).
 * False with err "<reason>" (the caller prefixes the path). */
bool ml_case_load(const char *path, const ml_limits *lim, ml_case *c, char *err, size_t errlen);

/* Monotonic seconds, for deadlines and rates. */
double ml_now(void);

/* Collects the *.json files under path (or path itself if it is a file),
 * sorted. Returns the count, or -1 (err set). *out is malloc'd, as are its strings. */
int ml_list_cases(const char *path, char ***out, char *err, size_t errlen);

/* One JSON document in text[0..len): NULL when it does not parse or when
 * anything but white space follows it (a file with trailing garbage is
 * refused, not half read). Caller deletes. */
struct cJSON *ml_json_parse_exact(const char *text, size_t len);

/* Length of the valid UTF-8 sequence at s (at most n bytes): 1 to 4, or 0
 * when it is not valid (overlong, a surrogate, out of range, cut short). */
size_t ml_utf8_len(const unsigned char *s, size_t n);

/* s with control characters and bytes that are not valid UTF-8 written as
 * \\xNN, for a terminal line or a report: a file name cannot move the
 * cursor, forge a line or break an encoding. Writes into buf, cut to len. */
const char *ml_printable(const char *s, char *buf, size_t len);

/* The folder of the running executable (/proc/self/exe); false if unknown
 * or longer than len. */
bool ml_exe_dir(char *buf, size_t len);

#endif

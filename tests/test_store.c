/* Unit tests of the run directory (store.h): names, refusals, the lock,
 * --keep, whole lines after a failed write; triage --out's lock; the fuzz
 * store: refusals, whole log lines, the readers; the transports that
 * confirm an in-process finding. */
#include "check.h"
#include "fsutil.h"
#include "oracle.h"
#include "store.h"

#include <cJSON.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[256];

static const char public_case[] =
    "{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",\"shape\":[15],\"order\":\"C\","
    "\"offset\":0,\"mode\":\"r\"},\"ops\":[{\"op\":\"reshape\",\"shape\":[5,3],\"order\":\"C\"}],"
    "\"transport\":\"loky\",\"seed\":1}\n";

/* the public example as joblib 1.2.0 delivers it: C view arrives F */
static const char public_obs[] =
    "{\"status\":\"ok\",\"parent\":{\"type\":\"memmap\",\"shape\":[5,3],\"strides\":[24,8],\"dtype\":\"<f8\","
    "\"itemsize\":8,\"flags\":{\"c\":true,\"f\":false,\"writeable\":false,\"aligned\":true,\"owndata\":false},"
    "\"backing\":{\"file\":\"/tmp/d.bin\",\"mode\":\"r\",\"offset\":0,\"first\":0,\"lo\":0,\"hi\":120,\"len\":120},"
    "\"hash\":\"aa\"},"
    "\"child\":{\"type\":\"memmap\",\"shape\":[5,3],\"strides\":[8,40],\"dtype\":\"<f8\",\"itemsize\":8,"
    "\"flags\":{\"c\":false,\"f\":true,\"writeable\":false,\"aligned\":true,\"owndata\":false},"
    "\"backing\":{\"file\":\"/tmp/d.bin\",\"mode\":\"r\",\"offset\":0,\"first\":0,\"lo\":0,\"hi\":120,\"len\":120},"
    "\"hash\":\"bb\"},\"write\":null,"
    "\"file\":{\"size_before\":120,\"size_after\":120,\"hash_before\":\"ff\",\"hash_after\":\"ff\"},"
    "\"seconds\":0.01}\n";

static const char *path_of(const char *rel)
{
    static char p[4][512];   /* two at once in one call */
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", base, rel);
    return p[k];
}

static int count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    int n = 0;
    const struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name), s = strlen(suffix);
        n += l > s && !strcmp(e->d_name + l - s, suffix);
    }
    if (d)
        closedir(d);
    return n;
}

static char *slurp(const char *path, size_t *len)
{
    char err[256];
    return ml_read_file(path, 1 << 24, len, err, sizeof err);
}

static ml_store *open_store(const char *rel, int keep, bool force, ml_store_status *st)
{
    char err[1024];
    ml_store_opts o = {.keep = keep, .force = force};
    return ml_store_open(path_of(rel), &o, st, err, sizeof err);
}

static void finding_names_round_trip(void)
{
    char name[256], t[64], v[128];
    uint64_t id;
    ml_store_finding_name(42, ML_T_LOKY, "fail:data,flags,strides", name, sizeof name);
    CHECK_STR(name, "000042-loky-fail-data-flags-strides");
    CHECK(ml_store_parse_name("x/findings/000042-loky-fail-data-flags-strides.json", &id, t, sizeof t, v, sizeof v));
    CHECK(id == 42);
    CHECK_STR(t, "loky");
    CHECK_STR(v, "fail:data,flags,strides");
    ml_store_finding_name(1234567, ML_T_MULTIPROCESSING, "error:crash", name, sizeof name);
    CHECK(ml_store_parse_name(name, &id, t, sizeof t, v, sizeof v));
    CHECK(id == 1234567);
    CHECK_STR(t, "multiprocessing");
    CHECK_STR(v, "error:crash");
    CHECK(!ml_store_parse_name("summary.json", &id, t, sizeof t, v, sizeof v));
    CHECK(!ml_store_parse_name("000001-fail.json", &id, t, sizeof t, v, sizeof v));   /* no transport */
    CHECK(!ml_store_parse_name("12-loky-broken.json", &id, t, sizeof t, v, sizeof v));
}

static void verdict_kinds_have_one_table(void)
{
    ml_vkind k;
    CHECK(ml_vkind_of("fail:data", &k) && k == ML_V_FAIL);
    CHECK(ml_vkind_of("error:crash", &k) && k == ML_V_ERROR);
    CHECK(ml_vkind_of("pass", &k) && k == ML_V_PASS);
    CHECK(ml_vkind_of("invalid", &k) && k == ML_V_INVALID);
    CHECK(!ml_vkind_of("passed", &k) && !ml_vkind_of("invalid:x", &k) && !ml_vkind_of(NULL, &k));
    CHECK_STR(ml_vkind_name(ML_V_ERROR), "error");
}

static void links_and_strangers_are_refused(void)
{
    ml_store_status st;
    mkdir(path_of("real"), 0755);
    CHECK(symlink(path_of("real"), path_of("link")) == 0);
    CHECK(!open_store("link", 0, true, &st) && st == ML_STORE_REFUSED);
    mkdir(path_of("notrun"), 0755);
    FILE *f = fopen(path_of("notrun/marker"), "w");
    fputs("mine\n", f);
    fclose(f);
    CHECK(!open_store("notrun", 0, false, &st) && st == ML_STORE_REFUSED);
    CHECK(access(path_of("notrun/" ML_STORE_LOCK), F_OK) != 0);   /* nothing made there */
    ml_store *s = open_store("notrun", 0, true, &st);
    CHECK(s && st == ML_STORE_OK);
    CHECK(access(path_of("notrun/marker"), F_OK) == 0);   /* only begin empties it */
    char *argv[] = {"run"};
    CHECK(s && ml_store_begin(s, 1, argv));
    CHECK(access(path_of("notrun/marker"), F_OK) != 0);
    ml_store_close(s);
}

static void a_second_store_on_a_locked_directory_is_busy(void)
{
    ml_store_status st;
    ml_store *a = open_store("busy", 0, false, &st);
    CHECK(a && st == ML_STORE_OK);
    ml_store *b = open_store("busy", 0, false, &st);
    CHECK(!b && st == ML_STORE_BUSY);
    ml_store_close(a);
    b = open_store("busy", 0, false, &st);
    CHECK(b && st == ML_STORE_OK);
    ml_store_close(b);
}

static void keep_bounds_files_and_counts_every_finding(void)
{
    ml_store_status st;
    ml_store *s = open_store("keep", 2, false, &st);
    char *argv[] = {"run", "--keep", "2"};
    CHECK(s && ml_store_begin(s, 3, argv));
    if (!s)
        return;
    ml_case c;
    ml_result *r = malloc(sizeof *r);
    char err[256], vs[128];
    CHECK(ml_case_parse(public_case, strlen(public_case), NULL, &c, err, sizeof err));
    CHECK(r && ml_result_parse(public_obs, strlen(public_obs), r, err, sizeof err));
    ml_verdict v = ml_oracle_judge(&c, r);
    CHECK(v.kind == ML_V_FAIL);
    ml_verdict_str(&v, vs, sizeof vs);
    for (uint64_t id = 0; id < 5; id++) {
        ml_store_line l = {.id = id, .c = &c, .verdict = vs, .seconds = 0.01, .layout = "C", .child = "F"};
        CHECK(ml_store_add(s, &l, public_case, public_obs, r, &v));
    }
    ml_store_line pass = {.id = 5, .c = &c, .verdict = "pass", .layout = "C", .child = "C"};
    CHECK(ml_store_add(s, &pass, NULL, NULL, NULL, NULL));
    ml_store_totals t;
    ml_store_totals_get(s, &t);
    CHECK(t.cases == 6 && t.kinds[ML_V_FAIL] == 5 && t.kept == 2 && t.not_kept == 3);
    CHECK(ml_store_finish(s, NULL));
    CHECK(count_files(path_of("keep/findings"), ".json") == 2);
    CHECK(count_files(path_of("keep/findings"), ".obs") == 2);
    size_t len;
    char *text = slurp(path_of("keep/summary.json"), &len);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    const cJSON *b0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "bugs"), 0);
    CHECK(cJSON_GetObjectItem(b0, "count") && cJSON_GetObjectItem(b0, "count")->valuedouble == 5);
    CHECK(cJSON_GetObjectItem(b0, "kept") && cJSON_GetObjectItem(b0, "kept")->valuedouble == 2);
    CHECK(cJSON_GetObjectItem(j, "findings_not_kept")->valuedouble == 3);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "incomplete")));
    cJSON_Delete(j);
    free(text);
    text = slurp(path_of("keep/results.jsonl"), &len);
    int lines = 0, named = 0, unnamed = 0;
    for (char *save = NULL, *line = text ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        lines++;
        named += strstr(line, "\"finding\":\"000") != NULL;
        unnamed += strstr(line, "\"finding\":null") != NULL;
    }
    CHECK(lines == 6 && named == 2 && unnamed == 3);
    free(text);
    free(r);
    ml_store_close(s);
}

/* A write that fails half way (here: the file size limit) leaves whole lines. */
static void a_failed_write_leaves_whole_lines(void)
{
    ml_store_status st;
    ml_store *s = open_store("full", 0, false, &st);
    char *argv[] = {"run"};
    CHECK(s && ml_store_begin(s, 1, argv));
    if (!s)
        return;
    ml_case c;
    char err[256];
    CHECK(ml_case_parse(public_case, strlen(public_case), NULL, &c, err, sizeof err));
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 100000 + 37;   /* not at a line's end */
    signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    bool ok = true;
    uint64_t id;
    for (id = 0; ok && id < 100000; id++) {
        ml_store_line l = {.id = id, .c = &c, .verdict = "pass", .seconds = 0.01, .layout = "C", .child = "C"};
        ok = ml_store_add(s, &l, NULL, NULL, NULL, NULL) && (id % 100 || ml_store_flush(s));
    }
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_DFL);
    CHECK(!ok);
    CHECK(ml_store_error(s) && strstr(ml_store_error(s), "results.jsonl: cannot write: File too large"));
    ml_store_line more = {.id = id, .c = &c, .verdict = "pass", .layout = "C", .child = "C"};
    CHECK(!ml_store_add(s, &more, NULL, NULL, NULL, NULL));   /* stopped */
    CHECK(!ml_store_finish(s, NULL));
    size_t len;
    char *text = slurp(path_of("full/results.jsonl"), &len);
    CHECK(text && len > 0 && len <= 100037 && text[len - 1] == '\n');
    int lines = 0;
    for (size_t i = 0; text && i < len; i++)
        lines += text[i] == '\n';
    int opens = 0;
    for (char *p = text; p && (p = strstr(p, "{\"id\":")); p++)
        opens++;
    CHECK(lines > 100 && opens == lines);
    free(text);
    text = slurp(path_of("full/summary.json"), &len);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "incomplete")));
    CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(j, "error")) &&
          strstr(cJSON_GetStringValue(cJSON_GetObjectItem(j, "error")), "File too large"));
    cJSON_Delete(j);
    free(text);
    ml_store_close(s);
}

static void atomic_writes_never_follow_a_link(void)
{
    char err[256];
    FILE *f = fopen(path_of("victim"), "w");
    fputs("x", f);
    fclose(f);
    CHECK(symlink(path_of("victim"), path_of("target")) == 0);
    CHECK(ml_write_atomic(path_of("target"), "new", 3, err, sizeof err));
    size_t len;
    char *v = slurp(path_of("victim"), &len);
    CHECK(v && !strcmp(v, "x"));   /* the link was replaced, not written through */
    free(v);
    struct stat st;
    CHECK(lstat(path_of("target"), &st) == 0 && S_ISREG(st.st_mode));
}

static void group_writable_directories_are_refused(void)
{
    ml_store_status st;
    mkdir(path_of("gw"), 0755);
    CHECK(chmod(path_of("gw"), 0775) == 0);
    CHECK(!open_store("gw", 0, true, &st) && st == ML_STORE_REFUSED);
    CHECK(chmod(path_of("gw"), 0757) == 0);
    CHECK(!open_store("gw", 0, true, &st) && st == ML_STORE_REFUSED);
    CHECK(chmod(path_of("gw"), 0755) == 0);
    ml_store *s = open_store("gw", 0, true, &st);
    CHECK(s && st == ML_STORE_OK);
    ml_store_close(s);
}

static void triage_out_takes_the_lock_and_empties_nothing(void)
{
    ml_store_status st;
    char err[512];
    ml_store *run = open_store("tri", 0, false, &st);
    CHECK(run && st == ML_STORE_OK);
    ml_store *o = ml_store_open_out(path_of("tri"), &st, err, sizeof err);
    CHECK(!o && st == ML_STORE_BUSY);
    ml_bugs *b = ml_bugs_new();
    CHECK(ml_store_write_triage_dir(path_of("tri"), b, err, sizeof err) == ML_STORE_BUSY);
    ml_store_close(run);
    CHECK(ml_store_write_triage_dir(path_of("tri"), b, err, sizeof err) == ML_STORE_OK);
    CHECK(access(path_of("tri/triage.json"), F_OK) == 0);
    /* again into its own output; never into a directory of other files */
    CHECK(ml_store_write_triage_dir(path_of("tri"), b, err, sizeof err) == ML_STORE_OK);
    mkdir(path_of("docs"), 0755);
    FILE *f = fopen(path_of("docs/a.txt"), "w");
    fputs("mine\n", f);
    fclose(f);
    CHECK(ml_store_write_triage_dir(path_of("docs"), b, err, sizeof err) == ML_STORE_REFUSED);
    CHECK(!strstr(err, "--force"));   /* triage has none */
    CHECK(access(path_of("docs/triage.json"), F_OK) != 0);
    ml_bugs_free(b);
}

static int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    const struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void the_fuzz_store_never_writes_through_a_link(void)
{
    char err[512];
    mkdir(path_of("victim-dir"), 0755);
    mkdir(path_of("fz1"), 0755);
    CHECK(symlink(path_of("victim-dir"), path_of("fz1/raw")) == 0);
    CHECK(!ml_fstore_open(path_of("fz1"), true, err, sizeof err));
    CHECK(strstr(err, "fz1/raw is not a directory") != NULL);
    CHECK(dir_entries(path_of("victim-dir")) == 0);
    /* a log.tsv planted as a link: the line is refused, the victim kept */
    mkdir(path_of("fz2"), 0755);
    FILE *f = fopen(path_of("victim.txt"), "w");
    fputs("x", f);
    fclose(f);
    CHECK(symlink(path_of("victim.txt"), path_of("fz2/log.tsv")) == 0);
    ml_fstore *fs = ml_fstore_open(path_of("fz2"), true, err, sizeof err);
    CHECK(fs != NULL);
    ml_fstore_log_line l = {.t = 1, .inputs = 2, .pid = 3};
    snprintf(l.what, sizeof l.what, "raw");
    snprintf(l.file, sizeof l.file, "raw/a");
    CHECK(fs && !ml_fstore_log(fs, &l, err, sizeof err));
    CHECK(strstr(err, "log.tsv") != NULL);
    size_t len;
    char *v = slurp(path_of("victim.txt"), &len);
    CHECK(v && !strcmp(v, "x"));
    free(v);
    /* a case planted as a link is replaced, not written through */
    CHECK(symlink(path_of("victim.txt"), path_of("fz2/raw/b.json")) == 0);
    CHECK(fs && ml_fstore_put(fs, true, "b", public_case, public_case, err, sizeof err));
    v = slurp(path_of("victim.txt"), &len);
    CHECK(v && !strcmp(v, "x"));
    free(v);
    /* names are one path component */
    CHECK(fs && !ml_fstore_put(fs, true, "../escape", public_case, NULL, err, sizeof err));
    CHECK(access(path_of("fz2/escape.json"), F_OK) != 0);
    ml_fstore_close(fs);
    /* group-writable */
    mkdir(path_of("fz3"), 0755);
    CHECK(chmod(path_of("fz3"), 0775) == 0);
    CHECK(!ml_fstore_open(path_of("fz3"), true, err, sizeof err) && strstr(err, "group- or world-writable"));
}

static void the_fuzz_store_log_holds_whole_lines(void)
{
    char err[512];
    ml_fstore *fs = ml_fstore_open(path_of("fz4"), true, err, sizeof err);
    CHECK(fs != NULL);
    if (!fs)
        return;
    ml_fstore_log_line l = {.t = 0.5, .inputs = 9, .pid = 42};
    snprintf(l.target, sizeof l.target, "case_json");
    snprintf(l.what, sizeof l.what, "raw");
    snprintf(l.sig, sizeof l.sig, "share/joblib order:\ta\nforged line");   /* a tab, a line end */
    snprintf(l.file, sizeof l.file, "raw/second");
    snprintf(l.class_id, sizeof l.class_id, "5ac3df85");
    CHECK(ml_fstore_log(fs, &l, err, sizeof err));
    snprintf(l.file, sizeof l.file, "raw/first");
    CHECK(ml_fstore_log(fs, &l, err, sizeof err));
    /* a torn last line (a full disk) is skipped by readers */
    FILE *f = fopen(path_of("fz4/log.tsv"), "a");
    fputs("3.0\t1\t2\tcase_json\traw\tsig\traw/torn", f);
    fclose(f);
    size_t len;
    char *t = slurp(path_of("fz4/log.tsv"), &len);
    int lines = 0;
    for (size_t i = 0; t && i < len; i++)
        lines += t[i] == '\n';
    CHECK(lines == 2);
    free(t);
    ml_fstore_log_line *log;
    int n = ml_fstore_log_read(fs, &log);
    CHECK(n == 2);
    if (n == 2) {
        CHECK_STR(log[0].sig, "share/joblib order: a forged line");
        CHECK_STR(log[0].file, "raw/second");
        CHECK_STR(log[0].class_id, "5ac3df85");
        CHECK(log[0].pid == 42 && log[0].inputs == 9);
    }
    free(log);
    ml_fstore_close(fs);
}

static void the_fuzz_store_readers_follow_found_order_and_marks(void)
{
    char err[512];
    ml_fstore *fs = ml_fstore_open(path_of("fz5"), true, err, sizeof err);
    CHECK(fs != NULL);
    if (!fs)
        return;
    const char *order[] = {"zeta", "alpha", "mid"};   /* found in this order */
    for (int i = 0; i < 3; i++) {
        CHECK(ml_fstore_put(fs, true, order[i], public_case, public_case, err, sizeof err));
        ml_fstore_log_line l = {.t = i};
        snprintf(l.what, sizeof l.what, "raw");
        snprintf(l.file, sizeof l.file, "raw/%s", order[i]);
        CHECK(ml_fstore_log(fs, &l, err, sizeof err));
    }
    CHECK(ml_fstore_put(fs, true, "unlogged", public_case, NULL, err, sizeof err));
    char **names;
    int n = ml_fstore_raw(fs, &names);
    CHECK(n == 4);
    if (n == 4) {
        CHECK_STR(names[0], "zeta");
        CHECK_STR(names[1], "alpha");
        CHECK_STR(names[2], "mid");
        CHECK_STR(names[3], "unlogged");
    }
    ml_fstore_names_free(names, n);
    CHECK(!ml_fstore_seen(fs, 77) && ml_fstore_seen(fs, 77));
    /* alpha minimized into "min-a"; the others pending */
    CHECK(!ml_fstore_marked(fs, "alpha"));
    CHECK(ml_fstore_put(fs, false, "min-a", public_case, public_case, err, sizeof err));
    CHECK(ml_fstore_mark(fs, "alpha", "min-a", err, sizeof err));
    CHECK(ml_fstore_marked(fs, "alpha"));
    size_t len;
    char *t = ml_fstore_read(fs, false, "min-a", true, &len, err, sizeof err);
    CHECK(t && len == strlen(public_case));
    free(t);
    ml_fstore_close(fs);
    /* the listing: the minimized finding and the three raw ones pending */
    ml_store_entry *e;
    n = ml_store_list_findings(path_of("fz5"), &e, err, sizeof err);
    CHECK(n == 4);
    int raw = 0, orig = 0;
    for (int i = 0; i < n; i++) {
        raw += e[i].raw;
        orig += e[i].orig != NULL;
        CHECK(!strstr(e[i].path, "alpha") && !strstr(e[i].path, ".orig."));
    }
    CHECK(raw == 3 && orig == 3);   /* "unlogged" has no original */
    ml_store_entries_free(e, n);
}

static void in_process_transports_confirm_through_the_pools_they_stand_for(void)
{
    const char *red;
    CHECK(ml_transport_real_processes(ML_T_REDUCE, ML_T_COUNT, &red) ==
          (1u << ML_T_LOKY | 1u << ML_T_MULTIPROCESSING));
    CHECK_STR(red, "joblib");
    CHECK(ml_transport_real_processes(ML_T_REFERENCE, ML_T_LOKY, &red) ==
          (1u << ML_T_LOKY | 1u << ML_T_MULTIPROCESSING));
    CHECK_STR(red, "reference");
    CHECK(ml_transport_real_processes(ML_T_PICKLE4, ML_T_POOL_SPAWN, &red) ==
          (1u << ML_T_PICKLE4 | 1u << ML_T_POOL_SPAWN));
    CHECK(ml_transport_real_processes(ML_T_PICKLE5, ML_T_PICKLE5, &red) == 1u << ML_T_PICKLE5);
    /* the way back covers the way there: every worker transport */
    for (int t = 0; t < ML_T_COUNT; t++) {
        if (ml_transport_in_process((ml_transport)t))
            continue;
        ml_transport in = ml_transport_stand_in((ml_transport)t);
        CHECK(ml_transport_in_process(in));
        CHECK(ml_transport_real_processes(in, (ml_transport)t, &red) & 1u << t);
    }
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(base, sizeof base, "%s/ml-store-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(finding_names_round_trip);
    RUN(verdict_kinds_have_one_table);
    RUN(links_and_strangers_are_refused);
    RUN(a_second_store_on_a_locked_directory_is_busy);
    RUN(keep_bounds_files_and_counts_every_finding);
    RUN(a_failed_write_leaves_whole_lines);
    RUN(atomic_writes_never_follow_a_link);
    RUN(group_writable_directories_are_refused);
    RUN(triage_out_takes_the_lock_and_empties_nothing);
    RUN(the_fuzz_store_never_writes_through_a_link);
    RUN(the_fuzz_store_log_holds_whole_lines);
    RUN(the_fuzz_store_readers_follow_found_order_and_marks);
    RUN(in_process_transports_confirm_through_the_pools_they_stand_for);
    ml_rmtree(base);
    return check_summary("test_store");
}

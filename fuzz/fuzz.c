/* Shared set-up of the fuzz targets: options from the environment, the two
 * front doors (JSON and bytes), counters, SHA-1 for crash-file names. No
 * Python here: case_parse links this file alone. */
#include "fuzz.h"
#include "fsutil.h"
#include <limits.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static mlf_config cfg;
static mlf_stats stats;
static bool inited;

double mlf_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

mlf_config *mlf_cfg(void)
{
    return &cfg;
}

mlf_stats *mlf_stats_get(void)
{
    return &stats;
}

void mlf_harness_bug(const char *what, const char *detail)
{
    fprintf(stderr, "memlayout-fuzz: HARNESS BUG: %s: %s\n", what, detail ? detail : "");
    fflush(stderr);
    abort();
}

static const char *env(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* "reduce,pickle5" -> mask; unknown names are a configuration error. */
static uint32_t transports_from(const char *list)
{
    uint32_t mask = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        ml_transport tr;
        if (!strcmp(t, "in-process")) {
            for (int i = 0; i < ML_T_COUNT; i++)
                if (ml_transport_in_process((ml_transport)i))
                    mask |= 1u << i;
        } else if (ml_transport_from_name(t, &tr)) {
            mask |= 1u << tr;
        } else {
            mlf_harness_bug("MLF_TRANSPORTS: unknown transport", t);
        }
    }
    return mask;
}

static unsigned feedback_from(const char *s)
{
    if (!strcmp(s, "none"))
        return 0;
    if (!strcmp(s, "layout"))
        return MLF_FB_LAYOUT;
    if (!strcmp(s, "python"))
        return MLF_FB_PYTHON;
    if (!strcmp(s, "all") || !strcmp(s, "layout,python") || !strcmp(s, "python,layout"))
        return MLF_FB_LAYOUT | MLF_FB_PYTHON;
    mlf_harness_bug("MLF_FEEDBACK: expected none, layout, python or all", s);
}

static void print_stats(void)
{
    uint64_t lay = 0, arcs = 0;
    mlf_feedback_counts(&lay, &arcs);
    if (cfg.quiet || !stats.inputs)
        return;
    fprintf(stderr,
            "memlayout-fuzz: %s: %llu inputs in %.1f s, %llu rejected, %llu invalid, %llu findings "
            "(%llu classes, %llu stored, %llu minimized), layout features %llu, python arcs %llu\n",
            cfg.target, (unsigned long long)stats.inputs, mlf_now() - stats.start,
            (unsigned long long)stats.rejected, (unsigned long long)stats.invalid,
            (unsigned long long)stats.findings, (unsigned long long)stats.classes,
            (unsigned long long)stats.stored, (unsigned long long)stats.minimized, (unsigned long long)lay,
            (unsigned long long)arcs);
    if (stats.known_listed && cfg.on_finding == MLF_FINDING_ABORT)
        fprintf(stderr, "memlayout-fuzz: %s: %llu finding%s of %llu known bug%s (of %llu listed) passed over\n",
                cfg.target, (unsigned long long)stats.known, stats.known == 1 ? "" : "s",
                (unsigned long long)stats.known_bugs, stats.known_bugs == 1 ? "" : "s",
                (unsigned long long)stats.known_listed);
}

void mlf_init(const char *target, int *argc, char ***argv)
{
    if (inited)
        return;
    inited = true;
    cfg.target = target;
    stats.start = mlf_now();
    const char *mode = env("MLF_ON_FINDING", "abort");
    if (!strcmp(mode, "store"))
        cfg.on_finding = MLF_FINDING_STORE;
    else if (!strcmp(mode, "report"))
        cfg.on_finding = MLF_FINDING_REPORT;
    else if (!strcmp(mode, "abort"))
        cfg.on_finding = MLF_FINDING_ABORT;
    else if (!strcmp(mode, "list"))
        cfg.on_finding = MLF_FINDING_LIST;
    else
        mlf_harness_bug("MLF_ON_FINDING: expected abort, store, report or list", mode);
    cfg.feedback = feedback_from(env("MLF_FEEDBACK", "layout"));
    long long cap = atoll(env("MLF_MAX_BYTES", "0"));
    cfg.lim.max_bytes = cap > 0 ? (uint64_t)cap : MLF_FUZZ_MAX_DATA;
    cfg.gen.transports = transports_from(env("MLF_TRANSPORTS", "reduce"));
    cfg.gen.max_bytes = cfg.lim.max_bytes;
    cfg.minimize = strcmp(env("MLF_MINIMIZE", "1"), "0") != 0;
    cfg.minimize_store = strcmp(env("MLF_MINIMIZE_STORE", "0"), "0") != 0;
    cfg.minimize_time = atof(env("MLF_MINIMIZE_TIME", "60"));
    if (!(cfg.minimize_time >= 0))
        mlf_harness_bug("MLF_MINIMIZE_TIME: expected seconds >= 0", getenv("MLF_MINIMIZE_TIME"));
    cfg.findings = env("MLF_FINDINGS", "findings");
    cfg.findings_set = getenv("MLF_FINDINGS") != NULL;
    cfg.quiet = strcmp(env("MLF_QUIET", "0"), "0") != 0;
    cfg.progress = atof(env("MLF_PROGRESS", "60"));
    snprintf(cfg.artifact_prefix, sizeof cfg.artifact_prefix, "./");
    for (int i = 1; argc && argv && i < *argc; i++) {
        const char *a = (*argv)[i];
        if (!strncmp(a, "-artifact_prefix=", 17))
            snprintf(cfg.artifact_prefix, sizeof cfg.artifact_prefix, "%s", a + 17);
    }
    atexit(print_stats);
}

/* Every MLF_PROGRESS seconds (default 60, 0: never) one line on stderr: an
 * hour-long session shows it is alive between libFuzzer's power-of-two
 * pulses. Checked every 256 inputs. */
static void progress(void)
{
    static double last;
    static uint64_t last_inputs;
    if (cfg.progress <= 0 || cfg.quiet || (stats.inputs & 255))
        return;
    double now = mlf_now();
    if (!last)
        last = stats.start;
    if (now - last < cfg.progress)
        return;
    fprintf(stderr, "memlayout-fuzz: %s: %.0f s, %llu inputs (%.0f/s), %llu findings, %llu classes, %llu stored\n",
            cfg.target, now - stats.start, (unsigned long long)stats.inputs,
            (double)(stats.inputs - last_inputs) / (now - last), (unsigned long long)stats.findings,
            (unsigned long long)stats.classes, (unsigned long long)stats.stored);
    last = now;
    last_inputs = stats.inputs;
}

bool mlf_parse_case(const uint8_t *data, size_t size, ml_case *c)
{
    char err[ML_ERR_MAX];
    stats.inputs++;
    progress();
    if (size > MLF_MAX_JSON || !ml_case_parse((const char *)data, size, &cfg.lim, c, err, sizeof err)) {
        stats.rejected++;
        return false;
    }
    return true;
}

void mlf_decode_case(const uint8_t *data, size_t size, ml_case *c)
{
    ml_src s;
    stats.inputs++;
    progress();
    ml_src_bytes(&s, data, size);
    ml_gen_case(&s, &cfg.gen, c);
}

ml_transport mlf_fuzz_transport(ml_transport t)
{
    return ml_transport_stand_in(t);
}

/* ---- a growing set of hashes (the finding store's keys) --------------------- */

bool mlf_hset_add(mlf_hset *s, uint64_t h)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        uint64_t *v = calloc(cap, sizeof *v);
        if (!v)
            mlf_harness_bug("finding keys", "out of memory");
        for (size_t k = 0; k < s->cap; k++) {
            if (!s->v[k])
                continue;
            size_t i = s->v[k] & (cap - 1);
            while (v[i])
                i = (i + 1) & (cap - 1);
            v[i] = s->v[k];
        }
        free(s->v);
        s->v = v;
        s->cap = cap;
    }
    size_t i = h & (s->cap - 1);
    for (; s->v[i]; i = (i + 1) & (s->cap - 1))
        if (s->v[i] == h)
            return true;
    s->v[i] = h;
    s->n++;
    return false;
}

bool mlf_hset_has(const mlf_hset *s, uint64_t h)
{
    if (!s->cap)
        return false;
    for (size_t i = h & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
        if (s->v[i] == h)
            return true;
    return false;
}

/* ---- SHA-1 (FIPS 180-4), only to name files the way libFuzzer does -------- */

static uint32_t rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5a827999;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdc;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6;
        }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void mlf_sha1_hex(const uint8_t *data, size_t size, char out[41])
{
    uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    uint8_t tail[128];
    size_t full = size / 64 * 64, rest = size - full;
    for (size_t i = 0; i < full; i += 64)
        sha1_block(h, data + i);
    memset(tail, 0, sizeof tail);
    if (rest)
        memcpy(tail, data + full, rest);
    tail[rest] = 0x80;
    size_t tlen = rest < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)size * 8;
    for (int i = 0; i < 8; i++)
        tail[tlen - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (size_t i = 0; i < tlen; i += 64)
        sha1_block(h, tail + i);
    for (int i = 0; i < 5; i++)
        snprintf(out + 8 * i, 9, "%08x", h[i]);
}

bool mlf_exe_dir(char *buf, size_t len)
{
    return ml_exe_dir(buf, len);
}


/* memlayout oracle: parse the runner's observation (docs/observation.md) and
 * judge it against the case's invariants (docs/oracle.md). Plain values, no
 * heap memory inside. */
#ifndef ML_ORACLE_H
#define ML_ORACLE_H

#include "case.h"

#define ML_PATH_MAX 512

typedef struct {
    bool present;
    char type[32];
    int ndim;
    int64_t shape[ML_MAX_NDIM], strides[ML_MAX_NDIM];
    char dtype[256];
    int64_t itemsize;
    bool c, f, writeable, aligned, owndata;
    bool backed;
    char file[ML_PATH_MAX];
    char mode[4];
    int64_t offset, first, lo, hi, len;
    bool has_hash;
    char hash[65];          /* of the bytes as they are */
    bool has_vhash;
    char vhash[65];         /* of the values in native byte order; only for a non-native dtype */
    int nhead;
    char head[8][40];   /* hex of up to 8 leading elements (detail only); longer items are cut */
    int nvalues;
    char values[8][40]; /* the same elements as values, as Python prints them (detail only) */
} ml_obs;

typedef enum { ML_RES_OK, ML_RES_INVALID, ML_RES_ERROR } ml_res_status;

typedef struct {
    ml_res_status status;
    char error_kind[16];
    char message[ML_ERR_MAX];
    ml_obs parent, child;
    bool write_tried, parent_sees;
    bool has_file;
    int64_t size_before, size_after;
    char hash_before[65], hash_after[65];
    int64_t first_change;     /* first changed byte of the file; -1 unknown (detail only) */
    int64_t changed_bytes;    /* bytes changed, size change included; -1 unknown */
    double seconds;
} ml_result;

/* Invariants, in verdict order. */
typedef enum {
    ML_INV_SHAPE, ML_INV_DTYPE, ML_INV_DATA, ML_INV_FLAGS, ML_INV_STRIDES,
    ML_INV_WRITEABLE, ML_INV_BACKING, ML_INV_OOB, ML_INV_WRITE, ML_INV_FILE,
    ML_INV_MODEL,
    ML_INV_COUNT
} ml_invariant;

typedef enum { ML_V_PASS, ML_V_FAIL, ML_V_ERROR, ML_V_INVALID } ml_vkind;

typedef struct {
    ml_vkind kind;
    uint32_t fails;          /* bit mask of 1u << ml_invariant */
    char error_kind[16];     /* ML_V_ERROR: build send rebuild worker crash timeout protocol */
    ml_tclass tclass;        /* class the case was judged as */
} ml_verdict;

/* Parse one runner line. False (err set) when the line is not a valid
 * observation: the caller turns that into error:protocol. */
bool ml_result_parse(const char *json, size_t len, ml_result *out, char *err, size_t errlen);

ml_verdict ml_oracle_judge(const ml_case *c, const ml_result *r);

/* Whether two dtype strings (">f8", "<f8", or structured ones) differ, and
 * only in byte order. */
bool ml_dtype_byteorder_only(const char *a, const char *b);

/* What changed, in words a maintainer reads: one line each for the layouts
 * (contiguity, shape, strides), the leading values when observed, whether
 * the values are equal (and a byte-order-only difference), the bytes the
 * receiver's view covers against its mapping when out of bounds, and the
 * user's file when it changed (sizes, where). Lines end in '\n'. Writes
 * into buf. */
const char *ml_result_describe(const ml_result *r, const ml_verdict *v, char *buf, size_t len);

/* The one table of verdict kinds: "pass", "fail", "error", "invalid"
 * ("?" for none of them). */
const char *ml_vkind_name(ml_vkind k);
/* The kind of a verdict string ("fail:data" -> ML_V_FAIL); false when it is
 * none ("pass", "fail[:...]", "error[:...]", "invalid"). */
bool ml_vkind_of(const char *verdict, ml_vkind *k);

/* "pass", "fail:data,flags", "error:crash", "invalid". Writes into buf. */
const char *ml_verdict_str(const ml_verdict *v, char *buf, size_t len);
const char *ml_invariant_name(ml_invariant i);

#endif

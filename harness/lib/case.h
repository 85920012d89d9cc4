/* memlayout case model: parse, validate and write canonical case JSON.
 *
 * Ownership: ml_case is a plain value (no pointers inside); copy it freely.
 * Strings returned by ml_case_write are malloc'd and owned by the caller.
 * Functions that can fail return false and fill err with one line
 * "<json path>: <reason>" (never longer than errlen-1, always terminated). */
#ifndef ML_CASE_H
#define ML_CASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ML_FORMAT_VERSION 1
#define ML_MAX_NDIM 32           /* NumPy's own limit (NPY_MAXDIMS) */
#define ML_MAX_OPS 16            /* chains longer than this add nothing but time */
#define ML_MAX_FIELDS 8          /* structured dtypes: enough to mix sizes and orders */
#define ML_FIELD_NAME_MAX 16     /* including the terminating NUL */
#define ML_MAX_SUBDIMS 2         /* a field's sub-array: ("v", "<f4", (2, 3)) */
#define ML_MAX_SUBDIM 16         /* each of its dims */
#define ML_MAX_SUBFIELDS 4       /* a field that is a structure: ("p", [("x", "<i2"), ...]) */
#define ML_MAX_DIM ((int64_t)1 << 40)
#define ML_MAX_OFFSET ((int64_t)1 << 20)
#define ML_MAX_SEED (((uint64_t)1 << 53) - 1) /* exact in a JSON double */
#define ML_DEFAULT_MAX_BYTES ((uint64_t)64 << 20)
#define ML_ERR_MAX 256

typedef enum { ML_SRC_RAW, ML_SRC_NPY } ml_source;
typedef enum { ML_MODE_R, ML_MODE_RPLUS, ML_MODE_C, ML_MODE_WPLUS, ML_MODE_COUNT } ml_mode;

typedef enum {
    ML_T_REDUCE, ML_T_REFERENCE, ML_T_LOKY, ML_T_MULTIPROCESSING, ML_T_THREADING,
    ML_T_PICKLE2, ML_T_PICKLE3, ML_T_PICKLE4, ML_T_PICKLE5, ML_T_PICKLE5_OOB,
    ML_T_POOL_SPAWN, ML_T_POOL_FORKSERVER, ML_T_DASK,
    ML_T_COUNT
} ml_transport;

typedef enum { ML_CLASS_SHARE, ML_CLASS_COPY, ML_CLASS_IDENTITY } ml_tclass;

typedef struct {
    char kind;       /* 'b' 'i' 'u' 'f' 'c' */
    char byteorder;  /* '<' '>' or '|' (size 1 only) */
    int size;        /* bytes */
} ml_scalar;

typedef struct {
    int nfields;     /* 0: scalar dtype in .scalar; else structured (packed) */
    ml_scalar scalar;
    char names[ML_MAX_FIELDS][ML_FIELD_NAME_MAX];
    ml_scalar fields[ML_MAX_FIELDS];
    /* fields[i] is a sub-array of subndim[i] dims (0: a plain scalar field) */
    int subndim[ML_MAX_FIELDS];
    int subshape[ML_MAX_FIELDS][ML_MAX_SUBDIMS];
    /* nsub[i] > 0: field i is itself a packed structure of nsub[i] scalar
     * fields (one level deep), and fields[i] only stands in for it: its first
     * inner field, for code that wants one scalar per field */
    int nsub[ML_MAX_FIELDS];
    char subnames[ML_MAX_FIELDS][ML_MAX_SUBFIELDS][ML_FIELD_NAME_MAX];
    ml_scalar subfields[ML_MAX_FIELDS][ML_MAX_SUBFIELDS];
} ml_dtype;

typedef enum {
    ML_OP_RESHAPE, ML_OP_TRANSPOSE, ML_OP_SWAPAXES, ML_OP_MOVEAXIS, ML_OP_SLICE,
    ML_OP_INDEX, ML_OP_NEWAXIS, ML_OP_SQUEEZE, ML_OP_RAVEL, ML_OP_VIEW,
    ML_OP_BROADCAST, ML_OP_FIELD, ML_OP_FIELDS, ML_OP_REAL, ML_OP_IMAG,
    ML_OP_AS_STRIDED, ML_OP_SLIDING_WINDOW, ML_OP_DIAGONAL, ML_OP_FLIP, ML_OP_ROT90,
    ML_OP_ASARRAY,
    ML_OP_COUNT
} ml_opkind;

typedef struct {
    ml_opkind kind;
    /* reshape, broadcast, as_strided: shape; sliding_window: window shape;
     * transpose, sliding_window: axes (has_axes false = null; a window's
     * axes, when given, are as many as its dims) */
    int ndim;
    int64_t shape[ML_MAX_NDIM];
    int axes[ML_MAX_NDIM];
    bool has_axes;
    int64_t strides[ML_MAX_NDIM];  /* as_strided */
    char order;          /* reshape: C/F; ravel: C/F/A/K */
    int axis, axis2;     /* swapaxes axis1/axis2, moveaxis source/destination,
                            slice/index/newaxis/squeeze/flip axis,
                            diagonal axis1/axis2, rot90 axes */
    bool has_axis;       /* flip: false = null (every axis) */
    int64_t start, stop, step;   /* slice */
    bool has_start, has_stop;    /* false = null */
    int64_t index;       /* index; diagonal: offset; rot90: k */
    ml_dtype dtype;      /* view */
    int nnames;          /* field: 1; fields: 1 to ML_MAX_FIELDS */
    char names[ML_MAX_FIELDS][ML_FIELD_NAME_MAX];
    bool via_view;       /* asarray: a.view(np.ndarray) rather than np.asarray(a) */
} ml_op;

typedef struct {
    ml_dtype dtype;
    ml_source source;
    int ndim;
    int64_t shape[ML_MAX_NDIM];
    char order;          /* 'C' or 'F' */
    int64_t offset;
    ml_mode mode;
    int nops;
    ml_op ops[ML_MAX_OPS];
    ml_transport transport;
    uint64_t seed;
} ml_case;

typedef struct {
    uint64_t max_bytes;  /* cap on the backing file's data; 0 means the default */
} ml_limits;

/* Parse and validate. On failure returns false, err holds the one-line error. */
bool ml_case_parse(const char *json, size_t len, const ml_limits *lim,
                   ml_case *out, char *err, size_t errlen);

/* Validate a case built in C (the generator and decoders call this too). */
bool ml_case_validate(const ml_case *c, const ml_limits *lim, char *err, size_t errlen);

/* Canonical JSON, one line ending in '\n'. Caller frees. NULL only on OOM. */
char *ml_case_write(const ml_case *c);

/* Same case: compares only what the canonical JSON holds (fields an op kind
 * does not use, and padding, are ignored), so parse(write(c)) equals c. */
bool ml_case_equal(const ml_case *a, const ml_case *b);

/* Shape after ops[0..nops-1] (nops may be < c->nops). Returns ndim, or -1 if
 * the chain is invalid (validate first to get the reason). */
int ml_case_shape_after(const ml_case *c, int nops, int64_t shape[ML_MAX_NDIM]);

/* Item size in bytes of a dtype (packed fields, sub-arrays counted whole). */
int ml_dtype_itemsize(const ml_dtype *d);
/* Bytes of field i (its scalar, or its inner fields, times its sub-array's
 * elements). */
int ml_field_size(const ml_dtype *d, int i);
/* Whether a field of d is a sub-array. */
bool ml_dtype_has_subarray(const ml_dtype *d);
/* Writes NumPy's dtype.str (scalar) into buf; returns buf. */
const char *ml_scalar_str(const ml_scalar *s, char buf[8]);

const char *ml_transport_name(ml_transport t);
bool ml_transport_from_name(const char *name, ml_transport *out);
ml_tclass ml_transport_class(ml_transport t);     /* class when the parent is memmap-backed */
bool ml_transport_in_process(ml_transport t);     /* no worker process involved */
/* Seconds a call through t may take on top of the case timeout, because its
 * first call starts its workers (dask: a LocalCluster); 0 for most. */
double ml_transport_start_s(ml_transport t);
/* The in-process transport that stands for t where a process pool cannot
 * run (the fuzz targets: a pool deadlocks before AFL++'s fork server):
 * loky, multiprocessing -> reduce (the reducer those pools call);
 * pool-spawn, pool-forkserver -> pickle4; dask -> pickle5-oob; any other:
 * itself. */
ml_transport ml_transport_stand_in(ml_transport t);
/* The way back, to confirm a finding of in-process transport t through
 * real processes: the transports to replay it with (a mask of 1u <<
 * ml_transport) and the reducer they take (*reducer: "joblib" or
 * "reference"). reduce -> loky, multiprocessing; reference -> the same
 * with the reference reducer; any other -> itself; plus asked, the
 * transport the input asked for, when it is a worker transport (ML_T_COUNT:
 * not known). */
uint32_t ml_transport_real_processes(ml_transport t, ml_transport asked, const char **reducer);
const char *ml_mode_name(ml_mode m);
const char *ml_op_name(ml_opkind k);

#endif

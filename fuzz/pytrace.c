/* Python arc coverage of the code that decides layouts, in the spirit of
 * atheris: a C trace function (PyEval_SetTrace) sees every line event while a
 * case runs; lines of interesting files (joblib, numpy's memmap, stride
 * tricks, the .npy format) become arcs (code, previous line, line), hashed
 * into feedback slots. Costs about 2x per case, so it is opt-in
 * (MLF_FEEDBACK=python or all). The trace is installed only around the run
 * of one case, on this thread: in-process transports never leave it. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#define CACHE 4096     /* code objects remembered (direct-mapped) */
#define DEPTH 256      /* frames tracked; deeper ones count as uninteresting */

typedef struct {
    PyObject *code;    /* a strong reference: the address is never reused */
    uint32_t hash;     /* 0: not interesting */
} code_slot;

static code_slot cache[CACHE];
static struct {
    PyFrameObject *frame;
    uint32_t hash;
    int prev;
} stack[DEPTH];
static int depth;
static char files[1024];

static const char default_files[] =
    "/joblib/,/numpy/core/memmap.py,/numpy/lib/stride_tricks.py,/numpy/lib/format.py,"
    "/numpy/core/numeric.py,/numpy/core/fromnumeric.py";

static uint32_t mix(uint32_t h, uint32_t v)
{
    h ^= v + 0x9e3779b9u + (h << 6) + (h >> 2);
    return h;
}

static bool interesting(const char *filename)
{
    char buf[sizeof files];
    memcpy(buf, files, sizeof buf);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (strstr(filename, t))
            return true;
    return false;
}

/* Stable across processes: file name and first line, not the address. */
static uint32_t code_hash(PyObject *code)
{
    size_t i = ((uintptr_t)code >> 4) % CACHE;
    if (cache[i].code == code)
        return cache[i].hash;
    PyCodeObject *co = (PyCodeObject *)code;
    const char *fn = PyUnicode_AsUTF8(co->co_filename);
    uint32_t h = 0;
    if (!fn)
        PyErr_Clear();
    else if (interesting(fn)) {
        h = 2166136261u;
        for (const char *p = fn; *p; p++)
            h = (h ^ (uint8_t)*p) * 16777619u;
        h = mix(h, (uint32_t)co->co_firstlineno) | 1;
    }
    Py_XDECREF(cache[i].code);
    Py_INCREF(code);
    cache[i].code = code;
    cache[i].hash = h;
    return h;
}

static int trace(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
    (void)obj;
    (void)arg;
    switch (what) {
    case PyTrace_CALL: {
        PyCodeObject *co = PyFrame_GetCode(frame);
        uint32_t h = code_hash((PyObject *)co);
        Py_DECREF(co);
        if (depth < DEPTH) {
            stack[depth].frame = frame;
            stack[depth].hash = h;
            stack[depth].prev = 0;
            if (h)
                mlf_feedback_arc(mix(h, 0xca11));
        }
        depth++;
        break;
    }
    case PyTrace_RETURN:
        if (depth > 0)
            depth--;
        break;
    case PyTrace_LINE:
        if (depth > 0 && depth <= DEPTH && stack[depth - 1].frame == frame && stack[depth - 1].hash) {
            int line = PyFrame_GetLineNumber(frame);
            mlf_feedback_arc(mix(mix(stack[depth - 1].hash, (uint32_t)stack[depth - 1].prev), (uint32_t)line));
            stack[depth - 1].prev = line;
        }
        break;
    case PyTrace_EXCEPTION:
        if (depth > 0 && depth <= DEPTH && stack[depth - 1].hash)
            mlf_feedback_arc(mix(stack[depth - 1].hash, 0xe4ce97u ^ (uint32_t)stack[depth - 1].prev));
        break;
    default:
        break;
    }
    return 0;
}

void mlf_pytrace_begin(void)
{
    if (!files[0]) {
        const char *f = getenv("MLF_PYCOV_FILES");
        snprintf(files, sizeof files, "%s", f && *f ? f : default_files);
    }
    depth = 0;
    PyEval_SetTrace(trace, NULL);
}

void mlf_pytrace_end(void)
{
    PyEval_SetTrace(NULL, NULL);
    depth = 0;
}

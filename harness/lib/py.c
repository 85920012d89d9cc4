/* Embedding CPython: isolated config, the real interpreter as sys.executable
 * (workers started by loky/multiprocessing must not re-launch this binary),
 * the runner's folder on sys.path and on PYTHONPATH for those workers. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "py.h"
#include "fsutil.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#ifndef ML_PY_EXE
#define ML_PY_EXE "/usr/bin/python3"
#endif
#ifndef ML_RUNNER_DIR
#define ML_RUNNER_DIR "harness/python"
#endif

static PyObject *runner;   /* the memlayout_runner module, once initialized */

/* ML_PY_EXE and ML_RUNNER_DIR may start with "$ORIGIN/", the folder of the
 * running executable (as in an rpath): a self-contained build (an OSS-Fuzz
 * $OUT) carries its interpreter and runner beside its binaries, wherever
 * they are copied. Returns path itself when it does not start so, or when
 * the executable's folder is unknown. */
static const char *expand_origin(const char *path, char *buf, size_t len)
{
    static const char origin[] = "$ORIGIN/";
    if (strncmp(path, origin, sizeof origin - 1) != 0)
        return path;
    char exe[PATH_MAX];
    if (!ml_exe_dir(exe, sizeof exe))
        return path;
    int w = snprintf(buf, len, "%s/%s", exe, path + sizeof origin - 1);
    return w > 0 && (size_t)w < len ? buf : path;
}

const char *ml_py_executable(void)
{
    static char buf[PATH_MAX];
    return expand_origin(ML_PY_EXE, buf, sizeof buf);
}

static void set_err(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s", what);
}

/* Formats the pending Python exception as one line and clears it. */
static void py_err_line(char *err, size_t errlen, const char *what)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    const char *tname = type ? ((PyTypeObject *)type)->tp_name : "?";
    const char *msg = "";
    PyObject *s = value ? PyObject_Str(value) : NULL;
    if (s)
        msg = PyUnicode_AsUTF8(s);
    if (!msg) {
        PyErr_Clear();
        msg = "";
    }
    snprintf(err, errlen, "%s: %s: %s", what, tname, msg);
    for (char *p = err; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    Py_XDECREF(s);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
}

/* Worker processes inherit the environment, not the isolated config: drop the
 * caller's PYTHON* variables so they cannot break sys.path there either. */
static void clear_python_env(void)
{
    for (;;) {
        char **e = environ;
        while (e && *e && strncmp(*e, "PYTHON", 6) != 0)
            e++;
        if (!e || !*e)
            return;
        char name[256];
        size_t n = strcspn(*e, "=");
        if (n >= sizeof name)
            n = sizeof name - 1;
        memcpy(name, *e, n);
        name[n] = 0;
        unsetenv(name);
    }
}

static bool start_interpreter(char *err, size_t errlen)
{
    PyStatus st;
    PyConfig cfg;
    PyConfig_InitIsolatedConfig(&cfg);
    cfg.install_signal_handlers = 0;   /* the supervisor owns signals */
    cfg.parse_argv = 0;
    st = PyConfig_SetBytesString(&cfg, &cfg.executable, ml_py_executable());
    if (!PyStatus_Exception(st))
        st = PyConfig_SetBytesString(&cfg, &cfg.program_name, ml_py_executable());
    if (!PyStatus_Exception(st))
        st = Py_InitializeFromConfig(&cfg);
    PyConfig_Clear(&cfg);
    if (PyStatus_Exception(st)) {
        snprintf(err, errlen, "python: cannot initialize: %s",
                 st.err_msg ? st.err_msg : "unknown error");
        return false;
    }
    return true;
}

static char *build_options(const ml_py_opts *o)
{
    PyObject *d = PyDict_New(), *v;
    if (!d)
        return NULL;
#define SET(k, expr) do { v = (expr); if (!v || PyDict_SetItemString(d, k, v) < 0) goto fail; Py_DECREF(v); v = NULL; } while (0)
    SET("tmpdir", PyUnicode_FromString(o->tmpdir ? o->tmpdir : "/tmp"));
    SET("reducer", PyUnicode_FromString(o->reducer ? o->reducer : "joblib"));
    SET("workers", PyLong_FromLong(o->workers > 0 ? o->workers : 2));
    SET("detail", PyBool_FromLong(o->detail));
    SET("versions_only", PyBool_FromLong(o->versions_only));
    if (o->fault)
        SET("fault", PyUnicode_FromString(o->fault));
    else
        SET("fault", Py_NewRef(Py_None));
    PyObject *list = PyList_New(0);
    if (!list)
        goto fail;
    if (o->python_path && *o->python_path) {
        PyObject *s = PyUnicode_FromString(o->python_path);
        PyObject *sep = PyUnicode_FromString(":");
        PyObject *parts = s && sep ? PyUnicode_Split(s, sep, -1) : NULL;
        Py_XDECREF(s);
        Py_XDECREF(sep);
        if (!parts) {
            Py_DECREF(list);
            goto fail;
        }
        Py_DECREF(list);
        list = parts;
    }
    SET("python_path", list);
#undef SET
    PyObject *json = PyImport_ImportModule("json");
    PyObject *text = json ? PyObject_CallMethod(json, "dumps", "O", d) : NULL;
    Py_XDECREF(json);
    Py_DECREF(d);
    if (!text)
        return NULL;
    const char *s = PyUnicode_AsUTF8(text);
    char *out = s ? strdup(s) : NULL;
    Py_DECREF(text);
    return out;
fail:
    Py_XDECREF(v);
    Py_DECREF(d);
    return NULL;
}

/* Puts dir at sys.path[pos]. */
static bool path_insert(int pos, const char *dir)
{
    PyObject *path = PySys_GetObject("path");   /* borrowed */
    PyObject *s = PyUnicode_FromString(dir);
    bool ok = path && s && PyList_Insert(path, pos, s) == 0;
    Py_XDECREF(s);
    return ok;
}

bool ml_py_init(const ml_py_opts *o, char **versions, char *err, size_t errlen)
{
    if (runner) {
        set_err(err, errlen, "python: already initialized");
        return false;
    }
    signal(SIGPIPE, SIG_IGN);   /* a dying worker must not kill us */
    clear_python_env();
    /* multiprocessing and tempfile put their own files (pymp-*, forkserver
     * sockets) under TMPDIR: keep them in the private directory too. */
    if (o->tmpdir)
        setenv("TMPDIR", o->tmpdir, 1);
    if (!Py_IsInitialized() && !start_interpreter(err, errlen))
        return false;

    /* The runner's folder, then --python-path folders ahead of everything so
     * that another joblib or NumPy checkout shadows the installed one. */
    int pos = 0;
    if (o->python_path && *o->python_path) {
        char *copy = strdup(o->python_path), *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
            if (!path_insert(pos++, d)) {
                free(copy);
                py_err_line(err, errlen, "python: sys.path");
                return false;
            }
        free(copy);
    }
    char rdir[PATH_MAX];
    if (!path_insert(pos, expand_origin(ML_RUNNER_DIR, rdir, sizeof rdir))) {
        py_err_line(err, errlen, "python: sys.path");
        return false;
    }
    PyObject *mod = PyImport_ImportModule("memlayout_runner");
    if (!mod) {
        py_err_line(err, errlen, "python: cannot import the runner (is python3-numpy/python3-joblib installed?)");
        return false;
    }
    char *opts = build_options(o);
    if (!opts) {
        Py_DECREF(mod);
        py_err_line(err, errlen, "python: options");
        return false;
    }
    PyObject *res = PyObject_CallMethod(mod, "init", "s", opts);
    free(opts);
    if (!res || !PyUnicode_Check(res)) {
        Py_XDECREF(res);
        Py_DECREF(mod);
        py_err_line(err, errlen, "python: runner init");
        return false;
    }
    if (versions) {
        const char *s = PyUnicode_AsUTF8(res);
        *versions = s ? strdup(s) : NULL;
    }
    Py_DECREF(res);
    runner = mod;
    return true;
}

static char *take_str(PyObject *res, char *err, size_t errlen)
{
    if (!res) {
        py_err_line(err, errlen, "python: runner");
        return NULL;
    }
    const char *s = PyUnicode_Check(res) ? PyUnicode_AsUTF8(res) : NULL;
    char *out = s ? strdup(s) : NULL;
    if (!out) {
        if (PyErr_Occurred())
            py_err_line(err, errlen, "python: runner result");
        else
            set_err(err, errlen, "python: runner returned no string");
    }
    Py_DECREF(res);
    return out;
}

char *ml_py_run_one(const char *case_json, char *err, size_t errlen)
{
    if (!runner) {
        set_err(err, errlen, "python: not initialized");
        return NULL;
    }
    return take_str(PyObject_CallMethod(runner, "run_one", "s", case_json), err, errlen);
}

bool ml_py_run_batch(char *const *cases, int n, char **out, char *err, size_t errlen)
{
    if (!runner) {
        set_err(err, errlen, "python: not initialized");
        return false;
    }
    PyObject *list = PyList_New(n);
    if (!list) {
        py_err_line(err, errlen, "python: batch");
        return false;
    }
    for (int i = 0; i < n; i++) {
        PyObject *s = PyUnicode_FromString(cases[i]);
        if (!s) {
            Py_DECREF(list);
            py_err_line(err, errlen, "python: batch");
            return false;
        }
        PyList_SET_ITEM(list, i, s);
    }
    PyObject *res = PyObject_CallMethod(runner, "run_batch", "O", list);
    Py_DECREF(list);
    if (!res || !PyList_Check(res) || PyList_GET_SIZE(res) != n) {
        if (res)
            set_err(err, errlen, "python: run_batch returned the wrong number of results");
        else
            py_err_line(err, errlen, "python: run_batch");
        Py_XDECREF(res);
        return false;
    }
    for (int i = 0; i < n; i++) {
        const char *s = PyUnicode_AsUTF8(PyList_GET_ITEM(res, i));
        out[i] = strdup(s ? s : "");
        if (!s)
            PyErr_Clear();
    }
    Py_DECREF(res);
    return true;
}

void ml_py_shutdown(void)
{
    if (!runner)
        return;
    PyObject *r = PyObject_CallMethod(runner, "shutdown", NULL);
    if (!r)
        PyErr_Clear();
    Py_XDECREF(r);
}

#include "session.h"
#include "fsutil.h"
#include "sup.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ml_session {
    ml_py_opts py;
    double timeout;
    const char *log_path;
    ml_child ch;
    bool alive;
    char *versions;
    char *case_json, *result_json;
    uint64_t n;
};

typedef struct {
    char *line;
} got_line;

static void keep_line(void *ctx, int idx, const char *json)
{
    (void)idx;
    got_line *g = ctx;
    free(g->line);
    g->line = strdup(json);
}

static bool ensure_child(ml_session *s, char *err, size_t errlen)
{
    if (s->alive)
        return true;
    char *v = NULL;
    if (!ml_child_start(&s->ch, &s->py, s->log_path, s->versions ? NULL : &v, err, errlen))
        return false;
    if (v)
        s->versions = v;
    s->alive = true;
    return true;
}

ml_session *ml_session_open(const ml_py_opts *o, double timeout, const char *log_path,
                            char *err, size_t errlen)
{
    ml_session *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->py = *o;
    s->timeout = timeout > 0 ? timeout : 10.0;
    s->log_path = log_path;
    if (!ensure_child(s, err, errlen)) {
        free(s);
        return NULL;
    }
    return s;
}

const char *ml_session_versions(const ml_session *s)
{
    return s->versions;
}

bool ml_session_judge(ml_session *s, const ml_case *c, ml_outcome *out, char *err, size_t errlen)
{
    if (!ensure_child(s, err, errlen))
        return false;
    free(s->case_json);
    free(s->result_json);
    s->result_json = NULL;
    s->case_json = ml_case_write(c);
    if (!s->case_json) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    int idx = (int)(s->n++ & 0x7fffffff);
    bool grouped = !ml_transport_in_process(c->transport);
    got_line g = {NULL};
    const char *kind = NULL;
    if (!ml_child_send(&s->ch, 1, &idx, &s->case_json, &grouped)) {
        kind = "crash";
    } else {
        double end = ml_now() + s->timeout + ml_transport_start_s(c->transport);
        while (!g.line && !kind) {
            double left = end - ml_now();
            if (left <= 0) {
                kind = "timeout";
                break;
            }
            struct pollfd p = {.fd = s->ch.from_fd, .events = POLLIN};
            int r = poll(&p, 1, (int)(left * 1000) + 1);
            if (r < 0 && errno != EINTR)
                kind = "crash";
            else if (r > 0 && !ml_child_read(&s->ch, keep_line, &g))
                kind = g.line ? NULL : "crash";
        }
    }
    if (kind) {
        char why[160];
        ml_child_kill(&s->ch, why, sizeof why);
        s->alive = false;
        char msg[256];
        snprintf(msg, sizeof msg, "runner process %s", why);
        free(g.line);
        g.line = ml_error_line(kind, msg);
    }
    s->result_json = g.line;
    memset(out, 0, sizeof *out);
    out->id = s->n - 1;
    out->c = *c;
    out->case_json = s->case_json;
    out->result_json = s->result_json ? s->result_json : "{}";
    char perr[ML_ERR_MAX];
    if (!ml_result_parse(out->result_json, strlen(out->result_json), &out->r, perr, sizeof perr)) {
        memset(&out->r, 0, sizeof out->r);
        out->r.status = ML_RES_ERROR;
        snprintf(out->r.error_kind, sizeof out->r.error_kind, "protocol");
        snprintf(out->r.message, sizeof out->r.message, "unreadable runner answer: %.200s", perr);
    }
    out->v = ml_oracle_judge(c, &out->r);
    return true;
}

void ml_session_close(ml_session *s)
{
    if (!s)
        return;
    if (s->alive)
        ml_child_stop(&s->ch, 2.0);
    free(s->versions);
    free(s->case_json);
    free(s->result_json);
    free(s);
}

/* ---- minimizing through a session ------------------------------------------- */

static bool session_judge(void *ctx, const ml_case *c, ml_outcome *out, char *err, size_t errlen)
{
    return ml_session_judge(ctx, c, out, err, errlen);
}

bool ml_minimize(ml_session *s, const ml_case *in, const ml_minimize_opts *o, ml_case *out,
                 ml_minimize_stats *st, char *err, size_t errlen)
{
    return ml_minimize_with(session_judge, s, in, o, out, st, err, errlen);
}

#include "campaign.h"
#include "fsutil.h"
#include "sup.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_JOBS 64
#define TICK_MS 200
#define STOP_GRACE 3.0   /* seconds for the children to finish their batch and shut down */

typedef struct item {
    uint64_t id;
    ml_case c;
    char *json;
    bool solo;             /* re-run alone after its batch lost a child */
    struct item *next;
} item;

typedef struct {
    ml_child ch;
    bool alive;
    item **fly;            /* cases sent and not yet answered */
    int nfly, capfly;
    double last;           /* last sign of life */
    bool solo_busy;        /* a lone re-run is in flight: nothing is sent after it */
} slot;

typedef struct {
    ml_campaign *cp;
    slot *s;
} line_ctx;

static void free_item(item *it)
{
    if (it) {
        free(it->json);
        free(it);
    }
}

static void judge(ml_campaign *cp, item *it, const char *result_json)
{
    ml_outcome o;
    char err[ML_ERR_MAX];
    o.id = it->id;
    o.c = it->c;
    o.case_json = it->json;
    o.result_json = result_json;
    if (!ml_result_parse(result_json, strlen(result_json), &o.r, err, sizeof err)) {
        memset(&o.r, 0, sizeof o.r);
        o.r.status = ML_RES_ERROR;
        snprintf(o.r.error_kind, sizeof o.r.error_kind, "protocol");
        snprintf(o.r.message, sizeof o.r.message, "unreadable runner answer: %.200s", err);
    }
    o.v = ml_oracle_judge(&it->c, &o.r);
    cp->done(cp->ctx, &o);
}

static void on_line(void *vctx, int idx, const char *json)
{
    line_ctx *lc = vctx;
    slot *s = lc->s;
    s->last = ml_now();
    for (int i = 0; i < s->nfly; i++) {
        if ((int)(s->fly[i]->id & 0x7fffffff) != idx)
            continue;
        item *it = s->fly[i];
        s->fly[i] = s->fly[--s->nfly];
        judge(lc->cp, it, json);
        free_item(it);
        return;
    }
}

/* An answer made by the supervisor for a case whose process ended. */
static char *synth(const char *kind, const char *why)
{
    char msg[256];
    snprintf(msg, sizeof msg, "runner process %s", why);
    return ml_error_line(kind, msg);
}

static bool start_slot(ml_campaign *cp, slot *s, char *err, size_t errlen)
{
    char *versions = NULL;
    if (!(cp->log_fd > 0 ? ml_child_start_fd(&s->ch, &cp->py, cp->log_fd, cp->versions ? NULL : &versions, err, errlen)
                         : ml_child_start(&s->ch, &cp->py, cp->log_path, cp->versions ? NULL : &versions, err, errlen)))
        return false;
    if (versions)
        cp->versions = versions;
    s->alive = true;
    s->last = ml_now();
    return true;
}

/* The child of s died (or was killed after a timeout): lone cases get their
 * verdict, batch-mates are queued to run alone so the culprit is found. */
static void lose_child(ml_campaign *cp, slot *s, const char *kind, item **solo_head, item **solo_tail)
{
    char why[160];
    ml_child_kill(&s->ch, why, sizeof why);
    s->alive = false;
    /* A lone re-run that died is the culprit; anything else is isolated. */
    bool alone = s->nfly == 1 && s->fly[0]->solo && s->solo_busy;
    for (int i = 0; i < s->nfly; i++) {
        item *it = s->fly[i];
        if (alone) {
            char *j = synth(kind, why);
            judge(cp, it, j ? j : "{}");
            free(j);
            free_item(it);
        } else {
            it->solo = true;
            it->next = NULL;
            if (*solo_tail)
                (*solo_tail)->next = it;
            else
                *solo_head = it;
            *solo_tail = it;
        }
    }
    s->nfly = 0;
    s->solo_busy = false;
    cp->restarts++;
}

static bool send_batch(slot *s, item **batch, int n)
{
    int *idx = malloc(n * sizeof *idx);
    char **json = malloc(n * sizeof *json);
    bool *grouped = malloc(n * sizeof *grouped);
    if (s->capfly < s->nfly + n) {
        s->capfly = s->nfly + n;
        s->fly = realloc(s->fly, s->capfly * sizeof *s->fly);
    }
    if (!idx || !json || !grouped || !s->fly) {
        free(idx); free(json); free(grouped);
        return false;
    }
    for (int i = 0; i < n; i++) {
        idx[i] = (int)(batch[i]->id & 0x7fffffff);
        json[i] = batch[i]->json;
        grouped[i] = !ml_transport_in_process(batch[i]->c.transport);
        s->fly[s->nfly + i] = batch[i];
    }
    if (!s->nfly)
        s->last = ml_now();
    s->nfly += n;
    s->solo_busy = n == 1 && batch[0]->solo;
    bool ok = ml_child_send(&s->ch, n, idx, json, grouped);
    free(idx); free(json); free(grouped);
    return ok;
}

ml_camp_status ml_campaign_run(ml_campaign *cp, char *err, size_t errlen)
{
    int jobs = cp->jobs > 0 ? (cp->jobs > MAX_JOBS ? MAX_JOBS : cp->jobs) : 1;
    int bsize = cp->batch > 0 ? cp->batch : 64;
    double timeout = cp->timeout > 0 ? cp->timeout : 10.0;
    slot *slots = calloc(jobs, sizeof *slots);
    item **batch = calloc(bsize, sizeof *batch);
    item *solo_head = NULL, *solo_tail = NULL;
    uint64_t next_id = 0;
    bool exhausted = false;
    ml_camp_status status = ML_CAMP_DONE;
    double last_tick = 0;
    if (!slots || !batch) {
        snprintf(err, errlen, "out of memory");
        free(slots); free(batch);
        return ML_CAMP_ENV;
    }
    for (int j = 0; j < jobs; j++) {
        slots[j].ch.pid = -1;
        slots[j].ch.to_fd = slots[j].ch.from_fd = slots[j].ch.ctl_fd = -1;
    }
    /* The first child proves Python works at all; without it nothing can run. */
    if (!start_slot(cp, &slots[0], err, errlen)) {
        free(slots); free(batch);
        return cp->stop && *cp->stop ? ML_CAMP_STOPPED : ML_CAMP_ENV;   /* interrupted handshake */
    }

    for (;;) {
        if (cp->stop && *cp->stop) {
            status = ML_CAMP_STOPPED;
            break;
        }
        /* Hand work to idle children. */
        for (int j = 0; j < jobs; j++) {
            slot *s = &slots[j];
            /* Keep a second batch queued behind the one running, so the
             * child never waits while this process judges and writes. */
            if (s->nfly && (s->solo_busy || s->nfly >= bsize || solo_head))
                continue;
            int n = 0;
            if (solo_head) {
                batch[n++] = solo_head;
                solo_head = solo_head->next;
                if (!solo_head)
                    solo_tail = NULL;
            } else {
                while (n < bsize && !exhausted) {
                    item *it = calloc(1, sizeof *it);
                    if (!it || !cp->next(cp->ctx, &it->c)) {
                        free(it);
                        exhausted = true;
                        break;
                    }
                    it->id = next_id++;
                    it->json = ml_case_write(&it->c);
                    if (!it->json) {
                        free(it);
                        exhausted = true;
                        break;
                    }
                    batch[n++] = it;
                }
            }
            if (!n)
                continue;
            if (!s->alive && !start_slot(cp, s, err, errlen)) {
                /* Could not replace a child: report the cases, carry on;
                 * unless an interrupt cut its handshake short. */
                bool stopped = cp->stop && *cp->stop;
                for (int i = 0; stopped && i < n; i++)
                    free_item(batch[i]);
                for (int i = 0; !stopped && i < n; i++) {
                    char *jl = synth("crash", "could not be restarted");
                    judge(cp, batch[i], jl ? jl : "{}");
                    free(jl);
                    free_item(batch[i]);
                }
                continue;
            }
            if (!send_batch(s, batch, n))
                lose_child(cp, s, "crash", &solo_head, &solo_tail);
        }

        int busy = 0;
        struct pollfd pfd[MAX_JOBS];
        int map[MAX_JOBS];
        double now = ml_now(), wait = TICK_MS / 1000.0;
        for (int j = 0; j < jobs; j++) {
            slot *s = &slots[j];
            if (!s->nfly)
                continue;
            double budget = timeout * (1.0 + s->nfly / 64.0), start = 0;
            for (int i = 0; i < s->nfly; i++)   /* a transport starting its workers */
                if (ml_transport_start_s(s->fly[i]->c.transport) > start)
                    start = ml_transport_start_s(s->fly[i]->c.transport);
            budget += start;
            double left = s->last + budget - now;
            if (left <= 0) {
                lose_child(cp, s, "timeout", &solo_head, &solo_tail);
                continue;
            }
            if (left < wait)
                wait = left;
            pfd[busy].fd = s->ch.from_fd;
            pfd[busy].events = POLLIN;
            map[busy++] = j;
        }
        if (!busy && exhausted && !solo_head)
            break;
        if (!busy)
            continue;
        int r = poll(pfd, busy, (int)(wait * 1000) + 1);
        if (r < 0 && errno != EINTR) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            status = ML_CAMP_ENV;
            break;
        }
        for (int k = 0; r > 0 && k < busy; k++) {
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            slot *s = &slots[map[k]];
            line_ctx lc = {cp, s};
            if (!ml_child_read(&s->ch, on_line, &lc))
                lose_child(cp, s, "crash", &solo_head, &solo_tail);
        }
        if (cp->tick && ml_now() - last_tick >= TICK_MS / 1000.0) {
            last_tick = ml_now();
            cp->tick(cp->ctx);
        }
    }

    /* Every child at once: each finishes the batch at hand (an interrupt
     * drops the answers) and shuts its pools down, within one grace period. */
    for (int j = 0; j < jobs; j++)
        ml_child_ask_stop(&slots[j].ch);
    double stop_end = ml_now() + STOP_GRACE;
    for (int j = 0; j < jobs; j++) {
        slot *s = &slots[j];
        double left = stop_end - ml_now();
        ml_child_stop(&s->ch, left > 0.1 ? left : 0.1);
        for (int i = 0; i < s->nfly; i++)
            free_item(s->fly[i]);
        free(s->fly);
    }
    while (solo_head) {
        item *n = solo_head->next;
        free_item(solo_head);
        solo_head = n;
    }
    free(slots);
    free(batch);
    if (cp->tick)
        cp->tick(cp->ctx);
    return status;
}

/* purgatory.c — waiting operations (see purgatory.h). */
#include "broker/purgatory.h"

void purgatory_init(purgatory *p, struct ev_loop *loop)
{
    p->loop = loop;
    p->head = NULL;
    p->count = 0;
}

static void unlink_op(purgatory *p, delayed_op *op)
{
    ev_timer_stop(p->loop, &op->timer);
    if (op->prev)
        op->prev->next = op->next;
    else
        p->head = op->next;
    if (op->next)
        op->next->prev = op->prev;
    op->prev = op->next = NULL;
    p->count--;
}

static void finish(purgatory *p, delayed_op *op, bool forced)
{
    if (op->try_complete(op, forced) || forced) {
        unlink_op(p, op);
        op->free(op);
    }
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    delayed_op *op = w->data;
    finish(op->owner, op, true);
}

void purgatory_add(purgatory *p, delayed_op *op, double timeout_ms)
{
    op->owner = p;
    op->prev = NULL;
    op->next = p->head;
    if (p->head)
        p->head->prev = op;
    p->head = op;
    p->count++;
    ev_timer_init(&op->timer, on_timeout, timeout_ms > 0 ? timeout_ms / 1000.0 : 0.0, 0.0);
    op->timer.data = op;
    ev_timer_start(p->loop, &op->timer);
}

void purgatory_check(purgatory *p)
{
    delayed_op *op = p->head;
    while (op) {
        delayed_op *next = op->next;
        finish(p, op, false);
        op = next;
    }
}

void purgatory_flush(purgatory *p)
{
    while (p->head)
        finish(p, p->head, true);
}

/* purgatory.h — requests that wait: a Fetch below min_bytes until data
 * arrives or max_wait passes (later: Produce with acks=all waiting for the
 * ISR), as Kafka's purgatory.
 *
 * Owns the list of waiting operations and their timers. An operation is
 * retried (try_complete) whenever something it may wait for happens
 * (purgatory_check, called after appends) and forced when its timer fires or
 * the broker shuts down. try_complete returns true when it finished the
 * operation: the purgatory then unlinks it and calls its free function.
 * Single-threaded, on the broker's loop. */
#ifndef STRAIT_BROKER_PURGATORY_H
#define STRAIT_BROKER_PURGATORY_H

#include <ev.h>
#include <stdbool.h>

typedef struct delayed_op delayed_op;

struct delayed_op {
    delayed_op *prev;
    delayed_op *next;
    ev_timer timer;
    struct purgatory *owner;
    /* forced: the timer fired or the broker is stopping; must finish then. */
    bool (*try_complete)(delayed_op *op, bool forced);
    void (*free)(delayed_op *op);
};

typedef struct purgatory {
    struct ev_loop *loop;
    delayed_op *head;
    size_t count;
} purgatory;

void purgatory_init(purgatory *p, struct ev_loop *loop);
/* Adds op, forced after timeout_ms. */
void purgatory_add(purgatory *p, delayed_op *op, double timeout_ms);
/* Retries every waiting operation once. */
void purgatory_check(purgatory *p);
/* Forces every waiting operation to finish (shutdown). */
void purgatory_flush(purgatory *p);

#endif

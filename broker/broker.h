/* broker.h — the broker: everything one strait-broker process holds.
 *
 * Owns the event loop, the listener, the logger, the cluster identity, the
 * topic registry, the timers that drive retention and flushing, and the log
 * cleaner service (its own thread; stopped before the logs close). One loop
 * thread runs all of it, so nothing here is locked. Lifecycle: broker_new
 * (identity, topics, partition recovery, listener), broker_run (until
 * SIGTERM/SIGINT, then a clean shutdown), broker_free. */
#ifndef STRAIT_BROKER_BROKER_H
#define STRAIT_BROKER_BROKER_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker/broker_config.h"
#include "broker/cluster_identity.h"
#include "broker/purgatory.h"
#include "broker/group_coordinator.h"
#include "broker/listener.h"
#include "broker/producer_ids.h"
#include "broker/topics.h"
#include "common/logging.h"

typedef struct connection_set {
    connection **items;
    size_t count;
    size_t cap;
} connection_set;

typedef struct broker {
    broker_config cfg;
    cluster_identity identity;
    st_logger logger;
    struct ev_loop *loop;
    listener listener;
    const broker_listener *advertised; /* host/port Metadata names */
    topic_registry topics;
    producer_ids producer_ids;
    purgatory fetch_purgatory;
    group_coordinator groups;
    connection_set connections;
    bool clean_start;     /* the last stop was clean: logs were not rescanned */
    bool shutting_down;
    double shutdown_started; /* loop time when draining began */
    ev_signal sigterm;
    ev_signal sigint;
    ev_timer retention_timer;
    ev_timer flush_timer;
    ev_timer shutdown_timer;
    struct st_cleaner *cleaner; /* log compaction (log_cleaner.h); NULL when disabled */
} broker;

/* Takes ownership of *cfg (the caller's copy must not be freed). On
 * failure returns NULL, errbuf says why, and *cfg has been freed. */
broker *broker_new(broker_config *cfg, st_log_level level, char *errbuf, size_t errlen);
/* Runs until a signal asks for shutdown and the shutdown completes; 0 on a
 * clean shutdown. */
int broker_run(broker *b);
void broker_free(broker *b);
/* Starts the clean shutdown (what SIGTERM does). */
void broker_begin_shutdown(broker *b);

/* Milliseconds since the epoch (the loop's cached clock). */
int64_t broker_now_ms(const broker *b);

#endif

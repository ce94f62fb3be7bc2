/* link: one attached agent as a front end uses it: attach (channel, inject,
 * accept), watch/trace/cancel requests by id, events drained without
 * blocking, detach. The batch mode (tracewatch.c) uses it; the live view's
 * trace/watch pane is meant to. */
#ifndef PYTOP_AGENT_LINK_H
#define PYTOP_AGENT_LINK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/channel.h"
#include "agent/event.h"
#include "cpython/pytarget.h"

/* What to watch or trace (NULL / 0 members: the agent's defaults). */
struct link_request {
	const char *target;     /* 'MODULE [CLASS] METHOD', module.Class.method or FILE:LINE */
	long count;             /* calls to report (default 5) */
	const char *cond;       /* Python condition, or NULL */
	const char *exprs;      /* watch: comma-separated expressions, or NULL */
	bool errors_only;       /* watch: only calls that raised */
	int repr_depth;         /* watch: repr depth (default 2) */
	int depth;              /* trace: tree depth (default 3) */
	double min_ms;          /* trace: fold calls shorter than this */
};

struct link {
	struct channel ch;
	bool open;              /* the channel exists */
	bool attached;          /* the agent is connected */
	int next_id;
	long dropped;           /* calls the agent could not queue, summed */
};

/* How long link_open() waits for the target to take the bootstrap, and
 * then for the agent to connect. It blocks: a UI runs it off its thread. */
#define LINK_INJECT_TIMEOUT_MS 10000
#define LINK_CONNECT_TIMEOUT_MS 10000

/* Inject the agent into t and wait for it. cancel (may be NULL) is read
 * while waiting: once it is non-zero link_open gives up within about
 * 100 ms (PYTOP_ECANCELED), taking its request back as on a timeout.
 * Returns 0, or a negative error with a one-line reason in err that ends
 * saying whether anything was left behind (normally nothing: the target is
 * left as it was). */
int link_open(struct link *l, struct py_target *t, const atomic_int *cancel, char *err, size_t errcap);

/* Send a watch (trace false) or trace request. Returns its id (> 0; the
 * agent answers "ok" or "error" with it, then its calls, then "done"), or
 * a negative error. */
int link_request(struct link *l, bool trace, const struct link_request *r);

/* Stop request id (its "done" may never come). 0 or an error. */
int link_cancel(struct link *l, int id);

/* The channel's fd to wait on (-1 when not attached). */
int link_fd(const struct link *l);

/* Read what arrived (waiting at most timeout_ms; 0: not at all), then the
 * next event into e: 1, 0 when none is complete, PYTOP_EINVAL for an
 * invalid line (skipped), PYTOP_EGONE once the agent is gone, PYTOP_EFULL
 * when it sent an overlong line (detach). "dropped" events are summed into
 * l->dropped and not returned. */
int link_next(struct link *l, struct event *e, int timeout_ms);

/* Detach the agent (a bounded wait for it to unhook and close its end)
 * and close everything. Returns false when an attached agent did not close
 * its end within the wait (it may still be unhooking). */
bool link_close(struct link *l);

#endif

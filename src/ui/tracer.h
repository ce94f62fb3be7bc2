/* tracer: the live view's trace/watch: a worker thread that injects the
 * agent (off the UI thread: it can take seconds), sends the requests the UI
 * queues, reads the agent's events and detaches; and the pane's text, a
 * bounded list of escaped lines the UI reads under a lock. Nothing here
 * calls curses. */
#ifndef PYTOP_UI_TRACER_H
#define PYTOP_UI_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "agent/request.h"

/* Lines the pane keeps (older ones go), and the longest line kept. */
#define TRACER_LINES_MAX 20000
#define TRACER_LINE_MAX 2048

/* An agent with nothing traced or watched is detached after this many
 * seconds (PYTOP_AGENT_IDLE overrides; 0: never). */
#define TRACER_IDLE_DETACH_S 10

/* Where the agent is. */
enum tracer_state {
	TRACER_IDLE = 0,      /* no agent (never attached, or detached) */
	TRACER_ATTACHING,     /* injecting and waiting for it to connect */
	TRACER_ATTACHED,
	TRACER_DETACHING,
};

struct tracer;

/* A tracer for process pid (nothing starts until the first request). */
struct tracer *tracer_new(pid_t pid);

/* Detach (a bounded wait: an injection in progress is given up within
 * about 100 ms, the agent gets 2 s to unhook) and free. NULL is fine. */
void tracer_free(struct tracer *t);

/* Queue a trace or watch; the worker attaches first when needed. 0, or
 * -1 when too many requests are waiting (the reason in err). */
int tracer_submit(struct tracer *t, const struct request *q, char *err, size_t errcap);

/* Stop every trace (trace true) or every watch. */
void tracer_stop_all(struct tracer *t, bool trace);

/* Detach the agent (its calls stay in the pane); an attach in progress
 * is given up and the requests waiting for it are dropped. */
void tracer_detach(struct tracer *t);

/* Where it is, and how many requests are running (answered ok, not done). */
enum tracer_state tracer_state(struct tracer *t, int *running);

/* A counter that changes whenever the lines or the state change. */
uint64_t tracer_version(struct tracer *t);

/* The lines kept are numbered first..first+n-1 (first grows as old lines
 * go); sets them and returns n. */
size_t tracer_span(struct tracer *t, uint64_t *first);

/* Copy line number i (as tracer_span counts) into out (cap > 0); false
 * when it is no longer kept. Each line comes with its kind. */
enum tracer_line_kind { TL_CALL_HEAD, TL_CALL_BODY, TL_NOTE, TL_ERROR };
bool tracer_line(struct tracer *t, uint64_t i, char *out, size_t cap, enum tracer_line_kind *kind);

/* Write every line kept to f; 0, or -1 on a write error. */
int tracer_write(struct tracer *t, FILE *f);

/* Calls the attached agent dropped so far (it could not queue them): 0
 * when none, or when no agent is attached. */
long tracer_dropped(struct tracer *t);

/* For tests and the UI's own messages: add a line as the worker would. */
void tracer_note(struct tracer *t, enum tracer_line_kind kind, const char *text);

#endif

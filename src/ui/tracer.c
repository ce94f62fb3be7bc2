/* tracer: the worker thread, its command queue and the pane's lines. The
 * lock guards everything in struct tracer but the worker's own link and
 * target; the worker never holds it while it talks to the target. */
#include "ui/tracer.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/link.h"
#include "cpython/runtime.h"
#include "errors.h"
#include "output/escape.h"
#include "util/clock.h"

#define QUEUE_MAX 16
#define POLL_MS 50
#define RUNNING_MAX 64
#define DROPPED_EVERY_NS 1000000000ull   /* calls dropped: said at most this often */

/* What the UI asks the worker for. */
enum op { OP_REQUEST, OP_STOP_TRACES, OP_STOP_WATCHES, OP_DETACH };

struct op_rec {
	enum op op;
	struct request q;
};

struct line {
	char *text;
	enum tracer_line_kind kind;
};

/* A request the agent is running: its id and kind. */
struct running {
	int id;
	bool trace;
	long seen;
	char label[128];
};

struct tracer {
	pid_t pid;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool started;                 /* the worker runs */
	bool quit;
	atomic_int cancel;            /* read by link_open while it waits */

	struct op_rec queue[QUEUE_MAX];
	int nqueue;

	enum tracer_state state;
	int nrunning;
	uint64_t version;

	struct line *lines;           /* ring of TRACER_LINES_MAX */
	uint64_t first, count;        /* numbers of the oldest kept line, how many */

	/* the worker's own (no lock) */
	struct link link;
	struct py_target *target;
	struct running run[RUNNING_MAX];
	int nrun;
	uint64_t idle_since;          /* attached with nothing running since (0: not) */
	uint64_t idle_detach_ns;      /* detach after this long idle (0: never) */
	long dropped_said;            /* of link.dropped, said in the pane */
	long dropped_now;             /* link.dropped for the UI thread (lock) */
	uint64_t dropped_ns;          /* when */
};

/* ---- lines ---- */

/* Add one line (escaped, cut to TRACER_LINE_MAX); lock held. */
static void add_line(struct tracer *t, enum tracer_line_kind kind, const char *text, size_t len)
{
	char raw[TRACER_LINE_MAX], buf[TRACER_LINE_MAX];
	struct line *l;

	if (len >= sizeof raw)
		len = sizeof raw - 1;
	memcpy(raw, text, len);
	raw[len] = '\0';
	escape_text(buf, sizeof buf, raw);
	if (t->count == TRACER_LINES_MAX) {
		l = &t->lines[t->first % TRACER_LINES_MAX];
		free(l->text);
		t->first++;
		t->count--;
	}
	l = &t->lines[(t->first + t->count) % TRACER_LINES_MAX];
	l->text = xstrdup(buf);
	l->kind = kind;
	t->count++;
	t->version++;
}

/* Add each line of text (lock not held). */
static void add_text(struct tracer *t, enum tracer_line_kind kind, const char *text)
{
	const char *p = text;

	pthread_mutex_lock(&t->lock);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		add_line(t, kind, p, len);
		if (kind == TL_CALL_HEAD)
			kind = TL_CALL_BODY;
		if (!nl)
			break;
		p = nl + 1;
	}
	pthread_mutex_unlock(&t->lock);
}

__attribute__((format(printf, 3, 4)))
static void say(struct tracer *t, enum tracer_line_kind kind, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	add_text(t, kind, buf);
}

void tracer_note(struct tracer *t, enum tracer_line_kind kind, const char *text)
{
	add_text(t, kind, text);
}

/* ---- the worker ---- */

static void set_state(struct tracer *t, enum tracer_state s)
{
	pthread_mutex_lock(&t->lock);
	t->state = s;
	t->nrunning = t->nrun;
	t->dropped_now = t->link.dropped;
	t->version++;
	pthread_mutex_unlock(&t->lock);
}

static struct running *find_run(struct tracer *t, int64_t id)
{
	for (int i = 0; i < t->nrun; i++)
		if (t->run[i].id == id)
			return &t->run[i];
	return NULL;
}

static void drop_run(struct tracer *t, struct running *r)
{
	*r = t->run[--t->nrun];
}

static int attach(struct tracer *t)
{
	char err[1024];
	int rc;

	set_state(t, TRACER_ATTACHING);
	say(t, TL_NOTE, "attaching pytop's agent to process %d...", (int)t->pid);
	if (!t->target && (rc = pyrt_open(t->pid, &t->target, err, sizeof err)) < 0) {
		say(t, TL_ERROR, "cannot attach: %s", err);
		set_state(t, TRACER_IDLE);
		return rc;
	}
	t->dropped_said = 0;
	if ((rc = link_open(&t->link, t->target, &t->cancel, err, sizeof err)) < 0) {
		say(t, TL_ERROR, "cannot attach: %s", err);
		set_state(t, TRACER_IDLE);
		return rc;
	}
	/* The state first: a frame whose pane says it never has a header
	 * that does not (the UI reads them one after the other). */
	set_state(t, TRACER_ATTACHED);
	say(t, TL_NOTE, "agent attached to process %d (Python %s); :detach removes it", (int)t->pid,
	    t->link.ch.version[0] ? t->link.ch.version : "?");
	return 0;
}

long tracer_dropped(struct tracer *t)
{
	long n;

	pthread_mutex_lock(&t->lock);
	n = t->state == TRACER_ATTACHED ? t->dropped_now : 0;
	pthread_mutex_unlock(&t->lock);
	return n;
}

/* The calls the agent dropped since it was last said (all: now, else at
 * most once a second), as they happen: the pane's call numbers jump. */
static void say_dropped(struct tracer *t, bool all)
{
	uint64_t now = clock_now_ns();

	if (t->link.dropped <= t->dropped_said || (!all && now - t->dropped_ns < DROPPED_EVERY_NS))
		return;
	say(t, TL_ERROR, "the agent dropped %ld calls it could not queue (too many to send)",
	    t->link.dropped - t->dropped_said);
	t->dropped_said = t->link.dropped;
	t->dropped_ns = now;
}

static void detach(struct tracer *t, const char *why)
{
	if (!t->link.open)
		return;
	set_state(t, TRACER_DETACHING);
	bool answered = link_close(&t->link);
	t->nrun = 0;
	say_dropped(t, true);
	/* Idle before the pane says so (as in attach()): a frame drawn
	 * between the two would show "agent detached" under a header still
	 * saying "Agent detaching" for a tick. */
	set_state(t, TRACER_IDLE);
	say(t, answered ? TL_NOTE : TL_ERROR, "agent detached (%s)%s", why,
	    answered ? "" : "; it did not answer within 2 s and may still be unhooking");
}

/* Take the requests still waiting out of the queue (lock held); how
 * many there were. */
static int drop_queued(struct tracer *t)
{
	int n = 0, k = 0;

	for (int i = 0; i < t->nqueue; i++) {
		if (t->queue[i].op == OP_REQUEST)
			n++;
		else
			t->queue[k++] = t->queue[i];
	}
	t->nqueue = k;
	return n;
}

static void send_request(struct tracer *t, const struct request *q)
{
	struct link_request r;
	char what[REQUEST_TEXT_MAX + 128];
	int id;

	if (!t->link.attached && attach(t) < 0) {
		/* The requests that waited for this attach would each try
		 * again (as long: the injection's timeout): they go. */
		int n;

		pthread_mutex_lock(&t->lock);
		n = drop_queued(t);
		pthread_mutex_unlock(&t->lock);
		if (n > 0)
			say(t, TL_NOTE, "%d more request%s dropped: not attached", n, n == 1 ? "" : "s");
		return;
	}
	request_link(q, &r);
	request_describe(q, what, sizeof what);
	if ((id = link_request(&t->link, q->trace, &r)) < 0) {
		say(t, TL_ERROR, "%s: the agent went away", what);
		detach(t, "it went away");
		return;
	}
	if (t->nrun == RUNNING_MAX) {
		link_cancel(&t->link, id);
		say(t, TL_ERROR, "%s: %d traces and watches run already", what, RUNNING_MAX);
		return;
	}
	t->run[t->nrun++] = (struct running){ .id = id, .trace = q->trace };
	{
		struct running *rn = &t->run[t->nrun - 1];
		size_t n = strlen(q->target);

		if (n >= sizeof rn->label)
			n = sizeof rn->label - 1;
		memcpy(rn->label, q->target, n);
		rn->label[n] = '\0';
	}
	say(t, TL_NOTE, "%s", what);
	set_state(t, TRACER_ATTACHED);
}

static void stop_kind(struct tracer *t, bool trace)
{
	for (int i = 0; i < t->nrun;) {
		if (t->run[i].trace == trace) {
			link_cancel(&t->link, t->run[i].id);
			say(t, TL_NOTE, "%s %s: stopped after %ld calls", trace ? "trace" : "watch", t->run[i].label,
			    t->run[i].seen);
			drop_run(t, &t->run[i]);
		} else {
			i++;
		}
	}
	set_state(t, t->state);
}

/* One event from the agent. */
static void handle_event(struct tracer *t, const struct event *e)
{
	static char text[CHANNEL_LINE_MAX < (1u << 20) ? CHANNEL_LINE_MAX : (1u << 20)];
	char msg[600], name[300];
	struct running *r = find_run(t, e->id);

	if (strcmp(e->ev, "watch") == 0 || strcmp(e->ev, "trace") == 0) {
		if (r)
			r->seen++;
		if (event_string(e, "text", text, sizeof text) >= 0)
			add_text(t, TL_CALL_HEAD, text);
	} else if (strcmp(e->ev, "ok") == 0) {
		if (event_string(e, "name", name, sizeof name) > 0 && r) {
			char file[300] = "";
			const struct event_span *ln = event_member(e, "line");

			event_string(e, "file", file, sizeof file);
			say(t, TL_NOTE, "%s %s (%s:%ld): waiting for calls", r->trace ? "tracing" : "watching", name,
			    file, ln ? strtol(e->line + ln->value, NULL, 10) : 0L);
		}
		if (event_string(e, "note", msg, sizeof msg) > 0)
			say(t, TL_NOTE, "note: %s", msg);
	} else if (strcmp(e->ev, "error") == 0) {
		event_string(e, "msg", msg, sizeof msg);
		say(t, TL_ERROR, "%s%s%s", r ? r->label : "", r ? ": " : "", msg);
		if (r)
			drop_run(t, r);
		set_state(t, t->state);
	} else if (strcmp(e->ev, "done") == 0) {
		if (r) {
			say(t, TL_NOTE, "%s %s: done (%ld calls)", r->trace ? "trace" : "watch", r->label, r->seen);
			drop_run(t, r);
		}
		set_state(t, t->state);
	} else if (strcmp(e->ev, "bye") == 0) {
		event_string(e, "why", msg, sizeof msg);
		say(t, TL_NOTE, "the agent ended: %s", msg);
	}
}

/* Read what the agent sent for up to POLL_MS. */
static void pump(struct tracer *t)
{
	struct event e;
	int rc, n = 0;

	while (n++ < 256 && (rc = link_next(&t->link, &e, n == 1 ? POLL_MS : 0)) != 0) {
		if (rc == PYTOP_EINVAL) {
			say(t, TL_ERROR, "the agent sent a line that is not a valid event; skipped");
			continue;
		}
		if (rc == PYTOP_EFULL) {
			say(t, TL_ERROR, "the agent sent a line longer than %u bytes", CHANNEL_LINE_MAX);
			detach(t, "it sent an overlong line");
			return;
		}
		if (rc < 0) {
			link_close(&t->link);
			t->nrun = 0;
			say_dropped(t, true);
			set_state(t, TRACER_IDLE);
			say(t, TL_ERROR, "the agent went away (the target exited?)");
			return;
		}
		handle_event(t, &e);
	}
	say_dropped(t, false);
	pthread_mutex_lock(&t->lock);
	t->dropped_now = t->link.dropped;
	pthread_mutex_unlock(&t->lock);
}

/* An agent with nothing to trace or watch is taken out after a while: on
 * 3.6-3.11 its trace function alone slows every call of the program
 * several times (bench/README.md). */
static void idle_check(struct tracer *t)
{
	uint64_t now = clock_now_ns();

	if (!t->link.attached || t->nrun > 0 || !t->idle_since) {
		t->idle_since = t->link.attached ? now : 0;
		return;
	}
	if (t->idle_detach_ns && now - t->idle_since >= t->idle_detach_ns) {
		char why[96];

		snprintf(why, sizeof why, "nothing traced or watched for %.0f s", (double)t->idle_detach_ns / 1e9);
		detach(t, why);
		t->idle_since = 0;
	}
}

static void *worker(void *arg)
{
	struct tracer *t = arg;

	for (;;) {
		struct op_rec op;
		bool have = false, quit;

		pthread_mutex_lock(&t->lock);
		while (!t->quit && t->nqueue == 0 && !t->link.attached)
			pthread_cond_wait(&t->wake, &t->lock);
		quit = t->quit;
		if (!quit && t->nqueue) {
			op = t->queue[0];
			memmove(t->queue, t->queue + 1, (size_t)--t->nqueue * sizeof t->queue[0]);
			have = true;
			/* A request asked for after any :detach: its attach is
			 * not cancelled. */
			if (op.op == OP_REQUEST)
				atomic_store(&t->cancel, 0);
		}
		pthread_mutex_unlock(&t->lock);
		if (quit)
			break;
		if (have) {
			switch (op.op) {
			case OP_REQUEST: send_request(t, &op.q); break;
			case OP_STOP_TRACES: stop_kind(t, true); break;
			case OP_STOP_WATCHES: stop_kind(t, false); break;
			case OP_DETACH: detach(t, "asked for"); break;
			}
			continue;
		}
		if (t->link.attached) {
			pump(t);
			idle_check(t);
		}
	}
	detach(t, "pytop quit");
	return NULL;
}

/* ---- the UI's side ---- */

struct tracer *tracer_new(pid_t pid)
{
	struct tracer *t = xcalloc(1, sizeof *t);

	t->pid = pid;
	t->lines = xcalloc(TRACER_LINES_MAX, sizeof t->lines[0]);
	t->idle_detach_ns = TRACER_IDLE_DETACH_S * 1000000000ull;
	{
		const char *e = getenv("PYTOP_AGENT_IDLE");
		char *end;
		double v = e && *e ? strtod(e, &end) : -1;

		if (e && *e && *end == '\0' && v >= 0 && v <= 86400)
			t->idle_detach_ns = (uint64_t)(v * 1e9);
	}
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake, NULL);
	atomic_init(&t->cancel, 0);
	return t;
}

void tracer_free(struct tracer *t)
{
	if (!t)
		return;
	if (t->started) {
		pthread_mutex_lock(&t->lock);
		t->quit = true;
		atomic_store(&t->cancel, 1);
		pthread_cond_signal(&t->wake);
		pthread_mutex_unlock(&t->lock);
		pthread_join(t->thread, NULL);
	}
	if (t->target)
		pyrt_close(t->target);
	for (uint64_t i = 0; i < t->count; i++)
		free(t->lines[(t->first + i) % TRACER_LINES_MAX].text);
	free(t->lines);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static int push(struct tracer *t, const struct op_rec *op, char *err, size_t errcap)
{
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	if (t->nqueue == QUEUE_MAX) {
		snprintf(err, errcap, "%d requests are waiting for the agent already", QUEUE_MAX);
		rc = -1;
	} else {
		t->queue[t->nqueue++] = *op;
		if (!t->started) {
			/* The worker starts on the first request. */
			if (pthread_create(&t->thread, NULL, worker, t) != 0) {
				t->nqueue--;
				snprintf(err, errcap, "cannot start a thread: %s", strerror(errno));
				rc = -1;
			} else {
				t->started = true;
			}
		}
		pthread_cond_signal(&t->wake);
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int tracer_submit(struct tracer *t, const struct request *q, char *err, size_t errcap)
{
	struct op_rec op = { .op = OP_REQUEST, .q = *q };

	return push(t, &op, err, errcap);
}

static void push_quiet(struct tracer *t, enum op o)
{
	struct op_rec op = { .op = o };
	char err[128];

	if (t->started)
		push(t, &op, err, sizeof err);
}

void tracer_stop_all(struct tracer *t, bool trace)
{
	push_quiet(t, trace ? OP_STOP_TRACES : OP_STOP_WATCHES);
}

void tracer_detach(struct tracer *t)
{
	int n;

	if (!t->started)
		return;
	/* An injection in progress is given up (link_open reads cancel),
	 * and the requests waiting for it go. */
	pthread_mutex_lock(&t->lock);
	n = drop_queued(t);
	atomic_store(&t->cancel, 1);
	pthread_mutex_unlock(&t->lock);
	if (n > 0)
		say(t, TL_NOTE, "%d waiting request%s dropped (:detach)", n, n == 1 ? "" : "s");
	push_quiet(t, OP_DETACH);
}

enum tracer_state tracer_state(struct tracer *t, int *running)
{
	enum tracer_state s;

	pthread_mutex_lock(&t->lock);
	s = t->state;
	if (running)
		*running = t->nrunning;
	pthread_mutex_unlock(&t->lock);
	return s;
}

uint64_t tracer_version(struct tracer *t)
{
	uint64_t v;

	pthread_mutex_lock(&t->lock);
	v = t->version;
	pthread_mutex_unlock(&t->lock);
	return v;
}

size_t tracer_span(struct tracer *t, uint64_t *first)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	*first = t->first;
	n = (size_t)t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}

bool tracer_line(struct tracer *t, uint64_t i, char *out, size_t cap, enum tracer_line_kind *kind)
{
	bool ok;

	pthread_mutex_lock(&t->lock);
	ok = i >= t->first && i - t->first < t->count;
	if (ok) {
		const struct line *l = &t->lines[i % TRACER_LINES_MAX];

		snprintf(out, cap, "%s", l->text);
		if (kind)
			*kind = l->kind;
	}
	pthread_mutex_unlock(&t->lock);
	return ok;
}

int tracer_write(struct tracer *t, FILE *f)
{
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	for (uint64_t i = 0; i < t->count; i++)
		if (fprintf(f, "%s\n", t->lines[(t->first + i) % TRACER_LINES_MAX].text) < 0)
			rc = -1;
	pthread_mutex_unlock(&t->lock);
	return rc;
}

/* tracewatch: the batch front end of the agent: attach, inject, send one
 * watch or trace, write what comes back (text, or one JSON object a call),
 * detach on COUNT, -d, SIGINT/SIGTERM or an error. */
#include "tracewatch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/channel.h"
#include "agent/inject.h"
#include "cpython/runtime.h"
#include "errors.h"
#include "output/escape.h"
#include "output/formats.h"
#include "output/jsonw.h"
#include "output/outfile.h"
#include "util/clock.h"

#define INJECT_TIMEOUT_MS 10000     /* for the main thread to take the script */
#define CONNECT_TIMEOUT_MS 10000    /* for the agent to connect after that */
#define BYE_TIMEOUT_NS 2000000000ull
#define TEXT_MAX (8u << 20)

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

/* The command for the agent as one JSON object, in a new string. */
static char *command_json(const struct options *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jsonw *w;

	if (!f)
		return NULL;
	w = jsonw_new(f);
	jsonw_begin_object(w);
	jsonw_key(w, "cmd");
	jsonw_string(w, o->watch ? "watch" : "trace");
	jsonw_key(w, "id");
	jsonw_int(w, 1);
	jsonw_key(w, "target");
	jsonw_string(w, o->watch ? o->watch : o->trace);
	jsonw_key(w, "count");
	jsonw_int(w, o->count);
	if (o->cond) {
		jsonw_key(w, "cond");
		jsonw_string(w, o->cond);
	}
	if (o->watch) {
		if (o->exprs) {
			jsonw_key(w, "exprs");
			jsonw_string(w, o->exprs);
		}
		jsonw_key(w, "errors");
		jsonw_bool(w, o->errors_only);
		jsonw_key(w, "depth");
		jsonw_int(w, o->repr_depth ? o->repr_depth : 2);
	} else {
		jsonw_key(w, "depth");
		jsonw_int(w, o->depth ? o->depth : 3);
		jsonw_key(w, "min_ms");
		jsonw_double(w, o->min_ms);
	}
	jsonw_end_object(w);
	if (jsonw_free(w) < 0 || fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The text member's lines, each escaped (no control character reaches
 * the terminal or the file). */
static void write_text(const struct event *e, char *scratch, size_t cap, FILE *out)
{
	long n = event_string(e, "text", scratch, cap);
	char *p = scratch, *nl;

	if (n < 0)
		return;
	while (*p) {
		nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		escape_write(out, p, len, ESCAPE_TEXT);
		fputc('\n', out);
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* Ask the agent to detach and wait (bounded) for its goodbye. */
static void detach(struct channel *c)
{
	struct event e;
	uint64_t end = clock_now_ns() + BYE_TIMEOUT_NS;

	if (channel_send(c, "{\"cmd\":\"detach\"}") < 0)
		return;
	while (clock_now_ns() < end) {
		int rc;
		while ((rc = channel_next(c, &e)) != 0)
			if (rc == PYTOP_EFULL || (rc == 1 && strcmp(e.ev, "bye") == 0))
				return;
		if (channel_poll(c, 50) < 0)
			return;
	}
}

int tracewatch_run(const struct options *o)
{
	struct py_target *t = NULL;
	struct channel ch;
	struct event e;
	char err[1024], msg[512];
	char *cmd = NULL, *scratch = NULL;
	FILE *out = stdout;
	bool json = strcmp(o->format->name, "json") == 0, attached = false, opened = false;
	int status = 1, rc, seen = 0;
	long dropped = 0;
	uint64_t deadline = o->duration_s > 0 ? clock_now_ns() + (uint64_t)(o->duration_s * 1e9) : UINT64_MAX;
	static const char *const drop[] = { "text", NULL };

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if ((rc = pyrt_open(o->pid, &t, err, sizeof err)) < 0) {
		escape_error(err);
		return 1;
	}
	if (o->output && !(out = outfile_open_user(o->output))) {
		snprintf(err, sizeof err, "cannot write %s: %s", o->output, strerror(errno));
		escape_error(err);
		pyrt_close(t);
		return 1;
	}
	if (!(cmd = command_json(o))) {
		escape_error("out of memory");
		goto done;
	}
	if ((rc = channel_open(&ch, o->pid, err, sizeof err)) < 0) {
		escape_error(err);
		goto done;
	}
	opened = true;
	if ((rc = inject_script(t, channel_bootstrap(&ch), INJECT_TIMEOUT_MS, err, sizeof err)) < 0 ||
	    (rc = channel_accept(&ch, CONNECT_TIMEOUT_MS, err, sizeof err)) < 0) {
		escape_error(err);
		goto done;
	}
	attached = true;
	if (channel_send(&ch, cmd) < 0) {
		escape_error("the agent went away");
		goto done;
	}
	scratch = xmalloc(TEXT_MAX);
	for (;;) {
		if (interrupted || clock_now_ns() >= deadline) {
			status = 0;
			break;
		}
		rc = channel_poll(&ch, 100);
		int n;
		while ((n = channel_next(&ch, &e)) != 0) {
			if (n == PYTOP_EFULL)
				break;
			if (n < 0) {
				fprintf(stderr, "pytop: the agent sent a line that is not a valid event; skipped\n");
				continue;
			}
			if (strcmp(e.ev, "error") == 0) {
				event_string(&e, "msg", msg, sizeof msg);
				snprintf(err, sizeof err, "%s: %s", o->watch ? "--watch" : "--trace", msg);
				escape_error(err);
				goto done;
			}
			if (strcmp(e.ev, "watch") == 0 || strcmp(e.ev, "trace") == 0) {
				if (json)
					event_write_json(&e, drop, out);
				else
					write_text(&e, scratch, TEXT_MAX, out);
				fflush(out);
				seen++;
			} else if (strcmp(e.ev, "dropped") == 0) {
				const struct event_span *m = event_member(&e, "n");
				long k = m ? strtol(e.line + m->value, NULL, 10) : 1;
				if (k > 0 && k < 1000000000L && dropped < 1000000000L)
					dropped += k;
			} else if (strcmp(e.ev, "done") == 0) {
				status = 0;
				goto done;
			} else if (strcmp(e.ev, "bye") == 0) {
				event_string(&e, "why", msg, sizeof msg);
				snprintf(err, sizeof err, "the agent ended (%s) after %d calls", msg, seen);
				escape_error(err);
				attached = false;
				goto done;
			}
		}
		if (rc == PYTOP_EFULL || ch.broken) {
			snprintf(err, sizeof err, "the agent sent a line longer than %u bytes: detached",
				 CHANNEL_LINE_MAX);
			escape_error(err);
			break;
		}
		if (rc < 0) {
			snprintf(err, sizeof err, "the agent in process %d went away after %d calls", (int)o->pid, seen);
			escape_error(err);
			attached = false;
			break;
		}
	}
done:
	if (attached)
		detach(&ch);
	if (dropped > 0)
		fprintf(stderr, "pytop: the agent dropped %ld calls it could not queue (pytop did not keep up)\n",
			dropped);
	if (opened)
		channel_close(&ch);
	if (out != stdout && fclose(out) != 0 && status == 0) {
		snprintf(err, sizeof err, "cannot write %s: %s", o->output, strerror(errno));
		escape_error(err);
		status = 1;
	}
	free(scratch);
	free(cmd);
	pyrt_close(t);
	return status;
}

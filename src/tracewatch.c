/* tracewatch: the batch front end of the agent: attach, inject, send one
 * watch or trace, write what comes back (text, or one JSON object a call),
 * detach on COUNT, -d, SIGINT/SIGTERM or an error. */
#include "tracewatch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/link.h"
#include "cpython/runtime.h"
#include "errors.h"
#include "output/escape.h"
#include "output/formats.h"
#include "output/outfile.h"
#include "util/clock.h"

#define TEXT_MAX (8u << 20)

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
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

int tracewatch_run(const struct options *o)
{
	struct py_target *t = NULL;
	struct link l = { .open = false };
	struct event e;
	char err[1024], msg[512];
	char *scratch = NULL;
	FILE *out = stdout;
	bool json = strcmp(o->format->name, "json") == 0;
	int status = 1, rc, seen = 0;
	uint64_t deadline = o->duration_s > 0 ? clock_now_ns() + (uint64_t)(o->duration_s * 1e9) : UINT64_MAX;
	static const char *const drop[] = { "text", NULL };
	const struct link_request req = {
		.target = o->watch ? o->watch : o->trace, .count = o->count, .cond = o->cond, .exprs = o->exprs,
		.errors_only = o->errors_only, .repr_depth = o->repr_depth, .depth = o->depth, .min_ms = o->min_ms,
	};

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
	if ((rc = link_open(&l, t, NULL, err, sizeof err)) < 0) {
		escape_error(err);
		goto done;
	}
	if (link_request(&l, o->trace != NULL, &req) < 0) {
		escape_error("the agent went away");
		goto done;
	}
	scratch = xmalloc(TEXT_MAX);
	while (!interrupted && clock_now_ns() < deadline) {
		rc = link_next(&l, &e, 100);
		if (rc == 0 || rc == PYTOP_EINVAL) {
			if (rc)
				fprintf(stderr, "pytop: the agent sent a line that is not a valid event; skipped\n");
			continue;
		}
		if (rc == PYTOP_EFULL) {
			snprintf(err, sizeof err, "the agent sent a line longer than %u bytes: detached",
				 CHANNEL_LINE_MAX);
			escape_error(err);
			goto done;
		}
		if (rc < 0) {
			snprintf(err, sizeof err, "the agent in process %d went away after %d calls", (int)o->pid, seen);
			escape_error(err);
			goto done;
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
		} else if (strcmp(e.ev, "ok") == 0) {
			/* What the agent cannot see (threads older than it on
			 * 3.6-3.11), said once, on stderr. */
			if (event_string(&e, "note", msg, sizeof msg) > 0) {
				snprintf(err, sizeof err, "note: %s", msg);
				escape_error(err);
			}
		} else if (strcmp(e.ev, "done") == 0) {
			break;
		} else if (strcmp(e.ev, "bye") == 0) {
			event_string(&e, "why", msg, sizeof msg);
			snprintf(err, sizeof err, "the agent ended (%s) after %d calls", msg, seen);
			escape_error(err);
			goto done;
		}
	}
	status = 0;
done:
	link_close(&l);
	if (l.dropped > 0)
		fprintf(stderr, "pytop: the agent dropped %ld calls it could not queue (pytop did not keep up)\n",
			l.dropped);
	if (out != stdout && fclose(out) != 0 && status == 0) {
		snprintf(err, sizeof err, "cannot write %s: %s", o->output, strerror(errno));
		escape_error(err);
		status = 1;
	}
	free(scratch);
	pyrt_close(t);
	return status;
}

/* tracewatch: the batch front end of the agent: attach, inject, send one
 * watch or trace, write what comes back (text, or one JSON object a call),
 * detach on COUNT, -d, SIGINT/SIGTERM or an error. -d and the signals end
 * the injection and the wait for the agent too (link_open's cancel flag). */
#include "tracewatch.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "agent/link.h"
#include "cpython/runtime.h"
#include "errors.h"
#include "output/escape.h"
#include "output/formats.h"
#include "output/outfile.h"

#define TEXT_MAX (8u << 20)

/* The signal that ended the run (SIGALRM: -d is over), or 0: the cancel
 * flag link_open() reads. */
static atomic_int stop_sig;

static void on_signal(int sig)
{
	atomic_store(&stop_sig, sig);
}

/* SIGINT and SIGTERM end the run, and SIGALRM after -d seconds (0: never).
 * System calls are restarted: only the waits look at stop_sig. */
static int stop_arm(double duration_s)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGALRM, &sa, NULL) < 0)
		return -1;
	if (duration_s <= 0)
		return 0;
	struct itimerval it;
	memset(&it, 0, sizeof it);
	it.it_value.tv_sec = (time_t)duration_s;
	it.it_value.tv_usec = (suseconds_t)((duration_s - (double)it.it_value.tv_sec) * 1e6);
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1;
	return setitimer(ITIMER_REAL, &it, NULL);
}

/* The -d timer off, the default actions back. */
static void stop_disarm(void)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

/* What ended the run, for a message. */
static const char *stop_reason(int sig, double duration_s, char *buf, size_t cap)
{
	if (sig == SIGALRM)
		snprintf(buf, cap, "-d %g s over", duration_s);
	else
		snprintf(buf, cap, "%s", sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)");
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

int tracewatch_run(const struct options *o)
{
	struct py_target *t = NULL;
	struct link l = { .open = false };
	struct event e;
	char err[1024], msg[512], why[64];
	char *scratch = NULL;
	FILE *out = stdout;
	bool json = strcmp(o->format->name, "json") == 0;
	int status = 1, rc, seen = 0;
	static const char *const drop[] = { "text", NULL };
	const struct link_request req = {
		.target = o->watch ? o->watch : o->trace, .count = o->count, .cond = o->cond, .exprs = o->exprs,
		.errors_only = o->errors_only, .repr_depth = o->repr_depth, .depth = o->depth, .min_ms = o->min_ms,
	};

	atomic_store(&stop_sig, 0);
	if (stop_arm(o->duration_s) < 0) {
		snprintf(err, sizeof err, "cannot set the -d timer: %s", strerror(errno));
		escape_error(err);
		return 1;
	}
	if ((rc = pyrt_open(o->pid, &t, err, sizeof err)) < 0) {
		stop_disarm();
		escape_error(err);
		return 1;
	}
	if (o->output && !(out = outfile_open_user(o->output))) {
		snprintf(err, sizeof err, "cannot write %s: %s", o->output, strerror(errno));
		escape_error(err);
		stop_disarm();
		pyrt_close(t);
		return 1;
	}
	if ((rc = link_open(&l, t, &stop_sig, err, sizeof err)) < 0) {
		char line[sizeof err + sizeof why + 32];
		int sig = atomic_load(&stop_sig);
		/* Ended by a signal or -d, like a run that saw no call: 0. */
		if (rc == PYTOP_ECANCELED && sig) {
			snprintf(line, sizeof line, "%s before the agent attached: %s",
				 stop_reason(sig, o->duration_s, why, sizeof why), err);
			status = 0;
		} else
			snprintf(line, sizeof line, "%s", err);
		escape_error(line);
		goto done;
	}
	if (link_request(&l, o->trace != NULL, &req) < 0) {
		escape_error("the agent went away");
		goto done;
	}
	scratch = xmalloc(TEXT_MAX);
	while (!atomic_load(&stop_sig)) {
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
	stop_disarm();
	if (!link_close(&l))
		fprintf(stderr, "pytop: the agent did not answer the detach within 2 s (it may still be unhooking)\n");
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

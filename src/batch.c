/* batch: the non-interactive front end. */
#include "batch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "output/escape.h"
#include "session.h"
#include "process/launch.h"
#include "util/clock.h"

#define DEFAULT_DURATION_S 10.0
#define DRAIN_EVERY_NS 10000000ull    /* 10 ms */
#define ATTACH_EVERY_NS 2000000ull    /* launch: look for the interpreter every 2 ms */
#define NO_PYTHON_SAY_NS 2000000000ull /* launch: say after 2 s that no interpreter is up */
#define REAP_AFTER_GONE_NS 5000000000ull   /* a program seen gone: wait this long */
#define REAP_AFTER_ERROR_NS 2000000000ull  /* attaching failed: this long */
#define END_GRACE_NS 2000000000ull    /* -d over: SIGINT, 2 s, SIGTERM, 2 s, SIGKILL */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

/* Launch mode: wait for the program's interpreter, until deadline or a
 * signal. Returns 1 when sampling, 0 when given up, or a negative error. */
static int wait_python(struct session *s, uint64_t deadline, char *err, size_t errcap)
{
	bool said = false;
	int rc;

	while ((rc = session_attach(s, err, errcap)) == 0) {
		uint64_t now = clock_now_ns();
		if (!said && now - s->launch_ns >= NO_PYTHON_SAY_NS) {
			fprintf(stderr, "pytop: no Python interpreter has started in %s (pid %d) after %.0f s; "
				"waiting (%s)\n", s->opt->launch_argv[0], (int)s->pid, session_waiting_s(s),
				deadline != UINT64_MAX ? "until -d is over" : "Ctrl-C gives up");
			said = true;
		}
		if (interrupted || now >= deadline) {
			snprintf(err, errcap, "no Python interpreter started in %s (pid %d) in %.1f s",
				 s->opt->launch_argv[0], (int)s->pid, session_waiting_s(s));
			return 0;
		}
		clock_sleep_ns(ATTACH_EVERY_NS);
	}
	return rc;
}

/* A launched program still running at the end: it gets the signal that
 * interrupted pytop, or pytop stops it (unless --keep-running). Returns
 * true when pytop ended it. */
static bool end_program(struct session *s)
{
	return session_finish_program(s, (int)interrupted, END_GRACE_NS);
}

int batch_run(const struct options *o)
{
	struct session s;
	struct sigaction sa;
	struct stat st;
	char err[512];
	int code = 0, rc;
	FILE *out = stdout;
	bool created = false;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* The snapshot's file first: a path that cannot be written fails
	 * before anything is sampled (or launched). */
	if (o->output) {
		created = stat(o->output, &st) < 0 && errno == ENOENT;
		if (!(out = session_output_open(o->output, err, sizeof err))) {
			escape_error(err);
			return 1;
		}
	}

	/* A launched program's stdout must not mix with a snapshot on stdout;
	 * one that outlives pytop (--keep-running) must not hold pytop's
	 * output: its output goes to a log file. */
	struct session_launch how = {
		.log = o->launch_argv && o->keep_running,
		.out_fd = o->launch_argv && !o->output ? STDERR_FILENO : -1,
	};
	rc = session_open(&s, o, &how, err, sizeof err);

	/* An attached process is sampled for -d seconds; a launched one until
	 * it exits, or for -d seconds once its interpreter is up (waiting for
	 * it counts too). */
	double duration = o->duration_s > 0 ? o->duration_s : o->launch_argv ? 0 : DEFAULT_DURATION_S;
	uint64_t deadline = duration > 0 ? s.launch_ns + (uint64_t)(duration * 1e9) : UINT64_MAX;
	if (rc == 0)
		rc = s.waiting ? wait_python(&s, deadline, err, sizeof err) : 1;
	if (rc > 0 && duration > 0)
		deadline = s.start_ns + (uint64_t)(duration * 1e9);
	if (rc <= 0) {
		/* Did a launched program end while pytop was attaching? */
		if (s.launched && !s.child_exited && rc < 0)
			session_reap(&s, REAP_AFTER_ERROR_NS);
		if (s.launched && s.child_exited && s.saw_python) {
			/* A Python program too short to sample: an empty snapshot
			 * that says so, and the program's own status. */
			escape_error(err);
			s.note = "no samples: the program exited before pytop could sample it";
			code = launch_exit_code(s.child_status);
			goto write;
		}
		escape_error(err);
		end_program(&s);
		session_report_program(&s);
		session_close(&s);
		if (o->output) {
			fclose(out);
			if (created)
				unlink(o->output);
		}
		return 1;
	}

	while (!interrupted && !session_target_gone(&s) && clock_now_ns() < deadline) {
		clock_sleep_ns(DRAIN_EVERY_NS);
		session_drain(&s);
	}
	session_stop(&s);

	if (s.launched) {
		/* The sampler can see the program's memory go before it is a
		 * zombie: give it the moment it needs to finish exiting. */
		if (!s.child_exited && s.last.target_gone)
			session_reap(&s, REAP_AFTER_GONE_NS);
		/* Ended by itself or by the signal pytop got: its status. When -d
		 * is over pytop ends it (exit 0: the run went as asked). */
		if (!end_program(&s) && s.child_exited)
			code = launch_exit_code(s.child_status);
	}
write:
	if (o->output && session_output_truncate(out) < 0) {
		fprintf(stderr, "pytop: cannot write %s: %s\n", o->output, strerror(errno));
		code = code ? code : 1;
	} else if (session_write_file(&s, o->format, out, o->output, err, sizeof err) < 0) {
		escape_error(err);
		code = code ? code : 1;
	}
	if (o->output && fclose(out) != 0) {
		fprintf(stderr, "pytop: cannot write %s: %s\n", o->output, strerror(errno));
		code = code ? code : 1;
	}
	session_report_program(&s);
	session_close(&s);
	return code;
}

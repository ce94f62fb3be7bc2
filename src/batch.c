/* batch: the non-interactive front end. */
#include "batch.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "session.h"
#include "target/launch.h"

#define DEFAULT_DURATION_S 10.0
#define DRAIN_EVERY_NS 10000000ull    /* 10 ms */
#define REAP_AFTER_GONE_NS 5000000000ull   /* a program seen gone: wait this long */
#define REAP_AFTER_ERROR_NS 2000000000ull  /* attaching failed: this long */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

/* Wait up to ns for a launched program to exit, collecting its status. */
static void reap_soon(struct session *s, uint64_t ns)
{
	uint64_t until = session_now_ns() + ns;
	while (!launch_poll(s->pid, &s->child_status)) {
		if (session_now_ns() >= until)
			return;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	s->child_exited = true;
}

int batch_run(const struct options *o)
{
	struct session s;
	struct sigaction sa;
	char err[512];
	int code = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* A launched program's stdout must not mix with a snapshot on stdout. */
	int child_out = o->launch_argv && !o->output ? STDERR_FILENO : -1;
	if (session_open(&s, o, child_out, -1, err, sizeof err) < 0) {
		/* A launched program that ended as pytop was attaching: its own
		 * exit status is the answer. */
		if (s.launched && !s.child_exited)
			reap_soon(&s, REAP_AFTER_ERROR_NS);
		fprintf(stderr, "pytop: %s\n", err);
		int status = s.child_exited ? s.child_status : -1;
		session_close(&s);
		return status >= 0 ? launch_exit_code(status) : 1;
	}

	/* An attached process is sampled for -d seconds; a launched one until
	 * it exits, or for -d seconds when given. */
	double duration = o->duration_s > 0 ? o->duration_s : o->launch_argv ? 0 : DEFAULT_DURATION_S;
	uint64_t deadline = duration > 0 ? s.start_ns + (uint64_t)(duration * 1e9) : UINT64_MAX;
	while (!interrupted && !session_target_gone(&s) && session_now_ns() < deadline) {
		struct timespec ts = { 0, (long)DRAIN_EVERY_NS };
		nanosleep(&ts, NULL);
		session_drain(&s);
	}
	session_stop(&s);

	if (s.launched) {
		/* On a signal the program got it too (same terminal): wait for it. */
		if (!s.child_exited && interrupted) {
			kill(s.pid, (int)interrupted);
			s.child_status = launch_wait(s.pid);
			s.child_exited = true;
		}
		/* The sampler can see the program's memory go before it is a
		 * zombie: give it the moment it needs to finish exiting. */
		if (!s.child_exited && s.last.target_gone)
			reap_soon(&s, REAP_AFTER_GONE_NS);
		if (s.child_exited)
			code = launch_exit_code(s.child_status);
	}
	if (session_write(&s, o->format, o->output, err, sizeof err) < 0) {
		fprintf(stderr, "pytop: %s\n", err);
		code = code ? code : 1;
	}
	if (s.launched && !s.child_exited)
		fprintf(stderr, "pytop: %s (pid %d) is still running\n", o->launch_argv[0], (int)s.pid);
	session_close(&s);
	return code;
}

/* batch: the non-interactive front end: one snapshot at the end, or with
 * --every one file per interval. */
#include "batch.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cpython/runtime.h"
#include "errors.h"
#include "output/escape.h"
#include "output/formats.h"
#include "output/outfile.h"
#include "session.h"
#include "process/launch.h"
#include "util/clock.h"

#define DEFAULT_DURATION_S 10.0
#define DRAIN_MIN_NS 10000000ull      /* drain the ring every 10 ms at least ... */
#define DRAIN_MAX_NS 80000000ull      /* ... to 80 ms while it fills slowly: */
#define DRAIN_LONGER 0.0625           /* under this share of it between drains, */
#define DRAIN_SHORTER 0.125           /* over this, every 10 ms again */
#define ATTACH_EVERY_NS 2000000ull    /* launch: look for the interpreter every 2 ms */
#define NO_PYTHON_SAY_NS 2000000000ull /* launch: say after 2 s that no interpreter is up */
#define REAP_AFTER_GONE_NS 5000000000ull   /* a program seen gone: wait this long */
#define REAP_AFTER_ERROR_NS 2000000000ull  /* attaching failed: this long */
#define REAP_AFTER_SIGNAL_NS 200000000ull  /* a Ctrl-C pytop got: this long */
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

/* --every: the files written so far. */
struct every {
	const char *pattern;          /* -o */
	const struct output_format *format;
	char last[PATH_MAX];          /* the previous interval's name from the pattern */
	unsigned repeat;              /* and the counter its file got (1: none) */
	unsigned written;             /* files written */
	mode_t mode;                  /* the files' mode: OUTFILE_USER_MODE less the umask */
};

/* The pattern expanded for the time now into out; -1 when it expands to
 * nothing or too long. */
static int every_expand(const char *pattern, char *out, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;

	size_t n;

	if (!localtime_r(&now, &tm))
		return -1;
	/* The pattern is the user's -o, by design. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(out, cap, pattern, &tm);
#pragma GCC diagnostic pop
	return n == 0 || n >= cap ? -1 : 0;
}

/* The directory part of path into dir ("." when none). */
static void every_dir(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, cap, ".");
	else if (slash == path)
		snprintf(dir, cap, "/");
	else
		snprintf(dir, cap, "%.*s", (int)(slash - path), path);
}

/* Check before sampling that the pattern expands and its directory can be
 * written; 0, or -1 with a reason in err. */
static int every_check(const struct every *ev, char *err, size_t errcap)
{
	char name[PATH_MAX], dir[PATH_MAX];

	if (every_expand(ev->pattern, name, sizeof name) < 0) {
		snprintf(err, errcap, "--every: -o '%s' gives no usable file name", ev->pattern);
		return -1;
	}
	every_dir(name, dir, sizeof dir);
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(err, errcap, "cannot write in %.300s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Where a counter goes in name: before the format's ending when the name
 * has it (in any case, as formats_for_path reads it: "x.Pb.Gz"), else
 * before the file name's last extension, else at the end. */
static size_t every_stem(const struct every *ev, const char *name)
{
	size_t len = strlen(name);
	const char *file = strrchr(name, '/'), *dot;

	for (size_t k = 0; ev->format->exts[k]; k++) {
		size_t n = strlen(ev->format->exts[k]);

		if (n < len && strcasecmp(name + len - n, ev->format->exts[k]) == 0)
			return len - n;
	}
	file = file ? file + 1 : name;
	dot = strrchr(file, '.');
	return dot && dot > file ? (size_t)(dot - name) : len;
}

/* The name the pattern gives for the time now, with counter n (1: none;
 * else _n before the ending, every_stem: "web-2024_2.pprof" sorts after
 * "web-2024.pprof"). 0, or -1 when it does not fit. */
static int every_name(const struct every *ev, const char *base, unsigned n, char *name, size_t cap)
{
	size_t stem = every_stem(ev, base);
	int w = n <= 1 ? snprintf(name, cap, "%s", base) :
		snprintf(name, cap, "%.*s_%u%s", (int)stem, base, n, base + stem);

	return w < 0 || (size_t)w >= cap ? -1 : 0;
}

#define FOLD_EVERY_NS 1000000000ull    /* ended threads looked at for folding every second */
#define FOLD_GRACE_NS 2000000000ull    /* ... once not sampled for 2 s */
#define FOLD_KEEP 256                  /* ... the 256 with the most samples keep their rows */
#define EVERY_TRIES 1000     /* counters tried, in one write, for a name that is taken */

/* Write the session's snapshot to this interval's file: under a temporary
 * name in the same directory, then linked to its name, which never
 * replaces anything: a name that exists (a file of an earlier run, a
 * directory, a symlink, or this run's previous interval under a pattern
 * coarser than the interval) gets the next counter (every_name), so no
 * interval and no file is overwritten, and a reader never sees a
 * half-written file. Returns 0, or -1 after saying why on stderr. */
static int every_write(struct every *ev, struct session *s)
{
	char base[PATH_MAX], name[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX], err[PATH_MAX + 256];
	FILE *f = NULL;
	unsigned n;
	int fd, rc;

	if (every_expand(ev->pattern, base, sizeof base) < 0 || every_name(ev, base, 1, name, sizeof name) < 0) {
		snprintf(err, sizeof err, "--every: -o '%s' gives no usable file name", ev->pattern);
		escape_error(err);
		return -1;
	}
	every_dir(base, dir, sizeof dir);
	fd = outfile_create_new(dir, ".pytop-snapshot", ".tmp", tmp, sizeof tmp);
	if (fd < 0 || fchmod(fd, ev->mode) != 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, sizeof err, "cannot write %s: %s", base, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		escape_error(err);
		return -1;
	}
	if (session_write_file(s, ev->format, f, base, err, sizeof err) < 0) {
		fclose(f);
		unlink(tmp);
		escape_error(err);
		return -1;
	}
	if (fclose(f) != 0) {
		snprintf(err, sizeof err, "cannot write %s: %s", base, strerror(errno));
		unlink(tmp);
		escape_error(err);
		return -1;
	}
	/* The same name as the previous interval: start after its counter
	 * (a pattern coarser than the interval counts on for as long as the
	 * run lasts; EVERY_TRIES bounds the names tried in one write). */
	n = strcmp(base, ev->last) == 0 && ev->repeat < UINT_MAX - EVERY_TRIES ? ev->repeat + 1 : 1;
	unsigned tries;
	for (rc = -1, tries = 0; tries < EVERY_TRIES; tries++, n++) {
		if (every_name(ev, base, n, name, sizeof name) < 0)
			break;
		if ((rc = link(tmp, name)) == 0 || errno != EEXIST)
			break;
	}
	int saved = errno;
	unlink(tmp);
	if (rc != 0) {
		snprintf(err, sizeof err, "cannot write %s: %s", name,
			 tries >= EVERY_TRIES ? "that name and its counters are all taken" : strerror(saved));
		escape_error(err);
		return -1;
	}
	snprintf(ev->last, sizeof ev->last, "%s", base);
	ev->repeat = n;
	ev->written++;
	return 0;
}

/* A snapshot lists the FOLD_KEEP ended threads with the most samples:
 * the rest are folded, also those that ended in the last few rounds (at
 * least 100 ms: they are told from the live ones by that). Each --every
 * interval's snapshot too, not only the last. */
static void snapshot_fold(struct session *s)
{
	uint64_t grace = s->rate_hz > 0 ? (uint64_t)(3e9 / s->rate_hz) : 0;

	aggregate_fold_ended(s->agg, grace > 100000000ull ? grace : 100000000ull, FOLD_KEEP);
}

int batch_run(const struct options *o)
{
	struct session s;
	struct sigaction sa;
	struct stat st;
	char err[1280];   /* gilstat's reasons quote a path and build ids */
	int code = 0, rc;
	FILE *out = stdout;
	bool created = false;
	bool every = o->every_s > 0;
	struct every ev = { .pattern = o->output, .format = o->format };
	mode_t mask = umask(0);

	umask(mask);
	ev.mode = OUTFILE_USER_MODE & ~mask;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* The snapshot's file first: a path that cannot be written fails
	 * before anything is sampled (or launched). With --every, its
	 * directory. */
	if (every) {
		if (every_check(&ev, err, sizeof err) < 0) {
			escape_error(err);
			return 1;
		}
	} else if (o->output) {
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
	 * it counts too). With --every, without -d: until it exits. */
	double duration = o->duration_s > 0 ? o->duration_s : o->launch_argv || every ? 0 : DEFAULT_DURATION_S;
	uint64_t deadline = duration > 0 ? s.launch_ns + (uint64_t)(duration * 1e9) : UINT64_MAX;
	if (rc == 0)
		rc = s.waiting ? wait_python(&s, deadline, err, sizeof err) : 1;
	if (rc > 0 && duration > 0)
		deadline = s.start_ns + (uint64_t)(duration * 1e9);
	char note[300];
	if (rc > 0 && s.target && pyrt_schema_note(s.target, note, sizeof note) == 0)
		fprintf(stderr, "pytop: note: %s\n", note);
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
		/* A terminal's Ctrl-C (SIGINT to the process group) reached the
		 * program too: it is ending, and its status is its own (taken
		 * at once it was 130 or 1 by timing). */
		if (interrupted && s.launched && !s.child_exited)
			session_reap(&s, REAP_AFTER_SIGNAL_NS);
		code = session_unsampled_status(&s);   /* before pytop ends it: its own status only */
		end_program(&s);
		session_report_program(&s);
		session_close(&s);
		if (o->output && !every) {
			fclose(out);
			if (created)
				unlink(o->output);
		}
		return code;
	}

	/* --every: the intervals keep to the start's beat; the last one ends
	 * with the run (written below). */
	uint64_t every_ns = every ? (uint64_t)(o->every_s * 1e9) : 0;
	uint64_t next = every ? s.start_ns + every_ns : UINT64_MAX;
	uint64_t fold_at = clock_now_ns() + FOLD_EVERY_NS;
	uint64_t pace = DRAIN_MIN_NS;
	while (!interrupted && !session_target_gone(&s) && clock_now_ns() < deadline) {
		uint64_t now = clock_now_ns(), nap = pace;

		/* Each wake-up of this thread costs about as much CPU as a
		 * sampling round (a context switch; 15-30 us on a VM): at
		 * 1 kHz on 4 threads, 100 a second were 3-5 % of pytop's CPU.
		 * The ring (8 MiB) holds seconds of samples at that rate, but
		 * 200 idle threads 50 deep at 10 kHz fill it in ~25 ms: the
		 * sampler wakes this thread when it is a quarter full. */
		if (next > now && next - now < nap)
			nap = next - now;
		if (deadline > now && deadline - now < nap)
			nap = deadline - now;
		session_wait(&s, nap);   /* ends early at a burst or the target's end */
		double share = session_ring_share(&s);
		if (share < DRAIN_LONGER && pace < DRAIN_MAX_NS)
			pace *= 2;
		else if (share > DRAIN_SHORTER)
			pace = DRAIN_MIN_NS;   /* a burst: at once, not by halves */
		session_drain(&s);
		now = clock_now_ns();
		/* A thread-per-request server runs thousands of threads: past
		 * FOLD_KEEP ended ones, the rest are folded into one count, so
		 * memory and the tables' budget follow the live threads. */
		if (now >= fold_at) {
			aggregate_fold_ended(s.agg, FOLD_GRACE_NS, FOLD_KEEP);
			fold_at = now + FOLD_EVERY_NS;
		}
		if (now >= next && now < deadline) {
			snapshot_fold(&s);   /* each interval's snapshot, like the last */
			session_cut(&s);     /* the interval ends: gilstat's numbers too */
			if (every_write(&ev, &s) < 0)
				code = 1;
			session_reset(&s, false);
			while (next <= now)
				next += every_ns;
		}
	}
	session_stop(&s);
	snapshot_fold(&s);

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
	if (every) {
		/* The last interval, unless it is empty and not the only one. */
		struct agg_summary sum;

		aggregate_summary(s.agg, false, &sum);
		if ((sum.samples || !ev.written) && every_write(&ev, &s) < 0)
			code = code ? code : 1;
	} else if (o->output && session_output_truncate(out) < 0) {
		fprintf(stderr, "pytop: cannot write %s: %s\n", o->output, strerror(errno));
		code = code ? code : 1;
	} else if (session_write_file(&s, o->format, out, o->output, err, sizeof err) < 0) {
		escape_error(err);
		code = code ? code : 1;
	}
	if (o->output && !every && fclose(out) != 0) {
		fprintf(stderr, "pytop: cannot write %s: %s\n", o->output, strerror(errno));
		code = code ? code : 1;
	}
	session_report_program(&s);
	session_close(&s);
	return code;
}

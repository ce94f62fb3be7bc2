/* session: wiring target, sampler, ring and aggregate together. */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cpython/versions.h"
#include "errors.h"
#include "output/escape.h"
#include "output/formats.h"
#include "output/outfile.h"
#include "process/launch.h"
#include "process/memory.h"
#include "process/proc.h"
#include "util/clock.h"

/* The command line's -m and --gilstat values are the aggregate's and
 * gilstat's own (options.h stays free of sampling headers). */
_Static_assert(OPTIONS_MODE_CPU == (int)AGG_MODE_CPU && OPTIONS_MODE_WALL == (int)AGG_MODE_WALL &&
	       OPTIONS_MODE_GIL == (int)AGG_MODE_GIL, "enum options_mode is enum agg_mode");
_Static_assert(OPTIONS_GILSTAT_OFF == (int)GILSTAT_OFF && OPTIONS_GILSTAT_SAMPLED == (int)GILSTAT_SAMPLED &&
	       OPTIONS_GILSTAT_EXACT == (int)GILSTAT_EXACT, "enum options_gilstat is enum gilstat_mode");

#define RING_BYTES (8u << 20)
#define READY_POLL_NS 2000000ull       /* launch: look for the interpreter every 2 ms */

/* Is the interpreter of t initialised (an interpreter with a thread)? */
static bool interpreter_ready(struct py_target *t)
{
	uint64_t interps[1], ts = 0;
	if (pyrt_interpreters(t, interps, 1, NULL) <= 0)
		return false;
	return mem_read_ptr(t->pid, interps[0] + (uint64_t)t->L.interp_threads_head, &ts) == 0 && ts;
}

/* The run's window starts now: start_ns, and gilstat's window (which
 * began when its thread started, before: planting uprobes takes a second
 * or more) is cut there, so that its duration is the run's. */
static void window_start(struct session *s)
{
	gilstat_cut_begin(s->gilstat);
	s->start_ns = clock_now_ns();
	gilstat_cut(s->gilstat, s->start_ns, NULL);
}

/* Start sampling the attached target (its interpreter is up). */
static int session_start(struct session *s, char *err, size_t errcap)
{
	struct sampler_config cfg = { s->opt->rate_hz, s->opt->blocking != 0, s->opt->native != 0,
				      s->opt->native_all != 0 };
	int rc;

	proc_cmdline(s->pid, s->argv, sizeof s->argv);
	snprintf(s->python, sizeof s->python, "%s", s->target->version);
	/* gilstat first: planting its uprobes can take a second or more, and
	 * the run's window (-d) must be covered by both. */
	if (s->opt->gilstat && (rc = session_gilstat_start(s, NULL, err, errcap)) < 0)
		return rc;
	window_start(s);
	s->sampler = sampler_start(s->target, s->ring, &cfg, err, errcap);
	if (!s->sampler)
		return PYTOP_EINVAL;
	/* --native: the sampler first loaded every mapped file's unwind table
	 * and symbols (a second on a loaded machine with debug files): the
	 * run's window (-d) starts once it samples. */
	if (cfg.native)
		window_start(s);
	s->started = true;
	return 0;
}

/* Launch mode: does the program's executable look like a Python
 * interpreter? (Tells a Python program that ended before it could be
 * sampled from a program that is not Python.) */
static bool named_python(const char *path)
{
	const char *base = strrchr(path, '/');
	return strncmp(base ? base + 1 : path, "python", 6) == 0;
}

static void look_for_python(struct session *s)
{
	char exe[512];
	/* The name it was started by, the file it runs now, or the name of
	 * the last file it exec'd (comm: a wrapper such as chroot or unshare
	 * that exec'd a Python which exited at once is a zombie by now, whose
	 * exe is gone but whose comm is kept). */
	if (!s->saw_python && (named_python(s->opt->launch_argv[0]) ||
			       (proc_exe(s->pid, exe, sizeof exe) > 0 && named_python(exe)) ||
			       (proc_task_comm(s->pid, s->pid, exe, sizeof exe) == 0 && named_python(exe))))
		s->saw_python = true;
}

/* A wrapper that forks the program (unshare --fork, a shell) instead of
 * exec'ing it: from the launched process down, while no Python runs there,
 * its only child is taken (afresh each try: a shell's first child may end
 * before the Python one is forked). */
static void follow_fork(struct session *s)
{
	char exe[512];
	pid_t p = s->child;

	for (int depth = 0; depth < 8; depth++) {
		if (proc_exe(p, exe, sizeof exe) > 0 && named_python(exe))
			break;
		pid_t c = proc_only_child(p);
		if (c <= 0)
			break;
		p = c;
	}
	s->pid = p;
}

/* The launched program's output goes to $TMPDIR/pytop-<pid>.log, a new
 * private file (outfile_create_new: never through a planted symlink; a
 * random name when that one is taken). */
static int create_log(struct session *s, char *err, size_t errcap)
{
	const char *dir = getenv("TMPDIR");
	char stem[32];
	int fd;

	snprintf(stem, sizeof stem, "pytop-%d", (int)getpid());
	fd = outfile_create_new(dir && *dir ? dir : "/tmp", stem, ".log", s->log_path, sizeof s->log_path);
	if (fd < 0) {
		snprintf(err, errcap, "cannot create %s: %s", s->log_path, strerror(errno));
		s->log_path[0] = 0;
	}
	return fd;
}

/* Start the program wired as how says. */
static pid_t launch(struct session *s, const struct session_launch *how, char *err, size_t errcap)
{
	int in_fd = -1, out_fd = how ? how->out_fd : -1, log_fd = -1;
	pid_t pid;

	if (how && how->log && (out_fd = log_fd = create_log(s, err, errcap)) < 0)
		return PYTOP_EIO;
	if (how && how->null_stdin)
		in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid = launch_start(s->opt->launch_argv, in_fd, out_fd, log_fd, !s->opt->keep_running, err, errcap);
	if (in_fd >= 0)
		close(in_fd);
	if (log_fd >= 0)
		close(log_fd);
	return pid;
}

int session_open(struct session *s, const struct options *opt, const struct session_launch *how,
		 char *err, size_t errcap)
{
	int rc;

	memset(s, 0, sizeof *s);
	s->opt = opt;
	s->rate_hz = opt->rate_hz;
	err[0] = 0;
	/* The ring and the aggregate first: a snapshot can always be written,
	 * even of a program that ended before it could be sampled. */
	s->ring = ring_create(RING_BYTES);
	s->recbuf = xmalloc(ring_capacity(s->ring));
	s->agg = aggregate_create((enum agg_mode)opt->mode, (uint64_t)(1e9 / opt->rate_hz));
	s->start_ns = s->launch_ns = clock_now_ns();
	if (opt->launch_argv) {
		pid_t pid = launch(s, how, err, errcap);
		if (pid < 0)
			return pid;
		s->pid = s->child = pid;
		s->launched = true;
		s->waiting = true;
		look_for_python(s);
		return 0;
	}
	if ((rc = pyrt_open(s->pid = opt->pid, &s->target, err, errcap)) < 0)
		return rc;
	return session_start(s, err, errcap);
}

int session_attach(struct session *s, char *err, size_t errcap)
{
	int rc;

	if (!s->waiting)
		return 1;
	err[0] = 0;
	rc = pyrt_open(s->pid, &s->target, err, errcap);
	if (rc == 0) {
		s->saw_python = true;
		if (interpreter_ready(s->target)) {
			s->waiting = false;
			rc = session_start(s, err, errcap);
			return rc < 0 ? rc : 1;
		}
		pyrt_close(s->target);
		s->target = NULL;
	} else if (rc != PYTOP_ENOTPY && rc != PYTOP_EGONE && rc != PYTOP_EREAD &&
		   !(rc == PYTOP_ENOPROC && s->pid != s->child)) {   /* a forked helper that ended */
		s->waiting = false;
		return rc;
	}
	err[0] = 0;
	/* Whether it ended first, then (before it is reaped) what it ran. */
	bool ended = launch_ended(s->child);
	if (rc < 0)
		follow_fork(s);
	look_for_python(s);   /* it may have exec'd again (env, a wrapper) */
	if (ended && launch_poll(s->child, &s->child_status)) {
		s->child_exited = true;
		s->waiting = false;
		if (s->saw_python)
			snprintf(err, errcap, "%s exited (status %d) before pytop could sample it",
				 s->opt->launch_argv[0], launch_exit_code(s->child_status));
		else
			snprintf(err, errcap, "%s exited (status %d) without starting a Python interpreter "
				 "pytop saw (is it a CPython " PY_VERSIONS_RANGE " program?)",
				 s->opt->launch_argv[0], launch_exit_code(s->child_status));
		return PYTOP_EGONE;
	}
	return 0;
}

int session_unsampled_status(const struct session *s)
{
	int code = s->launched && s->child_exited ? launch_exit_code(s->child_status) : 0;
	return code ? code : 1;
}

double session_waiting_s(const struct session *s)
{
	return s->waiting ? (double)(clock_now_ns() - s->launch_ns) / 1e9 : 0;
}

/* End a launched program still running, unless --keep-running: SIGINT,
 * then SIGTERM after grace_ns, then SIGKILL after grace_ns; reaps it.
 * Returns true when pytop ended it. */
static bool end_program(struct session *s, uint64_t grace_ns)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGKILL };

	if (!s->launched || s->child_exited)
		return false;
	if (launch_poll(s->child, &s->child_status)) {
		s->child_exited = true;
		return false;
	}
	if (s->opt->keep_running)
		return false;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		uint64_t until = clock_now_ns() + grace_ns;
		kill(s->pid, sigs[i]);
		if (s->child != s->pid && sigs[i] == SIGKILL)
			kill(s->child, SIGKILL);
		if (sigs[i] == SIGKILL)
			break;
		while (clock_now_ns() < until) {
			if (launch_poll(s->child, &s->child_status)) {
				s->child_exited = true;
				return true;
			}
			clock_sleep_ns(READY_POLL_NS * 5);
		}
	}
	s->child_status = launch_wait(s->child);
	s->child_exited = true;
	return true;
}

bool session_reap(struct session *s, uint64_t ns)
{
	uint64_t until = clock_now_ns() + ns;

	if (!s->launched || s->child_exited)
		return s->child_exited;
	while (!launch_poll(s->child, &s->child_status)) {
		if (clock_now_ns() >= until)
			return false;
		clock_sleep_ns(1000000);
	}
	s->child_exited = true;
	return true;
}

bool session_finish_program(struct session *s, int sig, uint64_t grace_ns)
{
	if (!s->launched || s->child_exited)
		return false;
	if (sig && !s->opt->keep_running) {
		/* From a terminal it got the signal too; from kill(1) it did not. */
		kill(s->pid, sig);
		session_reap(s, grace_ns);
	}
	return end_program(s, grace_ns) && !sig;
}

void session_report_program(const struct session *s)
{
	if (s->launched && !s->child_exited)
		fprintf(stderr, "pytop: %s (pid %d) is still running\n", s->opt->launch_argv[0], (int)s->pid);
	if (s->log_path[0])
		fprintf(stderr, "pytop: the program's output is in %s\n", s->log_path);
}

FILE *session_output_open(const char *path, char *err, size_t errcap)
{
	/* No O_TRUNC: `pytop -b -o old.txt -p WRONG` must not wipe old.txt. */
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, OUTFILE_USER_MODE);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(err, errcap, "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

/* Plain --gilstat, or gilstat started from the live view without a mode
 * on the command line: exact wherever uprobes can run. */
static bool gilstat_auto(const struct session *s)
{
	return s->target && (s->opt->gilstat_auto || !s->opt->gilstat);
}

int session_output_truncate(FILE *f)
{
	struct stat st;
	if (fflush(f) != 0 || fstat(fileno(f), &st) != 0)
		return -1;
	if (S_ISREG(st.st_mode) && ftruncate(fileno(f), 0) != 0)
		return -1;
	return 0;
}

void session_gilstat_config(const struct session *s, struct gilstat_config *cfg)
{
	const struct options *o = s->opt;
	char why[8];

	gilstat_config_default(cfg);
	if (o->gilstat)
		cfg->mode = (enum gilstat_mode)o->gilstat;
	if (gilstat_auto(s))
		cfg->mode = gilstat_exact_check(s->target, why, sizeof why) == 0 ? GILSTAT_EXACT : GILSTAT_SAMPLED;

	if (o->gilstat_rate_hz > 0)
		cfg->rate_hz = o->gilstat_rate_hz;
	if (o->gilstat_take_ms >= 0)
		cfg->take_warn_ms = o->gilstat_take_ms;
	if (o->gilstat_hold_ms >= 0)
		cfg->hold_warn_ms = o->gilstat_hold_ms;
}

int session_gilstat_start(struct session *s, const struct gilstat_config *cfg, char *err, size_t errcap)
{
	struct gilstat_config def;

	if (!cfg) {
		session_gilstat_config(s, &def);
		/* Plain --gilstat runs sampled only where exact cannot: say why
		 * (batch: on stderr). */
		char why[sizeof s->gilstat_note - 64];
		if (gilstat_auto(s) && def.mode == GILSTAT_SAMPLED &&
		    gilstat_exact_check(s->target, why, sizeof why) < 0) {
			snprintf(s->gilstat_note, sizeof s->gilstat_note,
				 "--gilstat: sampled estimates, not exact: %s", why);
			if (s->opt->run == RUN_BATCH)
				escape_error(s->gilstat_note);
		}
		cfg = &def;
	}
	if (!s->target) {
		snprintf(err, errcap, "gilstat: no target");
		return PYTOP_EINVAL;
	}
	gilstat_stop(s->gilstat, NULL);
	s->gilstat_cfg = *cfg;
	s->gilstat = gilstat_start(s->target, cfg, err, errcap);
	if (!s->gilstat && cfg == &def && def.mode == GILSTAT_EXACT && gilstat_auto(s)) {
		/* Plain --gilstat: exact could not start after all (the probes
		 * were refused): sampled, saying why. */
		snprintf(s->gilstat_note, sizeof s->gilstat_note, "--gilstat: sampled estimates, not exact: %.400s", err);
		if (s->opt->run == RUN_BATCH)
			escape_error(s->gilstat_note);
		def.mode = GILSTAT_SAMPLED;
		s->gilstat_cfg = def;
		s->gilstat = gilstat_start(s->target, &def, err, errcap);
	}
	if (!s->gilstat)
		return PYTOP_EINVAL;
	if (!s->gilstat_view)
		s->gilstat_view = xmalloc(sizeof *s->gilstat_view);
	gilstat_read(s->gilstat, s->gilstat_view);
	return 0;
}

void session_gilstat_stop(struct session *s)
{
	if (!s->gilstat)
		return;
	gilstat_stop(s->gilstat, s->gilstat_view);
	s->gilstat = NULL;
}

const struct gilstat_snapshot *session_gilstat(struct session *s)
{
	if (s->gilstat && !s->cut_ns)   /* (an interval cut off: its numbers) */
		gilstat_read(s->gilstat, s->gilstat_view);
	return s->gilstat_view;
}

int session_drain(struct session *s)
{
	int n = 0;
	if (!s->ring)
		return 0;   /* session_open failed before the ring existed */
	size_t cap = ring_capacity(s->ring);
	while (ring_pop(s->ring, s->recbuf, cap) > 0) {
		aggregate_feed(s->agg, s->recbuf);
		n++;
	}
	return n;
}

double session_ring_share(const struct session *s)
{
	return s->ring ? (double)ring_used(s->ring) / (double)ring_capacity(s->ring) : 0;
}

void session_wait(struct session *s, uint64_t ns)
{
	if (s->ring)
		ring_wait(s->ring, ring_capacity(s->ring) / 4, ns);
	else
		clock_sleep_ns(ns);
}

int session_drain_for(struct session *s, uint64_t budget_ns)
{
	uint64_t deadline = clock_now_ns() + budget_ns;
	size_t cap = ring_capacity(s->ring);
	int n = 0;

	while (ring_pop(s->ring, s->recbuf, cap) > 0) {
		aggregate_feed(s->agg, s->recbuf);
		if (++n % 64 == 0 && clock_now_ns() >= deadline)
			break;
	}
	return n;
}

void session_set_rate(struct session *s, double rate_hz)
{
	if (!(rate_hz > 0))
		return;
	s->rate_hz = rate_hz;
	if (s->sampler)
		sampler_set_rate(s->sampler, rate_hz);
	/* Records of the old rate still in the ring count at the new weight:
	 * take them in before the counts restart. */
	session_drain(s);
	aggregate_set_interval(s->agg, (uint64_t)(1e9 / rate_hz));
}

bool session_target_gone(struct session *s)
{
	struct sampler_stats st;
	if (s->launched && !s->child_exited && launch_poll(s->child, &s->child_status))
		s->child_exited = true;
	if (s->child_exited)
		return true;
	if (!s->sampler)
		return true;
	sampler_get_stats(s->sampler, &st);
	return st.target_gone;
}

void session_stop(struct session *s)
{
	if (s->stopped)
		return;
	s->stopped = true;
	/* gilstat's window ends with the run's: at stop_ns (its thread may
	 * be late, held up in the kernel: what it sees after is not counted). */
	if (s->started && s->gilstat) {
		gilstat_cut_begin(s->gilstat);
		s->stop_ns = clock_now_ns();
		gilstat_cut(s->gilstat, s->stop_ns, s->gilstat_view);
		gilstat_stop(s->gilstat, NULL);
		s->gilstat = NULL;
	} else {
		s->stop_ns = s->started ? clock_now_ns() : s->start_ns;
		session_gilstat_stop(s);
	}
	if (s->sampler) {
		/* After its last round: the records drained below are counted
		 * there too (errors and errors_by_kind agree). */
		sampler_stop(s->sampler, &s->last);
		s->sampler = NULL;
	}
	session_drain(s);
}

/* Describe the run for the snapshot writers. */
static void session_meta(struct session *s, struct snapshot_meta *m)
{
	struct agg_summary sum;
	aggregate_summary(s->agg, false, &sum);
	uint64_t end = s->stopped ? s->stop_ns : s->cut_ns ? s->cut_ns : s->started ? clock_now_ns() : s->start_ns;
	memset(m, 0, sizeof *m);
	m->pid = (int)s->pid;
	m->argv = s->argv;
	m->python = s->python;
	m->duration_s = (double)(end - s->start_ns) / 1e9;
	struct timespec wall;
	uint64_t mono = clock_now_ns();
	if (clock_gettime(CLOCK_REALTIME, &wall) == 0 && mono >= s->start_ns)
		m->start_unix_ns = (int64_t)wall.tv_sec * 1000000000 + wall.tv_nsec - (int64_t)(mono - s->start_ns);
	m->rate_hz = s->rate_hz;
	m->achieved_rate_hz = sum.achieved_rate_hz;
	m->rate_low = sum.rate_low;
	char pst = s->pid > 0 ? proc_task_state(s->pid, s->pid) : 0;
	m->target_stopped = pst == 'T' || pst == 't';
	m->sampled_s = sum.elapsed_s;
	m->samples = sum.samples;
	m->dropped = session_dropped(s);
	m->errors = sum.errors;
	m->unidentified = sum.unidentified;
	m->over_limit = sum.over_limit;
	m->threads_folded = sum.folded_threads;
	m->folded = sum.folded;
	m->entries_max = sum.entries_max;
	m->mode = aggregate_mode_name(aggregate_mode(s->agg));
	m->version = PACKAGE_VERSION;
	struct sampler_stats st = s->last;
	if (s->sampler)
		sampler_get_stats(s->sampler, &st);
	m->sampler_cpu_s = st.cpu_ns > s->base_cpu_ns ? (double)(st.cpu_ns - s->base_cpu_ns) / 1e9 : 0;
	m->reads = st.reads > s->base_reads ? st.reads - s->base_reads : 0;
	m->state_reused = st.state_reused;
	m->state_mismatches = st.state_mismatches;
	m->stacks_kept = st.stacks_kept;
	m->stack_mismatches = st.stack_mismatches;
	m->schedstat_skipped = st.schedstat_skipped;
	m->switch_mismatches = st.switch_mismatches;
	m->confirms_skipped = st.confirms_skipped;
	m->confirm_mismatches = st.confirm_mismatches;
	m->reopened_reads = st.reopened_reads;
	m->walks_retried = st.walks_retried;
	m->lists_resumed = st.lists_resumed;
	m->off_cpu_samples = st.off_cpu_samples;
	m->sched_reads = st.sched_reads;
	m->late_samples = st.late_samples;
	memcpy(m->errors_kind, st.errors_kind, sizeof m->errors_kind);
	m->threads_not_sampled = st.threads_not_sampled;
	m->thread_limit = st.thread_limit;
	m->interps_not_sampled = st.interps_not_sampled;
	m->interp_limit = st.interp_limit;
	m->native = s->opt->native != 0;
	m->native_pauses = st.native_pauses;
	m->pause_median_us = (double)st.pause_median_ns / 1e3;
	m->pause_p99_us = (double)st.pause_p99_ns / 1e3;
	m->native_partial = st.native_partial;
	m->native_unmatched = st.native_unmatched;
	memcpy(m->native_counts, st.nc, sizeof m->native_counts);
	m->gilstat = session_gilstat(s);
	m->note = s->note;
	m->inverted = s->opt->inverted != 0;
}

int session_write_file(struct session *s, const struct output_format *format, FILE *f, const char *name, char *err, size_t errcap)
{
	struct snapshot_meta m;
	int rc;

	session_meta(s, &m);
	rc = (format ? format : formats_default())->write(f, s->agg, &m);
	if (fflush(f) != 0)
		rc = PYTOP_EIO;
	if (rc < 0)
		snprintf(err, errcap, "cannot write %s: %s", name ? name : "the snapshot", strerror(errno));
	return rc;
}

void session_cut(struct session *s)
{
	if (s->stopped)
		return;
	session_drain(s);
	gilstat_cut_begin(s->gilstat);
	s->cut_ns = clock_now_ns();
	if (s->gilstat)
		gilstat_cut(s->gilstat, s->cut_ns, s->gilstat_view);
}

void session_reset(struct session *s, bool gilstat)
{
	struct sampler_stats st = s->last;
	bool cut = s->cut_ns != 0;

	/* What the ring holds was sampled before the reset (after an
	 * interval's end: in the next interval). */
	if (!cut)
		session_drain(s);
	aggregate_reset(s->agg);
	if (s->stopped)
		s->start_ns = s->stop_ns;
	else if (cut)
		s->start_ns = s->cut_ns;   /* gilstat's window was cut there too */
	else if (gilstat && s->gilstat)
		window_start(s);           /* gilstat's window with the counts' */
	else
		s->start_ns = clock_now_ns();
	s->cut_ns = 0;
	if (s->sampler)
		sampler_get_stats(s->sampler, &st);
	s->base_cpu_ns = st.cpu_ns;
	s->base_reads = st.reads;
	s->base_dropped = s->ring ? ring_dropped(s->ring) : 0;
	if (!gilstat)
		return;
	/* A running gilstat goes on from the cut (its probes stay planted);
	 * one that ended with the target has nothing to show any more. */
	if (s->gilstat) {
		gilstat_read(s->gilstat, s->gilstat_view);
	} else {
		free(s->gilstat_view);
		s->gilstat_view = NULL;
	}
}

uint64_t session_dropped(const struct session *s)
{
	uint64_t d = s->ring ? ring_dropped(s->ring) : 0;

	return d > s->base_dropped ? d - s->base_dropped : 0;
}

void session_close(struct session *s)
{
	session_stop(s);
	aggregate_destroy(s->agg);
	ring_destroy(s->ring);
	free(s->recbuf);
	free(s->gilstat_view);
	pyrt_close(s->target);
	memset(s, 0, sizeof *s);
}

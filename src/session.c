/* session: wiring target, sampler, ring and aggregate together. */
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "output/collapsed.h"
#include "output/json.h"
#include "output/text.h"
#include "target/launch.h"
#include "target/memory.h"
#include "target/proc.h"

#define RING_BYTES (8u << 20)
#define READY_POLL_NS 2000000ull       /* launch: look for the interpreter every 2 ms */

uint64_t session_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
	nanosleep(&ts, NULL);
}

/* Is the interpreter of t initialised (an interpreter with a thread)? */
static bool interpreter_ready(struct py_target *t)
{
	uint64_t interps[1], ts = 0;
	if (pyrt_interpreters(t, interps, 1) <= 0)
		return false;
	return mem_read_ptr(t->pid, interps[0] + (uint64_t)t->L.interp_threads_head, &ts) == 0 && ts;
}

/* Launch mode: start the program and wait until its interpreter is up. */
static int launch_and_attach(struct session *s, int out_fd, int err_fd, char *err, size_t errcap)
{
	pid_t pid = launch_start(s->opt->launch_argv, out_fd, err_fd, err, errcap);
	if (pid < 0)
		return pid;
	s->pid = pid;
	s->launched = true;
	for (;;) {
		int rc = pyrt_open(pid, &s->target, err, errcap);
		if (rc == 0 && interpreter_ready(s->target))
			return 0;
		if (rc == 0) {
			pyrt_close(s->target);
			s->target = NULL;
		} else if (rc != PYTOP_ENOTPY && rc != PYTOP_EGONE && rc != PYTOP_EREAD) {
			return rc;
		}
		if (launch_poll(pid, &s->child_status)) {
			s->child_exited = true;
			snprintf(err, errcap, "%s exited (status %d) before its Python interpreter started",
				 s->opt->launch_argv[0], launch_exit_code(s->child_status));
			return PYTOP_EGONE;
		}
		sleep_ns(READY_POLL_NS);
	}
}

int session_open(struct session *s, const struct options *opt, int out_fd, int err_fd,
		 char *err, size_t errcap)
{
	struct sampler_config cfg = { opt->rate_hz, opt->blocking != 0 };
	int rc;

	memset(s, 0, sizeof *s);
	s->opt = opt;
	s->rate_hz = opt->rate_hz;
	err[0] = 0;
	if (opt->launch_argv)
		rc = launch_and_attach(s, out_fd, err_fd, err, errcap);
	else
		rc = pyrt_open(s->pid = opt->pid, &s->target, err, errcap);
	if (rc < 0)
		return rc;
	proc_cmdline(s->pid, s->argv, sizeof s->argv);
	snprintf(s->python, sizeof s->python, "%s", s->target->version);
	s->ring = ring_create(RING_BYTES);
	s->recbuf = xmalloc(ring_capacity(s->ring));
	s->agg = aggregate_create((enum agg_mode)opt->mode, (uint64_t)(1e9 / opt->rate_hz));
	s->start_ns = session_now_ns();
	s->sampler = sampler_start(s->target, s->ring, &cfg, err, errcap);
	if (!s->sampler)
		return PYTOP_EINVAL;
	if (opt->gilstat && (rc = session_gilstat_start(s, NULL, err, errcap)) < 0)
		return rc;
	return 0;
}

void session_gilstat_config(const struct session *s, struct gilstat_config *cfg)
{
	const struct options *o = s->opt;

	gilstat_config_default(cfg);
	if (o->gilstat)
		cfg->mode = (enum gilstat_mode)o->gilstat;
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
		cfg = &def;
	}
	if (!s->target) {
		snprintf(err, errcap, "gilstat: no target");
		return PYTOP_EINVAL;
	}
	gilstat_stop(s->gilstat, NULL);
	s->gilstat = gilstat_start(s->target, cfg, err, errcap);
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
	if (s->gilstat)
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

int session_drain_for(struct session *s, uint64_t budget_ns)
{
	uint64_t deadline = session_now_ns() + budget_ns;
	size_t cap = ring_capacity(s->ring);
	int n = 0;

	while (ring_pop(s->ring, s->recbuf, cap) > 0) {
		aggregate_feed(s->agg, s->recbuf);
		if (++n % 64 == 0 && session_now_ns() >= deadline)
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
	if (s->launched && !s->child_exited && launch_poll(s->pid, &s->child_status))
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
	s->stop_ns = session_now_ns();
	session_gilstat_stop(s);
	if (s->sampler) {
		sampler_get_stats(s->sampler, &s->last);
		sampler_stop(s->sampler);
		s->sampler = NULL;
	}
	session_drain(s);
}

void session_meta(struct session *s, struct snapshot_meta *m)
{
	struct agg_summary sum;
	aggregate_summary(s->agg, false, &sum);
	uint64_t end = s->stopped ? s->stop_ns : session_now_ns();
	memset(m, 0, sizeof *m);
	m->pid = (int)s->pid;
	m->argv = s->argv;
	m->python = s->python;
	m->duration_s = (double)(end - s->start_ns) / 1e9;
	m->rate_hz = s->rate_hz;
	m->achieved_rate_hz = sum.achieved_rate_hz;
	m->samples = sum.samples;
	m->dropped = ring_dropped(s->ring);
	m->errors = sum.errors;
	m->mode = aggregate_mode_name(aggregate_mode(s->agg));
	m->version = PACKAGE_VERSION;
	struct sampler_stats st = s->last;
	if (s->sampler)
		sampler_get_stats(s->sampler, &st);
	m->sampler_cpu_s = (double)st.cpu_ns / 1e9;
	m->reads = st.reads;
	m->gilstat = session_gilstat(s);
}

int session_write(struct session *s, int format, const char *path, char *err, size_t errcap)
{
	struct snapshot_meta m;
	FILE *f = stdout;
	int rc;

	if (path && !(f = fopen(path, "w"))) {
		snprintf(err, errcap, "cannot write %s: %s", path, strerror(errno));
		return PYTOP_EIO;
	}
	session_meta(s, &m);
	switch (format) {
	case FORMAT_JSON:
		rc = json_write(f, s->agg, &m);
		break;
	case FORMAT_COLLAPSED:
		rc = collapsed_write(f, s->agg, &m);
		break;
	default:
		rc = text_write(f, s->agg, &m);
		break;
	}
	if (fflush(f) != 0)
		rc = PYTOP_EIO;
	if (path && fclose(f) != 0)
		rc = PYTOP_EIO;
	if (rc < 0)
		snprintf(err, errcap, "cannot write %s: %s", path ? path : "the snapshot", strerror(errno));
	return rc;
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

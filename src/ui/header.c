/* header: the lines above the view: run facts (pid, Python, target state,
 * mode, refresh), the command line and log, the sampling's health (rate,
 * samples, drops, errors, CPU, threads, limits, GIL, gilstat), and the
 * banner when the target exited or the display is paused. */
#include "ui/header.h"

#include <stdio.h>
#include <string.h>

#include "sampling/gilstat.h"
#include "session.h"
#include "ui/gilview.h"
#include "ui/tracer.h"
#include "ui/theme.h"
#include "ui/utf8.h"
#include "util/duration.h"

struct field {
	const char *label;
	char value[96];
	uint8_t elem;
};

/* Labelled fields left to right; those that do not fit are left out. */
static void render_fields(struct canvas *c, int y, int x, int w, const struct field *f, size_t n)
{
	int used = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int lw = f[i].label ? utf8_width(f[i].label) + 1 : 0;
		int need = lw + utf8_width(f[i].value) + (used ? 2 : 0);

		if (used + need > w)
			continue;
		if (used)
			used += 2;
		if (f[i].label) {
			canvas_put(c, x + used, y, w - used, f[i].label, EL_HEADER_LABEL);
			used += lw;
		}
		used += canvas_put(c, x + used, y, w - used, f[i].value, f[i].elem);
	}
}

static void target_state(const struct ui_model *m, char *buf, size_t cap, uint8_t *elem)
{
	if (m->exited) {
		if (m->exit_code >= 0)
			snprintf(buf, cap, "exited (status %d)", m->exit_code);
		else
			snprintf(buf, cap, "exited");
		*elem = EL_HEADER_WARN;
	} else if (m->stopped) {
		snprintf(buf, cap, "stopped");
		*elem = EL_HEADER_WARN;
	} else {
		snprintf(buf, cap, "running");
		*elem = EL_TARGET_RUNNING;
	}
}

void header_render(struct ui_model *m, struct canvas *c, int lines)
{
	struct field f[16];
	char a[32];
	size_t n = 0;
	int y = 0;
	double err_pct, cpu, achieved;

	/* Line 1: what is profiled. */
	memset(f, 0, sizeof(f));
	f[n].label = NULL;
	snprintf(f[n].value, sizeof(f[n].value), "pytop %s", PACKAGE_VERSION);
	f[n++].elem = EL_HEADER_VALUE;
	f[n].label = "PID";
	snprintf(f[n].value, sizeof(f[n].value), "%d", (int)m->pid);
	f[n++].elem = EL_HEADER_VALUE;
	f[n].label = "Python";
	snprintf(f[n].value, sizeof(f[n].value), "%s", m->python[0] ? m->python : "?");
	f[n++].elem = EL_HEADER_VALUE;
	f[n].label = "Target";
	target_state(m, f[n].value, sizeof(f[n].value), &f[n].elem);
	n++;
	f[n].label = "Mode";
	snprintf(f[n].value, sizeof(f[n].value), "%s", aggregate_mode_name(aggregate_mode(m->agg)));
	f[n++].elem = EL_HEADER_VALUE;
	f[n].label = "Refresh";
	snprintf(f[n].value, sizeof(f[n].value), "%s", duration_format(a, sizeof(a), m->delay_s));
	f[n++].elem = EL_HEADER_VALUE;
	if (m->tracer) {
		int running = 0;
		enum tracer_state st = tracer_state(m->tracer, &running);

		if (st != TRACER_IDLE) {
			f[n].label = "Agent";
			snprintf(f[n].value, sizeof(f[n].value), "%s",
				 st == TRACER_ATTACHING ? "attaching" : st == TRACER_DETACHING ? "detaching" : "attached");
			if (st == TRACER_ATTACHED)
				snprintf(f[n].value + strlen(f[n].value), sizeof(f[n].value) - strlen(f[n].value),
					 ", %d running", running);
			/* Calls the agent could not queue: said in the pane as
			 * they come, and here for as long as it is in. */
			long dropped = tracer_dropped(m->tracer);
			if (dropped > 0)
				snprintf(f[n].value + strlen(f[n].value), sizeof(f[n].value) - strlen(f[n].value),
					 ", %ld dropped", dropped);
			f[n++].elem = EL_HEADER_WARN;
		}
	}
	render_fields(c, y++, 0, c->w, f, n);
	if (lines >= 3) {
		/* Line 2: the command line, and where a launched program's output goes. */
		int used = canvas_put(c, 0, y, c->w, "Cmd ", EL_HEADER_LABEL);
		int logw = m->log_path[0] ? utf8_width(m->log_path) + 6 : 0;

		if (logw && c->w - used - logw < 20)
			logw = 0;
		canvas_put(c, used, y, c->w - used - logw, m->argv[0] ? m->argv : "?", EL_HEADER_VALUE);
		if (logw) {
			canvas_put(c, c->w - logw + 2, y, 4, "Log ", EL_HEADER_LABEL);
			canvas_put(c, c->w - logw + 6, y, logw - 6, m->log_path, EL_HEADER_VALUE);
		}
		y++;
	}
	if (lines < 2)
		return;

	/* Line 3: how the sampling goes. */
	n = 0;
	memset(f, 0, sizeof(f));
	f[n].label = "Rate";
	/* The last window's rate; once the target is gone, the whole run's. */
	achieved = m->exited ? m->cum_sum.achieved_rate_hz : m->win_sum.achieved_rate_hz;
	{
		/* Under 90% of the asked rate: said in words, not only in colour. */
		bool low = m->exited ? m->cum_sum.rate_low : m->win_sum.rate_low;

		snprintf(f[n].value, sizeof(f[n].value), "%.0f/%.0f Hz%s", m->rate_hz, achieved,
			 low ? " LOW" : "");
		f[n++].elem = low ? EL_HEADER_WARN : EL_HEADER_VALUE;
	}
	if (m->sess && m->sess->opt->native) {
		/* --native: how long each thread sample stops the target (as the
		 * batch header's "Native:" line), and stacks it could not finish. */
		struct sampler_stats st = m->sess->last;
		char p99[32];

		if (m->sess->sampler)
			sampler_get_stats(m->sess->sampler, &st);
		f[n].label = "Pause";
		duration_format(a, sizeof(a), (double)st.pause_median_ns / 1e9);
		duration_format(p99, sizeof(p99), (double)st.pause_p99_ns / 1e9);
		if (st.native_pauses)
			snprintf(f[n].value, sizeof(f[n].value), "%s p99 %s", a, p99);
		else
			snprintf(f[n].value, sizeof(f[n].value), "-");
		f[n++].elem = EL_HEADER_VALUE;
		if (st.native_partial + st.native_unmatched) {
			f[n].label = "Partial";
			snprintf(f[n].value, sizeof(f[n].value), "%llu",
				 (unsigned long long)(st.native_partial + st.native_unmatched));
			f[n++].elem = EL_HEADER_WARN;
		}
	}
	f[n].label = "Samples";
	snprintf(f[n].value, sizeof(f[n].value), "%llu", (unsigned long long)m->cum_sum.samples);
	f[n++].elem = EL_HEADER_VALUE;
	f[n].label = "Drops";
	snprintf(f[n].value, sizeof(f[n].value), "%llu", (unsigned long long)m->drops);
	f[n++].elem = m->drops ? EL_HEADER_WARN : EL_HEADER_VALUE;
	err_pct = m->cum_sum.samples + m->cum_sum.errors
		? 100.0 * (double)m->cum_sum.errors / (double)(m->cum_sum.samples + m->cum_sum.errors) : 0;
	f[n].label = "Errors";
	snprintf(f[n].value, sizeof(f[n].value), "%.1f%%", err_pct);
	f[n++].elem = err_pct >= 1.0 ? EL_HEADER_WARN : EL_HEADER_VALUE;
	cpu = m->target_cpu;
	f[n].label = "CPU";
	if (cpu >= 0)
		snprintf(f[n].value, sizeof(f[n].value), "%.0f%%", cpu);
	else
		snprintf(f[n].value, sizeof(f[n].value), "-");
	f[n++].elem = EL_HEADER_VALUE;
	f[n].label = "Threads";
	if (m->exited)
		snprintf(f[n].value, sizeof(f[n].value), "%zu", m->ntview);
	else
		snprintf(f[n].value, sizeof(f[n].value), "%zu running/%zu", m->nrunning, m->nlive);
	f[n++].elem = EL_HEADER_VALUE;
	if (m->sess) {
		/* Threads over the sampler's per-round limit: said, not hidden. */
		struct sampler_stats st = m->sess->last;

		if (m->sess->sampler)
			sampler_get_stats(m->sess->sampler, &st);
		if (st.threads_not_sampled) {
			f[n].label = "Unsampled";
			snprintf(f[n].value, sizeof(f[n].value), "%llu (limit %d)",
				 (unsigned long long)st.threads_not_sampled, st.thread_limit);
			f[n++].elem = EL_HEADER_WARN;
		}
		if (m->cum_sum.over_limit) {
			/* pytop's tables full: new stacks no longer counted. */
			f[n].label = "Full";
			snprintf(f[n].value, sizeof(f[n].value), "%llu not counted",
				 (unsigned long long)m->cum_sum.over_limit);
			f[n++].elem = EL_HEADER_WARN;
		}
		if (st.interps_not_sampled) {
			f[n].label = "Unsampled";
			snprintf(f[n].value, sizeof(f[n].value), "%d interpreters (limit %d)",
				 st.interps_not_sampled, st.interp_limit);
			f[n++].elem = EL_HEADER_WARN;
		}
	}
	f[n].label = "GIL";
	gilview_header(m->cumulative ? &m->cum_sum : &m->win_sum, f[n].value, sizeof(f[n].value));
	f[n++].elem = EL_HEADER_VALUE;
	if (m->sess && m->sess->gilstat) {
		f[n].label = "gilstat";
		snprintf(f[n].value, sizeof(f[n].value), "%s",
			 gilstat_mode_name(gilstat_mode(m->sess->gilstat)));
		f[n++].elem = EL_HEADER_WARN;
	}
	render_fields(c, y, 0, c->w, f, n);
}

void header_banner(struct ui_model *m, struct canvas *c, int y)
{
	char buf[256];

	if (m->exited) {
		if (m->exit_code >= 0)
			snprintf(buf, sizeof(buf), " TARGET EXITED (status %d): the data is frozen; "
				 "browse it, w saves, q quits", m->exit_code);
		else
			snprintf(buf, sizeof(buf), " TARGET EXITED: the data is frozen; browse it, "
				 "w saves, q quits");
		canvas_fill(c, 0, y, c->w, ' ', EL_BANNER_EXITED);
		canvas_put(c, 0, y, c->w, buf, EL_BANNER_EXITED);
	} else if (m->paused) {
		canvas_fill(c, 0, y, c->w, ' ', EL_BANNER_PAUSED);
		canvas_put(c, 0, y, c->w, " PAUSED: the display is frozen, sampling goes on; p resumes",
			   EL_BANNER_PAUSED);
	}
}

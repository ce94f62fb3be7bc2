/* json: the batch JSON report, written with jsonw. */
#include "output/json.h"

#include <stdlib.h>

#include "errors.h"
#include "output/jsonw.h"
#include "sampling/gilclass.h"

/* One row of "functions" (every field) or "lines" (the line's own). */
static void row(struct jsonw *w, const struct agg_row *r)
{
	jsonw_begin_object(w);
	jsonw_key(w, "name");
	jsonw_string(w, r->name);
	jsonw_key(w, "file");
	jsonw_string(w, r->file);
	jsonw_key(w, "line");
	jsonw_int(w, r->line);
	jsonw_key(w, "kind");
	jsonw_string(w, aggregate_kind_name(r->kind));
	jsonw_key(w, "own");
	jsonw_uint(w, r->cum.own);
	if (r->level == AGG_LEVEL_FUNC) {
		jsonw_key(w, "total");
		jsonw_uint(w, r->cum.total);
	}
	jsonw_key(w, "own_pct");
	jsonw_double(w, r->cum.own_pct);
	if (r->level == AGG_LEVEL_FUNC) {
		jsonw_key(w, "total_pct");
		jsonw_double(w, r->cum.total_pct);
		jsonw_key(w, "own_s");
		jsonw_double(w, r->cum.own_s);
		jsonw_key(w, "total_s");
		jsonw_double(w, r->cum.total_s);
	}
	jsonw_end_object(w);
}

/* The function rows, or the lines some samples were in (own > 0). */
static void rows(struct jsonw *w, const struct aggregate *agg, enum agg_level level)
{
	struct agg_query q = { .level = level };
	struct agg_row *r;
	size_t n = aggregate_rows(agg, &q, &r), i;

	jsonw_key(w, level == AGG_LEVEL_LINE ? "lines" : "functions");
	jsonw_begin_array(w);
	/* Sorted by own, so the lines only passed through come last. */
	for (i = 0; i < n && (level == AGG_LEVEL_FUNC || r[i].cum.own); i++)
		row(w, &r[i]);
	jsonw_end_array(w);
	free(r);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static const struct gilstat_thread *gilstat_thread(const struct gilstat_snapshot *g, uint32_t tid)
{
	for (uint32_t i = 0; g && i < g->nthreads; i++)
		if (g->threads[i].tid == tid)
			return &g->threads[i];
	return NULL;
}

/* gilstat's shares of the run and longest holds and waits of a thread (or
 * of the threads folded into one). */
static void gilstat_shares(struct jsonw *w, const struct gilstat_thread *t, const struct gilstat_snapshot *g)
{
	jsonw_key(w, "hold_pct");
	jsonw_double(w, pct(t->hold_ns, g->elapsed_ns));
	jsonw_key(w, "wait_pct");
	jsonw_double(w, pct(t->wait_ns, g->elapsed_ns));
	jsonw_key(w, "max_hold_ms");
	jsonw_double(w, ms(t->max_hold_ns));
	jsonw_key(w, "max_take_ms");
	jsonw_double(w, ms(t->max_wait_ns));
	jsonw_key(w, "long_holds");
	jsonw_uint(w, t->long_holds);
	jsonw_key(w, "long_takes");
	jsonw_uint(w, t->long_waits);
}

/* A thread's "gil": the class shares, and gilstat's numbers when it ran. */
static void thread_gil(struct jsonw *w, const struct agg_thread_counts *c, const struct gilstat_snapshot *g,
		       uint32_t tid)
{
	jsonw_key(w, "gil");
	jsonw_begin_object(w);
	for (int k = 0; k < GIL_CLASS_COUNT; k++) {
		const struct gil_class_info *gc = gilclass_info((enum gil_class)k);

		if (!gc->json_key)
			continue;
		jsonw_key(w, gc->json_key);
		jsonw_double(w, pct(c->gil[k], c->samples));
	}
	if (g) {
		static const struct gilstat_thread none;
		const struct gilstat_thread *t = gilstat_thread(g, tid);
		double el = (double)g->elapsed_ns / 1e9;
		if (!t)
			t = &none;
		jsonw_key(w, "takecnt");
		jsonw_uint(w, t->takecnt);
		jsonw_key(w, "holdavg_ms");
		jsonw_double(w, t->takecnt ? ms(t->hold_ns) / (double)t->takecnt : 0.0);
		jsonw_key(w, "holdavg_resolved");
		jsonw_bool(w, !gilstat_thread_hold_unresolved(g, t));
		jsonw_key(w, "takecnt_lower_bound");
		jsonw_bool(w, gilstat_thread_takes_lower(g, t));
		jsonw_key(w, "hold_all_ms");
		jsonw_double(w, ms(t->hold_ns));
		jsonw_key(w, "takeavg_ms");
		jsonw_double(w, t->takecnt ? ms(t->wait_ns) / (double)t->takecnt : 0.0);
		jsonw_key(w, "take_all_ms");
		jsonw_double(w, ms(t->wait_ns));
		jsonw_key(w, "takes_per_s");
		jsonw_double(w, el > 0 ? (double)t->takecnt / el : 0.0);
		jsonw_key(w, "gilstat_partial");
		jsonw_bool(w, (t->flags & GILSTAT_THREAD_PARTIAL) != 0);
		gilstat_shares(w, t, g);
	}
	jsonw_end_object(w);
}

/* Whether the JSON lists tid among its threads (and so its gilstat numbers). */
static bool listed(const struct agg_thread_row *rows, size_t n, uint32_t tid)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].tid == tid)
			return true;
	return false;
}

static void add_thread(struct gilstat_thread *sum, const struct gilstat_thread *t)
{
	sum->takecnt += t->takecnt;
	sum->hold_ns += t->hold_ns;
	sum->wait_ns += t->wait_ns;
	sum->long_holds += t->long_holds;
	sum->long_waits += t->long_waits;
	if (t->max_hold_ns > sum->max_hold_ns)
		sum->max_hold_ns = t->max_hold_ns;
	if (t->max_wait_ns > sum->max_wait_ns)
		sum->max_wait_ns = t->max_wait_ns;
}

/* gilstat's "threads_folded" (the threads whose numbers are in no entry
 * of "threads": those gilstat's table evicted, and those it still has
 * that the thread list folded or never sampled) and "totals" (every
 * thread's). */
static void gil_folded(struct jsonw *w, const struct aggregate *agg, const struct gilstat_snapshot *g)
{
	struct agg_thread_row *rows;
	size_t n = aggregate_threads(agg, NULL, &rows);
	struct gilstat_thread folded = g->folded, total = g->folded;
	uint64_t nfolded = g->threads_folded;
	double el = (double)g->elapsed_ns / 1e9;

	for (uint32_t i = 0; i < g->nthreads; i++) {
		add_thread(&total, &g->threads[i]);
		if (!listed(rows, n, g->threads[i].tid)) {
			add_thread(&folded, &g->threads[i]);
			nfolded++;
		}
	}
	free(rows);
	if (nfolded) {
		jsonw_key(w, "threads_folded");
		jsonw_begin_object(w);
		jsonw_key(w, "threads");
		jsonw_uint(w, nfolded);
		jsonw_key(w, "evicted");
		jsonw_uint(w, g->threads_folded);
		jsonw_key(w, "takecnt");
		jsonw_uint(w, folded.takecnt);
		jsonw_key(w, "takes_per_s");
		jsonw_double(w, el > 0 ? (double)folded.takecnt / el : 0.0);
		jsonw_key(w, "hold_all_ms");
		jsonw_double(w, ms(folded.hold_ns));
		jsonw_key(w, "take_all_ms");
		jsonw_double(w, ms(folded.wait_ns));
		gilstat_shares(w, &folded, g);
		jsonw_end_object(w);
	}
	jsonw_key(w, "totals");
	jsonw_begin_object(w);
	jsonw_key(w, "threads");
	jsonw_uint(w, g->nthreads + g->threads_folded);
	jsonw_key(w, "takecnt");
	jsonw_uint(w, total.takecnt);
	jsonw_key(w, "hold_all_ms");
	jsonw_double(w, ms(total.hold_ns));
	jsonw_key(w, "take_all_ms");
	jsonw_double(w, ms(total.wait_ns));
	jsonw_key(w, "hold_pct");
	jsonw_double(w, pct(total.hold_ns, g->elapsed_ns));
	jsonw_key(w, "wait_pct");
	jsonw_double(w, pct(total.wait_ns, g->elapsed_ns));
	jsonw_end_object(w);
	jsonw_key(w, "threads_partial");
	jsonw_uint(w, g->threads_partial);
	if (g->overflow) {
		jsonw_key(w, "overflow");
		jsonw_uint(w, g->overflow);
	}
	if (g->unlisted) {
		jsonw_key(w, "threads_unobserved");
		jsonw_uint(w, g->unlisted);
	}
	if (g->mode == GILSTAT_EXACT) {
		jsonw_key(w, "threads_not_followed");
		jsonw_uint(w, g->unfollowed);
		jsonw_key(w, "listing_gap_max_ms");
		jsonw_double(w, ms(g->listing_gap_ns));
	}
}

/* The run's "gil": utilisation, switch rate, and gilstat's summary. */
static void gil(struct jsonw *w, const struct aggregate *agg, const struct gilstat_snapshot *g)
{
	struct agg_summary sum;

	aggregate_summary(agg, false, &sum);
	jsonw_key(w, "gil");
	jsonw_begin_object(w);
	jsonw_key(w, "state");
	jsonw_string(w, sum.gil_disabled ? "none" : sum.gil_rounds ? "read" : "unknown");
	jsonw_key(w, "utilisation_pct");
	jsonw_double(w, sum.gil_utilisation_pct);
	jsonw_key(w, "switches_per_s");
	jsonw_double(w, sum.gil_switch_rate);
	jsonw_key(w, "rounds");
	jsonw_uint(w, sum.gil_rounds);
	jsonw_key(w, "held_rounds");
	jsonw_uint(w, sum.gil_held_rounds);
	jsonw_key(w, "conflicts");
	jsonw_uint(w, sum.gil_conflicts);
	if (g) {
		double el = (double)g->elapsed_ns / 1e9;
		jsonw_key(w, "gilstat");
		jsonw_begin_object(w);
		jsonw_key(w, "mode");
		jsonw_string(w, g->mode == GILSTAT_EXACT ? "exact" : "sampled");
		jsonw_key(w, "estimate");
		jsonw_bool(w, g->mode != GILSTAT_EXACT);
		jsonw_key(w, "resolution_ms");
		jsonw_double(w, ms(g->resolution_ns));
		jsonw_key(w, "rate_hz");
		jsonw_double(w, g->rate_hz);
		jsonw_key(w, "achieved_hz");
		jsonw_double(w, g->achieved_hz);
		jsonw_key(w, "duration_s");
		jsonw_double(w, el);
		jsonw_key(w, "switches");
		jsonw_uint(w, g->switches);
		jsonw_key(w, "switches_per_s");
		jsonw_double(w, el > 0 ? (double)g->switches / el : 0.0);
		uint64_t given;
		gilstat_takes_lower_bound(g, &given);
		jsonw_key(w, "takes_given");
		jsonw_uint(w, given);
		/* As every sampled thread's, not only when fewer than 95% of
		 * the switches were given (gilstat_takes_lower_bound). */
		jsonw_key(w, "takecnt_lower_bound");
		jsonw_bool(w, g->mode == GILSTAT_SAMPLED);
		jsonw_key(w, "events");
		jsonw_uint(w, g->events);
		jsonw_key(w, "lost");
		jsonw_uint(w, g->lost);
		gil_folded(w, agg, g);
		jsonw_key(w, "late");
		jsonw_uint(w, g->late);
		jsonw_key(w, "cpu_s");
		jsonw_double(w, (double)g->cpu_ns / 1e9);
		jsonw_key(w, "take_warn_ms");
		jsonw_double(w, ms(g->take_warn_ns));
		jsonw_key(w, "hold_warn_ms");
		jsonw_double(w, ms(g->hold_warn_ns));
		jsonw_key(w, "warnings");
		jsonw_uint(w, g->nwarnings);
		jsonw_key(w, "recent_warnings");
		jsonw_begin_array(w);
		for (uint32_t i = 0; i < g->nrecent; i++) {
			const struct gilstat_warning *x = &g->recent[i];
			jsonw_begin_object(w);
			jsonw_key(w, "tid");
			jsonw_uint(w, x->tid);
			jsonw_key(w, "kind");
			jsonw_string(w, x->kind == GILSTAT_WARN_HOLD ? "hold" : "take");
			jsonw_key(w, "duration_ms");
			jsonw_double(w, ms(x->duration_ns));
			jsonw_key(w, "at_s");
			jsonw_double(w, x->time_ns > g->start_ns ? (double)(x->time_ns - g->start_ns) / 1e9 : 0.0);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
		jsonw_end_object(w);
	}
	jsonw_end_object(w);
}

/* A thread row's counts: samples, times, states, GIL holding (also the
 * ended threads folded into one count). */
static void thread_counts(struct jsonw *w, const struct agg_thread_counts *c)
{
	jsonw_key(w, "samples");
	jsonw_uint(w, c->samples);
	jsonw_key(w, "time_s");
	jsonw_double(w, (double)c->counted_ns / 1e9);
	jsonw_key(w, "cpu_s");
	jsonw_double(w, (double)c->cpu_ns / 1e9);
	jsonw_key(w, "wall_s");
	jsonw_double(w, (double)c->wall_ns / 1e9);
	jsonw_key(w, "states");
	jsonw_begin_object(w);
	jsonw_key(w, "running");
	jsonw_uint(w, c->states[THREAD_RUNNING]);
	jsonw_key(w, "idle");
	jsonw_uint(w, c->states[THREAD_IDLE]);
	jsonw_key(w, "gil_wait");
	jsonw_uint(w, c->states[THREAD_GIL_WAIT]);
	jsonw_key(w, "unknown");
	jsonw_uint(w, c->states[THREAD_UNKNOWN]);
	jsonw_end_object(w);
	jsonw_key(w, "holding_gil");
	jsonw_uint(w, c->holding_gil);
}

static void threads(struct jsonw *w, const struct aggregate *agg, const struct gilstat_snapshot *g)
{
	struct agg_thread_row *rows;
	size_t n = aggregate_threads(agg, NULL, &rows), i;

	jsonw_key(w, "threads");
	jsonw_begin_array(w);
	for (i = 0; i < n; i++) {
		const struct agg_thread_counts *c = &rows[i].cum;

		jsonw_begin_object(w);
		jsonw_key(w, "tid");
		jsonw_uint(w, rows[i].tid);
		jsonw_key(w, "name");
		jsonw_string(w, rows[i].name);
		thread_counts(w, c);
		thread_gil(w, c, g, rows[i].tid);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	free(rows);
}

int json_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *m)
{
	struct jsonw *w = jsonw_new(f);
	int err;

	jsonw_set_pretty(w, 2);
	jsonw_begin_object(w);
	jsonw_key(w, "pytop");
	jsonw_string(w, m->version ? m->version : "");
	jsonw_key(w, "target");
	jsonw_begin_object(w);
	jsonw_key(w, "pid");
	jsonw_int(w, m->pid);
	jsonw_key(w, "python");
	jsonw_string(w, m->python ? m->python : "");
	jsonw_key(w, "argv");
	jsonw_string(w, m->argv ? m->argv : "");
	jsonw_end_object(w);
	jsonw_key(w, "duration_s");
	jsonw_double(w, m->duration_s);
	jsonw_key(w, "samples");
	jsonw_uint(w, m->samples);
	jsonw_key(w, "rate_hz");
	jsonw_double(w, m->rate_hz);
	jsonw_key(w, "achieved_rate_hz");
	jsonw_double(w, m->achieved_rate_hz);
	jsonw_key(w, "rate_low");
	jsonw_bool(w, m->rate_low);
	if (m->target_stopped) {
		jsonw_key(w, "target_stopped");
		jsonw_bool(w, true);
	}
	jsonw_key(w, "sampled_s");
	jsonw_double(w, m->sampled_s);
	jsonw_key(w, "dropped");
	jsonw_uint(w, m->dropped);
	jsonw_key(w, "errors");
	jsonw_uint(w, m->errors);
	jsonw_key(w, "unidentified");
	jsonw_uint(w, m->unidentified);
	if (m->threads_folded) {
		/* Ended threads past the ones listed: counted in every total,
		 * no row each (a long run of a thread-per-request server). */
		jsonw_key(w, "threads_folded");
		jsonw_begin_object(w);
		jsonw_key(w, "threads");
		jsonw_uint(w, m->threads_folded);
		thread_counts(w, &m->folded);
		thread_gil(w, &m->folded, NULL, 0);
		jsonw_end_object(w);
	}
	if (m->over_limit) {
		jsonw_key(w, "over_limit");
		jsonw_uint(w, m->over_limit);
		jsonw_key(w, "entries_limit");
		jsonw_uint(w, m->entries_max);
	}
	jsonw_key(w, "mode");
	jsonw_string(w, m->mode ? m->mode : "");
	if (m->note) {
		jsonw_key(w, "note");
		jsonw_string(w, m->note);
	}
	if (m->thread_limit > 0) {
		/* The threads a round could not sample (more than the limit). */
		jsonw_key(w, "thread_limit");
		jsonw_int(w, m->thread_limit);
		jsonw_key(w, "threads_not_sampled");
		jsonw_uint(w, m->threads_not_sampled);
	}
	if (m->interps_not_sampled) {
		jsonw_key(w, "interpreter_limit");
		jsonw_int(w, m->interp_limit);
		jsonw_key(w, "interpreters_not_sampled");
		jsonw_int(w, m->interps_not_sampled);
	}
	if (m->sampler_cpu_s > 0) {
		/* Written whenever the sampler ran, so a run that lost every
		 * sample still says why (errors_by_kind); the per-sample costs
		 * are null without a sample to divide by. */
		jsonw_key(w, "overhead");
		jsonw_begin_object(w);
		jsonw_key(w, "sampler_cpu_s");
		jsonw_double(w, m->sampler_cpu_s);
		jsonw_key(w, "us_per_sample");
		if (m->samples > 0)
			jsonw_double(w, m->sampler_cpu_s * 1e6 / (double)m->samples);
		else
			jsonw_null(w);
		jsonw_key(w, "reads_per_sample");
		if (m->samples > 0)
			jsonw_double(w, (double)m->reads / (double)m->samples);
		else
			jsonw_null(w);
		jsonw_key(w, "states_reused");
		jsonw_uint(w, m->state_reused);
		jsonw_key(w, "state_mismatches");
		jsonw_uint(w, m->state_mismatches);
		jsonw_key(w, "stacks_kept");
		jsonw_uint(w, m->stacks_kept);
		jsonw_key(w, "stack_mismatches");
		jsonw_uint(w, m->stack_mismatches);
		jsonw_key(w, "schedstat_skipped");
		jsonw_uint(w, m->schedstat_skipped);
		jsonw_key(w, "switch_mismatches");
		jsonw_uint(w, m->switch_mismatches);
		jsonw_key(w, "confirms_skipped");
		jsonw_uint(w, m->confirms_skipped);
		jsonw_key(w, "confirm_mismatches");
		jsonw_uint(w, m->confirm_mismatches);
		jsonw_key(w, "reopened_reads");
		jsonw_uint(w, m->reopened_reads);
		jsonw_key(w, "walks_retried");
		jsonw_uint(w, m->walks_retried);
		jsonw_key(w, "lists_resumed");
		jsonw_uint(w, m->lists_resumed);
		jsonw_key(w, "off_cpu_samples");
		jsonw_uint(w, m->off_cpu_samples);
		jsonw_key(w, "sched_reads");
		jsonw_uint(w, m->sched_reads);
		jsonw_key(w, "late_samples");
		jsonw_uint(w, m->late_samples);
		jsonw_key(w, "errors_by_kind");
		jsonw_begin_object(w);
		for (int i = 0; i < ERR_KINDS; i++) {
			jsonw_key(w, error_kind_names[i]);
			jsonw_uint(w, m->errors_kind[i]);
		}
		jsonw_end_object(w);
		jsonw_end_object(w);
	}
	if (m->native) {
		jsonw_key(w, "native");
		jsonw_begin_object(w);
		jsonw_key(w, "pauses");
		jsonw_uint(w, m->native_pauses);
		jsonw_key(w, "pause_median_us");
		jsonw_double(w, m->pause_median_us);
		jsonw_key(w, "pause_p99_us");
		jsonw_double(w, m->pause_p99_us);
		jsonw_key(w, "partial");
		jsonw_uint(w, m->native_partial);
		jsonw_key(w, "unmatched");
		jsonw_uint(w, m->native_unmatched);
		/* Where the stops went (the thread's state at the round's
		 * start), the time they took, and the stops saved. */
		static const char *const stop_keys[] = { "stops_gil_holder", "stops_gil_waiter", "stops_blocked",
							 "stops_running", "stops_unknown", "stops_failed" };
		for (int i = 0; i < 6; i++) {
			jsonw_key(w, stop_keys[i]);
			jsonw_uint(w, m->native_counts[NC_STOP_HOLDER + i]);
		}
		jsonw_key(w, "stop_wait_s");
		jsonw_double(w, (double)m->native_counts[NC_STOP_NS] / 1e9);
		jsonw_key(w, "stopped_unwind_s");
		jsonw_double(w, (double)m->native_counts[NC_UNWIND_NS] / 1e9);
		jsonw_key(w, "resume_s");
		jsonw_double(w, (double)m->native_counts[NC_RESUME_NS] / 1e9);
		jsonw_key(w, "gil_holder_stopped_s");
		jsonw_double(w, (double)m->native_counts[NC_HOLDER_NS] / 1e9);
		jsonw_key(w, "reused");
		jsonw_uint(w, m->native_counts[NC_REUSED]);
		jsonw_key(w, "reuse_checked");
		jsonw_uint(w, m->native_counts[NC_REUSE_CHECKED]);
		jsonw_key(w, "reuse_mismatches");
		jsonw_uint(w, m->native_counts[NC_REUSE_BAD]);
		jsonw_end_object(w);
	}
	rows(w, agg, AGG_LEVEL_FUNC);
	rows(w, agg, AGG_LEVEL_LINE);
	threads(w, agg, m->gilstat);
	gil(w, agg, m->gilstat);
	jsonw_end_object(w);
	err = jsonw_free(w);
	putc('\n', f);
	if (!err && ferror(f))
		err = PYTOP_EIO;
	return err;
}

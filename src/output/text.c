/* text: the `top -b`-like batch report. */
#include "output/text.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "output/escape.h"
#include "sampling/gilclass.h"
#include "util/duration.h"

/* Write s (NULL as empty) escaped (escape_fputs), so a strange name can
 * neither break the layout nor reach the terminal raw; returns its width. */
static size_t put(FILE *f, const char *s)
{
	return escape_fputs(f, s);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void header(FILE *f, const struct snapshot_meta *m)
{
	char t[32];

	fputs("pytop ", f);
	put(f, m->version);
	fprintf(f, " - pid %d, mode ", m->pid);
	put(f, m->mode);
	fputs("\nCommand:  ", f);
	put(f, m->argv);
	fputs("\nPython:   ", f);
	put(f, m->python);
	putc('\n', f);
	fprintf(f, "Duration: %s\n", duration_format(t, sizeof(t), m->duration_s));
	fprintf(f, "Samples:  %" PRIu64 " (%.1f Hz achieved, %.1f Hz configured)\n",
		m->samples, m->achieved_rate_hz, m->rate_hz);
	fprintf(f, "Dropped:  %" PRIu64 "\n", m->dropped);
	fprintf(f, "Errors:   %" PRIu64, m->errors);
	uint64_t kinds = 0;
	for (int i = 0; i < ERR_KINDS; i++)
		kinds += m->errors_kind[i];
	if (m->errors > 0 && kinds == m->errors)   /* a single snapshot (not --every's interval) */
		for (int i = 0; i < ERR_KINDS; i++)
			fprintf(f, "%s%" PRIu64 " %s%s", i ? ", " : " (", m->errors_kind[i], error_kind_names[i],
				i == ERR_KINDS - 1 ? ")" : "");
	putc('\n', f);
	if (m->note) {
		fputs("Note:     ", f);
		put(f, m->note);
		putc('\n', f);
	}
	if (m->threads_not_sampled)
		fprintf(f, "Limit:    %" PRIu64 " threads not sampled (a round samples at most %d)\n",
			m->threads_not_sampled, m->thread_limit);
	if (m->interps_not_sampled)
		fprintf(f, "Limit:    %d interpreters not sampled (at most %d: the main one and the newest)\n",
			m->interps_not_sampled, m->interp_limit);
	if (m->rate_low)
		fprintf(f, "WARNING:  sampling at %.1f Hz, under 90%% of the %.1f Hz asked for "
			"(the target has many threads or the machine is busy); times are measured, "
			"not samples x interval\n", m->achieved_rate_hz, m->rate_hz);
	if (m->target_stopped)
		fprintf(f, "WARNING:  the target is stopped (SIGSTOP or a debugger): its threads do not run, "
			"and a GIL holder among them reads HoldBlk\n");
	if (m->unidentified)
		fprintf(f, "Left out: %" PRIu64 " samples of thread states not yet tied to a kernel thread\n",
			m->unidentified);
	if (m->threads_folded) {
		char cpu[32];
		fprintf(f, "Folded:   %" PRIu64 " ended threads into one count (%" PRIu64 " samples, %s CPU): "
			"in every total, one \"(N folded)\" row in the thread tables\n", m->threads_folded,
			m->folded.samples, duration_format(cpu, sizeof(cpu), (double)m->folded.cpu_ns / 1e9));
	}
	if (m->over_limit)
		fprintf(f, "Limit:    %" PRIu64 " samples not counted: their stacks were new after pytop's "
			"tables reached %" PRIu64 " entries\n", m->over_limit, m->entries_max);
	if (m->sampler_cpu_s > 0 && m->samples > 0)
		fprintf(f, "Overhead: %.1f us sampler CPU and %.2f reads per thread-sample\n",
			m->sampler_cpu_s * 1e6 / (double)m->samples, (double)m->reads / (double)m->samples);
	if (m->native)
		fprintf(f, "Native:   pause per thread sample: median %.0f us, p99 %.0f us (%" PRIu64 " pauses); "
			"%" PRIu64 " stacks partial, %" PRIu64 " unmatched (marked)\n",
			m->pause_median_us, m->pause_p99_us, m->native_pauses, m->native_partial, m->native_unmatched);
}

static void functions(FILE *f, const struct aggregate *agg)
{
	struct agg_row *rows;
	size_t n = aggregate_rows(agg, NULL, &rows), i;
	char own[32], total[32];

	fprintf(f, "\n%6s %7s %8s %10s  %s\n", "%Own", "%Total", "OwnTime", "TotalTime",
		"Function (file:line)");
	for (i = 0; i < n; i++) {
		const struct agg_row *r = &rows[i];

		fprintf(f, "%6.1f %7.1f %8s %10s  ", r->cum.own_pct, r->cum.total_pct,
			duration_format(own, sizeof(own), r->cum.own_s),
			duration_format(total, sizeof(total), r->cum.total_s));
		put(f, r->name);
		fputs(" (", f);
		put(f, r->file);
		if (r->kind == FUNC_KIND_NATIVE)
			fputs(")\n", f);   /* a C function: its library, no line */
		else
			fprintf(f, ":%d)\n", r->line);
	}
	if (n == 0)
		fprintf(f, "(no samples)\n");
	free(rows);
}

/* A name column of 16 (control characters escaped). */
static void put_name(FILE *f, const char *name)
{
	size_t len;

	name = name && name[0] ? name : "-";
	len = put(f, name);
	fprintf(f, "%*s", len < 16 ? (int)(16 - len) : 0, "");
}

/* The TID and Name columns of a row: a thread's, or (tid NULL) the ended
 * threads folded into one count. */
static void row_head(FILE *f, const uint32_t *tid, const char *name, uint64_t folded)
{
	char label[32];

	if (tid) {
		fprintf(f, "%8" PRIu32 "  ", *tid);
		put_name(f, name);
		return;
	}
	snprintf(label, sizeof label, "(%" PRIu64 " folded)", folded);
	fprintf(f, "%8s  %-16s", "-", label);
}

static void thread_line(FILE *f, const struct agg_thread_counts *c)
{
	char cpu[32], tm[32];

	fprintf(f, " %8" PRIu64 " %7.1f%% %7.1f%% %7.1f%% %7.1f%% %8s %8s\n", c->samples,
		pct(c->states[THREAD_RUNNING], c->samples),
		pct(c->states[THREAD_IDLE], c->samples),
		pct(c->states[THREAD_GIL_WAIT], c->samples),
		pct(c->holding_gil, c->samples),
		c->cpu_ns ? duration_format(cpu, sizeof(cpu), (double)c->cpu_ns / 1e9) : "-",
		duration_format(tm, sizeof(tm), (double)c->counted_ns / 1e9));
}

/* Every thread's row, and the folded threads' one last. */
static void threads(FILE *f, const struct aggregate *agg, const struct snapshot_meta *m)
{
	struct agg_thread_row *rows;
	size_t n = aggregate_threads(agg, NULL, &rows), i;

	fprintf(f, "\n%8s  %-16s %8s %8s %8s %8s %8s %8s %8s\n", "TID", "Name", "Samples", "Running",
		"Idle", "GILWait", "HasGIL", "CPU", "Time");
	for (i = 0; i < n; i++) {
		row_head(f, &rows[i].tid, rows[i].name, 0);
		thread_line(f, &rows[i].cum);
	}
	if (m->threads_folded) {
		row_head(f, NULL, NULL, m->threads_folded);
		thread_line(f, &m->folded);
	}
	free(rows);
}

/* A row of GIL class shares; whether it has the holding-blocked mark. */
static bool gil_line(FILE *f, const struct agg_thread_counts *c)
{
	double hb = pct(c->gil[GIL_HOLDING_BLOCKED], c->samples);

	for (int k = 0; k < GIL_CLASS_COUNT; k++)
		if (gilclass_info((enum gil_class)k)->column)
			fprintf(f, " %7.1f%%", pct(c->gil[k], c->samples));
	fprintf(f, "%s\n", hb >= 1.0 ? "  !" : "");
	return hb >= 1.0;
}

/* The GIL class shares of every thread. */
static void gil_threads(FILE *f, const struct aggregate *agg, const struct snapshot_meta *m)
{
	struct agg_thread_row *rows;
	struct agg_summary sum;
	size_t n = aggregate_threads(agg, NULL, &rows), i;
	bool blocked = false;
	int k;

	aggregate_summary(agg, false, &sum);
	if (sum.gil_disabled) {
		fputs("\nGIL: none (a free-threaded build running without the GIL)\n", f);
		free(rows);
		return;
	}
	if (sum.gil_rounds)
		fprintf(f, "\nGIL: held %.1f%% of the time, %.1f switches/s\n", sum.gil_utilisation_pct,
			sum.gil_switch_rate);
	else
		fputs("\nGIL: state not read\n", f);
	/* A column per class with a text column (sampling/gilclass.h). */
	fprintf(f, "%8s  %-16s", "TID", "Name");
	for (k = 0; k < GIL_CLASS_COUNT; k++)
		if (gilclass_info((enum gil_class)k)->column)
			fprintf(f, " %8s", gilclass_info((enum gil_class)k)->column);
	fputc('\n', f);
	for (i = 0; i < n; i++) {
		row_head(f, &rows[i].tid, rows[i].name, 0);
		blocked |= gil_line(f, &rows[i].cum);
	}
	if (m->threads_folded) {
		row_head(f, NULL, NULL, m->threads_folded);
		blocked |= gil_line(f, &m->folded);
	}
	if (blocked)   /* the worst case: say what the mark means */
		fprintf(f, "! %s: %s\n", gilclass_info(GIL_HOLDING_BLOCKED)->column,
			gilclass_info(GIL_HOLDING_BLOCKED)->description);
	free(rows);
}

static const char *thread_name(const struct agg_thread_row *rows, size_t n, uint32_t tid)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].tid == tid)
			return rows[i].name;
	return "";
}

static double ratio(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 0.0;
}

/* Whether any thread's sampled holds are shorter than a tick. */
static bool short_holds(const struct gilstat_snapshot *g)
{
	for (uint32_t i = 0; i < g->nthreads; i++)
		if (gilstat_thread_hold_unresolved(g, &g->threads[i]))
			return true;
	return g->threads_folded && gilstat_thread_hold_unresolved(g, &g->folded);
}

/* One line of the gilstat table. */
static void gilstat_row(FILE *f, const struct gilstat_snapshot *g, const struct gilstat_thread *t, const char *tid,
			const char *name)
{
	double el = (double)g->elapsed_ns / 1e9;
	double hold = (double)t->hold_ns / 1e9, wait = (double)t->wait_ns / 1e9;
	char a[32], b[32], c[32], d[32], cnt[32], ha[40], ta[40];
	bool tlower = gilstat_thread_takes_lower(g, t);
	bool alower = gilstat_thread_avgs_upper(g, t);
	double havg = ratio(t->hold_ns, t->takecnt);

	fprintf(f, "%8s  ", tid);
	put_name(f, name);
	snprintf(cnt, sizeof(cnt), "%s%" PRIu64, tlower ? ">=" : "", t->takecnt);
	/* A sampled hold shorter than a tick is not measured: say so. */
	if (gilstat_thread_hold_unresolved(g, t))
		snprintf(ha, sizeof(ha), "<%s", duration_format(a, sizeof(a), (double)g->resolution_ns / 1e9));
	else
		snprintf(ha, sizeof(ha), "%s%s", alower ? "<=" : "", duration_format(a, sizeof(a), havg / 1e9));
	snprintf(ta, sizeof(ta), "%s%s", alower ? "<=" : "",
		 duration_format(c, sizeof(c), ratio(t->wait_ns, t->takecnt) / 1e9));
	fprintf(f, " %8s %8.1f %8s %8s %8s %8s %6.1f%% %6.1f%%\n", cnt,
		el > 0 ? (double)t->takecnt / el : 0.0, ha,
		duration_format(b, sizeof(b), hold), ta,
		duration_format(d, sizeof(d), wait),
		100.0 * ratio(t->hold_ns, g->elapsed_ns), 100.0 * ratio(t->wait_ns, g->elapsed_ns));
}

#define LISTING_GAP_SAY_NS 100000000ull   /* exact: a longer gap between thread listings is said */

/* The gilstat table (flight_profiler's columns) and its warnings. */
static void gilstat(FILE *f, const struct aggregate *agg, const struct gilstat_snapshot *g)
{
	struct agg_thread_row *rows;
	size_t n = aggregate_threads(agg, NULL, &rows), i;
	char a[32], b[32], c[32], d[32];
	double el = (double)g->elapsed_ns / 1e9;
	uint64_t given;
	bool lower = gilstat_takes_lower_bound(g, &given);

	if (g->mode == GILSTAT_EXACT)
		fprintf(f, "\ngilstat: exact (uprobes on take_gil/drop_gil), over %s, %.1f switches/s; %" PRIu64
			" events, %" PRIu64 " lost\n", duration_format(a, sizeof(a), el),
			el > 0 ? (double)g->switches / el : 0.0, g->events, g->lost);
	else
		fprintf(f, "\ngilstat: sampled estimate, resolution %s (%.0f Hz, %.1f Hz achieved), over %s, "
			"%.1f switches/s\n", duration_format(a, sizeof(a), (double)g->resolution_ns / 1e9),
			g->rate_hz, g->achieved_hz, duration_format(b, sizeof(b), el),
			el > 0 ? (double)g->switches / el : 0.0);
	if (lower)
		fprintf(f, "Only %" PRIu64 " of the %" PRIu64 " acquisitions were seen by thread (the rest too "
			"short for the ticks): takecnt is a lower bound (>=), holdavg and takeavg upper "
			"bounds (<=); --gilstat=exact counts every one\n", given, g->switches);
	else if (g->mode == GILSTAT_SAMPLED)
		fprintf(f, "A thread that lets the GIL go and takes it back between two ticks (a short system "
			"call or C call, nobody taking it meanwhile) is not seen doing so: takecnt is a lower "
			"bound (>=), holdavg and takeavg upper bounds (<=), to a tick's resolution%s; "
			"--gilstat=exact counts every one\n",
			short_holds(g) ? ", holds under the resolution not measured (<)" : "");
	fprintf(f, "%8s  %-16s %8s %8s %8s %8s %8s %8s %7s %7s\n", "TID", "Name", "takecnt", "takes/s",
		"holdavg", "hold_all", "takeavg", "take_all", "hold%", "wait%");
	for (i = 0; i < g->nthreads; i++) {
		char tid[16];

		snprintf(tid, sizeof(tid), "%" PRIu32 "%s", g->threads[i].tid,
			 g->threads[i].flags & GILSTAT_THREAD_PARTIAL ? "*" : "");
		gilstat_row(f, g, &g->threads[i], tid, thread_name(rows, n, g->threads[i].tid));
	}
	if (g->threads_folded) {
		/* The threads evicted from gilstat's table (the quietest idle
		 * ones, mostly ended): one row, in every total. */
		char name[40];

		snprintf(name, sizeof(name), "(%" PRIu64 " threads)", g->threads_folded);
		gilstat_row(f, g, &g->folded, "ended", name);
	}
	if (g->threads_partial)
		fprintf(f, "* %" PRIu64 " %s evicted from gilstat's table of %d while alive (no ended thread "
			"to evict) and back: %s only what %s did since, the rest is in the ended row\n",
			g->threads_partial, g->threads_partial == 1 ? "thread was" : "threads were", GILSTAT_MAX_THREADS,
			g->threads_partial == 1 ? "its row holds" : "their rows hold",
			g->threads_partial == 1 ? "it" : "they");
	if (g->overflow)
		fprintf(f, "%" PRIu64 " %s not accounted: gilstat's table of %d threads was full of busy threads\n",
			g->overflow, g->mode == GILSTAT_EXACT ? "events" : "thread observations", GILSTAT_MAX_THREADS);
	if (g->unlisted)
		fprintf(f, "%" PRIu64 " threads past the first %d not observed (their waits not seen)\n",
			g->unlisted, GILSTAT_LIST_MAX);
	if (g->mode == GILSTAT_EXACT && g->listing_gap_ns > LISTING_GAP_SAY_NS)
		fprintf(f, "The target's threads went unlisted for up to %s (gilstat's thread held up): "
			"a thread that started and ended within that time would not be seen\n",
			duration_format(a, sizeof(a), (double)g->listing_gap_ns / 1e9));
	if (g->unfollowed)
		fprintf(f, "%" PRIu64 " threads not followed (they ended before their uprobe events were open, "
			"or the open failed: their takes not seen)\n", g->unfollowed);
	if (g->hold_warn_ns)
		snprintf(c, sizeof(c), "over %s", duration_format(a, sizeof(a), (double)g->hold_warn_ns / 1e9));
	else
		snprintf(c, sizeof(c), "off");
	if (g->take_warn_ns)
		snprintf(d, sizeof(d), "over %s", duration_format(a, sizeof(a), (double)g->take_warn_ns / 1e9));
	else
		snprintf(d, sizeof(d), "off");
	if (g->nwarnings == 0) {
		fprintf(f, "Warnings: none (holds %s, waits %s)\n", c, d);
	} else {
		fprintf(f, "Warnings: %" PRIu64 " (holds %s, waits %s); the latest:\n", g->nwarnings, c, d);
		for (i = g->nrecent > 10 ? g->nrecent - 10 : 0; i < g->nrecent; i++) {
			const struct gilstat_warning *w = &g->recent[i];
			double at = w->time_ns > g->start_ns ? (double)(w->time_ns - g->start_ns) / 1e9 : 0;

			fprintf(f, "  at %s: tid %" PRIu32 " %s the GIL for %s\n",
				duration_format(a, sizeof(a), at), w->tid,
				w->kind == GILSTAT_WARN_HOLD ? "held" : "waited for",
				duration_format(b, sizeof(b), (double)w->duration_ns / 1e9));
		}
	}
	free(rows);
}

int text_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta)
{
	header(f, meta);
	functions(f, agg);
	threads(f, agg, meta);
	gil_threads(f, agg, meta);
	if (meta->gilstat)
		gilstat(f, agg, meta->gilstat);
	return ferror(f) ? PYTOP_EIO : 0;
}

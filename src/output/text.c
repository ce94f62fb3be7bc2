/* text: the `top -b`-like batch report. */
#include "output/text.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

const char *text_format_time(char *buf, size_t len, double seconds)
{
	long long us, v;

	if (!(seconds > 0) || seconds > 1e12) {
		snprintf(buf, len, seconds > 0 ? "inf" : "0s");
		return buf;
	}
	/* Integer steps so rounding never prints "1000ms" or "60.00s". */
	us = llround(seconds * 1e6);
	if (us == 0)
		snprintf(buf, len, "0s");
	else if (us < 1000)
		snprintf(buf, len, "%lldus", us);
	else if ((v = (us + 50) / 100) < 100)
		snprintf(buf, len, "%lld.%lldms", v / 10, v % 10);
	else if ((v = (us + 500) / 1000) < 1000)
		snprintf(buf, len, "%lldms", v);
	else if ((v = (us + 5000) / 10000) < 6000)
		snprintf(buf, len, "%lld.%02llds", v / 100, v % 100);
	else if ((v = (us + 500000) / 1000000) < 3600)
		snprintf(buf, len, "%lldm%02llds", v / 60, v % 60);
	else
		snprintf(buf, len, "%lldh%02lldm", (v + 30) / 3600, (v + 30) / 60 % 60);
	return buf;
}

/* Write s (NULL as empty) with control characters shown as '?', so a
 * strange name cannot break the layout. */
static void put(FILE *f, const char *s)
{
	for (; s && *s; s++)
		putc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
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
	fprintf(f, "Duration: %s\n", text_format_time(t, sizeof(t), m->duration_s));
	fprintf(f, "Samples:  %" PRIu64 " (%.1f Hz achieved, %.1f Hz configured)\n",
		m->samples, m->achieved_rate_hz, m->rate_hz);
	fprintf(f, "Dropped:  %" PRIu64 "\n", m->dropped);
	fprintf(f, "Errors:   %" PRIu64 "\n", m->errors);
	if (m->sampler_cpu_s > 0 && m->samples > 0)
		fprintf(f, "Overhead: %.1f us sampler CPU and %.2f reads per thread-sample\n",
			m->sampler_cpu_s * 1e6 / (double)m->samples, (double)m->reads / (double)m->samples);
}

static void functions(FILE *f, const struct aggregate *agg)
{
	struct agg_func_row *rows;
	size_t n = aggregate_functions(agg, NULL, &rows), i;
	char own[32], total[32];

	fprintf(f, "\n%6s %7s %8s %10s  %s\n", "%Own", "%Total", "OwnTime", "TotalTime",
		"Function (file:line)");
	for (i = 0; i < n; i++) {
		const struct agg_func_row *r = &rows[i];

		fprintf(f, "%6.1f %7.1f %8s %10s  ", r->cum.own_pct, r->cum.total_pct,
			text_format_time(own, sizeof(own), r->cum.own_s),
			text_format_time(total, sizeof(total), r->cum.total_s));
		put(f, r->name);
		fputs(" (", f);
		put(f, r->file);
		fprintf(f, ":%d)\n", r->line);
	}
	if (n == 0)
		fprintf(f, "(no samples)\n");
	free(rows);
}

static void threads(FILE *f, const struct aggregate *agg)
{
	struct agg_thread_row *rows;
	size_t n = aggregate_threads(agg, NULL, &rows), i;

	fprintf(f, "\n%8s  %-16s %8s %8s %8s %8s %8s\n", "TID", "Name", "Samples", "Running",
		"Idle", "GILWait", "HasGIL");
	for (i = 0; i < n; i++) {
		const struct agg_thread_counts *c = &rows[i].cum;

		const char *name = rows[i].name[0] ? rows[i].name : "-";
		size_t len = strlen(name);

		fprintf(f, "%8" PRIu32 "  ", rows[i].tid);
		put(f, name);
		fprintf(f, "%*s %8" PRIu64 " %7.1f%% %7.1f%% %7.1f%% %7.1f%%\n",
			len < 16 ? (int)(16 - len) : 0, "", c->samples,
			pct(c->states[THREAD_RUNNING], c->samples),
			pct(c->states[THREAD_IDLE], c->samples),
			pct(c->states[THREAD_GIL_WAIT], c->samples),
			pct(c->holding_gil, c->samples));
	}
	free(rows);
}

int text_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta)
{
	header(f, meta);
	functions(f, agg);
	threads(f, agg);
	return ferror(f) ? PYTOP_EIO : 0;
}

/* json: the batch JSON report, written with jsonw. */
#include "output/json.h"

#include <stdlib.h>

#include "errors.h"
#include "output/jsonw.h"

static void functions(struct jsonw *w, const struct aggregate *agg)
{
	struct agg_func_row *rows;
	size_t n = aggregate_functions(agg, NULL, &rows), i;

	jsonw_key(w, "functions");
	jsonw_begin_array(w);
	for (i = 0; i < n; i++) {
		const struct agg_func_row *r = &rows[i];

		jsonw_begin_object(w);
		jsonw_key(w, "name");
		jsonw_string(w, r->name);
		jsonw_key(w, "file");
		jsonw_string(w, r->file);
		jsonw_key(w, "line");
		jsonw_int(w, r->line);
		jsonw_key(w, "own");
		jsonw_uint(w, r->cum.own);
		jsonw_key(w, "total");
		jsonw_uint(w, r->cum.total);
		jsonw_key(w, "own_pct");
		jsonw_double(w, r->cum.own_pct);
		jsonw_key(w, "total_pct");
		jsonw_double(w, r->cum.total_pct);
		jsonw_key(w, "own_s");
		jsonw_double(w, r->cum.own_s);
		jsonw_key(w, "total_s");
		jsonw_double(w, r->cum.total_s);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	free(rows);
}

static void lines(struct jsonw *w, const struct aggregate *agg)
{
	struct agg_line_row *rows;
	size_t n = aggregate_lines(agg, NULL, &rows), i;

	jsonw_key(w, "lines");
	jsonw_begin_array(w);
	/* Sorted by own, so the lines only passed through come last. */
	for (i = 0; i < n && rows[i].cum.own; i++) {
		const struct agg_line_row *r = &rows[i];

		jsonw_begin_object(w);
		jsonw_key(w, "name");
		jsonw_string(w, r->name);
		jsonw_key(w, "file");
		jsonw_string(w, r->file);
		jsonw_key(w, "line");
		jsonw_int(w, r->line);
		jsonw_key(w, "own");
		jsonw_uint(w, r->cum.own);
		jsonw_key(w, "own_pct");
		jsonw_double(w, r->cum.own_pct);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	free(rows);
}

static void threads(struct jsonw *w, const struct aggregate *agg)
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
		jsonw_key(w, "samples");
		jsonw_uint(w, c->samples);
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
	jsonw_key(w, "dropped");
	jsonw_uint(w, m->dropped);
	jsonw_key(w, "errors");
	jsonw_uint(w, m->errors);
	jsonw_key(w, "mode");
	jsonw_string(w, m->mode ? m->mode : "");
	if (m->sampler_cpu_s > 0 && m->samples > 0) {
		jsonw_key(w, "overhead");
		jsonw_begin_object(w);
		jsonw_key(w, "sampler_cpu_s");
		jsonw_double(w, m->sampler_cpu_s);
		jsonw_key(w, "us_per_sample");
		jsonw_double(w, m->sampler_cpu_s * 1e6 / (double)m->samples);
		jsonw_key(w, "reads_per_sample");
		jsonw_double(w, (double)m->reads / (double)m->samples);
		jsonw_end_object(w);
	}
	functions(w, agg);
	lines(w, agg);
	threads(w, agg);
	jsonw_end_object(w);
	err = jsonw_free(w);
	putc('\n', f);
	if (!err && ferror(f))
		err = PYTOP_EIO;
	return err;
}

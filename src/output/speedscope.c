/* speedscope: the speedscope JSON file, written with jsonw (which escapes
 * every string from the target) from the per-thread stack set. */
#include "output/speedscope.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "output/jsonw.h"
#include "output/stackset.h"

#define SPEEDSCOPE_SCHEMA "https://www.speedscope.app/file-format-schema.json"

/* Longest string taken from the target (bytes; cut on a character). */
#define SPEEDSCOPE_STRING_MAX 4096

/* A string from the target, at most SPEEDSCOPE_STRING_MAX bytes. */
static void put_string(struct jsonw *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > SPEEDSCOPE_STRING_MAX) {
		n = SPEEDSCOPE_STRING_MAX;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	jsonw_string_len(w, s ? s : "", n);
}

/* One sampled profile: the stacks of thread t (STACKSET_NO_THREAD: of no
 * thread row: the batch's folded ended threads, folded of them, and
 * samples of no known thread). */
static void profile(struct jsonw *w, const struct stackset *ss, uint32_t t, uint64_t folded)
{
	const struct stackset_thread *th = t == STACKSET_NO_THREAD ? NULL : &ss->threads[t];
	char name[AGG_THREAD_NAME_MAX + 32];
	size_t i;

	if (!th && !ss->other_count)
		snprintf(name, sizeof(name), "no samples were counted in this mode");
	else if (!th && folded)
		snprintf(name, sizeof(name), "(%llu folded) ended threads, and samples of no known thread",
			 (unsigned long long)folded);
	else if (!th)
		snprintf(name, sizeof(name), "samples of no known thread");
	else if (th->name[0])
		snprintf(name, sizeof(name), "%s (tid %u)", th->name, (unsigned)th->tid);
	else
		snprintf(name, sizeof(name), "tid %u", (unsigned)th->tid);
	jsonw_begin_object(w);
	jsonw_key(w, "type");
	jsonw_string(w, "sampled");
	jsonw_key(w, "name");
	jsonw_string(w, name);
	jsonw_key(w, "unit");
	jsonw_string(w, "nanoseconds");
	jsonw_key(w, "startValue");
	jsonw_uint(w, 0);
	jsonw_key(w, "endValue");
	jsonw_uint(w, th ? th->ns : ss->other_ns);
	jsonw_key(w, "samples");
	jsonw_begin_array(w);
	for (i = 0; i < ss->nstacks; i++) {
		const struct stackset_stack *s = &ss->stacks[i];

		if (s->thread != t)
			continue;
		jsonw_begin_array(w);
		for (uint32_t d = 0; d < s->depth; d++)
			jsonw_uint(w, ss->path[s->first + d]);
		jsonw_end_array(w);
	}
	jsonw_end_array(w);
	jsonw_key(w, "weights");
	jsonw_begin_array(w);
	for (i = 0; i < ss->nstacks; i++)
		if (ss->stacks[i].thread == t)
			jsonw_uint(w, ss->stacks[i].ns);
	jsonw_end_array(w);
	jsonw_end_object(w);
}

int speedscope_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta)
{
	struct stackset ss;
	struct jsonw *w = jsonw_new(f);
	char title[128];
	size_t i, busiest = 0;
	int rc;

	stackset_build(&ss, agg);
	jsonw_set_pretty(w, 1);
	jsonw_begin_object(w);
	jsonw_key(w, "$schema");
	jsonw_string(w, SPEEDSCOPE_SCHEMA);
	jsonw_key(w, "exporter");
	snprintf(title, sizeof(title), "pytop %s", meta->version ? meta->version : "");
	jsonw_string(w, title);
	jsonw_key(w, "name");
	snprintf(title, sizeof(title), "pid %d, %s mode: ", meta->pid, meta->mode ? meta->mode : "cpu");
	{
		/* The title: pid and mode, then the command line (from the target). */
		size_t n = strlen(title), an = meta->argv ? strlen(meta->argv) : 0;
		char *full;

		if (an > SPEEDSCOPE_STRING_MAX)
			an = SPEEDSCOPE_STRING_MAX;
		full = xmalloc(n + an + 1);
		memcpy(full, title, n);
		if (an)
			memcpy(full + n, meta->argv, an);
		full[n + an] = '\0';
		put_string(w, full);
		free(full);
	}

	jsonw_key(w, "shared");
	jsonw_begin_object(w);
	jsonw_key(w, "frames");
	jsonw_begin_array(w);
	for (i = 0; i < ss.nframes; i++) {
		const struct stackset_frame *fr = &ss.frames[i];
		const struct stackset_func *fn = &ss.funcs[fr->func];

		jsonw_begin_object(w);
		jsonw_key(w, "name");
		put_string(w, fn->name);
		jsonw_key(w, "file");
		put_string(w, fn->file);
		if (fr->line > 0) {
			jsonw_key(w, "line");
			jsonw_int(w, fr->line);
		}
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);

	/* One profile per thread (by tid), then the samples of no thread. */
	jsonw_key(w, "profiles");
	jsonw_begin_array(w);
	for (i = 0; i < ss.nthreads; i++) {
		profile(w, &ss, (uint32_t)i, 0);
		if (ss.threads[i].ns > ss.threads[busiest].ns)
			busiest = i;
	}
	/* Nothing counted (an idle target in cpu mode): one empty profile
	 * that says so, where speedscope would open on no profile at all. */
	if (ss.other_count || ss.nthreads == 0)
		profile(w, &ss, STACKSET_NO_THREAD, meta->threads_folded);
	jsonw_end_array(w);
	/* Open at the busiest thread. */
	jsonw_key(w, "activeProfileIndex");
	jsonw_uint(w, busiest);
	jsonw_end_object(w);
	rc = jsonw_free(w);
	fputc('\n', f);
	stackset_free(&ss);
	if (rc == 0 && ferror(f))
		rc = PYTOP_EIO;
	return rc;
}

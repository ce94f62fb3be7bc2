/* records: builders for the sampler's records in the C unit tests. */
#include "records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sampling/aggregate.h"
#include "tap.h"

static uint32_t pad8(size_t n)
{
	return (uint32_t)((n + 7) & ~(size_t)7);
}

struct rec_header *rec_func(union rec_buf *b, const struct func_def_rec *def, const char *name, const char *file)
{
	struct func_def_rec *d = (struct func_def_rec *)b->bytes;
	size_t nl = strlen(name), fl = strlen(file);

	if (nl > UINT16_MAX || fl > UINT16_MAX || sizeof(*d) + nl + fl + 2 + 7 > sizeof b->bytes)
		tap_bail("records: a define of %zu + %zu bytes of strings does not fit", nl, fl);
	memset(b, 0, sizeof *b);
	*d = *def;
	d->h.type = REC_DEFINE_FUNC;
	d->h.size = pad8(sizeof(*d) + nl + fl + 2);
	d->name_len = (uint16_t)nl;
	d->file_len = (uint16_t)fl;
	memcpy(d->strings, name, nl);
	memcpy(d->strings + nl + 1, file, fl);
	return &d->h;
}

struct rec_header *rec_sample_frames(union rec_buf *b, const struct sample_rec *s,
				     const struct sample_frame *frames, int depth)
{
	struct sample_rec *r = (struct sample_rec *)b->bytes;

	if (depth < 0 || depth > SAMPLE_MAX_DEPTH)
		tap_bail("records: a sample of depth %d (at most %d)", depth, SAMPLE_MAX_DEPTH);
	memset(b, 0, sizeof *b);
	*r = *s;
	r->h.type = REC_SAMPLE;
	r->h.size = (uint32_t)(sizeof(*r) + (size_t)depth * sizeof(r->frames[0]));
	r->depth = (uint16_t)depth;
	if (depth)
		memcpy(r->frames, frames, (size_t)depth * sizeof(r->frames[0]));
	return &r->h;
}

struct rec_header *rec_sample(union rec_buf *b, const struct sample_rec *s, const char *frames)
{
	struct sample_frame f[SAMPLE_MAX_DEPTH];
	const char *p = frames;
	int n = 0;

	while (*p == ' ')
		p++;
	while (*p) {
		char *end;
		unsigned long id = strtoul(p, &end, 10);
		if (end == p || *end != ':' || n == SAMPLE_MAX_DEPTH || id > UINT32_MAX)
			tap_bail("records: frames \"%s\": want \"id:line id:line ...\" (at most %d)", frames, SAMPLE_MAX_DEPTH);
		p = end + 1;
		long line = strtol(p, &end, 10);
		if (end == p || (*end && *end != ' '))
			tap_bail("records: frames \"%s\": want \"id:line id:line ...\"", frames);
		f[n].func_id = (uint32_t)id;
		f[n].line = (int32_t)line;
		n++;
		p = end;
		while (*p == ' ')
			p++;
	}
	return rec_sample_frames(b, s, f, n);
}

struct rec_header *rec_thread(union rec_buf *b, const struct thread_rec *t, const char *name)
{
	struct thread_rec *r = (struct thread_rec *)b->bytes;

	memset(b, 0, sizeof *b);
	*r = *t;
	r->h.type = REC_THREAD;
	r->h.size = sizeof(*r);
	snprintf(r->name, sizeof r->name, "%s", name);
	return &r->h;
}

struct rec_header *rec_tick(union rec_buf *b, const struct tick_rec *t, enum rec_type type)
{
	struct tick_rec *r = (struct tick_rec *)b->bytes;

	if (type != REC_TICK && type != REC_TARGET_EXIT)
		tap_bail("records: a tick record of type %d", (int)type);
	memset(b, 0, sizeof *b);
	*r = *t;
	r->h.type = (uint16_t)type;
	r->h.size = sizeof(*r);
	return &r->h;
}

static union rec_buf feed_buf;

int feed_func_kind(struct aggregate *a, uint32_t id, const char *name, const char *file, int firstline,
		   unsigned kind)
{
	return aggregate_feed(a, rec_func(&feed_buf, &(struct func_def_rec){ .func_id = id, .firstlineno = firstline,
									   .kind = (uint8_t)kind }, name, file));
}

int feed_func(struct aggregate *a, uint32_t id, const char *name, const char *file, int firstline)
{
	return feed_func_kind(a, id, name, file, firstline, FUNC_KIND_PYTHON);
}

int feed_sample(struct aggregate *a, const struct sample_rec *s, const char *frames)
{
	return aggregate_feed(a, rec_sample(&feed_buf, s, frames));
}

int feed_sample_frames(struct aggregate *a, const struct sample_rec *s, const struct sample_frame *frames,
		       int depth)
{
	return aggregate_feed(a, rec_sample_frames(&feed_buf, s, frames, depth));
}

int feed_thread(struct aggregate *a, uint32_t tid, const char *name)
{
	return aggregate_feed(a, rec_thread(&feed_buf, &(struct thread_rec){ .tid = tid }, name));
}

int feed_tick(struct aggregate *a, const struct tick_rec *t)
{
	return aggregate_feed(a, rec_tick(&feed_buf, t, REC_TICK));
}

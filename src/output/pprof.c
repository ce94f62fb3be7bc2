/* pprof: profile.proto, encoded with output/protobuf and gzipped with zlib
 * (see pprof.h). The messages and field numbers are those of
 * github.com/google/pprof/proto/profile.proto. */
#include "output/pprof.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "errors.h"
#include "output/escape.h"
#include "output/protobuf.h"
#include "output/stackset.h"

/* profile.proto's field numbers. */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13, PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
	LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3,
	MAPPING_ID = 1, MAPPING_FILENAME = 5, MAPPING_HAS_FUNCTIONS = 7, MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1, LINE_LINE = 2,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

/* Longest string pytop puts in the table (bytes, after escaping). */
#define PPROF_STRING_MAX 4096

/* ---- the string table: each distinct string once, "" first ---- */

struct strtab {
	char **v;
	size_t n, cap;
	uint32_t *slot;         /* index + 1; 0 = empty */
	size_t nslots;          /* a power of two */
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static void strtab_slot_add(struct strtab *t, uint32_t idx)
{
	size_t i = str_hash(t->v[idx]) & (t->nslots - 1);

	while (t->slot[i])
		i = (i + 1) & (t->nslots - 1);
	t->slot[i] = idx + 1;
}

/* The index of s, added when new (s copied). */
static int64_t strtab_add(struct strtab *t, const char *s)
{
	size_t i;

	if (t->nslots) {
		for (i = str_hash(s) & (t->nslots - 1); t->slot[i]; i = (i + 1) & (t->nslots - 1))
			if (strcmp(t->v[t->slot[i] - 1], s) == 0)
				return t->slot[i] - 1;
	}
	if (2 * (t->n + 1) > t->nslots) {
		free(t->slot);
		t->nslots = t->nslots ? t->nslots * 2 : 256;
		t->slot = xcalloc(t->nslots, sizeof(*t->slot));
		for (i = 0; i < t->n; i++)
			strtab_slot_add(t, (uint32_t)i);
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n] = xstrdup(s);
	strtab_slot_add(t, (uint32_t)t->n);
	return (int64_t)t->n++;
}

/* A string from the target, made safe first: control characters and
 * invalid UTF-8 escaped as in text output (protobuf strings must be valid
 * UTF-8), cut at PPROF_STRING_MAX bytes on a whole escape. */
static int64_t strtab_add_hostile(struct strtab *t, const char *s)
{
	char buf[PPROF_STRING_MAX + 1];

	escape_text(buf, sizeof(buf), s);
	return strtab_add(t, buf);
}

static void strtab_free(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->slot);
}

/* ---- the profile ---- */

static void value_type(struct pb_buf *out, uint32_t field, struct pb_buf *tmp, int64_t type, int64_t unit)
{
	pb_buf_clear(tmp);
	pb_field_int(tmp, VALUE_TYPE_TYPE, type);
	pb_field_int(tmp, VALUE_TYPE_UNIT, unit);
	pb_field_message(out, field, tmp);
}

/* A comment line: prefix (pytop's own text) then a value from the target
 * (escaped). */
static void comment(struct pb_buf *out, struct strtab *st, const char *prefix, const char *value)
{
	char line[PPROF_STRING_MAX + 64];
	size_t n = (size_t)snprintf(line, 64, "%s", prefix);

	escape_text(line + n, sizeof(line) - n, value);
	pb_field_int(out, PROFILE_COMMENT, strtab_add(st, line));
}

/* Encode the whole Profile message into out. */
static void profile_encode(struct pb_buf *out, const struct stackset *ss, const struct snapshot_meta *m)
{
	struct strtab st = { 0 };
	struct pb_buf msg = { 0 }, sub = { 0 };
	const char *mode = m->mode && *m->mode ? m->mode : "cpu";
	int64_t k_samples, k_count, k_mode, k_ns, k_tid, k_tname;
	uint64_t *locs = NULL;
	size_t locs_cap = 0, i;
	char num[64];

	strtab_add(&st, "");
	k_samples = strtab_add(&st, "samples");
	k_count = strtab_add(&st, "count");
	k_mode = strtab_add(&st, mode);
	k_ns = strtab_add(&st, "nanoseconds");
	k_tid = strtab_add(&st, "thread_id");
	k_tname = strtab_add(&st, "thread_name");

	value_type(out, PROFILE_SAMPLE_TYPE, &sub, k_samples, k_count);
	value_type(out, PROFILE_SAMPLE_TYPE, &sub, k_mode, k_ns);

	/* Samples: locations leaf first, values {samples, nanoseconds}, the
	 * thread's labels. */
	for (i = 0; i < ss->nstacks; i++) {
		const struct stackset_stack *s = &ss->stacks[i];
		int64_t values[2] = { (int64_t)s->count, (int64_t)s->ns };

		if (s->depth > locs_cap) {
			locs_cap = s->depth * 2;
			locs = xrealloc(locs, locs_cap * sizeof(*locs));
		}
		for (uint32_t d = 0; d < s->depth; d++)
			locs[d] = (uint64_t)ss->path[s->first + s->depth - 1 - d] + 1;
		pb_buf_clear(&msg);
		pb_field_packed_uint(&msg, SAMPLE_LOCATION_ID, locs, s->depth);
		pb_field_packed_int(&msg, SAMPLE_VALUE, values, 2);
		if (s->thread != STACKSET_NO_THREAD) {
			const struct stackset_thread *t = &ss->threads[s->thread];

			pb_buf_clear(&sub);
			pb_field_int(&sub, LABEL_KEY, k_tid);
			pb_field_int(&sub, LABEL_NUM, (int64_t)t->tid);
			pb_field_message(&msg, SAMPLE_LABEL, &sub);
			if (t->name[0]) {
				pb_buf_clear(&sub);
				pb_field_int(&sub, LABEL_KEY, k_tname);
				pb_field_int(&sub, LABEL_STR, strtab_add_hostile(&st, t->name));
				pb_field_message(&msg, SAMPLE_LABEL, &sub);
			}
		}
		pb_field_message(out, PROFILE_SAMPLE, &msg);
	}
	free(locs);

	/* One mapping that says the functions are known: nothing for a
	 * consumer to symbolize. */
	pb_buf_clear(&msg);
	pb_field_uint(&msg, MAPPING_ID, 1);
	snprintf(num, sizeof(num), "python%s%s", m->python && *m->python ? " " : "", m->python ? m->python : "");
	pb_field_int(&msg, MAPPING_FILENAME, strtab_add_hostile(&st, num));
	pb_field_uint(&msg, MAPPING_HAS_FUNCTIONS, 1);
	pb_field_uint(&msg, MAPPING_HAS_FILENAMES, 1);
	pb_field_uint(&msg, MAPPING_HAS_LINE_NUMBERS, 1);
	pb_field_message(out, PROFILE_MAPPING, &msg);

	/* Locations (ids: frame index + 1), each one line of one function. */
	for (i = 0; i < ss->nframes; i++) {
		pb_buf_clear(&msg);
		pb_field_uint(&msg, LOCATION_ID, i + 1);
		pb_field_uint(&msg, LOCATION_MAPPING_ID, 1);
		pb_buf_clear(&sub);
		pb_field_uint(&sub, LINE_FUNCTION_ID, (uint64_t)ss->frames[i].func + 1);
		pb_field_int(&sub, LINE_LINE, ss->frames[i].line);
		pb_field_message(&msg, LOCATION_LINE, &sub);
		pb_field_message(out, PROFILE_LOCATION, &msg);
	}

	/* Functions (ids: function index + 1). */
	for (i = 0; i < ss->nfuncs; i++) {
		const struct stackset_func *fn = &ss->funcs[i];
		int64_t name = strtab_add_hostile(&st, fn->name);

		pb_buf_clear(&msg);
		pb_field_uint(&msg, FUNCTION_ID, i + 1);
		pb_field_int(&msg, FUNCTION_NAME, name);
		pb_field_int(&msg, FUNCTION_SYSTEM_NAME, name);
		pb_field_int(&msg, FUNCTION_FILENAME, strtab_add_hostile(&st, fn->file));
		pb_field_int(&msg, FUNCTION_START_LINE, fn->first_line);
		pb_field_message(out, PROFILE_FUNCTION, &msg);
	}

	/* When (the wall clock at the start: the session's, else now less the
	 * duration), how long, the sampling period. */
	int64_t dur_ns = m->duration_s > 0 ? (int64_t)(m->duration_s * 1e9) : 0, start = m->start_unix_ns;
	if (!start) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		start = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - dur_ns;
	}
	pb_field_int(out, PROFILE_TIME_NANOS, start);
	pb_field_int(out, PROFILE_DURATION_NANOS, dur_ns);
	value_type(out, PROFILE_PERIOD_TYPE, &sub, k_mode, k_ns);
	pb_field_int(out, PROFILE_PERIOD, m->rate_hz > 0 ? (int64_t)(1e9 / m->rate_hz + 0.5) : 0);

	/* Comments: what made it and what it describes. */
	comment(out, &st, "pytop ", m->version);
	snprintf(num, sizeof(num), "pid %d: ", m->pid);
	comment(out, &st, num, m->argv);
	comment(out, &st, "python ", m->python);
	comment(out, &st, "mode ", mode);
	if (m->note)
		comment(out, &st, "", m->note);
	pb_field_int(out, PROFILE_DEFAULT_SAMPLE_TYPE, k_mode);

	/* The string table last: every index is known by now. */
	for (i = 0; i < st.n; i++)
		pb_field_string(out, PROFILE_STRING_TABLE, st.v[i]);
	strtab_free(&st);
	pb_buf_free(&msg);
	pb_buf_free(&sub);
}

/* Gzip n bytes at p to f (zlib's deflate with a gzip header). */
static int gzip_write(FILE *f, const uint8_t *p, size_t n)
{
	unsigned char out[65536];
	z_stream z;
	int rc, zrc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return PYTOP_ENOMEM;
	rc = 0;
	do {
		size_t chunk = n > (1u << 30) ? (1u << 30) : n;
		int flush = chunk == n ? Z_FINISH : Z_NO_FLUSH;

		z.next_in = (Bytef *)(uintptr_t)p;
		z.avail_in = (uInt)chunk;
		p += chunk;
		n -= chunk;
		do {
			z.next_out = out;
			z.avail_out = sizeof(out);
			zrc = deflate(&z, flush);
			if (zrc == Z_STREAM_ERROR) {
				rc = PYTOP_EIO;
				break;
			}
			size_t have = sizeof(out) - z.avail_out;
			if (have && fwrite(out, 1, have, f) != have)
				rc = PYTOP_EIO;
		} while (z.avail_out == 0 && rc == 0);
	} while (n && rc == 0);
	deflateEnd(&z);
	return rc;
}

int pprof_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta)
{
	struct stackset ss;
	struct pb_buf out = { 0 };
	int rc;

	stackset_build(&ss, agg);
	profile_encode(&out, &ss, meta);
	stackset_free(&ss);
	rc = gzip_write(f, out.data, out.len);
	pb_buf_free(&out);
	if (rc == 0 && ferror(f))
		rc = PYTOP_EIO;
	return rc;
}

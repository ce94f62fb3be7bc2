/* test_protobuf: the protobuf encoder (output/protobuf) against the byte
 * vectors of the Protocol Buffers encoding guide and a few more; the stack
 * set the pprof and speedscope writers share (output/stackset: threads,
 * samples no thread holds, time per stack); and the pprof writer's output
 * read back: gzip, then the Profile's fields. go tool pprof reads real
 * files in tests/live/test_formats.py. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "output/pprof.h"
#include "output/protobuf.h"
#include "output/snapshot.h"
#include "output/stackset.h"
#include "sampling/aggregate.h"
#include "records.h"
#include "tap.h"

#define MS 1000000ull

/* Does b hold exactly the n bytes of want? Prints both when not. */
static int bytes_are(const struct pb_buf *b, const uint8_t *want, size_t n, const char *what)
{
	int same = b->len == n && memcmp(b->data, want, n) == 0;

	if (!tap_ok(same, "%s", what)) {
		printf("#   got ");
		for (size_t i = 0; i < b->len; i++)
			printf("%02x ", b->data[i]);
		printf("\n#  want ");
		for (size_t i = 0; i < n; i++)
			printf("%02x ", want[i]);
		printf("\n");
	}
	return same;
}

#define BYTES_ARE(b, what, ...) do { \
	static const uint8_t want_[] = { __VA_ARGS__ }; \
	bytes_are((b), want_, sizeof(want_), (what)); \
} while (0)

static void test_varints(void)
{
	struct pb_buf b = { 0 };

	pb_put_varint(&b, 0);
	BYTES_ARE(&b, "varint 0", 0x00);
	pb_buf_clear(&b);
	pb_put_varint(&b, 1);
	pb_put_varint(&b, 127);
	BYTES_ARE(&b, "varint 1, 127: one byte each", 0x01, 0x7f);
	pb_buf_clear(&b);
	pb_put_varint(&b, 128);
	pb_put_varint(&b, 300);
	BYTES_ARE(&b, "varint 128, 300 (the guide's 300 = ac 02)", 0x80, 0x01, 0xac, 0x02);
	pb_buf_clear(&b);
	pb_put_varint(&b, UINT64_MAX);
	BYTES_ARE(&b, "varint 2^64-1: ten bytes", 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
	pb_buf_clear(&b);
	pb_field_int(&b, 1, -1);
	BYTES_ARE(&b, "int64 -1: two's complement, ten bytes (not zigzag)",
		  0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
	pb_buf_clear(&b);
	pb_field_int(&b, 2, -2);
	BYTES_ARE(&b, "int64 -2", 0x10, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
	pb_buf_free(&b);
}

static void test_fields(void)
{
	struct pb_buf b = { 0 }, sub = { 0 };
	const uint64_t packed[] = { 3, 270, 86942 };
	const int64_t values[] = { 1, -1 };

	/* The encoding guide's examples. */
	pb_field_uint(&b, 1, 150);
	BYTES_ARE(&b, "Test1 a = 150: 08 96 01", 0x08, 0x96, 0x01);
	pb_buf_clear(&b);
	pb_field_string(&b, 2, "testing");
	BYTES_ARE(&b, "Test2 b = \"testing\"", 0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67);
	pb_buf_clear(&b);
	pb_field_uint(&sub, 1, 150);
	pb_field_message(&b, 3, &sub);
	BYTES_ARE(&b, "Test3 c = Test1{a = 150}: 1a 03 08 96 01", 0x1a, 0x03, 0x08, 0x96, 0x01);
	pb_buf_clear(&b);
	pb_field_packed_uint(&b, 4, packed, 3);
	BYTES_ARE(&b, "Test4 packed d = [3, 270, 86942]", 0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05);

	/* And the edges pprof uses. */
	pb_buf_clear(&b);
	pb_field_packed_uint(&b, 4, packed, 0);
	pb_field_packed_int(&b, 4, values, 0);
	tap_is(b.len, 0, "an empty packed field writes nothing");
	pb_field_packed_int(&b, 2, values, 2);
	BYTES_ARE(&b, "packed int64 [1, -1]", 0x12, 0x0b, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0x01);
	pb_buf_clear(&b);
	pb_field_uint(&b, 16, 1);
	pb_field_uint(&b, 2047, 0);
	BYTES_ARE(&b, "field numbers 16 and 2047: two-byte keys", 0x80, 0x01, 0x01, 0xf8, 0x7f, 0x00);
	pb_buf_clear(&b);
	pb_field_string(&b, 6, "");
	pb_field_string(&b, 6, NULL);
	BYTES_ARE(&b, "empty and NULL strings: a zero length", 0x32, 0x00, 0x32, 0x00);
	pb_buf_clear(&b);
	pb_buf_clear(&sub);
	pb_field_message(&b, 5, &sub);
	BYTES_ARE(&b, "an empty message", 0x2a, 0x00);

	/* A length that takes two bytes, and growth past many reallocations. */
	char big[200];
	memset(big, 'x', sizeof(big));
	pb_buf_clear(&b);
	pb_field_bytes(&b, 1, big, sizeof(big));
	tap_ok(b.len == 203 && b.data[0] == 0x0a && b.data[1] == 0xc8 && b.data[2] == 0x01 &&
	       b.data[3] == 'x' && b.data[202] == 'x', "a 200-byte field: length c8 01, then the bytes");
	pb_buf_clear(&b);
	for (int i = 0; i < 100000; i++)
		pb_put_varint(&b, 300);
	int all = b.len == 200000;
	for (size_t i = 0; all && i < b.len; i += 2)
		all = b.data[i] == 0xac && b.data[i + 1] == 0x02;
	tap_ok(all, "100000 varints appended through the buffer's growth");
	pb_buf_free(&b);
	pb_buf_free(&sub);
	tap_ok(b.data == NULL && b.len == 0 && b.cap == 0, "pb_buf_free leaves an empty buffer");
}

/* An aggregate in wall mode: thread 7 in A (serve > handle, 3 ms rounds)
 * and B (serve > digest, 1 ms rounds); thread 8 in C (serve > spin);
 * samples without a thread id in C. */
static struct aggregate *make_aggregate(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, MS);
	uint64_t t = 1000 * MS;

	feed_func(a, 1, "serve", "/srv/app.py", 1);
	feed_func(a, 2, "handle", "/srv/app.py", 10);
	feed_func(a, 3, "digest", "/srv/app.py", 20);
	feed_func(a, 4, "spin", "/srv/bad\n\"name\xff.py", 40);
	feed_thread(a, 7, "MainThread");
	feed_thread(a, 8, "worker");
	feed_tick(a, &(struct tick_rec){ .time_ns = t });
	for (int i = 0; i < 10; i++) {
		t += 3 * MS;
		feed_sample(a, &(struct sample_rec){ .time_ns = t, .tid = 7, .state = THREAD_RUNNING }, "2:11 1:2");
		feed_sample(a, &(struct sample_rec){ .time_ns = t, .tid = 8, .state = THREAD_RUNNING }, "4:41 1:3");
		feed_sample(a, &(struct sample_rec){ .time_ns = t, .tid = 0, .state = THREAD_RUNNING }, "4:41 1:3");
		feed_tick(a, &(struct tick_rec){ .time_ns = t });
		t += 1 * MS;
		feed_sample(a, &(struct sample_rec){ .time_ns = t, .tid = 7, .state = THREAD_RUNNING }, "3:21 1:2");
		feed_tick(a, &(struct tick_rec){ .time_ns = t });
	}
	return a;
}

static const struct stackset_stack *find_stack(const struct stackset *s, uint32_t thread, const char *leaf)
{
	for (size_t i = 0; i < s->nstacks; i++) {
		const struct stackset_stack *st = &s->stacks[i];
		const struct stackset_frame *fr = &s->frames[s->path[st->first + st->depth - 1]];

		if (st->thread == thread && strcmp(s->funcs[fr->func].name, leaf) == 0)
			return st;
	}
	return NULL;
}

static void test_stackset(void)
{
	struct aggregate *a = make_aggregate();
	struct stackset s;
	const struct stackset_stack *st;

	stackset_build(&s, a);
	tap_is(s.nthreads, 2, "stackset: two threads");
	tap_ok(s.nthreads == 2 && s.threads[0].tid == 7 && strcmp(s.threads[0].name, "MainThread") == 0 &&
	       s.threads[1].tid == 8 && strcmp(s.threads[1].name, "worker") == 0, "stackset: threads by tid, named");
	tap_is(s.nstacks, 4, "stackset: A, B and C of threads 7 and 8, C of no thread");
	tap_is(s.nfuncs, 4, "stackset: four functions");
	tap_is(s.nframes, 5, "stackset: five frames (serve at lines 2 and 3)");
	st = find_stack(&s, 0, "handle");
	tap_ok(st && st->depth == 2 && st->count == 10 && st->ns == 30 * MS,
	       "stackset: thread 7's A: 10 samples of 3 ms (the leaf line's own time, not the thread's mean)");
	tap_ok(st && strcmp(s.funcs[s.frames[s.path[st->first]].func].name, "serve") == 0 &&
	       s.frames[s.path[st->first]].line == 2 && s.frames[s.path[st->first + 1]].line == 11,
	       "stackset: frames root first with their lines");
	st = find_stack(&s, 0, "digest");
	tap_ok(st && st->count == 10 && st->ns == 10 * MS, "stackset: thread 7's B: 10 samples of 1 ms");
	st = find_stack(&s, 1, "spin");
	tap_ok(st && st->count == 10 && st->ns == 30 * MS, "stackset: thread 8's C: 10 samples of 3 ms");
	st = find_stack(&s, STACKSET_NO_THREAD, "spin");
	tap_ok(st && st->count == 10 && st->ns == 30 * MS, "stackset: C of no thread id kept apart, 10 samples");
	tap_ok(s.threads[0].count == 20 && s.threads[0].ns == 40 * MS && s.other_count == 10 &&
	       s.other_ns == 30 * MS && s.total_count == 40 && s.total_ns == 100 * MS,
	       "stackset: totals per thread, of no thread, of all");
	st = find_stack(&s, 0, "handle");
	const struct stackset_func *fn = st ? &s.funcs[s.frames[s.path[st->first + 1]].func] : NULL;
	tap_ok(fn && fn->first_line == 10 && strcmp(fn->file, "/srv/app.py") == 0,
	       "stackset: a function's file and first line");
	stackset_free(&s);

	/* Thread 8 forgotten (the live view prunes ended threads): its
	 * samples stay, under no thread. */
	uint64_t t = 1100 * MS;
	feed_tick(a, &(struct tick_rec){ .time_ns = t - MS });   /* a round that found no thread */
	feed_sample(a, &(struct sample_rec){ .time_ns = t, .tid = 7, .state = THREAD_RUNNING }, "2:11 1:2");
	feed_tick(a, &(struct tick_rec){ .time_ns = t });
	tap_is(aggregate_prune_threads(a, 10 * MS), 1, "stackset: thread 8 pruned");
	stackset_build(&s, a);
	st = find_stack(&s, STACKSET_NO_THREAD, "spin");
	tap_ok(s.nthreads == 1 && st && st->count == 20 && s.total_count == 41,
	       "stackset: a pruned thread's samples are kept under no thread");
	stackset_free(&s);
	aggregate_destroy(a);

	struct aggregate *empty = aggregate_create(AGG_MODE_CPU, MS);
	stackset_build(&s, empty);
	tap_ok(s.nstacks == 0 && s.nthreads == 0 && s.total_count == 0, "stackset: an empty aggregate");
	stackset_free(&s);
	aggregate_destroy(empty);
}

/* ---- reading a Profile back (just enough for the checks) ---- */

static uint64_t get_varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;

	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t c = *(*p)++;

		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			break;
	}
	return v;
}

struct field {
	uint32_t num;
	int wire;
	uint64_t v;
	const uint8_t *data;
	size_t len;
};

/* The next field of [*p, end), or 0 at the end or on a malformed one. */
static int next_field(const uint8_t **p, const uint8_t *end, struct field *f)
{
	if (*p >= end)
		return 0;
	uint64_t key = get_varint(p, end);
	f->num = (uint32_t)(key >> 3);
	f->wire = (int)(key & 7);
	if (f->wire == 0) {
		f->v = get_varint(p, end);
		return 1;
	}
	if (f->wire != 2)
		return 0;
	f->len = get_varint(p, end);
	if (f->len > (size_t)(end - *p))
		return 0;
	f->data = *p;
	*p += f->len;
	return 1;
}

static void test_pprof(void)
{
	struct aggregate *a = make_aggregate();
	struct snapshot_meta m = { .pid = 42, .argv = "python3 app.py", .python = "3.12.1", .duration_s = 0.04,
				   .start_unix_ns = 1700000000123456789ll, .rate_hz = 1000, .mode = "wall",
				   .version = "test" };
	char *gz = NULL;
	size_t gzlen = 0;
	FILE *f = open_memstream(&gz, &gzlen);

	tap_is(pprof_write(f, a, &m), 0, "pprof: written");
	fclose(f);
	tap_ok(gzlen > 18 && (uint8_t)gz[0] == 0x1f && (uint8_t)gz[1] == 0x8b, "pprof: a gzip stream");

	uint8_t *raw = malloc(1 << 20);
	z_stream z = { 0 };
	inflateInit2(&z, 15 + 16);
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)gzlen;
	z.next_out = raw;
	z.avail_out = 1 << 20;
	tap_is(inflate(&z, Z_FINISH), Z_STREAM_END, "pprof: gunzips whole");
	size_t n = z.total_out;
	inflateEnd(&z);

	/* Count the top-level fields and collect the string table. */
	const uint8_t *p = raw, *end = raw + n;
	struct field fl;
	int counts[16] = { 0 }, ok = 1;
	char strings[64][128];
	int nstr = 0;
	uint64_t value_sum[2] = { 0, 0 }, labelled = 0, time_nanos = 0;

	while (p < end && (ok = next_field(&p, end, &fl))) {
		if (fl.num < 16)
			counts[fl.num]++;
		if (fl.num == 9 && fl.wire == 0)
			time_nanos = fl.v;
		if (fl.num == 6 && nstr < 64) {
			snprintf(strings[nstr++], sizeof(strings[0]), "%.*s", (int)fl.len, (const char *)fl.data);
		} else if (fl.num == 2) {
			/* A Sample: its values (packed) and labels. */
			const uint8_t *q = fl.data, *qe = fl.data + fl.len;
			struct field sf;
			while (next_field(&q, qe, &sf)) {
				if (sf.num == 2 && sf.wire == 2) {
					const uint8_t *v = sf.data;
					value_sum[0] += get_varint(&v, sf.data + sf.len);
					value_sum[1] += get_varint(&v, sf.data + sf.len);
				} else if (sf.num == 3) {
					labelled++;
				}
			}
		}
	}
	tap_ok(ok && p == end, "pprof: every field parses to the end");
	tap_is(counts[1], 2, "pprof: two sample types");
	tap_is(counts[2], 4, "pprof: one Sample per stack");
	tap_is(counts[3], 1, "pprof: one Mapping");
	tap_is(counts[4], 5, "pprof: one Location per frame");
	tap_is(counts[5], 4, "pprof: one Function per function");
	tap_ok(counts[9] == 1 && counts[10] == 1 && counts[11] == 1 && counts[12] == 1 && counts[14] == 1,
	       "pprof: time, duration, period type, period, default sample type");
	tap_ok(time_nanos == 1700000000123456789ull, "pprof: time_nanos is the session's start, not the time of "
	       "writing less the duration (%llu)", (unsigned long long)time_nanos);
	tap_ok(value_sum[0] == 40 && value_sum[1] == 100 * MS, "pprof: values sum to 40 samples and 100 ms");
	tap_is(labelled, 6, "pprof: thread_id and thread_name on the 3 samples of known threads, none on the other");
	int have[6] = { 0 }, clean = 1;
	const char *want[6] = { "", "samples", "count", "wall", "nanoseconds", "/srv/bad\\n\"name\\xff.py" };
	for (int i = 0; i < nstr; i++) {
		for (int k = 0; k < 6; k++)
			if (strcmp(strings[i], want[k]) == 0)
				have[k] = 1;
		for (const char *c = strings[i]; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x80)
				clean = 0;
	}
	tap_ok(nstr > 0 && strings[0][0] == '\0', "pprof: the string table starts with \"\"");
	tap_ok(have[1] && have[2] && have[3] && have[4], "pprof: samples/count and wall/nanoseconds");
	tap_ok(have[5] && clean, "pprof: a hostile file name escaped (no control bytes, valid UTF-8)");
	free(raw);
	free(gz);
	aggregate_destroy(a);
}

int main(void)
{
	test_varints();
	test_fields();
	test_stackset();
	test_pprof();
	return tap_done();
}

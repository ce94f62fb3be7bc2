/* records: one set of builders for the sampler's records (sampling/sample.h)
 * in the C unit tests, instead of a copy per test.
 *
 * The caller gives the fixed part of a record as a compound literal with
 * designated initializers, e.g.
 *     feed_sample(a, &(struct sample_rec){ .tid = 7, .state = THREAD_RUNNING,
 *                                          .time_ns = t }, "3:21 2:11 1:2");
 * and the builder fills what follows from the record's format: the header
 * (type and size), the depth and frames, the strings and their lengths. A
 * field that sample.h gains later is 0 unless a test names it. */
#ifndef PYTOP_TESTS_RECORDS_H
#define PYTOP_TESTS_RECORDS_H

#include <stdint.h>

#include "sampling/sample.h"

struct aggregate;

/* Room for any record the builders make (a full-depth sample, a define with
 * the longest name and file), aligned for the record structs. */
#define REC_BUF_SIZE 16384
union rec_buf {
	struct rec_header h;
	uint64_t align;
	unsigned char bytes[REC_BUF_SIZE];
};

/* REC_DEFINE_FUNC: fixed part from def (func_id, firstlineno, ...), then
 * the qualified name and the file, each NUL-terminated, padded to 8. */
struct rec_header *rec_func(union rec_buf *b, const struct func_def_rec *def, const char *name, const char *file);

/* REC_SAMPLE: fixed part from s (tid, state, flags, time_ns, cpu_ns, ...);
 * frames "id:line id:line ...", innermost first ("" for none). A malformed
 * frames string or one deeper than SAMPLE_MAX_DEPTH aborts the test. */
struct rec_header *rec_sample(union rec_buf *b, const struct sample_rec *s, const char *frames);

/* REC_SAMPLE with the frames as an array, innermost first. */
struct rec_header *rec_sample_frames(union rec_buf *b, const struct sample_rec *s,
				     const struct sample_frame *frames, int depth);

/* REC_THREAD: fixed part from t (tid, ...) and the thread's name. */
struct rec_header *rec_thread(union rec_buf *b, const struct thread_rec *t, const char *name);

/* REC_TICK, or REC_TARGET_EXIT when type says so: everything from t. */
struct rec_header *rec_tick(union rec_buf *b, const struct tick_rec *t, enum rec_type type);

/* The same, fed to an aggregate at once (aggregate_feed's result). A
 * define is FUNC_KIND_PYTHON unless it says its kind (an enum func_kind, or
 * any byte to test an unknown one). */
int feed_func(struct aggregate *a, uint32_t id, const char *name, const char *file, int firstline);
int feed_func_kind(struct aggregate *a, uint32_t id, const char *name, const char *file, int firstline,
		   unsigned kind);
int feed_sample(struct aggregate *a, const struct sample_rec *s, const char *frames);
int feed_sample_frames(struct aggregate *a, const struct sample_rec *s, const struct sample_frame *frames,
		       int depth);
int feed_thread(struct aggregate *a, uint32_t tid, const char *name);
int feed_tick(struct aggregate *a, const struct tick_rec *t);

#endif

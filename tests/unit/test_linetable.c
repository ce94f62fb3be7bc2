/* test_linetable: the line-table decoders against vectors recorded from real
 * interpreters (linetable_vectors.h) and against hand-made edge cases. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpython/linetable.h"
#include "linetable_vectors.h"
#include "tap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One test point per recorded code object: every offset, the offset just
 * past the code, and the not-yet-started frame (f_lasti -1). */
static void check_vector(const struct linetable_vector *v)
{
	size_t i, bad = 0, first = 0;
	int got, first_got = 0, first_want = 0;

	for (i = 0; i <= v->n_lines; i++) {
		int want = i < v->n_lines ? v->lines[i] : v->past_end;

		got = linetable_line(v->fmt, v->table, v->table_len,
				     v->firstlineno, (int)(2 * i));
		if (got != want && bad++ == 0) {
			first = 2 * i;
			first_got = got;
			first_want = want;
		}
	}
	for (i = 1; i <= 2; i++) {
		got = linetable_line(v->fmt, v->table, v->table_len,
				     v->firstlineno, -(int)i);
		if (got != v->firstlineno && bad++ == 0) {
			first = (size_t)-1;
			first_got = got;
			first_want = v->firstlineno;
		}
	}
	if (!tap_ok(bad == 0, "%s %s: %zu offsets", v->python, v->name,
		    v->n_lines + 3)) {
		if (first == (size_t)-1)
			printf("#   at negative offset");
		else
			printf("#   at byte offset %zu", first);
		printf(": got %d, want %d (%zu mismatches)\n", first_got,
		       first_want, bad);
	}
}

/* Every format on an empty table: no line anywhere but before the start. */
static void test_empty(void)
{
	static const uint8_t none[1];

	tap_is(linetable_line(LINETABLE_LNOTAB, none, 0, 7, 0), 7,
	       "lnotab: empty table keeps co_firstlineno");
	tap_is(linetable_line(LINETABLE_LNOTAB, none, 0, 7, 100), 7,
	       "lnotab: empty table keeps co_firstlineno far on");
	tap_is(linetable_line(LINETABLE_310, none, 0, 7, 0), -1,
	       "3.10: empty table has no line");
	tap_is(linetable_line(LINETABLE_311, none, 0, 7, 0), -1,
	       "3.11: empty table has no line");
	tap_is(linetable_line(LINETABLE_311, NULL, 0, 7, 0), -1,
	       "3.11: NULL empty table has no line");
	tap_is(linetable_line(LINETABLE_311, NULL, 5, 7, 0), -1,
	       "NULL table with a length is rejected");
	tap_is(linetable_line(LINETABLE_311, none, 0, 7, -2), 7,
	       "not started: co_firstlineno");
	tap_is(linetable_line((enum linetable_format)0, none, 1, 7, 0), -1,
	       "unknown format is rejected");
}

/* Hand-encoded tables with known answers. */
static void test_hand_made(void)
{
	/* 3.8: +4 bytes +1 line, +2 bytes -3 lines, 255+45 bytes, +130 lines. */
	static const uint8_t lnotab[] = {
		4, 1, 2, (uint8_t)-3, 255, 0, 45, 127, 0, 3,
	};
	/* 3.10: 4 bytes +0, empty +127, 2 bytes +3, 2 bytes no line,
	 * 2 bytes -1 (relative to the last real line). */
	static const uint8_t lt310[] = {
		4, 0, 0, 127, 2, 3, 2, 0x80, 2, (uint8_t)-1,
	};
	/* 3.11: short form (1 unit, line +0), one-line-1 (2 units), long form
	 * with delta -5 (1 unit), no location (3 units), no-columns +300. */
	static const uint8_t lt311[] = {
		0x80 | (0 << 3) | 0, 0x05,
		0x80 | (11 << 3) | 1, 3, 9,
		0x80 | (14 << 3) | 0, 11, 0, 5, 9,
		0x80 | (15 << 3) | 2,
		0x80 | (13 << 3) | 0, 0x40 | (600 & 63), 600 >> 6,
	};

	tap_is(linetable_line(LINETABLE_LNOTAB, lnotab, sizeof(lnotab), 10, 0),
	       10, "lnotab: before the first increment");
	tap_is(linetable_line(LINETABLE_LNOTAB, lnotab, sizeof(lnotab), 10, 4),
	       11, "lnotab: after +1");
	tap_is(linetable_line(LINETABLE_LNOTAB, lnotab, sizeof(lnotab), 10, 6),
	       8, "lnotab: negative increment");
	tap_is(linetable_line(LINETABLE_LNOTAB, lnotab, sizeof(lnotab), 10, 305),
	       8, "lnotab: inside a 300-byte run");
	tap_is(linetable_line(LINETABLE_LNOTAB, lnotab, sizeof(lnotab), 10, 306),
	       138, "lnotab: multi-pair line increment");
	tap_is(linetable_line(LINETABLE_LNOTAB, lnotab, sizeof(lnotab), 10, 9999),
	       138, "lnotab: past the table keeps the last line");
	tap_is(linetable_line(LINETABLE_LNOTAB, lnotab, sizeof(lnotab) - 1, 10, 0),
	       -1, "lnotab: odd length is malformed");

	tap_is(linetable_line(LINETABLE_310, lt310, sizeof(lt310), 10, 2), 10,
	       "3.10: first range");
	tap_is(linetable_line(LINETABLE_310, lt310, sizeof(lt310), 10, 4), 140,
	       "3.10: empty range carries its delta");
	tap_is(linetable_line(LINETABLE_310, lt310, sizeof(lt310), 10, 6), -1,
	       "3.10: no-line range");
	tap_is(linetable_line(LINETABLE_310, lt310, sizeof(lt310), 10, 8), 139,
	       "3.10: delta after a no-line range");
	tap_is(linetable_line(LINETABLE_310, lt310, sizeof(lt310), 10, 10), -1,
	       "3.10: past the table");
	tap_is(linetable_line(LINETABLE_310, lt310, sizeof(lt310) - 1, 10, 0),
	       -1, "3.10: odd length is malformed");

	tap_is(linetable_line(LINETABLE_311, lt311, sizeof(lt311), 10, 0), 10,
	       "3.11: short form");
	tap_is(linetable_line(LINETABLE_311, lt311, sizeof(lt311), 10, 4), 11,
	       "3.11: one-line form, second unit");
	tap_is(linetable_line(LINETABLE_311, lt311, sizeof(lt311), 10, 6), 6,
	       "3.11: long form, negative delta");
	tap_is(linetable_line(LINETABLE_311, lt311, sizeof(lt311), 10, 12), -1,
	       "3.11: no location");
	tap_is(linetable_line(LINETABLE_311, lt311, sizeof(lt311), 10, 14), 306,
	       "3.11: no-columns form, two-byte varint");
	tap_is(linetable_line(LINETABLE_311, lt311, sizeof(lt311), 10, 16), -1,
	       "3.11: past the table");
	tap_is(linetable_line(LINETABLE_311, lt311, sizeof(lt311) - 1, 10, 14),
	       -1, "3.11: varint cut by the end of the table");
	tap_is(linetable_line(LINETABLE_311, lt311 + 1, sizeof(lt311) - 1, 10, 0),
	       -1, "3.11: table not starting on an entry");
}

/* Offsets below which a table cut to `cut` bytes must still give the full
 * table's answer: for co_lnotab those before the first dropped pair takes
 * effect; the 3.10 and 3.11 tables may only lose lines (-1), never change
 * them, so there every covered offset is checked (SIZE_MAX). */
static size_t still_exact(const struct linetable_vector *v, size_t cut)
{
	size_t off = 0, i;

	if (v->fmt != LINETABLE_LNOTAB)
		return SIZE_MAX;
	if (cut % 2)
		return 0;
	for (i = 0; i + 1 < v->table_len; i += 2) {
		off += v->table[i];
		if (i >= cut)
			return off;
	}
	return SIZE_MAX;
}

/* Every prefix of every recorded table, as an exact-size heap copy so ASan
 * catches any read past the cut: no crash, and no wrong line. */
static void test_truncated(void)
{
	size_t k, cut, i, bad = 0, first_k = 0, first_cut = 0;

	for (k = 0; k < ARRAY_LEN(linetable_vectors); k++) {
		const struct linetable_vector *v = &linetable_vectors[k];

		for (cut = 0; cut < v->table_len; cut++) {
			uint8_t *copy = malloc(cut ? cut : 1);
			size_t exact = still_exact(v, cut);

			memcpy(copy, v->table, cut);
			for (i = 0; i < v->n_lines; i++) {
				int got = linetable_line(v->fmt, copy, cut,
							 v->firstlineno,
							 (int)(2 * i));
				int ok = got >= -1;

				if (v->fmt == LINETABLE_LNOTAB) {
					if (2 * i < exact)
						ok = got == v->lines[i];
				} else if (got != -1) {
					ok = got == v->lines[i];
				}
				if (!ok && bad++ == 0) {
					first_k = k;
					first_cut = cut;
				}
			}
			free(copy);
		}
	}
	if (!tap_ok(bad == 0, "truncated tables: no overrun, no wrong line"))
		printf("#   first: %s %s cut at %zu bytes\n",
		       linetable_vectors[first_k].python,
		       linetable_vectors[first_k].name, first_cut);
}

/* xorshift64: deterministic garbage. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random bytes and random mutations of real tables, at random offsets,
 * including huge ones and extreme first lines. */
static void test_garbage(void)
{
	static const int firsts[] = { 1, 0, -5, INT32_MAX, INT32_MIN };
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t round, i, bad = 0;
	uint8_t buf[512];

	for (round = 0; round < 20000; round++) {
		size_t len = rng_next(&seed) % sizeof(buf);
		enum linetable_format fmt = (enum linetable_format)
			(1 + rng_next(&seed) % 3);
		int first = firsts[rng_next(&seed) % ARRAY_LEN(firsts)];
		uint8_t *copy;

		if (round % 2) {
			const struct linetable_vector *v = &linetable_vectors[
				rng_next(&seed) % ARRAY_LEN(linetable_vectors)];

			len = v->table_len < sizeof(buf) ? v->table_len
							 : sizeof(buf);
			memcpy(buf, v->table, len);
			for (i = 0; i < 4 && len; i++)
				buf[rng_next(&seed) % len] = (uint8_t)rng_next(&seed);
		} else {
			for (i = 0; i < len; i++)
				buf[i] = (uint8_t)rng_next(&seed);
		}
		/* An exact-size heap copy so ASan sees any overrun. */
		copy = malloc(len ? len : 1);
		memcpy(copy, buf, len);
		for (i = 0; i < 16; i++) {
			int addr = (int)(rng_next(&seed) % 2048);
			int got;

			if (i == 0)
				addr = INT32_MAX;
			got = linetable_line(fmt, copy, len, first, addr);
			if (got < -1)
				bad++;
		}
		free(copy);
	}
	/* All 0xff: 3.11 entries of "no location"; all 0x7f: no entry start. */
	memset(buf, 0xff, sizeof(buf));
	for (i = 1; i <= 3; i++)
		if (linetable_line((enum linetable_format)i, buf, sizeof(buf), 1,
				   INT32_MAX) < -1)
			bad++;
	memset(buf, 0x7f, sizeof(buf));
	for (i = 1; i <= 3; i++)
		if (linetable_line((enum linetable_format)i, buf, sizeof(buf),
				   INT32_MAX - 10, INT32_MAX) < -1)
			bad++;
	tap_ok(bad == 0, "garbage tables: no crash, results are lines or -1");
}

int main(void)
{
	size_t k;

	for (k = 0; k < ARRAY_LEN(linetable_vectors); k++)
		check_vector(&linetable_vectors[k]);
	test_empty();
	test_hand_made();
	test_truncated();
	test_garbage();
	return tap_done();
}

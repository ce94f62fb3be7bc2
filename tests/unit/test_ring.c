/* test_ring: single-threaded behaviour of the SPSC record ring: empty and
 * full, wrap-around, records that exactly fill it, sizes that cannot fit,
 * drop counting, short consumer buffers and pushes in pieces. */
#include <stdint.h>
#include <string.h>

#include "errors.h"
#include "sampling/ring.h"
#include "sampling/sample.h"
#include "tap.h"

#define BUFSZ 4096

/* Consumer and producer buffers, malloc'ed so any record type may live there. */
static unsigned char *rbuf, *pbuf;

/* Build a record of `size` bytes in pbuf whose payload bytes derive from seed. */
static struct rec_header *make(uint32_t size, uint32_t seed)
{
	struct rec_header *h = (struct rec_header *)pbuf;
	uint8_t *p = (uint8_t *)pbuf;
	uint32_t i;

	for (i = sizeof(*h); i < size; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7);
	h->type = REC_SAMPLE;
	h->pad = (uint16_t)seed;
	h->size = size;
	return h;
}

static int check(const void *buf, uint32_t size, uint32_t seed)
{
	const struct rec_header *h = buf;
	const uint8_t *p = buf;
	uint32_t i;

	if (h->type != REC_SAMPLE || h->size != size || h->pad != (uint16_t)seed)
		return 0;
	for (i = sizeof(*h); i < size; i++)
		if (p[i] != (uint8_t)(seed * 31 + i * 7))
			return 0;
	return 1;
}

static void test_create(void)
{
	struct ring *r;

	tap_ok(ring_create(0) == NULL, "capacity 0 refused");
	tap_ok(ring_create(RING_CAPACITY_MAX + 1) == NULL, "huge capacity refused");
	r = ring_create(1);
	tap_is(ring_capacity(r), RING_CAPACITY_MIN, "capacity rounded up to the minimum");
	ring_destroy(r);
	r = ring_create(100);
	tap_is(ring_capacity(r), 128, "capacity rounded up to a power of two");
	ring_destroy(r);
	r = ring_create(256);
	tap_is(ring_capacity(r), 256, "power of two kept");
	ring_destroy(r);
	ring_destroy(NULL);
}

static void test_empty_full(void)
{
	struct ring *r = ring_create(256);
	int i, ok = 1;

	tap_is(ring_pop(r, rbuf, BUFSZ), 0, "empty ring pops nothing");
	tap_is(ring_peek_size(r), 0, "empty ring peeks 0");
	tap_is(ring_used(r), 0, "empty ring uses 0 bytes");

	for (i = 0; i < 8; i++)
		ok &= ring_push(r, make(32, (uint32_t)i));
	tap_ok(ok, "eight 32-byte records fill 256 bytes");
	tap_is(ring_used(r), 256, "full ring uses all bytes");
	tap_ok(!ring_push(r, make(8, 99)), "push to a full ring fails");
	tap_ok(!ring_push(r, make(32, 99)), "again");
	tap_is(ring_dropped(r), 2, "two drops counted");
	tap_is(ring_pushed(r), 8, "eight pushes counted");

	tap_is(ring_pop(r, rbuf, BUFSZ), 32, "pop one");
	tap_ok(check(rbuf, 32, 0), "first record intact");
	tap_ok(!ring_push(r, make(40, 99)), "40 bytes do not fit in 32 free");
	tap_ok(ring_push(r, make(32, 8)), "32 bytes fit in 32 free");
	for (i = 1; i <= 8; i++) {
		long n = ring_pop(r, rbuf, BUFSZ);
		ok &= n == 32 && check(rbuf, 32, (uint32_t)i);
	}
	tap_ok(ok, "the rest come out in order, the last one wrapped");
	tap_is(ring_pop(r, rbuf, BUFSZ), 0, "empty again");
	tap_is(ring_dropped(r), 3, "three drops in all");
	ring_destroy(r);
}

static void test_exact_fill(void)
{
	struct ring *r = ring_create(128);
	int i;

	tap_ok(ring_push(r, make(128, 1)), "record of the whole capacity fits an empty ring");
	tap_ok(!ring_push(r, make(8, 2)), "nothing else fits");
	tap_is(ring_peek_size(r), 128, "peek sees its size");
	tap_is(ring_pop(r, rbuf, BUFSZ), 128, "pop it");
	tap_ok(check(rbuf, 128, 1), "intact");

	/* Move the indices off zero so the full-size record must wrap. */
	for (i = 0; i < 5; i++) {
		ring_push(r, make(24, 3));
		ring_pop(r, rbuf, BUFSZ);
	}
	tap_ok(ring_push(r, make(128, 4)), "whole-capacity record fits at offset 120");
	tap_is(ring_pop(r, rbuf, BUFSZ), 128, "pop it");
	tap_ok(check(rbuf, 128, 4), "wrapped record intact");

	tap_ok(ring_push(r, make(64, 5)) && ring_push(r, make(64, 6)), "two halves fill it");
	tap_ok(!ring_push(r, make(8, 7)), "and nothing more");
	tap_ok(ring_pop(r, rbuf, BUFSZ) == 64 && check(rbuf, 64, 5), "first half");
	tap_ok(ring_pop(r, rbuf, BUFSZ) == 64 && check(rbuf, 64, 6), "second half");
	ring_destroy(r);
}

static void test_bad_sizes(void)
{
	struct ring *r = ring_create(128);
	struct rec_header *h;

	tap_ok(!ring_push(r, make(136, 1)), "record larger than the capacity refused");
	h = make(16, 1);
	h->size = 12;
	tap_ok(!ring_push(r, h), "size not a multiple of 8 refused");
	h->size = 0;
	tap_ok(!ring_push(r, h), "size 0 refused");
	h->size = 4;
	tap_ok(!ring_push(r, h), "size below a header refused");
	tap_is(ring_dropped(r), 4, "all counted as drops");
	tap_is(ring_used(r), 0, "nothing written");
	tap_ok(ring_push(r, make(8, 2)), "a bare header is a valid record");
	tap_ok(ring_pop(r, rbuf, BUFSZ) == 8 && check(rbuf, 8, 2), "and comes back");
	ring_destroy(r);
}

static void test_short_buffer(void)
{
	struct ring *r = ring_create(256);
	uint64_t small[4];

	ring_push(r, make(64, 9));
	tap_is(ring_pop(r, small, sizeof(small)), PYTOP_EINVAL, "short buffer refused");
	tap_is(ring_peek_size(r), 64, "record still there");
	tap_is(ring_pop(r, rbuf, 64), 64, "exact-size buffer works");
	tap_ok(check(rbuf, 64, 9), "intact");
	ring_destroy(r);
}

static void test_wrap_many(void)
{
	struct ring *r = ring_create(512);
	uint32_t seed_in = 0, seed_out = 0, i;
	int ok = 1;

	/* Keep the ring partly full while sizes vary so records straddle the
	 * end at every possible offset. */
	for (i = 0; i < 20000; i++) {
		uint32_t size = 8 + 8 * ((i * 7919u) % 40);

		if (ring_push(r, make(size, seed_in)))
			seed_in++;
		if (i % 3 != 0 || ring_used(r) > 400) {
			long n = ring_pop(r, rbuf, BUFSZ);

			if (n > 0) {
				ok &= check(rbuf, (uint32_t)n, seed_out);
				seed_out++;
			}
		}
		if (!ok)
			break;
	}
	while (ring_pop(r, rbuf, BUFSZ) > 0) {
		ok &= check(rbuf, ((struct rec_header *)rbuf)->size, seed_out);
		seed_out++;
	}
	tap_ok(ok, "20000 mixed pushes and pops: every record intact and in order");
	tap_is(seed_out, seed_in, "everything pushed came out");
	tap_is(ring_pushed(r), seed_in, "pushed counter matches");
	tap_is(ring_pushed(r) + ring_dropped(r), 20000, "pushed + dropped = attempts");
	ring_destroy(r);
}

static void test_pushv(void)
{
	struct ring *r = ring_create(128);
	struct func_def_rec d;
	const char *name = "main", *file = "app.py";
	struct ring_part parts[3];
	const struct func_def_rec *got = (const struct func_def_rec *)rbuf;
	uint32_t size = (uint32_t)(sizeof(d) + 5 + 7);
	int i;

	size = (size + 7) & ~7u;
	memset(&d, 0, sizeof(d));
	d.h.type = REC_DEFINE_FUNC;
	d.h.size = size;
	d.func_id = 7;
	d.name_len = 4;
	d.file_len = 6;
	parts[0] = (struct ring_part){ &d, sizeof(d) };
	parts[1] = (struct ring_part){ name, 5 };
	parts[2] = (struct ring_part){ file, 7 };
	/* Dirty the buffer first so zero fill is visible, and wrap. */
	for (i = 0; i < 3; i++) {
		ring_push(r, make(40, 0xff));
		ring_pop(r, rbuf, BUFSZ);
	}
	tap_ok(ring_pushv(r, parts, 3), "pushv of header + two strings");
	tap_is(ring_pop(r, rbuf, BUFSZ), size, "popped whole padded size");
	tap_ok(got->func_id == 7 && strcmp(got->strings, "main") == 0 &&
	       strcmp(got->strings + 5, "app.py") == 0, "pieces laid end to end");
	tap_ok(((uint8_t *)rbuf)[size - 1] == 0 && ((uint8_t *)rbuf)[size - 4] == 0,
	       "tail zero-filled");
	d.h.size = 16;
	tap_ok(!ring_pushv(r, parts, 3), "pieces longer than the header size refused");
	tap_ok(!ring_pushv(r, parts, 0), "no pieces refused");
	parts[0].len = 4;
	tap_ok(!ring_pushv(r, parts, 1), "first piece shorter than a header refused");
	tap_is(ring_dropped(r), 3, "counted as drops");
	ring_destroy(r);
}

int main(void)
{
	rbuf = malloc(BUFSZ);
	pbuf = malloc(BUFSZ);
	test_create();
	test_empty_full();
	test_exact_fill();
	test_bad_sizes();
	test_short_buffer();
	test_wrap_many();
	test_pushv();
	free(rbuf);
	free(pbuf);
	return tap_done();
}

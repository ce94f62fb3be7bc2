/* test_ring_stress: one producer and one consumer thread hammer the ring
 * with variable-size records carrying sequence numbers and checksummed
 * payloads; every record must arrive intact and in order, and
 * pushed == received + dropped. Also built with -fsanitize=thread.
 * PYTOP_STRESS_N overrides the number of records per phase. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sampling/ring.h"
#include "sampling/sample.h"
#include "util/clock.h"
#include "tap.h"

#define MAX_REC 1024

struct stress_rec {
	struct rec_header h;
	uint64_t seq;
	uint64_t sum;
	uint64_t payload[];
};

struct run {
	struct ring *r;
	uint64_t n;             /* records to offer */
	int lossless;           /* producer retries instead of dropping */
	_Atomic int done;
	/* producer results */
	uint64_t offered, accepted, failed_pushes;
	/* consumer results */
	uint64_t received, gaps, bad, disorder;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint32_t rec_size(uint64_t seq)
{
	/* 24 .. MAX_REC bytes, mostly small like real samples. */
	uint64_t m = mix(seq);
	uint32_t words = (m & 7) == 0 ? (uint32_t)(m >> 8) % (MAX_REC / 8 - 3) : (uint32_t)(m >> 8) % 24;

	return (uint32_t)sizeof(struct stress_rec) + 8 * words;
}

static void *producer(void *arg)
{
	struct run *run = arg;
	struct stress_rec *rec = malloc(MAX_REC);
	uint64_t seq;

	for (seq = 1; seq <= run->n; seq++) {
		uint32_t size = rec_size(seq), words = (uint32_t)(size - sizeof(*rec)) / 8, i;
		uint64_t sum = seq;

		rec->h.type = REC_SAMPLE;
		rec->h.pad = 0;
		rec->h.size = size;
		rec->seq = seq;
		for (i = 0; i < words; i++) {
			rec->payload[i] = mix(seq * 1000003u + i);
			sum = sum * 31 + rec->payload[i];
		}
		rec->sum = sum;
		run->offered++;
		while (!ring_push(run->r, &rec->h)) {
			run->failed_pushes++;
			if (!run->lossless)
				break;
			sched_yield();
		}
	}
	free(rec);
	atomic_store_explicit(&run->done, 1, memory_order_release);
	return NULL;
}

static void consume(struct run *run, const struct stress_rec *rec, long n, uint64_t *last)
{
	uint32_t words = (uint32_t)(n - (long)sizeof(*rec)) / 8, i;
	uint64_t sum = rec->seq;

	run->received++;
	if (rec->h.type != REC_SAMPLE || rec->h.size != (uint32_t)n || rec->h.size != rec_size(rec->seq)) {
		run->bad++;
		return;
	}
	for (i = 0; i < words; i++) {
		if (rec->payload[i] != mix(rec->seq * 1000003u + i))
			run->bad++;
		sum = sum * 31 + rec->payload[i];
	}
	if (sum != rec->sum)
		run->bad++;
	if (rec->seq <= *last)
		run->disorder++;
	else
		run->gaps += rec->seq - *last - 1;
	*last = rec->seq;
}

static void *consumer(void *arg)
{
	struct run *run = arg;
	struct stress_rec *buf = malloc(MAX_REC);
	uint64_t last = 0;
	long n;

	for (;;) {
		n = ring_pop(run->r, buf, MAX_REC);
		if (n > 0) {
			consume(run, buf, n, &last);
			continue;
		}
		if (n < 0) {
			run->bad++;
			break;
		}
		if (atomic_load_explicit(&run->done, memory_order_acquire)) {
			while ((n = ring_pop(run->r, buf, MAX_REC)) > 0)
				consume(run, buf, n, &last);
			break;
		}
		sched_yield();
	}
	free(buf);
	/* Records lost at the tail end count as gaps too. */
	run->gaps += run->n - last;
	return NULL;
}

static void phase(uint64_t n, size_t cap, int lossless)
{
	struct run run;
	pthread_t pt, ct;
	const char *what = lossless ? "lossless" : "lossy";

	memset(&run, 0, sizeof(run));
	run.r = ring_create(cap);
	run.n = n;
	run.lossless = lossless;
	atomic_init(&run.done, 0);
	pthread_create(&ct, NULL, consumer, &run);
	pthread_create(&pt, NULL, producer, &run);
	pthread_join(pt, NULL);
	pthread_join(ct, NULL);

	tap_is(run.bad, 0, "%s: every record intact (%llu received)", what,
	       (unsigned long long)run.received);
	tap_is(run.disorder, 0, "%s: records in order", what);
	tap_is(ring_pushed(run.r), run.received, "%s: pushed == received", what);
	tap_is(ring_dropped(run.r), run.failed_pushes, "%s: drop counter == failed pushes", what);
	if (lossless) {
		tap_is(run.received, n, "%s: all %llu records arrived", what, (unsigned long long)n);
	} else {
		tap_is(run.received + ring_dropped(run.r), run.offered,
		       "%s: offered == received + dropped (%llu dropped)", what,
		       (unsigned long long)ring_dropped(run.r));
		tap_is(run.gaps, ring_dropped(run.r), "%s: missing sequence numbers == dropped", what);
	}
	ring_destroy(run.r);
}

/* Milliseconds since t0 (clock_now_ns). */
static double ms_since(uint64_t t0)
{
	return (double)(clock_now_ns() - t0) / 1e6;
}

struct waker {
	struct ring *r;
	int pushes;             /* 1 KiB records, one a millisecond; 0: ring_wake() after 20 ms */
};

static void *waker_main(void *arg)
{
	struct waker *w = arg;
	static _Alignas(8) unsigned char rec[1024];
	struct rec_header *h = (struct rec_header *)rec;

	h->type = REC_SAMPLE;
	h->size = sizeof rec;
	if (!w->pushes) {
		clock_sleep_ns(20000000ull);
		ring_wake(w->r);
	}
	for (int i = 0; i < w->pushes; i++) {
		clock_sleep_ns(1000000ull);
		ring_push(w->r, h);
	}
	return NULL;
}

/* ring_wait(): a consumer asleep till its next drain is woken by the push
 * that fills the ring to the mark (a burst must not overrun a slow drain),
 * by ring_wake(), or by the timeout. */
static void test_wait(void)
{
	struct ring *r = ring_create(1 << 16);
	struct waker w = { r, 64 };
	pthread_t t;
	uint64_t t0 = clock_now_ns();

	ring_wait(r, 16 << 10, 50000000ull);
	double took = ms_since(t0);
	tap_ok(took >= 40 && took < 1000, "wait: an empty ring sleeps its timeout (%.1f ms of 50)", took);

	pthread_create(&t, NULL, waker_main, &w);
	t0 = clock_now_ns();
	ring_wait(r, 16 << 10, 5000000000ull);
	took = ms_since(t0);
	size_t used = ring_used(r);
	tap_ok(used >= 16 << 10 && took < 2000, "wait: woken at a quarter full (%zu bytes, %.1f ms of 5000)", used, took);
	pthread_join(t, NULL);

	t0 = clock_now_ns();
	ring_wait(r, 16 << 10, 5000000000ull);
	took = ms_since(t0);
	tap_ok(took < 1000, "wait: a ring that full already returns at once (%.1f ms)", took);

	w.r = ring_create(1 << 16);
	w.pushes = 0;
	pthread_create(&t, NULL, waker_main, &w);
	t0 = clock_now_ns();
	ring_wait(w.r, 16 << 10, 5000000000ull);
	took = ms_since(t0);
	tap_ok(took < 2000, "wait: ring_wake() ends it (%.1f ms of 5000)", took);
	pthread_join(t, NULL);

	/* A wake with no wait on: the next wait does not sleep through it,
	 * and the one after sleeps again. */
	ring_wake(w.r);
	t0 = clock_now_ns();
	ring_wait(w.r, 16 << 10, 5000000000ull);
	took = ms_since(t0);
	tap_ok(took < 1000, "wait: a ring_wake() before it ends it at once (%.1f ms of 5000)", took);
	t0 = clock_now_ns();
	ring_wait(w.r, 16 << 10, 50000000ull);
	took = ms_since(t0);
	tap_ok(took >= 40, "wait: the wake is taken once (%.1f ms of 50)", took);
	ring_destroy(w.r);
	ring_destroy(r);
}

int main(void)
{
	const char *env = getenv("PYTOP_STRESS_N");
	uint64_t n = env ? strtoull(env, NULL, 10) : 2000000;

	phase(n, 4096, 0);
	phase(n / 4, 2048, 1);
	phase(n, 1 << 16, 0);
	test_wait();
	return tap_done();
}

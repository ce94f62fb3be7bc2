/* ring: the SPSC record ring. head and tail are free-running byte counts
 * (never wrapped), each written by one side only with release stores and
 * read by the other with acquire loads; each side also caches the other's
 * index on its own cache line so the common case touches no shared line.
 * A consumer may sleep until the ring fills to a mark (a futex the push
 * that reaches it wakes). */
#include "sampling/ring.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "util/clock.h"

#define CACHE_LINE 64

struct ring {
	/* Written by the producer. */
	alignas(CACHE_LINE) _Atomic uint64_t head;
	uint64_t tail_cache;              /* producer's last view of tail */
	_Atomic uint64_t dropped;
	_Atomic uint64_t pushed;

	/* Written by the consumer. */
	alignas(CACHE_LINE) _Atomic uint64_t tail;
	uint64_t head_cache;              /* consumer's last view of head */

	/* A consumer's wait (ring_wait/ring_wake): a line of its own, read at
	 * each push but written only when a wait begins or ends. */
	alignas(CACHE_LINE) _Atomic uint64_t wake_at;   /* wake when head reaches it
							 * (UINT64_MAX: no wait on) */
	_Atomic uint32_t wake_seq;        /* the futex word: bumped at each wake */
	_Atomic bool wake_pending;        /* a ring_wake() the next wait must not sleep through */

	/* Constant after ring_create(). */
	alignas(CACHE_LINE) uint8_t *buf;
	size_t cap;
	size_t mask;
};

static size_t round_up_pow2(size_t n)
{
	size_t p = RING_CAPACITY_MIN;

	while (p < n)
		p <<= 1;
	return p;
}

struct ring *ring_create(size_t capacity)
{
	struct ring *r;
	size_t cap;

	if (capacity == 0 || capacity > RING_CAPACITY_MAX)
		return NULL;
	cap = round_up_pow2(capacity);
	r = aligned_alloc(CACHE_LINE, (sizeof(*r) + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1));
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->buf = aligned_alloc(CACHE_LINE, cap);
	if (!r->buf) {
		free(r);
		return NULL;
	}
	memset(r->buf, 0, cap);
	r->cap = cap;
	r->mask = cap - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->dropped, 0);
	atomic_init(&r->pushed, 0);
	atomic_init(&r->wake_at, UINT64_MAX);
	atomic_init(&r->wake_seq, 0);
	atomic_init(&r->wake_pending, false);
	return r;
}

void ring_destroy(struct ring *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

size_t ring_capacity(const struct ring *r)
{
	return r->cap;
}

/* Copy len bytes (or zeros when src is NULL) into the ring at byte count
 * pos, splitting at the end of the buffer. */
static void copy_in(struct ring *r, uint64_t pos, const void *src, size_t len)
{
	size_t off = (size_t)pos & r->mask;
	size_t first = r->cap - off;

	if (first > len)
		first = len;
	if (src) {
		memcpy(r->buf + off, src, first);
		memcpy(r->buf, (const uint8_t *)src + first, len - first);
	} else {
		memset(r->buf + off, 0, first);
		memset(r->buf, 0, len - first);
	}
}

static void copy_out(const struct ring *r, uint64_t pos, void *dst, size_t len)
{
	size_t off = (size_t)pos & r->mask;
	size_t first = r->cap - off;

	if (first > len)
		first = len;
	memcpy(dst, r->buf + off, first);
	memcpy((uint8_t *)dst + first, r->buf, len - first);
}

static bool drop(struct ring *r)
{
	atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
	return false;
}

bool ring_pushv(struct ring *r, const struct ring_part *parts, size_t nparts)
{
	struct rec_header h;
	uint64_t head, pos;
	size_t size, sum = 0, i;

	if (nparts == 0 || parts[0].len < sizeof(h))
		return drop(r);
	memcpy(&h, parts[0].data, sizeof(h));
	size = h.size;
	for (i = 0; i < nparts; i++)
		sum += parts[i].len;
	if (size < sizeof(h) || size % 8 || size > r->cap || sum > size)
		return drop(r);

	head = atomic_load_explicit(&r->head, memory_order_relaxed);
	if (head + size - r->tail_cache > r->cap) {
		/* Acquire: the consumer has finished reading what it freed. */
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (head + size - r->tail_cache > r->cap)
			return drop(r);
	}
	pos = head;
	for (i = 0; i < nparts; i++) {
		copy_in(r, pos, parts[i].data, parts[i].len);
		pos += parts[i].len;
	}
	if (sum < size)
		copy_in(r, pos, NULL, size - sum);
	/* Release: the record's bytes are visible before the new head. */
	atomic_store_explicit(&r->head, head + size, memory_order_release);
	atomic_fetch_add_explicit(&r->pushed, 1, memory_order_relaxed);
	/* A wake missed here (the consumer's wake_at not seen yet) is made
	 * at the next push: wake_at stays set until the wait ends. */
	if (head + size >= atomic_load_explicit(&r->wake_at, memory_order_relaxed))
		ring_wake(r);
	return true;
}

bool ring_push(struct ring *r, const struct rec_header *rec)
{
	struct ring_part part = { rec, sizeof(*rec) };

	if (rec->size >= sizeof(*rec))
		part.len = rec->size;
	return ring_pushv(r, &part, 1);
}

size_t ring_peek_size(struct ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	struct rec_header h;

	if (tail == r->head_cache) {
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		if (tail == r->head_cache)
			return 0;
	}
	/* Offsets are multiples of 8, so a header never straddles the end. */
	memcpy(&h, r->buf + ((size_t)tail & r->mask), sizeof(h));
	return h.size;
}

long ring_pop(struct ring *r, void *buf, size_t bufsize)
{
	uint64_t tail;
	size_t size = ring_peek_size(r);

	if (size == 0)
		return 0;
	if (size > bufsize)
		return PYTOP_EINVAL;
	tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	copy_out(r, tail, buf, size);
	/* Release: our reads are done before the producer may reuse the bytes. */
	atomic_store_explicit(&r->tail, tail + size, memory_order_release);
	return (long)size;
}

uint64_t ring_dropped(const struct ring *r)
{
	return atomic_load_explicit(&r->dropped, memory_order_relaxed);
}

uint64_t ring_pushed(const struct ring *r)
{
	return atomic_load_explicit(&r->pushed, memory_order_relaxed);
}

size_t ring_used(const struct ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	return head >= tail ? (size_t)(head - tail) : 0;
}

void ring_wake(struct ring *r)
{
	/* Kept for a wait not begun yet (the consumer between its last look
	 * at the sampler and its next wait would sleep through this wake). */
	atomic_store_explicit(&r->wake_pending, true, memory_order_seq_cst);
	if (atomic_exchange_explicit(&r->wake_at, UINT64_MAX, memory_order_seq_cst) == UINT64_MAX)
		return;   /* no wait on, or woken already */
	atomic_fetch_add_explicit(&r->wake_seq, 1, memory_order_release);
	syscall(SYS_futex, &r->wake_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void ring_wait(struct ring *r, size_t bytes, uint64_t timeout_ns)
{
	struct timespec ts = clock_timespec(timeout_ns);
	uint32_t seq = atomic_load_explicit(&r->wake_seq, memory_order_acquire);
	uint64_t want = atomic_load_explicit(&r->tail, memory_order_relaxed) + (bytes ? bytes : 1);

	atomic_store_explicit(&r->wake_at, want, memory_order_seq_cst);
	bool woken = atomic_exchange_explicit(&r->wake_pending, false, memory_order_seq_cst);
	if (!woken && atomic_load_explicit(&r->head, memory_order_seq_cst) < want)
		/* Returns at the timeout, a signal (EINTR), a wake, or at once
		 * when the word moved since it was read (EAGAIN). */
		syscall(SYS_futex, &r->wake_seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
	atomic_store_explicit(&r->wake_at, UINT64_MAX, memory_order_relaxed);
}

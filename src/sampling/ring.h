/* ring: a single-producer single-consumer lock-free byte ring carrying
 * variable-length records (a struct rec_header first, size a multiple of 8)
 * from the sampler thread to the consumer. Records may wrap around the end
 * of the buffer; the consumer copies each one out whole. */
#ifndef PYTOP_SAMPLING_RING_H
#define PYTOP_SAMPLING_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sampling/sample.h"

#define RING_CAPACITY_MIN 64u
#define RING_CAPACITY_MAX ((size_t)1 << 30)

struct ring;

/* One piece of a record given to ring_pushv(). */
struct ring_part {
	const void *data;
	size_t len;
};

/* Make a ring of `capacity` bytes rounded up to a power of two (at least
 * RING_CAPACITY_MIN); NULL if capacity is 0, above RING_CAPACITY_MAX, or
 * memory is short. */
struct ring *ring_create(size_t capacity);

/* Free a ring (neither side may use it any more). */
void ring_destroy(struct ring *r);

/* Capacity in bytes: the largest record that can ever be pushed. */
size_t ring_capacity(const struct ring *r);

/* Producer: copy one record (rec->size bytes) in. Returns false and counts
 * one drop when it does not fit now, or can never fit (size above the
 * capacity, below 8, or not a multiple of 8). Never blocks or allocates. */
bool ring_push(struct ring *r, const struct rec_header *rec);

/* Producer: like ring_push() for a record given in pieces laid end to end;
 * parts[0] starts with the header, whose size must be at least the sum of
 * the lengths: the bytes after the last piece are zero-filled up to it. */
bool ring_pushv(struct ring *r, const struct ring_part *parts, size_t nparts);

/* Consumer: size of the next record, 0 when the ring is empty. */
size_t ring_peek_size(struct ring *r);

/* Consumer: copy the next record into buf (8-byte aligned) and remove it.
 * Returns its size, 0 when empty, or PYTOP_EINVAL if bufsize is smaller
 * than the record (which then stays in the ring). A buffer of
 * ring_capacity() bytes is always large enough. */
long ring_pop(struct ring *r, void *buf, size_t bufsize);

/* Records refused by ring_push()/ring_pushv() so far (either side). */
uint64_t ring_dropped(const struct ring *r);

/* Records accepted by ring_push()/ring_pushv() so far (either side). */
uint64_t ring_pushed(const struct ring *r);

/* Bytes in use at this instant (a snapshot; either side). */
size_t ring_used(const struct ring *r);

/* Consumer: sleep until timeout_ns has passed, a signal arrives, ring_wake()
 * is called, or the ring holds `bytes` or more (the producer's push that
 * gets it there wakes it: one futex call, only while a wait is on). Returns
 * at once when it is that full already. A consumer that sleeps long between
 * drains cannot be overrun by a sudden burst for want of a wake-up. */
void ring_wait(struct ring *r, size_t bytes, uint64_t timeout_ns);

/* Producer: end a ring_wait() now (a target gone), or the next one to
 * begin when none is on. */
void ring_wake(struct ring *r);

#endif

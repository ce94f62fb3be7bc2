/* mutator: a libFuzzer custom mutator that knows the input format
 * (fuzz_input.h). Most mutations overwrite one aligned u64 inside a segment
 * with a value a hostile target would plant: a pointer into another
 * segment, a size near a limit, a small count, a neighbour of the old value;
 * the rest are libFuzzer's own byte-level mutations (and header flips). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/fuzz/fuzz_input.h"

#define MAX_SEGS 4096

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

struct seg_pos {
	uint64_t addr;
	size_t data, len;   /* where the segment's bytes are in the input */
};

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static int segments(const uint8_t *data, size_t size, struct seg_pos *s)
{
	int n = 0;
	size_t pos = FUZZ_HEADER;
	while (pos + FUZZ_SEG_HEADER <= size && n < MAX_SEGS) {
		uint64_t addr = get64(data + pos);
		uint32_t len;
		memcpy(&len, data + pos + 8, 4);
		pos += FUZZ_SEG_HEADER;
		size_t l = len < size - pos ? len : size - pos;
		s[n++] = (struct seg_pos){ addr, pos, l };
		pos += l;
	}
	return n;
}

static uint64_t hostile_value(uint64_t old, const struct seg_pos *s, int n)
{
	static const uint64_t edges[] = {
		0, 1, 2, 8, 0x7f, 0x80, 0xff, 0x100, 0x3ff, 0x400, 0x401, 0xfff, 0x1000,
		0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
		0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull,
		0xfffffffffffffff8ull, 0x414141414141ull, 0x4141414141414141ull,
	};
	switch (next() % 8) {
	case 0:
	case 1: {   /* a pointer into some segment (often an object's start) */
		const struct seg_pos *t = &s[next() % (uint64_t)n];
		uint64_t off = t->len ? (next() % t->len) & ~7ull : 0;
		return t->addr + (next() % 4 == 0 ? 0 : off);
	}
	case 2:
		return edges[next() % (sizeof edges / sizeof edges[0])];
	case 3:
		return next() % 512;
	case 4:
		return old + (next() % 33) - 16;
	case 5:
		return old ^ (1ull << (next() % 64));
	case 6:   /* a 32-bit field in the low half */
		return (old & ~0xffffffffull) | (uint32_t)edges[next() % (sizeof edges / sizeof edges[0])];
	default:
		return next();
	}
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	static struct seg_pos s[MAX_SEGS];
	rng = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
	next();
	if (size < FUZZ_HEADER + FUZZ_SEG_HEADER + 8 || next() % 4 == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	if (next() % 16 == 0) {   /* header: flags, version, thread count */
		data[next() % 4] ^= (uint8_t)(1u << (next() % 8));
		return size;
	}
	int n = segments(data, size, s);
	int changes = 1 + (int)(next() % 3);
	for (int k = 0; k < changes && n > 0; k++) {
		const struct seg_pos *t = &s[next() % (uint64_t)n];
		if (t->len < 8)
			continue;
		/* Aligned to the segment's address, as CPython's fields are. */
		uint64_t first = (8 - t->addr % 8) % 8;
		if (first + 8 > t->len)
			continue;
		size_t at = t->data + first + ((next() % (t->len - first - 7)) & ~(size_t)7);
		uint64_t v = hostile_value(get64(data + at), s, n);
		memcpy(data + at, &v, 8);
	}
	return size;
}

/* test_memory: the real process_vm_readv readers (src/process/memory.c) on
 * this process, with ranges a hostile target could make pytop ask for:
 * ranges whose end wraps past 2^64 are never read as if they were valid. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "process/memory.h"
#include "tap.h"

static unsigned char src[4096];
static unsigned char far_away[256];

/* Read n 16-byte ranges of src at the given offsets (with one range of
 * far_away first when far is set) and check every byte landed. */
static int ranges_land(const int *offs, int n, int far)
{
	static unsigned char out[80][16];
	struct mem_iov v[80];
	int k = 0;
	if (far) {
		v[0] = (struct mem_iov){ (uint64_t)(uintptr_t)far_away, out[0], 16 };
		k = 1;
	}
	for (int i = 0; i < n; i++, k++)
		v[k] = (struct mem_iov){ (uint64_t)(uintptr_t)src + (uint64_t)offs[i], out[k], 16 };
	memset(out, 0xee, sizeof out);
	if (mem_readv(getpid(), v, k) != k)
		return 0;
	for (int i = 0; i < k; i++)
		if (memcmp(out[i], (const void *)(uintptr_t)v[i].addr, 16) != 0)
			return 0;
	return 1;
}

int main(void)
{
	unsigned char a[64], b[64], big[4000];
	pid_t me = getpid();
	uint64_t here = (uint64_t)(uintptr_t)src;

	for (size_t i = 0; i < sizeof src; i++)
		src[i] = (unsigned char)i;
	tap_ok(mem_read(me, here, a, sizeof a) == 0 && memcmp(a, src, sizeof a) == 0, "a plain read works");
	tap_ok(mem_read(me, UINT64_MAX - 7, a, sizeof a) < 0, "a read whose end wraps past 2^64 fails");

	struct mem_iov v[2] = {
		{ here, a, sizeof a },
		{ here + 128, b, sizeof b },
	};
	tap_is(mem_readv(me, v, 2), 2, "two close ranges are read (coalesced)");
	tap_ok(memcmp(b, src + 128, sizeof b) == 0, "and land in the right buffers");

	v[1] = (struct mem_iov){ UINT64_MAX - 7, b, sizeof b };
	tap_is(mem_readv(me, v, 2), 1, "a batch whose second range wraps reads only the first");
	v[0] = (struct mem_iov){ UINT64_MAX - 7, a, sizeof a };
	tap_is(mem_readv(me, v, 1), 0, "a batch of one wrapping range reads nothing");

	/* Two ranges that coalescing would merge into one span whose end
	 * wrapped (span end below its start). */
	uint64_t x = UINT64_MAX - 3000;
	v[0] = (struct mem_iov){ x, a, 8 };
	v[1] = (struct mem_iov){ x + 16, big, sizeof big };
	tap_is(mem_readv(me, v, 2), 0, "a wrapping range next to another is not merged into a bogus span");

	/* Orders the coalescing sort sees: a descending chain with an outlier
	 * first (a thread state, then its frames), ascending, runs of both,
	 * and equal addresses. */
	int desc[64], asc[64], mixed[64], same[8], zigzag[64];
	for (int i = 0; i < 64; i++) {
		desc[i] = 16 * (63 - i) + 8;
		asc[i] = 16 * i;
		mixed[i] = i < 32 ? 16 * (31 - i) : 16 * i + 40;
		zigzag[i] = (i & 1) ? 16 * (63 - i) : 16 * i + 4;
	}
	for (int i = 0; i < 8; i++)
		same[i] = 32;
	for (size_t i = 0; i < sizeof far_away; i++)
		far_away[i] = (unsigned char)(255 - i);
	tap_ok(ranges_land(desc, 64, 1), "a descending chain after a far range lands in place");
	tap_ok(ranges_land(desc, 64, 0), "a descending chain alone lands in place");
	tap_ok(ranges_land(asc, 64, 1), "an ascending chain after a far range lands in place");
	tap_ok(ranges_land(mixed, 64, 1), "runs of both orders land in place");
	tap_ok(ranges_land(same, 8, 0), "ranges at one address land in place");
	tap_ok(ranges_land(zigzag, 64, 1), "a zigzag (more runs than are merged) lands in place");
	return tap_done();
}

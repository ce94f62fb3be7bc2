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
	return tap_done();
}

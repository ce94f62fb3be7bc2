/* test_memory: the real process_vm_readv readers (src/process/memory.c) on
 * this process, with ranges a hostile target could make pytop ask for:
 * ranges whose end wraps past 2^64 are never read as if they were valid. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
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

/* A deep chain's batch: 128 ranges alternating between a dense run
 * (144 bytes apart: data-stack frames) and a sparse one (1152 bytes apart:
 * C-stack entry frames), more than the coalescing buffer spans in all;
 * with each, also through mem_readv_each. */
static int chain_lands(unsigned char *mem, int each)
{
	static unsigned char out[128][88];
	struct mem_iov v[128];
	for (int i = 0; i < 128; i++) {
		size_t off = (i & 1) ? (size_t)(64 << 10) + 1152 * (size_t)(i / 2) : 144 * (size_t)(63 - i / 2);
		v[i] = (struct mem_iov){ (uint64_t)(uintptr_t)(mem + off), out[i], 88 };
	}
	memset(out, 0xee, sizeof out);
	if ((each ? mem_readv_each(getpid(), v, 128) : mem_readv(getpid(), v, 128)) != 128)
		return 0;
	for (int i = 0; i < 128; i++)
		if (v[i].len != 88 || memcmp(out[i], (const void *)(uintptr_t)v[i].addr, 88) != 0)
			return 0;
	return 1;
}

/* mem_readv_each over three pages whose middle one is unmapped (a freed
 * data-stack chunk among live frames): 24 ranges, 8 per page, in a
 * zigzag order, plus one that starts on the first page and ends on the
 * middle one. */
static void each_around_a_hole(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *m = mmap(NULL, 3 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static unsigned char out[25][32];
	struct mem_iov v[25];
	if (m == MAP_FAILED) {
		tap_ok(0, "mmap for the hole test");
		return;
	}
	for (long i = 0; i < 3 * pg; i++)
		m[i] = (unsigned char)(i * 7 + 1);
	munmap(m + pg, (size_t)pg);
	for (int i = 0; i < 24; i++) {
		int page = i % 3, slot = i / 3;
		v[i] = (struct mem_iov){ (uint64_t)(uintptr_t)(m + page * pg + slot * 256 + 8), out[i], 32 };
	}
	v[24] = (struct mem_iov){ (uint64_t)(uintptr_t)(m + pg - 16), out[24], 32 };
	memset(out, 0xee, sizeof out);
	int got = mem_readv_each(getpid(), v, 25);
	int good = 1, holes = 1;
	for (int i = 0; i < 24; i++) {
		if (i % 3 == 1)
			holes &= v[i].len == 0;
		else
			good &= v[i].len == 32 && memcmp(out[i], (const void *)(uintptr_t)v[i].addr, 32) == 0;
	}
	tap_is(got, 16, "mem_readv_each around an unmapped page: the 16 ranges off it are read");
	tap_ok(good, "... each whole, in its own buffer");
	tap_ok(holes && v[24].len == 0, "... and the 8 on it and the one reaching into it are marked (len 0)");

	/* The same batch through mem_readv: only the leading range is read. */
	for (int i = 0; i < 25; i++)
		v[i].len = 32;
	tap_is(mem_readv(getpid(), v, 25), 1, "mem_readv stops at the first range it cannot read");
	munmap(m, (size_t)pg);
	munmap(m + 2 * pg, (size_t)pg);
}

/* Random batches over 32 pages of which some are PROT_NONE (freed chunks
 * among live frames), in any order, some ranges crossing pages, a few
 * bigger than the coalescing buffer's spans, some at 0 or wrapping past
 * 2^64: mem_readv_each marks exactly the ranges that cannot be read whole
 * and copies the others' bytes; mem_readv reads exactly the leading
 * readable ones. A fixed-seed generator: the same batches every run. */
static unsigned lcg_state = 12345;
static unsigned lcg(void)
{
	lcg_state = lcg_state * 1103515245u + 12345u;
	return (lcg_state >> 8) & 0xffffff;
}

static int random_batches(void)
{
	enum { NPG = 32, MAXN = 300, MAXLEN = 9000 };
	long pg = sysconf(_SC_PAGESIZE);
	size_t size = (size_t)NPG * (size_t)pg;
	unsigned char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static unsigned char out[MAXN][MAXLEN];
	static struct mem_iov v[MAXN];
	static size_t want[MAXN];
	int none[NPG], ok = 1;
	if (m == MAP_FAILED)
		return 0;
	for (size_t i = 0; i < size; i++)
		m[i] = (unsigned char)(i * 131 + 7);
	for (int p = 0; p < NPG; p++)
		if ((none[p] = p % 5 == 2 || p % 7 == 3))
			mprotect(m + (size_t)p * (size_t)pg, (size_t)pg, PROT_NONE);
	uint64_t b = (uint64_t)(uintptr_t)m;
	for (int it = 0; it < 300 && ok; it++) {
		int n = 1 + (int)(lcg() % (it & 1 ? MAXN : 24)), mode = (int)(lcg() % 3);
		for (int i = 0; i < n; i++) {
			unsigned r = lcg() % 100;
			size_t len = r < 3 ? 1 + lcg() % MAXLEN : 1 + lcg() % 600;
			uint64_t off = mode == 0 ? lcg() % size :
				       mode == 1 ? (uint64_t)i * (144 + lcg() % 3) :
						   (uint64_t)(n - i) * 1152 + (uint64_t)(i & 1) * 20000;
			uint64_t a = b + (off % size > size - len ? size - len : off % size);
			if (r == 50)
				a = 0;
			if (r == 51)
				a = UINT64_MAX - lcg() % 5000;
			v[i] = (struct mem_iov){ a, out[i], len };
			want[i] = len;
		}
		int each = it % 2, got = each ? mem_readv_each(getpid(), v, n) : mem_readv(getpid(), v, n);
		int count = 0, lead = -1;
		for (int i = 0; i < n; i++) {
			int can = v[i].addr >= b && v[i].addr - b < size;
			for (uint64_t a = v[i].addr; can && a < v[i].addr + want[i]; a = (a | ((uint64_t)pg - 1)) + 1)
				can = !none[(a - b) / (uint64_t)pg];
			if (!can && lead < 0)
				lead = i;
			if (each) {
				if (v[i].len != (can ? want[i] : 0))
					ok = 0;
				count += v[i].len > 0;
			}
			if (can && (each || lead < 0) && memcmp(out[i], (const void *)(uintptr_t)v[i].addr, want[i]) != 0)
				ok = 0;
		}
		if (got != (each ? count : lead < 0 ? n : lead))
			ok = 0;
	}
	munmap(m, size);
	return ok;
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
	int desc[64], asc[64], mixed[64], same[8], zigzag[64], scrambled[64];
	for (int i = 0; i < 64; i++) {
		scrambled[i] = 16 * ((i * 37) % 64);
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
	tap_ok(ranges_land(zigzag, 64, 1), "a zigzag (two interleaved piles) lands in place");
	tap_ok(ranges_land(scrambled, 64, 1), "a scrambled order (more piles than are merged) lands in place");

	static unsigned char deep[(64 << 10) + 1152 * 64 + 4096];
	for (size_t i = 0; i < sizeof deep; i++)
		deep[i] = (unsigned char)(i ^ (i >> 8));
	tap_ok(chain_lands(deep, 0), "a deep chain's batch, more than one scratch buffer of spans, lands in place");
	tap_ok(chain_lands(deep, 1), "... also with mem_readv_each");
	each_around_a_hole();
	struct mem_iov w2[2] = { { here, a, 8 }, { UINT64_MAX - 7, b, 16 } };
	tap_is(mem_readv_each(me, w2, 2), 1, "mem_readv_each: a wrapping range is not read ...");
	tap_ok(w2[0].len == 8 && w2[1].len == 0, "... and marked, the other read");
	tap_ok(random_batches(), "random batches around PROT_NONE pages: exactly the ranges that cannot be read are marked (each) or end the batch (readv), the others land");
	return tap_done();
}

/* big_alloc: for the fuzz build only (linked with -Wl,--wrap=xmalloc,
 * --wrap=xcalloc, --wrap=free). Each attach allocates tens of MB of caches
 * (stack.c) of which an execution touches a few pages; under ASan a fresh
 * allocation that size costs a millisecond of shadow poisoning. Blocks of
 * BIG_MIN bytes or more come instead from a few reusable mappings, each
 * ending at a PROT_NONE guard page (an overflow still faults), zeroed on free
 * with MADV_DONTNEED (cost in touched pages only). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BIG_MIN (256u << 10)
#define BIG_SLOTS 16
#define PAGE 4096u

void *__real_xmalloc(size_t n);
void *__real_xcalloc(size_t n, size_t size);
void __real_free(void *p);
void *__wrap_xmalloc(size_t n);
void *__wrap_xcalloc(size_t n, size_t size);
void __wrap_free(void *p);

struct big {
	char *map;          /* the mapping: pages, then the guard page */
	size_t pages;       /* bytes before the guard */
	size_t size;        /* the block's size */
	char *block;        /* map + pages - size: ends at the guard */
	int used;
};

static struct big bigs[BIG_SLOTS];

static void *big_get(size_t size)
{
	struct big *spare = NULL;
	for (int i = 0; i < BIG_SLOTS; i++) {
		struct big *b = &bigs[i];
		if (b->map && !b->used && b->size == size) {
			b->used = 1;
			return b->block;
		}
		if (!b->map && !spare)
			spare = b;
	}
	if (!spare)
		return NULL;
	size_t pages = (size + PAGE - 1) / PAGE * PAGE;
	char *m = mmap(NULL, pages + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m + pages, PAGE, PROT_NONE) < 0) {
		munmap(m, pages + PAGE);
		return NULL;
	}
	*spare = (struct big){ m, pages, size, m + pages - size, 1 };
	return spare->block;
}

void *__wrap_xmalloc(size_t n)
{
	void *p = n >= BIG_MIN ? big_get(n) : NULL;
	return p ? p : __real_xmalloc(n);
}

void *__wrap_xcalloc(size_t n, size_t size)
{
	void *p = size && n <= SIZE_MAX / size && n * size >= BIG_MIN ? big_get(n * size) : NULL;
	return p ? p : __real_xcalloc(n, size);
}

void __wrap_free(void *p)
{
	for (int i = 0; p && i < BIG_SLOTS; i++) {
		struct big *b = &bigs[i];
		if (b->map && b->block == p) {
			if (!b->used) {
				fprintf(stderr, "big_alloc: double free of %p\n", p);
				abort();
			}
			madvise(b->map, b->pages, MADV_DONTNEED);
			b->used = 0;
			return;
		}
	}
	__real_free(p);
}

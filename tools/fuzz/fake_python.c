/* fake_python: a process that imitates CPython 3.13 for pytop: it exports
 * _PyRuntime, Py_Version and PyCode_Type as dynamic symbols (link with
 * -rdynamic) and fills _PyRuntime with hostile bytes, then waits to be read.
 *   fake_python MODE [SEED]
 * MODE: random (SEED picks the bytes), 0x41 (every byte 'A'), sea (the real
 * 3.13.0 _Py_DebugOffsets over a sea of pointers into _PyRuntime), hugesizes
 * (the sea with sizes and offsets as large as the mapping allows),
 * selfloop (a valid block whose interpreter and thread lists point at
 * themselves), or @FILE (the bytes of FILE). Prints "ready" once filled. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUNTIME_BYTES (256u << 10)
#define SEA 0x2000

/* The names pytop looks up; sizes as large as a real interpreter's. */
__attribute__((used, aligned(64))) unsigned char _PyRuntime[RUNTIME_BYTES];
__attribute__((used)) uint32_t Py_Version = 0x030d00f0;   /* 3.13.0 final */
__attribute__((used, aligned(64))) unsigned char PyCode_Type[512];

/* The _Py_DebugOffsets of CPython 3.13.0 (x86-64), u64 index 0 = version. */
static const uint64_t real_3_13[72] = {
	0x30d00f0, 0x0, 0x452b8, 0x260, 0x278, 0x2f998, 0x1c68, 0x1c60,
	0x1cb0, 0x1ce8, 0x1de8, 0x1dd8, 0x1de0, 0x10, 0x1e48, 0x0,
	0x1e58, 0x1e50, 0x130, 0x0, 0x8, 0x10, 0x48, 0x98,
	0xa0, 0xe8, 0x20, 0x50, 0x8, 0x0, 0x38, 0x48,
	0x46, 0xd0, 0x70, 0x78, 0x80, 0x88, 0x44, 0x34,
	0x60, 0x68, 0xc8, 0x10, 0x8, 0x1a0, 0x18, 0x58,
	0xa8, 0x20, 0x18, 0x10, 0x28, 0x18, 0x10, 0x30,
	0x20, 0x28, 0x18, 0x10, 0x20, 0x10, 0x18, 0x28,
	0x10, 0x20, 0x40, 0x20, 0x10, 0x28, 0xf0, 0xc8,
};

static void put64(size_t off, uint64_t v)
{
	memcpy(_PyRuntime + off, &v, 8);
}

/* A _Py_DebugOffsets block: cookie, version, then u64 fields by index. */
static void debug_block(uint64_t fill)
{
	memcpy(_PyRuntime, "xdebugpy", 8);
	put64(8, 0x030d00f0);
	for (int i = 1; i < 72; i++)
		put64(8 + 8 * (size_t)i, fill);
	put64(8 + 8 * 1, 0);   /* not free-threaded */
}

/* The real 3.13.0 block over a sea of pointers to SEA: every object pytop
 * follows (interpreter, thread state, frame, code, str, dict) is the same
 * bytes, whose fields all point back into the sea. */
static void real_sea(void)
{
	uint64_t sea = (uint64_t)(uintptr_t)_PyRuntime + SEA;
	for (size_t off = 1024; off + 8 <= RUNTIME_BYTES; off += 8)
		put64(off, sea);
	memcpy(_PyRuntime, "xdebugpy", 8);
	for (int i = 0; i < 72; i++)
		put64(8 + 8 * (size_t)i, real_3_13[i]);
	put64((size_t)real_3_13[4], sea);   /* runtime.interpreters_head */
}

static void fill_random(unsigned seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	for (size_t i = 0; i < RUNTIME_BYTES; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		_PyRuntime[i] = (unsigned char)x;
	}
	/* Keep the cookie, and offsets within the mapping, so the bytes get
	 * past the offsets table; pointers stay random. */
	memcpy(_PyRuntime, "xdebugpy", 8);
	put64(8, 0x030d00f0);
	for (int i = 1; i < 72; i++) {
		uint64_t v;
		memcpy(&v, _PyRuntime + 8 + 8 * i, 8);
		put64(8 + 8 * (size_t)i, v & (RUNTIME_BYTES / 2 - 8));
	}
	put64(8 + 8 * 1, 0);   /* not free-threaded */
}

static int fill_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(_PyRuntime, 1, RUNTIME_BYTES, f);
	fclose(f);
	return n > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "random";
	unsigned seed = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 1;
	uint64_t self = (uint64_t)(uintptr_t)_PyRuntime;

	if (strcmp(mode, "random") == 0) {
		fill_random(seed);
	} else if (strcmp(mode, "0x41") == 0) {
		memset(_PyRuntime, 0x41, RUNTIME_BYTES);
		memset(PyCode_Type, 0x41, sizeof PyCode_Type);
	} else if (strcmp(mode, "sea") == 0) {
		real_sea();
	} else if (strcmp(mode, "hugesizes") == 0) {
		/* The sea, with the sizes and offsets that size reads into
		 * pytop's buffers as large as the mapping allows. */
		real_sea();
		put64(8 + 8 * 18, 0x7ffffff0);   /* tstate size */
		put64(8 + 8 * 57, 0x30000);      /* dict values */
		put64(8 + 8 * 62, 0x30000);      /* long digit */
		put64(8 + 8 * 36, 0x30000);      /* code qualname */
		put64(8 + 8 * 69, 0x30000);      /* unicode data */
	} else if (strcmp(mode, "selfloop") == 0) {
		debug_block(8);
		/* Every offset 8: interp->next, tstate->next, frame->previous
		 * all read the pointer at +8, which points back to itself. */
		put64(8 + 8 * 4, 1024);          /* runtime.interpreters_head */
		put64(8 + 8 * 18, 512);          /* tstate size */
		for (size_t off = 1024; off + 8 <= RUNTIME_BYTES; off += 8)
			put64(off, self + 1024);
	} else if (mode[0] == '@') {
		if (fill_file(mode + 1) < 0) {
			perror(mode + 1);
			return 2;
		}
	} else {
		fprintf(stderr, "usage: fake_python random|0x41|sea|hugesizes|selfloop|@FILE [SEED]\n");
		return 2;
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}

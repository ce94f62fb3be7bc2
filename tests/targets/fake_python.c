/* fake_python: a process that imitates CPython 3.13 for pytop, as a hostile
 * target would: it exports _PyRuntime (starting with the _Py_DebugOffsets
 * block of a real 3.13.0, tests/unit/debug_offsets_golden.h), Py_Version and
 * PyCode_Type, with one interpreter and one thread state in its own memory.
 *
 *   fake_python                  the real block, a sane one-thread list
 *   fake_python set INDEX VALUE  block uint64 INDEX (after the cookie) = VALUE
 *   fake_python loop-interp      the interpreter list points back at itself
 *   fake_python loop-thread      the thread-state list points back at itself
 *   fake_python fill INDEX VALUE like set, all else of _PyRuntime 0x41, and
 *                                sys.modules pointing into those 0x41 bytes
 *
 * It prints "ready" once set up, then sleeps until killed. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/debug_offsets_golden.h"

__attribute__((used, aligned(64))) unsigned char _PyRuntime[16384];
__attribute__((used)) uint32_t Py_Version = 0x030d00f0;
__attribute__((used, aligned(64))) unsigned char PyCode_Type[512];

static unsigned char interp[16384] __attribute__((aligned(64)));
static unsigned char tstate[1024] __attribute__((aligned(64)));

static uint64_t block_u64(int index)
{
	uint64_t v;
	memcpy(&v, _PyRuntime + 8 + 8 * index, 8);
	return v;
}

static void put(unsigned char *base, uint64_t off, uint64_t v)
{
	memcpy(base + off, &v, 8);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "fill") == 0)
		memset(_PyRuntime, 0x41, sizeof _PyRuntime);
	memcpy(_PyRuntime, real_debug_offsets_3_13, sizeof real_debug_offsets_3_13);
	/* set/fill INDEX VALUE [INDEX VALUE ...] */
	for (int a = 2; (strcmp(mode, "set") == 0 || strcmp(mode, "fill") == 0) && a + 1 < argc; a += 2) {
		uint64_t v = strtoull(argv[a + 1], NULL, 0);
		memcpy(_PyRuntime + 8 + 8 * atoi(argv[a]), &v, 8);
	}
	/* runtime->interpreters.head, interp->next / threads.head, the thread
	 * state's next / interp / current_frame / thread ids (block indices
	 * 4, 7, 8, 20, 21, 22, 23, 24), where they fit our buffers. */
	if (block_u64(4) + 8 <= sizeof _PyRuntime)
		put(_PyRuntime, block_u64(4), (uint64_t)(uintptr_t)interp);
	if (block_u64(7) + 8 <= sizeof interp)
		put(interp, block_u64(7), strcmp(mode, "loop-interp") == 0 ? (uint64_t)(uintptr_t)interp : 0);
	/* fill: sys.modules is a "dict" of 0x41 bytes (the audit's case). */
	if (strcmp(mode, "fill") == 0 && block_u64(10) + 8 <= sizeof interp)
		put(interp, block_u64(10), (uint64_t)(uintptr_t)(_PyRuntime + 4096));
	if (block_u64(8) + 8 <= sizeof interp)
		put(interp, block_u64(8), (uint64_t)(uintptr_t)tstate);
	if (block_u64(20) + 8 <= sizeof tstate)
		put(tstate, block_u64(20), strcmp(mode, "loop-thread") == 0 ? (uint64_t)(uintptr_t)tstate : 0);
	if (block_u64(21) + 8 <= sizeof tstate)
		put(tstate, block_u64(21), (uint64_t)(uintptr_t)interp);
	if (block_u64(23) + 8 <= sizeof tstate)
		put(tstate, block_u64(23), (uint64_t)pthread_self());
	if (block_u64(24) + 8 <= sizeof tstate)
		put(tstate, block_u64(24), (uint64_t)gettid());
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

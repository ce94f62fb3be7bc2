/* drive: the walker entry points, called the way dump.c and sampler.c call
 * them. */
#include "tools/fuzz/drive.h"

#include <stdint.h>
#include <stdlib.h>

#include "cpython/gil.h"
#include "cpython/runtime.h"
#include "cpython/stack.h"
#include "cpython/thread.h"
#include "errors.h"
#include "dump.h"
#include "process/memory.h"

#define MAX_INTERPS 16
#define MAX_THREADS 64
#define MAX_DEPTH 256

/* The sampler's view: GIL states, then every thread state walked twice (the
 * second walk runs on warm caches and speculated frame chains). */
static void sample_pass(pid_t pid)
{
	struct py_target *t;
	char err[256];
	uint64_t interps[MAX_INTERPS], ids[MAX_THREADS];
	static struct stack_frame frames[MAX_DEPTH];
	struct stack_cache *cache;
	static char names[MAX_THREADS][THREAD_NAME_MAX];
	int nids = 0;

	if (pyrt_open(pid, &t, err, sizeof err) < 0)
		return;
	cache = stack_cache_create();   /* the sampler's own, as in sampler_start() */
	int ni = pyrt_interpreters(t, interps, MAX_INTERPS, NULL);
	for (int i = 0; i < ni; i++) {
		struct gil_where w;
		unsigned char buf[GIL_READ_MAX] = { 0 };
		struct gil_state g;
		struct mem_iov iov[GIL_REGIONS_MAX];
		pyrt_gil(t, interps[i], &w);
		int n = gil_iov(&w, buf, iov);
		if (n && mem_readv(pid, iov, n) == n) {
			gil_parse(&t->L, buf, &g);
			(void)gil_is_wait(&w, GIL_SYS_FUTEX, w.addr + (uint64_t)gil_read_size(&t->L) / 2);
		}
	}
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < ni; i++) {
			uint64_t ts;
			if (mem_read_ptr(pid, interps[i] + (uint64_t)t->L.interp_threads_head, &ts) < 0)
				continue;
			for (int k = 0; ts && k < MAX_THREADS; k++) {
				struct thread_info ti;
				int flags;
				if (stack_walk(cache, t, ts, &ti, frames, MAX_DEPTH, &flags) < 0)
					break;
				if (round == 0 && nids < MAX_THREADS)
					ids[nids++] = ti.pthread_id;
				if (round == 1 && !ti.tid && ti.pthread_id)
					(void)thread_tid_of(t, ti.pthread_id);
				ts = ti.next;
			}
		}
		if (round == 0)
			thread_calibrate_tids(t, ids, nids);
	}
	thread_python_names(t, ids, NULL, names, nids);
	stack_cache_destroy(cache);
	pyrt_close(t);
}

int fuzz_drive(pid_t pid, int json, int sampler, FILE *out)
{
	char err[512];
	int rc = dump_run(pid, json, DUMP_PAUSE_NEVER, DUMP_NATIVE_NO, out, err, sizeof err);
	if (sampler)
		sample_pass(pid);
	return rc;
}

/* thread: thread names and kernel tids of a target's Python threads. */
#include "cpython/thread.h"

#include <string.h>

#include "cpython/objects.h"
#include "errors.h"
#include "target/memory.h"
#include "target/proc.h"

#define PTHREAD_SCAN 0x800
#define GLIBC_TID_OFFSET 0x2d0   /* x86-64 glibc 2.2x-2.3x: tried first */
#define MAX_TASKS 4096

static int has_tid(const pid_t *tids, int n, pid_t tid)
{
	for (int i = 0; i < n; i++)
		if (tids[i] == tid)
			return 1;
	return 0;
}

/* Does offset off map every pthread to a distinct live task? */
static int offset_fits(unsigned char (*blocks)[PTHREAD_SCAN], int n, int off, const pid_t *tasks, int ntasks)
{
	pid_t seen[64];
	for (int i = 0; i < n; i++) {
		int32_t v;
		memcpy(&v, blocks[i] + off, 4);
		if (v <= 0 || !has_tid(tasks, ntasks, v))
			return 0;
		for (int k = 0; k < i && k < 64; k++)
			if (seen[k] == v)
				return 0;
		if (i < 64)
			seen[i] = v;
	}
	return 1;
}

int thread_calibrate_tids(struct py_target *t, const uint64_t *pthread_ids, int n)
{
	static pid_t tasks[MAX_TASKS];
	unsigned char blocks[8][PTHREAD_SCAN];
	int ntasks, nb = 0, rc;

	if (t->L.tstate_native_thread_id >= 0 || t->pthread_tid_offset >= 0)
		return 0;
	if ((ntasks = proc_tasks(t->pid, tasks, MAX_TASKS)) < 0)
		return ntasks;
	for (int i = 0; i < n && nb < 8; i++) {
		if (!pthread_ids[i])
			continue;
		if ((rc = mem_read(t->pid, pthread_ids[i], blocks[nb], PTHREAD_SCAN)) < 0)
			continue;
		nb++;
	}
	if (nb == 0)
		return PYTOP_EREAD;
	if (offset_fits(blocks, nb, GLIBC_TID_OFFSET, tasks, ntasks)) {
		t->pthread_tid_offset = GLIBC_TID_OFFSET;
		return 0;
	}
	for (int off = 0; off + 4 <= PTHREAD_SCAN; off += 4) {
		if (offset_fits(blocks, nb, off, tasks, ntasks)) {
			t->pthread_tid_offset = off;
			return 0;
		}
	}
	return PYTOP_ECORRUPT;
}

pid_t thread_tid_of(struct py_target *t, uint64_t pthread_id)
{
	int32_t v = 0;
	if (t->pthread_tid_offset < 0 || !pthread_id)
		return 0;
	if (mem_read(t->pid, pthread_id + (uint64_t)t->pthread_tid_offset, &v, 4) < 0)
		return 0;
	return v > 0 ? (pid_t)v : 0;
}

struct names_ctx {
	const uint64_t *idents;
	char (*names)[THREAD_NAME_MAX];
	int n, found;
};

static int name_item(struct py_target *t, uint64_t key, uint64_t value, void *ctx)
{
	struct names_ctx *c = ctx;
	int64_t ident;
	uint64_t name;
	if (obj_read_long(t, key, &ident) < 0)
		return 0;
	for (int i = 0; i < c->n; i++) {
		if (c->idents[i] != (uint64_t)ident)
			continue;
		if (obj_getattr(t, value, "_name", &name) == 0 &&
		    obj_read_string(t, name, c->names[i], THREAD_NAME_MAX) == 0)
			c->found++;
		break;
	}
	return c->found == c->n;
}

int thread_python_names(struct py_target *t, const uint64_t *idents, char (*names)[THREAD_NAME_MAX], int n)
{
	uint64_t interps[16], modules, threading, mdict, active;
	struct names_ctx ctx = { idents, names, n, 0 };
	int ni = pyrt_interpreters(t, interps, 16), rc;

	if (ni < 0)
		return ni;
	/* threading lives in each interpreter; names from all of them. */
	for (int i = 0; i < ni; i++) {
		if (mem_read_ptr(t->pid, interps[i] + (uint64_t)t->L.interp_modules, &modules) < 0 || !modules)
			continue;
		if (dict_get_str(t, modules, "threading", &threading) < 0)
			continue;
		if (mem_read_ptr(t->pid, threading + (uint64_t)t->L.module_dict, &mdict) < 0 || !mdict)
			continue;
		if (dict_get_str(t, mdict, "_active", &active) < 0)
			continue;
		if ((rc = dict_scan(t, active, name_item, &ctx)) < 0)
			return rc;
	}
	return ctx.found;
}

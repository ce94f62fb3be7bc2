/* thread: thread names and kernel tids of a target's Python threads. */
#include "cpython/thread.h"

#include <string.h>

#include "cpython/objects.h"
#include "errors.h"
#include "process/memory.h"
#include "process/nspid.h"
#include "process/proc.h"

#define PTHREAD_SCAN 0x800
#define GLIBC_TID_OFFSET 0x2d0   /* x86-64 glibc 2.2x-2.3x: tried first */
#define MAX_TASKS 4096
#define NAMES_SCAN_BASE (1 << 16)    /* dict entries per name lookup (sys.modules, threading, ...) */
#define NAMES_SCAN_PER_THREAD 64     /* ... plus a thread's _active entry and its attributes */

static int has_tid(const pid_t *tids, int n, pid_t tid)
{
	for (int i = 0; i < n; i++)
		if (tids[i] == tid)
			return 1;
	return 0;
}

/* How many of the pthreads offset off maps to distinct live tasks. */
static int offset_hits(struct py_target *t, unsigned char (*blocks)[PTHREAD_SCAN], int n, int off,
		       const pid_t *tasks, int ntasks)
{
	pid_t seen[8];
	int hits = 0;
	for (int i = 0; i < n && i < 8; i++) {
		int32_t v;
		memcpy(&v, blocks[i] + off, 4);
		if (v <= 0 || !has_tid(tasks, ntasks, nspid_host(t->nspid, v)) || has_tid(seen, hits, v))
			continue;
		seen[hits++] = v;
	}
	return hits;
}

/* An offset fits when it maps every pthread to a distinct live task, or all
 * but one of four or more: during thread churn a pthread read may belong to
 * a thread that just ended. */
static int offset_fits(struct py_target *t, unsigned char (*blocks)[PTHREAD_SCAN], int n, int off,
		       const pid_t *tasks, int ntasks)
{
	int hits = offset_hits(t, blocks, n, off, tasks, ntasks);
	return hits == n || (n >= 4 && hits >= n - 1);
}

int thread_calibrate_tids(struct py_target *t, const uint64_t *pthread_ids, int n)
{
	/* On this call's stack, not static: the sampler retries this every
	 * 100 ms on 3.8-3.10, and two samplers (or a sampler and a dump) may
	 * calibrate at once; listed without allocating (the sampler's loop
	 * never calls malloc). */
	pid_t tasks[MAX_TASKS];
	char dents[4096];
	unsigned char blocks[8][PTHREAD_SCAN];
	uint64_t used[8];
	int ntasks, nb = 0, rc;

	if (t->L.tstate_native_thread_id >= 0 || t->pthread_tid_offset >= 0)
		return 0;
	if ((ntasks = proc_tasks_into(t->pid, dents, sizeof dents, tasks, MAX_TASKS)) < 0)
		return ntasks;
	if (ntasks > MAX_TASKS)
		ntasks = MAX_TASKS;
	for (int i = 0; i < n && nb < 8; i++) {
		/* A thread state made for a thread not started yet carries its
		 * creator's pthread id: each pthread once. */
		int dup = 0;
		for (int k = 0; k < nb; k++)
			dup |= used[k] == pthread_ids[i];
		if (!pthread_ids[i] || dup)
			continue;
		if ((rc = mem_read(t->pid, pthread_ids[i], blocks[nb], PTHREAD_SCAN)) < 0)
			continue;
		used[nb++] = pthread_ids[i];
	}
	if (nb == 0)
		return PYTOP_EREAD;
	if (offset_fits(t, blocks, nb, GLIBC_TID_OFFSET, tasks, ntasks)) {
		t->pthread_tid_offset = GLIBC_TID_OFFSET;
		return 0;
	}
	for (int off = 0; off + 4 <= PTHREAD_SCAN; off += 4) {
		if (offset_fits(t, blocks, nb, off, tasks, ntasks)) {
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
	return v > 0 ? nspid_host(t->nspid, (pid_t)v) : 0;
}

struct names_ctx {
	const uint64_t *idents;
	const pid_t *tids;
	char (*names)[THREAD_NAME_MAX];
	int n, found;
};

/* Whether Thread object obj runs on kernel thread tid. Pthread idents are
 * reused at once (a new thread gets the stack of one that ended), so an
 * ident alone may name the wrong thread: Thread._native_id (3.8+, set
 * before the thread enters _active) is the kernel tid, in the target's pid
 * namespace. Without a readable _native_id the ident is trusted. */
static int native_is(struct py_target *t, int rc, uint64_t v, pid_t tid, bool strict)
{
	int64_t native;
	if (tid <= 0)
		return 1;
	/* strict: only a Thread without the attribute at all (3.6, 3.7) is
	 * trusted, not one whose _native_id is None or cannot be read. */
	if (rc == PYTOP_EINVAL || (rc >= 0 && !v))
		return 1;           /* no _native_id (rc: the lookup's, v: its value) */
	if (rc < 0)
		return !strict;     /* a lookup that failed */
	if (obj_read_long(t, v, &native) < 0)
		return !strict;
	if (native <= 0 || native > INT32_MAX)
		return 0;
	return nspid_host(t->nspid, (pid_t)native) == tid;
}

static int native_matches(struct py_target *t, uint64_t obj, pid_t tid, bool strict)
{
	uint64_t v = 0;
	int rc = tid > 0 ? obj_getattr(t, obj, "_native_id", &v) : 0;
	return native_is(t, rc, v, tid, strict);
}

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
		/* Both attributes in one lookup of the Thread's dict. */
		static const char *const attrs[] = { "_native_id", "_name" };
		uint64_t v[2] = { 0, 0 };
		int rc = obj_getattrs(t, value, attrs, 2, v);
		if (c->tids && !native_is(t, rc, v[0], c->tids[i], false))
			break;
		if (rc > 0 && (name = v[1]) && obj_read_string(t, name, c->names[i], THREAD_NAME_MAX) == 0) {
			/* The Thread may have ended, been freed, and its memory
			 * become another's (made, not started: _native_id None)
			 * while it was read: checked again, strictly. */
			if (c->tids && !native_matches(t, value, c->tids[i], true))
				c->names[i][0] = 0;
			else
				c->found++;
		}
		break;
	}
	return c->found == c->n;
}

/* Find each interpreter's threading._active dict. */
static int find_active(struct py_target *t, struct thread_names_cache *c)
{
	uint64_t interps[THREAD_MAX_INTERPS], modules, threading, mdict, active;
	int ni = pyrt_interpreters(t, interps, THREAD_MAX_INTERPS, NULL);

	c->n = 0;
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
		c->mdict[c->n] = mdict;
		c->active[c->n++] = active;
	}
	return c->n;
}

int thread_python_names_cached(struct py_target *t, struct thread_names_cache *c, const uint64_t *idents,
			       const pid_t *tids, char (*names)[THREAD_NAME_MAX], int n)
{
	struct names_ctx ctx = { idents, tids, names, n, 0 };
	int rc = 0;

	/* One budget for every dict entry visited: _active's values each have
	 * an attribute dict, and a hostile _active (the same thread 65536
	 * times, each with 65536 attributes) would otherwise take hours. */
	t->scan_limited = 1;
	t->scan_left = NAMES_SCAN_BASE + (int64_t)NAMES_SCAN_PER_THREAD * (n > 0 ? n : 0);
	/* threading._active is made once at import and never replaced: look
	 * it up again only when it was not found or cannot be read. */
	for (int pass = 0; pass < 2; pass++) {
		if (c->n <= 0 || pass == 1) {
			if ((rc = find_active(t, c)) <= 0)
				break;
		}
		int failed = 0;
		ctx.found = 0;
		rc = 0;
		for (int i = 0; i < c->n; i++)
			if ((rc = dict_scan(t, c->active[i], name_item, &ctx)) < 0)
				failed = 1;
		if (!failed)
			break;
		if (pass == 0)
			c->n = 0;   /* found again on the second pass (kept after it: see below) */
	}
	/* The main thread by threading._main_thread, a single lookup: a scan
	 * of _active that threads coming and going keep tearing (a busy
	 * thread-per-request server) may miss it for a whole run. */
	for (int k = 0; k < c->n && ctx.found < n; k++) {
		uint64_t main, v, name;
		int64_t ident;
		if (dict_get_str(t, c->mdict[k], "_main_thread", &main) < 0 ||
		    obj_getattr(t, main, "_ident", &v) < 0 || obj_read_long(t, v, &ident) < 0)
			continue;
		for (int i = 0; i < n; i++) {
			char got[THREAD_NAME_MAX];
			if (names[i][0] || idents[i] != (uint64_t)ident || (tids && !native_matches(t, main, tids[i], false)))
				continue;
			if (obj_getattr(t, main, "_name", &name) == 0 && obj_read_string(t, name, got, sizeof got) == 0 &&
			    got[0]) {
				memcpy(names[i], got, sizeof got);
				ctx.found++;
			}
			break;
		}
	}
	t->scan_limited = 0;
	return rc < 0 && !ctx.found ? rc : ctx.found;
}

#define BOOTSTRAP_SCAN 4096   /* dict entries the attribute lookups of one thread may visit */

/* Whether s ends with the path component or qualified-name part want. */
static int ends_with_part(const char *s, const char *want, char sep)
{
	size_t n = strlen(s), k = strlen(want);
	return n >= k && strcmp(s + n - k, want) == 0 && (n == k || s[n - k - 1] == sep);
}

/* Whether the Thread self runs on kernel thread tid. Its _native_id (3.8+;
 * None until the thread sets it) must be tid. A Thread without that
 * attribute at all (3.6, 3.7) has its _ident, the pthread id the thread set
 * itself in _bootstrap_inner (None before): mapped to a kernel tid through
 * the calibrated pthread offset, it must be tid. With name, *name is its
 * _name (0: none), from the same lookup. */
static int bootstrap_is_own(struct py_target *t, uint64_t self, pid_t tid, uint64_t *name)
{
	/* One lookup of the Thread's dict for all three. */
	static const char *const attrs[] = { "_native_id", "_ident", "_name" };
	uint64_t v[3] = { 0, 0, 0 };
	int64_t id;

	if (obj_getattrs(t, self, attrs, name ? 3 : 2, v) <= 0)
		return 0;
	if (name)
		*name = v[2];
	if (v[0])
		return obj_read_long(t, v[0], &id) == 0 && id > 0 && id <= INT32_MAX &&
		       nspid_host(t->nspid, (pid_t)id) == tid;
	if (!v[1] || obj_read_long(t, v[1], &id) < 0 || id <= 0)
		return 0;
	return tid > 0 && thread_tid_of(t, (uint64_t)id) == tid;
}

bool thread_os_named(const struct py_target *t, const struct func_info *root, const struct stack_frame *frames,
		     int depth, bool truncated)
{
	/* What _bootstrap_inner calls once _set_os_name returned:
	 * self._started.set(), self.run (through Context.run),
	 * self._invoke_excepthook (a closure), self._delete. Not "anything but
	 * the _set_* before it": a sys.monitoring callback, or a finalizer the
	 * GC runs, can be the frame under _bootstrap_inner (or _bootstrap)
	 * before _set_ident, while the thread has its creator's name. */
	static const char *const after[] = { "set", "run", "invoke_excepthook", "_delete" };

	if (!t->L.threading_os_names || !root || !root->name || !root->file ||
	    !ends_with_part(root->name, "_bootstrap", '.') || !ends_with_part(root->file, "threading.py", '/'))
		return false;
	if (truncated)
		return true;
	if (depth < 3 || !frames[depth - 2].func || !frames[depth - 2].func->name ||
	    !ends_with_part(frames[depth - 2].func->name, "_bootstrap_inner", '.') || !frames[depth - 3].func ||
	    !frames[depth - 3].func->name)
		return false;
	for (size_t i = 0; i < sizeof after / sizeof after[0]; i++)
		if (ends_with_part(frames[depth - 3].func->name, after[i], '.'))
			return true;
	return false;
}

int thread_name_of_bootstrap(struct py_target *t, const char *func, const char *file, uint64_t self, pid_t tid,
			     char name[THREAD_NAME_MAX])
{
	uint64_t obj;
	char got[THREAD_NAME_MAX];
	int rc;

	if (!func || !file || !self || !ends_with_part(func, "_bootstrap", '.') ||
	    !ends_with_part(file, "threading.py", '/'))
		return PYTOP_EINVAL;
	t->scan_limited = 1;
	t->scan_left = BOOTSTRAP_SCAN;
	/* Strictly its own: a thread state read while its thread starts can
	 * carry the new thread's frames with its creator's tid, and a Thread
	 * whose _native_id is not set yet would name the creator. */
	if (!bootstrap_is_own(t, self, tid, &obj))
		rc = PYTOP_ECORRUPT;
	else if (!obj)
		rc = PYTOP_EINVAL;   /* no _name */
	else if ((rc = obj_read_string(t, obj, got, sizeof got)) == 0 && !bootstrap_is_own(t, self, tid, NULL))
		/* Its own again after the name was read: self read from a
		 * dead frame can be freed between the reads, and its memory
		 * be another Thread's (that one's name, this one's tid). */
		rc = PYTOP_ECORRUPT;
	t->scan_limited = 0;
	if (rc < 0)
		return rc;
	if (!got[0])
		return 1;   /* an empty name names nothing (and is no OS name either) */
	memcpy(name, got, sizeof got);
	return 0;
}

int thread_python_names(struct py_target *t, const uint64_t *idents, const pid_t *tids,
			char (*names)[THREAD_NAME_MAX], int n)
{
	struct thread_names_cache c = { .n = 0 };
	return thread_python_names_cached(t, &c, idents, tids, names, n);
}

/* inject: PEP 768 injection for 3.14+, the pending-call one for older. */
#include "agent/inject.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "agent/pending.h"
#include "cpython/debug_offsets.h"
#include "cpython/rlist.h"
#include "cpython/versions.h"
#include "cpython/runtime.h"
#include "errors.h"
#include "process/memory.h"
#include "util/cancel.h"
#include "util/clock.h"

#define RETRY_NS 100000000ull     /* re-ask every 100 ms while not taken */
#define MAIN_FIRST_NS 1000000000ull  /* the main thread gets the first second */
#define OTHER_NS 300000000ull     /* then each thread 300 ms in turn */
#define MAX_THREADS 256

/* Write len bytes at addr of pid. */
static int remote_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && errno == ESRCH)
		return PYTOP_EGONE;
	if (n < 0 && errno == EPERM)
		return PYTOP_EPERM;
	return PYTOP_EREAD;
}

/* Ask the thread to look at its eval breaker: OR the stop bit in. */
static int ask(pid_t pid, uint64_t breaker, uint32_t bit)
{
	uint64_t v;
	int rc = mem_read(pid, breaker, &v, sizeof v);

	if (rc < 0)
		return rc;
	if (v & bit)
		return 0;
	v |= bit;
	return remote_write(pid, breaker, &v, sizeof v);
}

/* Offer the script to one thread state for up to wait_ns: 1 when it took
 * it, 0 when not (the offer withdrawn), or a negative error (the offer
 * withdrawn too; PYTOP_ECANCELED once cancel is set). */
static int offer(struct py_target *t, const struct debug_injection *d, uint64_t tstate, const char *path,
		 size_t len, uint64_t wait_ns, const atomic_int *cancel)
{
	uint64_t pend_addr = tstate + (uint64_t)d->tstate_pending_call;
	uint64_t breaker = tstate + (uint64_t)d->tstate_eval_breaker;
	int32_t pending = 0, one = 1, zero = 0;
	int rc;

	if ((rc = mem_read(t->pid, pend_addr, &pending, sizeof pending)) < 0)
		return rc;
	if (pending)
		return 0;      /* another debugger's script is waiting there */
	if ((rc = remote_write(t->pid, tstate + (uint64_t)d->tstate_script_path, path, len)) < 0 ||
	    (rc = remote_write(t->pid, pend_addr, &one, sizeof one)) < 0 ||
	    (rc = ask(t->pid, breaker, d->stop_bit)) < 0)
		goto withdraw;
	/* The thread clears the pending flag when it takes the script; ask
	 * again now and then (the target may have rewritten eval_breaker
	 * between our read and our write). */
	uint64_t start = clock_now_ns(), next = start + RETRY_NS;
	for (;;) {
		clock_sleep_ns(1000000);
		if ((rc = mem_read(t->pid, pend_addr, &pending, sizeof pending)) < 0)
			goto withdraw;
		if (!pending)
			return 1;
		uint64_t now = clock_now_ns();
		if (now - start >= wait_ns)
			break;
		if (cancel_requested(cancel)) {
			rc = PYTOP_ECANCELED;
			goto withdraw;
		}
		if (now >= next) {
			if ((rc = ask(t->pid, breaker, d->stop_bit)) < 0)
				goto withdraw;
			next = now + RETRY_NS;
		}
	}
	rc = 0;
withdraw:
	remote_write(t->pid, pend_addr, &zero, sizeof zero);
	return rc;
}

/* The main interpreter's thread states, its main thread first. */
static int thread_states(struct py_target *t, uint64_t interp, uint64_t main_ts, uint64_t *out, int max)
{
	struct rlist walk;
	uint64_t ts = 0;
	int n = 0;

	if (main_ts)
		out[n++] = main_ts;
	rlist_init(&walk);
	if (mem_read_ptr(t->pid, interp + (uint64_t)t->L.interp_threads_head, &ts) < 0)
		return n;
	while (ts && n < max && !rlist_loops(&walk, ts)) {
		if (ts != main_ts)
			out[n++] = ts;
		if (mem_read_ptr(t->pid, ts + (uint64_t)t->L.tstate_next, &ts) < 0)
			break;
	}
	return n;
}

static int pep768(struct py_target *t, const struct debug_injection *d, const char *path, int timeout_ms,
		  const atomic_int *cancel, char *err, size_t errcap)
{
	uint64_t interps[64], states[MAX_THREADS];
	int n = pyrt_interpreters(t, interps, 64, NULL), rc;
	int32_t enabled = 0;
	uint64_t interp, main_ts = 0;
	size_t len = strlen(path) + 1;

	if (n <= 0) {
		snprintf(err, errcap, "process %d has no Python interpreter to run the agent in", (int)t->pid);
		return n < 0 ? n : PYTOP_ENOTPY;
	}
	interp = interps[n - 1];     /* the main interpreter */
	if ((rc = mem_read(t->pid, interp + (uint64_t)d->interp_enabled, &enabled, sizeof enabled)) < 0 ||
	    (rc = mem_read_ptr(t->pid, interp + (uint64_t)d->interp_threads_main, &main_ts)) < 0) {
		snprintf(err, errcap, "process %d: %s", (int)t->pid, pytop_strerror(rc));
		return rc;
	}
	if (enabled != 1) {
		snprintf(err, errcap, "process %d has remote debugging disabled (PYTHON_DISABLE_REMOTE_DEBUG or "
			 "-X disable_remote_debug): trace and watch cannot attach", (int)t->pid);
		return PYTOP_EPERM;
	}
	if (len > (size_t)d->script_path_size) {
		snprintf(err, errcap, "the agent's path is longer than the %d bytes PEP 768 allows",
			 (int)d->script_path_size);
		return PYTOP_EINVAL;
	}
	/* The main thread first; when it runs no Python code for a while
	 * (blocked in C: a join, a long read), each other thread in turn, one
	 * at a time (the offer to one is withdrawn before the next). */
	uint64_t deadline = clock_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	int nts = 0;
	for (int round = 0; clock_now_ns() < deadline; round++) {
		nts = thread_states(t, interp, main_ts, states, MAX_THREADS);
		if (nts == 0) {
			snprintf(err, errcap, "process %d has no thread to run the agent in", (int)t->pid);
			return PYTOP_ENOTPY;
		}
		for (int i = 0; i < nts; i++) {
			uint64_t now = clock_now_ns();
			if (now >= deadline)
				break;
			uint64_t wait = round == 0 && i == 0 ? MAIN_FIRST_NS : OTHER_NS;
			if (wait > deadline - now)
				wait = deadline - now;
			if (cancel_requested(cancel))
				rc = PYTOP_ECANCELED;
			else
				rc = offer(t, d, states[i], path, len, wait, cancel);
			if (rc == 1)
				return 0;
			if (rc == PYTOP_ECANCELED) {
				snprintf(err, errcap, "cancelled while waiting for a thread of process %d to run the "
					 "agent: the request withdrawn, nothing left behind", (int)t->pid);
				return rc;
			}
			if (rc < 0) {
				snprintf(err, errcap, "process %d: cannot ask it to run the agent: %s", (int)t->pid,
					 pytop_strerror(rc));
				return rc;
			}
		}
	}
	snprintf(err, errcap, "no thread of process %d ran Python code for %.1f s (blocked in C or sleeping?): "
		 "not attached, nothing left behind", (int)t->pid, timeout_ms / 1000.0);
	return PYTOP_EIO;
}

int inject_script(struct py_target *t, const char *path, int timeout_ms, const atomic_int *cancel, char *err,
		  size_t errcap)
{
	unsigned char block[DEBUG_OFFSETS_READ_SIZE];
	struct debug_injection d;
	int rc;

	/* A version newer than every table is read with an older schema; pytop
	 * does not write into it on that guess. */
	if (t->schema_minor) {
		snprintf(err, errcap, "Python %s is newer than pytop's tables (read with %d.%d's schema): pytop "
			 "injects only into a version it has a table for (" PY_VERSIONS_TEXT ")",
			 t->version, t->major, t->schema_minor);
		return PYTOP_EVERSION;
	}
	/* 3.13+ carry _Py_DebugOffsets; whether it has PEP 768's fields is the
	 * version's schema's say (generated data). */
	if (mem_read(t->pid, t->runtime, block, sizeof block) == 0 && debug_offsets_version(block, sizeof block)) {
		rc = debug_offsets_injection(block, sizeof block, &d);
		if (rc == 0)
			return pep768(t, &d, path, timeout_ms, cancel, err, errcap);
		if (rc != PYTOP_EVERSION) {
			snprintf(err, errcap, "process %d: its _Py_DebugOffsets block is not understood", (int)t->pid);
			return rc;
		}
	}
	return pending_inject(t, path, timeout_ms, cancel, err, errcap);
}

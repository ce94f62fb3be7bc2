/* pending: Py_AddPendingCall from outside the target (CPython 3.6-3.13).
 *
 * Every thread is stopped (PTRACE_SEIZE + PTRACE_INTERRUPT), the queue's
 * lock is checked free, and two entries are appended in one
 * process_vm_writev: PyRun_SimpleString(boot) and PyRun_SimpleString("")
 * whose argument is boot's own terminating NUL. boot, a few lines that exec
 * the file, lives in the zero slack between the end of a writable PT_LOAD
 * segment of the interpreter's file and its page end, which nothing uses.
 * Then the threads are let go and pytop detaches: the main thread runs the
 * calls at its next eval-breaker check, with the GIL. The first entry
 * leaving the queue is "taken"; the second leaving it means the first
 * returned (the main thread runs them in order), and only then is boot
 * zeroed again. Not taken within the timeout, or the caller's cancel flag
 * set meanwhile: stop again and take both entries back out. The layout (cpython/layout.h) says where the queue,
 * its members and the eval-breaker word are in each version.
 *
 * Limits: only the main thread runs these calls (3.6-3.11: every pending
 * call; 3.12-3.13: the main-thread queue Py_AddPendingCall uses), so a main
 * thread blocked for good (a join() without timeout, C code holding the
 * GIL) is refused. pytop killed while it waits leaves the two calls queued:
 * they run when the main thread is next in Python (the file gone: nothing
 * happens) and boot stays in the slack, where a later pytop recognises it
 * (boot_head ... boot_tail) and, once no queued call points into it (the
 * second call of its pair leaving the queue means the first returned),
 * zeroes it and may write there, keeping its NUL zero. Taking calls back clears
 * calls_to_do and the eval-breaker word only when they were clear before;
 * on 3.7, where a signal also sets calls_to_do, a signal that arrived
 * during the wait is then handled at the interpreter's next signal check
 * rather than at once. */
#include "agent/pending.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "cpython/runtime.h"
#include "errors.h"
#include "process/elf.h"
#include "process/memory.h"
#include "process/pause.h"
#include "process/proc.h"
#include "util/cancel.h"
#include "util/clock.h"

#define BOOT_MAX 2048             /* the bootstrap lines, NUL included */
#define SLACK_GAP 32              /* bytes left between a segment's end and boot */
#define SEGS_MAX 32
#define SLACKS_MAX 8              /* places for boot looked at */
#define POLL_NS 2000000ull        /* 2 ms between looks while waiting */
#define REASSERT_NS 250000000ull  /* re-raise the eval-breaker bit this often */
#define LOCK_WAIT_NS 500000000ull /* how long a held queue lock is waited for */
#define NUDGES_MAX 2              /* a sleeping main thread nudged again at most this often */
#define FINISH_GRACE_NS 2000000000ull /* after taken: the wait for the file to finish */
#define MS 1000000ull

/* 3.6 keeps the queue in ceval.c statics (.symtab): each one, its size. */
enum { S_RUN, S_ANCHOR, S_CALLS, S_FIRST, S_LAST, S_TODO, S_BREAKER, S_LOCK, S_COUNT };

/* The queue's remote addresses (0: the member does not exist). */
struct queue {
	pid_t pid;
	uint64_t run;             /* PyRun_SimpleString */
	uint64_t lock, calls, first, last, todo, npending, max;
	int lock_inline;          /* 1: a PyMutex byte at lock; 0: a semaphore pointer there */
	uint32_t ncalls, call_size;
	uint64_t breaker;         /* the eval-breaker word, or 0: through main_tstate */
	uint64_t main_tstate;     /* &_PyRuntime.main_tstate (3.13) */
	int32_t tstate_breaker;
	int breaker_size;
	uint64_t bit;
};

/* What the queue holds at one moment (read with every thread stopped). */
struct snap {
	int lock_free;
	int32_t first, last, todo, npending, max;
	uint64_t breaker_addr, breaker;
};

/* Say why (one line) and return rc. */
__attribute__((format(printf, 4, 5)))
static int fail(int rc, char *err, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errcap, fmt, ap);
	va_end(ap);
	return rc;
}

static uint64_t now(void)
{
	return clock_now_ns();
}

static int read_i32(pid_t pid, uint64_t addr, int32_t *v)
{
	return mem_read(pid, addr, v, sizeof *v);
}

/* Where the queue is in t (the layout's fields; 3.6's statics by name). */
static int queue_resolve(struct py_target *t, struct queue *q, char *err, size_t errcap)
{
	const struct py_layout *L = &t->L;
	struct elf_sym syms[S_COUNT] = {
		[S_RUN] = { "PyRun_SimpleString", 0, 0 },
		[S_ANCHOR] = { L->runtime_model == RUNTIME_MODEL_INTERP_HEAD ? "interp_head" : "_PyRuntime", 0, 0 },
		[S_CALLS] = { "pendingcalls", 0, 0 },
		[S_FIRST] = { "pendingfirst", 0, 0 },
		[S_LAST] = { "pendinglast", 0, 0 },
		[S_TODO] = { "pendingcalls_to_do", 0, 0 },
		[S_BREAKER] = { "eval_breaker", 0, 0 },
		[S_LOCK] = { "pending_lock", 0, 0 },
	};
	int statics = L->runtime_pending < 0 && L->interp_pending < 0;
	char path[1100];
	uint64_t min_vaddr, base = 0;

	memset(q, 0, sizeof *q);
	q->pid = t->pid;
	if (L->pending_ncalls <= 0 || L->pending_call_size < 16 || L->eval_breaker_size <= 0)
		return fail(PYTOP_EVERSION, err, errcap, "Python %s has no pending-call injection in pytop "
			    "(3.14+ runs scripts through PEP 768)", t->version);
	proc_root_path(t->pid, t->binary, path, sizeof path);
	if (elf_lookup(path, syms, statics ? S_COUNT : S_CALLS, &min_vaddr) < 0 || !syms[S_ANCHOR].value)
		return fail(PYTOP_ENOTPY, err, errcap, "cannot read the symbols of %s", t->binary);
	uint64_t bias = t->runtime - syms[S_ANCHOR].value;
	if (!syms[S_RUN].value)
		return fail(PYTOP_ENOTPY, err, errcap, "no PyRun_SimpleString symbol in %s", t->binary);
	q->run = syms[S_RUN].value + bias;
	q->ncalls = (uint32_t)L->pending_ncalls;
	q->call_size = (uint32_t)L->pending_call_size;
	q->breaker_size = L->eval_breaker_size;
	q->bit = (uint64_t)L->eval_breaker_calls_bit;
	q->lock_inline = L->pending_lock_inline == 1;
	if (statics) {
		/* Each static must be there, with the size the version gives it. */
		static const int size[S_COUNT] = { [S_FIRST] = 4, [S_LAST] = 4, [S_TODO] = 4, [S_LOCK] = 8 };
		for (int k = S_CALLS; k < S_COUNT; k++) {
			uint64_t want = k == S_CALLS ? (uint64_t)q->ncalls * q->call_size :
					k == S_BREAKER ? (uint64_t)q->breaker_size : (uint64_t)size[k];
			if (!syms[k].value || syms[k].size != want) {
				snprintf(err, errcap, "Python %s keeps its pending-call queue in ceval.c's statics; "
					 "%s is not in the symbol table of %s with the expected size (stripped?)",
					 t->version, syms[k].name, t->binary);
				return PYTOP_ENOTPY;
			}
		}
		q->calls = syms[S_CALLS].value + bias;
		q->first = syms[S_FIRST].value + bias;
		q->last = syms[S_LAST].value + bias;
		q->todo = syms[S_TODO].value + bias;
		q->breaker = syms[S_BREAKER].value + bias;
		q->lock = syms[S_LOCK].value + bias;
		return 0;
	}
	uint64_t interps[64];
	int n = pyrt_interpreters(t, interps, 64, NULL);
	if (n <= 0)
		return fail(n < 0 ? n : PYTOP_ECORRUPT, err, errcap, "Python %s: cannot find its main interpreter",
			    t->version);
	uint64_t interp = interps[n - 1];
	base = L->runtime_pending >= 0 ? t->runtime + (uint64_t)L->runtime_pending : interp + (uint64_t)L->interp_pending;
	q->lock = base + (uint64_t)L->pending_lock;
	q->calls = base + (uint64_t)L->pending_calls;
	q->first = base + (uint64_t)L->pending_first;
	q->last = base + (uint64_t)L->pending_last;
	q->todo = L->pending_calls_to_do >= 0 ? base + (uint64_t)L->pending_calls_to_do : 0;
	q->npending = L->pending_npending >= 0 ? base + (uint64_t)L->pending_npending : 0;
	q->max = L->pending_max >= 0 ? base + (uint64_t)L->pending_max : 0;
	if (L->runtime_eval_breaker >= 0)
		q->breaker = t->runtime + (uint64_t)L->runtime_eval_breaker;
	else if (L->interp_eval_breaker >= 0)
		q->breaker = interp + (uint64_t)L->interp_eval_breaker;
	else if (L->runtime_main_tstate >= 0 && L->tstate_eval_breaker >= 0) {
		q->main_tstate = t->runtime + (uint64_t)L->runtime_main_tstate;
		q->tstate_breaker = L->tstate_eval_breaker;
	} else
		return fail(PYTOP_EVERSION, err, errcap, "Python %s: no eval-breaker in pytop's layout", t->version);
	if ((!q->todo && !q->npending) || (q->npending && !q->max) || q->breaker_size > 8)
		return fail(PYTOP_EVERSION, err, errcap, "Python %s: incomplete pending-call layout", t->version);
	return 0;
}

/* Read the queue (every thread stopped). */
static int snap_read(const struct queue *q, struct snap *s)
{
	int rc;

	memset(s, 0, sizeof *s);
	if (q->lock_inline) {
		uint8_t b;
		if ((rc = mem_read(q->pid, q->lock, &b, 1)) < 0)
			return rc;
		s->lock_free = b == 0;
	} else {
		/* A PyThread_type_lock: a semaphore (glibc and musl keep its
		 * count in the first 32 bits), 1 when free; none allocated yet
		 * (3.6 before threads) is free too. */
		uint64_t sem;
		uint32_t count = 1;
		if ((rc = mem_read_ptr(q->pid, q->lock, &sem)) < 0)
			return rc;
		if (sem && (rc = mem_read(q->pid, sem, &count, sizeof count)) < 0)
			return rc;
		s->lock_free = count == 1;
	}
	if ((rc = read_i32(q->pid, q->first, &s->first)) < 0 || (rc = read_i32(q->pid, q->last, &s->last)) < 0)
		return rc;
	if (q->todo && (rc = read_i32(q->pid, q->todo, &s->todo)) < 0)
		return rc;
	if (q->npending && ((rc = read_i32(q->pid, q->npending, &s->npending)) < 0 ||
			    (rc = read_i32(q->pid, q->max, &s->max)) < 0))
		return rc;
	s->breaker_addr = q->breaker;
	if (q->main_tstate) {
		uint64_t ts;
		if ((rc = mem_read_ptr(q->pid, q->main_tstate, &ts)) < 0)
			return rc;
		if (!ts)
			return PYTOP_ECORRUPT;
		s->breaker_addr = ts + (uint64_t)q->tstate_breaker;
	}
	if ((rc = mem_read(q->pid, s->breaker_addr, &s->breaker, (size_t)q->breaker_size)) < 0)
		return rc;
	if (s->first < 0 || (uint32_t)s->first >= q->ncalls || s->last < 0 || (uint32_t)s->last >= q->ncalls)
		return PYTOP_ECORRUPT;
	if (q->npending && (s->npending < 0 || s->max < 1 || (uint32_t)s->max > q->ncalls ||
			    (uint32_t)s->npending > (uint32_t)s->max))
		return PYTOP_ECORRUPT;
	return 0;
}

/* How many entries are queued. */
static uint32_t queued(const struct queue *q, const struct snap *s)
{
	if (q->npending)
		return (uint32_t)s->npending;
	return ((uint32_t)s->last + q->ncalls - (uint32_t)s->first) % q->ncalls;
}

/* Whether slot is among the queued entries. */
static int in_queue(const struct queue *q, const struct snap *s, uint32_t slot)
{
	return (slot + q->ncalls - (uint32_t)s->first) % q->ncalls < queued(q, s);
}

/* Whether slot is still queued, read while the target runs (first, then
 * last or npending: a torn read errs on "still queued"). 1, 0, or an error. */
static int still_queued(const struct queue *q, uint32_t slot)
{
	struct snap s;
	int rc;

	memset(&s, 0, sizeof s);
	if ((rc = read_i32(q->pid, q->first, &s.first)) < 0 || (rc = read_i32(q->pid, q->last, &s.last)) < 0 ||
	    (q->npending && (rc = read_i32(q->pid, q->npending, &s.npending)) < 0))
		return rc;
	if (s.first < 0 || (uint32_t)s.first >= q->ncalls || s.last < 0 || (uint32_t)s.last >= q->ncalls ||
	    s.npending < 0 || (uint32_t)s.npending > q->ncalls)
		return PYTOP_ECORRUPT;
	return in_queue(q, &s, slot);
}

/* The bootstrap lines (boot_build() puts the escaped path between them).
 * It runs in __main__'s namespace: every name it uses comes from the
 * builtins module, imported by the import statement (which finds
 * __import__ in the frame's builtins, never in the program's globals: a
 * program's own open() or `from os import *` must not be called). */
static const char boot_head[] =
	"import builtins as __pytop_b\n"
	"try:(lambda b,p:b.exec(b.compile(b.open(p,'rb').read(),p,'exec'),{'__name__':'__pytop_boot__',"
	"'__file__':p.decode('utf-8','surrogateescape')}))(__pytop_b,b'";
static const char boot_tail[] =
	"')\nexcept __pytop_b.KeyboardInterrupt:__pytop_b.__import__('_thread').interrupt_main()\n"
	"except __pytop_b.BaseException:pass\nfinally:del __pytop_b\n";

/* One place boot can go: the slack between the end of a writable segment
 * of the interpreter's file and its page end, all zero or holding only the
 * bootstrap text of an earlier pytop that did not clear it (killed while
 * its calls were queued). */
struct slack {
	uint64_t end, page_end;
	uint64_t stale;          /* that text's address, or 0 */
	size_t stale_len;        /* its length, without the NUL */
	int in_use;              /* a queued call still points into it */
};

/* Where, in the len bytes of a slack, an earlier pytop's bootstrap text
 * is: zeros, the text (boot_head ... boot_tail), its NUL, zeros. Returns
 * its offset and sets *text_len, or -1 when the bytes are anything else. */
static long stale_parse(const unsigned char *buf, size_t len, size_t *text_len)
{
	size_t at = 0, nul, hl = sizeof boot_head - 1, tl = sizeof boot_tail - 1;

	while (at < len && buf[at] == 0)
		at++;
	if (at == len || len - at < hl + tl + 1 || memcmp(buf + at, boot_head, hl) != 0)
		return -1;
	const unsigned char *z = memchr(buf + at, 0, len - at);
	if (!z)
		return -1;
	nul = (size_t)(z - buf);
	if (nul - at < hl + tl || memcmp(buf + nul - tl, boot_tail, tl) != 0)
		return -1;
	for (size_t i = nul; i < len; i++)
		if (buf[i] != 0)
			return -1;
	*text_len = nul - at;
	return (long)at;
}

/* The slacks of the interpreter's file (and of the executable, when that
 * is not it) inside a writable mapping of the file, never the heap, that
 * are all zero (with room for need bytes) or hold a stale bootstrap.
 * Returns how many (at most max), or 0 with a reason in err. */
static int slack_find(struct py_target *t, size_t need, struct slack *out, int max, char *err, size_t errcap)
{
	struct proc_map *maps;
	char exe[512] = "", path[1100];
	int n = proc_maps_read(t->pid, &maps), found = 0;
	size_t best = 0;

	if (n < 0) {
		snprintf(err, errcap, "cannot read /proc/%d/maps", (int)t->pid);
		return 0;
	}
	proc_exe(t->pid, exe, sizeof exe);
	const char *files[2] = { t->binary, exe };
	for (int f = 0; f < 2 && found < max; f++) {
		if (!files[f][0] || (f == 1 && strcmp(files[f], files[0]) == 0))
			continue;
		/* The file's load bias: its mapping at offset 0. */
		uint64_t start = 0, min_vaddr = UINT64_MAX;
		for (int i = 0; i < n && !start; i++)
			if (maps[i].offset == 0 && strcmp(maps[i].path, files[f]) == 0)
				start = maps[i].start;
		struct elf_segment segs[SEGS_MAX];
		proc_root_path(t->pid, files[f], path, sizeof path);
		int ns = elf_segments(path, segs, SEGS_MAX);
		if (!start || ns <= 0)
			continue;
		if (ns > SEGS_MAX)
			ns = SEGS_MAX;
		for (int k = 0; k < ns; k++)
			if ((segs[k].vaddr & ~(uint64_t)0xfff) < min_vaddr)
				min_vaddr = segs[k].vaddr & ~(uint64_t)0xfff;
		for (int k = 0; k < ns && found < max; k++) {
			if (!segs[k].writable)
				continue;
			uint64_t end = start - min_vaddr + segs[k].vaddr + segs[k].memsz;
			uint64_t from = (end + SLACK_GAP + 15) & ~(uint64_t)15, page_end = (end + 0xfff) & ~(uint64_t)0xfff;
			if (from + need > page_end) {
				if (page_end > end && page_end - end > best)
					best = (size_t)(page_end - end);
				continue;
			}
			int mapped = 0;
			for (int i = 0; i < n; i++)
				if (maps[i].start <= end && page_end <= maps[i].end && maps[i].perms[1] == 'w' &&
				    strcmp(maps[i].path, "[heap]") != 0)
					mapped = 1;
			unsigned char buf[4096];
			size_t len = (size_t)(page_end - end), stale_len = 0;
			if (!mapped || mem_read(t->pid, end, buf, len) < 0)
				continue;
			size_t z = 0;
			while (z < len && buf[z] == 0)
				z++;
			long at = z < len ? stale_parse(buf, len, &stale_len) : 0;
			if (at < 0)
				continue;   /* not all zero, nor ours: someone may use it */
			out[found++] = (struct slack){ end, page_end, z < len ? end + (uint64_t)at : 0, stale_len, 0 };
		}
	}
	free(maps);
	if (!found)
		snprintf(err, errcap, "no unused memory for the %zu-byte bootstrap in %s (largest slack after a "
			 "writable segment: %zu bytes); use a shorter path", need, t->binary, best);
	return found;
}

/* Whether an entry of the queue (every thread stopped) has an argument
 * in [lo, hi]: 1, 0, or 1 when an entry cannot be read. */
static int queue_points_into(const struct queue *q, const struct snap *s, uint64_t lo, uint64_t hi)
{
	uint32_t n = queued(q, s);

	for (uint32_t k = 0; k < n; k++) {
		uint64_t arg, at = q->calls + (uint64_t)(((uint32_t)s->first + k) % q->ncalls) * q->call_size + 8;
		if (mem_read_ptr(q->pid, at, &arg) < 0 || (arg >= lo && arg <= hi))
			return 1;
	}
	return 0;
}

/* Where boot (need bytes, its NUL included) goes in sl, or 0. Over a
 * stale text, its NUL byte stays zero: the call that ran PyRun_SimpleString
 * on it ("", the second of each pair) may be reading it right now. */
static uint64_t slack_place(const struct slack *sl, size_t need)
{
	uint64_t from = (sl->end + SLACK_GAP + 15) & ~(uint64_t)15;

	if (sl->stale && from + need - 1 > sl->stale + sl->stale_len)
		from = (sl->stale + sl->stale_len + 1 + 15) & ~(uint64_t)15;
	return from + need <= sl->page_end ? from : 0;
}

/* With every thread stopped and the queue read: zero each stale bootstrap
 * no queued call points into (its pytop is gone: no one else will), mark
 * the others in use, and return where boot goes (a slack that was all
 * zero first), or 0 with a reason in err. *cleared counts the texts zeroed. */
static uint64_t slack_choose(const struct queue *q, const struct snap *s, struct slack *sl, int n, size_t need,
			     int *cleared, char *err, size_t errcap)
{
	static const unsigned char zeros[BOOT_MAX];
	uint64_t at = 0;
	int in_use = 0;

	*cleared = 0;
	for (int i = 0; i < n; i++) {
		/* As found before the stop (another pytop may have written since)? */
		unsigned char buf[4096];
		size_t len = (size_t)(sl[i].page_end - sl[i].end), text_len = 0, z = 0;
		if (len > sizeof buf || mem_read(q->pid, sl[i].end, buf, len) < 0) {
			sl[i].in_use = 1;
			continue;
		}
		while (z < len && buf[z] == 0)
			z++;
		long off = z < len ? stale_parse(buf, len, &text_len) : -1;
		if (sl[i].stale ? off < 0 || sl[i].end + (uint64_t)off != sl[i].stale || text_len != sl[i].stale_len :
				  z < len) {
			sl[i].in_use = 1;
			continue;
		}
		if (!sl[i].stale)
			continue;
		if ((sl[i].in_use = queue_points_into(q, s, sl[i].stale, sl[i].stale + sl[i].stale_len))) {
			in_use++;
			continue;
		}
		struct mem_iov iov = { sl[i].stale, (void *)zeros, sl[i].stale_len };
		if (sl[i].stale_len <= sizeof zeros && mem_writev(q->pid, &iov, 1) == 0)
			(*cleared)++;
		else
			sl[i].in_use = 1;
	}
	for (int pass = 0; pass < 2 && !at; pass++)
		for (int i = 0; i < n && !at; i++)
			if (!sl[i].in_use && !sl[i].stale == !pass)
				at = slack_place(&sl[i], need);
	if (!at)
		snprintf(err, errcap, "process %d: the unused memory pytop writes its %zu-byte bootstrap into holds "
			 "%d left by a pytop killed while it waited, still queued (the main thread has not run Python "
			 "since); try again once it has; nothing left behind", (int)q->pid, need, in_use);
	return at;
}

/* The bootstrap lines: exec the file in its own namespace; whatever it
 * raises stays inside (a pending call that fails would raise SystemError
 * in the main thread), but a KeyboardInterrupt is given back to the main
 * thread as a new interrupt. No name is bound in __main__, where
 * PyRun_SimpleString runs. Returns the length or -1. */
static int boot_build(const char *path, char *out, size_t cap)
{
	size_t n = 0;

	if (cap < sizeof boot_head + sizeof boot_tail)
		return -1;
	memcpy(out, boot_head, sizeof boot_head - 1);
	n = sizeof boot_head - 1;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (n + 4 + sizeof boot_tail > cap)
			return -1;
		if (*p >= 0x20 && *p < 0x7f && *p != '\'' && *p != '\\')
			out[n++] = (char)*p;
		else
			n += (size_t)snprintf(out + n, 5, "\\x%02x", *p);
	}
	memcpy(out + n, boot_tail, sizeof boot_tail);
	return (int)(n + sizeof boot_tail - 1);
}

/* Stop every thread: the pause, or NULL with a reason in err and *rc set. */
static struct pause *stop_all(pid_t pid, int *rc, char *err, size_t errcap)
{
	char why[300];
	struct pause *p = pause_create(pid, 1, why, sizeof why);

	if (!p) {
		snprintf(err, errcap, "cannot ptrace process %d: %s", (int)pid, why);
		*rc = PYTOP_EPERM;
		return NULL;
	}
	int missing = pause_stop_every(p);
	if (missing != 0) {
		pause_destroy(p);
		if (proc_check(pid) == PYTOP_ENOPROC) {
			snprintf(err, errcap, "process %d exited", (int)pid);
			*rc = PYTOP_EGONE;
		} else {
			snprintf(err, errcap, "process %d: %d of its threads could not be stopped (stopped by a "
				 "signal, or in an uninterruptible wait)", (int)pid, missing < 0 ? 0 : missing);
			*rc = PYTOP_ETIMEOUT;
		}
		return NULL;
	}
	return p;
}

/* Stop every thread with the queue's lock free; NULL on failure (err, *rc;
 * PYTOP_ECANCELED when cancel, may be NULL, is set while the lock is held). */
static struct pause *stop_unlocked(const struct queue *q, struct snap *s, const atomic_int *cancel, int *rc,
				   char *err, size_t errcap)
{
	uint64_t until = now() + LOCK_WAIT_NS;

	for (;;) {
		struct pause *p = stop_all(q->pid, rc, err, errcap);
		if (!p)
			return NULL;
		if ((*rc = snap_read(q, s)) < 0) {
			pause_destroy(p);
			snprintf(err, errcap, "process %d: its pending-call queue cannot be read or makes no sense (%s)",
				 (int)q->pid, pytop_strerror(*rc));
			return NULL;
		}
		if (s->lock_free)
			return p;
		pause_destroy(p);
		if (cancel_requested(cancel)) {
			snprintf(err, errcap, "cancelled while process %d's pending-call queue was locked: nothing "
				 "written, nothing left behind", (int)q->pid);
			*rc = PYTOP_ECANCELED;
			return NULL;
		}
		if (now() > until) {
			snprintf(err, errcap, "process %d: the pending-call queue's lock stayed held for %llu ms",
				 (int)q->pid, LOCK_WAIT_NS / MS);
			*rc = PYTOP_ETIMEOUT;
			return NULL;
		}
		clock_sleep_ns(MS);
	}
}

/* Append the two calls at slot s->last (one write, each prefix harmless:
 * the entries, calls_to_do, the eval-breaker bit, and last moved past them
 * last: before that, nothing is queued). */
static int commit(const struct queue *q, const struct snap *s, uint64_t boot, size_t boot_len)
{
	uint32_t i = (uint32_t)s->last, j = (i + 1) % q->ncalls, k = (j + 1) % q->ncalls;
	uint64_t e1[2] = { q->run, boot }, e2[2] = { q->run, boot + boot_len };
	int32_t one = 1, last = (int32_t)k, npending = s->npending + 2;
	uint64_t breaker = s->breaker | q->bit;
	struct mem_iov iov[6];
	int n = 0;

	iov[n++] = (struct mem_iov){ q->calls + (uint64_t)i * q->call_size, e1, sizeof e1 };
	iov[n++] = (struct mem_iov){ q->calls + (uint64_t)j * q->call_size, e2, sizeof e2 };
	if (q->todo)
		iov[n++] = (struct mem_iov){ q->todo, &one, sizeof one };
	if (q->npending)
		iov[n++] = (struct mem_iov){ q->npending, &npending, sizeof npending };
	iov[n++] = (struct mem_iov){ s->breaker_addr, &breaker, (size_t)q->breaker_size };
	iov[n++] = (struct mem_iov){ q->last, &last, sizeof last };
	return mem_writev(q->pid, iov, n);
}

/* Take the two calls at slot back out (every thread stopped, lock free,
 * neither taken). At the tail they are removed; behind a later entry they
 * become PyRun_SimpleString("") on boot's NUL (harmless, the slack stays
 * zero). calls_to_do and the eval-breaker bit go back to what they were
 * before when nothing else is queued. */
static int retract(const struct queue *q, const struct snap *s, uint32_t slot, const struct snap *before,
		   uint64_t boot, size_t boot_len)
{
	uint32_t k = (slot + 2) % q->ncalls;
	struct mem_iov iov[6];
	int n = 0;
	int32_t zero = 0, last = (int32_t)slot, npending = s->npending - 2;
	unsigned char blank[48] = { 0 };
	uint64_t empty[2] = { q->run, boot + boot_len };
	uint64_t breaker = s->breaker & ~q->bit;

	if ((uint32_t)s->last != k) {
		iov[n++] = (struct mem_iov){ q->calls + (uint64_t)slot * q->call_size + 8, &empty[1], 8 };
		return mem_writev(q->pid, iov, n);
	}
	iov[n++] = (struct mem_iov){ q->last, &last, sizeof last };
	if (q->npending)
		iov[n++] = (struct mem_iov){ q->npending, &npending, sizeof npending };
	if (q->call_size <= sizeof blank && q->npending) {
		/* 3.13 keeps free slots zeroed. */
		iov[n++] = (struct mem_iov){ q->calls + (uint64_t)slot * q->call_size, blank, q->call_size };
		iov[n++] = (struct mem_iov){ q->calls + (uint64_t)((slot + 1) % q->ncalls) * q->call_size, blank,
					     q->call_size };
	}
	int empty_now = (uint32_t)s->first == slot;
	if (empty_now && q->todo && before->todo == 0)
		iov[n++] = (struct mem_iov){ q->todo, &zero, sizeof zero };
	if (empty_now && (q->npending || ((before->breaker & q->bit) == 0 && before->todo == 0)))
		iov[n++] = (struct mem_iov){ s->breaker_addr, &breaker, (size_t)q->breaker_size };
	return mem_writev(q->pid, iov, n);
}

/* Whether the eval-breaker bit (or calls_to_do) was cleared while our calls
 * wait, read without stopping anything (an error counts as cleared: the
 * stop that follows looks again). */
/* A main thread asleep in a lock (join(), Event.wait(), Queue.get()) runs
 * no pending call until it wakes. Its stop interrupted the futex wait, to
 * be restarted on resume; make the wait return EINTR instead, as a signal
 * would: CPython's lock acquire then runs the pending calls
 * (Py_MakePendingCalls) and waits again, and every other futex user takes
 * EINTR as the spurious wakeup it must already handle. Every thread
 * stopped. */
static void nudge(struct pause *p, pid_t main_tid)
{
	pause_interrupt_call(p, main_tid, SYS_futex);
}

static int signal_lost(const struct queue *q)
{
	uint64_t addr = q->breaker, word = 0;
	int32_t todo = 1;

	if (q->main_tstate) {
		if (mem_read_ptr(q->pid, q->main_tstate, &addr) < 0 || !addr)
			return 1;
		addr += (uint64_t)q->tstate_breaker;
	}
	if (mem_read(q->pid, addr, &word, (size_t)q->breaker_size) < 0 ||
	    (q->todo && read_i32(q->pid, q->todo, &todo) < 0))
		return 1;
	return !(word & q->bit) || !todo;
}

/* Raise the eval-breaker bit again if something cleared it while our calls
 * wait (an eval-breaker recomputed by a thread stopped mid-way when they
 * were written). Every thread stopped; returns 1 when the call was taken
 * meanwhile. */
static int reassert(const struct queue *q, uint32_t slot)
{
	struct snap s;
	int rc, taken = 0;
	char err[200];
	struct pause *p = stop_unlocked(q, &s, NULL, &rc, err, sizeof err);

	if (!p)
		return 0;
	if (!in_queue(q, &s, slot))
		taken = 1;
	else if (!(s.breaker & q->bit) || (q->todo && !s.todo)) {
		int32_t one = 1;
		uint64_t breaker = s.breaker | q->bit;
		struct mem_iov iov[2];
		int n = 0;
		if (q->todo)
			iov[n++] = (struct mem_iov){ q->todo, &one, sizeof one };
		iov[n++] = (struct mem_iov){ s.breaker_addr, &breaker, (size_t)q->breaker_size };
		mem_writev(q->pid, iov, n);
	}
	if (!taken)
		nudge(p, q->pid);
	pause_destroy(p);
	return taken;
}

static void boot_clear(pid_t pid, uint64_t boot, size_t len)
{
	static const unsigned char zeros[BOOT_MAX];
	struct mem_iov iov = { boot, (void *)zeros, len };
	mem_writev(pid, &iov, 1);
}

int pending_inject(struct py_target *t, const char *path, int timeout_ms, const atomic_int *cancel, char *err,
		   size_t errcap)
{
	struct queue q;
	struct snap s, before;
	char boot_text[BOOT_MAX];
	int rc;

	err[0] = 0;
	if (!path || !path[0] || strlen(path) > PENDING_PATH_MAX) {
		snprintf(err, errcap, "the script path must be 1 to %d bytes", PENDING_PATH_MAX);
		return PYTOP_EINVAL;
	}
	int boot_len = boot_build(path, boot_text, sizeof boot_text);
	if (boot_len < 0)
		return fail(PYTOP_EINVAL, err, errcap, "the script path is too long once escaped");
	if ((rc = queue_resolve(t, &q, err, errcap)) < 0)
		return rc;
	/* A stopped process (SIGSTOP) runs nothing: refuse rather than queue. */
	char st = proc_task_state(t->pid, t->pid);
	if (st == 'T' || st == 't') {
		snprintf(err, errcap, "process %d is stopped (SIGSTOP or a debugger): it cannot run the script", (int)t->pid);
		return PYTOP_ETIMEOUT;
	}
	struct slack slacks[SLACKS_MAX];
	int nslacks = slack_find(t, (size_t)boot_len + 1, slacks, SLACKS_MAX, err, errcap), cleared;
	if (!nslacks)
		return PYTOP_EFULL;

	/* 1. Everything stopped, the lock free, room for two: write. */
	if (cancel_requested(cancel))
		return fail(PYTOP_ECANCELED, err, errcap, "cancelled before anything was written to process %d: "
			    "nothing left behind", (int)t->pid);
	struct pause *p = stop_unlocked(&q, &s, cancel, &rc, err, errcap);
	if (!p)
		return rc;
	before = s;
	if (queued(&q, &s) + 2 > (q.npending ? (uint32_t)s.max : q.ncalls - 1)) {
		pause_destroy(p);
		snprintf(err, errcap, "process %d: its pending-call queue is full (%u entries)", (int)t->pid,
			 queued(&q, &s));
		return PYTOP_EFULL;
	}
	uint32_t slot = (uint32_t)s.last;
	if (q.npending) {
		/* 3.13 keeps free slots zeroed: anything else is not a queue. */
		unsigned char chk[2][48];
		for (int k = 0; k < 2; k++) {
			uint64_t at = q.calls + (uint64_t)((slot + (uint32_t)k) % q.ncalls) * q.call_size;
			if (q.call_size > sizeof chk[k] || mem_read(t->pid, at, chk[k], q.call_size) < 0 ||
			    memcmp(chk[k], (unsigned char[48]){ 0 }, q.call_size) != 0) {
				pause_destroy(p);
				snprintf(err, errcap, "process %d: its pending-call queue's free slots are not free",
					 (int)t->pid);
				return PYTOP_ECORRUPT;
			}
		}
	}
	uint64_t boot = slack_choose(&q, &s, slacks, nslacks, (size_t)boot_len + 1, &cleared, err, errcap);
	if (!boot) {
		pause_destroy(p);
		return PYTOP_EFULL;
	}
	struct mem_iov biov = { boot, boot_text, (size_t)boot_len + 1 };
	if ((rc = mem_writev(t->pid, &biov, 1)) < 0 || (rc = commit(&q, &s, boot, (size_t)boot_len)) < 0) {
		boot_clear(t->pid, boot, (size_t)boot_len);
		pause_destroy(p);
		snprintf(err, errcap, "process %d: cannot write its memory (%s)", (int)t->pid, pytop_strerror(rc));
		return rc;
	}
	nudge(p, t->pid);
	pause_destroy(p);   /* detached: every thread runs on */

	/* 2. Wait, untraced, for the main thread to take the first call. */
	uint64_t start = now(), deadline = start + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * MS;
	uint64_t next_reassert = start + REASSERT_NS;
	int taken = 0, nudges = 0, cancelled = 0;
	while (!taken) {
		rc = still_queued(&q, slot);
		if (rc == PYTOP_EGONE || proc_check(t->pid) == PYTOP_ENOPROC) {
			snprintf(err, errcap, "process %d exited", (int)t->pid);
			return PYTOP_EGONE;
		}
		if (rc == 0) {
			taken = 1;
			break;
		}
		uint64_t tnow = now();
		if (tnow >= deadline || (cancelled = cancel_requested(cancel)))
			break;
		if (tnow >= next_reassert) {
			/* Lost its bit, or the main thread went to sleep in a
			 * lock since: stop again (raise the bit, nudge it). A
			 * sleeper is nudged NUDGES_MAX times at most: a futex
			 * wait that is not a Python lock's (C code) sees each
			 * nudge as an EINTR. */
			char main_state = proc_task_state(t->pid, t->pid);
			bool lost = signal_lost(&q), nudge_again = main_state == 'S' && nudges < NUDGES_MAX;
			nudges += nudge_again;
			taken = (lost || nudge_again) && reassert(&q, slot);
			next_reassert = now() + REASSERT_NS;
			continue;
		}
		clock_sleep_ns(POLL_NS);
	}
	if (!taken) {
		/* 3. Not taken (or cancelled): stop again and take both
		 * calls back. */
		char why[300];
		int gave_up = cancelled ? PYTOP_ECANCELED : PYTOP_ETIMEOUT;
		if (cancelled)
			snprintf(why, sizeof why, "cancelled while waiting for process %d's main thread to run the "
				 "bootstrap", (int)t->pid);
		else
			snprintf(why, sizeof why, "process %d: its main thread did not reach a safe point within %d ms "
				 "(blocked in C code or a lock, holding the GIL or waiting)", (int)t->pid, timeout_ms);
		p = stop_unlocked(&q, &s, NULL, &rc, err, errcap);
		if (!p) {
			char how[300];
			snprintf(how, sizeof how, "%s", err);
			snprintf(err, errcap, "%s, and the call could not be taken back (%s): it stays queued, its "
				 "bootstrap text in unused memory at 0x%" PRIx64, why, how, boot);
			return gave_up;
		}
		if (in_queue(&q, &s, slot)) {
			rc = retract(&q, &s, slot, &before, boot, (size_t)boot_len);
			pause_destroy(p);
			if (rc == 0)   /* (no entry points into boot any more) */
				boot_clear(t->pid, boot, (size_t)boot_len);
			snprintf(err, errcap, "%s; nothing was run, %s", why, rc == 0 ? "nothing left behind" :
				 "but the call could not be taken back: it stays queued");
			return gave_up;
		}
		pause_destroy(p);   /* taken just now */
	}
	/* 4. Taken: the second call leaving the queue means the first returned
	 * (the main thread runs them in order); then boot is no longer read. */
	uint64_t finish = (deadline > now() ? deadline : now()) + FINISH_GRACE_NS;
	for (;;) {
		rc = still_queued(&q, (slot + 1) % q.ncalls);
		if (rc == 0) {
			boot_clear(t->pid, boot, (size_t)boot_len);
			return 0;
		}
		if (rc < 0 || now() >= finish)
			break;
		if (cancel_requested(cancel))
			return fail(PYTOP_ECANCELED, err, errcap, "cancelled after process %d's main thread took the "
				    "bootstrap (the agent ends when it finds pytop gone): its %d-byte text stays in "
				    "unused memory at 0x%" PRIx64, (int)t->pid, boot_len, boot);
		clock_sleep_ns(POLL_NS);
	}
	snprintf(err, errcap, "the script was started but had not finished when pytop stopped waiting: its "
		 "%d-byte bootstrap stays in unused memory at 0x%" PRIx64, boot_len, boot);
	return 0;
}

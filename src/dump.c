/* dump: the --dump mode: attach, pause the target, walk every thread's
 * stack once, resolve tids, names and states, and write it (the text and
 * JSON forms are output/stackdump's). */
#include "dump.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpython/rlist.h"
#include "cpython/runtime.h"
#include "cpython/stack.h"
#include "cpython/thread.h"
#include "errors.h"
#include "output/stackdump.h"
#include "process/memory.h"
#include "process/pause.h"
#include "process/proc.h"
#include "process/symbols.h"
#include "sampling/mixed.h"
#include "sampling/native.h"
#include "sampling/sample.h"

#define MAX_THREADS 4096
#define MAX_DEPTH (STACK_DEPTH_MAX + 1)   /* every frame up to the limit, or a marker */
#define DUMP_INTERPS_MAX 64                /* interpreters read (the main one always) */
#ifndef RETRIES   /* the fuzz build lowers it (tools/fuzz/build_fuzz.sh) */
#define RETRIES 64   /* stack_walk calls per thread (each tries a few times) */
#endif
#ifndef RETRY_BUDGET
/* Failed stack_walk calls a whole dump may retry: past them, a stack still
 * unreadable is walked once per pass (a hostile target's thousands of
 * looping chains took 64 walks each, every pass: 90 s for one dump). */
#define RETRY_BUDGET (64 * RETRIES)
#endif

/* What the walk knows of a thread beyond what is written: how to find its
 * tid and name. */
struct thread_key {
	uint64_t pthread_id;
	const char *root_name, *root_file;  /* the outermost frame's function (interned), or NULL */
	uint64_t root_arg0;                 /* ... and its first argument */
	uint8_t *entry;                     /* per frame: stack_frame.entry (--native) */
	int interp;                         /* which interpreter's list it is in */
};

static const char *state_word(char s)
{
	switch (s) {
	case 'R': return "running";
	case 'T': case 't': return "stopped";
	case 'Z': case 'X': return "exited";
	case '?': return "unknown";
	default: return "sleeping";
	}
}

/* The names and files of a dump, each kept once: thousands of threads may
 * show the same deep stack (a hostile target points 4096 thread states at
 * one chain of long names), and one copy per frame took 470 MB for 1000
 * threads of 299 frames. Memory now follows the distinct strings. */
struct intern {
	char **slot;
	size_t cap, n;      /* cap: a power of two; n < cap / 2 */
};

static uint64_t intern_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static char *intern_str(struct intern *in, const char *s)
{
	if (2 * (in->n + 1) > in->cap) {
		struct intern big = { xcalloc(in->cap ? 2 * in->cap : 1024, sizeof(char *)),
				      in->cap ? 2 * in->cap : 1024, in->n };
		for (size_t i = 0; i < in->cap; i++) {
			if (!in->slot[i])
				continue;
			size_t k = intern_hash(in->slot[i]) & (big.cap - 1);
			while (big.slot[k])
				k = (k + 1) & (big.cap - 1);
			big.slot[k] = in->slot[i];
		}
		free(in->slot);
		*in = big;
	}
	size_t k = intern_hash(s) & (in->cap - 1);
	for (; in->slot[k]; k = (k + 1) & (in->cap - 1))
		if (strcmp(in->slot[k], s) == 0)
			return in->slot[k];
	in->n++;
	return in->slot[k] = xstrdup(s);
}

static void intern_free(struct intern *in)
{
	for (size_t i = 0; i < in->cap; i++)
		free(in->slot[i]);
	free(in->slot);
}

/* read_thread's answer for what is not a state of the interpreter whose
 * list led to it. */
#define NOT_OF_INTERP 2

/* Walk one thread state of the interpreter at interp, retrying when the
 * stack moves under the reader (while *budget lasts: each retry spends
 * one): 0, 1 when only the thread state could be read (th->error says why),
 * NOT_OF_INTERP when its interp link is another (the list led out of its
 * interpreter: a state freed under the reader, glibc's free lists where its
 * links were; nothing there, nor its next link, is a thread's), or a
 * negative error. */
static int read_thread(struct stack_cache *cache, struct py_target *t, uint64_t interp, uint64_t tstate,
		       struct stackdump_thread *th, struct thread_key *key, struct stack_frame *frames,
		       struct intern *strings, uint64_t *next, int *budget)
{
	struct thread_info ti;
	int depth = PYTOP_ECORRUPT, flags = 0;

	for (int attempt = 0; attempt < RETRIES; attempt++) {
		if (attempt > 0 && (*budget)-- <= 0)
			break;
		depth = stack_walk(cache, t, tstate, &ti, frames, MAX_DEPTH, &flags);
		if (depth >= 0 || (depth != PYTOP_ECORRUPT && depth != PYTOP_EREAD))
			break;
	}
	if (depth < 0) {
		/* Its stack stays unreadable (a chain that loops or leaves the
		 * mapped memory, or a state freed under us): the thread is
		 * kept, marked, when its own state reads (the list goes on
		 * from it); else the list changed and the caller reads it
		 * again. */
		if ((depth != PYTOP_ECORRUPT && depth != PYTOP_EREAD) || stack_thread(cache, t, tstate, &ti) < 0)
			return depth;
		if (ti.interp != interp)
			return NOT_OF_INTERP;
		key->pthread_id = ti.pthread_id;
		th->tid = ti.tid;
		th->error = pytop_strerror(depth);
		*next = ti.next;
		return 1;
	}
	if (ti.interp != interp)
		return NOT_OF_INTERP;
	key->pthread_id = ti.pthread_id;
	th->tid = ti.tid;
	th->depth = depth;
	th->truncated = flags & STACK_TRUNCATED;
	if (ti.root) {
		key->root_name = intern_str(strings, ti.root->name);
		key->root_file = intern_str(strings, ti.root->file);
		key->root_arg0 = ti.root_arg0;
	}
	struct stackdump_frame *out = xcalloc((size_t)depth + 1, sizeof *out);
	key->entry = xcalloc((size_t)depth + 1, 1);
	for (int i = 0; i < depth; i++) {
		out[i].name = intern_str(strings, frames[i].func->name);
		out[i].file = intern_str(strings, frames[i].func->file);
		out[i].line = frames[i].line;
		key->entry[i] = frames[i].entry;
	}
	th->frames = out;
	*next = ti.next;
	return 0;
}

/* Free the frames of n threads and zero them (names and files are
 * interned: freed with the table). */
static void threads_clear(struct stackdump_thread *th, struct thread_key *keys, int n)
{
	for (int k = 0; k < n; k++) {
		free(th[k].frames);
		free(keys[k].entry);
	}
	memset(th, 0, (size_t)n * sizeof *th);
	memset(keys, 0, (size_t)n * sizeof *keys);
}

#ifndef LIST_PASSES   /* the fuzz build lowers it (tools/fuzz/build_fuzz.sh) */
#define LIST_PASSES 16   /* whole-list reads when threads end under the dump */
#endif

/* Every thread of every interpreter read (paused: the target is stopped, so
 * a thread whose stack stays unreadable is not read again in another pass). */
static int read_all(struct py_target *t, struct stackdump_thread *threads, struct thread_key *keys,
		    struct intern *strings, int *count, int *interps_beyond, int paused)
{
	uint64_t interps[DUMP_INTERPS_MAX];
	struct stack_frame *frames = xcalloc(MAX_DEPTH, sizeof *frames);
	struct stack_cache *cache = stack_cache_create();   /* this dump's own walker caches */
	int ni = pyrt_interpreters(t, interps, DUMP_INTERPS_MAX, interps_beyond), n = 0, rc = 0;
	int budget = RETRY_BUDGET;

	if (ni < 0)
		rc = ni;
	/* A thread that ends while the list is walked frees its state (a read
	 * fails, its stack changes for good, or the list seems to loop): the
	 * list changed under us, so it is read again from its head, a bounded
	 * number of times. */
	for (int pass = 0; pass < LIST_PASSES && ni >= 0; pass++) {
		int thread_failed = 0, unreadable = 0, left = 0;
		threads_clear(threads, keys, n);
		n = 0;
		rc = 0;
		for (int i = 0; i < ni && rc == 0; i++) {
			uint64_t ts;
			struct rlist walk;
			if ((rc = mem_read_ptr(t->pid, interps[i] + (uint64_t)t->L.interp_threads_head, &ts)) < 0)
				break;
			rlist_init(&walk);
			while (ts && n < MAX_THREADS) {
				uint64_t next = 0;
				if (rlist_loops(&walk, ts)) {
					/* The list loops: hostile, or changing under us
					 * (a freed state's memory reused): read it again. */
					rc = PYTOP_ECORRUPT;
					thread_failed = 1;
					break;
				}
				if ((rc = read_thread(cache, t, interps[i], ts, &threads[n], &keys[n], frames,
						      strings, &next, &budget)) < 0) {
					thread_failed = 1;
					break;
				}
				if (rc == NOT_OF_INTERP) {
					/* Its list ends here (and is read again while
					 * retries are left). */
					left = 1;
					rc = 0;
					break;
				}
				unreadable += rc;
				rc = 0;
				keys[n].interp = i;
				n++;
				ts = next;
			}
		}
		/* A running target's unreadable stack may be one that was
		 * changing: the list is read again while retries are left (the
		 * last pass keeps it, marked). */
		if (!(thread_failed && (rc == PYTOP_EREAD || rc == PYTOP_ECORRUPT)) &&
		    !((unreadable || left) && !paused && budget > 0 && pass + 1 < LIST_PASSES))
			break;
		if (proc_check(t->pid) != 0)
			break;
	}
	stack_cache_destroy(cache);
	free(frames);
	*count = n;
	return rc;
}

/* The OS states of the threads before --blocking paused them (a paused
 * thread reads as stopped). */
struct state_table {
	pid_t tids[MAX_THREADS];
	char states[MAX_THREADS];
	int n;
};

static char state_of(struct py_target *t, const struct state_table *st, pid_t tid)
{
	if (!st)
		return proc_task_state(t->pid, tid);
	for (int i = 0; i < st->n; i++)
		if (st->tids[i] == tid)
			return st->states[i];
	return '?';
}

/* Keep the threads whose drop[i] is false, in order; free the others'
 * frames and count them in *dropped. Returns how many are left. */
static int compact(struct stackdump_thread *th, struct thread_key *keys, int n, const bool *drop, int *dropped)
{
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (!drop[i]) {
			keys[k] = keys[i];
			th[k++] = th[i];
			continue;
		}
		free(th[i].frames);   /* names and files are interned: freed with the table */
		free(keys[i].entry);
		(*dropped)++;
	}
	memset(th + k, 0, (size_t)(n - k) * sizeof *th);
	memset(keys + k, 0, (size_t)(n - k) * sizeof *keys);
	return k;
}

/* Drop the thread states with no kernel thread yet (made for a thread not
 * started, or the tid match failed): they are counted, never shown as tid 0.
 * Returns how many are left. */
static int drop_unstarted(pid_t pid, struct stackdump_thread *th, struct thread_key *keys, int n, int *dropped)
{
	bool *drop = xcalloc((size_t)n + 1, sizeof *drop);
	/* An unreadable stack's state may be a freed one: shown only while its
	 * kernel thread exists. */
	for (int i = 0; i < n; i++)
		drop[i] = !(th[i].tid > 0 && (!th[i].error || proc_task_state(pid, th[i].tid) != '?'));
	n = compact(th, keys, n, drop, dropped);
	free(drop);
	return n;
}

/* How much a thread state shows: a stack, an empty one, none readable. */
static int shows(const struct stackdump_thread *th)
{
	return th->error ? 0 : th->depth > 0 ? 2 : 1;
}

/* Drop the thread states of a thread that has a better one in the same
 * interpreter's list (the same pthread; a thread running a subinterpreter
 * has a state in each, both shown): 3.8-3.11 make a starting thread's
 * state with its creator's ids and no frame, shown as the creator twice;
 * a freed state read as the thread now at its pthread. They are counted
 * with the unstarted ones. Returns how many are left. */
static int drop_duplicates(struct stackdump_thread *th, struct thread_key *keys, int n, int *dropped)
{
	bool *worse = xcalloc((size_t)n + 1, sizeof *worse);

	/* All decided first: the list is compacted after. */
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n && !worse[i] && keys[i].pthread_id; j++)
			worse[i] = j != i && keys[j].pthread_id == keys[i].pthread_id &&
				   keys[j].interp == keys[i].interp &&
				   (shows(&th[j]) > shows(&th[i]) || (shows(&th[j]) == shows(&th[i]) && j < i));
	n = compact(th, keys, n, worse, dropped);
	free(worse);
	return n;
}

/* Whether comm (a kernel name, cut to 15 bytes) is the name of a thread
 * other than the i-th among names[0..n). */
static bool name_of_another(char (*names)[THREAD_NAME_MAX], int n, int i, const char *comm)
{
	for (int j = 0; j < n; j++)
		if (j != i && names[j][0] && proc_comm_of(names[j], comm))
			return true;
	return false;
}

static void resolve_threads(struct py_target *t, struct stackdump_thread *th, const struct thread_key *keys,
			    int n, const struct state_table *st, struct intern *strings)
{
	uint64_t *ids = xcalloc((size_t)n + 1, sizeof *ids);
	pid_t *tids = xcalloc((size_t)n + 1, sizeof *tids);
	char (*names)[THREAD_NAME_MAX] = xcalloc((size_t)n + 1, sizeof *names);
	char comm[THREAD_NAME_MAX];

	for (int i = 0; i < n; i++)
		ids[i] = keys[i].pthread_id;
	if (t->L.tstate_native_thread_id < 0 && thread_calibrate_tids(t, ids, n) == 0)
		for (int i = 0; i < n; i++)
			th[i].tid = thread_tid_of(t, ids[i]);
	for (int i = 0; i < n; i++)
		tids[i] = th[i].tid;
	thread_python_names(t, ids, tids, names, n);
	for (int i = 0; i < n; i++) {
		/* Not in threading._active (starting up or ending): its name from
		 * its own Thread._bootstrap frame, checked against its tid. */
		if (!names[i][0] && keys[i].root_name && th[i].tid > 0)
			thread_name_of_bootstrap(t, keys[i].root_name, keys[i].root_file, keys[i].root_arg0,
						 th[i].tid, names[i]);
	}
	for (int i = 0; i < n; i++) {
		/* Else its kernel name, unless that is another thread's: the
		 * name it inherited from its creator (3.14+ threading names OS
		 * threads, and sets no empty name). */
		if (names[i][0])
			th[i].name = intern_str(strings, names[i]);
		else if (th[i].tid > 0 && proc_task_comm(t->pid, th[i].tid, comm, sizeof comm) == 0 &&
			 !name_of_another(names, n, i, comm))
			th[i].name = intern_str(strings, comm);
		else
			th[i].name = "?";
		th[i].state = th[i].tid > 0 ? state_word(state_of(t, st, th[i].tid)) : "unknown";
	}
	free(ids);
	free(tids);
	free(names);
}

/* --native: thread th's C stack (it is stopped) merged with its Python
 * frames; native frames are "symbol+0xoff" (library). */
static void native_thread(struct native *nv, struct symbols *sy, struct stackdump_thread *th,
			  const struct thread_key *key, bool all, struct intern *strings)
{
	static const struct func_info partial_fn = { 0, 0, "(native stack incomplete)", "<pytop>" };
	static const struct func_info unmatched_fn = { 0, 0, "(native and Python stacks differ)", "<pytop>" };
	static const struct mixed_markers mk = { &partial_fn, &unmatched_fn };
	uint64_t ips[NATIVE_MAX_DEPTH];
	bool partial = false;
	int nn = native_unwind(nv, th->tid, ips, NATIVE_MAX_DEPTH, &partial), np = th->depth, flags;
	if (nn < 0) {
		nn = 0;
		partial = true;
	}
	struct mixed_frame *nat = xcalloc((size_t)nn + 1, sizeof *nat), *py = xcalloc((size_t)np + 1, sizeof *py);
	struct func_info *pyf = xcalloc((size_t)np + 1, sizeof *pyf);
	struct symbol **syms = xcalloc((size_t)nn + 1, sizeof *syms);
	int max = nn + np + 2, kept = 0;
	struct mixed_frame *out = xcalloc((size_t)max, sizeof *out);
	for (int i = 0; i < nn; i++) {
		uint64_t off = 0;
		struct symbol *y = symbols_lookup(sy, i > 0 && ips[i] ? ips[i] - 1 : ips[i], &off);
		if (!y)
			break;    /* no mapping holds it: the stack is cut there */
		/* The offset of the address itself (not of the call's byte). */
		off += i > 0 && ips[i] ? 1 : 0;
		syms[kept] = y;
		nat[kept++] = (struct mixed_frame){ &y->info, y->known && off < INT32_MAX ? (int32_t)off : -1,
						    FUNC_KIND_NATIVE, 0, (uint8_t)mixed_role(y) };
	}
	partial |= kept < nn;
	for (int i = 0; i < np; i++) {
		pyf[i] = (struct func_info){ 0, 0, th->frames[i].name, th->frames[i].file };
		py[i] = (struct mixed_frame){ &pyf[i], th->frames[i].line,
					      th->truncated && i == np - 1 ? FUNC_KIND_MARKER : FUNC_KIND_PYTHON,
					      key->entry ? key->entry[i] : 1, 0 };
	}
	int n = mixed_merge(nat, kept, partial, py, np, all, &mk, out, max, &flags);
	struct stackdump_frame *fr = xcalloc((size_t)n + 1, sizeof *fr);
	for (int i = 0; i < n; i++) {
		char name[SAMPLE_NAME_MAX + 32];
		fr[i].kind = out[i].kind;
		fr[i].line = out[i].kind == FUNC_KIND_NATIVE ? 0 : out[i].line;
		if (out[i].kind == FUNC_KIND_NATIVE && out[i].line >= 0)
			snprintf(name, sizeof name, "%s+0x%x", out[i].func->name, (unsigned)out[i].line);
		else
			snprintf(name, sizeof name, "%s", out[i].func->name);
		fr[i].name = intern_str(strings, name);
		fr[i].file = intern_str(strings, out[i].func->file);
	}
	free(th->frames);
	th->frames = fr;
	th->depth = n;
	th->truncated = 0;    /* a walker's marker is a frame of its own now */
	free(nat);
	free(py);
	free(pyf);
	free(syms);
	free(out);
}

static void native_all_threads(struct py_target *t, struct stackdump_thread *th, const struct thread_key *keys,
			       int n, bool all, struct intern *strings)
{
	struct native *nv = native_create(t->pid);
	struct symbols *sy = symbols_create(t->pid, t->binary);
	for (int i = 0; nv && i < n; i++)
		if (!th[i].error)
			native_thread(nv, sy, &th[i], &keys[i], all, strings);
	symbols_destroy(sy);
	native_destroy(nv);
}

int dump_run(pid_t pid, int json, enum dump_pause pause, enum dump_native native, FILE *out, char *err,
	     size_t errcap)
{
	struct py_target *t;
	struct stackdump_thread *threads;
	struct thread_key *keys;
	struct state_table *st = NULL;
	struct pause *pz = NULL;
	struct intern strings = { NULL, 0, 0 };
	int n = 0, unstarted = 0, beyond = 0, rc;
	char unpaused[256] = "";   /* why the target could not be paused */

	if ((rc = pyrt_open(pid, &t, err, errcap)) < 0)
		return rc;
	char note[300];
	if (pyrt_schema_note(t, note, sizeof note) == 0)
		fprintf(stderr, "pytop: note: %s\n", note);
	if (pause != DUMP_PAUSE_NEVER) {
		/* Every thread stopped for the whole dump (a stopped target stays
		 * stopped), their states read first, before ptrace is even
		 * probed (the probe's interrupt wakes a sleeping thread): read
		 * while the target runs, a stack that changes under the reader
		 * can mix instants (a recursion unwinding and coming back to the
		 * same addresses). */
		st = xcalloc(1, sizeof *st);
		st->n = proc_tasks(pid, st->tids, MAX_THREADS);
		for (int i = 0; i < st->n; i++)
			st->states[i] = proc_task_state(pid, st->tids[i]);
		if (st->n < 0)
			st->n = 0;
		if (native != DUMP_NATIVE_NO && !(pz = pause_create(pid, 1, unpaused, sizeof unpaused))) {
			native_refused(err, errcap, pid, unpaused);
			free(st);
			pyrt_close(t);
			return PYTOP_EPERM;
		}
		if (!pz && !(pz = pause_create(pid, pause == DUMP_PAUSE_TRY, err, errcap))) {
			free(st);
			st = NULL;
			if (pause == DUMP_PAUSE_MUST) {
				pyrt_close(t);
				return PYTOP_EPERM;
			}
			/* err holds the reason, its tracer's name escaped; said
			 * once the dump is out (a failed dump says one thing) */
			snprintf(unpaused, sizeof unpaused, "%s", err);
			err[0] = 0;
		}
	}
	if (pz)
		pause_stop(pz);
	threads = xcalloc(MAX_THREADS, sizeof *threads);
	keys = xcalloc(MAX_THREADS, sizeof *keys);
	rc = read_all(t, threads, keys, &strings, &n, &beyond, pz != NULL);
	if (rc == 0) {
		n = drop_duplicates(threads, keys, n, &unstarted);
		resolve_threads(t, threads, keys, n, st, &strings);
		n = drop_unstarted(pid, threads, keys, n, &unstarted);
		if (native != DUMP_NATIVE_NO)
			native_all_threads(t, threads, keys, n, native == DUMP_NATIVE_ALL, &strings);
	}
	pause_destroy(pz);
	free(st);
	if (rc == 0) {
		char cmd[4096] = "";
		struct stackdump d = {
			.pid = t->pid, .cmdline = cmd, .version = t->version, .threads = threads, .n = n,
			.unstarted = unstarted, .interps_beyond = beyond, .interps_max = DUMP_INTERPS_MAX,
			.depth_max = STACK_DEPTH_MAX, .native = native != DUMP_NATIVE_NO,
		};
		if (json) {
			stackdump_write_json(out, &d);
		} else {
			proc_cmdline(t->pid, cmd, sizeof cmd);
			stackdump_write_text(out, &d);
		}
		int unreadable = 0;
		for (int i = 0; i < n; i++)
			unreadable += threads[i].error != NULL;
		if (unreadable)
			fprintf(stderr, "pytop: note: the stack of %d of %d thread(s) could not be read "
				"(shown without frames, with the reason)\n", unreadable, n);
		if (unpaused[0])
			fprintf(stderr, "pytop: note: process %d could not be paused (%s): "
				"its stacks were read without pausing it (--blocking makes that an error)\n",
				(int)pid, unpaused);
	} else {
		int alive = proc_check(pid) == 0;
		if (!alive || rc == PYTOP_EGONE) {
			rc = PYTOP_EGONE;
			snprintf(err, errcap, "process %d exited while being read", (int)pid);
		} else {
			snprintf(err, errcap, "process %d: cannot read its threads: %s", (int)pid, pytop_strerror(rc));
		}
	}
	threads_clear(threads, keys, n);
	free(threads);
	free(keys);
	intern_free(&strings);
	pyrt_close(t);
	return rc;
}

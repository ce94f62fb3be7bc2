/* dump: read every thread of a target once and print it. */
#include "output/dump.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpython/runtime.h"
#include "cpython/stack.h"
#include "cpython/thread.h"
#include "errors.h"
#include "output/jsonw.h"
#include "target/memory.h"
#include "target/proc.h"

#define MAX_THREADS 4096
#define MAX_DEPTH 1024
#define RETRIES 8

struct dump_frame {
	char *name, *file;
	int line;
};

struct dump_thread {
	uint64_t tstate, pthread_id;
	pid_t tid;
	char name[THREAD_NAME_MAX];
	const char *state;
	int depth, truncated;
	struct dump_frame *frames;
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

/* Walk one thread state, retrying when the stack moves under the reader. */
static int read_thread(struct py_target *t, uint64_t tstate, struct dump_thread *th,
		       struct stack_frame *frames, uint64_t *next)
{
	struct thread_info ti;
	int depth = PYTOP_ECORRUPT, flags = 0;

	for (int attempt = 0; attempt < RETRIES; attempt++) {
		depth = stack_walk(t, tstate, &ti, frames, MAX_DEPTH, &flags);
		if (depth >= 0 || (depth != PYTOP_ECORRUPT && depth != PYTOP_EREAD))
			break;
	}
	if (depth < 0)
		return depth;
	th->tstate = tstate;
	th->pthread_id = ti.pthread_id;
	th->tid = ti.tid;
	th->depth = depth;
	th->truncated = flags & STACK_TRUNCATED;
	th->frames = xcalloc((size_t)depth + 1, sizeof *th->frames);
	for (int i = 0; i < depth; i++) {
		th->frames[i].name = xstrdup(frames[i].func->name);
		th->frames[i].file = xstrdup(frames[i].func->file);
		th->frames[i].line = frames[i].line;
	}
	*next = ti.next;
	return 0;
}

static int read_all(struct py_target *t, struct dump_thread *threads, int *count)
{
	uint64_t interps[64];
	struct stack_frame *frames = xcalloc(MAX_DEPTH, sizeof *frames);
	int ni = pyrt_interpreters(t, interps, 64), n = 0, rc = 0;

	if (ni < 0)
		rc = ni;
	for (int i = 0; i < ni && rc == 0; i++) {
		uint64_t ts;
		if ((rc = mem_read_ptr(t->pid, interps[i] + (uint64_t)t->L.interp_threads_head, &ts)) < 0)
			break;
		while (ts && n < MAX_THREADS) {
			uint64_t next = 0;
			if ((rc = read_thread(t, ts, &threads[n], frames, &next)) < 0)
				break;
			n++;
			ts = next;
		}
	}
	free(frames);
	*count = n;
	return rc;
}

static void resolve_threads(struct py_target *t, struct dump_thread *th, int n)
{
	uint64_t *ids = xcalloc((size_t)n + 1, sizeof *ids);
	char (*names)[THREAD_NAME_MAX] = xcalloc((size_t)n + 1, sizeof *names);

	for (int i = 0; i < n; i++)
		ids[i] = th[i].pthread_id;
	if (t->L.tstate_native_thread_id < 0 && thread_calibrate_tids(t, ids, n) == 0)
		for (int i = 0; i < n; i++)
			th[i].tid = thread_tid_of(t, ids[i]);
	thread_python_names(t, ids, names, n);
	for (int i = 0; i < n; i++) {
		if (names[i][0])
			snprintf(th[i].name, sizeof th[i].name, "%s", names[i]);
		else if (th[i].tid <= 0 || proc_task_comm(t->pid, th[i].tid, th[i].name, sizeof th[i].name) < 0)
			snprintf(th[i].name, sizeof th[i].name, "?");
		th[i].state = th[i].tid > 0 ? state_word(proc_task_state(t->pid, th[i].tid)) : "unknown";
	}
	free(ids);
	free(names);
}

static void print_text(FILE *out, struct py_target *t, struct dump_thread *th, int n)
{
	char cmd[4096] = "";
	proc_cmdline(t->pid, cmd, sizeof cmd);
	fprintf(out, "Process %d: %s\n", (int)t->pid, cmd);
	fprintf(out, "Python v%s\n", t->version);
	for (int i = 0; i < n; i++) {
		fprintf(out, "\nThread %d \"%s\" (%s)\n", (int)th[i].tid, th[i].name, th[i].state);
		for (int k = 0; k < th[i].depth; k++)
			fprintf(out, "    %s (%s:%d)\n", th[i].frames[k].name, th[i].frames[k].file, th[i].frames[k].line);
		if (th[i].truncated)
			fprintf(out, "    ... (stack truncated at %d frames)\n", th[i].depth);
	}
}

static void print_json(FILE *out, struct py_target *t, struct dump_thread *th, int n)
{
	struct jsonw *w = jsonw_new(out);
	jsonw_begin_object(w);
	jsonw_key(w, "pid");
	jsonw_int(w, t->pid);
	jsonw_key(w, "python");
	jsonw_string(w, t->version);
	jsonw_key(w, "threads");
	jsonw_begin_array(w);
	for (int i = 0; i < n; i++) {
		jsonw_begin_object(w);
		jsonw_key(w, "tid");
		jsonw_int(w, th[i].tid);
		jsonw_key(w, "name");
		jsonw_string(w, th[i].name);
		jsonw_key(w, "state");
		jsonw_string(w, th[i].state);
		jsonw_key(w, "frames");
		jsonw_begin_array(w);
		for (int k = 0; k < th[i].depth; k++) {
			jsonw_begin_object(w);
			jsonw_key(w, "name");
			jsonw_string(w, th[i].frames[k].name);
			jsonw_key(w, "file");
			jsonw_string(w, th[i].frames[k].file);
			jsonw_key(w, "line");
			jsonw_int(w, th[i].frames[k].line);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
	jsonw_free(w);
	fputc('\n', out);
}

int dump_run(pid_t pid, int json, FILE *out, char *err, size_t errcap)
{
	struct py_target *t;
	struct dump_thread *threads;
	int n = 0, rc;

	if ((rc = pyrt_open(pid, &t, err, errcap)) < 0)
		return rc;
	threads = xcalloc(MAX_THREADS, sizeof *threads);
	rc = read_all(t, threads, &n);
	if (rc == 0) {
		resolve_threads(t, threads, n);
		if (json)
			print_json(out, t, threads, n);
		else
			print_text(out, t, threads, n);
	} else {
		int alive = proc_check(pid) == 0;
		if (!alive || rc == PYTOP_EGONE) {
			rc = PYTOP_EGONE;
			snprintf(err, errcap, "process %d exited while being read", (int)pid);
		} else {
			snprintf(err, errcap, "process %d: cannot read its threads: %s", (int)pid, pytop_strerror(rc));
		}
	}
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < threads[i].depth; k++) {
			free(threads[i].frames[k].name);
			free(threads[i].frames[k].file);
		}
		free(threads[i].frames);
	}
	free(threads);
	pyrt_close(t);
	return rc;
}

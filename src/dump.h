/* dump: the `pytop --dump` mode: one read of every thread's Python stack,
 * the target paused for it, printed as text or JSON. */
#ifndef PYTOP_DUMP_H
#define PYTOP_DUMP_H

#include <stdio.h>
#include <sys/types.h>

/* Whether a dump pauses the target (ptrace) for its read. */
enum dump_pause {
	DUMP_PAUSE_TRY = 0,   /* the default: paused when ptrace allows, else read
			       * while it runs, with a note on stderr */
	DUMP_PAUSE_MUST,      /* --blocking: paused, or an error */
	DUMP_PAUSE_NEVER,     /* --nonblocking: read while it runs */
};

/* Whether a dump unwinds the threads' C stacks too (--native: the target
 * must be paused). */
enum dump_native {
	DUMP_NATIVE_NO = 0,
	DUMP_NATIVE,          /* --native: merged, the interpreter's machinery folded */
	DUMP_NATIVE_ALL,      /* --native-all: every C frame */
};

/* Print every thread of pid to out, its threads paused as pause says (a
 * stopped target stays stopped); returns 0, or a negative error with a
 * one-line explanation in err. */
int dump_run(pid_t pid, int json, enum dump_pause pause, enum dump_native native, FILE *out, char *err,
	     size_t errcap);

#endif

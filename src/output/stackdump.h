/* stackdump: a stack dump (every thread of a process and its Python stack,
 * read at one instant by `pytop --dump`) written as text or JSON. */
#ifndef PYTOP_OUTPUT_STACKDUMP_H
#define PYTOP_OUTPUT_STACKDUMP_H

#include <stdio.h>
#include <sys/types.h>

/* One frame, innermost first. */
struct stackdump_frame {
	const char *name, *file;
	int line;
	int kind;                 /* enum func_kind: Python (0), native ("symbol+0xoff",
				   * file: the library; no line) or a marker of pytop's */
};

/* One thread and its stack. */
struct stackdump_thread {
	pid_t tid;
	const char *name;
	const char *state;        /* "running", "sleeping", ... */
	int depth;                /* frames */
	int truncated;            /* the stack is deeper: the last frame is the marker */
	struct stackdump_frame *frames;
	const char *error;        /* its stack could not be read: why (no frames) */
};

/* A whole dump. */
struct stackdump {
	pid_t pid;
	const char *cmdline;      /* the command line (text only) */
	const char *version;      /* the target's Python version */
	const struct stackdump_thread *threads;
	int n;                    /* threads */
	int unstarted;            /* thread states with no kernel thread, not shown */
	int interps_beyond;       /* interpreters not read */
	int interps_max;          /* how many interpreters a dump reads */
	int depth_max;            /* how many frames a walk reads */
	int native;               /* --native: C frames merged in */
};

/* Write d to out for people (names, files and the command line escaped). */
void stackdump_write_text(FILE *out, const struct stackdump *d);

/* Write d to out as one JSON object and a newline. */
void stackdump_write_json(FILE *out, const struct stackdump *d);

#endif

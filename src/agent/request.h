/* request: a trace or watch asked for in words (the live view's
 * `:trace`/`:watch` prompt): its flags as one table, parsed into a
 * self-contained request a front end can keep, queue and send. Nothing here
 * talks to the agent. */
#ifndef PYTOP_AGENT_REQUEST_H
#define PYTOP_AGENT_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/link.h"

#define REQUEST_TEXT_MAX 512

/* One trace or watch with its own copies of the strings. */
struct request {
	bool trace;
	char target[REQUEST_TEXT_MAX];   /* 'MODULE [CLASS] METHOD', module.Class.method or FILE:LINE */
	char cond[REQUEST_TEXT_MAX];     /* "" when none */
	char exprs[REQUEST_TEXT_MAX];    /* watch: "" for the agent's default */
	long count;
	int depth;                       /* trace: tree depth */
	int repr_depth;                  /* watch: repr depth */
	double min_ms;                   /* trace: fold calls shorter than this */
	bool errors_only;                /* watch */
};

/* Parse the words after `trace` (trace true) or `watch`: 1 to 3 target
 * words and the flags of that command. Returns 0, or -1 with a one-line
 * reason in err. */
int request_parse(bool trace, int argc, char **argv, struct request *q, char *err, size_t errcap);

/* The usage of `trace` (true) or `watch` after the command's name, made
 * from the flags table. */
const char *request_usage(bool trace);

/* q as link_request() takes it (pointers into q). */
void request_link(const struct request *q, struct link_request *out);

/* A one-line description ("watch mod.f -n 5 -f 'cost > 1'") into out. */
void request_describe(const struct request *q, char *out, size_t cap);

/* The dotted name the agent resolves (module.Qual.name) for a function the
 * sampler saw as name in file: the module is guessed from the path (after
 * site-packages, dist-packages or lib/pythonX.Y, else the file's base
 * name; "__main__" when its base name is script's). Returns the module's
 * length in out, or 0 when it has no such name (<module>, <lambda>, not a
 * .py file) or it does not fit. */
size_t request_pyname(const char *file, const char *name, const char *script, char *out, size_t cap);
#endif

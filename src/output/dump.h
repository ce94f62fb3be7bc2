/* dump: `pytop --dump`: one read of every thread's Python stack, printed as
 * text or JSON. */
#ifndef PYTOP_OUTPUT_DUMP_H
#define PYTOP_OUTPUT_DUMP_H

#include <stdio.h>
#include <sys/types.h>

/* Print every thread of pid to out; returns 0, or a negative error with a
 * one-line explanation in err. */
int dump_run(pid_t pid, int json, FILE *out, char *err, size_t errcap);

#endif

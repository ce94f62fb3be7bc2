/* native_stub: the --native unwinder and symbol tables, absent from the
 * fuzz build (the harness dumps without --native: ptrace registers and
 * unwind tables are not the walkers' input). Every call says so. */
#include <stdio.h>

#include "process/symbols.h"
#include "sampling/native.h"

void native_refused(char *err, size_t errcap, pid_t pid, const char *why)
{
	snprintf(err, errcap, "--native is not in the fuzz build (process %d: %s)", (int)pid, why ? why : "");
}

struct native *native_create(pid_t pid)
{
	(void)pid;
	return NULL;
}

void native_destroy(struct native *n)
{
	(void)n;
}

int native_unwind(struct native *n, pid_t tid, uint64_t *ips, int max, bool *partial)
{
	(void)n, (void)tid, (void)ips, (void)max;
	if (partial)
		*partial = true;
	return -1;
}

struct symbols *symbols_create(pid_t pid, const char *interp_path)
{
	(void)pid, (void)interp_path;
	return NULL;
}

void symbols_destroy(struct symbols *s)
{
	(void)s;
}

struct symbol *symbols_lookup(struct symbols *s, uint64_t addr, uint64_t *offset)
{
	(void)s, (void)addr;
	if (offset)
		*offset = 0;
	return NULL;
}

/* errors: messages for pytop's error codes and the aborting allocators. */
#include "errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pytop_strerror(int err)
{
	switch (err) {
	case PYTOP_OK: return "success";
	case PYTOP_ENOPROC: return "no such process";
	case PYTOP_EPERM: return "permission denied";
	case PYTOP_ENOTPY: return "not a CPython process";
	case PYTOP_EVERSION: return "unsupported CPython version";
	case PYTOP_EREAD: return "cannot read target memory";
	case PYTOP_EGONE: return "target process exited";
	case PYTOP_ECORRUPT: return "inconsistent interpreter state";
	case PYTOP_ENOMEM: return "out of memory";
	case PYTOP_EIO: return "I/O error";
	case PYTOP_EINVAL: return "invalid argument";
	case PYTOP_EFULL: return "buffer full";
	case PYTOP_ETIMEOUT: return "timed out";
	case PYTOP_ECANCELED: return "cancelled";
	default: return "unknown error";
	}
}

static void oom(size_t n)
{
	fprintf(stderr, "pytop: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);
	memcpy(p, s, n);
	return p;
}

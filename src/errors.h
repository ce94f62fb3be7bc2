/* errors: pytop's error codes (negative ints), their messages, and the
 * x-allocators that abort on out-of-memory (never used on the sampler's hot path). */
#ifndef PYTOP_ERRORS_H
#define PYTOP_ERRORS_H

#include <stddef.h>

enum pytop_err {
	PYTOP_OK = 0,
	PYTOP_ENOPROC = -1,   /* no such process */
	PYTOP_EPERM = -2,     /* not allowed to read the process */
	PYTOP_ENOTPY = -3,    /* not a CPython process */
	PYTOP_EVERSION = -4,  /* CPython version not supported */
	PYTOP_EREAD = -5,     /* a remote read failed */
	PYTOP_EGONE = -6,     /* the target exited */
	PYTOP_ECORRUPT = -7,  /* remote state inconsistent (changed under us) */
	PYTOP_ENOMEM = -8,    /* out of memory / capacity */
	PYTOP_EIO = -9,       /* local I/O error */
	PYTOP_EINVAL = -10,   /* bad argument */
	PYTOP_EFULL = -11,    /* a fixed-size buffer or ring is full */
	PYTOP_ETIMEOUT = -12, /* the target did not do what was asked in time */
	PYTOP_ECANCELED = -13,/* the user gave up waiting */
};

/* One short message for an error code. */
const char *pytop_strerror(int err);

/* malloc/calloc/realloc/strdup that abort with a message on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif

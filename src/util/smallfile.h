/* smallfile: reading a small file (a /proc or /sys entry) in one read. */
#ifndef PYTOP_UTIL_SMALLFILE_H
#define PYTOP_UTIL_SMALLFILE_H

#include <stddef.h>

/* Read at most cap - 1 bytes of path into buf (cap > 0), NUL-terminated.
 * Returns how many bytes were read, or -1 with errno set. */
int smallfile_read(const char *path, char *buf, size_t cap);

#endif

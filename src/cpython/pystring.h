/* pystring: pure conversion of CPython's string storage (latin-1, UCS-2,
 * UCS-4 code units) to UTF-8. */
#ifndef PYTOP_CPYTHON_PYSTRING_H
#define PYTOP_CPYTHON_PYSTRING_H

#include <stddef.h>

/* Convert len code units of `kind` bytes each (1, 2 or 4) to NUL-terminated
 * UTF-8 in out (cap bytes); truncates on a character boundary. Invalid code
 * points (surrogates, > U+10FFFF) become U+FFFD. Returns bytes written. */
size_t pystring_to_utf8(int kind, const void *data, size_t len, char *out, size_t cap);

#endif

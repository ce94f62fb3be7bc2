/* pystring: pure conversion of CPython's string storage (latin-1, UCS-2,
 * UCS-4 code units) to UTF-8. */
#ifndef PYTOP_CPYTHON_PYSTRING_H
#define PYTOP_CPYTHON_PYSTRING_H

#include <stddef.h>

/* Convert len code units of `kind` bytes each (1, 2 or 4) to NUL-terminated
 * UTF-8 in out (cap bytes); truncates on a character boundary. Invalid code
 * points (surrogates, > U+10FFFF) become U+FFFD. Returns bytes written. */
size_t pystring_to_utf8(int kind, const void *data, size_t len, char *out, size_t cap);

/* The length of the longest prefix of the NUL-terminated s that has at most
 * max bytes and ends on a character boundary (never inside a UTF-8 sequence,
 * nor after an incomplete one). Every cut of a name goes through this. */
size_t utf8_cut(const char *s, size_t max);

/* Make the NUL-terminated s valid UTF-8 in place: a sequence that the end
 * cuts short is dropped (the string was cut there, as the kernel cuts comm);
 * each byte of any other invalid sequence (overlong, surrogate, > U+10FFFF,
 * stray continuation) becomes '?'. Returns the length. For raw C strings
 * from the target (type names, /proc comm). */
size_t utf8_clean(char *s);

#endif

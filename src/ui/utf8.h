/* utf8: decoding UTF-8 text and measuring it in terminal columns, for the
 * pure rendering modules (canvas, columns, lineedit). */
#ifndef PYTOP_UI_UTF8_H
#define PYTOP_UI_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode the sequence at s (at most n bytes): returns its length in bytes
 * (1 for an invalid byte, 0 only when n is 0) and the code point in *cp
 * (U+FFFD for an invalid or truncated sequence). */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Encode cp into out (4 bytes room); returns the length. */
size_t utf8_encode(uint32_t cp, char *out);

/* Columns a code point takes: 0 (combining, zero-width), 1 or 2 (East
 * Asian wide). Control characters count as 1 (they are drawn as '?'). */
int utf8_cpwidth(uint32_t cp);

/* Columns of the first n bytes of s (stops at a NUL). */
int utf8_width_n(const char *s, size_t n);

/* Columns of a NUL-terminated string. */
int utf8_width(const char *s);

/* Length in bytes of the longest prefix of s that fits in `cols` columns. */
size_t utf8_prefix(const char *s, int cols);

/* Byte offset of the longest suffix of s that fits in `cols` columns. */
size_t utf8_suffix(const char *s, int cols);

/* Byte offset of the code point before offset `pos` in s (0 at the start). */
size_t utf8_prev(const char *s, size_t pos);

/* Byte offset of the code point after offset `pos` in s of length len. */
size_t utf8_next(const char *s, size_t len, size_t pos);

#endif

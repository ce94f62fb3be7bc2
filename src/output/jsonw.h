/* jsonw: a tiny streaming JSON writer (objects, arrays, keys, strings,
 * numbers) that places the commas itself and escapes strings: quotes,
 * backslash and control characters (C0, DEL, C1, bidi overrides) escaped
 * by escape_step(), valid UTF-8 passed through, invalid UTF-8 replaced by
 * U+FFFD. */
#ifndef PYTOP_OUTPUT_JSONW_H
#define PYTOP_OUTPUT_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct jsonw;

/* A writer to f producing compact JSON (no newlines). */
struct jsonw *jsonw_new(FILE *f);

/* Put the members of the `depth` outermost containers on lines of their
 * own, indented by two spaces a level; deeper ones stay on one line with a
 * space after commas and colons. 0 (the default) is fully compact. */
void jsonw_set_pretty(struct jsonw *w, int depth);

/* Free the writer (no trailing newline is written). Returns 0, PYTOP_EINVAL
 * if it was misused (value without key, unbalanced containers) or
 * PYTOP_EIO if f reported an error. */
int jsonw_free(struct jsonw *w);

/* Open an object. */
void jsonw_begin_object(struct jsonw *w);

/* Close the innermost object. */
void jsonw_end_object(struct jsonw *w);

/* Open an array. */
void jsonw_begin_array(struct jsonw *w);

/* Close the innermost array. */
void jsonw_end_array(struct jsonw *w);

/* The key of the next member of the current object. */
void jsonw_key(struct jsonw *w, const char *key);

/* A string value (NUL-terminated); NULL writes null. */
void jsonw_string(struct jsonw *w, const char *s);

/* A string value of n bytes (may hold NULs); NULL writes null. */
void jsonw_string_len(struct jsonw *w, const char *s, size_t n);

/* A signed integer value. */
void jsonw_int(struct jsonw *w, int64_t v);

/* An unsigned integer value. */
void jsonw_uint(struct jsonw *w, uint64_t v);

/* A number (10 significant digits, '.' whatever the locale); NaN and
 * infinities write null. */
void jsonw_double(struct jsonw *w, double v);

/* true or false. */
void jsonw_bool(struct jsonw *w, bool v);

/* null. */
void jsonw_null(struct jsonw *w);

/* Write s[0..n) to f as a quoted, escaped JSON string. */
void jsonw_escape(FILE *f, const char *s, size_t n);

#endif

/* escape: the one place that decides how a string read from the target
 * (thread, function and file names, command lines) is shown, so that no
 * writer puts a terminal control sequence or a broken line on the user's
 * screen or in a file. */
#ifndef PYTOP_OUTPUT_ESCAPE_H
#define PYTOP_OUTPUT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* How escaped characters are written. */
enum escape_style {
	/* Text: \n \r \t, other C0 and DEL as \xNN, C1 controls and bidi
	 * overrides as \uNNNN, each invalid UTF-8 byte as \xNN. */
	ESCAPE_TEXT,
	/* The inside of a JSON string: \" \\ \b \f \n \r \t, other C0, DEL,
	 * C1 and bidi overrides as \u00NN / \uNNNN, invalid UTF-8 as U+FFFD. */
	ESCAPE_JSON,
};

/* Longest output of one escape_step(). */
#define ESCAPE_MAX 8

/* True for the code points no writer shows raw: C0 controls, DEL, C1
 * controls (U+0080-U+009F) and the bidirectional overrides/isolates
 * (U+202A-U+202E, U+2066-U+2069). */
bool escape_is_control(uint32_t cp);

/* The visible form of the character at s (n > 0 bytes left): writes at
 * most ESCAPE_MAX bytes to out, sets *used to the input bytes it covers
 * (>= 1) and returns the output length. Valid UTF-8 that needs no escape
 * is copied as it is. */
size_t escape_step(const char *s, size_t n, enum escape_style style, char *out, size_t *used);

/* Write the n bytes at s escaped to f (no quotes added). */
void escape_write(FILE *f, const char *s, size_t n, enum escape_style style);

/* Write the C string s (NULL as empty) escaped as text to f; returns the
 * number of bytes written. */
size_t escape_fputs(FILE *f, const char *s);

/* s (NULL as empty) escaped as text into dst (cap > 0; cut on a whole
 * escape, always terminated); returns the length the whole would need. */
size_t escape_text(char *dst, size_t cap, const char *s);

/* Write "pytop: <msg escaped as text>\n" to stderr: error messages may
 * quote paths and names taken from the target. */
void escape_error(const char *msg);

#endif

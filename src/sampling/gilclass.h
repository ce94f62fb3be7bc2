/* gilclass: the GIL classes, one table: what a thread was doing with
 * respect to the GIL in one sample, from its OS state and whether it held
 * the GIL, and everything that names or draws a class (name, letter,
 * legend, description, text column, JSON key, glyphs, theme element). The
 * aggregate counts them; the text and JSON writers and the live view read
 * this table. A new class is one enum value and one row. */
#ifndef PYTOP_SAMPLING_GILCLASS_H
#define PYTOP_SAMPLING_GILCLASS_H

#include <stdint.h>

/* The classes (one read of the GIL per round, so at most one holder per
 * GIL per round). */
enum gil_class {
	GIL_HOLDING = 0,           /* holds the GIL, on CPU: running Python (or
	                            * blocked inside the GIL's own hand-off) */
	GIL_HOLDING_BLOCKED = 1,   /* holds the GIL, blocked in a syscall: C code
	                            * blocking with the GIL held, the worst case */
	GIL_WAITING = 2,           /* blocked in futex on the GIL */
	GIL_NATIVE = 3,            /* on CPU without the GIL: native code that released it */
	GIL_IDLE = 4,              /* blocked in any other syscall */
	GIL_UNKNOWN = 5,           /* OS state unreadable */
};
#define GIL_CLASS_COUNT 6

/* Flags of a class. */
#define GILCLASS_BAR   0x1u   /* a segment of the live view's thread bar (else its empty part) */
#define GILCLASS_SHARE 0x2u   /* its share is reported: the bar's numbers, text and JSON */

/* One class: how it is named, reported and drawn. */
struct gil_class_info {
	enum gil_class cls;
	const char *name;          /* "holding_blocked": identifiers, tests */
	char letter;               /* 'B': the bar's numbers ("B2") and legend */
	const char *legend;        /* "blocked": the legend's word after the letter */
	const char *description;   /* one line for people */
	const char *column;        /* "HoldBlk": the text report's column; NULL: none */
	const char *json_key;      /* "holding_blocked_pct" in a JSON thread's "gil"; NULL: none */
	const char *theme;         /* the live view's theme element ("bar-gil-blocked") */
	uint32_t glyph_utf8;       /* the bar's character without colours (UTF-8 terminal) */
	uint32_t glyph_ascii;      /* ... on an ASCII terminal */
	unsigned flags;            /* GILCLASS_* */
};

/* The row of class c (the unknown class's for a value out of range). */
const struct gil_class_info *gilclass_info(enum gil_class c);

/* The class of a sample with this enum thread_state and SAMPLE_F_* flags. */
enum gil_class gilclass_of(unsigned state, unsigned flags);

/* "holding", "holding_blocked", "waiting", "native", "idle", "unknown";
 * "?" out of range. */
const char *gilclass_name(enum gil_class c);

#endif

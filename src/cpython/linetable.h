/* linetable: pure decoders of CPython's three line-number table formats.
 * Every function maps a byte offset into the code (co_code / the
 * instruction stream) to a source line, or returns -1 when the offset has no
 * line (e.g. artificial instructions) or the table is malformed. */
#ifndef PYTOP_CPYTHON_LINETABLE_H
#define PYTOP_CPYTHON_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

enum linetable_format {
	LINETABLE_LNOTAB = 1,   /* co_lnotab, 3.8 and 3.9 */
	LINETABLE_310 = 2,      /* co_linetable, 3.10 */
	LINETABLE_311 = 3,      /* co_linetable location table, 3.11+ */
};

/* Line of the instruction at byte offset `addr` (3.8/3.9: f_lasti; 3.10:
 * f_lasti * 2; 3.11+: code-unit index * 2). */
int linetable_line(enum linetable_format fmt, const uint8_t *tab, size_t len,
		   int firstlineno, int addr);

#endif

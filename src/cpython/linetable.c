/* linetable: decoders of co_lnotab (3.8/3.9), the 3.10 co_linetable and the
 * 3.11+ location table, matching each version's PyCode_Addr2Line. Tables come
 * from another process, so every read is bounds-checked and every loop ends. */
#include "linetable.h"

#include <limits.h>

/* 3.11+ location entry kinds (the four bits after the high bit). */
enum {
	LOC_ONE_LINE0 = 10,
	LOC_ONE_LINE1 = 11,
	LOC_ONE_LINE2 = 12,
	LOC_NO_COLUMNS = 13,
	LOC_LONG = 14,
	LOC_NONE = 15,
};

/* A computed line as an int, or -1 when garbage pushed it out of range. */
static int line_result(long long line)
{
	if (line < 0 || line > INT_MAX)
		return -1;
	return (int)line;
}

/* 3.8/3.9: pairs (byte increment, signed line increment); the line of the
 * last pair whose cumulative offset is <= addr. Offsets past the last pair
 * keep its line, as in PyCode_Addr2Line. */
static int lnotab_line(const uint8_t *tab, size_t len, int firstlineno,
		       int addr)
{
	long long line = firstlineno, off = 0;
	size_t i;

	if (len % 2)
		return -1;
	for (i = 0; i + 1 < len; i += 2) {
		off += tab[i];
		if (off > addr)
			break;
		line += (int8_t)tab[i + 1];
	}
	return line_result(line);
}

/* 3.10: pairs (range length, signed line delta or -128 for "no line"); the
 * line of the non-empty range containing addr. Empty ranges only carry their
 * delta forward. Past the last range there is no line. */
static int linetable_310_line(const uint8_t *tab, size_t len, int firstlineno,
			      int addr)
{
	long long line = firstlineno, start, end = 0;
	size_t i;

	if (len % 2)
		return -1;
	for (i = 0; i + 1 < len; i += 2) {
		int8_t delta = (int8_t)tab[i + 1];

		start = end;
		end += tab[i];
		if (delta != -128)
			line += delta;
		if (start <= addr && addr < end)
			return delta == -128 ? -1 : line_result(line);
	}
	return -1;
}

/* Read a 3.11 varint (6 bits a byte, bit 6 = more) at *pos; a byte with the
 * entry-start bit 7 set or the end of the table means garbage: -1. */
static long long read_varint(const uint8_t *tab, size_t len, size_t *pos)
{
	unsigned long long val = 0;
	unsigned int shift = 0;
	uint8_t b;

	do {
		if (*pos >= len || shift > 30)
			return -1;
		b = tab[(*pos)++];
		if (b & 128)
			return -1;
		val |= (unsigned long long)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	return (long long)val;
}

/* The line delta of the 3.11 entry whose first byte is at tab[pos], or
 * LLONG_MIN when its varint is malformed. */
static long long entry_line_delta(const uint8_t *tab, size_t len, size_t pos)
{
	int code = (tab[pos] >> 3) & 15;
	long long v;

	switch (code) {
	case LOC_NO_COLUMNS:
	case LOC_LONG:
		pos++;
		v = read_varint(tab, len, &pos);
		if (v < 0)
			return LLONG_MIN;
		return (v & 1) ? -(v >> 1) : (v >> 1);
	case LOC_ONE_LINE1:
		return 1;
	case LOC_ONE_LINE2:
		return 2;
	default:        /* short forms, one-line-0, none */
		return 0;
	}
}

/* 3.11+: entries of (first_byte & 7) + 1 code units each; lines are deltas
 * from co_firstlineno; kind 15 has no location. Past the end: no line. */
static int linetable_311_line(const uint8_t *tab, size_t len, int firstlineno,
			      int addr)
{
	long long line = firstlineno, start, end = 0, delta;
	size_t pos = 0;

	while (pos < len) {
		uint8_t b = tab[pos];

		if (!(b & 128))
			return -1;
		delta = entry_line_delta(tab, len, pos);
		if (delta == LLONG_MIN)
			return -1;
		line += delta;
		if (line < INT_MIN || line > INT_MAX)
			return -1;
		start = end;
		end += ((b & 7) + 1) * 2;
		if (start <= addr && addr < end)
			return ((b >> 3) & 15) == LOC_NONE ? -1 : line_result(line);
		pos++;
		while (pos < len && !(tab[pos] & 128))
			pos++;
	}
	return -1;
}

/* Dispatch on the format; a negative addr (a frame that has not started)
 * is on the first line, as PyCode_Addr2Line says for every version. */
int linetable_line(enum linetable_format fmt, const uint8_t *tab, size_t len,
		   int firstlineno, int addr)
{
	if (!tab && len)
		return -1;
	if (addr < 0)
		return firstlineno < 0 ? -1 : firstlineno;
	switch (fmt) {
	case LINETABLE_LNOTAB:
		return lnotab_line(tab, len, firstlineno, addr);
	case LINETABLE_310:
		return linetable_310_line(tab, len, firstlineno, addr);
	case LINETABLE_311:
		return linetable_311_line(tab, len, firstlineno, addr);
	}
	return -1;
}

/* utf8: a strict decoder (no overlongs, no surrogates) and a width table
 * that agrees with the terminal's wcwidth() for the common cases, without
 * depending on the process locale (so unit tests need none). */
#include "ui/utf8.h"

#include <string.h>

size_t utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c, min;
	size_t len, i;

	if (n == 0) {
		*cp = 0;
		return 0;
	}
	c = u[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	if (len > n) {
		*cp = 0xfffd;
		return 1;
	}
	for (i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		c = c << 6 | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = c;
	return len;
}

size_t utf8_encode(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

struct range {
	uint32_t lo, hi;
};

/* Zero-width: combining marks and format characters (the common blocks). */
static const struct range zero_width[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd }, { 0x0610, 0x061a },
	{ 0x064b, 0x065f }, { 0x0e31, 0x0e31 }, { 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e },
	{ 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f }, { 0x202a, 0x202e },
	{ 0x2060, 0x2064 }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	{ 0xfeff, 0xfeff }, { 0xe0100, 0xe01ef },
};

/* East Asian Wide and Fullwidth (and emoji presentation blocks). */
static const struct range wide[] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a }, { 0x23e9, 0x23ec },
	{ 0x2614, 0x2615 }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff }, { 0x3400, 0x4dbf },
	{ 0x4e00, 0x9fff }, { 0xa000, 0xa4cf }, { 0xa960, 0xa97f }, { 0xac00, 0xd7a3 },
	{ 0xf900, 0xfaff }, { 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f }, { 0xff00, 0xff60 },
	{ 0xffe0, 0xffe6 }, { 0x16fe0, 0x16fe4 }, { 0x17000, 0x18cff }, { 0x1b000, 0x1b2ff },
	{ 0x1f300, 0x1f64f }, { 0x1f900, 0x1f9ff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

static int in_ranges(const struct range *r, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int utf8_cpwidth(uint32_t cp)
{
	if (cp < 0x300)
		return 1;
	if (in_ranges(zero_width, sizeof(zero_width) / sizeof(zero_width[0]), cp))
		return 0;
	if (in_ranges(wide, sizeof(wide) / sizeof(wide[0]), cp))
		return 2;
	return 1;
}

int utf8_width_n(const char *s, size_t n)
{
	int w = 0;
	size_t i = 0;

	while (i < n && s[i]) {
		uint32_t cp;

		i += utf8_decode(s + i, n - i, &cp);
		w += utf8_cpwidth(cp);
	}
	return w;
}

int utf8_width(const char *s)
{
	return utf8_width_n(s, strlen(s));
}

size_t utf8_prefix(const char *s, int cols)
{
	size_t n = strlen(s), i = 0;
	int w = 0;

	while (i < n) {
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		int cw = utf8_cpwidth(cp);

		if (w + cw > cols)
			break;
		w += cw;
		i += len;
	}
	return i;
}

size_t utf8_suffix(const char *s, int cols)
{
	size_t pos = strlen(s);
	int w = 0;

	while (pos > 0) {
		size_t prev = utf8_prev(s, pos);
		uint32_t cp;
		int cw;

		utf8_decode(s + prev, pos - prev, &cp);
		cw = utf8_cpwidth(cp);
		if (w + cw > cols)
			break;
		w += cw;
		pos = prev;
	}
	return pos;
}

size_t utf8_prev(const char *s, size_t pos)
{
	size_t p = pos, k;

	if (pos == 0)
		return 0;
	/* Step back over at most 3 continuation bytes to a lead byte that
	 * decodes to exactly this span; otherwise one byte. */
	for (k = 1; k <= 4 && k <= pos; k++) {
		uint32_t cp;

		p = pos - k;
		if (((unsigned char)s[p] & 0xc0) != 0x80) {
			if (utf8_decode(s + p, k, &cp) == k)
				return p;
			break;
		}
	}
	return pos - 1;
}

size_t utf8_next(const char *s, size_t len, size_t pos)
{
	uint32_t cp;

	if (pos >= len)
		return len;
	return pos + utf8_decode(s + pos, len - pos, &cp);
}

/* pystring: latin-1 / UCS-2 / UCS-4 to UTF-8, and UTF-8 cuts and checks. */
#include "cpython/pystring.h"

#include <stdint.h>
#include <string.h>

static size_t put_utf8(uint32_t c, char *o)
{
	if (c >= 0xd800 && c <= 0xdfff)
		c = 0xfffd;
	if (c > 0x10ffff)
		c = 0xfffd;
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

size_t pystring_to_utf8(int kind, const void *data, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	if (cap == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		uint32_t c;
		char tmp[4];
		if (kind == 1) {
			c = ((const uint8_t *)data)[i];
		} else if (kind == 2) {
			uint16_t v;
			memcpy(&v, (const char *)data + 2 * i, 2);
			c = v;
		} else if (kind == 4) {
			memcpy(&c, (const char *)data + 4 * i, 4);
		} else {
			break;
		}
		size_t k = put_utf8(c, tmp);
		if (n + k >= cap)
			break;
		memcpy(out + n, tmp, k);
		n += k;
	}
	out[n] = 0;
	return n;
}

/* The length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes
 * there are not one (an incomplete sequence before the NUL included). */
static size_t seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;   /* allowed range of the second byte */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;         /* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f;         /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;         /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;                  /* also stops at the NUL */
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Is s the start of a sequence that the NUL cuts short (a lead byte and
 * only continuation bytes before the NUL)? */
static int incomplete_tail(const unsigned char *s)
{
	if (s[0] < 0xc0)
		return 0;
	for (int j = 1; j < 4; j++) {
		if (!s[j])
			return 1;
		if ((s[j] & 0xc0) != 0x80)
			return 0;
	}
	return 0;
}

size_t utf8_cut(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < max && p[i]) {
		size_t k = seq_len(p + i);
		if (k == 0 && incomplete_tail(p + i))
			break;                 /* already cut inside a character */
		if (k == 0)
			k = 1;                 /* an invalid byte is cut on its own */
		if (k > max - i)
			break;
		i += k;
	}
	return i;
}

size_t utf8_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t i = 0;

	while (p[i]) {
		size_t k = seq_len(p + i);
		if (k == 0 && incomplete_tail(p + i)) {
			p[i] = 0;
			break;
		}
		if (k == 0) {
			p[i] = '?';
			k = 1;
		}
		i += k;
	}
	return i;
}

/* pystring: latin-1 / UCS-2 / UCS-4 to UTF-8. */
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

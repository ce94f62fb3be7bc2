/* test_pystring: latin-1 / UCS-2 / UCS-4 to UTF-8 conversion. */
#include <stdint.h>
#include <string.h>

#include "cpython/pystring.h"
#include "tap.h"

int main(void)
{
	char out[64];
	const uint8_t latin1[] = { 'g', 'r', 0xf6, 0xdf, 'e' };
	const uint16_t ucs2[] = { 0x0444, 0x0443, 0x043d, 0x6f22 };
	const uint32_t ucs4[] = { 0x1d523, 0x1d532, 'x' };
	const uint32_t bad[] = { 0xd800, 0x110000, 'a' };

	pystring_to_utf8(1, "plain", 5, out, sizeof out);
	tap_str(out, "plain", "ASCII passes through");
	pystring_to_utf8(1, latin1, sizeof latin1, out, sizeof out);
	tap_str(out, "gr\xc3\xb6\xc3\x9f" "e", "latin-1 becomes two-byte UTF-8");
	pystring_to_utf8(2, ucs2, 4, out, sizeof out);
	tap_str(out, "\xd1\x84\xd1\x83\xd0\xbd\xe6\xbc\xa2", "UCS-2 Cyrillic and CJK");
	pystring_to_utf8(4, ucs4, 3, out, sizeof out);
	tap_str(out, "\xf0\x9d\x94\xa3\xf0\x9d\x94\xb2x", "UCS-4 astral characters become four bytes");
	pystring_to_utf8(4, bad, 3, out, sizeof out);
	tap_str(out, "\xef\xbf\xbd\xef\xbf\xbd" "a", "surrogates and out-of-range code points become U+FFFD");
	size_t n = pystring_to_utf8(4, ucs4, 3, out, 6);
	tap_is(n, 4, "truncation keeps whole characters only");
	tap_str(out, "\xf0\x9d\x94\xa3", "truncated output is the first character");
	n = pystring_to_utf8(3, ucs4, 3, out, sizeof out);
	tap_is(n, 0, "an unknown kind yields an empty string");
	return tap_done();
}

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

	/* utf8_cut: the cut of every name sent or shown. */
	const char *e = "\xc3\xa9\xc3\xa9\xc3\xa9";     /* three two-byte characters */
	tap_is(utf8_cut(e, 6), 6, "utf8_cut: the whole string fits");
	tap_is(utf8_cut(e, 5), 4, "utf8_cut: a cut at 5 backs off to the boundary at 4");
	tap_is(utf8_cut(e, 1), 0, "utf8_cut: no room for one character: nothing");
	tap_is(utf8_cut("\xf0\x9d\x94\xa3x", 3), 0, "utf8_cut: never inside a four-byte character");
	tap_is(utf8_cut("ab\xe6\xbc", 10), 2, "utf8_cut: an incomplete character at the end is dropped");
	tap_is(utf8_cut("a\xff" "b", 10), 3, "utf8_cut: an invalid byte counts as one");
	char big[600];
	for (int i = 0; i < 299; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	big[598] = 0;
	size_t cut = utf8_cut(big, 255);
	tap_is(cut, 254, "utf8_cut: a 598-byte name of two-byte characters cut for 255 bytes gives 254");

	/* utf8_clean: raw C strings from the target. */
	char raw[32];
	strcpy(raw, "ok\xc3\xa9");
	tap_is(utf8_clean(raw), 4, "utf8_clean: valid UTF-8 is kept");
	tap_str(raw, "ok\xc3\xa9", "utf8_clean: unchanged");
	strcpy(raw, "\x80x\xc0\xafy\xed\xa0\x80z\xf4\x90\x80\x80\xe6\xbc");
	utf8_clean(raw);
	tap_str(raw, "?x??y???z????", "utf8_clean: stray continuation, overlong, surrogate, > U+10FFFF become '?'; a cut-short end is dropped");
	strcpy(raw, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3");
	tap_is(utf8_clean(raw), 14, "utf8_clean: a comm the kernel cut at 15 bytes keeps its 7 whole characters");
	return tap_done();
}

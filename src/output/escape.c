/* escape: control characters and invalid UTF-8 made visible, for every
 * writer (text, JSON, collapsed, --dump). One decoder, two styles. */
#include "output/escape.h"

#include <string.h>

bool escape_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* Length of the valid UTF-8 sequence at s (1..4) with its code point, or 0
 * with *skip set to the length of the invalid maximal subpart (which JSON
 * replaces by one U+FFFD). Strict: no overlongs, surrogates or > U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp, size_t *skip)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;
	uint32_t v;

	*skip = 1;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;      /* no UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;      /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*skip = i;
			return 0;
		}
		v = v << 6 | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return need + 1;
}

static size_t hex_escape(char *out, const char *prefix, uint32_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = strlen(prefix);

	memcpy(out, prefix, k);
	for (int d = digits - 1; d >= 0; d--)
		out[k++] = hex[(v >> (4 * d)) & 0xf];
	return k;
}

size_t escape_step(const char *str, size_t n, enum escape_style style, char *out, size_t *used)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp = 0;
	size_t len, skip;
	char short_esc = 0;

	len = utf8_seq(s, n, &cp, &skip);
	if (len == 0) {
		*used = style == ESCAPE_JSON ? skip : 1;
		if (style == ESCAPE_JSON) {
			memcpy(out, "\xef\xbf\xbd", 3);
			return 3;
		}
		return hex_escape(out, "\\x", s[0], 2);
	}
	*used = len;
	switch (cp) {
	case '\n': short_esc = 'n'; break;
	case '\r': short_esc = 'r'; break;
	case '\t': short_esc = 't'; break;
	case '\b': short_esc = style == ESCAPE_JSON ? 'b' : 0; break;
	case '\f': short_esc = style == ESCAPE_JSON ? 'f' : 0; break;
	case '"': case '\\': short_esc = style == ESCAPE_JSON ? (char)cp : 0; break;
	default: break;
	}
	if (short_esc) {
		out[0] = '\\';
		out[1] = short_esc;
		return 2;
	}
	if (escape_is_control(cp)) {
		if (style == ESCAPE_JSON)
			return hex_escape(out, "\\u", cp, 4);
		return cp <= 0x7f ? hex_escape(out, "\\x", cp, 2) : hex_escape(out, "\\u", cp, 4);
	}
	memcpy(out, s, len);
	return len;
}

void escape_write(FILE *f, const char *s, size_t n, enum escape_style style)
{
	char buf[ESCAPE_MAX];
	size_t i = 0, used, k;

	while (i < n) {
		k = escape_step(s + i, n - i, style, buf, &used);
		fwrite(buf, 1, k, f);
		i += used;
	}
}

size_t escape_fputs(FILE *f, const char *s)
{
	char buf[ESCAPE_MAX];
	size_t i = 0, n = s ? strlen(s) : 0, used, k, total = 0;

	while (i < n) {
		k = escape_step(s + i, n - i, ESCAPE_TEXT, buf, &used);
		fwrite(buf, 1, k, f);
		total += k;
		i += used;
	}
	return total;
}

size_t escape_text(char *dst, size_t cap, const char *s)
{
	char buf[ESCAPE_MAX];
	size_t i = 0, n = s ? strlen(s) : 0, used, k, total = 0;
	bool full = false;

	while (i < n) {
		k = escape_step(s + i, n - i, ESCAPE_TEXT, buf, &used);
		if (!full && total + k < cap)
			memcpy(dst + total, buf, k);
		else if (!full) {
			dst[total] = '\0';
			full = true;
		}
		total += k;
		i += used;
	}
	if (!full)
		dst[total] = '\0';
	return total;
}

void escape_error(const char *msg)
{
	fputs("pytop: ", stderr);
	escape_fputs(stderr, msg);
	fputc('\n', stderr);
}

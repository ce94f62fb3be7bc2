/* event: validating and reading the agent's JSON lines (hostile input). */
#include "agent/event.h"

#include <string.h>

#include "errors.h"

#define EVENT_MAX_DEPTH 64

struct scan {
	const char *s;
	size_t n, i;
};

static void skip_ws(struct scan *p)
{
	while (p->i < p->n && (p->s[p->i] == ' '))
		p->i++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int scan_string(struct scan *p)
{
	if (p->i >= p->n || p->s[p->i] != '"')
		return -1;
	p->i++;
	while (p->i < p->n) {
		char c = p->s[p->i++];
		if (c == '"')
			return 0;
		if (c != '\\')
			continue;
		if (p->i >= p->n)
			return -1;
		c = p->s[p->i++];
		if (c == 'u') {
			if (p->n - p->i < 4)
				return -1;
			for (int k = 0; k < 4; k++)
				if (hexval(p->s[p->i++]) < 0)
					return -1;
		} else if (!strchr("\"\\/bfnrt", c)) {
			return -1;
		}
	}
	return -1;
}

static int scan_number(struct scan *p)
{
	size_t start = p->i;
	if (p->i < p->n && p->s[p->i] == '-')
		p->i++;
	size_t digits = p->i;
	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	if (p->i == digits)
		return -1;
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		size_t d = p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (p->i == d)
			return -1;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		size_t d = p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (p->i == d)
			return -1;
	}
	return p->i > start ? 0 : -1;
}

static int scan_value(struct scan *p, int depth);

static int scan_container(struct scan *p, int depth, char close, struct event *e)
{
	if (depth > EVENT_MAX_DEPTH)
		return -1;
	p->i++;
	skip_ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		size_t start = p->i;
		if (close == '}') {
			if (scan_string(p) < 0)
				return -1;
			if (e && e->nmembers < EVENT_MAX_MEMBERS) {
				size_t klen = p->i - start - 2;
				if (klen >= sizeof e->key[0])
					klen = sizeof e->key[0] - 1;
				memcpy(e->key[e->nmembers], p->s + start + 1, klen);
				e->key[e->nmembers][klen] = 0;
			}
			skip_ws(p);
			if (p->i >= p->n || p->s[p->i] != ':')
				return -1;
			p->i++;
			skip_ws(p);
		}
		size_t value = p->i;
		if (scan_value(p, depth + 1) < 0)
			return -1;
		if (e && close == '}' && e->nmembers < EVENT_MAX_MEMBERS) {
			e->member[e->nmembers] = (struct event_span){ start, value, p->i };
			e->nmembers++;
		}
		skip_ws(p);
		if (p->i >= p->n)
			return -1;
		char c = p->s[p->i++];
		if (c == close)
			return 0;
		if (c != ',')
			return -1;
	}
}

static int scan_literal(struct scan *p, const char *word)
{
	size_t n = strlen(word);
	if (p->n - p->i < n || memcmp(p->s + p->i, word, n) != 0)
		return -1;
	p->i += n;
	return 0;
}

static int scan_value(struct scan *p, int depth)
{
	if (p->i >= p->n)
		return -1;
	switch (p->s[p->i]) {
	case '{':
		return scan_container(p, depth, '}', NULL);
	case '[':
		return scan_container(p, depth, ']', NULL);
	case '"':
		return scan_string(p);
	case 't':
		return scan_literal(p, "true");
	case 'f':
		return scan_literal(p, "false");
	case 'n':
		return scan_literal(p, "null");
	default:
		return scan_number(p);
	}
}

int event_parse(const char *line, size_t len, struct event *e)
{
	struct scan p = { line, len, 0 };

	memset(e, 0, sizeof *e);
	e->line = line;
	e->len = len;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
			return PYTOP_EINVAL;
	skip_ws(&p);
	if (p.i >= p.n || line[p.i] != '{' || scan_container(&p, 1, '}', e) < 0)
		return PYTOP_EINVAL;
	skip_ws(&p);
	if (p.i != p.n)
		return PYTOP_EINVAL;
	char buf[sizeof e->ev];
	if (event_string(e, "ev", buf, sizeof buf) >= 0 && strlen(buf) < sizeof e->ev - 1)
		memcpy(e->ev, buf, sizeof e->ev);
	const struct event_span *id = event_member(e, "id");
	if (id) {
		int64_t v = 0;
		size_t i = id->value;
		int neg = i < id->end && line[i] == '-';
		i += neg;
		for (; i < id->end && line[i] >= '0' && line[i] <= '9'; i++) {
			if (v > (INT64_MAX - 9) / 10) {
				v = 0;
				break;
			}
			v = v * 10 + (line[i] - '0');
		}
		if (i == id->end)
			e->id = neg ? -v : v;
	}
	return 0;
}

const struct event_span *event_member(const struct event *e, const char *key)
{
	for (int i = 0; i < e->nmembers; i++)
		if (strcmp(e->key[i], key) == 0)
			return &e->member[i];
	return NULL;
}

/* Append code point cp as UTF-8 to out if it fits whole; returns bytes added. */
static size_t put_utf8(char *out, size_t at, size_t cap, uint32_t cp, size_t *total)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	*total += n;
	if (at + n >= cap)
		return 0;
	memcpy(out + at, b, n);
	return n;
}

static uint32_t hex4(const char *s)
{
	uint32_t v = 0;
	for (int k = 0; k < 4; k++)
		v = v * 16 + (uint32_t)hexval(s[k]);
	return v;
}

long event_string(const struct event *e, const char *key, char *out, size_t cap)
{
	const struct event_span *m = event_member(e, key);
	size_t at = 0, total = 0;
	int full = 0;

	out[0] = 0;
	if (!m || e->line[m->value] != '"')
		return -1;
	/* The line was validated: escapes are complete, the string ends at end - 1. */
	for (size_t i = m->value + 1; i + 1 < m->end;) {
		char c = e->line[i++];
		uint32_t cp = (unsigned char)c;
		if (c == '\\') {
			c = e->line[i++];
			switch (c) {
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				cp = hex4(e->line + i);
				i += 4;
				if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= m->end - 1 && e->line[i] == '\\' &&
				    e->line[i + 1] == 'u') {
					uint32_t lo = hex4(e->line + i + 2);
					if (lo >= 0xdc00 && lo < 0xe000) {
						cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
						i += 6;
					}
				}
				if ((cp >= 0xd800 && cp < 0xe000) || cp == 0)
					cp = 0xfffd;    /* a lone surrogate, or NUL */
				break;
			default: cp = (unsigned char)c; break;
			}
		}
		size_t before = total;
		size_t n = full ? 0 : put_utf8(out, at, cap, cp, &total);
		if (!n && total > before)
			full = 1;
		at += n;
	}
	out[at] = 0;
	return (long)total;
}

void event_write_json(const struct event *e, const char *const *drop, FILE *f)
{
	int first = 1;

	/* The members kept, in order, with the line's own bytes (validated). */
	fputc('{', f);
	for (int i = 0; i < e->nmembers; i++) {
		int skip = 0;
		for (const char *const *d = drop; d && *d; d++)
			skip |= strcmp(e->key[i], *d) == 0;
		if (skip)
			continue;
		if (!first)
			fputc(',', f);
		first = 0;
		fwrite(e->line + e->member[i].start, 1, e->member[i].end - e->member[i].start, f);
	}
	fputs("}\n", f);
}

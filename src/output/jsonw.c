/* jsonw: the streaming JSON writer. A stack of open containers (grown as
 * needed) records for each whether it is an object and has members yet,
 * which is all that comma placement and indentation need. */
#include "output/jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

#define C_OBJECT 0x1
#define C_MEMBERS 0x2

struct jsonw {
	FILE *f;
	int pretty;
	int error;
	bool have_key;          /* a key was written; its value comes next */
	bool top_done;          /* the top-level value is complete */
	size_t depth, cap;
	unsigned char *st;      /* C_* per open container */
};

struct jsonw *jsonw_new(FILE *f)
{
	struct jsonw *w = xcalloc(1, sizeof(*w));

	w->f = f;
	w->cap = 16;
	w->st = xmalloc(w->cap);
	return w;
}

void jsonw_set_pretty(struct jsonw *w, int depth)
{
	w->pretty = depth;
}

int jsonw_free(struct jsonw *w)
{
	int err;

	if (!w)
		return 0;
	err = w->error;
	if (!err && (w->depth || w->have_key))
		err = PYTOP_EINVAL;
	if (!err && ferror(w->f))
		err = PYTOP_EIO;
	free(w->st);
	free(w);
	return err;
}

static void newline(struct jsonw *w, size_t level)
{
	size_t i;

	putc('\n', w->f);
	for (i = 0; i < level; i++)
		fputs("  ", w->f);
}

/* Separator and indentation before a member of the innermost container. */
static void member(struct jsonw *w)
{
	unsigned char *c = &w->st[w->depth - 1];

	if (*c & C_MEMBERS)
		putc(',', w->f);
	if ((int)w->depth <= w->pretty)
		newline(w, w->depth);
	else if ((*c & C_MEMBERS) && w->pretty > 0)
		putc(' ', w->f);
	*c |= C_MEMBERS;
}

/* Before any value: checks the grammar and writes what precedes it. */
static bool value(struct jsonw *w)
{
	if (w->depth == 0) {
		if (w->top_done) {
			w->error = PYTOP_EINVAL;
			return false;
		}
		return true;
	}
	if (w->st[w->depth - 1] & C_OBJECT) {
		if (!w->have_key) {
			w->error = PYTOP_EINVAL;
			return false;
		}
		w->have_key = false;
		return true;
	}
	member(w);
	return true;
}

static void value_done(struct jsonw *w)
{
	if (w->depth == 0)
		w->top_done = true;
}

static void begin(struct jsonw *w, unsigned char kind, int ch)
{
	if (!value(w))
		return;
	if (w->depth == w->cap) {
		w->cap *= 2;
		w->st = xrealloc(w->st, w->cap);
	}
	w->st[w->depth++] = kind;
	putc(ch, w->f);
}

static void end(struct jsonw *w, unsigned char kind, int ch)
{
	if (w->depth == 0 || (w->st[w->depth - 1] & C_OBJECT) != kind || w->have_key) {
		w->error = PYTOP_EINVAL;
		return;
	}
	w->depth--;
	if ((w->st[w->depth] & C_MEMBERS) && (int)w->depth + 1 <= w->pretty)
		newline(w, w->depth);
	putc(ch, w->f);
	value_done(w);
}

void jsonw_begin_object(struct jsonw *w)
{
	begin(w, C_OBJECT, '{');
}

void jsonw_end_object(struct jsonw *w)
{
	end(w, C_OBJECT, '}');
}

void jsonw_begin_array(struct jsonw *w)
{
	begin(w, 0, '[');
}

void jsonw_end_array(struct jsonw *w)
{
	end(w, 0, ']');
}

void jsonw_key(struct jsonw *w, const char *key)
{
	if (w->depth == 0 || !(w->st[w->depth - 1] & C_OBJECT) || w->have_key) {
		w->error = PYTOP_EINVAL;
		return;
	}
	member(w);
	jsonw_escape(w->f, key, strlen(key));
	putc(':', w->f);
	if (w->pretty > 0)
		putc(' ', w->f);
	w->have_key = true;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 with *skip set to
 * the length of the invalid maximal subpart to replace by one U+FFFD. */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *skip)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	*skip = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;      /* no UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
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
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

void jsonw_escape(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, len, skip;

	putc('"', f);
	while (i < n) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			putc('\\', f);
			putc(c, f);
			i++;
			continue;
		}
		if (c < 0x20) {
			switch (c) {
			case '\b': fputs("\\b", f); break;
			case '\f': fputs("\\f", f); break;
			case '\n': fputs("\\n", f); break;
			case '\r': fputs("\\r", f); break;
			case '\t': fputs("\\t", f); break;
			default: fprintf(f, "\\u%04x", c); break;
			}
			i++;
			continue;
		}
		len = utf8_seq(s + i, n - i, &skip);
		if (len) {
			fwrite(s + i, 1, len, f);
			i += len;
		} else {
			fputs("\xef\xbf\xbd", f);
			i += skip;
		}
	}
	putc('"', f);
}

void jsonw_string_len(struct jsonw *w, const char *s, size_t n)
{
	if (!value(w))
		return;
	if (s)
		jsonw_escape(w->f, s, n);
	else
		fputs("null", w->f);
	value_done(w);
}

void jsonw_string(struct jsonw *w, const char *s)
{
	jsonw_string_len(w, s, s ? strlen(s) : 0);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	if (!value(w))
		return;
	fprintf(w->f, "%" PRId64, v);
	value_done(w);
}

void jsonw_uint(struct jsonw *w, uint64_t v)
{
	if (!value(w))
		return;
	fprintf(w->f, "%" PRIu64, v);
	value_done(w);
}

void jsonw_double(struct jsonw *w, double v)
{
	if (!value(w))
		return;
	if (isfinite(v)) {
		char buf[64], *p;
		bool sep = false;

		/* JSON wants '.' whatever LC_NUMERIC's separator (maybe multibyte). */
		snprintf(buf, sizeof(buf), "%.10g", v);
		for (p = buf; *p; p++) {
			if (strchr("0123456789+-eE", *p)) {
				putc(*p, w->f);
				sep = false;
			} else if (!sep) {
				putc('.', w->f);
				sep = true;
			}
		}
	} else {
		fputs("null", w->f);
	}
	value_done(w);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	if (!value(w))
		return;
	fputs(v ? "true" : "false", w->f);
	value_done(w);
}

void jsonw_null(struct jsonw *w)
{
	if (!value(w))
		return;
	fputs("null", w->f);
	value_done(w);
}

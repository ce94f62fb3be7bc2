/* jsonw: the streaming JSON writer. A stack of open containers (grown as
 * needed) records for each whether it is an object and has members yet,
 * which is all that comma placement and indentation need. */
#include "output/jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "output/escape.h"

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

void jsonw_escape(FILE *f, const char *str, size_t n)
{
	putc('"', f);
	escape_write(f, str, n, ESCAPE_JSON);
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

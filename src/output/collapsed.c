/* collapsed: folded stacks. Lines are gathered from the aggregate's stack
 * walk and sorted so the output does not depend on feeding order. The
 * weight is what the mode measures, as an integer (flamegraph.pl and
 * speedscope read integers): CPU time in microseconds in cpu mode, the
 * sample count in wall and gil mode. */
#include "output/collapsed.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "output/escape.h"

struct lines {
	bool cpu_us;          /* weigh by CPU time in us (cpu mode), else samples */
	char **v;
	size_t n, cap;
	char *buf;            /* the line being built */
	size_t len, bufcap;
};

static void put(struct lines *l, const char *s, size_t n)
{
	if (l->len + n + 1 > l->bufcap) {
		while (l->len + n + 1 > l->bufcap)
			l->bufcap = l->bufcap ? l->bufcap * 2 : 256;
		l->buf = xrealloc(l->buf, l->bufcap);
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

/* A name or file with the format's separators made harmless: ';' splits
 * frames (shown as '_'), and control characters (a newline would end the
 * line) and invalid UTF-8 are escaped by escape_step(). */
static void put_clean(struct lines *l, const char *s)
{
	size_t n = strlen(s), i = 0, used, k;
	char buf[ESCAPE_MAX];

	while (i < n) {
		if (s[i] == ';') {
			put(l, "_", 1);
			i++;
			continue;
		}
		k = escape_step(s + i, n - i, ESCAPE_TEXT, buf, &used);
		put(l, buf, k);
		i += used;
	}
}

static void add_stack(void *arg, const struct agg_frame *fr, size_t depth, uint64_t count, uint64_t ns)
{
	struct lines *l = arg;
	char num[48];
	uint64_t weight = l->cpu_us ? (ns + 500) / 1000 : count;
	size_t i;

	if (!weight)
		return;           /* under 0.5 us of CPU: nothing to draw */
	l->len = 0;
	for (i = 0; i < depth; i++) {
		if (i)
			put(l, ";", 1);
		put_clean(l, fr[i].name);
		put(l, " (", 2);
		put_clean(l, fr[i].file);
		/* A native frame is "symbol (library)", no line (as py-spy). */
		if (fr[i].kind == FUNC_KIND_NATIVE)
			snprintf(num, sizeof(num), ")");
		else
			snprintf(num, sizeof(num), ":%d)", fr[i].line);
		put(l, num, strlen(num));
	}
	snprintf(num, sizeof(num), " %" PRIu64 "\n", weight);
	put(l, num, strlen(num));
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(l->buf);
}

static int cmp_lines(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

int collapsed_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta)
{
	struct lines l;
	size_t i;

	(void)meta;
	memset(&l, 0, sizeof(l));
	l.cpu_us = aggregate_mode(agg) == AGG_MODE_CPU;
	aggregate_walk_stacks(agg, NULL, add_stack, &l);
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_lines);
	for (i = 0; i < l.n; i++) {
		fputs(l.v[i], f);
		free(l.v[i]);
	}
	free(l.v);
	free(l.buf);
	return ferror(f) ? PYTOP_EIO : 0;
}

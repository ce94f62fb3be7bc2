/* flamegraph: the svg writer. The aggregate's stacks (threads merged) are
 * folded into a tree of frames, one node per function per path (lines of
 * one function merged; the hover shows the hottest line), children in name
 * order. A frame's weight is what the mode measures: its CPU time in ns in
 * cpu mode (a sample taken while the thread waited for a core has none),
 * its samples in wall and gil mode; widths, the threshold below and the
 * script's texts are in that unit (the data block's "unit"). Frames narrower than MIN_WIDTH_PX are left to their parent's
 * remainder (and the smallest frames too when more than MAX_FRAMES are
 * left), so a profile of 100k unique stacks stays a few MB.
 *
 * The file is a static picture (a <rect> per frame, labels on the wide
 * ones) that any SVG viewer shows, plus a JSON block with the frames and
 * the functions (each with its weight over all stacks, for the search's
 * share: also those of frames too narrow to draw, when they weigh a frame's
 * worth), and the script of flamegraph.js that makes it interactive.
 * Every string from the target passes escape_text() first (control
 * characters and bidi overrides made visible, invalid UTF-8 escaped, the
 * length bounded), then the XML or the JSON escaping of where it goes: no
 * target string is ever part of markup or script. */
#include "output/flamegraph.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "output/escape.h"
#include "output/snapshot.h"
#include "sampling/aggregate.h"
/* The script and style sheet, as C strings (generated at build time from
 * src/output/flamegraph.js and flamegraph.css by the rule in output.mk). */
#include "src/output/flamegraph_js.h"

/* Layout, in px (the script reads them from the JSON block). */
#define WIDTH 1200
#define PAD 10
#define ROW 16              /* a frame's row: 15 px of frame, 1 px gap */
#define TOP 96              /* title, subtitle, controls */
#define BOTTOM 64           /* details line, legend */
#define CHAR_PX 7.1         /* mean width of a 12 px label character */

/* Frames narrower than this (at the full width) are merged into their
 * parent; at most MAX_FRAMES frames are drawn (the widest). */
#define MIN_WIDTH_PX 0.1
#define MAX_FRAMES 40000

/* Bytes of a name or file name kept (after escaping), and of the title. */
#define NAME_CAP 400
#define TITLE_CAP 240

/* The kinds the script colours: enum func_kind, then the root. */
#define KIND_ROOT FUNC_KIND_COUNT

#define NONE UINT32_MAX

struct node {
	uint32_t func;        /* the aggregate's function handle */
	uint32_t parent, child, next;
	uint32_t depth;
	uint32_t fn;          /* index in the function table (kept nodes) */
	uint8_t kind;
	int line;             /* hottest line in this frame */
	uint64_t line_n;      /* its weight */
	uint64_t total;       /* weight of the stacks with this frame on them */
	uint64_t idle, wait;  /* the part of it blocked, and waiting for the GIL */
	uint64_t start;       /* offset in weight from the left (kept nodes) */
	const char *name, *file;
};

/* (a, b) -> value, open addressing; a == NONE marks an empty slot. */
struct slot {
	uint32_t a, b;
	uint64_t v;
};

struct table {
	struct slot *s;
	size_t n, cap;        /* cap: a power of two */
};

struct tree {
	struct node *v;
	size_t n, cap;
	struct table kids;    /* (parent, func) -> node */
	struct table lines;   /* (node, line) -> weight */
	struct table fw;      /* (func, 0) -> weight of the stacks with func on
	                       * them, each once; (func, 1) -> the last stack
	                       * counted, + 1 */
	uint64_t stacks;      /* stacks added */
	bool cpu;             /* weight: CPU ns (cpu mode), else samples */
	uint64_t total;       /* weight of all stacks */
	uint64_t samples;     /* samples of all stacks */
};

static uint64_t mix(uint32_t a, uint32_t b)
{
	uint64_t h = ((uint64_t)a << 32 | b) * 0x9e3779b97f4a7c15ull;

	return h ^ (h >> 29);
}

/* The slot of (a, b): the one holding it, or the empty one to fill. */
static struct slot *table_find(struct table *t, uint32_t a, uint32_t b)
{
	size_t i;

	if (2 * (t->n + 1) > t->cap) {
		struct slot *old = t->s;
		size_t oldcap = t->cap;

		t->cap = t->cap ? t->cap * 2 : 1024;
		t->s = xmalloc(t->cap * sizeof(*t->s));
		for (i = 0; i < t->cap; i++)
			t->s[i].a = NONE;
		for (i = 0; i < oldcap; i++)
			if (old[i].a != NONE)
				*table_find(t, old[i].a, old[i].b) = old[i];
		free(old);
	}
	for (i = mix(a, b) & (t->cap - 1);; i = (i + 1) & (t->cap - 1))
		if (t->s[i].a == NONE || (t->s[i].a == a && t->s[i].b == b))
			return &t->s[i];
}

static uint32_t node_new(struct tree *t, uint32_t parent, const struct agg_frame *fr)
{
	struct node *nd;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	nd = &t->v[t->n];
	memset(nd, 0, sizeof(*nd));
	nd->parent = parent;
	nd->child = nd->next = NONE;
	nd->func = fr ? fr->func : NONE;
	nd->kind = fr ? (uint8_t)fr->kind : KIND_ROOT;
	nd->name = fr ? fr->name : "all";
	nd->file = fr ? fr->file : "";
	nd->depth = fr ? t->v[parent].depth + 1 : 0;
	return (uint32_t)t->n++;
}

/* aggregate_walk_stack_states() callback: add one stack, root first. */
static void add_stack(void *arg, const struct agg_frame *fr, size_t depth, uint64_t count, uint64_t ns,
		      uint64_t idle_ns, uint64_t wait_ns)
{
	struct tree *t = arg;
	uint32_t cur = 0;
	uint64_t w = t->cpu ? ns : count;
	/* The stack's blocked and GIL-wait parts, in its weight's unit. */
	uint64_t idle = ns ? (uint64_t)((double)w * (double)(idle_ns < ns ? idle_ns : ns) / (double)ns) : 0;
	uint64_t wait = ns ? (uint64_t)((double)w * (double)(wait_ns < ns ? wait_ns : ns) / (double)ns) : 0;

	if (!w)
		return;
	t->samples += count;
	t->total += w;
	t->v[0].total += w;
	t->stacks++;
	for (size_t i = 0; i < depth; i++) {
		struct slot *s = table_find(&t->fw, fr[i].func, 1);
		struct node *nd;

		/* The function's weight, once per stack (recursion). */
		if (s->a == NONE) {
			*s = (struct slot){ fr[i].func, 1, 0 };
			t->fw.n++;
		}
		if (s->v != t->stacks) {
			s->v = t->stacks;
			s = table_find(&t->fw, fr[i].func, 0);
			if (s->a == NONE) {
				*s = (struct slot){ fr[i].func, 0, 0 };
				t->fw.n++;
			}
			s->v += w;
		}
		s = table_find(&t->kids, cur, fr[i].func);

		if (s->a == NONE) {
			uint32_t id = node_new(t, cur, &fr[i]);

			*s = (struct slot){ cur, fr[i].func, id };
			t->kids.n++;
		}
		cur = (uint32_t)s->v;
		nd = &t->v[cur];
		nd->total += w;
		nd->idle += idle;
		nd->wait += wait;
		s = table_find(&t->lines, cur, (uint32_t)fr[i].line);
		if (s->a == NONE) {
			*s = (struct slot){ cur, (uint32_t)fr[i].line, 0 };
			t->lines.n++;
		}
		s->v += w;
		if (s->v > nd->line_n || (s->v == nd->line_n && fr[i].line < nd->line)) {
			nd->line_n = s->v;
			nd->line = fr[i].line;
		}
	}
}

/* For the sort of children: the tree whose nodes are compared. */
static const struct node *sort_nodes;

static int cmp_siblings(const void *x, const void *y)
{
	const struct node *a = &sort_nodes[*(const uint32_t *)x], *b = &sort_nodes[*(const uint32_t *)y];
	int c;

	if (a->parent != b->parent)
		return a->parent < b->parent ? -1 : 1;
	if ((c = strcmp(a->name, b->name)) != 0 || (c = strcmp(a->file, b->file)) != 0)
		return c;
	return a->func < b->func ? -1 : a->func > b->func;
}

/* Link every node's children in name order (then file, then handle). */
static void tree_link(struct tree *t)
{
	uint32_t *idx, *last;
	size_t i, k = 0;

	if (t->n < 2)
		return;
	idx = xmalloc((t->n - 1) * sizeof(*idx));
	for (i = 1; i < t->n; i++)
		idx[k++] = (uint32_t)i;
	sort_nodes = t->v;
	qsort(idx, k, sizeof(*idx), cmp_siblings);
	sort_nodes = NULL;
	last = xmalloc(t->n * sizeof(*last));
	for (i = 0; i < t->n; i++)
		last[i] = NONE;
	for (i = 0; i < k; i++) {
		struct node *nd = &t->v[idx[i]];

		if (last[nd->parent] == NONE)
			t->v[nd->parent].child = idx[i];
		else
			t->v[last[nd->parent]].next = idx[i];
		last[nd->parent] = idx[i];
	}
	free(last);
	free(idx);
}

static int cmp_desc(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? 1 : a > b ? -1 : 0;
}

/* The weight a frame needs to be drawn: MIN_WIDTH_PX wide, raised above
 * the (MAX_FRAMES + 1)th largest frame when more would be drawn (a frame
 * never weighs more than its parent, so the frames kept always include
 * their parents). */
static uint64_t tree_threshold(const struct tree *t)
{
	uint64_t thr = (uint64_t)ceil((double)t->total * MIN_WIDTH_PX / (WIDTH - 2 * PAD)), *totals;
	size_t kept = 0;

	if (thr < 1)
		thr = 1;
	for (size_t i = 0; i < t->n; i++)
		kept += t->v[i].total >= thr;
	if (kept <= MAX_FRAMES)
		return thr;
	totals = xmalloc(t->n * sizeof(*totals));
	for (size_t i = 0; i < t->n; i++)
		totals[i] = t->v[i].total;
	qsort(totals, t->n, sizeof(*totals), cmp_desc);
	if (totals[MAX_FRAMES] + 1 > thr)
		thr = totals[MAX_FRAMES] + 1;
	free(totals);
	return thr;
}

/* The kept frames in pre-order (a parent before its children, children
 * left to right), with their start offsets set; returns how many. */
static size_t tree_order(struct tree *t, uint64_t thr, uint32_t **out, uint32_t *maxdepth)
{
	uint32_t *order = NULL, *stack;
	size_t n = 0, cap = 0, sp = 0;

	*maxdepth = 0;
	stack = xmalloc(t->n * sizeof(*stack));
	t->v[0].start = 0;
	stack[sp++] = 0;
	while (sp) {
		uint32_t id = stack[--sp], c;
		struct node *nd = &t->v[id];
		uint64_t at = nd->start;
		size_t first = sp;

		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			order = xrealloc(order, cap * sizeof(*order));
		}
		order[n++] = id;
		if (nd->depth > *maxdepth)
			*maxdepth = nd->depth;
		/* Kept children left to right, pushed so the leftmost pops first. */
		for (c = nd->child; c != NONE; c = t->v[c].next) {
			if (t->v[c].total < thr)
				continue;
			t->v[c].start = at;
			at += t->v[c].total;
			stack[sp++] = c;
		}
		for (size_t i = first, j = sp; i + 1 < j; i++, j--) {
			uint32_t tmp = stack[i];

			stack[i] = stack[j - 1];
			stack[j - 1] = tmp;
		}
	}
	free(stack);
	*out = order;
	return n;
}

/* s made safe and bounded: escape_text() (controls, bidi overrides and
 * invalid UTF-8 made visible), cut to cap bytes with "..." appended. */
static void clean(char *dst, size_t cap, const char *s)
{
	if (escape_text(dst, cap - 3, s) >= cap - 3)
		strcat(dst, "...");
}

/* U+FFFE and U+FFFF: valid UTF-8 that XML does not allow anywhere. */
static bool xml_forbidden(const unsigned char *s)
{
	return s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf);
}

/* Write a clean()ed string as XML character data or an attribute value. */
static void put_xml(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (xml_forbidden(p)) {
				fprintf(f, "\\u%s", p[2] == 0xbe ? "fffe" : "ffff");
				p += 2;
			} else {
				fputc(*p, f);
			}
		}
	}
}

/* Write a clean()ed string as a JSON string that is also plain XML
 * character data: no '<', '>' or '&' (written \u003c ...), so the JSON
 * block needs no CDATA section and cannot end its element. */
static void put_json(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '<': fputs("\\u003c", f); break;
		case '>': fputs("\\u003e", f); break;
		case '&': fputs("\\u0026", f); break;
		default:
			if (*p < 0x20) {
				fprintf(f, "\\u%04x", *p);   /* clean() left none; to be sure */
			} else if (xml_forbidden(p)) {
				fprintf(f, "\\u%s", p[2] == 0xbe ? "fffe" : "ffff");
				p += 2;
			} else {
				fputc(*p, f);
			}
		}
	}
	fputc('"', f);
}

/* The colours of frames that spent over half their time blocked (idle)
 * or waiting for the GIL (wall mode). */
#define IDLE_RGB 0x8fb8a0
#define WAIT_RGB 0xb26fd6

/* A colour per function: the hue family from its kind, the shade from a
 * hash of its name (stable between runs, as in flamegraph.pl); a Python or
 * native frame takes a state's colour instead when the legend's words are
 * true of it: over half its weight waiting for the GIL (GIL-wait), else
 * over half blocked, idle and GIL waits together (idle). */
static unsigned colour(const struct node *nd)
{
	uint32_t h = 2166136261u;
	double v1, v2, v3;
	unsigned r, g, b;

	for (const unsigned char *p = (const unsigned char *)nd->name; *p; p++)
		h = (h ^ *p) * 16777619u;
	v1 = (double)(h & 0x3ff) / 1023.0;
	v2 = (double)((h >> 10) & 0x3ff) / 1023.0;
	v3 = (double)((h >> 20) & 0x3ff) / 1023.0;
	if ((nd->kind == FUNC_KIND_PYTHON || nd->kind == FUNC_KIND_NATIVE) && (nd->idle + nd->wait) * 2 > nd->total) {
		unsigned base = nd->wait * 2 > nd->total ? WAIT_RGB : IDLE_RGB;
		int d = (int)(20 * v1) - 10;   /* a shade apart, so neighbours differ */

		r = (unsigned)((int)(base >> 16) + d);
		g = (unsigned)((int)(base >> 8 & 0xff) + d);
		b = (unsigned)((int)(base & 0xff) + d);
		return r << 16 | g << 8 | b;
	}
	switch (nd->kind) {
	case FUNC_KIND_PYTHON:   /* warm: red to yellow */
		r = 205 + (unsigned)(50 * v3);
		g = (unsigned)(230 * v1);
		b = (unsigned)(55 * v2);
		break;
	case FUNC_KIND_NATIVE:   /* blue */
		r = 80 + (unsigned)(50 * v1);
		g = 150 + (unsigned)(50 * v2);
		b = 215 + (unsigned)(40 * v3);
		break;
	case KIND_ROOT:
		r = g = b = 200;
		break;
	default:                 /* pytop's markers: grey */
		r = g = b = 160 + (unsigned)(30 * v1);
		break;
	}
	return r << 16 | g << 8 | b;
}

/* Frame geometry at the full width (no zoom); the script does the same.
 * Nothing counted: the root alone, across the width. */
static double frame_x(const struct tree *t, const struct node *nd)
{
	return t->total ? PAD + (double)nd->start * (WIDTH - 2 * PAD) / (double)t->total : PAD;
}

static double frame_w(const struct tree *t, const struct node *nd)
{
	return t->total ? (double)nd->total * (WIDTH - 2 * PAD) / (double)t->total : WIDTH - 2 * PAD;
}

static int frame_y(const struct node *nd, uint32_t maxdepth, bool inverted)
{
	return inverted ? TOP + (int)nd->depth * ROW : TOP + (int)(maxdepth - nd->depth) * ROW;
}

/* The label of a frame w px wide: as many characters of its name as fit,
 * ".." marking a cut; nothing under three characters. */
static void put_label(FILE *f, const struct node *nd, double x, int y, double w)
{
	char name[NAME_CAP], cut[NAME_CAP];
	size_t fit = (size_t)((w - 6) / CHAR_PX), chars = 0, i, end = 0;

	if (fit < 3)
		return;
	clean(name, sizeof(name), nd->name);
	for (i = 0; name[i]; i++) {
		if (((unsigned char)name[i] & 0xc0) != 0x80) {
			if (chars == fit - 2)
				end = i;
			if (++chars > fit)
				break;
		}
	}
	if (chars > fit) {
		memcpy(cut, name, end);
		strcpy(cut + end, "..");
	} else {
		strcpy(cut, name);
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x + 3, y + 11.5);
	put_xml(f, cut);
	fputs("</text>\n", f);
}

/* A function's weight over all stacks, each counted once (0 for the root). */
static uint64_t func_weight(struct tree *t, const struct node *nd)
{
	struct slot *s;

	if (nd->kind == KIND_ROOT)
		return 0;
	s = table_find(&t->fw, nd->func, 0);
	return s->a == NONE ? 0 : s->v;
}

/* The function table's index for each kept node (functions in order of
 * first use), then the functions no kept frame shows that weigh at least
 * thr over all stacks (at most MAX_FRAMES of them; for the search's
 * share); returns the table's length and the first node of each. */
static size_t funcs_index(struct tree *t, const uint32_t *order, size_t n, uint64_t thr, uint32_t **first)
{
	struct table seen;
	size_t nf = 0, cap = n, hidden = 0;

	memset(&seen, 0, sizeof(seen));
	*first = xmalloc(cap * sizeof(**first));
	for (size_t i = 0; i < n; i++) {
		struct node *nd = &t->v[order[i]];
		struct slot *s = table_find(&seen, nd->kind, nd->func);

		if (s->a == NONE) {
			*s = (struct slot){ nd->kind, nd->func, nf };
			seen.n++;
			(*first)[nf++] = order[i];
		}
		nd->fn = (uint32_t)s->v;
	}
	for (size_t i = 1; i < t->n && hidden < MAX_FRAMES; i++) {
		const struct node *nd = &t->v[i];
		struct slot *s;

		if (nd->total >= thr || func_weight(t, nd) < thr)
			continue;     /* drawn (listed above), or too light */
		s = table_find(&seen, nd->kind, nd->func);
		if (s->a != NONE)
			continue;
		*s = (struct slot){ nd->kind, nd->func, nf };
		seen.n++;
		if (nf == cap) {
			cap *= 2;
			*first = xrealloc(*first, cap * sizeof(**first));
		}
		(*first)[nf++] = (uint32_t)i;
		hidden++;
	}
	free(seen.s);
	return nf;
}

/* A time in ns for people: "1.23 s", "12.3 ms", "4.5 \xc2\xb5s" or "800 ns". */
static void fmt_ns(char *buf, size_t cap, uint64_t ns)
{
	if (ns >= 1000000000)
		snprintf(buf, cap, "%.2f s", (double)ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, cap, "%.1f ms", (double)ns / 1e6);
	else if (ns >= 1000)
		snprintf(buf, cap, "%.1f \xc2\xb5s", (double)ns / 1e3);
	else
		snprintf(buf, cap, "%" PRIu64 " ns", ns);
}

static void put_meta_line(FILE *f, const struct snapshot_meta *meta, const struct agg_summary *sum,
			  const struct tree *t)
{
	char cpu[32];

	char py[64];

	clean(py, sizeof(py), meta->python && *meta->python ? meta->python : "?");
	fprintf(f, "pid %d \xc2\xb7 Python ", meta->pid);
	put_xml(f, py);
	fprintf(f, " \xc2\xb7 %.1f s \xc2\xb7 mode %s \xc2\xb7 %g Hz", meta->duration_s,
		meta->mode ? meta->mode : "?", meta->rate_hz);
	if (meta->achieved_rate_hz > 0)
		fprintf(f, " (achieved %.0f Hz)", meta->achieved_rate_hz);
	if (t->cpu) {
		fmt_ns(cpu, sizeof(cpu), t->total);
		fprintf(f, " \xc2\xb7 width: CPU time, %s in %" PRIu64 " samples", cpu, t->samples);
		return;
	}
	fprintf(f, " \xc2\xb7 width: samples, %" PRIu64 " counted", t->total);
	if (sum->counted_s > 0)
		fprintf(f, " (%.2f s)", sum->counted_s);
}

int flamegraph_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta)
{
	struct tree t;
	struct agg_summary sum;
	uint32_t *order = NULL, *first = NULL, maxdepth = 0;
	size_t n, nf;
	uint64_t thr;
	int height;
	bool inv = meta->inverted;
	char title[TITLE_CAP], s1[NAME_CAP], s2[NAME_CAP];

	memset(&t, 0, sizeof(t));
	t.cpu = aggregate_mode(agg) == AGG_MODE_CPU;
	node_new(&t, NONE, NULL);
	aggregate_walk_stack_states(agg, NULL, add_stack, &t);
	aggregate_summary(agg, false, &sum);
	tree_link(&t);
	thr = tree_threshold(&t);
	n = tree_order(&t, thr, &order, &maxdepth);
	nf = funcs_index(&t, order, n, thr, &first);
	height = TOP + (int)(maxdepth + 1) * ROW + BOTTOM;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n", f);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" id=\"pytop-flamegraph\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", WIDTH, height, WIDTH, height);
	fputs("<!-- pytop ", f);
	put_xml(f, meta->version ? meta->version : "");
	fputs(" flame graph. Frames are drawn as <rect> elements; the data block "
	      "pytop-data holds them with their functions for the script. -->\n", f);
	fputs("<style>\n", f);
	fputs(flamegraph_css, f);
	fputs("</style>\n", f);
	fprintf(f, "<rect id=\"background\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\"/>\n", WIDTH, height);

	clean(title, sizeof(title), meta->argv && *meta->argv ? meta->argv : "(unknown command)");
	fprintf(f, "<text id=\"title\" x=\"%d\" y=\"24\">", WIDTH / 2);
	put_xml(f, title);
	fputs("</text>\n", f);
	fprintf(f, "<text id=\"subtitle\" x=\"%d\" y=\"44\">", WIDTH / 2);
	put_meta_line(f, meta, &sum, &t);
	fputs("</text>\n", f);
	if (meta->note && *meta->note) {
		clean(s1, sizeof(s1), meta->note);
		fprintf(f, "<text id=\"note\" x=\"%d\" y=\"60\">", WIDTH / 2);
		put_xml(f, s1);
		fputs("</text>\n", f);
	}
	/* Controls: the script shows them (hidden when there is no script). */
	fprintf(f, "<g id=\"controls\" visibility=\"hidden\">\n"
		"<text id=\"reset\" class=\"button\" x=\"%d\" y=\"84\">Reset zoom</text>\n"
		"<text id=\"invert\" class=\"button\" x=\"%d\" y=\"84\">Invert</text>\n"
		"<foreignObject x=\"%d\" y=\"69\" width=\"260\" height=\"22\">"
		"<input xmlns=\"http://www.w3.org/1999/xhtml\" id=\"search\" type=\"search\" "
		"placeholder=\"Search functions and files\" autocomplete=\"off\"/></foreignObject>\n"
		"<text id=\"matched\" x=\"%d\" y=\"84\"></text>\n</g>\n",
		PAD, PAD + 90, WIDTH - PAD - 260 - 240, WIDTH - PAD);

	fputs("<g id=\"frames\">\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct node *nd = &t.v[order[i]];

		fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#%06x\"/>\n",
			frame_x(&t, nd), frame_y(nd, maxdepth, inv), frame_w(&t, nd), ROW - 1, colour(nd));
	}
	fputs("</g>\n<g id=\"labels\">\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct node *nd = &t.v[order[i]];

		put_label(f, nd, frame_x(&t, nd), frame_y(nd, maxdepth, inv), frame_w(&t, nd));
	}
	fputs("</g>\n", f);

	/* Details line (the script writes the hovered frame there) and legend. */
	fprintf(f, "<text id=\"details\" x=\"%d\" y=\"%d\">", PAD, height - BOTTOM + 20);
	if (!t.total) {
		fputs("no samples were counted in ", f);
		put_xml(f, meta->mode && *meta->mode ? meta->mode : "this");
		fputs(" mode", f);
	} else if (n < t.n && t.cpu) {
		fmt_ns(s1, sizeof(s1), thr);
		fprintf(f, "%zu of %zu frames drawn: frames under %s of CPU are part of "
			"their parent's remainder", n, t.n, s1);
	} else if (n < t.n) {
		fprintf(f, "%zu of %zu frames drawn: frames under %" PRIu64 " sample%s are part of "
			"their parent's remainder", n, t.n, thr, thr == 1 ? "" : "s");
	}
	fputs("</text>\n", f);
	{
		static const struct { const char *label; unsigned rgb; } legend[] = {
			{ "Python", 0xe8801a },
			{ "native (C)", 0x6aaee8 },
			{ "idle: mostly blocked", IDLE_RGB },
			{ "mostly waiting for the GIL", WAIT_RGB },
			{ "pytop marker: truncated, not sampled, ran or ended between samples", 0xa8a8a8 },
			{ "search match", 0xe040e0 },
		};
		int x = PAD, y = height - BOTTOM + 36;

		fputs("<g id=\"legend\">\n", f);
		for (size_t i = 0; i < sizeof(legend) / sizeof(legend[0]); i++) {
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"#%06x\"/>"
				"<text x=\"%d\" y=\"%d\">%s</text>\n",
				x, y, legend[i].rgb, x + 16, y + 10, legend[i].label);
			x += 16 + (int)((double)strlen(legend[i].label) * 6.4) + 24;
		}
		fprintf(f, "<text x=\"%d\" y=\"%d\">Idle and GIL-wait frames are told apart in wall mode "
			"(-m wall), where blocked samples count.</text>\n", PAD, y + 24);
		fputs("</g>\n", f);
	}

	/* The data for the script. */
	fputs("<script type=\"application/json\" id=\"pytop-data\">\n{", f);
	fprintf(f, "\"version\":1,\"width\":%d,\"pad\":%d,\"row\":%d,\"top\":%d,\"maxdepth\":%" PRIu32
		",\"inverted\":%s,\"total\":%" PRIu64 ",\"threshold\":%" PRIu64 ",\"frames_all\":%zu,",
		WIDTH, PAD, ROW, TOP, maxdepth, inv ? "true" : "false", t.total, thr, t.n);
	clean(s1, sizeof(s1), meta->mode ? meta->mode : "");
	fputs("\"mode\":", f);
	put_json(f, s1);
	/* unit: what "total", the threshold and the nodes' start and weight
	 * are in; seconds_per_sample gives samples a time (wall, gil). */
	fprintf(f, ",\"unit\":\"%s\",\"samples\":%" PRIu64 ",\"seconds_per_sample\":%.9g,\n\"funcs\":[",
		t.cpu ? "cpu_ns" : "samples", t.samples,
		sum.counted ? sum.counted_s / (double)sum.counted : 0.0);
	for (size_t i = 0; i < nf; i++) {
		const struct node *nd = &t.v[first[i]];

		clean(s1, sizeof(s1), nd->name);
		clean(s2, sizeof(s2), nd->file);
		fputs(i ? ",\n[" : "\n[", f);
		put_json(f, s1);
		fputc(',', f);
		put_json(f, s2);
		fprintf(f, ",%u,%" PRIu64 "]", nd->kind, func_weight(&t, nd));
	}
	fputs("],\n\"nodes\":[", f);
	for (size_t i = 0; i < n; i++) {
		const struct node *nd = &t.v[order[i]];

		fprintf(f, "%s%" PRIu32 ",%" PRIu32 ",%" PRIu64 ",%" PRIu64 ",%d", i ? (i % 8 ? "," : ",\n") : "",
			nd->fn, nd->depth, nd->start, nd->total, nd->line);
	}
	fputs("]}\n</script>\n", f);
	fputs("<script type=\"text/ecmascript\"><![CDATA[\n", f);
	fputs(flamegraph_js, f);
	fputs("]]></script>\n</svg>\n", f);

	free(first);
	free(order);
	free(t.kids.s);
	free(t.lines.s);
	free(t.fw.s);
	free(t.v);
	return ferror(f) ? PYTOP_EIO : 0;
}

/* request: the trace/watch flags table and its parser. */
#include "agent/request.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a flag sets. */
enum req_field { RF_COUNT, RF_DEPTH, RF_MIN_MS, RF_COND, RF_EXPRS, RF_ERRORS, RF_REPR_DEPTH };

/* Which command takes a flag. */
enum { FOR_TRACE = 1, FOR_WATCH = 2, FOR_BOTH = 3 };

struct req_flag {
	const char *shrt, *lng;
	const char *arg;          /* NULL: takes no argument */
	int used_by;
	enum req_field field;
	double lo, hi;            /* numbers: the accepted range */
};

/* The flags, in usage order (the batch mode's long options where they
 * exist: --count, --cond, --expr, --errors, --repr-depth, --depth,
 * --min-ms). */
static const struct req_flag flags[] = {
	{ "-n", "--count", "COUNT", FOR_BOTH, RF_COUNT, 1, 1000000 },
	{ "-d", "--depth", "DEPTH", FOR_TRACE, RF_DEPTH, 1, 50 },
	{ "-i", "--min-ms", "MIN_MS", FOR_TRACE, RF_MIN_MS, 0, 1e9 },
	{ "-E", "--expr", "EXPRS", FOR_WATCH, RF_EXPRS, 0, 0 },
	{ "-f", "--cond", "COND", FOR_BOTH, RF_COND, 0, 0 },
	{ "-e", "--errors", NULL, FOR_WATCH, RF_ERRORS, 0, 0 },
	{ "-x", "--repr-depth", "DEPTH", FOR_WATCH, RF_REPR_DEPTH, 1, 10 },
};
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

static const struct req_flag *find_flag(const char *w, int used_by)
{
	for (size_t i = 0; i < NFLAGS; i++)
		if ((flags[i].used_by & used_by) && (strcmp(w, flags[i].shrt) == 0 || strcmp(w, flags[i].lng) == 0))
			return &flags[i];
	return NULL;
}

static int copy_text(char *dst, const char *src, const char *what, char *err, size_t errcap)
{
	if (strlen(src) >= REQUEST_TEXT_MAX) {
		snprintf(err, errcap, "%s is longer than %d bytes", what, REQUEST_TEXT_MAX - 1);
		return -1;
	}
	snprintf(dst, REQUEST_TEXT_MAX, "%s", src);
	return 0;
}

static int set_number(const struct req_flag *f, const char *v, struct request *q, char *err, size_t errcap)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (end == v || *end || errno || !isfinite(x) || x < f->lo || x > f->hi ||
	    (f->field != RF_MIN_MS && x != floor(x))) {
		snprintf(err, errcap, "%s wants %s %s from %g to %g, not '%s'", f->shrt,
			 f->field == RF_MIN_MS ? "a number" : "a whole number", f->arg, f->lo, f->hi, v);
		return -1;
	}
	switch (f->field) {
	case RF_COUNT: q->count = (long)x; break;
	case RF_DEPTH: q->depth = (int)x; break;
	case RF_MIN_MS: q->min_ms = x; break;
	case RF_REPR_DEPTH: q->repr_depth = (int)x; break;
	default: break;
	}
	return 0;
}

int request_parse(bool trace, int argc, char **argv, struct request *q, char *err, size_t errcap)
{
	const char *cmd = trace ? "trace" : "watch";
	int used_by = trace ? FOR_TRACE : FOR_WATCH, nwords = 0;
	char *words[3];

	memset(q, 0, sizeof *q);
	q->trace = trace;
	q->count = 5;
	q->depth = 3;
	q->repr_depth = 2;
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		const struct req_flag *f;

		if (w[0] != '-' || !w[1]) {
			if (nwords == 3) {
				snprintf(err, errcap, "%s: at most three words name the method (MODULE [CLASS] METHOD)",
					 cmd);
				return -1;
			}
			words[nwords++] = argv[i];
			continue;
		}
		if (!(f = find_flag(w, used_by))) {
			snprintf(err, errcap, "%s: unknown flag '%s' (%s %s)", cmd, w, cmd, request_usage(trace));
			return -1;
		}
		if (!f->arg) {
			q->errors_only = true;
			continue;
		}
		if (i + 1 >= argc) {
			snprintf(err, errcap, "%s: %s wants %s", cmd, w, f->arg);
			return -1;
		}
		w = argv[++i];
		if (f->field == RF_COND || f->field == RF_EXPRS) {
			if (!*w) {
				snprintf(err, errcap, "%s: %s wants a non-empty %s", cmd, f->shrt, f->arg);
				return -1;
			}
			if (copy_text(f->field == RF_COND ? q->cond : q->exprs, w, f->arg, err, errcap) < 0)
				return -1;
		} else if (set_number(f, w, q, err, errcap) < 0) {
			char why[256];

			snprintf(why, sizeof why, "%s", err);
			snprintf(err, errcap, "%s: %s", cmd, why);
			return -1;
		}
	}
	if (nwords == 0) {
		snprintf(err, errcap, "%s: which method? (%s %s)", cmd, cmd, request_usage(trace));
		return -1;
	}
	size_t len = 0;
	for (int i = 0; i < nwords; i++) {
		int n = snprintf(q->target + len, REQUEST_TEXT_MAX - len, "%s%s", i ? " " : "", words[i]);
		if (n < 0 || (size_t)n >= REQUEST_TEXT_MAX - len) {
			snprintf(err, errcap, "%s: the method's name is longer than %d bytes", cmd,
				 REQUEST_TEXT_MAX - 1);
			return -1;
		}
		len += (size_t)n;
	}
	return 0;
}

const char *request_usage(bool trace)
{
	static char usage[2][256];
	char *u = usage[trace];
	size_t len;

	if (u[0])
		return u;
	len = (size_t)snprintf(u, sizeof usage[0], "MODULE [CLASS] METHOD");
	for (size_t i = 0; i < NFLAGS && len < sizeof usage[0]; i++)
		if (flags[i].used_by & (trace ? FOR_TRACE : FOR_WATCH))
			len += (size_t)snprintf(u + len, sizeof usage[0] - len, " [%s%s%s]", flags[i].shrt,
						flags[i].arg ? " " : "", flags[i].arg ? flags[i].arg : "");
	return u;
}

void request_link(const struct request *q, struct link_request *out)
{
	memset(out, 0, sizeof *out);
	out->target = q->target;
	out->count = q->count;
	out->cond = q->cond[0] ? q->cond : NULL;
	out->exprs = q->exprs[0] ? q->exprs : NULL;
	out->errors_only = q->errors_only;
	out->repr_depth = q->repr_depth;
	out->depth = q->depth;
	out->min_ms = q->min_ms;
}

void request_describe(const struct request *q, char *out, size_t cap)
{
	size_t len = (size_t)snprintf(out, cap, "%s %s -n %ld", q->trace ? "trace" : "watch", q->target, q->count);

#define ADD(...) do { if (len < cap) len += (size_t)snprintf(out + len, cap - len, __VA_ARGS__); } while (0)
	if (q->trace) {
		ADD(" -d %d", q->depth);
		if (q->min_ms > 0)
			ADD(" -i %g", q->min_ms);
	} else {
		if (q->exprs[0])
			ADD(" -E '%s'", q->exprs);
		if (q->errors_only)
			ADD(" -e");
		if (q->repr_depth != 2)
			ADD(" -x %d", q->repr_depth);
	}
	if (q->cond[0])
		ADD(" -f '%s'", q->cond);
#undef ADD
}

/* Where the module path starts in file (after the last site-packages,
 * dist-packages or lib/pythonX.Y directory), else its base name. */
static const char *module_start(const char *file)
{
	static const char *const roots[] = { "/site-packages/", "/dist-packages/" };
	const char *best = NULL, *p, *base = strrchr(file, '/');

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		for (p = file; (p = strstr(p, roots[i])); p++)
			if (!best || p + strlen(roots[i]) > best)
				best = p + strlen(roots[i]);
	if (best)
		return best;
	for (p = file; (p = strstr(p, "/lib/python")); p++) {
		const char *q = p + strlen("/lib/python");
		size_t d = strspn(q, "0123456789.");
		if (d && q[d] == '/')
			best = q + d + 1;
	}
	return best ? best : base ? base + 1 : file;
}

size_t request_pyname(const char *file, const char *name, const char *script, char *out, size_t cap)
{
	const char *start, *sbase;
	size_t len, flen = file ? strlen(file) : 0, n = 0;

	if (!file || !name || !*name || strchr(name, '<') || strchr(name, ' ') || flen < 4 ||
	    strcmp(file + flen - 3, ".py") != 0 || cap == 0)
		return 0;
	start = module_start(file);
	sbase = script ? strrchr(script, '/') : NULL;
	sbase = sbase ? sbase + 1 : script;
	const char *fbase = strrchr(file, '/');
	fbase = fbase ? fbase + 1 : file;
	if (sbase && *sbase && strcmp(sbase, fbase) == 0) {
		start = "__main__.py";
	}
	len = strlen(start) - 3;
	if (len >= 9 && strncmp(start + len - 9, "/__init__", 9) == 0)
		len -= 9;
	if (len == 0 || len + 1 + strlen(name) + 1 > cap)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = start[i] == '/' ? '.' : start[i];
		if (c == ' ' || c == '\'' || c == '"' || (unsigned char)c < 0x20)
			return 0;
		out[n++] = c;
	}
	snprintf(out + n, cap - n, ".%s", name);
	return len;
}

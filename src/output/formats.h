/* formats: the table of snapshot formats (text, json, collapsed, svg,
 * speedscope, pprof): name, file extensions, description and writer.
 * --format, the usage text, batch mode and the live view's save all read
 * it; a new format is one row. */
#ifndef PYTOP_OUTPUT_FORMATS_H
#define PYTOP_OUTPUT_FORMATS_H

#include <stddef.h>
#include <stdio.h>

struct aggregate;
struct snapshot_meta;

/* One snapshot format. */
struct output_format {
	const char *name;            /* --format NAME */
	const char *label;           /* for people: "JSON", "collapsed stacks" */
	const char *exts[4];         /* file name endings that ask for it (".json"), NULL-ended */
	const char *description;     /* one line */
	/* Write agg's snapshot to f; 0 or a negative error (errors.h). */
	int (*write)(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta);
};

/* The table (the first entry is the default) and its length in *n. */
const struct output_format *formats_table(size_t *n);

/* The default format (text). */
const struct output_format *formats_default(void);

/* The format called name, or NULL. */
const struct output_format *formats_find(const char *name);

/* The format a file name's ending asks for (the longest ending that
 * matches: "x.speedscope.json" is speedscope, "x.json" JSON); the default
 * for any other. */
const struct output_format *formats_for_path(const char *path);

/* The names for people: "text, json or collapsed" (with " (default)" after
 * the default's name when mark_default); returns buf. */
const char *formats_names(char *buf, size_t cap, int mark_default);

#endif

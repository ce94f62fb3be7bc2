/* formats: the one table of snapshot formats. */
#include "output/formats.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "output/collapsed.h"
#include "output/flamegraph.h"
#include "output/json.h"
#include "output/pprof.h"
#include "output/speedscope.h"
#include "output/text.h"

static const struct output_format formats[] = {
	{ "text", "text", { ".txt", NULL }, "a report like top -b: hot functions, threads, GIL", text_write },
	{ "json", "JSON", { ".json", NULL }, "one JSON object: run, functions, lines, threads", json_write },
	{ "collapsed", "collapsed stacks", { ".collapsed", ".folded", NULL },
	  "folded stacks for flamegraph.pl and speedscope", collapsed_write },
	{ "svg", "SVG flame graph", { ".svg", NULL },
	  "an interactive flame graph (hover, zoom, search) for a browser", flamegraph_write },
	{ "speedscope", "speedscope", { ".speedscope.json", NULL },
	  "speedscope's JSON file: one sampled profile per thread", speedscope_write },
	{ "pprof", "pprof", { ".pb.gz", ".pprof", NULL },
	  "gzipped profile.proto for go tool pprof, Pyroscope, Parca", pprof_write },
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

const struct output_format *formats_table(size_t *n)
{
	*n = NFORMATS;
	return formats;
}

const struct output_format *formats_default(void)
{
	return &formats[0];
}

const struct output_format *formats_find(const char *name)
{
	for (size_t i = 0; i < NFORMATS; i++)
		if (strcmp(formats[i].name, name) == 0)
			return &formats[i];
	return NULL;
}

const struct output_format *formats_for_path(const char *path)
{
	const struct output_format *best = formats_default();
	size_t len = strlen(path), best_len = 0;

	/* The longest ending that matches, in any case: ".speedscope.json"
	 * before ".json", "profile.SVG" is svg. */
	for (size_t i = 0; i < NFORMATS; i++)
		for (size_t k = 0; formats[i].exts[k]; k++) {
			size_t n = strlen(formats[i].exts[k]);

			if (n > best_len && n <= len && strcasecmp(path + len - n, formats[i].exts[k]) == 0) {
				best = &formats[i];
				best_len = n;
			}
		}
	return best;
}

const char *formats_names(char *buf, size_t cap, int mark_default)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NFORMATS && len < cap; i++) {
		const char *sep = i == 0 ? "" : i + 1 == NFORMATS ? " or " : ", ";

		len += (size_t)snprintf(buf + len, cap - len, "%s%s%s", sep, formats[i].name,
					mark_default && i == 0 ? " (default)" : "");
	}
	return buf;
}

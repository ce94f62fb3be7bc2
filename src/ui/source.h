/* source: the target's source files, read through /proc/PID/root (so a
 * target in a container works) for the detail view's hottest lines, and
 * cached by path. Read on the UI thread when a detail view opens. */
#ifndef PYTOP_UI_SOURCE_H
#define PYTOP_UI_SOURCE_H

#include <stdbool.h>
#include <sys/types.h>

struct source_cache;

/* An empty cache. */
struct source_cache *source_new(void);

/* Free it and every file in it. */
void source_free(struct source_cache *sc);

/* Read file into the cache unless it is there (an unreadable file is
 * remembered as such): through /proc/PID/root, else (the target gone) the
 * path itself; a relative path through /proc/PID/cwd. Returns whether its
 * text is available. */
bool source_load(struct source_cache *sc, pid_t pid, const char *file);

/* Line `lineno` (from 1) of a cached file without its end of line and
 * leading blanks, tabs as spaces; NULL when not available. */
const char *source_line(const struct source_cache *sc, const char *file, int lineno);

#endif

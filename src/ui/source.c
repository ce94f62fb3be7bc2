/* source: a small list of files, each split into lines once. */
#include "ui/source.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "process/proc.h"
#include "process/regfile.h"

#define MAX_FILE_BYTES (4u << 20)
#define MAX_FILES 64

struct source_file {
	char *path;
	char *text;           /* NULL: could not be read */
	char **lines;
	int nlines;
};

struct source_cache {
	struct source_file files[MAX_FILES];
	int n;
	int next_evict;
};

struct source_cache *source_new(void)
{
	return xcalloc(1, sizeof(struct source_cache));
}

static void file_free(struct source_file *f)
{
	free(f->path);
	free(f->text);
	free(f->lines);
	memset(f, 0, sizeof(*f));
}

void source_free(struct source_cache *sc)
{
	int i;

	if (!sc)
		return;
	for (i = 0; i < sc->n; i++)
		file_free(&sc->files[i]);
	free(sc);
}

static const struct source_file *find(const struct source_cache *sc, const char *file)
{
	int i;

	for (i = 0; i < sc->n; i++)
		if (strcmp(sc->files[i].path, file) == 0)
			return &sc->files[i];
	return NULL;
}

/* The target names its files, so path may be any file: only a regular
 * file is read (regfile_open: no device opened, no FIFO waited on). */
static char *read_all(const char *path)
{
	FILE *f = NULL;
	char *buf;
	size_t n;
	int fd = regfile_open(path);

	if (fd >= 0 && !(f = fdopen(fd, "rb")))
		close(fd);
	if (!f)
		return NULL;
	buf = xmalloc(MAX_FILE_BYTES + 1);
	n = fread(buf, 1, MAX_FILE_BYTES, f);
	fclose(f);
	buf[n] = '\0';
	return xrealloc(buf, n + 1);
}

/* Split text into lines in place: expand nothing, strip the leading blanks
 * and the line ends, turn tabs and other controls into spaces. */
static void split_lines(struct source_file *f)
{
	char *p = f->text;
	int cap = 256;

	f->lines = xmalloc((size_t)cap * sizeof(*f->lines));
	while (*p) {
		char *end = strchr(p, '\n'), *q;

		if (end)
			*end = '\0';
		if (f->nlines == cap) {
			cap *= 2;
			f->lines = xrealloc(f->lines, (size_t)cap * sizeof(*f->lines));
		}
		while (*p == ' ' || *p == '\t')
			p++;
		for (q = p; *q; q++)
			if ((unsigned char)*q < 0x20)
				*q = ' ';
		for (q = p + strlen(p); q > p && q[-1] == ' '; q--)
			q[-1] = '\0';
		f->lines[f->nlines++] = p;
		if (!end)
			break;
		p = end + 1;
	}
}

bool source_load(struct source_cache *sc, pid_t pid, const char *file)
{
	const struct source_file *have = find(sc, file);
	struct source_file *f;
	char path[4096];

	if (have)
		return have->text != NULL;
	if (sc->n == MAX_FILES) {
		f = &sc->files[sc->next_evict];
		sc->next_evict = (sc->next_evict + 1) % MAX_FILES;
		file_free(f);
	} else {
		f = &sc->files[sc->n++];
	}
	f->path = xstrdup(file);
	if (!file[0] || file[0] == '<')
		return false;   /* "<string>", "<frozen ...>" */
	if (file[0] == '/') {
		proc_root_path(pid, file, path, sizeof(path));
	} else {
		/* 3.8's main script: relative to the target's working directory
		 * (right unless it changed directory since). */
		snprintf(path, sizeof(path), "/proc/%d/cwd/%s", (int)pid, file);
	}
	f->text = read_all(path);
	/* The target gone, its root is too: the same path here is the best
	 * guess left. */
	snprintf(path, sizeof(path), "/proc/%d/root/", (int)pid);
	if (!f->text && file[0] == '/' && access(path, X_OK) != 0)
		f->text = read_all(file);
	if (!f->text)
		return false;
	split_lines(f);
	return true;
}

const char *source_line(const struct source_cache *sc, const char *file, int lineno)
{
	const struct source_file *f = find(sc, file);

	if (!f || !f->text || lineno < 1 || lineno > f->nlines)
		return NULL;
	return f->lines[lineno - 1];
}

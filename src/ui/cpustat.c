/* cpustat: /proc/PID/stat and /proc/PID/task/TID/stat readers with a small
 * table of previous readings per thread. */
#include "ui/cpustat.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "util/smallfile.h"

struct reading {
	pid_t tid;
	uint64_t ticks, at_ns;
	uint64_t used;        /* update generation that last read it */
};

struct cpustat {
	pid_t pid;
	double hz;
	uint64_t ticks, at_ns;
	bool have;
	struct reading *r;
	size_t n, cap;
	uint64_t gen;
};

struct cpustat *cpustat_new(pid_t pid)
{
	struct cpustat *c = xcalloc(1, sizeof(*c));
	long hz = sysconf(_SC_CLK_TCK);

	c->pid = pid;
	c->hz = hz > 0 ? (double)hz : 100.0;
	return c;
}

void cpustat_free(struct cpustat *c)
{
	if (!c)
		return;
	free(c->r);
	free(c);
}

bool cpustat_parse(const char *line, uint64_t *ticks)
{
	const char *p = strrchr(line, ')');
	unsigned long long ut, st;
	int field;

	if (!p)
		return false;
	p++;
	/* After the comm: state is field 3; utime 14, stime 15. */
	for (field = 2; field < 13; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return false;
	}
	if (sscanf(p, " %llu %llu", &ut, &st) != 2)
		return false;
	*ticks = ut + st;
	return true;
}

static bool read_ticks(const char *path, uint64_t *ticks)
{
	char buf[1024];

	return smallfile_read(path, buf, sizeof(buf)) > 0 && cpustat_parse(buf, ticks);
}

static double pct(const struct cpustat *c, uint64_t dticks, uint64_t dns)
{
	if (dns == 0)
		return -1;
	return 100.0 * ((double)dticks / c->hz) / ((double)dns / 1e9);
}

double cpustat_update(struct cpustat *c, uint64_t now_ns)
{
	char path[64];
	uint64_t ticks;
	double r = -1;
	size_t i, k = 0;

	c->gen++;
	/* Forget threads not read during the last two updates. */
	for (i = 0; i < c->n; i++)
		if (c->r[i].used + 2 >= c->gen)
			c->r[k++] = c->r[i];
	c->n = k;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)c->pid);
	if (!read_ticks(path, &ticks)) {
		c->have = false;
		return -1;
	}
	if (c->have && ticks >= c->ticks)
		r = pct(c, ticks - c->ticks, now_ns - c->at_ns);
	c->ticks = ticks;
	c->at_ns = now_ns;
	c->have = true;
	return r;
}

double cpustat_thread(struct cpustat *c, pid_t tid, uint64_t now_ns)
{
	char path[80];
	uint64_t ticks;
	double r = -1;
	size_t i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)c->pid, (int)tid);
	if (!read_ticks(path, &ticks))
		return -1;
	for (i = 0; i < c->n; i++)
		if (c->r[i].tid == tid)
			break;
	if (i == c->n) {
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 32;
			c->r = xrealloc(c->r, c->cap * sizeof(*c->r));
		}
		c->n++;
		c->r[i].tid = tid;
	} else if (ticks >= c->r[i].ticks) {
		r = pct(c, ticks - c->r[i].ticks, now_ns - c->r[i].at_ns);
	}
	c->r[i].ticks = ticks;
	c->r[i].at_ns = now_ns;
	c->r[i].used = c->gen;
	return r;
}

/* cpustat: the previous CPU reading of the process and of each thread (a
 * small table), and the percentages between readings. */
#include "ui/cpustat.h"

#include <stdbool.h>
#include <stdlib.h>

#include "errors.h"
#include "process/tasks.h"

struct reading {
	pid_t tid;
	uint64_t cpu_ns, at_ns;
	uint64_t used;        /* update generation that last read it */
};

struct cpustat {
	pid_t pid;
	uint64_t cpu_ns, at_ns;
	bool have;
	struct reading *r;
	size_t n, cap;
	uint64_t gen;
};

struct cpustat *cpustat_new(pid_t pid)
{
	struct cpustat *c = xcalloc(1, sizeof(*c));

	c->pid = pid;
	return c;
}

void cpustat_free(struct cpustat *c)
{
	if (!c)
		return;
	free(c->r);
	free(c);
}

static double pct(uint64_t dcpu_ns, uint64_t dns)
{
	if (dns == 0)
		return -1;
	return 100.0 * (double)dcpu_ns / (double)dns;
}

double cpustat_update(struct cpustat *c, uint64_t now_ns)
{
	uint64_t cpu;
	double r = -1;
	size_t i, k = 0;

	c->gen++;
	/* Forget threads not read during the last two updates. */
	for (i = 0; i < c->n; i++)
		if (c->r[i].used + 2 >= c->gen)
			c->r[k++] = c->r[i];
	c->n = k;
	if (tasks_stat_cpu(c->pid, 0, &cpu) < 0) {
		c->have = false;
		return -1;
	}
	if (c->have && cpu >= c->cpu_ns)
		r = pct(cpu - c->cpu_ns, now_ns - c->at_ns);
	c->cpu_ns = cpu;
	c->at_ns = now_ns;
	c->have = true;
	return r;
}

double cpustat_thread(struct cpustat *c, pid_t tid, uint64_t now_ns)
{
	uint64_t cpu;
	double r = -1;
	size_t i;

	if (tid <= 0 || tasks_stat_cpu(c->pid, tid, &cpu) < 0)
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
	} else if (cpu >= c->r[i].cpu_ns) {
		r = pct(cpu - c->r[i].cpu_ns, now_ns - c->r[i].at_ns);
	}
	c->r[i].cpu_ns = cpu;
	c->r[i].at_ns = now_ns;
	c->r[i].used = c->gen;
	return r;
}

/* tasks: a small open-addressing table of open syscall files by tid. */
#include "target/tasks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"

#define SLOTS 1024   /* power of two; more threads than this share by eviction */

struct slot {
	pid_t tid;
	int fd;
};

struct tasks {
	pid_t pid;
	struct slot slots[SLOTS];
};

struct tasks *tasks_create(pid_t pid)
{
	struct tasks *ts = xcalloc(1, sizeof *ts);
	ts->pid = pid;
	for (int i = 0; i < SLOTS; i++)
		ts->slots[i].fd = -1;
	return ts;
}

void tasks_destroy(struct tasks *ts)
{
	if (!ts)
		return;
	for (int i = 0; i < SLOTS; i++)
		if (ts->slots[i].fd >= 0)
			close(ts->slots[i].fd);
	free(ts);
}

int tasks_parse(const char *text, struct task_activity *out)
{
	out->running = 0;
	out->syscall = -1;
	out->arg0 = 0;
	if (strncmp(text, "running", 7) == 0) {
		out->running = 1;
		return 0;
	}
	char *end;
	long nr = strtol(text, &end, 10);
	if (end == text)
		return PYTOP_EINVAL;
	out->syscall = nr;
	if (nr >= 0 && *end == ' ')
		out->arg0 = strtoull(end + 1, NULL, 16);
	return 0;
}

static struct slot *slot_for(struct tasks *ts, pid_t tid)
{
	struct slot *s = &ts->slots[((uint32_t)tid * 2654435761u) & (SLOTS - 1)];
	if (s->tid != tid) {
		char path[96];
		if (s->fd >= 0)
			close(s->fd);
		s->tid = tid;
		snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)ts->pid, (int)tid);
		s->fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	return s;
}

int tasks_read(struct tasks *ts, pid_t tid, struct task_activity *out)
{
	char buf[256];
	struct slot *s;
	ssize_t n;

	if (tid <= 0)
		return PYTOP_EINVAL;
	s = slot_for(ts, tid);
	if (s->fd < 0) {
		s->tid = 0;
		return errno == EACCES || errno == EPERM ? PYTOP_EPERM : PYTOP_EGONE;
	}
	n = pread(s->fd, buf, sizeof buf - 1, 0);
	if (n <= 0) {
		/* The thread is gone (or its tid was reused): reopen next time. */
		close(s->fd);
		s->fd = -1;
		s->tid = 0;
		return PYTOP_EGONE;
	}
	buf[n] = 0;
	return tasks_parse(buf, out);
}

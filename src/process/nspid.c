/* nspid: thread ids of a target in another PID namespace, mapped to pytop's. */
#include "process/nspid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "util/clock.h"

#define SLOTS 8192                 /* power of two; cleared when half full */
#define MAX_TASKS 4096
#define RESCAN_MIN_NS 2000000ull   /* a miss rescans at most every 2 ms */

struct nspid {
	pid_t pid;
	_Atomic uint64_t slot[SLOTS];   /* inner << 32 | host; 0: empty */
	atomic_flag busy;               /* a rescan is running */
	_Atomic uint64_t scanned_ns;
	int used;                       /* only under busy */
	pid_t tids[MAX_TASKS];          /* only under busy */
	char dents[16384];              /* only under busy: getdents64 */
};

int nspid_parse(const char *status, pid_t *outer, pid_t *inner)
{
	const char *p = status;
	int n = 0;

	while (p && strncmp(p, "NSpid:", 6) != 0) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	p += 6;
	for (;;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || v <= 0 || v > INT32_MAX)
			break;
		if (n++ == 0)
			*outer = (pid_t)v;
		*inner = (pid_t)v;
		p = end;
		if (*p == '\n' || !*p)
			break;
	}
	return n ? n : -1;
}

int nspid_scan_fd(int fd, pid_t *outer, pid_t *inner)
{
	char buf[4096 + 1];
	size_t have = 0;       /* a partial line kept at buf's start */
	bool skip = false;     /* inside a line too long to keep: up to its end */

	/* Line by line through a fixed buffer: a Groups: line can be hundreds
	 * of kilobytes (up to 65536 groups) and push NSpid: far down. */
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t len = have + (size_t)n;
		char *line = buf, *nl;
		buf[len] = 0;
		while ((nl = memchr(line, '\n', (size_t)(buf + len - line)))) {
			if (!skip && strncmp(line, "NSpid:", 6) == 0) {
				*nl = 0;
				return nspid_parse(line, outer, inner);
			}
			skip = false;
			line = nl + 1;
		}
		size_t rest = (size_t)(buf + len - line);
		if (skip || rest > 1024) {
			skip = true;       /* not an NSpid line (at most ~360 bytes) */
			have = 0;
		} else {
			memmove(buf, line, rest);
			have = rest;
		}
	}
	if (!skip && have) {
		buf[have] = 0;
		if (strncmp(buf, "NSpid:", 6) == 0)
			return nspid_parse(buf, outer, inner);
	}
	return -1;
}

/* The NSpid ids of a thread (tid 0: the process). */
static int read_nspid(pid_t pid, pid_t tid, pid_t *outer, pid_t *inner)
{
	char path[96];
	int fd, rc;

	if (tid)
		snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	else
		snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	rc = nspid_scan_fd(fd, outer, inner);
	close(fd);
	return rc;
}

static uint32_t hash(pid_t inner)
{
	return ((uint32_t)inner * 2654435761u) & (SLOTS - 1);
}

static void insert(struct nspid *ns, pid_t inner, pid_t host)
{
	uint64_t v = (uint64_t)(uint32_t)inner << 32 | (uint32_t)host;
	for (uint32_t i = hash(inner), k = 0; k < SLOTS; i = (i + 1) & (SLOTS - 1), k++) {
		uint64_t cur = atomic_load_explicit(&ns->slot[i], memory_order_relaxed);
		if (cur && (pid_t)(cur >> 32) != inner)
			continue;
		if (!cur)
			ns->used++;
		atomic_store_explicit(&ns->slot[i], v, memory_order_release);
		return;
	}
}

static pid_t lookup(struct nspid *ns, pid_t inner)
{
	for (uint32_t i = hash(inner), k = 0; k < SLOTS; i = (i + 1) & (SLOTS - 1), k++) {
		uint64_t cur = atomic_load_explicit(&ns->slot[i], memory_order_acquire);
		if (!cur)
			return 0;
		if ((pid_t)(cur >> 32) == inner)
			return (pid_t)(uint32_t)cur;
	}
	return 0;
}

/* The tids of the target, from /proc/PID/task with getdents64 into the
 * map's own buffer: the sampler calls this, so no allocation (opendir). */
static int list_tasks(struct nspid *ns)
{
	char path[64];
	int fd, n = 0;
	long got;

	snprintf(path, sizeof path, "/proc/%d/task", (int)ns->pid);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	while (n < MAX_TASKS && (got = syscall(SYS_getdents64, fd, ns->dents, sizeof ns->dents)) > 0) {
		for (long off = 0; off < got && n < MAX_TASKS;) {
			struct dirent64_hdr {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
			} h;
			if ((size_t)(got - off) < sizeof h)
				break;
			memcpy(&h, ns->dents + off, sizeof h);
			if (h.reclen == 0 || h.reclen > got - off)
				break;
			const char *name = ns->dents + off + offsetof(struct dirent64_hdr, type) + 1;
			char *end;
			long v = strtol(name, &end, 10);
			if (end != name && *end == 0 && v > 0 && v <= INT32_MAX)
				ns->tids[n++] = (pid_t)v;
			off += h.reclen;
		}
	}
	close(fd);
	return n;
}

/* Read every thread's NSpid again (the caller holds busy). */
static void rescan(struct nspid *ns)
{
	int n = list_tasks(ns);

	if (n > 0 && ns->used + n > SLOTS / 2) {
		for (int i = 0; i < SLOTS; i++)
			atomic_store_explicit(&ns->slot[i], 0, memory_order_relaxed);
		ns->used = 0;
	}
	for (int i = 0; i < n; i++) {
		pid_t outer = 0, inner = 0;
		if (read_nspid(ns->pid, ns->tids[i], &outer, &inner) > 0)
			insert(ns, inner, ns->tids[i]);
	}
	atomic_store(&ns->scanned_ns, clock_ns(CLOCK_MONOTONIC_COARSE));
}

struct nspid *nspid_create(pid_t pid)
{
	pid_t outer = 0, inner = 0;
	struct nspid *ns;

	if (read_nspid(pid, 0, &outer, &inner) < 2)
		return NULL;
	ns = xcalloc(1, sizeof *ns);
	ns->pid = pid;
	atomic_flag_clear(&ns->busy);
	atomic_flag_test_and_set(&ns->busy);
	rescan(ns);
	atomic_flag_clear(&ns->busy);
	return ns;
}

void nspid_destroy(struct nspid *ns)
{
	free(ns);
}

pid_t nspid_host(struct nspid *ns, pid_t inner)
{
	pid_t host;

	if (!ns)
		return inner;
	if (inner <= 0)
		return 0;
	if ((host = lookup(ns, inner)) > 0)
		return host;
	/* A thread not seen yet: rescan, unless one ran just now or runs. */
	if (clock_ns(CLOCK_MONOTONIC_COARSE) - atomic_load(&ns->scanned_ns) < RESCAN_MIN_NS || atomic_flag_test_and_set(&ns->busy))
		return 0;
	rescan(ns);
	atomic_flag_clear(&ns->busy);
	return lookup(ns, inner);
}

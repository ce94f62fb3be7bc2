/* uprobe: uprobes through perf_event_open and per-CPU ring buffers. */
#include "target/uprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"

#define PMU_DIR "/sys/bus/event_source/devices/uprobe"
#define RING_PAGES 64                  /* data pages per CPU (power of two) */
#define MAX_PROBES 16
#define MAX_CPUS 1024
#define SAMPLE_TYPE (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME)

/* PERF_RECORD_SAMPLE with SAMPLE_TYPE. */
struct sample_body {
	uint64_t id;
	uint32_t pid, tid;
	uint64_t time;
};

struct cpu_ring {
	int leader;                        /* the fd whose buffer the others share */
	struct perf_event_mmap_page *meta;
	unsigned char *data;
	uint64_t size;                     /* data area bytes */
	uint64_t tail;                     /* where this reader is */
	bool have;                         /* next is valid */
	struct sample_body next;           /* the next sample of this CPU */
	uint64_t next_end;                 /* tail after it */
};

struct uprobe_set {
	pid_t pid;
	int nfds;
	int *fds;
	int ncpus;
	struct cpu_ring *rings;
	uint64_t *id_of;                   /* event id per fd */
	int *tag_of;                       /* tag per fd */
	size_t page;
};

static int read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return 0;
}

int uprobe_available(char *why, size_t whycap)
{
	char buf[64];
	if (read_small(PMU_DIR "/type", buf, sizeof buf) < 0) {
		snprintf(why, whycap, "this kernel has no uprobe PMU (%s is missing: CONFIG_UPROBE_EVENTS)", PMU_DIR);
		return PYTOP_EINVAL;
	}
	return 0;
}

/* The PMU type and the config bit that makes a uretprobe. */
static int pmu_info(uint32_t *type, int *retbit, char *why, size_t whycap)
{
	char buf[64];
	int rc = uprobe_available(why, whycap);
	if (rc < 0)
		return rc;
	read_small(PMU_DIR "/type", buf, sizeof buf);
	*type = (uint32_t)strtoul(buf, NULL, 10);
	*retbit = 0;
	if (read_small(PMU_DIR "/format/retprobe", buf, sizeof buf) == 0 && strncmp(buf, "config:", 7) == 0)
		*retbit = atoi(buf + 7);
	return 0;
}

static void explain_open_error(int e, char *why, size_t whycap)
{
	char paranoid[32] = "?";
	read_small("/proc/sys/kernel/perf_event_paranoid", paranoid, sizeof paranoid);
	paranoid[strcspn(paranoid, "\n")] = 0;
	if (e == EACCES || e == EPERM)
		snprintf(why, whycap,
			 "perf_event_open: %s (system-wide uprobes need root or CAP_PERFMON; "
			 "kernel.perf_event_paranoid=%s)", strerror(e), paranoid);
	else if (e == ENOENT || e == EOPNOTSUPP || e == ENODEV)
		snprintf(why, whycap, "perf_event_open: %s (the kernel refused the uprobe PMU event)", strerror(e));
	else if (e == EMFILE || e == ENFILE)
		snprintf(why, whycap, "perf_event_open: %s (one event per probe and CPU)", strerror(e));
	else
		snprintf(why, whycap, "perf_event_open: %s", strerror(e));
}

static int cpus_possible(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	return n < 1 ? 1 : n > MAX_CPUS ? MAX_CPUS : (int)n;
}

int uprobe_open(const char *path, const struct uprobe_spec *specs, int n, pid_t pid,
		struct uprobe_set **out, char *why, size_t whycap)
{
	uint32_t type;
	int retbit, rc;

	*out = NULL;
	if (n <= 0 || n > MAX_PROBES) {
		snprintf(why, whycap, "no probes");
		return PYTOP_EINVAL;
	}
	if ((rc = pmu_info(&type, &retbit, why, whycap)) < 0)
		return rc;

	struct uprobe_set *u = xcalloc(1, sizeof *u);
	u->pid = pid;
	u->page = (size_t)sysconf(_SC_PAGESIZE);
	u->ncpus = cpus_possible();
	u->rings = xcalloc((size_t)u->ncpus, sizeof *u->rings);
	u->fds = xcalloc((size_t)u->ncpus * (size_t)n, sizeof *u->fds);
	u->id_of = xcalloc((size_t)u->ncpus * (size_t)n, sizeof *u->id_of);
	u->tag_of = xcalloc((size_t)u->ncpus * (size_t)n, sizeof *u->tag_of);
	for (int c = 0; c < u->ncpus; c++)
		u->rings[c].leader = -1;

	int online = 0;
	for (int c = 0; c < u->ncpus; c++) {
		for (int p = 0; p < n; p++) {
			struct perf_event_attr a;
			memset(&a, 0, sizeof a);
			a.size = sizeof a;
			a.type = type;
			a.config = specs[p].retprobe ? 1ull << retbit : 0;
			a.config1 = (uint64_t)(uintptr_t)path;   /* uprobe_path */
			a.config2 = specs[p].offset;             /* probe_offset */
			a.sample_period = 1;
			a.sample_type = SAMPLE_TYPE;
			a.use_clockid = 1;
			a.clockid = CLOCK_MONOTONIC;
			a.disabled = 1;
			int fd = (int)syscall(SYS_perf_event_open, &a, -1, c, -1, PERF_FLAG_FD_CLOEXEC);
			if (fd < 0) {
				int e = errno;
				if (p == 0 && (e == ENODEV || e == EINVAL) && online > 0)
					break;   /* an offline CPU */
				explain_open_error(e, why, whycap);
				uprobe_close(u);
				return e == EACCES || e == EPERM ? PYTOP_EPERM : PYTOP_EINVAL;
			}
			struct cpu_ring *r = &u->rings[c];
			u->fds[u->nfds] = fd;
			u->tag_of[u->nfds] = specs[p].tag;
			ioctl(fd, PERF_EVENT_IOC_ID, &u->id_of[u->nfds]);
			u->nfds++;
			if (r->leader < 0) {
				size_t len = (1 + RING_PAGES) * u->page;
				void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
				if (m == MAP_FAILED) {
					snprintf(why, whycap, "mmap of the perf ring: %s", strerror(errno));
					uprobe_close(u);
					return PYTOP_EINVAL;
				}
				r->leader = fd;
				r->meta = m;
				r->data = (unsigned char *)m + u->page;
				r->size = RING_PAGES * u->page;
				r->tail = r->meta->data_tail;
			} else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->leader) < 0) {
				snprintf(why, whycap, "PERF_EVENT_IOC_SET_OUTPUT: %s", strerror(errno));
				uprobe_close(u);
				return PYTOP_EINVAL;
			}
			if (p == 0)
				online++;
		}
	}
	for (int i = 0; i < u->nfds; i++)
		ioctl(u->fds[i], PERF_EVENT_IOC_ENABLE, 0);
	*out = u;
	return 0;
}

/* Copy len bytes at ring position pos (wrapping) into dst. */
static void ring_copy(const struct cpu_ring *r, uint64_t pos, void *dst, size_t len)
{
	uint64_t off = pos & (r->size - 1);
	size_t first = len < r->size - off ? len : (size_t)(r->size - off);
	memcpy(dst, r->data + off, first);
	if (first < len)
		memcpy((char *)dst + first, r->data, len - first);
}

/* Advance r to its next sample of our process (before head); false when none. */
static bool ring_next(struct uprobe_set *u, struct cpu_ring *r, uint64_t head, uint64_t *lost)
{
	while (!r->have && r->tail + sizeof(struct perf_event_header) <= head) {
		struct perf_event_header h;
		ring_copy(r, r->tail, &h, sizeof h);
		if (h.size < sizeof h || r->tail + h.size > head)
			break;
		if (h.type == PERF_RECORD_SAMPLE && h.size >= sizeof h + sizeof(struct sample_body)) {
			struct sample_body b;
			ring_copy(r, r->tail + sizeof h, &b, sizeof b);
			if ((pid_t)b.pid == u->pid) {
				r->next = b;
				r->next_end = r->tail + h.size;
				r->have = true;
				return true;
			}
		} else if (h.type == PERF_RECORD_LOST && h.size >= sizeof h + 16) {
			uint64_t v[2];
			ring_copy(r, r->tail + sizeof h, v, sizeof v);
			*lost += v[1];
		}
		r->tail += h.size;
	}
	return r->have;
}

static int tag_for(const struct uprobe_set *u, uint64_t id)
{
	for (int i = 0; i < u->nfds; i++)
		if (u->id_of[i] == id)
			return u->tag_of[i];
	return -1;
}

int uprobe_drain(struct uprobe_set *u, uint64_t before_ns, uprobe_fn fn, void *arg, uint64_t *lost)
{
	uint64_t heads[MAX_CPUS];
	int count = 0;

	for (int c = 0; c < u->ncpus; c++)
		if (u->rings[c].meta)
			heads[c] = __atomic_load_n(&u->rings[c].meta->data_head, __ATOMIC_ACQUIRE);
	/* A k-way merge of the CPUs' streams, each already in time order. */
	for (;;) {
		int best = -1;
		for (int c = 0; c < u->ncpus; c++) {
			struct cpu_ring *r = &u->rings[c];
			if (!r->meta || !ring_next(u, r, heads[c], lost) || r->next.time >= before_ns)
				continue;
			if (best < 0 || r->next.time < u->rings[best].next.time)
				best = c;
		}
		if (best < 0)
			break;
		struct cpu_ring *r = &u->rings[best];
		int tag = tag_for(u, r->next.id);
		if (tag >= 0) {
			fn(arg, r->next.time, (pid_t)r->next.tid, tag);
			count++;
		}
		r->have = false;
		r->tail = r->next_end;
	}
	/* Hand consumed space back (the pending sample, if any, stays). */
	for (int c = 0; c < u->ncpus; c++) {
		struct cpu_ring *r = &u->rings[c];
		if (r->meta)
			__atomic_store_n(&r->meta->data_tail, r->tail, __ATOMIC_RELEASE);
	}
	return count;
}

void uprobe_close(struct uprobe_set *u)
{
	if (!u)
		return;
	for (int i = 0; i < u->nfds; i++)
		ioctl(u->fds[i], PERF_EVENT_IOC_DISABLE, 0);
	for (int c = 0; c < u->ncpus; c++)
		if (u->rings[c].meta)
			munmap(u->rings[c].meta, (1 + RING_PAGES) * u->page);
	for (int i = 0; i < u->nfds; i++)
		close(u->fds[i]);
	free(u->rings);
	free(u->fds);
	free(u->id_of);
	free(u->tag_of);
	free(u);
}

/* uprobe: uprobes through perf_event_open and per-CPU ring buffers. */
#include "process/uprobe.h"

#include <dirent.h>
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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "process/proc.h"
#include "util/clock.h"
#include "util/fdlimit.h"
#include "util/smallfile.h"

#define PMU_DIR "/sys/bus/event_source/devices/uprobe"
#define RING_PAGES 64                  /* data pages per CPU (power of two) */
#define MAX_PROBES 16
#define MAX_CPUS 1024
#define MAX_TIDS 4096                  /* threads of the target given events */
#define FOLLOW_NS 10000000ull          /* uprobe_follow reads the thread list at most every 10 ms */
#define BACKLOG_MAX 128                /* PMU events: ended threads' events left to close, at most */
#define SAMPLE_TYPE (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME)
#define UNDEF_MAX (MAX_PROBES * 40)   /* the tracefs lines that remove our probe events */

#ifndef SYS_fsopen                    /* Linux 5.2's mount API (the same number on every arch) */
#define SYS_fsopen 430
#define SYS_fsconfig 431
#define SYS_fsmount 432
#endif
#define FSOPEN_CLOEXEC_ 0x1
#define FSCONFIG_CMD_CREATE_ 6
#define FSMOUNT_CLOEXEC_ 0x1

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
	bool offline;                      /* refused the first event: not used */
};

/* One perf event: a probe on one CPU for one thread of the target. */
struct event {
	uint64_t id;                       /* the kernel's event id (increasing with each open) */
	uint64_t closed_ns;                /* fd closed at (its thread ended); 0 while open */
	int fd;                            /* -1 once closed */
	int tag;
	pid_t tid;
	bool leader;                       /* owns its CPU's ring: kept open to the end */
	bool ended;                        /* PMU events: its thread ended, the fd waits to be closed */
};

struct uprobe_set {
	pid_t pid;
	char *path;                        /* the file probed (config1 of every open) */
	struct uprobe_spec specs[MAX_PROBES];
	int nspecs;
	uint32_t type;
	int retbit;
	int ncpus;
	struct cpu_ring *rings;
	struct event *ev;                  /* in id order: opened in order, removed in place */
	int nev, evcap;
	pid_t *tids, *scratch;             /* threads with events (sorted), and a scratch list */
	int ntids;
	uint64_t drained_before;           /* every sample before this was handed over */
	uint64_t followed_ns;              /* the thread list was last read then */
	uint64_t listed_ns;                /* ... and read at (the clock after the read) */
	size_t page;
	bool opening;                      /* in uprobe_open: events stay disabled */
	/* Shared probe events (see tracefs_setup): the tracefs directory (-1:
	 * every event is a uprobe PMU event of its own), the id of each
	 * spec's event, and the lines that remove them again. */
	int tracefs;
	uint64_t tp_id[MAX_PROBES];
	char undef[UNDEF_MAX];
	uint64_t unfollowed;               /* threads listed that got no events */
	int backlog;                       /* PMU events: ended threads' events not closed yet */
};

uint64_t uprobe_unfollowed(const struct uprobe_set *u)
{
	return u ? u->unfollowed : 0;
}

int uprobe_available(char *why, size_t whycap)
{
	char buf[64];
	if (smallfile_read(PMU_DIR "/type", buf, sizeof buf) <= 0) {
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
	if (smallfile_read(PMU_DIR "/type", buf, sizeof buf) < 0)
		buf[0] = 0;
	*type = (uint32_t)strtoul(buf, NULL, 10);
	*retbit = 0;
	if (smallfile_read(PMU_DIR "/format/retprobe", buf, sizeof buf) > 0 && strncmp(buf, "config:", 7) == 0)
		*retbit = atoi(buf + 7);
	return 0;
}

static void explain_open_error(int e, char *why, size_t whycap)
{
	char paranoid[32] = "?";
	if (smallfile_read("/proc/sys/kernel/perf_event_paranoid", paranoid, sizeof paranoid) <= 0)
		snprintf(paranoid, sizeof paranoid, "?");
	paranoid[strcspn(paranoid, "\n")] = 0;
	if (e == EACCES || e == EPERM)
		snprintf(why, whycap,
			 "perf_event_open: %s (uprobes need root or CAP_PERFMON; "
			 "kernel.perf_event_paranoid=%s)", strerror(e), paranoid);
	else if (e == ENOENT || e == EOPNOTSUPP || e == ENODEV)
		snprintf(why, whycap, "perf_event_open: %s (the kernel refused the uprobe PMU event)", strerror(e));
	else if (e == EMFILE || e == ENFILE)
		snprintf(why, whycap, "perf_event_open: %s (one event per probe, CPU and thread of the target)", strerror(e));
	else
		snprintf(why, whycap, "perf_event_open: %s", strerror(e));
}

static int cpus_possible(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	return n < 1 ? 1 : n > MAX_CPUS ? MAX_CPUS : (int)n;
}


/* ---- shared probe events through tracefs ----
 *
 * A uprobe PMU event is a probe of its own: the kernel registers it at the
 * open (10-40 us) and unregisters it at the close, waiting for RCU grace
 * periods under the tracing event_mutex: about 0.09 s a close, one at a
 * time across the whole system (11 closes/s here with 1, 4 or 16 closing
 * threads alike). A thread-churning target ends threads faster than that
 * (8 events each: 2 CPUs x 4 probes). So where tracefs can be written,
 * each probe is defined once there (uprobe_events, group pytop_PID) and
 * every thread's events are tracepoint events of it: opening and closing
 * one only adds it to or takes it from the probe's filter (no grace
 * period: 6,500-7,500 closes/s measured), and the kernel unregisters the
 * probe once, at the last close. The breakpoints still go only to the
 * address spaces of the threads with events. Where tracefs cannot be
 * written (no root, a container), the PMU events are used as before. */

static int tracefs_dir(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		int d = open(dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (d < 0)
			continue;
		if (faccessat(d, "uprobe_events", W_OK, 0) == 0)
			return d;
		close(d);
	}
	/* Not mounted: a mount of our own, attached nowhere (the new mount
	 * API: nothing shows in any mount table, and it goes with the fd). */
	int fs = (int)syscall(SYS_fsopen, "tracefs", FSOPEN_CLOEXEC_);
	if (fs < 0)
		return -1;
	int m = -1;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE_, NULL, NULL, 0) == 0)
		m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC_, 0);
	close(fs);
	if (m >= 0 && faccessat(m, "uprobe_events", W_OK, 0) != 0) {
		close(m);
		m = -1;
	}
	return m;
}

/* Write text to tracefs's uprobe_events (one write per line, as the
 * kernel parses one command per write). 0 or -1 (errno). Async-signal-safe. */
static int tracefs_write(int dir, const char *text, size_t len)
{
	int fd = openat(dir, "uprobe_events", O_WRONLY | O_APPEND | O_CLOEXEC), rc = 0;
	if (fd < 0)
		return -1;
	while (len > 0) {
		size_t line = 0;
		while (line < len && text[line] != '\n')
			line++;
		if (line < len)
			line++;
		if (write(fd, text, line) != (ssize_t)line)
			rc = -1;
		text += line;
		len -= line;
	}
	close(fd);
	return rc;
}

/* Remove groups pytop_PID_N left by a pytop that was killed (PID not
 * running): the kernel refuses (EBUSY) while their events are open (a
 * pytop-unprobe still closing them). */
static void tracefs_sweep(int dir)
{
	int ev = openat(dir, "events", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = ev >= 0 ? fdopendir(ev) : NULL;
	struct dirent *e;

	if (!d) {
		if (ev >= 0)
			close(ev);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char proc[64], line[128];
		int pid;
		if (sscanf(e->d_name, "pytop_%d", &pid) != 1 || pid <= 0)
			continue;
		snprintf(proc, sizeof proc, "/proc/%d", pid);
		if (access(proc, F_OK) == 0)
			continue;
		for (int i = 0; i < MAX_PROBES; i++) {
			int n = snprintf(line, sizeof line, "-:%s/e%d\n", e->d_name, i);
			tracefs_write(dir, line, (size_t)n);
		}
	}
	closedir(d);
}

/* Define one event per spec in tracefs for u->path; on success u->tracefs
 * and u->tp_id[] are set. On failure nothing is left defined and u keeps
 * the PMU events. */
static void tracefs_setup(struct uprobe_set *u)
{
	char group[32], line[1300], idpath[96], buf[32];
	size_t undef = 0;
	int dir;

	const char *pmu = getenv("PYTOP_UPROBE_PMU");   /* 1: PMU events (for comparison) */
	if ((pmu && strcmp(pmu, "1") == 0) || strpbrk(u->path, " \t\n\r\v\f:") || strlen(u->path) > 1100 ||
	    (dir = tracefs_dir()) < 0)
		return;   /* the definition's syntax cannot name it: PMU events */
	tracefs_sweep(dir);
	/* A group of this set's own: pytop_PID_N (an earlier set's may still
	 * be on its way out in its pytop-unprobe). */
	static atomic_uint sets;
	snprintf(group, sizeof group, "pytop_%d_%u", (int)getpid(), atomic_fetch_add(&sets, 1));
	for (int i = 0; i < u->nspecs; i++) {
		int n = snprintf(line, sizeof line, "-:%s/e%d\n", group, i);
		memcpy(u->undef + undef, line, (size_t)n);
		undef += (size_t)n;
	}
	u->undef[undef] = 0;
	tracefs_write(dir, u->undef, undef);   /* a stale one of ours (a reused PID) */
	for (int i = 0; i < u->nspecs; i++) {
		int n = snprintf(line, sizeof line, "%c:%s/e%d %s:0x%llx\n", u->specs[i].retprobe ? 'r' : 'p',
				 group, i, u->path, (unsigned long long)u->specs[i].offset);
		snprintf(idpath, sizeof idpath, "events/%s/e%d/id", group, i);
		int fd = -1;
		ssize_t got = -1;
		if (tracefs_write(dir, line, (size_t)n) == 0 &&
		    (fd = openat(dir, idpath, O_RDONLY | O_CLOEXEC)) >= 0)
			got = read(fd, buf, sizeof buf - 1);
		if (fd >= 0)
			close(fd);
		if (got <= 0) {
			tracefs_write(dir, u->undef, undef);
			close(dir);
			return;
		}
		buf[got] = 0;
		u->tp_id[i] = strtoull(buf, NULL, 10);
	}
	u->tracefs = dir;
}

static int cmp_tid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

static bool has_tid(const pid_t *v, int n, pid_t tid)
{
	return n > 0 && bsearch(&tid, v, (size_t)n, sizeof *v, cmp_tid) != NULL;
}

/* Open every probe on every CPU for thread tid. A CPU that refuses the
 * first thread's first event is offline (skipped from then on). Returns 0,
 * PYTOP_EGONE when the thread ended meanwhile, or another error with why. */
static int open_thread_events(struct uprobe_set *u, pid_t tid, bool first, char *why, size_t whycap);

/* Enable the events from index from on. */
static void enable_events(struct uprobe_set *u, int from)
{
	for (int i = from; i < u->nev; i++)
		ioctl(u->ev[i].fd, PERF_EVENT_IOC_ENABLE, 0);
}

/* open_thread_events, and on failure the events it opened closed again
 * (a ring's leader stays: the ring is mapped from it). */
static int open_thread(struct uprobe_set *u, pid_t tid, bool first, char *why, size_t whycap)
{
	int before = u->nev, rc = open_thread_events(u, tid, first, why, whycap), kept = before;

	/* A thread's events are enabled together once all are open, and
	 * uprobe_open's all at its end, so every thread is seen from one
	 * instant on (opening takes the kernel up to 0.1 s an event, more on a
	 * loaded machine: a thread's take_gil entry probe enabled a second
	 * before its return probe read as one wait that never ended). */
	if (rc == 0) {
		if (!u->opening)
			enable_events(u, before);
		return 0;
	}
	for (int i = before; i < u->nev; i++) {
		if (u->ev[i].leader)
			u->ev[kept++] = u->ev[i];
		else
			close(u->ev[i].fd);
	}
	u->nev = kept;
	return rc;
}

static int open_thread_events(struct uprobe_set *u, pid_t tid, bool first, char *why, size_t whycap)
{
	int online = 0;

	if (u->nev + u->ncpus * u->nspecs > u->evcap) {
		u->evcap = (u->nev + u->ncpus * u->nspecs) * 2;
		u->ev = xrealloc(u->ev, (size_t)u->evcap * sizeof *u->ev);
		fdlimit_raise();   /* room for them (raised once, to the hard limit) */
	}
	for (int c = 0; c < u->ncpus; c++) {
		struct cpu_ring *r = &u->rings[c];

		if (r->offline)
			continue;
		for (int p = 0; p < u->nspecs; p++) {
			struct perf_event_attr a;
			memset(&a, 0, sizeof a);
			a.size = sizeof a;
			if (u->tracefs >= 0) {
				a.type = PERF_TYPE_TRACEPOINT;
				a.config = u->tp_id[p];
			} else {
				a.type = u->type;
				a.config = u->specs[p].retprobe ? 1ull << u->retbit : 0;
				a.config1 = (uint64_t)(uintptr_t)u->path;  /* uprobe_path */
				a.config2 = u->specs[p].offset;            /* probe_offset */
			}
			a.sample_period = 1;
			a.sample_type = SAMPLE_TYPE;
			a.use_clockid = 1;
			a.clockid = CLOCK_MONOTONIC;
			a.disabled = 1;
			/* Bound to the thread: the kernel plants the breakpoint in the
			 * target's address space only. (No inherit: an inherited
			 * uprobe PMU event re-reads config1 in the forking process.) */
			int fd = (int)syscall(SYS_perf_event_open, &a, tid, c, -1, PERF_FLAG_FD_CLOEXEC);
			if (fd < 0) {
				int e = errno;
				if (e == ESRCH)
					return PYTOP_EGONE;
				if (first && p == 0 && (e == ENODEV || e == EINVAL) && online > 0) {
					r->offline = true;
					break;
				}
				explain_open_error(e, why, whycap);
				return e == EACCES || e == EPERM ? PYTOP_EPERM : PYTOP_EINVAL;
			}
			struct event *ev = &u->ev[u->nev++];
			memset(ev, 0, sizeof *ev);
			ev->fd = fd;
			ev->tag = u->specs[p].tag;
			ev->tid = tid;
			ioctl(fd, PERF_EVENT_IOC_ID, &ev->id);
			if (!r->meta) {
				size_t len = (1 + RING_PAGES) * u->page;
				void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
				if (m == MAP_FAILED) {
					snprintf(why, whycap, "mmap of the perf ring: %s", strerror(errno));
					return PYTOP_EINVAL;
				}
				ev->leader = true;
				r->leader = fd;
				r->meta = m;
				r->data = (unsigned char *)m + u->page;
				r->size = RING_PAGES * u->page;
				r->tail = r->meta->data_tail;
			} else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->leader) < 0) {
				snprintf(why, whycap, "PERF_EVENT_IOC_SET_OUTPUT: %s", strerror(errno));
				return PYTOP_EINVAL;
			}
			if (p == 0)
				online++;
		}
	}
	return 0;
}

int uprobe_open(const char *path, const struct uprobe_spec *specs, int n, pid_t pid,
		struct uprobe_set **out, char *why, size_t whycap)
{
	uint32_t type;
	int retbit, rc, ntids, opened = 0;

	*out = NULL;
	if (n <= 0 || n > MAX_PROBES) {
		snprintf(why, whycap, "no probes");
		return PYTOP_EINVAL;
	}
	if ((rc = pmu_info(&type, &retbit, why, whycap)) < 0)
		return rc;

	struct uprobe_set *u = xcalloc(1, sizeof *u);
	u->pid = pid;
	u->path = xstrdup(path);
	memcpy(u->specs, specs, (size_t)n * sizeof *specs);
	u->nspecs = n;
	u->type = type;
	u->retbit = retbit;
	u->page = (size_t)sysconf(_SC_PAGESIZE);
	u->ncpus = cpus_possible();
	u->rings = xcalloc((size_t)u->ncpus, sizeof *u->rings);
	u->tids = xcalloc(MAX_TIDS, sizeof *u->tids);
	u->scratch = xcalloc(MAX_TIDS, sizeof *u->scratch);
	for (int c = 0; c < u->ncpus; c++)
		u->rings[c].leader = -1;
	u->tracefs = -1;
	tracefs_setup(u);

	/* One set of events per thread the target has now; uprobe_follow adds
	 * the threads it starts later and closes those that end. */
	ntids = proc_tasks(pid, u->scratch, MAX_TIDS);
	if (ntids <= 0) {
		snprintf(why, whycap, "cannot list the threads of process %d", (int)pid);
		uprobe_close(u);
		return ntids < 0 ? ntids : PYTOP_EGONE;
	}
	qsort(u->scratch, (size_t)ntids, sizeof *u->scratch, cmp_tid);
	u->opening = true;
	for (int k = 0; k < ntids; k++) {
		rc = open_thread(u, u->scratch[k], opened == 0, why, whycap);
		if (rc == PYTOP_EGONE)
			continue;
		if (rc < 0) {
			uprobe_close(u);
			return rc;
		}
		u->tids[u->ntids++] = u->scratch[k];
		opened++;
	}
	if (opened == 0) {
		snprintf(why, whycap, "process %d exited", (int)pid);
		uprobe_close(u);
		return PYTOP_EGONE;
	}
	u->opening = false;
	enable_events(u, 0);
	*out = u;
	return 0;
}

int uprobe_follow(struct uprobe_set *u, uint64_t now_ns)
{
	char why[200];
	int n, k, kept;

	if (now_ns - u->followed_ns < FOLLOW_NS && u->followed_ns)
		return 0;
	u->followed_ns = now_ns;
	n = proc_tasks(u->pid, u->scratch, MAX_TIDS);
	if (n < 0)
		return n;
	u->listed_ns = clock_now_ns();
	qsort(u->scratch, (size_t)n, sizeof *u->scratch, cmp_tid);
	/* Threads that ended: their events are closed (a ring's leader stays),
	 * shared ones at once (microseconds each). A PMU event's close takes
	 * the kernel about 0.09 s, so those are disabled and closed one per
	 * call, after the new threads' opens (see below). */
	for (int i = 0; i < u->nev; i++) {
		struct event *ev = &u->ev[i];
		if (ev->fd >= 0 && !ev->leader && !ev->ended && !has_tid(u->scratch, n, ev->tid)) {
			if (u->tracefs >= 0) {
				close(ev->fd);
				ev->fd = -1;
				ev->closed_ns = now_ns;
			} else {
				ioctl(ev->fd, PERF_EVENT_IOC_DISABLE, 0);
				ev->ended = true;
				u->backlog++;
			}
		}
	}
	/* Their ids are forgotten once every sample they wrote was drained. */
	for (k = 0, kept = 0; k < u->nev; k++) {
		struct event *ev = &u->ev[k];
		if (ev->fd < 0 && !ev->leader && ev->closed_ns < u->drained_before)
			continue;
		u->ev[kept++] = *ev;
	}
	u->nev = kept;
	/* Threads that started: events of their own. One that ended before
	 * they were open, or whose open failed, is counted (its takes are not
	 * seen; it is not tried again); so is one met while BACKLOG_MAX PMU events of ended threads
	 * wait to be closed (it is never followed: the descriptors, and the
	 * target's cost of a probe hit, which grows with the probes still
	 * registered, stay bounded). */
	for (k = 0, kept = 0; k < n; k++) {
		pid_t tid = u->scratch[k];
		if (!has_tid(u->tids, u->ntids, tid)) {
			int rc = 0;
			if ((u->tracefs < 0 && u->backlog >= BACKLOG_MAX) ||
			    (rc = open_thread(u, tid, false, why, sizeof why)) < 0)
				u->unfollowed++;   /* counted once: not tried again */
			if (rc == PYTOP_EGONE)
				continue;
		}
		u->scratch[kept++] = tid;
	}
	/* One ended PMU event closed (the oldest). */
	for (int i = 0; u->backlog > 0 && i < u->nev; i++) {
		struct event *ev = &u->ev[i];
		if (ev->ended && ev->fd >= 0) {
			close(ev->fd);
			ev->fd = -1;
			ev->closed_ns = clock_now_ns();
			u->backlog--;
			break;
		}
	}
	memcpy(u->tids, u->scratch, (size_t)kept * sizeof *u->tids);
	u->ntids = kept;
	return 1;
}

uint64_t uprobe_listed_ns(const struct uprobe_set *u)
{
	return u ? u->listed_ns : 0;
}

const pid_t *uprobe_tids(const struct uprobe_set *u, int *n)
{
	*n = u ? u->ntids : 0;
	return u ? u->tids : NULL;
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

/* The tag of event id (binary search: u->ev is in id order), or -1. */
static int tag_for(const struct uprobe_set *u, uint64_t id)
{
	int lo = 0, hi = u->nev;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (u->ev[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < u->nev && u->ev[lo].id == id ? u->ev[lo].tag : -1;
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
	if (before_ns > u->drained_before)
		u->drained_before = before_ns;
	/* Hand consumed space back (the pending sample, if any, stays). */
	for (int c = 0; c < u->ncpus; c++) {
		struct cpu_ring *r = &u->rings[c];
		if (r->meta)
			__atomic_store_n(&r->meta->data_tail, r->tail, __ATOMIC_RELEASE);
	}
	return count;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Close every descriptor but the KEEP (sorted) ones; async-signal-safe. */
static void close_all_but(const int *keep, int nkeep, int fdmax)
{
	int from = 0;
	for (int i = 0; i <= nkeep; i++) {
		int to = i < nkeep ? keep[i] - 1 : fdmax;
		if (to >= from && syscall(SYS_close_range, (unsigned)from, (unsigned)to, 0) != 0)
			for (int fd = from; fd <= to; fd++)
				close(fd);
		if (i < nkeep)
			from = keep[i] + 1;
	}
}

/* The events' last close, done by a detached grandchild: the kernel
 * unregisters a uprobe on its event's last close, about 0.1 s each and one
 * after another (PMU events: every probe x CPU x thread, 10-30 s for 11
 * probes on a 4-thread target; shared tracefs probes: one per probe),
 * which would hold up pytop's exit or the live view. The grandchild keeps
 * only the events and the tracefs directory (and a pipe it waits on until
 * this process has dropped its copies, so this side's closes stay cheap),
 * and removes the tracefs probes once their events are closed. The probes,
 * disabled, stay in the target until it is done. Returns 0, or -1 (nothing
 * forked: the caller closes them itself). */
static int close_detached(struct uprobe_set *u)
{
	int n = 0, p[2];
	int *keep = malloc(((size_t)u->nev + 2) * sizeof *keep);
	int fdmax = fdlimit_soft() - 1;
	if (!keep || pipe2(p, O_CLOEXEC) != 0) {
		free(keep);
		return -1;
	}
	for (int i = 0; i < u->nev; i++)
		if (u->ev[i].fd >= 0)
			keep[n++] = u->ev[i].fd;
	if (u->tracefs >= 0)
		keep[n++] = u->tracefs;
	keep[n++] = p[0];
	qsort(keep, (size_t)n, sizeof *keep, cmp_int);
	pid_t child = fork();
	if (child == 0) {
		if (fork() != 0)
			_exit(0);
		/* The grandchild: only async-signal-safe calls from here. Named
		 * apart from pytop (ps -o comm, /proc/PID/comm). */
		prctl(PR_SET_NAME, (unsigned long)"pytop-unprobe", 0, 0, 0);
		close_all_but(keep, n, fdmax);
		char c;
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		for (int i = 0; i < n; i++)
			if (keep[i] != u->tracefs)
				close(keep[i]);
		if (u->tracefs >= 0)   /* the probes' definitions, unused now */
			tracefs_write(u->tracefs, u->undef, strlen(u->undef));
		_exit(0);
	}
	free(keep);
	close(p[0]);
	if (child < 0) {
		close(p[1]);
		return -1;
	}
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < u->nev; i++)
		if (u->ev[i].fd >= 0)
			close(u->ev[i].fd);
	close(p[1]);                       /* the grandchild's turn */
	return 0;
}

void uprobe_close(struct uprobe_set *u)
{
	if (!u)
		return;
	for (int i = 0; i < u->nev; i++)
		if (u->ev[i].fd >= 0)
			ioctl(u->ev[i].fd, PERF_EVENT_IOC_DISABLE, 0);
	for (int c = 0; c < u->ncpus; c++)
		if (u->rings[c].meta)
			munmap(u->rings[c].meta, (1 + RING_PAGES) * u->page);
	if (close_detached(u) != 0) {
		for (int i = 0; i < u->nev; i++)
			if (u->ev[i].fd >= 0)
				close(u->ev[i].fd);
		if (u->tracefs >= 0)
			tracefs_write(u->tracefs, u->undef, strlen(u->undef));
	}
	if (u->tracefs >= 0)
		close(u->tracefs);
	free(u->path);
	free(u->rings);
	free(u->ev);
	free(u->tids);
	free(u->scratch);
	free(u);
}


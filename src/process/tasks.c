/* tasks: a small open-addressing table (linear probing, least recently
 * used evicted) of open syscall and schedstat files (and perf switch
 * pages, and the sched files of threads that wait for cores) by tid, with
 * each thread's last readings (a blocked thread's syscall reading is
 * reused while its schedstat does not move; its schedstat is not read
 * while its switch page says it was not switched in), and the parsers of
 * those files and of the stat files. Past the descriptors RLIMIT_NOFILE
 * leaves (raised to the hard limit at tasks_create), a thread's files are
 * opened, read and closed at each reading: its readings stay in its slot,
 * so it never reads as gone for want of a descriptor. */
#include "process/tasks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "process/proc.h"
#include "process/switchpage.h"
#include "util/clock.h"
#include "util/fdlimit.h"
#include "util/smallfile.h"

#define SLOTS 2048   /* power of two */
#define PROBE 16     /* slots looked at for a tid; more threads share by eviction */
#define START_MAX 4096  /* threads remembered as alive at tasks_create */
#define TASKS_REUSE_MAX 63 /* a reused syscall reading is read again after this many reuses */
#define PAGE_SKIP_MAX 15   /* schedstat is read again after this many skips (a thread
			    * gone, its tid reused: its page no longer moves) */
#define PAGE_AFTER_REUSES 4 /* a page for a thread blocked through this many readings */
#define PAGE_OPEN_EVERY_NS 10000000ull /* at most one page opened per 10 ms */
#define PAGE_MOVED_MAX 8   /* a page found moved at this many readings in a row is closed:
			    * the thread switches more often than it is read, no reading
			    * is skipped, and every switch of it costs it perf work */
#define PAGE_REST 1024     /* ... and opened again after this many readings without it */
#define CONTENDED_SHIFT 6  /* a thread's times waiting for a core and running are averaged
			    * over about 2^6 readings... */
#define CONTENDED_PCT 10   /* ... and it is contended while it waits this share of them */
#define SCHED_READS_MAX 4  /* sched files read a round at most (3 us each): with more
			    * contended threads, the least recently read are */
#define ON_CPU_SLACK_NS 30000ull     /* a thread that stopped this near the sampler's switch-in
					* was stopped by it (tasks_stopped_by) */
#define FD_RESERVE 64      /* descriptors under the limit not kept for threads' files
			    * (pytop's other files: memory, maps, output, sockets) */

struct slot {
	pid_t tid;
	int fd;                   /* syscall file, -1 when not open */
	int cfd;                  /* schedstat file, -1 when not open */
	int have_cpu;             /* runtime holds a previous reading */
	uint64_t runtime;         /* the previous tasks_cpu() reading */
	/* Whether the thread ran since: the schedstat readings (run time and
	 * times switched in) numbered 1, 2, ... (cpu_seq); same_since is the
	 * first of the run of equal ones that ends with the last. */
	uint64_t raw_runtime, raw_pcount;
	/* Its time runnable and waiting for a core (schedstat's second field,
	 * counted when a wait ends) at the last reading: while it waits
	 * often, its sched file tells whether it is on a CPU (tasks_on_cpu). */
	uint64_t raw_wait;
	uint64_t wait_avg, run_avg;   /* decaying sums of its waits and run times */
	uint64_t told_round;          /* the round its sched file was last read in */
	int sfd;                  /* sched file, -1 when not open */
	uint32_t cpu_seq, same_since;
	uint8_t cpu_fresh;        /* a schedstat reading since the last syscall one */
	/* The last syscall reading and the schedstat reading it followed
	 * (act_seq; 0: none), and how often it was reused since read. */
	struct task_activity act;
	uint32_t act_seq, reused;
	uint64_t used;            /* the last access (ts->clock) */
	/* The perf switch page (opened once per slot: page_tried), and its
	 * stamp taken just before the last schedstat reading that was read
	 * (page_known: taken); page_skips: readings skipped since. */
	struct switchpage page;
	uint8_t page_tried, page_known, page_suspect, page_moved;
	uint32_t page_stamp, page_skips, page_suspect_stamp;
	uint16_t page_rest;       /* readings left before a page closed as useless is reopened */
};

struct tasks {
	pid_t pid;
	pid_t *start_tids;        /* sorted: the threads alive at tasks_create */
	int nstart;               /* -1: unknown (every thread counts as old) */
	int statfd;               /* /proc/PID/stat, -1 when not open */
	int taskfd;               /* /proc/PID/task, -1 when not open */
	bool clock_tried, clock_ok; /* the process's CPU clock: looked up; usable */
	clockid_t clock_id;
	uint64_t clock;
	uint64_t swept;           /* the clock at the last tasks_sweep */
	bool reuse;               /* tasks_read may reuse a blocked thread's reading */
	bool check;               /* ... but reads the file anyway and compares */
	uint64_t reuses;          /* readings reused (checking: would have been) */
	uint64_t stamps;          /* readings numbered so far */
	bool pages;               /* schedstat readings may be skipped (tasks_set_pages) */
	int page_fd_max;          /* a page's descriptor must stay under this */
	int keep_fd_max;          /* a schedstat descriptor is kept only under this, a
				   * syscall one under half of it */
	uint64_t reopened;        /* readings through a file opened and closed for them */
	uint64_t page_skipped;    /* schedstat readings skipped (checking: would have) */
	uint64_t on_cpu_reads;    /* sched files read by tasks_on_cpu */
	bool sched_checked, no_sched; /* whether there are sched files (else tasks_on_cpu says "on") */
	int own_fd;               /* the sampling thread's own sched file */
	uint64_t own_round, own_start;
	bool own_ok;
	/* The sched files' budget: its round and the files read in it. */
	uint64_t budget_round;
	uint32_t round_reads;
	uint64_t cut;             /* this round reads those last read in this round or before */
	uint64_t oldest[SCHED_READS_MAX + 1];   /* the told_round of the round's contended
						 * threads least recently read, ascending */
	uint32_t noldest;
	uint64_t page_next_ns;    /* no page is opened before then (CLOCK_MONOTONIC) */
	uint64_t page_wrong;      /* checking: ... of which the thread had been switched in */
	struct slot slots[SLOTS];
	char dents[16384];        /* tasks_list's directory buffer (no allocation) */
};

struct tasks *tasks_create(pid_t pid)
{
	struct tasks *ts = xcalloc(1, sizeof *ts);
	ts->pid = pid;
	ts->statfd = -1;
	ts->taskfd = -1;
	ts->own_fd = -1;
	ts->start_tids = xcalloc(START_MAX, sizeof *ts->start_tids);
	ts->nstart = proc_tasks(pid, ts->start_tids, START_MAX);
	if (ts->nstart >= START_MAX)
		ts->nstart = -1;   /* too many to tell the new ones apart */
	for (int i = 0; i < SLOTS; i++) {
		ts->slots[i].fd = ts->slots[i].cfd = ts->slots[i].sfd = -1;
		switchpage_init(&ts->slots[i].page);
	}
	/* Two descriptors a thread: the soft limit (often 1024, 505
	 * threads' worth) raised to the hard one. Pages take a descriptor
	 * each: they keep to the lower half of the limit, the syscall and
	 * schedstat files come first. Those are kept open below the limit
	 * less a reserve for pytop's other files, and past it opened, read
	 * and closed at each reading (5.4 us more a reading than a pread
	 * alone, 6.8 against 1.4, on a loaded machine here). The schedstat
	 * file is read every round, a blocked thread's syscall file at most
	 * every 64th (its reading is reused): the syscall files keep to the
	 * lower half, so that under a low limit the schedstat ones stay
	 * open for as many threads as can be. */
	int soft = fdlimit_raise();
	ts->page_fd_max = soft / 2;
	ts->keep_fd_max = soft - (soft / 8 < FD_RESERVE ? soft / 8 : FD_RESERVE);
	return ts;
}

/* Close s's files and page; its readings stay. Reopened, the files may be
 * another thread's (a tid reused): no syscall reading is reused across
 * that. */
static void slot_close(struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->cfd >= 0)
		close(s->cfd);
	if (s->sfd >= 0)
		close(s->sfd);
	s->fd = s->cfd = s->sfd = -1;
	switchpage_close(&s->page);
	s->page_tried = s->page_known = s->page_suspect = s->page_moved = 0;
	s->page_rest = 0;
	s->cpu_seq = s->same_since = s->act_seq = 0;
}

static void slot_clear(struct slot *s)
{
	slot_close(s);
	s->page_skips = 0;
	s->tid = 0;
	s->have_cpu = 0;
	s->used = 0;
	s->cpu_seq = s->same_since = s->act_seq = s->reused = 0;
	s->wait_avg = s->run_avg = 0;
	s->told_round = 0;
}

void tasks_destroy(struct tasks *ts)
{
	if (!ts)
		return;
	for (int i = 0; i < SLOTS; i++)
		slot_clear(&ts->slots[i]);
	if (ts->statfd >= 0)
		close(ts->statfd);
	if (ts->taskfd >= 0)
		close(ts->taskfd);
	if (ts->own_fd >= 0)
		close(ts->own_fd);
	free(ts->start_tids);
	free(ts);
}

/* " 0x1f" at *p (advanced past it): false when there is none. */
static bool parse_hex(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;
	if (*s != ' ')
		return false;
	s++;
	if (s[0] == '0' && s[1] == 'x')
		s += 2;
	for (;; s++, digits++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else
			break;
		if (digits == 16)
			return false;
		v = v << 4 | d;
	}
	if (!digits)
		return false;
	*p = s;
	*out = v;
	return true;
}

int tasks_parse(const char *text, struct task_activity *out)
{
	out->running = 0;
	out->syscall = -1;
	out->arg0 = 0;
	memset(out->args, 0, sizeof out->args);
	out->sp = out->pc = 0;
	if (strncmp(text, "running", 7) == 0) {
		out->running = 1;
		return 0;
	}
	char *end;
	long nr = strtol(text, &end, 10);
	if (end == text)
		return PYTOP_EINVAL;
	out->syscall = nr;
	/* "NR a0 .. a5 sp pc" in a call, "-1 sp pc" outside one. */
	const char *p = end;
	int i = 0;
	if (nr >= 0)
		for (; i < 6 && parse_hex(&p, &out->args[i]); i++)
			;
	out->arg0 = out->args[0];
	uint64_t sp, pc;
	if ((nr < 0 || i == 6) && parse_hex(&p, &sp) && parse_hex(&p, &pc)) {
		out->sp = sp;
		out->pc = pc;
	}
	return 0;
}

int tasks_parse_schedstat(const char *text, uint64_t *runtime_ns)
{
	uint64_t wait, pcount;
	return tasks_parse_schedstat3(text, runtime_ns, &wait, &pcount);
}

/* A decimal number at *p (advanced past it); false when there is no digit
 * or it does not fit 64 bits. (strtoull was 1.4 % of pytop's CPU: this
 * runs for every thread every round.) */
static bool parse_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*out = v;
	return true;
}

int tasks_parse_schedstat3(const char *text, uint64_t *runtime_ns, uint64_t *wait_ns, uint64_t *pcount)
{
	const char *p = text;
	uint64_t v;
	if (!parse_u64(&p, &v) || (*p != ' ' && *p != '\n' && *p != 0))
		return PYTOP_EINVAL;
	*runtime_ns = v;
	*wait_ns = 0;
	*pcount = UINT64_MAX;     /* unknown: never equal to a later reading's */
	/* "run_ns wait_ns pcount": the others when there are. */
	for (int field = 2; field <= 3 && *p == ' '; field++) {
		p++;
		if (!parse_u64(&p, &v))
			return 0;
		*(field == 2 ? wait_ns : pcount) = v;
	}
	return 0;
}

/* The value of `key` in a sched file ("key   :   value" lines): *value
 * points at its first digit. */
static bool sched_field(const char *text, const char *key, const char **value)
{
	size_t klen = strlen(key);
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, key, klen) != 0 || (line[klen] != ' ' && line[klen] != ':'))
			continue;
		const char *p = line + klen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != ':')
			return false;
		while (*p == ' ' || *p == '\t')
			p++;
		*value = p;
		return true;
	}
	return false;
}

/* The slot of tid: found, else a free one, else the least recently used of
 * the probe window (its files closed). */
static struct slot *slot_for(struct tasks *ts, pid_t tid)
{
	uint32_t h = ((uint32_t)tid * 2654435761u) & (SLOTS - 1);
	struct slot *victim = NULL;
	for (int i = 0; i < PROBE; i++) {
		struct slot *s = &ts->slots[(h + (uint32_t)i) & (SLOTS - 1)];
		if (s->tid == tid) {
			s->used = ++ts->clock;
			return s;
		}
		if (!victim || (victim->tid && (!s->tid || s->used < victim->used)))
			victim = s;
	}
	slot_clear(victim);
	victim->tid = tid;
	victim->used = ++ts->clock;
	return victim;
}

/* Descriptors ran out: the switch pages give theirs back and no more are
 * opened (the syscall and schedstat files come first: without them a
 * thread reads as gone and its CPU is lost). Whether any was given back. */
static bool pages_shed(struct tasks *ts)
{
	bool freed = false;
	ts->pages = false;
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &ts->slots[i];
		if (s->page.fd >= 0) {
			switchpage_close(&s->page);
			s->page_known = s->page_suspect = 0;
			freed = true;
		}
	}
	return freed;
}

/* Descriptors still ran out (pytop's other files took the reserve, or the
 * system's table is full): the files of the least recently read slot
 * other than keep closed (reopened when it is read next). Whether any. */
static bool slot_evict(struct tasks *ts, const struct slot *keep)
{
	struct slot *victim = NULL;
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &ts->slots[i];
		if (s != keep && (s->fd >= 0 || s->cfd >= 0) && (!victim || s->used < victim->used))
			victim = s;
	}
	if (victim)
		slot_close(victim);
	return victim != NULL;
}

static bool out_of_fds(int e)
{
	return e == EMFILE || e == ENFILE;
}

static int open_file(struct tasks *ts, const struct slot *s, const char *name)
{
	char path[96];
	snprintf(path, sizeof path, "/proc/%d/task/%d/%s", (int)ts->pid, (int)s->tid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && out_of_fds(errno) && pages_shed(ts))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && out_of_fds(errno) && slot_evict(ts, s))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd;
}

/* Read file name of s's thread into buf: through its descriptor *fd, else
 * through one opened now, kept in *fd when under keep (a descriptor
 * number), else closed again (counted in reopened). 0; PYTOP_EGONE or
 * PYTOP_EPERM with the slot forgotten (the thread is gone or its tid was
 * reused, or it may not be read); PYTOP_EIO when no descriptor could be
 * had (EMFILE, ENFILE with none of ours left to close; ENOMEM): the thread
 * is not taken for gone, its readings stay for its next one. */
static int slot_read(struct tasks *ts, struct slot *s, int *fd, const char *name, int keep, char *buf, size_t cap)
{
	int f = *fd;
	bool kept = f >= 0;
	if (!kept) {
		if ((f = open_file(ts, s, name)) < 0) {
			int e = errno;
			if (out_of_fds(e) || e == ENOMEM)
				return PYTOP_EIO;
			slot_clear(s);
			return e == EACCES || e == EPERM ? PYTOP_EPERM : PYTOP_EGONE;
		}
		kept = f < keep;
		if (kept)
			*fd = f;
	}
	ssize_t n = pread(f, buf, cap - 1, 0);
	if (!kept) {
		close(f);
		ts->reopened++;
	}
	if (n <= 0) {
		slot_clear(s);
		return PYTOP_EGONE;
	}
	buf[n] = 0;
	return 0;
}

int tasks_read_check(struct tasks *ts, pid_t tid, struct task_activity *out, struct task_activity *would)
{
	char buf[256];
	int rc;

	if (tid <= 0)
		return PYTOP_EINVAL;
	struct slot *s = slot_for(ts, tid);
	/* Blocked at its last reading, which followed a schedstat reading
	 * equal to the latest: the thread has not been on a CPU since (it
	 * would have been switched in, or out, both of which change the
	 * reading), so it is still in the same call, or woken and not yet run
	 * (the file says "running" then, and the sampler keeps the state it
	 * had: no CPU time since). Not with a CPU delta given back
	 * (tasks_cpu_unread): the next delta is not 0 then. */
	bool reusable = s->act_seq && !s->act.running && s->act_seq >= s->same_since &&
			s->act_seq < s->cpu_seq && s->reused < TASKS_REUSE_MAX && s->runtime == s->raw_runtime &&
			s->cpu_fresh;
	s->cpu_fresh = 0;
	if (ts->reuse && reusable && !ts->check) {
		s->reused++;
		ts->reuses++;
		*out = s->act;
		if (would)
			*would = s->act;
		return 0;
	}
	struct task_activity was = s->act;
	if ((rc = slot_read(ts, s, &s->fd, "syscall", ts->keep_fd_max / 2, buf, sizeof buf)) < 0)
		return rc;
	if ((rc = tasks_parse(buf, out)) < 0) {
		s->act_seq = 0;
		return rc;
	}
	out->stamp = ++ts->stamps;
	if (would)
		*would = *out;
	if (ts->reuse && reusable) {
		/* Checking: reuse would have given the reading of before (kept
		 * as the one to reuse, like reuse would). */
		ts->reuses++;
		s->reused++;
		if (would)
			*would = was;
		return 0;
	}
	s->act = *out;
	s->act_seq = s->cpu_seq;
	s->reused = 0;
	return 0;
}

int tasks_read(struct tasks *ts, pid_t tid, struct task_activity *out)
{
	return tasks_read_check(ts, tid, out, NULL);
}

bool tasks_still(struct tasks *ts, pid_t tid)
{
	char buf[128];
	uint64_t v, wait, pcount;

	if (tid <= 0)
		return false;
	struct slot *s = slot_for(ts, tid);
	if (!s->cpu_seq || slot_read(ts, s, &s->cfd, "schedstat", ts->keep_fd_max, buf, sizeof buf) < 0 ||
	    tasks_parse_schedstat3(buf, &v, &wait, &pcount) < 0)
		return false;
	return v == s->raw_runtime && pcount == s->raw_pcount && pcount != UINT64_MAX;
}

void tasks_set_reuse(struct tasks *ts, bool on, bool check)
{
	ts->reuse = on;
	ts->check = check;
}

uint64_t tasks_reuses(const struct tasks *ts)
{
	return ts->reuses;
}

/* The switch page's stamp of s now: false when there is none. A page is
 * dear to open (perf_event_open took 130-320 us here, against 0.6 us for
 * the schedstat reading it saves), so only a thread that has stayed
 * blocked through PAGE_AFTER_REUSES readings gets one (threads that live a
 * few ms, and threads read only for their CPU time, never do), and at most
 * one is opened every PAGE_OPEN_EVERY_NS (the sampler's round is not held
 * up by many at once). */
static bool page_stamp(struct tasks *ts, struct slot *s, pid_t tid, uint32_t *stamp)
{
	if (!ts->pages)
		return false;
	if (s->page_rest && --s->page_rest == 0)
		s->page_tried = 0;
	if (!s->page_tried && s->cfd >= 0 && s->act_seq && s->reused >= PAGE_AFTER_REUSES) {
		uint64_t ns = clock_now_ns();
		if (ns < ts->page_next_ns)
			return false;
		ts->page_next_ns = ns + PAGE_OPEN_EVERY_NS;
		s->page_tried = 1;
		int rc = switchpage_open(&s->page, tid);
		if (rc == PYTOP_EPERM)
			ts->pages = false;   /* not on this system: no thread will have one */
		else if (rc == 0 && s->page.fd >= ts->page_fd_max)
			switchpage_close(&s->page);
	}
	return switchpage_stamp(&s->page, stamp);
}

/* Whether s's schedstat can be taken as read and equal to its last
 * reading: its last syscall reading said blocked, schedstat has not moved
 * from the reading before it to the last one (act_seq in the run of equal
 * readings), and the switch page, whose stamp was taken before that last
 * reading, has not been rewritten since: the thread has not been switched
 * in since it was seen blocked, so its run time and switch count are as
 * read (but for what it ran between its last schedstat and syscall
 * readings, which its next real reading counts). */
static bool page_same(const struct tasks *ts, const struct slot *s, bool stamped, uint32_t stamp)
{
	return stamped && s->page_known && stamp == s->page_stamp && s->have_cpu && s->act_seq &&
	       !s->act.running && s->act_seq >= s->same_since && s->page_skips < PAGE_SKIP_MAX &&
	       s->raw_pcount != UINT64_MAX && ts->reuse;
}

int tasks_cpu(struct tasks *ts, pid_t tid, uint64_t *runtime_ns, uint64_t *delta_ns)
{
	char buf[128];
	uint64_t v, wait, pcount;
	uint32_t stamp = 0;
	int rc;

	*delta_ns = 0;
	if (tid <= 0)
		return PYTOP_EINVAL;
	struct slot *s = slot_for(ts, tid);
	/* (a page only for a thread whose schedstat file is kept open) */
	bool stamped = s->cfd >= 0 && page_stamp(ts, s, tid, &stamp);
	if (s->page_suspect) {
		s->page_suspect = 0;
		ts->page_wrong += stamped && stamp == s->page_suspect_stamp;
	}
	bool same = page_same(ts, s, stamped, stamp);
	if (same && !ts->check) {
		v = s->raw_runtime;
		wait = s->raw_wait;
		pcount = s->raw_pcount;
		s->page_skips++;
		s->page_moved = 0;   /* it saved a reading: not one that only costs */
		ts->page_skipped++;
	} else {
		if ((rc = slot_read(ts, s, &s->cfd, "schedstat", ts->keep_fd_max, buf, sizeof buf)) < 0)
			return rc;
		if ((rc = tasks_parse_schedstat3(buf, &v, &wait, &pcount)) < 0)
			return rc;
		if (same) {
			/* Checking: the reading skipping would have taken as
			 * read, against the file. The file counts a switch in
			 * before the page is rewritten (prepare_task_switch,
			 * then finish_task_switch): a page that still has not
			 * moved at the next look missed it. */
			ts->page_skipped++;
			if (pcount != s->raw_pcount) {
				s->page_suspect = 1;
				s->page_suspect_stamp = stamp;
			}
		}
		s->page_skips = 0;
		if (stamped && s->page_known && stamp != s->page_stamp) {
			if (++s->page_moved >= PAGE_MOVED_MAX) {
				/* Switched in between every two readings: the
				 * page saves nothing and costs the thread. */
				switchpage_close(&s->page);
				s->page_moved = 0;
				s->page_rest = PAGE_REST;
				stamped = false;
			}
		} else if (stamped && s->page_known) {
			s->page_moved = 0;
		}
		s->page_known = stamped;
		s->page_stamp = stamp;
	}
	if (!s->cpu_seq || v != s->raw_runtime || pcount != s->raw_pcount || pcount == UINT64_MAX)
		s->same_since = s->cpu_seq + 1;
	/* How much of the time it wanted a core it waited for one (see
	 * contended()), from the raw readings (a reading skipped through its
	 * page moves neither). */
	s->wait_avg -= s->wait_avg >> CONTENDED_SHIFT;
	s->run_avg -= s->run_avg >> CONTENDED_SHIFT;
	if (s->cpu_seq) {
		s->wait_avg += wait > s->raw_wait ? wait - s->raw_wait : 0;
		s->run_avg += v > s->raw_runtime ? v - s->raw_runtime : 0;
	}
	s->raw_wait = wait;
	s->cpu_seq++;
	s->cpu_fresh = 1;
	s->raw_runtime = v;
	s->raw_pcount = pcount;
	*runtime_ns = v;
	if (!s->have_cpu || v < s->runtime) {
		s->have_cpu = 1;
		s->runtime = v;
		return 0;
	}
	*delta_ns = v - s->runtime;
	s->runtime = v;
	return 1;
}

uint64_t tasks_reopened(const struct tasks *ts)
{
	return ts->reopened;
}

void tasks_set_pages(struct tasks *ts, bool on)
{
	ts->pages = on;
}

void tasks_page_counts(const struct tasks *ts, uint64_t *skipped, uint64_t *wrong)
{
	*skipped = ts->page_skipped;
	*wrong = ts->page_wrong;
}

int tasks_list(struct tasks *ts, pid_t *tids, int max)
{
	int n = proc_tasks_into(ts->pid, ts->dents, sizeof ts->dents, tids, max);

	/* (the process gone reads as PYTOP_EGONE here, as it always has) */
	return n == PYTOP_ENOPROC ? PYTOP_EGONE : n;
}

int tasks_count(struct tasks *ts)
{
	struct stat st;

	if (ts->taskfd < 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/task", (int)ts->pid);
		if ((ts->taskfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return PYTOP_EGONE;
	}
	/* The directory's link count is its threads plus "." and "..". */
	if (fstat(ts->taskfd, &st) < 0 || st.st_nlink < 3) {
		close(ts->taskfd);
		ts->taskfd = -1;
		return PYTOP_EGONE;
	}
	return (int)(st.st_nlink - 2 < INT32_MAX ? st.st_nlink - 2 : INT32_MAX);
}

bool tasks_exists(const struct tasks *ts, pid_t tid)
{
	char path[64];

	if (tid <= 0)
		return false;
	snprintf(path, sizeof path, "/proc/%d/task/%d", (int)ts->pid, (int)tid);
	return access(path, F_OK) == 0;
}

bool tasks_alive(struct tasks *ts, pid_t tid)
{
	char buf[128];

	if (tid <= 0)
		return false;
	struct slot *s = slot_for(ts, tid);
	int rc = slot_read(ts, s, &s->cfd, "schedstat", ts->keep_fd_max, buf, sizeof buf);
	/* No descriptor to read it with: whether its directory is there. */
	return rc == 0 || (rc == PYTOP_EIO && tasks_exists(ts, tid));
}

/* The slot of tid when it has one (none is taken), else NULL. */
static struct slot *slot_find(struct tasks *ts, pid_t tid)
{
	uint32_t h = ((uint32_t)tid * 2654435761u) & (SLOTS - 1);

	for (int i = 0; i < PROBE && tid > 0; i++)
		if (ts->slots[(h + (uint32_t)i) & (SLOTS - 1)].tid == tid)
			return &ts->slots[(h + (uint32_t)i) & (SLOTS - 1)];
	return NULL;
}

void tasks_cpu_unread(struct tasks *ts, pid_t tid, uint64_t delta_ns)
{
	struct slot *s = slot_find(ts, tid);

	if (s && s->have_cpu)
		s->runtime = s->runtime > delta_ns ? s->runtime - delta_ns : 0;
}

/* The se.exec_start of a sched file (the run queue's clock, ns, when the
 * thread last started or stopped running or was last accounted: "ms.ns")
 * and its nr_switches. */
int tasks_parse_sched(const char *text, uint64_t *exec_start_ns, uint64_t *switches)
{
	uint64_t ms, frac = 0;
	const char *p;
	if (!sched_field(text, "se.exec_start", &p) || !parse_u64(&p, &ms) || ms > UINT64_MAX / 1000000)
		return PYTOP_EINVAL;
	if (*p == '.') {
		const char *f = ++p;
		if (!parse_u64(&p, &frac) || p - f != 6)
			return PYTOP_EINVAL;
	}
	*exec_start_ns = ms * 1000000 + frac;
	if (!sched_field(text, "nr_switches", &p) || !parse_u64(&p, switches))
		return PYTOP_EINVAL;
	return 0;
}

/* The sampling thread's own se.exec_start, read at most once a round (when
 * a thread reads as off a CPU): the time it was last switched in, as its
 * run queue's clock says it (or last accounted: a tick or a task woken
 * onto its CPU since moves it; a thread it preempted then reads as off). */
static bool own_start(struct tasks *ts, uint64_t round, uint64_t *out)
{
	char buf[4096];
	uint64_t switches;

	if (ts->own_round == round && round) {
		*out = ts->own_start;
		return ts->own_ok;
	}
	ts->own_round = round;
	ts->own_ok = false;
	if (ts->own_fd < 0 && (ts->own_fd = open("/proc/thread-self/sched", O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	ssize_t n = pread(ts->own_fd, buf, sizeof buf - 1, 0);
	if (n <= 0) {
		close(ts->own_fd);   /* (opened by another thread, now gone) */
		ts->own_fd = -1;
		return false;
	}
	buf[n] = 0;
	ts->own_ok = tasks_parse_sched(buf, &ts->own_start, &switches) == 0;
	*out = ts->own_start;
	return ts->own_ok;
}

/* Whether s waited for a core CONTENDED_PCT % or more of the time it
 * wanted one, lately: only then are its samples worth telling apart. (The
 * decaying sums stop decaying under 2^CONTENDED_SHIFT ns: a thread that
 * slept long holds a few ns of each, and has not waited.) */
static bool contended(const struct slot *s)
{
	uint64_t both = s->wait_avg + s->run_avg;
	return s->wait_avg >= (1u << CONTENDED_SHIFT) && s->wait_avg >= both / 100 * CONTENDED_PCT;
}

/* Whether s (NULL: none) is contended and has a CPU reading to go by:
 * the threads tasks_on_cpu() tells apart, and tasks_contended() names. */
static bool contended_read(const struct slot *s)
{
	return s && contended(s) && s->cpu_seq && s->raw_pcount != UINT64_MAX;
}

bool tasks_contended(struct tasks *ts, pid_t tid)
{
	return contended_read(slot_find(ts, tid));
}

int tasks_on_cpu(struct tasks *ts, pid_t tid, uint64_t round)
{
	char buf[4096];
	uint64_t switches, stopped, began;

	if (!ts->sched_checked) {
		ts->sched_checked = true;   /* (no sched files without CONFIG_SCHED_DEBUG) */
		ts->no_sched = access("/proc/thread-self/sched", R_OK) != 0;
	}
	struct slot *s = ts->no_sched ? NULL : slot_find(ts, tid);
	if (!contended_read(s))
		return 1;
	/* At most SCHED_READS_MAX a round, the least recently read first
	 * (never read: first of all): this round reads those read in round
	 * `cut` or before, the latest round such that no more than
	 * SCHED_READS_MAX of the last round's contended threads were; the
	 * others are not told (-1). (Going by the order threads are met in
	 * would leave the last ones unread for good whenever more than
	 * SCHED_READS_MAX are due.) */
	if (round != ts->budget_round) {
		ts->cut = UINT64_MAX;
		if (ts->noldest > SCHED_READS_MAX) {
			uint64_t v = ts->oldest[SCHED_READS_MAX];
			ts->cut = v;
			for (uint32_t i = SCHED_READS_MAX; i-- > 0;)
				if (ts->oldest[i] < v) {
					ts->cut = ts->oldest[i];
					break;
				}
		}
		ts->budget_round = round;
		ts->round_reads = ts->noldest = 0;
	}
	bool due = s->told_round <= ts->cut && ts->round_reads < SCHED_READS_MAX;
	if (due) {
		ts->round_reads++;
		s->told_round = round;
	}
	/* (the SCHED_READS_MAX + 1 least recently read, for the next round) */
	uint32_t j = ts->noldest < SCHED_READS_MAX + 1 ? ts->noldest++ : SCHED_READS_MAX + 1;
	for (; j > 0 && ts->oldest[j - 1] > s->told_round; j--)
		if (j < SCHED_READS_MAX + 1)
			ts->oldest[j] = ts->oldest[j - 1];
	if (j < SCHED_READS_MAX + 1)
		ts->oldest[j] = s->told_round;
	if (!due)
		return -1;
	/* Its sched files keep to the lower half of the limit, as the
	 * syscall files do. */
	if (slot_read(ts, s, &s->sfd, "sched", ts->keep_fd_max / 2, buf, sizeof buf) < 0 ||
	    tasks_parse_sched(buf, &stopped, &switches) < 0)
		return 1;
	ts->on_cpu_reads++;
	/* Switched in one time more than out: on a CPU now. (A switch between
	 * the two readings can make one just switched in read as off.) */
	if (s->raw_pcount != switches)
		return 1;
	if (!own_start(ts, round, &began))
		return 1;
	return tasks_stopped_by(stopped, began);
}

/* Stopped at the instant this thread was switched in (the two clock
 * readings of one switch are the same): it is the thread this one
 * preempted, on a CPU when the round began, its stack today's. Any other
 * time says nothing of this round: the clocks are each CPU's run queue's
 * task clock, which leaves out the CPU's steal (and IRQ) time, so two
 * CPUs' differ by what they lost since boot (206 ms after 36 minutes on a
 * 2-CPU VM here, either way): a thread on another CPU, stopped before
 * the round, can read as stopped long after it, or long before. */
int tasks_stopped_by(uint64_t stopped_ns, uint64_t began_ns)
{
	return stopped_ns + ON_CPU_SLACK_NS >= began_ns && stopped_ns <= began_ns + ON_CPU_SLACK_NS;
}

uint64_t tasks_on_cpu_reads(const struct tasks *ts)
{
	return ts->on_cpu_reads;
}

void tasks_sweep(struct tasks *ts)
{
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &ts->slots[i];

		/* The files are closed; the last CPU reading stays, so that a
		 * thread read again later is not taken for a new one. */
		if (s->tid && s->used <= ts->swept)
			slot_close(s);
	}
	ts->swept = ts->clock;
}

int tasks_open_count(const struct tasks *ts)
{
	int n = 0;

	for (int i = 0; i < SLOTS; i++)
		n += ts->slots[i].fd >= 0 || ts->slots[i].cfd >= 0 || ts->slots[i].sfd >= 0 || ts->slots[i].page.fd >= 0;
	return n;
}

bool tasks_started_before(const struct tasks *ts, pid_t tid)
{
	int lo = 0, hi = ts->nstart;
	if (ts->nstart < 0)
		return true;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (ts->start_tids[mid] == tid)
			return true;
		if (ts->start_tids[mid] < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int tasks_parse_stat_cpu(const char *text, long hz, uint64_t *cpu_ns)
{
	/* "pid (comm) state ppid ...": comm may hold anything, ')' too. */
	const char *p = strrchr(text, ')');
	unsigned long long ut = 0, st = 0;
	if (!p || hz <= 0)
		return PYTOP_EINVAL;
	p++;
	for (int field = 3; field <= 15; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return PYTOP_EINVAL;
		if (field >= 14) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(p, &end, 10);
			if (errno || end == p)
				return PYTOP_EINVAL;
			*(field == 14 ? &ut : &st) = v;
		}
		while (*p && *p != ' ')
			p++;
	}
	if (ut > UINT64_MAX / 2 || st > UINT64_MAX / 2 - ut ||
	    ut + st > UINT64_MAX / (1000000000ull / (unsigned long long)hz + 1))
		return PYTOP_EINVAL;
	*cpu_ns = (ut + st) * (1000000000ull / (unsigned long long)hz);
	return 0;
}

int tasks_process_cpu(struct tasks *ts, uint64_t *cpu_ns)
{
	/* The process's CPU clock (any process's may be read): every thread's
	 * run time in ns, as schedstat counts it, for 0.5 us where the stat
	 * file takes 3 us (it formats 52 fields) and counts in ticks. */
	if (!ts->clock_tried) {
		ts->clock_tried = true;
		ts->clock_ok = clock_getcpuclockid(ts->pid, &ts->clock_id) == 0;
	}
	struct timespec now;
	if (ts->clock_ok && clock_gettime(ts->clock_id, &now) == 0) {
		*cpu_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
		return 0;
	}
	char buf[1024], path[64];
	if (ts->statfd < 0) {
		snprintf(path, sizeof path, "/proc/%d/stat", (int)ts->pid);
		if ((ts->statfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return PYTOP_EGONE;
	}
	ssize_t n = pread(ts->statfd, buf, sizeof buf - 1, 0);
	if (n <= 0) {
		close(ts->statfd);
		ts->statfd = -1;
		return PYTOP_EGONE;
	}
	buf[n] = 0;
	return tasks_parse_stat_cpu(buf, sysconf(_SC_CLK_TCK), cpu_ns);
}

int tasks_stat_cpu(pid_t pid, pid_t tid, uint64_t *cpu_ns)
{
	char buf[1024], path[80];

	if (tid)
		snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	else
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (smallfile_read(path, buf, sizeof buf) <= 0)
		return PYTOP_EGONE;
	return tasks_parse_stat_cpu(buf, sysconf(_SC_CLK_TCK), cpu_ns);
}

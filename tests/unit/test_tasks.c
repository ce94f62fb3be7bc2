/* test_tasks: parsing /proc/PID/task/TID/syscall lines, and reading the
 * real file of a thread of this very process. Every wait for another thread
 * (to start, to block, to be released by the kernel after pthread_join) is
 * a wait for that condition with a deadline (tap_wait), never a fixed sleep. */
#include <pthread.h>
#include <sched.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "process/launch.h"
#include "process/proc.h"
#include "process/switchpage.h"
#include "process/tasks.h"
#include "tap.h"
#include "util/fdlimit.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile pid_t sleeper_tid;
static volatile int go;

/* Seconds to wait for a thread to start, block or be gone. */
#define DEADLINE 5.0

static void *sleeper(void *arg)
{
	(void)arg;
	sleeper_tid = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&mu);
	while (!go)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* Start the sleeper; whether it ran (set its tid) within DEADLINE. */
static int start_sleeper(pthread_t *th)
{
	int held;

	go = 0;
	sleeper_tid = 0;
	pthread_create(th, NULL, sleeper, NULL);
	tap_wait(held, sleeper_tid != 0, DEADLINE);
	return held;
}

/* Let the sleeper return, and join it. */
static void end_sleeper(pthread_t th)
{
	pthread_mutex_lock(&mu);
	go = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
}

/* Use some CPU on this thread. */
static void burn(unsigned long n)
{
	for (volatile unsigned long i = 0; i < n; i++)
		;
}

/* A thread that waits to be poked, burns some CPU each time (counting
 * the pokes it served), and ends when go is set. */
static volatile int pokes, served;
static volatile pid_t poked_tid;

static void *poked(void *arg)
{
	(void)arg;
	poked_tid = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&mu);
	while (!go) {
		if (served < pokes) {
			pthread_mutex_unlock(&mu);
			burn(5000000ul);
			pthread_mutex_lock(&mu);
			served++;
			pthread_cond_broadcast(&cv);
			continue;
		}
		pthread_cond_wait(&cv, &mu);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* Poke the poked thread and wait until it has served the poke (it ran). */
static void poke_and_wait(void)
{
	pthread_mutex_lock(&mu);
	pokes++;
	pthread_cond_broadcast(&cv);
	while (served < pokes)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

/* The switch page of a thread of this process (switchpage.c), and
 * tasks_cpu() skipping the schedstat file of a blocked thread on it. */
static void test_switch_pages(void)
{
	struct switchpage sp;
	pthread_t th;
	int held;

	go = 0;
	pokes = served = 0;
	poked_tid = 0;
	pthread_create(&th, NULL, poked, NULL);
	tap_wait(held, poked_tid != 0, DEADLINE);
	if (!held)
		tap_bail("the poked thread did not start in %.0f s", DEADLINE);
	struct tasks *ts = tasks_create(getpid());
	struct task_activity a;
	tap_wait(held, tasks_read(ts, poked_tid, &a) == 0 && !a.running && a.syscall == 202, DEADLINE);
	int rc = switchpage_open(&sp, poked_tid);
	if (rc == PYTOP_EPERM) {
		/* Not root and perf_event_paranoid above 2, or no perf here. */
		for (int i = 0; i < 6; i++)
			printf("ok %d # SKIP switch pages: perf events not allowed here\n", ++tap_n);
	} else {
		uint32_t s1 = 1, s2 = 2, s3 = 3;
		struct timespec interval = { 0, 20000000 };
		bool read1 = switchpage_stamp(&sp, &s1);
		nanosleep(&interval, NULL);   /* an interval to look over, not a synchronisation */
		bool read2 = switchpage_stamp(&sp, &s2);
		tap_ok(rc == 0 && held && read1 && read2 && s1 == s2 && !(s1 & 1),
		       "switch page: a blocked thread's page does not move (%u, %u)", s1, s2);
		poke_and_wait();
		bool read3 = switchpage_stamp(&sp, &s3);
		tap_ok(read3 && s3 != s2, "switch page: it moves once the thread ran (%u -> %u)", s2, s3);
		switchpage_close(&sp);
		tap_ok(sp.fd == -1 && sp.page == NULL && !switchpage_stamp(&sp, &s3), "switch page: closed, none");

		/* tasks_cpu: a baseline, a syscall reading that says blocked,
		 * then readings taken from the page without the file. */
		uint64_t total = 0, delta = 1, skipped = 0, wrong = 0, sum = 0;
		tasks_set_reuse(ts, true, false);
		tasks_set_pages(ts, true);
		tap_wait(held, tasks_cpu(ts, poked_tid, &total, &delta) >= 0 && tasks_read(ts, poked_tid, &a) == 0 &&
			 !a.running && a.syscall == 202, DEADLINE);
		/* A page only for a thread blocked through 4 readings (opening
		 * one costs far more than a reading). */
		uint64_t skipped0 = 0;
		for (int i = 0; i < 4; i++) {
			tasks_cpu(ts, poked_tid, &total, &delta);
			tasks_read(ts, poked_tid, &a);
		}
		tasks_page_counts(ts, &skipped0, &wrong);
		tasks_cpu(ts, poked_tid, &total, &delta);   /* opens the page, read */
		tasks_read(ts, poked_tid, &a);
		for (int i = 0; i < 5; i++) {
			tasks_cpu(ts, poked_tid, &total, &delta);
			sum += delta;
			tasks_read(ts, poked_tid, &a);
		}
		tasks_page_counts(ts, &skipped, &wrong);
		tap_ok(held && skipped0 == 0 && skipped == 5 && sum == 0 && a.syscall == 202,
		       "skip: a blocked thread that was not switched in is not read, once blocked through 4 readings "
		       "(%llu before, %llu of 5 skipped, %llu ns)", (unsigned long long)skipped0,
		       (unsigned long long)skipped, (unsigned long long)sum);
		poke_and_wait();
		rc = tasks_cpu(ts, poked_tid, &total, &delta);
		uint64_t skipped2 = 0;
		tasks_page_counts(ts, &skipped2, &wrong);
		tap_ok(rc == 1 && delta > 0 && skipped2 == skipped,
		       "skip: not once it was switched in: read, with its CPU time (%llu ns)", (unsigned long long)delta);
		/* Never more than 15 in a row: a thread gone, its tid reused,
		 * has a page that no longer moves. */
		tap_wait(held, tasks_read(ts, poked_tid, &a) == 0 && !a.running && a.syscall == 202 &&
			 tasks_cpu(ts, poked_tid, &total, &delta) >= 0, DEADLINE);
		tasks_page_counts(ts, &skipped, &wrong);
		for (int i = 0; i < 40; i++) {
			tasks_cpu(ts, poked_tid, &total, &delta);
			tasks_read(ts, poked_tid, &a);
		}
		tasks_page_counts(ts, &skipped2, &wrong);
		tap_ok(held && skipped2 - skipped >= 30 && skipped2 - skipped <= 38,
		       "skip: the file is read again at least every 16th reading (%llu of 40 skipped)",
		       (unsigned long long)(skipped2 - skipped));
	}
	end_sleeper(th);   /* it ends on go, as the sleeper does */
	tasks_destroy(ts);
}

/* perf events this process has open (its descriptors' links). */
static int perf_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[300], link[64];
	while (d && (e = readdir(d))) {
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		ssize_t len = readlink(path, link, sizeof link - 1);
		if (len > 0) {
			link[len] = 0;
			n += strstr(link, "perf_event") != NULL;
		}
	}
	if (d)
		closedir(d);
	return n;
}

/* A thread switched in between every two readings gets nothing from its
 * switch page and pays for it at each switch (perf work in the kernel:
 * two threads ping-ponging through queue.Queue made 21 % fewer round
 * trips under pytop -r 100 with pages than without): it is closed. */
static void test_pages_switchy(void)
{
	pthread_t th;
	int held, before = -1, after = -1, skipped = 0;

	go = 0;
	pokes = served = 0;
	poked_tid = 0;
	pthread_create(&th, NULL, poked, NULL);
	tap_wait(held, poked_tid != 0, DEADLINE);
	struct tasks *ts = tasks_create(getpid());
	struct task_activity a;
	uint64_t total, delta;
	tasks_set_reuse(ts, true, false);
	tasks_set_pages(ts, true);
	tap_wait(held, tasks_cpu(ts, poked_tid, &total, &delta) >= 0 && tasks_read(ts, poked_tid, &a) == 0 &&
		 !a.running && a.syscall == 202, DEADLINE);
	before = perf_fds();
	if (before == 0)
		skipped = 1;   /* perf events not allowed here */
	for (int i = 0; i < 12; i++) {
		poke_and_wait();
		tasks_cpu(ts, poked_tid, &total, &delta);
		tasks_read(ts, poked_tid, &a);
	}
	after = perf_fds();
	end_sleeper(th);   /* it ends on go, as the sleeper does */
	tasks_destroy(ts);
	if (skipped)
		printf("ok %d # SKIP switch pages: perf events not allowed here\n", ++tap_n);
	else
		tap_ok(held && before == 1 && after == 0,
		       "a thread switched in between every two readings has its switch page closed (%d -> %d events)",
		       before, after);
}

/* Threads parked on many_cv until many_go, for test_pages_fd_limit. */
#define MANY 28
static pthread_cond_t many_cv = PTHREAD_COND_INITIALIZER;
static volatile int many_go, many_up;
static volatile pid_t many_tids[MANY];

static void *many_thread(void *arg)
{
	int i = (int)(intptr_t)arg;
	pthread_mutex_lock(&mu);
	many_tids[i] = (pid_t)syscall(SYS_gettid);
	many_up++;
	while (!many_go)
		pthread_cond_wait(&many_cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* many_thread, for child_fd_limit: its tid through arg. */
static void *many_thread_fd(void *arg)
{
	pthread_mutex_lock(&mu);
	*(volatile pid_t *)arg = (pid_t)syscall(SYS_gettid);
	many_up++;
	while (!many_go)
		pthread_cond_wait(&many_cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* Switch pages take a descriptor each: under a low RLIMIT_NOFILE they
 * must not leave a thread without its syscall and schedstat files (that
 * thread read as gone, its CPU lost: pytop -r 100 under ulimit -n 1024
 * gave a spinning main thread 0 s of 2.9 beside 470 sleeping threads). */
static void test_pages_fd_limit(void)
{
	struct rlimit was, rl;
	pthread_t th[MANY];
	int held, bad = 0, started = 0;

	many_go = many_up = 0;
	for (int i = 0; i < MANY; i++)
		started += pthread_create(&th[i], NULL, many_thread, (void *)(intptr_t)i) == 0;
	tap_wait(held, many_up == started, DEADLINE);
	fdlimit_raise();   /* done (once) before the limit is lowered here */
	getrlimit(RLIMIT_NOFILE, &was);
	rl = was;
	/* Room for two files per thread and what this process has open,
	 * not for a third descriptor per thread. */
	rl.rlim_cur = 2 * MANY + 8;
	setrlimit(RLIMIT_NOFILE, &rl);
	struct tasks *ts = tasks_create(getpid());
	tasks_set_reuse(ts, true, false);
	tasks_set_pages(ts, true);
	/* Pages open for threads blocked through 4 readings, one per 10 ms:
	 * rounds 10 ms apart until every thread could have one. */
	uint64_t skipped = 0, wrong = 0;
	for (int round = 0; round < 4 + MANY + 8; round++) {
		for (int i = 0; i < started; i++) {
			uint64_t total, delta;
			struct task_activity a;
			bad += tasks_cpu(ts, many_tids[i], &total, &delta) < 0 || tasks_read(ts, many_tids[i], &a) < 0;
		}
		struct timespec pace = { 0, 10000000 };
		nanosleep(&pace, NULL);
	}
	tasks_page_counts(ts, &skipped, &wrong);
	tasks_destroy(ts);
	setrlimit(RLIMIT_NOFILE, &was);
	pthread_mutex_lock(&mu);
	many_go = 1;
	pthread_cond_broadcast(&many_cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	tap_ok(held && started == MANY && bad == 0,
	       "switch pages under RLIMIT_NOFILE %d: every one of %d threads still read (%d readings failed, "
	       "%llu skipped on pages)", 2 * MANY + 8, started, bad, (unsigned long long)skipped);
}

/* A child's findings, sent to the parent through a pipe: the descriptor
 * limit is set in a child (a hard limit lowered cannot be raised again). */
struct fd_report {
	int started;          /* threads made (MANY_FD sleepers and the spinner) */
	int bad_cpu, bad_read, bad_alive; /* readings that failed (read as gone) */
	uint64_t spin_ns;     /* the spinner's CPU deltas summed */
	uint64_t spin_clock_ns; /* its CPU clock over the same readings */
	uint64_t reopened;    /* tasks_reopened */
	int soft, hard;       /* the limit the child had */
	int open;             /* tasks_open_count at the end */
};

/* Run fn in a child with the RLIMIT_NOFILE soft and hard limits given; its
 * report, or false when it did not send one. */
static bool in_child(void (*fn)(struct fd_report *), rlim_t soft, rlim_t hard, struct fd_report *r)
{
	int p[2];
	memset(r, 0, sizeof *r);
	if (pipe(p) != 0)
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = { soft, hard };
		struct fd_report mine;
		memset(&mine, 0, sizeof mine);
		close(p[0]);
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			fn(&mine);
		ssize_t w = write(p[1], &mine, sizeof mine);
		_exit(w == (ssize_t)sizeof mine ? 0 : 1);
	}
	close(p[1]);
	ssize_t n = pid > 0 ? read(p[0], r, sizeof *r) : -1;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return n == (ssize_t)sizeof *r;
}

/* tasks_create raises the soft limit to the hard one; a program launched
 * after gets the soft limit as it was (select() breaks on descriptors of
 * 1024 and over). Before any other tasks_create: the raise is done once. */
static void child_raise(struct fd_report *r)
{
	struct rlimit rl;
	struct tasks *ts = tasks_create(getpid());
	getrlimit(RLIMIT_NOFILE, &rl);
	r->soft = (int)rl.rlim_cur;
	r->hard = (int)rl.rlim_max;
	int p[2];
	char err[200], buf[32] = "";
	char *argv[] = { "sh", "-c", "ulimit -n", NULL };
	if (pipe2(p, O_CLOEXEC) == 0) {
		pid_t pid = launch_start(argv, -1, p[1], -1, 0, err, sizeof err);
		close(p[1]);
		ssize_t n = pid > 0 ? read(p[0], buf, sizeof buf - 1) : -1;
		buf[n > 0 ? n : 0] = 0;
		close(p[0]);
		if (pid > 0)
			launch_wait(pid);
		r->started = atoi(buf);   /* the program's soft limit */
	}
	tasks_destroy(ts);
}

/* MANY_FD threads blocked, and a spinner made last (its files opened
 * last), under hard = soft = 1024: two files a thread do not fit. */
#define MANY_FD 1200
static volatile int spin_stop;
static volatile pid_t spin_tid;

static void *spinner(void *arg)
{
	(void)arg;
	spin_tid = (pid_t)syscall(SYS_gettid);
	while (!spin_stop)
		;
	return NULL;
}

static void child_fd_limit(struct fd_report *r)
{
	struct rlimit rl;
	static pthread_t th[MANY_FD + 1];
	static pid_t tids[MANY_FD + 1];
	static volatile pid_t ids[MANY_FD];
	pthread_attr_t attr;
	int held;

	getrlimit(RLIMIT_NOFILE, &rl);
	r->soft = (int)rl.rlim_cur;
	r->hard = (int)rl.rlim_max;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	many_go = many_up = 0;
	for (int i = 0; i < MANY_FD; i++)
		r->started += pthread_create(&th[i], &attr, many_thread_fd, (void *)&ids[i]) == 0;
	tap_wait(held, many_up == r->started, 30.0);
	r->started += pthread_create(&th[MANY_FD], &attr, spinner, NULL) == 0;
	tap_wait(held, spin_tid != 0, DEADLINE);
	for (int i = 0; i < MANY_FD; i++)
		tids[i] = ids[i];
	tids[MANY_FD] = spin_tid;
	clockid_t spin_clock;
	pthread_getcpuclockid(th[MANY_FD], &spin_clock);
	struct tasks *ts = tasks_create(getpid());
	tasks_set_reuse(ts, true, false);
	struct timespec c0, c1;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i <= MANY_FD; i++) {
			uint64_t total, delta;
			struct task_activity a;
			if (i == MANY_FD && round == 0)
				clock_gettime(spin_clock, &c0);
			int rc = tasks_cpu(ts, tids[i], &total, &delta);
			r->bad_cpu += rc < 0;
			if (i == MANY_FD && rc == 1)
				r->spin_ns += delta;
			if (i == MANY_FD && round == 2)
				clock_gettime(spin_clock, &c1);
			r->bad_read += tasks_read(ts, tids[i], &a) < 0;
			r->bad_alive += !tasks_alive(ts, tids[i]);
		}
		struct timespec pace = { 0, 150000000 };   /* an interval to measure over */
		nanosleep(&pace, NULL);
	}
	r->spin_clock_ns = (uint64_t)(c1.tv_sec - c0.tv_sec) * 1000000000ull + (uint64_t)c1.tv_nsec - (uint64_t)c0.tv_nsec;
	r->reopened = tasks_reopened(ts);
	r->open = tasks_open_count(ts);
	tasks_destroy(ts);
	/* (the threads end with the child's _exit) */
}

/* Every descriptor taken (pytop's other files ate the reserve): a thread
 * not read yet gets one from the least recently read thread's files, and
 * with none of ours left to close a reading fails as not done, never as
 * gone: liveness from the directory, the CPU reading kept for later. */
#define FULL_THREADS 20
static void child_fd_full(struct fd_report *r)
{
	static pthread_t th[FULL_THREADS];
	static volatile pid_t ids[FULL_THREADS];
	int held, fill[64], nfill = 0;
	uint64_t total, delta;
	struct task_activity a;

	many_go = many_up = 0;
	for (int i = 0; i < FULL_THREADS; i++)
		r->started += pthread_create(&th[i], NULL, many_thread_fd, (void *)&ids[i]) == 0;
	tap_wait(held, many_up == r->started, DEADLINE);
	struct tasks *ts = tasks_create(getpid());
	for (int i = 0; i < FULL_THREADS / 2; i++)
		r->bad_cpu += tasks_cpu(ts, ids[i], &total, &delta) < 0 || tasks_read(ts, ids[i], &a) < 0;
	while (nfill < 64 && (fill[nfill] = open("/dev/null", O_RDONLY)) >= 0)
		nfill++;
	/* Each of the others takes the files of one read before. */
	for (int i = FULL_THREADS / 2; i < FULL_THREADS; i++)
		r->bad_cpu += tasks_cpu(ts, ids[i], &total, &delta) < 0 || tasks_read(ts, ids[i], &a) < 0;
	for (int i = 0; i < FULL_THREADS; i++)
		r->bad_read += tasks_cpu(ts, ids[i], &total, &delta) != 1 || tasks_read(ts, ids[i], &a) < 0;
	r->open = tasks_open_count(ts);
	tasks_destroy(ts);
	/* None of ours to give back (swept: the readings stay, the files are
	 * closed): not done, the thread not gone. */
	ts = tasks_create(getpid());
	pid_t self = (pid_t)syscall(SYS_gettid);
	close(fill[--nfill]);
	tasks_cpu(ts, self, &total, &delta);   /* a baseline */
	tasks_sweep(ts);
	tasks_sweep(ts);
	r->spin_clock_ns = (uint64_t)tasks_open_count(ts);
	int refill = nfill;
	while (nfill < 64 && (fill[nfill] = open("/dev/null", O_RDONLY)) >= 0)
		nfill++;
	r->hard = nfill - refill;   /* (what the first table and the sweep gave back, filled again) */
	r->soft = tasks_read(ts, ids[0], &a);
	r->bad_alive = !tasks_alive(ts, ids[0]);
	int cpu_rc = tasks_cpu(ts, self, &total, &delta);
	struct timespec c0, c1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	burn(20000000ul);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	r->spin_ns = (uint64_t)(c1.tv_sec - c0.tv_sec) * 1000000000ull + (uint64_t)c1.tv_nsec - (uint64_t)c0.tv_nsec;
	for (int i = refill; i < nfill; i++)
		close(fill[i]);
	r->reopened = cpu_rc == PYTOP_EIO && tasks_cpu(ts, self, &total, &delta) == 1 ? delta : 0;
	tasks_destroy(ts);
}

/* A thread named as CPython names one (its first 15 bytes, even inside a
 * character), its kernel name read as pytop reads it. */
static char named_as[64];
static volatile pid_t named_tid;
static volatile int named_done;

static void *named(void *arg)
{
	char cut[16];
	(void)arg;
	memcpy(cut, named_as, 15);
	cut[15] = 0;
	pthread_setname_np(pthread_self(), cut);
	named_tid = (pid_t)syscall(SYS_gettid);
	while (!named_done)
		usleep(1000);
	return NULL;
}

static void test_comm_of(void)
{
	char comm[32];
	pthread_t th;
	bool held;

	tap_ok(proc_comm_of("Spawner", "Spawner") && proc_comm_of("abcdefghijklmnop", "abcdefghijklmno") &&
	       !proc_comm_of("abcdefghijklmnop", "abcdefghijklmnop") && !proc_comm_of("Spawner", "Spawne") &&
	       !proc_comm_of("Spawner-1", "Spawner"), "proc_comm_of: a name and its first 15 bytes");
	/* "Spawner-" and four e-acute: 16 bytes, the kernel keeps 15. */
	strcpy(named_as, "Spawner-\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	named_tid = 0;
	named_done = 0;
	if (pthread_create(&th, NULL, named, NULL) != 0) {
		tap_ok(false, "a thread named inside a character starts");
		return;
	}
	tap_wait(held, named_tid != 0, DEADLINE);
	int rc = held ? proc_task_comm(getpid(), named_tid, comm, sizeof comm) : -1;
	tap_ok(rc == 0 && proc_comm_of(named_as, comm) && strcmp(comm, "Spawner-\xc3\xa9\xc3\xa9\xc3\xa9") == 0,
	       "proc_comm_of: a kernel name cut inside a character is its name's (rc %d, comm \"%s\")", rc,
	       rc == 0 ? comm : "");
	named_done = 1;
	pthread_join(th, NULL);
}

/* Two spinners pinned to one CPU take turns on it: each is runnable and
 * waiting for the core about half the time. */
static volatile int pair_stop, pair_cpu;
#define CROWD 20
static volatile pid_t pair_tid[CROWD];

static void *pair_spinner(void *arg)
{
	int i = (int)(intptr_t)arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(pair_cpu, &set);
	sched_setaffinity(0, sizeof set, &set);
	pair_tid[i] = (pid_t)syscall(SYS_gettid);
	while (!pair_stop)
		;
	return NULL;
}

/* nspin spinners on CPU spin_cpu read from CPU reader_cpu, each round
 * burn_us long: two from another CPU, one of them waiting (read as off);
 * one from its own CPU, preempted by the reader (read as on). */
static void on_cpu_pair(int spin_cpu, int reader_cpu, int burn_us, int nspin)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(reader_cpu, &set);
	sched_setaffinity(0, sizeof set, &set);
	pthread_t th[2];
	int held;
	pair_stop = 0;
	pair_cpu = spin_cpu;
	pair_tid[0] = pair_tid[1] = 0;
	for (int i = 0; i < nspin; i++)
		pthread_create(&th[i], NULL, pair_spinner, (void *)(intptr_t)i);
	tap_wait(held, pair_tid[0] && (nspin < 2 || pair_tid[1]), DEADLINE);
	struct tasks *ts = tasks_create(getpid());
	int on = 0, off = 0;
	uint64_t total, delta;
	struct timespec ms = { 0, 1000000 };
	for (uint64_t round = 1; round <= 400; round++) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do
			clock_gettime(CLOCK_MONOTONIC, &t1);
		while ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) < burn_us * 1000L);
		tasks_cpu(ts, pair_tid[0], &total, &delta);
		if (tasks_on_cpu(ts, pair_tid[0], round))
			on++;
		else
			off++;
		nanosleep(&ms, NULL);
	}
	uint64_t reads = tasks_on_cpu_reads(ts);
	if (spin_cpu != reader_cpu) {
		tap_ok(held && on >= 4 && off >= 4 && reads > 100,
		       "two spinners on CPU %d read from CPU %d: one is seen on it (%d) and waiting for it (%d); "
		       "%llu sched files read", spin_cpu, reader_cpu, on, off, (unsigned long long)reads);
		tap_ok(tasks_contended(ts, pair_tid[0]),
		       "... and it counts as contended (waits for its core half the time)");
	}
	else
		tap_ok(held && on > off && reads > 100,
		       "a spinner and its reader on CPU %d: the spinner, preempted by the reader, reads as on "
		       "(%d on, %d off); %llu sched files read", spin_cpu, on, off, (unsigned long long)reads);
	pair_stop = 1;
	for (int i = 0; i < nspin; i++)
		pthread_join(th[i], NULL);
	tasks_destroy(ts);
}

static bool crowd_up(void)
{
	for (int i = 0; i < CROWD; i++)
		if (!pair_tid[i])
			return false;
	return true;
}

/* CROWD spinners on CPU 0 read from CPU 1, every one of them contended:
 * at most 4 sched files a round, and each thread told in its turn. With
 * `alternate`, the last one is asked every round and the others every
 * other round, by turns (as the sampler asks only about threads found
 * running): the last one is still told in its turn. */
static void on_cpu_crowd(bool alternate)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	sched_setaffinity(0, sizeof set, &set);
	pthread_t th[CROWD];
	int held, told[CROWD] = { 0 }, untold = 0, most = 0;
	pair_stop = 0;
	pair_cpu = 0;
	for (int i = 0; i < CROWD; i++)
		pair_tid[i] = 0;
	for (int i = 0; i < CROWD; i++)
		pthread_create(&th[i], NULL, pair_spinner, (void *)(intptr_t)i);
	tap_wait(held, crowd_up(), DEADLINE);
	struct tasks *ts = tasks_create(getpid());
	uint64_t total, delta;
	struct timespec ms = { 0, 1000000 };
	for (uint64_t round = 1; round <= 200; round++) {
		uint64_t before = tasks_on_cpu_reads(ts);
		for (int i = 0; i < CROWD; i++)
			tasks_cpu(ts, pair_tid[i], &total, &delta);
		for (int i = 0; i < CROWD; i++) {
			if (alternate && i < CROWD - 1 && (uint64_t)i % 2 != round % 2)
				continue;
			int rc = tasks_on_cpu(ts, pair_tid[i], round);
			told[i] += rc >= 0 && round > 100;
			untold += rc < 0 && round > 100;
		}
		int n = (int)(tasks_on_cpu_reads(ts) - before);
		most = n > most ? n : most;
		nanosleep(&ms, NULL);
	}
	int least = told[0];
	for (int i = 1; i < CROWD; i++)
		least = told[i] < least ? told[i] : least;
	if (!alternate)
		tap_ok(held && most <= 4 && untold > 0 && least >= 10,
		       "%d spinners waiting for one CPU: at most %d sched files a round (4 allowed), each thread told "
		       "at least %d times in 100 rounds, %d not told", CROWD, most, least, untold);
	else
		tap_ok(held && most <= 4 && untold > 0 && told[CROWD - 1] >= 5 && least >= 3,
		       "%d spinners waiting for one CPU, asked about every other round but the last one: at most %d "
		       "sched files a round, the last one told %d times in 100 rounds (each at least %d), %d not told",
		       CROWD, most, told[CROWD - 1], least, untold);
	pair_stop = 1;
	for (int i = 0; i < CROWD; i++)
		pthread_join(th[i], NULL);
	tasks_destroy(ts);
}

static void test_on_cpu(void)
{
	uint64_t start = 0, sw = 0;
	const char *sched =
		"python3 (1254, #threads: 2)\n"
		"-------------------------------------------------------------------\n"
		"se.exec_start                                :       1048937.907566\n"
		"se.vruntime                                  :        180437.861784\n"
		"se.sum_exec_runtime                          :           345.270525\n"
		"se.nr_migrations                             :                  209\n"
		"nr_switches                                  :                  954\n"
		"nr_voluntary_switches                        :                  835\n"
		"nr_involuntary_switches                      :                  119\n";
	tap_ok(tasks_parse_sched(sched, &start, &sw) == 0 && start == 1048937907566ull && sw == 954,
	       "sched: se.exec_start in ns and nr_switches (not nr_voluntary_switches)");
	tap_ok(tasks_parse_sched("se.exec_start : 12.34567\nnr_switches : 3\n", &start, &sw) < 0 &&
	       tasks_parse_sched("se.exec_start : 12.345678\n", &start, &sw) < 0 &&
	       tasks_parse_sched("nr_switches : 3\n", &start, &sw) < 0 &&
	       tasks_parse_sched("se.exec_start : x\nnr_switches : 3\n", &start, &sw) < 0 &&
	       tasks_parse_sched("se.exec_start : 99999999999999999.000000\nnr_switches : 3\n", &start, &sw) < 0,
	       "sched: a short fraction, a missing field, garbage and overflow are refused");
	uint64_t began = 2164656404964ull;
	tap_ok(tasks_stopped_by(began, began) && tasks_stopped_by(began - 20000, began) &&
	       tasks_stopped_by(began + 20000, began) && !tasks_stopped_by(began - 1000000, began) &&
	       !tasks_stopped_by(began + 206000000ull, began) && !tasks_stopped_by(0, began),
	       "sched: stopped by the reader only at its switch-in (30 us either way); another CPU's clock "
	       "206 ms ahead, a migrated thread's 0 are not");

	char path[64];
	snprintf(path, sizeof path, "/proc/%d/sched", (int)getpid());
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (access(path, R_OK) != 0 || cpus < 2) {
		tap_ok(1, "# SKIP no sched files (CONFIG_SCHED_DEBUG) or one CPU: on-CPU readings not tried");
		return;
	}
	/* Each CPU's clock (se.exec_start) differs from the others' by the
	 * steal and IRQ time it lost: spinners on CPU 0 read from CPU 1, and
	 * on CPU 1 read from CPU 0, one of the two with a clock ahead of the
	 * reader's (every reading of one waiting had said "on"). */
	for (int cpu = 0; cpu < 2; cpu++)
		on_cpu_pair(cpu, cpu ? 0 : 1, 0, 2);
	/* The reader on a spinner's CPU, a round 300 us long (the spinner
	 * waits for it): the spinner it preempted, on a CPU when the round
	 * began, reads as on. */
	on_cpu_pair(1, 1, 300, 1);
	on_cpu_crowd(false);
	on_cpu_crowd(true);
	struct tasks *ts = tasks_create(getpid());
	uint64_t total, delta;
	pid_t self = (pid_t)syscall(SYS_gettid);
	int self_on = 0;
	tasks_cpu(ts, self, &total, &delta);
	for (uint64_t round = 401; round <= 450; round++) {
		burn(200000ul);
		tasks_cpu(ts, self, &total, &delta);
		self_on += tasks_on_cpu(ts, self, round) == 1;
	}
	tap_ok(self_on == 50, "a thread reading itself (on a CPU, waited for one or not) reads as on it: %d of 50",
	       self_on);
	tap_ok(!tasks_contended(ts, 999999999), "a thread never read is not contended");
	tasks_destroy(ts);
	cpu_set_t set;
	CPU_ZERO(&set);
	for (int c = 0; c < cpus && c < CPU_SETSIZE; c++)
		CPU_SET(c, &set);
	sched_setaffinity(0, sizeof set, &set);
}

int main(void)
{
	struct task_activity a;
	struct fd_report rep;

	/* (a hard limit under 4096 here cannot be raised without privilege) */
	struct rlimit now;
	getrlimit(RLIMIT_NOFILE, &now);
	rlim_t hard = now.rlim_max == RLIM_INFINITY || now.rlim_max > 4096 ? 4096 : now.rlim_max;
	bool sent = in_child(child_raise, 256, hard, &rep);
	tap_ok(hard > 256 && sent && rep.soft == (int)hard && rep.hard == (int)hard && rep.started == 256,
	       "RLIMIT_NOFILE 256 (hard %d): tasks_create raises it to %d (hard %d), a program launched keeps %d",
	       (int)hard, rep.soft, rep.hard, rep.started);

	test_comm_of();
	test_on_cpu();
	tap_ok(tasks_parse("running\n", &a) == 0 && a.running && a.syscall == -1, "\"running\" is on CPU");
	tap_ok(tasks_parse("202 0x7f12aabb0010 0x80 0x0 0x0 0x0 0x0 0x7ffd5c2f0a28 0x7f12aa6d5f36\n", &a) == 0 &&
	       !a.running && a.syscall == 202 && a.arg0 == 0x7f12aabb0010ull,
	       "a futex wait gives its number and address");
	tap_ok(tasks_parse("230 0x1 0x0 0x7ffd5c2f0a30 0x0 0x0 0x0 0x7ffd5c2f0a18 0x7f12aa6a03c6\n", &a) == 0 &&
	       a.syscall == 230 && a.arg0 == 1, "clock_nanosleep is a blocking syscall");
	tap_ok(tasks_parse("202 0x7f12aabb0010 0x80 0x0 0x0 0x0 0x0 0x7ffd5c2f0a28 0x7f12aa6d5f36\n", &a) == 0 &&
	       a.args[0] == 0x7f12aabb0010ull && a.args[1] == 0x80 && a.args[2] == 0 && a.args[5] == 0 &&
	       a.sp == 0x7ffd5c2f0a28ull && a.pc == 0x7f12aa6d5f36ull,
	       "a call's six arguments, stack and instruction pointers");
	tap_ok(tasks_parse("219 0x7f2dad40c74 0x89 0x0 0x7f2d90acbd0 0x0 0xffffffff 0x7f2d90acaa0 0x7f2da6a3f16\n", &a) == 0 &&
	       a.syscall == 219 && a.args[3] == 0x7f2d90acbd0ull && a.args[5] == 0xffffffffull &&
	       a.sp == 0x7f2d90acaa0ull && a.pc == 0x7f2da6a3f16ull,
	       "restart_syscall keeps the interrupted call's arguments");
	tap_ok(tasks_parse("202 0x10 0x80\n", &a) == 0 && a.syscall == 202 && a.arg0 == 0x10 && a.args[1] == 0x80 &&
	       a.sp == 0 && a.pc == 0, "a cut line: no stack or instruction pointer");
	tap_ok(tasks_parse("202 0x10 0x0 0x0 0x0 0x0 0x0 0x1ffffffffffffffff 0x1\n", &a) == 0 && a.sp == 0 && a.pc == 0,
	       "a pointer over 64 bits is not taken");
	tap_ok(tasks_parse("running\n", &a) == 0 && a.running && a.sp == 0, "running: no pointers");
	tap_ok(tasks_parse("-1 0x7ffd5c2f0a18 0x7f12aa6a03c6\n", &a) == 0 && a.syscall == -1 && !a.running,
	       "-1 (blocked, not in a syscall) is not running");
	tap_ok(tasks_parse("-1 0x7ffd5c2f0a18 0x7f12aa6a03c6\n", &a) == 0 && a.sp == 0x7ffd5c2f0a18ull &&
	       a.pc == 0x7f12aa6a03c6ull && a.args[0] == 0, "-1: its stack and instruction pointers");
	tap_ok(tasks_parse("garbage", &a) < 0, "garbage is refused");
	uint64_t rt = 0;
	tap_ok(tasks_parse_schedstat("123456789 2000 7\n", &rt) == 0 && rt == 123456789ull, "schedstat: ns on CPU");
	tap_ok(tasks_parse_schedstat("x 1 2", &rt) < 0 && tasks_parse_schedstat("", &rt) < 0 &&
	       tasks_parse_schedstat("99999999999999999999999 1 2", &rt) < 0, "schedstat: garbage and overflow refused");

	pthread_t th;
	int held;
	held = start_sleeper(&th);
	if (!held)
		tap_bail("the sleeper thread did not start in %.0f s", DEADLINE);
	struct tasks *ts = tasks_create(getpid());
	/* It blocks in futex once it reaches pthread_cond_wait. */
	int rc;
	tap_wait(held, (rc = tasks_read(ts, sleeper_tid, &a)) == 0 && !a.running && a.syscall == 202, DEADLINE);
	tap_ok(held, "a thread waiting on a condition variable is in futex (rc %d, syscall %ld)", rc, (long)a.syscall);
	int rc2 = tasks_read(ts, sleeper_tid, &a);
	tap_ok(rc2 == 0 && a.syscall == 202, "the open file reads again");
	uint64_t total = 0, delta = 1;
	tap_ok(tasks_cpu(ts, sleeper_tid, &total, &delta) == 0 && delta == 0, "schedstat: the first reading is a baseline");
	/* An interval to measure over (not a synchronisation). */
	struct timespec interval = { 0, 20000000 };
	nanosleep(&interval, NULL);
	tap_ok(tasks_cpu(ts, sleeper_tid, &total, &delta) == 1 && delta == 0,
	       "a blocked thread uses no CPU between two readings");
	pid_t self = (pid_t)syscall(SYS_gettid);
	tasks_cpu(ts, self, &total, &delta);
	burn(20000000ul);
	tap_ok(tasks_cpu(ts, self, &total, &delta) == 1 && delta > 0, "a busy thread's CPU time moves");
	/* Many threads' tids share the table: more than its probe window. */
	for (pid_t fake = 1; fake < 5000; fake += 7)
		tasks_read(ts, fake, &a);
	tap_ok(tasks_read(ts, sleeper_tid, &a) == 0 && a.syscall == 202, "still read after reads of many tids that are not threads");
	end_sleeper(th);
	/* pthread_join returns before the kernel has released the thread:
	 * wait for the condition, not for a time. */
	int gone;
	tap_wait(gone, tasks_read(ts, sleeper_tid, &a) < 0, DEADLINE);
	tap_ok(gone, "a thread that ended reads as gone");
	tap_ok(tasks_read(ts, 0, &a) < 0, "tid 0 is refused");
	tap_ok(tasks_started_before(ts, self) && tasks_started_before(ts, sleeper_tid),
	       "threads alive at tasks_create started before it");
	tasks_destroy(ts);

	/* A thread born after tasks_create: its first reading is all its
	 * CPU time since birth, and the caller can tell it is new. */
	ts = tasks_create(getpid());
	held = start_sleeper(&th);
	tap_ok(held && !tasks_started_before(ts, sleeper_tid), "a thread born after tasks_create is new");
	end_sleeper(th);

	/* /proc/PID/stat: utime+stime in ticks, comm may hold ") " */
	uint64_t pns = 0;
	tap_ok(tasks_parse_stat_cpu("42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 3 0 12345 "
				    "1000 10 18446744073709551615\n", 100, &pns) == 0 && pns == 1750000000ull,
	       "stat: utime 150 + stime 25 ticks at 100 Hz is 1.75 s, past a comm with \") \"");
	tap_ok(tasks_parse_stat_cpu("42 (a) S 1 2", 100, &pns) < 0 && tasks_parse_stat_cpu("no paren", 100, &pns) < 0 &&
	       tasks_parse_stat_cpu("1 (a) S 1 1 1 0 -1 0 0 0 0 0 99999999999999999999 0 0", 100, &pns) < 0,
	       "stat: short, garbage and overflow refused");
	uint64_t p1 = 0, p2 = 0;
	tap_ok(tasks_process_cpu(ts, &p1) == 0, "this process's CPU time reads");
	burn(200000000ul);
	tap_ok(tasks_process_cpu(ts, &p2) == 0 && p2 > p1, "it moves while this thread computes (%llu -> %llu ns)",
	       (unsigned long long)p1, (unsigned long long)p2);
	tasks_destroy(ts);

	/* The stat files read once (cpustat): the process and this thread. */
	uint64_t s1 = 0, t1 = 0;
	int read = tasks_stat_cpu(getpid(), 0, &s1) == 0 && tasks_stat_cpu(getpid(), self, &t1) == 0;
	/* The stat files count utime and stime in ticks (each cut down to
	 * one): up to two ticks under the CPU clock read before them. */
	uint64_t tick = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
	tap_ok(read && s1 + 2 * tick >= p2 && t1 > 0 && t1 <= s1, "stat cpu: the process's (%llu ns) and this thread's (%llu ns)",
	       (unsigned long long)s1, (unsigned long long)t1);
	tap_ok(tasks_stat_cpu(getpid(), 0x7ffffff0, &t1) < 0, "stat cpu: no such thread");

	/* Threads that end without being read again: their files are closed
	 * by the sweep; a live thread read in between keeps its file. */
	ts = tasks_create(getpid());
	for (int round = 0; round < 50; round++) {
		held = start_sleeper(&th);
		if (!held)
			tap_bail("sleeper %d did not start in %.0f s", round, DEADLINE);
		tasks_read(ts, sleeper_tid, &a);
		tasks_read(ts, self, &a);
		end_sleeper(th);
	}
	int before = tasks_open_count(ts);
	tasks_sweep(ts);              /* everything was read since creation */
	tasks_read(ts, self, &a);
	tasks_sweep(ts);              /* only self was read since the last sweep */
	int after = tasks_open_count(ts);
	tap_ok(before > 1 && after == 1, "sweep: %d files for 50 ended threads and one live, %d after", before, after);
	tap_ok(tasks_read(ts, self, &a) == 0 && tasks_open_count(ts) == 1, "sweep: the live thread still reads");
	tasks_sweep(ts);
	tasks_sweep(ts);
	tap_ok(tasks_open_count(ts) == 0, "sweep: nothing read for a whole sweep: no file open");
	tap_ok(tasks_read(ts, self, &a) == 0 && tasks_open_count(ts) == 1, "sweep: a swept thread reopens when read");
	tasks_destroy(ts);

	/* The sampler's share-out of ended threads' CPU: a thread missing
	 * from one walk of the thread-state list (torn by churn) is ended
	 * only when the kernel says so, and a CPU delta it read for a thread
	 * then not sampled is given back to that thread's next reading. */
	ts = tasks_create(getpid());
	held = start_sleeper(&th);
	if (!held)
		tap_bail("the sleeper thread did not start in %.0f s", DEADLINE);
	pid_t ended = sleeper_tid;
	tap_ok(tasks_alive(ts, self) && tasks_alive(ts, ended), "alive: this thread and a blocked one");
	end_sleeper(th);
	tap_wait(gone, !tasks_alive(ts, ended), DEADLINE);
	tap_ok(gone, "alive: a thread that ended is not");
	tap_ok(!tasks_alive(ts, 0) && !tasks_alive(ts, -1), "alive: tid 0 and -1 are not threads");
	{
		pid_t listed[8];
		int nl = tasks_list(ts, listed, 8);
		bool has_self = false, has_ended = false;
		for (int i = 0; i < nl && i < 8; i++) {
			has_self |= listed[i] == self;
			has_ended |= listed[i] == ended;
		}
		tap_ok(nl >= 1 && has_self && !has_ended, "list: this thread, not one that ended (%d listed)", nl);
		tap_ok(tasks_list(ts, listed, 0) == nl, "list: with no room it still counts them (%d)", nl);
	}
	{
		/* The allocation-free lister (the sampler's --blocking pause and
		 * tid calibration): a 64-byte buffer takes a call per entry or
		 * two, and lists what proc_tasks (sorted) lists. */
		pthread_t th2;
		pid_t into[16], sorted[16];
		char small[64];
		int ok2 = start_sleeper(&th2);
		int ni = proc_tasks_into(getpid(), small, sizeof small, into, 16);
		int ns = proc_tasks(getpid(), sorted, 16);
		int same = ni == ns && ni >= 2, asc = 1;
		for (int i = 0; i < ns; i++) {
			int found = 0;
			for (int k = 0; k < ni && k < 16; k++)
				found |= into[k] == sorted[i];
			same &= found;
			if (i)
				asc &= sorted[i - 1] < sorted[i];
		}
		tap_ok(ok2 && same && asc, "proc_tasks_into: a 64-byte buffer lists the %d threads proc_tasks "
		       "lists, that sorted (%d)", ni, ns);
		tap_ok(proc_tasks_into(getpid(), small, sizeof small, into, 1) == ni && proc_tasks(getpid(), sorted, 1) == 1,
		       "proc_tasks_into counts past max; proc_tasks stops at max");
		tap_ok(proc_tasks_into(getpid(), small, 16, into, 16) == PYTOP_EINVAL &&
		       proc_tasks_into(0x7ffffff0, small, sizeof small, into, 16) == PYTOP_ENOPROC,
		       "proc_tasks_into: a buffer too small and a process that is not there are errors");
		end_sleeper(th2);
	}
	tap_ok(tasks_exists(ts, self) && !tasks_exists(ts, ended) && !tasks_exists(ts, 1) &&
	       !tasks_exists(ts, 0) && !tasks_exists(ts, -1),
	       "exists: this thread; not one that ended, init's tid 1 (another process's), 0 or -1");
	uint64_t d1 = 0, d2 = 0, d3 = 0;
	tasks_cpu(ts, self, &total, &delta);
	burn(20000000ul);
	tasks_cpu(ts, self, &total, &d1);
	tap_ok(d1 > 0 && tasks_alive(ts, self), "alive: reading liveness between two CPU readings");
	tasks_cpu(ts, self, &total, &d2);    /* baseline after the check: nothing lost */
	tasks_cpu_unread(ts, self, d2);
	burn(20000000ul);
	tasks_cpu(ts, self, &total, &d1);
	tasks_cpu_unread(ts, self, d1);      /* not sent: the next reading covers it */
	rc = tasks_cpu(ts, self, &total, &d3);
	tap_ok(rc == 1 && d3 >= d1 && d1 > 0,
	       "unread: a delta given back is in the next one (%llu then %llu ns)", (unsigned long long)d1,
	       (unsigned long long)d3);
	tasks_cpu_unread(ts, self, UINT64_MAX);
	tap_ok(tasks_cpu(ts, self, &total, &d3) == 1 && d3 == total, "unread: more than was read gives back all of it");
	tasks_cpu_unread(ts, ended, 5);
	tasks_cpu_unread(ts, 0, 5);
	tap_ok(1, "unread: an unknown tid or tid 0 is ignored");
	tasks_destroy(ts);

	/* Reuse: a blocked thread that has not run keeps its reading; one
	 * that ran (or is running) is read again. */
	uint64_t pc = 0, wt = 0;
	tap_ok(tasks_parse_schedstat3("123 45 6\n", &rt, &wt, &pc) == 0 && rt == 123 && wt == 45 && pc == 6 &&
	       tasks_parse_schedstat3("123\n", &rt, &wt, &pc) == 0 && pc == UINT64_MAX && wt == 0,
	       "schedstat: time waiting for a core and times switched in, unknown without those fields");
	ts = tasks_create(getpid());
	tasks_set_reuse(ts, true, false);
	held = start_sleeper(&th);
	tap_wait(held, tasks_read(ts, sleeper_tid, &a) == 0 && !a.running && a.syscall == 202, DEADLINE);
	struct task_activity b;
	tasks_cpu(ts, sleeper_tid, &total, &delta);
	tasks_read(ts, sleeper_tid, &a);           /* read after a CPU reading */
	tasks_cpu(ts, sleeper_tid, &total, &delta);
	uint64_t before2 = tasks_reuses(ts);
	tap_ok(tasks_read(ts, sleeper_tid, &b) == 0 && tasks_reuses(ts) == before2 + 1 && b.syscall == a.syscall &&
	       b.arg0 == a.arg0, "reuse: a blocked thread whose schedstat did not change keeps its reading");
	tap_ok(tasks_read(ts, sleeper_tid, &b) == 0 && tasks_reuses(ts) == before2 + 1,
	       "reuse: not without a new CPU reading since the last reading");
	tap_ok(tasks_still(ts, sleeper_tid), "still: a blocked thread's schedstat reads as at its last reading");
	tasks_cpu(ts, self, &total, &delta);
	tasks_read(ts, self, &a);
	burn(20000000ul);   /* past a scheduler tick: a running thread's schedstat moves at ticks */
	tap_ok(!tasks_still(ts, self), "still: not a thread that ran since");
	tasks_cpu(ts, self, &total, &delta);
	before2 = tasks_reuses(ts);
	tap_ok(tasks_read(ts, self, &a) == 0 && tasks_reuses(ts) == before2,
	       "reuse: a thread that ran since is read again");
	end_sleeper(th);
	tasks_destroy(ts);
	test_switch_pages();
	test_pages_fd_limit();
	test_pages_switchy();
	sent = in_child(child_fd_limit, 1024, 1024, &rep);
	tap_ok(sent && rep.soft == 1024 && rep.hard == 1024 && rep.started == MANY_FD + 1 && !rep.bad_cpu &&
	       !rep.bad_read && !rep.bad_alive,
	       "RLIMIT_NOFILE 1024 (hard): none of %d threads reads as gone (%d CPU, %d state, %d liveness readings "
	       "failed; %llu readings reopened, %d threads with a file kept)", rep.started, rep.bad_cpu,
	       rep.bad_read, rep.bad_alive, (unsigned long long)rep.reopened, rep.open);
	/* schedstat is brought up to date at ticks and switches, the CPU
	 * clock at once: up to a tick apart at each end. */
	uint64_t slack = rep.spin_clock_ns / 10 + 20000000ull;
	tap_ok(sent && rep.spin_ns > 0 && rep.spin_ns + slack >= rep.spin_clock_ns &&
	       rep.spin_ns <= rep.spin_clock_ns + slack,
	       "RLIMIT_NOFILE 1024: the spinner made last has its CPU counted (%.1f ms, its clock %.1f ms)",
	       (double)rep.spin_ns / 1e6, (double)rep.spin_clock_ns / 1e6);
	tap_ok(sent && rep.reopened > 0, "RLIMIT_NOFILE 1024: readings without a descriptor kept are counted (%llu)",
	       (unsigned long long)rep.reopened);
	sent = in_child(child_fd_full, 64, 64, &rep);
	tap_ok(sent && rep.started == FULL_THREADS && !rep.bad_cpu && !rep.bad_read && rep.open > 0,
	       "every descriptor taken: %d threads still read, each taking the files of one read before it "
	       "(%d, %d readings failed; %d threads with a file open)", rep.started, rep.bad_cpu, rep.bad_read,
	       rep.open);
	/* (schedstat is brought up to date at ticks: a little under the clock) */
	tap_ok(sent && rep.spin_clock_ns == 0 && rep.hard > 0 && rep.soft == PYTOP_EIO && !rep.bad_alive &&
	       rep.reopened > 0 && rep.reopened + 20000000ull >= rep.spin_ns,
	       "none of ours to close: a reading fails as not done (rc %d, not gone), the thread is alive "
	       "(%s), and the CPU reading kept covers the time since (%.1f ms, its clock %.1f ms; %d filled again, "
	       "%d files open)", rep.soft, rep.bad_alive ? "no" : "yes", (double)rep.reopened / 1e6,
	       (double)rep.spin_ns / 1e6, rep.hard, (int)rep.spin_clock_ns);
	return tap_done();
}

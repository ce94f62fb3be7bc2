/* noalloc_shim: an LD_PRELOAD library for tests/live/test_noalloc.py that
 * counts the allocations of pytop's sampler thread in its steady state.
 *
 * The sampler is the thread that sleeps to an absolute deadline between
 * rounds (clock_nanosleep with TIMER_ABSTIME; without --gilstat no other
 * pytop thread does) and, with --blocking, stops the target every round
 * (PTRACE_INTERRUPT; the main thread's one probe in pause_create is all it
 * sends). A thread is "warm" once it has done those WARM_ROUNDS times
 * together (start-up over: a round that runs late does not sleep); every
 * malloc, calloc, realloc or aligned
 * allocation it makes after that is counted, and the first few are kept as
 * backtraces. Its ptrace calls are counted too (with --blocking the sampler
 * stops the target every round). At exit the shim writes, to the file
 * $NOALLOC_REPORT, one line per warm thread:
 *   thread TID marks N ptrace P mallocs M
 * then the backtraces (backtrace_symbols_fd). It allocates nothing itself
 * while counting (the unwinder is loaded in the constructor). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WARM_ROUNDS 100
#define MAX_THREADS 8
#define MAX_TRACES 8
#define TRACE_DEPTH 24

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);
void *memalign(size_t align, size_t size);

struct warm {
	_Atomic int tid;
	_Atomic unsigned long rounds;
	_Atomic unsigned long ptraces;
	_Atomic unsigned long mallocs;
};

static struct warm warm[MAX_THREADS];
static void *traces[MAX_TRACES][TRACE_DEPTH];
static int trace_len[MAX_TRACES];
static _Atomic int ntraces;
static long (*real_ptrace)(int, pid_t, void *, void *);
static int (*real_clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);

static __thread __attribute__((tls_model("initial-exec"))) struct warm *mine;
static __thread __attribute__((tls_model("initial-exec"))) unsigned long marks, ptraces;
static __thread __attribute__((tls_model("initial-exec"))) int inside;

static void count(void)
{
	if (!mine || inside)
		return;
	inside = 1;
	atomic_fetch_add(&mine->mallocs, 1);
	int k = atomic_fetch_add(&ntraces, 1);
	if (k < MAX_TRACES)
		trace_len[k] = backtrace(traces[k], TRACE_DEPTH);
	inside = 0;
}

void *malloc(size_t size)
{
	count();
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	count();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	count();
	return __libc_realloc(p, size);
}

void *memalign(size_t align, size_t size)
{
	count();
	return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	count();
	return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	count();
	void *p = __libc_memalign(align, size);
	if (!p)
		return 12;   /* ENOMEM */
	*out = p;
	return 0;
}

/* One more round marker of this thread (a deadline sleep or an interrupt):
 * at WARM_ROUNDS it takes a report line and its allocations count. */
static void mark(void)
{
	if (++marks == WARM_ROUNDS && !mine) {
		for (int i = 0; i < MAX_THREADS; i++) {
			int none = 0;
			if (atomic_compare_exchange_strong(&warm[i].tid, &none, (int)syscall(SYS_gettid))) {
				mine = &warm[i];
				break;
			}
		}
	}
	if (mine) {
		atomic_store(&mine->rounds, marks);
		atomic_store(&mine->ptraces, ptraces);
	}
}

long ptrace(enum __ptrace_request req, ...)
{
	va_list ap;
	va_start(ap, req);
	pid_t pid = va_arg(ap, pid_t);
	void *addr = va_arg(ap, void *);
	void *data = va_arg(ap, void *);
	va_end(ap);
	ptraces++;
	if (req == PTRACE_INTERRUPT)
		mark();
	else if (mine)
		atomic_store(&mine->ptraces, ptraces);
	return real_ptrace((int)req, pid, addr, data);
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req, struct timespec *rem)
{
	if (flags & TIMER_ABSTIME)
		mark();
	return real_clock_nanosleep(clock, flags, req, rem);
}

__attribute__((constructor)) static void shim_init(void)
{
	void *probe[2];
	real_ptrace = (long (*)(int, pid_t, void *, void *))dlsym(RTLD_NEXT, "ptrace");
	real_clock_nanosleep = (int (*)(clockid_t, int, const struct timespec *, struct timespec *))
		dlsym(RTLD_NEXT, "clock_nanosleep");
	backtrace(probe, 2);   /* loads the unwinder now, not while counting */
}

__attribute__((destructor)) static void shim_report(void)
{
	const char *path = getenv("NOALLOC_REPORT");
	char line[128];
	if (!path)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	for (int i = 0; i < MAX_THREADS; i++) {
		if (!atomic_load(&warm[i].tid))
			continue;
		int len = snprintf(line, sizeof line, "thread %d marks %lu ptrace %lu mallocs %lu\n",
				   atomic_load(&warm[i].tid), atomic_load(&warm[i].rounds),
				   atomic_load(&warm[i].ptraces), atomic_load(&warm[i].mallocs));
		if (write(fd, line, (size_t)len) < 0)
			break;
	}
	int n = atomic_load(&ntraces);
	for (int k = 0; k < n && k < MAX_TRACES; k++) {
		int len = snprintf(line, sizeof line, "trace %d:\n", k);
		if (write(fd, line, (size_t)len) < 0)
			break;
		backtrace_symbols_fd(traces[k], trace_len[k], fd);
	}
	close(fd);
}

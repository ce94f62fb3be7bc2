/* floor: what the system calls a sampler of another process cannot avoid
 * cost on this machine, in CPU microseconds each (the calling thread's own
 * CPU clock, so time spent waiting for a CPU does not count): a timed
 * wake-up at 1 kHz and 10 kHz (absolute deadlines, 1 us timer slack), a
 * process_vm_readv of one and of three small spans of a child, and a pread
 * of the child's kept-open /proc/PID/task/TID/syscall and schedstat files;
 * and the first memory read and schedstat read after each wake-up of a
 * 1 kHz loop, against the same calls made again at once (cold caches).
 * bench/README.md ("The floor on this machine") turns them into the least
 * a round and a thread-sample can cost here.
 *
 *     cc -O2 -o /tmp/floor bench/floor.c && /tmp/floor [--json] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* CPU us per wake-up of an absolute-deadline loop with the given period;
 * *ontime: the share of wake-ups before the next deadline. */
static double wakes(long period_ns, int n, double *ontime)
{
	struct timespec next;
	int late = 0;
	clock_gettime(CLOCK_MONOTONIC, &next);
	double c0 = cpu_us();
	for (int i = 0; i < n; i++) {
		next.tv_nsec += period_ns;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (now_ns() > next.tv_sec * 1e9 + next.tv_nsec + period_ns)
			late++;
	}
	*ontime = 1.0 - (double)late / n;
	return (cpu_us() - c0) / n;
}

/* The first process_vm_readv and schedstat pread after each wake-up of a
 * 1 kHz loop, each on its own CPU clock (*first_readv, *first_pread), and
 * the same calls made again at once (*again_readv, *again_pread): a round
 * starts with its caches and TLB cold, which the tight loops above hide. */
static void after_wake(pid_t child, struct iovec *l, struct iovec *r, int cfd, int n, double *first_readv,
		       double *again_readv, double *first_pread, double *again_pread)
{
	char buf[256];
	double t[4] = { 0, 0, 0, 0 };
	for (int i = 0; i < n; i++) {
		struct timespec ms = { 0, 1000000L };
		nanosleep(&ms, NULL);
		for (int j = 0; j < 2; j++) {
			double c0 = cpu_us();
			if (process_vm_readv(child, l, 1, r, 1, 0) != 512)
				perror("process_vm_readv");
			t[j] += cpu_us() - c0;
		}
		for (int j = 2; j < 4; j++) {
			double c0 = cpu_us();
			if (pread(cfd, buf, sizeof buf, 0) <= 0)
				perror("pread schedstat");
			t[j] += cpu_us() - c0;
		}
	}
	*first_readv = t[0] / n;
	*again_readv = t[1] / n;
	*first_pread = t[2] / n;
	*again_pread = t[3] / n;
}

static char target_buf[3][4096];

int main(int argc, char **argv)
{
	int json = argc > 1 && strcmp(argv[1], "--json") == 0;
	int n = 20000;
	memset(target_buf, 7, sizeof target_buf);
	pid_t child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", child, child);
	int sfd = open(path, O_RDONLY);
	snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", child, child);
	int cfd = open(path, O_RDONLY);
	if (sfd < 0 || cfd < 0) {
		perror("floor: open");
		kill(child, SIGKILL);
		return 1;
	}
	char local[3][512];
	struct iovec l1 = { local[0], 512 }, r1 = { target_buf[0], 512 };
	struct iovec l3[3] = { { local[0], 512 }, { local[1], 512 }, { local[2], 512 } };
	struct iovec r3[3] = { { target_buf[0], 512 }, { target_buf[1], 512 }, { target_buf[2], 512 } };

	double c0 = cpu_us();
	for (int i = 0; i < n; i++)
		if (process_vm_readv(child, &l1, 1, &r1, 1, 0) != 512)
			return perror("process_vm_readv"), 1;
	double readv1 = (cpu_us() - c0) / n;
	c0 = cpu_us();
	for (int i = 0; i < n; i++)
		if (process_vm_readv(child, l3, 3, r3, 3, 0) != 1536)
			return perror("process_vm_readv"), 1;
	double readv3 = (cpu_us() - c0) / n;
	c0 = cpu_us();
	for (int i = 0; i < n; i++)
		if (pread(sfd, buf, sizeof buf, 0) <= 0)
			return perror("pread syscall"), 1;
	double psys = (cpu_us() - c0) / n;
	c0 = cpu_us();
	for (int i = 0; i < n; i++)
		if (pread(cfd, buf, sizeof buf, 0) <= 0)
			return perror("pread schedstat"), 1;
	double psched = (cpu_us() - c0) / n;
	double fr, ar, fp, ap;
	after_wake(child, &l1, &r1, cfd, 2000, &fr, &ar, &fp, &ap);
	double on1, on10;
	double w1 = wakes(1000000L, 2000, &on1);
	double w10 = wakes(100000L, 20000, &on10);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);

	if (json)
		printf("{\"readv_1\": %.3f, \"readv_3\": %.3f, \"pread_syscall\": %.3f, \"pread_schedstat\": %.3f, "
		       "\"wake_1khz\": %.3f, \"wake_1khz_on_time\": %.4f, \"wake_10khz\": %.3f, \"wake_10khz_on_time\": %.4f, "
		       "\"readv_1_after_wake\": %.3f, \"readv_1_again\": %.3f, \"pread_schedstat_after_wake\": %.3f, "
		       "\"pread_schedstat_again\": %.3f}\n",
		       readv1, readv3, psys, psched, w1, on1, w10, on10, fr, ar, fp, ap);
	else
		printf("CPU us each: process_vm_readv 1 span %.2f, 3 spans %.2f; pread syscall %.2f, schedstat %.2f\n"
		       "wake-up at 1 kHz %.2f (%.1f%% on time), at 10 kHz %.2f (%.1f%% on time)\n"
		       "after a wake-up: process_vm_readv 1 span %.2f, then again %.2f; schedstat pread %.2f, then again %.2f\n",
		       readv1, readv3, psys, psched, w1, 100 * on1, w10, 100 * on10, fr, ar, fp, ap);
	return 0;
}

/* capture_seed: record what pytop reads from a live CPython process as a
 * fuzz input (fuzz_input.h). The process is stopped, attached and read the
 * way the fuzz harness reads a fake one (drive.c); every range the reads
 * touched is then copied once more, merged, into the segments.
 * Usage: capture_seed PID OUTFILE */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cpython/runtime.h"
#include "process/proc.h"
#include "tools/fuzz/drive.h"
#include "tools/fuzz/fuzz_input.h"

#define MERGE_GAP 64

struct range {
	uint64_t addr, end;
};

static struct range *ranges;
static size_t nranges, capranges;
static int logging;
static pid_t target;

/* process_vm_readv as pytop calls it, logging each remote range read. */
ssize_t process_vm_readv(pid_t pid, const struct iovec *local, unsigned long liovcnt,
			 const struct iovec *remote, unsigned long riovcnt, unsigned long flags)
{
	ssize_t got = syscall(SYS_process_vm_readv, pid, local, liovcnt, remote, riovcnt, flags);
	if (!logging || pid != target || got <= 0)
		return got;
	size_t left = (size_t)got;
	for (unsigned long i = 0; i < riovcnt && left; i++) {
		size_t n = remote[i].iov_len < left ? remote[i].iov_len : left;
		if (nranges == capranges) {
			capranges = capranges ? capranges * 2 : 1024;
			ranges = realloc(ranges, capranges * sizeof *ranges);
			if (!ranges)
				abort();
		}
		uint64_t a = (uint64_t)(uintptr_t)remote[i].iov_base;
		ranges[nranges++] = (struct range){ a, a + n };
		left -= n;
	}
	return got;
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void put_le(FILE *f, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		fputc((int)(v >> (8 * i) & 0xff), f);
}

int main(int argc, char **argv)
{
	struct py_target *t;
	char err[512];
	pid_t tids[64];

	if (argc != 3) {
		fprintf(stderr, "usage: capture_seed PID OUTFILE\n");
		return 2;
	}
	target = (pid_t)atoi(argv[1]);
	FILE *sink = fopen("/dev/null", "w"), *out = fopen(argv[2], "wb");
	if (!sink || !out) {
		perror("capture_seed");
		return 1;
	}
	kill(target, SIGSTOP);
	for (int i = 0; i < 200 && proc_task_state(target, target) != 'T'; i++)
		usleep(10000);
	int rc = pyrt_open(target, &t, err, sizeof err);
	if (rc < 0) {
		kill(target, SIGCONT);
		fclose(out);
		unlink(argv[2]);
		fprintf(stderr, "capture_seed: %s\n", err);
		return 1;
	}
	int ntids = proc_tasks(target, tids, 64);
	if (ntids > FUZZ_TIDS) {
		fprintf(stderr, "capture_seed: %d threads, the format keeps %d\n", ntids, FUZZ_TIDS);
		ntids = FUZZ_TIDS;
	}
	logging = 1;
	fuzz_drive(target, 0, 1, sink);
	fuzz_drive(target, 1, 1, sink);
	logging = 0;

	/* Header: the version byte (fuzz_version_minor()). */
	fputc(fuzz_version_byte(t->minor), out);
	fputc(t->micro, out);
	fputc(FUZZ_F_SAMPLER | (t->minor >= 11 ? FUZZ_F_PY_VERSION : 0), out);
	fputc(ntids < 0 ? 0 : ntids, out);
	for (int i = 0; i < FUZZ_TIDS; i++)
		put_le(out, i < ntids ? (uint64_t)tids[i] : 0, 4);
	put_le(out, t->runtime, 8);
	put_le(out, t->code_type, 8);
	qsort(ranges, nranges, sizeof *ranges, range_cmp);
	size_t total = 0, nseg = 0;
	for (size_t i = 0; i < nranges;) {
		uint64_t a = ranges[i].addr, e = ranges[i].end;
		for (i++; i < nranges && ranges[i].addr <= e + MERGE_GAP; i++)
			if (ranges[i].end > e)
				e = ranges[i].end;
		size_t len = (size_t)(e - a);
		unsigned char *buf = malloc(len);
		struct iovec l = { buf, len }, r = { (void *)(uintptr_t)a, len };
		ssize_t got = buf ? syscall(SYS_process_vm_readv, target, &l, 1, &r, 1, 0) : -1;
		if (got > 0) {
			put_le(out, a, 8);
			put_le(out, (uint64_t)got, 4);
			fwrite(buf, 1, (size_t)got, out);
			total += (size_t)got;
			nseg++;
		}
		free(buf);
	}
	kill(target, SIGCONT);
	printf("%s: Python %s, %zu segments, %zu bytes\n", argv[2], t->version, nseg, total);
	pyrt_close(t);
	return fclose(out) == 0 ? 0 : 1;
}

/* memory: process_vm_readv / process_vm_writev wrappers with error mapping. */
#include "process/memory.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "errors.h"

#define BATCH_MAX 256
#define COALESCE_GAP 2048          /* merge ranges less than this apart */
#define SPAN_MAX (16u << 10)       /* largest merged span */
#define SCRATCH_BYTES (64u << 10)
#define RUNS_MAX 8                 /* monotone runs merged; more: Shell sort */
#define FALLBACK 1                 /* readv_coalesced: use the plain batch */

static _Thread_local uint64_t syscalls;

static int map_errno(int e)
{
	if (e == ESRCH)
		return PYTOP_EGONE;
	if (e == EPERM || e == EACCES)
		return PYTOP_EPERM;
	return PYTOP_EREAD;
}

int mem_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };

	if (len == 0)
		return 0;
	if (addr == 0)
		return PYTOP_EREAD;
	syscalls++;
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return map_errno(errno);
	return (size_t)n == len ? 0 : PYTOP_EREAD;
}

/* The plain batch: one iovec per range, in order. */
static int readv_plain(pid_t pid, struct mem_iov *iov, int n)
{
	struct iovec local[BATCH_MAX], remote[BATCH_MAX];
	int done = 0;

	while (done < n) {
		int k = 0;
		size_t want = 0;
		while (done + k < n && k < BATCH_MAX) {
			struct mem_iov *v = &iov[done + k];
			if (v->addr == 0)
				break;
			local[k].iov_base = v->buf;
			local[k].iov_len = v->len;
			remote[k].iov_base = (void *)(uintptr_t)v->addr;
			remote[k].iov_len = v->len;
			want += v->len;
			k++;
		}
		if (k == 0)
			return done;
		syscalls++;
		ssize_t got = process_vm_readv(pid, local, (unsigned long)k, remote, (unsigned long)k, 0);
		if (got < 0) {
			if (errno == EFAULT)
				return done;
			return map_errno(errno);
		}
		if ((size_t)got == want) {
			done += k;
			continue;
		}
		/* Partial: count the complete leading ranges. */
		for (int i = 0; i < k && (size_t)got >= iov[done].len; i++) {
			got -= (ssize_t)iov[done].len;
			done++;
		}
		return done;
	}
	return done;
}

/* Coalesced batch: ranges that lie close together are fetched as one span
 * (the kernel pins pages per range, so fewer, larger ranges cost less), into
 * a scratch buffer, then copied out. Returns n, a negative error, or
 * FALLBACK when the plain batch should be used instead. */
static int readv_coalesced(pid_t pid, struct mem_iov *iov, int n)
{
	static _Thread_local unsigned char scratch[SCRATCH_BYTES];
	struct iovec local[BATCH_MAX], remote[BATCH_MAX];
	int order[BATCH_MAX], span_of[BATCH_MAX], nspans = 0;
	size_t offset[BATCH_MAX], used = 0;

	if (n > BATCH_MAX)
		return FALLBACK;
	/* Order the ranges by address. A batch is a few monotone runs (a
	 * frame chain descending through the data stack between the thread
	 * state, a C-stack frame and a code object): merged run by run, the
	 * smallest head first, in n x runs steps; with many runs a Shell sort. */
	for (int i = 0; i < n; i++)
		if (iov[i].addr == 0)
			return FALLBACK;
	int head[RUNS_MAX], last[RUNS_MAX], step[RUNS_MAX], nruns = 0;
	for (int i = 0; i < n && nruns <= RUNS_MAX;) {
		int j = i + 1, dir = 1;
		if (j < n && iov[j].addr < iov[i].addr)
			dir = -1;
		while (j < n && (dir > 0 ? iov[j].addr >= iov[j - 1].addr : iov[j].addr <= iov[j - 1].addr))
			j++;
		if (nruns < RUNS_MAX) {
			head[nruns] = dir > 0 ? i : j - 1;
			last[nruns] = dir > 0 ? j - 1 : i;
			step[nruns] = dir;
		}
		nruns++;
		i = j;
	}
	if (nruns <= RUNS_MAX) {
		for (int k = 0; k < n; k++) {
			int best = -1;
			for (int r = 0; r < nruns; r++)
				if (head[r] >= 0 && (best < 0 || iov[head[r]].addr < iov[head[best]].addr))
					best = r;
			order[k] = head[best];
			head[best] = head[best] == last[best] ? -1 : head[best] + step[best];
		}
	} else {
		/* A Shell sort: long chains (deep stacks) come in runs of either
		 * order, which an insertion sort would take n^2/2 steps for. */
		static const int gaps[] = { 57, 23, 10, 4, 1 };
		for (int i = 0; i < n; i++)
			order[i] = i;
		for (int g = 0; g < 5; g++) {
			int gap = gaps[g];
			for (int i = gap; i < n; i++) {
				int v = order[i], j = i;
				while (j >= gap && iov[order[j - gap]].addr > iov[v].addr) {
					order[j] = order[j - gap];
					j -= gap;
				}
				order[j] = v;
			}
		}
	}
	uint64_t start = 0, end = 0;
	for (int k = 0; k < n; k++) {
		struct mem_iov *v = &iov[order[k]];
		uint64_t vend;
		if (__builtin_add_overflow(v->addr, (uint64_t)v->len, &vend))
			return FALLBACK;   /* wraps: the plain batch lets the kernel refuse it */
		if (nspans > 0 && v->addr <= end + COALESCE_GAP && vend - start <= SPAN_MAX) {
			if (vend > end)
				end = vend;
		} else {
			if (nspans > 0) {
				remote[nspans - 1].iov_len = (size_t)(end - start);
				used += (size_t)(end - start);
			}
			if (nspans == BATCH_MAX)
				return FALLBACK;
			start = v->addr;
			end = vend;
			remote[nspans].iov_base = (void *)(uintptr_t)start;
			nspans++;
		}
		span_of[order[k]] = nspans - 1;
		offset[order[k]] = (size_t)(v->addr - start);
	}
	remote[nspans - 1].iov_len = (size_t)(end - start);
	used += (size_t)(end - start);
	if (used > SCRATCH_BYTES || nspans == n)
		return FALLBACK;   /* too big, or nothing to merge */
	size_t pos = 0;
	size_t base[BATCH_MAX];
	for (int s = 0; s < nspans; s++) {
		base[s] = pos;
		local[s].iov_base = scratch + pos;
		local[s].iov_len = remote[s].iov_len;
		pos += remote[s].iov_len;
	}
	syscalls++;
	ssize_t got = process_vm_readv(pid, local, (unsigned long)nspans, remote, (unsigned long)nspans, 0);
	if (got < 0 && errno != EFAULT)
		return map_errno(errno);
	if (got != (ssize_t)used)
		return FALLBACK;   /* a span crossed unmapped memory: read range by range */
	for (int i = 0; i < n; i++)
		memcpy(iov[i].buf, scratch + base[span_of[i]] + offset[i], iov[i].len);
	return n;
}

int mem_readv(pid_t pid, struct mem_iov *iov, int n)
{
	int rc = n > 1 ? readv_coalesced(pid, iov, n) : FALLBACK;
	if (rc == FALLBACK)
		rc = readv_plain(pid, iov, n);
	return rc;
}

int mem_writev(pid_t pid, const struct mem_iov *iov, int n)
{
	struct iovec local[64], remote[64];
	size_t want = 0;

	if (n < 0 || n > 64)
		return PYTOP_EINVAL;
	for (int i = 0; i < n; i++) {
		if (iov[i].addr == 0)
			return PYTOP_EINVAL;
		local[i].iov_base = iov[i].buf;
		local[i].iov_len = iov[i].len;
		remote[i].iov_base = (void *)(uintptr_t)iov[i].addr;
		remote[i].iov_len = iov[i].len;
		want += iov[i].len;
	}
	if (want == 0)
		return 0;
	ssize_t got = process_vm_writev(pid, local, (unsigned long)n, remote, (unsigned long)n, 0);
	if (got < 0)
		return map_errno(errno);
	return (size_t)got == want ? 0 : PYTOP_EREAD;
}

int mem_read_ptr(pid_t pid, uint64_t addr, uint64_t *out)
{
	return mem_read(pid, addr, out, sizeof *out);
}

uint64_t mem_syscalls(void)
{
	return syscalls;
}

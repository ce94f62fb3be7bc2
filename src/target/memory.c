/* memory: process_vm_readv wrappers with error mapping. */
#include "target/memory.h"

#include <errno.h>
#include <sys/uio.h>

#include "errors.h"

#define BATCH_MAX 256

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

int mem_readv(pid_t pid, struct mem_iov *iov, int n)
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

int mem_read_ptr(pid_t pid, uint64_t addr, uint64_t *out)
{
	return mem_read(pid, addr, out, sizeof *out);
}

uint64_t mem_syscalls(void)
{
	return syscalls;
}

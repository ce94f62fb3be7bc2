/* memory: reading another process's memory with process_vm_readv, one range
 * or a batch of ranges per system call, and writing it (process_vm_writev:
 * only the injector writes, src/agent/pending.c). */
#ifndef PYTOP_PROCESS_MEMORY_H
#define PYTOP_PROCESS_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One range of a batched read. */
struct mem_iov {
	uint64_t addr;
	void *buf;
	size_t len;
};

/* Read len bytes at addr; 0 or a negative error (EGONE, EPERM, EREAD). */
int mem_read(pid_t pid, uint64_t addr, void *buf, size_t len);

/* Read a batch of ranges in as few system calls as possible; returns how
 * many leading ranges were read completely (a range that fails stops the
 * batch), or a negative error when the process is gone or forbidden. */
int mem_readv(pid_t pid, struct mem_iov *iov, int n);

/* Read every range of the batch that can be read whole, in as few system
 * calls as possible; a range that cannot (one of its pages unmapped or
 * unreadable) gets len 0, its buffer undefined. Ranges are given with
 * len > 0. Returns how many were read, or a negative error when the
 * process is gone or forbidden. */
int mem_readv_each(pid_t pid, struct mem_iov *iov, int n);

/* Read a pointer-sized value at addr. */
int mem_read_ptr(pid_t pid, uint64_t addr, uint64_t *out);

/* Write the ranges iov[0..n) (at most 64) in ONE process_vm_writev call, in
 * order: 0 when every byte was written, else a negative error (EGONE,
 * EPERM, EREAD: a range is not mapped writable). A call cut short leaves a
 * prefix of the ranges written: callers order them so that each prefix is
 * harmless. */
int mem_writev(pid_t pid, const struct mem_iov *iov, int n);

/* How many process_vm_readv calls this thread has made (for benchmarks). */
uint64_t mem_syscalls(void);

#endif

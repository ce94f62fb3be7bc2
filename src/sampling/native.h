/* native: unwinding the C stack of a target's thread stopped by ptrace
 * (process/pause.h), with libunwind-ptrace: one address space per target
 * (its unwind-rule cache global, kept across samples), one UPT context per
 * thread made at its first unwind, registers read with one PTRACE_GETREGS
 * and stack memory in page blocks with process_vm_readv. Every call must
 * come from the thread that stopped the threads. */
#ifndef PYTOP_SAMPLING_NATIVE_H
#define PYTOP_SAMPLING_NATIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The one-line error when --native cannot ptrace process pid (why: the
 * reason pause_create() gave, optional form) into err. */
void native_refused(char *err, size_t errcap, pid_t pid, const char *why);

/* Native frames kept per thread (deeper stacks are cut: partial). */
#define NATIVE_MAX_DEPTH 128
/* The most words of the stack, and the widest span of it, an unwind may
 * have read to be kept for reuse (native_slots_same()). */
#define NATIVE_READS_MAX 512
#define REGION_MAX (256u << 10)

struct native;

/* For process pid (allocates all its working memory). */
struct native *native_create(pid_t pid);

/* Find the unwind tables of every executable mapping and make the
 * contexts of every thread now (from any thread, before sampling), so the
 * sampler's unwinds allocate only for mappings and threads made later. */
void native_preload(struct native *n);

/* Free it and every thread's context (safe with NULL). */
void native_destroy(struct native *n);

/* The stopped thread tid's instruction pointers, innermost first, into
 * ips[0..max): the first the thread's own, the others return addresses.
 * Returns how many, or a negative error (the thread's registers cannot be
 * read: it vanished or is not stopped by this thread). *partial is set
 * when the unwind ended early or went through code without unwind
 * information (libunwind then guesses from the frame pointer: the frames
 * from there on may be wrong), an unreadable stack, or max reached. The first unwind of a thread allocates (its UPT
 * context, libunwind's own); later ones do not, but for libunwind reading
 * the unwind tables of code it has not cached yet. */
int native_unwind(struct native *n, pid_t tid, uint64_t *ips, int max, bool *partial);

/* What the last native_unwind() (of a thread stopped in or at a system
 * call) can be known again by without stopping the thread: the call as
 * /proc/PID/task/TID/syscall shows it (its number, arguments, the user
 * stack and instruction pointers), and every word of its memory the unwind
 * read (with the same inputs libunwind gives the same frames; an unwind
 * that read a register other than rip and rsp cannot be known again). */
struct native_call {
	bool known;               /* the thread was stopped in a system call (else nothing below) */
	long nr;
	uint64_t args[6], sp, pc;
	int n;                    /* frames the unwind gave */
	int nrd;                  /* the words of the stack the unwind read (all it read of the */
	uint64_t rd_lo;           /* thread but its registers rip and rsp), */
	size_t rd_len;            /* ... the span they lie in, */
	uint64_t rd_addr[NATIVE_READS_MAX], rd_val[NATIVE_READS_MAX];   /* ... and what they held */
};

/* The last unwind's call, if it stopped the thread in one (x86-64 only). */
void native_last_call(const struct native *n, struct native_call *out);

/* Whether the words of the stack the unwind of call read (finding ips)
 * hold what they held then (one process_vm_readv of their span, up to
 * REGION_MAX bytes; false when it cannot be read or any differs). */
bool native_slots_same(struct native *n, const struct native_call *call, const uint64_t *ips);

/* Drop the contexts of threads not unwound since the previous sweep that
 * ended (one tgkill(0) each). */
void native_sweep(struct native *n);

#endif

/* native: libunwind-ptrace unwinds of stopped threads. */
#include "sampling/native.h"

#include <errno.h>
#include <libunwind-ptrace.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "errors.h"

#define CTX_MAX 1024           /* threads with a UPT context at once */
#define BLOCK_SIZE 4096        /* memory read in page blocks */
#define BLOCKS 16              /* blocks cached per unwind (direct-mapped) */
#define RS_CACHE_SIZE 4096     /* libunwind's unwind-rule cache (entries) */

struct ctx {
	pid_t tid;
	bool used;                 /* unwound since the last sweep */
	void *upt;
};

struct native {
	pid_t pid;
	unw_addr_space_t as;
	unw_accessors_t acc;
	struct ctx ctx[CTX_MAX];
	int nctx;
	/* The thread being unwound: its registers and its memory's blocks. */
	pid_t tid;
#if defined(__x86_64__)
	struct user_regs_struct regs;
#endif
	uint64_t block_at[BLOCKS];   /* address + 1 of the block in each slot (0: empty) */
	unsigned char (*block)[BLOCK_SIZE];
};

/* The unwind in progress (the accessors get the UPT context as argument). */
static _Thread_local struct native *current;

/* Memory through the page-block cache; writes (libunwind makes none to
 * unwind) and reads the cache cannot serve go to the UPT accessor. */
static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	struct native *n = current;
	if (write || !n || (addr & 7) || addr > UINT64_MAX - 8)
		return _UPT_access_mem(as, addr, val, write, arg);
	uint64_t base = addr & ~(uint64_t)(BLOCK_SIZE - 1);
	unsigned slot = (unsigned)(base / BLOCK_SIZE) & (BLOCKS - 1);
	if (n->block_at[slot] != base + 1) {
		struct iovec local = { n->block[slot], BLOCK_SIZE }, remote = { (void *)(uintptr_t)base, BLOCK_SIZE };
		n->block_at[slot] = 0;
		if (process_vm_readv(n->pid, &local, 1, &remote, 1, 0) != BLOCK_SIZE)
			return _UPT_access_mem(as, addr, val, write, arg);
		n->block_at[slot] = base + 1;
	}
	memcpy(val, n->block[slot] + (addr - base), sizeof *val);
	return 0;
}

#if defined(__x86_64__)
/* libunwind's x86-64 register numbers to struct user_regs_struct. */
static const size_t reg_offset[] = {
	[UNW_X86_64_RAX] = offsetof(struct user_regs_struct, rax),
	[UNW_X86_64_RDX] = offsetof(struct user_regs_struct, rdx),
	[UNW_X86_64_RCX] = offsetof(struct user_regs_struct, rcx),
	[UNW_X86_64_RBX] = offsetof(struct user_regs_struct, rbx),
	[UNW_X86_64_RSI] = offsetof(struct user_regs_struct, rsi),
	[UNW_X86_64_RDI] = offsetof(struct user_regs_struct, rdi),
	[UNW_X86_64_RBP] = offsetof(struct user_regs_struct, rbp),
	[UNW_X86_64_RSP] = offsetof(struct user_regs_struct, rsp),
	[UNW_X86_64_R8] = offsetof(struct user_regs_struct, r8),
	[UNW_X86_64_R9] = offsetof(struct user_regs_struct, r9),
	[UNW_X86_64_R10] = offsetof(struct user_regs_struct, r10),
	[UNW_X86_64_R11] = offsetof(struct user_regs_struct, r11),
	[UNW_X86_64_R12] = offsetof(struct user_regs_struct, r12),
	[UNW_X86_64_R13] = offsetof(struct user_regs_struct, r13),
	[UNW_X86_64_R14] = offsetof(struct user_regs_struct, r14),
	[UNW_X86_64_R15] = offsetof(struct user_regs_struct, r15),
	[UNW_X86_64_RIP] = offsetof(struct user_regs_struct, rip),
};

/* Registers from the one PTRACE_GETREGS of this unwind. */
static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
	struct native *n = current;
	if (write || !n || reg < 0 || (size_t)reg >= sizeof reg_offset / sizeof reg_offset[0])
		return _UPT_access_reg(as, reg, val, write, arg);
	memcpy(val, (const char *)&n->regs + reg_offset[reg], sizeof *val);
	return 0;
}
#endif

struct native *native_create(pid_t pid)
{
	struct native *n = xcalloc(1, sizeof *n);
	n->pid = pid;
	n->block = xcalloc(BLOCKS, sizeof *n->block);
	n->acc = _UPT_accessors;
	n->acc.access_mem = access_mem;
#if defined(__x86_64__)
	n->acc.access_reg = access_reg;
#endif
	n->as = unw_create_addr_space(&n->acc, 0);
	if (!n->as) {
		free(n->block);
		free(n);
		return NULL;
	}
	unw_set_caching_policy(n->as, UNW_CACHE_GLOBAL);
	unw_set_cache_size(n->as, RS_CACHE_SIZE, 0);
	return n;
}

void native_destroy(struct native *n)
{
	if (!n)
		return;
	for (int i = 0; i < n->nctx; i++)
		_UPT_destroy(n->ctx[i].upt);
	unw_destroy_addr_space(n->as);
	free(n->block);
	free(n);
}

static struct ctx *ctx_get(struct native *n, pid_t tid)
{
	for (int i = 0; i < n->nctx; i++)
		if (n->ctx[i].tid == tid)
			return &n->ctx[i];
	if (n->nctx == CTX_MAX)
		return NULL;
	void *upt = _UPT_create(tid);
	if (!upt)
		return NULL;
	n->ctx[n->nctx] = (struct ctx){ tid, false, upt };
	return &n->ctx[n->nctx++];
}

void native_sweep(struct native *n)
{
	int k = 0;
	for (int i = 0; i < n->nctx; i++) {
		if (n->ctx[i].used) {
			n->ctx[i].used = false;
			n->ctx[k++] = n->ctx[i];
		} else {
			_UPT_destroy(n->ctx[i].upt);
		}
	}
	n->nctx = k;
}

int native_unwind(struct native *n, pid_t tid, uint64_t *ips, int max, bool *partial)
{
	unw_cursor_t cur;
	int depth = 0, rc;

	*partial = false;
	if (max <= 0)
		return 0;
	struct ctx *c = ctx_get(n, tid);
	if (!c)
		return PYTOP_EINVAL;
	c->used = true;
#if defined(__x86_64__)
	if (ptrace(PTRACE_GETREGS, tid, NULL, &n->regs) < 0)
		return errno == ESRCH ? PYTOP_ENOPROC : PYTOP_EPERM;
#endif
	memset(n->block_at, 0, sizeof n->block_at);
	n->tid = tid;
	current = n;
	rc = unw_init_remote(&cur, n->as, c->upt);
	while (rc >= 0 && depth < max) {
		unw_word_t ip = 0;
		if (unw_get_reg(&cur, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		ips[depth++] = ip;
		rc = unw_step(&cur);
		if (rc == 0)
			break;    /* the outermost frame */
	}
	current = NULL;
	*partial = rc < 0 || depth == max;
	return depth;
}

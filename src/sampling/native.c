/* native: libunwind-ptrace unwinds of stopped threads. */
#include "sampling/native.h"

#include <dirent.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <libunwind-ptrace.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include "errors.h"
#include "process/proc.h"
#include "process/regfile.h"
#include "util/clock.h"

#define CTX_MAX 1024           /* threads with a UPT context at once */
#define BLOCK_SIZE 4096        /* memory read in page blocks */
#define BLOCKS 16              /* blocks cached per unwind (direct-mapped) */
#define RS_CACHE_SIZE 4096     /* libunwind's unwind-rule cache (entries) */
#define STATIC_BLOCKS 256      /* blocks of read-only file mappings kept across unwinds */
#define REMAP_NS 1000000000ull /* an address in no module reads the maps again at most every 1 s */
#define VDSO_MAX (64u << 10)   /* the [vdso] image read from the target at most (x86-64's: 8 KiB) */

#if defined(__x86_64__)
/* libunwind's search of a binary-search table (.eh_frame_hdr) in the
 * target's memory: exported by libunwind for its ptrace library, not
 * declared in its public headers. */
extern int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t *di,
					      unw_proc_info_t *pi, int need_unwind_info, void *arg);
#define HAVE_TABLE_SEARCH 1
#endif

/* An executable mapping of a file, and where its unwind table is: what
 * _UPT_find_proc_info finds again (reading the maps, mapping the file)
 * whenever an address is in another file than the last, found once. */
struct module {
	uint64_t start, end;       /* the executable mapping */
	uint64_t offset;           /* its file offset */
	char path[512];            /* as /proc/PID/maps shows it */
	bool vdso;                 /* the [vdso] mapping: its ELF image is in the target's memory */
	bool tried, ok;
	uint64_t ro_lo, ro_hi;     /* the file's read-only segments as loaded (its tables) */
	unw_dyn_info_t di;         /* its .eh_frame_hdr table (ok) */
};

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
	/* Blocks of the modules' read-only segments (unwind tables, kept). */
	uint64_t static_at[STATIC_BLOCKS];
	unsigned char (*static_block)[BLOCK_SIZE];
	struct module *mods;
	int nmods;
	unsigned char *vdso;         /* VDSO_MAX bytes: the [vdso] image while its table is found */
	uint64_t mapped_at;
	bool noinfo;                 /* this unwind met code without unwind information */
	int last_n;                  /* the last unwind's frames (-1: it failed) */
	/* What the unwind in progress read of the thread: the words of
	 * memory outside the modules' read-only segments (its stack), up to
	 * NATIVE_READS_MAX, and which registers (a mask by libunwind's
	 * numbers). The same inputs give the same unwind. */
	uint64_t *rd_addr, *rd_val;  /* NATIVE_READS_MAX */
	int nrd;
	bool rd_over;                /* more than NATIVE_READS_MAX, or one not noted */
	uint32_t regs_read;
	uint64_t *span;              /* REGION_MAX bytes: native_slots_same()'s read */
};

/* The unwind in progress (the accessors get the UPT context as argument). */
static _Thread_local struct native *current;

/* Whether addr is in a module's read-only segments (they do not change). */
static bool in_static(const struct native *n, uint64_t addr)
{
	for (int i = 0; i < n->nmods; i++)
		if (n->mods[i].ok && addr >= n->mods[i].ro_lo && addr < n->mods[i].ro_hi)
			return true;
	return false;
}

/* A word of the thread's memory the unwind read (native_last_call()). */
static void note_read(struct native *n, uint64_t addr, uint64_t val)
{
	if (n->nrd >= NATIVE_READS_MAX) {
		n->rd_over = true;
		return;
	}
	n->rd_addr[n->nrd] = addr;
	n->rd_val[n->nrd++] = val;
}

/* Memory through the page-block caches (the stack's, emptied for each
 * unwind; the unwind tables', kept); writes (libunwind makes none to
 * unwind) and reads the caches cannot serve go to the UPT accessor. */
static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	struct native *n = current;
	if (write || !n || (addr & 7) || addr > UINT64_MAX - 8) {
		/* An odd read of the stack is not noted: the unwind is not to
		 * be known again by its reads then. */
		if (n && !write && !in_static(n, addr))
			n->rd_over = true;
		return _UPT_access_mem(as, addr, val, write, arg);
	}
	uint64_t base = addr & ~(uint64_t)(BLOCK_SIZE - 1);
	bool fixed = in_static(n, addr);
	unsigned slot = (unsigned)(base / BLOCK_SIZE) & (fixed ? STATIC_BLOCKS - 1 : BLOCKS - 1);
	uint64_t *at = fixed ? &n->static_at[slot] : &n->block_at[slot];
	unsigned char *buf = fixed ? n->static_block[slot] : n->block[slot];
	if (*at != base + 1) {
		struct iovec local = { buf, BLOCK_SIZE }, remote = { (void *)(uintptr_t)base, BLOCK_SIZE };
		*at = 0;
		if (process_vm_readv(n->pid, &local, 1, &remote, 1, 0) != BLOCK_SIZE) {
			int rc = _UPT_access_mem(as, addr, val, write, arg);
			if (rc == 0 && !fixed)
				note_read(n, addr, *val);
			return rc;
		}
		*at = base + 1;
	}
	memcpy(val, buf + (addr - base), sizeof *val);
	if (!fixed)
		note_read(n, addr, *val);
	return 0;
}

/* Read the target's executable file mappings again (their tables are
 * found again as they are used). */
static void modules_load(struct native *n)
{
	struct proc_map *m = NULL;
	int k = proc_maps_read(n->pid, &m);
	free(n->mods);
	n->mods = NULL;
	n->nmods = 0;
	memset(n->static_at, 0, sizeof n->static_at);
	if (k > 0) {
		n->mods = xcalloc((size_t)k, sizeof *n->mods);
		for (int i = 0; i < k; i++) {
			bool vdso = strcmp(m[i].path, "[vdso]") == 0;
			if (m[i].perms[2] != 'x' || (m[i].path[0] != '/' && !vdso))
				continue;
			struct module *md = &n->mods[n->nmods++];
			md->vdso = vdso;
			md->start = m[i].start;
			md->end = m[i].end;
			md->offset = m[i].offset;
			memcpy(md->path, m[i].path, sizeof md->path);
		}
	}
	free(m);
}

static struct module *module_find(struct native *n, uint64_t ip)
{
	for (int i = 0; i < n->nmods; i++)
		if (ip >= n->mods[i].start && ip < n->mods[i].end)
			return &n->mods[i];
	uint64_t now = clock_now_ns();
	if (n->mapped_at && now - n->mapped_at < REMAP_NS)
		return NULL;
	n->mapped_at = now;
	modules_load(n);
	for (int i = 0; i < n->nmods; i++)
		if (ip >= n->mods[i].start && ip < n->mods[i].end)
			return &n->mods[i];
	return NULL;
}

/* From an ELF file's program headers: its PT_GNU_EH_FRAME, the PT_LOAD
 * holding file offset `offset`, and the link-time range of its read-only
 * PT_LOADs. Whether both headers are there. */
static bool table_headers(Elf *e, uint64_t offset, GElf_Phdr *eh, GElf_Phdr *load, uint64_t *ro_lo, uint64_t *ro_hi)
{
	size_t phnum = 0;
	bool have_eh = false, have_load = false;

	*ro_lo = UINT64_MAX;
	*ro_hi = 0;
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &phnum) != 0)
		return false;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph))
			continue;
		if (ph.p_type == PT_GNU_EH_FRAME) {
			*eh = ph;
			have_eh = true;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		if (offset >= ph.p_offset && offset - ph.p_offset < ph.p_filesz) {
			*load = ph;
			have_load = true;
		}
		if (!(ph.p_flags & PF_W) && ph.p_vaddr <= UINT64_MAX - ph.p_memsz) {
			if (ph.p_vaddr < *ro_lo)
				*ro_lo = ph.p_vaddr;
			if (ph.p_vaddr + ph.p_memsz > *ro_hi)
				*ro_hi = ph.p_vaddr + ph.p_memsz;
		}
	}
	return have_eh && have_load && *ro_lo < *ro_hi;
}

/* md's table from the .eh_frame_hdr header hdr (version 1, a 4-byte
 * eh_frame pointer, a udata4 count, a datarel sdata4 table: what every
 * linker writes) at link-time address eh_vaddr, loaded with bias. */
static void table_set(struct module *md, const unsigned char hdr[12], uint64_t bias, uint64_t eh_vaddr,
		      uint64_t ro_lo, uint64_t ro_hi)
{
	uint32_t count;

	if (hdr[0] != 1 || (hdr[1] & 0x0f) != 0x0b || hdr[2] != 0x03 || hdr[3] != 0x3b)
		return;
	memcpy(&count, hdr + 8, 4);
	memset(&md->di, 0, sizeof md->di);
	md->di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	md->di.start_ip = md->start;
	md->di.end_ip = md->end;
	md->di.u.rti.segbase = bias + eh_vaddr;
	md->di.u.rti.table_data = bias + eh_vaddr + 12;
	md->di.u.rti.table_len = count * 8 / sizeof(unw_word_t);
	/* The read-only segments the table and the frame descriptions are
	 * in (cached across unwinds). */
	md->ro_lo = bias + ro_lo;
	md->ro_hi = bias + ro_hi;
	md->ok = true;
}

/* The [vdso]'s table: its ELF image read from the target's memory (the
 * mapping, at most VDSO_MAX bytes, into the buffer made with n), parsed in
 * place; every header it gives is bounded by the image. */
static void vdso_prepare(struct native *n, struct module *md)
{
	uint64_t size = md->end - md->start, ro_lo, ro_hi;
	GElf_Phdr eh = { 0 }, load = { 0 };

	if (size == 0 || size > VDSO_MAX || md->offset != 0)
		return;
	struct iovec local = { n->vdso, (size_t)size }, remote = { (void *)(uintptr_t)md->start, (size_t)size };
	if (process_vm_readv(n->pid, &local, 1, &remote, 1, 0) != (ssize_t)size)
		return;
	Elf *e = elf_version(EV_CURRENT) == EV_NONE ? NULL : elf_memory((char *)n->vdso, (size_t)size);
	bool ok = table_headers(e, 0, &eh, &load, &ro_lo, &ro_hi);
	if (e)
		elf_end(e);
	/* The image is the mapping: its first PT_LOAD (file offset 0) at
	 * md->start; the table inside it. */
	if (!ok || load.p_offset != 0 || size < 12 || eh.p_offset > size - 12)
		return;
	uint64_t bias = md->start - load.p_vaddr;   /* modulo 2^64: old kernels link it high */
	if (ro_lo < load.p_vaddr || ro_hi - load.p_vaddr > size)
		ro_hi = load.p_vaddr + size;
	table_set(md, n->vdso + eh.p_offset, bias, eh.p_vaddr, ro_lo, ro_hi);
}

/* Where md's .eh_frame_hdr search table is in the target (through
 * /proc/PID/root): the file's PT_GNU_EH_FRAME, its header read from the
 * file; or from the target's memory for the [vdso]. */
static void module_prepare(struct native *n, struct module *md)
{
	char path[1024];
	unsigned char hdr[12];
	GElf_Phdr eh = { 0 }, load = { 0 };
	uint64_t ro_lo, ro_hi;

	md->tried = true;
	if (md->vdso) {
		vdso_prepare(n, md);
		return;
	}
	proc_root_path(n->pid, md->path, path, sizeof path);
	int fd = regfile_open(path);
	if (fd < 0)
		return;
	Elf *e = elf_version(EV_CURRENT) == EV_NONE ? NULL : elf_begin(fd, ELF_C_READ, NULL);
	bool ok = table_headers(e, md->offset, &eh, &load, &ro_lo, &ro_hi);
	if (e)
		elf_end(e);
	if (ok && pread(fd, hdr, sizeof hdr, (off_t)eh.p_offset) == (ssize_t)sizeof hdr)
		table_set(md, hdr, md->start - md->offset + load.p_offset - load.p_vaddr, eh.p_vaddr, ro_lo, ro_hi);
	close(fd);
}

#ifdef HAVE_TABLE_SEARCH
/* The procedure at ip from its module's table (found once per module). */
static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need_unwind_info, void *arg)
{
	struct native *n = current;
	if (!n)
		return _UPT_find_proc_info(as, ip, pi, need_unwind_info, arg);
	struct module *md = module_find(n, ip);
	if (md && !md->tried)
		module_prepare(n, md);
	int rc = md && md->ok ? UNW_OBJ(dwarf_search_unwind_table)(as, ip, &md->di, pi, need_unwind_info, arg)
			      : -UNW_ENOINFO;
	/* Not found here (a mapping of part of a file, e.g. libffi's
	 * trampoline pages; one mapped since the maps were read): libunwind's
	 * own search, which reads the maps and the file each time. */
	if (rc == -UNW_ENOINFO)
		rc = _UPT_find_proc_info(as, ip, pi, need_unwind_info, arg);
	/* No unwind information: libunwind goes on guessing from the frame
	 * pointer; what it finds from here is not to be trusted. */
	if (rc == -UNW_ENOINFO)
		n->noinfo = true;
	return rc;
}
#endif

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
	if (n)
		n->regs_read |= reg >= 0 && reg < 31 ? 1u << reg : 1u << 31;   /* (31: any other) */
	if (write || !n || reg < 0 || (size_t)reg >= sizeof reg_offset / sizeof reg_offset[0])
		return _UPT_access_reg(as, reg, val, write, arg);
	memcpy(val, (const char *)&n->regs + reg_offset[reg], sizeof *val);
	return 0;
}
#endif

void native_refused(char *err, size_t errcap, pid_t pid, const char *why)
{
	/* Another tracer is no matter of rights: no hint about them then. */
	bool traced = strstr(why, "already traced") != NULL;
	snprintf(err, errcap, "--native: cannot ptrace process %d: %s%s", (int)pid, why,
		 traced ? " (a process has one tracer)" : " (needs CAP_SYS_PTRACE or kernel.yama.ptrace_scope=0)");
}

struct native *native_create(pid_t pid)
{
	struct native *n = xcalloc(1, sizeof *n);
	n->pid = pid;
	n->block = xcalloc(BLOCKS, sizeof *n->block);
	n->static_block = xcalloc(STATIC_BLOCKS, sizeof *n->static_block);
	n->vdso = xmalloc(VDSO_MAX);
	n->rd_addr = xcalloc(NATIVE_READS_MAX, sizeof *n->rd_addr);
	n->rd_val = xcalloc(NATIVE_READS_MAX, sizeof *n->rd_val);
	n->span = xmalloc(REGION_MAX);
	n->last_n = -1;
	n->acc = _UPT_accessors;
	n->acc.access_mem = access_mem;
#ifdef HAVE_TABLE_SEARCH
	n->acc.find_proc_info = find_proc_info;
#endif
#if defined(__x86_64__)
	n->acc.access_reg = access_reg;
#endif
	n->as = unw_create_addr_space(&n->acc, 0);
	if (!n->as) {
		free(n->block);
		free(n->static_block);
		free(n->vdso);
		free(n->rd_addr);
		free(n->rd_val);
		free(n->span);
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
	free(n->static_block);
	free(n->vdso);
	free(n->rd_addr);
	free(n->rd_val);
	free(n->span);
	free(n->mods);
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

void native_preload(struct native *n)
{
	char dir[64];
	n->mapped_at = clock_now_ns();
	modules_load(n);
	for (int i = 0; i < n->nmods; i++)
		if (!n->mods[i].tried)
			module_prepare(n, &n->mods[i]);
	/* The contexts of the threads there now. */
	snprintf(dir, sizeof dir, "/proc/%d/task", (int)n->pid);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		char *end;
		long tid = strtol(de->d_name, &end, 10);
		if (tid > 0 && *end == '\0')
			ctx_get(n, (pid_t)tid);
	}
	if (d)
		closedir(d);
}

void native_sweep(struct native *n)
{
	int k = 0;
	for (int i = 0; i < n->nctx; i++) {
		/* Unused since the last sweep and gone: a thread that only
		 * sleeps (never stopped: its stack is kept) keeps its context,
		 * or its next unwind would allocate one again. */
		if (n->ctx[i].used || syscall(SYS_tgkill, n->pid, n->ctx[i].tid, 0) == 0 || errno != ESRCH) {
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
	n->last_n = -1;
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
	n->noinfo = false;
	n->nrd = 0;
	n->rd_over = false;
	n->regs_read = 0;
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
	*partial = rc < 0 || depth == max || n->noinfo;
	n->last_n = depth < NATIVE_MAX_DEPTH ? depth : NATIVE_MAX_DEPTH;
	return depth;
}

void native_last_call(const struct native *n, struct native_call *out)
{
	out->known = false;
#if defined(__x86_64__)
	/* In a system call: its number in orig_rax (-1 outside one). */
	const struct user_regs_struct *r = &n->regs;
	if (n->last_n <= 0 || (long)r->orig_rax < 0)
		return;
	out->known = true;
	out->nr = (long)r->orig_rax;
	out->args[0] = r->rdi;
	out->args[1] = r->rsi;
	out->args[2] = r->rdx;
	out->args[3] = r->r10;
	out->args[4] = r->r8;
	out->args[5] = r->r9;
	out->sp = r->rsp;
	out->pc = r->rip;
	out->n = n->last_n;
	/* The unwind's inputs: the words it read of the stack, and no
	 * register but the two the syscall file shows again. Checking the
	 * return addresses at their slots alone is not enough: a thread that
	 * left the call and came back to it through callers with frames of
	 * other sizes (an alloca() or a VLA evening out the stack pointer)
	 * can have the old slots in dead stack still holding the old words,
	 * and its return addresses elsewhere; an unwind through a frame whose
	 * CFA is the frame pointer that no callee saved reads %rbp, which
	 * cannot be known again without a stop. */
	uint32_t regs_ok = 1u << UNW_X86_64_RIP | 1u << UNW_X86_64_RSP;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < n->nrd; i++) {
		if (n->rd_addr[i] < lo)
			lo = n->rd_addr[i];
		if (n->rd_addr[i] + 8 > hi)
			hi = n->rd_addr[i] + 8;
	}
	if (n->rd_over || (n->regs_read & ~regs_ok) || (n->nrd && hi - lo > REGION_MAX)) {
		out->known = false;
		return;
	}
	out->nrd = n->nrd;
	out->rd_lo = n->nrd ? lo : 0;
	out->rd_len = n->nrd ? (size_t)(hi - lo) : 0;
	memcpy(out->rd_addr, n->rd_addr, (size_t)n->nrd * sizeof out->rd_addr[0]);
	memcpy(out->rd_val, n->rd_val, (size_t)n->nrd * sizeof out->rd_val[0]);
#else
	(void)n;
#endif
}

bool native_slots_same(struct native *n, const struct native_call *call, const uint64_t *ips)
{
	(void)ips;
	if (!call->nrd)
		return true;
	if (call->rd_len > REGION_MAX)
		return false;
	struct iovec local = { n->span, call->rd_len };
	struct iovec remote = { (void *)(uintptr_t)call->rd_lo, call->rd_len };
	if (process_vm_readv(n->pid, &local, 1, &remote, 1, 0) != (ssize_t)call->rd_len)
		return false;
	for (int i = 0; i < call->nrd; i++) {
		uint64_t v;
		memcpy(&v, (const char *)n->span + (call->rd_addr[i] - call->rd_lo), sizeof v);
		if (v != call->rd_val[i])
			return false;
	}
	return true;
}

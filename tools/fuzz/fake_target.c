/* fake_target: the fuzz harness's stand-in for a live target. The real
 * src/process/memory.c is linked unchanged; what it calls, process_vm_readv,
 * is defined here (it takes precedence over libc's and the sanitizers'
 * interceptor) and serves the segments of the fuzz input. /proc and ELF
 * lookups (src/process/proc.c, src/process/elf.c, not linked) answer from the
 * input's header, as a process mapping one interpreter file would. */
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "errors.h"
#include "process/elf.h"
#include "process/proc.h"
#include "tools/fuzz/fuzz_input.h"

#define SEG_MAX 16384

struct seg {
	uint64_t addr, end;
	const uint8_t *data;
};

static struct seg segs[SEG_MAX];
static int nsegs;
static struct fuzz_header hdr;
static uint8_t pyversion[4];

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int fuzz_target_load(const uint8_t *data, size_t size)
{
	memset(&hdr, 0, sizeof hdr);
	nsegs = 0;
	if (size < FUZZ_HEADER)
		return -1;
	hdr.major = 3;
	hdr.minor = fuzz_version_minor(data[0]);
	hdr.micro = data[1];
	hdr.background = data[1];
	hdr.flags = data[2];
	hdr.ntids = data[3] % (FUZZ_TIDS + 1);
	for (int i = 0; i < FUZZ_TIDS; i++)
		hdr.tids[i] = (pid_t)get_le(data + 4 + 4 * i, 4);
	hdr.runtime = get_le(data + 20, 8);
	hdr.code_type = get_le(data + 28, 8);
	if (hdr.flags & FUZZ_F_PY_VERSION) {
		uint32_t hex = (uint32_t)hdr.major << 24 | (uint32_t)hdr.minor << 16 | (uint32_t)hdr.micro << 8 | 0xf0;
		memcpy(pyversion, &hex, 4);
		segs[nsegs++] = (struct seg){ FUZZ_PYVERSION_ADDR, FUZZ_PYVERSION_ADDR + 4, pyversion };
	}
	size_t pos = FUZZ_HEADER;
	while (pos + FUZZ_SEG_HEADER <= size && nsegs < SEG_MAX) {
		uint64_t addr = get_le(data + pos, 8);
		uint64_t len = get_le(data + pos + 8, 4);
		pos += FUZZ_SEG_HEADER;
		if (len > size - pos)
			len = size - pos;
		if (len > UINT64_MAX - addr)
			len = UINT64_MAX - addr;
		if (len)
			segs[nsegs++] = (struct seg){ addr, addr + len, data + pos };
		pos += len;
	}
	/* Sorted and disjoint: where two overlap, the later start wins. */
	qsort(segs, (size_t)nsegs, sizeof segs[0], seg_cmp);
	int k = 0;
	for (int i = 0; i < nsegs; i++) {
		if (i + 1 < nsegs && segs[i].end > segs[i + 1].addr)
			segs[i].end = segs[i + 1].addr;
		if (segs[i].end > segs[i].addr)
			segs[k++] = segs[i];
	}
	nsegs = k;
	return 0;
}

const struct fuzz_header *fuzz_target_header(void)
{
	return &hdr;
}

/* The first segment that ends after addr (nsegs when none). */
static int seg_after(uint64_t addr)
{
	int lo = 0, hi = nsegs;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (segs[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t fuzz_target_copy(uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;
	int bg = (hdr.flags & FUZZ_F_BACKGROUND) != 0;
	while (done < len) {
		uint64_t a = addr + done;
		if (a < addr)
			break;   /* wrapped past the top of the address space */
		int i = seg_after(a);
		uint64_t avail;
		if (i < nsegs && segs[i].addr <= a) {
			avail = segs[i].end - a;
			size_t n = len - done < avail ? len - done : (size_t)avail;
			memcpy((char *)buf + done, segs[i].data + (a - segs[i].addr), n);
			done += n;
			continue;
		}
		/* A hole: unmapped, or background bytes in user space. */
		if (!bg || a >= FUZZ_USER_TOP)
			break;
		avail = (i < nsegs && segs[i].addr < FUZZ_USER_TOP ? segs[i].addr : FUZZ_USER_TOP) - a;
		size_t n = len - done < avail ? len - done : (size_t)avail;
		memset((char *)buf + done, hdr.background, n);
		done += n;
	}
	return done;
}

/* process_vm_readv(2) over the fake memory: remote ranges in order into the
 * local buffers in order; stops at the first byte that is not mapped; EFAULT
 * when nothing could be read. */
ssize_t process_vm_readv(pid_t pid, const struct iovec *local, unsigned long liovcnt,
			 const struct iovec *remote, unsigned long riovcnt, unsigned long flags)
{
	if (flags || liovcnt > IOV_MAX || riovcnt > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (pid != FUZZ_PID) {
		errno = ESRCH;
		return -1;
	}
	size_t total = 0, li = 0, loff = 0;
	int fault = 0;
	for (unsigned long r = 0; r < riovcnt && !fault; r++) {
		uint64_t raddr = (uint64_t)(uintptr_t)remote[r].iov_base;
		size_t rlen = remote[r].iov_len, rdone = 0;
		while (rdone < rlen) {
			while (li < liovcnt && loff == local[li].iov_len) {
				li++;
				loff = 0;
			}
			if (li == liovcnt)
				return (ssize_t)total;
			size_t want = rlen - rdone;
			if (want > local[li].iov_len - loff)
				want = local[li].iov_len - loff;
			size_t got = fuzz_target_copy(raddr + rdone, (char *)local[li].iov_base + loff, want);
			total += got;
			rdone += got;
			loff += got;
			if (got < want) {
				fault = 1;
				break;
			}
		}
	}
	if (fault && total == 0) {
		errno = EFAULT;
		return -1;
	}
	return (ssize_t)total;
}

/* /proc for the fake pid. */
static const char *fake_exe(void)
{
	static char exe[64];
	snprintf(exe, sizeof exe, "/fake/bin/python%d.%d", hdr.major, hdr.minor);
	return exe;
}

int proc_maps_read(pid_t pid, struct proc_map **maps)
{
	if (pid != FUZZ_PID)
		return PYTOP_ENOPROC;
	struct proc_map *m = xcalloc(1, sizeof *m);
	m->start = FUZZ_BASE;
	m->end = FUZZ_BASE + 0x1000;
	m->offset = 0;
	memcpy(m->perms, "r-xp", 5);
	snprintf(m->path, sizeof m->path, "%s", fake_exe());
	*maps = m;
	return 1;
}

int proc_check(pid_t pid)
{
	return pid == FUZZ_PID ? 0 : PYTOP_ENOPROC;
}

/* The fake target is its own thread group, dumpable. */
int proc_status_long(pid_t pid, const char *key, long *val)
{
	if (pid != FUZZ_PID)
		return PYTOP_ENOPROC;
	*val = strcmp(key, "Tgid") == 0 ? (long)FUZZ_PID : 0;
	return 0;
}

int proc_dumpable(pid_t pid)
{
	return pid == FUZZ_PID ? 1 : PYTOP_ENOPROC;
}

int proc_tasks(pid_t pid, pid_t *tids, int max)
{
	int n = 0;
	if (pid != FUZZ_PID)
		return PYTOP_ENOPROC;
	for (int i = 0; i < hdr.ntids && n < max; i++)
		tids[n++] = hdr.tids[i];
	return n;
}

int proc_tasks_into(pid_t pid, char *buf, size_t bufsize, pid_t *tids, int max)
{
	(void)buf;
	(void)bufsize;
	if (pid != FUZZ_PID)
		return PYTOP_ENOPROC;
	for (int i = 0; i < hdr.ntids && i < max; i++)
		tids[i] = hdr.tids[i];
	return hdr.ntids;
}

char proc_task_state(pid_t pid, pid_t tid)
{
	(void)tid;
	return pid == FUZZ_PID ? 'S' : '?';
}

int proc_task_comm(pid_t pid, pid_t tid, char *buf, size_t cap)
{
	(void)tid;
	if (pid != FUZZ_PID)
		return PYTOP_ENOPROC;
	snprintf(buf, cap, "fake");
	return 0;
}

int proc_cmdline(pid_t pid, char *buf, size_t cap)
{
	if (pid != FUZZ_PID)
		return PYTOP_ENOPROC;
	return snprintf(buf, cap, "%s -c fuzz", fake_exe());
}

void proc_root_path(pid_t pid, const char *path, char *out, size_t cap)
{
	snprintf(out, cap, "/proc/%d/root%s", (int)pid, path);
}

int proc_exe(pid_t pid, char *buf, size_t cap)
{
	if (pid != FUZZ_PID)
		return PYTOP_ENOPROC;
	snprintf(buf, cap, "%s", fake_exe());
	return 0;
}

/* ELF: the fake file defines what the header says, linked at FUZZ_BASE. */
int elf_lookup(const char *path, struct elf_sym *syms, int n, uint64_t *min_vaddr)
{
	int found = 0;
	(void)path;
	*min_vaddr = FUZZ_BASE;
	for (int i = 0; i < n; i++) {
		syms[i].value = 0;
		syms[i].size = 0;
		if (strcmp(syms[i].name, "_PyRuntime") == 0)
			syms[i].value = hdr.runtime;
		else if (strcmp(syms[i].name, "interp_head") == 0) {
			/* 3.6's anchor (a pointer-sized static), the same address */
			syms[i].value = hdr.runtime;
			syms[i].size = 8;
		}
		else if (strcmp(syms[i].name, "Py_Version") == 0 && (hdr.flags & FUZZ_F_PY_VERSION))
			syms[i].value = FUZZ_PYVERSION_ADDR;
		else if (strcmp(syms[i].name, "PyCode_Type") == 0 && !(hdr.flags & FUZZ_F_NO_CODE_TYPE))
			syms[i].value = hdr.code_type;
		found += syms[i].value != 0;
	}
	return found;
}

int elf_find_version_string(const char *path, int major, char *out, size_t cap)
{
	(void)path;
	snprintf(out, cap, "%d.%d.%d", major, hdr.minor, hdr.micro);
	return 0;
}

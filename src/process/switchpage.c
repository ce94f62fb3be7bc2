/* switchpage: a thread's perf task-clock page, read to tell whether the
 * thread has been switched in since an earlier look (see switchpage.h). */
#include "process/switchpage.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errors.h"

/* The bytes mapped: the event's first page. */
static size_t page_bytes(void)
{
	long pagesize = sysconf(_SC_PAGESIZE);
	return (size_t)(pagesize > 0 ? pagesize : 4096);
}

void switchpage_init(struct switchpage *p)
{
	p->fd = -1;
	p->page = NULL;
}

int switchpage_open(struct switchpage *p, pid_t tid)
{
	struct perf_event_attr a;

	switchpage_init(p);
	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	/* What perf_event_paranoid 2 lets a user count of his own threads;
	 * the page is rewritten at every switch in all the same. */
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	int fd = (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		if (errno == ESRCH)
			return PYTOP_EGONE;
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
			return PYTOP_ENOMEM;
		return PYTOP_EPERM;   /* EACCES, EPERM, ENOSYS, ENOENT, EINVAL...: not here */
	}
	void *page = mmap(NULL, page_bytes(), PROT_READ, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED) {
		close(fd);
		return errno == ENOMEM ? PYTOP_ENOMEM : PYTOP_EPERM;
	}
	p->fd = fd;
	p->page = page;
	return 0;
}

void switchpage_close(struct switchpage *p)
{
	if (p->page)
		munmap((void *)(uintptr_t)p->page, page_bytes());
	if (p->fd >= 0)
		close(p->fd);
	switchpage_init(p);
}

bool switchpage_stamp(const struct switchpage *p, uint32_t *stamp)
{
	if (!p->page)
		return false;
	/* The kernel adds one to lock before rewriting the page and one after
	 * (perf_event_update_userpage): odd while it writes. */
	const struct perf_event_mmap_page *pg = p->page;
	uint32_t lock = __atomic_load_n(&pg->lock, __ATOMIC_ACQUIRE);
	if (lock & 1)
		return false;
	*stamp = lock;
	return true;
}

/* regfile: open a target-named path only when it is a regular file, in a
 * child process that cannot stall pytop. */
#include "process/regfile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FUSE_MAGIC 0x65735546   /* statfs f_type of FUSE filesystems */

/* Kernel filesystems whose "regular files" are interfaces, not files: a
 * read can take data from someone else (/proc/kmsg) or have effects. No
 * ELF or source file lives there (/proc/PID/exe and map_files resolve to
 * the real file, on its own filesystem). */
static const unsigned long kernel_fs[] = {
	0x9fa0,       /* proc */
	0x62656572,   /* sysfs */
	0x64626720,   /* debugfs */
	0x74726163,   /* tracefs */
	0x73636673,   /* securityfs */
	0x27e0eb,     /* cgroup */
	0x63677270,   /* cgroup2 */
	0xcafe4a11,   /* bpf */
	0x62656570,   /* configfs */
	0xde5e81e4,   /* efivarfs */
	0x6165676c,   /* pstore */
};

/* An O_PATH descriptor of path; a path under /proc/PID/root/ is resolved
 * inside that root (RESOLVE_IN_ROOT: an absolute symlink or ".." there
 * stays in the target's root; plain path walking left it for pytop's). */
static int path_open(const char *path)
{
	static const char proc[] = "/proc/", root[] = "/root/";
	const char *p = path + sizeof proc - 1;
	char dir[64];

	if (strncmp(path, proc, sizeof proc - 1) != 0 || *p < '1' || *p > '9')
		return open(path, O_PATH | O_CLOEXEC);
	while (*p >= '0' && *p <= '9')
		p++;
	if (strncmp(p, root, sizeof root - 1) != 0 || (size_t)(p - path) + sizeof root > sizeof dir)
		return open(path, O_PATH | O_CLOEXEC);
	memcpy(dir, path, (size_t)(p - path) + sizeof root - 2);
	dir[(size_t)(p - path) + sizeof root - 2] = '\0';   /* "/proc/PID/root" */
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	int fd = (int)syscall(SYS_openat2, dfd, p + sizeof root - 1, &how, sizeof how);
	int e = errno;
	if (fd < 0 && e == ENOSYS)   /* before Linux 5.6 */
		fd = open(path, O_PATH | O_CLOEXEC), e = errno;
	close(dfd);
	errno = e;
	return fd;
}

/* In the child: look at the file through an O_PATH descriptor (which opens
 * nothing), then open that same file through /proc/self/fd (no race with a
 * path swapped in between). Only async-signal-safe calls: pytop may have
 * threads. Returns 0 with *fd, or an errno. */
static int child_open(const char *path, int *fd)
{
	struct stat st;
	struct statfs sf;
	char again[32] = "/proc/self/fd/", digits[12];
	int pfd = path_open(path), n = 0, e;

	if (pfd < 0)
		return errno;
	if (fstat(pfd, &st) < 0 || !S_ISREG(st.st_mode))
		e = EINVAL;
	else if (fstatfs(pfd, &sf) < 0)
		e = errno;
	else if ((unsigned long)sf.f_type == FUSE_MAGIC)
		e = ENOTSUP;
	else
		e = 0;
	for (size_t i = 0; !e && i < sizeof kernel_fs / sizeof kernel_fs[0]; i++)
		if ((unsigned long)sf.f_type == kernel_fs[i])
			e = EINVAL;
	if (!e) {
		for (int v = pfd; n == 0 || v; v /= 10)
			digits[n++] = (char)('0' + v % 10);
		size_t len = strlen(again);
		while (n)
			again[len++] = digits[--n];
		again[len] = '\0';
		*fd = open(again, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (*fd < 0)
			e = errno;
	}
	close(pfd);
	return e;
}

/* The child's answer: an errno, and on 0 the descriptor alongside. */
static void child_send(int sock, int e, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &e, sizeof e };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	memset(cbuf, 0, sizeof cbuf);
	if (!e) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof cbuf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	(void)!sendmsg(sock, &msg, MSG_NOSIGNAL);
}

static int parent_receive(int sock, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	int e = EIO;
	struct iovec iov = { &e, sizeof e };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof cbuf };

	*fd = -1;
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof e)
		return EIO;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof *fd);
	if (!e && *fd < 0)
		return EIO;
	if (e && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return e;
}

int regfile_open(const char *path)
{
	int sv[2], fd = -1, e, st;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(sv[0]);
		close(sv[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		int cfd = -1;
		close(sv[0]);
		e = child_open(path, &cfd);
		child_send(sv[1], e, cfd);
		_exit(0);
	}
	close(sv[1]);
	struct pollfd p = { sv[0], POLLIN, 0 };
	int r;
	do
		r = poll(&p, 1, REGFILE_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		/* Stalled (a FUSE lookup nobody answers): SIGKILL ends even
		 * that wait. */
		kill(pid, SIGKILL);
		e = ETIMEDOUT;
	} else {
		e = parent_receive(sv[0], &fd);
	}
	close(sv[0]);
	/* Reaped; a child stuck past SIGKILL (an uninterruptible wait) is
	 * left, after a bounded wait, rather than stall pytop. */
	for (int i = 0; i < 200; i++) {
		pid_t w = waitpid(pid, &st, e == ETIMEDOUT ? WNOHANG : 0);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (w == 0)
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	if (e) {
		errno = e;
		return -1;
	}
	return fd;
}

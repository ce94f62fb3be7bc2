/* proc: parsing of /proc/PID files for a target process. */
#include "process/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cpython/pystring.h"
#include "errors.h"
#include "util/smallfile.h"

static int errno_to_err(int e)
{
	if (e == ENOENT || e == ESRCH)
		return PYTOP_ENOPROC;
	if (e == EACCES || e == EPERM)
		return PYTOP_EPERM;
	return PYTOP_EIO;
}

int proc_check(pid_t pid)
{
	char path[64];
	int fd;

	if (pid <= 0)
		return PYTOP_ENOPROC;
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno_to_err(errno);
	/* maps opens for anyone; reading it needs ptrace read access. */
	char c;
	ssize_t n = read(fd, &c, 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return errno_to_err(e);
	/* A zombie or kernel thread has an empty map. */
	char buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (smallfile_read(path, buf, sizeof buf) < 0)
		return PYTOP_ENOPROC;
	char *rp = strrchr(buf, ')');
	if (rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'))
		return PYTOP_EGONE;
	return 0;
}

int proc_maps_read(pid_t pid, struct proc_map **out)
{
	char path[64], *line = NULL;
	size_t linecap = 0;
	ssize_t got;
	FILE *f;
	struct proc_map *maps = NULL;
	int n = 0, cap = 0;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno_to_err(errno);
	/* Whole lines, however long: the target chooses its files' paths (up
	 * to PATH_MAX), and a line read in pieces would have its tail parsed as
	 * a mapping of the target's making. */
	while ((got = getline(&line, &linecap, f)) > 0) {
		struct proc_map m;
		int pos = 0;
		unsigned long long s, e, off;
		memset(&m, 0, sizeof m);
		if (sscanf(line, "%llx-%llx %4s %llx %*s %*s%n", &s, &e, m.perms, &off, &pos) < 4)
			continue;
		m.start = s;
		m.end = e;
		m.offset = off;
		char *p = line + pos;
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, "\n");
		/* A path too long to keep whole is kept as none: cut, it would
		 * name another file. */
		if (len >= sizeof m.path)
			len = 0;
		memcpy(m.path, p, len);
		m.path[len] = 0;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			maps = xrealloc(maps, (size_t)cap * sizeof *maps);
		}
		maps[n++] = m;
	}
	int err = ferror(f) ? errno_to_err(errno) : 0;
	free(line);
	fclose(f);
	if (err || n == 0) {
		free(maps);
		return err ? err : PYTOP_EGONE;
	}
	*out = maps;
	return n;
}

int proc_tasks_into(pid_t pid, char *buf, size_t bufsize, pid_t *tids, int max)
{
	char path[64];
	int n = 0;

	if (bufsize < 64)
		return PYTOP_EINVAL;
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno_to_err(errno);
	for (;;) {
		long got = syscall(SYS_getdents64, fd, buf, bufsize);
		if (got < 0) {
			int e = errno;
			close(fd);
			return e == ENOENT || e == ESRCH ? PYTOP_ENOPROC : PYTOP_EIO;
		}
		if (got == 0)
			break;
		for (long off = 0; off < got;) {
			/* struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name */
			unsigned short reclen;
			memcpy(&reclen, buf + off + 16, sizeof reclen);
			if (reclen < 20 || off + reclen > got)
				break;
			const char *name = buf + off + 19;
			off += reclen;
			long v = 0;
			int digits = 0;
			for (; digits < 10 && name[digits] >= '0' && name[digits] <= '9'; digits++)
				v = v * 10 + (name[digits] - '0');
			if (digits == 0 || name[digits] != '\0' || v <= 0 || v > INT32_MAX)
				continue;
			if (n < max)
				tids[n] = (pid_t)v;
			n++;
		}
	}
	close(fd);
	return n;
}

/* Sort tids in place, ascending (Shell sort: no allocation, unlike qsort,
 * which may take a buffer from malloc). */
static void sort_tids(pid_t *tids, int n)
{
	static const int gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };

	for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
		int gap = gaps[g];
		for (int i = gap; i < n; i++) {
			pid_t v = tids[i];
			int j = i;
			for (; j >= gap && tids[j - gap] > v; j -= gap)
				tids[j] = tids[j - gap];
			tids[j] = v;
		}
	}
}

int proc_tasks(pid_t pid, pid_t *tids, int max)
{
	char buf[4096];
	int n = proc_tasks_into(pid, buf, sizeof buf, tids, max);

	if (n < 0)
		return n;
	if (n > max)
		n = max;
	sort_tids(tids, n);
	return n;
}

/* smallfile_read with a pytop error code. */
static int read_small(const char *path, char *buf, size_t cap)
{
	int n = smallfile_read(path, buf, cap);

	return n < 0 ? errno_to_err(errno) : n;
}

char proc_task_state(pid_t pid, pid_t tid)
{
	char path[96], buf[512];
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (read_small(path, buf, sizeof buf) <= 0)
		return '?';
	char *rp = strrchr(buf, ')');
	if (!rp || rp[1] != ' ' || !rp[2])
		return '?';
	return rp[2];
}

int proc_task_comm(pid_t pid, pid_t tid, char *buf, size_t cap)
{
	char path[96];
	snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	int n = read_small(path, buf, cap);
	if (n < 0)
		return n;
	buf[strcspn(buf, "\n")] = 0;
	utf8_clean(buf);   /* the kernel cuts comm at 15 bytes, maybe inside a character */
	return 0;
}

pid_t proc_only_child(pid_t pid)
{
	char path[96], buf[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if (read_small(path, buf, sizeof buf) < 0)
		return 0;
	char *end;
	long c = strtol(buf, &end, 10);
	while (*end == ' ' || *end == '\n')
		end++;
	return c > 0 && c <= INT32_MAX && *end == 0 ? (pid_t)c : 0;
}

int proc_cmdline(pid_t pid, char *buf, size_t cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	int n = read_small(path, buf, cap);
	if (n < 0)
		return n;
	while (n > 0 && buf[n - 1] == 0)
		n--;
	for (int i = 0; i < n; i++)
		if (buf[i] == 0)
			buf[i] = ' ';
	buf[n] = 0;
	return n;
}

/* A mapped file deleted since it was mapped ("PATH (deleted)" in maps):
 * the target's executable through /proc/PID/exe, another file through
 * /proc/PID/map_files/START-END of its first mapping (that one needs
 * CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE). Returns 0 when found. */
static int deleted_path(pid_t pid, const char *path, char *out, size_t cap)
{
	char exe[600];
	struct proc_map *maps;
	int n, found = -1;

	if (proc_exe(pid, exe, sizeof exe) > 0 && strcmp(exe, path) == 0) {
		snprintf(out, cap, "/proc/%d/exe", (int)pid);
		return 0;
	}
	if ((n = proc_maps_read(pid, &maps)) < 0)
		return n;
	for (int i = 0; i < n && found < 0; i++) {
		if (strcmp(maps[i].path, path) == 0 && maps[i].offset == 0) {
			snprintf(out, cap, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, maps[i].start,
				 maps[i].end);
			found = 0;
		}
	}
	free(maps);
	return found;
}

void proc_root_path(pid_t pid, const char *path, char *out, size_t cap)
{
	static const char deleted[] = " (deleted)";
	size_t n = strlen(path), d = sizeof deleted - 1;

	if (n > d && strcmp(path + n - d, deleted) == 0 && deleted_path(pid, path, out, cap) == 0)
		return;
	/* A chrooted target: the kernel shows its mapped files' paths as seen
	 * from pytop's root (/srv/root/usr/bin/python3); /proc/PID/root would
	 * add the chroot's prefix twice. The rest (/usr/bin/python3) is opened
	 * under /proc/PID/root all the same: the path as pytop sees it may not
	 * reach the file (a filesystem mounted in the target's own mount
	 * namespace only, as containers do). */
	char link[64], root[600];
	snprintf(link, sizeof link, "/proc/%d/root", (int)pid);
	ssize_t r = readlink(link, root, sizeof root - 1);
	if (r > 1 && (size_t)r < n && strncmp(path, root, (size_t)r) == 0 && path[r] == '/') {
		snprintf(out, cap, "/proc/%d/root%s", (int)pid, path + r);
		return;
	}
	snprintf(out, cap, "/proc/%d/root%s", (int)pid, path);
}

int proc_exe(pid_t pid, char *buf, size_t cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, buf, cap - 1);
	if (n < 0)
		return errno_to_err(errno);
	buf[n] = 0;
	return (int)n;
}

int proc_status_long(pid_t pid, const char *key, long *val)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	FILE *f;
	int rc = PYTOP_EINVAL;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return errno_to_err(errno);
	while (fgets(line, sizeof line, f)) {
		char *end;

		if (strncmp(line, key, klen) != 0 || line[klen] != ':')
			continue;
		errno = 0;
		*val = strtol(line + klen + 1, &end, 10);
		rc = errno || end == line + klen + 1 ? PYTOP_EINVAL : 0;
		break;
	}
	fclose(f);
	return rc;
}

int proc_dumpable(pid_t pid)
{
	char path[64];
	struct stat st;
	long uid;
	int rc;

	/* The files (not the directory) get root as owner when not dumpable. */
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (stat(path, &st) < 0)
		return errno_to_err(errno);
	if ((rc = proc_status_long(pid, "Uid", &uid)) < 0)
		return rc;
	return !(st.st_uid == 0 && uid != 0);
}


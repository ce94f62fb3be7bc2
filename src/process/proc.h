/* proc: what /proc says about a target process: its memory map, threads,
 * thread states and names, command line, and files seen through its root. */
#ifndef PYTOP_PROCESS_PROC_H
#define PYTOP_PROCESS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "cpython/pystring.h"

/* One line of /proc/PID/maps. */
struct proc_map {
	uint64_t start, end, offset;
	char perms[5];
	char path[512];     /* empty for anonymous mappings */
};

/* Read /proc/PID/maps into a new array; returns count or a negative error. */
int proc_maps_read(pid_t pid, struct proc_map **maps);

/* 0 when the process exists, PYTOP_ENOPROC or PYTOP_EPERM otherwise. */
int proc_check(pid_t pid);

/* The kernel tids of the process's threads, sorted; returns count (at most
 * max) or a negative error. Allocates nothing. */
int proc_tasks(pid_t pid, pid_t *tids, int max);

/* The kernel tids of the process's threads (/proc/PID/task read with
 * getdents64 into buf, bufsize bytes, at least 64; a few KiB takes fewer
 * calls): up to max into tids, in directory order; returns how many there
 * are (may be more than max) or a negative error. Allocates nothing and
 * keeps no state: for loops that must not call malloc (the sampler's). */
int proc_tasks_into(pid_t pid, char *buf, size_t bufsize, pid_t *tids, int max);

/* The one-letter state of a thread (R, S, D, T, Z, ...), or '?' when gone. */
char proc_task_state(pid_t pid, pid_t tid);

/* The longest kernel name (TASK_COMM_LEN less its NUL): longer names are cut. */
#define PROC_COMM_MAX 15

/* Whether comm, a kernel name as proc_task_comm gives it, is what the
 * kernel keeps of name (UTF-8) given to a thread as its OS name: its first
 * PROC_COMM_MAX bytes, less the part of a character they cut in two.
 * (Inline: pure, and the fuzz build fakes the rest of this module.) */
static inline bool proc_comm_of(const char *name, const char *comm)
{
	/* CPython cuts a thread's OS name at 15 bytes, inside a character
	 * too ("Spawner-\xc3\xa9\xc3\xa9\xc3\xa9\xc3"), and proc_task_comm
	 * drops such a tail: the name's longest prefix of whole characters. */
	size_t n = utf8_cut(name, PROC_COMM_MAX);
	return strlen(comm) == n && memcmp(name, comm, n) == 0;
}

/* The kernel name (comm) of a thread into buf; returns 0 or a negative error. */
int proc_task_comm(pid_t pid, pid_t tid, char *buf, size_t cap);

/* The one child of process pid (its main thread's children list), or 0
 * when it has none or more than one. */
pid_t proc_only_child(pid_t pid);

/* The command line, arguments joined by spaces; returns length or error. */
int proc_cmdline(pid_t pid, char *buf, size_t cap);

/* "/proc/PID/root" + path: the target's view of a file (containers); for a
 * file deleted after it was mapped ("PATH (deleted)"), /proc/PID/exe or
 * /proc/PID/map_files/START-END, which still reach it. For a chrooted target
 * a path already under its root as pytop sees it (as /proc/PID/maps shows
 * its files: "/srv/root/usr/bin/python3") loses that prefix first
 * ("/proc/PID/root/usr/bin/python3"). */
void proc_root_path(pid_t pid, const char *path, char *out, size_t cap);

/* A numeric field of /proc/PID/status ("Tgid", "TracerPid", "Uid" (its
 * first, real, value) ...) into *val; returns 0 or a negative error. */
int proc_status_long(pid_t pid, const char *key, long *val);

/* 0 when the process is not dumpable (prctl(PR_SET_DUMPABLE, 0), or it
 * changed credentials: its /proc files then belong to root although it
 * does not run as root), 1 when it is, or a negative error. */
int proc_dumpable(pid_t pid);

/* The path of the target's executable (readlink of /proc/PID/exe). */
int proc_exe(pid_t pid, char *buf, size_t cap);

#endif

/* nspid: a target in its own PID namespace (unshare -p, containers)
 * numbers its threads its own way: native_thread_id (3.11+) and glibc's
 * tid (3.8-3.10) are those numbers, while /proc shows pytop's. This maps
 * the target's thread ids to pytop's, from the NSpid lines of
 * /proc/PID/task/TID/status. Lookups are lock-free and may come from any
 * thread; a miss rescans the tasks (at most every 2 ms). */
#ifndef PYTOP_PROCESS_NSPID_H
#define PYTOP_PROCESS_NSPID_H

#include <sys/types.h>

struct nspid;

/* A map for pid, or NULL when pid is in pytop's own PID namespace (ids
 * need no mapping) or the kernel does not say (no NSpid line). */
struct nspid *nspid_create(pid_t pid);

/* Free (safe with NULL). */
void nspid_destroy(struct nspid *ns);

/* pytop's tid for the target's thread id inner: inner itself when ns is
 * NULL, 0 when no thread of the target has that id. */
pid_t nspid_host(struct nspid *ns, pid_t inner);

/* Parse the NSpid line of a status file's text: *outer is the first id
 * (pytop's namespace), *inner the last (the target's own). Returns how
 * many ids the line has (1: the same namespace), or -1 without the line. */
int nspid_parse(const char *status, pid_t *outer, pid_t *inner);

/* The same from an open status file, read line by line through a fixed
 * buffer (no allocation), whatever the length of the lines before NSpid:. */
int nspid_scan_fd(int fd, pid_t *outer, pid_t *inner);

#endif

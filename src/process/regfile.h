/* regfile: opening a file whose path a target chose, for reading, only if
 * it is a regular file on a filesystem that cannot stall pytop. */
#ifndef PYTOP_PROCESS_REGFILE_H
#define PYTOP_PROCESS_REGFILE_H

/* How long opening may take before it is given up (ms). */
#define REGFILE_TIMEOUT_MS 5000

/* Open path read-only if it is a regular file: a descriptor, or -1 with
 * errno set: EINVAL for a FIFO, device, socket or directory, or a file of
 * a kernel interface filesystem (proc, sysfs, debugfs...); ENOTSUP for a
 * file on a FUSE filesystem (its server, maybe the target, may never answer
 * a read); ETIMEDOUT when the lookup itself did not end within
 * REGFILE_TIMEOUT_MS (a path through a FUSE mount that does not answer).
 * Nothing else is opened on the way: opening is an action for devices
 * (/dev/watchdog arms the watchdog, a tape rewinds) and blocks on a FIFO.
 * The lookup runs in a child process, which is killed when it stalls. */
int regfile_open(const char *path);

#endif

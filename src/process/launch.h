/* launch: starting a program to profile (pytop -- python3 app.py), waiting
 * for its interpreter to come up, and collecting its exit status. */
#ifndef PYTOP_PROCESS_LAUNCH_H
#define PYTOP_PROCESS_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>

/* Start argv[0] (searched in PATH) with its input from in_fd and its
 * output sent to out_fd and err_fd (-1: inherited). With die_with_pytop the program gets SIGTERM
 * when pytop dies without ending it (SIGKILL, the OOM killer): it is never
 * left running unseen. Returns the child's pid, or a negative error with a
 * reason in err. Call it from the thread that lives as long as pytop (the
 * kernel sends the signal when the forking thread ends). */
pid_t launch_start(char **argv, int in_fd, int out_fd, int err_fd, int die_with_pytop, char *err,
		   size_t errcap);

/* Has the child exited? Returns 1 and sets *status (a wait status) when it
 * has, 0 when it still runs. Reaps it. */
int launch_poll(pid_t child, int *status);

/* Has the child exited? 1 when it has, 0 when it still runs; it is not
 * reaped (a zombie's /proc/PID/comm still names what it last exec'd). */
int launch_ended(pid_t child);

/* Wait for the child to exit; returns its wait status. */
int launch_wait(pid_t child);

/* The exit code pytop passes on for a wait status (128 + signal). */
int launch_exit_code(int status);

#endif

/* launch: fork/exec of the program to profile. */
#include "process/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "errors.h"
#include "util/fdlimit.h"

pid_t launch_start(char **argv, int in_fd, int out_fd, int err_fd, int die_with_pytop, char *err,
		   size_t errcap)
{
	int pipefd[2];
	pid_t pid, parent = getpid();

	/* A close-on-exec pipe tells the parent whether exec worked. */
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(err, errcap, "cannot start %s: %s", argv[0], strerror(errno));
		return PYTOP_EIO;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errcap, "cannot start %s: %s", argv[0], strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return PYTOP_EIO;
	}
	if (pid == 0) {
		/* pytop may already be gone by now: then end at once. */
		if (die_with_pytop && (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent))
			_exit(127);
		if (in_fd >= 0)
			dup2(in_fd, STDIN_FILENO);
		if (out_fd >= 0)
			dup2(out_fd, STDOUT_FILENO);
		if (err_fd >= 0)
			dup2(err_fd, STDERR_FILENO);
		fdlimit_restore();   /* the program's own descriptor limit */
		execvp(argv[0], argv);
		int e = errno;
		if (write(pipefd[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	close(pipefd[1]);
	int e = 0;
	ssize_t n;
	while ((n = read(pipefd[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(pipefd[0]);
	if (n > 0) {
		waitpid(pid, NULL, 0);
		snprintf(err, errcap, "cannot run %s: %s", argv[0], strerror(e));
		return PYTOP_EINVAL;
	}
	return pid;
}

/* Its end only: with --blocking pytop also traces the program, and a wait
 * would take (and lose) its ptrace stops, reported to a tracer whatever the
 * flags; so the end is looked at first, not taken. 1 when it has ended. */
static int peek_end(pid_t child, siginfo_t *si)
{
	memset(si, 0, sizeof *si);
	if (waitid(P_PID, (id_t)child, si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;   /* reaped elsewhere: it ended */
	return si->si_pid == child &&
	       (si->si_code == CLD_EXITED || si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED);
}

int launch_ended(pid_t child)
{
	siginfo_t si;
	return peek_end(child, &si);
}

int launch_poll(pid_t child, int *status)
{
	siginfo_t si;
	if (!peek_end(child, &si))
		return 0;
	if (si.si_pid != child)   /* reaped elsewhere */
		return 1;
	pid_t r = waitpid(child, status, WNOHANG);
	if (r != child) {
		/* (the status as the peek saw it) */
		*status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
	}
	return 1;
}

int launch_wait(pid_t child)
{
	int status = 0;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

int launch_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

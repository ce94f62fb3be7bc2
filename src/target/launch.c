/* launch: fork/exec of the program to profile. */
#include "target/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"

pid_t launch_start(char **argv, int out_fd, int err_fd, char *err, size_t errcap)
{
	int pipefd[2];
	pid_t pid;

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
		if (out_fd >= 0)
			dup2(out_fd, STDOUT_FILENO);
		if (err_fd >= 0)
			dup2(err_fd, STDERR_FILENO);
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

int launch_poll(pid_t child, int *status)
{
	pid_t r = waitpid(child, status, WNOHANG);
	return r == child ? 1 : 0;
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

/* test_source: the source viewer reads only regular files. A target names
 * its code's files, and opening is an action for devices (/dev/watchdog arms
 * a watchdog) and blocks on a FIFO (the live view hung): such a path is
 * reported as unavailable at once, a regular file is read (found by audit1). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "ui/source.h"

static void on_alarm(int sig)
{
	static const char msg[] = "not ok - source_load blocked on a FIFO (SIGALRM after 10 s)\n";
	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof msg - 1) < 0)
		_exit(2);
	_exit(1);
}

int main(void)
{
	char dir[] = "/tmp/pytop-test-source-XXXXXX", fifo[128], reg[128];
	struct source_cache *sc = source_new();

	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP mkdtemp failed\n");
		return 0;
	}
	snprintf(fifo, sizeof fifo, "%s/fifo.py", dir);
	snprintf(reg, sizeof reg, "%s/reg.py", dir);
	FILE *f = fopen(reg, "w");
	fputs("def f():\n    return 1\n", f);
	fclose(f);
	tap_ok(mkfifo(fifo, 0600) == 0, "mkfifo");

	fflush(stdout);
	signal(SIGALRM, on_alarm);
	alarm(10);
	tap_ok(!source_load(sc, getpid(), fifo), "a FIFO named as a source file is not opened (no hang)");
	alarm(0);
	tap_ok(!source_load(sc, getpid(), "/dev/null"), "a device named as a source file is not read");
	tap_ok(source_load(sc, getpid(), reg), "a regular file is read");
	tap_str(source_line(sc, reg, 2), "return 1", "its second line");

	source_free(sc);
	unlink(fifo);
	unlink(reg);
	rmdir(dir);
	return tap_done();
}

/* inject_probe: runs pending_inject() (src/agent/pending.h) against a live
 * target, for tests/live/test_inject.py.
 *
 *     inject_probe PID SCRIPT TIMEOUT_MS
 *
 * Prints "injected" (and any note) and exits 0 when the main thread took the
 * call; prints "refused: REASON" and exits 1 otherwise (2: bad usage or the
 * attach failed, with the reason). */
#include <stdio.h>
#include <stdlib.h>

#include "agent/pending.h"
#include "cpython/runtime.h"

int main(int argc, char **argv)
{
	struct py_target *t;
	char err[512];

	if (argc != 4) {
		fprintf(stderr, "usage: inject_probe PID SCRIPT TIMEOUT_MS\n");
		return 2;
	}
	if (pyrt_open((pid_t)atoi(argv[1]), &t, err, sizeof err) < 0) {
		printf("attach failed: %s\n", err);
		return 2;
	}
	int rc = pending_inject(t, argv[2], atoi(argv[3]), NULL, err, sizeof err);
	if (rc == 0)
		printf("injected%s%s\n", err[0] ? ": " : "", err);
	else
		printf("refused: %s\n", err);
	pyrt_close(t);
	return rc == 0 ? 0 : 1;
}

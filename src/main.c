/* main: pytop's entry point: parse the command line and run the mode. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "errors.h"
#include "output/escape.h"
#include "batch.h"
#include "dump.h"
#include "options.h"
#include "tracewatch.h"
#include "ui/loop.h"

int main(int argc, char **argv)
{
	struct options o;
	char err[512];
	int rc = options_parse(argc, argv, &o);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	signal(SIGPIPE, SIG_IGN);
	switch (o.run) {
	case RUN_DUMP:
		rc = dump_run(o.pid, o.json, o.blocking || o.native ? DUMP_PAUSE_MUST :
			      o.nonblocking ? DUMP_PAUSE_NEVER : DUMP_PAUSE_TRY,
			      o.native_all ? DUMP_NATIVE_ALL : o.native ? DUMP_NATIVE : DUMP_NATIVE_NO,
			      stdout, err, sizeof err);
		break;
	case RUN_BATCH:
		if (o.watch || o.trace)
			return tracewatch_run(&o);
		return batch_run(&o);
	default:
		return loop_run(&o);
	}
	if (rc < 0) {
		escape_error(err);
		return 1;
	}
	return 0;
}

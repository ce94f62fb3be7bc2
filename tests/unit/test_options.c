/* test_options: the command line (src/options.c): each kind of row stores
 * what it says, bad values give one-line errors, and the checks between
 * options hold. Errors go to stderr; the test reads return codes and fields. */
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "output/formats.h"
#include "tap.h"

#define ARGV(...) ((char *[]){ "pytop", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "pytop", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, ...) options_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (o))

int main(void)
{
	struct options o;
	char pidarg[] = "123";

	/* Defaults and the plain kinds. */
	tap_is(PARSE(&o, "-p", pidarg), 0, "-p PID parses");
	tap_is(o.pid, 123, "-p stores the pid");
	tap_ok(o.run == RUN_TUI && o.rate_hz == 1000 && o.mode == OPTIONS_MODE_CPU,
	       "defaults: the live view, 1000 Hz, cpu mode");
	tap_ok(o.gilstat_take_ms < 0 && o.gilstat_hold_ms < 0, "defaults: --gilstat-warn not given");
	tap_is(o.count, OPTIONS_AGENT_COUNT, "default -n");

	tap_is(PARSE(&o, "--batch", "-p", "7", "-d", "2.5", "-o", "x.json", "-r", "250", "--idle"), 0,
	       "batch options parse");
	tap_ok(o.run == RUN_BATCH && o.duration_s == 2.5 && o.rate_hz == 250 && o.mode == OPTIONS_MODE_WALL,
	       "-b -d -r --idle: batch, 2.5 s, 250 Hz, wall");
	tap_str(o.output, "x.json", "-o stores the path");
	tap_str(o.format->name, "json", "no -f: the output's ending picks json");

	tap_is(PARSE(&o, "-b", "-p", "7", "-f", "collapsed", "-o", "x.json"), 0, "-f with -o parses");
	tap_str(o.format->name, "collapsed", "-f wins over the ending");

	tap_is(PARSE(&o, "-b", "-p", "7", "--watch", "m f", "-n", "12", "--expr", "args", "--errors",
		     "--repr-depth", "4"), 0, "--watch options parse");
	tap_ok(o.count == 12 && o.errors_only && o.repr_depth == 4 && strcmp(o.watch, "m f") == 0 &&
	       strcmp(o.exprs, "args") == 0, "--watch, -n, --expr, --errors, --repr-depth stored");

	tap_is(PARSE(&o, "-b", "-p", "7", "--trace", "m f", "--depth", "9", "--min-ms", "0.5"), 0,
	       "--trace options parse");
	tap_ok(o.depth == 9 && o.min_ms == 0.5 && o.trace, "--depth and --min-ms stored");

	/* Custom rows. */
	tap_is(PARSE(&o, "-p", "7", "--native-all"), 0, "--native-all parses");
	tap_ok(o.native && o.native_all && o.rate_hz == OPTIONS_NATIVE_RATE_HZ,
	       "--native-all: native too, at the native default rate");
	tap_is(PARSE(&o, "-p", "7", "--native", "-r", "300"), 0, "--native -r parses");
	tap_ok(o.rate_hz == 300, "-r wins over --native's default rate");
	tap_is(PARSE(&o, "-p", "7", "--gilstat"), 0, "--gilstat parses");
	tap_ok(o.gilstat == OPTIONS_GILSTAT_SAMPLED && o.gilstat_auto, "plain --gilstat: auto");
	tap_is(PARSE(&o, "-p", "7", "--gilstat=exact", "--gilstat-warn", "5"), 0, "--gilstat=exact parses");
	tap_ok(o.gilstat == OPTIONS_GILSTAT_EXACT && !o.gilstat_auto && o.gilstat_take_ms == 5 &&
	       o.gilstat_hold_ms == 5, "--gilstat=exact; --gilstat-warn 5 sets both");
	tap_is(PARSE(&o, "-p", "7", "--gilstat-warn", "3,0"), 0, "--gilstat-warn 3,0 parses");
	tap_ok(o.gilstat_take_ms == 3 && o.gilstat_hold_ms == 0, "--gilstat-warn TAKE,HOLD");
	tap_is(PARSE(&o, "-p", "7", "-m", "gil", "-D", "0.5", "--no-color"), 0, "live options parse");
	tap_ok(o.mode == OPTIONS_MODE_GIL && o.delay_s == 0.5 && o.no_color, "-m gil -D --no-color stored");
	/* launch_argv points into argv: an array that outlives the check. */
	char *launch[] = { "pytop", "--", "python3", "app.py", NULL };
	tap_is(options_parse(4, launch, &o), 0, "a program after -- parses");
	tap_ok(o.launch_argv && strcmp(o.launch_argv[0], "python3") == 0 && strcmp(o.launch_argv[1], "app.py") == 0,
	       "the program's argv");
	tap_is(PARSE(&o, "-p", "7", "--version"), 1, "--version: 1 (printed, exit 0)");

	/* Bad values and bad combinations: -1, one line on stderr. */
	static const char *const bad[][8] = {
		{ "-p", "0" }, { "-p", "x" }, { "-p", "7", "-r", "0" }, { "-p", "7", "-r", "100001" },
		{ "-p", "7", "-m", "cycles" }, { "-p", "7", "-b", "-d", "0" }, { "-p", "7", "-b", "-f", "png" },
		{ "-p", "7", "--gilstat=maybe" }, { "-p", "7", "-b", "--gilstat", "--gilstat-rate", "1999" },
		{ "-p", "7", "--gilstat-warn", "x" }, { "-p", "7", "-D", "0.01" },
		{ "-p", "7", "-b", "--watch", "m f", "-n", "1.5" },
		{ "-p", "7", "-b", "--watch", "m f", "--repr-depth", "11" },
		{ "-p", "7", "-b", "--trace", "m f", "--depth", "0" },
		{ "-p", "7", "--bogus" }, { "-p", "7", "-x" }, { "-p", "7", "-r" },
		{ "-p", "7", "--blocking", "--nonblocking" }, { "-p", "7", "--native", "--nonblocking" },
		{ "-p", "7", "-o", "x" }, { "-p", "7", "--json" }, { "-p", "7", "--keep-running" },
		{ "-p", "7", "-b", "--watch", "a", "--trace", "b" }, { "-p", "7", "-n", "3" },
		{ "-p", "7", "-b", "--every", "5", "-o", "fixed.json" }, { "--dump" },
		{ "-p", "7", "-b", "--inverted" }, { "-p", "7", "stray" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *argv[10] = { "pytop" };
		int argc = 1;
		char line[160] = "";

		for (int k = 0; k < 8 && bad[i][k]; k++) {
			argv[argc++] = (char *)bad[i][k];
			snprintf(line + strlen(line), sizeof line - strlen(line), " %s", bad[i][k]);
		}
		tap_is(options_parse(argc, argv, &o), -1, "pytop%s: a usage error", line);
	}
	return tap_done();
}

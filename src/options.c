/* options: command-line parsing and the help text. */
#include "options.h"

#include <getopt.h>
#include <stdbool.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpython/versions.h"
#include "output/formats.h"

/* The usage text: usage_head, the -f line (from the format table), usage_tail. */
static const char usage_head[] =
	"Usage: pytop [options] -p PID\n"
	"       pytop [options] -- PROGRAM [ARGS...]\n"
	"\n"
	"A live profiler for running CPython " PY_VERSIONS_RANGE " processes.\n"
	"\n"
	"  -p, --pid PID        the process to profile\n"
	"      --dump           print every thread's Python stack once and exit\n"
	"      --json           with --dump: print JSON\n"
	"  -b, --batch          sample, then write one snapshot and exit\n"
	"  -d, --duration SECS  with --batch: how long to sample (default 10;\n"
	"                       a launched program: until it exits; with -d it is\n"
	"                       stopped after SECS: SIGINT, then SIGTERM, SIGKILL)\n"
	"      --keep-running   leave a launched program running when pytop ends\n"
	"  -o, --output FILE    with --batch: write the snapshot to FILE; without -f\n"
	"                       its ending picks the format (.json, .pprof, ...)\n"
	"      --every SECS     with --batch: write a snapshot of each SECS interval\n"
	"                       (1 or more) to a new file named by -o as a strftime\n"
	"                       pattern (-o 'web-%Y%m%dT%H%M%S.pprof'); runs until\n"
	"                       the target exits or -d is over\n"
	"      --watch 'MODULE [CLASS] METHOD'\n"
	"                       with --batch -p: inject pytop's agent and write each\n"
	"                       call's time, thread, cost, arguments and result (or\n"
	"                       exception); module.Class.method works too, and\n"
	"                       FILE:LINE (the function whose code starts there).\n"
	"                       Ends after -n calls or -d, then detaches (the flag\n"
	"                       is the consent)\n"
	"      --trace 'MODULE [CLASS] METHOD'\n"
	"                       with --batch -p: the same, writing for each call a tree\n"
	"                       of what it called: [cost ms] name file:line\n"
	"  -n, --count COUNT    --watch/--trace: calls to report (default 5)\n"
	"      --cond COND      --watch/--trace: only calls where the Python expression\n"
	"                       COND holds (over target, args, kwargs, return_obj, cost)\n"
	"      --expr EXPRS     --watch: what to show, comma-separated Python\n"
	"                       expressions over the same names (default\n"
	"                       args,return_obj)\n"
	"      --errors         --watch: only calls that raised\n"
	"      --repr-depth N   --watch: how deep values are shown (1 to 10, default 2)\n"
	"      --depth D        --trace: tree depth (1 to 50, default 3)\n"
	"      --min-ms MS      --trace: fold calls shorter than MS milliseconds\n";
static const char usage_tail[] =
	"      --inverted       with -f svg: an icicle graph (roots at the top)\n"
	"  -r, --rate HZ        samples per second (default 1000; 100 with --native)\n"
	"  -m, --mode MODE      what counts: cpu (default; samples weighed by the\n"
	"                       thread's CPU time), wall (every sample) or gil\n"
	"                       (samples holding the GIL)\n"
	"      --idle           the same as --mode wall\n"
	"      --gil            the same as --mode gil\n"
	"      --blocking       pause the target's threads while sampling them\n"
	"                       (exact stacks, slows the target; a stopped target\n"
	"                       stays stopped); --dump pauses it by default and\n"
	"                       with --blocking fails when it cannot\n"
	"      --nonblocking    never pause the target (the default but for --dump)\n"
	"      --native         C frames too (libunwind), live, --batch or --dump: each\n"
	"                       thread sampled is stopped (ptrace) while it is read\n"
	"                       and unwound; the pause is in the header. Native\n"
	"                       frames show as symbol (library), marked native; the\n"
	"                       interpreter's own (eval loop, call trampolines) are\n"
	"                       folded. Its default rate is 100 Hz: every sample\n"
	"                       stops the target\n"
	"      --native-all     --native, keeping the interpreter's own C frames\n"
	"      --gilstat[=HOW]  per-thread GIL statistics (takecnt, holdavg, hold_all,\n"
	"                       takeavg, take_all): exact (uprobes on take_gil/\n"
	"                       drop_gil; root or CAP_PERFMON; the default where it\n"
	"                       can run) or sampled (a 2 kHz GIL sampler, estimates)\n"
	"      --gilstat-rate HZ  the sampled gilstat rate (2000 to 20000; default 2000)\n"
	"      --gilstat-warn TAKE_MS[,HOLD_MS]\n"
	"                       warn when one GIL wait / hold is longer (default 10,10;\n"
	"                       0 turns a warning off)\n"
	"  -D, --delay SECS     live view: refresh interval, 0.1 to 60 (default 1)\n"
	"      --no-color       live view: no colours (also when NO_COLOR is set)\n"
	"  -h, --help           this help\n"
	"  -V, --version        print the version\n";

static void usage_print(FILE *f)
{
	char names[256];

	fputs(usage_head, f);
	char line[512];
	const char *p, *sp;
	int col = 23;

	/* The -f line from the format table, wrapped at 79 columns. */
	snprintf(line, sizeof line, "with --batch: %s", formats_names(names, sizeof names, 1));
	fputs("  -f, --format FMT     ", f);
	for (p = line; *p; p = sp) {
		int w;

		sp = strchr(p + 1, ' ');
		if (!sp)
			sp = p + strlen(p);
		w = (int)(sp - p);
		if (col + w > 79 && *p == ' ') {
			fprintf(f, "\n%23s", "");
			p++;
			w--;
			col = 23;
		}
		fwrite(p, 1, (size_t)w, f);
		col += w;
	}
	fputc('\n', f);
	fputs(usage_tail, f);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "pytop: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try 'pytop --help')\n");
	return -1;
}

static int parse_pid(const char *s, pid_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v <= 0 || v > INT_MAX)
		return -1;
	*out = (pid_t)v;
	return 0;
}

/* Does a strftime pattern hold a conversion that changes with the time
 * (anything but %% %n %t)? */
static bool options_pattern_varies(const char *pattern)
{
	for (const char *p = pattern; (p = strchr(p, '%')) != NULL; p += 2) {
		/* Flags and width (GNU: _ - 0 ^ #, digits), E and O modifiers. */
		const char *q = p + 1;

		while (*q && strchr("_-0^#123456789EO", *q))
			q++;
		if (!*q)
			return false;
		if (*q != '%' && *q != 'n' && *q != 't')
			return true;
		p = q - 1;
	}
	return false;
}

static int parse_number(const char *s, double min, double max, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

int options_parse(int argc, char **argv, struct options *o)
{
	enum { OPT_DUMP = 256, OPT_JSON, OPT_IDLE, OPT_GIL, OPT_BLOCKING, OPT_NONBLOCKING, OPT_GILSTAT, OPT_GILSTAT_RATE,
	       OPT_GILSTAT_WARN, OPT_KEEP_RUNNING, OPT_INVERTED, OPT_EVERY, OPT_WATCH, OPT_TRACE, OPT_EXPR,
	       OPT_COND, OPT_ERRORS, OPT_REPR_DEPTH, OPT_DEPTH, OPT_MIN_MS, OPT_NATIVE, OPT_NATIVE_ALL };
	enum { OPT_NO_COLOR = 512 };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "dump", no_argument, NULL, OPT_DUMP },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "batch", no_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },
		{ "mode", required_argument, NULL, 'm' },
		{ "idle", no_argument, NULL, OPT_IDLE },
		{ "gil", no_argument, NULL, OPT_GIL },
		{ "blocking", no_argument, NULL, OPT_BLOCKING },
		{ "nonblocking", no_argument, NULL, OPT_NONBLOCKING },
		{ "native", no_argument, NULL, OPT_NATIVE },
		{ "native-all", no_argument, NULL, OPT_NATIVE_ALL },
		{ "gilstat", optional_argument, NULL, OPT_GILSTAT },
		{ "gilstat-rate", required_argument, NULL, OPT_GILSTAT_RATE },
		{ "gilstat-warn", required_argument, NULL, OPT_GILSTAT_WARN },
		{ "keep-running", no_argument, NULL, OPT_KEEP_RUNNING },
		{ "inverted", no_argument, NULL, OPT_INVERTED },
		{ "every", required_argument, NULL, OPT_EVERY },
		{ "watch", required_argument, NULL, OPT_WATCH },
		{ "trace", required_argument, NULL, OPT_TRACE },
		{ "count", required_argument, NULL, 'n' },
		{ "expr", required_argument, NULL, OPT_EXPR },
		{ "cond", required_argument, NULL, OPT_COND },
		{ "errors", no_argument, NULL, OPT_ERRORS },
		{ "repr-depth", required_argument, NULL, OPT_REPR_DEPTH },
		{ "depth", required_argument, NULL, OPT_DEPTH },
		{ "min-ms", required_argument, NULL, OPT_MIN_MS },
		{ "delay", required_argument, NULL, 'D' },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	bool format_given = false, rate_given = false;

	memset(o, 0, sizeof *o);
	if (argc < 2) {
		/* Plain `pytop`: what it can do, on stderr (exit 2). */
		usage_print(stderr);
		return -1;
	}
	o->rate_hz = 1000;
	o->format = formats_default();
	o->gilstat_take_ms = -1;
	o->gilstat_hold_ms = -1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:p:bd:o:f:r:m:D:n:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->run = RUN_BATCH;
			break;
		case 'd':
			if (parse_number(optarg, 0.001, 1e7, &o->duration_s) < 0)
				return usage_error("invalid duration '%s' (seconds, > 0)", optarg);
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'f': {
			char names[256];

			if (!(o->format = formats_find(optarg)))
				return usage_error("unknown format '%s' (%s)", optarg,
						   formats_names(names, sizeof names, 0));
			format_given = true;
			break;
		}
		case 'r':
			if (parse_number(optarg, 1, 100000, &o->rate_hz) < 0)
				return usage_error("invalid rate '%s' (1 to 100000 Hz)", optarg);
			rate_given = true;
			break;
		case 'm':
			if (strcmp(optarg, "cpu") == 0)
				o->mode = OPTIONS_MODE_CPU;
			else if (strcmp(optarg, "wall") == 0)
				o->mode = OPTIONS_MODE_WALL;
			else if (strcmp(optarg, "gil") == 0)
				o->mode = OPTIONS_MODE_GIL;
			else
				return usage_error("unknown mode '%s' (cpu, wall or gil)", optarg);
			break;
		case OPT_IDLE:
			o->mode = OPTIONS_MODE_WALL;
			break;
		case OPT_GIL:
			o->mode = OPTIONS_MODE_GIL;
			break;
		case OPT_BLOCKING:
			o->blocking = 1;
			break;
		case OPT_NONBLOCKING:
			o->nonblocking = 1;
			break;
		case OPT_NATIVE:
			o->native = 1;
			break;
		case OPT_NATIVE_ALL:
			o->native = 1;
			o->native_all = 1;
			break;
		case OPT_GILSTAT:
			o->gilstat_auto = !optarg;
			if (!optarg || strcmp(optarg, "sampled") == 0)
				o->gilstat = OPTIONS_GILSTAT_SAMPLED;
			else if (strcmp(optarg, "exact") == 0)
				o->gilstat = OPTIONS_GILSTAT_EXACT;
			else
				return usage_error("unknown gilstat mode '%s' (sampled or exact)", optarg);
			break;
		case OPT_GILSTAT_RATE:
			if (parse_number(optarg, OPTIONS_GILSTAT_MIN_RATE_HZ, OPTIONS_GILSTAT_MAX_RATE_HZ,
					 &o->gilstat_rate_hz) < 0)
				return usage_error("invalid gilstat rate '%s' (%g to %g Hz)", optarg,
						   OPTIONS_GILSTAT_MIN_RATE_HZ, OPTIONS_GILSTAT_MAX_RATE_HZ);
			break;
		case OPT_GILSTAT_WARN: {
			char take[64], *hold;
			snprintf(take, sizeof take, "%s", optarg);
			hold = strchr(take, ',');
			if (hold)
				*hold++ = 0;
			if (parse_number(take, 0, 1e6, &o->gilstat_take_ms) < 0 ||
			    (hold && parse_number(hold, 0, 1e6, &o->gilstat_hold_ms) < 0))
				return usage_error("invalid --gilstat-warn '%s' (TAKE_MS[,HOLD_MS], milliseconds)", optarg);
			if (!hold)
				o->gilstat_hold_ms = o->gilstat_take_ms;
			break;
		}
		case 'D':
			if (parse_number(optarg, 0.1, 60, &o->delay_s) < 0)
				return usage_error("invalid delay '%s' (0.1 to 60 seconds)", optarg);
			break;
		case OPT_KEEP_RUNNING:
			o->keep_running = 1;
			break;
		case OPT_INVERTED:
			o->inverted = 1;
			break;
		case OPT_EVERY:
			if (parse_number(optarg, 1, 1e7, &o->every_s) < 0)
				return usage_error("invalid --every '%s' (seconds, 1 or more)", optarg);
			break;
		case OPT_WATCH:
			o->watch = optarg;
			break;
		case OPT_TRACE:
			o->trace = optarg;
			break;
		case 'n': {
			double v;
			if (parse_number(optarg, 1, 1e9, &v) < 0 || v != (double)(long)v)
				return usage_error("invalid count '%s' (a whole number, 1 or more)", optarg);
			o->count = (long)v;
			break;
		}
		case OPT_EXPR:
			o->exprs = optarg;
			break;
		case OPT_COND:
			o->cond = optarg;
			break;
		case OPT_ERRORS:
			o->errors_only = 1;
			break;
		case OPT_REPR_DEPTH: {
			double v;
			if (parse_number(optarg, 1, 10, &v) < 0 || v != (double)(int)v)
				return usage_error("invalid --repr-depth '%s' (1 to 10)", optarg);
			o->repr_depth = (int)v;
			break;
		}
		case OPT_DEPTH: {
			double v;
			if (parse_number(optarg, 1, 50, &v) < 0 || v != (double)(int)v)
				return usage_error("invalid --depth '%s' (1 to 50)", optarg);
			o->depth = (int)v;
			break;
		}
		case OPT_MIN_MS:
			if (parse_number(optarg, 0, 1e7, &o->min_ms) < 0)
				return usage_error("invalid --min-ms '%s' (milliseconds, 0 or more)", optarg);
			break;
		case OPT_NO_COLOR:
			o->no_color = 1;
			break;
		case 'p':
			if (parse_pid(optarg, &o->pid) < 0)
				return usage_error("invalid PID '%s'", optarg);
			break;
		case OPT_DUMP:
			o->run = RUN_DUMP;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case 'h':
			usage_print(stdout);
			return 1;
		case 'V':
			printf("pytop %s\n", PACKAGE_VERSION);
			return 1;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return usage_error("unexpected argument '%s'", argv[optind]);
		o->launch_argv = &argv[optind];
	}
	if (o->pid && o->launch_argv)
		return usage_error("%s", "give either -p PID or a program after --, not both");
	if (!o->pid && !o->launch_argv)
		return usage_error("%s", "no target: give -p PID or a program after --");
	if (o->keep_running && !o->launch_argv)
		return usage_error("%s", "--keep-running goes with a program after --");
	if (o->blocking && o->nonblocking)
		return usage_error("%s", "give either --blocking or --nonblocking, not both");
	/* Every --native sample stops the target: a rate it can bear. */
	if (o->native && !rate_given)
		o->rate_hz = OPTIONS_NATIVE_RATE_HZ;
	if (o->native && o->nonblocking)
		return usage_error("%s", "--native pauses the target: it does not go with --nonblocking");
	if (o->native && (o->watch || o->trace))
		return usage_error("%s", "--native does not go with --watch/--trace");
	if (o->json && o->run != RUN_DUMP)
		return usage_error("%s", "--json goes with --dump (for a JSON snapshot use --batch -f json)");
	if (o->run == RUN_DUMP && !o->pid)
		return usage_error("%s", "--dump needs -p PID");
	if (o->run == RUN_DUMP && (o->gilstat || o->gilstat_rate_hz > 0 || o->gilstat_take_ms >= 0))
		return usage_error("%s", "--gilstat options do not go with --dump");
	if (o->run == RUN_BATCH && !o->gilstat && (o->gilstat_rate_hz > 0 || o->gilstat_take_ms >= 0))
		return usage_error("%s", "with --batch, --gilstat-rate and --gilstat-warn go with --gilstat");
	if (o->run != RUN_BATCH && (o->output || o->duration_s > 0 || format_given || o->every_s > 0))
		return usage_error("%s", "-d, -o, -f and --every go with --batch");
	if (o->every_s > 0 && !o->output)
		return usage_error("%s", "--every needs -o PATTERN (a file name with strftime conversions)");
	if (o->every_s > 0 && !options_pattern_varies(o->output))
		return usage_error("--every: -o '%s' has no strftime conversion (e.g. %%Y%%m%%dT%%H%%M%%S): "
				   "every snapshot would get the same name", o->output);
	/* No -f: the file name's ending says (profile.pprof, out.speedscope.json). */
	if (!format_given && o->output)
		o->format = formats_for_path(o->output);
	if (o->inverted && (o->run != RUN_BATCH || strcmp(o->format->name, "svg") != 0))
		return usage_error("%s", "--inverted goes with --batch -f svg (or -o FILE.svg)");
	if (o->watch && o->trace)
		return usage_error("%s", "give either --watch or --trace, not both");
	if ((o->watch || o->trace) && (o->run != RUN_BATCH || !o->pid))
		return usage_error("%s", "--watch and --trace go with --batch -p PID");
	if ((o->count || o->cond) && !o->watch && !o->trace)
		return usage_error("%s", "-n and --cond go with --watch or --trace");
	if ((o->exprs || o->errors_only || o->repr_depth) && !o->watch)
		return usage_error("%s", "--expr, --errors and --repr-depth go with --watch");
	if ((o->depth || o->min_ms > 0) && !o->trace)
		return usage_error("%s", "--depth and --min-ms go with --trace");
	if ((o->watch || o->trace) && (o->every_s > 0 || o->gilstat || o->inverted))
		return usage_error("%s", "--every, --gilstat and --inverted do not go with --watch/--trace");
	if ((o->watch || o->trace) && strcmp(o->format->name, "text") != 0 && strcmp(o->format->name, "json") != 0)
		return usage_error("--watch and --trace write text or json, not %s", o->format->name);
	if (!o->count)
		o->count = OPTIONS_AGENT_COUNT;
	if (o->run != RUN_TUI && (o->delay_s > 0 || o->no_color))
		return usage_error("%s", "-D and --no-color go with the live view (not --batch or --dump)");
	return 0;
}

/* options: command-line parsing and the help text. */
#include "options.h"

#include <getopt.h>
#include <stddef.h>
#include <stdbool.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpython/versions.h"
#include "output/formats.h"

/* How an option row stores its argument (struct option_row.kind). */
enum option_kind {
	KIND_SET,      /* no argument: the int field = value */
	KIND_STRING,   /* the const char * field = the argument */
	KIND_NUMBER,   /* the double field = the argument, min to max */
	KIND_WHOLE,    /* the int field = the argument, a whole number min to max */
	KIND_CHOICE,   /* the int field = the argument's index in choices[] */
	KIND_CUSTOM,   /* parse() does it */
};

struct option_row;
typedef int (*option_parse_fn)(struct options *o, const char *arg);

/* One option: its names, its help and what it sets. */
struct option_row {
	const char *name;    /* the long name */
	int short_name;      /* 0: long only */
	int has_arg;         /* no_argument, required_argument, optional_argument */
	const char *arg;     /* the argument in the help ("PID"; "[=HOW]" when optional) */
	const char *help;    /* its help lines, '\n' between them; NULL: formats_help() */
	enum option_kind kind;
	size_t field;        /* offsetof(struct options, ...) */
	double min, max;     /* KIND_NUMBER, KIND_WHOLE */
	int value;           /* KIND_SET */
	const char *const *choices;  /* KIND_CHOICE: the names, NULL-terminated */
	const char *bad;     /* the error: invalid BAD 'ARG' (RANGE) */
	const char *range;
	option_parse_fn parse;   /* KIND_CUSTOM: 0, or -1 after usage_error() */
};

#define F(member) offsetof(struct options, member)

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...);
static int parse_format(struct options *o, const char *arg);
static int parse_rate(struct options *o, const char *arg);
static int parse_native_all(struct options *o, const char *arg);
static int parse_gilstat(struct options *o, const char *arg);
static int parse_gilstat_warn(struct options *o, const char *arg);
static int parse_pid_arg(struct options *o, const char *arg);
static int parse_help(struct options *o, const char *arg);
static int parse_version(struct options *o, const char *arg);

/* -m's names, in enum options_mode's order. */
static const char *const mode_names[] = { "cpu", "wall", "gil", NULL };

/* Every option, in the order --help lists them: a new option is a row here
 * (and its checks against the others in options_parse()). */
static const struct option_row option_rows[] = {
	{ "pid", 'p', required_argument, "PID", "the process to profile",
	  .kind = KIND_CUSTOM, .parse = parse_pid_arg },
	{ "dump", 0, no_argument, NULL, "print every thread's Python stack once and exit",
	  .kind = KIND_SET, .field = F(run), .value = RUN_DUMP },
	{ "json", 0, no_argument, NULL, "with --dump: print JSON",
	  .kind = KIND_SET, .field = F(json), .value = 1 },
	{ "batch", 'b', no_argument, NULL, "sample, then write one snapshot and exit",
	  .kind = KIND_SET, .field = F(run), .value = RUN_BATCH },
	{ "duration", 'd', required_argument, "SECS",
	  "with --batch: how long to sample (default 10;\n"
	  "a launched program: until it exits; with -d it is\n"
	  "stopped after SECS: SIGINT, then SIGTERM, SIGKILL)",
	  .kind = KIND_NUMBER, .field = F(duration_s), .min = 0.001, .max = 1e7,
	  .bad = "duration", .range = "seconds, > 0" },
	{ "keep-running", 0, no_argument, NULL, "leave a launched program running when pytop ends",
	  .kind = KIND_SET, .field = F(keep_running), .value = 1 },
	{ "output", 'o', required_argument, "FILE",
	  "with --batch: write the snapshot to FILE; without -f\n"
	  "its ending picks the format (.json, .pprof, ...)",
	  .kind = KIND_STRING, .field = F(output) },
	{ "every", 0, required_argument, "SECS",
	  "with --batch: write a snapshot of each SECS interval\n"
	  "(1 or more) to a new file named by -o as a strftime\n"
	  "pattern (-o 'web-%Y%m%dT%H%M%S.pprof'); runs until\n"
	  "the target exits or -d is over",
	  .kind = KIND_NUMBER, .field = F(every_s), .min = 1, .max = 1e7,
	  .bad = "--every", .range = "seconds, 1 or more" },
	{ "watch", 0, required_argument, "'MODULE [CLASS] METHOD'",
	  "with --batch -p: inject pytop's agent and write each\n"
	  "call's time, thread, cost, arguments and result (or\n"
	  "exception); module.Class.method works too, and\n"
	  "FILE:LINE (the function whose code starts there).\n"
	  "Ends after -n calls or -d, then detaches (the flag\n"
	  "is the consent)",
	  .kind = KIND_STRING, .field = F(watch) },
	{ "trace", 0, required_argument, "'MODULE [CLASS] METHOD'",
	  "with --batch -p: the same, writing for each call a tree\n"
	  "of what it called: [cost ms] name file:line",
	  .kind = KIND_STRING, .field = F(trace) },
	{ "count", 'n', required_argument, "COUNT", "--watch/--trace: calls to report (default 5)",
	  .kind = KIND_WHOLE, .field = F(count), .min = 1, .max = 1e9,
	  .bad = "count", .range = "a whole number, 1 or more" },
	{ "cond", 0, required_argument, "COND",
	  "--watch/--trace: only calls where the Python expression\n"
	  "COND holds (over target, args, kwargs, return_obj, cost)",
	  .kind = KIND_STRING, .field = F(cond) },
	{ "expr", 0, required_argument, "EXPRS",
	  "--watch: what to show, comma-separated Python\n"
	  "expressions over the same names (default\n"
	  "args,return_obj)",
	  .kind = KIND_STRING, .field = F(exprs) },
	{ "errors", 0, no_argument, NULL, "--watch: only calls that raised",
	  .kind = KIND_SET, .field = F(errors_only), .value = 1 },
	{ "repr-depth", 0, required_argument, "N", "--watch: how deep values are shown (1 to 10, default 2)",
	  .kind = KIND_WHOLE, .field = F(repr_depth), .min = 1, .max = 10,
	  .bad = "--repr-depth", .range = "1 to 10" },
	{ "depth", 0, required_argument, "D", "--trace: tree depth (1 to 50, default 3)",
	  .kind = KIND_WHOLE, .field = F(depth), .min = 1, .max = 50,
	  .bad = "--depth", .range = "1 to 50" },
	{ "min-ms", 0, required_argument, "MS", "--trace: fold calls shorter than MS milliseconds",
	  .kind = KIND_NUMBER, .field = F(min_ms), .min = 0, .max = 1e7,
	  .bad = "--min-ms", .range = "milliseconds, 0 or more" },
	{ "format", 'f', required_argument, "FMT", NULL,
	  .kind = KIND_CUSTOM, .parse = parse_format },
	{ "inverted", 0, no_argument, NULL, "with -f svg: an icicle graph (roots at the top)",
	  .kind = KIND_SET, .field = F(inverted), .value = 1 },
	{ "rate", 'r', required_argument, "HZ", "samples per second (default 1000; 100 with --native)",
	  .kind = KIND_CUSTOM, .parse = parse_rate },
	{ "mode", 'm', required_argument, "MODE",
	  "what counts: cpu (default; samples weighed by the\n"
	  "thread's CPU time), wall (every sample) or gil\n"
	  "(samples holding the GIL)",
	  .kind = KIND_CHOICE, .field = F(mode), .choices = mode_names,
	  .bad = "mode", .range = "cpu, wall or gil" },
	{ "idle", 0, no_argument, NULL, "the same as --mode wall",
	  .kind = KIND_SET, .field = F(mode), .value = OPTIONS_MODE_WALL },
	{ "gil", 0, no_argument, NULL, "the same as --mode gil",
	  .kind = KIND_SET, .field = F(mode), .value = OPTIONS_MODE_GIL },
	{ "blocking", 0, no_argument, NULL,
	  "pause the target's threads while sampling them\n"
	  "(exact stacks, slows the target; a stopped target\n"
	  "stays stopped); --dump pauses it by default and\n"
	  "with --blocking fails when it cannot",
	  .kind = KIND_SET, .field = F(blocking), .value = 1 },
	{ "nonblocking", 0, no_argument, NULL, "never pause the target (the default but for --dump)",
	  .kind = KIND_SET, .field = F(nonblocking), .value = 1 },
	{ "native", 0, no_argument, NULL,
	  "C frames too (libunwind), live, --batch or --dump: each\n"
	  "thread sampled is stopped (ptrace) while it is read\n"
	  "and unwound; the pause is in the header. Native\n"
	  "frames show as symbol (library), marked native; the\n"
	  "interpreter's own (eval loop, call trampolines) are\n"
	  "folded. Its default rate is 100 Hz: every sample\n"
	  "stops the target",
	  .kind = KIND_SET, .field = F(native), .value = 1 },
	{ "native-all", 0, no_argument, NULL, "--native, keeping the interpreter's own C frames",
	  .kind = KIND_CUSTOM, .parse = parse_native_all },
	{ "gilstat", 0, optional_argument, "[=HOW]",
	  "per-thread GIL statistics (takecnt, holdavg, hold_all,\n"
	  "takeavg, take_all): exact (uprobes on take_gil/\n"
	  "drop_gil; root or CAP_PERFMON; the default where it\n"
	  "can run) or sampled (a 2 kHz GIL sampler, estimates)",
	  .kind = KIND_CUSTOM, .parse = parse_gilstat },
	{ "gilstat-rate", 0, required_argument, "HZ", "the sampled gilstat rate (2000 to 20000; default 2000)",
	  .kind = KIND_NUMBER, .field = F(gilstat_rate_hz),
	  .min = OPTIONS_GILSTAT_MIN_RATE_HZ, .max = OPTIONS_GILSTAT_MAX_RATE_HZ,
	  .bad = "gilstat rate", .range = "2000 to 20000 Hz" },
	{ "gilstat-warn", 0, required_argument, "TAKE_MS[,HOLD_MS]",
	  "warn when one GIL wait / hold is longer (default 10,10;\n"
	  "0 turns a warning off)",
	  .kind = KIND_CUSTOM, .parse = parse_gilstat_warn },
	{ "delay", 'D', required_argument, "SECS", "live view: refresh interval, 0.1 to 60 (default 1)",
	  .kind = KIND_NUMBER, .field = F(delay_s), .min = 0.1, .max = 60,
	  .bad = "delay", .range = "0.1 to 60 seconds" },
	{ "no-color", 0, no_argument, NULL, "live view: no colours (also when NO_COLOR is set)",
	  .kind = KIND_SET, .field = F(no_color), .value = 1 },
	{ "help", 'h', no_argument, NULL, "this help",
	  .kind = KIND_CUSTOM, .parse = parse_help },
	{ "version", 'V', no_argument, NULL, "print the version",
	  .kind = KIND_CUSTOM, .parse = parse_version },
};

#define NROWS (sizeof option_rows / sizeof option_rows[0])
/* The help's second column, and the width it wraps at. */
#define HELP_COL 23
#define HELP_WIDTH 79

static const char usage_intro[] =
	"Usage: pytop [options] -p PID\n"
	"       pytop [options] -- PROGRAM [ARGS...]\n"
	"\n"
	"A live profiler for running CPython " PY_VERSIONS_RANGE " processes.\n"
	"\n";

/* -f's help: the format table's names, wrapped at HELP_WIDTH. */
static void format_help(char *out, size_t size)
{
	char names[256], line[512];
	size_t n = 0;
	int col = HELP_COL;

	snprintf(line, sizeof line, "with --batch: %s", formats_names(names, sizeof names, 1));
	out[0] = 0;
	for (const char *p = line, *sp; *p && n + 1 < size; p = sp) {
		int w;

		sp = strchr(p + 1, ' ');
		if (!sp)
			sp = p + strlen(p);
		w = (int)(sp - p);
		if (col + w > HELP_WIDTH && *p == ' ') {
			n += (size_t)snprintf(out + n, size - n, "\n");
			p++;
			w--;
			col = HELP_COL;
		}
		if (n + 1 < size)
			n += (size_t)snprintf(out + n, size - n, "%.*s", w, p);
		col += w;
	}
}

/* One row's help: "  -p, --pid PID" then its lines from HELP_COL (on the
 * next line when the names leave no room for the first). */
static void usage_row(FILE *f, const struct option_row *r)
{
	char left[96], fhelp[512];
	const char *help = r->help, *nl;
	int len;

	if (!help) {
		format_help(fhelp, sizeof fhelp);
		help = fhelp;
	}
	if (r->short_name)
		len = snprintf(left, sizeof left, "  -%c, --%s", r->short_name, r->name);
	else
		len = snprintf(left, sizeof left, "      --%s", r->name);
	if (r->arg && len >= 0 && (size_t)len < sizeof left)
		len += snprintf(left + len, sizeof left - (size_t)len, "%s%s",
				r->has_arg == optional_argument ? "" : " ", r->arg);
	nl = strchr(help, '\n');
	int first = nl ? (int)(nl - help) : (int)strlen(help);
	if (len < HELP_COL - 1)
		fprintf(f, "%-*s", HELP_COL, left);
	else if (len + 2 + first <= HELP_WIDTH)
		fprintf(f, "%s  ", left);
	else
		fprintf(f, "%s\n%*s", left, HELP_COL, "");
	for (;;) {
		nl = strchr(help, '\n');
		if (!nl) {
			fprintf(f, "%s\n", help);
			break;
		}
		fprintf(f, "%.*s\n%*s", (int)(nl - help), help, HELP_COL, "");
		help = nl + 1;
	}
}

static void usage_print(FILE *f)
{
	fputs(usage_intro, f);
	for (size_t i = 0; i < NROWS; i++)
		usage_row(f, &option_rows[i]);
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

static int parse_pid_arg(struct options *o, const char *arg)
{
	if (parse_pid(arg, &o->pid) < 0)
		return usage_error("invalid PID '%s'", arg);
	return 0;
}

/* -f and -r also note that they were given (-o's ending, --native's rate). */
static bool format_given, rate_given;

static int parse_format(struct options *o, const char *arg)
{
	char names[256];

	if (!(o->format = formats_find(arg)))
		return usage_error("unknown format '%s' (%s)", arg, formats_names(names, sizeof names, 0));
	format_given = true;
	return 0;
}

static int parse_rate(struct options *o, const char *arg)
{
	if (parse_number(arg, 1, 100000, &o->rate_hz) < 0)
		return usage_error("invalid rate '%s' (1 to 100000 Hz)", arg);
	rate_given = true;
	return 0;
}

static int parse_native_all(struct options *o, const char *arg)
{
	(void)arg;
	o->native = 1;
	o->native_all = 1;
	return 0;
}

static int parse_gilstat(struct options *o, const char *arg)
{
	o->gilstat_auto = !arg;
	if (!arg || strcmp(arg, "sampled") == 0)
		o->gilstat = OPTIONS_GILSTAT_SAMPLED;
	else if (strcmp(arg, "exact") == 0)
		o->gilstat = OPTIONS_GILSTAT_EXACT;
	else
		return usage_error("unknown gilstat mode '%s' (sampled or exact)", arg);
	return 0;
}

static int parse_gilstat_warn(struct options *o, const char *arg)
{
	char take[64], *hold;

	snprintf(take, sizeof take, "%s", arg);
	hold = strchr(take, ',');
	if (hold)
		*hold++ = 0;
	if (parse_number(take, 0, 1e6, &o->gilstat_take_ms) < 0 ||
	    (hold && parse_number(hold, 0, 1e6, &o->gilstat_hold_ms) < 0))
		return usage_error("invalid --gilstat-warn '%s' (TAKE_MS[,HOLD_MS], milliseconds)", arg);
	if (!hold)
		o->gilstat_hold_ms = o->gilstat_take_ms;
	return 0;
}

/* -h and -V print and end the parse (1: exit 0). */
static int parse_help(struct options *o, const char *arg)
{
	(void)o;
	(void)arg;
	usage_print(stdout);
	return 1;
}

static int parse_version(struct options *o, const char *arg)
{
	(void)o;
	(void)arg;
	printf("pytop %s\n", PACKAGE_VERSION);
	return 1;
}

/* Store ARG as row R says: 0, 1 (help/version printed) or -1 (an error). */
static int option_apply(struct options *o, const struct option_row *r, const char *arg)
{
	char *base = (char *)o;
	double v;

	switch (r->kind) {
	case KIND_SET:
		*(int *)(void *)(base + r->field) = r->value;
		return 0;
	case KIND_STRING:
		*(const char **)(void *)(base + r->field) = arg;
		return 0;
	case KIND_NUMBER:
		if (parse_number(arg, r->min, r->max, (double *)(void *)(base + r->field)) < 0)
			return usage_error("invalid %s '%s' (%s)", r->bad, arg, r->range);
		return 0;
	case KIND_WHOLE:
		if (parse_number(arg, r->min, r->max, &v) < 0 || v != (double)(int)v)
			return usage_error("invalid %s '%s' (%s)", r->bad, arg, r->range);
		*(int *)(void *)(base + r->field) = (int)v;
		return 0;
	case KIND_CHOICE:
		for (int i = 0; r->choices[i]; i++) {
			if (strcmp(arg, r->choices[i]) == 0) {
				*(int *)(void *)(base + r->field) = i;
				return 0;
			}
		}
		return usage_error("unknown %s '%s' (%s)", r->bad, arg, r->range);
	case KIND_CUSTOM:
		return r->parse(o, arg);
	}
	return -1;
}

int options_parse(int argc, char **argv, struct options *o)
{
	/* getopt's tables, from option_rows: a long-only row's value is 256 + its index. */
	struct option longopts[NROWS + 1];
	char shortopts[2 + 3 * NROWS + 1];
	size_t ns = 0;
	int c;

	memset(o, 0, sizeof *o);
	if (argc < 2) {
		/* Plain `pytop`: what it can do, on stderr (exit 2). */
		usage_print(stderr);
		return -1;
	}
	shortopts[ns++] = '+';
	shortopts[ns++] = ':';
	for (size_t i = 0; i < NROWS; i++) {
		const struct option_row *r = &option_rows[i];

		longopts[i] = (struct option){ r->name, r->has_arg, NULL, r->short_name ? r->short_name : 256 + (int)i };
		if (r->short_name) {
			shortopts[ns++] = (char)r->short_name;
			if (r->has_arg != no_argument)
				shortopts[ns++] = ':';
			if (r->has_arg == optional_argument)
				shortopts[ns++] = ':';
		}
	}
	longopts[NROWS] = (struct option){ NULL, 0, NULL, 0 };
	shortopts[ns] = 0;
	format_given = rate_given = false;
	o->rate_hz = 1000;
	o->format = formats_default();
	o->gilstat_take_ms = -1;
	o->gilstat_hold_ms = -1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct option_row *row = NULL;
		int rc;

		if (c >= 256 && (size_t)(c - 256) < NROWS)
			row = &option_rows[c - 256];
		for (size_t i = 0; !row && c > 0 && c < 256 && i < NROWS; i++)
			if (option_rows[i].short_name == c)
				row = &option_rows[i];
		if (c == ':')
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		if (!row)
			return usage_error("unknown option '%s'", argv[optind - 1]);
		if ((rc = option_apply(o, row, optarg)) != 0)
			return rc;
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

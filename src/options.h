/* options: pytop's command line: what to run and how. */
#ifndef PYTOP_OPTIONS_H
#define PYTOP_OPTIONS_H

#include <sys/types.h>

enum run_mode {
	RUN_TUI = 0,      /* the full-screen view (default) */
	RUN_DUMP,         /* --dump: print every stack once */
	RUN_BATCH,        /* --batch: sample, then write one snapshot */
};

/* -m: what the hot table counts (the same values as enum agg_mode). */
enum options_mode {
	OPTIONS_MODE_CPU = 0,   /* samples weighed by the thread's CPU time */
	OPTIONS_MODE_WALL,      /* every sample */
	OPTIONS_MODE_GIL,       /* samples holding the GIL */
};

/* --gilstat (the same values as enum gilstat_mode). */
enum options_gilstat {
	OPTIONS_GILSTAT_OFF = 0,
	OPTIONS_GILSTAT_SAMPLED,
	OPTIONS_GILSTAT_EXACT,
};

/* The range --gilstat-rate accepts (Hz). */
#define OPTIONS_GILSTAT_MIN_RATE_HZ 2000.0
#define OPTIONS_GILSTAT_MAX_RATE_HZ 20000.0

struct output_format;

/* The parsed command line. */
struct options {
	enum run_mode run;
	pid_t pid;
	int json;             /* --dump --json */
	char **launch_argv;   /* after --: a program to start and profile */
	double rate_hz;       /* -r */
	double duration_s;    /* -d; 0 = not given */
	const char *output;   /* -o; NULL = stdout (with --every: a strftime pattern) */
	const struct output_format *format;  /* -f, else the format -o's ending asks for (output/formats.h) */
	double every_s;       /* --every: a snapshot file every SECS; 0 = one at the end */
	int inverted;         /* --inverted: -f svg as an icicle graph */
	int mode;             /* enum options_mode */
	int blocking;         /* --blocking: pause the target for every read */
	int nonblocking;      /* --nonblocking: never pause it (--dump pauses by default) */
	int native;           /* --native: C frames too, merged with the Python ones */
	int native_all;       /* --native-all: keep the interpreter's machinery frames */
	int gilstat;          /* --gilstat[=sampled|exact]: enum options_gilstat */
	int gilstat_auto;     /* plain --gilstat: exact where it can run, else sampled */
	double gilstat_rate_hz;   /* --gilstat-rate; 0 = the default */
	double gilstat_take_ms;   /* --gilstat-warn TAKE_MS[,HOLD_MS]; < 0 = the default */
	double gilstat_hold_ms;
	double delay_s;       /* -D: live view refresh interval; 0 = not given */
	int no_color;         /* --no-color */
	int keep_running;     /* --keep-running: leave a launched program running */
	/* --batch --watch / --trace (the agent, src/agent/). */
	const char *watch;    /* --watch 'MODULE [CLASS] METHOD', or NULL */
	const char *trace;    /* --trace 'MODULE [CLASS] METHOD', or NULL */
	const char *exprs;    /* --expr EXPRS (watch), NULL = args,return_obj */
	const char *cond;     /* --cond COND, or NULL */
	int count;            /* -n/--count: calls to report (default OPTIONS_AGENT_COUNT) */
	int errors_only;      /* --errors: watch only calls that raised */
	int repr_depth;       /* --repr-depth (watch; default 2) */
	int depth;            /* --depth (trace; default 3) */
	double min_ms;        /* --min-ms (trace; 0 = nothing folded) */
};

/* -r's default with --native (each sample stops the target's threads). */
#define OPTIONS_NATIVE_RATE_HZ 100

/* -n's default: the calls --watch and --trace report. */
#define OPTIONS_AGENT_COUNT 5

/* Parse argv into o. Returns 0 to go on, 1 when help or version was printed
 * (exit 0), or -1 after printing a one-line usage error (exit 2). */
int options_parse(int argc, char **argv, struct options *o);

#endif

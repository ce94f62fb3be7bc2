/* test_tracer: the trace/watch pane's line store without a worker or a
 * target: lines kept are bounded (the oldest go), each is escaped (a
 * terminal escape, a bidi override, invalid UTF-8) and cut, and `w` in the
 * pane (actions_save_trace) leaves no cut file behind when the write
 * fails (here: RLIMIT_FSIZE, so no full disk is needed); the consent
 * question answered after the target exited attempts nothing; T's
 * prefill survives odd file names. */
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sampling/aggregate.h"
#include "tap.h"
#include "ui/actions.h"
#include "ui/commands.h"
#include "ui/lineedit.h"
#include "ui/tracer.h"
#include "ui/tui.h"

/* Files in dir whose name ends with suffix. */
static int count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), s = strlen(suffix);

		if (l >= s && strcmp(e->d_name + l - s, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

int main(void)
{
	struct tracer *tr = tracer_new(4242);
	char line[TRACER_LINE_MAX], big[3 * TRACER_LINE_MAX];
	enum tracer_line_kind kind;
	uint64_t first;
	size_t n;

	/* Escaped, split on newlines, the first line of a call its head. */
	tracer_note(tr, TL_CALL_HEAD, "f \x1b[2J\xe2\x80\xae x\xff\nbody");
	n = tracer_span(tr, &first);
	tap_is(n, 2, "a two-line text is two lines");
	tap_ok(tracer_line(tr, first, line, sizeof(line), &kind) && kind == TL_CALL_HEAD &&
	       !strchr(line, '\x1b') && !strstr(line, "\xe2\x80\xae") && !strchr(line, '\xff'),
	       "its first line is the call's head, with no raw escape, bidi override or invalid byte: %s", line);
	tap_ok(tracer_line(tr, first + 1, line, sizeof(line), &kind) && kind == TL_CALL_BODY &&
	       strcmp(line, "body") == 0, "its second line is the body");

	/* A long line is cut to TRACER_LINE_MAX. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tracer_note(tr, TL_NOTE, big);
	n = tracer_span(tr, &first);
	line[0] = '\0';
	{
		bool got = tracer_line(tr, first + n - 1, line, sizeof(line), NULL);

		tap_ok(got && strlen(line) >= TRACER_LINE_MAX / 2 && strlen(line) < TRACER_LINE_MAX,
		       "a %zu-byte line is cut (%zu kept)", strlen(big), strlen(line));
	}

	/* Bounded: the oldest lines go. */
	for (int i = 0; i < TRACER_LINES_MAX + 10; i++) {
		char t[32];

		snprintf(t, sizeof(t), "line %d", i);
		tracer_note(tr, TL_NOTE, t);
	}
	n = tracer_span(tr, &first);
	tap_is(n, TRACER_LINES_MAX, "at most TRACER_LINES_MAX lines are kept");
	tap_ok(!tracer_line(tr, first - 1, line, sizeof(line), NULL), "a line before the first kept is gone");
	line[0] = '\0';
	tracer_line(tr, first + n - 1, line, sizeof(line), NULL);
	tap_str(line, "line 20009", "the newest line is the last one added");

	/* Saving it when the file cannot be written in full. */
	{
		struct aggregate *a = aggregate_create(AGG_MODE_CPU, 1000000);
		struct options o;
		struct tui *t;
		struct rlimit rl = { 4096, 4096 }, old;
		char dir[] = "/tmp/pytop-test-tracer-XXXXXX", cwd[4096];
		unsigned fx = 0;
		int rc;

		memset(&o, 0, sizeof(o));
		o.rate_hz = 1000;
		t = tui_new(a, &o);
		t->m.pid = 4242;
		t->m.tracer = tr;
		if (!mkdtemp(dir) || !getcwd(cwd, sizeof(cwd)) || chdir(dir) != 0)
			tap_bail("cannot make and enter a temporary directory");

		rc = actions_save_trace(&t->m, &fx);
		tap_ok(rc == 0 && count_files(".", "-trace.txt") == 1, "w in the pane writes a -trace.txt file");

		signal(SIGXFSZ, SIG_IGN);
		getrlimit(RLIMIT_FSIZE, &old);
		rl.rlim_max = old.rlim_max;
		setrlimit(RLIMIT_FSIZE, &rl);
		sleep(1);       /* another second: another name */
		rc = actions_save_trace(&t->m, &fx);
		setrlimit(RLIMIT_FSIZE, &old);
		tap_ok(rc < 0 && t->m.msg_error && strstr(t->m.msg, "cannot write"),
		       "a write that fails (file size limit) is an error: %s", t->m.msg);
		tap_is(count_files(".", "-trace.txt"), 1, "and leaves no cut file behind");

		if (chdir(cwd) != 0)
			tap_bail("cannot go back to %s", cwd);
		{
			char cmd[256];

			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
			if (system(cmd) != 0)
				printf("# could not remove %s\n", dir);
		}
		t->m.tracer = NULL;
		tui_free(t);
		aggregate_destroy(a);
	}
	tracer_free(tr);

	/* T/W's prefill: a file name with blanks, quotes, backslashes and a
	 * control character comes back whole from the command line's
	 * split; one too long for the prompt is refused. */
	{
		struct aggregate *a = aggregate_create(AGG_MODE_CPU, 1000000);
		struct options o;
		struct tui *t;
		const char *odd = "/tmp/a b/q\"uo'te\\back\x1b[31m\xe2\x80\xae.py";
		char want[256], buf[LINEEDIT_MAX], *argv[8], longname[300];
		unsigned fx = 0;
		int argc;

		memset(&o, 0, sizeof(o));
		t = tui_new(a, &o);
		t->m.pid = 999999999;
		t->m.tracer = tracer_new(t->m.pid);
		tap_ok(actions_agent_prompt(&t->m, true, odd, 12, &fx) == 0 && strncmp(t->m.prefill, "trace \"", 7) == 0,
		       "T: the prompt is prefilled with trace \"FILE:LINE\"");
		snprintf(buf, sizeof(buf), "%s", t->m.prefill);
		snprintf(want, sizeof(want), "%s:12", odd);
		argc = commands_split(buf, argv, 8);
		tap_ok(argc == 2 && strcmp(argv[0], "trace") == 0 && strcmp(argv[1], want) == 0,
		       "T: the odd file name comes back whole from the split (%d words)", argc);
		memset(longname, 'd', sizeof(longname) - 1);
		longname[0] = '/';
		longname[sizeof(longname) - 1] = '\0';
		t->m.prefill[0] = '\0';
		tap_ok(actions_agent_prompt(&t->m, false, longname, 3, &fx) < 0 && !t->m.prefill[0] &&
		       t->m.msg_error && strstr(t->m.msg, "too long"), "W: a name too long for the prompt: %s", t->m.msg);
		tracer_free(t->m.tracer);
		t->m.tracer = NULL;
		tui_free(t);
		aggregate_destroy(a);
	}

	/* The consent question answered y after the target exited: nothing
	 * is asked of the tracer (no attach to a pid that is gone). */
	{
		struct aggregate *a = aggregate_create(AGG_MODE_CPU, 1000000);
		struct options o;
		struct tui *t;
		const char *cmd = "watch app.main work\n";

		memset(&o, 0, sizeof(o));
		o.rate_hz = 1000;
		t = tui_new(a, &o);
		t->m.pid = 999999999;       /* above any pid_max */
		t->m.tracer = tracer_new(t->m.pid);
		tui_key(t, ':');
		for (const char *p = cmd; *p; p++)
			tui_key(t, (uint32_t)(unsigned char)*p);
		tap_ok(t->prompt.kind == PROMPT_CONSENT, "the first watch asks before injecting");
		t->m.exited = true;
		tui_key(t, 'y');
		for (int i = 0; i < 100 && tracer_span(t->m.tracer, &first) == 0; i++)
			usleep(10000);
		tap_ok(tracer_span(t->m.tracer, &first) == 0 && t->m.msg_error && strstr(t->m.msg, "exited"),
		       "y after the target exited: said, nothing attempted (%s)", t->m.msg);
		tracer_free(t->m.tracer);
		t->m.tracer = NULL;
		tui_free(t);
		aggregate_destroy(a);
	}
	return tap_done();
}

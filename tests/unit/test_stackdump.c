/* Unit test: --dump's text and JSON forms (output/stackdump): frames,
 * native and marker frames, a cut stack, an unreadable thread, and text
 * from the target escaped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/stackdump.h"
#include "sampling/sample.h"
#include "tap.h"

static char *render(const struct stackdump *d, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (json)
		stackdump_write_json(f, d);
	else
		stackdump_write_text(f, d);
	fclose(f);
	return buf;
}

int main(void)
{
	struct stackdump_frame good[] = {
		{ "work", "app.py", 12, FUNC_KIND_PYTHON },
		{ "memcpy+0x1a", "libc.so.6", 0, FUNC_KIND_NATIVE },
		{ "<module>", "app.py", 3, FUNC_KIND_PYTHON },
	};
	struct stackdump_frame cut[] = {
		{ "rec", "r.py", 2, FUNC_KIND_PYTHON },
		{ "(5000+ frames truncated)", "<pytop>", 0, FUNC_KIND_MARKER },
	};
	struct stackdump_thread th[] = {
		{ 101, "MainThread", "running", 3, 0, good, NULL },
		{ 102, "evil\x1b[2Jname", "sleeping", 2, 1, cut, NULL },
		{ 103, "Looper", "sleeping", 0, 0, NULL, "inconsistent interpreter state" },
	};
	struct stackdump d = { .pid = 100, .cmdline = "python3 app.py", .version = "3.13.0", .threads = th,
			       .n = 3, .depth_max = 4096 };

	char *text = render(&d, 0);
	tap_ok(strstr(text, "Process 100: python3 app.py\nPython v3.13.0\n") != NULL, "text: the process line");
	tap_ok(strstr(text, "Thread 101 \"MainThread\" (running)\n    work (app.py:12)\n"
			    "    memcpy+0x1a (libc.so.6)\n    <module> (app.py:3)\n") != NULL,
	       "text: Python frames with file:line, a native one with its library");
	tap_ok(strstr(text, "\x1b") == NULL && strstr(text, "Thread 102 \"evil") != NULL,
	       "text: a thread name's ESC is escaped");
	tap_ok(strstr(text, "    rec (r.py:2)\n    ... (5000+ frames truncated): the stack is deeper than 4096 frames\n")
		       != NULL, "text: a cut stack ends with its marker line");
	tap_ok(strstr(text, "Thread 103 \"Looper\" (sleeping)\n    (stack not readable: inconsistent interpreter state)\n")
		       != NULL, "text: an unreadable thread says why, with no frame");
	if (tap_failed)
		printf("# %s", text);
	free(text);

	char *json = render(&d, 1);
	tap_ok(strstr(json, "{\"tid\":103,\"name\":\"Looper\",\"state\":\"sleeping\","
			    "\"error\":\"inconsistent interpreter state\",\"frames\":[]}") != NULL,
	       "json: an unreadable thread has \"error\" and no frames");
	tap_ok(strstr(json, "\"truncated\":true") != NULL && strstr(json, "\"kind\":\"marker\"") != NULL &&
		       strstr(json, "\"kind\":\"native\"") != NULL,
	       "json: a cut stack is marked, native and marker frames have a kind");
	int errors = 0;
	for (const char *p = json; (p = strstr(p, "\"error\"")); p++)
		errors++;
	tap_is(errors, 1, "json: only the unreadable thread has \"error\"");
	tap_ok(strstr(json, "\x1b") == NULL, "json: no raw ESC");
	if (tap_failed)
		printf("# %s", json);
	free(json);
	printf("1..%d\n", tap_n);
	return 0;
}

/* Unit tests for agent/request: the trace/watch words parsed into a
 * request (flags, ranges, errors), its description, and the module.name a
 * function seen in a file is completed to. */
#include <stdio.h>
#include <string.h>

#include "agent/request.h"
#include "tap.h"

static int parse(bool trace, const char *line, struct request *q, char *err, size_t cap)
{
	static char buf[1024];
	char *argv[32];
	int argc = 0;

	snprintf(buf, sizeof buf, "%s", line);
	for (char *w = strtok(buf, " "); w && argc < 32; w = strtok(NULL, " "))
		argv[argc++] = w;
	err[0] = '\0';
	return request_parse(trace, argc, argv, q, err, cap);
}

int main(void)
{
	struct request q;
	struct link_request lr;
	char err[512], out[256];

	/* defaults and the target words */
	tap_is(parse(false, "__main__ Shop price", &q, err, sizeof err), 0, "watch MODULE CLASS METHOD parses");
	tap_str(q.target, "__main__ Shop price", "the three words are the target");
	tap_ok(q.count == 5 && q.repr_depth == 2 && !q.errors_only && !q.cond[0] && !q.exprs[0],
	       "watch defaults: -n 5, -x 2, no -e, no condition, the agent's expressions");
	request_link(&q, &lr);
	tap_ok(lr.cond == NULL && lr.exprs == NULL && lr.count == 5 && strcmp(lr.target, q.target) == 0,
	       "request_link: absent strings are NULL");

	/* every flag of watch */
	tap_is(parse(false, "mod.f -n 7 -E args,return_obj -f cost>1 -e -x 3", &q, err, sizeof err), 0,
	       "watch with every flag parses (%s)", err);
	tap_ok(q.count == 7 && strcmp(q.exprs, "args,return_obj") == 0 && strcmp(q.cond, "cost>1") == 0 &&
	       q.errors_only && q.repr_depth == 3 && !q.trace, "watch flags land in their fields");
	tap_is(parse(false, "mod.f --count 2 --expr kwargs --cond x --errors --repr-depth 4", &q, err, sizeof err), 0,
	       "watch long flags parse");
	tap_ok(q.count == 2 && q.repr_depth == 4 && q.errors_only, "long flags land in their fields");

	/* trace */
	tap_is(parse(true, "mod Cls meth -n 2 -d 4 -i 0.5 -f True", &q, err, sizeof err), 0, "trace with its flags parses");
	tap_ok(q.trace && q.count == 2 && q.depth == 4 && q.min_ms == 0.5 && strcmp(q.cond, "True") == 0,
	       "trace flags land in their fields");
	request_describe(&q, out, sizeof out);
	tap_str(out, "trace mod Cls meth -n 2 -d 4 -i 0.5 -f 'True'", "request_describe says the request");

	/* errors: one line each, naming the problem */
	tap_is(parse(true, "mod f -e", &q, err, sizeof err), -1, "trace refuses watch's -e");
	tap_ok(strstr(err, "unknown flag '-e'") != NULL, "... saying so: %s", err);
	tap_is(parse(false, "mod f -d 3", &q, err, sizeof err), -1, "watch refuses trace's -d");
	tap_is(parse(false, "-n 3", &q, err, sizeof err), -1, "no method: refused");
	tap_ok(strstr(err, "which method?") != NULL, "... saying so: %s", err);
	tap_is(parse(false, "a b c d", &q, err, sizeof err), -1, "four target words: refused");
	tap_is(parse(false, "f -n", &q, err, sizeof err), -1, "a flag without its value: refused");
	tap_ok(strstr(err, "-n wants COUNT") != NULL, "... saying so: %s", err);
	tap_is(parse(false, "f -n 0", &q, err, sizeof err), -1, "-n 0: refused");
	tap_is(parse(false, "f -n 2.5", &q, err, sizeof err), -1, "-n 2.5: refused");
	tap_is(parse(false, "f -n 1e9", &q, err, sizeof err), -1, "-n 1e9: over the range, refused");
	tap_is(parse(false, "f -n nan", &q, err, sizeof err), -1, "-n nan: refused");
	tap_is(parse(true, "f -d 51", &q, err, sizeof err), -1, "-d 51: refused");
	tap_is(parse(true, "f -i -1", &q, err, sizeof err), -1, "-i -1: refused");
	tap_is(parse(false, "f -x 11", &q, err, sizeof err), -1, "-x 11: refused");
	{
		char big[700];
		memset(big, 'a', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		char *argv[] = { "f", "-f", big };
		tap_is(request_parse(false, 3, argv, &q, err, sizeof err), -1, "a condition over %d bytes: refused",
		       REQUEST_TEXT_MAX - 1);
		char *argv2[] = { big };
		tap_is(request_parse(false, 1, argv2, &q, err, sizeof err), -1, "a name over %d bytes: refused",
		       REQUEST_TEXT_MAX - 1);
	}
	tap_ok(strstr(request_usage(true), "[-d DEPTH]") && strstr(request_usage(false), "[-E EXPRS]") &&
	       !strstr(request_usage(false), "-d DEPTH") && !strstr(request_usage(true), "[-e]"),
	       "usages come from the flags table, each with its own flags");

	/* the module.name of a function seen in a file */
	tap_ok(request_pyname("/usr/lib/python3.13/http/server.py", "BaseHTTPRequestHandler.handle", NULL, out, sizeof out),
	       "a standard library function has a name");
	tap_str(out, "http.server.BaseHTTPRequestHandler.handle", "... after lib/pythonX.Y");
	request_pyname("/venv/lib/python3.12/site-packages/requests/api.py", "get", NULL, out, sizeof out);
	tap_str(out, "requests.api.get", "after site-packages");
	request_pyname("/usr/lib/python3/dist-packages/yaml/__init__.py", "load", NULL, out, sizeof out);
	tap_str(out, "yaml.load", "a package's __init__ is the package");
	request_pyname("/srv/app/handlers.py", "Shop.price", "/srv/app/main.py", out, sizeof out);
	tap_str(out, "handlers.Shop.price", "elsewhere: the file's base name");
	request_pyname("/srv/app/main.py", "main", "main.py", out, sizeof out);
	tap_str(out, "__main__.main", "the script the target runs is __main__");
	tap_ok(!request_pyname("/srv/app/x.py", "<module>", NULL, out, sizeof out) &&
	       !request_pyname("/srv/app/x.py", "f.<locals>.<lambda>", NULL, out, sizeof out) &&
	       !request_pyname("<frozen importlib._bootstrap>", "_find", NULL, out, sizeof out) &&
	       !request_pyname("/srv/app/my x.py", "f", NULL, out, sizeof out) &&
	       !request_pyname("/srv/app/x.py", "f", NULL, out, 3),
	       "no name for <module>, lambdas, frozen modules, paths with blanks, or when it does not fit");
	return tap_done();
}

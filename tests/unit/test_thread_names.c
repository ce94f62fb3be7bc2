/* test_thread_names: when the kernel's name of a thread is the name
 * threading gave it (thread_os_named): only on a version whose threading
 * sets OS names, only for a stack rooted at threading's Thread._bootstrap,
 * and only past Thread._bootstrap_inner's _set_os_name. */
#include <string.h>

#include "cpython/thread.h"
#include "tap.h"

static struct func_info fi(const char *name, const char *file)
{
	return (struct func_info){ .id = 1, .firstlineno = 1, .name = name, .file = file };
}

/* frames innermost first, as the walker gives them */
static int named(int os_names, const struct func_info *root, struct func_info *const *fs, int depth, bool truncated)
{
	struct py_target t;
	struct stack_frame frames[8];

	memset(&t, 0, sizeof t);
	t.L.threading_os_names = os_names;
	for (int i = 0; i < depth; i++)
		frames[i] = (struct stack_frame){ fs[i], 1, 0 };
	return thread_os_named(&t, root, frames, depth, truncated);
}

int main(void)
{
	const char *tp = "/usr/lib/python3.15/threading.py";
	struct func_info boot = fi("Thread._bootstrap", tp), inner = fi("Thread._bootstrap_inner", tp),
			 ident = fi("Thread._set_ident", tp), nid = fi("Thread._set_native_id", tp),
			 osn = fi("Thread._set_os_name", tp), run = fi("Thread.run", tp),
			 handler = fi("Handler.do_GET", "/srv/app.py"), evset = fi("Event.set", tp),
			 fake = fi("Thread._bootstrap", "/srv/mythreading.py"), other = fi("worker", "/srv/app.py"),
			 cb = fi("on_start", "/srv/tracer.py"), del = fi("Conn.__del__", "/srv/app.py"),
			 sub_run = fi("Poller.run", "/srv/app.py"),
			 hook = fi("_make_invoke_excepthook.<locals>.invoke_excepthook", tp),
			 delete = fi("Thread._delete", tp);

	struct func_info *start1[] = { &boot };
	struct func_info *start2[] = { &inner, &boot };
	struct func_info *set_ident[] = { &ident, &inner, &boot };
	struct func_info *set_nid[] = { &nid, &inner, &boot };
	struct func_info *set_osn[] = { &osn, &inner, &boot };
	struct func_info *started[] = { &evset, &inner, &boot };
	struct func_info *running[] = { &handler, &run, &inner, &boot };
	struct func_info *deep[] = { &handler, &run };
	struct func_info *faked[] = { &handler, &run, &inner, &fake };
	struct func_info *plain[] = { &handler, &other };
	/* Frames the interpreter runs before _set_ident: a sys.monitoring
	 * PY_START callback of _bootstrap_inner (and what it calls), a
	 * finalizer run by the GC at _bootstrap's start. */
	struct func_info *monitored[] = { &cb, &inner, &boot };
	struct func_info *monitored2[] = { &other, &cb, &inner, &boot };
	struct func_info *finalizer[] = { &other, &del, &boot };
	struct func_info *subclass[] = { &handler, &sub_run, &inner, &boot };
	struct func_info *excepthook[] = { &hook, &inner, &boot };
	struct func_info *deleting[] = { &delete, &inner, &boot };

	tap_ok(!named(1, &boot, start1, 1, false), "in _bootstrap alone: not yet named (the creator's name)");
	tap_ok(!named(1, &boot, start2, 2, false), "in _bootstrap_inner, before its calls: not yet named");
	tap_ok(!named(1, &boot, set_ident, 3, false), "in _set_ident: not yet named");
	tap_ok(!named(1, &boot, set_nid, 3, false), "in _set_native_id: not yet named");
	tap_ok(!named(1, &boot, set_osn, 3, false), "in _set_os_name: not known to be named yet");
	tap_ok(named(1, &boot, started, 3, false), "in _started.set(), after _set_os_name: named");
	tap_ok(named(1, &boot, running, 4, false), "in run(): named");
	tap_ok(named(1, &boot, deep, 2, true), "a truncated stack under _bootstrap: named");
	tap_ok(!named(0, &boot, running, 4, false), "a version whose threading does not set OS names: never");
	tap_ok(!named(1, &fake, faked, 4, false), "a _bootstrap not in threading.py: never");
	tap_ok(!named(1, &other, plain, 2, false), "a thread not started by threading: never");
	tap_ok(!named(1, NULL, running, 4, false), "no outermost frame known: never");
	tap_ok(!named(1, &boot, monitored, 3, false), "a monitoring callback under _bootstrap_inner: not known to be named");
	tap_ok(!named(1, &boot, monitored2, 4, false), "... and a call it makes: not known to be named");
	tap_ok(!named(1, &boot, finalizer, 3, false), "a finalizer's call under _bootstrap: not known to be named");
	tap_ok(named(1, &boot, subclass, 4, false), "in a Thread subclass's run(): named");
	tap_ok(named(1, &boot, excepthook, 3, false), "in _invoke_excepthook: named");
	tap_ok(named(1, &boot, deleting, 3, false), "in _delete: named");
	return tap_done();
}

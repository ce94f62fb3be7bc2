/* inject: making a target run pytop's bootstrap script: on 3.14+ through
 * PEP 768's remote-debugging fields (_Py_DebugOffsets.debugger_support), on
 * older versions through the pending-call injection (pending.h). */
#ifndef PYTOP_AGENT_INJECT_H
#define PYTOP_AGENT_INJECT_H

#include <stdatomic.h>
#include <stddef.h>

#include "cpython/pytarget.h"

/* Make t's main thread run the Python file at path (as the target sees it)
 * within timeout_ms. cancel (may be NULL) is read every few milliseconds
 * while waiting: once it is non-zero the request is taken back as on a
 * timeout and PYTOP_ECANCELED returned. Returns 0 once the target has taken
 * the script, or a negative error with a one-line reason in err, which
 * ends saying whether anything was left behind; on failure the target is
 * left as it was (a request it did not take is withdrawn). */
int inject_script(struct py_target *t, const char *path, int timeout_ms, const atomic_int *cancel, char *err,
		  size_t errcap);

#endif

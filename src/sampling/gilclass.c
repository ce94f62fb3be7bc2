/* gilclass: the GIL class table and the classification of a sample. */
#include "sampling/gilclass.h"

#include <stdbool.h>
#include <stddef.h>

#include "sampling/sample.h"

static const struct gil_class_info classes[GIL_CLASS_COUNT] = {
	[GIL_HOLDING] = { GIL_HOLDING, "holding", 'H', "hold GIL",
		"holding the GIL on CPU: running Python (or handing the GIL over)",
		"Hold", "holding_pct", "bar-gil-hold", 0x2588, '#', GILCLASS_BAR | GILCLASS_SHARE },
	[GIL_HOLDING_BLOCKED] = { GIL_HOLDING_BLOCKED, "holding_blocked", 'B', "blocked",
		"blocked holding the GIL: in a system call (C code that keeps it), or stopped",
		"HoldBlk", "holding_blocked_pct", "bar-gil-blocked", 0x2593, '!', GILCLASS_BAR | GILCLASS_SHARE },
	[GIL_WAITING] = { GIL_WAITING, "waiting", 'W', "wait",
		"blocked waiting for the GIL",
		"Wait", "waiting_pct", "bar-gil-wait", 0x2592, '%', GILCLASS_BAR | GILCLASS_SHARE },
	[GIL_NATIVE] = { GIL_NATIVE, "native", 'N', "runnable, no GIL",
		"runnable without the GIL (native code, or waiting for a core)",
		"Native", "native_pct", "bar-nogil", 0x2591, '=', GILCLASS_BAR | GILCLASS_SHARE },
	[GIL_IDLE] = { GIL_IDLE, "idle", 'I', "idle",
		"blocked in a system call other than a GIL wait",
		"Idle", "idle_pct", "bar-idle", ' ', ' ', GILCLASS_SHARE },
	[GIL_UNKNOWN] = { GIL_UNKNOWN, "unknown", '?', "unknown",
		"the thread's OS state could not be read",
		NULL, NULL, "bar-unknown", '?', '?', GILCLASS_BAR },
};

const struct gil_class_info *gilclass_info(enum gil_class c)
{
	return &classes[(unsigned)c < GIL_CLASS_COUNT ? c : GIL_UNKNOWN];
}

enum gil_class gilclass_of(unsigned state, unsigned flags)
{
	bool holds = (flags & SAMPLE_F_HOLDS_GIL) != 0;

	switch (state) {
	case THREAD_RUNNING:
		/* On CPU with the GIL unread: holding it or in C code without
		 * it, nobody can tell. */
		if (flags & SAMPLE_F_GIL_UNREAD)
			return GIL_UNKNOWN;
		return holds ? GIL_HOLDING : GIL_NATIVE;
	case THREAD_GIL_WAIT:
		/* The holder blocked on the GIL's own mutex: handing it over. */
		return holds ? GIL_HOLDING : GIL_WAITING;
	case THREAD_IDLE:
		return holds ? GIL_HOLDING_BLOCKED : GIL_IDLE;
	default:
		return holds ? GIL_HOLDING : GIL_UNKNOWN;
	}
}

const char *gilclass_name(enum gil_class c)
{
	return (unsigned)c < GIL_CLASS_COUNT ? classes[c].name : "?";
}

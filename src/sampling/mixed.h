/* mixed: one stack of Python and native frames from a thread's native
 * unwind and its Python walk taken at the same instant: each eval-loop C
 * frame is replaced by the Python frames it was running. Pure (no target
 * access), for unit tests. */
#ifndef PYTOP_SAMPLING_MIXED_H
#define PYTOP_SAMPLING_MIXED_H

#include <stdbool.h>
#include <stdint.h>

#include "cpython/stack.h"
#include "process/symbols.h"

/* One frame of either stack, and of the result. */
struct mixed_frame {
	const struct func_info *func;
	int32_t line;
	uint8_t kind;     /* enum func_kind */
	uint8_t entry;    /* Python: the outermost frame of its eval call (stack_frame.entry) */
	uint8_t role;     /* native: enum machinery_role */
};

/* The marker functions mixed_merge() puts into a stack. */
struct mixed_markers {
	const struct func_info *partial;    /* "(native stack incomplete)" */
	const struct func_info *unmatched;  /* "(native and Python stacks differ)" */
};

/* A native function's role (enum machinery_role), cached on y: an address
 * no symbol covers in the interpreter's own file is its machinery (a
 * static function of a stripped binary). */
int mixed_role(struct symbol *y);

/* mixed_merge()'s flags. */
#define MIXED_PARTIAL   0x1   /* the native unwind stopped early: marked */
#define MIXED_UNMATCHED 0x2   /* eval frames and Python calls did not pair up: marked */
#define MIXED_CUT       0x4   /* more than max frames: the outermost are left out */

/* Merge nat[0..nn) (innermost first; partial: the unwind stopped before the
 * stack's end) with py[0..np) (innermost first) into out[0..max). The k-th
 * eval frame (innermost first) is replaced by the k-th group of Python
 * frames (a group ends at a frame with entry set); with one eval frame more
 * than groups, the innermost one ran no frame yet (entering or leaving the
 * loop) and is left out; with fewer eval frames than groups after a
 * partial unwind, the groups left follow a partial
 * marker at the outer end; any other disagreement keeps every Python frame
 * at the first eval frame (or after the native frames) with an unmatched
 * marker. Machinery frames (and eval frames) are left out unless all.
 * Returns the frames written; *flags gets MIXED_*. */
int mixed_merge(const struct mixed_frame *nat, int nn, bool partial, const struct mixed_frame *py, int np,
		bool all, const struct mixed_markers *mk, struct mixed_frame *out, int max, int *flags);

#endif

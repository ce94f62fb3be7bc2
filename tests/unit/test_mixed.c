/* Unit test: mixed stacks (sampling/mixed) and the machinery table
 * (cpython/machinery): eval frames replaced by the Python frames they ran,
 * in order; machinery folded unless all; partial and unmatched stacks
 * marked; the output bound. */
#include <string.h>

#include "cpython/machinery.h"
#include "sampling/mixed.h"
#include "sampling/sample.h"
#include "tap.h"

static struct func_info fn(const char *name)
{
	return (struct func_info){ 0, 0, name, "f" };
}

static struct func_info F_leaf, F_closure, F_qsort, F_ffi, F_call, F_main, F_eval, F_spin;
static struct func_info P_cb, P_caller, P_module, P_a, P_b, P_c, P_d;
static const struct func_info M_partial = { 0, 0, "(partial)", "<pytop>" };
static const struct func_info M_unmatched = { 0, 0, "(unmatched)", "<pytop>" };
static const struct mixed_markers MK = { &M_partial, &M_unmatched };

static struct mixed_frame nat(const struct func_info *f, int role)
{
	return (struct mixed_frame){ f, 0, FUNC_KIND_NATIVE, 0, (uint8_t)role };
}

static struct mixed_frame py(const struct func_info *f, int entry)
{
	return (struct mixed_frame){ f, 1, FUNC_KIND_PYTHON, (uint8_t)entry, 0 };
}

/* The names of out[0..n) joined with ';'. */
static const char *names(const struct mixed_frame *out, int n)
{
	static char buf[1024];
	buf[0] = 0;
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(buf, ";");
		strcat(buf, out[i].func->name);
	}
	return buf;
}

int main(void)
{
	struct mixed_frame out[32];
	int flags, n;

	F_leaf = fn("leaf"); F_closure = fn("closure_fcn"); F_qsort = fn("qsort"); F_ffi = fn("ffi_call");
	F_call = fn("_PyObject_Call"); F_main = fn("main"); F_eval = fn("_PyEval_EvalFrameDefault");
	F_spin = fn("spin_hot");
	P_cb = fn("py_compare"); P_caller = fn("sort_caller"); P_module = fn("<module>");
	P_a = fn("a"); P_b = fn("b"); P_c = fn("c"); P_d = fn("d");

	/* One eval call per Python frame (3.6-3.10): a callback under qsort. */
	struct mixed_frame n1[] = {
		nat(&F_eval, MACHINERY_EVAL), nat(&F_call, MACHINERY_FOLDED), nat(&F_closure, MACHINERY_SHOWN),
		nat(&F_qsort, MACHINERY_SHOWN), nat(&F_ffi, MACHINERY_SHOWN), nat(&F_eval, MACHINERY_EVAL),
		nat(&F_eval, MACHINERY_EVAL), nat(&F_main, MACHINERY_FOLDED),
	};
	struct mixed_frame p1[] = { py(&P_cb, 1), py(&P_caller, 1), py(&P_module, 1) };
	n = mixed_merge(n1, 8, false, p1, 3, false, &MK, out, 32, &flags);
	tap_str(names(out, n), "py_compare;closure_fcn;qsort;ffi_call;sort_caller;<module>",
		"each eval frame is its Python frame; qsort between the callback and its caller");
	tap_is(flags, 0, "... no flags");
	tap_is(out[0].kind, FUNC_KIND_PYTHON, "... Python frames keep their kind");
	tap_is(out[1].kind, FUNC_KIND_NATIVE, "... native frames theirs");

	n = mixed_merge(n1, 8, false, p1, 3, true, &MK, out, 32, &flags);
	tap_str(names(out, n),
		"py_compare;_PyEval_EvalFrameDefault;_PyObject_Call;closure_fcn;qsort;ffi_call;sort_caller;"
		"_PyEval_EvalFrameDefault;<module>;_PyEval_EvalFrameDefault;main",
		"all: eval frames after the Python frames they ran, machinery kept");

	/* 3.11+: one eval call runs a group of frames, the group's outermost
	 * one flagged entry. */
	struct mixed_frame n2[] = {
		nat(&F_spin, MACHINERY_SHOWN), nat(&F_eval, MACHINERY_EVAL), nat(&F_qsort, MACHINERY_SHOWN),
		nat(&F_eval, MACHINERY_EVAL),
	};
	struct mixed_frame p2[] = { py(&P_a, 0), py(&P_b, 1), py(&P_c, 0), py(&P_d, 1) };
	n = mixed_merge(n2, 4, false, p2, 4, false, &MK, out, 32, &flags);
	tap_str(names(out, n), "spin_hot;a;b;qsort;c;d", "groups of Python frames replace their eval frame, in order");
	tap_is(flags, 0, "... no flags");

	/* The unwind stopped after the first eval frame: the groups it did
	 * not reach follow a partial marker. */
	n = mixed_merge(n2, 2, true, p2, 4, false, &MK, out, 32, &flags);
	tap_str(names(out, n), "spin_hot;a;b;(partial);c;d", "a partial unwind: the rest after the marker");
	tap_is(flags, MIXED_PARTIAL, "... flagged partial");
	tap_is(out[3].kind, FUNC_KIND_MARKER, "... the marker is a marker");

	/* Nothing unwound (the thread vanished): Python frames, marked. */
	n = mixed_merge(n2, 0, true, p2, 4, false, &MK, out, 32, &flags);
	tap_str(names(out, n), "(partial);a;b;c;d", "no native frames: the Python stack after the marker");

	/* One eval frame more than groups: the innermost eval call has no
	 * frame yet (a call from C entering the loop): left out. */
	struct mixed_frame n5[] = {
		nat(&F_leaf, MACHINERY_SHOWN), nat(&F_eval, MACHINERY_EVAL), nat(&F_closure, MACHINERY_SHOWN),
		nat(&F_qsort, MACHINERY_SHOWN), nat(&F_eval, MACHINERY_EVAL),
	};
	struct mixed_frame p5[] = { py(&P_caller, 1) };
	n = mixed_merge(n5, 5, false, p5, 1, false, &MK, out, 32, &flags);
	tap_str(names(out, n), "leaf;closure_fcn;qsort;sort_caller", "an eval call with no frame yet is left out");
	tap_is(flags, 0, "... not marked");
	n = mixed_merge(n5, 5, false, p5, 1, true, &MK, out, 32, &flags);
	tap_str(names(out, n), "leaf;_PyEval_EvalFrameDefault;closure_fcn;qsort;sort_caller;_PyEval_EvalFrameDefault",
		"... shown as a C frame with all");

	/* Two eval frames more than groups, unwind complete: every Python
	 * frame at the first eval frame, marked; nothing further out. */
	struct mixed_frame n3[] = {
		nat(&F_leaf, MACHINERY_SHOWN), nat(&F_eval, MACHINERY_EVAL), nat(&F_qsort, MACHINERY_SHOWN),
		nat(&F_eval, MACHINERY_EVAL), nat(&F_eval, MACHINERY_EVAL),
	};
	struct mixed_frame p3[] = { py(&P_a, 1) };
	n = mixed_merge(n3, 5, false, p3, 1, false, &MK, out, 32, &flags);
	tap_str(names(out, n), "leaf;a;(unmatched)", "counts disagree: Python frames at the first eval frame, marked");
	tap_is(flags, MIXED_UNMATCHED, "... flagged unmatched");

	/* No eval frame found (a stripped interpreter): natives, the
	 * Python frames, marked. */
	struct mixed_frame n4[] = { nat(&F_leaf, MACHINERY_SHOWN), nat(&F_main, MACHINERY_FOLDED) };
	struct mixed_frame p4[] = { py(&P_a, 1), py(&P_b, 1) };
	n = mixed_merge(n4, 2, false, p4, 2, false, &MK, out, 32, &flags);
	tap_str(names(out, n), "leaf;a;b;(unmatched)", "no eval frame: natives then Python frames, marked");

	/* A thread with no Python frame: its native frames only. */
	n = mixed_merge(n1, 8, false, p1, 0, false, &MK, out, 32, &flags);
	tap_str(names(out, n), "closure_fcn;qsort;ffi_call", "no Python frames: the shown native frames");

	/* The output is bounded. */
	n = mixed_merge(n1, 8, false, p1, 3, true, &MK, out, 4, &flags);
	tap_is(n, 4, "max frames written at most");
	tap_ok((flags & MIXED_CUT) != 0, "... flagged cut");

	/* The machinery table. */
	tap_is(machinery_role_of("_PyEval_EvalFrameDefault"), MACHINERY_EVAL, "the eval loop is an eval frame");
	tap_is(machinery_role_of("_PyEval_EvalFrameDefault.cold"), MACHINERY_EVAL, "... so is its cold part");
	tap_is(machinery_role_of("method_vectorcall_FASTCALL"), MACHINERY_FOLDED, "a vectorcall wrapper is machinery");
	tap_is(machinery_role_of("_PyObject_MakeTpCall"), MACHINERY_FOLDED, "a call trampoline is machinery");
	tap_is(machinery_role_of("main"), MACHINERY_FOLDED, "main is machinery");
	tap_is(machinery_role_of("mainloop"), MACHINERY_SHOWN, "... a name that only starts like it is not");
	tap_is(machinery_role_of("qsort"), MACHINERY_SHOWN, "qsort is shown");
	tap_is(machinery_role_of(NULL), MACHINERY_SHOWN, "no name: shown");

	struct symbol y = { .info = { 0, 0, "0x1234", "python3.11" }, .known = false, .in_interp = true, .role = -1 };
	tap_is(mixed_role(&y), MACHINERY_FOLDED, "an unnamed address in the interpreter is machinery");
	struct symbol z = { .info = { 0, 0, "0x1234", "libffi.so" }, .known = false, .in_interp = false, .role = -1 };
	tap_is(mixed_role(&z), MACHINERY_SHOWN, "one elsewhere is shown");

	printf("1..%d\n", tap_n);
	return 0;
}

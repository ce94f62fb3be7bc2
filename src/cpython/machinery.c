/* machinery: the table of CPython's eval-loop and machinery symbols. */
#include "cpython/machinery.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* One row: a symbol name, or with prefix a name start. */
struct machinery_row {
	const char *name;
	bool prefix;
	enum machinery_role role;
};

/* The frame-evaluation functions (3.6-3.15: one name; PyEval_EvalFrameEx of
 * 3.6-3.8 only forwards to it, so it is machinery), then the call
 * trampolines, vectorcall and method wrappers, and how a process or a thread
 * starts. */
static const struct machinery_row machinery_table[] = {
	{ "_PyEval_EvalFrameDefault", false, MACHINERY_EVAL },

	{ "_PyEval_", true, MACHINERY_FOLDED },
	{ "PyEval_", true, MACHINERY_FOLDED },
	{ "_PyFunction_", true, MACHINERY_FOLDED },
	{ "PyFunction_", true, MACHINERY_FOLDED },
	{ "_PyObject_Vectorcall", true, MACHINERY_FOLDED },
	{ "PyObject_Vectorcall", true, MACHINERY_FOLDED },
	{ "_PyObject_Call", true, MACHINERY_FOLDED },
	{ "PyObject_Call", true, MACHINERY_FOLDED },
	{ "_PyObject_FastCall", true, MACHINERY_FOLDED },
	{ "_PyObject_MakeTpCall", false, MACHINERY_FOLDED },
	{ "_PyVectorcall_Call", false, MACHINERY_FOLDED },
	{ "PyVectorcall_Call", false, MACHINERY_FOLDED },
	{ "_PyCFunction_FastCall", true, MACHINERY_FOLDED },
	{ "_PyMethodDef_", true, MACHINERY_FOLDED },
	{ "_PyMethodDescr_", true, MACHINERY_FOLDED },
	{ "method_vectorcall", true, MACHINERY_FOLDED },
	{ "method_call", false, MACHINERY_FOLDED },
	{ "cfunction_call", true, MACHINERY_FOLDED },
	{ "cfunction_vectorcall", true, MACHINERY_FOLDED },
	{ "function_code_fastcall", false, MACHINERY_FOLDED },
	{ "fast_function", false, MACHINERY_FOLDED },
	{ "call_function", false, MACHINERY_FOLDED },
	{ "do_call_core", false, MACHINERY_FOLDED },
	{ "slot_tp_call", false, MACHINERY_FOLDED },
	{ "vectorcall_method", false, MACHINERY_FOLDED },
	{ "vectorcall_unbound", false, MACHINERY_FOLDED },
	{ "object_vacall", false, MACHINERY_FOLDED },
	{ "_Py_call_trampoline", false, MACHINERY_FOLDED },

	{ "_start", false, MACHINERY_FOLDED },
	{ "main", false, MACHINERY_FOLDED },
	{ "__libc_start_main", true, MACHINERY_FOLDED },
	{ "__libc_start_call_main", false, MACHINERY_FOLDED },
	{ "Py_BytesMain", false, MACHINERY_FOLDED },
	{ "Py_Main", false, MACHINERY_FOLDED },
	{ "_Py_UnixMain", false, MACHINERY_FOLDED },
	{ "Py_RunMain", false, MACHINERY_FOLDED },
	{ "pymain_", true, MACHINERY_FOLDED },
	{ "PyRun_", true, MACHINERY_FOLDED },
	{ "_PyRun_", true, MACHINERY_FOLDED },
	{ "run_mod", false, MACHINERY_FOLDED },
	{ "run_eval_code_obj", false, MACHINERY_FOLDED },
	{ "run_pyc_file", false, MACHINERY_FOLDED },
	{ "start_thread", false, MACHINERY_FOLDED },
	{ "clone", false, MACHINERY_FOLDED },
	{ "clone3", false, MACHINERY_FOLDED },
	{ "t_bootstrap", false, MACHINERY_FOLDED },
	{ "thread_run", false, MACHINERY_FOLDED },
	{ "pythread_wrapper", false, MACHINERY_FOLDED },
};

/* The length of symbol without a compiler clone's suffix (".cold", ...). */
static size_t base_len(const char *symbol)
{
	const char *dot = strchr(symbol, '.');
	return dot ? (size_t)(dot - symbol) : strlen(symbol);
}

enum machinery_role machinery_role_of(const char *symbol)
{
	if (!symbol || !*symbol)
		return MACHINERY_SHOWN;
	size_t n = base_len(symbol);
	for (size_t i = 0; i < sizeof machinery_table / sizeof machinery_table[0]; i++) {
		const struct machinery_row *r = &machinery_table[i];
		size_t k = strlen(r->name);
		if (r->prefix ? n >= k && strncmp(symbol, r->name, k) == 0
			      : n == k && strncmp(symbol, r->name, n) == 0)
			return r->role;
	}
	return MACHINERY_SHOWN;
}

/* machinery: what a native (C) frame of a CPython process is to a mixed
 * stack: an eval-loop frame (replaced by the Python frames it ran), the
 * interpreter's own machinery (call trampolines, startup, thread start:
 * folded unless --native-all), or code worth showing. One table of symbol
 * names, the same for every version pytop reads. */
#ifndef PYTOP_CPYTHON_MACHINERY_H
#define PYTOP_CPYTHON_MACHINERY_H

enum machinery_role {
	MACHINERY_SHOWN = 0,    /* a C function shown as it is (qsort, an extension's) */
	MACHINERY_EVAL = 1,     /* a frame-evaluation C frame (_PyEval_EvalFrameDefault) */
	MACHINERY_FOLDED = 2,   /* interpreter machinery, folded by default */
};

/* The role of the native function named symbol (NULL or "": unknown, shown).
 * Compiler clones (symbol.cold, symbol.constprop.0) take their base's role. */
enum machinery_role machinery_role_of(const char *symbol);

#endif

# CPython: the per-version layouts (generated), _Py_DebugOffsets, the
# object readers, line tables, thread states, the stack walker, the GIL
# state reader, the eval-loop and machinery symbols of native stacks.
libpytop_a_SOURCES += \
	src/cpython/layout.c src/cpython/layout.h \
	src/cpython/debug_offsets.c src/cpython/debug_offsets.h \
	src/cpython/fields.h \
	src/cpython/rlist.h \
	src/cpython/linetable.c src/cpython/linetable.h \
	src/cpython/bytecode.c src/cpython/bytecode.h \
	src/cpython/pystring.c src/cpython/pystring.h \
	src/cpython/pytarget.h \
	src/cpython/runtime.c src/cpython/runtime.h \
	src/cpython/objects.c src/cpython/objects.h \
	src/cpython/thread.c src/cpython/thread.h \
	src/cpython/stack.c src/cpython/stack.h \
	src/cpython/machinery.c src/cpython/machinery.h \
	src/cpython/gil.c src/cpython/gil.h

# The generated tables, schemas and registry of supported versions.
include src/cpython/versions.mk

EXTRA_DIST += tools/gen_layout.py src/cpython/versions.txt tests/setup_sid_root.sh

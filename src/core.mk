# Target access, CPython layouts and walkers, command line.
libpytop_a_SOURCES += \
	src/options.c src/options.h \
	src/errors.c src/errors.h \
	src/target/proc.c src/target/proc.h \
	src/target/memory.c src/target/memory.h \
	src/target/elf.c src/target/elf.h \
	src/cpython/layout.c src/cpython/layout.h \
	src/cpython/layout_3_8.c src/cpython/layout_3_9.c src/cpython/layout_3_10.c \
	src/cpython/layout_3_11.c src/cpython/layout_3_12.c src/cpython/layout_3_13.c \
	src/cpython/debug_offsets.c src/cpython/debug_offsets.h src/cpython/fields.h \
	src/cpython/linetable.c src/cpython/linetable.h \
	src/cpython/pystring.c src/cpython/pystring.h \
	src/cpython/runtime.c src/cpython/runtime.h \
	src/cpython/objects.c src/cpython/objects.h \
	src/cpython/thread.c src/cpython/thread.h \
	src/cpython/stack.c src/cpython/stack.h \
	src/output/dump.c src/output/dump.h \
	src/target/tasks.c src/target/tasks.h \
	src/target/pause.c src/target/pause.h \
	src/target/launch.c src/target/launch.h \
	src/sampling/sampler.c src/sampling/sampler.h src/sampling/sample.h \
	src/session.c src/session.h \
	src/batch.c src/batch.h

EXTRA_DIST += tools/gen_layout.py

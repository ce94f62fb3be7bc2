# Target access, CPython layouts and walkers, command line.
libpytop_a_SOURCES += \
	src/options.c src/options.h \
	src/errors.c src/errors.h \
	src/target/proc.c src/target/proc.h \
	src/target/memory.c src/target/memory.h \
	src/target/elf.c src/target/elf.h \
	src/target/regfile.c src/target/regfile.h \
	src/cpython/layout.c src/cpython/layout.h \
	src/cpython/debug_offsets.c src/cpython/debug_offsets.h src/cpython/fields.h src/cpython/rlist.h \
	src/cpython/linetable.c src/cpython/linetable.h \
	src/cpython/pystring.c src/cpython/pystring.h \
	src/cpython/pytarget.h src/cpython/runtime.c src/cpython/runtime.h \
	src/cpython/objects.c src/cpython/objects.h \
	src/cpython/thread.c src/cpython/thread.h \
	src/cpython/stack.c src/cpython/stack.h \
	src/output/stackdump.c src/output/stackdump.h \
	src/output/outfile.c src/output/outfile.h \
	src/target/tasks.c src/target/tasks.h \
	src/target/nspid.c src/target/nspid.h \
	src/target/pause.c src/target/pause.h \
	src/target/launch.c src/target/launch.h \
	src/sampling/sampler.c src/sampling/sampler.h src/sampling/sample.h \
	src/session.c src/session.h \
	src/batch.c src/batch.h \
	src/dump.c src/dump.h

# The generated tables, schemas and registry of supported versions.
include src/cpython/versions.mk

EXTRA_DIST += tools/gen_layout.py src/cpython/versions.txt tests/setup_sid_root.sh

# Unit tests of the target-access and CPython-layout layers.
check_PROGRAMS += tests/unit/test_pystring tests/unit/test_layout tests/unit/test_tasks
TESTS += tests/unit/test_pystring tests/unit/test_layout tests/unit/test_tasks tests/unit/test_layout_gen.sh
tests_unit_test_pystring_SOURCES = tests/unit/test_pystring.c tests/unit/tap.h
tests_unit_test_pystring_CFLAGS = $(AM_CFLAGS)
tests_unit_test_pystring_LDADD = libpytop.a
tests_unit_test_layout_SOURCES = tests/unit/test_layout.c tests/unit/tap.h \
	tests/unit/debug_offsets_golden.h tests/unit/data/debug_offsets_facts.h
# Regenerate the real blocks and their facts with tools/capture_debug_offsets.py.
EXTRA_DIST += tools/capture_debug_offsets.py
tests_unit_test_layout_CFLAGS = $(AM_CFLAGS)
tests_unit_test_layout_LDADD = libpytop.a
EXTRA_DIST += tests/unit/test_layout_gen.sh
tests_unit_test_tasks_SOURCES = tests/unit/test_tasks.c
tests_unit_test_tasks_CFLAGS = $(AM_CFLAGS)
tests_unit_test_tasks_LDADD = $(PYTOP_LIBS)
# Hostile input: layout validation against a real 3.13 _Py_DebugOffsets block.
check_PROGRAMS += tests/unit/test_validate
TESTS += tests/unit/test_validate
tests_unit_test_validate_SOURCES = tests/unit/test_validate.c tests/unit/debug_offsets_golden.h tests/unit/tap.h
tests_unit_test_validate_CFLAGS = $(AM_CFLAGS)
tests_unit_test_validate_LDADD = libpytop.a
# Hostile input: object readers, walker and lists over a fake address space
# (the test defines mem_read & co., so src/process/memory.c is not linked).
check_PROGRAMS += tests/unit/test_hostile
TESTS += tests/unit/test_hostile
tests_unit_test_hostile_SOURCES = tests/unit/test_hostile.c tests/unit/tap.h
tests_unit_test_hostile_CFLAGS = $(AM_CFLAGS)
tests_unit_test_hostile_LDADD = libpytop.a $(PYTOP_LIBS)
# The real memory readers with ranges that wrap past 2^64.
check_PROGRAMS += tests/unit/test_memory
TESTS += tests/unit/test_memory
tests_unit_test_memory_SOURCES = tests/unit/test_memory.c tests/unit/tap.h
tests_unit_test_memory_CFLAGS = $(AM_CFLAGS)
tests_unit_test_memory_LDADD = libpytop.a
# The PID-namespace thread id map (NSpid parsing).
check_PROGRAMS += tests/unit/test_nspid
TESTS += tests/unit/test_nspid
tests_unit_test_nspid_SOURCES = tests/unit/test_nspid.c tests/unit/tap.h
tests_unit_test_nspid_CFLAGS = $(AM_CFLAGS)
tests_unit_test_nspid_LDADD = libpytop.a
# The hardened build flags reached the binary (readelf).
TESTS += tests/unit/test_hardening.sh
EXTRA_DIST += tests/unit/test_hardening.sh
# Files pytop creates: new and private in shared directories, planted
# symlinks not followed (output/outfile.c).
check_PROGRAMS += tests/unit/test_outfile
TESTS += tests/unit/test_outfile
tests_unit_test_outfile_SOURCES = tests/unit/test_outfile.c tests/unit/tap.h
tests_unit_test_outfile_CFLAGS = $(AM_CFLAGS)
tests_unit_test_outfile_LDADD = libpytop.a
# The pthread-to-tid match (3.8-3.10) against this process's own threads.
check_PROGRAMS += tests/unit/test_tids
TESTS += tests/unit/test_tids
tests_unit_test_tids_SOURCES = tests/unit/test_tids.c
tests_unit_test_tids_CFLAGS = $(AM_CFLAGS)
tests_unit_test_tids_LDADD = $(PYTOP_LIBS)
check_PROGRAMS += tests/unit/test_thread_names
TESTS += tests/unit/test_thread_names
tests_unit_test_thread_names_SOURCES = tests/unit/test_thread_names.c
tests_unit_test_thread_names_CFLAGS = $(AM_CFLAGS)
tests_unit_test_thread_names_LDADD = $(PYTOP_LIBS)
# The generated _Py_DebugOffsets schemas against real 3.13/3.14/3.15 blocks
# (release and -dbg builds), and fuzzed blocks.
check_PROGRAMS += tests/unit/test_debug_schema
TESTS += tests/unit/test_debug_schema
tests_unit_test_debug_schema_SOURCES = tests/unit/test_debug_schema.c \
	tests/unit/debug_offsets_golden.h tests/unit/tap.h
tests_unit_test_debug_schema_CFLAGS = $(AM_CFLAGS)
tests_unit_test_debug_schema_LDADD = libpytop.a

check_PROGRAMS += tests/unit/test_stackdump
TESTS += tests/unit/test_stackdump
tests_unit_test_stackdump_SOURCES = tests/unit/test_stackdump.c tests/unit/tap.h
tests_unit_test_stackdump_CFLAGS = $(AM_CFLAGS)
tests_unit_test_stackdump_LDADD = libpytop.a

check_PROGRAMS += tests/unit/test_regfile
TESTS += tests/unit/test_regfile
tests_unit_test_regfile_SOURCES = tests/unit/test_regfile.c tests/unit/tap.h
tests_unit_test_regfile_CFLAGS = $(AM_CFLAGS)
tests_unit_test_regfile_LDADD = libpytop.a
# No include cycles between the modules of src/ (tools/check_includes.py).
TESTS += tests/unit/test_includes.py
EXTRA_DIST += tests/unit/test_includes.py tools/check_includes.py
# No test module calls a helper another module no longer defines.
TESTS += tests/unit/test_test_refs.py
EXTRA_DIST += tests/unit/test_test_refs.py tools/check_test_refs.py
# The docs name every output format (man page -f, README --format, --help)
# and every key of the key table (man page Keys section).
TESTS += tests/unit/test_docs.py
EXTRA_DIST += tests/unit/test_docs.py
# Adding a version is a data change: the generator on next-version headers.
TESTS += tests/unit/test_gen_new_version.py
EXTRA_DIST += tests/unit/test_gen_new_version.py

# The sampling pipeline: the ring (also under ThreadSanitizer), the
# aggregate, the output writers.
check_PROGRAMS += \
	tests/unit/test_ring \
	tests/unit/test_ring_stress \
	tests/unit/test_aggregate \
	tests/unit/test_output
TESTS += \
	tests/unit/test_ring \
	tests/unit/test_ring_stress \
	tests/unit/test_aggregate \
	tests/unit/test_output

tests_unit_test_ring_SOURCES = tests/unit/test_ring.c tests/unit/tap.h
tests_unit_test_ring_LDADD = $(PYTOP_LIBS)
tests_unit_test_ring_CFLAGS = $(AM_CFLAGS)

tests_unit_test_ring_stress_SOURCES = tests/unit/test_ring_stress.c tests/unit/tap.h
tests_unit_test_ring_stress_LDADD = $(PYTOP_LIBS)
tests_unit_test_ring_stress_CFLAGS = $(AM_CFLAGS)

tests_unit_test_aggregate_SOURCES = tests/unit/test_aggregate.c tests/unit/records.c tests/unit/records.h tests/unit/tap.h
tests_unit_test_aggregate_LDADD = $(PYTOP_LIBS)
tests_unit_test_aggregate_CFLAGS = $(AM_CFLAGS)

tests_unit_test_output_SOURCES = tests/unit/test_output.c tests/unit/records.c tests/unit/records.h tests/unit/tap.h
tests_unit_test_output_LDADD = $(PYTOP_LIBS)
tests_unit_test_output_CFLAGS = $(AM_CFLAGS)

# The stress test again under ThreadSanitizer, built from the ring's own
# sources (not libpytop.a, whose objects may carry ASan) and without
# $(SAN_CFLAGS). PYTOP_STRESS_N in the environment scales it.
if HAVE_TSAN
check_PROGRAMS += tests/unit/test_ring_tsan
TESTS += tests/unit/test_ring_tsan
tests_unit_test_ring_tsan_SOURCES = tests/unit/test_ring_stress.c tests/unit/tap.h \
	src/sampling/ring.c src/sampling/ring.h src/errors.c src/errors.h
tests_unit_test_ring_tsan_CFLAGS = -std=gnu11 $(WARN_CFLAGS) $(PTHREAD_CFLAGS) \
	-fsanitize=thread -fno-omit-frame-pointer -g -O1
tests_unit_test_ring_tsan_LDFLAGS = -fsanitize=thread
tests_unit_test_ring_tsan_LDADD = $(PTHREAD_LIBS)
endif

# The protobuf encoder against known byte vectors, the stack set of the
# pprof and speedscope writers, and a pprof file read back.
check_PROGRAMS += tests/unit/test_protobuf
TESTS += tests/unit/test_protobuf
tests_unit_test_protobuf_SOURCES = tests/unit/test_protobuf.c tests/unit/records.c tests/unit/records.h tests/unit/tap.h
tests_unit_test_protobuf_LDADD = $(PYTOP_LIBS)
tests_unit_test_protobuf_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)

# GIL: the state reader, classes, accounting, gilstat.
check_PROGRAMS += tests/unit/test_gil
TESTS += tests/unit/test_gil
tests_unit_test_gil_SOURCES = tests/unit/test_gil.c tests/unit/records.c tests/unit/records.h tests/unit/tap.h \
	tests/unit/debug_offsets_golden.h tests/unit/screen.c tests/unit/screen.h
tests_unit_test_gil_LDADD = $(PYTOP_LIBS)
tests_unit_test_gil_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)

# Line-table decoders, checked against vectors recorded from real CPython
# 3.8-3.13 (regenerate tests/unit/linetable_vectors.h with
# tools/gen_linetable_vectors.py when a new interpreter version arrives).
check_PROGRAMS += tests/unit/test_linetable
TESTS += tests/unit/test_linetable
tests_unit_test_linetable_SOURCES = tests/unit/test_linetable.c \
	tests/unit/linetable_vectors.h tests/unit/tap.h
tests_unit_test_linetable_CFLAGS = $(AM_CFLAGS)
tests_unit_test_linetable_LDADD = libpytop.a

EXTRA_DIST += tools/gen_linetable_vectors.py

# Call sites of a code object's instructions (src/cpython/bytecode.c) and
# the generated opcode tables; which opcodes they mark: test_opcodes.py.
check_PROGRAMS += tests/unit/test_bytecode
TESTS += tests/unit/test_bytecode
tests_unit_test_bytecode_SOURCES = tests/unit/test_bytecode.c tests/unit/tap.h
tests_unit_test_bytecode_CFLAGS = $(AM_CFLAGS)
tests_unit_test_bytecode_LDADD = libpytop.a
# Which opcodes those tables mark, against every installed interpreter's
# own callers (frame.f_lasti in _co_code_adaptive) for each inline call kind.
TESTS += tests/unit/test_opcodes.py
EXTRA_DIST += tests/unit/test_opcodes.py

# Unit tests of the live view's pure parts (no terminal): rendering pieces
# (utf8, canvas, meter, columns), input (lineedit, commands, keys), the
# model drawn headless into a canvas, and the aggregate's latest stacks.
check_PROGRAMS += \
	tests/unit/test_ui_render \
	tests/unit/test_ui_input \
	tests/unit/test_ui_model \
	tests/unit/test_ui_threads \
	tests/unit/test_latest
TESTS += \
	tests/unit/test_ui_render \
	tests/unit/test_ui_input \
	tests/unit/test_ui_model \
	tests/unit/test_ui_threads \
	tests/unit/test_latest

tests_unit_test_ui_render_SOURCES = tests/unit/test_ui_render.c tests/unit/tap.h
tests_unit_test_ui_render_LDADD = $(PYTOP_LIBS)
tests_unit_test_ui_render_CFLAGS = $(AM_CFLAGS)

tests_unit_test_ui_input_SOURCES = tests/unit/test_ui_input.c tests/unit/tap.h
tests_unit_test_ui_input_LDADD = $(PYTOP_LIBS)
tests_unit_test_ui_input_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)

tests_unit_test_ui_model_SOURCES = tests/unit/test_ui_model.c tests/unit/records.c tests/unit/records.h tests/unit/screen.c tests/unit/screen.h tests/unit/tap.h
tests_unit_test_ui_model_LDADD = $(PYTOP_LIBS)
tests_unit_test_ui_model_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)

tests_unit_test_latest_SOURCES = tests/unit/test_latest.c tests/unit/records.c tests/unit/records.h tests/unit/tap.h
tests_unit_test_latest_LDADD = $(PYTOP_LIBS)
tests_unit_test_latest_CFLAGS = $(AM_CFLAGS)

tests_unit_test_ui_threads_SOURCES = tests/unit/test_ui_threads.c tests/unit/records.c tests/unit/records.h tests/unit/screen.c tests/unit/screen.h tests/unit/tap.h
tests_unit_test_ui_threads_LDADD = $(PYTOP_LIBS)
tests_unit_test_ui_threads_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)

# The source viewer reads only regular files (a FIFO or a device named by the
# target is never opened).
check_PROGRAMS += tests/unit/test_source
TESTS += tests/unit/test_source
tests_unit_test_source_SOURCES = tests/unit/test_source.c tests/unit/tap.h
tests_unit_test_source_LDADD = $(PYTOP_LIBS)
tests_unit_test_source_CFLAGS = $(AM_CFLAGS)
# The agent's events as hostile input; PEP 768's fields from real blocks.
check_PROGRAMS += tests/unit/test_agent_event
TESTS += tests/unit/test_agent_event
tests_unit_test_agent_event_SOURCES = tests/unit/test_agent_event.c tests/unit/tap.h \
	tests/unit/debug_offsets_golden.h
tests_unit_test_agent_event_CFLAGS = $(AM_CFLAGS)
tests_unit_test_agent_event_LDADD = libpytop.a
# The agent channel against fake agents (child processes).
check_PROGRAMS += tests/unit/test_channel
TESTS += tests/unit/test_channel
tests_unit_test_channel_SOURCES = tests/unit/test_channel.c tests/unit/tap.h
tests_unit_test_channel_CFLAGS = $(AM_CFLAGS)
tests_unit_test_channel_LDADD = libpytop.a

check_PROGRAMS += tests/unit/test_request
TESTS += tests/unit/test_request
tests_unit_test_request_SOURCES = tests/unit/test_request.c tests/unit/tap.h
tests_unit_test_request_CFLAGS = $(AM_CFLAGS)
tests_unit_test_request_LDADD = libpytop.a

# The trace/watch pane's line store and its save (no worker, no target).
check_PROGRAMS += tests/unit/test_tracer
TESTS += tests/unit/test_tracer
tests_unit_test_tracer_SOURCES = tests/unit/test_tracer.c tests/unit/tap.h
tests_unit_test_tracer_LDADD = $(PYTOP_LIBS)
tests_unit_test_tracer_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)

# Mixed native and Python stacks (--native): the merge and the machinery table.
check_PROGRAMS += tests/unit/test_mixed
TESTS += tests/unit/test_mixed
tests_unit_test_mixed_SOURCES = tests/unit/test_mixed.c tests/unit/tap.h
tests_unit_test_mixed_CFLAGS = $(AM_CFLAGS)
tests_unit_test_mixed_LDADD = libpytop.a

# The DWARF reader of inlined copies (--gilstat=exact on LTO builds): the
# test reads its own debug info, so it is built with -g whatever CFLAGS say.
check_PROGRAMS += tests/unit/test_inlines
TESTS += tests/unit/test_inlines
tests_unit_test_inlines_SOURCES = tests/unit/test_inlines.c tests/unit/tap.h
tests_unit_test_inlines_CFLAGS = $(AM_CFLAGS) -g -O2
tests_unit_test_inlines_LDADD = $(PYTOP_LIBS)
# The command line: option rows, errors, checks between options.
check_PROGRAMS += tests/unit/test_options
TESTS += tests/unit/test_options
tests_unit_test_options_SOURCES = tests/unit/test_options.c tests/unit/tap.h
tests_unit_test_options_CFLAGS = $(AM_CFLAGS)
tests_unit_test_options_LDADD = libpytop.a $(PYTOP_LIBS)
# The jittered gaps of the sampling loops (util/pace).
check_PROGRAMS += tests/unit/test_pace
TESTS += tests/unit/test_pace
tests_unit_test_pace_SOURCES = tests/unit/test_pace.c tests/unit/tap.h
tests_unit_test_pace_CFLAGS = $(AM_CFLAGS)
tests_unit_test_pace_LDADD = libpytop.a

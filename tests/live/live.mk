# Live tests: pytop against real CPython processes (TAP scripts run with
# $(PYTHON3); see the docstrings at the top of each script).
TESTS += \
	tests/live/test_dump.py \
	tests/live/test_errors.py
EXTRA_DIST += \
	tests/live/pythons.py \
	tests/live/test_dump.py \
	tests/live/test_errors.py \
	tests/targets/dump_target.py

# pytop --batch: accuracy, formats, lifecycle, rates (test_batch.py, with the
# CPU-burning target burn_target.py).
TESTS += tests/live/test_batch.py
EXTRA_DIST += \
	tests/live/test_batch.py \
	tests/targets/burn_target.py
# GIL states and gilstat (sampled and exact) on every interpreter.
TESTS += tests/live/test_gil.py
EXTRA_DIST += tests/live/test_gil.py tests/targets/gil_target.py tests/targets/alone_target.py
# The function cache when code objects die and are replaced.
TESTS += tests/live/test_codecache.py
EXTRA_DIST += tests/live/test_codecache.py tests/targets/regen_target.py
# Thread names from a thread's own Thread._bootstrap frame (not in threading._active).
TESTS += tests/live/test_names.py
EXTRA_DIST += tests/live/test_names.py tests/targets/hidden_thread_target.py tests/targets/empty_name_target.py tests/targets/name_swap_target.py
# Names cut on UTF-8 character boundaries (sampled names, kernel comm).
TESTS += tests/live/test_utf8.py
EXTRA_DIST += tests/live/test_utf8.py
# A process that imitates CPython 3.13 with hostile _Py_DebugOffsets and
# looping lists (tests/targets/fake_python.c), attached end to end.
check_PROGRAMS += tests/targets/fake_python
tests_targets_fake_python_SOURCES = tests/targets/fake_python.c tests/unit/debug_offsets_golden.h
tests_targets_fake_python_CFLAGS = $(AM_CFLAGS)
TESTS += tests/live/test_fake_python.py
EXTRA_DIST += tests/live/test_fake_python.py
# Launch mode and exits, -o first, --blocking (dump, stopped targets), deleted
# interpreters and PID namespaces.
TESTS += tests/live/test_launch.py
EXTRA_DIST += tests/live/test_launch.py
# Hostile names (escaping in every writer) and planted symlinks (issue 9).
TESTS += tests/live/test_hostile.py
EXTRA_DIST += tests/live/test_hostile.py tests/targets/evil_target.py tests/targets/maps_split_target.py \
	tests/targets/fuse_cover_target.py
# Messages that name the real cause: traced, thread id, not dumpable.
TESTS += tests/live/test_messages.py
EXTRA_DIST += tests/live/test_messages.py
# --gilstat=exact uprobes only in the target's address space.
TESTS += tests/live/test_uprobe_scope.py
EXTRA_DIST += tests/live/test_uprobe_scope.py
# Limits stated (threads over the per-round limit) and dead threads' files released.
TESTS += tests/live/test_limits.py
EXTRA_DIST += tests/live/test_limits.py tests/targets/limits_target.py
# Numbers against the kernel: per-thread cpu-mode time vs /proc (also with
# both cores busy), the low-rate warning, thread identity and names on a
# thread-per-request server (test_accuracy.py, target accuracy_target.py).
TESTS += tests/live/test_accuracy.py
EXTRA_DIST += tests/live/test_accuracy.py tests/targets/accuracy_target.py
# CPython 3.14/3.15 as a shared libpython embedded in a C program, chrooted in
# the Debian unstable root (tests/setup_sid_root.sh).
TESTS += tests/live/test_embed.py
EXTRA_DIST += tests/live/test_embed.py tests/targets/embed_python.c
# Stacks that change while they are read (py-spy's recursive.py pattern) and
# deep stacks (--dump to 4096 frames, a truncation marker in samples).
TESTS += tests/live/test_stacks.py
EXTRA_DIST += tests/live/test_stacks.py tests/targets/recursive_target.py
# Hostile imitations of CPython 3.8-3.13 built byte by byte from pytop's own
# layout tables (tests/targets/poke_python.c filled by tests/live/fakepy.py):
# nested dict scans, huge f_lasti, strings past a mapping, -o kept on a failed
# attach, and a sweep of corrupt frames, lists, strings and line tables.
check_PROGRAMS += tests/targets/poke_python
tests_targets_poke_python_SOURCES = tests/targets/poke_python.c
tests_targets_poke_python_CFLAGS = $(AM_CFLAGS)
tests_targets_poke_python_LDADD = -lpthread
TESTS += tests/live/test_hostile_fake.py
EXTRA_DIST += tests/live/test_hostile_fake.py tests/live/fakepy.py
# The CPU of a native thread pytop cannot see is not given to ended threads.
TESTS += tests/live/test_native_cpu.py
EXTRA_DIST += tests/live/test_native_cpu.py tests/targets/native_cpu_target.py

# The svg format (-f svg): valid XML, the known CPU split in the frames'
# widths, and in headless Chromium (DevTools protocol over a pipe): search,
# zoom, hover, inversion, hostile names never run, a 100k-stack profile
# (synthetic, written by svg_stacks) loads.
check_PROGRAMS += tests/live/svg_stacks
tests_live_svg_stacks_SOURCES = tests/live/svg_stacks.c tests/unit/records.c tests/unit/records.h
tests_live_svg_stacks_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_live_svg_stacks_CFLAGS = $(AM_CFLAGS)
tests_live_svg_stacks_LDADD = $(PYTOP_LIBS)
TESTS += tests/live/test_svg.py
EXTRA_DIST += tests/live/test_svg.py

# A target in its own PID and mount namespace (unshare --pid --mount --fork
# --mount-proc): --dump and --batch give host tids (NSpid) and thread names.
TESTS += tests/live/test_namespace.py
EXTRA_DIST += tests/live/test_namespace.py
# A version newer than every table: the sid root's newest patched to say so.
TESTS += tests/live/test_newer_version.py
EXTRA_DIST += tests/live/test_newer_version.py
# A free-threaded build (the sid root's 3.14+ with _Py_DebugOffsets'
# free_threaded patched to 1): refused in one line, exit non-zero.
TESTS += tests/live/test_free_threaded.py
EXTRA_DIST += tests/live/test_free_threaded.py

# The shared formats read by their real consumers: -f pprof by go tool pprof,
# -f speedscope by the speedscope npm package's schema and importer, --every.
TESTS += tests/live/test_formats.py
EXTRA_DIST += tests/live/test_formats.py tests/live/speedscope_import.js

# The sampler allocates nothing in its steady state (with and without
# --blocking): an LD_PRELOAD malloc counter (noalloc_shim.so) per thread.
check_PROGRAMS += tests/live/noalloc_shim.so
tests_live_noalloc_shim_so_SOURCES = tests/live/noalloc_shim.c
tests_live_noalloc_shim_so_CFLAGS = -std=gnu11 $(WARN_CFLAGS) -fPIC
tests_live_noalloc_shim_so_LDFLAGS = -shared
tests_live_noalloc_shim_so_LDADD = -ldl
TESTS += tests/live/test_noalloc.py
EXTRA_DIST += tests/live/test_noalloc.py
EXTRA_DIST += tests/targets/compat.py

# Pending-call injection for CPython 3.6-3.13 (src/agent/pending.c), driven
# by inject_probe: runs once in the main thread, the target untouched after,
# refusals (GIL held in C, a lock, another user) and pytop killed mid-wait.
check_PROGRAMS += tests/live/inject_probe
tests_live_inject_probe_SOURCES = tests/live/inject_probe.c
tests_live_inject_probe_CFLAGS = $(AM_CFLAGS)
tests_live_inject_probe_LDADD = $(PYTOP_LIBS)
TESTS += tests/live/test_inject.py
EXTRA_DIST += tests/live/test_inject.py tests/targets/inject_target.py

# trace and watch: the agent on real interpreters with a fake pytop
# (test_agent_py), and pytop --batch --watch/--trace end to end.
TESTS += tests/live/test_agent_py.py tests/live/test_watch.py tests/live/test_trace.py
EXTRA_DIST += tests/live/test_agent_py.py tests/live/test_watch.py tests/live/test_trace.py \
	tests/live/agentrun.py tests/targets/agent_target.py tests/targets/hot_target.py

# Blocked threads' readings and stacks kept by the sampler change no sample
# (PYTOP_SAMPLER_CHECK=1 counts the differences).
TESTS += tests/live/test_reuse.py
EXTRA_DIST += tests/live/test_reuse.py tests/targets/reuse_target.py
# --native: C frames merged with Python ones (qsort callback, a C extension
# built against the interpreter's headers), pytop killed mid-run, refused ptrace.
TESTS += tests/live/test_native.py
EXTRA_DIST += tests/live/test_native.py tests/targets/native_stack_target.py

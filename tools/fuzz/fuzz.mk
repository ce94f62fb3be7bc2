# The walker fuzz harness (tools/fuzz, built with clang by build_fuzz.sh and
# run by run_fuzz.sh from .ci/run), the fake interpreter for the hostile
# live test, and the seed capture tool (`make tools/fuzz/capture_seed`).
check_PROGRAMS += tools/fuzz/fake_python
tools_fuzz_fake_python_SOURCES = tools/fuzz/fake_python.c
tools_fuzz_fake_python_CFLAGS = $(AM_CFLAGS)
tools_fuzz_fake_python_LDFLAGS = $(AM_LDFLAGS) -rdynamic

EXTRA_PROGRAMS = tools/fuzz/capture_seed
tools_fuzz_capture_seed_SOURCES = tools/fuzz/capture_seed.c tools/fuzz/drive.c tools/fuzz/drive.h \
	tools/fuzz/fuzz_input.h
tools_fuzz_capture_seed_CFLAGS = $(libpytop_a_CFLAGS)
tools_fuzz_capture_seed_LDADD = $(PYTOP_LIBS)
CLEANFILES += tools/fuzz/capture_seed

TESTS += tests/live/test_fake_fill.py
EXTRA_DIST += tests/live/test_fake_fill.py \
	tools/fuzz/README.md tools/fuzz/build_fuzz.sh tools/fuzz/run_fuzz.sh \
	tools/fuzz/capture_seeds.sh tools/fuzz/seed_target.py \
	tools/fuzz/fuzz_walkers.c tools/fuzz/fake_target.c tools/fuzz/big_alloc.c \
	tools/fuzz/mutator.c tools/fuzz/native_stub.c tools/fuzz/coverage.sh \
	tools/fuzz/corpus tools/fuzz/regress

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

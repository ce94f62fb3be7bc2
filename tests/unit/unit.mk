# Unit tests of the target-access and CPython-layout layers.
check_PROGRAMS += tests/unit/test_pystring tests/unit/test_layout tests/unit/test_tasks
TESTS += tests/unit/test_pystring tests/unit/test_layout tests/unit/test_tasks tests/unit/test_layout_gen.sh
tests_unit_test_pystring_SOURCES = tests/unit/test_pystring.c tests/unit/tap.h
tests_unit_test_pystring_CFLAGS = $(AM_CFLAGS)
tests_unit_test_pystring_LDADD = libpytop.a
tests_unit_test_layout_SOURCES = tests/unit/test_layout.c
tests_unit_test_layout_CFLAGS = $(AM_CFLAGS)
tests_unit_test_layout_LDADD = libpytop.a
EXTRA_DIST += tests/unit/test_layout_gen.sh
tests_unit_test_tasks_SOURCES = tests/unit/test_tasks.c
tests_unit_test_tasks_CFLAGS = $(AM_CFLAGS)
tests_unit_test_tasks_LDADD = $(PYTOP_LIBS)

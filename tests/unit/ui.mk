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

tests_unit_test_ui_model_SOURCES = tests/unit/test_ui_model.c tests/unit/records.c tests/unit/records.h tests/unit/tap.h
tests_unit_test_ui_model_LDADD = $(PYTOP_LIBS)
tests_unit_test_ui_model_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)

tests_unit_test_latest_SOURCES = tests/unit/test_latest.c tests/unit/tap.h
tests_unit_test_latest_LDADD = $(PYTOP_LIBS)
tests_unit_test_latest_CFLAGS = $(AM_CFLAGS)

tests_unit_test_ui_threads_SOURCES = tests/unit/test_ui_threads.c tests/unit/records.c tests/unit/records.h tests/unit/tap.h
tests_unit_test_ui_threads_LDADD = $(PYTOP_LIBS)
tests_unit_test_ui_threads_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)

# The source viewer reads only regular files (a FIFO or a device named by the
# target is never opened).
check_PROGRAMS += tests/unit/test_source
TESTS += tests/unit/test_source
tests_unit_test_source_SOURCES = tests/unit/test_source.c tests/unit/tap.h
tests_unit_test_source_LDADD = $(PYTOP_LIBS)
tests_unit_test_source_CFLAGS = $(AM_CFLAGS)

# Sampling pipeline (consumer side): the SPSC record ring, the aggregator,
# and the batch writers that read the aggregate (text, JSON, collapsed).
libpytop_a_SOURCES += \
	src/sampling/sample.h \
	src/sampling/ring.c src/sampling/ring.h \
	src/sampling/aggtypes.h \
	src/sampling/aggtable.c src/sampling/aggtable.h \
	src/sampling/aggregate.c src/sampling/aggregate.h src/sampling/aggregate_impl.h \
	src/sampling/aggquery.c src/sampling/aggquery.h \
	src/output/snapshot.h \
	src/output/escape.c src/output/escape.h \
	src/output/jsonw.c src/output/jsonw.h \
	src/output/text.c src/output/text.h \
	src/output/json.c src/output/json.h \
	src/output/collapsed.c src/output/collapsed.h \
	src/output/formats.c src/output/formats.h

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

tests_unit_test_aggregate_SOURCES = tests/unit/test_aggregate.c tests/unit/tap.h
tests_unit_test_aggregate_LDADD = $(PYTOP_LIBS)
tests_unit_test_aggregate_CFLAGS = $(AM_CFLAGS)

tests_unit_test_output_SOURCES = tests/unit/test_output.c tests/unit/tap.h
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

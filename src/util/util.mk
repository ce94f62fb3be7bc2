# Small shared helpers, written once: the monotonic clock, the cancel
# flag long waits read, small-file reads, duration formatting, the
# descriptor limit, the jittered gaps of the sampling loops.
libpytop_a_SOURCES += \
	src/util/clock.h \
	src/util/cancel.h \
	src/util/smallfile.c src/util/smallfile.h \
	src/util/duration.c src/util/duration.h \
	src/util/fdlimit.c src/util/fdlimit.h \
	src/util/pace.c src/util/pace.h

# Small shared helpers, written once: the monotonic clock, small-file
# reads, duration formatting.
libpytop_a_SOURCES += \
	src/util/clock.h \
	src/util/smallfile.c src/util/smallfile.h \
	src/util/duration.c src/util/duration.h

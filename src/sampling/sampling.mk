# Sampling: the sampler thread, --native's unwinds and mixed stacks, the SPSC record ring, the aggregate (its
# tables, feed and queries), GIL classes, accounting and gilstat.
libpytop_a_SOURCES += \
	src/sampling/sampler.c src/sampling/sampler.h \
	src/sampling/native.c src/sampling/native.h \
	src/sampling/mixed.c src/sampling/mixed.h \
	src/sampling/sample.h \
	src/sampling/ring.c src/sampling/ring.h \
	src/sampling/aggtypes.h \
	src/sampling/aggtable.c src/sampling/aggtable.h \
	src/sampling/aggregate.c src/sampling/aggregate.h \
	src/sampling/aggregate_impl.h \
	src/sampling/aggquery.c src/sampling/aggquery.h \
	src/sampling/gilclass.c src/sampling/gilclass.h \
	src/sampling/gilacct.c src/sampling/gilacct.h \
	src/sampling/gilstat.c src/sampling/gilstat.h

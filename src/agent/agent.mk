# Running code inside the target on request (trace/watch, issue 12): the
# pending-call injection for CPython 3.6-3.13.
libpytop_a_SOURCES += \
	src/agent/pending.c src/agent/pending.h

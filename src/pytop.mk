# The program's top layer: the command line (options), errors, and the
# modes that drive the layers below: the session (attach or launch, sample,
# stop), --batch, --dump. src/main.c is pytop_SOURCES (Makefile.am).
libpytop_a_SOURCES += \
	src/options.c src/options.h \
	src/errors.c src/errors.h \
	src/session.c src/session.h \
	src/batch.c src/batch.h \
	src/dump.c src/dump.h \
	src/tracewatch.c src/tracewatch.h

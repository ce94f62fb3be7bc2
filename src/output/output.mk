# Outputs: the formats table and its writers (text, JSON, collapsed),
# the --dump writer, and the output file.
libpytop_a_SOURCES += \
	src/output/stackdump.c src/output/stackdump.h \
	src/output/outfile.c src/output/outfile.h \
	src/output/snapshot.h \
	src/output/escape.c src/output/escape.h \
	src/output/jsonw.c src/output/jsonw.h \
	src/output/text.c src/output/text.h \
	src/output/json.c src/output/json.h \
	src/output/collapsed.c src/output/collapsed.h \
	src/output/formats.c src/output/formats.h

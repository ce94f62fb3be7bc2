# Outputs: the formats table and its writers (text, JSON, collapsed,
# speedscope, pprof with its protobuf encoder, their shared stack set),
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
	src/output/flamegraph.c src/output/flamegraph.h \
	src/output/stackset.c src/output/stackset.h \
	src/output/speedscope.c src/output/speedscope.h \
	src/output/protobuf.c src/output/protobuf.h \
	src/output/pprof.c src/output/pprof.h \
	src/output/formats.c src/output/formats.h

# The svg format's script and style sheet, embedded as C strings: each line
# of flamegraph.css and flamegraph.js becomes a string literal in the
# generated flamegraph_js.h (backslashes and quotes escaped).
FLAMEGRAPH_ASSETS = src/output/flamegraph.css src/output/flamegraph.js
EXTRA_DIST += $(FLAMEGRAPH_ASSETS)
CLEANFILES += src/output/flamegraph_js.h
src/output/libpytop_a-flamegraph.$(OBJEXT): src/output/flamegraph_js.h
src/output/flamegraph_js.h: $(srcdir)/src/output/flamegraph.css $(srcdir)/src/output/flamegraph.js $(srcdir)/src/output/output.mk
	$(AM_V_GEN)$(MKDIR_P) src/output && { \
	  echo '/* Generated from src/output/flamegraph.css and flamegraph.js by output.mk. */'; \
	  for a in css js; do \
	    echo "static const char flamegraph_$$a[] ="; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$$/\\n"/' \
	      "$(srcdir)/src/output/flamegraph.$$a"; \
	    echo ';'; \
	  done; } > $@.tmp && mv $@.tmp $@

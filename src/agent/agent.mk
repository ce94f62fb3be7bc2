# The trace/watch agent: the Python agent pytop carries (agent.py, compiled
# in as a C string), its channel (private directory, socket, events),
# the injection (PEP 768 on 3.14+, pending calls on older versions).
libpytop_a_SOURCES += \
	src/agent/event.c src/agent/event.h \
	src/agent/channel.c src/agent/channel.h \
	src/agent/inject.c src/agent/inject.h \
	src/agent/link.c src/agent/link.h \
	src/agent/pending.c src/agent/pending.h \
	src/agent/request.c src/agent/request.h

# agent.py embedded as a C string: each line a string literal in the
# generated agent_py.h (backslashes and quotes escaped).
EXTRA_DIST += src/agent/agent.py
CLEANFILES += src/agent/agent_py.h
src/agent/libpytop_a-channel.$(OBJEXT): src/agent/agent_py.h
src/agent/agent_py.h: $(srcdir)/src/agent/agent.py $(srcdir)/src/agent/agent.mk
	$(AM_V_GEN)$(MKDIR_P) src/agent && { \
	  echo '/* Generated from src/agent/agent.py by agent.mk. */'; \
	  echo 'static const char agent_py[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$$/\\n"/' \
	    "$(srcdir)/src/agent/agent.py"; \
	  echo ';'; } > $@.tmp && mv $@.tmp $@

# The target process, from outside: /proc, memory reads, ELF symbols (and
# native code addresses' names),
# threads and their states, PID namespaces, pausing, launching, uprobes.
libpytop_a_SOURCES += \
	src/process/proc.c src/process/proc.h \
	src/process/memory.c src/process/memory.h \
	src/process/elf.c src/process/elf.h \
	src/process/symbols.c src/process/symbols.h \
	src/process/regfile.c src/process/regfile.h \
	src/process/tasks.c src/process/tasks.h \
	src/process/switchpage.c src/process/switchpage.h \
	src/process/nspid.c src/process/nspid.h \
	src/process/pause.c src/process/pause.h \
	src/process/launch.c src/process/launch.h \
	src/process/uprobe.c src/process/uprobe.h \
	src/process/inlines.c src/process/inlines.h

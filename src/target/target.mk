# Target access: /proc, memory reads, ELF symbols, threads and their
# states, PID namespaces, pausing, launching, GIL uprobes.
libpytop_a_SOURCES += \
	src/target/proc.c src/target/proc.h \
	src/target/memory.c src/target/memory.h \
	src/target/elf.c src/target/elf.h \
	src/target/regfile.c src/target/regfile.h \
	src/target/tasks.c src/target/tasks.h \
	src/target/nspid.c src/target/nspid.h \
	src/target/pause.c src/target/pause.h \
	src/target/launch.c src/target/launch.h \
	src/target/uprobe.c src/target/uprobe.h

/* symbols: native code addresses of a target to function names, from the
 * ELF symbol tables (.symtab, .dynsym) of its mapped files (through
 * /proc/PID/root), loaded once per file and kept. Each function (and each
 * unknown address) is a struct func_info with an id of its own, in a range
 * the Python walker's ids never reach. */
#ifndef PYTOP_PROCESS_SYMBOLS_H
#define PYTOP_PROCESS_SYMBOLS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpython/stack.h"

/* Native function ids start here (the walker's count up from 1). */
#define SYMBOLS_ID_BASE 0x80000000u

/* What an address is. */
struct symbol {
	struct func_info info;  /* name: the symbol, or "0xADDR" (file-relative); file: the
				 * library's base name ("?" when not a file) */
	bool known;             /* a symbol covers the address */
	bool in_interp;         /* in the interpreter's own file (interp_path) */
	int8_t role;            /* the caller's: -1 until it sets it */
};

struct symbols;

/* For process pid; interp_path: the file the interpreter runs from (as
 * /proc/PID/maps shows it), or NULL. */
struct symbols *symbols_create(pid_t pid, const char *interp_path);
void symbols_destroy(struct symbols *s);

/* Load the symbols of every file mapped executable now (before sampling),
 * so that lookups allocate only for files mapped later. */
void symbols_preload(struct symbols *s);

/* The function holding code address addr (a return address: pass the
 * address minus one), and addr's offset in it (or in its file, unknown).
 * NULL when no mapping holds addr. The first lookups in a file load its
 * symbols (allocates); a miss reads the maps again at most every 100 ms.
 * The result stays valid until symbols_destroy(). */
struct symbol *symbols_lookup(struct symbols *s, uint64_t addr, uint64_t *offset);

#endif

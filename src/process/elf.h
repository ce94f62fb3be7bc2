/* elf: symbol lookup in an ELF file on disk with libelf (.dynsym first, then
 * .symtab), and the file's link-time base for computing the load bias. */
#ifndef PYTOP_PROCESS_ELF_H
#define PYTOP_PROCESS_ELF_H

#include <stddef.h>
#include <stdint.h>

/* One symbol to look up; value is 0 when not found. */
struct elf_sym {
	const char *name;
	uint64_t value;     /* st_value, link-time address */
	uint64_t size;
};

/* Look up syms[0..n) in the file at path; fills min_vaddr with the lowest
 * PT_LOAD virtual address (page-aligned). Returns how many were found, or a
 * negative error when the file cannot be read as ELF. */
int elf_lookup(const char *path, struct elf_sym *syms, int n, uint64_t *min_vaddr);

/* Where a function's code is in the file: the file offsets of `name` and of
 * its whole-function compiler clones (name.constprop.N, name.isra.N), from
 * .symtab (local functions are not in .dynsym) of the file or of a separate
 * debug file found by build id under ROOT/usr/lib/debug/.build-id/ (root:
 * the target's root as pytop sees it, /proc/PID/root; NULL: none), then
 * /usr/lib/debug/.build-id/. Returns
 * how many (at most max), 0 when the symbol is absent, or a negative error.
 * *split is set when the compiler split the function (name.part.N): then
 * callers run part of it inline and probing its entry would miss calls. */
int elf_function_offsets(const char *path, const char *root, const char *name, uint64_t *offsets, int max,
			 int *split);

/* The separate debug file of the file at path, by its build id: under
 * ROOT/usr/lib/debug/.build-id/ (root: as in elf_function_offsets), then
 * /usr/lib/debug/.build-id/; its path into out. 0, or a negative error
 * when there is none. */
int elf_debug_file(const char *path, const char *root, char *out, size_t cap);

/* Link-time code addresses addrs[0..n) of the file at path to file
 * offsets, in place, through its executable PT_LOAD segments; addresses in
 * none are dropped. Returns how many remain, or a negative error. */
int elf_file_offsets(const char *path, uint64_t *addrs, int n);

/* One PT_LOAD segment of a file (link-time addresses). */
struct elf_segment {
	uint64_t vaddr, filesz, memsz;
	int writable;
};

/* The file's PT_LOAD segments, up to max; returns how many there are (may
 * be more than max) or a negative error. */
int elf_segments(const char *path, struct elf_segment *segs, int max);

/* The file's GNU build id as lowercase hex into out; 0 or a negative error. */
int elf_build_id(const char *path, char *out, size_t cap);

/* The file's .gnu_debuglink: the debug file's name (a plain name, no '/')
 * into name and the CRC-32 it names; 0 or a negative error. */
int elf_debuglink(const char *path, char *name, size_t cap, uint32_t *crc);

/* The GNU debuglink CRC-32 (zlib's) of the whole file at path (a regular
 * ELF file of at most CRC_FILE_MAX bytes only); 0 or a negative error. */
#define CRC_FILE_MAX (2ll << 30)
int elf_file_crc32(const char *path, uint32_t *crc);

/* Search the file's read-only data for a CPython version string "3.N.M";
 * writes it to out and returns 0, or a negative error. */
int elf_find_version_string(const char *path, int major, char *out, size_t cap);

#endif

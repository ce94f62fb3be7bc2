/* symbols: ELF symbol tables of a target's mappings, by address. */
#include "process/symbols.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "errors.h"
#include "process/elf.h"
#include "process/proc.h"
#include "process/regfile.h"
#include "util/clock.h"

#define REMAP_NS 100000000ull    /* a miss reads the maps again at most this often */
#define UNKNOWN_SLOTS 1024       /* unknown addresses named per file (power of two) */
#define FILE_SYMS_MAX (1u << 22) /* symbols kept per file at most */
#define VDSO_MAX (64u << 10)     /* the [vdso] image read from the target at most */

struct sym {
	uint64_t value, size;
	uint32_t name;            /* offset in the file's string pool */
};

struct segment {
	uint64_t offset, vaddr, filesz;
};

/* A file's addresses no symbol covers, by file address: made at once, so
 * that naming one never allocates. */
struct unknowns {
	uint64_t at[UNKNOWN_SLOTS];
	struct symbol sym[UNKNOWN_SLOTS];        /* used: name set */
	char name[UNKNOWN_SLOTS][20];            /* "0x" and 16 hex digits */
};

/* One mapped file, its symbols sorted by address. */
struct sym_file {
	char path[512];
	char base[512];
	bool loaded, in_interp;
	uint64_t vdso_start, vdso_size;   /* the [vdso]: its image in the target's memory */
	struct sym *syms;
	size_t nsyms;
	struct symbol *made;      /* nsyms, made with the table: syms[i]'s, filled (name set)
				   * at its first lookup, so a lookup never allocates */
	char *pool;
	size_t pool_len;
	struct segment seg[16];
	int nseg;
	struct unknowns *unknown;                /* made with the file's symbols */
	struct symbol *overflow;                 /* the unknowns past the slots */
};

struct mapping {
	uint64_t start, end, offset;
	struct sym_file *file;
};

struct symbols {
	pid_t pid;
	char interp[512];
	struct mapping *maps;
	int nmaps;
	struct sym_file **files;
	int nfiles;
	uint64_t mapped_at;
	uint32_t next_id;
	struct sym_file nofile;   /* anonymous and special mappings */
};

static struct symbol *symbol_new(struct symbols *s, const char *name, const struct sym_file *f, bool known)
{
	struct symbol *y = xcalloc(1, sizeof *y);
	y->info.id = s->next_id++;
	y->info.firstlineno = 0;
	y->info.name = xstrdup(name);
	y->info.file = f->base;
	y->known = known;
	y->in_interp = f->in_interp;
	y->role = -1;
	return y;
}

static void symbol_free(struct symbol *y)
{
	if (!y)
		return;
	free((char *)y->info.name);
	free(y);
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	return x->value < y->value ? -1 : x->value > y->value;
}

/* Read a symbol table section into f (functions with a size only). */
static void load_table(struct sym_file *f, Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, size_t *cap, size_t *pcap)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data || sh->sh_entsize == 0)
		return;
	size_t count = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < count && f->nsyms < FILE_SYMS_MAX; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(data, (int)i, &sym) || sym.st_value == 0 || sym.st_shndx == SHN_UNDEF ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			continue;
		const char *name = elf_strptr(e, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		size_t len = strlen(name) + 1;
		if (f->pool_len + len > *pcap) {
			while (f->pool_len + len > *pcap)
				*pcap = *pcap ? *pcap * 2 : 65536;
			f->pool = xrealloc(f->pool, *pcap);
		}
		if (f->nsyms == *cap) {
			*cap = *cap ? *cap * 2 : 1024;
			f->syms = xrealloc(f->syms, *cap * sizeof *f->syms);
		}
		memcpy(f->pool + f->pool_len, name, len);
		f->syms[f->nsyms++] = (struct sym){ sym.st_value, sym.st_size ? sym.st_size : 1,
						    (uint32_t)f->pool_len };
		f->pool_len += len;
	}
}

/* Read the function symbols of the ELF file at path (as pytop sees it)
 * into f, and with segments its PT_LOAD segments. Returns whether it has
 * a .symtab. */
static bool elf_read(struct sym_file *f, Elf *e, bool segments, size_t *cap, size_t *pcap);

static bool file_read(struct sym_file *f, const char *path, bool segments, size_t *cap, size_t *pcap)
{
	int fd = regfile_open(path);
	if (fd < 0)
		return false;
	Elf *e = elf_version(EV_CURRENT) == EV_NONE ? NULL : elf_begin(fd, ELF_C_READ, NULL);
	bool symtab = elf_read(f, e, segments, cap, pcap);
	close(fd);
	return symtab;
}

/* The [vdso]'s .dynsym, from its image in the target's memory (at most
 * VDSO_MAX bytes, parsed in place: libelf bounds what it reads by the
 * image). */
static void vdso_read(struct symbols *s, struct sym_file *f, size_t *cap, size_t *pcap)
{
	if (f->vdso_size == 0 || f->vdso_size > VDSO_MAX)
		return;
	char *img = xmalloc((size_t)f->vdso_size);
	struct iovec local = { img, (size_t)f->vdso_size }, remote = { (void *)(uintptr_t)f->vdso_start, (size_t)f->vdso_size };
	if (process_vm_readv(s->pid, &local, 1, &remote, 1, 0) == (ssize_t)f->vdso_size)
		elf_read(f, elf_version(EV_CURRENT) == EV_NONE ? NULL : elf_memory(img, (size_t)f->vdso_size), true, cap,
			 pcap);
	free(img);
}

/* What file_read() reads, from e (ended here). */
static bool elf_read(struct sym_file *f, Elf *e, bool segments, size_t *cap, size_t *pcap)
{
	bool symtab = false;
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		return false;
	}
	size_t phnum;
	if (segments && elf_getphdrnum(e, &phnum) == 0) {
		for (size_t i = 0; i < phnum && f->nseg < (int)(sizeof f->seg / sizeof f->seg[0]); i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
				f->seg[f->nseg++] = (struct segment){ ph.p_offset, ph.p_vaddr, ph.p_filesz };
		}
	}
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM)) {
			load_table(f, e, scn, &sh, cap, pcap);
			symtab |= sh.sh_type == SHT_SYMTAB;
		}
	}
	elf_end(e);
	return symtab;
}

/* A stripped file's .symtab from the debug file its .gnu_debuglink names,
 * where gdb looks (the file's directory, its .debug/, /usr/lib/debug/ and
 * the directory), all under the target's root; the debug file's CRC-32
 * must be the one the link gives. Whether one was read. */
static bool debuglink_read(struct symbols *s, struct sym_file *f, const char *path, size_t *cap, size_t *pcap)
{
	char name[256], rel[1200], debug[1400], dir[512];
	uint32_t want, crc;

	if (elf_debuglink(path, name, sizeof name, &want) < 0)
		return false;
	snprintf(dir, sizeof dir, "%s", f->path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return false;
	*slash = '\0';
	for (int i = 0; i < 3; i++) {
		snprintf(rel, sizeof rel, "%s%s%s/%s", i == 2 ? "/usr/lib/debug" : "", dir, i == 1 ? "/.debug" : "",
			 name);
		proc_root_path(s->pid, rel, debug, sizeof debug);
		if (strcmp(rel, f->path) == 0 || elf_file_crc32(debug, &crc) < 0 || crc != want)
			continue;
		if (file_read(f, debug, false, cap, pcap))
			return true;
	}
	return false;
}

/* Load the file's segments and function symbols (.symtab and .dynsym; a
 * stripped file's .symtab from its separate debug file, found by build id
 * under the target's root, then pytop's: /usr/lib/debug/.build-id/, then
 * by its .gnu_debuglink; of several symbols at one address the first is
 * kept). */
static void file_load(struct symbols *s, struct sym_file *f)
{
	char path[1024], id[128], debug[1024];
	size_t cap = 0, pcap = 0;
	bool symtab;

	f->loaded = true;
	if (f->vdso_size) {
		vdso_read(s, f, &cap, &pcap);
		goto sort;
	}
	proc_root_path(s->pid, f->path, path, sizeof path);
	symtab = file_read(f, path, true, &cap, &pcap);
	if (!symtab && elf_build_id(path, id, sizeof id) == 0 && strlen(id) > 2) {
		char rel[300];
		snprintf(rel, sizeof rel, "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
		proc_root_path(s->pid, rel, debug, sizeof debug);
		symtab = file_read(f, debug, false, &cap, &pcap) || file_read(f, rel, false, &cap, &pcap);
	}
	if (!symtab)
		debuglink_read(s, f, path, &cap, &pcap);
sort:
	if (f->nsyms > 1) {
		qsort(f->syms, f->nsyms, sizeof *f->syms, sym_cmp);
		size_t n = 1;
		for (size_t i = 1; i < f->nsyms; i++)
			if (f->syms[i].value != f->syms[n - 1].value)
				f->syms[n++] = f->syms[i];
		f->nsyms = n;
	}
	if (f->nsyms)
		f->made = xcalloc(f->nsyms, sizeof *f->made);
	f->unknown = xcalloc(1, sizeof *f->unknown);   /* 60 KiB: naming never allocates */
}

static struct sym_file *file_get(struct symbols *s, const char *path)
{
	for (int i = 0; i < s->nfiles; i++)
		if (strcmp(s->files[i]->path, path) == 0)
			return s->files[i];
	struct sym_file *f = xcalloc(1, sizeof *f);
	snprintf(f->path, sizeof f->path, "%s", path);
	const char *slash = strrchr(path, '/');
	snprintf(f->base, sizeof f->base, "%s", slash ? slash + 1 : path);
	f->in_interp = s->interp[0] && strcmp(path, s->interp) == 0;
	s->files = xrealloc(s->files, (size_t)(s->nfiles + 1) * sizeof *s->files);
	s->files[s->nfiles++] = f;
	return f;
}

/* Read the executable mappings again. */
static void maps_load(struct symbols *s)
{
	struct proc_map *m = NULL;
	int n = proc_maps_read(s->pid, &m);
	s->nmaps = 0;
	if (n <= 0) {
		free(m);
		return;
	}
	s->maps = xrealloc(s->maps, (size_t)n * sizeof *s->maps);
	for (int i = 0; i < n; i++) {
		if (m[i].perms[2] != 'x')
			continue;
		bool vdso = strcmp(m[i].path, "[vdso]") == 0 && m[i].offset == 0;
		struct sym_file *f = m[i].path[0] == '/' || vdso ? file_get(s, m[i].path) : &s->nofile;
		if (vdso && !f->loaded) {
			f->vdso_start = m[i].start;
			f->vdso_size = m[i].end - m[i].start;
		}
		s->maps[s->nmaps++] = (struct mapping){ m[i].start, m[i].end, m[i].offset, f };
	}
	free(m);
}

static const struct mapping *map_find(const struct symbols *s, uint64_t addr)
{
	int lo = 0, hi = s->nmaps - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (addr < s->maps[mid].start)
			hi = mid - 1;
		else if (addr >= s->maps[mid].end)
			lo = mid + 1;
		else
			return &s->maps[mid];
	}
	return NULL;
}

struct symbols *symbols_create(pid_t pid, const char *interp_path)
{
	struct symbols *s = xcalloc(1, sizeof *s);
	s->pid = pid;
	s->next_id = SYMBOLS_ID_BASE;
	if (interp_path)
		snprintf(s->interp, sizeof s->interp, "%s", interp_path);
	snprintf(s->nofile.base, sizeof s->nofile.base, "?");
	s->nofile.loaded = true;
	s->nofile.unknown = xcalloc(1, sizeof *s->nofile.unknown);
	return s;
}

void symbols_preload(struct symbols *s)
{
	s->mapped_at = clock_now_ns();
	maps_load(s);
	for (int i = 0; i < s->nfiles; i++)
		if (!s->files[i]->loaded)
			file_load(s, s->files[i]);
}

static void file_free(struct sym_file *f)
{
	free(f->made);
	free(f->unknown);
	symbol_free(f->overflow);
	free(f->syms);
	free(f->pool);
}

void symbols_destroy(struct symbols *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nfiles; i++) {
		file_free(s->files[i]);
		free(s->files[i]);
	}
	file_free(&s->nofile);
	free(s->files);
	free(s->maps);
	free(s);
}

/* The link-time address of file offset off (off itself with no segment). */
static uint64_t file_vaddr(const struct sym_file *f, uint64_t off)
{
	for (int i = 0; i < f->nseg; i++)
		if (off >= f->seg[i].offset && off - f->seg[i].offset < f->seg[i].filesz)
			return off - f->seg[i].offset + f->seg[i].vaddr;
	return off;
}

/* An address no symbol covers: one struct symbol per address, named
 * 0xADDR (its file address), up to UNKNOWN_SLOTS per file. */
static struct symbol *unknown_get(struct symbols *s, struct sym_file *f, uint64_t vaddr)
{
	uint32_t h = (uint32_t)((vaddr * 0x9E3779B97F4A7C15ull) >> 32) & (UNKNOWN_SLOTS - 1);
	struct unknowns *u = f->unknown ? f->unknown : (f->unknown = xcalloc(1, sizeof *f->unknown));
	for (int k = 0; k < 8; k++) {
		uint32_t i = (h + (uint32_t)k) & (UNKNOWN_SLOTS - 1);
		if (u->sym[i].info.name && u->at[i] == vaddr)
			return &u->sym[i];
		if (!u->sym[i].info.name) {
			snprintf(u->name[i], sizeof u->name[i], "0x%llx", (unsigned long long)vaddr);
			u->at[i] = vaddr;
			u->sym[i] = (struct symbol){ { s->next_id++, 0, u->name[i], f->base }, false, f->in_interp, -1 };
			return &u->sym[i];
		}
	}
	if (!f->overflow)
		f->overflow = symbol_new(s, "(unknown)", f, false);
	return f->overflow;
}

struct symbol *symbols_lookup(struct symbols *s, uint64_t addr, uint64_t *offset)
{
	const struct mapping *m = map_find(s, addr);
	if (!m) {
		uint64_t now = clock_now_ns();
		if (s->mapped_at && now - s->mapped_at < REMAP_NS)
			return NULL;
		s->mapped_at = now;
		maps_load(s);
		if (!(m = map_find(s, addr)))
			return NULL;
	}
	struct sym_file *f = m->file;
	if (!f->loaded)
		file_load(s, f);
	uint64_t vaddr = f == &s->nofile ? addr : file_vaddr(f, addr - m->start + m->offset);
	/* The last symbol at or below vaddr, if it covers it. */
	size_t lo = 0, hi = f->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->syms[mid].value <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && vaddr - f->syms[lo - 1].value < f->syms[lo - 1].size) {
		struct sym *y = &f->syms[lo - 1];
		struct symbol *made = &f->made[lo - 1];
		if (!made->info.name)
			*made = (struct symbol){ { s->next_id++, 0, f->pool + y->name, f->base }, true, f->in_interp, -1 };
		*offset = vaddr - y->value;
		return made;
	}
	*offset = vaddr;
	return unknown_get(s, f, vaddr);
}

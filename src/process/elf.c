/* elf: libelf-based symbol lookup for finding the interpreter's symbols. */
#include "process/elf.h"

#include <ctype.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <unistd.h>

#include "errors.h"
#include "process/regfile.h"

static int elf_open(const char *path, int *fd, Elf **e)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return PYTOP_EIO;
	/* The path comes from the target's maps: a regular file only. */
	*fd = regfile_open(path);
	if (*fd < 0)
		return errno == EINVAL ? PYTOP_ENOTPY : PYTOP_EIO;
	*e = elf_begin(*fd, ELF_C_READ, NULL);
	if (!*e || elf_kind(*e) != ELF_K_ELF) {
		if (*e)
			elf_end(*e);
		close(*fd);
		return PYTOP_ENOTPY;
	}
	return 0;
}

static void scan_symtab(Elf *e, Elf_Scn *scn, GElf_Shdr *sh, struct elf_sym *syms, int n, int *found)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data || sh->sh_entsize == 0)
		return;
	size_t count = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < count && *found < n; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(data, (int)i, &sym) || sym.st_value == 0 || sym.st_shndx == SHN_UNDEF)
			continue;
		const char *name = elf_strptr(e, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		for (int k = 0; k < n; k++) {
			if (syms[k].value == 0 && strcmp(name, syms[k].name) == 0) {
				syms[k].value = sym.st_value;
				syms[k].size = sym.st_size;
				(*found)++;
				break;
			}
		}
	}
}

int elf_lookup(const char *path, struct elf_sym *syms, int n, uint64_t *min_vaddr)
{
	int fd, found = 0, err;
	Elf *e;
	size_t phnum;

	for (int k = 0; k < n; k++)
		syms[k].value = syms[k].size = 0;
	if ((err = elf_open(path, &fd, &e)) < 0)
		return err;

	*min_vaddr = UINT64_MAX;
	if (elf_getphdrnum(e, &phnum) == 0) {
		for (size_t i = 0; i < phnum; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < *min_vaddr)
				*min_vaddr = ph.p_vaddr & ~(uint64_t)0xfff;
		}
	}
	if (*min_vaddr == UINT64_MAX)
		*min_vaddr = 0;

	/* .dynsym first: it survives stripping; then .symtab for the rest. */
	for (int pass = 0; pass < 2 && found < n; pass++) {
		Elf_Scn *scn = NULL;
		while ((scn = elf_nextscn(e, scn)) != NULL) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh))
				continue;
			if (sh.sh_type == (pass == 0 ? SHT_DYNSYM : SHT_SYMTAB))
				scan_symtab(e, scn, &sh, syms, n, &found);
		}
	}
	elf_end(e);
	close(fd);
	return found;
}

/* Is s[0..len) "M.N.P" optionally followed by a release tag? */
int elf_segments(const char *path, struct elf_segment *segs, int max)
{
	int fd, n = 0, err;
	Elf *e;
	size_t phnum;

	if ((err = elf_open(path, &fd, &e)) < 0)
		return err;
	if (elf_getphdrnum(e, &phnum) == 0) {
		for (size_t i = 0; i < phnum; i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			if (n < max) {
				segs[n].vaddr = ph.p_vaddr;
				segs[n].filesz = ph.p_filesz;
				segs[n].memsz = ph.p_memsz;
				segs[n].writable = (ph.p_flags & PF_W) != 0;
			}
			n++;
		}
	}
	elf_end(e);
	close(fd);
	return n;
}

static int looks_like_version(const char *s, size_t len, int major)
{
	size_t i = 0;
	int dots = 0;
	if (len < 5 || len > 16 || s[0] != '0' + major || s[1] != '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.')
			dots++;
		else if (!isdigit((unsigned char)s[i]))
			break;
	}
	if (dots != 2 || s[i - 1] == '.')
		return 0;
	for (; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+')
			return 0;
	return 1;
}

int elf_find_version_string(const char *path, int major, char *out, size_t cap)
{
	int fd, err;
	Elf *e;
	size_t shstrndx;

	if ((err = elf_open(path, &fd, &e)) < 0)
		return err;
	err = PYTOP_ENOTPY;
	if (elf_getshdrstrndx(e, &shstrndx) == 0) {
		Elf_Scn *scn = NULL;
		while (err && (scn = elf_nextscn(e, scn)) != NULL) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh))
				continue;
			const char *name = elf_strptr(e, shstrndx, sh.sh_name);
			if (!name || strcmp(name, ".rodata") != 0)
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			if (!d || !d->d_buf)
				break;
			const char *p = d->d_buf;
			size_t size = d->d_size, start = 0;
			for (size_t i = 0; i <= size; i++) {
				if (i < size && p[i])
					continue;
				/* PY_VERSION ends a NUL-terminated string: alone, or
				 * merged by the linker into the tail of another. */
				size_t s0 = start;
				for (size_t k = start; k < i; k++)
					if (!isalnum((unsigned char)p[k]) && p[k] != '.' && p[k] != '+')
						s0 = k + 1;
				if (looks_like_version(p + s0, i - s0, major) && i - s0 < cap) {
					memcpy(out, p + s0, i - s0);
					out[i - s0] = 0;
					err = 0;
					break;
				}
				start = i + 1;
			}
		}
	}
	elf_end(e);
	close(fd);
	return err;
}

int elf_build_id(const char *path, char *out, size_t cap)
{
	int fd, err;
	Elf *e;
	Elf_Scn *scn = NULL;

	if ((err = elf_open(path, &fd, &e)) < 0)
		return err;
	err = PYTOP_ENOTPY;
	while (err && (scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + name_off, "GNU", 4) != 0)
				continue;
			if (nh.n_descsz * 2 + 1 > cap)
				break;
			const unsigned char *id = (const unsigned char *)d->d_buf + desc_off;
			for (size_t i = 0; i < nh.n_descsz; i++)
				snprintf(out + 2 * i, 3, "%02x", id[i]);
			err = 0;
			break;
		}
	}
	elf_end(e);
	close(fd);
	return err;
}

int elf_debuglink(const char *path, char *name, size_t cap, uint32_t *crc)
{
	int fd, err;
	Elf *e;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if ((err = elf_open(path, &fd, &e)) < 0)
		return err;
	err = PYTOP_ENOTPY;
	if (elf_getshdrstrndx(e, &shstrndx) == 0) {
		while (err && (scn = elf_nextscn(e, scn)) != NULL) {
			GElf_Shdr sh;
			const char *sname;
			if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
			    !(sname = elf_strptr(e, shstrndx, sh.sh_name)) || strcmp(sname, ".gnu_debuglink") != 0)
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			if (!d || !d->d_buf)
				break;
			/* name, NUL, padding to 4, then the CRC in the file's byte order */
			const unsigned char *b = d->d_buf;
			const unsigned char *nul = memchr(b, 0, d->d_size);
			size_t len = nul ? (size_t)(nul - b) : 0, at = (len + 4) & ~(size_t)3;
			if (!nul || len == 0 || len >= cap || at > d->d_size || d->d_size - at < 4 ||
			    memchr(b, '/', len))
				break;
			memcpy(name, b, len + 1);
			unsigned char ident_data = ELFDATA2LSB;
			char *ident = elf_getident(e, NULL);
			if (ident)
				ident_data = (unsigned char)ident[EI_DATA];
			*crc = ident_data == ELFDATA2MSB
				? (uint32_t)b[at] << 24 | (uint32_t)b[at + 1] << 16 | (uint32_t)b[at + 2] << 8 | b[at + 3]
				: (uint32_t)b[at + 3] << 24 | (uint32_t)b[at + 2] << 16 | (uint32_t)b[at + 1] << 8 | b[at];
			err = 0;
		}
	}
	elf_end(e);
	close(fd);
	return err;
}

int elf_file_crc32(const char *path, uint32_t *crc)
{
	uint32_t table[256];   /* made per call: cheap, and no shared state */
	unsigned char buf[16384];
	struct stat st;
	uint32_t c = 0xffffffffu;
	ssize_t n;
	int fd;

	for (uint32_t i = 0; i < 256; i++) {
		uint32_t v = i;
		for (int k = 0; k < 8; k++)
			v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
		table[i] = v;
	}
	if ((fd = regfile_open(path)) < 0)
		return PYTOP_EIO;
	/* A debug file the target names may be any file: only an ELF file of
	 * at most CRC_FILE_MAX bytes is read (a huge sparse one took pytop
	 * minutes, deaf to SIGTERM). */
	if (fstat(fd, &st) < 0 || st.st_size > CRC_FILE_MAX || pread(fd, buf, 4, 0) != 4 ||
	    memcmp(buf, ELFMAG, SELFMAG) != 0) {
		close(fd);
		return PYTOP_EIO;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			c = table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
	close(fd);
	if (n < 0)
		return PYTOP_EIO;
	*crc = c ^ 0xffffffffu;
	return 0;
}

/* Is sym `name` itself or a whole-function clone of it? 1: yes, 2: a split
 * part, 0: another symbol. */
static int clone_kind(const char *sym, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(sym, name, n) != 0)
		return 0;
	if (sym[n] == 0)
		return 1;
	/* GCC's clones: constant-propagated, scalar-replaced, and LTO's
	 * privatized copies (Debian's static python3.14: take_gil.lto_priv.0). */
	if (strncmp(sym + n, ".constprop.", 11) == 0 || strncmp(sym + n, ".isra.", 6) == 0 ||
	    strncmp(sym + n, ".lto_priv.", 10) == 0) {
		/* NAME.xxx.cold is the clone's cold code (hot/cold splitting):
		 * its calls still enter at the clone, so it is neither a clone
		 * to probe nor a split. */
		if (strstr(sym + n, ".part."))
			return 2;
		return strstr(sym + n, ".cold") ? 0 : 1;
	}
	if (strncmp(sym + n, ".part.", 6) == 0)
		return 2;
	return 0;
}

/* The link-time addresses of name and its clones in the .symtab of file. */
static int function_addrs(const char *file, const char *name, uint64_t *addrs, int max, int *split)
{
	int fd, err, n = 0;
	Elf *e;
	Elf_Scn *scn = NULL;

	if ((err = elf_open(file, &fd, &e)) < 0)
		return err;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize == 0)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t count = data ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < count; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_value == 0 || sym.st_shndx == SHN_UNDEF)
				continue;
			const char *s = elf_strptr(e, sh.sh_link, sym.st_name);
			int kind = s ? clone_kind(s, name) : 0;
			if (kind == 2)
				*split = 1;
			if (kind != 1)
				continue;
			int dup = 0;
			for (int k = 0; k < n; k++)
				dup |= addrs[k] == sym.st_value;
			if (!dup && n < max)
				addrs[n++] = sym.st_value;
		}
	}
	elf_end(e);
	close(fd);
	return n;
}

int elf_debug_file(const char *path, const char *root, char *out, size_t cap)
{
	char id[128];

	if (elf_build_id(path, id, sizeof id) < 0 || strlen(id) <= 2)
		return PYTOP_ENOTPY;
	/* The target's own debug file first (a target in a chroot or a
	 * container has it in its root), then pytop's. */
	for (int pass = root ? 0 : 1; pass < 2; pass++) {
		snprintf(out, cap, "%s/usr/lib/debug/.build-id/%.2s/%s.debug", pass == 0 ? root : "", id, id + 2);
		if (access(out, R_OK) == 0)
			return 0;
	}
	return PYTOP_ENOTPY;
}

int elf_file_offsets(const char *path, uint64_t *addrs, int n)
{
	int fd, err, done = 0;
	Elf *e;
	size_t phnum;

	if ((err = elf_open(path, &fd, &e)) < 0)
		return err;
	if (elf_getphdrnum(e, &phnum) == 0) {
		for (int k = 0; k < n; k++) {
			for (size_t i = 0; i < phnum; i++) {
				GElf_Phdr ph;
				if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
				    addrs[k] >= ph.p_vaddr && addrs[k] < ph.p_vaddr + ph.p_filesz) {
					addrs[done++] = addrs[k] - ph.p_vaddr + ph.p_offset;
					break;
				}
			}
		}
	}
	elf_end(e);
	close(fd);
	return done;
}

int elf_function_offsets(const char *path, const char *root, const char *name, uint64_t *offsets, int max,
			 int *split)
{
	int n;
	char debug[512];

	*split = 0;
	n = function_addrs(path, name, offsets, max, split);
	if (n == 0 && elf_debug_file(path, root, debug, sizeof debug) == 0)
		n = function_addrs(debug, name, offsets, max, split);
	if (n <= 0)
		return n;
	return elf_file_offsets(path, offsets, n);
}

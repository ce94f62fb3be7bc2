/* elf: libelf-based symbol lookup for finding the interpreter's symbols. */
#include "target/elf.h"

#include <ctype.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"

static int elf_open(const char *path, int *fd, Elf **e)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return PYTOP_EIO;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return PYTOP_EIO;
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

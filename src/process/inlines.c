/* inlines: inlined instances of a function, from DWARF with libdw. */
#include "process/inlines.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "process/regfile.h"

#define MAX_DEPTH 64    /* DIE nesting followed; deeper (hostile) trees are cut */

struct found {
	struct inlines_query *q;
	int nq;
};

/* The entry of an inlined instance: DW_AT_entry_pc, DW_AT_low_pc, else the
 * lowest start of its ranges. */
static int entry_of(Dwarf_Die *die, Dwarf_Addr *pc)
{
	if (dwarf_entrypc(die, pc) == 0)
		return 0;
	Dwarf_Addr base, start, end, low = 0;
	int found = 0;
	ptrdiff_t off = 0;
	while ((off = dwarf_ranges(die, off, &base, &start, &end)) > 0)
		if (!found || start < low) {
			low = start;
			found = 1;
		}
	*pc = low;
	return found ? 0 : -1;
}

static void note(struct inlines_query *q, Dwarf_Addr pc)
{
	for (int i = 0; i < q->n; i++)
		if (q->addrs[i] == pc)
			return;
	if (q->n < q->max)
		q->addrs[q->n++] = pc;
	else
		q->more = 1;
}

/* Walk the children of die (depth-first, iteratively bounded). */
static void walk(Dwarf_Die *die, struct found *f, int depth)
{
	Dwarf_Die child;

	if (depth >= MAX_DEPTH || dwarf_child(die, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_inlined_subroutine) {
			Dwarf_Attribute at;
			Dwarf_Die origin;
			const char *s;
			Dwarf_Addr pc;
			if (dwarf_attr(&child, DW_AT_abstract_origin, &at) &&
			    dwarf_formref_die(&at, &origin) && (s = dwarf_diename(&origin)) != NULL)
				for (int i = 0; i < f->nq; i++)
					if (strcmp(s, f->q[i].name) == 0 && entry_of(&child, &pc) == 0 && pc != 0)
						note(&f->q[i], pc);
		}
		/* Inlined code lies inside functions, lexical blocks and
		 * other inlined instances; types and variables hold none. */
		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block ||
		    tag == DW_TAG_namespace || tag == DW_TAG_module || tag == DW_TAG_partial_unit ||
		    tag == DW_TAG_compile_unit)
			walk(&child, f, depth + 1);
	} while (dwarf_siblingof(&child, &child) == 0);
}

int inlines_entries(const char *path, struct inlines_query *q, int nq)
{
	struct found f = { q, nq };
	int fd = regfile_open(path);

	for (int i = 0; i < nq; i++)
		q[i].n = q[i].more = 0;
	if (fd < 0)
		return errno == EINVAL ? PYTOP_ENOTPY : PYTOP_EIO;
	Dwarf *dbg = dwarf_begin(fd, DWARF_C_READ);
	if (!dbg) {
		close(fd);
		return PYTOP_ENOTPY;
	}
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(dbg, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		if (dwarf_offdie(dbg, off + hsize, &cu))
			walk(&cu, &f, 0);
		off = next;
	}
	dwarf_end(dbg);
	close(fd);
	return 0;
}

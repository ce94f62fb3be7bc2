/* gil: where a GIL is in a target (struct gil_where: the ranges one batched
 * read takes, the futex addresses of its waiters), reading its state
 * (locked, holder, switch_number) through the layout, and the rule that
 * says a blocked thread is waiting for it. Pure functions: the caller
 * reads the bytes (one process_vm_readv of gil_iov()'s ranges). */
#ifndef PYTOP_CPYTHON_GIL_H
#define PYTOP_CPYTHON_GIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpython/layout.h"
#include "process/memory.h"

#define GIL_READ_MAX LAYOUT_GIL_MAX   /* enough bytes for every layout's fields */
#define GIL_SYS_FUTEX 202        /* x86-64 futex(2) */
#define GIL_SYS_RESTART 219      /* x86-64 restart_syscall(2): a futex wait with a timeout
				  * that a stop (ptrace, SIGSTOP) interrupted goes on in it,
				  * its argument registers as they were */
#define GIL_REGIONS_MAX 4        /* remote ranges one GIL is read from */
#define GIL_WAITS_MAX 4          /* remote ranges its waiters sleep on */
#define GIL_WAIT_OBJ_MAX 256     /* the largest lock or condition taken for one */

/* How a thread blocked on a GIL's futex waits (gil_wait_kind()). */
enum gil_wait_kind {
	GIL_WAIT_NONE = 0,
	GIL_WAIT_TAKE = 1,       /* in take_gil: on cond or mutex, to take it */
	GIL_WAIT_SWITCH = 2,     /* in drop_gil (FORCE_SWITCHING): it let the GIL go on a
				  * drop request and waits on switch_cond until another
				  * thread takes it; not a take (what exact mode times).
				  * (take_gil also locks switch_mutex as it takes the GIL:
				  * a thread seen there is counted once it holds.) */
};

/* Where one GIL is in the target (filled by pyrt_gil(), runtime.h). With
 * GIL_MODEL_STRUCT one region (the struct) and one wait range (the same
 * struct); with GIL_MODEL_STATICS (3.6) one region per static and one wait
 * range per lock or condition static. Every region lies inside the
 * GIL_READ_MAX local buffer (gil_where_check()). */
struct gil_where {
	uint64_t addr;                /* its identity (0: unknown): the struct, or the first static */
	int nregions, nwaits;
	struct gil_region {
		uint64_t remote;
		uint32_t local, len;  /* where in the local buffer, how many bytes */
	} region[GIL_REGIONS_MAX];
	struct gil_wait {
		uint64_t lo, len;     /* a futex on [lo, lo + len) waits for this GIL */
		uint32_t kind;        /* enum gil_wait_kind: how */
	} wait[GIL_WAITS_MAX];
};

/* One coherent view of a GIL (from a single read). */
struct gil_state {
	bool enabled;            /* false: a free-threaded build running without the GIL */
	bool locked;
	uint64_t holder;         /* the holding thread state when locked, else 0 */
	uint64_t last_holder;    /* gil->last_holder, locked or not */
	uint64_t switch_number;  /* gil->switch_number: holder changes since start */
};

/* Bytes of the local buffer gil_parse() decodes (<= GIL_READ_MAX). */
size_t gil_read_size(const struct py_layout *L);

/* The GIL struct at gil (GIL_MODEL_STRUCT): one region, one wait range of
 * the layout's gil_size. gil == 0 leaves *w unknown (addr 0). */
void gil_where_struct(const struct py_layout *L, uint64_t gil, struct gil_where *w);

/* GIL_MODEL_STATICS (3.6): the GIL is GIL_STATICS symbols of the
 * interpreter's file (ceval_gil.h's statics in .symtab, the exported
 * _PyThreadState_Current), which the caller looks up by these names. */
#define GIL_STATICS 8
const char *gil_static_name(int i);

/* The GIL from those symbols' addresses and sizes (value[i] 0: not
 * found). Unknown (addr 0) when a state static is missing, of another size
 * than CPython's, or does not fit the local buffer; a lock or condition
 * that is missing or larger than GIL_WAIT_OBJ_MAX is left out (its waiters
 * look idle). */
void gil_where_statics(const struct py_layout *L, const uint64_t value[GIL_STATICS],
		       const uint64_t size[GIL_STATICS], struct gil_where *out);

/* Is w usable: known, its regions inside the local buffer, no range empty
 * or wrapping around the address space? */
bool gil_where_check(const struct gil_where *w);

/* The ranges to read w into buf (GIL_READ_MAX bytes) into iov (room for
 * GIL_REGIONS_MAX); returns how many (0 when w is unknown). */
int gil_iov(const struct gil_where *w, unsigned char *buf, struct mem_iov *iov);

/* Decode the bytes read into the local buffer. */
void gil_parse(const struct py_layout *L, const void *buf, struct gil_state *out);

/* How a thread blocked in syscall nr with first argument arg0 waits for
 * the GIL w (futex, or its restart_syscall, on an address inside one of
 * its wait ranges; see layout.h): GIL_WAIT_NONE when it does not. */
enum gil_wait_kind gil_wait_kind(const struct gil_where *w, long nr, uint64_t arg0);

/* gil_wait_kind() != GIL_WAIT_NONE: blocked by the GIL either way (the
 * GIL meter's "waiting"). */
bool gil_is_wait(const struct gil_where *w, long nr, uint64_t arg0);

#endif
